"""The plain binary on the host, as packaging/dockgate.service runs it.

systemd is installed here but is not PID 1 (the tests run in a container),
so the unit cannot be started for real: `systemd-analyze verify` and
`security --offline` check the file, a traced run checks that its system
call filter holds everything dockgate calls, and setpriv reproduces what
the unit does to the process (its user, the docker group, no capability,
no-new-privileges) for an end-to-end run against the test daemon."""

import contextlib
import os
import re
import shutil
import signal
import stat
import subprocess

import pytest
from dockgate_testlib.daemon import IMAGE, denied_message, run_cli, unique
from dockgate_testlib.net import wait_for
from dockgate_testlib.release import DOCKGATE_BIN
from dockgate_testlib.settings import DOCKER_CLI, REPO

UNIT = REPO / "packaging" / "dockgate.service.in"
ENV_FILE = REPO / "packaging" / "dockgate.env"
DYNAMIC_UID = 65534     # stands in for the unit's DynamicUser


def needs(tool):
    if not shutil.which(tool):
        pytest.skip(f"{tool} is not installed")


def env_file_settings():
    """The environment file as systemd reads it: VAR=value, # comments."""
    out = {}
    for line in ENV_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


def unit_directives():
    """(key, value) of every directive of the unit, in order."""
    out = []
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            k, _, v = line.partition("=")
            out.append((k, v))
    return out


@pytest.fixture
def installed(tmp_path):
    """The unit rendered as meson renders it, with the binary and the
    environment file where it says (systemd-analyze verify wants
    ExecStart to exist)."""
    (tmp_path / "sbin").mkdir()
    (tmp_path / "etc").mkdir()
    shutil.copy(DOCKGATE_BIN, tmp_path / "sbin" / "dockgate")
    shutil.copy(ENV_FILE, tmp_path / "etc" / "dockgate.env")
    unit = tmp_path / "dockgate.service"
    unit.write_text(UNIT.read_text().replace("@sbindir@", str(tmp_path / "sbin"))
                    .replace("@sysconfdir@", str(tmp_path / "etc")))
    assert "@sbindir@" not in unit.read_text() and "@sysconfdir@" not in unit.read_text()
    return unit


def test_unit_verifies(installed):
    needs("systemd-analyze")
    # --man=no: the man page is checked by test_manpage.py; here it is not
    # installed in MANPATH.
    cp = subprocess.run(["systemd-analyze", "verify", "--man=no", str(installed)],
                        capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, cp.stderr
    assert "dockgate.service" not in cp.stderr, cp.stderr


def test_unit_exposure(installed):
    """systemd's own score of the sandbox: 'OK' is below 2.0 of 10."""
    needs("systemd-analyze")
    cp = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                         str(installed)], capture_output=True, text=True, timeout=60)
    if "--offline" in cp.stderr and cp.returncode != 0:
        pytest.skip("systemd-analyze has no --offline (systemd < 250)")
    m = re.search(r"Overall exposure level for dockgate.service: ([0-9.]+)", cp.stdout)
    assert m, cp.stdout + cp.stderr
    print(f"\nsystemd-analyze security: exposure {m.group(1)}")
    assert float(m.group(1)) <= 2.0, cp.stdout
    directives = dict(unit_directives())    # each of these is set once
    assert directives["CapabilityBoundingSet"] == "" and directives["AmbientCapabilities"] == ""
    for key in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
                "MemoryDenyWriteExecute", "RestrictNamespaces", "LockPersonality",
                "ProtectKernelModules", "ProtectKernelTunables", "DynamicUser"):
        assert directives.get(key) not in (None, "no"), key
    assert directives["ProtectSystem"] == "strict"


def syscall_groups():
    """systemd's named system call sets, each expanded to plain names."""
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"],
                         capture_output=True, text=True, check=True).stdout
    raw, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = raw.setdefault(line.strip(), [])
        elif line.strip() and not line.strip().startswith("#") and cur is not None:
            cur.append(line.strip())

    def expand(name, seen=()):
        names = set()
        for item in raw.get(name, ()):
            names |= expand(item, seen + (name,)) if item.startswith("@") else {item}
        return names
    return {g: expand(g) for g in raw}


def unit_syscalls():
    """The set SystemCallFilter= lines leave allowed, applied in order as
    systemd does: the first line makes it an allowlist, later lines add
    or (with ~) remove."""
    groups = syscall_groups()
    allowed = set()
    for key, value in unit_directives():
        if key != "SystemCallFilter":
            continue
        deny = value.startswith("~")
        names = set()
        for item in value.lstrip("~").split():
            names |= groups[item] if item.startswith("@") else {item}
        allowed = allowed - names if deny else allowed | names
    return allowed


@contextlib.contextmanager
def traversable(path):
    """Lets other users search the private test directories above path
    (no listing), so that permissions on the socket itself decide."""
    d, modes = os.path.dirname(path), []
    while d not in ("/", "/tmp"):
        modes.append((d, stat.S_IMODE(os.stat(d).st_mode)))
        os.chmod(d, modes[-1][1] | 0o011)
        d = os.path.dirname(d)
    try:
        yield
    finally:
        for d, m in modes:
            os.chmod(d, m)


def runtime_dir(session_dir):
    """What RuntimeDirectory=dockgate makes: /run/dockgate, 0755, owned by
    the dynamic user."""
    d = session_dir / unique("run") / "dockgate"
    d.mkdir(parents=True)
    os.chown(d, DYNAMIC_UID, DYNAMIC_UID)
    d.chmod(0o755)
    return d


def unit_like(gid):
    """setpriv doing what the unit's DynamicUser, SupplementaryGroups=docker,
    CapabilityBoundingSet= and NoNewPrivileges=yes do."""
    needs("setpriv")
    return ["setpriv", f"--reuid={DYNAMIC_UID}", f"--regid={DYNAMIC_UID}",
            f"--groups={gid}", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]


def start_as_unit(dockerd, rundir, argv_prefix=(), **extra):
    env = {"PATH": "/usr/bin:/bin", **env_file_settings(),
           "LISTEN": f"unix://{rundir}/docker.sock", "SOCKET_PATH": dockerd.sock, **extra}
    errf = open(rundir.parent / "stderr", "w+")
    proc = subprocess.Popen([*argv_prefix, DOCKGATE_BIN], env=env, stdin=subprocess.DEVNULL,
                            stdout=errf, stderr=subprocess.STDOUT)
    wait_for(lambda: proc.poll() is not None or os.path.exists(rundir / "docker.sock"),
             10, what="the unix listener")
    # The socket appears a moment before the sandbox is complete.
    wait_for(lambda: proc.poll() is not None or "seccomp: " in
             open(rundir.parent / "stderr").read(), 10, what="the sandbox")
    assert proc.poll() is None, open(rundir.parent / "stderr").read()
    return proc, errf


def dockgate_pid(proc):
    """The dockgate process: proc itself (setpriv execs it) or, under strace,
    its child (dockgate's own child is its janitor, not dockgate)."""
    if open(f"/proc/{proc.pid}/comm").read().strip() != "strace":
        return proc.pid
    children = open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()
    return int(children[0])


def stop(proc, errf):
    os.kill(dockgate_pid(proc), signal.SIGTERM)
    rc = proc.wait(15)
    errf.seek(0)
    return rc, errf.read()


def test_unit_syscall_filter_allows_what_dockgate_calls(dockerd, busybox, session_dir):
    """Every system call of a traced run (startup, its own sandbox, requests,
    shutdown on SIGTERM) is in the unit's SystemCallFilter: otherwise
    systemd would kill it before or while it confines itself."""
    needs("systemd-analyze")
    needs("strace")
    allowed = unit_syscalls()
    for name in ("seccomp", "landlock_restrict_self", "chown", "epoll_wait", "accept4"):
        assert name in allowed, name
    for name in ("setgroups", "setresuid", "mount", "ptrace", "kexec_load"):
        assert name not in allowed, name
    rundir = runtime_dir(session_dir)
    trace = rundir.parent / "trace"
    gid = dockerd.socket_gid()
    with traversable(dockerd.sock):
        proc, errf = start_as_unit(dockerd, rundir, ["strace", "-f", "-qq", "-o", str(trace),
                                                     *unit_like(gid)])
        try:
            host = f"unix://{rundir}/docker.sock"
            cfg = dockerd.cli_config
            assert run_cli(DOCKER_CLI, host, ["ps"], config_dir=cfg).rc == 0
            assert run_cli(DOCKER_CLI, host, ["images"], config_dir=cfg).rc != 0
        finally:
            rc, out = stop(proc, errf)
    assert rc == 0, out
    used = set()
    lines = trace.read_text().splitlines()
    # setpriv stands in for systemd: count from its exec of dockgate on.
    start = next(i for i, ln in enumerate(lines) if f'execve("{DOCKGATE_BIN}"' in ln)
    for line in lines[start:]:
        m = re.match(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
        if m and m.group(1) not in ("exited", "killed"):
            used.add(m.group(1))
    assert {"execve", "seccomp", "accept4"} <= used, sorted(used)
    missing = sorted(used - allowed)
    print(f"\n{len(used)} system calls traced, all in the unit's filter" if not missing else "")
    assert not missing, f"called by dockgate but denied by the unit: {missing}"


def test_host_binary_as_the_unit_runs_it(dockerd, busybox, session_dir):
    """The static binary with the environment file's settings, started as
    the unit starts it: an unprivileged user whose only extra group is the
    daemon socket's, no capability in any set, no-new-privileges. The
    docker CLI through its socket gets what CONTAINERS=1 allows."""
    needs("setpriv")
    gid = dockerd.socket_gid()
    rundir = runtime_dir(session_dir)
    with traversable(dockerd.sock):
        proc, errf = start_as_unit(dockerd, rundir, unit_like(gid))
        try:
            sock = rundir / "docker.sock"
            st = os.stat(sock)
            assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == \
                (DYNAMIC_UID, DYNAMIC_UID, 0o660)
            status = dict(ln.split(":\t", 1) for ln in
                          open(f"/proc/{proc.pid}/status").read().splitlines() if ":\t" in ln)
            assert status["Uid"].split()[0] == str(DYNAMIC_UID), status
            assert status["Groups"].split() == [str(gid)], status
            assert int(status["CapBnd"], 16) == 0 and int(status["CapEff"], 16) == 0, status
            assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2", status

            host, cfg = f"unix://{sock}", dockerd.cli_config

            def cli(*args):
                return run_cli(DOCKER_CLI, host, args, config_dir=cfg)
            probe = unique("dgship-unit")
            keep = dockerd.run_container(name=probe)
            try:
                r = cli("ps", "--format", "{{.Names}}")
                assert r.rc == 0 and probe in r.out.split(), r
                assert cli("version").rc == 0
                before = dockerd.container_ids()
                victim = unique("dgship-denied")
                for args in (["run", "--name", victim, IMAGE, "true"],
                             ["create", "--name", victim, IMAGE],
                             ["stop", probe], ["images"], ["network", "ls"]):
                    r = cli(*args)
                    assert r.rc != 0 and "is denied" in denied_message(r.err), r
                assert not dockerd.exists(victim)
                assert dockerd.container_ids() == before
                assert dockerd.inspect(keep)["State"]["Running"]
            finally:
                dockerd.remove(keep)
        finally:
            rc, out = stop(proc, errf)
    assert rc == 0, out
    assert "running as" not in out          # it started as its final user
    assert not os.path.exists(rundir / "docker.sock"), "the socket outlived the proxy"

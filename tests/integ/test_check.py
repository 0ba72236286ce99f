"""`dockgate check`: the settings validated as a start validates them, then
what each profile grants and what it risks, without a socket or a daemon.

Most tests need no daemon: check must not ask one. The last one starts a
proxy and compares its startup line with check's report.
"""

import os
import re
import shutil
import subprocess

import pytest

from dockgate_testlib.proxy import run_dockgate_once
from dockgate_testlib.settings import DOCKGATE_BIN

NOWHERE = "/nonexistent/dockgate-check/docker.sock"


def check(env, args=()):
    """Runs `dockgate check` with env (SOCKET_PATH nowhere unless given);
    returns (rc, stdout + stderr)."""
    full = {"SOCKET_PATH": NOWHERE}
    full.update(env)
    return run_dockgate_once(full, args=("check", *args))


def operations(out):
    """{operation: (method, template, rest of line)} of a check report."""
    found = {}
    for line in out.splitlines():
        m = re.match(r"^    (\w+)\s+([A-Z*]+)\s+(\S+)\s+\((.*)\)$", line)
        if m:
            found.setdefault(m.group(1), (m.group(2), m.group(3), m.group(4)))
    return found


def warnings(out):
    return [line.strip() for line in out.splitlines() if line.startswith("  warning: ")]


def test_defaults_grant_ping_events_version():
    rc, out = check({})
    assert rc == 0, out
    assert "the settings are valid" in out
    assert "profile env: 4 operations allowed; reads only (POST=0)" in out, out
    assert set(operations(out)) == {"SystemPing", "SystemPingHead", "SystemEvents",
                                    "SystemVersion"}, out
    assert operations(out)["SystemVersion"] == ("GET", "/version", "VERSION")
    assert warnings(out) == [], out


def test_containers_reads_with_data_warnings():
    rc, out = check({"CONTAINERS": "1"})
    assert rc == 0, out
    ops = operations(out)
    assert ops["ContainerList"][:2] == ("GET", "/containers/json")
    assert "ContainerCreate" not in ops and "ContainerExec" not in ops, out
    text = "\n".join(warnings(out))
    assert ("warning: archive (ContainerArchiveInfo, ContainerArchive): files out of "
            "containers (docker cp); ALLOW_ARCHIVE=0 or CONTAINERS=0 closes it") in text, out
    for label in ("export", "logs", "top", "changes"):
        assert f"warning: {label} (" in text, out
    assert "container create" not in text


def test_containers_post_warn_of_create_and_exec():
    rc, out = check({"CONTAINERS": "1", "POST": "1", "EXEC": "1"})
    assert rc == 0, out
    text = "\n".join(warnings(out))
    assert ("warning: container create (ContainerCreate): root-equivalent: a container may "
            "bind-mount the host's / or run privileged (no body guard); POST=0 or "
            "CONTAINERS=0 closes it") in text, out
    assert "warning: exec (ContainerExec): root-equivalent" in text, out
    assert "warning: exec start (ExecStart)" in text, out
    assert "warning: archive in (PutContainerArchive)" in text, out


def test_containers_post_without_exec_denies_exec_create():
    """EXEC=0 denies the exec create (the CLI then prints the reason), so
    check lists no exec: it asks the judge, not the section."""
    rc, out = check({"CONTAINERS": "1", "POST": "1"})
    assert rc == 0, out
    assert "ContainerExec" not in operations(out), out
    assert "warning: exec" not in out


def test_lifecycle_switch_is_conditional():
    rc, out = check({"ALLOW_START": "1"})
    assert rc == 0, out
    method, tpl, rest = operations(out)["ContainerStart"]
    assert (method, tpl) == ("POST", "/containers/{name:.*}/start")
    assert rest == ("ALLOW_START; conditional: only without a body, only with its own "
                    "query parameters, not for names that span '/'"), out


def test_gate_closes_a_data_route():
    rc, out = check({"CONTAINERS": "1", "ALLOW_LOGS": "0"})
    assert rc == 0, out
    assert "ContainerLogs" not in operations(out), out
    assert "warning: logs" not in out
    # Naming one gate closes the others not set to 1, as linuxserver's image does.
    assert "ContainerArchive" not in operations(out), out


def test_profile_ping():
    rc, out = check({"PROFILE": "ping"})
    assert rc == 0, out
    assert "profile ping: 3 operations allowed" in out, out
    ops = operations(out)
    assert set(ops) == {"SystemPing", "SystemPingHead", "SystemVersion"}, out
    assert ops["SystemPing"][2] == "preset ping"


def test_profile_ping_widened_by_containers():
    rc, out = check({"PROFILE": "ping", "CONTAINERS": "1"})
    assert rc == 0, out
    ops = operations(out)
    assert ops["ContainerList"][2] == "CONTAINERS", out
    assert ops["SystemPing"][2] == "preset ping", out
    assert "SystemEvents" not in ops, "EVENTS=1 is the default: it widens nothing"


def test_flags_after_check():
    rc, out = check({}, args=("--containers", "--post=1"))
    assert rc == 0, out
    assert "ContainerCreate" in operations(out), out


@pytest.mark.parametrize("env,args", [
    ({"CONTAINERS": "maybe"}, ()),
    ({"PROFILE": "nosuchpreset"}, ()),
    ({"LISTEN": "ftp://127.0.0.1:1"}, ()),
    ({}, ("--no-such-flag",)),
])
def test_bad_setting_exits_2_with_the_startup_message(env, args):
    rc, out = check(env, args)
    assert rc == 2, out
    start_rc, start_out = run_dockgate_once({"SOCKET_PATH": NOWHERE, **env}, args=args)
    assert start_rc == 2, start_out
    assert out == start_out, "check must say exactly what startup says"
    assert "the settings are valid" not in out


def test_check_opens_no_socket_and_asks_no_daemon(tmp_path):
    """Listeners named but not created, SOCKET_PATH nowhere, and no
    socket system call at all (strace, when there is one)."""
    sock = tmp_path / "listen.sock"
    env = {"LISTEN": f"unix://{sock},tcp://127.0.0.1:1", "CONTAINERS": "1"}
    rc, out = check(env)
    assert rc == 0, out
    assert not sock.exists()
    strace = shutil.which("strace")
    if strace is None or os.environ.get("DGTEST_DIRECT"):
        return
    trace = tmp_path / "trace"
    # LeakSanitizer cannot run under ptrace; the run above checked leaks.
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SOCKET_PATH": NOWHERE,
            "ASAN_OPTIONS": "detect_leaks=0", **env}
    cp = subprocess.run([strace, "-f", "-qq", "-o", str(trace), "-e",
                         "trace=socket,connect,bind,listen", DOCKGATE_BIN, "check"],
                        env=full, capture_output=True, text=True, timeout=30)
    if cp.returncode != 0 and "ptrace" in cp.stderr:
        pytest.skip(f"strace cannot trace here: {cp.stderr.strip()}")
    assert cp.returncode == 0, cp.stderr
    calls = [line for line in trace.read_text().splitlines()
             if re.search(r"\b(socket|connect|bind|listen)\(", line)]
    assert calls == [], calls


def test_startup_line_is_checks_summary(proxy):
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    p = proxy(CONTAINERS="1")
    rc, out = check({"CONTAINERS": "1"})
    assert rc == 0, out
    n = len(operations(out))
    line = next((l for l in p.stderr().splitlines() if "policy: profile env:" in l), None)
    assert line is not None, p.stderr()[-4000:]
    assert f"policy: profile env: {n} operations in containers, _ping, events, version; " \
           f"warnings: archive (files out of containers (docker cp); ALLOW_ARCHIVE=0 or " \
           f"CONTAINERS=0 closes it)" in line, line


POLICY = """\
version: 1
profiles:
  watcher:
    allow:
      - ContainerList
      - GET /containers/{id}/logs
  builder:
    extends: watcher
    allow:
      - ImageBuild
"""


def without_time(out):
    """The log's lines without their timestamps, which differ run to run."""
    return re.sub(r"^\d{4}-\d\d-\d\dT[\d:.]+Z ", "", out, flags=re.M)


def test_policy_file_profiles(tmp_path):
    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY)
    rc, out = check({}, args=("--policy", str(policy)))
    assert rc == 0, out
    assert "profile env: 4 operations allowed" in out, out
    assert "profile watcher: 2 operations allowed" in out, out
    assert "profile builder: 3 operations allowed" in out, out
    assert ("warning: logs (ContainerLogs): leaks what containers print (tokens, passwords); "
            "denying it in a policy file profile (policy.yml:6:9 allows it) closes it") in out
    assert "warning: build (ImageBuild): root-equivalent" in out, out


def test_bad_policy_file_exits_2_as_startup(tmp_path):
    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY.replace("ImageBuild", "NoSuchOperation"))
    rc, out = check({}, args=("--policy", str(policy)))
    assert rc == 2, out
    assert "policy.yml:10:9:" in out, out
    start_rc, start_out = run_dockgate_once({"SOCKET_PATH": NOWHERE},
                                            args=("--policy", str(policy)))
    assert start_rc == 2, start_out
    assert without_time(out) == without_time(start_out), "check must say what startup says"

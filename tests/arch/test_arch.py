"""Every architecture's static binary: the right ELF machine, --version and
--help, and a smoke run in front of the real dockerd (ping allowed, create
denied, nothing created).

Where the binary runs natively (amd64, and i386 on an x86-64 kernel with
32-bit compatibility) the sandbox is the real one: seccomp's filter is
loaded for the binary's own audit architecture, and a filter built for the
wrong one would stop the process at its next system call.

Under qemu-user neither seccomp nor Landlock can be tried: qemu refuses to
load a filter (it would filter qemu's own calls) and does not know the
Landlock calls. There the tests check instead that dockgate refuses to
start when its filter cannot be loaded, and that every system call the
emulated binary makes after startup (qemu's -strace) is one the filter in
src/syscalls.def names, spelled as that architecture's kernel spells it.
"""

import os
import re
import signal
import socket
import subprocess
import time

import pytest

from arch_table import arch_qemu
from dockgate_testlib.daemon import IMAGE, denied_message, run_cli, unique
from dockgate_testlib.net import free_port, wait_for
from dockgate_testlib.settings import DOCKER_CLI, REPO

ARCH_QEMU = arch_qemu()

# ELF e_machine of each architecture's binary.
ELF_MACHINE = {"amd64": 62, "arm64": 183, "armhf": 40, "i386": 3, "ppc64el": 21, "s390x": 22}
ARCHES = sorted(ARCH_QEMU)


def binary(arch):
    path = REPO / "dist" / arch / "rootfs" / "dockgate"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run scripts/build-static.sh --arch all")
    return str(path)


def elf_machine(path):
    with open(path, "rb") as f:
        head = f.read(20)
    assert head[:4] == b"\x7fELF", path
    order = "little" if head[5] == 1 else "big"
    return int.from_bytes(head[18:20], order)


_native_cache = {}


def runs_natively(arch):
    """Whether this kernel executes the binary itself (no binfmt_misc here:
    a foreign binary fails with ENOEXEC)."""
    if arch not in _native_cache:
        try:
            cp = subprocess.run([binary(arch), "--version"], capture_output=True, timeout=10)
            _native_cache[arch] = cp.returncode == 0
        except OSError:
            _native_cache[arch] = False
    return _native_cache[arch]


def argv(arch, *args, strace_log=None):
    if runs_natively(arch):
        return [binary(arch), *args]
    qemu = [f"qemu-{ARCH_QEMU[arch]}-static"]
    if strace_log:
        qemu += ["-strace", "-D", str(strace_log)]
    return [*qemu, binary(arch), *args]


@pytest.mark.parametrize("arch", ARCHES)
def test_version_and_help(arch):
    assert elf_machine(binary(arch)) == ELF_MACHINE[arch]
    v = subprocess.run(argv(arch, "--version"), capture_output=True, text=True, timeout=30)
    assert v.returncode == 0, v.stderr
    assert re.match(r"dockgate \d+\.\d+\.\d+ \(.*static.*seccomp", v.stdout), v.stdout
    h = subprocess.run(argv(arch, "--help"), capture_output=True, text=True, timeout=30)
    assert h.returncode == 0, h.stderr
    for setting in ("CONTAINERS", "SOCKET_PATH", "LISTEN", "SECCOMP"):
        assert setting in h.stdout, f"--help of {arch} does not mention {setting}"


def http_get(port, target):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data.decode(errors="replace")


def start(arch, dockerd, session_dir, env=(), strace_log=None):
    """dockgate for ARCH with a TCP listener and a unix one (whose file the
    janitor process removes at exit, under its own seccomp filter)."""
    port = free_port()
    unix = session_dir / f"arch-{arch}-{port}.sock"
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SOCKET_PATH": dockerd.sock,
            "LISTEN": f"tcp://127.0.0.1:{port},unix://{unix}", "LOG_LEVEL": "debug",
            "DGTEST_SESSION": str(session_dir)}
    full.update(env)
    errpath = session_dir / f"arch-{arch}-{port}.stderr"
    errf = open(errpath, "wb")
    proc = subprocess.Popen(argv(arch, strace_log=strace_log), env=full,
                            stdin=subprocess.DEVNULL, stdout=errf, stderr=subprocess.STDOUT)
    errf.close()

    def listening():
        if proc.poll() is not None:
            pytest.fail(f"{arch}: dockgate exited with {proc.returncode}:\n"
                        f"{errpath.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False
    wait_for(listening, 30, 0.05, f"{arch} dockgate to listen")
    wait_for(unix.exists, 10, 0.05, f"{arch} unix listener")
    return proc, port, unix, errpath


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        return None


def allowlist_names():
    """Every system call name the filters allow: the rows of
    src/syscalls.def, the one list sandbox.c builds them from."""
    text = (REPO / "src" / "syscalls.def").read_text()
    names = set(re.findall(r"^SANDBOX_(?:PROXY|JANITOR)_CALL(?:_IF)?\((\w+)", text, re.M))
    assert {"read", "write", "epoll_ctl"} <= names, "no seccomp allowlist in src/syscalls.def"
    return names


SOCKETCALLS = dict(enumerate(
    ("socket bind connect listen accept getsockname getpeername socketpair send recv "
     "sendto recvfrom shutdown setsockopt getsockopt sendmsg recvmsg accept4 recvmmsg "
     "sendmmsg").split(), start=1))


def calls_after_sandbox(strace_log):
    """System call names in qemu's -strace log after PR_SET_NO_NEW_PRIVS
    (prctl 38), the first step of sandbox_restrict(), less the Landlock
    calls that step makes before seccomp would be loaded (qemu knows them
    only by number: 444-446)."""
    lines = strace_log.read_text(errors="replace").splitlines()
    start = next((i for i, l in enumerate(lines) if re.match(r"\d+ prctl\(38,1,", l)), None)
    assert start is not None, "no PR_SET_NO_NEW_PRIVS in the strace log"
    names = set()
    for line in lines[start + 1:]:
        sub = re.match(r"\d+ socketcall\((\d+),", line)
        m = re.match(r"\d+ (\w+)\(", line)
        if sub:
            # socketcall(call, ...) as s390x's glibc makes it (linux/net.h
            # numbers): libseccomp allows it for each socket call named.
            names.add(SOCKETCALLS.get(int(sub.group(1)), line))
        elif m:
            # qemu spells the calls it decodes from socketcall in capitals.
            names.add(m.group(1).lower())
        elif re.match(r"\d+ Unknown syscall 44[456]$", line):
            continue
        elif re.match(r"\d+ Unknown syscall", line):
            names.add(line.split(" ", 1)[1])
    return names


@pytest.mark.parametrize("arch", ARCHES)
def test_smoke(arch, dockerd, busybox, session_dir):
    """Ping allowed, create denied and nothing created; a clean stop."""
    native = runs_natively(arch)
    strace_log = None if native else session_dir / f"arch-{arch}.strace"
    env = {} if native else {"SECCOMP": "0"}
    victim = unique("dgarch")
    proc, port, unix, errpath = start(arch, dockerd, session_dir, env, strace_log)
    try:
        ping = http_get(port, "/_ping")
        assert ping.startswith("HTTP/1.1 200") and ping.endswith("OK"), ping
        r = run_cli(DOCKER_CLI, f"tcp://127.0.0.1:{port}",
                          ("create", "--name", victim, IMAGE), timeout=60,
                          config_dir=str(session_dir / "cliconf"))
        assert r.rc != 0, r
        msg = denied_message(r.err)
        assert msg.startswith("dockgate:") and "is denied" in msg, r
        listed = http_get(port, "/containers/json")
        assert listed.startswith("HTTP/1.1 403"), listed
    finally:
        rc = stop(proc)
    log = errpath.read_text(errors="replace")
    assert rc == 0, f"{arch}: exit status {rc} after SIGTERM:\n{log}"
    status, _ = dockerd.api("GET", f"/containers/{victim}/json")[:2]
    assert status == 404, f"{arch}: the denied create made a container"
    # The janitor (a child under its own filter) removed the socket file.
    wait_for(lambda: not unix.exists(), 10, 0.05, f"{arch}: janitor to remove {unix}")
    if native:
        # The filter was loaded for this binary's audit architecture and
        # every call it made since was allowed: it is still alive.
        assert re.search(r"seccomp: \d+ system calls allowed", log), log
        return
    extra = calls_after_sandbox(strace_log) - allowlist_names()
    # socket/openat/fcntl/mmap/mprotect are in the filter with argument
    # conditions (SCMP_SYS too, so already in the names).
    assert not extra, (f"{arch}: system calls made after startup that the seccomp "
                       f"allowlist does not name: {sorted(extra)}")


@pytest.mark.parametrize("arch", [a for a in ARCHES if a not in ("amd64",)])
def test_emulated_seccomp_fails_closed(arch, dockerd, session_dir):
    """Where the filter cannot be loaded (qemu-user), dockgate does not run
    unconfined: it says so and exits non-zero."""
    if runs_natively(arch):
        pytest.skip(f"{arch} runs natively here: its filter loads (test_smoke)")
    full = {"PATH": os.environ.get("PATH", ""), "SOCKET_PATH": dockerd.sock,
            "LISTEN": f"tcp://127.0.0.1:{free_port()}"}
    cp = subprocess.run(argv(arch), env=full, capture_output=True, text=True, timeout=60,
                        stdin=subprocess.DEVNULL)
    assert cp.returncode != 0, cp.stderr
    assert re.search(r"err seccomp: cannot \w+ the filter", cp.stderr), cp.stderr

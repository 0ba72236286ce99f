"""Least privilege: the user switch, REFUSE_ROOT, no-new-privs, seccomp, Landlock.

Each test reads the proxy's own /proc status, so a setting that silently did
nothing fails, and checks the proxy still serves afterwards."""

import grp
import importlib.util
import os
import pwd
import re
import stat
import subprocess
import sys

import pytest

from dockgate_testlib.net import wait_for
from dockgate_testlib.proxy import needs_real_proxy, run_dockgate_once
from dockgate_testlib.settings import REPO

PING = b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def settled(p):
    """Waits for the last line of startup: the listeners accept a moment
    before the user switch and the sandbox are complete."""
    wait_for(lambda: "seccomp: " in p.stderr(), 5, 0.02, "the sandbox to be in place")
    return p


def sanitizer_build():
    return "asan" in os.environ.get("DOCKGATE_BIN", "")


def test_defaults_no_new_privs_and_seccomp(proxy):
    needs_real_proxy()
    p = settled(proxy(CONTAINERS=1))
    st = status(p.proc.pid)
    assert st["NoNewPrivs"] == "1"
    if sanitizer_build():
        assert st["Seccomp"] == "0", "the sanitizer build runs without the filter"
    else:
        assert st["Seccomp"] == "2", "seccomp filter not installed by default"
    # Every kind of work still passes the filter: a forwarded request, a
    # denial, a malformed request and a reconnect to the daemon.
    assert p.request(PING).status == 200
    assert p.request(b"POST /containers/create HTTP/1.1\r\nHost: x\r\n\r\n").status == 403
    assert p.request(b"get / HTTP/1.1\r\n\r\n").status == 400
    r = p.docker("ps")
    assert r.rc == 0, r
    assert p.alive(), p.stderr()


def _syscalls_def():
    """scripts/gen-security.py's reading of src/syscalls.def."""
    spec = importlib.util.spec_from_file_location("gen_security",
                                                  REPO / "scripts" / "gen-security.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.read_calls(), mod.distinct_names


def test_seccomp_counts_what_it_installs(proxy):
    """The startup line counts the system calls of the filter: each call of
    src/syscalls.def's proxy list once, those allowed only with some
    arguments too (it once left one of them out)."""
    needs_real_proxy()
    if sanitizer_build():
        pytest.skip("the sanitizer build runs without the filter")
    calls, distinct_names = _syscalls_def()
    p = settled(proxy())
    m = re.search(r"seccomp: (\d+) system calls allowed", p.stderr())
    assert m, p.stderr()
    assert int(m.group(1)) == len(distinct_names(calls["proxy"])), p.stderr()


def test_security_md_lists_the_filters():
    """SECURITY.md's lists of allowed system calls say what syscalls.def
    does (scripts/gen-security.py writes them; meson test runs this too)."""
    cp = subprocess.run([sys.executable, str(REPO / "scripts" / "gen-security.py"), "--check"],
                        capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0, cp.stderr


def test_seccomp_can_be_turned_off(proxy):
    needs_real_proxy()
    p = settled(proxy(SECCOMP=0))
    assert status(p.proc.pid)["Seccomp"] == "0"
    assert p.request(PING).status == 200


def test_run_user_and_group(proxy, dockerd, session_dir):
    """RUN_USER=nobody RUN_GROUP=<the daemon socket's group>: the process
    really switches, the unix listener was still created as configured, and
    the daemon is reachable through its group."""
    needs_real_proxy()
    sock_gid = os.stat(dockerd.sock).st_gid
    nobody = pwd.getpwnam("nobody").pw_uid
    lst = str(session_dir / "dropped.sock")
    # The test daemon lives in private temp dirs: let others traverse them
    # (search only, no listing) so that the socket's group is what decides.
    d, modes = os.path.dirname(dockerd.sock), []
    while d not in ("/", "/tmp"):
        modes.append((d, stat.S_IMODE(os.stat(d).st_mode)))
        os.chmod(d, modes[-1][1] | 0o011)
        d = os.path.dirname(d)
    try:
        _check_dropped(proxy, lst, sock_gid, nobody)
    finally:
        for d, m in modes:
            os.chmod(d, m)


def _check_dropped(proxy, lst, sock_gid, nobody):
    p = settled(proxy(listen=f"unix://{lst}", RUN_USER="nobody", RUN_GROUP=str(sock_gid),
                      LISTEN_GROUP=str(sock_gid)))
    st = status(p.proc.pid)
    assert st["Uid"].split() == [str(nobody)] * 4, st["Uid"]
    assert st["Gid"].split() == [str(sock_gid)] * 4, st["Gid"]
    assert st["Groups"].split() == [str(sock_gid)], st["Groups"]
    info = os.stat(lst)
    assert info.st_gid == sock_gid and stat.S_IMODE(info.st_mode) == 0o660
    rsp = p.request(PING, via="unix")
    assert (rsp.status, rsp.body) == (200, b"OK")


def test_refuse_root_stops_startup(dockerd):
    needs_real_proxy()
    rc, out = run_dockgate_once({"SOCKET_PATH": dockerd.sock, "LISTEN": "tcp://127.0.0.1:1",
                                 "REFUSE_ROOT": "1"})
    assert rc == 2, out
    assert "REFUSE_ROOT" in out and "RUN_USER" in out, out


def test_refuse_root_with_run_user_serves(proxy):
    needs_real_proxy()
    p = settled(proxy(REFUSE_ROOT=1, RUN_USER="nobody", RUN_GROUP="nogroup"))
    assert status(p.proc.pid)["Uid"].split()[0] == str(pwd.getpwnam("nobody").pw_uid)
    assert p.request(PING).status in (200, 502)   # nobody may not reach the daemon socket


def test_unknown_run_user_is_a_settings_error(dockerd):
    needs_real_proxy()
    rc, out = run_dockgate_once({"SOCKET_PATH": dockerd.sock, "LISTEN": "tcp://127.0.0.1:1",
                                 "RUN_USER": "no-such-user-dgtest"})
    assert rc == 2, out
    assert "RUN_USER" in out, out


def test_landlock_blocks_new_files(proxy):
    """With Landlock on, the proxy cannot open files beyond /dev/null: we see it
    from outside as the kernel's report in the log line (or its absence
    reported once where the kernel lacks Landlock)."""
    needs_real_proxy()
    p = proxy()
    # The listeners accept a moment before the sandbox is complete.
    err = wait_for(lambda: "landlock: " in p.stderr() and p.stderr(), 5, 0.02, "landlock")
    assert "landlock: " in err, err
    off = proxy(LANDLOCK=0)
    assert "landlock: " not in off.stderr()
    assert off.request(PING).status == 200

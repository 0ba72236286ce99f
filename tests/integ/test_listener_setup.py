"""The unix listener's file: made without following names, in a directory
only root and dockgate's user can write, replacing only a provably stale
socket, removed at exit only while it is still dockgate's; and what does
not stop dockgate (signals other than SIGTERM/SIGINT, a client holding its
uid's connection bucket against the health probe).

The races run against the real file system with a real racing process of
another uid; nothing here needs the daemon except the health probe, which
wants a 200 from /_ping."""

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from dockgate_testlib.net import free_port, wait_for
from dockgate_testlib.proxy import SANITIZER_MARKERS, compile_c, needs_real_proxy, run_dockgate_once
from dockgate_testlib.rawhttp import RawConn
from dockgate_testlib.settings import DOCKGATE_BIN

NOBODY = 65534
PING = b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"

# Exchanges "link" and "dg.sock" in the directory it is given, as fast as it
# can, as uid/gid 65534: the attack on bind-then-chmod/chown by name.
RACER_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	if (argc != 2 || setgid(65534) || setuid(65534) || chdir(argv[1]))
		return 1;
	for (;;)
		renameat2(AT_FDCWD, "link", AT_FDCWD, "dg.sock", RENAME_EXCHANGE);
}
"""


@pytest.fixture
def world_tmp():
    """A directory others may traverse (the session directory is 0700)."""
    d = Path(tempfile.mkdtemp(prefix="dgt-ls-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def owned_dir(parent, name, uid=0, gid=0, mode=0o755):
    d = parent / name
    d.mkdir()
    os.chown(d, uid, gid)
    d.chmod(mode)
    return d


def start(env, user=None):
    """Starts dockgate (not through the proxy fixture: these tests need the
    exit status and files of runs that must fail). Returns the Popen;
    stderr goes to a file next to nothing the test looks at."""
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOG_LEVEL": "notice",
            "SOCKET_PATH": "/nonexistent/docker.sock"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            full[k] = os.environ[k]
    full.update({k: str(v) for k, v in env.items()})
    pre = None
    if user is not None:
        def pre():
            os.setgroups([])
            os.setgid(user)
            os.setuid(user)
    return subprocess.Popen([DOCKGATE_BIN], env=full, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=pre)


def wait_listening(proc, path, timeout=10):
    """True once path accepts a stream connection, False if proc exited."""
    def ready():
        if proc.poll() is not None:
            return "exited"
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(0.5)
                s.connect(str(path))
            return "up"
        except OSError:
            return None
    return wait_for(ready, timeout, 0.01, "dockgate to listen or exit") == "up"


def stop(proc, timeout=15):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise AssertionError(f"dockgate did not stop on SIGTERM: {out[-2000:]!r}")
    text = out.decode(errors="replace")
    for m in SANITIZER_MARKERS:
        assert m not in text, text[-4000:]
    return proc.returncode, text


def ident(path):
    st = os.lstat(path)
    return (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), st.st_ino)


# --------------------------------------------------------------------------
# the symlink race on mode and owner
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def racer(tmp_path_factory):
    exe = compile_c(tmp_path_factory.mktemp("racer"), "racer", RACER_C)
    exe.chmod(0o755)
    return exe


@pytest.mark.parametrize("env,target_mode", [
    ({"LISTEN_OWNER": NOBODY, "RUN_USER": NOBODY}, 0o600),
    ({"LISTEN_GROUP": 4242, "RUN_USER": NOBODY}, 0o640),
], ids=["owner", "group"])
def test_racing_symlink_never_redirects_chmod_or_chown(world_tmp, racer, env, target_mode):
    """The README's layout: the directory belongs to 65534, dockgate starts
    as root and serves as 65534. A process of uid 65534 swaps a symlink to a
    root file with the socket's name as fast as it can, during 30 starts.
    The root file's owner, group and mode never change, and dockgate
    still comes up."""
    needs_real_proxy()
    secret = world_tmp / "secret"
    secret.write_text("root only\n")
    secret.chmod(target_mode)
    before = ident(secret)
    d = owned_dir(world_tmp, "dg", NOBODY, NOBODY)
    sock = d / "dg.sock"
    starts, up = 30, 0
    for i in range(starts):
        for entry in d.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        (d / "link").symlink_to(secret)
        race = subprocess.Popen([str(racer), str(d)])
        try:
            proc = start({"LISTEN": f"unix://{sock}", **env})
            try:
                wait_for(lambda: proc.poll() is not None or any(
                    os.path.lexists(d / n) and stat.S_ISSOCK(os.lstat(d / n).st_mode)
                    for n in ("dg.sock", "link")), 10, 0.005, "the socket")
                time.sleep(0.05)
            finally:
                rc, out = stop(proc)
        finally:
            race.kill()
            race.wait()
        up += "listening on" in out
        assert ident(secret) == before, (
            f"start {i + 1}: the root file changed from {before} to {ident(secret)}; "
            f"dockgate said:\n{out[-1500:]}")
    assert up >= starts * 2 // 3, f"dockgate came up in only {up} of {starts} starts"


# --------------------------------------------------------------------------
# who may write the listener's directory
# --------------------------------------------------------------------------

@pytest.mark.parametrize("uid,gid,mode,who", [
    (1234, 0, 0o755, "its owner"),
    (0, 4242, 0o775, "its group"),
    (0, 0, 0o777, "everybody"),
    (0, 0, 0o1777, "everybody"),
], ids=["other-owner", "other-group", "world", "world-sticky"])
def test_directory_writable_by_others_is_refused(world_tmp, uid, gid, mode, who):
    needs_real_proxy()
    d = owned_dir(world_tmp, "dir", uid, gid, mode)
    path = d / "dg.sock"
    rc, out = run_dockgate_once({"SOCKET_PATH": "/nonexistent", "LISTEN": f"unix://{path}",
                                 "RUN_USER": NOBODY})
    assert rc == 1, out
    for part in ("LISTEN", str(d), f"owner {uid}", f"group {gid}", f"mode {mode:04o}", who):
        assert part in out, f"{part!r} missing from {out!r}"
    assert list(d.iterdir()) == [], "a refused directory got a file"


def test_directory_the_user_cannot_write_is_explained(world_tmp):
    """After a reboot /run is a new tmpfs and Docker makes the bind-mounted
    directory again, root-owned: the image's user (65534) cannot create its
    socket there. The error names the directory, its owner and mode, the
    uid dockgate runs as, and what keeps the directory right after reboots."""
    needs_real_proxy()
    d = owned_dir(world_tmp, "dir", 0, 0, 0o755)
    path = d / "dg.sock"
    proc = start({"LISTEN": f"unix://{path}"}, user=NOBODY)
    proc.wait(10)
    rc, out = stop(proc)
    assert rc == 1, out
    for part in (f"LISTEN: unix://{path}", f"directory {d}", "owner 0, group 0, mode 0755",
                 f"as uid {NOBODY} gid {NOBODY}", "Permission denied",
                 f"install -d -o {NOBODY}", "tmpfiles.d"):
        assert part in out, f"{part!r} missing from {out!r}"
    assert list(d.iterdir()) == []


@pytest.mark.parametrize("uid,gid,mode,env,user", [
    (0, 0, 0o755, {}, None),
    (0, 0, 0o775, {}, None),                                     # root's group
    (NOBODY, NOBODY, 0o755, {"RUN_USER": NOBODY}, None),         # the README's layout
    (NOBODY, NOBODY, 0o775, {"RUN_USER": NOBODY}, None),         # the final user's group
    (NOBODY, NOBODY, 0o755, {}, NOBODY),                         # the image: started as 65534
    (1234, 0, 0o755, {"LISTEN_OWNER": 1234}, None),              # the socket's owner
], ids=["root", "root-group", "final-user", "final-group", "started-as-user", "listen-owner"])
def test_trusted_directories_serve(world_tmp, uid, gid, mode, env, user):
    needs_real_proxy()
    d = owned_dir(world_tmp, "dir", uid, gid, mode)
    path = d / "dg.sock"
    proc = start({"LISTEN": f"unix://{path}", **env}, user=user)
    try:
        assert wait_listening(proc, path), proc.communicate()[0]
        # The socket is published by a rename and the private directory
        # removed just after: a client can connect in between.
        wait_for(lambda: sorted(os.listdir(d)) == ["dg.sock"], 5, 0.01,
                 "the private directory to go (it was left)")
        assert stat.S_IMODE(os.lstat(path).st_mode) == 0o660
    finally:
        rc, out = stop(proc)
    assert rc == 0, out
    assert not path.exists(), "the socket outlived the proxy"


# --------------------------------------------------------------------------
# only a provably stale socket is replaced
# --------------------------------------------------------------------------

def _dgram(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    return s


def _seqpacket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(str(path))
    s.listen(8)
    return s


def _bound_stream(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))            # between bind() and listen(), as any server is
    return s


def _still_served(kind, s, path):
    if kind == "dgram":
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as c:
            c.sendto(b"x", str(path))
        return s.recv(8) == b"x"
    if kind == "bound":
        s.listen(8)
    typ = socket.SOCK_SEQPACKET if kind == "seqpacket" else socket.SOCK_STREAM
    with socket.socket(socket.AF_UNIX, typ) as c:
        c.connect(str(path))
    return True


@pytest.mark.parametrize("kind,make", [("dgram", _dgram), ("seqpacket", _seqpacket),
                                       ("bound", _bound_stream)])
def test_live_socket_of_another_kind_survives_startup(world_tmp, kind, make):
    needs_real_proxy()
    path = world_tmp / "live.sock"
    s = make(path)
    try:
        ino = os.lstat(path).st_ino
        rc, out = run_dockgate_once({"SOCKET_PATH": "/nonexistent", "LISTEN": f"unix://{path}"})
        assert rc == 1, out
        assert "not replacing it" in out, out
        assert os.lstat(path).st_ino == ino, "the live socket was replaced"
        assert _still_served(kind, s, path)
    finally:
        s.close()


def test_full_backlog_is_refused_not_waited_for(world_tmp):
    needs_real_proxy()
    path = world_tmp / "busy.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(0)
    clients = []
    try:
        while True:              # fill the queue: nobody ever accepts
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.setblocking(False)
            clients.append(c)
            try:
                c.connect(str(path))
            except BlockingIOError:
                break
        t0 = time.monotonic()
        rc, out = run_dockgate_once({"SOCKET_PATH": "/nonexistent", "LISTEN": f"unix://{path}"},
                                    timeout=5)
        assert time.monotonic() - t0 < 3, "startup waited on the full queue"
        assert rc == 1 and "listen queue is full" in out, out
        assert path.exists()
    finally:
        for c in clients:
            c.close()
        srv.close()


def test_non_socket_is_refused(world_tmp):
    needs_real_proxy()
    path = world_tmp / "file.sock"
    path.write_text("keep me")
    rc, out = run_dockgate_once({"SOCKET_PATH": "/nonexistent", "LISTEN": f"unix://{path}"})
    assert rc == 1 and "not a socket" in out, out
    assert path.read_text() == "keep me"


def test_stale_socket_is_replaced(world_tmp):
    needs_real_proxy()
    path = world_tmp / "stale.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(path))     # what a killed dockgate leaves
    proc = start({"LISTEN": f"unix://{path}"})
    try:
        assert wait_listening(proc, path), proc.communicate()[0]
    finally:
        rc, out = stop(proc)
    assert rc == 0 and "replaced a stale socket" in out, out


def test_exit_leaves_another_instances_socket(world_tmp):
    """While dockgate runs, another server takes the name (say, a second
    instance after removing ours). Stopping the first must not remove the
    second one's socket."""
    needs_real_proxy()
    path = world_tmp / "dg.sock"
    proc = start({"LISTEN": f"unix://{path}"})
    other = None
    try:
        assert wait_listening(proc, path), proc.communicate()[0]
        os.unlink(path)
        other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        other.bind(str(path))
        other.listen(8)
        ino = os.lstat(path).st_ino
        rc, out = stop(proc)
        assert rc == 0, out
        assert os.lstat(path).st_ino == ino, "dockgate removed another server's socket"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.connect(str(path))
    finally:
        if proc.poll() is None:
            stop(proc)
        if other is not None:
            other.close()


# --------------------------------------------------------------------------
# signals
# --------------------------------------------------------------------------

def test_other_signals_do_not_stop_dockgate(proxy):
    needs_real_proxy()
    p = proxy()
    for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM):
        p.proc.send_signal(sig)
        time.sleep(0.2)
        assert p.alive(), f"{sig.name} stopped dockgate:\n{p.stderr()[-1500:]}"
        assert p.request(PING, via="unix").status == 200
    # SIGHUP reloads POLICY_FILE; without one there is nothing to reload.
    assert p.stderr().count("ignored") >= 3, p.stderr()[-1500:]
    assert "nothing to reload: no POLICY_FILE is set" in p.stderr(), p.stderr()[-1500:]
    # SIGTERM still drains: a request in flight (half its head sent) is
    # answered, then the socket file goes.
    c = p.connect(via="unix")
    try:
        c.send(PING[:20])
        time.sleep(0.2)
        p.expected_exit = True
        p.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        c.send(PING[20:])
        rsp = c.read_response(timeout=10)
        assert rsp.status == 200
    finally:
        c.close()
    assert p.proc.wait(15) == 0, p.stderr()[-2000:]
    assert not os.path.exists(p.unix), "the socket outlived the proxy"


# --------------------------------------------------------------------------
# the health probe and the per-uid bucket
# --------------------------------------------------------------------------

def refused(p):
    """A unix connection over the limit gets a 503 at once, before any request
    (sending one could meet the close)."""
    c = p.connect(via="unix")
    try:
        return c.read_response(timeout=5).status == 503
    finally:
        c.close()


def test_healthcheck_passes_while_a_client_of_its_uid_holds_the_bucket(proxy, session_dir):
    """Every unix client of one uid shares one bucket of
    MAX_CONNECTIONS_PER_CLIENT connections. A root client holding all of
    them gets 503 for one more, but the health probe (also root) has a
    bucket of its own and still passes."""
    needs_real_proxy()
    path = session_dir / f"health-{free_port()}.sock"
    p = proxy(listen=f"unix://{path},tcp://127.0.0.1:{free_port()}",
              MAX_CONNECTIONS_PER_CLIENT=3, PING=1)
    time.sleep(0.5)              # the fixture's readiness probes are released
    held = [p.connect(via="unix") for _ in range(3)]
    try:
        for c in held:           # each is really accepted and counted
            c.send(PING)
            assert c.read_response().status == 200
        assert refused(p)
        for _ in range(3):
            cp = subprocess.run([DOCKGATE_BIN, "--healthcheck"], env=p.full_env,
                                capture_output=True, text=True, timeout=10)
            assert cp.returncode == 0, cp.stderr
        assert refused(p), "the probe's bucket leaked"
    finally:
        for c in held:
            c.close()


def _probe_named(path, tag):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(f"\0dockgate-healthcheck-test{os.getpid()}-{tag}")
    s.settimeout(10)
    s.connect(str(path))
    return RawConn(s)


def test_health_bucket_is_small(proxy, session_dir):
    """Anyone can bind the probe's abstract name: it buys two connections
    per uid beyond the uid's normal bucket, no more (a probe that finds the
    probe bucket full is counted in the normal one)."""
    needs_real_proxy()
    path = session_dir / f"hb-{free_port()}.sock"
    p = proxy(listen=f"unix://{path}", MAX_CONNECTIONS_PER_CLIENT=1, PING=1)
    time.sleep(0.5)
    conns = []
    try:
        for i in range(4):
            conns.append(_probe_named(path, i))
        for c in conns[:3]:
            c.send(PING)
        got = [c.read_response().status for c in conns]
        assert got == [200, 200, 200, 503], got
        assert refused(p), "an unnamed client of the uid got past the full bucket"
    finally:
        for c in conns:
            c.close()


def test_healthcheck_passes_while_its_name_holds_the_probe_bucket(proxy, session_dir):
    """A process of root's uid binds two abstract names starting with the
    probe's prefix and holds both probe slots: the real probe must still
    pass, counted in the uid's normal bucket."""
    needs_real_proxy()
    path = session_dir / f"hp-{free_port()}.sock"
    p = proxy(listen=f"unix://{path},tcp://127.0.0.1:{free_port()}",
              MAX_CONNECTIONS_PER_CLIENT=2, PING=1)
    time.sleep(0.5)
    held = [_probe_named(path, i) for i in range(2)]
    try:
        for c in held:
            c.send(PING)
            assert c.read_response().status == 200
        for _ in range(3):
            cp = subprocess.run([DOCKGATE_BIN, "--healthcheck"], env=p.full_env,
                                capture_output=True, text=True, timeout=10)
            assert cp.returncode == 0, cp.stderr
    finally:
        for c in held:
            c.close()


# --------------------------------------------------------------------------
# who may remove files
# --------------------------------------------------------------------------

def _children(pid):
    try:
        return [int(x) for x in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []


def _status(pid):
    return dict(ln.split(":\t", 1) for ln in open(f"/proc/{pid}/status").read().splitlines()
                if ":\t" in ln)


def test_only_the_janitor_may_remove_the_listener_file(world_tmp):
    """The serving process gets no right to remove files (Landlock grants it
    none, seccomp has no unlink); one confined child, which reads nothing
    but an end-of-file, removes the socket file at exit, even when the
    proxy is killed outright."""
    needs_real_proxy()
    path = world_tmp / "dg.sock"
    proc = start({"LISTEN": f"unix://{path}"})
    try:
        assert wait_listening(proc, path)
        kids = wait_for(lambda: _children(proc.pid), 5, 0.02, "the janitor")
        assert len(kids) == 1, kids
        want = "0" if "asan" in DOCKGATE_BIN else "2"   # no seccomp under sanitizers
        wait_for(lambda: _status(kids[0])["Seccomp"].strip() == want and
                 _status(kids[0])["NoNewPrivs"].strip() == "1", 5, 0.02,
                 "the janitor to confine itself")
        # The janitor holds only the stdio (and the log's copy of stderr),
        # its end of the pair and the listener directory: no listening
        # socket, no client, no daemon.
        err = os.readlink(f"/proc/{kids[0]}/fd/2")
        held = sorted(os.readlink(f"/proc/{kids[0]}/fd/{fd}")
                      for fd in os.listdir(f"/proc/{kids[0]}/fd") if int(fd) > 2)
        held = [h for h in held if h != err]
        assert len(held) == 2 and held[0] == str(world_tmp) and \
            held[1].startswith("socket:"), held
    finally:
        proc.kill()
        out = proc.communicate()[0].decode(errors="replace")
    if "landlock: not available" not in out:
        assert "no removal" in out, out
    wait_for(lambda: not path.exists(), 5, 0.02, "the janitor to remove the socket")
    wait_for(lambda: not os.path.exists(f"/proc/{kids[0]}/status") or
             _status(kids[0])["State"].startswith("Z"), 5, 0.02, "the janitor to exit")


# --------------------------------------------------------------------------
# POSIX ACLs on the listener's directory
# --------------------------------------------------------------------------

ACL_USER_OBJ, ACL_USER, ACL_GROUP_OBJ, ACL_GROUP, ACL_MASK, ACL_OTHER = 1, 2, 4, 8, 0x10, 0x20
ACL_UNDEF = 0xFFFFFFFF


def set_acl(path, entries, attr="system.posix_acl_access"):
    """Sets path's ACL attr from (tag, perm, id) entries, as setfacl would
    (the kernel's xattr format: version 2, then tag/perm/id little-endian,
    sorted by tag then id)."""
    import struct
    blob = struct.pack("<I", 2) + b"".join(
        struct.pack("<HHI", t, p, i) for t, p, i in sorted(entries))
    try:
        os.setxattr(str(path), attr, blob)
    except OSError as e:
        pytest.skip(f"no POSIX ACLs here: {e}")


def acl(named, mask=7):
    return [(ACL_USER_OBJ, 7, ACL_UNDEF), (ACL_GROUP_OBJ, 5, ACL_UNDEF),
            (ACL_MASK, mask, ACL_UNDEF), (ACL_OTHER, 5, ACL_UNDEF)] + named


@pytest.mark.parametrize("named,who", [
    ([(ACL_USER, 7, 1000)], "user 1000"),
    ([(ACL_GROUP, 7, 4242)], "group 4242"),
    ([(ACL_USER, 5, 1001), (ACL_USER, 3, 1000)], "user 1000"),
], ids=["user", "group", "second-entry"])
def test_directory_writable_through_an_acl_is_refused(world_tmp, named, who):
    """root:root 0755 looks safe to fstat, but an ACL entry user:1000:rwx
    lets uid 1000 remove the live socket and bind its own in its place."""
    needs_real_proxy()
    d = owned_dir(world_tmp, "dir", 0, 0, 0o755)
    set_acl(d, acl(named))
    path = d / "dg.sock"
    rc, out = run_dockgate_once({"SOCKET_PATH": "/nonexistent", "LISTEN": f"unix://{path}",
                                 "RUN_USER": NOBODY})
    assert rc == 1, out
    assert f"writable by {who} (through its ACL)" in out, out
    assert list(d.iterdir()) == [], "a refused directory got a file"


@pytest.mark.parametrize("named,mask,env", [
    ([(ACL_USER, 7, 1000)], 5, {"RUN_USER": NOBODY}),            # the mask takes write away
    ([(ACL_USER, 7, NOBODY)], 7, {"RUN_USER": NOBODY}),          # the final user
    ([(ACL_GROUP, 7, NOBODY)], 7, {"RUN_USER": NOBODY}),         # the final group
    ([(ACL_USER, 5, 1000), (ACL_GROUP, 5, 4242)], 7, {}),       # read only
], ids=["masked", "final-user", "final-group", "read-only"])
def test_directory_with_a_harmless_acl_serves(world_tmp, named, mask, env):
    needs_real_proxy()
    d = owned_dir(world_tmp, "dir", 0, 0, 0o755)
    set_acl(d, acl(named, mask))
    path = d / "dg.sock"
    proc = start({"LISTEN": f"unix://{path}", **env})
    try:
        assert wait_listening(proc, path), proc.communicate()[0]
    finally:
        rc, out = stop(proc)
    assert rc == 0, out


def _connect_as(uid, path):
    """The errno name a connect to path gets as uid (groups cleared), or
    "ok"."""
    code = ("import errno, socket, sys\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            "try:\n    s.connect(sys.argv[1]); print('ok')\n"
            "except OSError as e:\n    print(errno.errorcode[e.errno])\n")
    def pre():
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    return subprocess.run([sys.executable, "-c", code, str(path)], preexec_fn=pre,
                          capture_output=True, text=True, timeout=30).stdout.strip()


def test_default_acl_of_the_directory_does_not_reach_the_socket(world_tmp):
    """A default ACL on the listener's directory is inherited by every file
    made in it; once chmod sets the mask to LISTEN_MODE's group bits, a
    named entry user:1000:rwx becomes effective on the socket. The socket
    must carry no ACL: only its mode, owner and group decide."""
    needs_real_proxy()
    d = owned_dir(world_tmp, "dir", 0, 0, 0o755)
    set_acl(d, acl([(ACL_USER, 7, 1000)]), "system.posix_acl_default")
    path = d / "dg.sock"
    proc = start({"LISTEN": f"unix://{path}", "CONTAINERS": 1})
    try:
        assert wait_listening(proc, path), proc.communicate()[0]
        st = os.lstat(path)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o660)
        assert "system.posix_acl_access" not in os.listxattr(path, follow_symlinks=False)
        listing = subprocess.run(["ls", "-l", str(path)], capture_output=True,
                                 text=True, check=True).stdout
        assert listing.split()[0] == "srw-rw----", listing
        assert _connect_as(1000, path) == "EACCES"
        assert _connect_as(0, path) == "ok"   # it does serve
    finally:
        rc, out = stop(proc)
    assert rc == 0, out
    assert not path.exists()
    assert [p.name for p in d.iterdir()] == [], "the private directory stayed"


# --------------------------------------------------------------------------
# the stale-socket probe does not follow names
# --------------------------------------------------------------------------

def test_racing_symlink_never_redirects_the_stale_probe(world_tmp, racer):
    """dg.sock is a stale socket in a directory of uid 65534, and a process
    of that uid exchanges it with a symlink to root's own listening socket
    as fast as it can. The probe that decides whether dg.sock is stale must
    look at the file it checked, never connect (as root) to wherever the
    symlink points: root's socket accepts no connection from dockgate in
    40 starts."""
    needs_real_proxy()
    target = world_tmp / "target.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(target))
    srv.listen(512)
    srv.setblocking(False)
    d = owned_dir(world_tmp, "dg", NOBODY, NOBODY)
    got, starts = 0, 40
    try:
        for i in range(starts):
            for entry in d.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
                dead.bind(str(d / "dg.sock"))
            stale = os.lstat(d / "dg.sock").st_ino
            (d / "link").symlink_to(target)
            race = subprocess.Popen([str(racer), str(d)])
            try:
                proc = start({"LISTEN": f"unix://{d / 'dg.sock'}", "RUN_USER": NOBODY})

                def settled():
                    if proc.poll() is not None:
                        return True
                    for n in ("dg.sock", "link"):
                        try:
                            st = os.lstat(d / n)
                        except OSError:
                            continue
                        if stat.S_ISSOCK(st.st_mode) and st.st_ino != stale:
                            return True
                    return False
                # The racer renames in the same directory in a tight loop
                # and contends for its lock: on a loaded machine a start
                # can take several seconds.
                wait_for(settled, 30, 0.005, "dockgate to listen or refuse")
            finally:
                race.kill()
                race.wait()
                stop(proc)
            while True:
                try:
                    c, _ = srv.accept()
                except BlockingIOError:
                    break
                c.close()
                got += 1
    finally:
        srv.close()
    assert got == 0, f"root's socket got {got} connections from dockgate in {starts} starts"


# --------------------------------------------------------------------------
# the janitor cannot hold the exit, and its lines reach the log
# --------------------------------------------------------------------------

def test_stopped_janitor_does_not_hang_the_exit(world_tmp):
    """Its uid can SIGSTOP the janitor; dockgate must still exit after
    SIGTERM within its shutdown time and a bounded wait for the janitor,
    and say why the file may stay."""
    needs_real_proxy()
    path = world_tmp / "dg.sock"
    proc = start({"LISTEN": f"unix://{path}", "SHUTDOWN_TIMEOUT": 1})
    kid = None
    try:
        assert wait_listening(proc, path)
        kid = wait_for(lambda: _children(proc.pid), 5, 0.02, "the janitor")[0]
        os.kill(kid, signal.SIGSTOP)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            # Its bound is SHUTDOWN_TIMEOUT, the 2 s janitor wait and the
            # 2 s log drain; a loaded machine (an ASan build's exit) adds
            # seconds. A hang is for ever.
            proc.wait(timeout=15)   # the janitor may still hold the output pipe
        except subprocess.TimeoutExpired:
            raise AssertionError("dockgate hung at exit on a stopped janitor")
        assert time.monotonic() - t0 < 12
    finally:
        if kid is not None:
            try:
                os.kill(kid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc.poll() is None:
            proc.kill()
    out = proc.communicate(timeout=10)[0].decode(errors="replace")
    assert "did not finish" in out, out


def test_janitor_lines_reach_a_piped_stderr(world_tmp):
    """stderr here is a pipe, which the log reopens as a descriptor of its
    own; the janitor must keep that one, or its lines are lost: another
    server's socket at the name at exit is left, and the janitor says so."""
    needs_real_proxy()
    path = world_tmp / "dg.sock"
    proc = start({"LISTEN": f"unix://{path}"})
    try:
        assert wait_listening(proc, path), proc.communicate()[0]
        os.unlink(path)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as other:
            other.bind(str(path))
            rc, out = stop(proc)
    finally:
        if proc.poll() is None:
            stop(proc)
    assert rc == 0, out
    assert "another file has taken its place" in out, out


def test_janitor_that_cannot_remove_the_file_says_so(world_tmp):
    """A root 0755 directory with RUN_USER: the janitor (as RUN_USER) may
    not remove the file. The file stays, and the log says why."""
    needs_real_proxy()
    d = owned_dir(world_tmp, "dir", 0, 0, 0o755)
    path = d / "dg.sock"
    proc = start({"LISTEN": f"unix://{path}", "RUN_USER": NOBODY})
    try:
        assert wait_listening(proc, path), proc.communicate()[0]
    finally:
        rc, out = stop(proc)
    assert rc == 0, out
    assert path.exists()
    assert "cannot remove the unix listener file dg.sock: Permission denied" in out, out

"""Settings: boolean spellings, bad values, listeners."""

import os
import signal
import socket
import time

import pytest

from dockgate_testlib.net import free_port, wait_for
from dockgate_testlib.proxy import run_dockgate_once
from dockgate_testlib.rawhttp import http_request
from dockgate_testlib.settings import DOCKGATE_BIN

GET_CONTAINERS = b"GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "True", "yes", "YES", "on", "On"])
def test_boolean_true_spellings(proxy, value):
    p = proxy(CONTAINERS=value)
    assert p.request(GET_CONTAINERS).status == 200


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "No", "off", "OFF"])
def test_boolean_false_spellings(proxy, value):
    p = proxy(CONTAINERS=value)
    assert p.request(GET_CONTAINERS).status == 403


@pytest.mark.parametrize("var,value", [
    ("CONTAINERS", "maybe"), ("POST", "2"), ("EVENTS", "y"), ("ALLOW_START", "enable"),
    ("PING", "truee"), ("VERSION", "-1"),
])
def test_bad_boolean_exits_2(dockerd, session_dir, var, value):
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    rc, out = run_dockgate_once({"SOCKET_PATH": dockerd.sock, var: value,
                                 "LISTEN": f"unix://{session_dir}/cfg.sock"})
    assert rc == 2, out
    assert var in out, f"the message does not name {var}: {out!r}"


@pytest.mark.parametrize("env,name", [
    ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
    ({"LISTEN": "ftp://127.0.0.1:1"}, "LISTEN"),
    ({"LISTEN": "tcp://127.0.0.1:notaport"}, "LISTEN"),
])
def test_bad_setting_exits_2(dockerd, env, name):
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    full = {"SOCKET_PATH": dockerd.sock, "LISTEN": "tcp://127.0.0.1:1"}
    full.update(env)
    rc, out = run_dockgate_once(full)
    assert rc == 2, out
    assert name in out, out


def test_unix_only_listener(proxy, session_dir):
    path = str(session_dir / "only.sock")
    p = proxy(listen=f"unix://{path}")
    rsp = p.request(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n", via="unix")
    assert (rsp.status, rsp.body) == (200, b"OK")
    r = p.docker("version", via="unix")
    assert r.rc == 0, r


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_exit_0(flag):
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    rc, out = run_dockgate_once({}, args=[flag])
    assert rc == 0, out
    assert out.strip(), f"{flag} printed nothing"
    if flag == "--help":
        for name in ("SOCKET_PATH", "LISTEN", "CONTAINERS", "POST", "ALLOW_RESTARTS"):
            assert name in out, f"--help does not mention {name}"


def test_stale_unix_socket_is_replaced(proxy, session_dir):
    path = str(session_dir / "stale.sock")
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)          # a socket file nobody listens on, as left by a crash
    dead.close()
    p = proxy(listen=f"unix://{path}")
    rsp = p.request(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n", via="unix")
    assert (rsp.status, rsp.body) == (200, b"OK")


def test_live_unix_socket_is_not_stolen(proxy, dockerd, session_dir):
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    path = str(session_dir / "live.sock")
    first = proxy(listen=f"unix://{path}")
    rc, out = run_dockgate_once({"SOCKET_PATH": dockerd.sock, "LISTEN": f"unix://{path}"})
    assert rc != 0, f"a second dockgate took over a live socket: {out!r}"
    rsp = first.request(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n", via="unix")
    assert (rsp.status, rsp.body) == (200, b"OK")


def test_sigterm_lets_inflight_request_finish(proxy, container):
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    cid = container(["sh", "-c", "sleep 2; exit 7"])
    p = proxy(CONTAINERS=1, POST=1)
    conn = p.connect()
    try:
        conn.send(b"POST /containers/%s/wait HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n" % cid.encode())
        time.sleep(0.5)
        p.expected_exit = True
        p.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        with pytest.raises(OSError):   # no new connections once stopping
            p.connect_socket("tcp", timeout=1).close()
        rsp = conn.read_response(timeout=10)
        assert rsp.status == 200 and rsp.json()["StatusCode"] == 7, rsp
    finally:
        conn.close()
    assert p.proc.wait(10) == 0, p.stderr()[-2000:]


def test_unix_listener_mode(proxy, session_dir):
    """The unix listener gets 0660 by default and exactly LISTEN_MODE when set."""
    import stat
    default = str(session_dir / "mode-default.sock")
    proxy(listen=f"unix://{default}")
    assert stat.S_IMODE(os.stat(default).st_mode) == 0o660
    strict = str(session_dir / "mode-strict.sock")
    proxy(listen=f"unix://{strict}", LISTEN_MODE="0600")
    assert stat.S_IMODE(os.stat(strict).st_mode) == 0o600


def test_world_writable_listen_mode_refused(dockerd, session_dir):
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    path = str(session_dir / "ww.sock")
    rc, out = run_dockgate_once({"SOCKET_PATH": dockerd.sock, "LISTEN": f"unix://{path}",
                                 "LISTEN_MODE": "0666"})
    assert rc == 2, out
    assert "LISTEN_MODE" in out, out
    assert not os.path.exists(path), "a refused setting still created the socket"


def test_connection_cap(proxy):
    """MAX_CONNECTIONS open at once are served; one more gets 503 and a close;
    a freed slot is usable again."""
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    p = proxy(MAX_CONNECTIONS=3)
    time.sleep(0.5)   # let the proxy see the fixture's readiness probes close
    held = [p.connect() for _ in range(3)]
    try:
        for c in held:   # each held connection is really being served
            c.send(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
            assert c.read_response().status == 200
        extra = p.connect()
        rsp = extra.read_response()
        assert rsp.status == 503, rsp
        assert extra.closed_by_peer(), "the refused connection was left open"
        extra.close()
    finally:
        held.pop().close()
    deadline = time.time() + 5
    while True:   # the proxy notices the close asynchronously
        c = p.connect()
        c.send(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            rsp = c.read_response()
        except Exception:
            rsp = None
        c.close()
        if rsp is not None and rsp.status == 200:
            break
        assert time.time() < deadline, f"freed slot not reusable: {rsp}"
        time.sleep(0.1)
    for c in held:
        c.close()


def _healthcheck(listen):
    import subprocess
    cp = subprocess.run([DOCKGATE_BIN, "--healthcheck"], env={"LISTEN": listen},
                        capture_output=True, timeout=10)
    return cp.returncode, cp.stderr.decode(errors="replace")


@pytest.mark.parametrize("env,via,want", [
    ({}, "tcp", 0),                 # up, daemon reachable
    ({"PING": 0}, "tcp", 0),        # up and judging: 403 still means healthy
    ({}, "unix", 0),
    ({"SOCKET_PATH": "/nonexistent/docker.sock"}, "tcp", 1),   # daemon down: 502
], ids=["healthy", "ping-denied", "unix", "daemon-down"])
def test_healthcheck(proxy, env, via, want):
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    p = proxy(**env)
    listen = p.host(via)
    rc, err = _healthcheck(listen)
    assert rc == want, err


@pytest.mark.parametrize("via", ["tcp", "unix"])
def test_healthcheck_probe_is_logged_at_debug(proxy, via):
    """A health check every 30 s would fill the access log at info: the
    probe's own ping is logged at debug. Another client's ping is not."""
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    p = proxy(LOG_LEVEL="debug")
    rc, err = _healthcheck(p.host(via))
    assert rc == 0, err
    assert p.request(http_request("HEAD", "/_ping"), head_request=True).status == 200
    # its agent on another request is no probe
    r = p.request(http_request("HEAD", "/_ping?x=1", [("User-Agent", "dockgate-healthcheck")]),
                  head_request=True)
    assert r.status == 200
    wait_for(lambda: p.stderr().count('"HEAD /_ping') >= 3, 5, 0.05, "three access lines")
    lines = [ln.split(" ", 2)[1:] for ln in p.stderr().splitlines() if '"HEAD /_ping' in ln]
    levels = [lvl for lvl, _ in lines]
    assert levels == ["debug", "info", "info"], lines


def test_healthcheck_nothing_listening():
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    rc, err = _healthcheck(f"tcp://127.0.0.1:{free_port()}")
    assert rc == 1 and "cannot connect" in err, err


def test_per_client_limit(proxy):
    """MAX_CONNECTIONS_PER_CLIENT caps one client address; a client from
    another address (127.0.0.2 here) still gets in."""
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")
    p = proxy(MAX_CONNECTIONS_PER_CLIENT=2, listen=None)
    time.sleep(0.5)   # let the fixture's readiness probes close
    held = [p.connect() for _ in range(2)]
    try:
        for c in held:
            c.send(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
            assert c.read_response().status == 200
        third = p.connect()
        assert third.read_response().status == 503
        third.close()
        other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        other.bind(("127.0.0.2", 0))
        other.settimeout(5)
        other.connect(p.tcp)
        other.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert other.recv(64).startswith(b"HTTP/1.1 200"), "another client was refused"
        other.close()
    finally:
        for c in held:
            c.close()

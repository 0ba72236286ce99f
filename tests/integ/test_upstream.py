"""The daemon's socket under a burst: when its listen backlog is full, a
non-blocking connect() says EAGAIN. dockgate then keeps the request and
tries again at its one-second tick (a few times) instead of answering 502
at once; a daemon that never makes room still gets the 502."""

import os
import socket
import subprocess
import threading
import time

from dockgate_testlib.net import wait_for
from dockgate_testlib.procs import cpu_seconds
from dockgate_testlib.rawhttp import http_request


def stuck_listener(path):
    """A unix socket that accepts nothing: its backlog fills at once."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(0)
    fillers = []
    # Fill the backlog ourselves, so that the proxy's first connect
    # already meets a full queue.
    for _ in range(4):
        f = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        f.setblocking(False)
        try:
            f.connect(path)
            fillers.append(f)
        except BlockingIOError:
            f.close()
            break
    return s, fillers


def answer_forever(s, stop):
    """Accepts and answers every request with a tiny 200."""
    s.settimeout(0.2)
    while not stop.is_set():
        try:
            c, _ = s.accept()
        except OSError:
            continue
        data = b""
        try:
            c.settimeout(5)
            while b"\r\n\r\n" not in data:
                more = c.recv(4096)
                if not more:
                    break
                data += more
            if data.startswith(b"GET"):
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")
        except OSError:
            pass
        finally:
            c.close()


def test_full_backlog_is_waited_out(proxy, session_dir):
    path = str(session_dir / f"backlog-{time.monotonic_ns()}.sock")
    s, fillers = stuck_listener(path)
    stop = threading.Event()
    try:
        p = proxy(SOCKET_PATH=path, CONTAINERS=1)
        conn = p.connect()
        t0 = time.monotonic()
        conn.send(http_request("GET", "/v1.41/containers/json"))
        # Make room after about a second: the proxy's retry gets through.
        time.sleep(1.2)
        threading.Thread(target=answer_forever, args=(s, stop), daemon=True).start()
        rsp = conn.read_response(timeout=10)
        assert rsp.status == 200, rsp
        assert rsp.body == b"OK"
        assert time.monotonic() - t0 >= 1.0
        assert "listen queue is full" in p.stderr()
        conn.close()
    finally:
        stop.set()
        for f in fillers:
            f.close()
        s.close()


def test_backlog_that_stays_full_gets_502(proxy, session_dir):
    path = str(session_dir / f"backlog-{time.monotonic_ns()}.sock")
    s, fillers = stuck_listener(path)
    try:
        p = proxy(SOCKET_PATH=path, CONTAINERS=1)
        rsp = p.request(http_request("GET", "/v1.41/containers/json"), timeout=15)
        assert rsp.status == 502, rsp
        assert b"cannot reach the Docker daemon" in rsp.body
        assert p.alive()
    finally:
        for f in fillers:
            f.close()
        s.close()


def limit_fds(p, room):
    """Sets the proxy's open-file limit to what it holds at rest plus room;
    returns the limit."""
    time.sleep(0.3)  # the fixture's readiness probes have closed
    limit = p.fd_count() + room
    subprocess.run(["prlimit", "--pid", str(p.proc.pid), f"--nofile={limit}:{limit}"],
                   check=True)
    return limit


def test_out_of_fds_gives_up_idle_daemon_connections(proxy):
    """Each keep-alive client keeps its daemon connection open. When the
    proxy runs out of descriptors, a new request takes the daemon
    connection of an idle client instead of failing with 502."""
    p = proxy(CONTAINERS=1)
    limit = limit_fds(p, 20)
    conns = []
    try:
        for i in range(15):     # 15 clients + 15 daemon connections > 20
            c = p.connect()
            conns.append(c)
            c.send(http_request("GET", "/_ping"))
            rsp = c.read_response()
            assert rsp.status == 200 and rsp.body == b"OK", (i, rsp)
        # The first clients lost their daemon connection; their next
        # request gets a new one.
        for c in conns[:3]:
            c.send(http_request("GET", "/_ping"))
            rsp = c.read_response()
            assert rsp.status == 200 and rsp.body == b"OK", rsp
        assert p.fd_count() <= limit
    finally:
        for c in conns:
            c.close()


def test_out_of_fds_refuses_clients_and_recovers(proxy):
    """With no descriptor left, the clients waiting in the listen queue are
    accepted on the reserve descriptor and closed, until the queue is
    empty, without the proxy spinning (accept() says EMFILE even on an
    empty queue); once clients leave, new ones are served again."""
    p = proxy(CONTAINERS=1)
    limit = limit_fds(p, 4)
    held = [p.connect() for _ in range(4)]       # every descriptor in use
    try:
        wait_until_fds = time.monotonic() + 5
        while p.fd_count() < limit and time.monotonic() < wait_until_fds:
            time.sleep(0.05)
        assert p.fd_count() == limit
        refused = [p.connect() for _ in range(3)]
        for c in refused:
            assert c.closed_by_peer(timeout=5), "a client was kept without a descriptor"
            c.close()
        t0 = cpu_seconds(p.proc.pid)
        time.sleep(2)
        assert cpu_seconds(p.proc.pid) - t0 < 0.5, "the proxy spun while out of descriptors"
        assert "out of file descriptors" in p.stderr()
    finally:
        for c in held:
            c.close()
    wait_for(lambda: p.fd_count() < limit, 5, what="held clients closed")
    rsp = p.request(http_request("GET", "/_ping"))
    assert rsp.status == 200 and rsp.body == b"OK", rsp


def test_daemon_outage_is_logged_when_it_starts_and_ends(proxy, dockerd, session_dir):
    """A daemon that is down used to cost a warning per request: now the
    outage is one warning, its end one notice with the count, and each
    request still gets its 502 and its access line."""
    path = session_dir / f"daemon-{os.getpid()}.sock"
    p = proxy(SOCKET_PATH=str(path), PING=1)
    for _ in range(4):
        rsp = p.request(http_request("GET", "/_ping"))
        assert rsp.status == 502 and b"cannot reach the Docker daemon" in rsp.body, rsp
    os.symlink(dockerd.sock, path)      # the daemon is back
    for _ in range(2):
        assert p.request(http_request("GET", "/_ping")).status == 200
    wait_for(lambda: "answers again" in p.stderr(), 5, 0.05, "the notice of the return")
    err = p.stderr()
    down = [ln for ln in err.splitlines() if "cannot reach the Docker daemon" in ln
            and " warning " in ln]
    assert len(down) == 1, down
    assert str(path) in down[0] and "No such file or directory" in down[0], down
    ups = [ln for ln in err.splitlines() if "answers again" in ln]
    assert len(ups) == 1, err
    up = ups[0]
    assert " notice " in up and "3 more connects failed meanwhile" in up, up
    assert len([ln for ln in err.splitlines() if "status=502" in ln]) == 4, err

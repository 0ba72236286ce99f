"""Daemon connections reused across clients (src/upstream.c).

A client that leaves gives its daemon connection to a pool when the last
response ended cleanly; the next client takes it instead of connecting
again. A scripted daemon on a unix socket counts its connections and
records every request head, so the tests can see which connection served
which client, and can misbehave on purpose: close idle connections, or
send bytes nobody asked for. The property that matters most: no client
ever sees bytes meant for another, and no client is answered 502 because
a pooled connection had gone stale.
"""

import os
import socket
import threading
import time

import pytest

from dockgate_testlib.net import UnixServer, wait_for
from dockgate_testlib.rawhttp import http_request


class ScriptedDaemon(UnixServer):
    """Keep-alive HTTP/1.1 on a unix socket. Each answer's body names the
    connection and the request ("c3 r2 /path"), so a client can tell whose
    answer it got. behaviour: 'normal'; 'close-idle' closes a connection
    0.1 s after each answer; 'trailing-junk' sends an unsolicited second
    answer in the same write as each one."""

    def __init__(self, path, behaviour="normal"):
        self.behaviour = behaviour
        self.lock = threading.Lock()
        self.connections = 0
        self.open = 0
        self.heads = []  # (connection number, head bytes)
        super().__init__(path, backlog=64)

    def accepted(self, c):
        with self.lock:
            self.connections += 1
            self.open += 1
            return (self.connections,)

    def _answer(self, c, n, r, target):
        body = b"c%d r%d %s" % (n, r, target)
        junk = (b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nLEAK"
                if self.behaviour == "trailing-junk" else b"")
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body) + junk)

    def serve(self, c, n):
        data = b""
        r = 0
        try:
            while True:
                if self.behaviour == "close-idle" and r > 0:
                    c.settimeout(0.1)
                while b"\r\n\r\n" not in data:
                    try:
                        more = c.recv(65536)
                    except socket.timeout:
                        return
                    if not more:
                        return
                    data += more
                head, data = data.split(b"\r\n\r\n", 1)
                r += 1
                with self.lock:
                    self.heads.append((n, head))
                target = head.split(b" ")[1]
                if b"upgrade=1" in target:
                    c.sendall(b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\n"
                              b"Upgrade: tcp\r\n\r\n")
                    while c.recv(65536):
                        pass
                    return
                self._answer(c, n, r, target)
        except OSError:
            return
        finally:
            c.close()
            with self.lock:
                self.open -= 1


@pytest.fixture
def daemon_factory(session_dir):
    made = []

    def make(behaviour="normal"):
        path = str(session_dir / f"pool-{os.getpid()}-{time.monotonic_ns()}.sock")
        d = ScriptedDaemon(path, behaviour)
        made.append(d)
        return d
    yield make
    for d in made:
        d.close()


def closing_client(p, target):
    """One request with Connection: close; the answer and whether the
    proxy then closed the connection."""
    c = p.connect()
    try:
        c.send(http_request("GET", target, headers=[("Connection", "close")]))
        rsp = c.read_response()
        return rsp, c.closed_by_peer(timeout=3)
    finally:
        c.close()


def test_new_clients_reuse_one_daemon_connection(proxy, daemon_factory):
    d = daemon_factory()
    p = proxy(SOCKET_PATH=d.path, CONTAINERS=1)
    for i in range(20):
        rsp, closed = closing_client(p, f"/v1.41/containers/json?i={i}")
        assert rsp.status == 200, rsp
        # The body says which daemon connection answered: always the first.
        assert rsp.body == b"c1 r%d /v1.41/containers/json?i=%d" % (i + 1, i), rsp
        # The client asked for the close: it is told so and gets it.
        assert rsp.header_all("Connection") == ["close"], rsp
        assert closed
    assert d.connections == 1
    # Connection is hop-by-hop: the client's close did not reach the daemon.
    for _, head in d.heads:
        assert b"connection:" not in head.lower(), head


def test_keep_alive_clients_each_keep_their_own(proxy, daemon_factory):
    """While a client stays connected its daemon connection is its own;
    concurrent clients never share one."""
    d = daemon_factory()
    p = proxy(SOCKET_PATH=d.path, CONTAINERS=1)
    conns = [p.connect() for _ in range(3)]
    try:
        for rnd in range(3):
            for k, c in enumerate(conns):
                c.send(http_request("GET", f"/_ping?k={k}"))
                rsp = c.read_response()
                assert rsp.status == 200, rsp
                assert rsp.body.endswith(b" /_ping?k=%d" % k), rsp
        served_by = {}
        for n, head in d.heads:
            k = head.split(b"?k=")[1].split(b" ")[0]
            served_by.setdefault(k, set()).add(n)
        assert all(len(v) == 1 for v in served_by.values()), served_by
        assert len(set().union(*served_by.values())) == 3
    finally:
        for c in conns:
            c.close()


def test_daemon_closing_a_pooled_connection_costs_no_502(proxy, daemon_factory):
    """The daemon may close an idle connection whenever it likes. The pool
    notices (or the check when it is taken does), and the next client gets
    a fresh connection and its answer."""
    d = daemon_factory("close-idle")
    p = proxy(SOCKET_PATH=d.path, CONTAINERS=1)
    for i in range(6):
        rsp, _ = closing_client(p, f"/_ping?i={i}")
        assert rsp.status == 200, rsp
        assert rsp.body.endswith(b" /_ping?i=%d" % i), rsp
        time.sleep(0.3)  # the daemon has closed the pooled one by now
    assert d.connections == 6
    # (each answer above was the daemon's 200; nor was any request cut)
    assert "without answering" not in p.stderr()


def test_unsolicited_bytes_never_reach_the_next_client(proxy, daemon_factory):
    """A daemon connection with bytes nobody asked for is closed, never
    pooled: the next client must get its own answer, not those bytes.
    (The bytes come with the answer. Bytes a daemon would send for no
    request at some later moment cannot be told from the answer to the
    next request on that connection, pooled or not: README, "Daemon
    connections".)"""
    d = daemon_factory("trailing-junk")
    p = proxy(SOCKET_PATH=d.path, CONTAINERS=1)
    for i in range(10):
        rsp, _ = closing_client(p, f"/_ping?i={i}")
        assert rsp.status == 200, rsp
        assert rsp.body.endswith(b" /_ping?i=%d" % i), rsp
        assert b"LEAK" not in rsp.raw
        if i % 2:
            time.sleep(0.2)  # the pool's own watch sees the junk first
    # Every client needed a connection of its own.
    assert d.connections == 10


def test_tunnels_are_never_pooled(proxy, daemon_factory):
    d = daemon_factory()
    p = proxy(SOCKET_PATH=d.path, CONTAINERS=1, POST=1)
    c = p.connect()
    c.send(http_request("POST", "/v1.41/containers/x/attach?stream=1&upgrade=1",
                        headers=[("Connection", "Upgrade"), ("Upgrade", "tcp")]))
    rsp = c.read_response()
    assert rsp.status == 101, rsp
    c.close()
    # The tunnel's daemon connection is closed with its client.
    wait_for(lambda: d.open == 0, 5, what="the tunnel's daemon connection closed")
    rsp, _ = closing_client(p, "/_ping")
    assert rsp.status == 200
    assert d.connections == 2


def test_pool_off_connects_for_every_client(proxy, daemon_factory):
    d = daemon_factory()
    p = proxy(SOCKET_PATH=d.path, CONTAINERS=1, UPSTREAM_POOL=0)
    for i in range(5):
        rsp, closed = closing_client(p, "/_ping")
        assert rsp.status == 200 and closed, rsp
    assert d.connections == 5
    # Without a pool the close goes on to the daemon, as before.
    assert all(b"Connection: close" in head for _, head in d.heads)
    wait_for(lambda: d.open == 0, 5, what="daemon connections closed")


def test_pooled_connections_time_out(proxy, daemon_factory):
    d = daemon_factory()
    p = proxy(SOCKET_PATH=d.path, CONTAINERS=1, IDLE_TIMEOUT=1)
    rsp, _ = closing_client(p, "/_ping")
    assert rsp.status == 200
    assert d.open == 1
    wait_for(lambda: d.open == 0, 5, what="the pooled connection closed after IDLE_TIMEOUT")


def test_pool_is_bounded(proxy, daemon_factory):
    """Clients that leave together give back more connections than the
    pool keeps: the rest are closed."""
    d = daemon_factory()
    p = proxy(SOCKET_PATH=d.path, CONTAINERS=1, UPSTREAM_POOL=2)
    conns = [p.connect() for _ in range(5)]
    for c in conns:
        c.send(http_request("GET", "/_ping"))
    for c in conns:
        assert c.read_response().status == 200
    assert d.connections == 5
    for c in conns:
        c.close()
    wait_for(lambda: d.open == 2, 5, what="two daemon connections left in the pool")


def test_real_daemon_serves_new_clients_on_pooled_connections(proxy, dockerd):
    """Against the real dockerd: clients that each send one request and
    leave get their answers, and the proxy holds one daemon connection
    between them, not one per client."""
    p = proxy(CONTAINERS=1)
    for i in range(30):
        rsp, closed = closing_client(p, "/v1.41/containers/json" if i % 2 else "/_ping")
        assert rsp.status == 200, rsp
        assert closed
    base = p.fd_count()
    for i in range(30):
        rsp, _ = closing_client(p, "/_ping")
        assert rsp.status == 200
    assert p.fd_count() <= base

"""Long Content-Length response bodies, which dockgate splices from the
daemon socket to the client inside the kernel (src/relay.c).

The Docker daemon streams its big answers chunked, so a scripted upstream
on a unix socket stands in for it here: it answers every request with a
Content-Length body of a few MiB (or cuts it short, on request), and the
tests check that the client gets exactly those bytes, that the connection
stays usable afterwards, and that nothing is left open when either side
goes away in the middle.
"""

import hashlib
import os
import random
import socket
import time

import pytest

from dockgate_testlib.net import UnixServer, wait_for
from dockgate_testlib.rawhttp import RawConn, http_request

BODY = random.Random(5).randbytes(3 * 1024 * 1024 + 17)
HALF = len(BODY) // 2


class LongBodyUpstream(UnixServer):
    """Answers GET /full with BODY and GET /cut with half of it and a close."""

    def __init__(self, path):
        self.requests = 0
        super().__init__(path)

    def serve(self, c):
        data = b""
        try:
            while True:
                while b"\r\n\r\n" not in data:
                    more = c.recv(65536)
                    if not more:
                        return
                    data += more
                head, data = data.split(b"\r\n\r\n", 1)
                self.requests += 1
                target = head.split(b" ")[1]
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(BODY))
                if target.endswith(b"/cut"):
                    c.sendall(BODY[:HALF])
                    return
                c.sendall(BODY)
        except OSError:
            return
        finally:
            c.close()


@pytest.fixture
def upstream(session_dir):
    path = str(session_dir / f"long-{os.getpid()}-{time.monotonic_ns()}.sock")
    u = LongBodyUpstream(path)
    yield u
    u.close()


def read_body(conn, timeout=30):
    rsp = conn.read_response(timeout=timeout)
    assert rsp.status == 200, rsp
    return rsp


def test_long_body_arrives_intact_and_connection_is_reused(proxy, upstream):
    p = proxy(SOCKET_PATH=upstream.path, CONTAINERS=1)
    conn = p.connect()
    for _ in range(3):
        conn.send(http_request("GET", "/v1.41/containers/x/full"))
        rsp = read_body(conn)
        assert len(rsp.body) == len(BODY)
        assert hashlib.sha256(rsp.body).digest() == hashlib.sha256(BODY).digest()
    # A small request after the long ones is still judged on the same
    # connection: the relay ended exactly at the end of the body.
    conn.send(http_request("GET", "/v1.41/images/json"))
    rsp = conn.read_response()
    assert rsp.status == 403 and b"IMAGES" in rsp.body
    assert upstream.requests == 3
    conn.close()


def test_long_body_to_a_slow_reader(proxy, upstream):
    """The client reads in small sips: the splice must wait for room, not
    spin or drop bytes."""
    p = proxy(SOCKET_PATH=upstream.path, CONTAINERS=1)
    s = p.connect_socket()
    s.sendall(http_request("GET", "/v1.41/containers/x/full"))
    got = bytearray()
    want = None
    deadline = time.monotonic() + 60
    while want is None or len(got) < want:
        assert time.monotonic() < deadline, f"only {len(got)} bytes"
        more = s.recv(16384)
        assert more, f"closed after {len(got)} bytes"
        got += more
        if want is None and b"\r\n\r\n" in got:
            want = got.index(b"\r\n\r\n") + 4 + len(BODY)
        if len(got) < 1024 * 1024:
            time.sleep(0.002)  # the proxy meets a full socket many times
    assert bytes(got[want - len(BODY):]) == BODY
    s.close()


def test_daemon_cuts_a_long_body(proxy, upstream):
    """The daemon closes halfway: the client gets what came, then the close
    (never a second response glued on), and the proxy keeps serving."""
    p = proxy(SOCKET_PATH=upstream.path, CONTAINERS=1)
    s = p.connect_socket()
    s.sendall(http_request("GET", "/v1.41/containers/x/cut"))
    got = b""
    s.settimeout(30)
    while True:
        more = s.recv(65536)
        if not more:
            break
        got += more
    head, body = got.split(b"\r\n\r\n", 1)
    assert b"Content-Length: %d" % len(BODY) in head
    assert body == BODY[:HALF]
    s.close()
    conn = p.connect()
    conn.send(http_request("GET", "/v1.41/containers/x/full"))
    assert len(read_body(conn).body) == len(BODY)
    conn.close()


def test_client_leaves_in_the_middle(proxy, upstream):
    """A client that goes away mid-body costs no socket or pipe afterwards."""
    p = proxy(SOCKET_PATH=upstream.path, CONTAINERS=1)
    # The fixture's readiness probes may still be open for a moment.
    time.sleep(0.3)
    before = p.fd_count()
    for _ in range(5):
        s = p.connect_socket()
        s.sendall(http_request("GET", "/v1.41/containers/x/full"))
        s.recv(100000)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # a reset, mid-body
    wait_for(lambda: p.fd_count() <= before, 10, what=f"fd count back to {before}")
    assert p.alive()

"""A client that leaves releases its daemon connection, in every state.

Each test drives a state of src/conn.c (a quiet stream with bytes
pipelined behind it, a request body the daemon never reads, a tunnel, a
denied body being skipped, a connection given back to the pool), makes
clients leave it with a FIN or a reset, and then checks the proxy's own
resources: its open descriptors (/proc/<pid>/fd) and its connections to
the daemon (unix connections whose daemon end is bound to the daemon's
socket and whose peer is one of the proxy's sockets, as `ss -x` shows
them) must come back to what they were before, within a few seconds.

The last tests use a scripted daemon to check that nothing more is
answered on a client connection after a response that closes it.
"""

import fcntl
import json
import os
import socket
import struct
import subprocess
import termios
import threading
import time
import urllib.parse

import pytest

from dockgate_testlib.daemon import unique
from dockgate_testlib.net import UnixServer, wait_for
from dockgate_testlib.procs import socket_inodes
from dockgate_testlib.rawhttp import http_request

# The exact request of the report: a stream that stays quiet (no plugin
# events happen during the test).
QUIET_EVENTS = (b"GET /v1.41/events?filters=%7B%22type%22%3A%5B%22plugin%22%5D%7D HTTP/1.1\r\n"
                b"Host: x\r\n\r\n")
CLIENTS = 10
SETTLE_S = 5
UPGRADE = [("Connection", "Upgrade"), ("Upgrade", "tcp")]
LINGER_0 = struct.pack("ii", 1, 0)


# --------------------------------------------------------------------------
# counting what the proxy holds
# --------------------------------------------------------------------------

def daemon_connections(p):
    """Connections from the proxy to the daemon. `ss -x` names the daemon's
    end by the socket path it is bound to, and its peer by inode."""
    mine = set(socket_inodes(p.proc.pid))
    rows = subprocess.run(["ss", "-xHn"], capture_output=True, text=True, check=True).stdout
    n = 0
    for row in rows.splitlines():
        f = row.split()
        if len(f) >= 8 and f[4] == p.upstream_sock and f[7].isdigit() and int(f[7]) in mine:
            n += 1
    return n


def counts(p):
    return p.fd_count(), daemon_connections(p)


def baseline(p):
    # The fixture's readiness probes may still be open for a moment.
    time.sleep(0.3)
    return counts(p)


def assert_back_to(p, base, what, timeout=SETTLE_S):
    """Waits until the proxy holds no more descriptors and daemon
    connections than at base; the message gives the numbers seen."""
    seen = []

    def back():
        now = counts(p)
        seen.append(now)
        return now[0] <= base[0] and now[1] <= base[1]
    try:
        wait_for(back, timeout, 0.1, what)
    except AssertionError:
        raise AssertionError(f"{what}: (fds, daemon connections) were {base} before, "
                             f"{seen[-1]} {timeout}s after the clients left")
    assert p.alive()


def leave(s, how):
    """Ends a client socket: 'fin' is close() with nothing unread (a FIN),
    'rst' is close() with SO_LINGER 0 (a reset)."""
    if how == "rst":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_0)
    s.close()


def unsent(s):
    """Bytes still in the socket's send queue (TIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


def read_head(s, timeout=10):
    """Reads exactly one response head (byte by byte, so that nothing after
    it is consumed); returns it."""
    s.settimeout(timeout)
    got = b""
    while b"\r\n\r\n" not in got:
        b = s.recv(1)
        assert b, f"closed before a response head; got {got!r}"
        got += b
    return got


def send_some(s, data, timeout=3.0):
    """Sends as much of data as the buffers take within timeout (a daemon
    that reads nothing lets them fill up); returns the bytes sent."""
    s.settimeout(timeout)
    sent = 0
    try:
        while sent < len(data):
            sent += s.send(data[sent:sent + 65536])
    except (socket.timeout, BlockingIOError):
        pass
    return sent


# --------------------------------------------------------------------------
# a quiet stream with one pipelined byte
# --------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["fin", "rst"])
@pytest.mark.parametrize("via", ["tcp", "unix"])
def test_stream_with_pipelined_byte_is_released(proxy, via, how):
    """The report's case: the stream's request, one more byte, then the
    client leaves. The daemon must be told at once, not after the byte,
    which no request will ever consume."""
    p = proxy()
    base = baseline(p)
    socks = []
    for _ in range(CLIENTS):
        s = p.connect_socket(via)
        s.sendall(QUIET_EVENTS + b"X")
        assert b" 200 " in read_head(s).split(b"\r\n")[0]
        socks.append(s)
    held = counts(p)
    assert held[1] >= base[1] + CLIENTS, (base, held)
    for s in socks:
        leave(s, how)
    assert_back_to(p, base, f"{CLIENTS} event streams left with a pipelined byte ({via}, {how})")


def test_stream_left_before_its_head_is_released(proxy):
    """The client closes right after sending, before the answer arrives."""
    p = proxy()
    base = baseline(p)
    for _ in range(CLIENTS):
        s = p.connect_socket()
        s.sendall(QUIET_EVENTS + b"X")
        s.close()
    assert_back_to(p, base, "event streams closed before their answer")


def test_half_closed_client_still_gets_pipelined_answers(proxy, dockerd):
    """A half-close is not a departure: a client that pipelines requests
    and then shuts its sending side gets every answer, even though the
    daemon is told of the half-close before the second request is sent."""
    p = proxy(CONTAINERS=1)
    base = baseline(p)
    conn = p.connect()
    try:
        conn.send(http_request("GET", "/v1.41/containers/json")
                  + http_request("GET", "/v1.41/version")
                  + http_request("GET", "/_ping"))
        conn.shutdown_write()
        first, second, third = (conn.read_response() for _ in range(3))
        assert first.status == 200 and isinstance(first.json(), list), first
        assert second.status == 200 and "ApiVersion" in second.json(), second
        assert (third.status, third.body) == (200, b"OK"), third
        assert conn.closed_by_peer(timeout=5)
    finally:
        conn.close()
    assert_back_to(p, base, "half-closed pipelining client")


def test_quiet_stream_keeps_no_deadline(proxy, dockerd, busybox):
    """A stream whose request was sent in full is never cut by a timeout."""
    p = proxy(IDLE_TIMEOUT=1, HEADER_TIMEOUT=1)
    name = unique("dgt-ev")
    conn = p.connect()
    try:
        conn.send(http_request("GET", "/v1.41/events?filters=" + urllib.parse.quote(
            json.dumps({"type": ["container"], "container": [name]}))))
        assert conn.read_head()[1] == 200
        time.sleep(3)
        cid = dockerd.run_container(name=name, start=False)
        try:
            conn.read_until(b'"create"', timeout=10)
        finally:
            dockerd.remove(cid)
    finally:
        conn.close()


# --------------------------------------------------------------------------
# a request body the daemon never reads
# --------------------------------------------------------------------------

BIG_BODY = b"A" * 600_000


def unread_body_request(form, size=len(BIG_BODY)):
    head = b"GET /v1.41/events HTTP/1.1\r\nHost: x\r\n"
    if form == "length":
        return head + b"Content-Length: 100000000\r\n\r\n" + BIG_BODY[:size]
    # The chunked form: chunks of 64 KiB and no last-chunk.
    data = b"A" * size
    body = b"".join(b"%x\r\n" % len(data[i:i + 65536]) + data[i:i + 65536] + b"\r\n"
                    for i in range(0, len(data), 65536))
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + body


UNREAD_CASES = [
    # (form, how the client leaves, body bytes sent)
    ("length", "tcp-close", 300_000),
    ("length", "tcp-rst", 400_000),
    ("length", "unix-half-close", 600_000),
    # Go reads (and drops) up to 256 KiB of a chunked body before it
    # answers: more is sent so that every buffer fills all the same.
    ("chunked", "tcp-rst", 600_000),
    ("chunked", "unix-half-close", 800_000),
]


@pytest.mark.parametrize("form,how,size", UNREAD_CASES,
                         ids=[f"{f}-{h}" for f, h, _ in UNREAD_CASES])
def test_unread_body_is_released(proxy, form, how, size):
    """Go's server reads none of a body of 256 KiB or more for a handler
    that does not read it: the buffers on the way fill, and the client's
    FIN or reset waits behind bytes the proxy has no room to read.

    tcp-close: close() once the proxy's side took every byte (a FIN).
    tcp-rst: close() with SO_LINGER 0 (a reset), the buffers full.
    unix-half-close: shutdown(SHUT_WR) with the buffers full; the client
    stays, but its body can never end."""
    p = proxy()
    base = baseline(p)
    socks = []
    for _ in range(CLIENTS):
        s = p.connect_socket("unix" if how.startswith("unix") else "tcp")
        data = unread_body_request(form, size)
        sent = send_some(s, data, timeout=0.5)
        # The daemon answers before reading the body; reading its head
        # leaves nothing unread, so close() sends a FIN, not a reset.
        read_head(s)
        if how == "tcp-close":
            assert sent == len(data)
            wait_for(lambda: unsent(s) == 0, 5, what="the proxy to take the whole body")
        elif how == "unix-half-close":
            assert sent < len(data), "the buffers did not fill"
        socks.append(s)
    held = counts(p)
    assert held[1] >= base[1] + CLIENTS, (base, held)
    for s in socks:
        if how == "unix-half-close":
            s.shutdown(socket.SHUT_WR)
        else:
            leave(s, "rst" if how == "tcp-rst" else "fin")
    try:
        assert_back_to(p, base, f"{CLIENTS} unread {form} bodies left with a {how}")
    finally:
        for s in socks:
            s.close()


def test_stalled_body_gets_a_deadline(proxy):
    """A client that stays but whose body moves no further (here the
    daemon reads none of it) is cut after IDLE_TIMEOUT: an upload is not
    a stream."""
    p = proxy(IDLE_TIMEOUT=2)
    base = baseline(p)
    s = p.connect_socket()
    try:
        send_some(s, unread_body_request("length"))
        read_head(s)
        start = time.monotonic()
        assert counts(p)[1] >= base[1] + 1
        s.settimeout(10)
        try:
            while s.recv(65536):
                pass
        except ConnectionResetError:
            pass
        except socket.timeout:
            raise AssertionError("the stalled body was not cut within 10s")
        took = time.monotonic() - start
        assert took < 6, f"the stalled body was cut only after {took:.1f}s"
    finally:
        s.close()
    assert_back_to(p, base, "a stalled request body")
    assert "no byte of the request body moved" in p.stderr()


def test_slow_body_is_not_cut(proxy, dockerd):
    """Bytes that keep moving, however slowly, keep the body alive."""
    p = proxy(CONTAINERS=1, POST=1, IDLE_TIMEOUT=1, HEADER_TIMEOUT=1)
    name = unique("dgt-slow")
    body = json.dumps({"Image": "dgtest/busybox:latest", "Cmd": ["true"]}).encode()
    conn = p.connect()
    try:
        conn.send(http_request("POST", f"/v1.41/containers/create?name={name}",
                               [("Content-Type", "application/json"),
                                ("Content-Length", str(len(body)))]))
        for i in range(0, len(body), len(body) // 4 + 1):
            time.sleep(0.6)
            conn.send(body[i:i + len(body) // 4 + 1])
        rsp = conn.read_response()
        assert rsp.status == 201, rsp
    finally:
        conn.close()
        dockerd.remove(name)


# --------------------------------------------------------------------------
# tunnels, skipped bodies, the pool
# --------------------------------------------------------------------------

def json_post(path, obj, extra=()):
    return http_request("POST", path, [("Content-Type", "application/json"), *extra],
                        json.dumps(obj).encode())


@pytest.mark.parametrize("how", ["rst", "unix-close"])
def test_attach_tunnel_is_released(proxy, sleeper, how):
    """An attached client that leaves (a reset, or a unix client that
    closes its socket) while the container writes nothing: nobody can
    read the tunnel's output any more, so it closes now."""
    p = proxy(CONTAINERS=1, POST=1)
    base = baseline(p)
    socks = []
    for _ in range(3):
        s = p.connect_socket("unix" if how == "unix-close" else "tcp")
        s.sendall(http_request("POST", f"/v1.41/containers/{sleeper}/attach?stream=1&stdin=1&stdout=1",
                               UPGRADE + [("Content-Length", "0")]))
        assert b" 101 " in read_head(s).split(b"\r\n")[0]
        socks.append(s)
    time.sleep(0.3)
    assert counts(p)[1] >= base[1] + 3
    for s in socks:
        leave(s, "rst" if how == "rst" else "fin")
    assert_back_to(p, base, f"attach tunnels left ({how})")


def test_exec_tunnel_half_close_ends_it(proxy, sleeper):
    """`echo x | docker exec -i ... cat` through the tunnel: stdin's EOF is
    passed on, cat ends, the tunnel ends, and nothing is left over."""
    p = proxy(CONTAINERS=1, EXEC=1, POST=1)
    base = baseline(p)
    for _ in range(3):
        conn = p.connect()
        try:
            conn.send(json_post(f"/containers/{sleeper}/exec",
                                {"AttachStdin": True, "AttachStdout": True, "Cmd": ["cat"]}))
            exec_id = conn.read_response().json()["Id"]
            conn.send(json_post(f"/exec/{exec_id}/start", {"Detach": False, "Tty": False}, UPGRADE))
            assert conn.read_head()[1] == 101
            conn.send(b"x\n")
            conn.shutdown_write()
            assert b"x\n" in conn.read_until_close(timeout=15)
        finally:
            conn.close()
    assert_back_to(p, base, "exec tunnels ended by a half-close")


@pytest.mark.parametrize("how", ["fin", "rst"])
def test_denied_body_being_skipped_is_released(proxy, dockerd, how):
    """A denied request whose small body is being read and dropped."""
    p = proxy(CONTAINERS=1, POST=0)
    base = baseline(p)
    name = unique("dgt-denied")
    for _ in range(CLIENTS):
        s = p.connect_socket()
        s.sendall(http_request("POST", f"/v1.41/containers/create?name={name}",
                               [("Content-Type", "application/json"), ("Content-Length", "60000")])
                  + b"{" + b" " * 1000)
        assert b" 403 " in read_head(s).split(b"\r\n")[0]
        s.settimeout(0.2)
        try:
            s.recv(65536)  # the 403's body: nothing unread is left
        except socket.timeout:
            pass
        leave(s, how)
    assert_back_to(p, base, f"denied bodies being skipped, left with a {how}")
    assert not dockerd.exists(name)


@pytest.mark.parametrize("how", ["fin", "rst"])
def test_pooled_connection_after_departure(proxy, how):
    """Clients that leave between requests give their daemon connection
    to the pool: the next client takes it, so the count does not grow,
    and the pool lets it go after IDLE_TIMEOUT."""
    p = proxy(IDLE_TIMEOUT=2)
    base = baseline(p)
    for _ in range(CLIENTS):
        s = p.connect_socket()
        s.sendall(http_request("GET", "/_ping"))
        got = b""
        while not got.endswith(b"OK"):
            more = s.recv(65536)
            assert more, got
            got += more
        s.sendall(b"GET /_pi")  # a pipelined request, cut short
        leave(s, how)
        wait_for(lambda: counts(p)[0] <= base[0] + 1, SETTLE_S, what="client closed")
        assert daemon_connections(p) <= base[1] + 1
    assert_back_to(p, base, "pooled daemon connection", timeout=SETTLE_S)


# --------------------------------------------------------------------------
# nothing more after a response that closes
# --------------------------------------------------------------------------

class ClosingDaemon(UnixServer):
    """Records every request head; answers the first request of each
    connection in the way `mode` says, then closes that connection."""

    def __init__(self, path, mode):
        self.mode = mode
        self.lock = threading.Lock()
        self.heads = []
        super().__init__(path)

    def serve(self, c):
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                more = c.recv(65536)
                if not more:
                    return
                data += more
            head = data.split(b"\r\n\r\n", 1)[0]
            with self.lock:
                self.heads.append(head)
            body = b'{"answered":"%s"}' % head.split(b" ")[1]
            if self.mode == "length":
                c.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            elif self.mode == "chunked":
                c.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            else:  # the body ends where the daemon closes
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + body)
            time.sleep(0.2)
        except OSError:
            return
        finally:
            c.close()


@pytest.mark.parametrize("mode", ["length", "chunked", "close-delimited"])
def test_nothing_after_a_closing_response(proxy, session_dir, mode):
    """RFC 9112 §9.6: the client may send again what it sent after a
    response that closes; the proxy must not have forwarded it."""
    d = ClosingDaemon(str(session_dir / f"closing-{time.monotonic_ns()}.sock"), mode)
    try:
        p = proxy(SOCKET_PATH=d.path, CONTAINERS=1, POST=1)
        conn = p.connect()
        try:
            conn.send(http_request("GET", "/v1.41/containers/json?first=1")
                      + json_post("/v1.41/containers/kill-me/kill", {})
                      + http_request("GET", "/_ping"))
            first = conn.read_response()
            assert first.status == 200 and first.json() == {
                "answered": "/v1.41/containers/json?first=1"}, first
            rest = conn.read_until_close(timeout=8)
            assert rest == b"", f"answered after a closing response: {rest!r:.300}"
        finally:
            conn.close()
        time.sleep(0.3)
        with d.lock:
            targets = [h.split(b" ")[1] for h in d.heads]
        assert targets == [b"/v1.41/containers/json?first=1"], targets
    finally:
        d.close()


# --------------------------------------------------------------------------
# a request sent just before the close still counts
# --------------------------------------------------------------------------

def test_unix_request_sent_before_close_is_forwarded(proxy, dockerd, busybox):
    """A unix client that sends a complete request and closes its socket
    at once (nc -U -q0, a fire-and-forget script) gets it executed, as the
    daemon's own socket would: the hang-up ends the connection only once
    what arrived before it has been judged and forwarded. Its daemon
    connection is released afterwards."""
    p = proxy(CONTAINERS=1, POST=1)
    base = baseline(p)
    names = [f"dgt-fire-{os.getpid()}-{i}" for i in range(20)]
    try:
        for name in names:
            s = p.connect_socket("unix")
            s.sendall(json_post(f"/v1.41/containers/create?name={name}",
                                {"Image": busybox, "Cmd": ["true"]}))
            s.close()
        wait_for(lambda: all(dockerd.exists(n) for n in names), 15, 0.1,
                 "every container sent before a close to be created")
        assert_back_to(p, base, "clients that closed after their request")
    finally:
        for name in names:
            dockerd.api("DELETE", f"/containers/{name}?force=1")


@pytest.mark.parametrize("upgrade", [True, False])
def test_unix_close_delivers_a_tunnels_whole_stdin(proxy, dockerd, sleeper, upgrade):
    """A unix client that writes its stdin into an exec tunnel and closes
    its socket (docker-py's attach_socket, sendall, close) gets every byte
    to the process, then the end of input, as on the daemon's own socket:
    a shell never runs the cut half of a line. Then the tunnel is gone."""
    p = proxy(CONTAINERS=1, EXEC=1, POST=1)
    base = baseline(p)
    target = f"/tmp/{unique('stdin')}"
    payload = b"".join(b"%07d " % i + b"A" * 192 + b"\n" for i in range(10000))  # 2 MB
    st, ex = dockerd.api("POST", f"/containers/{sleeper}/exec",
                         {"AttachStdin": True, "AttachStdout": True, "AttachStderr": True,
                          "Cmd": ["sh", "-c", f"cat > {target}; echo done"]})
    assert st == 201, ex
    s = p.connect_socket("unix")
    s.sendall(json_post(f"/exec/{ex['Id']}/start", {"Detach": False, "Tty": False},
                        UPGRADE if upgrade else ()))
    head = read_head(s)
    assert head.split(b"\r\n")[0].split()[1] in (b"101", b"200"), head
    s.sendall(payload)
    s.close()

    def written():
        r = dockerd.cli("exec", sleeper, "wc", "-c", target)
        return r.out.split()[0] if r.rc == 0 and r.out.strip() else ""
    wait_for(lambda: written() == str(len(payload)), 30, 0.5,
             f"all {len(payload)} stdin bytes in {target}")
    assert_back_to(p, base, "a tunnel whose unix client closed after its stdin")
    dockerd.cli("exec", sleeper, "rm", "-f", target)


def test_unix_close_with_answers_unread_still_forwards(proxy, dockerd, busybox):
    """A unix client that leaves its first answer unread, sends a second
    request and closes: the kernel reports that close as an error, but it
    comes after the second request, which the daemon's own socket would
    run: it runs here too."""
    p = proxy(CONTAINERS=1, POST=1)
    base = baseline(p)
    names = []
    try:
        for i in range(5):
            a, b = (f"dgt-unread-{os.getpid()}-{i}-{x}" for x in "ab")
            names += [a, b]
            s = p.connect_socket("unix")
            s.sendall(json_post(f"/v1.41/containers/create?name={a}",
                                {"Image": busybox, "Cmd": ["true"]}))
            time.sleep(0.3)  # its 201 arrives and stays unread
            s.sendall(json_post(f"/v1.41/containers/create?name={b}",
                                {"Image": busybox, "Cmd": ["true"]}))
            s.close()
        wait_for(lambda: all(dockerd.exists(n) for n in names), 15, 0.1,
                 "both requests of every client that closed with answers unread")
        assert_back_to(p, base, "clients that closed with answers unread")
    finally:
        for name in names:
            dockerd.api("DELETE", f"/containers/{name}?force=1")

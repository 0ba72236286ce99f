"""The benchmark's GET, and many client sockets at once: crowds of idle
connections, and GETs over many concurrent connections from one thread."""

import selectors
import time

from dockgate_testlib.net import connect
from dockgate_testlib.rawhttp import RawConn, http_request


def get_request(path, close=False):
    """The bytes of every GET the benchmark's own clients send: Host:
    docker, and Connection: close if close."""
    headers = [("Host", "docker")] + ([("Connection", "close")] if close else [])
    return http_request("GET", path, headers, host=False)


def keepalive_get(conn, path, timeout):
    """One GET of path on the RawConn conn, its whole answer read; returns
    its status. Raises ConnectionError on an answer without a length,
    which would leave the connection unusable."""
    conn.send(get_request(path))
    return conn.read_response(timeout, length_required=True).status


def open_idle(port, n):
    """n connections to 127.0.0.1:port, left non-blocking and silent."""
    socks = []
    for _ in range(n):
        s = connect(("127.0.0.1", port), 10)
        s.setblocking(False)
        socks.append(s)
    return socks


def read_all(socks, done, timeout):
    """Reads from every socket at once until done(bytes) is true for each,
    it closes, or the deadline passes. Returns the bytes read per socket."""
    sel = selectors.DefaultSelector()
    data = {}
    for s in socks:
        data[s] = b""
        sel.register(s, selectors.EVENT_READ)
    left = len(socks)
    end = time.monotonic() + timeout
    while left and time.monotonic() < end:
        for key, _ in sel.select(0.5):
            s = key.fileobj
            try:
                d = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                d = b""
            data[s] += d
            if not d or done(data[s]):
                sel.unregister(s)
                left -= 1
    sel.close()
    return [data[s] for s in socks]


def send_all(socks, req):
    """Sends req on every socket (a socket that fails is passed over)."""
    for s in socks:
        s.setblocking(True)
        s.settimeout(5)
        try:
            s.sendall(req)
        except OSError:
            pass
        s.setblocking(False)


def _response_end(buf, close):
    """Where the first whole response in buf ends, or None if it has not
    all arrived. close: the response ends at EOF, so never before."""
    if close:
        return None
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    length = None
    for line in buf[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise ConnectionError("a keep-alive response without Content-Length")
    end = head_end + 4 + length
    return end if len(buf) >= end else None


def concurrent_gets(port, path, conns, requests, close=False, stall=120.0):
    """Sends `requests` GETs of path to 127.0.0.1:port over `conns`
    connections at once, one request in flight per connection, as wrk does.
    close=False: keep-alive, each connection sends its next GET as soon as
    its answer is whole; close=True: every GET says Connection: close on a
    new connection, read to EOF, and a new connection replaces it at once.
    Raises if an answer is not 200, or if no answer came for `stall` s."""
    req = get_request(path, close)
    sel = selectors.DefaultSelector()
    sent = answered = 0

    def send_next(s):
        nonlocal sent
        if s is None:
            s = connect(("127.0.0.1", port), 10, nodelay=True)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, [b""])
        s.setblocking(True)
        s.sendall(req)
        s.setblocking(False)
        sent += 1

    def finish(s, buf, end):
        nonlocal answered
        if not buf.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"answered {buf[:40]!r} under {conns} connections")
        answered += 1
        if close or sent >= requests:
            sel.unregister(s)
            s.close()
            if close and sent < requests:
                send_next(None)
            return
        sel.get_key(s).data[0] = buf[end:]
        send_next(s)

    try:
        for _ in range(min(conns, requests)):
            send_next(None)
        last = time.monotonic()
        while answered < requests:
            events = sel.select(1.0)
            if not events and time.monotonic() - last > stall:
                raise RuntimeError(f"no answer for {stall:.0f} s "
                                   f"({answered} of {requests} answered)")
            for key, _ in events:
                s, held = key.fileobj, key.data
                try:
                    d = s.recv(65536)
                except BlockingIOError:
                    continue
                if not d and not close:
                    raise ConnectionError("a keep-alive connection closed")
                held[0] += d
                end = _response_end(held[0], close) if d else len(held[0])
                if end is not None:
                    last = time.monotonic()
                    finish(s, held[0], end)
    finally:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()


def drive_gets(port, path, requests, conns=1, close=False, what="the subject"):
    """`requests` GETs of path to 127.0.0.1:port. conns=1 and not close:
    keep-alive GETs one after the other on one connection (keepalive_get);
    else concurrent_gets over `conns` connections (close: a new connection
    per GET). Raises if an answer is not 200."""
    if conns == 1 and not close:
        c = RawConn.open(("127.0.0.1", port), timeout=60, nodelay=True)
        for _ in range(requests):
            st = keepalive_get(c, path, 60)
            if st != 200:
                raise RuntimeError(f"{what} answered {st}")
        c.close()
    else:
        concurrent_gets(port, path, conns, requests, close)

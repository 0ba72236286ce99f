"""Many client sockets at once: crowds of idle connections."""

import selectors
import socket
import time


def open_idle(port, n):
    """n connections to 127.0.0.1:port, left non-blocking and silent."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
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


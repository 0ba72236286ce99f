"""Ports and sockets: a free TCP port, connecting to a TCP or unix address,
polling until something is ready, and a scripted unix-socket server.

An address is ("127.0.0.1", port) for TCP or a path (str or Path) for a
unix stream socket."""

import socket
import threading
import time
from pathlib import PurePath


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(addr, timeout=10, nodelay=False):
    """A connected stream socket to addr with timeout set; raises OSError.
    nodelay sets TCP_NODELAY (TCP only), for latency measurements."""
    if isinstance(addr, (str, PurePath)):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(str(addr))
        except OSError:
            s.close()
            raise
        return s
    s = socket.create_connection(addr, timeout=timeout)
    if nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def can_connect(addr, timeout=0.5):
    """True if addr accepts a connection now (which is closed at once)."""
    try:
        connect(addr, timeout).close()
    except OSError:
        return False
    return True


def wait_for(pred, timeout, interval=0.05, what="condition"):
    """Poll pred() until it is true; return its value or raise AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class UnixServer:
    """A scripted stand-in for the daemon on a unix socket: a thread
    accepts, and each connection is served by serve(sock, *accepted(sock))
    in a thread of its own. Subclasses set their state before calling
    __init__, which starts accepting."""

    def __init__(self, path, backlog=16):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(backlog)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def accepted(self, c):
        """Extra arguments for serve(), decided when c is accepted."""
        return ()

    def serve(self, c, *args):
        raise NotImplementedError

    def _accept_loop(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c, *self.accepted(c)),
                             daemon=True).start()

    def close(self):
        # shutdown() wakes the accept() first: a thread still blocked on
        # this fd number after close() would take the next test's socket.
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(5)
        self.sock.close()

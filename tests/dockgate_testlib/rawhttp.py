"""Raw HTTP/1.1 over a socket: the bytes of a request, and a client
connection with a strict-enough response reader (Content-Length, chunked,
close-delimited, HEAD, 1xx, 204/304).

    c = RawConn.open(("127.0.0.1", port))      # or a unix socket path
    c.send(http_request("GET", "/_ping"))
    rsp = c.read_response()                    # Response: .status .headers .body
"""

import json
import socket
import time

from .net import connect


class Response:
    def __init__(self, version, status, reason, headers, body, raw):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers          # list of (lower-case name, value)
        self.body = body
        self.body_length = len(body)    # also counted when the body was not kept
        self.raw = raw

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k == name.lower()]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.reason!r} headers={self.headers!r} body={self.body[:300]!r}>"


class PeerClosed(Exception):
    pass


class RawConn:
    """A client socket with a receive buffer and a strict-enough HTTP/1.1 response reader."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False

    @classmethod
    def open(cls, addr, timeout=10, nodelay=False):
        """A RawConn on a new connection to addr (see net.connect)."""
        return cls(connect(addr, timeout, nodelay))

    def send(self, data):
        self.sock.sendall(data)

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self, deadline):
        """Read more bytes into buf. False on EOF/reset; raises TimeoutError at deadline."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no data before deadline")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no data before deadline")
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _read_exact(self, n, deadline, keep=True):
        """The next n bytes; with keep=False they are consumed and b"" is
        returned, so that a body of gigabytes costs no memory."""
        if not keep:
            left = n
            while left:
                if not self.buf and not self._fill(deadline):
                    raise PeerClosed(f"peer closed after {n - left} of {n} body bytes")
                k = min(left, len(self.buf))
                self.buf, left = self.buf[k:], left - k
            return b""
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise PeerClosed(f"peer closed after {len(self.buf)} of {n} body bytes")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_line(self, deadline):
        while b"\r\n" not in self.buf:
            if not self._fill(deadline):
                raise PeerClosed("peer closed inside a chunk line")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_head(self, timeout=10):
        """Status line and headers of the next response; raises PeerClosed on EOF."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise PeerClosed(f"peer closed before a complete response head; got {self.buf!r:.300}")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        parts = lines[0].decode("latin-1").split(" ", 2)
        assert len(parts) >= 2 and parts[0].startswith("HTTP/"), f"bad status line {lines[0]!r}"
        headers = []
        for ln in lines[1:]:
            k, _, v = ln.decode("latin-1").partition(":")
            headers.append((k.strip().lower(), v.strip()))
        return parts[0], int(parts[1]), (parts[2] if len(parts) > 2 else ""), headers, head

    def read_response(self, timeout=10, head_request=False, skip_1xx=False, keep_body=True,
                      length_required=False):
        """The next complete response (1xx responses are returned unless
        skip_1xx). keep_body=False reads the body without keeping it:
        body stays b"" and body_length says how long it was.
        length_required: a body with neither Content-Length nor chunked
        raises ConnectionError at once instead of being read to the close
        (a keep-alive client, which would wait for a close that never comes)."""
        deadline = time.monotonic() + timeout
        while True:
            version, status, reason, headers, raw = self.read_head(max(0.01, deadline - time.monotonic()))
            rsp = Response(version, status, reason, headers, b"", raw)
            if 100 <= status < 200:
                if skip_1xx and status != 101:
                    continue
                return rsp
            break
        te = rsp.header("transfer-encoding")
        cl = rsp.header("content-length")
        if head_request or status in (204, 304):
            return rsp
        if te is not None and te.lower() == "chunked":
            body, length = b"", 0
            while True:
                size_line = self._read_line(deadline)
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self._read_line(deadline) != b"":
                        pass
                    break
                body += self._read_exact(size, deadline, keep_body)
                length += size
                assert self._read_exact(2, deadline) == b"\r\n"
            rsp.body, rsp.body_length = body, length
        elif cl is not None:
            rsp.body = self._read_exact(int(cl), deadline, keep_body)
            rsp.body_length = int(cl)
        else:
            if length_required:
                raise ConnectionError(f"a {status} response without a length: {raw!r:.300}")
            while self._fill(deadline):
                pass
            rsp.body, self.buf = self.buf, b""
            rsp.body_length = len(rsp.body)
        return rsp

    def read_until_close(self, timeout=10):
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        out, self.buf = self.buf, b""
        return out

    def read_until(self, needle, timeout=10):
        """Read until needle is in the buffer; return everything up to and including it."""
        deadline = time.monotonic() + timeout
        while needle not in self.buf:
            if not self._fill(deadline):
                raise PeerClosed(f"peer closed before {needle!r}; got {self.buf!r:.300}")
        i = self.buf.index(needle) + len(needle)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def closed_by_peer(self, timeout=3):
        """True if the peer closes (EOF or reset) within timeout without sending more bytes.

        Bytes already buffered or arriving meanwhile mean "not closed cleanly" -> False."""
        if self.buf:
            return False
        deadline = time.monotonic() + timeout
        try:
            got = self._fill(deadline)
        except TimeoutError:
            return False
        return not got


def http_request(method, target, headers=(), body=b"", version="HTTP/1.1", host=True,
                 content_length=True):
    """Bytes of one request. headers: list of (name, value) or raw b'Name: value' lines."""
    lines = [f"{method} {target} {version}".encode("latin-1")]
    if host:
        lines.append(b"Host: dockgate-test")
    for h in headers:
        if isinstance(h, (bytes, bytearray)):
            lines.append(bytes(h))
        else:
            lines.append(f"{h[0]}: {h[1]}".encode("latin-1"))
    if isinstance(body, str):
        body = body.encode()
    if body and content_length:
        lines.append(f"Content-Length: {len(body)}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def chunked(body, sizes=None):
    """Chunked encoding of body (optionally in the given chunk sizes), with the last-chunk."""
    if isinstance(body, str):
        body = body.encode()
    out, i = b"", 0
    sizes = list(sizes or [len(body)])
    while i < len(body):
        n = sizes.pop(0) if sizes else len(body) - i
        out += b"%x\r\n" % n + body[i:i + n] + b"\r\n"
        i += n
    return out + b"0\r\n\r\n"

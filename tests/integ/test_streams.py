"""Raw-socket checks of response framing and connection hijacking (attach, exec start)."""

import json
import os
import struct
import time

import pytest

from dockgate_testlib.daemon import unique
from dockgate_testlib.rawhttp import chunked, http_request

VIAS = ["tcp", "unix"]
UPGRADE = [("Connection", "Upgrade"), ("Upgrade", "tcp")]


def demux(data):
    """Split a docker multiplexed stream into {1: stdout, 2: stderr}; asserts it is well formed."""
    out = {1: b"", 2: b""}
    i = 0
    while i < len(data):
        assert i + 8 <= len(data), f"truncated frame header at {i}: {data[i:i + 8]!r}"
        stream, size = data[i], struct.unpack(">I", data[i + 4:i + 8])[0]
        assert stream in (0, 1, 2) and data[i + 1:i + 4] == b"\0\0\0", f"bad frame header {data[i:i + 8]!r}"
        assert i + 8 + size <= len(data), "truncated frame"
        out.setdefault(stream, b"")
        out[stream] += data[i + 8:i + 8 + size]
        i += 8 + size
    return out


def json_post(path, obj, extra=()):
    return http_request("POST", path, [("Content-Type", "application/json"), *extra], json.dumps(obj).encode())


# --------------------------------------------------------------------------
# hijacking
# --------------------------------------------------------------------------

@pytest.mark.parametrize("upgrade", [True, False], ids=["upgrade-101", "old-style-200"])
@pytest.mark.parametrize("via", VIAS)
def test_exec_start_half_close(proxy, sleeper, via, upgrade):
    """stdin bytes reach `cat`, our SHUT_WR reaches its stdin as EOF, and the tunnel ends."""
    p = proxy(CONTAINERS=1, EXEC=1, POST=1)
    conn = p.connect(via)
    try:
        conn.send(json_post(f"/containers/{sleeper}/exec",
                            {"AttachStdin": True, "AttachStdout": True, "AttachStderr": True,
                             "Cmd": ["cat"]}))
        rsp = conn.read_response()
        assert rsp.status == 201, rsp
        exec_id = rsp.json()["Id"]
        conn.send(json_post(f"/exec/{exec_id}/start", {"Detach": False, "Tty": False},
                            UPGRADE if upgrade else ()))
        _, status, _, headers, _ = conn.read_head()
        assert status == (101 if upgrade else 200), headers
        ctype = dict(headers).get("content-type", "")
        assert ctype.startswith("application/vnd.docker."), headers
        payload = b"half-close payload\n" + b"GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n"
        conn.send(payload)
        conn.shutdown_write()
        data = conn.read_until_close(timeout=15)
    finally:
        conn.close()
    assert demux(data)[1] == payload


@pytest.mark.parametrize("upgrade", [True, False], ids=["upgrade-101", "old-style-200"])
def test_attach_echo(proxy, container, upgrade):
    # A tunnel is not an idle keep-alive connection: IDLE_TIMEOUT must not cut it.
    p = proxy(CONTAINERS=1, POST=1, IDLE_TIMEOUT=1, HEADER_TIMEOUT=1)
    cid = container(["cat"], "-i")
    conn = p.connect()
    try:
        conn.send(http_request("POST", f"/containers/{cid}/attach?stream=1&stdin=1&stdout=1&stderr=1",
                               list(UPGRADE if upgrade else ()) + [("Content-Length", "0")]))
        _, status, _, headers, _ = conn.read_head()
        assert status == (101 if upgrade else 200), headers
        for i in range(3):
            if i == 2:
                time.sleep(2.5)
            line = b"attach-line-%d\n" % i
            conn.send(line)
            got = conn.read_until(line, timeout=10)
            assert line in demux(got)[1], got
    finally:
        conn.close()


def test_exec_output_with_head(proxy, sleeper):
    """Output that is ready before the client reads must follow the 101 head intact."""
    p = proxy(CONTAINERS=1, EXEC=1, POST=1)
    conn = p.connect()
    try:
        conn.send(json_post(f"/containers/{sleeper}/exec",
                            {"AttachStdout": True, "AttachStderr": True,
                             "Cmd": ["sh", "-c", "echo out; echo err >&2"]}))
        exec_id = conn.read_response().json()["Id"]
        conn.send(json_post(f"/exec/{exec_id}/start", {"Detach": False, "Tty": False}, UPGRADE))
        assert conn.read_head()[1] == 101
        streams = demux(conn.read_until_close(timeout=15))
    finally:
        conn.close()
    assert (streams[1], streams[2]) == (b"out\n", b"err\n")


def test_exec_tty_raw_stream(proxy, sleeper):
    p = proxy(CONTAINERS=1, EXEC=1, POST=1)
    conn = p.connect()
    try:
        conn.send(json_post(f"/containers/{sleeper}/exec",
                            {"AttachStdout": True, "Tty": True, "Cmd": ["echo", "tty-raw"]}))
        exec_id = conn.read_response().json()["Id"]
        conn.send(json_post(f"/exec/{exec_id}/start", {"Detach": False, "Tty": True}, UPGRADE))
        assert conn.read_head()[1] == 101
        data = conn.read_until_close(timeout=15)
    finally:
        conn.close()
    assert data.replace(b"\r", b"") == b"tty-raw\n"


# --------------------------------------------------------------------------
# responses without a body, on a kept-alive connection
# --------------------------------------------------------------------------

def test_head_response_has_no_body(proxy):
    p = proxy()
    conn = p.connect()
    try:
        conn.send(b"HEAD /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        rsp = conn.read_response(head_request=True)
        assert rsp.status == 200
        conn.send(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        rsp = conn.read_response()
        assert (rsp.status, rsp.body) == (200, b"OK"), f"HEAD leaked a body into the next response: {rsp}"
    finally:
        conn.close()


def test_304_and_204_keep_connection(proxy, dockerd, container):
    cid = container()
    p = proxy(ALLOW_START=1, NETWORKS=1, POST=1)
    n = unique("dgt-net204")
    conn = p.connect()
    try:
        conn.send(http_request("POST", f"/containers/{cid}/start", [("Content-Length", "0")]))
        assert conn.read_response().status == 304     # already running
        conn.send(json_post("/networks/create", {"Name": n}))
        assert conn.read_response().status == 201
        conn.send(http_request("DELETE", f"/networks/{n}"))
        assert conn.read_response().status == 204
        conn.send(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        rsp = conn.read_response()
        assert (rsp.status, rsp.body) == (200, b"OK")
    finally:
        conn.close()
    assert n not in dockerd.networks()


def test_chunked_request_body_reaches_daemon(proxy, dockerd):
    """A chunked request body in many small chunks is decoded and re-framed correctly."""
    n = unique("dgt-netch")
    body = json.dumps({"Name": n, "Labels": {"k": "v" * 3000}}).encode()
    p = proxy(NETWORKS=1, POST=1)
    rsp = p.request(b"POST /networks/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n" + chunked(body, [1, 2, 3, 500, 7]))
    assert rsp.status == 201, rsp
    st, info = dockerd.api("GET", f"/networks/{n}")
    assert st == 200 and info["Labels"] == {"k": "v" * 3000}
    dockerd.api("DELETE", f"/networks/{n}")


def test_events_stream_is_chunked_and_live(proxy, dockerd, container):
    p = proxy()
    conn = p.connect()
    try:
        conn.send(b"GET /events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D HTTP/1.1\r\nHost: x\r\n\r\n")
        _, status, _, headers, _ = conn.read_head()
        assert status == 200
        time.sleep(0.3)
        cid = container(start=False)
        conn.read_until(cid.encode(), timeout=10)
    finally:
        conn.close()


# --------------------------------------------------------------------------
# h2c upgrades (BuildKit's /grpc and /session)
# --------------------------------------------------------------------------

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
H2_EMPTY_SETTINGS = bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def test_grpc_h2c_tunnel(proxy):
    """The daemon serves gRPC over HTTP/2 after the 101: its SETTINGS frame must come back."""
    p = proxy(GRPC=1, POST=1)
    conn = p.connect()
    try:
        conn.send(b"POST /grpc HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
                  b"Content-Length: 0\r\n\r\n")
        _, status, _, headers, _ = conn.read_head()
        assert status == 101, headers
        conn.send(H2_PREFACE + H2_EMPTY_SETTINGS)
        deadline = time.monotonic() + 10
        while len(conn.buf) < 9:
            assert conn._fill(deadline), f"tunnel closed; got {conn.buf!r}"
        assert conn.buf[3] == 4, f"first HTTP/2 frame is not SETTINGS: {conn.buf[:20]!r}"
    finally:
        conn.close()


def test_session_h2c_tunnel(proxy):
    """On /session the daemon is the HTTP/2 client: its connection preface must come back."""
    p = proxy(SESSION=1, POST=1)
    conn = p.connect()
    try:
        conn.send(b"POST /session HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
                  b"X-Docker-Expose-Session-Uuid: dgtest\r\nX-Docker-Expose-Session-Name: dgtest\r\n"
                  b"X-Docker-Expose-Session-Sharedkey: dgtest\r\nContent-Length: 0\r\n\r\n")
        _, status, _, headers, _ = conn.read_head()
        assert status == 101, headers
        conn.read_until(H2_PREFACE, timeout=10)
    finally:
        conn.close()


def test_client_sockets_have_tcp_nodelay(proxy):
    """docs/engine-api.md §12: a hijacked stream must not wait for Nagle. The
    option is set on the listener and inherited by every accepted socket;
    this reads it off the proxy's own sockets (pidfd_getfd, Linux 5.6)."""
    import ctypes
    import socket as socketmod
    p = proxy()
    c = p.connect()
    c.send(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
    assert c.read_response().status == 200
    port = c.sock.getpeername()[1]
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(p.proc.pid)
    checked = 0
    try:
        for name in os.listdir(f"/proc/{p.proc.pid}/fd"):
            fd = libc.syscall(438, pidfd, int(name), 0)  # pidfd_getfd
            if fd < 0:
                continue
            try:
                s = socketmod.socket(fileno=fd)
            except OSError:
                os.close(fd)
                continue
            with s:
                if s.family not in (socketmod.AF_INET, socketmod.AF_INET6):
                    continue
                if s.type != socketmod.SOCK_STREAM:
                    continue
                try:
                    s.getpeername()
                except OSError:
                    continue  # the listener
                if s.getsockname()[1] != port:
                    continue
                assert s.getsockopt(socketmod.IPPROTO_TCP, socketmod.TCP_NODELAY) == 1
                checked += 1
    finally:
        os.close(pidfd)
        c.close()
    assert checked == 1

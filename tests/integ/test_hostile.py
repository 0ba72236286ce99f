"""Hostile clients over raw sockets.

Every case carries a forbidden side effect: a `POST /containers/create?name=<C>`
hidden somewhere in the bytes (pipelined, smuggled in a body, behind an odd
framing, ...). The proxy runs with POST=1 NETWORKS=1 and CONTAINERS=0, so the
only thing it may ever let reach the daemon is network traffic; afterwards the
daemon is asked directly whether container <C> exists (and, where the case
also carries an allowed-looking network create, whether network <N> exists).
"""

import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field

import pytest

from dockgate_testlib.daemon import IMAGE, unique
from dockgate_testlib.net import wait_for
from dockgate_testlib.rawhttp import PeerClosed, chunked, http_request

HOSTILE_ENV = {"POST": 1, "NETWORKS": 1}
ALL_ON = {k: 1 for k in (
    "EVENTS PING VERSION AUTH BUILD COMMIT CONFIGS CONTAINERS DISTRIBUTION EXEC GRPC IMAGES "
    "INFO NETWORKS NODES PLUGINS SECRETS SERVICES SESSION SWARM SYSTEM TASKS VOLUMES POST "
    "ALLOW_START ALLOW_STOP ALLOW_RESTARTS").split()}
LIBPOD_ALL = {**ALL_ON, "LIBPOD": 1}


def create_body():
    return json.dumps({"Image": IMAGE, "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}}).encode()


def create_req(cname, headers=()):
    """The forbidden request: creating container cname."""
    return http_request("POST", f"/containers/create?name={cname}",
                        [("Content-Type", "application/json"), *headers], create_body())


def net_body(nname):
    return json.dumps({"Name": nname, "CheckDuplicate": True}).encode()


PING = b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"
VERSION = b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture
def names(dockerd):
    """(container name C, network name N) for one case; N is removed afterwards."""
    c, n = unique("dgt-smuggled"), unique("dgt-hnet")
    yield c, n
    if n in dockerd.networks():
        dockerd.api("DELETE", f"/networks/{n}")
    if dockerd.exists(c):
        dockerd.remove(c)


def assert_not_created(dockerd, cname, before=None):
    assert not dockerd.exists(cname), f"FORBIDDEN container {cname} was created on the daemon"
    if before is not None:
        assert dockerd.container_ids() == before, "the daemon's container list changed"


def assert_403_json(rsp, *needles):
    assert rsp.status == 403, rsp
    assert (rsp.header("content-type") or "").startswith("application/json"), rsp
    msg = rsp.json()["message"]
    for n in needles:
        assert n in msg, f"403 message {msg!r} does not mention {n!r}"
    return msg


# --------------------------------------------------------------------------
# 1. pipelining and smuggling through bodies
# --------------------------------------------------------------------------

@dataclass
class Pipe:
    id: str
    build: object                 # (C, N) -> bytes
    statuses: list                # expected statuses, in order
    closed: bool = False          # the proxy must close after the last one
    net_created: bool = False     # N must exist afterwards (the allowed part ran)


PIPELINE_CASES = [
    Pipe("allowed-then-forbidden",
         lambda c, n: PING + create_req(c), [200, 403]),
    Pipe("forbidden-then-allowed",
         lambda c, n: create_req(c) + PING, [403, 200]),
    Pipe("allowed-forbidden-allowed",
         lambda c, n: PING + create_req(c) + VERSION, [200, 403, 200]),
    Pipe("allowed-post-then-forbidden",
         lambda c, n: http_request("POST", "/networks/create", [("Content-Type", "application/json")],
                                   net_body(n)) + create_req(c), [201, 403], net_created=True),
    Pipe("allowed-chunked-post-then-forbidden",
         lambda c, n: http_request("POST", "/networks/create",
                                   [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
                                   chunked(net_body(n), [5, 7]), content_length=False) + create_req(c),
         [201, 403], net_created=True),
    Pipe("versioned-forbidden-after-allowed",
         lambda c, n: PING + create_req(c).replace(b"POST /containers", b"POST /v1.41/containers", 1),
         [200, 403]),
    # The allowed request's body *is* a forbidden request: it must travel as a body.
    Pipe("smuggled-in-get-body",
         lambda c, n: http_request("GET", "/_ping", body=create_req(c)) + VERSION, [200, 200]),
    Pipe("smuggled-in-post-body",
         lambda c, n: http_request("POST", "/networks/create", [("Content-Type", "application/json")],
                                   create_req(c)) + PING, [400, 200]),
    Pipe("smuggled-in-chunked-body",
         lambda c, n: http_request("POST", "/networks/create",
                                   [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
                                   chunked(create_req(c), [10, 1, 100]), content_length=False) + PING,
         [400, 200]),
    Pipe("smuggled-after-chunk-trailer",
         lambda c, n: http_request("POST", "/networks/create",
                                   [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
                                   chunked(net_body(n))[:-2] + b"X-Trailer: y\r\n\r\n",
                                   content_length=False) + create_req(c),
         [201, 403], net_created=True),
    Pipe("http10-closes-after-response",
         lambda c, n: b"GET /_ping HTTP/1.0\r\n\r\n" + create_req(c), [200], closed=True),
    # A denied request whose body cannot be skipped cheaply ends the connection.
    Pipe("denied-chunked-body-closes",
         lambda c, n: http_request("POST", f"/containers/create?name={c}",
                                   [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
                                   chunked(create_body()), content_length=False) + PING,
         [403], closed=True),
    Pipe("denied-huge-body-closes",
         lambda c, n: (f"POST /containers/create?name={c} HTTP/1.1\r\nHost: x\r\n"
                       "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n").encode()
         + create_body() + PING, [403], closed=True),
    # An exec start with Detach=true is an ordinary request: no tunnel afterwards.
]


@pytest.mark.parametrize("case", PIPELINE_CASES, ids=lambda c: c.id)
def test_pipeline(proxy, dockerd, names, case):
    c, n = names
    before = dockerd.container_ids()
    p = proxy(**HOSTILE_ENV)
    rsps, closed = p.exchange(case.build(c, n), count=len(case.statuses))
    assert [r.status for r in rsps] == case.statuses, rsps
    for r in rsps:
        if r.status == 403:
            assert_403_json(r, "/containers/create", "CONTAINERS=1")
    if case.closed:
        assert closed, "the proxy kept the connection open"
    else:
        assert not closed, "the proxy closed a connection that should stay usable"
    assert_not_created(dockerd, c, before)
    assert (n in dockerd.networks()) == case.net_created


def test_pipeline_in_single_bytes(proxy, dockerd, names):
    """The same pipeline dribbled one byte per send: judging must not depend on segmentation."""
    c, _ = names
    p = proxy(**HOSTILE_ENV)
    conn = p.connect()
    try:
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for b in PING + create_req(c) + VERSION:
            conn.send(bytes([b]))
        got = [conn.read_response().status for _ in range(3)]
    finally:
        conn.close()
    assert got == [200, 403, 200]
    assert_not_created(dockerd, c)


def test_detached_exec_start_is_not_a_tunnel(proxy, dockerd, sleeper, names):
    c, _ = names
    st, ex = dockerd.api("POST", f"/containers/{sleeper}/exec", {"Cmd": ["true"]})
    assert st == 201, ex
    p = proxy(EXEC=1, POST=1)
    start = http_request("POST", f"/exec/{ex['Id']}/start", [("Content-Type", "application/json")],
                         b'{"Detach":true,"Tty":false}')
    rsps, _ = p.exchange(start + create_req(c), count=2)
    assert [r.status for r in rsps] == [200, 403], rsps
    assert_not_created(dockerd, c)


# --------------------------------------------------------------------------
# 2. message framing: CL/TE games -> 400 and close, nothing forwarded
# --------------------------------------------------------------------------

@dataclass
class Framing:
    id: str
    headers: list                 # raw header lines (bytes) after Host
    body: object = "chunked"      # "chunked" | "plain" | callable(netbody)->bytes
    version: str = "HTTP/1.1"
    expect: str = "400"           # "400": 400 + close; "ok-or-400": valid chunked or 400;
                                  # "no-2xx": the body is broken mid-stream: no success, close


def _cl(n):
    return b"Content-Length: %d" % n


FRAMING_CASES = [
    # CL and TE together (RFC 9112 6.1): CL covers the smuggled request as well, the classic CL.TE.
    Framing("cl-and-te", [b"CL", b"Transfer-Encoding: chunked"]),
    Framing("te-and-cl", [b"Transfer-Encoding: chunked", b"CL"]),
    Framing("cl-and-te-http10", [b"CL", b"Transfer-Encoding: chunked"], version="HTTP/1.0"),
    Framing("duplicate-cl-same", [b"CLBODY", b"CLBODY"], body="plain"),
    Framing("duplicate-cl-different", [b"CLBODY", b"CL"], body="plain"),
    Framing("cl-list", [b"CLLIST"], body="plain"),
    Framing("cl-plus-sign", [b"CLPLUS"], body="plain"),
    Framing("cl-negative", [b"Content-Length: -1"], body="plain"),
    Framing("cl-hex", [b"Content-Length: 0x10"], body="plain"),
    Framing("cl-overflow", [b"Content-Length: 99999999999999999999999999"], body="plain"),
    Framing("cl-empty", [b"Content-Length: "], body="plain"),
    Framing("te-chunked-comma-x", [b"Transfer-Encoding: chunked , x"]),
    Framing("te-xchunked", [b"Transfer-Encoding: xchunked"]),
    Framing("te-chunkedx", [b"Transfer-Encoding: chunkedx"]),
    Framing("te-twice", [b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"]),
    Framing("te-chunked-chunked", [b"Transfer-Encoding: chunked, chunked"]),
    Framing("te-identity", [b"Transfer-Encoding: identity"], body="plain"),
    Framing("te-identity-with-cl", [b"Transfer-Encoding: identity", b"CLBODY"], body="plain"),
    Framing("te-gzip-chunked", [b"Transfer-Encoding: gzip, chunked"]),
    Framing("te-chunked-gzip", [b"Transfer-Encoding: chunked, gzip"]),
    Framing("te-quoted", [b'Transfer-Encoding: "chunked"']),
    Framing("te-empty", [b"Transfer-Encoding: "]),
    Framing("te-vertical-tab", [b"Transfer-Encoding:\x0bchunked"]),
    Framing("te-nbsp", [b"Transfer-Encoding: \xa0chunked"]),
    Framing("te-space-before-colon", [b"Transfer-Encoding : chunked"]),
    Framing("te-tab-before-colon", [b"Transfer-Encoding\t: chunked"]),
    Framing("te-obs-fold", [b"Transfer-Encoding:", b" chunked"]),
    Framing("te-leading-space-line", [b" Transfer-Encoding: chunked"]),
    Framing("te-http10", [b"Transfer-Encoding: chunked"], version="HTTP/1.0"),
    # Legal spellings of a single chunked coding: the proxy may decode them or refuse them,
    # but must never let the request after the body through unjudged.
    Framing("te-tab-chunked", [b"Transfer-Encoding:\tchunked"], expect="ok-or-400"),
    Framing("te-space-tab-chunked", [b"Transfer-Encoding: \tchunked"], expect="ok-or-400"),
    Framing("te-chunked-trailing-tab", [b"Transfer-Encoding: chunked\t"], expect="ok-or-400"),
    Framing("te-uppercase", [b"Transfer-Encoding: CHUNKED"], expect="ok-or-400"),
    Framing("te-name-lowercase", [b"transfer-encoding: chunked"], expect="ok-or-400"),
    # Broken chunked bodies: the proxy decodes and re-checks, so none of them may succeed.
    Framing("chunk-size-0x", [b"Transfer-Encoding: chunked"],
            body=lambda nb: b"0x%x\r\n" % len(nb) + nb + b"\r\n0\r\n\r\n", expect="no-2xx"),
    Framing("chunk-size-negative", [b"Transfer-Encoding: chunked"],
            body=lambda nb: b"-1\r\n" + nb + b"\r\n0\r\n\r\n", expect="no-2xx"),
    Framing("chunk-size-overflow", [b"Transfer-Encoding: chunked"],
            body=lambda nb: b"10000000000000000%x\r\n" % len(nb) + nb + b"\r\n0\r\n\r\n", expect="no-2xx"),
    Framing("chunk-size-space-inside", [b"Transfer-Encoding: chunked"],
            body=lambda nb: b"1 0\r\n" + nb + b"\r\n0\r\n\r\n", expect="no-2xx"),
    Framing("chunk-data-longer-than-size", [b"Transfer-Encoding: chunked"],
            body=lambda nb: b"%x\r\n" % (len(nb) - 3) + nb + b"\r\n0\r\n\r\n", expect="no-2xx"),
    Framing("chunk-bare-lf", [b"Transfer-Encoding: chunked"],
            body=lambda nb: b"%x\n" % len(nb) + nb + b"\n0\n\n", expect="no-2xx"),
    Framing("chunk-missing-last-chunk-crlf", [b"Transfer-Encoding: chunked"],
            body=lambda nb: b"%x\r\n" % len(nb) + nb + b"\r\n0\r\n", expect="no-2xx"),
]


def _framing_payload(case, c, n):
    nb = net_body(n)
    smuggled = create_req(c)
    if case.body == "chunked":
        body = chunked(nb)
    elif case.body == "plain":
        body = nb
    else:
        body = case.body(nb)
    lines = []
    for h in case.headers:
        if h == b"CL":
            lines.append(_cl(len(body) + len(smuggled)))
        elif h == b"CLBODY":
            lines.append(_cl(len(body)))
        elif h == b"CLLIST":
            lines.append(b"Content-Length: %d, %d" % (len(body), len(body)))
        elif h == b"CLPLUS":
            lines.append(b"Content-Length: +%d" % len(body))
        else:
            lines.append(h)
    head = (f"POST /networks/create {case.version}\r\nHost: x\r\n"
            "Content-Type: application/json\r\n").encode() + b"\r\n".join(lines) + b"\r\n\r\n"
    return head + body + smuggled + PING


@pytest.mark.parametrize("case", FRAMING_CASES, ids=lambda c: c.id)
def test_framing(proxy, dockerd, names, case):
    c, n = names
    before = dockerd.container_ids()
    p = proxy(**HOSTILE_ENV)
    rsps, closed = p.exchange(_framing_payload(case, c, n), count=3)
    statuses = [r.status for r in rsps]
    if case.expect == "400":
        assert statuses == [400], rsps
        assert closed, "no close after the 400"
        assert n not in dockerd.networks(), "the rejected request was forwarded anyway"
    elif case.expect == "ok-or-400":
        assert statuses in ([400], [201, 403, 200]), rsps
        if statuses == [400]:
            assert closed
            assert n not in dockerd.networks()
        else:
            assert n in dockerd.networks()
            assert_403_json(rsps[1], "CONTAINERS=1")
    elif case.expect == "no-2xx":
        # The head may already be on its way upstream when the bad chunk line arrives, so the
        # proxy may answer 400 or just close; it must not produce a success or go on parsing.
        assert len(statuses) <= 1 and all(s >= 400 for s in statuses), rsps
        assert closed, "the connection stayed open after a broken chunked body"
        assert n not in dockerd.networks(), "a broken chunked body reached the daemon whole"
    assert_not_created(dockerd, c, before)


# --------------------------------------------------------------------------
# 3. request line, target and header syntax
# --------------------------------------------------------------------------

@dataclass
class Target:
    id: str
    line: bytes                   # the request line without CRLF
    status: object                # int or tuple of acceptable statuses
    env: dict = field(default_factory=dict)


REJECTED_TARGETS = [
    # Dot segments, empty segments and encoded separators: the daemon would clean/redirect or
    # decode them; the proxy rejects them instead of judging something else than what runs.
    Target("dotdot", b"GET /version/../containers/json HTTP/1.1", 400),
    Target("dotdot-from-ping", b"GET /_ping/../containers/json HTTP/1.1", 400),
    Target("dotdot-versioned", b"GET /v1.41/version/../containers/json HTTP/1.1", 400),
    Target("dotdot-end", b"GET /version/.. HTTP/1.1", 400),
    Target("dot-segment", b"GET /version/./ HTTP/1.1", 400),
    Target("pct-2e2e", b"GET /version/%2e%2e/containers/json HTTP/1.1", 400),
    Target("pct-2E2E", b"GET /version/%2E%2E/containers/json HTTP/1.1", 400),
    Target("pct-half-dot", b"GET /version/.%2e/containers/json HTTP/1.1", 400),
    Target("pct-2e-single", b"GET /%2e/containers/json HTTP/1.1", 400),
    Target("double-slash-lead", b"GET //containers/json HTTP/1.1", 400),
    Target("double-slash-mid", b"GET /version//containers/json HTTP/1.1", 400),
    Target("double-slash-after-version", b"GET /v1.41//containers/json HTTP/1.1", 400),
    Target("pct-2F", b"GET /version%2F..%2Fcontainers/json HTTP/1.1", 400),
    Target("pct-2f-lower", b"GET /v1.41%2fcontainers/json HTTP/1.1", 400),
    Target("pct-2f-after-ping", b"GET /_ping%2F..%2Fcontainers%2Fjson HTTP/1.1", 400),
    Target("pct-00", b"GET /_ping%00 HTTP/1.1", 400),
    Target("pct-invalid", b"GET /_ping%zz HTTP/1.1", 400),
    Target("pct-truncated", b"GET /_ping%2 HTTP/1.1", 400),
    Target("control-byte", b"GET /_ping\x01 HTTP/1.1", 400),
    Target("del-byte", b"GET /_ping\x7f HTTP/1.1", 400),
    Target("high-byte", b"GET /_ping\xff HTTP/1.1", 400),
    Target("absolute-form", b"GET http://localhost/containers/json HTTP/1.1", 400),
    Target("absolute-form-allowed-path", b"GET http://localhost/_ping HTTP/1.1", 400),
    Target("absolute-form-https-versioned", b"GET https://docker/v1.41/containers/json HTTP/1.1", 400),
    Target("absolute-form-unix", b"GET unix:///var/run/docker.sock/containers/json HTTP/1.1", 400),
    Target("no-leading-slash", b"GET containers/json HTTP/1.1", 400),
    Target("asterisk-form", b"GET * HTTP/1.1", 400),
    Target("authority-form", b"CONNECT localhost:2375 HTTP/1.1", (400, 403)),
    # Methods are case-sensitive (RFC 9110 9.1); the daemon would 404 them.
    Target("lowercase-get", b"get /_ping HTTP/1.1", 400),
    Target("lowercase-get-containers", b"get /containers/json HTTP/1.1", 400),
    Target("mixedcase-get", b"Get /version HTTP/1.1", 400),
    Target("lowercase-head", b"head /_ping HTTP/1.1", 400),
    # Request-line syntax.
    Target("two-spaces", b"GET  /_ping HTTP/1.1", 400),
    Target("tab-separator", b"GET\t/_ping HTTP/1.1", 400),
    Target("trailing-space", b"GET /_ping HTTP/1.1 ", 400),
    Target("space-in-target", b"GET /_ping /containers/json HTTP/1.1", 400),
    Target("http09", b"GET /_ping", 400),
    Target("version-lowercase", b"GET /_ping http/1.1", 400),
    Target("version-2", b"GET /_ping HTTP/2.0", (400, 505)),
    Target("version-garbage", b"GET /_ping HTTP/1.1x", 400),
    Target("empty-method", b" /_ping HTTP/1.1", 400),
    # The libpod API's three-part version prefix gets the same checks.
    Target("libpod-dotdot", b"GET /v4.0.0/libpod/../containers/json HTTP/1.1", 400, LIBPOD_ALL),
    Target("libpod-pct-2f", b"GET /v4.0.0/libpod%2fcontainers/json HTTP/1.1", 400, LIBPOD_ALL),
    Target("libpod-double-slash", b"GET /v4.0.0/libpod//containers/json HTTP/1.1", 400, LIBPOD_ALL),
    Target("version-four-parts", b"GET /v4.0.0.0/libpod/_ping HTTP/1.1", 400, LIBPOD_ALL),
]

DENIED_TARGETS = [
    # Not a section -> denied, even with CONTAINERS=1 (the section match is case-sensitive and
    # the section must be followed by '/', '?' or the end).
    Target("uppercase-section", b"GET /CONTAINERS/json HTTP/1.1", 403, {"CONTAINERS": 1}),
    Target("capitalised-section", b"GET /Containers/json HTTP/1.1", 403, {"CONTAINERS": 1}),
    Target("uppercase-version-prefix", b"GET /V1.41/containers/json HTTP/1.1", 403, {"CONTAINERS": 1}),
    Target("containersX", b"GET /containersX HTTP/1.1", 403, {"CONTAINERS": 1}),
    Target("containersX-json", b"GET /containersX/json HTTP/1.1", 403, {"CONTAINERS": 1}),
    Target("containers-dash", b"GET /containers-json HTTP/1.1", 403, {"CONTAINERS": 1}),
    Target("ping-suffix", b"GET /_pingx HTTP/1.1", 403),
    Target("version-suffix", b"GET /versions HTTP/1.1", 403),
    Target("unknown-section", b"GET /swarmX HTTP/1.1", 403, {"SWARM": 1}),
    Target("root", b"GET / HTTP/1.1", 403),
    # Judged as the daemon will see them: once decoded.
    Target("pct-version-digit", b"GET /v%31.41/containers/json HTTP/1.1", 403),
    Target("pct-section-letter", b"GET /%63ontainers/json HTTP/1.1", 403),
    Target("pct-section-uppercase-hex", b"GET /%43ONTAINERS/json HTTP/1.1", 403, {"CONTAINERS": 1}),
    Target("containers-denied", b"GET /containers/json HTTP/1.1", 403),
    Target("containers-versioned-denied", b"GET /v1.41/containers/json HTTP/1.1", 403),
    Target("containers-query-denied", b"GET /containers/json?all=1 HTTP/1.1", 403),
    Target("grpc-denied", b"POST /grpc HTTP/1.1", 403, {"POST": 1}),
    Target("session-denied", b"POST /session HTTP/1.1", 403, {"POST": 1}),
    # Outside the documented sections: denied whatever is set.
    Target("debug-pprof", b"GET /debug/pprof/ HTTP/1.1", 403, ALL_ON),
    Target("debug-pprof-heap", b"GET /debug/pprof/heap HTTP/1.1", 403, ALL_ON),
    Target("debug-pprof-versioned", b"GET /v1.41/debug/pprof/ HTTP/1.1", 403, ALL_ON),
    Target("debug-vars", b"GET /debug/vars HTTP/1.1", 403, ALL_ON),
    # POST=0 admits GET and HEAD only, whatever the section says.
    Target("post-without-POST", b"POST /containers/create HTTP/1.1", 403, {"CONTAINERS": 1}),
    Target("delete-without-POST", b"DELETE /containers/x HTTP/1.1", 403, {"CONTAINERS": 1}),
    Target("put-without-POST", b"PUT /containers/x/archive?path=/tmp HTTP/1.1", 403, {"CONTAINERS": 1}),
    Target("options-without-POST", b"OPTIONS /containers/json HTTP/1.1", 403, {"CONTAINERS": 1}),
    Target("unknown-method", b"FOO /containers/json HTTP/1.1", (400, 403), {"CONTAINERS": 1}),
    # Podman's /libpod/... only with LIBPOD=1, and only as one Docker section.
    Target("libpod-off", b"GET /v4.0.0/libpod/containers/json HTTP/1.1", 403, ALL_ON),
    Target("libpod-post-without-POST", b"POST /v4.0.0/libpod/containers/create HTTP/1.1", 403,
           {"LIBPOD": 1, "CONTAINERS": 1}),
    Target("libpod-healthcheck-without-POST",
           b"GET /v4.0.0/libpod/containers/x/healthcheck HTTP/1.1", 403,
           {"LIBPOD": 1, "CONTAINERS": 1}),
    Target("libpod-debug", b"GET /v4.0.0/libpod/debug/vars HTTP/1.1", 403, LIBPOD_ALL),
    Target("libpod-twice", b"GET /v4.0.0/libpod/libpod/containers/json HTTP/1.1", 403, LIBPOD_ALL),
    Target("libpod-alone", b"GET /v4.0.0/libpod HTTP/1.1", 403, LIBPOD_ALL),
    Target("libpod-suffix", b"GET /v4.0.0/libpodX/containers/json HTTP/1.1", 403, LIBPOD_ALL),
    Target("libpod-uppercase", b"GET /v4.0.0/LIBPOD/containers/json HTTP/1.1", 403, LIBPOD_ALL),
    Target("libpod-pods", b"GET /v4.0.0/libpod/pods/json HTTP/1.1", 403, LIBPOD_ALL),
    Target("libpod-play-kube", b"POST /v4.0.0/libpod/play/kube HTTP/1.1", 403, LIBPOD_ALL),
]


@pytest.mark.parametrize("case", REJECTED_TARGETS + DENIED_TARGETS, ids=lambda c: c.id)
def test_target(proxy, dockerd, sleeper, names, case):
    c, _ = names
    before = dockerd.container_ids()
    p = proxy(**(case.env or {}))
    follow = b""
    if not (case.env.get("CONTAINERS") and case.env.get("POST")):
        follow = create_req(c) + PING      # forbidden under this case's policy
    rsps, closed = p.exchange(case.line + b"\r\nHost: x\r\n\r\n" + follow, count=3 if follow else 1)
    assert rsps, "no response at all"
    want = case.status if isinstance(case.status, tuple) else (case.status,)
    assert rsps[0].status in want, rsps[0]
    assert sleeper.encode() not in rsps[0].body, "the daemon's container list leaked"
    if rsps[0].status == 400:
        assert len(rsps) == 1 and closed, f"no close after 400: {rsps}"
    if rsps[0].status == 403:
        assert (rsps[0].header("content-type") or "").startswith("application/json")
        assert "message" in rsps[0].json()
    assert_not_created(dockerd, c, before)


@pytest.mark.parametrize("line", [
    pytest.param(b"GET /containers/json HTTP/1.1", id="plain"),
    pytest.param(b"GET /v1.41/containers/json HTTP/1.1", id="versioned"),
    pytest.param(b"GET /v%31.41/containers/json HTTP/1.1", id="pct-version-digit"),
    pytest.param(b"GET /%63ontainers/json HTTP/1.1", id="pct-section-letter"),
    pytest.param(b"GET /containers/json?all=1&filters=%7B%7D HTTP/1.1", id="encoded-query"),
    pytest.param(b"GET /containers?x HTTP/1.1", id="section-then-query"),
])
def test_target_allowed_with_containers(proxy, sleeper, line):
    """Positive control: the same spellings reach the daemon's containers route when allowed."""
    p = proxy(CONTAINERS=1)
    rsp = p.request(line + b"\r\nHost: x\r\n\r\n")
    if b"/containers?x" in line:
        assert rsp.status == 404, rsp   # forwarded; the daemon has no such route
        return
    assert rsp.status == 200, rsp
    assert sleeper in [x["Id"] for x in rsp.json()]


def test_debug_endpoints_exist_on_daemon(dockerd):
    """Makes the debug-* denials meaningful: the daemon really serves them."""
    assert dockerd.api("GET", "/debug/pprof/")[0] == 200
    assert dockerd.api("GET", "/debug/vars")[0] == 200


def test_all_on_still_serves(proxy, sleeper):
    """Positive control for the ALL_ON denials."""
    p = proxy(**ALL_ON)
    rsp = p.request(b"GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n")
    assert rsp.status == 200 and sleeper in rsp.body.decode()


HEADER_CASES = [
    pytest.param(b"X-A: b\r\n c", id="obs-fold"),
    pytest.param(b"X-A: b\r\n\tc", id="obs-fold-tab"),
    pytest.param(b"Host : x", id="space-before-colon"),
    pytest.param(b"X-A : b", id="space-before-colon-other"),
    pytest.param(b"X-A: b\rc", id="bare-cr-in-value"),
    pytest.param(b"X-A: b\x00c", id="nul-in-value"),
    pytest.param(b"X-A: b\x01c", id="ctl-in-value"),
    pytest.param(b"X-A b", id="no-colon"),
    pytest.param(b": b", id="empty-name"),
    pytest.param(b"X\x01A: b", id="ctl-in-name"),
    pytest.param(b"X(A): b", id="separator-in-name"),
    pytest.param(b"X A: b", id="space-in-name"),
    pytest.param(b"Host: y", id="duplicate-host"),
]


@pytest.mark.parametrize("header", HEADER_CASES)
def test_bad_header(proxy, dockerd, names, header):
    c, _ = names
    p = proxy(**HOSTILE_ENV)
    data = b"GET /_ping HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n\r\n" + create_req(c) + PING
    rsps, closed = p.exchange(data, count=1)
    assert [r.status for r in rsps] == [400], rsps
    assert closed
    assert_not_created(dockerd, c)


def test_leading_whitespace_first_header(proxy, dockerd, names):
    c, _ = names
    p = proxy(**HOSTILE_ENV)
    rsps, closed = p.exchange(b"GET /_ping HTTP/1.1\r\n Host: x\r\n\r\n" + create_req(c), count=1)
    assert [r.status for r in rsps] == [400] and closed, rsps
    assert_not_created(dockerd, c)


def test_missing_host_http11(proxy, dockerd, names):
    c, _ = names
    p = proxy(**HOSTILE_ENV)
    rsps, closed = p.exchange(b"GET /_ping HTTP/1.1\r\n\r\n" + create_req(c), count=1)
    assert [r.status for r in rsps] == [400] and closed, rsps   # RFC 9112 3.2
    assert_not_created(dockerd, c)


@pytest.mark.parametrize("via", ["tcp", "unix"])
def test_empty_host_is_valid(proxy, via):
    """RFC 9112 3.2: a client with no authority sends an empty Host. The 20.10 docker CLI
    does exactly that for hijacked requests (exec/attach) over unix sockets."""
    p = proxy()
    rsps, closed = p.exchange(b"GET /_ping HTTP/1.1\r\nHost: \r\n\r\n", count=1, via=via)
    assert [(r.status, r.body) for r in rsps] == [(200, b"OK")], rsps
    assert not closed


def test_http10_works(proxy):
    p = proxy()
    rsps, closed = p.exchange(b"GET /_ping HTTP/1.0\r\n\r\n", count=1)
    assert [(r.status, r.body) for r in rsps] == [(200, b"OK")]
    assert closed, "HTTP/1.0 without keep-alive must be closed after the response"


# --------------------------------------------------------------------------
# 4. Upgrade on endpoints that do not hijack
# --------------------------------------------------------------------------

UPGRADE_CASES = [
    pytest.param(lambda c, n: b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
                 (200, 400), id="ping-upgrade-tcp"),
    pytest.param(lambda c, n: b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
                 (200, 400), id="version-upgrade-h2c"),
    pytest.param(lambda c, n: b"GET /_ping HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\n\r\n",
                 (200, 400), id="ping-upgrade-without-connection"),
    pytest.param(lambda c, n: b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n"
                 b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                 (200, 400), id="ping-upgrade-websocket"),
    pytest.param(lambda c, n: http_request("POST", "/networks/create",
                                           [("Content-Type", "application/json"), ("Connection", "Upgrade"),
                                            ("Upgrade", "tcp")], net_body(n)),
                 (201, 400), id="network-create-upgrade-tcp"),
    pytest.param(lambda c, n: b"POST /grpc HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
                 b"Content-Length: 0\r\n\r\n", (403,), id="grpc-denied-upgrade"),
    pytest.param(lambda c, n: b"POST /containers/SLEEPER/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: x\r\n"
                 b"Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n", (403,), id="attach-denied-upgrade"),
]


@pytest.mark.parametrize("build,first", UPGRADE_CASES)
def test_upgrade_then_forbidden(proxy, dockerd, sleeper, names, build, first):
    c, n = names
    before = dockerd.container_ids()
    p = proxy(**HOSTILE_ENV)
    data = build(c, n).replace(b"SLEEPER", sleeper.encode())
    conn = p.connect()
    try:
        conn.send(data)
        r1 = conn.read_response()
        assert r1.status in first, r1
        # Only now send the forbidden request, as a client that believes it has a tunnel would.
        time.sleep(0.2)
        try:
            conn.send(create_req(c))
            r2 = conn.read_response(timeout=5)
            assert r2.status == 403, f"after a non-hijacking Upgrade the next request got {r2}"
        except (PeerClosed, BrokenPipeError, ConnectionResetError):
            pass   # closing the connection is acceptable too
    finally:
        conn.close()
    assert_not_created(dockerd, c, before)


# --------------------------------------------------------------------------
# 5. slow and oversized heads
# --------------------------------------------------------------------------

def _dribble(p, stop, result, first=b"GET /_ping HTTP/1.1\r\n", unit=b"X-Dribble: y\r\n"):
    """Send a head very slowly; record when the proxy dropped us and what it sent."""
    t0 = time.monotonic()
    try:
        s = p.connect_socket()
    except OSError as e:
        result["error"] = repr(e)
        return
    s.settimeout(0.3)
    got = b""
    try:
        s.sendall(first)
        while not stop.is_set() and time.monotonic() - t0 < 10:
            try:
                s.sendall(unit)
            except OSError:
                break
            try:
                d = s.recv(4096)
                if not d:
                    break
                got += d
            except socket.timeout:
                pass
            except OSError:
                break
    finally:
        result["dropped_after"] = time.monotonic() - t0
        result["got"] = got
        s.close()


def test_slow_headers_dropped_others_served(proxy):
    p = proxy(HEADER_TIMEOUT=2)
    stop = threading.Event()
    results = [dict() for _ in range(20)]
    threads = [threading.Thread(target=_dribble, args=(p, stop, r), daemon=True) for r in results]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        for _ in range(5):   # served promptly while 20 clients dribble
            t0 = time.monotonic()
            rsp = p.request(PING, timeout=2)
            assert rsp.status == 200
            assert time.monotonic() - t0 < 1.0, "a slow client stalled another one"
            time.sleep(0.2)
    finally:
        for t in threads:
            t.join(12)
        stop.set()
    for r in results:
        assert "error" not in r, r
        assert 1.5 <= r["dropped_after"] < 5.0, f"dribbling client dropped after {r['dropped_after']:.1f}s"
        assert b"200 OK" not in r["got"]
        assert r["got"] == b"" or r["got"].startswith((b"HTTP/1.1 408", b"HTTP/1.1 400")), r["got"][:200]


def test_slow_request_line_dropped(proxy):
    p = proxy(HEADER_TIMEOUT=2)
    stop, r = threading.Event(), {}
    t = threading.Thread(target=_dribble, args=(p, stop, r, b"GET /_ping", b"a"), daemon=True)
    t.start()
    t.join(12)
    stop.set()
    assert 1.5 <= r["dropped_after"] < 5.0, r


def test_idle_keepalive_closed(proxy):
    p = proxy(IDLE_TIMEOUT=1)
    conn = p.connect()
    try:
        conn.send(PING)
        assert conn.read_response().status == 200
        time.sleep(0.4)           # under the idle limit: still usable
        conn.send(PING)
        assert conn.read_response().status == 200
        t0 = time.monotonic()
        assert conn.closed_by_peer(timeout=5), "idle keep-alive connection never closed"
        assert time.monotonic() - t0 >= 0.5
    finally:
        conn.close()


@pytest.mark.parametrize("env,head_bytes,status", [
    pytest.param({}, 70_000, 431, id="default-over"),
    pytest.param({}, 60_000, 200, id="default-x-registry-auth-under"),
    pytest.param({"MAX_HEAD_SIZE": 4096}, 5000, 431, id="custom-over"),
    pytest.param({"MAX_HEAD_SIZE": 4096}, 3000, 200, id="custom-under"),
    pytest.param({}, 1_000_000, 431, id="default-far-over"),
])
def test_head_size(proxy, dockerd, names, env, head_bytes, status):
    c, _ = names
    p = proxy(**env)
    hdr = b"X-Registry-Auth: " + b"A" * head_bytes
    conn = p.connect()
    try:
        try:
            conn.send(b"GET /_ping HTTP/1.1\r\nHost: x\r\n" + hdr + b"\r\n\r\n" + create_req(c))
        except (BrokenPipeError, ConnectionResetError):
            pass   # the proxy may answer and close before we finished sending
        rsp = conn.read_response()
        assert rsp.status == status, rsp
        if status == 431:
            assert conn.closed_by_peer(timeout=3), "no close after 431"
        else:
            assert conn.read_response().status == 403
    finally:
        conn.close()
    assert_not_created(dockerd, c)


def test_head_size_unterminated(proxy):
    """An endless head is answered 431 once over the limit, not after the head timeout."""
    p = proxy()   # HEADER_TIMEOUT defaults to 10
    conn = p.connect()
    try:
        t0 = time.monotonic()
        try:
            conn.send(b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"A" * 70_000)
        except (BrokenPipeError, ConnectionResetError):
            pass
        rsp = conn.read_response(timeout=8)
        assert rsp.status == 431 and time.monotonic() - t0 < 5, rsp
    finally:
        conn.close()


@pytest.mark.parametrize("env,count,status", [
    pytest.param({}, 150, 431, id="default-over"),
    pytest.param({}, 50, 200, id="default-under"),
    pytest.param({"MAX_HEADERS": 10}, 20, 431, id="custom-over"),
    pytest.param({"MAX_HEADERS": 10}, 5, 200, id="custom-under"),
])
def test_header_count(proxy, env, count, status):
    p = proxy(**env)
    hdrs = b"".join(b"X-H%d: v\r\n" % i for i in range(count))
    rsps, closed = p.exchange(b"GET /_ping HTTP/1.1\r\nHost: x\r\n" + hdrs + b"\r\n", count=1)
    assert [r.status for r in rsps] == [status], rsps
    if status != 200:
        assert closed


# --------------------------------------------------------------------------
# 6. Expect: 100-continue
# --------------------------------------------------------------------------

def test_expect_100_denied_gets_403_first(proxy, dockerd, names):
    c, _ = names
    p = proxy(**HOSTILE_ENV)
    body = create_body()
    conn = p.connect()
    try:
        conn.send((f"POST /containers/create?name={c} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   f"Expect: 100-continue\r\nContent-Length: {len(body)}\r\n\r\n").encode())
        rsp = conn.read_response(timeout=5)
        assert rsp.status == 403, f"expected the 403 first, got {rsp}"
        assert_403_json(rsp, "CONTAINERS=1")
        try:   # a client that sends the body anyway must not get it executed
            conn.send(body)
        except OSError:
            pass
        time.sleep(0.3)
    finally:
        conn.close()
    assert_not_created(dockerd, c)


def test_expect_100_allowed_gets_continue(proxy, dockerd, names):
    """Positive control: an allowed request does get its 100 Continue, then the result."""
    _, n = names
    p = proxy(**HOSTILE_ENV)
    body = net_body(n)
    conn = p.connect()
    try:
        conn.send((f"POST /networks/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   f"Expect: 100-continue\r\nContent-Length: {len(body)}\r\n\r\n").encode())
        rsp = conn.read_response(timeout=5)
        assert rsp.status == 100, rsp
        conn.send(body)
        rsp = conn.read_response(timeout=10)
        assert rsp.status == 201, rsp
    finally:
        conn.close()
    assert n in dockerd.networks()


# --------------------------------------------------------------------------
# 7. upstream down, and clients that vanish
# --------------------------------------------------------------------------

def test_upstream_down_502_and_recovery(proxy, dockerd, session_dir):
    up = session_dir / (unique("up") + ".sock")
    # Every request connects anew, to meet whatever the path holds now: a
    # pooled connection would still reach the daemon after the path moved.
    p = proxy(SOCKET_PATH=str(up), UPSTREAM_POOL=0)

    def ping_status():
        rsp = p.request(PING)
        return rsp

    # 1. nothing at the path
    rsp = ping_status()
    assert rsp.status == 502, rsp
    assert (rsp.header("content-type") or "").startswith("application/json")
    assert "message" in rsp.json()
    # a denied request is judged without the upstream
    rsp = p.request(b"GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n")
    assert rsp.status == 403, rsp
    assert p.alive()
    # 2. the daemon comes back
    os.symlink(dockerd.sock, up)
    rsp = ping_status()
    assert (rsp.status, rsp.body) == (200, b"OK"), rsp
    # 3. a socket file nobody listens on (connection refused)
    os.unlink(up)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(up))
    dead.close()
    rsp = ping_status()
    assert rsp.status == 502, rsp
    assert p.alive()
    # 4. and back again
    os.unlink(up)
    os.symlink(dockerd.sock, up)
    for _ in range(3):
        assert ping_status().status == 200
    os.unlink(up)


def test_upstream_closes_at_once(proxy, dockerd, session_dir):
    """A relay that accepts and closes at once: 502 (or a close), and the proxy survives."""
    up = str(session_dir / (unique("relay") + ".sock"))
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(up)
    srv.listen(16)
    stop = threading.Event()

    def slam():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                s, _ = srv.accept()
                s.close()
            except socket.timeout:
                pass
            except OSError:
                break
    t = threading.Thread(target=slam, daemon=True)
    t.start()
    try:
        p = proxy(SOCKET_PATH=up)
        conn = p.connect()
        try:
            conn.send(PING)
            try:
                rsp = conn.read_response(timeout=5)
                assert rsp.status == 502, rsp
            except PeerClosed:
                pass
        finally:
            conn.close()
        assert p.alive()
    finally:
        stop.set()
        t.join(2)
        srv.close()
        os.unlink(up)


def test_vanishing_stream_clients_leak_nothing(proxy, dockerd):
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("fd accounting needs the real proxy")
    p = proxy(CONTAINERS=1)
    dockerd_pid = dockerd.proc.pid

    def dfds():
        return len(os.listdir(f"/proc/{dockerd_pid}/fd"))
    time.sleep(0.3)
    base_proxy, base_daemon = p.fd_count(), dfds()
    conns = []
    for _ in range(20):
        c = p.connect()
        c.send(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        conns.append(c)
    for c in conns:
        assert c.read_head(timeout=10)[1] == 200
    assert p.fd_count() >= base_proxy + 20
    for c in conns:
        c.close()
    wait_for(lambda: p.fd_count() <= base_proxy, 5, what=f"proxy fds back to {base_proxy} "
             f"(now {p.fd_count()})")
    wait_for(lambda: dfds() <= base_daemon + 2, 10, what=f"daemon fds back to ~{base_daemon}")
    assert p.request(PING).status == 200

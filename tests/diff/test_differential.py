"""Differential test: generated client byte streams through dockgate to a
recording upstream, checked against an independent model of the policy and
of HTTP/1.1 framing (this file) and against h11 (python3-h11).

What is checked, for every stream (SECURITY.md's guarantees 1 to 4):

 1. every request the upstream received was judged allowed by the model of
    the policy below (written from the README's "Settings" and "How
    requests are judged", not from src/), and is not one the model says
    must be rejected;
 2. each forwarded request, parsed by h11 on the upstream side, has the same
    method, target, end-to-end headers and body as the client's request
    parsed by this file's strict model and by an independent h11 parse of
    what the client sent (where h11 accepts the client's bytes at all);
 3. no byte of a denied, rejected or not-yet-judged request reaches the
    upstream: every generated request carries unique tokens (``zq`` + 10
    letters) in its target, headers and body, and no token of a request
    that was not forwarded may appear anywhere in the upstream's recording;
    the upstream's bytes must parse completely as the forwarded requests;
 4. the proxy stays alive and answers ``GET /_ping`` at the end, a probe
    client is answered within 1 s throughout, its fd count returns to the
    baseline and its VmRSS stays bounded (see RSS_* below), and an ASan
    build reports nothing.

The expected outcome comes from the model and h11 only, never from the
proxy's output. Where the proxy is stricter than the model requires (it may
reject something RFC 9112 allows, such as chunk extensions), the model says
"maybe": rejecting is accepted, forwarding must then still match both
parsers exactly.

Replay: the seed is printed at the start and in every failure;
``DIFF_SEED=<seed> python3 -m pytest tests/diff/test_differential.py`` runs
the same streams, ``DIFF_ONLY=<policy>:<index>`` runs one stream alone.
"""

import os
import random
import re
import select
import shutil
import socket
import tempfile
import threading
import time

import h11
import pytest

from dockgate_testlib.net import free_port
from dockgate_testlib.procs import is_asan
from dockgate_testlib.proxy import Proxy, proxy_problems
from dockgate_testlib.rawhttp import RawConn
from dockgate_testlib.settings import DOCKGATE_BIN

SEED = int(os.environ.get("DIFF_SEED") or random.SystemRandom().randrange(1 << 31))
STREAMS = int(os.environ.get("DIFF_STREAMS", "120"))
ONLY = os.environ.get("DIFF_ONLY", "")

# The policies the streams run under (environment of the proxy).
POLICIES = {
    "default": {},
    "containers": {"CONTAINERS": "1"},
    "rw": {"CONTAINERS": "1", "EXEC": "1", "IMAGES": "1", "POST": "1"},
    "lifecycle": {"ALLOW_START": "1", "ALLOW_RESTARTS": "true"},
    "mixed": {"POST": "yes", "NETWORKS": "1", "VOLUMES": "1", "INFO": "1", "SYSTEM": "1",
              "BUILD": "1", "EVENTS": "0", "ALLOW_STOP": "1"},
    # A gate variable present (even empty) closes every gate not set to 1.
    "gated": {"CONTAINERS": "1", "POST": "1", "EXEC": "1", "ALLOW_LOGS": "1",
              "ALLOW_RESTARTS": "1", "ALLOW_PAUSE": ""},
    # DELETE, PUT or PATCH present: one switch per method.
    "split": {"CONTAINERS": "1", "NETWORKS": "1", "VOLUMES": "1", "POST": "1", "DELETE": "1",
              "PUT": "0"},
}

# Memory bound. Streams run one at a time (plus the probe and one slow
# client), so the proxy holds at most three connections; each has four
# buffers of at most ~66 KB (MAX_HEAD_SIZE for the request side, 16 KB +
# 2 KB for responses), i.e. < 1 MB in use at any moment. After a warm-up
# glibc keeps reusing the freed blocks, so VmRSS must not grow by more than
# RSS_SLACK_KB between the warm-up point and the end; the bulk streams (a
# 4 MB body, Content-Length and chunked) would add ~8 MB if bodies were
# buffered whole. An ASan build keeps freed blocks in its quarantine
# (limited to 16 MB below via ASAN_OPTIONS), which is added to the bound.
RSS_SLACK_KB = 3 * 1024
ASAN_QUARANTINE_MB = 16

HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer",
       b"transfer-encoding", b"upgrade", b"content-length"}
TOKEN_RE = re.compile(rb"zq[a-z]{10}")
PROBE_TARGET = b"/_ping?dgprobe=1"


# ==========================================================================
# the model: policy (README: "Settings", "How requests are judged")
# ==========================================================================

SECTIONS = {
    b"events": "EVENTS", b"_ping": "PING", b"version": "VERSION", b"auth": "AUTH",
    b"build": "BUILD", b"commit": "COMMIT", b"configs": "CONFIGS",
    b"containers": "CONTAINERS", b"distribution": "DISTRIBUTION", b"exec": "EXEC",
    b"grpc": "GRPC", b"images": "IMAGES", b"info": "INFO", b"networks": "NETWORKS",
    b"nodes": "NODES", b"plugins": "PLUGINS", b"secrets": "SECRETS",
    b"services": "SERVICES", b"session": "SESSION", b"swarm": "SWARM",
    b"system": "SYSTEM", b"tasks": "TASKS", b"volumes": "VOLUMES",
}
DEFAULT_ON = {"EVENTS", "PING", "VERSION"}
EITHER = "either"   # the daemon cannot execute anything here: allow and deny are both fine


def truthy(v):
    return str(v).lower() in ("1", "true", "yes", "on")


def resolvable(name):
    """Could the daemon resolve this path segment to a container? Names are
    [a-zA-Z0-9][a-zA-Z0-9_.-]+, IDs and ID prefixes are hex; a leading '/'
    cannot reach it (the daemon redirects '//')."""
    return re.fullmatch(rb"[A-Za-z0-9][A-Za-z0-9_.-]*", name) is not None


# README "Gates": each gate, the container sub-resource it closes (after
# /containers/{name:.*}/) and the methods the daemon routes there.
GATES = {
    "ALLOW_ARCHIVE": [(b"archive", "not POST"), (b"copy", (b"POST",))],
    "ALLOW_CHANGES": [(b"changes", (b"GET", b"HEAD"))],
    "ALLOW_EXPORT": [(b"export", (b"GET", b"HEAD"))],
    "ALLOW_LOGS": [(b"logs", (b"GET", b"HEAD"))],
    "ALLOW_TOP": [(b"top", (b"GET", b"HEAD"))],
    "ALLOW_ATTACH": [(b"attach", (b"POST",)), (b"attach/ws", (b"GET", b"HEAD"))],
    "ALLOW_EXEC": [(b"exec", (b"POST",))],
    "ALLOW_KILL": [(b"kill", (b"POST",))],
}
GATE_FAMILY = set(GATES) | {"ALLOW_PAUSE", "ALLOW_UNPAUSE"}
METHOD_SWITCHES = (b"DELETE", b"PUT", b"PATCH")


class PolicyModel:
    def __init__(self, env):
        self.on = {s: truthy(env.get(s, "1" if s in DEFAULT_ON else "0"))
                   for s in SECTIONS.values()}
        self.post = truthy(env.get("POST", "0"))
        self.start = truthy(env.get("ALLOW_START", "0"))
        self.stop = truthy(env.get("ALLOW_STOP", "0"))
        self.restarts = truthy(env.get("ALLOW_RESTARTS", "0"))
        self.pause = truthy(env.get("ALLOW_PAUSE", "0"))
        self.unpause = truthy(env.get("ALLOW_UNPAUSE", "0"))
        # Gates: all open unless a variable of the family is present at all.
        gated = any(v in env for v in GATE_FAMILY)
        self.closed = {g for g in GATES if gated and not truthy(env.get(g, "0"))}
        # Method switches: POST opens every method unless one is present.
        self.split = any(m.decode() in env for m in METHOD_SWITCHES)
        self.methods = {m for m in METHOD_SWITCHES if truthy(env.get(m.decode(), "0"))}

    def method_open(self, method):
        if method in (b"GET", b"HEAD"):
            return True
        if not self.split:
            return self.post
        return (method == b"POST" and self.post) or method in self.methods

    def gate_closes(self, method, rest):
        """True when a closed gate denies this request."""
        for g in self.closed:
            for sub, methods in GATES[g]:
                if re.fullmatch(rb"/containers/(.+)/" + re.escape(sub), rest):
                    if (method != b"POST") if methods == "not POST" else method in methods:
                        return True
        return False

    # What each lifecycle switch admits in the query: key -> value pattern
    # (a wait of 0 to 3600 seconds: at most 4 digits, the value checked below).
    LIFECYCLE_QUERY = {
        b"start": {b"detachKeys": rb".*"},
        b"stop": {b"t": rb"[0-9]{1,4}", b"timeout": rb"[0-9]{1,4}"},
        b"restart": {b"t": rb"[0-9]{1,4}", b"timeout": rb"[0-9]{1,4}",
                     b"signal": rb"[A-Za-z0-9]{1,16}"},
        b"kill": {b"signal": rb"[A-Za-z0-9]{1,16}"},
        b"pause": {},
        b"unpause": {},
    }

    def lifecycle_admits(self, act, query, has_body):
        """A lifecycle switch admits no body and only its own query
        parameters, each once, spelt exactly, with a valid value."""
        if has_body or b";" in query:
            return False
        allowed, seen = self.LIFECYCLE_QUERY[act], set()
        for piece in (query.split(b"&") if query else []):
            key, _, value = piece.partition(b"=")
            if key not in allowed or key in seen or not re.fullmatch(allowed[key], value):
                return False
            if key in (b"t", b"timeout") and int(value) > 3600:
                return False
            seen.add(key)
        return True

    def judge(self, method, rest, query=b"", has_body=False):
        """True (must allow), False (must deny) or EITHER, for the decoded path
        after the version prefix, as the daemon routes it."""
        segs = rest.split(b"/")[1:]
        section = segs[0] if segs else b""
        read = method in (b"GET", b"HEAD")
        if section == b"debug":
            return False                       # never, whatever is set
        setting = SECTIONS.get(section)
        verdict = bool(setting and self.on[setting] and self.method_open(method))
        # GET /containers/{name:.*}/attach/ws writes to a container: POST=1
        # too, whatever the name, since the daemon routes any (a link alias
        # such as webx/db spans segments).
        m = re.fullmatch(rb"/containers/(.+)/attach/ws", rest)
        if m and read and not self.post and verdict:
            verdict = False
        # docker exec's create (POST /containers/{name:.*}/exec) while EXEC=0
        # closes the start: denied, so that the CLI prints why.
        if (method == b"POST" and verdict and not self.on["EXEC"]
                and re.fullmatch(rb"/containers/(.+)/exec", rest)):
            verdict = False
        # A closed gate, whatever the section and POST say.
        if verdict is True and self.gate_closes(method, rest):
            verdict = False
        # ALLOW_START / ALLOW_STOP / ALLOW_RESTARTS / ALLOW_PAUSE /
        # ALLOW_UNPAUSE: one action each (ALLOW_RESTARTS kill before the gate).
        if method == b"POST" and len(segs) == 3 and segs[0] == b"containers":
            act = segs[2]
            granted = ((act == b"start" and self.start) or
                       (act == b"stop" and (self.stop or self.restarts)) or
                       (act in (b"restart", b"kill") and self.restarts) or
                       (act == b"pause" and self.pause) or
                       (act == b"unpause" and self.unpause))
            if granted and verdict is not True:
                if not resolvable(segs[1]):
                    verdict = EITHER
                else:
                    verdict = self.lifecycle_admits(act, query, has_body)
        return verdict


# ==========================================================================
# the model: request-target (README "How requests are judged", docs/engine-api.md §2)
# ==========================================================================

PCHAR = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@")
HEX = set(b"0123456789abcdefABCDEF")


def model_target(target):
    """(status, rest, why): status 'ok', 'maybe' (the proxy may reject) or
    'reject' (it must); rest is the once-decoded path after a version prefix."""
    status, why = "ok", ""

    def maybe(w):
        nonlocal status, why
        if status == "ok":
            status, why = "maybe", w

    if not target.startswith(b"/"):
        return "reject", None, "not origin-form"
    raw, _, query = target.partition(b"?")
    i = 0
    while i < len(query):
        c = query[i]
        if c == 0x25:
            if i + 2 >= len(query) or query[i + 1] not in HEX or query[i + 2] not in HEX:
                return "reject", None, "invalid escape in query"
            i += 3
            continue
        if c not in PCHAR and c not in b"/?":
            maybe("unusual query character")
        i += 1
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x25:
            if i + 2 >= len(raw) or raw[i + 1] not in HEX or raw[i + 2] not in HEX:
                return "reject", None, "invalid escape in path"
            d = int(raw[i + 1:i + 3], 16)
            if d in (0x2F, 0x2E):
                return "reject", None, "encoded / or ."
            if d < 0x20 or d == 0x7F:
                return "reject", None, "encoded control byte"
            out.append(d)
            i += 3
            continue
        if c != 0x2F and c not in PCHAR:
            maybe("unusual path character")
        out.append(c)
        i += 1
    path = bytes(out)
    segs = path.split(b"/")[1:]
    if path != b"/":
        for k, s in enumerate(segs):
            if s == b"" and k == len(segs) - 1:
                maybe("trailing slash")        # README says 400, the code accepts one
            elif s == b"":
                return "reject", None, "empty segment"
            elif s in (b".", b".."):
                return "reject", None, "dot segment"
    rest = path
    if segs and re.fullmatch(rb"v[0-9.]+", segs[0]):
        # gorilla/mux: "/v{version:[0-9.]+}" + route; the proxy accepts the
        # vMAJOR.MINOR form only and may reject other version-like segments.
        if not re.fullmatch(rb"v[0-9]{1,4}\.[0-9]{1,4}", segs[0]):
            maybe("odd version prefix")
        rest = path[len(segs[0]) + 1:] or b"/"
    return status, rest, why


# ==========================================================================
# the model: HTTP/1.1 request framing (RFC 9112 + SECURITY.md guarantee 3)
# ==========================================================================

TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
REQLINE_RE = re.compile(rb"(" + TOKEN + rb") ([\x21-\x7e]+) HTTP/([0-9])\.([0-9])")
FIELD_RE = re.compile(rb"(" + TOKEN + rb"):[ \t]*(.*?)[ \t]*", re.S)
HOST_RE = re.compile(rb"[A-Za-z0-9\-._~!$&'()*+;=:\[\]%]*")


def field_bytes_ok(v):
    return all(b == 9 or (b >= 0x20 and b != 0x7F) for b in v)


class MReq:
    """One request as the model reads it."""

    def __init__(self, start):
        self.start = start
        self.end = None          # end of head + body (None: unknown / incomplete)
        self.head_end = None
        self.kind = "request"    # or "partial" (head never completed)
        self.syntax = "ok"       # ok | maybe | reject
        self.why = ""
        self.method = self.target = None
        self.minor = 1
        self.headers = []        # (lower name, value)
        self.body = b""
        self.body_state = "ok"   # ok | maybe | error | incomplete
        self.framing = None      # None | 'cl' | 'chunked'
        self.cl = 0
        self.keep_alive = True
        self.expect = False
        self.verdict = False     # True | False | EITHER
        self.rest = None
        self.nominated = set()

    def bad(self, why, level="reject"):
        order = {"ok": 0, "maybe": 1, "reject": 2}
        if order[level] > order[self.syntax]:
            self.syntax, self.why = level, why

    @property
    def forwardable(self):
        return self.kind == "request" and self.syntax != "reject" and self.verdict is not False

    def __repr__(self):
        return (f"<MReq {self.method!r} {self.target!r} syntax={self.syntax}({self.why}) "
                f"verdict={self.verdict} body={self.body_state} framing={self.framing} "
                f"[{self.start}:{self.end}]>")


def model_chunked(data, i):
    """Strict chunked decoding from data[i:]. Returns (body, end, state, why)."""
    out = bytearray()
    state, why = "ok", ""
    while True:
        k = i
        while k < len(data) and data[k] in HEX:
            k += 1
        if k >= len(data):
            return bytes(out), None, "incomplete", "in chunk size"
        ndig = k - i
        if ndig == 0:
            return bytes(out), None, "error", "no chunk size"
        if ndig > 16:
            return bytes(out), None, "maybe", "chunk size too long"
        size = int(data[i:k], 16)
        c = data[k]
        if c in b"; \t":
            # chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): valid
            # per RFC 9112 §7.1.1, refused by the proxy (a known vector).
            m = re.match(rb"(?:[ \t]*;[ \t]*" + TOKEN + rb"(?:[ \t]*=[ \t]*(?:" + TOKEN +
                         rb"|\"[^\"\r\n]*\"))?)+\r\n", data[k:])
            if not m:
                if b"\r\n" not in data[k:]:
                    return bytes(out), None, "incomplete", "in chunk ext"
                return bytes(out), None, "error", "malformed chunk line"
            state, why = "maybe", "chunk extension"
            k += m.end() - 2
        elif c != 0x0D:
            return bytes(out), None, "error", "malformed chunk size"
        if k + 1 >= len(data):
            return bytes(out), None, "incomplete", "in chunk size line"
        if data[k + 1] != 0x0A:
            return bytes(out), None, "error", "bare CR after size"
        i = k + 2
        if size == 0:
            break
        if i + size > len(data):
            out += data[i:]
            return bytes(out), None, "incomplete", "in chunk data"
        out += data[i:i + size]
        i += size
        if len(data) < i + 2:
            if data[i:] in (b"", b"\r"):
                return bytes(out), None, "incomplete", "after chunk data"
            return bytes(out), None, "error", "chunk data longer than size"
        if data[i:i + 2] != b"\r\n":
            return bytes(out), None, "error", "chunk data not followed by CRLF"
        i += 2
    trailer_bytes = 0
    while True:
        j = data.find(b"\r\n", i)
        line = data[i:j] if j >= 0 else data[i:]
        if b"\n" in line or (b"\r" in line):
            return bytes(out), None, "error", "bare CR/LF in trailer"
        if j < 0:
            return bytes(out), None, "incomplete", "in trailer"
        trailer_bytes += j + 2 - i
        if trailer_bytes > 4000:
            state, why = "maybe", "large trailer"
        if line == b"":
            return bytes(out), j + 2, state, why
        m = FIELD_RE.fullmatch(line)
        if not m or not field_bytes_ok(m.group(2)):
            return bytes(out), None, "error", "malformed trailer"
        i = j + 2


def model_parse(data, policy, head_limit=65536, max_headers=100):
    """Reads data as a sequence of requests. Stops at the first request after
    which the proxy must not read further (reject, body error, close)."""
    out = []
    pos = 0
    while pos < len(data):
        m = MReq(pos)
        out.append(m)
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            m.kind = "partial"
            return out
        m.head_end = end + 4
        head = data[pos:end + 4]
        if len(head) > head_limit:
            m.bad("head too large")
        elif len(head) > head_limit - 4096:
            m.bad("head near the limit", "maybe")
        for k, b in enumerate(head):
            if b == 0x0A and (k == 0 or head[k - 1] != 0x0D):
                m.bad("bare LF")
            if b == 0x0D and (k + 1 >= len(head) or head[k + 1] != 0x0A):
                m.bad("bare CR")
        lines = head[:-4].split(b"\r\n")
        rl = REQLINE_RE.fullmatch(lines[0])
        if not rl:
            m.bad("malformed request line")
            return out
        m.method, m.target = rl.group(1), rl.group(2)
        major, minor = int(rl.group(3)), int(rl.group(4))
        if (major, minor) not in ((1, 0), (1, 1)):
            m.bad("HTTP version")
        m.minor = minor
        if re.search(rb"[a-z]", m.method):
            m.bad("lower-case method")
        elif not re.fullmatch(rb"[A-Z]{1,20}", m.method):
            m.bad("unusual method", "maybe")
        for ln in lines[1:]:
            if ln[:1] in (b" ", b"\t"):
                m.bad("obs-fold")
                continue
            f = FIELD_RE.fullmatch(ln)
            if not f:
                m.bad("malformed field line (whitespace before colon, no colon, bad name)")
                continue
            if not field_bytes_ok(f.group(2)):
                m.bad("control byte in field value")
            m.headers.append((f.group(1).lower(), f.group(2)))
        if len(m.headers) > max_headers:
            m.bad("too many header fields")
        hv = lambda n: [v for k, v in m.headers if k == n]
        cl, te, host = hv(b"content-length"), hv(b"transfer-encoding"), hv(b"host")
        if len(cl) > 1:
            m.bad("repeated Content-Length")
        elif cl and not re.fullmatch(rb"[0-9]+", cl[0]):
            m.bad("malformed Content-Length")
        elif cl and len(cl[0]) > 18:
            m.bad("huge Content-Length", "maybe")
        if len(te) > 1:
            m.bad("repeated Transfer-Encoding")
        elif te and te[0].lower() != b"chunked":
            m.bad("Transfer-Encoding other than chunked")
        if cl and te:
            m.bad("Content-Length with Transfer-Encoding")
        if te and minor == 0:
            m.bad("Transfer-Encoding in HTTP/1.0")
        if minor == 1 and not host:
            m.bad("missing Host")
        if len(host) > 1:
            m.bad("repeated Host")
        elif host and (len(host[0]) > 255 or not HOST_RE.fullmatch(host[0])):
            m.bad("unusual Host", "maybe")
        exp = hv(b"expect")
        if exp:
            m.expect = True
            if len(exp) > 1 or exp[0].lower() != b"100-continue":
                m.bad("unsupported Expect", "maybe")
        upg = hv(b"upgrade")
        if len(upg) > 1 or (upg and upg[0] == b""):
            m.bad("repeated or empty Upgrade", "maybe")
        close = ka = False
        for v in hv(b"connection"):
            for item in v.split(b","):
                item = item.strip(b" \t")
                if item and not re.fullmatch(TOKEN, item):
                    m.bad("malformed Connection", "maybe")
                m.nominated.add(item.lower())
                close |= item.lower() == b"close"
                ka |= item.lower() == b"keep-alive"
        m.keep_alive = (not close) if minor == 1 else (ka and not close)
        if m.syntax == "reject":
            return out
        tstat, m.rest, twhy = model_target(m.target)
        if tstat != "ok":
            m.bad("target: " + twhy, tstat)
        if m.syntax == "reject":
            return out
        has_body = bool(te) or bool(cl and re.fullmatch(rb"[0-9]+", cl[0]) and int(cl[0]) > 0)
        m.verdict = policy.judge(m.method, m.rest, m.target.partition(b"?")[2], has_body)
        b0 = m.head_end
        if te:
            m.framing = "chunked"
            m.body, m.end, m.body_state, bwhy = model_chunked(data, b0)
            if bwhy:
                m.why = m.why or ("body: " + bwhy)
        elif cl:
            m.framing = "cl"
            m.cl = int(cl[0])
            m.body = data[b0:b0 + m.cl]
            if b0 + m.cl <= len(data):
                m.end = b0 + m.cl
            else:
                m.body_state = "incomplete"
        else:
            m.end = b0
        if m.end is None:
            return out
        if not m.keep_alive:
            return out
        pos = m.end
    return out


def after_request(m):
    """What the proxy may do after m: 'must-stop', 'may-stop' or 'continue'."""
    if m.kind != "request" or m.syntax == "reject" or m.end is None or not m.keep_alive:
        return "must-stop"
    # (early=1 makes the recorder answer at the head, always with a length,
    # so uraw=1 then never applies.)
    raw = b"uraw=1" in m.target and b"early=1" not in m.target
    if m.verdict is True and m.method != b"HEAD" and (
            raw or (b"uchunk=1" in m.target and m.minor == 0)):
        # The recorder answers without a length (or, to HTTP/1.0, cannot
        # chunk and closes instead): that body ends with the connection
        # (RFC 9112 §6.3), so nothing further can follow.
        return "must-stop"
    # The recorder's answer closes the connection when the target says
    # uclose=1, and for every HTTP/1.0 request (h11 keeps no HTTP/1.0
    # connection alive). After a response that closes, the proxy answers
    # nothing more on that client connection (RFC 9112 §9.6).
    closes = b"uclose=1" in m.target or m.minor == 0
    if m.verdict is True and closes:
        return "must-stop"
    if m.verdict is EITHER and closes:
        return "may-stop"
    if m.syntax == "maybe" or m.body_state == "maybe":
        return "may-stop"
    if m.verdict is not False and b"early=1" in m.target and m.framing:
        return "may-stop"        # answered before its body: the proxy may end here
    if m.verdict is not True:
        # Denied (or either): the body is skipped only when that is safe
        # (SECURITY.md guarantee 4); chunked, large or Expect bodies may close.
        if m.framing == "chunked" or m.expect or (m.framing == "cl" and m.cl > 65536):
            return "may-stop"
        if m.verdict is EITHER:
            return "may-stop" if m.framing else "continue"
    return "continue"


# ==========================================================================
# h11: the independent reference parse of what the client sent
# ==========================================================================

def h11_parse(data):
    """Requests h11 reads from data, answering each (as a server would) so
    that it reads the next. Returns (requests, error)."""
    reqs = []
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 20)
    conn.receive_data(data)
    conn.receive_data(b"")
    cur = None
    while True:
        try:
            ev = conn.next_event()
        except h11.RemoteProtocolError as e:
            if cur is not None:
                cur["complete"] = False
                reqs.append(cur)
            return reqs, str(e)
        if ev is h11.NEED_DATA or ev is h11.PAUSED or isinstance(ev, h11.ConnectionClosed):
            if cur is not None:
                cur["complete"] = False
                reqs.append(cur)
            return reqs, None
        if isinstance(ev, h11.Request):
            cur = {"method": ev.method, "target": ev.target, "version": ev.http_version,
                   "headers": [(bytes(n), bytes(v)) for n, v in ev.headers], "body": b""}
        elif isinstance(ev, h11.Data):
            cur["body"] += ev.data
        elif isinstance(ev, h11.EndOfMessage):
            cur["complete"] = True
            reqs.append(cur)
            ka10 = cur["version"] == b"1.0" and any(
                n == b"connection" and b"keep-alive" in v.lower() and b"close" not in v.lower()
                for n, v in cur["headers"])
            cur = None
            try:
                conn.send(h11.Response(status_code=404, headers=[("Content-Length", "0")]))
                conn.send(h11.EndOfMessage())
            except h11.LocalProtocolError as e:
                return reqs, "h11 cannot answer: %s" % e
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                if not ka10:
                    return reqs, None
                # dockgate keeps HTTP/1.0 keep-alive connections open; h11
                # does not, so its reading goes on with a fresh parser.
                rest = conn.trailing_data[0]
                conn = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 20)
                conn.receive_data(rest)
                conn.receive_data(b"")
                continue
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError as e:
                return reqs, str(e)


# ==========================================================================
# the recording upstream
# ==========================================================================

class UpConn:
    def __init__(self, index):
        self.index = index
        self.accepted = time.monotonic()
        self.raw = bytearray()
        self.reqs = []           # dicts like h11_parse's, plus 'error'
        self.error = None
        self.closed = False
        self.probe = None        # True/False once the first request head is parsed
        self.last = time.monotonic()


class Recorder:
    """A unix-socket stand-in for the daemon: records every byte per
    connection, parses with h11 as a server, answers each complete request
    with 200 and a body naming its target (HEAD: the same Content-Length,
    no body; Expect: 100-continue first gets 100 Continue).

    Flags in the target change the answer the way a real daemon may:
    ``early=1`` answers as soon as the head is in, before the body (the
    daemon does so on errors); ``uclose=1`` answers with Connection: close
    and closes; ``uchunk=1`` sends a chunked body; ``slow=1`` waits 20 ms;
    ``uraw=1`` sends a close-delimited 200 (no Content-Length, no chunking,
    as Go's server does for HTTP/1.0 clients) and closes."""

    def __init__(self, path):
        self.path = path
        self.conns = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(128)
        self.sock.setblocking(False)
        self.stop_flag = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stop_flag:
            try:
                select.select([self.sock], [], [], 0.2)
            except (OSError, ValueError):
                return
            self.accept_pending()

    def accept_pending(self):
        """Accepts every connection waiting in the backlog. The proxy's
        connect() to a unix socket completes when the connection is queued,
        so once a client of the proxy is done, calling this makes sure
        every upstream connection made for it is registered."""
        with self.lock:
            while True:
                try:
                    s, _ = self.sock.accept()
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    return
                s.setblocking(True)
                uc = UpConn(len(self.conns))
                self.conns.append(uc)
                threading.Thread(target=self._serve, args=(s, uc), daemon=True).start()

    def _serve(self, s, uc):
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 22)
        cur = None
        s.settimeout(30)
        try:
            while True:
                try:
                    data = s.recv(262144)
                except (socket.timeout, OSError):
                    data = b""
                uc.last = time.monotonic()
                uc.raw += data
                if uc.error:
                    if not data:
                        break
                    continue
                conn.receive_data(data)
                while True:
                    try:
                        ev = conn.next_event()
                    except h11.RemoteProtocolError as e:
                        # At EOF this only says the last request was cut
                        # short (the proxy aborts a body it cannot decode):
                        # that request stays incomplete, nothing else is wrong.
                        if data:
                            uc.error = str(e)
                        if cur is not None:
                            cur["complete"] = False
                            uc.reqs.append(cur)
                            cur = None
                        break
                    if ev is h11.NEED_DATA or ev is h11.PAUSED:
                        break
                    if isinstance(ev, h11.ConnectionClosed):
                        break
                    if isinstance(ev, h11.Request):
                        cur = {"method": ev.method, "target": ev.target,
                               "version": ev.http_version,
                               "headers": [(bytes(n), bytes(v)) for n, v in ev.headers],
                               "body": b"", "complete": False}
                        if uc.probe is None:
                            uc.probe = ev.target == PROBE_TARGET
                        if b"early=1" in ev.target and conn.their_state is h11.SEND_BODY:
                            self._answer(s, conn, cur)
                        if conn.they_are_waiting_for_100_continue:
                            s.sendall(conn.send(h11.InformationalResponse(status_code=100,
                                                                          headers=[])))
                    elif isinstance(ev, h11.Data):
                        cur["body"] += ev.data
                    elif isinstance(ev, h11.EndOfMessage):
                        cur["complete"] = True
                        uc.reqs.append(cur)
                        # (not for HEAD: its answer has no body to delimit, and
                        # closing after it unannounced is just an idle close)
                        if (b"uraw=1" in cur["target"] and cur["method"] != b"HEAD"
                                and conn.our_state is h11.SEND_RESPONSE):
                            body = b"ok " + cur["target"]
                            s.sendall(b"HTTP/1.1 200 OK\r\nX-Upstream: recorder\r\n\r\n" + body)
                            cur = None
                            raise EOFError
                        if conn.our_state is h11.SEND_RESPONSE:
                            self._answer(s, conn, cur)
                        cur = None
                        if conn.our_state is h11.MUST_CLOSE:
                            raise EOFError
                        conn.start_next_cycle()
                if not data:
                    break
        except EOFError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            # The proxy closed its side while we answered (a client that
            # vanished mid-body takes its upstream connection with it):
            # a close, not a protocol fault; what arrived is judged as is.
            if cur is not None:
                cur["complete"] = False
        except Exception as e:      # a fault of the recorder itself: make it visible
            uc.error = f"recorder exception {e!r}"
        finally:
            if cur is not None:
                uc.reqs.append(cur)
            s.close()
            uc.closed = True
            uc.last = time.monotonic()

    @staticmethod
    def _answer(s, conn, req):
        t = req["target"]
        body = b"ok " + t
        status = 404 if req["method"] == b"CONNECT" else 200
        hs = [("X-Upstream", "recorder")]
        if b"uchunk=1" not in t or req["method"] == b"HEAD":
            hs.append(("Content-Length", str(len(body))))
        if b"uclose=1" in t:
            hs.append(("Connection", "close"))
        if b"slow=1" in t:
            time.sleep(0.02)
        out = conn.send(h11.Response(status_code=status, headers=hs))
        if req["method"] != b"HEAD":
            out += conn.send(h11.Data(data=body))
        out += conn.send(h11.EndOfMessage())
        try:
            s.sendall(out)
        except OSError:
            pass

    def snapshot(self):
        with self.lock:
            return list(self.conns)

    def close(self):
        self.stop_flag = True
        self.sock.close()


# ==========================================================================
# the proxy
# ==========================================================================

def start_proxy(workdir, upstream, env):
    """dockgate in front of the recorder, listening on TCP only."""
    asan_opts = os.environ.get("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
    # UPSTREAM_POOL=0: the checks below tell which client a request came
    # from by the daemon connection it arrived on (those opened while
    # the stream ran, minus the probe's), so every client needs its own.
    # Pooled connections crossing clients are tested in
    # tests/integ/test_pool.py and by the soak.
    settings = {"LOG_LEVEL": "info", "UPSTREAM_POOL": "0",
                "ASAN_OPTIONS": f"{asan_opts}:quarantine_size_mb={ASAN_QUARANTINE_MB}", **env}
    return Proxy(workdir, settings, upstream, listen=f"tcp://127.0.0.1:{free_port()}").start()


def ping(port, timeout=1.0):
    """Seconds a fresh connection takes to get GET /_ping answered; raises on failure."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(b"GET " + PROBE_TARGET + b" HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
        buf = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            buf += d
    if not buf.startswith(b"HTTP/1.1 200 ") or not buf.endswith(b"ok " + PROBE_TARGET):
        raise AssertionError(f"probe got {buf!r}")
    return time.monotonic() - t0


class Probe(threading.Thread):
    """Another client that must never wait more than 1 s while streams run."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop_flag = False
        self.latencies = []
        self.failures = []

    def run(self):
        while not self.stop_flag:
            try:
                self.latencies.append(ping(self.port, timeout=1.0))
            except Exception as e:
                self.failures.append(f"{time.strftime('%H:%M:%S')} {e!r}")
            time.sleep(0.05)


class SlowClient(threading.Thread):
    """A client that trickles a request head one byte per 0.3 s and starts
    over when it is cut off: it must not stall anyone else."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop_flag = False

    def run(self):
        head = b"GET /containers/json HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"s" * 200
        while not self.stop_flag:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    for b in head:
                        if self.stop_flag:
                            break
                        s.sendall(bytes([b]))
                        time.sleep(0.3)
            except OSError:
                time.sleep(0.1)


# ==========================================================================
# generators
# ==========================================================================

class Gen:
    def __init__(self, rng, env=None):
        self.rng = rng
        pol = PolicyModel(env or {})
        # paths of the sections this policy opens, so that enough requests
        # are allowed and reach the upstream
        self.open_paths = [p for p in self.PATHS
                           if pol.on.get(SECTIONS.get(p.split("/")[1].encode(), ""), False)]

    def tok(self):
        return b"zq" + bytes(self.rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(10))

    NAMES = [b"web", b"db1", b"a", b"x.y_z-1", b"0123abcd", b"-bad", b"_x", b"a..b", b"Ab"]
    PATHS = [
        "/_ping", "/_ping", "/version", "/events", "/info", "/containers/json", "/containers/json",
        "/containers/{n}/json", "/containers/{n}/logs", "/containers/{n}/start",
        "/containers/{n}/stop", "/containers/{n}/restart", "/containers/{n}/kill",
        "/containers/{n}/attach/ws", "/containers/{n}/attach", "/containers/{n}/exec",
        "/containers/create", "/containers/{n}", "/containers/{n}/wait", "/exec/{n}/start",
        "/exec/{n}/json", "/images/json", "/images/{n}/json", "/images/ghcr.io/org/app/json",
        "/networks", "/networks/create", "/volumes", "/debug/pprof/", "/debug/vars", "/debug",
        "/swarm", "/build", "/session", "/grpc", "/auth", "/system/df", "/containersX/json",
        "/CONTAINERS/json", "/Containers/json", "/", "/foo", "/distribution/x/json", "/plugins",
        "/nodes", "/tasks", "/services", "/secrets", "/configs", "/commit", "/_pingX",
        "/containers", "/events/", "/containers/{n}/attach/ws/", "/containers/a/b/attach/ws",
        "/containers/{n}/start/", "/containers/{n}/{n}/start",
        "/containers/{n}/archive", "/containers/{n}/export", "/containers/{n}/top",
        "/containers/{n}/changes", "/containers/{n}/copy", "/containers/{n}/pause",
        "/containers/{n}/unpause", "/containers/{n}/{n}/logs", "/containers/{n}/logs/",
    ]
    VERSIONS = ["", "", "", "", "/v1.41", "/v1.41", "/v1.24", "/v1.52", "/v%31.41", "/v1.4%31",
                "/V1.41", "/v1", "/v1.41.0", "/v..1", "/v12345.1", "/v1.41/v1.41", "/v0.0"]
    PATH_TRICKS = [b"/../", b"/./", b"//", b"%2F", b"%2f", b"%2E", b"%2e", b"%00", b"%0a", b"%7f",
                   b"%25", b"%zz", b"%4", b"%", b"\\", b"..", b"/..", b"/.", b";", b"%3F", b"%23",
                   b"%41", b"%ff", b"'", b"@", b"{", b"\"", b"|"]
    METHODS = ([b"GET"] * 35 + [b"HEAD"] * 10 + [b"POST"] * 25 + [b"PUT"] * 5 + [b"DELETE"] * 8 +
               [b"OPTIONS"] * 3 + [b"PATCH"] * 2)

    def path(self, tricks=True):
        r = self.rng
        p = r.choice(self.open_paths if self.open_paths and r.random() < 0.5 else self.PATHS)
        while "{n}" in p:
            p = p.replace("{n}", r.choice(self.NAMES).decode(), 1)
        p = (r.choice(self.VERSIONS) + p).encode()
        if tricks and r.random() < 0.2:
            # percent-encode some letters (as a client may, and the daemon decodes)
            q = bytearray()
            for c in p:
                if chr(c).isalnum() and r.random() < 0.3:
                    q += (b"%%%02X" if r.random() < 0.5 else b"%%%02x") % c
                else:
                    q.append(c)
            p = bytes(q)
        if tricks and r.random() < 0.12:
            k = r.randrange(len(p) + 1)
            p = p[:k] + r.choice(self.PATH_TRICKS) + p[k:]
            if not p.startswith(b"/"):
                p = b"/" + p
        return p

    def target(self, tok, tricks=True):
        r = self.rng
        p = self.path(tricks)
        q = b"?t=" + tok
        if r.random() < 0.2:
            q += b"&filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D"
        for flag, p_flag in ((b"&early=1", 0.06), (b"&uclose=1", 0.05), (b"&uchunk=1", 0.08),
                             (b"&slow=1", 0.03), (b"&uraw=1", 0.03)):
            if r.random() < p_flag:
                q += flag
        if tricks and r.random() < 0.05:
            q += r.choice([b"&x=%g1", b"&x=%", b"&x={}", b"&x=\"", b"?&x=/a/../b"])
        t = p + (q if r.random() < 0.95 else b"")
        if tricks and r.random() < 0.04:
            t = r.choice([b"http://localhost", b"http://127.0.0.1:2375", b"unix://x"]) + t
        if tricks and r.random() < 0.01:
            t = r.choice([b"*", b"localhost:2375", b"containers/json"])
        return t

    def body_bytes(self, n, toks):
        r = self.rng
        out = bytearray()
        while len(out) < n:
            k = r.random()
            if k < 0.15 and toks is not None:
                t = self.tok()
                toks.append(t)
                out += t
            elif k < 0.2:
                out += b"\r\n"
            elif k < 0.25:
                out += b"0\r\n\r\n"
            else:
                out += bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz0123456789{}\":, ")
                             for _ in range(r.randrange(1, 40)))
        if toks is not None and n >= 12:
            t = self.tok()
            toks.append(t)
            out[-12:] = t
        return bytes(out[:n])

    def chunked(self, body, trailers=b""):
        r = self.rng
        out, i = bytearray(), 0
        while i < len(body):
            n = min(len(body) - i, r.choice([1, 2, 5, 16, 100, 1000, 4096, 20000]))
            size = b"%x" % n
            if r.random() < 0.3:
                size = size.upper()
            if r.random() < 0.05:
                size = b"000" + size
            out += size + b"\r\n" + body[i:i + n] + b"\r\n"
            i += n
        return bytes(out) + b"0\r\n" + trailers + b"\r\n"

    def request(self, tricks=True, method=None, target=None, body=None, framing=None,
                version=None, extra=()):
        """A well-formed request (tricks: in the target only)."""
        r = self.rng
        tok = self.tok()
        method = method or r.choice(self.METHODS)
        version = version or (b"HTTP/1.1" if r.random() < 0.93 else b"HTTP/1.0")
        target = target or self.target(tok, tricks)
        hs = []
        if version == b"HTTP/1.1" or r.random() < 0.5:
            hs.append(b"Host: " + r.choice([b"localhost", b"127.0.0.1:2375", b"", b"docker",
                                            b"[::1]:2375"]))
        hs.append(b"User-Agent: Docker-Client/20.10.24 (linux)")
        for _ in range(r.choice([0, 0, 1, 2, 5])):
            hs.append(b"X-Dg-%d: v-%s" % (r.randrange(100), self.tok()))
        if r.random() < 0.05:
            hs.append(b"X-Registry-Auth: " + bytes(r.choice(b"ABCDEFabcdef0123456789+/")
                                                   for _ in range(r.choice([500, 4000, 12000]))))
        if r.random() < 0.3:
            hs.append(b"Content-Type: application/json")
        c = r.random()
        if version == b"HTTP/1.0" and c < 0.5:
            hs.append(b"Connection: keep-alive")
        elif c < 0.04:
            hs.append(b"Connection: close")
        elif c < 0.09:
            hs.append(b"Connection: Upgrade")
            hs.append(b"Upgrade: tcp")
        elif c < 0.12:
            hs.append(b"Connection: keep-alive, X-Hop")
            hs.append(b"X-Hop: " + self.tok())
        elif c < 0.14:
            hs.append(b"Upgrade: h2c")
        toks = []
        if body is None:
            want = (method in (b"POST", b"PUT") and r.random() < 0.7) or r.random() < 0.08
            n = r.choice([0, 1, 12, 29, 100, 700, 3000, 3000, 20000]) if want else None
            if n is not None and r.random() < 0.02:
                n = 70000
            body = self.body_bytes(n, toks) if n is not None else None
        if body is not None:
            if framing is None:
                framing = "chunked" if (version == b"HTTP/1.1" and r.random() < 0.4) else "cl"
            if r.random() < 0.05:
                hs.append(b"Expect: 100-continue")
            if framing == "cl":
                hs.append(b"Content-Length: %d" % len(body))
                payload = body
            else:
                hs.append(b"Transfer-Encoding: " + r.choice([b"chunked", b"chunked", b"Chunked"]))
                tr = b""
                if r.random() < 0.1:
                    tr = b"X-Trailer: " + self.tok() + b"\r\n"
                payload = self.chunked(body, tr)
        else:
            payload = b""
        hs.extend(extra)
        r.shuffle(hs)
        head = method + b" " + target + b" " + version + b"\r\n" + b"".join(h + b"\r\n" for h in hs)
        return head + b"\r\n" + payload

    INTERESTING = [b"\r", b"\n", b"\0", b" ", b"\t", b":", b"%", b"/", b".", b"\x7f", b"\x80",
                   b"\xff", b"\r\n", b"\r\n\r\n", b"\x0b", b"\x01", b"a", b"A", b"0", b";"]
    TE_VARIANTS = [b"Transfer-Encoding: chunked", b"Transfer-Encoding:  chunked ",
                   b"Transfer-Encoding: chunked, identity", b"Transfer-Encoding: identity, chunked",
                   b"Transfer-Encoding: identity", b"Transfer-Encoding: xchunked",
                   b"Transfer-Encoding: chunk", b"Transfer-Encoding: chunked;q=1",
                   b"Transfer-Encoding: \"chunked\"", b"Transfer-encoding: CHUNKED",
                   b"Transfer-Encoding : chunked", b"Transfer_Encoding: chunked",
                   b" Transfer-Encoding: chunked", b"X: y\r\n Transfer-Encoding: chunked",
                   b"Transfer-Encoding:\tchunked", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
                   b"Transfer-Encoding\x0b: chunked", b"Transfer-Encoding: \x0bchunked",
                   b"TE: chunked", b"Transfer-Encoding: ch\x00unked"]
    CL_VARIANTS = [b"Content-Length: 0", b"Content-Length: 5", b"Content-Length: +5",
                   b"Content-Length: 5, 5", b"Content-Length: 05", b"Content-Length : 5",
                   b"Content-Length:5", b"Content-Length: 0x5", b"Content-Length: -1",
                   b"Content-Length: 5\r\nContent-Length: 5", b"Content-Length: 99999999999999999999",
                   b"Content-Length: 5 ", b"Content-Length:\t7", b"content-length: 3",
                   b"Content-Length: 1e3", b"Content-Length: "]

    def mutate(self, req):
        r = self.rng
        data = bytearray(req)
        he = data.find(b"\r\n\r\n")
        he = he if he >= 0 else len(data)
        for _ in range(r.choice([1, 1, 1, 2, 3])):
            op = r.randrange(10)
            pos = r.randrange(max(1, he if r.random() < 0.85 else len(data)))
            if op == 0 and data:
                data[min(pos, len(data) - 1)] = r.choice(self.INTERESTING)[0]
            elif op == 1:
                data[pos:pos] = r.choice(self.INTERESTING)
            elif op == 2 and data:
                del data[pos:pos + r.choice([1, 1, 2, 5])]
            elif op == 3:      # duplicate a header line
                lines = bytes(data[:he]).split(b"\r\n")
                if len(lines) > 1:
                    ln = r.choice(lines[1:])
                    data[he:he] = b"\r\n" + ln
            elif op == 4:      # case change of the method or a header name
                k = r.randrange(max(1, he))
                seg = data[k:k + r.randrange(1, 8)]
                data[k:k + len(seg)] = seg.swapcase()
            elif op == 5:
                data[he:he] = b"\r\n" + r.choice(self.TE_VARIANTS)
            elif op == 6:
                data[he:he] = b"\r\n" + r.choice(self.CL_VARIANTS)
            elif op == 7:      # obs-fold in the middle of a line
                ln_end = data.find(b"\r\n", pos)
                if 0 <= ln_end < he:
                    data[ln_end:ln_end + 2] = b"\r\n" + r.choice([b" ", b"\t"])
            elif op == 8:      # bare LF for a line end
                ln_end = data.find(b"\r\n", pos)
                if ln_end >= 0:
                    del data[ln_end]
            elif op == 9:      # whitespace before a colon
                c = data.find(b":", pos)
                if 0 <= c < he:
                    data[c:c] = r.choice([b" ", b"\t"])
            he = data.find(b"\r\n\r\n")
            he = he if he >= 0 else len(data)
        return bytes(data)

    def chunk_trick(self):
        """An allowed-looking request whose chunked body is odd."""
        r = self.rng
        body = self.body_bytes(r.choice([5, 20, 300]), [])
        tricks = [
            b"%x;ext=1\r\n" % len(body) + body + b"\r\n0\r\n\r\n",
            b"%x ;ext\r\n" % len(body) + body + b"\r\n0\r\n\r\n",
            b"%x \r\n" % len(body) + body + b"\r\n0\r\n\r\n",
            b" %x\r\n" % len(body) + body + b"\r\n0\r\n\r\n",
            b"0x%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n",
            b"%x\n" % len(body) + body + b"\r\n0\r\n\r\n",
            b"%x\r\n" % len(body) + body + b"\n0\r\n\r\n",
            b"%x\r\n" % len(body) + body + b"X\r\n0\r\n\r\n",
            b"%x\r\n" % (len(body) + 1) + body + b"\r\n0\r\n\r\n",
            b"%x\r\n" % max(0, len(body) - 1) + body + b"\r\n0\r\n\r\n",
            b"-1\r\n" + body + b"\r\n0\r\n\r\n",
            b"ffffffffffffffffff\r\n" + body,
            b"10000000000000000\r\n" + body,
            b"%x\r\n" % len(body) + body + b"\r\n0\r\nX-T: " + self.tok() + b"\r\n\r\n",
            b"%x\r\n" % len(body) + body + b"\r\n0\r\nX-T : v\r\n\r\n",
            b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r",
            b"%x\r\n" % len(body) + body + b"\r\n0;x=\"a b\"\r\n\r\n",
            b"%x\r\n" % len(body) + body + b"\r\n00000000000000000\r\n\r\n",
            b"%X\r\n" % len(body) + body + b"\r\n0000\r\n\r\n",
        ]
        payload = r.choice(tricks)
        method = r.choice([b"POST", b"PUT", b"GET"])
        tok = self.tok()
        head = (method + b" " + self.target(tok, tricks=False) + b" HTTP/1.1\r\nHost: x\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        return head + payload

    def smuggle(self):
        """The classic attacks, each with a forbidden request hidden somewhere."""
        r = self.rng
        inner_t = r.choice([b"/containers/json", b"/containers/create", b"/v1.41/exec/x/start",
                            b"/debug/vars", b"/images/json", b"/secrets", b"/containers/web/start"])
        inner_m = r.choice([b"GET", b"POST", b"DELETE"])
        inner = inner_m + b" " + inner_t + b"?t=" + self.tok() + b" HTTP/1.1\r\nHost: x\r\n"
        inner += b"X-Inner: " + self.tok() + b"\r\n\r\n"
        okp = r.choice([b"/_ping", b"/version", b"/v1.41/version", b"/events", b"/info",
                        b"/networks", b"/containers/json"])
        okm = r.choice([b"GET", b"POST", b"PUT"])
        okt = okp + b"?t=" + self.tok()
        ch = b"%x\r\n" % len(inner) + inner + b"\r\n0\r\n\r\n"
        kind = r.randrange(16)
        if kind == 0:      # CL.TE: CL covers all, TE ends early
            body = b"0\r\n\r\n" + inner
            return (okm + b" " + okt + b" HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n" % len(body) + body)
        if kind == 1:      # TE.CL: CL ends early, the rest looks like a request
            return (okm + b" " + okt + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    b"Content-Length: 4\r\n\r\n" + ch)
        if kind == 2:      # obfuscated TE + CL
            te = r.choice(self.TE_VARIANTS[1:])
            body = b"0\r\n\r\n" + inner
            return (okm + b" " + okt + b" HTTP/1.1\r\nHost: x\r\n" + te +
                    b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        if kind == 3:      # a forbidden request inside an allowed body
            return self.request(tricks=False, method=okm, target=okt, body=inner,
                                framing=r.choice(["cl", "chunked"]))
        if kind == 4:      # Upgrade on a non-hijack endpoint, then a forbidden request
            return (b"GET " + okt + b" HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                    b"Upgrade: " + r.choice([b"tcp", b"h2c", b"websocket"]) + b"\r\n\r\n" + inner)
        if kind == 5:      # duplicate Content-Length
            return (okm + b" " + okt + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(inner) + inner)
        if kind == 6:      # Content-Length shorter than what follows: the rest is judged
            body = b"abc"
            return (okm + b" " + okt + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n" +
                    body + inner)
        if kind == 7:      # HTTP/1.0 with TE
            return (okm + b" " + okt + b" HTTP/1.0\r\nConnection: keep-alive\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n" + ch)
        if kind == 8:      # LF-only head end
            return b"GET " + okt + b" HTTP/1.1\nHost: x\n\n" + inner
        if kind == 9:      # denied request with Expect and a body that is a request
            return (b"POST " + inner_t + b"?t=" + self.tok() + b" HTTP/1.1\r\nHost: x\r\n"
                    b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(inner) + inner)
        if kind == 10:     # denied request with a body that is an allowed request, then denied
            allowed = b"GET " + okt + b" HTTP/1.1\r\nHost: x\r\n\r\n"
            return (b"POST " + inner_t + b"?t=" + self.tok() + b" HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(allowed) + allowed + inner)
        if kind == 11:     # a big denied body with a request inside it
            filler = self.body_bytes(70000, [])
            body = filler[:30000] + inner + filler[30000:]
            return (b"POST " + inner_t + b"?t=" + self.tok() + b" HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(body) + body + inner)
        if kind == 12:     # chunked GET to an allowed path, request in the chunk data
            return b"GET " + okt + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + ch
        if kind == 13:     # leading empty line, then a forbidden request
            return b"\r\n" + inner
        if kind == 14:     # chunk extension hiding a terminator
            return (okm + b" " + okt + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"5;x=\"\r\n0\r\n\r\n\"\r\nhello\r\n0\r\n\r\n" + inner)
        # a denied request with a small body, then another denied, then allowed
        return (b"DELETE " + inner_t + b"?t=" + self.tok() + b" HTTP/1.1\r\nHost: x\r\n"
                b"Content-Length: 5\r\n\r\nhello" + inner +
                b"GET " + okt + b" HTTP/1.1\r\nHost: x\r\n\r\n")

    def garbage(self):
        r = self.rng
        return r.choice([
            bytes(r.randrange(256) for _ in range(r.randrange(1, 200))),
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(r.randrange(256) for _ in range(50)),
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"GET /_ping HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n",
            b"GET /_ping HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(120)) + b"\r\n",
            b"GET /_ping HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(99)) + b"\r\n",
            b"GET /_ping HTTP/2.0\r\nHost: x\r\n\r\n",
            b"GET /_ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            b"GET /_ping HTTP/1.1\r\n\r\n",
            b"GET /_ping HTTP/1.0\r\n\r\n",
            b"GET  /_ping HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /_ping HTTP/1.1 \r\nHost: x\r\n\r\n",
            b"GET /_ping\r\nHost: x\r\n\r\n",
            b"get /_ping HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /_ping HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n",
            b"GET /_ping HTTP/1.1\r\nHost: x\r\nUpgrade: a\r\nUpgrade: b\r\n\r\n",
            b"GET /_ping HTTP/1.1\r\nHost: x y\r\n\r\n",
            b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close, \"x\"\r\n\r\n",
        ])

    def stream(self, policy_env):
        """A client byte stream: several items, pipelined. Half the streams
        are clean pipelines (valid requests, light tricks in targets only),
        the other half mix in mutated heads, chunk tricks, smuggling and
        garbage; either way a hostile item may come at any position."""
        r = self.rng
        items = []
        if r.random() < 0.5:
            for _ in range(r.randrange(2, 9)):
                items.append(self.request(tricks=r.random() < 0.5))
            if r.random() < 0.3:
                items.insert(r.randrange(len(items) + 1), self.smuggle())
            return b"".join(items)
        for _ in range(r.choice([1, 2, 3, 3, 4, 6])):
            k = r.random()
            if k < 0.45:
                items.append(self.request())
            elif k < 0.68:
                items.append(self.mutate(self.request()))
            elif k < 0.78:
                items.append(self.chunk_trick())
            elif k < 0.95:
                items.append(self.smuggle())
            else:
                items.append(self.garbage())
        return b"".join(items)


# ==========================================================================
# driving one stream
# ==========================================================================

def drive(port, data, rng, mode):
    """Sends data with random splits and pauses, reads what comes back.
    mode: 'halfclose' (send, SHUT_WR, read to EOF), 'idle' (send, wait until
    quiet, then SHUT_WR), 'abrupt' (send a prefix, close). Returns
    (received, sent_bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    got = bytearray()
    eof = False
    if mode == "abrupt":
        data = data[:rng.randrange(len(data) + 1)]
    split = rng.choice(["whole", "bytes", "small", "large"])
    if split == "bytes" and len(data) > 2000:
        split = "small"
    pause_budget = 0.12

    def pump(timeout):
        nonlocal eof
        if eof:
            return
        rr, _, _ = select.select([s], [], [], timeout)
        if rr:
            try:
                d = s.recv(65536)
            except BlockingIOError:
                return
            except ConnectionResetError:
                eof = True
                return
            if not d:
                eof = True
            got.extend(d)

    i = 0
    try:
        while i < len(data):
            if split == "whole":
                n = len(data)
            elif split == "bytes":
                n = 1
            elif split == "small":
                n = rng.randrange(1, 64)
            else:
                n = rng.randrange(1, 5000)
            chunk = data[i:i + n]
            sent = 0
            t_end = time.monotonic() + 5
            while sent < len(chunk):
                try:
                    sent += s.send(chunk[sent:])
                except BlockingIOError:
                    pump(0.01)
                except (BrokenPipeError, ConnectionResetError):
                    i = len(data)
                    break
                if time.monotonic() > t_end:
                    raise AssertionError("send stalled for 5 s")
            i += n
            pump(0)
            if pause_budget > 0 and rng.random() < 0.08:
                p = min(pause_budget, rng.random() * 0.02)
                pause_budget -= p
                time.sleep(p)
        if mode == "abrupt":
            pump(0.005)
            return bytes(got), data
        if mode == "idle":
            t_quiet = time.monotonic()
            while time.monotonic() - t_quiet < 0.08 and not eof:
                before = len(got)
                pump(0.02)
                if len(got) != before:
                    t_quiet = time.monotonic()
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while not eof:
            if time.monotonic() > deadline:
                raise AssertionError(f"the proxy did not close within 5 s of the client's "
                                     f"half-close; received {bytes(got)[-300:]!r}")
            pump(0.05)
        return bytes(got), data
    finally:
        s.close()


def wait_quiet(rec, first_index, timeout=3.0):
    """Waits until every upstream connection opened for this stream is closed
    and nothing arrived for a moment; returns those (non-probe) connections."""
    deadline = time.monotonic() + timeout
    while True:
        rec.accept_pending()
        conns = rec.snapshot()[first_index:]
        mine = [c for c in conns if not (c.probe or c.raw.startswith(b"GET " + PROBE_TARGET))]
        busy = [c for c in mine if not c.closed]
        recent = any(time.monotonic() - c.last < 0.03 for c in mine)
        if not busy and not recent:
            return mine
        if time.monotonic() > deadline:
            return mine
        time.sleep(0.01)


# ==========================================================================
# checking one stream
# ==========================================================================

def e2e_headers(headers, nominated):
    return [(n.lower(), v) for n, v in headers
            if n.lower() not in HOP and (n.lower() not in nominated or n.lower() == b"host")]


def compare(obs, ref, nominated, what):
    """Differences between a forwarded request and a reference parse."""
    diffs = []
    if obs["method"] != ref["method"]:
        diffs.append(f"method {obs['method']!r} != {what} {ref['method']!r}")
    if obs["target"] != ref["target"]:
        diffs.append(f"target {obs['target']!r} != {what} {ref['target']!r}")
    if obs["version"] != ref["version"]:
        diffs.append(f"version {obs['version']!r} != {what} {ref['version']!r}")
    oh = e2e_headers(obs["headers"], set())
    rh = e2e_headers(ref["headers"], nominated)
    if oh != rh:
        diffs.append(f"end-to-end headers differ:\n      forwarded {oh!r}\n      {what} {rh!r}")
    ou = [v for n, v in obs["headers"] if n == b"upgrade"]
    ru = [v for n, v in ref["headers"] if n.lower() == b"upgrade"]
    if ou != ru[:1] and not (len(ru) > 1):
        diffs.append(f"Upgrade {ou!r} != {what} {ru!r}")
    if obs["complete"]:
        if obs["body"] != ref["body"]:
            diffs.append(f"body differs: forwarded {len(obs['body'])} bytes {obs['body'][:80]!r} "
                         f"!= {what} {len(ref['body'])} bytes {ref['body'][:80]!r}")
    elif not ref["body"].startswith(obs["body"]):
        diffs.append(f"partial body is not a prefix of the {what} body")
    return diffs


def model_as_ref(m):
    return {"method": m.method, "target": m.target, "version": b"1.%d" % m.minor,
            "headers": m.headers, "body": m.body}


def parse_responses(buf, client_methods):
    """Splits the client's received bytes into (status, headers, body) using
    Content-Length (every response here has one). Final responses answer
    the client's requests in order (client_methods: the method of each
    request the model sees in the stream), and one to a HEAD has no body
    (RFC 9110 §9.3.2), whether the upstream or the proxy sent it.
    Returns (list, leftover)."""
    out = []
    methods = list(client_methods)
    while True:
        e = buf.find(b"\r\n\r\n")
        if e < 0:
            return out, buf
        head = buf[:e].split(b"\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3})", head[0])
        if not m:
            return out, buf
        hs = {}
        for ln in head[1:]:
            k, _, v = ln.partition(b":")
            hs[k.strip().lower()] = v.strip()
        status = int(m.group(1))
        n = int(hs.get(b"content-length", b"0") or 0)
        head_req = False
        if status >= 200 and methods:
            head_req = methods.pop(0) == b"HEAD"
            if head_req:
                n = 0
        if hs.get(b"transfer-encoding", b"").lower() == b"chunked" and not head_req:
            body, i = b"", e + 4
            while True:
                j = buf.find(b"\r\n", i)
                if j < 0:
                    return out, buf
                size = int(buf[i:j], 16)
                body += buf[j + 2:j + 2 + size]
                i = j + 2 + size + 2
                if size == 0:
                    break
            out.append((status, hs, body))
            buf = buf[i:]
            continue
        if (status >= 200 and status not in (204, 304) and not head_req
                and b"content-length" not in hs):
            # close-delimited (RFC 9112 §6.3 rule 8): everything up to the
            # close is this body, so nothing may follow it on the connection
            out.append((status, hs, buf[e + 4:]))
            return out, b""
        out.append((status, hs, buf[e + 4:e + 4 + n]))
        buf = buf[e + 4 + n:]


STATS = {}


def check_stream(data, sent, mode, got, up_conns, policy, label):
    """Every check of one stream; returns a list of failure strings."""
    fails = []
    model = model_parse(sent, policy)
    for m in model:
        key = ("partial head" if m.kind == "partial" else
               "must-reject" if m.syntax == "reject" else
               ("allowed" if m.verdict is True else "denied" if m.verdict is False else "either") +
               ("/maybe-reject" if m.syntax == "maybe" else ""))
        STATS[key] = STATS.get(key, 0) + 1
    refs, h11_err = h11_parse(sent)
    obs = []
    for uc in up_conns:
        obs.extend(uc.reqs)
        if uc.error:
            fails.append(f"upstream connection {uc.index} received bytes h11 rejects: {uc.error}; "
                         f"recorded {bytes(uc.raw)[:600]!r}")
    # model request index -> h11 request (only while both read the same framing)
    heads = [m for m in model if m.kind == "request"]

    # -- invariant 1 and 2: walk the model, matching what was forwarded --------
    j = 0
    certain = mode != "abrupt"
    forwarded = []          # model requests the proxy forwarded
    stopped_at = None
    for idx, m in enumerate(heads):
        o = obs[j] if j < len(obs) else None
        same = o is not None and o["method"] == m.method and o["target"] == m.target
        if m.forwardable and same:
            nominated = m.nominated
            for d in compare(o, model_as_ref(m), nominated, "model"):
                fails.append(f"request {idx} {m.method!r} {m.target!r}: {d}")
            if idx < len(refs) and refs[idx]["method"] == m.method and refs[idx]["target"] == m.target:
                for d in compare(o, refs[idx], nominated, "h11"):
                    fails.append(f"request {idx} {m.method!r} {m.target!r} (vs h11): {d}")
            elif m.syntax == "ok":
                # h11 read the client's bytes differently or not at all.
                # Only "proxy forwards what h11 reads differently" is a fault;
                # h11 refusing a request the model calls valid is noted.
                r11 = refs[idx] if idx < len(refs) else None
                if r11 is not None:
                    fails.append(f"request {idx}: forwarded {m.method!r} {m.target!r} but h11 reads "
                                 f"the client's request {idx} as {r11['method']!r} {r11['target']!r}")
            if not o["complete"] and m.body_state == "ok" and certain and b"early=1" not in m.target:
                fails.append(f"request {idx} {m.method!r} {m.target!r}: body forwarded only in part "
                             f"({len(o['body'])} of {len(m.body)} bytes)")
            forwarded.append(m)
            STATS["forwarded"] = STATS.get("forwarded", 0) + 1
            j += 1
            if not o["complete"]:
                stopped_at = idx
                break
        elif same and not m.forwardable:
            why = ("must be rejected: " + m.why) if m.syntax == "reject" else "is denied by the policy"
            fails.append(f"BYPASS: request {idx} {m.method!r} {m.target!r} reached the upstream but "
                         f"{why}")
            j += 1
            forwarded.append(m)
        elif m.forwardable:
            # Not forwarded: fine only if the proxy may stop here; it must then
            # forward nothing further.
            if certain and m.syntax == "ok" and m.verdict is True:
                fails.append(f"request {idx} {m.method!r} {m.target!r} is valid and allowed but was "
                             f"not forwarded")
            stopped_at = idx
            break
        nxt = after_request(m)
        if nxt == "must-stop":
            stopped_at = idx
            break
        if nxt == "may-stop":
            certain = False
    if j < len(obs):
        for o in obs[j:]:
            fails.append(f"SMUGGLED/UNACCOUNTED: the upstream received {o['method']!r} {o['target']!r} "
                         f"(complete={o['complete']}) that matches no allowed request of the "
                         f"model in order; model: {heads[:8]!r}")

    # -- invariant 3: tokens of requests not forwarded never reach the upstream
    fwd_ranges = [(m.start, m.end if m.end is not None else len(sent)) for m in forwarded]
    fwd_toks = set()
    for a, b in fwd_ranges:
        fwd_toks.update(TOKEN_RE.findall(sent[a:b]))
    blocked = set(TOKEN_RE.findall(sent)) - fwd_toks
    recorded = b"".join(bytes(uc.raw) for uc in up_conns)
    leaked = blocked & set(TOKEN_RE.findall(recorded))
    if leaked:
        t = sorted(leaked)[0]
        fails.append(f"LEAK: bytes of a request that was not forwarded reached the upstream: token "
                     f"{t!r} (sent at offset {sent.find(t)}) is in the recording "
                     f"{recorded[max(0, recorded.find(t) - 200):recorded.find(t) + 60]!r}")

    # -- responses: upstream answers arrive in order, at the right request ----
    if mode != "abrupt":
        complete_obs = [o for o in obs if o["complete"]]
        rsps, leftover = parse_responses(got, [m.method for m in heads])
        finals = [r for r in rsps if r[0] >= 200]
        ups = [r for r in finals if r[1].get(b"x-upstream") == b"recorder"]
        for k, o in enumerate(complete_obs):
            if k >= len(ups):
                fails.append(f"the client got {len(ups)} upstream answers for {len(complete_obs)} "
                             f"forwarded requests")
                break
            want = b"" if o["method"] == b"HEAD" else b"ok " + o["target"]
            if ups[k][2] != want:
                if ups[k][2].startswith(want) and b"content-length" not in ups[k][1]:
                    fails.append(f"upstream answer {k} is close-delimited, but the proxy went on to "
                                 f"send {ups[k][2][len(want):][:150]!r} after it on the same "
                                 f"connection: to the client that is part of the body")
                else:
                    fails.append(f"upstream answer {k} carries {ups[k][2][:100]!r}, expected "
                                 f"{want[:100]!r}: responses are out of step with requests")
                break
        bad = [r[0] for r in finals if r[0] not in (200, 403, 400, 417, 431, 505, 404)]
        if bad:
            fails.append(f"unexpected response statuses {bad}")
    if fails:
        fails.insert(0, f"{label}: mode={mode} sent {len(sent)} bytes: {sent[:1500]!r}"
                     f"{'...' if len(sent) > 1500 else ''}")
        fails.append(f"model: {heads!r}")
        fails.append(f"h11: {[(r['method'], r['target'], r['complete']) for r in refs]!r} error={h11_err!r}")
        fails.append(f"upstream: {[(o['method'], o['target'], o['complete']) for o in obs]!r}")
        fails.append(f"client received: {got[:800]!r}")
    return fails


# ==========================================================================
# the tests
# ==========================================================================

class Harness:
    def __init__(self, env):
        self.dir = tempfile.mkdtemp(prefix="dgd-", dir="/tmp")
        self.rec = Recorder(os.path.join(self.dir, "up.sock"))
        self.proxy = start_proxy(self.dir, self.rec.path, env)
        self.policy = PolicyModel(env)
        self.env = env

    def run_one(self, data, rng, mode, label):
        first = len(self.rec.snapshot())
        got, sent = drive(self.proxy.port, data, rng, mode)
        if mode == "abrupt":
            time.sleep(0.05)     # the proxy may still be reading what it got
        conns = wait_quiet(self.rec, first)
        if not self.proxy.alive():
            return [f"{label}: the proxy DIED (status {self.proxy.proc.returncode}) on "
                    f"{sent[:2000]!r}; stderr tail:\n{self.proxy.stderr()[-3000:]}"]
        return check_stream(data, sent, mode, got, conns, self.policy, label)

    def finish(self):
        problems = proxy_problems(self.proxy, self.proxy.stop(wait=15), killed=False)
        self.rec.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return problems


def stream_seed(policy_name, i):
    return (SEED * 1000003 + sum(policy_name.encode()) * 7919 + i) & 0xFFFFFFFF


@pytest.mark.parametrize("policy_name", list(POLICIES))
def test_differential(policy_name):
    if not os.access(DOCKGATE_BIN, os.X_OK):
        pytest.fail(f"proxy binary {DOCKGATE_BIN} does not exist (ninja -C build)")
    env = POLICIES[policy_name]
    only = None
    if ONLY:
        pn, _, idx = ONLY.partition(":")
        if pn != policy_name:
            pytest.skip(f"DIFF_ONLY={ONLY}")
        only = int(idx)
    print(f"\nDIFF_SEED={SEED} policy={policy_name} env={env} streams={STREAMS}")
    STATS.clear()
    h = Harness(env)
    probe = Probe(h.proxy.port)
    slow = SlowClient(h.proxy.port)
    fails = []
    counts = {"halfclose": 0, "idle": 0, "abrupt": 0}
    t0 = time.monotonic()
    try:
        base_fds = h.proxy.fd_count()
        rss_warm = None
        probe.start()
        slow.start()
        indices = [only] if only is not None else range(STREAMS)
        for i in indices:
            rng = random.Random(stream_seed(policy_name, i))
            gen = Gen(rng, env)
            data = gen.stream(env)
            mode = rng.choice(["halfclose"] * 6 + ["idle"] * 3 + ["abrupt"])
            counts[mode] += 1
            label = f"[DIFF_SEED={SEED} DIFF_ONLY={policy_name}:{i}]"
            f = h.run_one(data, rng, mode, label)
            if f:
                fails.append("\n  ".join(f))
                if len(fails) >= 5 or not h.proxy.alive():
                    break
            if i == 9:
                rss_warm = h.proxy.rss_kb()
        if rss_warm is None:
            rss_warm = h.proxy.rss_kb()
        # bulk bodies: streamed, never buffered whole
        if h.policy.post and h.proxy.alive():
            rng = random.Random(stream_seed(policy_name, 10 ** 6))
            gen = Gen(rng)
            big = bytes(rng.randrange(256) for _ in range(1 << 16)) * 64     # 4 MB
            path = b"/v1.41/" + (b"containers" if h.policy.on["CONTAINERS"] else b"networks")
            for framing in ("cl", "chunked"):
                req = gen.request(tricks=False, method=b"POST", target=path + b"/create?t=" + gen.tok(),
                                  body=big, framing=framing, version=b"HTTP/1.1")
                f = h.run_one(req, rng, "halfclose", f"[bulk {framing}]")
                fails.extend("\n  ".join(x) for x in [f] if f)
        probe.stop_flag = slow.stop_flag = True
        probe.join(3)
        slow.join(3)
        elapsed = time.monotonic() - t0
        # the proxy is still there and answers
        if h.proxy.alive():
            try:
                ping(h.proxy.port, timeout=2)
            except Exception as e:
                fails.append(f"the proxy no longer answers GET /_ping at the end: {e!r}")
            time.sleep(0.3)          # the slow client's connection closes
            deadline = time.monotonic() + 3
            while h.proxy.fd_count() > base_fds and time.monotonic() < deadline:
                time.sleep(0.05)
            fds_end = h.proxy.fd_count()
            rss_end = h.proxy.rss_kb()
            slack = RSS_SLACK_KB + (ASAN_QUARANTINE_MB * 1024 if is_asan(DOCKGATE_BIN) else 0)
            lat = sorted(probe.latencies)
            print(f"streams: {sum(counts.values())} {counts} in {elapsed:.1f}s; probe: "
                  f"{len(lat)} pings, max {max(lat) * 1000 if lat else 0:.0f} ms; fds "
                  f"{base_fds} -> {fds_end}; VmRSS warm {rss_warm} kB -> end {rss_end} kB "
                  f"(bound +{slack} kB)")
            print(f"requests as the model reads them: {dict(sorted(STATS.items()))}")
            if fds_end > base_fds:
                fails.append(f"fd count {base_fds} at start, {fds_end} at the end: leaked descriptors")
            if rss_end - rss_warm > slack:
                fails.append(f"VmRSS grew from {rss_warm} kB to {rss_end} kB (bound +{slack} kB)")
        else:
            fails.append(f"the proxy died: status {h.proxy.proc.returncode}")
        if probe.failures:
            fails.append(f"the probe client was not served within 1 s {len(probe.failures)} times "
                         f"(of {len(probe.latencies) + len(probe.failures)}): {probe.failures[:5]}")
    finally:
        probe.stop_flag = slow.stop_flag = True
        fails.extend(h.finish())
    assert not fails, f"DIFF_SEED={SEED} policy={policy_name}:\n\n" + "\n\n".join(fails)


# --------------------------------------------------------------------------
# named regression rows: fixed streams, checked by the same machinery
# --------------------------------------------------------------------------

H = b"Host: x\r\n"
REGRESSIONS = [
    # (id, policy, stream)
    ("cl_te_conflict", "default",
     b"POST /_ping?t=zqaaaaaaaaaa HTTP/1.1\r\n" + H + b"Content-Length: 45\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\nGET /containers/json?t=zqbbbbbbbbbb HTTP/1.1\r\n" + H + b"\r\n"),
    ("upgrade_then_forbidden", "default",
     b"GET /_ping?t=zqcccccccccc HTTP/1.1\r\n" + H + b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
     b"GET /containers/json?t=zqdddddddddd HTTP/1.1\r\n" + H + b"\r\n"),
    ("forbidden_inside_allowed_body", "rw",
     b"POST /containers/create?t=zqeeeeeeeeee HTTP/1.1\r\n" + H + b"Content-Length: 51\r\n\r\n"
     b"GET /secrets?t=zqffffffffff HTTP/1.1\r\nHost: x\r\n\r\n\r\n\r\n"),
    ("denied_body_is_a_request", "containers",
     b"POST /containers/create?t=zqgggggggggg HTTP/1.1\r\n" + H + b"Content-Length: 50\r\n\r\n"
     b"GET /secrets?t=zqhhhhhhhhhh HTTP/1.1\r\nHost: x\r\n\r\n\r\n"
     b"GET /containers/json?t=zqiiiiiiiiii HTTP/1.1\r\n" + H + b"\r\n"),
    ("chunked_denied_then_pipelined", "containers",
     b"POST /containers/x/start?t=zqjjjjjjjjjj HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
     b"5\r\nhello\r\n0\r\n\r\nGET /containers/json?t=zqkkkkkkkkkk HTTP/1.1\r\n" + H + b"\r\n"),
    ("attach_ws_needs_post", "containers",
     b"GET /v1.41/containers/web/attach/ws?t=zqllllllllll HTTP/1.1\r\n" + H + b"\r\n"
     b"GET /containers/json?t=zqmmmmmmmmmm HTTP/1.1\r\n" + H + b"\r\n"),
    ("encoded_version_prefix", "lifecycle",
     b"POST /v%31.41/containers/web/%73tart?t=zqnnnnnnnnnn HTTP/1.1\r\n" + H + b"\r\n"
     b"POST /v1.41/containers/web/pause?t=zqoooooooooo HTTP/1.1\r\n" + H + b"\r\n"),
    # Found by this test (seed 1936876671, rw:56): after relaying a
    # close-delimited response (no Content-Length, no chunking) dockgate
    # went on with the next pipelined request on the same client connection,
    # so its answer (here the 403) became part of the first response's body.
    ("close_delimited_then_pipelined", "default",
     b"GET /_ping?t=zqssssssssss&uraw=1 HTTP/1.1\r\n" + H + b"\r\n"
     b"GET /containers/json?t=zqtttttttttt HTTP/1.1\r\n" + H + b"\r\n"),
    ("http10_keepalive_pipeline", "default",
     b"GET /_ping?t=zqpppppppppp HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
     b"GET /containers/json?t=zqqqqqqqqqqq HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
     b"GET /version?t=zqrrrrrrrrrr HTTP/1.1\r\n" + H + b"\r\n"),
    # The same with the denied request first: dockgate's own 403 keeps the
    # HTTP/1.0 keep-alive connection, the allowed one after it is
    # forwarded, and the recorder's answer to it closes (h11 keeps no
    # HTTP/1.0 connection), so the last request must not be answered.
    ("http10_keepalive_denied_first", "default",
     b"GET /containers/json?t=zqqqqqqqqqqq HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
     b"GET /_ping?t=zqpppppppppp HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
     b"GET /version?t=zqrrrrrrrrrr HTTP/1.1\r\n" + H + b"\r\n"),
]


@pytest.mark.parametrize("name,policy_name,stream", REGRESSIONS, ids=[r[0] for r in REGRESSIONS])
def test_regression_row(name, policy_name, stream):
    if not os.access(DOCKGATE_BIN, os.X_OK):
        pytest.fail(f"proxy binary {DOCKGATE_BIN} does not exist (ninja -C build)")
    env = POLICIES[policy_name]
    h = Harness(env)
    fails = []
    try:
        for k, mode in enumerate(["halfclose", "idle"]):
            for split in range(3):
                rng = random.Random(k * 10 + split)
                fails += h.run_one(stream, rng, mode, f"[{name} {mode} split-seed {split}]")
    finally:
        fails += h.finish()
    assert not fails, "\n".join(fails)


def test_denied_head_has_no_body():
    """RFC 9110 §9.3.2: a response to HEAD carries no content. dockgate's
    own 403 to a denied HEAD carries its JSON body, so on a kept-alive
    connection the client reads that body as the start of the next response
    (the Go client then fails with "malformed HTTP response")."""
    h = Harness({})
    try:
        c = RawConn.open(("127.0.0.1", h.proxy.port), timeout=5)
        c.send(b"HEAD /containers/json HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        c.shutdown_write()
        got = c.read_until_close(timeout=10)
        c.close()
    finally:
        problems = h.finish()
    assert not problems, problems
    head, _, rest = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403"), got
    assert rest.startswith(b"HTTP/1.1 200"), (
        f"after the 403 to HEAD the next bytes must be the next response, got {rest[:120]!r}")

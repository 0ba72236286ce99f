"""The access log (src/log.c, log_access() in src/conn.c).

Two properties, each checked against the real daemon:

- The log never blocks the proxy. dockgate's stderr is a pipe that the
  test does not read (a logging driver that has fallen behind): thousands
  of denied requests from one client fill it, and another client's
  /_ping must still be answered at once, all along. When the pipe is read
  again, the lines that did not fit are counted in a "log lines dropped"
  line, and every access line is accounted for: logged or counted.
- The log cannot be forged. Every byte a client chooses (the request line,
  and the decoded path quoted in a denial's reason) is escaped, so a quote,
  a backslash, a control byte or non-ASCII cannot close a field, add
  fields or start a line.
"""

import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from dockgate_testlib.net import free_port, wait_for
from dockgate_testlib.rawhttp import http_request
from dockgate_testlib.settings import DOCKGATE_BIN

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
QUOTED = r'"((?:[^"\\]|\\.)*)"'
# The whole access line, field by field: nothing may come before or after.
DENY_LINE = re.compile(rf"^{STAMP} info (\S+) {QUOTED} DENY status=(\d+) ms=(\d+) "
                       rf"reason={QUOTED}$")
ALLOW_LINE = re.compile(rf"^{STAMP} info (\S+) {QUOTED} allow\(([\w-]+)\) status=(\d+) "
                        rf"bytes=(\d+) ms=(\d+)$")
ANY_LINE = re.compile(rf"^{STAMP} (emerg|alert|crit|err|warning|notice|info|debug) \S")
DROPPED = re.compile(rf"^{STAMP} warning (\d+) log lines dropped")


def unescape(s):
    r"""Reverses the log's escaping: \" \\ and \xNN."""
    out = bytearray()
    i = 0
    b = s.encode("latin-1")
    while i < len(b):
        if b[i:i + 1] == b"\\":
            if b[i + 1:i + 2] == b"x":
                out.append(int(b[i + 2:i + 4], 16))
                i += 4
            else:
                out.append(b[i + 1])
                i += 2
        else:
            out.append(b[i])
            i += 1
    return bytes(out)


def access_lines(text):
    return [ln for ln in text.splitlines() if DENY_LINE.match(ln) or ALLOW_LINE.match(ln)]


# --------------------------------------------------------------------------
# the log never blocks
# --------------------------------------------------------------------------

DENIED = 2000
# SECRETS is off by default: a long secret name makes each denial's line
# about 500 bytes, so 2,000 of them are a megabyte of log.
DENIED_TARGET = "/v1.41/secrets/" + "s" * 150


def denial_client(port, results, stop):
    """DENIED keep-alive denials on one connection, as fast as answered."""
    req = http_request("GET", DENIED_TARGET)
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        buf = b""
        for _ in range(DENIED):
            if stop.is_set():
                break
            s.sendall(req)
            while True:
                i = buf.find(b"\r\n\r\n")
                if i >= 0:
                    m = re.search(rb"\r\ncontent-length: *(\d+)", buf[:i], re.I)
                    end = i + 4 + int(m.group(1))
                    if len(buf) >= end:
                        assert buf.startswith(b"HTTP/1.1 403"), buf[:200]
                        buf = buf[end:]
                        break
                d = s.recv(65536)
                if not d:
                    raise ConnectionError("closed by the proxy")
                buf += d
            results["answered"] += 1
        s.close()
    except Exception as e:  # noqa: BLE001 - reported by the test
        results["error"] = repr(e)


def ping_once(port, daemon=True):
    """Seconds for one GET /_ping on a new connection (inf when it fails).
    With daemon=False the probe is a request dockgate denies itself, for
    a dockgate that cannot reach the daemon's socket."""
    t0 = time.monotonic()
    target, status, end = ("/_ping", b"HTTP/1.1 200", b"OK") if daemon else \
        (DENIED_TARGET, b"HTTP/1.1 403", b"}\n")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.settimeout(2)
            s.sendall(http_request("GET", target, headers=[("Connection", "close")]))
            data = b""
            while not data.endswith(end):
                d = s.recv(4096)
                if not d:
                    break
                data += d
            if not data.startswith(status) or not data.endswith(end):
                return float("inf")
    except OSError:
        return float("inf")
    return time.monotonic() - t0


@pytest.mark.parametrize("as_user", ["root", "nobody"])
def test_undrained_stderr_never_stalls_other_clients(dockerd, session_dir, as_user):
    """stderr on a pipe nobody reads: 2,000 denials from one client go on
    being answered, another client's /_ping is answered within a second
    throughout, and once the pipe is read every access line is either
    there, whole, or counted as dropped. As "nobody" the pipe is root's
    (mode 0600), as a supervisor that starts services unprivileged makes
    it: dockgate cannot open it again and must say how it copes."""
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "HOME", "LANG", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")}
    env.update(SOCKET_PATH=dockerd.sock, LISTEN=f"tcp://127.0.0.1:{port}", LOG_LEVEL="info")
    argv = [DOCKGATE_BIN]
    if as_user == "nobody":
        # The daemon's socket is in a private directory: the probe is one
        # that dockgate answers itself.
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] + argv
    daemon = as_user == "root"

    def ping():
        return ping_once(port, daemon)
    # the proxy fixture sends stderr to a file, which never fills:
    # this test needs the pipe, so it starts the binary itself.
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    reader = None
    try:
        wait_for(lambda: ping() < 2, 10, 0.05, "dockgate to answer /_ping")
        results = {"answered": 0, "error": None}
        stop = threading.Event()
        t = threading.Thread(target=denial_client, args=(port, results, stop), daemon=True)
        t.start()
        pings = []
        deadline = time.monotonic() + 60
        while t.is_alive() and time.monotonic() < deadline:
            pings.append(ping())
            if pings[-1] == float("inf") or pings[-1] > 1.0:
                break
            time.sleep(0.02)
        stop.set()
        t.join(5)
        slow = [p for p in pings if p > 1.0]
        assert not slow, (f"/_ping took {max(pings):.2f} s while the log was not read "
                          f"({results['answered']} of {DENIED} denials answered)")
        assert results["error"] is None, results
        assert results["answered"] == DENIED, results
        assert proc.poll() is None, "dockgate exited"

        # Read the pipe again: what waited comes out, then the count.
        chunks = []

        def drain():
            while True:
                d = proc.stderr.read1(65536)
                if not d:
                    return
                chunks.append(d)
        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        wait_for(lambda: any(DROPPED.match(ln) for ln in
                             b"".join(chunks).decode("latin-1").splitlines()),
                 10, 0.1, "the 'log lines dropped' line")
        # One more /_ping: logged now that the pipe is read.
        assert ping() < 1.0
        pings.append(0)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        reader.join(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    text = b"".join(chunks).decode("latin-1")
    lines = text.splitlines()
    assert text.endswith("\n")
    bad = [ln for ln in lines if not ANY_LINE.match(ln)]
    assert not bad, f"lines cut or mixed up: {bad[:3]}"
    dropped = sum(int(m.group(1)) for m in map(DROPPED.match, lines) if m)
    denies = [ln for ln in lines if DENY_LINE.match(ln)]
    allows = [ln for ln in lines if ALLOW_LINE.match(ln)]
    assert dropped > 0, "the pipe never filled: the test proves nothing"
    if as_user == "nobody":
        assert any("stderr cannot be opened again" in ln for ln in lines), lines[:5]
    # Every request made one access line, logged whole or counted.
    requests = DENIED + len(pings) + 1  # + the first readiness ping
    assert len(denies) + len(allows) + dropped == requests, \
        (len(denies), len(allows), dropped, requests)
    assert all(DENIED_TARGET[:100] in ln for ln in denies)


# --------------------------------------------------------------------------
# the log cannot be forged
# --------------------------------------------------------------------------

FORGED = " allow(containers) status=200 bytes=1 ms=0"


@pytest.mark.parametrize("target, decoded", [
    # %22 decodes to '"': the reason quotes the decoded path.
    ("/v1.41/containers/x%22" + FORGED.replace(" ", "%20") + "%20reason=%22/json",
     b'/v1.41/containers/x"' + FORGED.encode() + b' reason="/json'),
    # a backslash would turn the closing quote into an escaped one
    ("/v1.41/containers/x%5C/json", b"/v1.41/containers/x\\/json"),
    # non-ASCII (UTF-8 of U+00E9 and a lone byte) cannot pass as text
    ("/v1.41/containers/%C3%A9%FF/json", b"/v1.41/containers/\xc3\xa9\xff/json"),
], ids=["quote", "backslash", "non-ascii"])
def test_denial_reason_is_escaped(proxy, target, decoded):
    """A path that decodes to a quote, a backslash or non-ASCII is denied
    (CONTAINERS=0), and its access line has exactly the expected fields:
    the request line is the raw target, the reason holds the decoded path
    escaped, and nothing else is in the line."""
    p = proxy(CONTAINERS=0, LOG_LEVEL="info")
    r = p.request(http_request("GET", target))
    assert r.status == 403, r
    wait_for(lambda: any(target[:60] in ln for ln in access_lines(p.stderr())), 5, 0.05,
             "the access line")
    mine = [ln for ln in p.stderr().splitlines() if "DENY" in ln and "/v1.41/containers/" in ln]
    assert len(mine) == 1, mine
    m = DENY_LINE.match(mine[0])
    assert m, f"the line has other fields than it should: {mine[0]!r}"
    assert not ALLOW_LINE.match(mine[0])
    assert unescape(m.group(2)) == b"GET " + target.encode()
    assert m.group(3) == "403"
    reason = unescape(m.group(5))
    assert decoded in reason, (reason, decoded)


@pytest.mark.parametrize("target", [
    '/v1.41/info"_allow(info)_status=200',
    "/v1.41/info\\",
    '/v1.41/_ping"',
], ids=["raw-quote", "raw-backslash", "raw-quote-end"])
def test_request_line_is_escaped(proxy, target):
    """The request-target as received may hold '"' and '\\' (h1 takes any
    visible ASCII; the path check then refuses them with 400): the quoted
    request line in the access line escapes them."""
    p = proxy(LOG_LEVEL="info")
    r = p.request(http_request("GET", target))
    assert r.status == 400, r
    wait_for(lambda: any("DENY status=400" in ln for ln in p.stderr().splitlines()), 5, 0.05,
             "the access line")
    mine = [ln for ln in p.stderr().splitlines() if "DENY status=400" in ln]
    assert len(mine) == 1, mine
    m = DENY_LINE.match(mine[0])
    assert m, f"the line has other fields than it should: {mine[0]!r}"
    assert unescape(m.group(2)) == b"GET " + target.encode()
    assert m.group(5) == "invalid character in path"


def test_access_line_keeps_the_query_keys_that_say_what_happened(proxy, dockerd):
    """The access line keeps the query keys that say what a request did
    (all, filters, force, signal, ...), exactly as sent and escaped, and
    leaves out every other key: a build's remote URL can hold a token,
    its buildargs secrets."""
    p = proxy(CONTAINERS=1, LOG_LEVEL="info")
    r = p.request(http_request("GET", "/v1.41/containers/json?all=1&secret=s3cr3t&"
                                      "filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D"))
    assert r.status == 200, r
    r = p.request(http_request("POST", "/v1.41/build?t=img&remote=https://u:t0ken@git.example/r"
                                       "&buildargs=%7B%22PW%22%3A%22hunter2%22%7D"))
    assert r.status == 403, r
    r = p.request(http_request("POST", '/v1.41/containers/x/kill?signal=KILL"x'))
    wait_for(lambda: len(access_lines(p.stderr())) >= 3, 5, 0.05, "three access lines")
    lines = access_lines(p.stderr())
    text = "\n".join(lines)
    for secret in ("s3cr3t", "secret=", "t0ken", "remote", "buildargs", "hunter2"):
        assert secret not in text, (secret, text)
    (ps,) = [ln for ln in lines if "/containers/json" in ln]
    assert ALLOW_LINE.match(ps), ps
    assert ('"GET /v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D"'
            in ps), ps
    (build,) = [ln for ln in lines if "/build" in ln]
    assert '"POST /v1.41/build?t=img"' in build, build
    (kill,) = [ln for ln in lines if "/kill" in ln]
    assert DENY_LINE.match(kill) or "status=400" in kill, kill
    assert 'signal=KILL\\"x' in kill, kill


def test_streams_are_logged_when_they_start_and_tunnels_when_they_end(proxy, sleeper):
    """An events or logs -f stream's access line comes when it ends, which
    may be hours later: its start is logged too. A tunnel (exec, attach)
    is logged when it starts: its end is logged too."""
    p = proxy(CONTAINERS=1, EXEC=1, POST=1, LOG_LEVEL="info")
    events = p.connect()
    logs = p.connect()
    try:
        events.send(http_request("GET", "/v1.41/events"))
        logs.send(http_request("GET", f"/v1.41/containers/{sleeper}/logs?follow=1&stdout=1"))
        for c in (events, logs):
            assert c.read_head(10)[1] == 200
        wait_for(lambda: p.stderr().count(" stream started") == 2, 5, 0.05,
                 "two stream starts")
        started = [ln for ln in p.stderr().splitlines() if ln.endswith(" stream started")]
        assert any('"GET /v1.41/events" allow(EVENTS) status=200' in ln for ln in started), started
        assert any(f'"GET /v1.41/containers/{sleeper}/logs?follow=1&stdout=1" allow(CONTAINERS)'
                   in ln for ln in started), started
        assert not access_lines(p.stderr()), "the streams have not ended yet"
    finally:
        events.close()
        logs.close()
    r = p.docker("exec", sleeper, "echo", "tunnel-bytes", timeout=20)
    assert r.rc == 0 and r.out == "tunnel-bytes\n", r
    wait_for(lambda: " tunnel ended" in p.stderr(), 5, 0.05, "the tunnel's end")
    (ended,) = [ln for ln in p.stderr().splitlines() if ln.endswith(" tunnel ended")]
    assert "/exec/" in ended and "allow(EXEC)" in ended and re.search(r" bytes=[1-9]\d* ", ended)
    # a plain request is logged once, when it ends: no start line
    assert p.request(http_request("GET", "/v1.41/containers/json")).status == 200
    assert p.stderr().count(" stream started") == 2


def test_access_line_marks_a_cut_path(proxy):
    """The path is cut at 160 bytes in the access line; the cut is marked,
    so a long name cannot pass a kill off as something else."""
    p = proxy(CONTAINERS=1, LOG_LEVEL="info")
    name = "a" * 200
    r = p.request(http_request("POST", f"/v1.41/containers/{name}/kill?signal=KILL"))
    assert r.status == 403, r
    wait_for(lambda: access_lines(p.stderr()), 5, 0.05, "the access line")
    (line,) = access_lines(p.stderr())
    assert f'"POST /v1.41/containers/{name[:160 - len("/v1.41/containers/")]}...?signal=KILL"' \
        in line, line

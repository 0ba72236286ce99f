"""SIGHUP reloads POLICY_FILE: new requests - on open keep-alive
connections too - are judged by the new file, open streams stay open, a
file that fails to load leaves the old policy in force and says why, and
under load every answer is one of the two policies' answers, never a
dropped request or a third answer."""

import os
import re
import signal
import socket
import threading
import time

import pytest

from dockgate_testlib.net import free_port, wait_for
from dockgate_testlib.proxy import needs_real_proxy
from dockgate_testlib.rawhttp import RawConn, http_request
from dockgate_testlib.reload import PolicyFileReload

# Two policies that disagree: A lists containers and follows events, B
# reads the daemon's info. The same clients: entries name the profile of
# each: the TCP client by its address, the unix client by its uid.
POLICY = """version: 1
profiles:
  {a}:
    allow: [SystemPing, SystemPingHead, SystemVersion, ContainerList, SystemEvents, ExecStart]
  {b}:
    allow: [SystemPing, SystemPingHead, SystemVersion, SystemInfo]
    deny: [ContainerList]
clients:
  - listener: {tcp}
    from: [127.0.0.0/8]
    profile: {serve}
  - listener: {unix}
    uid: [0]
    profile: {serve}
"""

LIST = http_request("GET", "/v1.41/containers/json")
INFO = http_request("GET", "/v1.41/info")


@pytest.fixture(autouse=True)
def _real_proxy():
    needs_real_proxy()


class Reloadable(PolicyFileReload):
    """A dockgate with a TCP and a unix listener and POLICY_FILE, which
    the test rewrites in place and reloads."""

    def __init__(self, proxy, session_dir, **env):
        port = free_port()
        self.tcp = f"tcp://127.0.0.1:{port}"
        self.unix = f"unix://{session_dir}/rl{port}.sock"
        self.path = session_dir / f"reload-{port}.yml"
        self.write("A")
        self.p = proxy(listen=f"{self.tcp},{self.unix}", POLICY_FILE=self.path, **env)
        # The listeners take connections before the sandbox is up: a file
        # replaced before Landlock names it would be the one it holds.
        wait_for(lambda: "seccomp: " in self.p.stderr(), 10, 0.02, "the sandbox's log line")

    def text(self, which):
        serve = {"A": "lister", "B": "informer"}[which]
        return POLICY.format(a="lister", b="informer", tcp=self.tcp, unix=self.unix, serve=serve)

    def write(self, which=None, text=None):
        self.write_policy(text if text is not None else self.text(which))

    def conn(self, via):
        return RawConn.open(self.p.tcp if via == "tcp" else self.p.unix)


def ask(c, data):
    c.send(data)
    return c.read_response()


@pytest.mark.parametrize("via", ["tcp", "unix"])
def test_reload_judges_open_connections_by_the_new_file(proxy, session_dir, via):
    r = Reloadable(proxy, session_dir)
    c = r.conn(via)
    try:
        assert ask(c, LIST).status == 200
        assert ask(c, INFO).status == 403
        r.write("B")
        line = r.reload()
        assert f"reload: {r.path} is in force: profiles lister, informer" in line, line
        # The same connection: its next requests are B's. Who it is is
        # read again from its socket (its address, its uid).
        rsp = ask(c, LIST)
        assert rsp.status == 403, rsp
        assert b"ContainerList is denied by profile informer (reload-" in rsp.body, rsp
        assert ask(c, INFO).status == 200
        r.write("A")
        r.reload()
        assert ask(c, LIST).status == 200
        assert ask(c, INFO).status == 403
    finally:
        c.close()
    log = r.p.stderr().splitlines()
    assert any('"GET /v1.41/info" allow(informer)' in ln and ln.endswith(" profile=informer")
               for ln in log)


def test_broken_file_keeps_the_policy_in_force(proxy, session_dir):
    r = Reloadable(proxy, session_dir)
    c = r.conn("tcp")
    try:
        assert ask(c, LIST).status == 200
        r.write(text=r.text("B").replace("    deny: [ContainerList]\n",
                                         "    deny: [ContainerLists]\n"))
        line = r.reload()
        assert " warning " in line, line
        assert (f"reload: {r.path}:7:12: unknown operation 'ContainerLists'" in line
                and "the policy in force stays" in line), line
        # Old and new connections alike: still A.
        assert ask(c, LIST).status == 200
        assert ask(c, INFO).status == 403
        c2 = r.conn("unix")
        try:
            assert ask(c2, LIST).status == 200
        finally:
            c2.close()
        # Half a file is no policy either.
        r.write(text=r.text("B")[:60])
        assert "the policy in force stays" in r.reload()
        assert ask(c, LIST).status == 200
    finally:
        c.close()
    assert r.p.alive()


def test_without_policy_file_nothing_to_reload(proxy):
    p = proxy(CONTAINERS=1)
    p.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "nothing to reload: no POLICY_FILE is set" in p.stderr(), 10, 0.02,
             "the log line")
    assert p.request(LIST).status == 200
    assert p.alive()


def test_open_stream_stays_open_across_a_reload(proxy, session_dir, dockerd, container):
    """A's events stream, opened before a reload to B (which does not
    allow events), goes on delivering; a new one is B's to judge."""
    r = Reloadable(proxy, session_dir)
    c = r.conn("tcp")
    try:
        c.send(http_request("GET", "/v1.41/events"))
        c.sock.settimeout(10)
        got = c.sock.recv(65536)
        assert got.startswith(b"HTTP/1.1 200 "), got
        r.write("B")
        r.reload()
        cid = container("true", start=False)
        deadline = time.monotonic() + 15
        c.sock.settimeout(1)
        while cid[:12].encode() not in got and time.monotonic() < deadline:
            try:
                got += c.sock.recv(65536)
            except socket.timeout:
                pass
        assert cid[:12].encode() in got, got[-500:]
    finally:
        c.close()
    c = r.conn("tcp")
    try:
        rsp = ask(c, http_request("GET", "/v1.41/events"))
        assert rsp.status == 403 and b"SystemEvents is not allowed by profile informer" in rsp.body
    finally:
        c.close()


def until(c, needle, timeout=15):
    """Bytes read from c (after what it holds) until needle is among them."""
    deadline = time.monotonic() + timeout
    while needle not in c.buf:
        assert c._fill(deadline), f"closed before {needle!r}; got {c.buf!r:.300}"
    return c.buf


def test_open_tunnel_stays_open_across_a_reload(proxy, session_dir, dockerd, sleeper):
    """An exec session A started (a hijacked tunnel to `cat`) carries
    stdin and output on after a reload to B, which does not allow
    ExecStart; a new exec start is B's to judge."""
    r = Reloadable(proxy, session_dir)
    st, made = dockerd.api("POST", f"/containers/{sleeper}/exec",
                           {"AttachStdin": True, "AttachStdout": True, "Cmd": ["cat"]})
    assert st == 201, made
    c = r.conn("unix")
    try:
        c.send(http_request("POST", f"/v1.41/exec/{made['Id']}/start",
                            [("Content-Type", "application/json"), ("Connection", "Upgrade"),
                             ("Upgrade", "tcp")], b'{"Detach": false, "Tty": false}'))
        assert c.read_head()[1] == 101
        c.send(b"before-reload\n")
        until(c, b"before-reload")
        r.write("B")
        r.reload()
        c.send(b"after-reload\n")
        until(c, b"after-reload")
        c.shutdown_write()
        c.read_until_close(timeout=15)  # cat saw EOF; the tunnel ends
    finally:
        c.close()
    st, again = dockerd.api("POST", f"/containers/{sleeper}/exec",
                            {"AttachStdout": True, "Cmd": ["true"]})
    c = r.conn("unix")
    try:
        rsp = ask(c, http_request("POST", f"/v1.41/exec/{again['Id']}/start",
                                  [("Content-Type", "application/json")],
                                  b'{"Detach": false, "Tty": false}'))
        assert rsp.status == 403 and b"ExecStart is not allowed by profile informer" in rsp.body
    finally:
        c.close()


def landlock_on(p):
    return re.search(r"landlock: ABI \d+: no file access but reading /dev/null and POLICY_FILE",
                     p.stderr()) is not None


def test_file_replaced_by_rename(proxy, session_dir):
    """Landlock holds the file read at startup: a file renamed over it is
    another one, which a reload cannot read, and says so; the policy in
    force stays. Without Landlock the new file is read."""
    for landlock in ("1", "0"):
        r = Reloadable(proxy, session_dir, LANDLOCK=landlock)
        fresh = r.path.with_suffix(".new")
        fresh.write_text(r.text("B"))
        os.rename(fresh, r.path)
        line = r.reload()
        if landlock == "1" and landlock_on(r.p):
            assert "Permission denied" in line and "rather than rewritten in place" in line, line
            assert r.p.request(LIST).status == 200
        else:
            assert "is in force" in line, line
            assert r.p.request(LIST).status == 403


def test_reload_under_load(proxy, session_dir):
    """Threads of keep-alive requests on both listeners while SIGHUP swaps
    A and B twenty times: no request is dropped or fails at the transport
    level, and each answer is A's or B's for that request."""
    r = Reloadable(proxy, session_dir, LOG_LEVEL="notice")
    answers = {
        "list": {(200, None), (403, b"ContainerList is denied by profile informer")},
        "info": {(403, b"SystemInfo is not allowed by profile lister"), (200, None)},
        "ping": {(200, None)},
    }
    requests = {"list": LIST, "info": INFO, "ping": http_request("GET", "/v1.41/_ping")}
    stop = threading.Event()
    failures, counts = [], []

    def worker(via):
        n = 0
        try:
            c = r.conn(via)
            while not stop.is_set():
                for name, data in requests.items():
                    rsp = ask(c, data)
                    n += 1
                    ok = any(rsp.status == st and (needle is None or needle in rsp.body)
                             for st, needle in answers[name])
                    if not ok:
                        failures.append((via, name, rsp))
            c.close()
        except Exception as e:  # a transport failure is a failure
            failures.append((via, "transport", repr(e)))
        counts.append(n)

    threads = [threading.Thread(target=worker, args=(via,)) for via in ["tcp", "unix"] * 3]
    for t in threads:
        t.start()
    try:
        for i in range(20):
            r.write("B" if i % 2 == 0 else "A")
            assert "is in force" in r.reload()
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not failures, failures[:5]
    assert len(counts) == len(threads) and min(counts) > 20, counts
    assert r.p.alive()

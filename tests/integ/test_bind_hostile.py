"""Hostile clients of per-client profiles and reload, against the daemon:
each test is a way a client could be served by a wider profile than the
policy file gives it, or keep an older policy after a reload, or upset the
proxy, and asserts that it is not so."""

import signal
import time

import pytest

from dockgate_testlib.net import free_port, wait_for
from dockgate_testlib.proxy import needs_real_proxy
from dockgate_testlib.rawhttp import RawConn, http_request
from dockgate_testlib.reload import PolicyFileReload

LIST = http_request("GET", "/v1.41/containers/json")
VOLUMES = http_request("GET", "/v1.41/volumes")
PING = http_request("GET", "/_ping")

# A client the first entry names gets narrow; everybody else on the
# listener gets wide, which also lists volumes.
NARROW_THEN_WIDE = """version: 1
profiles:
  narrow:
    allow: [SystemPing, SystemPingHead, SystemVersion, ContainerList, SystemEvents]
  wide:
    allow: [SystemPing, SystemPingHead, SystemVersion, ContainerList, SystemEvents, VolumeList]
clients:
  - listener: {tcp}
    from: ["{block}"]
    profile: narrow
  - listener: {tcp}
    profile: wide
"""

# The same listener, with entries that name nobody who connects from
# 127.0.0.1, and no default.
NOBODY = """version: 1
profiles:
  narrow:
    allow: [SystemPing, ContainerList]
clients:
  - listener: {tcp}
    from: [192.0.2.0/24]
    profile: narrow
"""


@pytest.fixture(autouse=True)
def _real_proxy():
    needs_real_proxy()


class Bound(PolicyFileReload):
    """A dockgate with one TCP listener and POLICY_FILE, rewritten in
    place and reloaded by the test."""

    def __init__(self, proxy, session_dir, host="127.0.0.1", block="127.0.0.1"):
        port = free_port()
        self.tcp = f"tcp://{host}:{port}"
        self.addr = ("127.0.0.1", port)
        self.path = session_dir / f"bindh-{port}.yml"
        self.write(NARROW_THEN_WIDE, block=block)
        self.p = proxy(listen=self.tcp, POLICY_FILE=self.path)
        wait_for(lambda: "seccomp: " in self.p.stderr(), 10, 0.02, "the sandbox's log line")

    def write(self, template, **fields):
        self.write_policy(template.format(tcp=self.tcp, **fields))

    def conn(self):
        return RawConn.open(self.addr)


def ask(c, data):
    c.send(data)
    return c.read_response()


@pytest.mark.parametrize("host", ["127.0.0.1", "[::]"])
@pytest.mark.parametrize("block", ["::ffff:127.0.0.0/104", "127.0.0.0/8", "::/0"])
def test_a_block_names_ipv4_clients_however_written(proxy, session_dir, host, block):
    """127.0.0.1 reaches a 0.0.0.0-style listener as AF_INET and a [::]
    listener as ::ffff:127.0.0.1; each way of writing its block names it
    on both, so it never falls through to the wide entry behind."""
    b = Bound(proxy, session_dir, host=host, block=block)
    c = b.conn()
    try:
        assert ask(c, LIST).status == 200
        rsp = ask(c, VOLUMES)
        assert rsp.status == 403, rsp
        assert b"denied by profile narrow" in rsp.body or b"by profile narrow" in rsp.body, rsp
    finally:
        c.close()
    assert "profile=wide" not in b.p.stderr()


def test_request_pipelined_across_a_reload_is_the_new_files(proxy, session_dir):
    """Two requests in one write: the first (events until a second from
    now) is answered slowly, the reload lands while it is, and the second
    - already in the proxy's buffer - is judged by the new file."""
    b = Bound(proxy, session_dir)
    b.write(NARROW_THEN_WIDE.replace("from: [\"{block}\"]", "from: [192.0.2.0/24]"),
            block="")
    b.reload()  # 127.0.0.1 is wide now
    c = b.conn()
    try:
        assert ask(c, VOLUMES).status == 200
        until = int(time.time()) + 2
        c.send(http_request("GET", f"/v1.41/events?since={until - 5}&until={until}") + VOLUMES)
        time.sleep(0.3)  # the events answer is open, VOLUMES waits behind it
        b.write(NARROW_THEN_WIDE, block="127.0.0.1")
        b.reload()  # narrow for 127.0.0.1 from now
        assert c.read_response(timeout=15).status == 200
        rsp = c.read_response()
        assert rsp.status == 403, rsp
        assert b"by profile narrow" in rsp.body, rsp
    finally:
        c.close()


def test_unmatched_client_gets_403_on_every_request_of_a_keep_alive_connection(
        proxy, session_dir):
    """Connected while served; the file then names nobody it could be and
    has no default: each request of the same connection gets the 403 that
    says so, the connection stays open, and a later reload serves it
    again."""
    b = Bound(proxy, session_dir)
    c = b.conn()
    try:
        assert ask(c, LIST).status == 200
        b.write(NOBODY)
        b.reload()
        for data in (LIST, PING, LIST, VOLUMES):
            rsp = ask(c, data)
            assert rsp.status == 403, rsp
            assert (b"no profile of the policy file matches this client (address 127.0.0.1) "
                    b"on listener " + b.tcp.encode()) in rsp.body, rsp
        b.write(NARROW_THEN_WIDE, block="127.0.0.1")
        b.reload()
        assert ask(c, LIST).status == 200
        assert ask(c, VOLUMES).status == 403
    finally:
        c.close()


def test_rapid_sighups(proxy, session_dir):
    """A burst of SIGHUPs while a client asks: every answer is one of the
    two files' answers, the proxy stays up, and what the retired
    generations held is given back (the ASan build checks at exit)."""
    b = Bound(proxy, session_dir)
    wide = NARROW_THEN_WIDE.replace("from: [\"{block}\"]", "from: [192.0.2.0/24]")
    c = b.conn()
    seen = set()
    try:
        for i in range(60):
            b.write(wide if i % 2 else NARROW_THEN_WIDE, block="127.0.0.1")
            for _ in range(3):
                b.p.proc.send_signal(signal.SIGHUP)
            seen.add(ask(c, VOLUMES).status)
            d = b.conn()  # a new client each round, closed at once
            d.close()
    finally:
        c.close()
    assert seen <= {200, 403}, seen
    assert b.p.alive()
    # Pending SIGHUPs merge into one: as many reloads as the loop saw.
    assert b.p.stderr().count("SIGHUP from pid") >= 2
    b.write(NARROW_THEN_WIDE, block="127.0.0.1")
    b.reload()
    c = b.conn()
    try:
        assert ask(c, VOLUMES).status == 403
        assert ask(c, LIST).status == 200
    finally:
        c.close()


def test_file_grown_past_the_limit_keeps_the_policy(proxy, session_dir):
    """A file rewritten in place to more than 1 MiB (valid YAML: the rest
    is a comment) is refused at reload, and the policy in force stays."""
    b = Bound(proxy, session_dir)
    wide = NARROW_THEN_WIDE.replace("from: [\"{block}\"]", "from: [192.0.2.0/24]")
    with open(b.path, "r+") as f:
        f.seek(0)
        f.truncate()
        f.write(wide.format(tcp=b.tcp) + "# " + "x" * (1024 * 1024) + "\n")
    line = b.reload()
    assert "the policy in force stays" in line, line
    c = b.conn()
    try:
        assert ask(c, VOLUMES).status == 403  # still narrow
    finally:
        c.close()

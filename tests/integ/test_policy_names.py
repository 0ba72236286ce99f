"""What a rule means, checked against the real daemon.

1. Names are matched as the daemon routes them. moby routes
   /containers/{name:.*}/...: a legacy link alias (HostConfig.Links
   ["dbx:db"] on webx gives dbx the name /webx/db) spans two segments. The
   attach WebSocket through such a name must stay closed with POST=0, and
   a plain POST .../attach through it must become a tunnel when allowed.
   The link is made directly on the daemon, as a user's old compose file
   would.
2. The lifecycle switches admit no body and only their own query
   parameters: a start with a HostConfig body below API 1.24, or a stop
   with a signal and t=-1, is not a start or a stop.
3. Reads that return secret data on newer Podman (showsecret, libpod's
   volume export) need settings of their own. Neither route exists on the
   test daemon: the proxy's 403 is checked, and that it forwards the
   request otherwise.
"""

import os
import time

import pytest

from dockgate_testlib.daemon import IMAGE, SLEEPER_CMD, unique
from dockgate_testlib.net import wait_for
from dockgate_testlib.rawhttp import chunked, http_request

WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
WS_HEADERS = [("Connection", "Upgrade"), ("Upgrade", "websocket"),
              ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", WS_KEY)]


def ws_frame(payload):
    """One masked text frame, as a WebSocket client sends it (payload < 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def create(dockerd, name, body):
    st, data = dockerd.api("POST", f"/containers/create?name={name}", body)
    assert st == 201, data
    return data["Id"]


def logs(dockerd, cid):
    st, data = dockerd.api("GET", f"/containers/{cid}/logs?stdout=1&stderr=1")
    assert st == 200, data
    return data


@pytest.fixture(scope="module")
def linked(dockerd, busybox):
    """(db id, web name): db runs `cat` with an open stdin, so whatever
    reaches its stdin shows in its logs; web links it as "db", which
    registers the name /<web>/db for db."""
    db_name, web_name = unique("dgt-dbx"), unique("dgt-webx")
    db = create(dockerd, db_name, {"Image": IMAGE, "Cmd": ["cat"], "OpenStdin": True,
                                   "HostConfig": {"NetworkMode": "none"}})
    st, data = dockerd.api("POST", f"/containers/{db}/start")
    assert st == 204, data
    web = create(dockerd, web_name, {"Image": IMAGE, "Cmd": SLEEPER_CMD,
                                     "HostConfig": {"NetworkMode": "none",
                                                    "Links": [f"{db_name}:db"]}})
    # The alias is a name of db, as the daemon resolves it.
    st, data = dockerd.api("GET", f"/containers/{web_name}/db/json")
    assert st == 200 and data["Id"] == db, (st, data)
    names = [n for c in dockerd.containers() if c["Id"] == db for n in c["Names"]]
    assert f"/{web_name}/db" in names, names
    yield db, web_name
    dockerd.remove(web)
    dockerd.remove(db)


def ws_attach(p, path, marker):
    """Asks for the attach WebSocket at path and, whatever the answer, sends
    one frame with marker as a client that believes it is attached would.
    Returns the answer. (The daemon logs a line only once it ends, so the
    marker ends with a newline.)"""
    conn = p.connect()
    try:
        conn.send(http_request("GET", path + "?stream=1&stdin=1&stdout=1", WS_HEADERS))
        rsp = conn.read_response()
        try:
            conn.send(ws_frame(marker + b"\n"))
        except OSError:
            pass
        time.sleep(1.0)
        return rsp
    finally:
        conn.close()


# --------------------------------------------------------------------------
# 1. names as the daemon routes them
# --------------------------------------------------------------------------

def test_ws_attach_through_link_alias_denied_with_post0(proxy, dockerd, linked):
    db, web = linked
    p = proxy(CONTAINERS=1)
    marker = b"pwned-" + unique("m").encode()
    rsp = ws_attach(p, f"/v1.41/containers/{web}/db/attach/ws", marker)
    got = logs(dockerd, db)
    assert marker not in got, "a read-only section wrote to a container's stdin through a link alias"
    assert rsp.status == 403, rsp
    assert b"POST=1" in rsp.body, rsp


def test_ws_attach_through_link_alias_allowed_with_post1(proxy, dockerd, linked):
    """The control for the test above: the same frame does reach the
    container when the policy allows the WebSocket."""
    db, web = linked
    p = proxy(CONTAINERS=1, POST=1)
    marker = b"control-" + unique("m").encode()
    rsp = ws_attach(p, f"/v1.41/containers/{web}/db/attach/ws", marker)
    assert rsp.status == 101, rsp
    wait_for(lambda: marker in logs(dockerd, db), 10, what="the frame in the container's logs")


def test_plain_attach_through_link_alias_is_a_tunnel(proxy, dockerd, linked):
    """POST .../attach without Upgrade is answered with a bare 200 and then
    raw bytes both ways: the proxy must see the link-alias path as the
    attach route, or stdin never reaches the container."""
    db, web = linked
    p = proxy(CONTAINERS=1, POST=1)
    conn = p.connect()
    try:
        conn.send(http_request("POST", f"/v1.41/containers/{web}/db/attach?stream=1&stdin=1&stdout=1",
                               [("Content-Length", "0")]))
        _, status, _, headers, _ = conn.read_head()
        assert status == 200, headers
        line = b"tunnel-" + unique("m").encode() + b"\n"
        conn.send(line)
        echoed = conn.read_until(line, timeout=10)
    finally:
        conn.close()
    assert line in echoed
    assert line in logs(dockerd, db)


def test_lifecycle_switch_does_not_take_a_link_alias(proxy, dockerd, linked):
    """An allow keeps one name-like segment: ALLOW_RESTARTS alone does not
    reach a container through its link alias (and the daemon state shows
    it: db is still running)."""
    db, web = linked
    p = proxy(ALLOW_RESTARTS=1)
    rsp = p.request(http_request("POST", f"/v1.41/containers/{web}/db/kill?signal=SIGKILL"))
    assert rsp.status == 403, rsp
    assert dockerd.inspect(db)["State"]["Running"]


# --------------------------------------------------------------------------
# 2. lifecycle switches: no body, only their own parameters
# --------------------------------------------------------------------------

HOST_CONFIG = b'{"Binds": ["/:/host"], "Privileged": true, "PidMode": "host"}'
# Without Privileged, which the test machine's runc cannot grant: the
# unfixed proxy lets this one start with the host's / and PID namespace.
HOST_CONFIG_UNPRIVILEGED = b'{"Binds": ["/:/host"], "PidMode": "host"}'


def assert_untouched(dockerd, cid):
    info = dockerd.inspect(cid)
    assert not info["State"]["Running"], "the container was started"
    hc = info["HostConfig"]
    assert not hc.get("Privileged") and not hc.get("Binds") and hc.get("PidMode", "") != "host", hc


@pytest.mark.parametrize("body", [HOST_CONFIG, HOST_CONFIG_UNPRIVILEGED],
                         ids=["privileged", "binds-pid"])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_start_with_a_hostconfig_body_denied(proxy, dockerd, container, framing, body):
    """Below API 1.24 dockerd 20.10 applies a HostConfig sent to start
    (the unfixed proxy forwarded it: the container got the bind mount of
    /, the host's PID namespace and, where runc can, privileges)."""
    cid = container(start=False)
    p = proxy(ALLOW_START=1)
    target = f"/v1.23/containers/{cid}/start"
    headers = [("Content-Type", "application/json")]
    if framing == "chunked":
        req = http_request("POST", target, headers + [("Transfer-Encoding", "chunked")],
                           chunked(body), content_length=False)
    else:
        req = http_request("POST", target, headers, body)
    rsp = p.request(req)
    time.sleep(0.5)
    assert_untouched(dockerd, cid)
    assert rsp.status == 403, rsp
    assert b"ALLOW_START admits no request body" in rsp.body, rsp


def test_start_without_a_body_allowed(proxy, dockerd, container):
    cid = container(start=False)
    p = proxy(ALLOW_START=1)
    rsp = p.request(http_request("POST", f"/v1.23/containers/{cid}/start"))
    assert rsp.status == 204, rsp
    info = dockerd.inspect(cid)
    assert info["State"]["Running"]
    assert not info["HostConfig"].get("Privileged") and not info["HostConfig"].get("Binds")


def test_start_with_checkpoint_denied(proxy, dockerd, container):
    cid = container(start=False)
    p = proxy(ALLOW_START=1)
    rsp = p.request(http_request("POST", f"/v1.41/containers/{cid}/start?checkpoint=c1"))
    assert rsp.status == 403, rsp
    assert b"'checkpoint' is not allowed by ALLOW_START" in rsp.body, rsp
    assert not dockerd.inspect(cid)["State"]["Running"]


def test_start_with_a_body_falls_through_to_the_section(proxy, dockerd, container):
    """With CONTAINERS=1 POST=1 the section allows the same request: the
    switch's condition must not deny it. The daemon (API 1.41) refuses a
    start body itself, which shows the request reached it."""
    cid = container(start=False)
    p = proxy(ALLOW_START=1, CONTAINERS=1, POST=1)
    rsp = p.request(http_request("POST", f"/v1.41/containers/{cid}/start",
                                 [("Content-Type", "application/json")], HOST_CONFIG))
    assert rsp.status == 400, rsp
    assert b"dockgate" not in rsp.body, rsp
    assert_untouched(dockerd, cid)


def test_stop_with_signal_and_negative_t_denied(proxy, dockerd, container):
    cid = container()
    p = proxy(ALLOW_STOP=1)
    rsp = p.request(http_request("POST", f"/v1.41/containers/{cid}/stop?signal=SIGHUP&t=-1"),
                    timeout=20)
    time.sleep(0.5)
    assert dockerd.inspect(cid)["State"]["Running"], "the container was stopped"
    assert rsp.status == 403, rsp
    assert b"query parameter 'signal' is not allowed by ALLOW_STOP" in rsp.body, rsp


def test_stop_with_negative_t_denied(proxy, dockerd, container):
    cid = container()
    p = proxy(ALLOW_STOP=1)
    rsp = p.request(http_request("POST", f"/v1.41/containers/{cid}/stop?t=-1"), timeout=20)
    time.sleep(0.5)
    assert dockerd.inspect(cid)["State"]["Running"], "the container was stopped"
    assert rsp.status == 403, rsp
    assert b"from 0 to 3600" in rsp.body, rsp


def test_stop_with_t_allowed(proxy, dockerd, container):
    cid = container()
    p = proxy(ALLOW_STOP=1)
    rsp = p.request(http_request("POST", f"/v1.41/containers/{cid}/stop?t=1"), timeout=20)
    assert rsp.status == 204, rsp
    assert not dockerd.inspect(cid)["State"]["Running"]


def test_stop_with_a_body_denied(proxy, dockerd, container):
    cid = container()
    p = proxy(ALLOW_STOP=1)
    rsp = p.request(http_request("POST", f"/v1.41/containers/{cid}/stop?t=1",
                                 [("Content-Type", "application/json")], b"{}"), timeout=20)
    time.sleep(0.5)
    assert dockerd.inspect(cid)["State"]["Running"], "the container was stopped"
    assert rsp.status == 403, rsp
    assert b"ALLOW_STOP admits no request body" in rsp.body, rsp


def test_kill_with_signal_allowed_by_restarts(proxy, dockerd, container):
    cid = container()
    p = proxy(ALLOW_RESTARTS=1)
    rsp = p.request(http_request("POST", f"/v1.41/containers/{cid}/kill?signal=SIGKILL"))
    assert rsp.status == 204, rsp
    wait_for(lambda: not dockerd.inspect(cid)["State"]["Running"], 10, what="the container killed")


def test_docker_cli_start_and_stop_still_work(proxy, dockerd, container):
    """The docker CLI's own requests fit the switches (stop sends t only
    when asked to)."""
    cid = container(start=False)
    p = proxy(ALLOW_START=1, ALLOW_STOP=1)
    r = p.docker("start", cid)
    assert r.rc == 0, r.err
    assert dockerd.inspect(cid)["State"]["Running"]
    r = p.docker("stop", "-t", "1", cid)
    assert r.rc == 0, r.err
    assert not dockerd.inspect(cid)["State"]["Running"]


# --------------------------------------------------------------------------
# 3. reads that return secret data on newer Podman
# --------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["showsecret=true", "showsecret=false", "ShowSecret=1",
                                   "x=1&%73how%53ecret=1", "%C5%BFhowsecret=true"])
def test_showsecret_denied(proxy, query):
    p = proxy(SECRETS=1)
    rsp = p.request(http_request("GET", f"/v1.41/secrets/some-secret?{query}"))
    assert rsp.status == 403, rsp
    assert b"ALLOW_SECRET_VALUES=1" in rsp.body, rsp


def test_secrets_without_showsecret_forwarded(proxy):
    """The daemon answers (this one is no swarm manager): the read is not
    the proxy's to refuse."""
    p = proxy(SECRETS=1)
    rsp = p.request(http_request("GET", "/v1.41/secrets/some-secret"))
    assert rsp.status != 403 and b"dockgate" not in rsp.body, rsp


def test_showsecret_allowed_by_its_setting(proxy):
    p = proxy(SECRETS=1, ALLOW_SECRET_VALUES=1)
    rsp = p.request(http_request("GET", "/v1.41/secrets/some-secret?showsecret=true"))
    assert rsp.status != 403 and b"dockgate" not in rsp.body, rsp


def test_libpod_volume_export_denied(proxy):
    p = proxy(LIBPOD=1, VOLUMES=1, POST=1)
    rsp = p.request(http_request("GET", "/v1.41/libpod/volumes/data/export"))
    assert rsp.status == 403, rsp
    assert b"ALLOW_VOLUME_EXPORT=1" in rsp.body, rsp


def test_libpod_volume_export_allowed_by_its_setting(proxy):
    """dockerd has no libpod routes: its 404 shows the request went through."""
    p = proxy(LIBPOD=1, VOLUMES=1, ALLOW_VOLUME_EXPORT=1)
    rsp = p.request(http_request("GET", "/v1.41/libpod/volumes/data/export"))
    assert rsp.status == 404 and b"dockgate" not in rsp.body, rsp

"""Replaying a client's Engine API calls through dockgate, over raw HTTP.

A client is a generator of Req (each gets the previous call's Response);
replay_allowed() drives it and fails on any answer from dockgate itself.
replay_denied() sends calls that must each get dockgate's 403; snapshot()
is what a denied call must not change on the daemon, and
replay_denied_harmless() checks both. Ctx holds the
objects on the private daemon that a replay refers to and removes them.
Used by tests/integ/test_recipes.py and tests/integ/test_presets.py; the
clients themselves are in dockgate_testlib.clients.
"""

import dataclasses
import io
import json
import tarfile
import time
import urllib.parse
from dataclasses import dataclass, field

from .daemon import unique
from .rawhttp import Response, http_request


@dataclass
class Req:
    method: str
    target: str
    body: object = None           # dict or list (sent as JSON), bytes, or None
    headers: list = field(default_factory=list)
    expect: tuple = ()            # statuses the daemon must answer; () = anything not from dockgate
    stream: bool = False          # read only the head (events, logs -f, stats, hijacks)
    content_type: str = "application/json"
    op: str = ""                  # the operation it reaches; a denial must name it

    def bytes(self):
        body = self.body
        hdrs = list(self.headers)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        if body:
            hdrs.append(("Content-Type", self.content_type))
        return http_request(self.method, self.target, hdrs, body or b"")

    def __str__(self):
        return f"{self.method} {self.target}"


def q(obj):
    """A JSON query argument; the Go client sends filters as {"key": {"value": true}}."""
    return urllib.parse.quote(json.dumps(obj, separators=(",", ":")), safe="")


def send(p, req, via):
    c = p.connect(via)
    try:
        c.send(req.bytes())
        if req.stream:
            version, status, reason, headers, raw = c.read_head(timeout=15)
            rsp = Response(version, status, reason, headers, b"", raw)
            if status >= 300 and status != 304:       # an error answer: bounded, read it
                cl = rsp.header("content-length")
                if cl is not None:
                    rsp.body = c._read_exact(int(cl), time.monotonic() + 5)
            return rsp
        return c.read_response(timeout=60, head_request=req.method == "HEAD")
    finally:
        c.close()


def dockgate_message(rsp):
    """dockgate's own message if this answer came from dockgate, else None."""
    if not (rsp.header("content-type") or "").startswith("application/json") or not rsp.body:
        return None
    try:
        msg = json.loads(rsp.body).get("message", "")
    except (ValueError, AttributeError):
        return None
    return msg if msg.startswith("dockgate:") else None


def replay_allowed(p, via, script):
    """Drive a generator of Reqs (each gets the previous response) through p."""
    rsp, done = None, []
    while True:
        try:
            req = script.send(rsp)
        except StopIteration:
            return done
        rsp = send(p, req, via)
        msg = dockgate_message(rsp)
        assert msg is None, f"{req}: dockgate answered {rsp.status} {msg!r} (after {done})"
        # dockgate's 403 to a HEAD has no body to recognise it by; no replayed
        # call gets a 403 from the daemon either
        assert rsp.status != 403, f"{req}: 403 {rsp!r} (after {done})"
        if req.expect:
            assert rsp.status in req.expect, f"{req}: the daemon answered {rsp!r}, expected {req.expect}"
        done.append(f"{req} -> {rsp.status}")


def snapshot(d):
    """What a denied request must not change on the daemon."""
    containers = {c["Id"]: (c["State"], tuple(sorted(c["Names"]))) for c in d.containers()}
    # A set: the daemon lists a container's exec IDs in no fixed order.
    execs = {cid: frozenset(d.inspect(cid).get("ExecIDs") or ()) for cid in containers}
    images = sorted((i["Id"], tuple(sorted(i.get("RepoTags") or []))) for i in d.images())
    st, vols = d.api("GET", "/volumes")
    assert st == 200, vols
    st, info = d.api("GET", "/info")
    assert st == 200, info
    st, plugins = d.api("GET", "/plugins")
    assert st == 200, plugins
    return {"containers": containers, "execs": execs, "images": images,
            "networks": d.networks(),
            "volumes": sorted(v["Name"] for v in vols.get("Volumes") or []),
            "swarm": info["Swarm"]["LocalNodeState"],
            "plugins": sorted(x["Name"] for x in plugins)}


def replay_denied(p, via, reqs, *needles):
    """Each of reqs gets dockgate's 403, whose message names the request's
    operation (when its op is set) and every needle (e.g. the profile)."""
    for req in reqs:
        rsp = send(p, req, via)
        assert rsp.status == 403, f"{req} was not denied: {rsp!r}"
        if req.method == "HEAD":       # no body to read the message from
            continue
        msg = dockgate_message(rsp)
        assert msg is not None and "is denied" in msg, f"{req}: a 403 but not dockgate's: {rsp!r}"
        for needle in ((req.op,) if req.op else ()) + needles:
            assert needle in msg, f"{req}: the denial {msg!r} does not name {needle!r}"


def replay_denied_harmless(p, via, reqs, d, ctx, *needles):
    """replay_denied() of reqs, each as it is and behind ctx's API version
    prefix; then checks that none of them changed the daemon d
    (snapshot()) or ran ctx's exec."""
    before = snapshot(d)
    replay_denied(p, via, reqs, *needles)
    replay_denied(p, via, [dataclasses.replace(r, target=f"/v{ctx.api}{r.target}")
                           for r in reqs], *needles)
    after = snapshot(d)
    for key in before:
        assert after[key] == before[key], f"denied requests changed the daemon's {key}: " \
                                          f"{before[key]!r} -> {after[key]!r}"
    exec_never_ran(d, ctx.exec_id, ctx.exec_container, ctx.exec_marker)


def build_context(dockerfile):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = dockerfile.encode()
        ti = tarfile.TarInfo("Dockerfile")
        ti.size = len(data)
        tar.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


H2C = [("Connection", "Upgrade"), ("Upgrade", "h2c")]
WEBSOCKET = [("Connection", "Upgrade"), ("Upgrade", "websocket"),
             ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]
REGISTRY_AUTH = [("X-Registry-Auth", "e30=")]      # base64 "{}", as clients send without credentials
# A registry that refuses at once: a pull through it fails fast in the daemon, not in dockgate.
DEAD_REGISTRY_IMAGE = urllib.parse.quote("127.0.0.1:1/dgtest/busybox", safe="")


class Ctx:
    """Objects on the private daemon a replay refers to, removed afterwards."""

    def __init__(self, dockerd, container):
        self.d = dockerd
        self.container = container
        st, v = dockerd.api("GET", "/version")
        assert st == 200, v
        self.api = v["ApiVersion"]           # what a negotiating client ends up with here
        self.names, self.networks, self.volumes, self.images = [], [], [], []
        self.exec_id = None          # an exec instance a denial must leave unstarted
        self.exec_container = self.exec_marker = None

    def name(self, prefix="dgt-recipe"):
        n = unique(prefix)
        self.names.append(n)
        return n

    def network(self):
        n = unique("dgt-rnet")
        self.networks.append(n)
        return n

    def volume(self):
        n = unique("dgt-rvol")
        self.volumes.append(n)
        return n

    def image_tag(self, repo):
        tag = unique("t")
        self.images.append(f"{repo}:{tag}")
        return tag

    def running(self):
        return self.container()

    def stopped(self):
        return self.container(start=False)

    def direct_exec(self, cid):
        """An exec instance created straight on the daemon, not started; if it
        ever runs it leaves /tmp/<marker> in the container (exec_never_ran)."""
        marker = unique("ran")
        st, body = self.d.api("POST", f"/containers/{cid}/exec",
                              {"Cmd": ["sh", "-c", f"echo ran > /tmp/{marker}"], "AttachStdout": True})
        assert st == 201, body
        self.exec_id, self.exec_container, self.exec_marker = body["Id"], cid, marker
        return body["Id"]

    def cleanup(self):
        for n in self.names:
            self.d.remove(n)
        for n in self.networks:
            self.d.api("DELETE", f"/networks/{n}")
        for n in self.volumes:
            self.d.api("DELETE", f"/volumes/{n}?force=1")
        for ref in self.images:
            self.d.api("DELETE", f"/images/{ref}?force=1")


def exec_never_ran(d, exec_id, cid, marker):
    st, ex = d.api("GET", f"/exec/{exec_id}/json")
    assert st == 200, ex
    assert ex["Running"] is False and ex["Pid"] == 0 and ex["ExitCode"] is None, ex
    st, _ = d.api("HEAD", f"/containers/{cid}/archive?path=/tmp/{marker}")
    assert st == 404, f"/tmp/{marker} exists in {cid}: the denied exec ran"

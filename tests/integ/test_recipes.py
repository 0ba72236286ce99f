"""The compose recipes in recipes/: each file is valid, hardened, and its
dockgate settings let its client make the calls it makes and nothing else.

The settings are read from the file itself (the dockgate service's
`environment`), so a change to a recipe is tested, not a copy of it. The
client calls are replayed over raw HTTP from what each client's source and
documentation say it sends (recipes/README.md names them); no client image is
run, as none can be pulled here.

- test_recipe_compose_config[X]: `docker-compose -f recipes/X.yml config -q` accepts it.
- test_recipe_hardening[X]: the dockgate service is read-only, drops every
  capability, has no-new-privileges, is on an internal network or none, and no
  other service mounts the daemon's socket; the client is pointed at dockgate.
- test_recipe_table[X]: both README tables list exactly the settings the file sets.
- test_recipe_allows[X]: every call of the client reaches the daemon (no answer
  from dockgate itself) and, where the answer is certain, gets it.
- test_recipe_denies[X]: calls the client must not make get dockgate's 403, and
  the daemon's state (containers and their state, exec instances, images,
  networks, volumes, Swarm, plugins) is unchanged afterwards.
"""

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from dockgate_testlib.daemon import IMAGE, SLEEPER_CMD, unique
from dockgate_testlib.net import free_port
from dockgate_testlib.rawhttp import Response, http_request
from dockgate_testlib.settings import REPO

RECIPES_DIR = REPO / "recipes"
RECIPES = ["traefik", "portainer", "watchtower", "homepage", "dozzle", "netdata", "ci-runner"]
COMPOSE = shutil.which("docker-compose")

# Settings that are switches (section, POST, ALLOW_*); the rest (LISTEN,
# LISTEN_GROUP, ...) are not "what the client may do".
SWITCHES = set(
    "EVENTS PING VERSION AUTH BUILD COMMIT CONFIGS CONTAINERS DISTRIBUTION EXEC GRPC IMAGES "
    "INFO NETWORKS NODES PLUGINS SECRETS SERVICES SESSION SWARM SYSTEM TASKS VOLUMES POST "
    "ALLOW_START ALLOW_STOP ALLOW_RESTARTS".split())
TRUE_WORDS = ("1", "true", "yes", "on")


def load(name):
    with open(RECIPES_DIR / f"{name}.yml") as f:
        return yaml.safe_load(f)


def dockgate_env(name):
    """The dockgate service's environment, as the strings the container would get."""
    env = load(name)["services"]["dockgate"].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: ("" if v is None else (str(v).lower() if isinstance(v, bool) else str(v)))
            for k, v in env.items()}


def switched_on(env):
    return {k for k, v in env.items() if k in SWITCHES and v.lower() in TRUE_WORDS}


# --------------------------------------------------------------------------
# the file itself
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", RECIPES)
def test_recipe_compose_config(name):
    if COMPOSE is None:
        pytest.skip("docker-compose is not installed (scripts/install-deps.sh installs it)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "COMPOSE_"))}
    env["DOCKER_GID"] = "999"
    cp = subprocess.run([COMPOSE, "-f", str(RECIPES_DIR / f"{name}.yml"), "config", "-q"],
                        env=env, capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, f"docker-compose config rejects recipes/{name}.yml:\n{cp.stderr}"
    assert cp.stdout == "", cp.stdout


def _bind_source(vol):
    return vol.split(":", 1)[0] if isinstance(vol, str) else (vol.get("source") or "")


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_hardening(name):
    doc = load(name)
    services = doc["services"]
    dg = services["dockgate"]
    assert dg.get("image") == "dockgate:latest"
    assert dg.get("read_only") is True
    assert dg.get("cap_drop") == ["ALL"]
    assert "no-new-privileges:true" in (dg.get("security_opt") or [])
    assert any("${DOCKER_GID" in str(g) for g in dg.get("group_add") or []), \
        "dockgate needs the group of the daemon's socket (group_add)"
    assert "/var/run/docker.sock:/var/run/docker.sock:ro" in dg.get("volumes", [])
    assert "ports" not in dg, "dockgate's listener must not be published"
    if dg.get("network_mode") != "none":
        nets = dg.get("networks")
        assert nets, "dockgate must be on an explicit network, not the project default"
        for n in nets:
            assert (doc.get("networks") or {}).get(n, {}).get("internal") is True, \
                f"network {n} of dockgate is not internal"
    env = dockgate_env(name)
    unix = [e[len("unix://"):] for e in env.get("LISTEN", "").split(",") if e.startswith("unix://")]
    clients = {k: v for k, v in services.items() if k != "dockgate"}
    assert clients, "a recipe has a client service"
    for cname, svc in clients.items():
        for vol in svc.get("volumes") or []:
            src = _bind_source(vol)
            assert not src.endswith("docker.sock"), \
                f"{cname} mounts the daemon's socket {src}: it must go through dockgate"
        text = json.dumps(svc)
        for vol in svc.get("volumes") or []:     # config files the client reads, e.g. Homepage's
            src = _bind_source(vol)
            if src.startswith("./") and (RECIPES_DIR / src).is_file():
                text += (RECIPES_DIR / src).read_text()
        points = ("tcp://dockgate:2375" in text
                  or re.search(r"host:\s*dockgate\s*\n\s*port:\s*2375", text)
                  or any(path in text for path in unix))
        assert points, f"{cname} is not pointed at dockgate (tcp://dockgate:2375 or {unix})"


def _table_settings(readme, name):
    for line in readme.splitlines():
        if line.startswith("|") and f"{name}.yml" in line:
            cells = line.split("|")
            return set(re.findall(r"`([A-Z_]+)`", cells[3]))
    return None


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_table(name):
    on = switched_on(dockgate_env(name))
    for readme in (RECIPES_DIR / "README.md", REPO / "README.md"):
        listed = _table_settings(readme.read_text(), name)
        assert listed is not None, f"{readme} has no table row for {name}.yml"
        assert listed == on, (f"{readme}: the row for {name}.yml lists {sorted(listed)}, "
                              f"the file sets {sorted(on)}")


# --------------------------------------------------------------------------
# replaying a client
# --------------------------------------------------------------------------

@dataclass
class Req:
    method: str
    target: str
    body: object = None           # dict or list (sent as JSON), bytes, or None
    headers: list = field(default_factory=list)
    expect: tuple = ()            # statuses the daemon must answer; () = anything not from dockgate
    stream: bool = False          # read only the head (events, logs -f, stats, hijacks)
    content_type: str = "application/json"

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


def replay_denied(p, via, reqs):
    for req in reqs:
        rsp = send(p, req, via)
        assert rsp.status == 403, f"{req} was not denied: {rsp!r}"
        msg = dockgate_message(rsp)
        assert msg is not None and "is denied" in msg, f"{req}: a 403 but not dockgate's: {rsp!r}"


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


@pytest.fixture
def ctx(dockerd, container):
    c = Ctx(dockerd, container)
    yield c
    c.cleanup()


def exec_never_ran(d, exec_id, cid, marker):
    st, ex = d.api("GET", f"/exec/{exec_id}/json")
    assert st == 200, ex
    assert ex["Running"] is False and ex["Pid"] == 0 and ex["ExitCode"] is None, ex
    st, _ = d.api("HEAD", f"/containers/{cid}/archive?path=/tmp/{marker}")
    assert st == 404, f"/tmp/{marker} exists in {cid}: the denied exec ran"


# --------------------------------------------------------------------------
# the clients: what each one calls (generators) and what it must not
# --------------------------------------------------------------------------

def traefik_allows(ctx):
    run = ctx.running()
    v = "/v1.24"                                   # Traefik up to v3.6.0 pins API 1.24
    yield Req("GET", f"{v}/version", expect=(200,))
    rsp = yield Req("GET", f"{v}/containers/json", expect=(200,))
    assert run in [c["Id"] for c in rsp.json()]
    yield Req("GET", f"{v}/containers/{run}/json", expect=(200,))
    yield Req("GET", f"{v}/events?filters={q({'type': {'container': True}})}", stream=True, expect=(200,))
    # v3.6.1 and later negotiate: HEAD /_ping, then the daemon's version
    yield Req("HEAD", "/_ping", expect=(200,))
    yield Req("GET", f"/v{ctx.api}/containers/json", expect=(200,))
    yield Req("GET", f"/v{ctx.api}/containers/{run}/json", expect=(200,))


def traefik_denies(ctx):
    run = ctx.running()
    v = "/v1.24"
    return [
        Req("POST", f"{v}/containers/create?name={ctx.name()}",
            {"Image": IMAGE, "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}}),
        Req("POST", f"{v}/containers/{run}/exec", {"Cmd": ["true"], "AttachStdout": True}),
        Req("POST", f"{v}/containers/{run}/stop?t=1"),
        Req("POST", f"{v}/containers/{run}/kill"),
        Req("DELETE", f"{v}/containers/{run}?force=1"),
        Req("GET", f"{v}/containers/{run}/attach/ws?stream=1&stdin=1", headers=WEBSOCKET),
        Req("POST", f"{v}/build?t=dgtest/recipe-denied:x", build_context(f"FROM {IMAGE}\n"),
            content_type="application/x-tar"),
        Req("GET", f"{v}/images/json"),
        Req("GET", f"{v}/info"),
        Req("GET", f"{v}/secrets"),
        Req("GET", f"{v}/services"),
        Req("GET", f"{v}/networks"),
        Req("POST", f"{v}/swarm/init", {"ListenAddr": "127.0.0.1:2377"}),
        Req("GET", "/debug/pprof/"),
    ]


def homepage_allows(ctx):
    run = ctx.running()
    rsp = yield Req("GET", "/containers/json?all=true", expect=(200,))      # dockerode: no version prefix
    assert run in [c["Id"] for c in rsp.json()]
    rsp = yield Req("GET", f"/containers/{run}/json", expect=(200,))
    assert rsp.json()["State"]["Running"] is True
    rsp = yield Req("GET", f"/containers/{run}/stats?stream=false", expect=(200,))
    assert "memory_stats" in rsp.json()


def homepage_denies(ctx):
    run = ctx.running()
    return [
        Req("POST", f"/containers/{run}/stop"),
        Req("POST", f"/containers/{run}/restart"),
        Req("DELETE", f"/containers/{run}?force=true"),
        Req("POST", f"/containers/create?name={ctx.name()}", {"Image": IMAGE, "Cmd": ["true"]}),
        Req("POST", f"/containers/{run}/exec", {"Cmd": ["true"]}),
        Req("GET", f"/containers/{run}/attach/ws?stream=1&stdin=1", headers=WEBSOCKET),
        Req("GET", "/images/json"),
        Req("GET", "/info"),
        Req("GET", "/volumes"),
        Req("GET", "/services"),
        Req("GET", "/tasks"),
    ]


def dozzle_allows(ctx):
    run = ctx.running()
    v = f"/v{ctx.api}"
    yield Req("HEAD", "/_ping", expect=(200,))
    yield Req("GET", f"{v}/info", expect=(200,))
    yield Req("GET", f"{v}/version", expect=(200,))
    rsp = yield Req("GET", f"{v}/containers/json?all=1", expect=(200,))
    assert run in [c["Id"] for c in rsp.json()]
    yield Req("GET", f"{v}/containers/{run}/json", expect=(200,))
    rsp = yield Req("GET", f"{v}/containers/{run}/logs?stdout=1&stderr=1&timestamps=1&tail=300",
                    expect=(200,))
    assert b"hello-log" in rsp.body
    yield Req("GET", f"{v}/containers/{run}/logs?follow=1&stdout=1&stderr=1&timestamps=1&tail=300",
              stream=True, expect=(200,))
    yield Req("GET", f"{v}/containers/{run}/stats", stream=True, expect=(200,))
    yield Req("GET", f"{v}/events", stream=True, expect=(200,))


def dozzle_denies(ctx):
    run, stopped = ctx.running(), ctx.stopped()
    v = f"/v{ctx.api}"
    return [
        # actions stay off until DOZZLE_ENABLE_ACTIONS and ALLOW_* are set
        Req("POST", f"{v}/containers/{run}/stop"),
        Req("POST", f"{v}/containers/{run}/restart"),
        Req("POST", f"{v}/containers/{run}/kill"),
        Req("POST", f"{v}/containers/{stopped}/start"),
        Req("DELETE", f"{v}/containers/{run}?force=1"),
        Req("POST", f"{v}/containers/{run}/exec", {"Cmd": ["sh"], "AttachStdin": True, "Tty": True}),
        Req("GET", f"{v}/containers/{run}/attach/ws?stream=1&stdin=1", headers=WEBSOCKET),
        Req("POST", f"{v}/containers/create?name={ctx.name()}", {"Image": IMAGE, "Cmd": ["true"]}),
        Req("GET", f"{v}/images/json"),
        Req("GET", f"{v}/networks"),
        Req("GET", f"{v}/secrets"),
    ]


def netdata_allows(ctx):
    run = ctx.running()
    rsp = yield Req("GET", f"/containers/{run}/json", expect=(200,))        # cgroup-name: unversioned
    assert rsp.json()["Id"] == run and rsp.json()["Name"].startswith("/")


def netdata_denies(ctx):
    run = ctx.running()
    return [
        Req("GET", "/info"),
        Req("GET", "/images/json"),
        Req("GET", "/networks"),
        Req("GET", "/volumes"),
        Req("POST", f"/containers/{run}/stop"),
        Req("POST", f"/containers/{run}/exec", {"Cmd": ["true"]}),
        Req("GET", f"/containers/{run}/attach/ws?stream=1&stdin=1", headers=WEBSOCKET),
        Req("GET", "/secrets"),
    ]


def watchtower_allows(ctx):
    d, v = ctx.d, "/v1.25"                         # DOCKER_API_VERSION, 1.25 unless set
    net = ctx.network()
    st, body = d.api("POST", "/networks/create", {"Name": net, "CheckDuplicate": True})
    assert st == 201, body
    old = ctx.name("dgt-wt-old")
    st, body = d.api("POST", f"/containers/create?name={old}",
                     {"Image": IMAGE, "Cmd": SLEEPER_CMD, "HostConfig": {"NetworkMode": net}})
    assert st == 201, body
    old_id = body["Id"]
    st, body = d.api("POST", f"/containers/{old_id}/start")
    assert st == 204, body
    tag = ctx.image_tag("dgtest/busybox")            # the "old image" cleanup removes
    st, body = d.api("POST", f"/images/{IMAGE}/tag?repo=dgtest/busybox&tag={tag}")
    assert st == 201, body

    rsp = yield Req("GET", f"{v}/containers/json?filters={q({'status': {'running': True}})}", expect=(200,))
    assert old_id in [c["Id"] for c in rsp.json()]
    rsp = yield Req("GET", f"{v}/containers/{old_id}/json", expect=(200,))
    info = rsp.json()
    yield Req("GET", f"{v}/images/{info['Image']}/json", expect=(200,))
    yield Req("GET", f"{v}/images/{IMAGE}/json", expect=(200,))
    # image names with a registry and path segments are one name to the daemon
    yield Req("GET", f"{v}/images/registry.example:5000/team/app:1.2/json", expect=(404,))
    # the pull: its registry is unreachable, so the daemon answers with an error
    yield Req("POST", f"{v}/images/create?fromImage={DEAD_REGISTRY_IMAGE}&tag=latest",
              headers=REGISTRY_AUTH)
    yield Req("POST", f"{v}/containers/{old_id}/kill?signal=SIGTERM", expect=(204,))
    for _ in range(50):                              # waitForStopOrTimeout polls inspect
        rsp = yield Req("GET", f"{v}/containers/{old_id}/json", expect=(200,))
        if not rsp.json()["State"]["Running"]:
            break
        time.sleep(0.1)
    yield Req("DELETE", f"{v}/containers/{old_id}?force=1", expect=(204,))
    new = ctx.name("dgt-wt-new")
    rsp = yield Req("POST", f"{v}/containers/create?name={new}",
                    {"Image": IMAGE, "Cmd": SLEEPER_CMD, "Labels": info["Config"]["Labels"] or {},
                     "HostConfig": {"NetworkMode": net},
                     "NetworkingConfig": {"EndpointsConfig": {net: {}}}}, expect=(201,))
    new_id = rsp.json()["Id"]
    yield Req("POST", f"{v}/networks/{net}/disconnect", {"Container": new_id, "Force": True},
              expect=(200,))
    yield Req("POST", f"{v}/networks/{net}/connect", {"Container": new_id, "EndpointConfig": {}},
              expect=(200,))
    yield Req("POST", f"{v}/containers/{new_id}/start", expect=(204,))
    renamed = ctx.name("dgt-wt-renamed")
    yield Req("POST", f"{v}/containers/{new_id}/rename?name={renamed}", expect=(204,))
    yield Req("DELETE", f"{v}/images/dgtest/busybox:{tag}?force=1", expect=(200,))
    assert d.inspect(renamed)["State"]["Running"], "the recreated container is not running"
    assert not d.exists(old_id)
    assert d.api("GET", f"/images/{IMAGE}/json")[0] == 200


def watchtower_denies(ctx):
    run = ctx.running()
    exec_id = ctx.direct_exec(run)
    v = "/v1.25"
    return [
        # lifecycle hooks are off: an exec instance may be created (it is on
        # /containers) but never started
        Req("POST", f"{v}/exec/{exec_id}/start", {"Detach": True, "Tty": False}),
        Req("POST", f"{v}/build?t=dgtest/recipe-denied:x", build_context(f"FROM {IMAGE}\n"),
            content_type="application/x-tar"),
        Req("POST", f"{v}/commit?container={run}&repo=dgtest/recipe-denied&tag=x"),
        Req("POST", f"{v}/volumes/create", {"Name": ctx.volume()}),
        Req("GET", f"{v}/volumes"),
        Req("GET", f"{v}/secrets"),
        Req("POST", f"{v}/swarm/init", {"ListenAddr": "127.0.0.1:2377"}),
        Req("POST", f"{v}/plugins/pull?remote=127.0.0.1:1/dgtest/plugin", [{"Name": "x", "Value": []}]),
        Req("GET", f"{v}/system/df"),
        Req("GET", f"{v}/distribution/{IMAGE}/json"),
        Req("GET", "/debug/pprof/"),
    ]


def portainer_allows(ctx):
    run = ctx.running()
    v = f"/v{ctx.api}"
    # the backend's snapshot (Go client, negotiated)
    yield Req("HEAD", "/_ping", expect=(200,))
    yield Req("GET", f"{v}/info", expect=(200,))
    yield Req("GET", f"{v}/version", expect=(200,))
    yield Req("GET", f"{v}/containers/json?all=1", expect=(200,))
    yield Req("GET", f"{v}/images/json", expect=(200,))
    yield Req("GET", f"{v}/volumes", expect=(200,))
    yield Req("GET", f"{v}/networks", expect=(200,))
    yield Req("GET", "/system/df", expect=(200,))
    # the UI through Portainer's Docker proxy (unversioned)
    yield Req("GET", f"/containers/{run}/json", expect=(200,))
    yield Req("GET", f"/containers/{run}/stats?stream=false", expect=(200,))
    yield Req("GET", f"/containers/{run}/logs?stdout=1&stderr=1&tail=100", expect=(200,))
    yield Req("GET", "/events?since=0&until=1", expect=(200,))
    rsp = yield Req("POST", f"/containers/{run}/exec",
                    {"AttachStdin": False, "AttachStdout": True, "AttachStderr": True,
                     "Tty": False, "Cmd": ["sh", "-c", "true"]}, expect=(201,))
    exec_id = rsp.json()["Id"]
    yield Req("POST", f"/exec/{exec_id}/start", {"Detach": True, "Tty": False}, expect=(200,))
    yield Req("GET", f"/exec/{exec_id}/json", expect=(200,))
    name = ctx.name("dgt-portainer")
    yield Req("POST", f"/containers/create?name={name}",
              {"Image": IMAGE, "Cmd": SLEEPER_CMD, "HostConfig": {"NetworkMode": "none"}}, expect=(201,))
    yield Req("POST", f"/containers/{name}/start", expect=(204,))
    yield Req("POST", f"/containers/{name}/restart?t=1", expect=(204,))
    yield Req("POST", f"/containers/{name}/stop?t=1", expect=(204,))
    yield Req("DELETE", f"/containers/{name}?v=1", expect=(204,))
    vol = ctx.volume()
    yield Req("POST", "/volumes/create", {"Name": vol}, expect=(201,))
    yield Req("DELETE", f"/volumes/{vol}", expect=(204,))
    net = ctx.network()
    yield Req("POST", "/networks/create", {"Name": net, "CheckDuplicate": True}, expect=(201,))
    yield Req("DELETE", f"/networks/{net}", expect=(204,))
    tag = ctx.image_tag("dgtest/portainer-commit")
    yield Req("POST", f"/commit?container={run}&repo=dgtest/portainer-commit&tag={tag}", {},
              expect=(201,))
    yield Req("DELETE", f"/images/dgtest/portainer-commit:{tag}", expect=(200,))
    tag = ctx.image_tag("dgtest/portainer-tag")
    yield Req("POST", f"/images/{IMAGE}/tag?repo=dgtest/portainer-tag&tag={tag}", expect=(201,))
    yield Req("DELETE", f"/images/dgtest/portainer-tag:{tag}", expect=(200,))
    yield Req("POST", f"/images/create?fromImage={DEAD_REGISTRY_IMAGE}&tag=latest", headers=REGISTRY_AUTH)


def portainer_denies(ctx):
    v = f"/v{ctx.api}"
    return [
        Req("GET", f"{v}/swarm"),
        Req("POST", f"{v}/swarm/init", {"ListenAddr": "127.0.0.1:2377"}),
        Req("GET", f"{v}/nodes"),
        Req("GET", f"{v}/services"),
        Req("GET", f"{v}/tasks"),
        Req("GET", f"{v}/secrets"),
        Req("POST", f"{v}/secrets/create", {"Name": "dgt-s", "Data": "eA=="}),
        Req("GET", f"{v}/configs"),
        Req("GET", f"{v}/plugins"),
        Req("POST", f"{v}/plugins/pull?remote=127.0.0.1:1/dgtest/plugin", [{"Name": "x", "Value": []}]),
        Req("POST", "/session", headers=H2C + [("X-Docker-Expose-Session-Uuid", "x")]),
        Req("POST", "/grpc", headers=H2C),
        Req("POST", f"{v}/auth", {"username": "x", "password": "y", "serveraddress": "127.0.0.1:1"}),
        Req("GET", f"{v}/distribution/{IMAGE}/json"),
        Req("GET", "/debug/vars"),
    ]


def ci_runner_allows(ctx):
    v = "/v1.25"                                    # the runner's pinned API version (unsure)
    yield Req("HEAD", "/_ping", expect=(200,))
    rsp = yield Req("GET", f"{v}/info", expect=(200,))
    assert rsp.json()["OSType"] == "linux"
    yield Req("GET", f"/v{ctx.api}/info", expect=(200,))   # ... or negotiated
    yield Req("GET", f"{v}/images/{IMAGE}/json", expect=(200,))
    yield Req("POST", f"{v}/images/create?fromImage={DEAD_REGISTRY_IMAGE}&tag=latest",
              headers=REGISTRY_AUTH)
    vol = ctx.volume()
    yield Req("POST", f"{v}/volumes/create", {"Name": vol, "Labels": {"com.gitlab.gitlab-runner.type": "cache"}},
              expect=(201,))
    net = ctx.network()
    rsp = yield Req("POST", f"{v}/networks/create", {"Name": net, "CheckDuplicate": True}, expect=(201,))
    net_id = rsp.json()["Id"]
    job = ctx.name("runner-job")
    yield Req("POST", f"{v}/containers/create?name={job}",
              {"Image": IMAGE, "Cmd": ["sh", "-c", "echo job-ok; ls /cache >/dev/null"],
               "AttachStdout": True, "AttachStderr": True,
               "HostConfig": {"NetworkMode": "none", "Binds": [f"{vol}:/cache"]}}, expect=(201,))
    # the attach is a hijack: the answer head is all that is read here
    yield Req("POST", f"{v}/containers/{job}/attach?stream=1&stdin=0&stdout=1&stderr=1",
              headers=[("Connection", "Upgrade"), ("Upgrade", "tcp")], stream=True, expect=(101, 200))
    yield Req("POST", f"{v}/containers/{job}/start", expect=(204,))
    rsp = yield Req("POST", f"{v}/containers/{job}/wait", expect=(200,))
    assert rsp.json()["StatusCode"] == 0, rsp
    rsp = yield Req("GET", f"{v}/containers/{job}/logs?stdout=1&stderr=1", expect=(200,))
    assert b"job-ok" in rsp.body
    yield Req("GET", f"{v}/containers/{job}/json", expect=(200,))
    yield Req("POST", f"{v}/containers/{job}/kill", expect=(409,))     # already exited: the daemon says so
    yield Req("DELETE", f"{v}/containers/{job}?v=1&force=1", expect=(204,))
    yield Req("DELETE", f"{v}/volumes/{vol}", expect=(204,))
    yield Req("DELETE", f"{v}/networks/{net_id}", expect=(204,))
    # a job's `DOCKER_BUILDKIT=0 docker build -t ... .` (the CLI negotiates)
    tag = ctx.image_tag("dgtest/recipe-ci")
    rsp = yield Req("POST", f"/v{ctx.api}/build?t=dgtest/recipe-ci:{tag}&rm=1",
                    build_context(f"FROM {IMAGE}\nLABEL built-by=dgtest\n"),
                    content_type="application/x-tar", expect=(200,))
    assert b"Successfully built" in rsp.body, rsp.body[-500:]
    assert ctx.d.api("GET", f"/images/dgtest/recipe-ci:{tag}/json")[0] == 200
    # `docker login` and `docker push` to a registry that refuses at once:
    # the daemon answers with the error, dockgate lets both through
    yield Req("POST", f"/v{ctx.api}/auth",
              {"username": "ci", "password": "x", "serveraddress": "127.0.0.1:1"})
    ctx.images.append(f"127.0.0.1:1/dgtest/recipe-ci:{tag}")
    yield Req("POST", f"/v{ctx.api}/images/dgtest/recipe-ci:{tag}/tag"
              f"?repo=127.0.0.1:1/dgtest/recipe-ci&tag={tag}", expect=(201,))
    yield Req("POST", f"/v{ctx.api}/images/127.0.0.1:1/dgtest/recipe-ci/push?tag={tag}",
              headers=REGISTRY_AUTH)


def ci_runner_denies(ctx):
    run = ctx.running()
    exec_id = ctx.direct_exec(run)
    v = "/v1.25"
    return [
        Req("POST", f"{v}/exec/{exec_id}/start", {"Detach": False, "Tty": False},
            headers=[("Connection", "Upgrade"), ("Upgrade", "tcp")]),
        # BuildKit's tunnels stay closed (see recipes/ci-runner.yml)
        Req("POST", f"/v{ctx.api}/session",
            headers=H2C + [("X-Docker-Expose-Session-Uuid", "dgt"), ("X-Docker-Expose-Session-Name", "dgt")]),
        Req("POST", f"/v{ctx.api}/grpc", headers=H2C),
        Req("POST", f"{v}/swarm/init", {"ListenAddr": "127.0.0.1:2377"}),
        Req("GET", f"{v}/secrets"),
        Req("GET", f"{v}/services"),
        Req("POST", f"{v}/plugins/pull?remote=127.0.0.1:1/dgtest/plugin", [{"Name": "x", "Value": []}]),
        Req("POST", f"{v}/commit?container={run}&repo=dgtest/recipe-denied&tag=x"),
        Req("GET", f"{v}/system/df"),
        Req("GET", f"{v}/configs"),
        Req("GET", "/debug/pprof/"),
    ]


CLIENTS = {
    "traefik": (traefik_allows, traefik_denies),
    "portainer": (portainer_allows, portainer_denies),
    "watchtower": (watchtower_allows, watchtower_denies),
    "homepage": (homepage_allows, homepage_denies),
    "dozzle": (dozzle_allows, dozzle_denies),
    "netdata": (netdata_allows, netdata_denies),
    "ci-runner": (ci_runner_allows, ci_runner_denies),
}


def start_recipe_proxy(proxy, session_dir, name):
    """dockgate with the recipe's settings; its LISTEN is kept but moved to a
    test address (a unix path in the session directory, a free TCP port).
    Returns (proxy, via): the replay goes through the recipe's own listener kind."""
    env = dockgate_env(name)
    env.pop("SOCKET_PATH", None)                    # the fixture's daemon, not the host's
    listen = None
    if "LISTEN" in env:
        items = []
        for item in env.pop("LISTEN").split(","):
            if item.startswith("unix://"):
                items.append(f"unix://{session_dir}/{name}-{free_port()}.sock")
            elif item.startswith("tcp://"):
                items.append(f"tcp://127.0.0.1:{free_port()}")
            else:
                pytest.fail(f"recipes/{name}.yml: LISTEN entry {item!r} is neither tcp:// nor unix://")
        listen = ",".join(items)
    p = proxy(listen=listen, **env)
    via = "tcp" if "tcp" in p.listeners else "unix"
    return p, via


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_allows(proxy, dockerd, session_dir, ctx, name):
    p, via = start_recipe_proxy(proxy, session_dir, name)
    done = replay_allowed(p, via, CLIENTS[name][0](ctx))
    assert done, "the replay sent nothing"
    assert p.alive()


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_denies(proxy, dockerd, session_dir, ctx, name):
    p, via = start_recipe_proxy(proxy, session_dir, name)
    reqs = CLIENTS[name][1](ctx)
    before = snapshot(dockerd)
    replay_denied(p, via, reqs)
    after = snapshot(dockerd)
    for key in before:
        assert after[key] == before[key], f"denied requests changed the daemon's {key}: " \
                                          f"{before[key]!r} -> {after[key]!r}"
    for n in ctx.names:
        assert not dockerd.exists(n), f"container {n} was created"
    for n in ctx.volumes:
        assert n not in after["volumes"], f"volume {n} was created"
    if ctx.exec_id is not None:
        exec_never_ran(dockerd, ctx.exec_id, ctx.exec_container, ctx.exec_marker)
    assert p.alive()

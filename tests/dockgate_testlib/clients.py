"""The clients dockgate's presets and recipes are for, as the Engine API
calls each makes: a generator of Req per client (replayed by
dockgate_testlib.replay.replay_allowed), read from each client's source
(docs/presets.md names the repository, version and files). No client image
is run; none can be pulled here.

FORBIDDEN is a catalogue of one call per operation that some client must
not make, each safe to send to the private daemon; denied_calls(ctx, allow)
gives those a preset does not allow. preset_allow_lists() reads the
presets from src/presets.c, so a test checks the data that is built.
"""

import re
import time
import urllib.parse

from .daemon import IMAGE, SLEEPER_CMD
from .replay import (DEAD_REGISTRY_IMAGE, H2C, REGISTRY_AUTH, WEBSOCKET, Req, build_context, q)
from .settings import REPO


# --------------------------------------------------------------------------
# what each client calls
# --------------------------------------------------------------------------

def negotiate(ctx):
    """The Go SDK's version negotiation (client/ping.go): HEAD /_ping, and
    GET /_ping when the HEAD fails (an older daemon or a proxy)."""
    yield Req("HEAD", "/_ping", expect=(200,))
    yield Req("GET", "/_ping", expect=(200,))


def traefik_allows(ctx):
    run = ctx.running()
    v = "/v1.24"                                   # Traefik up to v3.6.0 pins API 1.24
    yield Req("GET", f"{v}/version", expect=(200,))
    rsp = yield Req("GET", f"{v}/containers/json?all=1", expect=(200,))
    assert run in [c["Id"] for c in rsp.json()]
    yield Req("GET", f"{v}/containers/{run}/json", expect=(200,))
    yield Req("GET", f"{v}/events?filters={q({'type': {'container': True}})}", stream=True, expect=(200,))
    # v3.6.1 and later negotiate, then use the daemon's version
    yield from negotiate(ctx)
    v = f"/v{ctx.api}"
    yield Req("GET", f"{v}/version", expect=(200,))
    yield Req("GET", f"{v}/containers/json?all=1", expect=(200,))
    yield Req("GET", f"{v}/containers/{run}/json", expect=(200,))
    yield Req("GET", f"{v}/events?filters={q({'type': {'container': True}})}", stream=True, expect=(200,))


def homepage_allows(ctx):
    run = ctx.running()
    rsp = yield Req("GET", "/containers/json?all=true", expect=(200,))      # dockerode: no version prefix
    assert run in [c["Id"] for c in rsp.json()]
    name = ctx.d.inspect(run)["Name"].lstrip("/")
    rsp = yield Req("GET", f"/containers/{name}/json", expect=(200,))      # by the name in its config
    assert rsp.json()["State"]["Running"] is True
    rsp = yield Req("GET", f"/containers/{name}/stats?stream=false", expect=(200,))
    assert "memory_stats" in rsp.json()


def dozzle_allows(ctx):
    run = ctx.running()
    yield from negotiate(ctx)
    v = f"/v{ctx.api}"
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
    yield Req("GET", f"{v}/containers/{run}/stats?stream=1", stream=True, expect=(200,))
    yield Req("GET", f"{v}/events", stream=True, expect=(200,))


def netdata_allows(ctx):
    run = ctx.running()
    rsp = yield Req("GET", f"/containers/{run}/json", expect=(200,))        # cgroup-name: unversioned
    assert rsp.json()["Id"] == run and rsp.json()["Name"].startswith("/")
    # the go.d docker collector (negotiating Go SDK)
    yield from negotiate(ctx)
    v = f"/v{ctx.api}"
    yield Req("GET", f"{v}/info", expect=(200,))
    yield Req("GET", f"{v}/images/json", expect=(200,))
    yield Req("GET", f"{v}/containers/json?all=1", expect=(200,))


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


def portainer_allows(ctx):
    d, run = ctx.d, ctx.running()
    v = f"/v{ctx.api}"
    # the backend's snapshot (Go client, negotiated)
    yield from negotiate(ctx)
    yield Req("GET", f"{v}/info", expect=(200,))
    yield Req("GET", f"{v}/containers/json?all=1", expect=(200,))
    yield Req("GET", f"{v}/containers/{run}/json", expect=(200,))
    yield Req("GET", f"{v}/images/json", expect=(200,))
    yield Req("GET", f"{v}/volumes", expect=(200,))
    yield Req("GET", f"{v}/networks", expect=(200,))
    yield Req("GET", f"{v}/version", expect=(200,))
    # the UI through Portainer's Docker proxy (unversioned)
    yield Req("GET", "/_ping", expect=(200,))
    yield Req("GET", "/plugins", expect=(200,))                     # volume and network drivers
    yield Req("GET", f"/containers/{run}/json", expect=(200,))
    yield Req("GET", f"/containers/{run}/stats?stream=false", expect=(200,))
    yield Req("GET", f"/containers/{run}/top", expect=(200,))
    yield Req("GET", f"/containers/{run}/logs?stdout=1&stderr=1&tail=100", expect=(200,))
    yield Req("GET", "/events?since=0&until=1", expect=(200,))
    # the console: an exec through the backend's websocket, then its resize
    rsp = yield Req("POST", f"/containers/{run}/exec",
                    {"AttachStdin": False, "AttachStdout": True, "AttachStderr": True,
                     "Tty": False, "Cmd": ["sh", "-c", "true"]}, expect=(201,))
    exec_id = rsp.json()["Id"]
    yield Req("POST", f"/exec/{exec_id}/start", {"Detach": False, "Tty": False},
              headers=[("Connection", "Upgrade"), ("Upgrade", "tcp")], stream=True, expect=(101, 200))
    yield Req("POST", f"/exec/{exec_id}/resize?h=24&w=80")           # answered by the daemon
    yield Req("POST", f"/containers/{run}/attach?stdin=1&stdout=1&stderr=1&stream=1",
              headers=[("Connection", "Upgrade"), ("Upgrade", "tcp")], stream=True, expect=(101, 200))
    yield Req("POST", f"/containers/{run}/resize?h=24&w=80")
    # container lifecycle
    name = ctx.name("dgt-portainer")
    yield Req("POST", f"/containers/create?name={name}",
              {"Image": IMAGE, "Cmd": SLEEPER_CMD, "HostConfig": {"NetworkMode": "none"}}, expect=(201,))
    yield Req("POST", f"/containers/{name}/start", expect=(204,))
    # pause needs the freezer cgroup and update may touch cgroups: whatever
    # the daemon answers, it must be the daemon
    yield Req("POST", f"/containers/{name}/pause")
    yield Req("POST", f"/containers/{name}/unpause")
    yield Req("POST", f"/containers/{name}/update", {"RestartPolicy": {"Name": "no"}})
    yield Req("POST", f"/containers/{name}/restart?t=1", expect=(204,))
    renamed = ctx.name("dgt-portainer-renamed")
    yield Req("POST", f"/containers/{name}/rename?name={renamed}", expect=(204,))
    yield Req("POST", f"/containers/{renamed}/kill", expect=(204,))
    yield Req("POST", f"/containers/{renamed}/stop?t=1", expect=(204, 304))  # 304: already stopped
    yield Req("DELETE", f"/containers/{renamed}?v=1&force=true", expect=(204,))
    # volumes and networks
    vol = ctx.volume()
    yield Req("POST", "/volumes/create", {"Name": vol}, expect=(201,))
    yield Req("GET", f"/volumes/{vol}", expect=(200,))
    yield Req("DELETE", f"/volumes/{vol}", expect=(204,))
    net = ctx.network()
    yield Req("POST", "/networks/create", {"Name": net, "CheckDuplicate": True}, expect=(201,))
    yield Req("GET", f"/networks/{net}", expect=(200,))
    yield Req("POST", f"/networks/{net}/connect", {"Container": run})       # --network none: refused
    yield Req("POST", f"/networks/{net}/disconnect", {"Container": run, "Force": True})
    yield Req("DELETE", f"/networks/{net}", expect=(204,))
    # images
    yield Req("GET", f"/images/{IMAGE}/json", expect=(200,))
    yield Req("GET", f"/images/{IMAGE}/history", expect=(200,))
    rsp = yield Req("GET", f"/images/get?names={urllib.parse.quote(IMAGE, safe='')}", expect=(200,))
    saved = rsp.body
    yield Req("POST", "/images/load?quiet=1", saved, content_type="application/x-tar", expect=(200,))
    tag = ctx.image_tag("dgtest/portainer-commit")
    yield Req("POST", f"/commit?container={run}&repo=dgtest/portainer-commit&tag={tag}", {},
              expect=(201,))
    yield Req("DELETE", f"/images/dgtest/portainer-commit:{tag}", expect=(200,))
    tag = ctx.image_tag("dgtest/portainer-build")
    rsp = yield Req("POST", f"/build?t=dgtest/portainer-build:{tag}&rm=1",
                    build_context(f"FROM {IMAGE}\nLABEL built-by=dgtest\n"),
                    content_type="application/x-tar", expect=(200,))
    assert b"Successfully built" in rsp.body or b"Successfully tagged" in rsp.body, rsp.body[-500:]
    tag = ctx.image_tag("dgtest/portainer-tag")
    yield Req("POST", f"/images/{IMAGE}/tag?repo=dgtest/portainer-tag&tag={tag}", expect=(201,))
    yield Req("DELETE", f"/images/dgtest/portainer-tag:{tag}", expect=(200,))
    yield Req("POST", f"/images/create?fromImage={DEAD_REGISTRY_IMAGE}&tag=latest", headers=REGISTRY_AUTH)
    yield Req("POST", "/images/127.0.0.1:1/dgtest/portainer-push/push?tag=x", headers=REGISTRY_AUTH)
    assert d.api("GET", f"/images/{IMAGE}/json")[0] == 200


def ci_runner_allows(ctx):
    d = ctx.d
    yield from negotiate(ctx)                       # unless DOCKER_API_VERSION pins one
    v = f"/v{ctx.api}"
    yield Req("GET", f"{v}/version", expect=(200,))
    rsp = yield Req("GET", f"{v}/info", expect=(200,))
    assert rsp.json()["OSType"] == "linux"
    yield Req("GET", f"{v}/images/{IMAGE}/json", expect=(200,))
    yield Req("POST", f"{v}/images/create?fromImage={DEAD_REGISTRY_IMAGE}&tag=latest",
              headers=REGISTRY_AUTH)
    # the helper image from its bundled tar (ImageLoad), tagged for the job
    st, saved = d.api("GET", f"/images/{IMAGE}/get")
    assert st == 200, saved
    yield Req("POST", f"{v}/images/load?quiet=1", saved, content_type="application/x-tar", expect=(200,))
    tag = ctx.image_tag("dgtest/runner-helper")
    yield Req("POST", f"{v}/images/{IMAGE}/tag?repo=dgtest/runner-helper&tag={tag}", expect=(201,))
    vol = ctx.volume()
    yield Req("POST", f"{v}/volumes/create", {"Name": vol, "Labels": {"com.gitlab.gitlab-runner.type": "cache"}},
              expect=(201,))
    yield Req("GET", f"{v}/volumes/{vol}", expect=(200,))
    net = ctx.network()
    rsp = yield Req("POST", f"{v}/networks/create", {"Name": net, "CheckDuplicate": True}, expect=(201,))
    net_id = rsp.json()["Id"]
    yield Req("GET", f"{v}/networks/{net_id}", expect=(200,))
    yield Req("GET", f"{v}/networks", expect=(200,))
    # a service container, probed with an exec
    svc = ctx.name("runner-svc")
    yield Req("POST", f"{v}/containers/create?name={svc}",
              {"Image": IMAGE, "Cmd": SLEEPER_CMD, "HostConfig": {"NetworkMode": net}}, expect=(201,))
    yield Req("POST", f"{v}/containers/{svc}/start", expect=(204,))
    rsp = yield Req("POST", f"{v}/containers/{svc}/exec",
                    {"Cmd": ["sh", "-c", "true"], "AttachStdout": True, "AttachStderr": True},
                    expect=(201,))
    yield Req("POST", f"{v}/exec/{rsp.json()['Id']}/start", {"Detach": False, "Tty": False},
              headers=[("Connection", "Upgrade"), ("Upgrade", "tcp")], stream=True, expect=(101, 200))
    # the job container
    job = ctx.name("runner-job")
    yield Req("POST", f"{v}/containers/create?name={job}",
              {"Image": IMAGE, "Cmd": ["sh", "-c", "echo job-ok; ls /cache >/dev/null"],
               "AttachStdout": True, "AttachStderr": True,
               "HostConfig": {"NetworkMode": "none", "Binds": [f"{vol}:/cache"]}}, expect=(201,))
    # the attach is a hijack: the answer head is all that is read here
    yield Req("POST", f"{v}/containers/{job}/attach?stream=1&stdin=0&stdout=1&stderr=1",
              headers=[("Connection", "Upgrade"), ("Upgrade", "tcp")], stream=True, expect=(101, 200))
    yield Req("POST", f"{v}/containers/{job}/start", expect=(204,))
    rsp = yield Req("POST", f"{v}/containers/{job}/wait?condition=not-running", expect=(200,))
    assert rsp.json()["StatusCode"] == 0, rsp
    rsp = yield Req("GET", f"{v}/containers/{job}/logs?stdout=1&stderr=1", expect=(200,))
    assert b"job-ok" in rsp.body
    yield Req("GET", f"{v}/containers/{job}/json", expect=(200,))
    yield Req("POST", f"{v}/containers/{svc}/stop?t=1", expect=(204,))
    yield Req("POST", f"{v}/networks/{net_id}/disconnect", {"Container": svc, "Force": True},
              expect=(200,))
    yield Req("DELETE", f"{v}/containers/{svc}?v=1&force=1", expect=(204,))
    yield Req("DELETE", f"{v}/containers/{job}?v=1&force=1", expect=(204,))
    yield Req("DELETE", f"{v}/volumes/{vol}", expect=(204,))
    yield Req("DELETE", f"{v}/networks/{net_id}", expect=(204,))


def ci_job_allows(ctx):
    """What a job does with the runner's Docker (the recipe mounts dockgate's
    socket into jobs): `DOCKER_BUILDKIT=0 docker build`, `docker login`,
    `docker push`; the CLI negotiates. Not the runner's own calls: the
    recipe widens the ci-runner preset for these."""
    tag = ctx.image_tag("dgtest/recipe-ci")
    rsp = yield Req("POST", f"/v{ctx.api}/build?t=dgtest/recipe-ci:{tag}&rm=1",
                    build_context(f"FROM {IMAGE}\nLABEL built-by=dgtest\n"),
                    content_type="application/x-tar", expect=(200,))
    assert b"Successfully built" in rsp.body, rsp.body[-500:]
    assert ctx.d.api("GET", f"/images/dgtest/recipe-ci:{tag}/json")[0] == 200
    # a registry that refuses at once: the daemon answers with the error
    yield Req("POST", f"/v{ctx.api}/auth",
              {"username": "ci", "password": "x", "serveraddress": "127.0.0.1:1"})
    ctx.images.append(f"127.0.0.1:1/dgtest/recipe-ci:{tag}")
    yield Req("POST", f"/v{ctx.api}/images/dgtest/recipe-ci:{tag}/tag"
              f"?repo=127.0.0.1:1/dgtest/recipe-ci&tag={tag}", expect=(201,))
    yield Req("POST", f"/v{ctx.api}/images/127.0.0.1:1/dgtest/recipe-ci/push?tag={tag}",
              headers=REGISTRY_AUTH)


def uptime_kuma_allows(ctx):
    run = ctx.running()
    rsp = yield Req("GET", "/containers/json?all=true", expect=(200,))      # the host check, axios
    assert run in [c["Id"] for c in rsp.json()]
    name = ctx.d.inspect(run)["Name"].lstrip("/")
    rsp = yield Req("GET", f"/containers/{name}/json", expect=(200,))      # the monitor, by name
    assert rsp.json()["State"]["Running"] is True


def wud_allows(ctx):
    run = ctx.running()
    rsp = yield Req("GET", "/containers/json", expect=(200,))              # dockerode, unversioned
    listed = {c["Id"]: c for c in rsp.json()}
    assert run in listed
    yield Req("GET", f"/images/{listed[run]['ImageID']}/json", expect=(200,))
    yield Req("GET", f"/images/{IMAGE}/json", expect=(200,))
    events = {"type": ["container"],
              "event": ["create", "destroy", "start", "stop", "pause", "unpause", "die", "update"]}
    yield Req("GET", f"/events?filters={q(events)}", stream=True, expect=(200,))
    yield Req("GET", f"/containers/{run}/json", expect=(200,))             # on an event


def diun_allows(ctx):
    run = ctx.running()
    yield from negotiate(ctx)
    v = f"/v{ctx.api}"
    yield Req("GET", f"{v}/version", expect=(200,))
    rsp = yield Req("GET", f"{v}/containers/json?filters={q({'status': {'running': True}})}",
                    expect=(200,))
    assert run in [c["Id"] for c in rsp.json()]
    yield Req("GET", f"{v}/images/{IMAGE}/json", expect=(200,))


def autoheal_allows(ctx):
    d = ctx.d
    sick = ctx.name("dgt-autoheal")
    st, body = d.api("POST", f"/containers/create?name={sick}",
                     {"Image": IMAGE, "Cmd": SLEEPER_CMD, "Labels": {"autoheal": "true"},
                      "HostConfig": {"NetworkMode": "none"},
                      "Healthcheck": {"Test": ["CMD", "false"], "Interval": 100_000_000,
                                      "Retries": 1}})
    assert st == 201, body
    st, body = d.api("POST", f"/containers/{sick}/start")
    assert st == 204, body
    for _ in range(100):
        if d.inspect(sick)["State"].get("Health", {}).get("Status") == "unhealthy":
            break
        time.sleep(0.1)
    # curl sends the filter as the script writes it, JSON unencoded
    rsp = yield Req("GET", '/containers/json?filters={"health":["unhealthy"],"label":["autoheal=true"]}',
                    expect=(200,))
    found = [c["Id"] for c in rsp.json()]
    assert found == [d.inspect(sick)["Id"]], found
    started = d.inspect(sick)["State"]["StartedAt"]
    yield Req("POST", f"/containers/{found[0]}/restart?t=1", expect=(204,))
    assert d.inspect(sick)["State"]["StartedAt"] != started, "the container was not restarted"


CLIENTS = {
    "ping": None,
    "traefik": traefik_allows,
    "portainer": portainer_allows,
    "watchtower": watchtower_allows,
    "homepage": homepage_allows,
    "dozzle": dozzle_allows,
    "netdata": netdata_allows,
    "ci-runner": ci_runner_allows,
    "uptime-kuma": uptime_kuma_allows,
    "wud": wud_allows,
    "diun": diun_allows,
    "autoheal": autoheal_allows,
}


def ping_allows(ctx):
    yield Req("GET", "/_ping", expect=(200,))
    yield Req("HEAD", "/_ping", expect=(200,))
    yield Req("GET", "/version", expect=(200,))
    yield Req("GET", f"/v{ctx.api}/version", expect=(200,))


CLIENTS["ping"] = ping_allows


# --------------------------------------------------------------------------
# calls some client must not make
# --------------------------------------------------------------------------

class Victims:
    """Objects on the daemon that forbidden calls aim at: a running and a
    stopped container, an exec instance created directly (never started),
    a network, a volume and an image tag."""

    def __init__(self, ctx):
        d = ctx.d
        self.run, self.stopped = ctx.running(), ctx.stopped()
        self.exec_id = ctx.direct_exec(self.run)
        self.network = ctx.network()
        st, body = d.api("POST", "/networks/create", {"Name": self.network})
        assert st == 201, body
        self.volume = ctx.volume()
        st, body = d.api("POST", "/volumes/create", {"Name": self.volume})
        assert st == 201, body
        self.tag = ctx.image_tag("dgtest/victim")
        st, body = d.api("POST", f"/images/{IMAGE}/tag?repo=dgtest/victim&tag={self.tag}")
        assert st == 201, body
        self.new_name = ctx.name("dgt-denied")
        self.new_volume = ctx.volume()
        self.new_network = ctx.network()


TCP_UPGRADE = [("Connection", "Upgrade"), ("Upgrade", "tcp")]

# (operation, factory of the request given Victims): one call each, every
# one harmless to the daemon if dockgate denies it, as it must.
FORBIDDEN = [
    ("ContainerCreate", lambda x: Req("POST", f"/containers/create?name={x.new_name}",
                                      {"Image": IMAGE, "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}})),
    ("ContainerInspect", lambda x: Req("GET", f"/containers/{x.run}/json")),
    ("ContainerList", lambda x: Req("GET", "/containers/json?all=1")),
    ("ContainerExec", lambda x: Req("POST", f"/containers/{x.run}/exec", {"Cmd": ["true"], "AttachStdout": True})),
    ("ExecStart", lambda x: Req("POST", f"/exec/{x.exec_id}/start", {"Detach": False, "Tty": False},
                                headers=TCP_UPGRADE)),
    ("ExecInspect", lambda x: Req("GET", f"/exec/{x.exec_id}/json")),
    ("ExecResize", lambda x: Req("POST", f"/exec/{x.exec_id}/resize?h=10&w=10")),
    ("ContainerArchive", lambda x: Req("GET", f"/containers/{x.run}/archive?path=/etc/passwd")),
    ("ContainerArchiveInfo", lambda x: Req("HEAD", f"/containers/{x.run}/archive?path=/etc/passwd")),
    ("PutContainerArchive", lambda x: Req("PUT", f"/containers/{x.run}/archive?path=/tmp",
                                          build_context("x"), content_type="application/x-tar")),
    ("ContainerExport", lambda x: Req("GET", f"/containers/{x.run}/export")),
    ("ContainerChanges", lambda x: Req("GET", f"/containers/{x.run}/changes")),
    ("ContainerTop", lambda x: Req("GET", f"/containers/{x.run}/top")),
    ("ContainerLogs", lambda x: Req("GET", f"/containers/{x.run}/logs?stdout=1&stderr=1")),
    ("ContainerStats", lambda x: Req("GET", f"/containers/{x.run}/stats?stream=false")),
    ("ContainerAttach", lambda x: Req("POST", f"/containers/{x.run}/attach?stream=1&stdin=1&stdout=1",
                                      headers=TCP_UPGRADE)),
    ("ContainerAttachWebsocket", lambda x: Req("GET", f"/containers/{x.run}/attach/ws?stream=1&stdin=1",
                                               headers=WEBSOCKET)),
    ("ContainerStop", lambda x: Req("POST", f"/containers/{x.run}/stop?t=1")),
    ("ContainerKill", lambda x: Req("POST", f"/containers/{x.run}/kill")),
    ("ContainerRestart", lambda x: Req("POST", f"/containers/{x.run}/restart?t=1")),
    ("ContainerStart", lambda x: Req("POST", f"/containers/{x.stopped}/start")),
    ("ContainerPause", lambda x: Req("POST", f"/containers/{x.run}/pause")),
    ("ContainerUnpause", lambda x: Req("POST", f"/containers/{x.run}/unpause")),
    ("ContainerWait", lambda x: Req("POST", f"/containers/{x.stopped}/wait")),
    ("ContainerResize", lambda x: Req("POST", f"/containers/{x.run}/resize?h=10&w=10")),
    ("ContainerRename", lambda x: Req("POST", f"/containers/{x.run}/rename?name={x.new_name}")),
    ("ContainerUpdate", lambda x: Req("POST", f"/containers/{x.run}/update", {"CpuShares": 512})),
    ("ContainerDelete", lambda x: Req("DELETE", f"/containers/{x.run}?force=1")),
    ("ContainerPrune", lambda x: Req("POST", "/containers/prune")),
    ("ImageCommit", lambda x: Req("POST", f"/commit?container={x.run}&repo=dgtest/denied&tag=x")),
    ("ImageList", lambda x: Req("GET", "/images/json")),
    ("ImageInspect", lambda x: Req("GET", f"/images/{IMAGE}/json")),
    ("ImageHistory", lambda x: Req("GET", f"/images/{IMAGE}/history")),
    ("ImageCreate", lambda x: Req("POST", f"/images/create?fromImage={DEAD_REGISTRY_IMAGE}&tag=latest",
                                  headers=REGISTRY_AUTH)),
    ("ImageTag", lambda x: Req("POST", f"/images/{IMAGE}/tag?repo=dgtest/denied&tag=x")),
    ("ImageDelete", lambda x: Req("DELETE", f"/images/dgtest/victim:{x.tag}?force=1")),
    ("ImageGet", lambda x: Req("GET", f"/images/{IMAGE}/get")),
    ("ImageGetAll", lambda x: Req("GET", f"/images/get?names={urllib.parse.quote(IMAGE, safe='')}")),
    ("ImageLoad", lambda x: Req("POST", "/images/load?quiet=1", build_context("x"),
                                content_type="application/x-tar")),
    ("ImagePush", lambda x: Req("POST", f"/images/dgtest/victim/push?tag={x.tag}", headers=REGISTRY_AUTH)),
    ("ImageBuild", lambda x: Req("POST", "/build?t=dgtest/denied:x", build_context(f"FROM {IMAGE}\n"),
                                 content_type="application/x-tar")),
    ("ImagePrune", lambda x: Req("POST", "/images/prune")),
    ("ImageSearch", lambda x: Req("GET", "/images/search?term=busybox")),
    ("NetworkList", lambda x: Req("GET", "/networks")),
    ("NetworkInspect", lambda x: Req("GET", f"/networks/{x.network}")),
    ("NetworkCreate", lambda x: Req("POST", "/networks/create", {"Name": x.new_network})),
    ("NetworkConnect", lambda x: Req("POST", f"/networks/{x.network}/connect", {"Container": x.stopped})),
    ("NetworkDisconnect", lambda x: Req("POST", f"/networks/{x.network}/disconnect",
                                        {"Container": x.stopped, "Force": True})),
    ("NetworkDelete", lambda x: Req("DELETE", f"/networks/{x.network}")),
    ("NetworkPrune", lambda x: Req("POST", "/networks/prune")),
    ("VolumeList", lambda x: Req("GET", "/volumes")),
    ("VolumeInspect", lambda x: Req("GET", f"/volumes/{x.volume}")),
    ("VolumeCreate", lambda x: Req("POST", "/volumes/create", {"Name": x.new_volume})),
    ("VolumeDelete", lambda x: Req("DELETE", f"/volumes/{x.volume}?force=1")),
    ("VolumePrune", lambda x: Req("POST", "/volumes/prune")),
    ("SystemPing", lambda x: Req("GET", "/_ping")),
    ("SystemPingHead", lambda x: Req("HEAD", "/_ping")),
    ("SystemVersion", lambda x: Req("GET", "/version")),
    ("SystemInfo", lambda x: Req("GET", "/info")),
    ("SystemEvents", lambda x: Req("GET", "/events?since=0&until=1")),
    ("SystemDataUsage", lambda x: Req("GET", "/system/df")),
    ("SystemAuth", lambda x: Req("POST", "/auth", {"username": "x", "password": "y",
                                                   "serveraddress": "127.0.0.1:1"})),
    ("SwarmInspect", lambda x: Req("GET", "/swarm")),
    ("SwarmInit", lambda x: Req("POST", "/swarm/init", {"ListenAddr": "127.0.0.1:2377"})),
    ("ServiceList", lambda x: Req("GET", "/services")),
    ("TaskList", lambda x: Req("GET", "/tasks")),
    ("NodeList", lambda x: Req("GET", "/nodes")),
    ("SecretList", lambda x: Req("GET", "/secrets")),
    ("SecretCreate", lambda x: Req("POST", "/secrets/create", {"Name": "dgt-s", "Data": "eA=="})),
    ("ConfigList", lambda x: Req("GET", "/configs")),
    ("PluginList", lambda x: Req("GET", "/plugins")),
    ("PluginPull", lambda x: Req("POST", "/plugins/pull?remote=127.0.0.1:1/dgtest/plugin",
                                 [{"Name": "x", "Value": []}])),
    ("DistributionInspect", lambda x: Req("GET", f"/distribution/{IMAGE}/json")),
    ("BuildPrune", lambda x: Req("POST", "/build/prune")),
    ("Session", lambda x: Req("POST", "/session", headers=H2C + [("X-Docker-Expose-Session-Uuid", "dgt")])),
    ("Grpc", lambda x: Req("POST", "/grpc", headers=H2C)),
    ("DebugPprofIndex", lambda x: Req("GET", "/debug/pprof/")),
    ("DebugVars", lambda x: Req("GET", "/debug/vars")),
]


def denied_calls(ctx, allow):
    """One request per catalogued operation that allow (a set of operation
    names) does not hold, each with its operation set."""
    victims = Victims(ctx)
    reqs = []
    for op, make in FORBIDDEN:
        if op in allow:
            continue
        req = make(victims)
        req.op = op
        reqs.append(req)
    return reqs


# Podman's /libpod twins of operations some preset allows: a preset says
# what a Docker client calls, so each must be denied even where the Docker
# route is allowed.
LIBPOD_TWINS = [
    ("ContainerList", lambda x: Req("GET", "/v4.0.0/libpod/containers/json")),
    ("ContainerInspect", lambda x: Req("GET", f"/v4.0.0/libpod/containers/{x.run}/json")),
    ("ContainerStats", lambda x: Req("GET", f"/v4.0.0/libpod/containers/{x.run}/stats?stream=false")),
    ("ContainerRestart", lambda x: Req("POST", f"/v4.0.0/libpod/containers/{x.run}/restart?t=1")),
    ("ImageInspect", lambda x: Req("GET", f"/v4.0.0/libpod/images/{IMAGE}/json")),
    ("ImageList", lambda x: Req("GET", "/v4.0.0/libpod/images/json")),
    ("SystemPing", lambda x: Req("GET", "/v4.0.0/libpod/_ping")),
    ("SystemVersion", lambda x: Req("GET", "/v4.0.0/libpod/version")),
    ("SystemInfo", lambda x: Req("GET", "/v4.0.0/libpod/info")),
    ("SystemEvents", lambda x: Req("GET", "/v4.0.0/libpod/events?stream=false")),
]


def libpod_twin_calls(ctx, allow):
    """The /libpod twins of the allowed operations LIBPOD_TWINS holds."""
    victims = Victims(ctx)
    reqs = []
    for op, make in LIBPOD_TWINS:
        if op in allow:
            req = make(victims)
            req.op = op
            reqs.append(req)
    return reqs


# --------------------------------------------------------------------------
# the presets as built
# --------------------------------------------------------------------------

def preset_allow_lists():
    """{preset name: set of operation names} from src/presets.c."""
    text = (REPO / "src" / "presets.c").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    macros = {m.group(1): m.group(2) for m in re.finditer(r"#define (\w+) (.*)", text)}
    arrays = {}
    for m in re.finditer(r"static const char \*const (\w+)\[\] = \{(.*?)\};", text, re.S):
        body = m.group(2)
        for name, value in macros.items():
            body = re.sub(rf"\b{name}\b", value, body)
        arrays[m.group(1)] = set(re.findall(r'"([^"]+)"', body))
    table = text[text.index("const struct preset presets[]"):]
    presets = {}
    for m in re.finditer(r'\{\s*"([a-z-]+)",.*?(\w+)\s*\},', table, re.S):
        presets[m.group(1)] = arrays[m.group(2)]
    return presets

"""linuxserver/docker-socket-proxy's LIBPOD_* switches in front of Podman.

Each LIBPOD_<SECTION> opens its /libpod section alone, with POST's method
rule and the section's deny rules; the Podman-only sections open only with
their own switch; LIBPOD_ALLOW_* and LIBPOD_ALLOW_POD_* grant one action on
a container or a pod. Every decision is checked against Podman's own state,
reached without the proxy.
"""

import json

from dockgate_testlib.daemon import IMAGE, unique
from dockgate_testlib.net import wait_for
from dockgate_testlib.rawhttp import http_request

LIBPOD = "/v4.0.0/libpod"


def get(p, target, method="GET", body=b""):
    hdrs = [("Content-Type", "application/json")] if body else []
    return p.request(http_request(method, target, headers=hdrs, body=body), timeout=30)


def assert_403(rsp, *needles):
    """dockgate's own denial: 403, JSON message, nothing from Podman."""
    assert rsp.status == 403, rsp
    assert rsp.header("libpod-api-version") is None, f"the denial came from Podman: {rsp}"
    msg = rsp.json()["message"]
    for n in needles:
        assert n in msg, f"denial {msg!r} does not mention {n!r}"


def from_podman(rsp):
    assert rsp.header("libpod-api-version") is not None, f"not Podman's answer: {rsp}"
    return rsp


def _spec(name):
    return json.dumps({"image": IMAGE, "name": name, "command": ["sleep", "600"],
                       "netns": {"nsmode": "none"}}).encode()


def test_libpod_containers_alone(proxy, podman, sleeper):
    p = proxy(LIBPOD_CONTAINERS=1)
    rsp = from_podman(get(p, LIBPOD + "/containers/json?all=true"))
    assert rsp.status == 200
    assert sleeper in [c["Id"] for c in rsp.json()]
    # Neither the Docker section nor another twin opens with it.
    assert_403(get(p, "/v1.41/containers/json"), "(set CONTAINERS=1)")
    assert_403(get(p, LIBPOD + "/images/json"), "IMAGES=1")
    # Without LIBPOD_PING (which linuxserver's image turns on) no libpod ping.
    assert_403(get(p, LIBPOD + "/_ping"))
    assert from_podman(get(proxy(LIBPOD_PING=1, LIBPOD_VERSION=1), LIBPOD + "/_ping")).status == 200


def test_libpod_containers_keeps_the_section_deny_rules(proxy, podman, sleeper):
    """A LIBPOD_* variable closes the gates as in linuxserver's image; the
    twin keeps attach/ws and healthcheck closed with POST=0, and the exec
    create without the exec twin."""
    p = proxy(LIBPOD_CONTAINERS=1)
    assert_403(get(p, f"{LIBPOD}/containers/{sleeper}/logs?stdout=true"), "ALLOW_LOGS=1")
    assert_403(get(p, f"{LIBPOD}/containers/{sleeper}/top"), "ALLOW_TOP=1")
    assert_403(get(p, f"{LIBPOD}/containers/{sleeper}/healthcheck"), "POST=1")
    rsp = from_podman(get(proxy(LIBPOD_CONTAINERS=1, ALLOW_LOGS=1),
                          f"{LIBPOD}/containers/{sleeper}/logs?stdout=true"))
    assert rsp.status == 200
    before = podman.api("GET", f"/v1.41/containers/{sleeper}/json")[1]["ExecIDs"]
    rsp = get(proxy(LIBPOD_CONTAINERS=1, POST=1, ALLOW_EXEC=1),
              f"{LIBPOD}/containers/{sleeper}/exec", method="POST",
              body=json.dumps({"Cmd": ["true"]}).encode())
    assert_403(rsp, "EXEC=1")
    assert podman.api("GET", f"/v1.41/containers/{sleeper}/json")[1]["ExecIDs"] == before


def test_libpod_create_needs_post_and_creates_nothing(proxy, podman):
    before = podman.container_ids()
    name = unique("dgt-lpsw")
    rsp = get(proxy(LIBPOD_CONTAINERS=1), LIBPOD + "/containers/create", method="POST",
              body=_spec(name))
    assert_403(rsp, "(set POST=1")
    assert podman.container_ids() == before
    assert not podman.exists(name)


def test_container_lifecycle_grants(proxy, podman):
    name = unique("dgt-lpsw")
    st, body = podman.api("POST", LIBPOD + "/containers/create", body=_spec(name),
                          headers={"Content-Type": "application/json"})
    assert st == 201, (st, body)
    cid = body["Id"]
    try:
        # The Docker switch does not reach the twin; the Docker start stays closed.
        assert_403(get(proxy(ALLOW_START=1), f"{LIBPOD}/containers/{cid}/start", method="POST"),
                   "LIBPOD_ALLOW_START=1")
        assert_403(get(proxy(LIBPOD_ALLOW_START=1), f"/v1.41/containers/{cid}/start",
                       method="POST"), "ALLOW_START=1")
        assert not podman.inspect(cid)["State"]["Running"]
        rsp = get(proxy(LIBPOD_ALLOW_START=1), f"{LIBPOD}/containers/{cid}/start", method="POST")
        assert from_podman(rsp).status == 204, rsp
        wait_for(lambda: podman.inspect(cid)["State"]["Running"], 10, what="the start")
        # Stop: not with LIBPOD_ALLOW_START, and only its own query.
        p = proxy(LIBPOD_ALLOW_RESTARTS=1)
        assert_403(get(proxy(LIBPOD_ALLOW_START=1), f"{LIBPOD}/containers/{cid}/stop",
                       method="POST"))
        assert_403(get(p, f"{LIBPOD}/containers/{cid}/stop?timeout=99999", method="POST"),
                   "0 to 3600")
        assert podman.inspect(cid)["State"]["Running"]
        rsp = get(p, f"{LIBPOD}/containers/{cid}/stop?timeout=1", method="POST")
        assert from_podman(rsp).status == 204, rsp
        assert not podman.inspect(cid)["State"]["Running"]
    finally:
        podman.remove(name)


def test_pods_section_and_pod_grants(proxy, podman):
    name = unique("dgt-lpod")
    spec = json.dumps({"name": name, "no_infra": True}).encode()
    assert_403(get(proxy(LIBPOD=1, CONTAINERS=1, POST=1), LIBPOD + "/pods/json"),
               "(set LIBPOD_PODS=1)")
    assert_403(get(proxy(LIBPOD_PODS=1), LIBPOD + "/pods/create", method="POST", body=spec),
               "(set POST=1)")
    assert podman.api("GET", f"{LIBPOD}/pods/{name}/exists")[0] == 404
    rsp = get(proxy(LIBPOD_PODS=1, POST=1), LIBPOD + "/pods/create", method="POST", body=spec)
    assert from_podman(rsp).status == 201, rsp
    try:
        assert podman.api("GET", f"{LIBPOD}/pods/{name}/exists")[0] == 204
        rsp = from_podman(get(proxy(LIBPOD_PODS=1), LIBPOD + "/pods/json"))
        assert name in [q["Name"] for q in rsp.json()]
        # A pod action: its own switch, not the containers' one.
        assert_403(get(proxy(LIBPOD_ALLOW_START=1), f"{LIBPOD}/pods/{name}/start",
                       method="POST"), "LIBPOD_ALLOW_POD_START=1")
        rsp = get(proxy(LIBPOD_ALLOW_POD_START=1), f"{LIBPOD}/pods/{name}/start?x=1",
                  method="POST")
        assert_403(rsp, "'x' is not allowed")
        # A pod with no container starts as a no-op; Podman answers, not dockgate.
        rsp = get(proxy(LIBPOD_ALLOW_POD_START=1), f"{LIBPOD}/pods/{name}/start", method="POST")
        assert rsp.header("libpod-api-version") is not None, rsp
    finally:
        podman.api("DELETE", f"{LIBPOD}/pods/{name}?force=true")


def test_play_generate_manifests_open_alone(proxy, podman):
    assert_403(get(proxy(LIBPOD_PLAY=1), LIBPOD + "/play/kube", method="POST",
                   body=b"{}"), "(set POST=1)")
    # generate of a missing container: Podman's 404 shows it went through.
    rsp = get(proxy(LIBPOD_GENERATE=1), LIBPOD + "/generate/dgt-none/systemd")
    assert from_podman(rsp).status in (404, 500), rsp
    rsp = get(proxy(LIBPOD_MANIFESTS=1), LIBPOD + "/manifests/dgt-none/json")
    assert from_podman(rsp).status in (404, 500), rsp
    assert_403(get(proxy(LIBPOD_PLAY=1, POST=1), LIBPOD + "/kube/play", method="POST"),
               "no API section")

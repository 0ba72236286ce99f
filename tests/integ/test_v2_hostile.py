"""Hostile requests against the route-based profiles (PROFILE, POLICY_FILE),
each checked against the real daemon's state, not only a status code."""

import json
import os

import pytest


@pytest.fixture(autouse=True)
def _real_proxy():
    if os.environ.get("DGTEST_DIRECT"):
        pytest.skip("needs the real proxy")


def inspect(dockerd, cid):
    status, info = dockerd.api("GET", f"/containers/{cid}/json")
    assert status == 200, info
    return info


def test_start_below_api_1_24_cannot_carry_a_hostconfig(proxy, dockerd, container,
                                                        session_dir):
    """A profile that allows ContainerStart (and not ContainerCreate) must not
    let a start create a privileged container: below API 1.24 the daemon
    applies a HostConfig sent as the body of a start."""
    cid = container(start=False)
    path = session_dir / "start-only.yml"
    path.write_text("version: 1\nprofiles:\n  default:\n    allow: [ContainerStart]\n")
    p = proxy(POLICY_FILE=path)
    # (Privileged would be applied too; this daemon's sandbox cannot run
    # such a container, while a bind of the host's root runs.)
    body = json.dumps({"Binds": ["/:/host"], "PidMode": "host"}).encode()
    rsp = p.request(f"POST /v1.23/containers/{cid}/start HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    host = inspect(dockerd, cid)["HostConfig"]
    assert not host["Binds"] and host["PidMode"] != "host", host
    assert rsp.status == 403, rsp
    # The start the profile grants still works.
    rsp = p.request(f"POST /v1.41/containers/{cid}/start HTTP/1.1\r\nHost: x\r\n"
                    "Content-Length: 0\r\n\r\n".encode())
    assert rsp.status == 204, rsp


def test_copy_below_api_1_24_is_not_a_way_around_a_denied_archive(proxy, container,
                                                                   session_dir):
    """deny: [ContainerArchive] in a profile that extends env closes docker
    cp out of containers; POST /containers/{id}/copy copies files out too,
    on API versions below 1.24 only (from 1.24 the daemon answers 404), and
    BY_ENV (CONTAINERS=1 POST=1) would let it through."""
    cid = container()
    path = session_dir / "no-archive.yml"
    path.write_text("version: 1\nprofiles:\n  default:\n    extends: env\n"
                    "    deny: [ContainerArchive]\n")
    p = proxy(POLICY_FILE=path, CONTAINERS=1, POST=1)
    body = json.dumps({"Resource": "/etc/hostname"}).encode()
    rsp = p.request(f"POST /v1.23/containers/{cid}/copy HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    assert b"hostname" not in rsp.body, rsp
    assert rsp.status == 403, rsp
    assert "judges API versions from 1.24 on" in rsp.body.decode(), rsp


def test_a_closed_gate_under_a_preset_says_it_narrows_nothing(proxy, sleeper):
    """PROFILE=dozzle ALLOW_LOGS=0: the gate denies logs in env mode, but
    a setting never narrows a preset, so the logs stay served; the
    startup log (and so dockgate check) must say so, not leave the setting
    to read as if it closed them."""
    p = proxy(PROFILE="dozzle", ALLOW_LOGS=0)
    rsp = p.request(f"GET /v1.41/containers/{sleeper}/logs?stdout=1 HTTP/1.1\r\n"
                    "Host: x\r\n\r\n".encode())
    assert rsp.status == 200 and b"hello-log" in rsp.body, rsp
    log = p.stderr()
    assert ("PROFILE=dozzle: the closed gate ALLOW_LOGS does not narrow the preset: "
            "ContainerLogs stays allowed (deny it in a policy file profile that extends "
            "dozzle)") in log, log


# Requests a client of PROFILE=traefik (ContainerList, ContainerInspect,
# SystemEvents, SystemVersion, ping) tries in order to reach another
# operation; "{id}" is a running container. Each must be refused by dockgate
# itself (400 or 403), so that the daemon never runs it.
HELD = [
    ("logs", "GET", "/v1.41/containers/{id}/logs?stdout=1", 403),
    ("three-part version", "GET", "/v1.41.0/containers/{id}/logs?stdout=1", 403),
    ("one-part version", "GET", "/v1/containers/{id}/logs", 400),
    ("empty version", "GET", "/v./containers/{id}/logs", 400),
    ("upper-case version (daemon: 404)", "GET", "/V1.41/containers/json", 403),
    ("lower-case method (daemon: 404)", "get", "/v1.41/containers/json", 400),
    ("HEAD of a GET route (daemon: 404)", "HEAD", "/v1.41/containers/json", 403),
    ("OPTIONS on any path", "OPTIONS", "/v1.41/containers/{id}/exec", 403),
    ("dot segment", "GET", "/v1.41/containers/json/../{id}/logs", 400),
    ("empty segment", "GET", "/v1.41/containers//{id}/logs", 400),
    ("encoded slash", "GET", "/v1.41/containers/{id}%2Flogs", 400),
    ("encoded dot", "GET", "/v1.41/containers/%2e%2e/{id}/logs", 400),
    ("encoded letters", "GET", "/v1.41/containers/{id}/%6cogs?stdout=1", 403),
    ("name that spans into the action", "GET", "/v1.41/containers/{id}/json/logs", 403),
    ("unversioned /libpod twin", "GET", "/libpod/containers/{id}/logs", 403),
    ("versioned /libpod twin", "GET", "/v4.0.0/libpod/containers/{id}/json", 403),
    ("Podman-style version", "GET", "/v4.0.0-dev/libpod/containers/json", 403),
    ("debug, any method", "PATCH", "/debug/vars", 403),
    ("fragment", "GET", "/v1.41/containers/json#x", 400),
]


@pytest.mark.parametrize("method,target,status", [r[1:] for r in HELD],
                         ids=[r[0] for r in HELD])
def test_traefik_profile_refuses(proxy, sleeper, method, target, status):
    p = proxy(PROFILE="traefik")
    rsp = p.request(f"{method} {target.format(id=sleeper)} HTTP/1.1\r\nHost: x\r\n\r\n"
                    .encode(), head_request=method == "HEAD")
    assert rsp.status == status, rsp
    assert b"hello-log" not in rsp.body, rsp
    assert rsp.header("Api-Version") is None, rsp  # dockgate answered, not the daemon


def test_query_json_reaches_the_daemon_and_the_log_escaped(proxy, sleeper):
    """JSON written unencoded in a query is forwarded as sent and read by
    the daemon; a quote in a query key a denial quotes reaches neither the
    log nor the 403 body unescaped."""
    p = proxy(PROFILE="traefik", ALLOW_START=1)
    rsp = p.request(b'GET /v1.41/containers/json?filters={"status":["running"]} HTTP/1.1\r\n'
                    b"Host: x\r\n\r\n")
    assert rsp.status == 200, rsp
    assert sleeper in [c["Id"] for c in rsp.json()], rsp
    rsp = p.request(f'POST /v1.41/containers/{sleeper}/start?a"b]{{=1 HTTP/1.1\r\n'
                    "Host: x\r\nContent-Length: 0\r\n\r\n".encode())
    assert rsp.status == 403, rsp
    message = rsp.json()["message"]
    assert "query parameter 'a\"b]{' is not allowed by ALLOW_START" in message, message
    log = p.stderr()
    assert "query parameter 'a\\\"b]{' is not allowed by ALLOW_START" in log, log

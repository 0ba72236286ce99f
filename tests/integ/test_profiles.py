"""PROFILE=<preset> against the real daemon: every request is judged by the
operation it reaches, not by its section.

1. PROFILE=ping allows exactly ping and version: everything else gets a
   403 that names the operation and the profile, and the daemon is left
   as it was (no container created, started or removed).
2. A section setting at a value other than its default widens the preset
   by what it allows in env mode: PROFILE=ping CONTAINERS=1 reads
   containers (POST stays closed, as without a profile); the defaults
   (EVENTS=1 and the image's ENV of every variable) add nothing.
3. PROFILE takes only a preset's name, and says which.
"""

import pytest

from dockgate_testlib.daemon import unique
from dockgate_testlib.proxy import run_dockgate_once
from dockgate_testlib.rawhttp import http_request


def message(r):
    return r.json()["message"]


ALLOWED = [
    ("GET", "/_ping"),
    ("HEAD", "/_ping"),
    ("GET", "/v1.41/_ping"),
    ("GET", "/version"),
    ("GET", "/v1.40/version"),
]

# (method, path, operation named in the 403)
DENIED = [
    ("GET", "/containers/json", "ContainerList"),
    ("GET", "/v1.41/containers/json?all=1", "ContainerList"),
    ("GET", "/containers/SLEEPER/json", "ContainerInspect"),
    ("GET", "/containers/SLEEPER/logs?stdout=1", "ContainerLogs"),
    ("GET", "/containers/SLEEPER/archive?path=/etc/passwd", "ContainerArchive"),
    ("GET", "/containers/SLEEPER/export", "ContainerExport"),
    ("POST", "/containers/create?name=NAME", "ContainerCreate"),
    ("POST", "/v1.41/containers/SLEEPER/stop", "ContainerStop"),
    ("DELETE", "/containers/SLEEPER?force=1", "ContainerDelete"),
    ("GET", "/events?until=1", "SystemEvents"),
    ("GET", "/info", "SystemInfo"),
    ("GET", "/images/json", "ImageList"),
    ("POST", "/v1.41/containers/SLEEPER/exec", "ContainerExec"),
    ("GET", "/v4.0.0/libpod/_ping", "SystemPing (its /libpod twin)"),
]


def test_ping_profile_allows_ping_and_version_only(proxy, dockerd, sleeper):
    p = proxy(PROFILE="ping")
    for method, path in ALLOWED:
        r = p.request(http_request(method, path), head_request=method == "HEAD")
        assert r.status == 200, (method, path, r)
    before = dockerd.container_ids()
    name = unique("dgt-profile")
    for method, path, operation in DENIED:
        path = path.replace("SLEEPER", sleeper).replace("NAME", name)
        body = b"{}" if method == "POST" else b""
        headers = [("Content-Type", "application/json")] if body else []
        r = p.request(http_request(method, path, headers, body))
        assert r.status == 403, (method, path, r)
        m = message(r)
        assert f"{operation} is not allowed by profile ping" in m, m
        assert "preset ping" in m, m
    r = p.request(http_request("GET", "/v1.41/no/such/route"))
    assert r.status == 403 and "no operation of the Engine API" in message(r), r
    # the daemon is as it was: nothing created, the sleeper still runs
    assert dockerd.container_ids() == before
    st, info = dockerd.api("GET", f"/containers/{sleeper}/json")
    assert st == 200 and info["State"]["Running"], info
    assert "PROFILE=ping judges every request by route" in p.stderr()


def test_docker_cli_reads_the_denial(proxy):
    p = proxy(PROFILE="ping")
    r = p.docker("version", "--format", "{{.Server.APIVersion}}")
    assert r.rc == 0, r
    r = p.docker("ps")
    assert r.rc != 0
    assert "ContainerList is not allowed by profile ping" in r.err, r


def test_a_section_setting_widens_the_preset(proxy, dockerd, sleeper):
    p = proxy(PROFILE="ping", CONTAINERS=1)
    assert p.request(http_request("GET", "/containers/json")).status == 200
    r = p.request(http_request("GET", f"/v1.41/containers/{sleeper}/json"))
    assert r.status == 200 and r.json()["State"]["Running"], r
    assert p.request(http_request("GET", "/_ping")).status == 200
    # as in env mode: a section is read-only without POST=1
    before = dockerd.container_ids()
    r = p.request(http_request("POST", "/containers/create", [("Content-Type", "application/json")],
                               b"{}"))
    assert r.status == 403 and "POST=1" in message(r), r
    assert dockerd.container_ids() == before
    # what the defaults open adds nothing: EVENTS=1 is the default
    r = p.request(http_request("GET", "/events?until=1"))
    assert r.status == 403 and "SystemEvents is not allowed by profile ping" in message(r), r
    r = p.request(http_request("GET", "/images/json"))
    assert r.status == 403 and "ImageList" in message(r), r
    assert "widened by the settings at non-default values: CONTAINERS=1 on" in p.stderr()


def test_defaults_written_out_add_nothing(proxy):
    """The image sets every variable in ENV: defaults written out are no widening."""
    p = proxy(PROFILE="ping", EVENTS=1, PING=1, VERSION=1, CONTAINERS=0, POST=0)
    r = p.request(http_request("GET", "/events?until=1"))
    assert r.status == 403, r
    assert "no setting at a non-default value widens it" in p.stderr()


@pytest.mark.parametrize("value", ["nosuch", "PING", "ping "])
def test_profile_must_name_a_preset(value):
    rc, out = run_dockgate_once({"PROFILE": value})
    assert rc == 2, out
    assert f"PROFILE: '{value}' is not valid (use one of " in out and " ping" in out, out
    rc, out = run_dockgate_once({}, args=(f"--profile={value}",))
    assert rc == 2, out
    assert f"PROFILE (flag): '{value}' is not valid (use one of " in out, out


def test_empty_profile_is_none(proxy):
    p = proxy(PROFILE="")
    r = p.request(http_request("GET", "/containers/json"))
    assert r.status == 403 and "(set CONTAINERS=1)" in message(r), r

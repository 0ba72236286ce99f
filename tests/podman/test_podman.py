"""dockgate in front of Podman's Docker-compatible API: Podman as the upstream.

The compatibility part of the integration suite, with `podman system
service` as the upstream: the docker CLI through dockgate, every decision
checked against Podman's own state (reached without the proxy), plus the
libpod paths that LIBPOD=1 opens. What behaves differently from dockerd is
asserted as observed and described in the README's "Podman" section.
"""

import json
import time

import pytest

from dockgate_testlib.daemon import IMAGE, LineReader, denied_message, unique
from dockgate_testlib.fixtures import cli_params
from dockgate_testlib.net import wait_for
from dockgate_testlib.podman import podman_version
from dockgate_testlib.proxy import assert_denied
from dockgate_testlib.rawhttp import chunked, http_request

LIBPOD = "/v4.0.0/libpod"


def assert_ok(r):
    assert r.rc == 0, f"expected success: {r}"
    return r


def get(p, target, method="GET", body=b"", headers=()):
    hdrs = list(headers)
    if body:
        hdrs.append(("Content-Type", "application/json"))
    return p.request(http_request(method, target, headers=hdrs, body=body), timeout=30,
                     head_request=method == "HEAD")


def assert_403(rsp, *needles):
    """dockgate's own denial: 403, JSON message, nothing from Podman."""
    assert rsp.status == 403, rsp
    assert rsp.header("libpod-api-version") is None, f"the denial came from Podman: {rsp}"
    msg = rsp.json()["message"]
    assert msg.startswith("dockgate: ")
    for n in needles:
        assert n in msg, f"denial {msg!r} does not mention {n!r}"


def running(podman, cid):
    return podman.inspect(cid)["State"]["Running"]


# --------------------------------------------------------------------------
# the Docker-compatible API through dockgate
# --------------------------------------------------------------------------

@pytest.mark.parametrize("cli", cli_params())
def test_version_reports_podman(proxy, podman, cli):
    p = proxy()
    r = assert_ok(p.docker("version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}",
                           cli=cli))
    # Podman says its own version and the Docker API version it emulates.
    assert r.out.split() == [podman_version(), "1.41"]
    direct = podman.api("GET", "/version")[1]
    assert direct["Components"][0]["Name"] == "Podman Engine"


def test_ping_passes_podman_headers(proxy, podman):
    p = proxy()
    rsp = get(p, "/_ping")
    assert (rsp.status, rsp.body) == (200, b"OK")
    # Podman's /_ping answers with its own headers besides Docker's.
    assert rsp.header("api-version") == "1.41"
    assert rsp.header("libpod-api-version") == podman_version()
    assert rsp.header("server", "").startswith("Libpod/")
    head = get(p, "/_ping", method="HEAD")
    assert head.status == 200


@pytest.mark.parametrize("cli", cli_params())
def test_default_policy_denies_ps_and_images(proxy, cli):
    p = proxy()
    assert_denied(p.docker("ps", cli=cli), "GET", "/containers/json", "CONTAINERS=1")
    assert_denied(p.docker("images", cli=cli), "/images/json", "IMAGES=1")


def test_ps_and_images_allowed(proxy, podman, sleeper):
    p = proxy(CONTAINERS=1, IMAGES=1)
    r = assert_ok(p.docker("ps", "-a", "-q", "--no-trunc"))
    assert sorted(r.out.split()) == podman.container_ids()
    assert sleeper in r.out.split()
    r = assert_ok(p.docker("images", "--format", "{{.Repository}}:{{.Tag}}"))
    assert IMAGE in r.out.split()


@pytest.mark.parametrize("cli", cli_params())
def test_run_allowed_with_containers_and_post(proxy, podman, cli):
    p = proxy(CONTAINERS=1, POST=1)
    name = unique("dgt-run")
    r = assert_ok(p.docker("run", "--rm", "--network", "none", "--name", name, IMAGE,
                           "echo", "through-dockgate", cli=cli, timeout=60))
    assert r.out == "through-dockgate\n"
    wait_for(lambda: not podman.exists(name), 10, what="--rm to remove the container")


def test_run_denied_with_post_0_creates_nothing(proxy, podman):
    p = proxy(CONTAINERS=1)
    before = podman.container_ids()
    name = unique("dgt-denied")
    assert_denied(p.docker("run", "--rm", "--network", "none", "--name", name, IMAGE, "true"),
                  "POST /v1.41/containers/create", "POST=1")
    assert podman.container_ids() == before
    assert not podman.exists(name)


@pytest.mark.parametrize("cli", cli_params())
def test_exec_through_the_hijack(proxy, sleeper, cli):
    p = proxy(CONTAINERS=1, EXEC=1, POST=1)
    r = assert_ok(p.docker("exec", sleeper, "echo", "exec-ok", cli=cli))
    assert r.out == "exec-ok\n"
    # stdin, half-close and exit status through the upgraded connection.
    r = assert_ok(p.docker("exec", "-i", sleeper, "sh", "-c", "cat; echo done", input="abc\n",
                           cli=cli))
    assert r.out == "abc\ndone\n"
    r = p.docker("exec", sleeper, "sh", "-c", "exit 3", cli=cli)
    assert r.rc == 3, r


def test_exec_needs_exec(proxy, podman, sleeper):
    p = proxy(CONTAINERS=1, POST=1)
    marker = "/tmp/" + unique("marker")
    r = p.docker("exec", sleeper, "touch", marker)
    assert r.rc != 0, r
    # The 20.10 CLI drops the body of a refused hijack; newer ones print it.
    assert "EXEC=1" in denied_message(r.err) or "received 403" in r.err, r
    assert podman.cli("exec", sleeper, "ls", marker).rc != 0, "the denied exec ran anyway"
    st, ex = podman.api("POST", f"/containers/{sleeper}/exec", {"Cmd": ["true"]})
    assert st == 201, ex
    rsp = get(p, f"/exec/{ex['Id']}/start", method="POST", body=b'{"Detach":false,"Tty":false}')
    assert_403(rsp, "EXEC=1")


def test_logs(proxy, sleeper):
    p = proxy(CONTAINERS=1)
    r = assert_ok(p.docker("logs", sleeper))
    assert "hello-log" in r.out


def test_allow_start_and_stop_alone(proxy, podman, container):
    stopped = container(start=False)
    running_id = container()
    p = proxy(ALLOW_START=1)
    assert_ok(p.docker("start", stopped))
    assert running(podman, stopped)
    assert_denied(p.docker("stop", running_id), "ALLOW_STOP=1")
    assert running(podman, running_id)
    p = proxy(ALLOW_STOP=1)
    assert_ok(p.docker("stop", "-t", "5", running_id, timeout=30))
    assert not running(podman, running_id)
    assert_denied(p.docker("start", running_id), "ALLOW_START=1")
    assert not running(podman, running_id)


def test_events_stream(proxy, podman, container):
    p = proxy(IDLE_TIMEOUT=1, HEADER_TIMEOUT=1)
    ev = p.docker_popen("events", "--filter", "type=container",
                        "--format", "{{.ID}} {{.Action}}")
    try:
        reader = LineReader(ev.stdout)
        time.sleep(2.5)          # longer than the timeouts: the stream must stay open
        assert ev.poll() is None, f"docker events exited: {ev.stderr.read()!r}"
        cid = container()
        reader.wait_for(lambda line: line == f"{cid} start", 15)
    finally:
        if ev.poll() is None:
            ev.kill()
        ev.wait(5)


def test_classic_build(proxy, podman, tmp_path):
    """The 20.10 CLI's classic builder (POST /build); Podman builds with Buildah."""
    (tmp_path / "Dockerfile").write_text(f"FROM {IMAGE}\nLABEL dgtest=built\n")
    tag = unique("dgtest/built") + ":1"
    assert_denied(proxy(POST=1).docker("build", "-t", tag, str(tmp_path)), "BUILD=1")
    assert podman.api("GET", f"/images/{tag}/json")[0] == 404
    try:
        assert_ok(proxy(BUILD=1, POST=1).docker("build", "-t", tag, str(tmp_path), timeout=120))
        st, img = podman.api("GET", f"/images/{tag}/json")
        assert st == 200 and img["Config"]["Labels"]["dgtest"] == "built", img
    finally:
        podman.api("DELETE", f"/images/{tag}?force=1")


# --------------------------------------------------------------------------
# where Podman answers differently (see PODMAN_DIFFERS in conftest.py)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("chunk", [False, True], ids=["content-length", "chunked"])
def test_smuggled_request_is_only_a_body(proxy, podman, chunk):
    """An allowed POST whose body is a forbidden request: Podman reads it as
    a (bad) body and answers 500 where dockerd says 400; nothing is created."""
    cname, nname = unique("dgt-smuggled"), unique("dgt-hnet")
    smuggled = http_request("POST", f"/containers/create?name={cname}",
                            [("Content-Type", "application/json")],
                            json.dumps({"Image": IMAGE, "Cmd": ["true"]}).encode())
    hdrs = [("Content-Type", "application/json")]
    if chunk:
        hdrs.append(("Transfer-Encoding", "chunked"))
        req = http_request("POST", "/networks/create", hdrs, chunked(smuggled, [10, 1, 100]),
                           content_length=False)
    else:
        req = http_request("POST", "/networks/create", hdrs, smuggled)
    before = podman.container_ids()
    rsps, closed = proxy(POST=1, NETWORKS=1).exchange(req + b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n",
                                                       count=2)
    assert [r.status for r in rsps] == [500, 200], rsps
    assert b"invalid character 'P'" in rsps[0].body, rsps[0]
    assert not closed
    assert not podman.exists(cname)
    assert podman.container_ids() == before
    assert nname not in podman.networks()


def test_podman_routes_the_encoded_path(proxy, podman):
    """dockgate judges the once-decoded path, as dockerd routes it; Podman
    routes the encoded one, so an escape in a literal segment is a 404 there.
    That only ever fails closed: %2F and %2E are refused, so the segments
    Podman sees are the ones dockgate judged."""
    for target in ("/v%31.41/containers/json", "/%63ontainers/json"):
        assert podman.api("GET", target)[0] == 404
        rsp = get(proxy(CONTAINERS=1), target)
        assert (rsp.status, rsp.body) == (404, b"Not Found\n"), rsp
        assert_403(get(proxy(), target), "CONTAINERS=1")
    assert get(proxy(CONTAINERS=1), "/v1.41/containers/json").status == 200


# --------------------------------------------------------------------------
# what Podman does not have
# --------------------------------------------------------------------------

@pytest.mark.parametrize("target,setting", [("/session", "SESSION"), ("/grpc", "GRPC")])
def test_buildkit_endpoints_reach_podman_which_has_none(proxy, target, setting):
    assert_403(get(proxy(POST=1), target, method="POST"), f"{setting}=1")
    rsp = get(proxy(POST=1, **{setting: 1}), target, method="POST")
    # Go's plain NotFound: Podman's router has no such route.
    assert (rsp.status, rsp.body) == (404, b"Not Found\n"), rsp


def test_debug_denied_though_podman_has_none(proxy):
    rsp = get(proxy(LIBPOD=1, CONTAINERS=1, INFO=1, POST=1), "/debug/vars")
    assert_403(rsp, "never allowed")
    assert_403(get(proxy(LIBPOD=1, POST=1), LIBPOD + "/debug/vars"), "never allowed")


# --------------------------------------------------------------------------
# the libpod API: LIBPOD
# --------------------------------------------------------------------------

def test_libpod_denied_by_default(proxy, podman):
    assert podman.api("GET", LIBPOD + "/containers/json")[0] == 200
    assert_403(get(proxy(CONTAINERS=1), LIBPOD + "/containers/json"), "(set LIBPOD=1)")
    assert_403(get(proxy(), LIBPOD + "/containers/json"), "(set LIBPOD=1 and CONTAINERS=1)")
    assert_403(get(proxy(), LIBPOD + "/_ping"), "LIBPOD=1")


def test_libpod_allowed_with_libpod_and_containers(proxy, podman, sleeper):
    p = proxy(LIBPOD=1, CONTAINERS=1)
    rsp = get(p, LIBPOD + "/containers/json?all=true")
    assert rsp.status == 200, rsp
    assert rsp.header("libpod-api-version") == podman_version()
    assert sleeper in [c["Id"] for c in rsp.json()]
    assert get(p, LIBPOD + "/_ping").status == 200
    assert_403(get(proxy(LIBPOD=1), LIBPOD + "/containers/json"), "(set CONTAINERS=1)")


def test_libpod_unversioned_is_judged_and_404_upstream(proxy):
    # Podman routes libpod paths only under a version prefix.
    rsp = get(proxy(LIBPOD=1, CONTAINERS=1), "/libpod/containers/json")
    assert rsp.status == 404, rsp


def _libpod_spec(name):
    return json.dumps({"image": IMAGE, "name": name, "command": ["true"],
                       "netns": {"nsmode": "none"}}).encode()


def test_libpod_create_denied_with_post_0_creates_nothing(proxy, podman):
    p = proxy(LIBPOD=1, CONTAINERS=1)
    before = podman.container_ids()
    name = unique("dgt-libpod")
    rsp = get(p, LIBPOD + "/containers/create", method="POST", body=_libpod_spec(name))
    assert_403(rsp, "POST /v4.0.0/libpod/containers/create", "(set POST=1)")
    assert podman.container_ids() == before
    assert not podman.exists(name)


def test_libpod_create_and_start(proxy, podman):
    name = unique("dgt-libpod")
    p = proxy(LIBPOD=1, CONTAINERS=1, POST=1)
    rsp = get(p, LIBPOD + "/containers/create", method="POST", body=_libpod_spec(name))
    try:
        assert rsp.status == 201, rsp
        cid = rsp.json()["Id"]
        assert podman.exists(name)
        # ALLOW_START holds under /libpod too, and only with LIBPOD=1.
        assert_403(get(proxy(ALLOW_START=1), f"{LIBPOD}/containers/{cid}/start", method="POST"),
                   "or only LIBPOD=1 and ALLOW_START=1")
        assert podman.inspect(cid)["State"]["Status"] in ("created", "configured")
        rsp = get(proxy(LIBPOD=1, ALLOW_START=1), f"{LIBPOD}/containers/{cid}/start",
                  method="POST")
        assert rsp.status == 204, rsp
        wait_for(lambda: podman.inspect(cid)["State"]["Status"] == "exited", 10,
                 what="the started container to run `true`")
    finally:
        podman.remove(name)


def test_libpod_only_endpoints_stay_denied(proxy, podman):
    """LIBPOD=1 never opens a Podman-only section: each names its own
    LIBPOD_* switch (tests/podman/test_libpod_switches.py opens them)."""
    assert podman.api("GET", LIBPOD + "/pods/json")[0] == 200
    p = proxy(LIBPOD=1, POST=1, CONTAINERS=1, IMAGES=1, SYSTEM=1, INFO=1)
    for method, target, switch in (("GET", "/pods/json", "LIBPOD_PODS"),
                                   ("POST", "/play/kube", "LIBPOD_PLAY"),
                                   ("GET", "/generate/x/systemd", "LIBPOD_GENERATE"),
                                   ("GET", "/manifests/x/json", "LIBPOD_MANIFESTS")):
        assert_403(get(p, LIBPOD + target, method=method), f"(set {switch}=1)")
    assert_403(get(p, LIBPOD + "/kube/play", method="POST"), "no API section")
    assert_403(get(p, LIBPOD + "/libpod/containers/json"), "no API section")


def test_libpod_healthcheck_needs_post(proxy, sleeper):
    rsp = get(proxy(LIBPOD=1, CONTAINERS=1), f"{LIBPOD}/containers/{sleeper}/healthcheck")
    assert_403(rsp, "POST=1")
    # With POST=1 it reaches Podman, which has no health check to run here.
    rsp = get(proxy(LIBPOD=1, CONTAINERS=1, POST=1), f"{LIBPOD}/containers/{sleeper}/healthcheck")
    assert rsp.status != 403 and rsp.header("libpod-api-version") is not None, rsp


def test_libpod_exec_start_without_upgrade_is_a_tunnel(proxy, podman, sleeper):
    """Podman's own client starts an exec without Upgrade: the bare 200 that
    answers it is a hijack, as on Docker's route, and stdin must reach the
    process. Before, dockgate took it for a body that ends at the close and
    held the client's stdin back as if it were a pipelined request."""
    st, ex = podman.api("POST", f"{LIBPOD}/containers/{sleeper}/exec",
                        {"Cmd": ["sh", "-c", "head -n 1"], "AttachStdin": True,
                         "AttachStdout": True})
    assert st == 201, ex
    p = proxy(LIBPOD=1, CONTAINERS=1, EXEC=1, POST=1)
    body = b'{"Detach": false, "Tty": false}'
    c = p.connect()
    try:
        c.send(f"POST {LIBPOD}/exec/{ex['Id']}/start HTTP/1.1\r\nHost: x\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
               .encode() + body)
        _, status, _, headers, _ = c.read_head()
        assert status == 200, headers
        time.sleep(0.3)
        c.send(b"hello-stdin\n")
        assert b"hello-stdin" in c.read_until(b"hello-stdin", timeout=10)
    finally:
        c.close()

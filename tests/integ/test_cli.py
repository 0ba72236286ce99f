"""The real docker CLI through dockgate, over TCP and over a unix listener.

Every denial is checked twice: the CLI shows the proxy's 403 message, and the
daemon (asked directly) shows that nothing happened.
"""

import hashlib
import json
import os
import subprocess
import threading
import time

import pytest

from dockgate_testlib.daemon import IMAGE, LineReader, denied_message, make_rootfs_tar, unique
from dockgate_testlib.fixtures import cli_params
from dockgate_testlib.net import wait_for
from dockgate_testlib.procs import rss_kb
from dockgate_testlib.proxy import assert_denied
from dockgate_testlib.rawhttp import http_request

VIAS = ["tcp", "unix"]


def assert_ok(r):
    assert r.rc == 0, f"expected success: {r}"
    return r


def state(dockerd, cid):
    s = dockerd.inspect(cid)["State"]
    return {"Running": s["Running"], "StartedAt": s["StartedAt"], "Pid": s["Pid"]}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def stop_process(p):
    if p.poll() is None:
        p.kill()
    p.wait(5)


# --------------------------------------------------------------------------
# default policy: only version, ping and events
# --------------------------------------------------------------------------

@pytest.mark.parametrize("cli", cli_params())
@pytest.mark.parametrize("via", VIAS)
def test_default_policy_version_works(proxy, dockerd, via, cli):
    p = proxy()
    r = assert_ok(p.docker("version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}",
                           via=via, cli=cli))
    direct = dockerd.api("GET", "/version")[1]
    assert r.out.split() == [direct["Version"], direct["ApiVersion"]]


@pytest.mark.parametrize("via", VIAS)
def test_default_policy_ping(proxy, via):
    p = proxy()
    rsp = p.request(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n", via=via)
    assert (rsp.status, rsp.body) == (200, b"OK")
    rsp = p.request(b"HEAD /_ping HTTP/1.1\r\nHost: x\r\n\r\n", via=via, head_request=True)
    assert rsp.status == 200
    assert rsp.header("api-version"), rsp


@pytest.mark.parametrize("via", VIAS)
def test_default_policy_events(proxy, dockerd, container, via):
    p = proxy()
    since = int(time.time()) - 1
    cid = container(start=False)
    until = int(time.time()) + 1
    r = assert_ok(p.docker("events", "--since", since, "--until", until,
                           "--filter", f"container={cid}", "--format", "{{.ID}} {{.Action}}",
                           via=via, timeout=20))
    assert f"{cid} create" in r.out.splitlines(), r


@pytest.mark.parametrize("cli", cli_params())
@pytest.mark.parametrize("args,setting,path", [
    pytest.param(["ps"], "CONTAINERS=1", "/containers/json", id="ps"),
    pytest.param(["images"], "IMAGES=1", "/images/json", id="images"),
    pytest.param(["network", "ls"], "NETWORKS=1", "/networks", id="network-ls"),
    pytest.param(["volume", "ls"], "VOLUMES=1", "/volumes", id="volume-ls"),
])
@pytest.mark.parametrize("via", VIAS)
def test_default_policy_denies(proxy, args, setting, path, via, cli):
    p = proxy()
    r = p.docker(*args, via=via, cli=cli)
    msg = assert_denied(r, setting, path)
    assert "GET" in msg, f"denial message {msg!r} does not name the method"


@pytest.mark.parametrize("via", VIAS)
def test_default_policy_run_denied_nothing_created(proxy, dockerd, via):
    p = proxy()
    before = dockerd.container_ids()
    name = unique("dgt-denied")
    r = p.docker("run", "--rm", "--network", "none", "--name", name, IMAGE, "true", via=via)
    assert_denied(r)
    assert dockerd.container_ids() == before
    assert not dockerd.exists(name)


# --------------------------------------------------------------------------
# CONTAINERS=1: reading works, every write is refused
# --------------------------------------------------------------------------

@pytest.mark.parametrize("via", VIAS)
def test_containers_read(proxy, dockerd, sleeper, via):
    p = proxy(CONTAINERS=1)
    r = assert_ok(p.docker("ps", "-q", "--no-trunc", via=via))
    assert sleeper in r.out.split()
    r = assert_ok(p.docker("inspect", sleeper, via=via))
    assert json.loads(r.out)[0]["Id"] == sleeper
    r = assert_ok(p.docker("logs", sleeper, via=via))
    assert "hello-log" in r.out.splitlines()
    r = assert_ok(p.docker("ps", "-a", "--format", "{{.ID}}", "--no-trunc", via=via))
    assert sorted(r.out.split()) == dockerd.container_ids()


WRITE_ACTIONS = [
    pytest.param(lambda cid, name: ["run", "--network", "none", "--name", name, IMAGE, "true"], id="run"),
    pytest.param(lambda cid, name: ["create", "--network", "none", "--name", name, IMAGE, "true"], id="create"),
    pytest.param(lambda cid, name: ["rm", "-f", cid], id="rm"),
    pytest.param(lambda cid, name: ["restart", "-t", "1", cid], id="restart"),
    pytest.param(lambda cid, name: ["stop", "-t", "1", cid], id="stop"),
    pytest.param(lambda cid, name: ["kill", cid], id="kill"),
    pytest.param(lambda cid, name: ["wait", cid], id="wait"),
    pytest.param(lambda cid, name: ["rename", cid, name], id="rename"),
]


@pytest.mark.parametrize("action", WRITE_ACTIONS)
@pytest.mark.parametrize("via", VIAS)
def test_containers_writes_denied(proxy, dockerd, container, action, via):
    p = proxy(CONTAINERS=1)
    cid = container()
    name = unique("dgt-new")
    ids_before, state_before = dockerd.container_ids(), state(dockerd, cid)
    r = p.docker(*action(cid, name), via=via, timeout=20)
    assert_denied(r, "POST=1")
    assert dockerd.container_ids() == ids_before, "the container list changed"
    assert state(dockerd, cid) == state_before, "the container was stopped/restarted"
    assert state_before["Running"]
    assert not dockerd.exists(name)


# --------------------------------------------------------------------------
# POST=1 alone grants nothing
# --------------------------------------------------------------------------

@pytest.mark.parametrize("via", VIAS)
def test_post_alone_grants_nothing(proxy, dockerd, sleeper, via):
    p = proxy(POST=1)
    assert_denied(p.docker("ps", via=via), "CONTAINERS=1")
    ids, nets = dockerd.container_ids(), dockerd.networks()
    name = unique("dgt-post")
    assert_denied(p.docker("run", "--network", "none", "--name", name, IMAGE, "true", via=via),
                  "CONTAINERS=1")
    assert_denied(p.docker("rm", "-f", sleeper, via=via), "CONTAINERS=1")
    assert_denied(p.docker("network", "create", name, via=via), "NETWORKS=1")
    assert_denied(p.docker("volume", "create", name, via=via), "VOLUMES=1")
    assert dockerd.container_ids() == ids
    assert dockerd.networks() == nets
    assert name not in [v["Name"] for v in (dockerd.api("GET", "/volumes")[1]["Volumes"] or [])]
    assert dockerd.inspect(sleeper)["State"]["Running"]
    # ...while the default sections still work.
    assert_ok(p.docker("version", via=via))


# --------------------------------------------------------------------------
# NETWORKS=1 POST=1
# --------------------------------------------------------------------------

@pytest.mark.parametrize("via", VIAS)
def test_networks_ls_create_rm(proxy, dockerd, via):
    p = proxy(NETWORKS=1, POST=1)
    r = assert_ok(p.docker("network", "ls", "--format", "{{.Name}}", via=via))
    assert sorted(r.out.split()) == dockerd.networks()
    assert {"none", "host"} <= set(r.out.split())
    name = unique("dgt-net")
    assert_ok(p.docker("network", "create", name, via=via))
    assert name in dockerd.networks()
    r = assert_ok(p.docker("network", "inspect", "--format", "{{.Name}}", name, via=via))
    assert r.out.strip() == name
    assert_ok(p.docker("network", "rm", name, via=via))
    assert name not in dockerd.networks()
    # Containers stay closed.
    assert_denied(p.docker("ps", via=via), "CONTAINERS=1")


# --------------------------------------------------------------------------
# exec
# --------------------------------------------------------------------------

@pytest.mark.parametrize("cli", cli_params())
@pytest.mark.parametrize("via", VIAS)
def test_exec(proxy, sleeper, via, cli):
    p = proxy(CONTAINERS=1, EXEC=1, POST=1)
    r = assert_ok(p.docker("exec", sleeper, "echo", "hello-exec", via=via, cli=cli, timeout=20))
    assert r.out == "hello-exec\n"
    # stdin round trip: needs the hijacked tunnel and half-close propagation.
    r = assert_ok(p.docker("exec", "-i", sleeper, "cat", via=via, input="data\n", cli=cli, timeout=20))
    assert r.out == "data\n"
    r = p.docker("exec", sleeper, "sh", "-c", "echo to-stderr >&2; exit 3", via=via, cli=cli, timeout=20)
    assert r.rc == 3, r
    assert "to-stderr" in r.err


@pytest.mark.parametrize("via", VIAS)
def test_exec_stdin_larger_than_buffers(proxy, sleeper, via, tmp_path):
    p = proxy(CONTAINERS=1, EXEC=1, POST=1)
    data = os.urandom(3 * 1024 * 1024).hex()  # 6 MiB of text
    r = p.docker("exec", "-i", sleeper, "sha256sum", via=via, input=data, timeout=60)
    assert_ok(r)
    assert r.out.split()[0] == hashlib.sha256(data.encode()).hexdigest()


def test_exec_tty(proxy, sleeper):
    p = proxy(CONTAINERS=1, EXEC=1, POST=1)
    r = assert_ok(p.docker("exec", "-t", sleeper, "echo", "tty-out", timeout=20))
    assert r.out.replace("\r", "").strip() == "tty-out"


def exec_ids(dockerd, cid):
    """The container's execs. One that was created and never started stays
    listed; one that ran leaves the list when the daemon has seen it exit,
    so only IDs that appear are telling."""
    return set(dockerd.inspect(cid)["ExecIDs"] or [])


@pytest.mark.parametrize("cli", cli_params())
def test_exec_needs_exec_section(proxy, dockerd, sleeper, cli):
    """With EXEC=0 the start of an exec is a refused hijack, which the CLI
    reports as "unable to upgrade to tcp, received 403" without the reason:
    the create is refused instead, so the CLI prints the setting, and the
    daemon gets no exec to keep."""
    p = proxy(CONTAINERS=1, POST=1)
    before = exec_ids(dockerd, sleeper)
    marker = "/tmp/" + unique("marker")
    r = p.docker("exec", sleeper, "sh", "-c", f"echo x > {marker}", timeout=20, cli=cli)
    assert r.rc != 0, r
    msg = denied_message(r.err)
    assert msg.startswith("dockgate: POST /") and "/exec is denied" in msg, r
    assert "(set EXEC=1)" in msg, r
    assert not exec_ids(dockerd, sleeper) - before, "an exec was created"
    probe = dockerd.cli("exec", sleeper, "ls", marker)
    assert probe.rc != 0, f"the denied exec ran anyway: {marker} exists"
    # An exec made behind the proxy's back still cannot be started.
    st, ex = dockerd.api("POST", f"/containers/{sleeper}/exec", {"Cmd": ["true"]})
    assert st == 201, ex
    rsp = p.request(http_request("POST", f"/exec/{ex['Id']}/start", [("Content-Type", "application/json")],
                                 b'{"Detach":false,"Tty":false}'))
    assert rsp.status == 403, rsp
    assert "EXEC=1" in rsp.json()["message"], rsp
    assert dockerd.api("GET", f"/exec/{ex['Id']}/json")[1]["Running"] is False


@pytest.mark.parametrize("cli", cli_params())
def test_exec_denial_names_every_setting_it_needs(proxy, dockerd, sleeper, cli):
    """The first denial of docker exec names what the whole operation
    needs, not one setting per attempt."""
    p = proxy(CONTAINERS=1)
    before = exec_ids(dockerd, sleeper)
    r = p.docker("exec", sleeper, "true", timeout=20, cli=cli)
    assert r.rc != 0, r
    assert "(set POST=1; starting it also needs EXEC=1)" in denied_message(r.err), r
    assert not exec_ids(dockerd, sleeper) - before, "an exec was created"


# --------------------------------------------------------------------------
# ALLOW_START / ALLOW_STOP / ALLOW_RESTARTS, each alone
# --------------------------------------------------------------------------

def test_allow_start_alone(proxy, dockerd, container):
    p = proxy(ALLOW_START=1)
    running, stopped = container(), container(start=False)
    before = state(dockerd, running)
    assert_denied(p.docker("stop", "-t", "1", running))
    assert_denied(p.docker("restart", "-t", "1", running))
    assert_denied(p.docker("kill", running))
    assert state(dockerd, running) == before
    assert_denied(p.docker("ps"), "CONTAINERS=1")
    assert_denied(p.docker("rm", "-f", stopped))
    assert dockerd.exists(stopped)
    assert not dockerd.inspect(stopped)["State"]["Running"]
    assert_ok(p.docker("start", stopped))
    assert dockerd.inspect(stopped)["State"]["Running"]


def test_allow_stop_alone(proxy, dockerd, container):
    p = proxy(ALLOW_STOP=1)
    running, stopped = container(), container(start=False)
    before = state(dockerd, running)
    assert_denied(p.docker("restart", "-t", "1", running))
    assert_denied(p.docker("kill", running))
    assert state(dockerd, running) == before
    assert_denied(p.docker("start", stopped))
    assert not dockerd.inspect(stopped)["State"]["Running"]
    assert_denied(p.docker("ps"), "CONTAINERS=1")
    assert_ok(p.docker("stop", "-t", "5", running))
    assert not dockerd.inspect(running)["State"]["Running"]


def test_allow_restarts_alone(proxy, dockerd, container):
    p = proxy(ALLOW_RESTARTS=1)
    a, b, stopped = container(), container(), container(start=False)
    assert_denied(p.docker("start", stopped))
    assert not dockerd.inspect(stopped)["State"]["Running"]
    assert_denied(p.docker("ps"), "CONTAINERS=1")
    assert_denied(p.docker("rm", "-f", stopped))
    assert dockerd.exists(stopped)
    before = state(dockerd, a)
    time.sleep(1.1)  # StartedAt must be able to differ
    assert_ok(p.docker("restart", "-t", "5", a))
    after = state(dockerd, a)
    assert after["Running"] and after["StartedAt"] != before["StartedAt"], (before, after)
    assert_ok(p.docker("stop", "-t", "5", a))
    assert not dockerd.inspect(a)["State"]["Running"]
    assert_ok(p.docker("kill", b))
    wait_for(lambda: not dockerd.inspect(b)["State"]["Running"], 10, what="killed container to stop")


# --------------------------------------------------------------------------
# streaming
# --------------------------------------------------------------------------

@pytest.mark.parametrize("via", VIAS)
def test_events_stream_sees_new_container(proxy, dockerd, container, via):
    # Short timeouts prove that a long-lived stream is not cut by them.
    p = proxy(IDLE_TIMEOUT=1, HEADER_TIMEOUT=1)
    ev = p.docker_popen("events", "--filter", "type=container", "--format", "{{.ID}} {{.Action}}",
                        via=via)
    try:
        reader = LineReader(ev.stdout)
        time.sleep(2.5)
        assert ev.poll() is None, f"docker events exited: {ev.stderr.read()!r}"
        cid = container()
        reader.wait_for(lambda line: line == f"{cid} start", 15)
        assert ev.poll() is None
    finally:
        stop_process(ev)


@pytest.mark.parametrize("cli", cli_params())
def test_logs_follow(proxy, dockerd, container, cli):
    p = proxy(CONTAINERS=1, IDLE_TIMEOUT=1, HEADER_TIMEOUT=1)
    cid = container(["sh", "-c", "echo first; while [ ! -e /tmp/go ]; do sleep 0.1; done; "
                                 "echo second; sleep 100000"])
    lf = p.docker_popen("logs", "-f", cid, cli=cli)
    try:
        reader = LineReader(lf.stdout)
        reader.wait_for(lambda line: line == "first", 10)
        time.sleep(2.5)
        assert dockerd.cli("exec", cid, "sh", "-c", ": > /tmp/go").rc == 0
        reader.wait_for(lambda line: line == "second", 10)
        assert lf.poll() is None
    finally:
        stop_process(lf)


@pytest.mark.parametrize("via", VIAS)
def test_attach_running_container(proxy, container, via):
    p = proxy(CONTAINERS=1, POST=1)
    cid = container(["cat"], "-i")
    at = p.docker_popen("attach", cid, via=via, stdin=subprocess.PIPE)

    def send(line):
        try:
            at.stdin.write(line)
            at.stdin.flush()
        except BrokenPipeError:
            at.wait(5)
            raise AssertionError(f"docker attach exited with {at.returncode}: {at.stderr.read()!r}")
    try:
        reader = LineReader(at.stdout)
        time.sleep(0.5)
        send(b"ping-attach\n")
        reader.wait_for(lambda line: line == "ping-attach", 10)
        send(b"second-line\n")
        reader.wait_for(lambda line: line == "second-line", 10)
    finally:
        stop_process(at)


@pytest.mark.parametrize("cli", cli_params())
@pytest.mark.parametrize("via", VIAS)
def test_start_attach_stdin_roundtrip(proxy, dockerd, container, via, cli):
    p = proxy(CONTAINERS=1, POST=1)
    cid = container(["cat"], "-i", start=False)
    r = assert_ok(p.docker("start", "-ai", cid, via=via, input="round-trip\n", cli=cli, timeout=20))
    assert r.out == "round-trip\n"
    wait_for(lambda: not dockerd.inspect(cid)["State"]["Running"], 10, what="cat to exit on EOF")


# --------------------------------------------------------------------------
# data integrity
# --------------------------------------------------------------------------

@pytest.mark.parametrize("cli", cli_params())
@pytest.mark.parametrize("via", VIAS)
def test_save_identical(proxy, dockerd, tmp_path, via, cli):
    p = proxy(IMAGES=1)
    direct, through = tmp_path / "direct.tar", tmp_path / "proxy.tar"
    assert_ok(dockerd.cli("save", "-o", direct, IMAGE))
    assert_ok(p.docker("save", "-o", through, IMAGE, via=via, cli=cli))
    assert direct.stat().st_size > 1_000_000
    assert sha256_file(through) == sha256_file(direct)


@pytest.fixture(scope="module")
def big_image(dockerd, busybox, session_dir):
    """A ~100 MB image saved to a tar (direct), then removed from the daemon."""
    blob = session_dir / "big.bin"
    with open(blob, "wb") as f:
        for _ in range(100):
            f.write(os.urandom(1 << 20))
    rootfs = session_dir / "big-rootfs.tar"
    make_rootfs_tar(rootfs, {"data/big.bin": str(blob)})
    tag = "dgtest/big:1"
    assert_ok(dockerd.cli("import", rootfs, tag, timeout=300))
    image_id = json.loads(dockerd.cli("image", "inspect", tag).out)[0]["Id"]
    saved = session_dir / "big-saved.tar"
    assert_ok(dockerd.cli("save", "-o", saved, tag, timeout=300))
    os.unlink(blob)
    os.unlink(rootfs)
    yield {"tag": tag, "id": image_id, "tar": saved, "sha": sha256_file(saved)}
    dockerd.cli("rmi", "-f", tag)
    os.unlink(saved)


def test_load_and_save_100mb(proxy, dockerd, big_image, tmp_path):
    p = proxy(IMAGES=1, POST=1)
    assert_ok(dockerd.cli("rmi", "-f", big_image["tag"]))
    assert dockerd.api("GET", f"/images/{big_image['tag']}/json")[0] == 404
    assert os.path.getsize(big_image["tar"]) > 100_000_000
    # Bodies stream through fixed buffers: the proxy's memory must not grow
    # with the 100 MB passing through it (sanitizer builds carry their own
    # shadow memory, hence the generous bound).
    rss_before = rss_kb(p.proc.pid)
    peak = [rss_before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(p.proc.pid))
            time.sleep(0.02)
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        r = assert_ok(p.docker("load", "-i", big_image["tar"], timeout=300))
    finally:
        done.set()
        sampler.join()
    assert peak[0] - rss_before < 32 * 1024, \
        f"proxy RSS grew by {peak[0] - rss_before} KiB while loading 100 MB"
    assert big_image["tag"] in r.out
    st, info = dockerd.api("GET", f"/images/{big_image['tag']}/json")
    assert st == 200 and info["Id"] == big_image["id"]
    out = tmp_path / "big-through.tar"
    assert_ok(p.docker("save", "-o", out, big_image["tag"], timeout=300))
    assert sha256_file(out) == big_image["sha"]


@pytest.mark.parametrize("via", VIAS)
def test_cp_roundtrip(proxy, dockerd, sleeper, tmp_path, via):
    p = proxy(CONTAINERS=1, POST=1)
    src = tmp_path / "in.bin"
    src.write_bytes(os.urandom(8 * 1024 * 1024 + 123))
    want = sha256_file(src)
    dest = "/tmp/" + unique("cp") + ".bin"
    assert_ok(p.docker("cp", src, f"{sleeper}:{dest}", via=via, timeout=60))
    r = assert_ok(dockerd.cli("exec", sleeper, "sha256sum", dest))
    assert r.out.split()[0] == want, "the file inside the container differs"
    back = tmp_path / "out.bin"
    assert_ok(p.docker("cp", f"{sleeper}:{dest}", back, via=via, timeout=60))
    assert sha256_file(back) == want


def test_cp_denied_without_post(proxy, dockerd, sleeper, tmp_path):
    p = proxy(CONTAINERS=1)
    src = tmp_path / "in.bin"
    src.write_bytes(b"x" * 1000)
    dest = "/tmp/" + unique("cp-denied")
    assert_denied(p.docker("cp", src, f"{sleeper}:{dest}"), "POST=1")
    assert dockerd.cli("exec", sleeper, "ls", dest).rc != 0


# --------------------------------------------------------------------------
# concurrency
# --------------------------------------------------------------------------

def test_50_concurrent_cli_clients(proxy, sleeper):
    p = proxy(CONTAINERS=1)
    procs = [p.docker_popen("inspect", "--format", "{{.Id}}", sleeper, via=("tcp", "unix")[i % 2])
             for i in range(50)]
    results = []
    for pr in procs:
        try:
            out, err = pr.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            pr.kill()
            out, err = pr.communicate()
        results.append((pr.returncode, out.decode().strip(), err.decode()[-300:]))
    bad = [r for r in results if r[:2] != (0, sleeper)]
    assert not bad, f"{len(bad)} of 50 clients failed: {bad[:5]}"


def test_50_concurrent_raw_keepalive_clients(proxy, sleeper):
    p = proxy(CONTAINERS=1)
    conns = [p.connect(("tcp", "unix")[i % 2]) for i in range(50)]
    try:
        for rnd in range(3):
            for c in conns:
                c.send(b"GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n")
            for i, c in enumerate(conns):
                rsp = c.read_response(timeout=30)
                assert rsp.status == 200, f"round {rnd} client {i}: {rsp}"
                assert sleeper in [x["Id"] for x in rsp.json()]
    finally:
        for c in conns:
            c.close()

"""The gates (ALLOW_ARCHIVE, ALLOW_CHANGES, ALLOW_EXPORT, ALLOW_LOGS,
ALLOW_TOP, ALLOW_ATTACH, ALLOW_EXEC, ALLOW_KILL), the pause grants and the
method switches, with the real docker CLI against the real daemon.

Every gate is checked closed and open with CONTAINERS=1 POST=1 EXEC=1, which
without any gate variable opens all of it (docker-socket-proxy's contract).
Closed: the CLI fails with dockgate's message naming the gate, and the
daemon (asked directly) shows that nothing happened. Open: the command works.
"""

import re
import subprocess
import time

import pytest

from dockgate_testlib.daemon import IMAGE, LineReader, unique
from dockgate_testlib.fixtures import cli_params
from dockgate_testlib.net import wait_for
from dockgate_testlib.proxy import assert_denied
from dockgate_testlib.rawhttp import http_request

# Every gate closed: any gate variable present closes the gates not set to 1.
OPEN_SECTION = {"CONTAINERS": 1, "POST": 1, "EXEC": 1}


def gated(**open_gates):
    """The settings with every gate closed but the ones given."""
    return {**OPEN_SECTION, "ALLOW_PAUSE": 0, **open_gates}


def assert_ok(r):
    assert r.rc == 0, f"expected success: {r}"
    return r


def exec_ids(dockerd, cid):
    return set(dockerd.inspect(cid)["ExecIDs"] or [])


def running(dockerd, cid):
    s = dockerd.inspect(cid)["State"]
    return s["Running"], s["Paused"], s["Pid"], s["StartedAt"]


# --------------------------------------------------------------------------
# docker-socket-proxy's contract while no gate variable is set
# --------------------------------------------------------------------------

# The gates that hand out a container's data, by the label the startup
# line's warnings give them, and what the warning says each risks.
DATA_GATES = {
    "archive": ("ALLOW_ARCHIVE", "files out of containers (docker cp)"),
    "changes": ("ALLOW_CHANGES", "leaks which files a container changed"),
    "export": ("ALLOW_EXPORT", "files out: a container's whole filesystem"),
    "logs": ("ALLOW_LOGS", "leaks what containers print (tokens, passwords)"),
    "top": ("ALLOW_TOP", "leaks process command lines, which may hold secrets"),
    "attach": ("ALLOW_ATTACH", "reads a container's output and writes to its stdin"),
}


def env_profile_line(log):
    """The startup line that says what the settings' profile grants."""
    lines = [l for l in log.splitlines() if "policy: profile env: " in l]
    assert len(lines) == 1, log
    return lines[0]


def assert_data_routes(log, open_gates):
    """The startup line warns of exactly the data gates in open_gates,
    each with the gate variable that closes it."""
    line = env_profile_line(log)
    for label, (setting, risk) in DATA_GATES.items():
        warning = f"{label} ({risk}; {setting}=0 or CONTAINERS=0 closes it)"
        if label in open_gates:
            assert warning in line, line
        else:
            assert not re.search(rf"(warnings: |, ){label} \(", line), line


def test_no_gate_set_opens_the_section(proxy, dockerd, sleeper, tmp_path):
    p = proxy(**OPEN_SECTION)
    assert "hello-log" in assert_ok(p.docker("logs", sleeper)).out
    assert_ok(p.docker("top", sleeper))
    assert_ok(p.docker("diff", sleeper))
    assert_ok(p.docker("cp", f"{sleeper}:/etc/hostname", tmp_path / "h"))
    log = p.stderr()
    assert_data_routes(log, set(DATA_GATES))
    assert "no gate variable is set" in log


def test_default_settings_open_no_data_route(proxy):
    log = proxy().stderr()
    assert_data_routes(log, set())
    assert env_profile_line(log).endswith("; no warnings"), log


def test_startup_log_names_what_is_open(proxy):
    log = proxy(**gated(ALLOW_LOGS=1, ALLOW_TOP=1)).stderr()
    assert_data_routes(log, {"logs", "top"})
    assert "gates not set to 1 are closed" in log


# --------------------------------------------------------------------------
# reads: logs, top, diff, export, cp
# --------------------------------------------------------------------------

@pytest.mark.parametrize("cli", cli_params())
def test_logs(proxy, sleeper, cli):
    closed = proxy(**gated())
    assert_denied(closed.docker("logs", sleeper, cli=cli), "/logs", "set ALLOW_LOGS=1")
    opened = proxy(**gated(ALLOW_LOGS=1))
    assert "hello-log" in assert_ok(opened.docker("logs", sleeper, cli=cli)).out


@pytest.mark.parametrize("cli", cli_params())
def test_top(proxy, sleeper, cli):
    assert_denied(proxy(**gated()).docker("top", sleeper, cli=cli), "set ALLOW_TOP=1")
    r = assert_ok(proxy(**gated(ALLOW_TOP=1)).docker("top", sleeper, cli=cli))
    assert "sleep 100000" in r.out


@pytest.mark.parametrize("cli", cli_params())
def test_diff(proxy, dockerd, sleeper, cli):
    marker = "/tmp/" + unique("diff")
    assert_ok(dockerd.cli("exec", sleeper, "sh", "-c", f": > {marker}"))
    assert_denied(proxy(**gated()).docker("diff", sleeper, cli=cli), "set ALLOW_CHANGES=1")
    r = assert_ok(proxy(**gated(ALLOW_CHANGES=1)).docker("diff", sleeper, cli=cli))
    assert f"A {marker}" in r.out.splitlines(), r


@pytest.mark.parametrize("cli", cli_params())
def test_export(proxy, sleeper, tmp_path, cli):
    out = tmp_path / "export.tar"
    assert_denied(proxy(**gated()).docker("export", "-o", out, sleeper, cli=cli),
                  "set ALLOW_EXPORT=1")
    assert not out.exists() or out.stat().st_size == 0, "the export wrote data"
    assert_ok(proxy(**gated(ALLOW_EXPORT=1)).docker("export", "-o", out, sleeper, cli=cli,
                                                    timeout=120))
    assert out.stat().st_size > 100_000


@pytest.mark.parametrize("cli", cli_params())
def test_cp_both_ways(proxy, dockerd, sleeper, tmp_path, cli):
    src = tmp_path / "in.txt"
    src.write_text("gate-in\n")
    dest = "/tmp/" + unique("cp")
    closed = proxy(**gated())
    assert_denied(closed.docker("cp", src, f"{sleeper}:{dest}", cli=cli), "set ALLOW_ARCHIVE=1")
    assert dockerd.cli("exec", sleeper, "ls", dest).rc != 0, "the file was copied in"
    back = tmp_path / "out.txt"
    assert_denied(closed.docker("cp", f"{sleeper}:/etc/hostname", back, cli=cli),
                  "set ALLOW_ARCHIVE=1")
    assert not back.exists()
    opened = proxy(**gated(ALLOW_ARCHIVE=1))
    assert_ok(opened.docker("cp", src, f"{sleeper}:{dest}", cli=cli))
    assert assert_ok(dockerd.cli("exec", sleeper, "cat", dest)).out == "gate-in\n"
    assert_ok(opened.docker("cp", f"{sleeper}:{dest}", back, cli=cli))
    assert back.read_text() == "gate-in\n"


def test_libpod_twin_is_gated_too(proxy, sleeper):
    """With LIBPOD=1 the /libpod path of a gated route is closed as well
    (the daemon answers it 404, but dockgate must not get that far)."""
    p = proxy(**gated(), LIBPOD=1)
    rsp = p.request(http_request("GET", f"/v4.0.0/libpod/containers/{sleeper}/logs?stdout=1"))
    assert rsp.status == 403, rsp
    assert "set ALLOW_LOGS=1" in rsp.json()["message"]
    rsp = p.request(http_request("GET", f"/v1.41/containers/{sleeper[:12]}/%6cogs?stdout=1"))
    assert rsp.status == 403, rsp
    assert "set ALLOW_LOGS=1" in rsp.json()["message"]


# --------------------------------------------------------------------------
# exec and attach: hijacks, refused at a step whose message the CLI prints
# --------------------------------------------------------------------------

@pytest.mark.parametrize("cli", cli_params())
def test_exec(proxy, dockerd, sleeper, cli):
    before = exec_ids(dockerd, sleeper)
    marker = "/tmp/" + unique("exec")
    r = proxy(**gated()).docker("exec", sleeper, "sh", "-c", f": > {marker}", cli=cli,
                                timeout=20)
    msg = assert_denied(r, "/exec is denied", "(set ALLOW_EXEC=1)")
    assert "docker exec" in msg
    assert not exec_ids(dockerd, sleeper) - before, "an exec was created"
    assert dockerd.cli("exec", sleeper, "ls", marker).rc != 0, "the denied exec ran"
    r = assert_ok(proxy(**gated(ALLOW_EXEC=1)).docker("exec", sleeper, "echo", "hi", cli=cli,
                                                      timeout=20))
    assert r.out == "hi\n"


def assert_attach_refused(p, r):
    """docker attach's only request that the gate refuses is the hijacked
    attach itself, and the docker CLI (moby client/hijack.go) reports any
    refusal of a hijack by its status alone; the access log and API
    clients that read the body get the reason."""
    assert r.rc != 0, r
    assert "unable to upgrade to tcp, received 403" in r.err, r
    assert "is denied: attaching to a container is closed by ALLOW_ATTACH " \
           "(set ALLOW_ATTACH=1)" in p.stderr()


@pytest.mark.parametrize("cli", cli_params())
def test_attach(proxy, dockerd, container, cli):
    cid = container(["cat"], "-i")
    closed = proxy(**gated())
    assert_attach_refused(closed, closed.docker("attach", cid, cli=cli, input="x\n", timeout=20))
    rsp = closed.request(http_request("POST", f"/v1.41/containers/{cid}/attach?stream=1&stdin=1",
                                      [("Upgrade", "tcp"), ("Connection", "Upgrade")]))
    assert rsp.status == 403, rsp
    assert "(set ALLOW_ATTACH=1)" in rsp.json()["message"]
    at = proxy(**gated(ALLOW_ATTACH=1)).docker_popen("attach", cid, cli=cli, stdin=subprocess.PIPE)
    try:
        reader = LineReader(at.stdout)
        time.sleep(0.5)
        at.stdin.write(b"via-gate\n")
        at.stdin.flush()
        reader.wait_for(lambda line: line == "via-gate", 10)
    finally:
        if at.poll() is None:
            at.kill()
        at.wait(5)


@pytest.mark.parametrize("cli", cli_params())
def test_start_attached_is_not_started(proxy, dockerd, container, cli):
    """docker start -a attaches first: refused there, nothing is started."""
    cid = container(["cat"], "-i", start=False)
    p = proxy(**gated())
    assert_attach_refused(p, p.docker("start", "-ai", cid, cli=cli, input="x\n", timeout=20))
    assert not dockerd.inspect(cid)["State"]["Running"]
    assert dockerd.inspect(cid)["State"]["StartedAt"].startswith("0001-"), "it was started"


def test_run_attached_is_created_not_started(proxy, dockerd):
    """docker run without -d creates, then attaches: the container the
    create made stays, never started (as the README says)."""
    name = unique("dgt-run")
    p = proxy(**gated())
    try:
        assert_attach_refused(p, p.docker("run", "-i", "--network", "none", "--name", name,
                                          IMAGE, "cat", input="x\n", timeout=30))
        state = dockerd.inspect(name)["State"]
        assert not state["Running"] and state["StartedAt"].startswith("0001-"), state
    finally:
        dockerd.cli("rm", "-f", name)


# --------------------------------------------------------------------------
# kill, pause, unpause
# --------------------------------------------------------------------------

def test_kill(proxy, dockerd, container):
    cid = container()
    before = running(dockerd, cid)
    assert_denied(proxy(**gated()).docker("kill", cid), "set ALLOW_KILL=1")
    assert running(dockerd, cid) == before
    assert_denied(proxy(**gated()).docker("kill", "-s", "HUP", cid), "set ALLOW_KILL=1")
    assert running(dockerd, cid) == before
    assert_ok(proxy(**gated(ALLOW_KILL=1)).docker("kill", cid))
    wait_for(lambda: not dockerd.inspect(cid)["State"]["Running"], 10, what="kill to stop it")


def test_allow_restarts_still_grants_kill(proxy, dockerd, container):
    """ALLOW_RESTARTS grants kill, as upstream does, with ALLOW_KILL closed."""
    cid = container()
    p = proxy(ALLOW_RESTARTS=1, ALLOW_LOGS=0)
    assert_ok(p.docker("kill", cid))
    wait_for(lambda: not dockerd.inspect(cid)["State"]["Running"], 10, what="kill to stop it")


def test_pause_unpause_grants(proxy, dockerd, container):
    """ALLOW_PAUSE and ALLOW_UNPAUSE grant one action each, with POST=0
    and CONTAINERS=0, as in linuxserver's image."""
    cid = container()
    assert_denied(proxy(CONTAINERS=1, ALLOW_PAUSE=0).docker("pause", cid), "POST=1")
    assert not dockerd.inspect(cid)["State"]["Paused"]
    p = proxy(ALLOW_PAUSE=1)
    assert_denied(p.docker("unpause", cid))
    assert_ok(p.docker("pause", cid))
    assert dockerd.inspect(cid)["State"]["Paused"]
    assert_denied(p.docker("unpause", cid), "POST=1")
    assert dockerd.inspect(cid)["State"]["Paused"]
    assert_ok(proxy(ALLOW_UNPAUSE=1).docker("unpause", cid))
    assert not dockerd.inspect(cid)["State"]["Paused"]


def test_pause_is_no_gate(proxy, dockerd, container):
    """linuxserver's ALLOW_PAUSE grants; it never takes pause from
    CONTAINERS=1 POST=1."""
    cid = container()
    p = proxy(**gated())
    assert_ok(p.docker("pause", cid))
    assert_ok(p.docker("unpause", cid))
    assert not dockerd.inspect(cid)["State"]["Paused"]


# --------------------------------------------------------------------------
# DELETE, PUT, PATCH beside POST
# --------------------------------------------------------------------------

def network_exists(dockerd, name):
    return dockerd.api("GET", f"/networks/{name}")[0] == 200


def test_post_alone_opens_delete_without_method_switches(proxy, dockerd):
    p = proxy(NETWORKS=1, POST=1)
    name = unique("dgt-net")
    assert_ok(p.docker("network", "create", name))
    assert_ok(p.docker("network", "rm", name))
    assert not network_exists(dockerd, name)


def test_method_switches(proxy, dockerd):
    name = unique("dgt-net")
    p = proxy(NETWORKS=1, POST=1, DELETE=0)
    try:
        assert_ok(p.docker("network", "create", name))
        assert_denied(p.docker("network", "rm", name), "DELETE", "(set DELETE=1)")
        assert network_exists(dockerd, name)
        q = proxy(NETWORKS=1, DELETE=1)
        assert_denied(q.docker("network", "create", unique("dgt-net")), "(set POST=1)")
        assert_ok(q.docker("network", "rm", name))
        assert not network_exists(dockerd, name)
    finally:
        dockerd.cli("network", "rm", name)


def test_put_switch_is_docker_cp_in(proxy, dockerd, sleeper, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("put\n")
    dest = "/tmp/" + unique("put")
    p = proxy(CONTAINERS=1, POST=1, DELETE=1)
    assert_denied(p.docker("cp", src, f"{sleeper}:{dest}"), "(set PUT=1)")
    assert dockerd.cli("exec", sleeper, "ls", dest).rc != 0
    assert_ok(proxy(CONTAINERS=1, PUT=1).docker("cp", src, f"{sleeper}:{dest}"))
    assert assert_ok(dockerd.cli("exec", sleeper, "cat", dest)).out == "put\n"

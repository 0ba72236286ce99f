"""Profiles per listener and per client: one dockgate serves each client
with the profile the policy file's clients: entries give it - by the unix
socket it connects to, by its peer uid or gid (SO_PEERCRED), by its TCP
source address - else with the file's "default", else, on a listener
that has entries, with a 403 naming the listener and the client, else
with the environment's policy. Against the real daemon and CLI."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from dockgate_testlib.daemon import run_cli, unique
from dockgate_testlib.net import free_port
from dockgate_testlib.proxy import assert_denied, needs_real_proxy
from dockgate_testlib.rawhttp import RawConn, http_request
from dockgate_testlib.settings import DOCKER_CLI, REPO

NOBODY = 65534

# Two profiles a reviewer can tell apart: one lists containers, one reads
# the daemon's info. Both answer the CLI's ping and version.
PROFILES = """version: 1
profiles:
  lister:
    allow: [SystemPing, SystemPingHead, SystemVersion, ContainerList]
  informer:
    allow: [SystemPing, SystemPingHead, SystemVersion, SystemInfo]
"""

LIST = http_request("GET", "/v1.41/containers/json")
INFO = http_request("GET", "/v1.41/info")


@pytest.fixture(autouse=True)
def _real_proxy():
    needs_real_proxy()


@pytest.fixture
def world_tmp():
    """A directory other uids may traverse (the session directory is 0700)."""
    d = Path(tempfile.mkdtemp(prefix="dgt-bind-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write_policy(directory, clients):
    path = directory / "policy.yml"
    path.write_text(PROFILES + "clients:\n" + clients)
    return path


def ask(addr, data, source=None):
    """One request on a new connection (from source address, TCP); the response."""
    if source is None:
        c = RawConn.open(addr)
    else:
        s = socket.socket()
        s.settimeout(10)
        s.bind((source, 0))
        s.connect(addr)
        c = RawConn(s)
    try:
        c.send(data)
        return c.read_response()
    finally:
        c.close()


ASK_AS = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode())
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(65536)
head, body = data.split(b"\r\n\r\n", 1)
length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
while length and len(body) < length[0]:
    body += s.recv(65536)
print(json.dumps({"status": int(head.split()[1]), "body": body.decode(errors="replace")}))
"""


def ask_as(uid, gid, groups, path, data):
    """One request on path from a process of uid and gid (with these
    supplementary groups): (status, body)."""
    def pre():
        os.setgroups(groups)
        os.setgid(gid)
        os.setuid(uid)
    cp = subprocess.run([sys.executable, "-c", ASK_AS, str(path), data.decode()],
                        preexec_fn=pre, capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0, cp.stderr
    out = json.loads(cp.stdout)
    return out["status"], out["body"]


def test_one_socket_per_client_each_with_its_profile(proxy, session_dir):
    """The recipe's shape: two clients, each on a socket of its own, each
    served by its own profile, by the real CLI."""
    a, b = session_dir / f"a{free_port()}.sock", session_dir / f"b{free_port()}.sock"
    policy = write_policy(session_dir, f"  - listener: unix://{a}\n    profile: lister\n"
                                       f"  - listener: unix://{b}\n    profile: informer\n")
    p = proxy(listen=f"unix://{a},unix://{b}", POLICY_FILE=policy)
    conf = str(session_dir / "cliconf")
    r = run_cli(DOCKER_CLI, f"unix://{a}", ["ps"], config_dir=conf)
    assert r.rc == 0, r
    assert_denied(run_cli(DOCKER_CLI, f"unix://{a}", ["network", "ls"], config_dir=conf),
                  "NetworkList is not allowed by profile lister")
    rsp = ask(str(a), INFO)
    assert rsp.status == 403 and b"SystemInfo is not allowed by profile lister" in rsp.body, rsp
    r = run_cli(DOCKER_CLI, f"unix://{b}", ["info", "--format", "{{.ID}}"], config_dir=conf)
    assert r.rc == 0 and r.out.strip(), r
    assert_denied(run_cli(DOCKER_CLI, f"unix://{b}", ["ps"], config_dir=conf),
                  "ContainerList is not allowed by profile informer")
    log = p.stderr()
    # The access line names the profile that judged the request.
    assert any("/containers/json" in ln and "allow(lister)" in ln and ln.endswith(" profile=lister")
               for ln in log.splitlines()), log[-3000:]
    assert any("/containers/json" in ln and "DENY" in ln and ln.endswith("profile=informer")
               for ln in log.splitlines()), log[-3000:]


def test_profile_per_uid_and_gid_on_one_socket(proxy, world_tmp, dockerd):
    """One unix socket: root gets lister, a client of group 65534 gets
    informer, and one no entry names gets a 403 naming it and the
    listener, with the daemon unchanged."""
    sock = world_tmp / "dg.sock"
    policy = write_policy(world_tmp, f"  - listener: unix://{sock}\n    uid: [0]\n"
                                     "    profile: lister\n"
                                     f"  - listener: unix://{sock}\n    gid: [{NOBODY}]\n"
                                     "    profile: informer\n")
    p = proxy(listen=f"unix://{sock}", POLICY_FILE=policy, LISTEN_GROUP=NOBODY, CONTAINERS=1,
              POST=1)
    assert ask(str(sock), LIST).status == 200
    rsp = ask(str(sock), INFO)
    assert rsp.status == 403 and b"SystemInfo is not allowed by profile lister" in rsp.body, rsp
    # uid 1234 in group 65534: the gid entry.
    st, body = ask_as(1234, NOBODY, [], sock, INFO)
    assert st == 200, body
    st, body = ask_as(1234, NOBODY, [], sock, LIST)
    assert st == 403 and "ContainerList is not allowed by profile informer" in body, body
    # uid and gid 4321, reaching the socket by a supplementary group: no
    # entry matches and there is no default. The environment's policy
    # (CONTAINERS=1 POST=1 here) does not serve it either.
    name = unique("dgt-unmatched")
    create = http_request("POST", f"/v1.41/containers/create?name={name}",
                          [("Content-Type", "application/json")],
                          body=json.dumps({"Image": "busybox", "Cmd": ["true"]}))
    before = dockerd.container_ids()
    for data in (LIST, create):
        st, body = ask_as(4321, 4321, [NOBODY], sock, data)
        assert st == 403, body
        assert ("no profile of the policy file matches this client (uid 4321, gid 4321) "
                f"on listener unix://{sock}") in body, body
    assert dockerd.container_ids() == before and not dockerd.exists(name)
    assert p.alive()


def test_profile_per_source_address_on_tcp(proxy, session_dir, dockerd):
    """CIDR entries on a TCP listener: 127.0.0.1/32 lists, 127.0.0.2 reads
    the info, 127.0.0.3 matches nothing and gets the 403; a unix listener
    the file says nothing of is the environment's."""
    port = free_port()
    tcp, unix = f"tcp://127.0.0.1:{port}", session_dir / f"env{port}.sock"
    policy = write_policy(session_dir, f"  - listener: {tcp}\n    from: [127.0.0.1/32]\n"
                                       "    profile: lister\n"
                                       f"  - listener: {tcp}\n    from: [127.0.0.2]\n"
                                       "    profile: informer\n")
    p = proxy(listen=f"{tcp},unix://{unix}", POLICY_FILE=policy, INFO=1)
    addr = ("127.0.0.1", port)
    assert ask(addr, LIST, "127.0.0.1").status == 200
    assert ask(addr, INFO, "127.0.0.1").status == 403
    assert ask(addr, INFO, "127.0.0.2").status == 200
    rsp = ask(addr, LIST, "127.0.0.2")
    assert rsp.status == 403 and b"not allowed by profile informer" in rsp.body, rsp
    name = unique("dgt-unmatched")
    before = dockerd.container_ids()
    rsp = ask(addr, http_request("POST", f"/v1.41/containers/create?name={name}",
                                 [("Content-Type", "application/json")],
                                 body='{"Image":"busybox"}'), "127.0.0.3")
    assert rsp.status == 403, rsp
    assert (b"no profile of the policy file matches this client (address 127.0.0.3) on "
            b"listener " + tcp.encode()) in rsp.body, rsp
    assert dockerd.container_ids() == before and not dockerd.exists(name)
    # The unix listener has no entry: the environment's INFO=1 judges, and
    # its access line names no profile.
    assert ask(str(unix), INFO).status == 200
    assert ask(str(unix), LIST).status == 403
    lines = [ln for ln in p.stderr().splitlines() if '"GET /v1.41/info" allow(INFO)' in ln]
    assert lines and all("profile=" not in ln for ln in lines), lines


def test_default_serves_who_no_entry_names(proxy, session_dir):
    """With a profile named default, a client no entry matches gets it,
    not a 403."""
    port = free_port()
    tcp = f"tcp://127.0.0.1:{port}"
    path = session_dir / "default-policy.yml"
    path.write_text(PROFILES + "  default:\n    allow: [SystemPing, SystemInfo]\n"
                    f"clients:\n  - listener: {tcp}\n    from: [127.0.0.1/32]\n"
                    "    profile: lister\n")
    p = proxy(listen=tcp, POLICY_FILE=path)
    addr = ("127.0.0.1", port)
    assert ask(addr, LIST, "127.0.0.1").status == 200
    rsp = ask(addr, LIST, "127.0.0.5")
    assert rsp.status == 403 and b"not allowed by profile default" in rsp.body, rsp
    assert ask(addr, INFO, "127.0.0.5").status == 200
    assert any('"GET /v1.41/info" allow(default)' in ln and ln.endswith("profile=default")
               for ln in p.stderr().splitlines())


# --------------------------------------------------------------------------
# recipes/per-client.yml: one dockgate, one socket per client
# --------------------------------------------------------------------------

RECIPE = REPO / "recipes" / "per-client.yml"


def test_recipe_compose_config():
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (scripts/install-deps.sh installs it)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "COMPOSE_"))}
    env["DOCKER_GID"] = "999"
    cp = subprocess.run(["docker-compose", "-f", str(RECIPE), "config", "-q"], env=env,
                        capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0 and cp.stdout == "", cp.stderr


def test_recipe_serves_each_client_its_profile(proxy, session_dir, dockerd, sleeper):
    """The recipe's own settings and policy file, with its socket paths moved
    under the test's directory: Traefik's calls pass on Traefik's socket,
    Homepage's on Homepage's, and neither gets the other's operations or
    anything else, with the daemon unchanged."""
    doc = yaml.safe_load(RECIPE.read_text())
    env = {k: str(v) for k, v in doc["services"]["dockgate"]["environment"].items()}
    mounts = doc["services"]["dockgate"]["volumes"]
    source = next(v.split(":")[0] for v in mounts if v.endswith(":/etc/dockgate/policy.yml:ro"))
    run = session_dir / f"pc{free_port()}"
    for client in ("traefik", "homepage"):
        (run / client).mkdir(parents=True)
    policy = session_dir / "per-client-policy.yml"
    policy.write_text((RECIPE.parent / source).read_text().replace("/run/dockgate/", f"{run}/"))
    env["LISTEN"] = env["LISTEN"].replace("/run/dockgate/", f"{run}/")
    env["POLICY_FILE"] = str(policy)
    del env["LISTEN_GROUP"]  # the test's clients are root
    listen = env.pop("LISTEN")
    proxy(listen=listen, **env)
    traefik, homepage = run / "traefik" / "docker.sock", run / "homepage" / "docker.sock"
    sid = sleeper
    allowed = {
        traefik: [("HEAD", "/_ping"), ("GET", "/v1.41/version"),
                  ("GET", "/v1.41/containers/json"), ("GET", f"/v1.41/containers/{sid}/json")],
        homepage: [("GET", "/containers/json?all=1"), ("GET", f"/containers/{sid}/json"),
                   ("GET", f"/containers/{sid}/stats?stream=false")],
    }
    denied = {
        traefik: [("GET", f"/v1.41/containers/{sid}/stats?stream=false", "ContainerStats"),
                  ("GET", f"/v1.41/containers/{sid}/archive?path=/etc", "ContainerArchive"),
                  ("POST", f"/v1.41/containers/{sid}/stop", "ContainerStop")],
        homepage: [("GET", "/events", "SystemEvents"), ("GET", "/version", "SystemVersion"),
                   ("GET", f"/containers/{sid}/logs?stdout=1", "ContainerLogs"),
                   ("POST", "/containers/create", "ContainerCreate")],
    }
    names = {traefik: "traefik", homepage: "homepage"}
    before = (dockerd.container_ids(), dockerd.inspect(sid)["State"]["Running"])
    for sock, calls in allowed.items():
        for method, target in calls:
            rsp = ask(str(sock), http_request(method, target))
            assert rsp.status == 200, (sock, target, rsp)
    # Traefik's event stream: the head comes, the stream stays open.
    c = RawConn.open(str(traefik))
    try:
        c.send(http_request("GET", "/v1.41/events"))
        c.sock.settimeout(10)
        assert c.sock.recv(4096).startswith(b"HTTP/1.1 200 ")
    finally:
        c.close()
    for sock, calls in denied.items():
        for method, target, op in calls:
            rsp = ask(str(sock), http_request(method, target))
            assert rsp.status == 403, (sock, target, rsp)
            assert f"{op} is not allowed by profile {names[sock]}".encode() in rsp.body, rsp
    assert (dockerd.container_ids(), dockerd.inspect(sid)["State"]["Running"]) == before

"""The image in its two container deployments, end to end against the
private dockerd: as docker-socket-proxy (TCP) and socket-only (no network).
The third mode, the plain binary under systemd, is test_systemd.py."""

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml
from dockgate_testlib.daemon import IMAGE, denied_message, run_cli, unique
from dockgate_testlib.net import free_port, wait_for
from dockgate_testlib.release import DOCKGATE_BIN
from dockgate_testlib.settings import DOCKER_CLI, REPO


def wait_healthy(dockerd, name, timeout=30):
    """Waits for the image's HEALTHCHECK (dockgate --healthcheck) to pass."""
    def health():
        st = dockerd.inspect(name)["State"]
        if not st["Running"]:
            raise AssertionError(f"{name} exited: {st}; logs:\n{logs(dockerd, name)}")
        return st.get("Health", {}).get("Status") == "healthy"
    wait_for(health, timeout, 0.2, f"{name} to become healthy")


def logs(dockerd, name):
    r = dockerd.cli("logs", name)
    return r.out + r.err


def through(dockerd, host, *args):
    """The real docker CLI, pointed at the proxy instead of the daemon."""
    return run_cli(DOCKER_CLI, host, args, config_dir=dockerd.cli_config)


def assert_denied(r, what):
    assert r.rc != 0, r
    msg = denied_message(r.err)
    assert msg.startswith("dockgate:") and "is denied" in msg, (what, r)


# --------------------------------------------------------------------------
# a. the image, as docker-socket-proxy is deployed: TCP on a private network
# --------------------------------------------------------------------------

def test_image_config(image, dockerd):
    """What `docker inspect` shows users: not root, port 2375, the
    docker-socket-proxy defaults spelled out, and each one equal to the
    binary's own default (so the image and --help cannot drift apart)."""
    st, data = dockerd.api("GET", f"/images/{image}/json")
    assert st == 200, data
    cfg = data["Config"]
    print(f"\nimage {image}: Size {data['Size']} bytes, "
          f"binary {os.path.getsize(DOCKGATE_BIN)} bytes")
    assert cfg["User"] == "65534:65534"
    assert cfg["ExposedPorts"] == {"2375/tcp": {}}
    assert cfg["Entrypoint"] == ["/dockgate"]
    assert cfg["Healthcheck"]["Test"] == ["CMD", "/dockgate", "--healthcheck"]
    env = dict(e.split("=", 1) for e in cfg["Env"])
    help_text = subprocess.run([DOCKGATE_BIN, "--help"], capture_output=True, text=True).stdout
    defaults = dict(re.findall(r"^\s+--\S+\s+([A-Z0-9_]+)\s.*\(default: ([^)]*)\)$",
                               help_text, re.M))
    for var in ("CONTAINERS", "IMAGES", "POST", "EVENTS", "PING", "VERSION", "SOCKET_PATH"):
        assert var in env, var
    for var, value in env.items():
        if var != "PATH":
            assert defaults.get(var) == value, (var, value, defaults.get(var))
    # Nothing but the binary and the two /etc files a scratch image needs.
    assert data["Size"] < 2 * 1024 * 1024


def test_tcp_like_docker_socket_proxy(image, dockerd, containers):
    """The image on the host network with the daemon's socket mounted, as a
    non-root user that only has the socket's group: the docker CLI through
    it gets exactly CONTAINERS=1 (read-only) and nothing else."""
    name, port = containers(), free_port()
    gid = dockerd.socket_gid()
    r = dockerd.cli("run", "-d", "--name", name, "--network", "host",
                    "--read-only", "--cap-drop", "ALL", "--group-add", str(gid),
                    "-v", f"{dockerd.sock}:/var/run/docker.sock",
                    "-e", f"LISTEN=tcp://127.0.0.1:{port}", "-e", "CONTAINERS=1",
                    "--health-interval", "1s", "--health-start-period", "0s", image)
    assert r.rc == 0, r
    wait_healthy(dockerd, name)
    host = f"tcp://127.0.0.1:{port}"

    r = through(dockerd, host, "version", "--format", "{{.Server.Version}}")
    assert r.rc == 0 and r.out.strip(), r
    r = through(dockerd, host, "ps", "--format", "{{.Names}}")
    assert r.rc == 0 and name in r.out.split(), r

    before = dockerd.container_ids()
    victim = unique("dgship-denied")
    assert_denied(through(dockerd, host, "run", "--name", victim, IMAGE, "true"), "run")
    assert_denied(through(dockerd, host, "create", "--name", victim, IMAGE), "create")
    assert_denied(through(dockerd, host, "images"), "images")
    assert_denied(through(dockerd, host, "rm", "-f", name), "rm")
    assert not dockerd.exists(victim)
    assert dockerd.container_ids() == before
    assert dockerd.inspect(name)["State"]["Running"]

    # Each request was logged by the proxy in the container.
    out = logs(dockerd, name)
    assert re.search(r"POST /v[0-9.]+/containers/create\S* .*403", out), out[-2000:]


def test_tcp_without_socket_group_says_why(image, dockerd, containers):
    """Forgetting --group-add is the usual mistake: the proxy still starts,
    logs the fix, and answers 502 (so the health check fails) instead of
    hanging or crashing."""
    name, port = containers(), free_port()
    r = dockerd.cli("run", "-d", "--name", name, "--network", "host", "--cap-drop", "ALL",
                    "-v", f"{dockerd.sock}:/var/run/docker.sock",
                    "-e", f"LISTEN=tcp://127.0.0.1:{port}", image)
    assert r.rc == 0, r
    gid = dockerd.socket_gid()
    wait_for(lambda: f"--group-add {gid}" in logs(dockerd, name), 10, 0.2, "the hint")
    r = through(dockerd, f"tcp://127.0.0.1:{port}", "version")
    assert r.rc != 0, r
    r = dockerd.cli("exec", name, "/dockgate", "--healthcheck")
    assert r.rc == 1, r


# --------------------------------------------------------------------------
# b. socket-only: no network at all, a unix socket in a shared directory
# --------------------------------------------------------------------------

CLIENT_GID = 4242     # the group of the clients allowed on dockgate's socket
CLIENT_UID = 1234


def socket_dir(session_dir, owner=65534):
    """The shared directory for the listener: writable by the proxy's user
    only; clients need nothing but search permission on it."""
    d = session_dir / unique("sock")
    d.mkdir()
    os.chown(d, owner, owner)
    d.chmod(0o755)
    return d


def start_socket_only(dockerd, image, name, sockdir, *opts, env=()):
    r = dockerd.cli("run", "-d", "--name", name, "--network", "none",
                    "--read-only", "--cap-drop", "ALL", *opts,
                    "--group-add", str(dockerd.socket_gid()),
                    "-v", f"{dockerd.sock}:/var/run/docker.sock:ro",
                    "-v", f"{sockdir}:/sock",
                    "-e", "LISTEN=unix:///sock/docker.sock", "-e", "CONTAINERS=1",
                    *[a for e in env for a in ("-e", e)],
                    "--health-interval", "1s", "--health-start-period", "0s", image)
    assert r.rc == 0, r
    return name


def client_run(dockerd, client_image, sockdir, user, script):
    """A busybox container with no network and only dockgate's socket."""
    return dockerd.cli("run", "--rm", "--network", "none", "--user", user,
                       "-v", f"{sockdir}:/sock", client_image, "sh", "-c", script)


def req(method, target, body=""):
    """A shell line that sends one request through uclient."""
    head = (f"{method} {target} HTTP/1.1\\r\\nHost: docker\\r\\nConnection: close\\r\\n"
            + (f"Content-Type: application/json\\r\\nContent-Length: {len(body)}\\r\\n"
               if body else "") + "\\r\\n")
    # The markers are spelled so that the container's own command, which
    # the container list shows, does not contain them.
    return f"printf '{head}{body}' | uclient /sock/docker.sock; rc=$?; echo; echo '--''- rc='$rc"


def test_socket_only(image, client_image, dockerd, session_dir, containers):
    """The proxy has no network and no capability; its socket is 0660 with a
    group given by LISTEN_GROUP (it is in that group, so no CAP_CHOWN is
    needed). A client container with no network and no daemon socket reaches
    the daemon only through it, and only as far as the policy says."""
    sockdir = socket_dir(session_dir)
    name = start_socket_only(dockerd, image, containers(), sockdir,
                             "--group-add", str(CLIENT_GID), env=[f"LISTEN_GROUP={CLIENT_GID}"])
    wait_healthy(dockerd, name)
    st = os.stat(sockdir / "docker.sock")
    assert oct(st.st_mode & 0o7777) == "0o660"
    assert (st.st_uid, st.st_gid) == (65534, CLIENT_GID)
    assert dockerd.inspect(name)["HostConfig"]["CapDrop"] == ["ALL"]

    victim = unique("dgship-denied")
    before = dockerd.container_ids()
    script = "; ".join([
        "test ! -e /var/run/docker.sock && echo no-daemon-socket",
        "cat /proc/net/dev; echo '--''- net-end'",
        req("GET", "/_ping"),
        req("GET", "/containers/json"),
        req("POST", f"/containers/create?name={victim}", '{"Image":"%s"}' % IMAGE),
    ])
    r = client_run(dockerd, client_image, sockdir, f"{CLIENT_UID}:{CLIENT_GID}", script)
    assert r.rc == 0, r
    out = r.out
    assert "no-daemon-socket" in out
    ifaces = re.findall(r"^\s*(\w+):", out.split("--- net-end")[0], re.M)
    assert ifaces == ["lo"], out            # --network none: loopback only
    parts = out.split("--- net-end")[1].split("--- rc=")
    (ping_st, ping), (list_st, listing), (create_st, create) = map(parse_http, parts[:3])
    assert (ping_st, ping) == (200, "OK"), out
    assert list_st == 200, out
    assert any("/" + name in c["Names"] for c in json.loads(listing)), listing
    assert create_st == 403 and "is denied" in json.loads(create)["message"], out
    assert not dockerd.exists(victim)
    assert dockerd.container_ids() == before

    # Mode 0660: a user outside the socket's group cannot connect at all.
    r = client_run(dockerd, client_image, sockdir, f"{CLIENT_UID}:{CLIENT_UID}", req("GET", "/_ping"))
    assert "Permission denied" in r.out + r.err, r
    assert "HTTP/1.1" not in r.out, r

    # A restart makes a new socket file; clients that mount the directory
    # (not the file) reach the new one.
    # A file is told by its inode and change time together: the old file is
    # removed at the stop, so the new one may well get its inode number.
    def identity():
        st = os.stat(sockdir / "docker.sock")
        return st.st_ino, st.st_ctime_ns
    ino = identity()
    assert dockerd.cli("restart", "-t", "5", name).rc == 0
    wait_healthy(dockerd, name)
    assert identity() != ino
    r = client_run(dockerd, client_image, sockdir, f"{CLIENT_UID}:{CLIENT_GID}", req("GET", "/_ping"))
    assert parse_http(r.out.split("--- rc=")[0]) == (200, "OK"), r


def test_socket_only_named_volume_is_not_writable(image, dockerd, containers):
    """A fresh named volume is root-owned: the image's user cannot create
    its socket there (hence a host directory owned by 65534 above)."""
    vol = unique("dgship-vol")
    assert dockerd.cli("volume", "create", vol).rc == 0
    try:
        name = containers()
        r = dockerd.cli("run", "--name", name, "--network", "none", "--read-only",
                        "--cap-drop", "ALL", "-v", f"{vol}:/sock",
                        "-e", "LISTEN=unix:///sock/docker.sock", image)
        assert r.rc == 1, r
        assert "cannot listen on unix:///sock/docker.sock: Permission denied" in r.out + r.err, r
    finally:
        dockerd.api("DELETE", f"/containers/{name}?force=1")
        dockerd.cli("volume", "rm", "-f", vol)


def parse_http(text):
    """(status, body) of one response as uclient printed it; the CLI output
    was read as text, so CRLF arrived as LF."""
    text = text[text.index("HTTP/1.1 "):]
    head, _, body = text.partition("\n\n")
    status = int(head.split()[1])
    if "transfer-encoding: chunked" in head.lower():
        out = ""
        while True:
            size, _, body = body.partition("\n")
            n = int(size.strip(), 16)
            if n == 0:
                break
            out, body = out + body[:n], body[n + 1:]
        body = out
    return status, body.strip()


def proc_status(pid):
    lines = open(f"/proc/{pid}/status").read().splitlines()
    return dict(ln.split(":\t", 1) for ln in lines if ":\t" in ln)


def test_socket_only_listen_owner_needs_root_start(image, dockerd, session_dir, containers):
    """LISTEN_OWNER gives the socket to another user: a chown that needs
    CAP_CHOWN. The image's non-root user cannot use it even with
    --cap-add CHOWN (Docker gives a non-root user no effective capability),
    and dockgate then refuses to start rather than serve a socket with the
    wrong owner. What works: start as root with CHOWN, SETUID and SETGID
    only, and let dockgate drop to 65534 with the daemon socket's group
    once the socket is set up (RUN_USER, RUN_GROUP, REFUSE_ROOT)."""
    sockdir = socket_dir(session_dir)
    name = start_socket_only(dockerd, image, containers(), sockdir, "--cap-add", "CHOWN",
                             env=[f"LISTEN_OWNER={CLIENT_UID}"])
    wait_for(lambda: not dockerd.inspect(name)["State"]["Running"], 15, 0.2, "exit")
    assert dockerd.inspect(name)["State"]["ExitCode"] == 1
    # The chown happens while the listener is set up, so the message names
    # LISTEN and the errno.
    assert ("cannot listen on unix:///sock/docker.sock: Operation not permitted"
            in logs(dockerd, name))
    assert not (sockdir / "docker.sock").exists(), "a socket file nothing serves was left"

    sockdir = socket_dir(session_dir, owner=0)
    gid = dockerd.socket_gid()
    name = start_socket_only(dockerd, image, containers(), sockdir,
                             "--user", "0:0", "--cap-add", "CHOWN", "--cap-add", "SETUID",
                             "--cap-add", "SETGID",
                             # for the health check, which runs as the
                             # container's user, root without DAC_OVERRIDE
                             "--group-add", str(CLIENT_GID),
                             env=[f"LISTEN_OWNER={CLIENT_UID}", f"LISTEN_GROUP={CLIENT_GID}",
                                  "RUN_USER=65534", f"RUN_GROUP={gid}", "REFUSE_ROOT=1"])
    wait_healthy(dockerd, name)
    st = os.stat(sockdir / "docker.sock")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (CLIENT_UID, CLIENT_GID, 0o660)
    status = proc_status(dockerd.inspect(name)["State"]["Pid"])
    assert status["Uid"].split()[0] == "65534" and status["Gid"].split()[0] == str(gid), status
    assert status["Groups"].split() == [str(gid)], status
    assert int(status["CapEff"], 16) == 0 and status["NoNewPrivs"] == "1", status
    assert status["Seccomp"] == "2", status


def test_readme_compose_snippets_are_valid(tmp_path):
    """The compose files of the README's Deployment section are what
    docker-compose accepts (they are not started: the tests above run the
    same options with docker run)."""
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed")
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Deployment\n", 1)[1].split("\n## ", 1)[0]
    snippets = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(snippets) >= 2, "the Deployment section lost its compose files"
    for i, snippet in enumerate(snippets):
        f = tmp_path / f"compose-{i}.yml"
        f.write_text(snippet)
        # The socket's group comes from DOCKER_GID, never a number that
        # is right on one host only: without it compose refuses to start.
        env = {k: v for k, v in os.environ.items() if k != "DOCKER_GID"}
        cp = subprocess.run(["docker-compose", "-f", str(f), "config", "-q"],
                            capture_output=True, text=True, cwd=tmp_path, env=env)
        assert cp.returncode != 0 and "DOCKER_GID" in cp.stderr, (snippet, cp.stderr)
        cp = subprocess.run(["docker-compose", "-f", str(f), "config", "-q"],
                            capture_output=True, text=True, cwd=tmp_path,
                            env={**env, "DOCKER_GID": "106"})
        assert cp.returncode == 0, (snippet, cp.stderr)
        services = yaml.safe_load(snippet)["services"]
        proxy = services["dockgate"]
        assert proxy["group_add"][0].startswith("${DOCKER_GID:?"), snippet
        assert "999" not in snippet, snippet
        assert proxy["read_only"] is True and proxy["cap_drop"] == ["ALL"], snippet
        assert any("docker.sock:ro" in v for v in proxy["volumes"]), snippet

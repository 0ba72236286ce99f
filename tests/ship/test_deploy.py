"""The three deployment modes, end to end against the private dockerd:
the image as docker-socket-proxy (TCP), the image socket-only (no network),
and the plain binary on the host as the systemd unit runs it."""

import json
import os
import re
import subprocess
import time

import pytest
from conftest import (DOCKGATE_BIN, REPO, free_port, integ, run_cli, socket_gid,
                      unique, wait_for)


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
    return run_cli(integ.DOCKER_CLI, host, args, config_dir=str(dockerd.root / "cliconf"))


def assert_denied(r, what):
    assert r.rc != 0, r
    msg = integ.denied_message(r.err)
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
    gid = socket_gid(dockerd)
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
    assert_denied(through(dockerd, host, "run", "--name", victim, integ.IMAGE, "true"), "run")
    assert_denied(through(dockerd, host, "create", "--name", victim, integ.IMAGE), "create")
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
    gid = socket_gid(dockerd)
    wait_for(lambda: f"--group-add {gid}" in logs(dockerd, name), 10, 0.2, "the hint")
    r = through(dockerd, f"tcp://127.0.0.1:{port}", "version")
    assert r.rc != 0, r
    r = dockerd.cli("exec", name, "/dockgate", "--healthcheck")
    assert r.rc == 1, r


# --------------------------------------------------------------------------
# b. socket-only: no network at all, a unix socket in a shared directory
# --------------------------------------------------------------------------

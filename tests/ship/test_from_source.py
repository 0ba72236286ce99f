"""The image built from source: `docker build .` on a clean clone of the
repository (git clone of the committed HEAD), with Dockerfile's Debian 12
build stage on a base made from Debian's packages by scripts/debian-base.sh
(no registry is reachable here, and the test daemon has no network, so the
build stage must need none). The image must be the prebuilt one's equal:
the same configuration, and the socket-only deployment test passes on it.
"""

import subprocess

import pytest

from dockgate_testlib.daemon import cli_env, unique
from dockgate_testlib.settings import DOCKER_CLI, REPO
import test_deploy

SOURCE_IMAGE = "dockgate:source"
BASE_IMAGE = "dockgate-build-base:bookworm"


@pytest.fixture(scope="session")
def source_image(dockerd, session_dir):
    cp = subprocess.run(["scripts/debian-base.sh", dockerd.sock], cwd=REPO,
                        capture_output=True, text=True, timeout=900)
    assert cp.returncode == 0 and cp.stdout.strip() == BASE_IMAGE, cp.stderr[-3000:]
    clone = session_dir / "clean-clone"
    cp = subprocess.run(["git", "clone", "-q", "--no-local", str(REPO), str(clone)],
                        capture_output=True, text=True, timeout=120)
    assert cp.returncode == 0, cp.stderr
    env = cli_env(str(session_dir / "cliconf"))
    env["DOCKER_BUILDKIT"] = "0"
    cp = subprocess.run([DOCKER_CLI, "-H", "unix://" + dockerd.sock, "build", "-q",
                         "--build-arg", f"DEBIAN_IMAGE={BASE_IMAGE}", "-t", SOURCE_IMAGE,
                         str(clone)], capture_output=True, text=True, timeout=600, env=env)
    assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr[-3000:]
    yield SOURCE_IMAGE
    dockerd.api("DELETE", f"/images/{SOURCE_IMAGE}?force=1")


# What `docker export` shows of any container besides its image's files.
DOCKER_ADDED = {".dockerenv", "etc/hostname", "etc/hosts", "etc/resolv.conf", "etc/mtab",
                "dev/console", "dev/pts", "dev/shm", "proc", "sys"}


def test_from_source_is_one_static_binary(source_image, dockerd):
    """FROM scratch: the binary and the two /etc files, nothing of the
    build stage; the binary is the static release build."""
    st, info = dockerd.api("GET", f"/images/{source_image}/json")
    assert st == 200 and info["Config"]["Entrypoint"] == ["/dockgate"], info
    name = unique("dgship-source")
    assert dockerd.cli("create", "--name", name, source_image).rc == 0
    try:
        r = dockerd.cli("export", name, text=False)
        assert r.rc == 0, r
        listing = subprocess.run(["tar", "-t"], input=r.out, capture_output=True).stdout
    finally:
        dockerd.cli("rm", "-f", name)
    files = {n.rstrip("/") for n in listing.decode().split()} - DOCKER_ADDED - {"dev", "etc"}
    assert files == {"dockgate", "etc/group", "etc/passwd"}, sorted(files)
    r = dockerd.cli("run", "--rm", "--network", "none", source_image, "--version")
    assert r.rc == 0 and "release, static" in r.out, r


def test_from_source_config_equals_prebuilt():
    """Dockerfile and Dockerfile.prebuilt give the image the same
    configuration: everything from the first ENV on is the same text."""
    def config(name):
        text = (REPO / name).read_text()
        return text[text.index("\nENV "):]
    assert config("Dockerfile") == config("Dockerfile.prebuilt")


def test_socket_only_from_source(source_image, client_image, dockerd, session_dir, containers):
    """The socket-only deployment, exactly as tests/ship/test_deploy.py runs
    it on the prebuilt image."""
    test_deploy.test_socket_only(source_image, client_image, dockerd, session_dir, containers)

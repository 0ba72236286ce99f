"""Fixtures for the shipping tests (tests/ship): the static binary, the
FROM-scratch image in its deployment modes, the systemd unit, the fleet
manifests and the man page.

The private dockerd with its busybox image and the session directory are
dockgate_testlib's fixtures; the release artefacts are named in
dockgate_testlib/release.py.

    DOCKGATE_BIN   the binary under test; scripts/test.sh passes the static
                   release binary dist/rootfs/dockgate, which is also what
                   the image is built from (default <repo>/dist/rootfs/dockgate)
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from dockgate_testlib.daemon import cli_env, unique
from dockgate_testlib.fixtures import busybox, dockerd, session_dir  # noqa: F401
from dockgate_testlib.release import CLIENT_IMAGE, DOCKGATE_BIN, RELEASE_IMAGE, ROOTFS
from dockgate_testlib.settings import DOCKER_CLI, REPO

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def image(dockerd, session_dir):
    """The release image, built by the test daemon from Dockerfile.prebuilt
    and the static rootfs, exactly as the README tells users to (legacy
    builder, no base image to pull). The context is a copy holding only what
    .dockerignore lets through, so the build sends ~1 MB, not the repo."""
    if not (ROOTFS / "dockgate").is_file() or ROOTFS.name != "rootfs":
        pytest.skip(f"{DOCKGATE_BIN} is not dist/rootfs/dockgate: run scripts/build-static.sh")
    ctx = session_dir / "image-context"
    (ctx / "dist").mkdir(parents=True)
    shutil.copy(REPO / "Dockerfile.prebuilt", ctx / "Dockerfile")
    shutil.copy(REPO / ".dockerignore", ctx / ".dockerignore")
    shutil.copytree(ROOTFS, ctx / "dist" / "rootfs", symlinks=True)
    env = cli_env(dockerd.cli_config)
    env["DOCKER_BUILDKIT"] = "0"
    cp = subprocess.run([DOCKER_CLI, "-H", "unix://" + dockerd.sock, "build", "-q",
                         "-t", RELEASE_IMAGE, str(ctx)], capture_output=True, text=True,
                        timeout=120, env=env)
    assert cp.returncode == 0, cp.stderr
    yield RELEASE_IMAGE
    dockerd.api("DELETE", f"/images/{RELEASE_IMAGE}?force=1")


@pytest.fixture(scope="session")
def client_image(dockerd, busybox, session_dir):
    """busybox plus uclient.c built static: a client for a unix socket
    (busybox's nc and wget speak TCP only)."""
    binary = session_dir / "uclient"
    cp = subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-static", "-o",
                         str(binary), str(HERE / "uclient.c")], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    yield dockerd.import_busybox(CLIENT_IMAGE, extra={"bin/uclient": str(binary)})
    dockerd.api("DELETE", f"/images/{CLIENT_IMAGE}?force=1")


@pytest.fixture
def containers(dockerd):
    """Names to give containers a test starts itself; all removed afterwards
    with their anonymous volumes."""
    names = []

    def name(prefix="dgship"):
        n = unique(prefix)
        names.append(n)
        return n
    yield name
    for n in names:
        dockerd.api("DELETE", f"/containers/{n}?force=1&v=1", timeout=30)

"""Fixtures for the shipping tests (tests/ship): the static binary, the
FROM-scratch image in its deployment modes, the systemd unit, the fleet
manifests and the man page.

The integration suite's helpers (Dockerd, Proxy, run_cli, free_port,
wait_for, the session directory and the private dockerd) are reused from
tests/integ/conftest.py, loaded under its own module name as tests/diff
does, so that `/usr/bin/python3 -m pytest tests/ship` works from the
repository root without touching tests/integ.

    DOCKGATE_BIN   the binary under test; scripts/test.sh passes the static
                   release binary dist/rootfs/dockgate, which is also what
                   the image is built from (default <repo>/dist/rootfs/dockgate)
"""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_INTEG = Path(__file__).resolve().parents[1] / "integ" / "conftest.py"
_spec = importlib.util.spec_from_file_location("dockgate_integ_conftest", _INTEG)
integ = importlib.util.module_from_spec(_spec)
sys.modules["dockgate_integ_conftest"] = integ
_spec.loader.exec_module(integ)

REPO = integ.REPO
HERE = Path(__file__).resolve().parent
DOCKGATE_BIN = os.environ.get("DOCKGATE_BIN", str(REPO / "dist" / "rootfs" / "dockgate"))
ROOTFS = Path(DOCKGATE_BIN).parent
IMAGE = "dockgate:test"
CLIENT_IMAGE = "dgship/client:latest"

# Re-exported fixtures: the session directory and the private daemon with
# its busybox image.
session_dir = integ.session_dir
dockerd = integ.dockerd
busybox = integ.busybox

# The tests here import this file as dockgate_ship_conftest: when one
# session also loads tests/integ or tests/diff, the name "conftest" may be
# any of their conftest.py files. And as in tests/diff, this one offers the
# integration suite's names for their `from conftest import ...`.
sys.modules["dockgate_ship_conftest"] = sys.modules[__name__]
for _name in dir(integ):
    if not _name.startswith("__") and _name not in globals():
        globals()[_name] = getattr(integ, _name)
del _name


def socket_gid(dockerd):
    """The group that owns the test daemon's socket: what the image's
    non-root user must be given with --group-add."""
    return os.stat(dockerd.sock).st_gid


@pytest.fixture(scope="session")
def image(dockerd, session_dir):
    """The release image, built by the test daemon from Dockerfile and the
    static rootfs, exactly as the README tells users to (legacy builder, no
    base image to pull). The context is a copy holding only what
    .dockerignore lets through, so the build sends ~1 MB, not the repo."""
    if not (ROOTFS / "dockgate").is_file() or ROOTFS.name != "rootfs":
        pytest.skip(f"{DOCKGATE_BIN} is not dist/rootfs/dockgate: run scripts/build-static.sh")
    ctx = session_dir / "image-context"
    (ctx / "dist").mkdir(parents=True)
    shutil.copy(REPO / "Dockerfile", ctx / "Dockerfile")
    shutil.copy(REPO / ".dockerignore", ctx / ".dockerignore")
    shutil.copytree(ROOTFS, ctx / "dist" / "rootfs", symlinks=True)
    env = integ.cli_env(str(session_dir / "cliconf"))
    env["DOCKER_BUILDKIT"] = "0"
    cp = subprocess.run([integ.DOCKER_CLI, "-H", "unix://" + dockerd.sock, "build", "-q",
                         "-t", IMAGE, str(ctx)], capture_output=True, text=True,
                        timeout=120, env=env)
    assert cp.returncode == 0, cp.stderr
    yield IMAGE
    dockerd.api("DELETE", f"/images/{IMAGE}?force=1")


@pytest.fixture(scope="session")
def client_image(dockerd, busybox, session_dir):
    """busybox plus uclient.c built static: a client for a unix socket
    (busybox's nc and wget speak TCP only)."""
    binary = session_dir / "uclient"
    cp = subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-static", "-o",
                         str(binary), str(HERE / "uclient.c")], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    tarpath = session_dir / "client-rootfs.tar"
    integ._make_rootfs_tar(tarpath, extra={"bin/uclient": str(binary)})
    r = dockerd.cli("import", "--change", 'CMD ["sh"]', str(tarpath), CLIENT_IMAGE)
    assert r.rc == 0, r
    yield CLIENT_IMAGE
    dockerd.api("DELETE", f"/images/{CLIENT_IMAGE}?force=1")


@pytest.fixture
def containers(dockerd):
    """Names to give containers a test starts itself; all removed afterwards
    with their anonymous volumes."""
    names = []

    def name(prefix="dgship"):
        n = integ.unique(prefix)
        names.append(n)
        return n
    yield name
    for n in names:
        dockerd.api("DELETE", f"/containers/{n}?force=1&v=1", timeout=30)

"""Fixtures for running dockgate in front of Podman (tests/podman).

A private `podman system service` (dockgate_testlib/podman.py) is started
for the session as the upstream, with everything it writes under the
session directory (/tmp/dgt-XXXXXX/podman).

The shared fixtures of dockgate_testlib (`proxy`, `container`, `sleeper`,
`busybox`) ask for `dockerd`; this file defines it as the Podman service,
so they work unchanged: `proxy()` starts a dockgate whose SOCKET_PATH is
Podman's socket, `busybox` imports the test image into Podman, and
`dockerd.api()` / `dockerd.cli()` are the ground truth straight at Podman.

Everything is skipped, with the reason, when podman is not installed, the
run is not root, or the service does not answer.

    DOCKGATE_BIN   proxy binary (default <repo>/build/dockgate)
    PODMAN_BIN     podman binary (default: podman on PATH)
    DOCKER_CLI     docker CLI (default /usr/bin/docker); DOCKER_CLI_ALT the second one
    DGTEST_KEEP    keep the session directory (podman.log, proxy stderr)
"""

import os
import shutil

import pytest

from dockgate_testlib.fixtures import (busybox, container, proxy, reaper,  # noqa: F401
                                       session_dir, sleeper)
from dockgate_testlib.podman import PODMAN, Podman


@pytest.fixture(scope="session")
def dockerd(session_dir):
    """The Podman service (named like the integration suite's daemon, so
    that its fixtures use it)."""
    if os.geteuid() != 0:
        pytest.skip("the podman tests start their own podman service and need root")
    if not PODMAN:
        pytest.skip("podman is not installed")
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is not installed")
    p = Podman(session_dir)
    try:
        try:
            p.start()
        except (RuntimeError, AssertionError, OSError) as e:
            pytest.skip(f"podman system service does not run here: {e}")
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="session")
def podman(dockerd):
    """The same Podman service, by its own name, for the tests."""
    return dockerd


# Cases of tests/integ/test_hostile.py where Podman answers differently from
# dockerd (test_hostile_upstream.py runs them against Podman).
PODMAN_DIFFERS = {
    "test_debug_endpoints_exist_on_daemon": "Podman has no /debug router",
    "test_pipeline[smuggled-in-post-body]":
        "Podman answers a body that is not JSON with 500, not 400 (the smuggled request "
        "is still only a body: test_podman.py::test_smuggled_request_is_only_a_body)",
    "test_pipeline[smuggled-in-chunked-body]": "as smuggled-in-post-body",
    "test_target_allowed_with_containers[pct-version-digit]":
        "Podman routes the encoded path: an escape in a literal segment matches no route "
        "(404; test_podman.py::test_podman_routes_the_encoded_path)",
    "test_target_allowed_with_containers[pct-section-letter]": "as pct-version-digit",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name == "test_hostile_upstream.py" and item.name in PODMAN_DIFFERS:
            item.add_marker(pytest.mark.xfail(reason=PODMAN_DIFFERS[item.name], strict=True))


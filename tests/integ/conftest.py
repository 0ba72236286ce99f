"""Fixtures for dockgate's integration tests.

The suite starts one private dockerd for the whole session (its own data-root,
exec-root and socket under a short /tmp directory, no networking), imports a
tiny busybox image into it, and starts a fresh dockgate per test through the
``proxy`` factory. The fixtures and helpers are dockgate_testlib's (tests/);
see dockgate_testlib/fixtures.py for an example test.

Settings (environment of the pytest run):
    DOCKGATE_BIN   proxy binary (default <repo>/build/dockgate)
    DOCKER_CLI     docker CLI used by the tests (default /usr/bin/docker)
    DOCKER_CLI_ALT second CLI for the smoke subset (default: whichever of
                   /usr/bin/docker and /usr/local/bin/docker is not DOCKER_CLI;
                   tests using it are skipped when it does not exist)
    DGTEST_KEEP    keep the session directory (daemon logs, proxy stderr) for debugging
    DGTEST_DIRECT  harness self-check: replace dockgate by two socat relays straight to
                   the daemon (no policy at all, so every denial test fails by design)
"""

from dockgate_testlib.fixtures import (busybox, container, dockerd, proxy,  # noqa: F401
                                       reaper, session_dir, sleeper)

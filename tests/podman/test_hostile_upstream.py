"""The integration suite's hostile cases (tests/integ/test_hostile.py) with
Podman as the upstream: smuggling, framing, odd targets, upgrades, slow
clients; each checks Podman's state, not only a status code.

Its tests and fixtures are imported here (tests/ is on the import path,
so tests/integ is the namespace package `integ`), so they run unchanged
with this directory's `dockerd` (Podman). The cases where Podman itself
answers differently from dockerd are marked as expected failures in
conftest.py (PODMAN_DIFFERS), strictly, so that the README's list of
differences stays true; the security property each of them checks is
asserted for Podman in test_podman.py.
"""

from integ.test_hostile import *  # noqa: F401,F403

"""The integration suite's hostile cases (tests/integ/test_hostile.py) with
Podman as the upstream: smuggling, framing, odd targets, upgrades, slow
clients; each checks Podman's state, not only a status code.

The module is loaded under its own name and its tests and fixtures are
offered here, so they run unchanged with this directory's `dockerd`
(Podman). The cases where Podman itself answers differently from dockerd
are marked as expected failures in conftest.py (PODMAN_DIFFERS), strictly,
so that the README's list of differences stays true; the security property
each of them checks is asserted for Podman in test_podman.py.
"""

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "integ" / "test_hostile.py"
_spec = importlib.util.spec_from_file_location("dockgate_integ_test_hostile", _PATH)
_hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_hostile)

for _name in dir(_hostile):
    if not _name.startswith("__"):
        globals()[_name] = getattr(_hostile, _name)
del _name

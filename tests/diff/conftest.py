"""Fixtures for the differential and soak tests (tests/diff).

The integration suite's helpers (Dockerd, Proxy, RawConn, http_request,
chunked, the sanitizer markers and the session directory fixture) are reused
from tests/integ/conftest.py. That file is loaded under its own module name
(both files are called conftest.py), and the fixtures the soak needs are
re-exported here so that `/usr/bin/python3 -m pytest tests/diff` works from
the repository root without touching tests/integ.

    DOCKGATE_BIN   proxy binary (default <repo>/build/dockgate)
    DIFF_SEED      replay the differential test with this seed (printed on failure)
    DIFF_STREAMS   streams per policy (default 70)
    SOAK_SECONDS   length of the soak (default 60)
"""

import importlib.util
import sys
from pathlib import Path

_INTEG = Path(__file__).resolve().parents[1] / "integ" / "conftest.py"
_spec = importlib.util.spec_from_file_location("dockgate_integ_conftest", _INTEG)
integ = importlib.util.module_from_spec(_spec)
sys.modules["dockgate_integ_conftest"] = integ
_spec.loader.exec_module(integ)

# Re-exported fixture: one /tmp/dgt-XXXXXX directory per session, with the
# integration suite's clean-up of directories left behind by killed runs.
session_dir = integ.session_dir

# pytest imports every rootdir-less conftest.py as the module "conftest",
# and the integration tests do `from conftest import ...`. When tests/integ
# and tests/diff run in one session and this file was loaded last, those
# imports find this module: so it offers the same names (helpers and
# fixtures; the fixtures then exist under tests/diff as well, unused).
for _name in dir(integ):
    if not _name.startswith("__") and _name not in globals():
        globals()[_name] = getattr(integ, _name)
del _name

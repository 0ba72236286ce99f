"""Fixtures for the per-architecture tests (tests/arch): each static binary
of dist/ARCH/rootfs/dockgate (scripts/build-static.sh --arch all), run
natively where this kernel can (amd64, and i386 through its 32-bit
compatibility) and under qemu-user otherwise, in front of the integration
suite's private dockerd.

The integration suite's helpers are loaded from tests/integ/conftest.py
under their own module name, as tests/ship does.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

_INTEG = Path(__file__).resolve().parents[1] / "integ" / "conftest.py"
if "dockgate_integ_conftest" in sys.modules:     # loaded by tests/ship in this session
    integ = sys.modules["dockgate_integ_conftest"]
else:
    _spec = importlib.util.spec_from_file_location("dockgate_integ_conftest", _INTEG)
    integ = importlib.util.module_from_spec(_spec)
    sys.modules["dockgate_integ_conftest"] = integ
    _spec.loader.exec_module(integ)

REPO = integ.REPO

session_dir = integ.session_dir
dockerd = integ.dockerd
busybox = integ.busybox


def _arch_table():
    """scripts/arches.sh's table: {arch: (qemu name, ELF machine number)}."""
    out = subprocess.run(
        ["bash", "-c", '. scripts/arches.sh; for a in $DOCKGATE_ARCHES; do '
         'arch_info $a; echo "$a $ARCH_QEMU"; done'],
        cwd=REPO, capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines())


ARCH_QEMU = _arch_table()

# The tests import this file under its own name: in a session that also
# loads tests/ship or tests/integ, "conftest" may be one of theirs.
sys.modules["dockgate_arch_conftest"] = sys.modules[__name__]

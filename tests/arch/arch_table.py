"""The architectures of scripts/arches.sh, for tests/arch."""

import subprocess

from dockgate_testlib.settings import REPO


def arch_qemu():
    """scripts/arches.sh's table: {Debian arch: qemu-user's name}."""
    out = subprocess.run(
        ["bash", "-c", '. scripts/arches.sh; for a in $DOCKGATE_ARCHES; do '
         'arch_info $a; echo "$a $ARCH_QEMU"; done'],
        cwd=REPO, capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines())

"""The release artefacts that tests/ship checks: the static binary in
dist/rootfs (scripts/build-static.sh), which is also what the image is
built from, and the names of the images the shipping tests build.

    DOCKGATE_BIN   the binary under test; here its default is the static
                   release binary <repo>/dist/rootfs/dockgate
"""

import os
from pathlib import Path

from .settings import REPO

DOCKGATE_BIN = os.environ.get("DOCKGATE_BIN", str(REPO / "dist" / "rootfs" / "dockgate"))
ROOTFS = Path(DOCKGATE_BIN).parent
RELEASE_IMAGE = "dockgate:test"
CLIENT_IMAGE = "dgship/client:latest"

"""Where the programs under test are, from the environment of the run.

    DOCKGATE_BIN   proxy binary (default <repo>/build/dockgate)
    DOCKER_CLI     docker CLI used by the tests (default /usr/bin/docker)
    DOCKER_CLI_ALT second CLI for the smoke subset (default: whichever of
                   /usr/bin/docker and /usr/local/bin/docker is not DOCKER_CLI)
"""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKGATE_BIN = os.environ.get("DOCKGATE_BIN", str(REPO / "build" / "dockgate"))
DOCKER_CLI = os.environ.get("DOCKER_CLI", "/usr/bin/docker")


def _default_alt_cli():
    for cand in ("/usr/local/bin/docker", "/usr/bin/docker"):
        if os.path.realpath(cand) != os.path.realpath(DOCKER_CLI):
            return cand
    return ""


DOCKER_CLI_ALT = os.environ.get("DOCKER_CLI_ALT", _default_alt_cli())

"""Fixtures for the differential and soak tests (tests/diff).

The differential test needs none (it starts its own recording upstream);
the soak starts its own dockerd in the session directory, with the
helpers of dockgate_testlib (tests/).

    DOCKGATE_BIN   proxy binary (default <repo>/build/dockgate)
    DIFF_SEED      replay the differential test with this seed (printed on failure)
    DIFF_STREAMS   streams per policy (default 70)
    SOAK_SECONDS   length of the soak (default 60)
"""

from dockgate_testlib.fixtures import session_dir  # noqa: F401

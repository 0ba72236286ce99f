"""Fixtures for the per-architecture tests (tests/arch): dockgate_testlib's
private dockerd with its busybox image and the session directory. The
architecture table is arch_table.py's (scripts/arches.sh)."""

from dockgate_testlib.fixtures import busybox, dockerd, session_dir  # noqa: F401

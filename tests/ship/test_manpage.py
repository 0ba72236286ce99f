"""dockgate(8): generated from --help, committed, rendered without warnings,
and installed by meson with the unit and its environment file."""

import json
import re
import shutil
import subprocess
import sys

import pytest
from dockgate_testlib.release import DOCKGATE_BIN
from dockgate_testlib.settings import REPO

PAGE = REPO / "packaging" / "dockgate.8"
GEN = REPO / "scripts" / "gen-man.py"


def help_rows():
    """(flag, VAR) of every setting row in --help."""
    out = subprocess.run([DOCKGATE_BIN, "--help"], capture_output=True, text=True,
                         check=True).stdout
    return re.findall(r"^  (--[a-z0-9-]+)\s+([A-Z][A-Z0-9_]*)\s", out, re.M)


def test_committed_page_is_generated_from_help(tmp_path):
    fresh = tmp_path / "dockgate.8"
    subprocess.run([sys.executable, str(GEN), DOCKGATE_BIN, str(fresh)], check=True)
    assert fresh.read_text() == PAGE.read_text(), \
        "packaging/dockgate.8 is stale: run scripts/gen-man.py and commit it"


def test_page_renders_without_warnings():
    if not shutil.which("groff"):
        pytest.skip("groff is not installed")
    cp = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(PAGE)],
                        capture_output=True, text=True)
    assert cp.returncode == 0 and cp.stderr == "", cp.stderr


def rendered_text():
    # ASCII, no hyphenation and wide lines: every name stays one word.
    cp = subprocess.run(["groff", "-man", "-Tascii", "-P-cbou", "-rHY=0", "-rLL=250n",
                         str(PAGE)], capture_output=True, text=True, check=True)
    return cp.stdout


def test_every_setting_of_help_is_in_the_page():
    if not shutil.which("groff"):
        pytest.skip("groff is not installed")
    text = rendered_text()
    rows = help_rows()
    assert len(rows) > 40, rows
    for flag, var in rows:
        assert re.search(rf"(^|\W){re.escape(var)}(\W|$)", text), var
        assert re.search(rf"(^|\s){re.escape(flag)}(\W|$)", text), flag
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SECTIONS", "EXIT STATUS",
                    "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"):
        assert re.search(rf"^{section}$", text, re.M), section
    for status in ("0", "1", "2", "70"):
        assert re.search(rf"^\s+{status}\s", text, re.M), status


def test_exit_statuses_match_the_source():
    """The page's EXIT STATUS names what src/ returns: 2 for settings, 70
    for the seccomp trap."""
    src = (REPO / "src" / "sandbox.c").read_text()
    assert "_exit(70);" in src
    main = (REPO / "src" / "main.c").read_text()
    assert "if (r == CFG_ERROR)\n\t\treturn 2;" in main
    rc = subprocess.run([DOCKGATE_BIN, "--containers=maybe"], capture_output=True).returncode
    assert rc == 2


def test_meson_installs_page_unit_and_env(tmp_path):
    """`meson install` puts dockgate(8), the unit (with this prefix's paths
    filled in) and the environment file in place. Checked with a fresh
    setup and `meson introspect --installed`, which needs no compile."""
    if not shutil.which("meson"):
        pytest.skip("meson is not installed")
    build = tmp_path / "build"
    cp = subprocess.run(["meson", "setup", str(build), "-Dtests=disabled", "--prefix=/usr",
                         "--sysconfdir=/etc"], cwd=REPO, capture_output=True, text=True)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    installed = json.loads(subprocess.run(["meson", "introspect", str(build), "--installed"],
                                          capture_output=True, text=True, check=True).stdout)
    dests = set(installed.values())
    assert {"/usr/sbin/dockgate", "/usr/share/man/man8/dockgate.8",
            "/usr/lib/systemd/system/dockgate.service", "/etc/dockgate.env"} <= dests, dests
    unit = (build / "dockgate.service").read_text()
    assert "\nExecStart=/usr/sbin/dockgate\n" in unit
    assert "\nEnvironmentFile=/etc/dockgate.env\n" in unit
    assert "Documentation=man:dockgate(8)" in unit

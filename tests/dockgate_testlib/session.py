"""The session directory: every file, socket and daemon root of one test
run lives under /tmp/dgt-XXXXXX (short, since a unix socket path is
limited to 108 bytes), with an `owner` file naming the run's process.

A run that was killed leaves its directory, its daemons and their mounts
behind; the next run removes them (remove_stale_sessions), and a run
removes its own at the end (remove_session_dir)."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .procs import pid_alive, proc_starttime

TMP_PREFIX = "dgt-"          # every session directory is /tmp/dgt-XXXXXX

# Every process started for a session carries DGTEST_SESSION=<dir> in its
# environment, so that a later run can find it.
SESSION_ENV = "DGTEST_SESSION"


def new_session_dir():
    """A fresh session directory owned by this process."""
    d = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir="/tmp"))
    (d / "owner").write_text(f"{os.getpid()} {proc_starttime(os.getpid())}")
    return d


def _stale_session_dirs():
    """Session directories whose owning process is gone."""
    out = []
    for d in Path("/tmp").glob(TMP_PREFIX + "*"):
        owner = d / "owner"
        try:
            pid, start = owner.read_text().split()
        except (OSError, ValueError):
            # No owner file: only treat it as stale when it is old, so that a
            # concurrent run that is just starting is not disturbed.
            try:
                if time.time() - d.stat().st_mtime < 60:
                    continue
            except OSError:
                continue
            out.append(d)
            continue
        if not pid_alive(int(pid), start):
            out.append(d)
    return out


def remove_stale_sessions():
    """Removes what killed runs left behind (see remove_session_dir)."""
    for d in _stale_session_dirs():
        remove_session_dir(d)


def _pids_using(dirpath):
    """Processes started for a session dir: their command line or root is in it, or they
    carry DGTEST_SESSION=<dir> in their environment (every proxy and CLI does)."""
    prefix = str(dirpath)
    found = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) == os.getpid():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        try:
            root = os.readlink(p / "root")
        except OSError:
            root = ""
        try:
            environ = (p / "environ").read_bytes().split(b"\0")
        except OSError:
            environ = []
        if (prefix in cmd or root.startswith(prefix)
                or f"{SESSION_ENV}={prefix}".encode() in environ):
            found.append(int(p.name))
    return found


def _umount_under(dirpath):
    prefix = str(dirpath)
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return
    points = [m.split()[1] for m in mounts if len(m.split()) > 1]
    for mp in sorted((m for m in points if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)


def _kill_pids(pids, grace=5.0):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        time.sleep(0.1)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def remove_session_dir(d):
    """Stops every process of the session (daemons, containerd shims,
    proxies, CLIs), unmounts what is mounted below d, and removes d."""
    pids = _pids_using(d)
    if pids:
        _kill_pids(pids, grace=3.0)
    _umount_under(d)
    shutil.rmtree(d, ignore_errors=True)

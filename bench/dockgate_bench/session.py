"""One benchmark run: its state, its log line and its courtesy to tests."""

import os
import subprocess
import sys
import time

from .settings import MODES

T0 = time.monotonic()
# A test run on this machine: pytest, the CI script, or scripts/test.sh.
CI_PATTERN = r"pytest|\.ci/run|scripts/test.sh"


def log(msg):
    """One progress line on stderr, stamped with the seconds since start."""
    print(f"[{time.monotonic() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def active_test_pids():
    """The pids of test runs on this machine (pgrep -f CI_PATTERN), not
    counting this process."""
    r = subprocess.run(["pgrep", "-f", CI_PATTERN], capture_output=True,
                       text=True)
    return [p for p in r.stdout.split() if int(p) != os.getpid()]


class Session:
    """What every phase needs to know about this run: the options (args),
    the mode's settings (mode), the temporary work directory (work, removed
    at the end), the results directory and the dockgate binary measured."""

    def __init__(self, args, mode_name, work, results, dockgate):
        self.args = args
        self.mode_name = mode_name
        self.mode = MODES[mode_name]
        self.work = work
        self.results = results
        self.dockgate = dockgate

    def wait_quiet(self):
        """A test run on this machine must not be disturbed: waits while one
        is active (polls every 30 s), raises after --max-wait seconds."""
        waited = 0
        while not self.args.ignore_tests:
            pids = active_test_pids()
            if not pids:
                return
            if waited >= self.args.max_wait:
                raise RuntimeError(f"a test run is still active after {waited}s "
                                   f"(pids {' '.join(pids)}); giving up")
            if waited % 300 == 0:
                log(f"a test run is active (pids {' '.join(pids)}): waiting")
            time.sleep(30)
            waited += 30

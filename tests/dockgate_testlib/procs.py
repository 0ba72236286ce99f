"""Processes: a child started in its own session and stopped by its
group, and processes seen through /proc: identity (pid + start time,
since pids are reused), CPU time, memory, descriptors and sockets, and
whether a binary carries ASan."""

import os
import signal
import subprocess
from pathlib import Path

from .net import can_connect, wait_for


class ChildProcess:
    """A child in its own session, stopped by its process group. Its output
    goes to logdir/NAME.log unless stdout is given. Every child not yet
    stopped is in ChildProcess.live, for a clean-up at the end of a run."""
    live = []

    def __init__(self, name, argv, logdir, env=None, stdout=None, cwd=None):
        self.name = name
        self.logpath = None
        if stdout is None:
            self.logpath = Path(logdir) / f"{name}.log"
            stdout = open(self.logpath, "wb")
        full = dict(os.environ)
        full.update(env or {})
        self.p = subprocess.Popen(argv, env=full, stdout=stdout,
                                  stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, cwd=cwd,
                                  start_new_session=True)
        self.pid = self.p.pid
        ChildProcess.live.append(self)

    def alive(self):
        return self.p.poll() is None

    def tail(self, n=2000):
        """The last n characters of its log, or "" without one."""
        try:
            return self.logpath.read_text(errors="replace")[-n:]
        except (OSError, AttributeError):
            return ""

    def wait_listening(self, addr, timeout=20.0):
        """Waits until addr (see net.connect) accepts a connection; raises
        RuntimeError with the tail of its log if it exits first, and
        AssertionError after timeout seconds."""
        def accepting():
            if not self.alive():
                raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
            return can_connect(addr)
        wait_for(accepting, timeout, 0.05, f"{self.name} to accept on {addr}")

    def stop(self, sig=signal.SIGTERM, wait=10.0):
        """Sends sig to its process group, SIGKILL after `wait` seconds;
        returns its exit status."""
        if self.p.poll() is None:
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(wait)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait(5)
        if self in ChildProcess.live:
            ChildProcess.live.remove(self)
        return self.p.returncode


def proc_starttime(pid):
    """The start time of pid in clock ticks (a string), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def pid_alive(pid, starttime):
    """True if pid is still the process that started at starttime."""
    return proc_starttime(pid) == starttime


def cpu_seconds(pid):
    """User plus system CPU time of pid (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    """VmRSS of pid in kB (-1 if /proc does not say)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def fd_count(pid):
    """Open descriptors of pid, or -1 if it is gone."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def socket_inodes(pid):
    """The socket inode of each of pid's descriptors that is a socket (a
    list: two descriptors of one socket give it twice)."""
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out.append(int(target[8:-1]))
    return out


def is_asan(binary):
    """True if binary was built with AddressSanitizer (its quarantine then
    holds freed memory, which memory bounds must allow for)."""
    try:
        with open(binary, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False

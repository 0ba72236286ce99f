"""Processes seen through /proc: identity (pid + start time, since pids
are reused), memory, descriptors, and whether a binary carries ASan."""

import os


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


def is_asan(binary):
    """True if binary was built with AddressSanitizer (its quarantine then
    holds freed memory, which memory bounds must allow for)."""
    try:
        with open(binary, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False

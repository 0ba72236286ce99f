"""What a process costs, read from /proc: CPU time, RSS, open sockets."""

import os
import time


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    """VmRSS of a process in KiB (0 if it has none)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def socket_fds(pid):
    """How many of a process's fds are sockets."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                n += 1
        except OSError:
            pass
    return n


def settle_socket_count(pid, want=None, timeout=10.0):
    """Waits until the proxy's socket count reaches want, or has not moved
    for a second; returns it."""
    end = time.monotonic() + timeout
    last, stable = -1, 0
    while time.monotonic() < end:
        n = socket_fds(pid)
        if want is not None and n >= want:
            break
        stable = stable + 1 if n == last else 0
        if stable >= 10:
            break
        last = n
        time.sleep(0.1)
    time.sleep(0.2)
    return socket_fds(pid)

"""Memory and sockets: RSS idle, per idle connection, per connection idle
after a request, per open /events stream; sockets left after clients go.
Each measured on a fresh proxy process, never one that served a load test."""

import contextlib
import time

from dockgate_testlib.procs import rss_kb, socket_inodes

from .crowd import get_request, open_idle, read_all, send_all
from .settings import PING
from .subjects import start_subject


def socket_fds(pid):
    """How many of a process's fds are sockets."""
    return len(socket_inodes(pid))


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


@contextlib.contextmanager
def fresh_proxy(session, kind, upstream, tag):
    """A newly started proxy: yields (process, port, a list for the client
    sockets opened on it); on leaving, those are closed, then the proxy
    is stopped."""
    p, port = start_subject(session, kind, upstream, tag=tag)
    socks = []
    try:
        yield p, port, socks
    finally:
        for c in socks:
            c.close()
        p.stop()


def phase_memory(session, res, upstream):
    """RSS idle, per idle connection, per connection idle after a request."""
    n = session.mode["idle_conns"]
    notes = {}
    for rep in range(session.mode["memory_repeats"]):
        for s in ("haproxy", "dockgate"):
            session.wait_quiet()
            with fresh_proxy(session, s, upstream, "-mem") as (p, port, socks):
                time.sleep(0.5)
                idle = rss_kb(p.pid)
                res.add("rss_idle", s, idle / 1024, "RSS at idle", "MiB", "lower")
                s0 = socket_fds(p.pid)
                socks += open_idle(port, n)
                accepted = settle_socket_count(p.pid, s0 + n) - s0
                r1 = rss_kb(p.pid)
                res.add("kib_idle_conn", s, (r1 - idle) / n,
                        f"RSS per idle connection ({n} open)", "KiB", "lower")
                send_all(socks, get_request(PING))
                got = read_all(socks, lambda d: d.endswith(b"\r\n\r\nOK"), 30)
                ok = sum(d.startswith(b"HTTP/1.1 200") for d in got)
                settle_socket_count(p.pid)
                r2 = rss_kb(p.pid)
                fds = socket_fds(p.pid) - s0
                res.add("kib_after_req", s, (r2 - idle) / n,
                        "RSS per connection idle after one request", "KiB",
                        "lower")
                res.add("conns_held", s, ok,
                        f"connections of {n} answered 200 while all open",
                        "conns", "higher")
                notes[s] = (f"{s}: {accepted} accepted, {ok} answered 200, "
                            f"then {fds} sockets held")
    res.note("conns_held", "; ".join(notes.values()))


def phase_events(session, res, dockerd):
    """RSS per open /events stream; sockets left 5 s after the clients left."""
    n = session.mode["streams"]
    notes = {}
    for s in ("haproxy", "dockgate"):
        session.wait_quiet()
        with fresh_proxy(session, s, dockerd.sock, "-ev") as (p, port, socks):
            time.sleep(0.3)
            s0 = socket_fds(p.pid)
            r0 = rss_kb(p.pid)
            socks += open_idle(port, n)
            send_all(socks, get_request("/v1.41/events"))
            got = read_all(socks, lambda d: b"\r\n\r\n" in d, 30)
            ok = sum(d.startswith(b"HTTP/1.1 200") for d in got)
            held = settle_socket_count(p.pid, s0 + 2 * n) - s0
            r1 = rss_kb(p.pid)
            res.add("kib_stream", s, (r1 - r0) / n,
                    f"RSS per open /events stream ({n} open, real dockerd)",
                    "KiB", "lower")
            res.add("streams_ok", s, ok, f"/events streams of {n} answered 200",
                    "streams")
            for c in socks:
                c.close()
            socks.clear()
            time.sleep(5)
            left = socket_fds(p.pid) - s0
            res.add("sockets_left", s, left,
                    f"sockets still open 5 s after {n} /events clients left",
                    "sockets", "lower")
            notes[s] = f"{s}: {held} sockets while open, {left} 5 s after"
    res.note("sockets_left", "; ".join(notes.values()))

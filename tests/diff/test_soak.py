"""Bounded soak with abuse and faults (SECURITY.md, "How the guarantees are
tested"): many clients at once against a real dockerd through one dockgate,
for SOAK_SECONDS (default 60):

  allowed    GET /containers/json, /containers/{id}/json, HEAD /_ping on
             kept-alive raw connections: every answer must be the daemon's
             (JSON list holding our containers, the right Id, "OK");
  denied     /secrets, /images/create, /debug/vars, DELETE /volumes/x: 403;
  streaming  /events and logs?follow=1 read for a while, then dropped;
  hijacked   exec create + start (Upgrade: tcp -> 101), output must be the
             token echoed, or a stdin round trip through `cat` (half-close);
  garbage    random bytes and broken heads: 4xx or a close, never a hang;
  mid-body   a request body cut off halfway, allowed and denied;
  stall      half a head and then nothing (HEADER_TIMEOUT=2 -> 408), or an
             idle connection (IDLE_TIMEOUT=5).

The daemon (our own instance, so that restarting it disturbs no one) is
restarted once, at 40% of the run. Requests that start while it is down
(plus a grace period) may fail with 502; at any other time a failure of an
allowed request is a test failure.

Afterwards the proxy must still answer, its fd count must be back to the
baseline or below (every client connection is closed; a daemon connection
it left in the pool is closed after IDLE_TIMEOUT, so the pool may hold
fewer than at the baseline, never more), its VmRSS within RSS_SLACK_MB of the
baseline (see below), and after SIGTERM it must exit 0 with no
ASan/UBSan/LSan report in its stderr (run DOCKGATE_BIN=build-asan/dockgate
to get the sanitizer checks). The figures are printed for quoting.
"""

import json
import os
import random
import shutil
import signal
import socket
import struct
import threading
import time

import pytest

from dockgate_testlib.daemon import IMAGE, SLEEPER_CMD, Dockerd
from dockgate_testlib.net import wait_for
from dockgate_testlib.procs import is_asan, rss_kb
from dockgate_testlib.proxy import Proxy, sanitizer_report
from dockgate_testlib.rawhttp import PeerClosed, http_request
from dockgate_testlib.settings import DOCKGATE_BIN

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))

# VmRSS after the run may exceed the warm baseline by this much. At peak
# the proxy holds ~16 client connections, each with at most four buffers
# (~66 KB request side, ~18 KB response side), i.e. about 3 MB; glibc keeps
# some freed blocks in its arenas instead of returning them. 8 MB is well
# above that and well below what a leak per request would add over the
# tens of thousands of requests of a run. An ASan build keeps freed memory
# in its quarantine, capped below, and never gives the pages back: once
# blocks leave the quarantine their pages stay mapped while new blocks may
# come from fresh ones, so twice that cap is added. Because that bound is
# loose, the second half of the run must also not grow by more than
# RSS_SLACK_MB: a leak grows all along, a quarantine fills and stays.
RSS_SLACK_MB = 8
ASAN_QUARANTINE_MB = 32


def demux(data):
    """Splits a Docker multiplexed stream into (stdout, stderr)."""
    out, err, i = b"", b"", 0
    while i + 8 <= len(data):
        kind, size = data[i], struct.unpack(">I", data[i + 4:i + 8])[0]
        payload = data[i + 8:i + 8 + size]
        if kind == 2:
            err += payload
        else:
            out += payload
        i += 8 + size
    return out, err


@pytest.fixture(scope="module")
def soak_daemon(session_dir):
    """A dockerd of our own (restarted during the run), the busybox image,
    and two containers that come back by themselves after the restart."""
    if os.geteuid() != 0:
        pytest.skip("the soak starts its own dockerd and needs root")
    if not shutil.which("dockerd"):
        pytest.skip("dockerd is not installed")
    if not os.path.exists("/bin/busybox"):
        pytest.skip("/bin/busybox (busybox-static) is not installed")
    root = session_dir / "s"
    root.mkdir()
    d = Dockerd(root)
    d.start()
    try:
        d.import_busybox(IMAGE)
        sleeper = d.run_container(SLEEPER_CMD, "--restart", "always")
        logger = d.run_container(["sh", "-c", "trap 'exit 0' TERM; "
                                  "while true; do echo tick; sleep 0.2; done"],
                                 "--restart", "always")
        yield d, sleeper, logger
    finally:
        d.stop()


def restart_daemon(d):
    """Stops dockerd (containers stay defined) and starts it again."""
    d.proc.terminate()
    try:
        d.proc.wait(30)
    except Exception:
        d.proc.kill()
        d.proc.wait(10)
    d._logf.close()
    os.replace(d.log, str(d.log) + ".1")
    d.start()


class Soak:
    def __init__(self, proxy, daemon, sleeper, logger, seconds):
        self.p = proxy
        self.d = daemon
        self.sleeper = sleeper
        self.logger = logger
        self.t0 = time.monotonic()
        self.deadline = self.t0 + seconds
        self.down = None          # (start, end) of the daemon restart
        self.lock = threading.Lock()
        self.counts = {}
        self.faults = {}
        self.failures = []
        self.excused = {}
        self.known_ids = None

    # -- bookkeeping -------------------------------------------------------
    def count(self, kind, n=1):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + n

    def fault(self, kind):
        with self.lock:
            self.faults[kind] = self.faults.get(kind, 0) + 1

    def in_restart(self, t_start):
        dn = self.down
        if dn is None:
            return False
        start, end = dn
        return t_start >= start - 1.0 and (end is None or t_start <= end + 3.0)

    def fail(self, kind, t_start, msg):
        if self.in_restart(t_start):
            with self.lock:
                self.excused[kind] = self.excused.get(kind, 0) + 1
            time.sleep(0.05)      # no busy loop while the daemon is away
            return
        with self.lock:
            if len(self.failures) < 40:
                self.failures.append(f"[{kind} at +{t_start - self.t0:.1f}s] {msg}")

    def running(self):
        return time.monotonic() < self.deadline

    # -- workers -------------------------------------------------------------
    def allowed(self, rng):
        while self.running():
            t = time.monotonic()
            try:
                c = self.p.connect("tcp" if rng.random() < 0.7 else "unix", timeout=10)
            except OSError as e:
                self.fail("allowed", t, f"connect: {e!r}")
                time.sleep(0.1)
                continue
            try:
                for _ in range(rng.randrange(1, 8)):
                    if not self.running():
                        break
                    t = time.monotonic()
                    k = rng.random()
                    if k < 0.5:
                        c.send(http_request("GET", "/v1.41/containers/json?all=1"))
                        r = c.read_response(timeout=15)
                        ok = r.status == 200 and isinstance(r.json(), list)
                        if ok:
                            ids = {x.get("Id") for x in r.json()}
                            ok = self.known_ids <= ids
                        self.count("allowed ps")
                    elif k < 0.85:
                        cid = rng.choice([self.sleeper, self.logger])
                        c.send(http_request("GET", f"/containers/{cid}/json"))
                        r = c.read_response(timeout=15)
                        ok = r.status == 200 and r.json().get("Id") == cid
                        self.count("allowed inspect")
                    else:
                        c.send(http_request("HEAD", "/_ping"))
                        r = c.read_response(timeout=15, head_request=True)
                        ok = r.status == 200
                        self.count("allowed ping")
                    if not ok:
                        self.fail("allowed", t, f"not the daemon's answer: {r!r}")
                        break
                    if r.header("connection", "").lower() == "close":
                        break
            except (PeerClosed, OSError, TimeoutError, ValueError, AssertionError) as e:
                self.fail("allowed", t, f"{e!r}")
            finally:
                c.close()

    def denied(self, rng):
        reqs = [("GET", "/secrets", b""), ("POST", "/images/create?fromImage=x", b""),
                ("GET", "/v1.41/debug/vars", b""), ("DELETE", "/volumes/x", b""),
                ("POST", "/v1.41/swarm/init", b'{"ListenAddr":"0.0.0.0"}'),
                ("GET", "/CONTAINERS/json", b"")]
        while self.running():
            t = time.monotonic()
            try:
                c = self.p.connect("tcp", timeout=10)
                try:
                    for _ in range(rng.randrange(1, 5)):
                        m, path, body = rng.choice(reqs)
                        c.send(http_request(m, path, body=body))
                        r = c.read_response(timeout=10)
                        self.count("denied")
                        if r.status != 403 or b"dockgate" not in r.body:
                            self.fail("denied", t, f"{m} {path} answered {r!r}")
                            break
                finally:
                    c.close()
            except (PeerClosed, OSError, TimeoutError) as e:
                self.fail("denied", t, f"{e!r}")
            time.sleep(0.002)     # denials cost the proxy nothing: leave CPU to the rest

    def streaming(self, rng):
        while self.running():
            t = time.monotonic()
            events = rng.random() < 0.5
            path = ("/events?since=%d" % int(time.time() - 5) if events else
                    f"/containers/{self.logger}/logs?follow=1&stdout=1&tail=5")
            try:
                c = self.p.connect("tcp", timeout=10)
            except OSError as e:
                self.fail("stream", t, f"connect: {e!r}")
                time.sleep(0.2)
                continue
            try:
                c.send(http_request("GET", path))
                _, status, _, _, _ = c.read_head(timeout=10)
                if status != 200:
                    self.fail("stream", t, f"{path}: status {status}")
                    continue
                until = min(self.deadline, time.monotonic() + rng.uniform(0.5, 3))
                while time.monotonic() < until and (events or b"tick" not in c.buf):
                    try:
                        if not c._fill(min(until, time.monotonic() + 0.5)):
                            break
                    except TimeoutError:
                        pass
                self.count("stream events" if events else "stream logs")
                if not events and b"tick" not in c.buf:
                    self.fail("stream", t, f"logs?follow=1 gave no 'tick' in time: {c.buf[:200]!r}")
            except (PeerClosed, OSError, TimeoutError) as e:
                self.fail("stream", t, f"{path}: {e!r}")
            finally:
                c.close()

    def _exec(self, rng, t):
        tok = "tok-%08x" % rng.getrandbits(32)
        stdin = rng.random() < 0.4
        cfg = {"AttachStdout": True, "AttachStderr": True, "AttachStdin": stdin,
               "Cmd": ["cat"] if stdin else ["echo", tok]}
        st, data = self.p_api("POST", f"/v1.41/containers/{self.sleeper}/exec", cfg)
        if st != 201:
            self.fail("hijack", t, f"exec create: {st} {data!r:.300}")
            return
        eid = data["Id"]
        c = self.p.connect("tcp" if rng.random() < 0.6 else "unix", timeout=15)
        try:
            body = json.dumps({"Detach": False, "Tty": False}).encode()
            c.send(http_request("POST", f"/v1.41/exec/{eid}/start", body=body,
                                      headers=[("Content-Type", "application/json"),
                                               ("Connection", "Upgrade"), ("Upgrade", "tcp")]))
            _, status, _, _, _ = c.read_head(timeout=15)
            if status != 101:
                self.fail("hijack", t, f"exec start: status {status}")
                return
            if stdin:
                c.send(tok.encode())
                c.shutdown_write()
            raw = c.read_until_close(timeout=15)
            out, _ = demux(raw)
            want = tok.encode() if stdin else tok.encode() + b"\n"
            if out != want:
                self.fail("hijack", t, f"exec output {out!r} (raw {raw[:200]!r}), expected {want!r}")
            self.count("hijack exec stdin" if stdin else "hijack exec echo")
        finally:
            c.close()

    def p_api(self, method, path, body):
        c = self.p.connect("tcp", timeout=15)
        try:
            c.send(http_request(method, path, body=json.dumps(body),
                                      headers=[("Content-Type", "application/json")]))
            r = c.read_response(timeout=15)
            try:
                return r.status, r.json()
            except ValueError:
                return r.status, r.body
        finally:
            c.close()

    def hijack(self, rng):
        while self.running():
            t = time.monotonic()
            try:
                self._exec(rng, t)
            except (PeerClosed, OSError, TimeoutError, ValueError, KeyError) as e:
                self.fail("hijack", t, f"{e!r}")
                time.sleep(0.1)

    def garbage(self, rng):
        samples = [
            b"GET /containers/json HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET /v1.41/../secrets HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /_ping HTTP/1.1\nHost: x\n\n",
            b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
            b"POST /containers/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"GET /_ping HTTP/1.1\r\nHost: x\r\n X-Fold: y\r\n\r\n",
            b"GET /_ping HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n",
        ]
        while self.running():
            t = time.monotonic()
            data = (rng.choice(samples) if rng.random() < 0.7 else
                    bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))))
            try:
                c = self.p.connect("tcp", timeout=10)
                try:
                    c.send(data)
                    try:
                        r = c.read_response(timeout=10)
                        if not (400 <= r.status < 500):
                            self.fail("garbage", t, f"{data[:80]!r} answered {r!r}")
                    except PeerClosed:
                        pass
                    self.fault("garbage")
                finally:
                    c.close()
            except (OSError, TimeoutError) as e:
                self.fail("garbage", t, f"{data[:80]!r}: {e!r}")

    def midbody(self, rng):
        while self.running():
            t = time.monotonic()
            allowed = rng.random() < 0.5
            path = "/v1.41/containers/create?name=never" if allowed else "/v1.41/images/load"
            body = b'{"Image":"' + b"x" * 2000 + b'"}'
            chunked = rng.random() < 0.4
            try:
                c = self.p.connect("tcp", timeout=10)
                try:
                    if chunked:
                        head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                f"Transfer-Encoding: chunked\r\n\r\n").encode()
                        c.send(head + b"%x\r\n" % len(body) + body[:rng.randrange(len(body))])
                    else:
                        head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                f"Content-Length: {len(body)}\r\n\r\n").encode()
                        c.send(head + body[:rng.randrange(len(body))])
                    time.sleep(rng.uniform(0, 0.2))
                finally:
                    c.close()
                self.fault("disconnect mid-body")
            except OSError as e:
                self.fail("midbody", t, f"{e!r}")
            time.sleep(0.02)

    def stall(self, rng):
        while self.running():
            t = time.monotonic()
            try:
                c = self.p.connect("tcp", timeout=10)
                try:
                    if rng.random() < 0.6:
                        c.send(b"GET /containers/json HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                        self.fault("stalled head")
                        try:
                            r = c.read_response(timeout=8)
                            if r.status != 408:
                                self.fail("stall", t, f"stalled head answered {r!r}")
                        except PeerClosed:
                            self.fail("stall", t, "stalled head closed without a 408")
                    else:
                        self.fault("idle connection")
                        if not c.closed_by_peer(timeout=12):
                            self.fail("stall", t, "idle connection not closed after IDLE_TIMEOUT")
                finally:
                    c.close()
            except (OSError, TimeoutError) as e:
                self.fail("stall", t, f"{e!r}")

    def restarter(self, at):
        time.sleep(max(0.0, at - time.monotonic()))
        start = time.monotonic()
        self.down = (start, None)
        self.fault("daemon restart")
        try:
            restart_daemon(self.d)
            wait_for(lambda: all(self.d.inspect(c)["State"]["Running"]
                                       for c in (self.sleeper, self.logger)), 60, 0.2,
                           "containers running again after the restart")
        finally:
            self.down = (start, time.monotonic())


def test_soak(soak_daemon, session_dir):
    d, sleeper, logger = soak_daemon
    env = {"CONTAINERS": "1", "EXEC": "1", "POST": "1", "LOG_LEVEL": "info",
           "HEADER_TIMEOUT": "2", "IDLE_TIMEOUT": "5"}
    asan = is_asan(DOCKGATE_BIN)
    base_opts = os.environ.get("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
    env["ASAN_OPTIONS"] = base_opts + f":quarantine_size_mb={ASAN_QUARANTINE_MB}"
    p = Proxy(session_dir / "s", env, d.sock).start()
    stopped = False
    try:
        soak = Soak(p, d, sleeper, logger, SOAK_SECONDS)
        soak.known_ids = {sleeper, logger}
        # warm-up: one of each, then the baseline
        st, _ = soak.p_api("GET", "/containers/json", {})
        assert st == 200
        time.sleep(0.5)
        base_fds, base_rss = p.fd_count(), rss_kb(p.proc.pid)
        soak.t0 = time.monotonic()
        soak.deadline = soak.t0 + SOAK_SECONDS
        workers = ([soak.allowed] * 4 + [soak.denied] * 2 + [soak.streaming] * 2 +
                   [soak.hijack] * 2 + [soak.garbage] * 2 + [soak.midbody] * 2 +
                   [soak.stall] * 2)
        threads = [threading.Thread(target=w, args=(random.Random(i),), daemon=True)
                   for i, w in enumerate(workers)]
        threads.append(threading.Thread(target=soak.restarter,
                                        args=(soak.t0 + 0.4 * SOAK_SECONDS,), daemon=True))
        for th in threads:
            th.start()
        peak_rss, peak_fds = base_rss, base_fds
        mid_rss = None
        while any(th.is_alive() for th in threads):
            if not p.alive():
                break
            peak_rss = max(peak_rss, rss_kb(p.proc.pid))
            if mid_rss is None and time.monotonic() >= soak.t0 + SOAK_SECONDS / 2:
                mid_rss = rss_kb(p.proc.pid)
            peak_fds = max(peak_fds, p.fd_count())
            time.sleep(0.5)
            if time.monotonic() > soak.deadline + 90:
                break
        stuck = [th for th in threads if th.is_alive()]
        alive = p.alive()
        problems = []
        if stuck:
            problems.append(f"{len(stuck)} client threads still busy 90 s after the end")
        if not alive:
            problems.append(f"dockgate died during the soak (status {p.proc.returncode}); "
                            f"stderr tail:\n{p.stderr()[-4000:]}")
        fds_end = rss_end = -1
        if alive:
            try:
                r = p.request(http_request("GET", "/_ping"))
                if (r.status, r.body) != (200, b"OK"):
                    problems.append(f"after the soak GET /_ping answered {r!r}")
            except Exception as e:
                problems.append(f"after the soak GET /_ping failed: {e!r}")
            deadline = time.monotonic() + 15
            while p.fd_count() > base_fds and time.monotonic() < deadline:
                time.sleep(0.2)
            fds_end, rss_end = p.fd_count(), rss_kb(p.proc.pid)
            slack = (RSS_SLACK_MB + (2 * ASAN_QUARANTINE_MB if asan else 0)) * 1024
            if fds_end > base_fds:
                problems.append(f"fd count {base_fds} before, {fds_end} after the soak")
            if rss_end - base_rss > slack:
                problems.append(f"VmRSS {base_rss} kB before, {rss_end} kB after (bound +{slack} kB)")
            if mid_rss is not None and rss_end - mid_rss > RSS_SLACK_MB * 1024:
                problems.append(f"VmRSS {mid_rss} kB half-way, {rss_end} kB after: still "
                                f"growing (bound +{RSS_SLACK_MB * 1024} kB)")
        rc = p.stop()
        stopped = True
        err = p.stderr_path.read_text(errors="replace")
        if alive and rc != 0:
            problems.append(f"dockgate exited with status {rc} after SIGTERM; tail:\n{err[-3000:]}")
        report = sanitizer_report(err)
        if report is not None:
            problems.append(f"sanitizer report in dockgate's stderr:\n{report}")
        dn = soak.down
        print(f"\nsoak: {SOAK_SECONDS:.0f} s, binary {DOCKGATE_BIN} ({'ASan+UBSan' if asan else 'plain'})")
        print(f"  requests by kind: {dict(sorted(soak.counts.items()))} "
              f"(total {sum(soak.counts.values())})")
        print(f"  faults injected:  {dict(sorted(soak.faults.items()))} "
              f"(total {sum(soak.faults.values())})")
        if dn:
            print(f"  daemon down from +{dn[0] - soak.t0:.1f}s for "
                  f"{(dn[1] or time.monotonic()) - dn[0]:.1f}s; failures excused meanwhile: "
                  f"{soak.excused}")
        print(f"  fds:   before {base_fds}, peak {peak_fds}, after {fds_end}")
        print(f"  VmRSS: before {base_rss} kB, half-way {mid_rss} kB, peak {peak_rss} kB, "
              f"after {rss_end} kB")
        print(f"  failures: {len(soak.failures)}")
        problems = soak.failures + problems
        assert not problems, "soak problems:\n" + "\n".join(problems)
    finally:
        if not stopped:
            p.stop()

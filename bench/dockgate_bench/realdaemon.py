"""The real daemon: a private dockerd with the benchmark's images and
containers, latency of keep-alive GETs, and docker save through each
subject."""

import hashlib
import subprocess
import time

from dockgate_testlib.daemon import cli_env
from dockgate_testlib.rawhttp import RawConn

from .crowd import keepalive_get
from .session import log
from .settings import JSON_PATH, PING, SUBJECTS, subject_order

BIG_IMAGE_EXTRA = 200 << 20      # random bytes in bench/big


def write_random(path, size):
    """A file of size random bytes: nothing on the way can compress it."""
    with open("/dev/urandom", "rb") as rnd, open(path, "wb") as f:
        left = size
        while left:
            left -= f.write(rnd.read(min(left, 1 << 20)))


def start_bench_dockerd(dockerd):
    """Starts the private dockerd (a dockgate_testlib Dockerd) and gives it
    bench/busybox, bench/big (plus 200 MiB of random bytes) and three
    containers running sleep 3600. The caller stops it and removes its
    directory, also when this raises."""
    dockerd.start()
    dockerd.import_busybox("bench/busybox:latest", timeout=600)
    for i in range(3):
        r = dockerd.cli("run", "-d", "--network", "none", "--name",
                        f"bench-{i}", "bench/busybox:latest", "sleep", "3600",
                        timeout=600)
        if r.rc != 0:
            raise RuntimeError(f"container bench-{i} did not start: {r}")
    blob = dockerd.root / "big-blob"
    write_random(blob, BIG_IMAGE_EXTRA)
    dockerd.import_busybox("bench/big:latest", {"data/blob": str(blob)},
                           timeout=600)
    blob.unlink()


def phase_latency(session, res, subjects):
    """p50/p99 of sequential keep-alive GETs against the real daemon.
    subjects: name -> address (the unix socket, or a proxy's TCP address)."""
    n = session.mode["latency_requests"]
    for rep in range(session.mode["latency_repeats"]):
        for path, pname in ((PING, "/_ping"), (JSON_PATH, "containers/json")):
            session.wait_quiet()
            for s in subject_order(rep):
                c = RawConn.open(subjects[s], 10, nodelay=True)
                for _ in range(50):                       # warm-up
                    keepalive_get(c, path, 10)
                lat = []
                for _ in range(n):
                    t0 = time.perf_counter_ns()
                    st = keepalive_get(c, path, 10)
                    lat.append((time.perf_counter_ns() - t0) / 1e6)
                    if st != 200:
                        raise RuntimeError(f"{s} answered {st} for {path}")
                c.close()
                lat.sort()
                res.add(f"real_{pname}_p50", s, lat[len(lat) // 2],
                        f"real dockerd, keep-alive GET {pname}: p50", "ms",
                        "lower", "ms")
                res.add(f"real_{pname}_p99", s, lat[int(len(lat) * 0.99)],
                        f"real dockerd, keep-alive GET {pname}: p99", "ms",
                        "lower", "ms")


def phase_save(session, res, dockerd, subjects):
    """docker save of a ~200 MiB image through each subject; sha256 equal.
    Returns the sha256 values seen per subject."""
    shas = {}
    for rep in range(session.mode["save_repeats"]):
        for s in subject_order(rep):
            session.wait_quiet()
            addr = subjects[s]
            host = ("unix://" + addr) if isinstance(addr, str) \
                else f"tcp://127.0.0.1:{addr[1]}"
            t0 = time.perf_counter()
            p = subprocess.Popen(["docker", "-H", host, "save", "bench/big:latest"],
                                 env=cli_env(dockerd.cli_config),
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            sha, size = hashlib.sha256(), 0
            while True:
                d = p.stdout.read(1 << 20)
                if not d:
                    break
                sha.update(d)
                size += len(d)
            err = p.stderr.read()
            rc = p.wait(600)
            dt = time.perf_counter() - t0
            if rc != 0:
                log(f"docker save via {s} failed: {err[-500:]!r}")
                dt = None
            shas.setdefault(s, set()).add(sha.hexdigest())
            res.add("save_s", s, dt, f"docker save of a {size / 2**20:.0f} MiB "
                    "image: time", "s", "lower")
    base = shas.get("baseline", set())
    same = {s: shas.get(s) == base and len(base) == 1 for s in SUBJECTS}
    for s in SUBJECTS:
        res.add("save_sha", s, "equal" if same[s] else "DIFFERENT",
                "docker save: sha256 equal to the direct save", "", "", "text")
    return {s: sorted(v) for s, v in shas.items()}

"""The 1 GiB download through each subject: MB/s and CPU s per GiB."""

import subprocess
import time

from dockgate_testlib.procs import cpu_seconds

from .session import log
from .settings import BIG, BIG_SIZE, subject_order


def phase_download(session, res, subjects):
    """1 GiB through each subject with curl; MB/s and CPU s per GiB.
    subjects: name -> (port, pid whose CPU is counted)."""
    for rep in range(session.mode["download_repeats"]):
        for s in subject_order(rep):
            session.wait_quiet()
            port, pid = subjects[s]
            c0 = cpu_seconds(pid)
            t0 = time.perf_counter()
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time",
                                "120", "-w", "%{http_code} %{size_download}",
                                f"http://127.0.0.1:{port}{BIG}"],
                               capture_output=True, text=True, timeout=180)
            dt = time.perf_counter() - t0
            cpu = cpu_seconds(pid) - c0
            code, size = (r.stdout.split() + ["0", "0"])[:2]
            ok = code == "200" and int(size) == BIG_SIZE
            if not ok:
                log(f"download via {s}: status {code}, {size} bytes")
            res.add("dl_mbs", s, BIG_SIZE / dt / 1e6 if ok else None,
                    "1 GiB download: throughput", "MB/s")
            res.add("dl_cpu", s, cpu * (1 << 30) / BIG_SIZE if ok else None,
                    "1 GiB download: CPU s per GiB (own process)", "s", "lower")

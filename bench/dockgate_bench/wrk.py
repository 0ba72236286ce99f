"""wrk: one run and its parsing, the cases, and the throughput phase
(req/s, p50, p99 and the subject's CPU per 100k requests)."""

import re
import subprocess
import time

from dockgate_testlib.procs import cpu_seconds

from .session import log
from .settings import DENIED, JSON_PATH, PING, subject_order

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def parse_ms(s):
    """A wrk duration ('512.00us', '1.20ms', '2s') in ms, or None."""
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def parse_wrk_output(out):
    """rps, p50 and p99 (ms), requests, non-2xx answers and socket errors
    from wrk --latency's output; a figure it does not print is None (0 for
    the counts)."""
    res = {"rps": None, "p50": None, "p99": None, "requests": 0,
           "non2xx": 0, "errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        res["requests"] = int(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            res[key] = parse_ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", out)
    if m:
        res["errors"] = sum(int(x) for x in m.groups())
    return res


def run_wrk(port, path, conns, duration, close=False):
    """One wrk run of GET path on 127.0.0.1:port with conns connections
    (min(2, conns) threads) for duration s; close: a new connection per
    request. Returns parse_wrk_output's figures."""
    threads = min(2, conns)
    argv = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{duration}s",
            "--latency", "--timeout", "5s"]
    if close:
        argv += ["-H", "Connection: close"]
    argv.append(f"http://127.0.0.1:{port}{path}")
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=duration + 60)
    res = parse_wrk_output(r.stdout)
    if res["rps"] is None:
        log(f"wrk gave no result: {r.stdout[-500:]} {r.stderr[-500:]}")
    return res


def wrk_cases(mode):
    """(path, name, connections, new connection per request) of every case:
    keep-alive then new-connection, /_ping then containers/json, at each
    of the mode's connection counts; then the denied case."""
    cases = []
    for close in (False, True):
        for path, pname in ((PING, "/_ping"), (JSON_PATH, "containers/json")):
            for n in mode["conns"]:
                cases.append((path, pname, n, close))
    cases.append((DENIED, "denied (403)", 16, False))
    return cases


def phase_wrk(session, res, subjects):
    """Throughput, latency and CPU, subjects interleaved within each repeat.
    subjects: name -> (port, pid whose CPU is counted). Returns the count
    of errors (and unexpected non-2xx answers) per subject and case."""
    mode = session.mode
    cases = wrk_cases(mode)
    errors = {}
    for s, (port, pid) in subjects.items():
        session.wait_quiet()
        run_wrk(port, PING, 16, mode["warmup"])
    for rep in range(mode["repeats"]):
        log(f"wrk repeat {rep + 1}/{mode['repeats']} ({len(cases)} cases x 3)")
        for path, pname, n, close in cases:
            session.wait_quiet()
            how = "new conn" if close else "keep-alive"
            key = f"{'close' if close else 'ka'}_{pname}_{n}"
            for s in subject_order(rep):
                port, pid = subjects[s]
                c0 = cpu_seconds(pid)
                r = run_wrk(port, path, n, mode["duration"], close)
                cpu = cpu_seconds(pid) - c0
                errs = r["errors"] + (r["non2xx"] if path != DENIED else 0)
                if errs:
                    errors[f"{s} {key}"] = errors.get(f"{s} {key}", 0) + errs
                label = f"{how} GET {pname}, {n} conn"
                res.add(f"{key}_rps", s, r["rps"], f"{label}: req/s", "req/s")
                res.add(f"{key}_p50", s, r["p50"], f"{label}: p50", "ms",
                        "lower", "ms")
                res.add(f"{key}_p99", s, r["p99"], f"{label}: p99", "ms",
                        "lower", "ms")
                if n == 16 and r["requests"]:
                    cpu100k = cpu / r["requests"] * 1e5
                    res.add(f"{key}_cpu", s, cpu100k,
                            f"{label}: CPU s per 100k requests (own process)",
                            "s", "lower")
                time.sleep(0.2)
    return errors

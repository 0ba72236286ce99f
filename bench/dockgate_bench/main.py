"""bench/run's options, the order of the phases, and what is written at
the end, also when a phase or the whole run fails."""

import argparse
import datetime
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from dockgate_testlib.daemon import Dockerd
from dockgate_testlib.procs import ChildProcess
from dockgate_testlib.session import remove_session_dir

from . import report
from .callgrind import phase_callgrind
from .connopts import phase_connopts
from .download import phase_download
from .memory import phase_events, phase_memory
from .prepare import ensure_debs, pick_binary, raise_nofile, versions
from .realdaemon import phase_latency, phase_save, start_bench_dockerd
from .session import T0, Session, log
from .settings import BENCH, POLICY
from .strace import phase_strace
from .subjects import start_nginx, start_subject
from .wrk import phase_wrk

DESCRIPTION = "bench/run - dockgate side by side with HAProxy and with no proxy at all."


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=DESCRIPTION)
    ap.add_argument("--quick", action="store_true", help="about 5 minutes")
    ap.add_argument("--bin", help="dockgate binary (default: build-static/dockgate)")
    ap.add_argument("--glibc", action="store_true",
                    help="use build/dockgate (plain -O2, glibc) instead")
    ap.add_argument("--no-build", action="store_true", help="do not run ninja first")
    ap.add_argument("--log", action="store_true",
                    help="both proxies log one line per request (to /dev/null)")
    ap.add_argument("--phases", default="wrk,download,callgrind,memory,docker",
                    help="comma-separated subset (default: all but the optional "
                         "connopts and strace)")
    ap.add_argument("--ignore-tests", action="store_true",
                    help="do not wait for a test run to end (only for the "
                    "callgrind phase, whose counts load does not change)")
    ap.add_argument("--max-wait", type=int, default=3600,
                    help="seconds to wait for an active test run (default 3600)")
    ap.add_argument("--out", help="JSON result path (default bench/results/...)")
    return ap.parse_args(argv)


class PhaseRunner:
    """Runs phases so that one that fails is reported in failed (phase
    name -> message) and the others still run."""

    def __init__(self, failed):
        self.failed = failed

    def attempt(self, name, fn, *a):
        try:
            return fn(*a)
        except Exception as e:            # noqa: BLE001 - report, go on
            log(f"phase {name} failed: {e}\n{traceback.format_exc()}")
            self.failed[name] = str(e)[:500]
            return None


def run_synthetic(session, res, meta, phases, runner, nsock, nginx_worker):
    """The phases against nginx as the upstream (its unix socket nsock; the
    baseline is nginx_worker, (port, pid)): wrk and download with one
    long-lived proxy each, then callgrind, memory, connopts and strace,
    which start their own."""
    attempt = runner.attempt
    if phases & {"wrk", "download"}:
        hap, hport = start_subject(session, "haproxy", nsock)
        dg, dport = start_subject(session, "dockgate", nsock)
        subjects = {"baseline": nginx_worker, "haproxy": (hport, hap.pid),
                    "dockgate": (dport, dg.pid)}
        if "wrk" in phases:
            meta["wrk_errors"] = attempt("wrk", phase_wrk, session, res, subjects)
        if "download" in phases:
            log("1 GiB downloads")
            attempt("download", phase_download, session, res, subjects)
        hap.stop()
        dg.stop()
    if "callgrind" in phases:
        log("callgrind")
        meta["dockgate_hot_functions"] = attempt(
            "callgrind", phase_callgrind, session, res, nsock)
    if "memory" in phases:
        log("memory")
        attempt("memory", phase_memory, session, res, nsock)
    if "connopts" in phases:
        log("a 62 KB head of Connection options")
        attempt("connopts", phase_connopts, session, res, nsock)
    if "strace" in phases:
        log("strace")
        meta["dockgate_syscalls"] = attempt("strace", phase_strace, session,
                                            res, nsock)


def run_real_daemon(session, res, meta, runner, dockerd):
    """The phases against the private dockerd: latency and docker save with
    one proxy each, then /events streams, which start their own."""
    attempt = runner.attempt
    session.wait_quiet()
    log("private dockerd: start, import images, run containers")
    start_bench_dockerd(dockerd)
    hap, hport = start_subject(session, "haproxy", dockerd.sock, tag="-real")
    dg, dport = start_subject(session, "dockgate", dockerd.sock, tag="-real")
    real = {"baseline": dockerd.sock, "haproxy": ("127.0.0.1", hport),
            "dockgate": ("127.0.0.1", dport)}
    log("latency against the real daemon")
    attempt("latency", phase_latency, session, res, real)
    log("docker save")
    meta["save_sha256"] = attempt("save", phase_save, session, res, dockerd, real)
    hap.stop()
    dg.stop()
    log("/events streams")
    attempt("events", phase_events, session, res, dockerd)


def write_report(session, res, meta, out):
    """Writes the raw runs, prints the table (and dockgate's hot functions),
    writes the JSON and the .txt copy of the table."""
    report.write_raw(out, meta, res)
    rows = res.finish()
    report.note_added_latency(rows)
    meta["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    meta["wall_s"] = round(time.monotonic() - T0, 1)
    text = report.table(rows)
    print(text)
    if meta.get("dockgate_hot_functions"):
        print(report.hot_functions_text(meta["dockgate_hot_functions"]))
    if meta.get("dockgate_syscalls"):
        print(report.syscalls_text(meta["dockgate_syscalls"]))
    report.write_final(out, meta, rows, text)
    log(f"wrote {out} and {out.with_suffix('.txt')} in {meta['wall_s']} s")


def main(argv=None):
    args = parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("bench/run needs root (packages, a private dockerd)")
    mode_name = "quick" if args.quick else "full"
    phases = set(args.phases.split(","))
    nofile = raise_nofile()
    ensure_debs()
    dockgate = pick_binary(args)
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dgb.", dir="/tmp"))
    session = Session(args, mode_name, work, results, dockgate)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    res = report.Results()
    meta = {"mode": mode_name, "settings": session.mode, "policy": POLICY,
            "log_per_request": args.log, "nofile": nofile,
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    dockerd = None
    failed = meta["failed"] = {}
    runner = PhaseRunner(failed)
    try:
        meta["versions"] = versions(dockgate)
        log(f"{mode_name} mode; dockgate {dockgate}; work dir {work}; "
            f"open files {nofile}")
        session.wait_quiet()
        nginx, nport, nsock, nworker = start_nginx(session)
        run_synthetic(session, res, meta, phases, runner, nsock,
                      (nport, nworker))
        nginx.stop()
        if "docker" in phases:
            dockerd = Dockerd(work)
            run_real_daemon(session, res, meta, runner, dockerd)
    except (Exception, KeyboardInterrupt, SystemExit) as e:
        log(f"stopped early: {e!r}; writing what was measured")
        failed["run"] = repr(e)[:500]
    finally:
        for p in list(ChildProcess.live):
            p.stop()
        if dockerd is not None:
            dockerd.stop()
        # Also what dockerd left: containerd, shims, containers, mounts.
        remove_session_dir(work)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else results / f"{stamp}-{mode_name}.json"
    write_report(session, res, meta, out)
    if failed:
        log(f"could not measure: {failed}")
        sys.exit(1)

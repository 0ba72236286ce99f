"""Before measuring: Debian packages, the dockgate binary, the open-file
limit, and the versions of everything, for the JSON."""

import os
import platform
import resource
import shutil
import subprocess
from pathlib import Path

from .session import log
from .settings import DEBS, REPO


def ensure_debs():
    """Installs the Debian packages of missing tools (apt-get update only
    when the first install fails)."""
    missing = sorted({deb for tool, deb in DEBS.items()
                      if not (os.path.exists(tool) if tool.startswith("/")
                              else shutil.which(tool))})
    if not missing:
        return
    log(f"installing from Debian: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"]
                       + missing, env=env, capture_output=True)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"]
                       + missing, env=env, check=True, capture_output=True)


def pick_binary(args):
    """The dockgate under test: --bin, else a fresh static glibc release build
    (build-static/), else a fresh plain build (build/). A build dir that does
    not build is skipped rather than benchmarked with a stale binary."""
    if args.bin:
        return Path(args.bin).resolve()
    dirs = ["build"] if args.glibc else ["build-static", "build"]
    for d in dirs:
        bdir = REPO / d
        if not (bdir / "dockgate").exists() and not (bdir / "build.ninja").exists():
            continue
        if not args.no_build and (bdir / "build.ninja").exists():
            r = subprocess.run(["ninja", "-C", str(bdir)], capture_output=True,
                               text=True)
            if r.returncode != 0:
                err = [l for l in r.stdout.splitlines() if "error" in l][:3]
                log(f"ninja -C {d} failed ({'; '.join(err)}): not using {d}")
                continue
        if (bdir / "dockgate").exists():
            return bdir / "dockgate"
    raise RuntimeError("no dockgate binary builds (build it, or pass --bin)")


def raise_nofile():
    """Raises the soft open-file limit to the hard one (children inherit
    it); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def versions(dockgate):
    """The first version line of every tool, git describe, the binary, the
    kernel and the CPU: meta.versions in the JSON."""
    def first(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except Exception:
            return "?"
    git = subprocess.run(["git", "-C", str(REPO), "describe", "--always",
                          "--dirty"], capture_output=True, text=True).stdout.strip()
    return {"nginx": first(["nginx", "-v"]), "haproxy": first(["haproxy", "-v"]),
            "wrk": first(["wrk", "-v"]), "valgrind": first(["valgrind", "--version"]),
            "docker": first(["docker", "--version"]), "dockgate_git": git,
            "dockgate_bin": str(dockgate),
            "dockgate_build": first(["file", "-b", str(dockgate)])[:100],
            "kernel": platform.release(), "cpus": os.cpu_count(),
            "cpu": next((l.split(":", 1)[1].strip() for l in
                         open("/proc/cpuinfo") if l.startswith("model name")), "?")}

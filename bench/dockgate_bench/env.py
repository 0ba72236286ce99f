"""The benchmark's environment helpers: child processes, free ports,
readiness waits, a raw HTTP/1.1 client and a private dockerd.

These are the helpers a test suite needs as well. They are kept together in
this one module, with nothing benchmark-specific in them, so that they can
be swapped for a shared library's versions without touching the phases.
"""

import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from .session import log


# ---------------------------------------------------------------- processes

class ChildProcess:
    """A child in its own session, stopped by its pid (and its group).
    Its output goes to logdir/NAME.log unless stdout is given. Every child
    not yet stopped is in ChildProcess.live, for the cleanup at the end."""
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


# ---------------------------------------------------------------- ports

def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_tcp(port, proc=None, timeout=20.0):
    """Waits until 127.0.0.1:port accepts; one successful connect. Raises
    with the tail of proc's log if proc exits first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def wait_unix(path, timeout=20.0):
    """Waits until the unix socket at path accepts; one successful connect."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(0.5)
                s.connect(path)
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {path} after {timeout}s")


# ---------------------------------------------------------------- HTTP client

class HttpClient:
    """A tiny HTTP/1.1 client: one connection, keep-alive, Content-Length or
    chunked bodies. Enough for latency, callgrind and stream figures.
    addr: a unix socket path (str) or a (host, port) tuple."""

    def __init__(self, addr, timeout=30.0):
        if isinstance(addr, str):
            self.s = socket.socket(socket.AF_UNIX)
        else:
            self.s = socket.socket()
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s.settimeout(timeout)
        self.s.connect(addr)
        self.buf = b""

    def close(self):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise ConnectionError("connection closed")
        self.buf += d

    def head(self):
        """Reads a response head; returns (status, {lowercase name: value})."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        return status, hdrs

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def response(self, method="GET"):
        """Reads one whole response; returns (status, body length). Raises
        ConnectionError on a response that has no length."""
        status, hdrs = self.head()
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return status, 0
        if "content-length" in hdrs:
            return status, len(self._take(int(hdrs["content-length"])))
        if "chunked" in hdrs.get("transfer-encoding", "").lower():
            total = 0
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    return status, total
                total += len(self._take(size))
                self._take(2)
        raise ConnectionError("response without a length")

    def get(self, path):
        self.send(f"GET {path} HTTP/1.1\r\nHost: docker\r\n\r\n".encode())
        return self.response()


# ---------------------------------------------------------------- dockerd

class Dockerd:
    """A private dockerd: socket, data-root and exec-root under a short
    /tmp/dgd.* directory, no iptables, no bridge, vfs storage. Its log is
    logdir/dockerd.log. stop() then remove() leave nothing behind."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.root = Path(tempfile.mkdtemp(prefix="dgd.", dir="/tmp"))
        self.sock = str(self.root / "docker.sock")
        self.proc = None
        self.env = dict(os.environ, DOCKER_CONFIG=str(self.root / "cli"))
        self.env.pop("DOCKER_HOST", None)

    def start(self):
        """Starts it and waits (60 s at most) until it answers /_ping."""
        self.proc = ChildProcess("dockerd", [
            "dockerd", "--host", "unix://" + self.sock,
            "--data-root", str(self.root / "data"),
            "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.root / "docker.pid"),
            "--iptables=false", "--ip6tables=false", "--bridge=none",
            "--storage-driver=vfs"], self.logdir)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if not self.proc.alive():
                raise RuntimeError("dockerd exited:\n" + self.proc.tail())
            try:
                h = HttpClient(self.sock, 2)
                st, _ = h.get("/_ping")
                h.close()
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("dockerd did not answer /_ping in 60 s")

    def cli(self, *args, host=None, **kw):
        """Runs the docker CLI against it (or host); raises if it fails."""
        return subprocess.run(["docker", "-H", host or "unix://" + self.sock]
                              + list(args), env=self.env, capture_output=True,
                              check=True, timeout=600, **kw)

    def import_busybox_image(self, name, extra_size=0):
        """Imports image `name` from a tar of /bin/busybox and its sh, sleep,
        cat and echo links (no registry needed); extra_size: plus a file of
        that many random bytes."""
        tarpath = self.root / f"{name.replace('/', '_')}.tar"
        with tarfile.open(tarpath, "w") as tar:
            tar.add("/bin/busybox", arcname="bin/busybox")
            for ln in ("sh", "sleep", "cat", "echo"):
                ti = tarfile.TarInfo("bin/" + ln)
                ti.type = tarfile.SYMTYPE
                ti.linkname = "busybox"
                tar.addfile(ti)
            if extra_size:
                # Random, so that nothing on the way can compress it.
                ti = tarfile.TarInfo("data/blob")
                ti.size = extra_size
                with open("/dev/urandom", "rb") as rnd:
                    tar.addfile(ti, LimitedReader(rnd, extra_size))
        self.cli("import", "--change", 'CMD ["sh"]', str(tarpath), name)
        tarpath.unlink()

    def stop(self):
        """Removes its containers, stops it (SIGKILL after 20 s) and kills
        containerd and shims left over for its directory, by pid."""
        if self.proc is None:
            return
        try:
            ids = self.cli("ps", "-aq").stdout.split()
            if ids:
                self.cli("rm", "-f", *[i.decode() for i in ids])
        except Exception as e:       # the daemon may be gone already
            log(f"removing containers: {e}")
        self.proc.stop(signal.SIGTERM, wait=20)
        self.proc = None
        # containerd and shims started for this daemon name its directory.
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read()
            except OSError:
                continue
            if str(self.root).encode() in cmd:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass

    def remove(self):
        """Unmounts what is left under its exec-root, removes its directory."""
        subprocess.run(["umount", "-R", "-l", str(self.root / "exec")],
                       capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


class LimitedReader:
    """A file object that reads at most n bytes (tarfile.addfile wants one)."""

    def __init__(self, f, n):
        self.f, self.left = f, n

    def read(self, size=-1):
        if self.left <= 0:
            return b""
        size = self.left if size < 0 else min(size, self.left)
        d = self.f.read(size)
        self.left -= len(d)
        return d

"""Fixtures for dockgate's integration tests.

The suite starts one private dockerd for the whole session (its own data-root,
exec-root and socket under a short /tmp directory, no networking), imports a
tiny busybox image into it, and starts a fresh dockgate per test through the
``proxy`` factory:

    def test_x(proxy, dockerd):
        p = proxy(CONTAINERS=1)           # env of the proxy; SOCKET_PATH/LISTEN are filled in
        r = p.docker("ps")                # real docker CLI through the TCP listener
        r = p.docker("ps", via="unix")    # ... or through the unix listener
        rsp = p.request(b"GET /_ping HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")   # raw bytes, one response
        dockerd.api("GET", "/containers/json?all=1")                    # ground truth, no proxy

Settings (environment of the pytest run):
    DOCKGATE_BIN   proxy binary (default <repo>/build/dockgate)
    DOCKER_CLI     docker CLI used by the tests (default /usr/bin/docker)
    DOCKER_CLI_ALT second CLI for the smoke subset (default: whichever of
                   /usr/bin/docker and /usr/local/bin/docker is not DOCKER_CLI;
                   tests using it are skipped when it does not exist)
    DGTEST_KEEP    keep the session directory (daemon logs, proxy stderr) for debugging
    DGTEST_DIRECT  harness self-check: replace dockgate by two socat relays straight to
                   the daemon (no policy at all, so every denial test fails by design)
"""

import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKGATE_BIN = os.environ.get("DOCKGATE_BIN", str(REPO / "build" / "dockgate"))
DOCKER_CLI = os.environ.get("DOCKER_CLI", "/usr/bin/docker")


def _default_alt_cli():
    for cand in ("/usr/local/bin/docker", "/usr/bin/docker"):
        if os.path.realpath(cand) != os.path.realpath(DOCKER_CLI):
            return cand
    return ""


DOCKER_CLI_ALT = os.environ.get("DOCKER_CLI_ALT", _default_alt_cli())

TMP_PREFIX = "dgt-"          # every session directory is /tmp/dgt-XXXXXX
IMAGE = "dgtest/busybox:latest"
BUSYBOX_APPLETS = ("sh", "cat", "echo", "sleep", "ls", "true", "false", "sha256sum",
                   "head", "wc", "printf", "seq", "dd", "env", "test", "[")

# A container command that exits promptly on SIGTERM (a plain `sleep` as PID 1
# ignores it and would make every stop wait for the kill timeout).
SLEEPER_CMD = ["sh", "-c", "echo hello-log; trap 'exit 0' TERM; sleep 100000 & wait"]


# --------------------------------------------------------------------------
# small utilities
# --------------------------------------------------------------------------

def _proc_starttime(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def _pid_alive(pid, starttime):
    return _proc_starttime(pid) == starttime


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, interval=0.05, what="condition"):
    """Poll pred() until it is true; return its value or raise AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def unique(prefix="dgt"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------
# cleaning up what a previous, killed run left behind
# --------------------------------------------------------------------------

def _stale_session_dirs():
    """Session directories whose owning pytest process is gone."""
    out = []
    for d in Path("/tmp").glob(TMP_PREFIX + "*"):
        owner = d / "owner"
        try:
            pid, start = owner.read_text().split()
        except (OSError, ValueError):
            # No owner file: only treat it as stale when it is old, so that a
            # concurrent run that is just starting is not disturbed.
            try:
                if time.time() - d.stat().st_mtime < 60:
                    continue
            except OSError:
                continue
            out.append(d)
            continue
        if not _pid_alive(int(pid), start):
            out.append(d)
    return out


def _pids_using(dirpath):
    """Processes started for a session dir: their command line or root is in it, or they
    carry DGTEST_SESSION=<dir> in their environment (every proxy and CLI does)."""
    prefix = str(dirpath)
    found = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) == os.getpid():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        try:
            root = os.readlink(p / "root")
        except OSError:
            root = ""
        try:
            environ = (p / "environ").read_bytes().split(b"\0")
        except OSError:
            environ = []
        if (prefix in cmd or root.startswith(prefix)
                or f"DGTEST_SESSION={prefix}".encode() in environ):
            found.append(int(p.name))
    return found


def _umount_under(dirpath):
    prefix = str(dirpath)
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return
    points = [m.split()[1] for m in mounts if len(m.split()) > 1]
    for mp in sorted((m for m in points if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)


def _kill_pids(pids, grace=5.0):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        time.sleep(0.1)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _remove_session_dir(d):
    pids = _pids_using(d)
    if pids:
        _kill_pids(pids, grace=3.0)
    _umount_under(d)
    shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# the daemon
# --------------------------------------------------------------------------

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


class Dockerd:
    """The private daemon: ground truth for every test, reached without the proxy."""

    def __init__(self, root):
        self.root = Path(root)
        self.sock = str(self.root / "docker.sock")
        self.log = self.root / "dockerd.log"
        self.proc = None

    # -- lifecycle -----------------------------------------------------
    def start(self):
        (self.root / "daemon.json").write_text("{}")
        self._logf = open(self.log, "wb")
        self.proc = subprocess.Popen(
            ["dockerd", "--config-file", str(self.root / "daemon.json"),
             "--host", "unix://" + self.sock,
             "--data-root", str(self.root / "data"),
             "--exec-root", str(self.root / "exec"),
             "--pidfile", str(self.root / "docker.pid"),
             "--iptables=false", "--ip6tables=false", "--bridge=none",
             "--storage-driver=vfs"],
            stdout=self._logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("dockerd exited:\n" + self.log.read_text()[-4000:])
            try:
                return self.api("GET", "/_ping", timeout=1)[0] == 200
            except OSError:
                return False
        wait_for(ready, 60, 0.1, "dockerd to answer /_ping")

    def stop(self):
        if self.proc is None:
            return
        try:
            ids = [c["Id"] for c in self.containers()]
            for cid in ids:
                self.api("DELETE", f"/containers/{cid}?force=1&v=1", timeout=20)
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._logf.close()

    # -- direct API ----------------------------------------------------
    def api(self, method, path, body=None, headers=None, timeout=60):
        """One request straight to the daemon. Returns (status, decoded JSON or bytes)."""
        conn = UnixHTTPConnection(self.sock, timeout=timeout)
        try:
            hdrs = dict(headers or {})
            if body is not None and not isinstance(body, (bytes, bytearray)):
                body = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            if r.getheader("Content-Type", "").startswith("application/json") and data:
                try:
                    return r.status, json.loads(data)
                except ValueError:
                    pass
            return r.status, data
        finally:
            conn.close()

    def containers(self):
        st, data = self.api("GET", "/containers/json?all=1")
        assert st == 200, data
        return data

    def container_ids(self):
        return sorted(c["Id"] for c in self.containers())

    def container_names(self):
        return sorted(n.lstrip("/") for c in self.containers() for n in c["Names"])

    def inspect(self, cid):
        st, data = self.api("GET", f"/containers/{cid}/json")
        assert st == 200, data
        return data

    def exists(self, name_or_id):
        return self.api("GET", f"/containers/{name_or_id}/json")[0] == 200

    def networks(self):
        st, data = self.api("GET", "/networks")
        assert st == 200, data
        return sorted(n["Name"] for n in data)

    def images(self):
        st, data = self.api("GET", "/images/json?all=1")
        assert st == 200, data
        return data

    def cli(self, *args, input=None, timeout=120, text=True):
        """The docker CLI straight at the daemon (for setup and ground truth)."""
        return run_cli(DOCKER_CLI, "unix://" + self.sock, args, input=input,
                       timeout=timeout, text=text, config_dir=str(self.root / "cliconf"))

    def run_container(self, cmd=None, *opts, name=None, start=True):
        """Create (and start) a container directly; returns its full ID."""
        name = name or unique("dgt")
        args = ["create", "--network", "none", "--name", name, *opts, IMAGE, *(cmd or SLEEPER_CMD)]
        r = self.cli(*args)
        assert r.rc == 0, r.err
        cid = r.out.strip().splitlines()[-1]
        if start:
            r = self.cli("start", cid)
            assert r.rc == 0, r.err
            wait_for(lambda: self.inspect(cid)["State"]["Running"], 10, what="container running")
        return cid

    def remove(self, cid):
        self.api("DELETE", f"/containers/{cid}?force=1", timeout=30)


class CliResult:
    def __init__(self, cp, args):
        self.rc = cp.returncode
        self.out = cp.stdout
        self.err = cp.stderr
        self.args = args

    def __repr__(self):
        return f"<docker {' '.join(map(str, self.args))} rc={self.rc} out={self.out!r:.400} err={self.err!r:.600}>"


def cli_env(config_dir):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DOCKER_") or k in ("DOCKER_CLI", "DOCKER_CLI_ALT")}
    env.pop("DOCKER_CLI", None)
    env.pop("DOCKER_CLI_ALT", None)
    os.makedirs(config_dir, exist_ok=True)
    env["DOCKER_CONFIG"] = config_dir
    env["DGTEST_SESSION"] = str(Path(config_dir).parent)
    env["DOCKER_CLI_HINTS"] = "false"
    return env


def run_cli(binary, host, args, input=None, timeout=120, text=True, config_dir="/tmp"):
    argv = [binary, "-H", host, *map(str, args)]
    try:
        cp = subprocess.run(argv, input=input, capture_output=True, timeout=timeout,
                            text=text, env=cli_env(config_dir))
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"docker {' '.join(map(str, args))} did not finish within {timeout}s; "
                             f"stdout={e.stdout!r:.400} stderr={e.stderr!r:.400}")
    return CliResult(cp, args)


# --------------------------------------------------------------------------
# raw HTTP over a socket
# --------------------------------------------------------------------------

class Response:
    def __init__(self, version, status, reason, headers, body, raw):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers          # list of (lower-case name, value)
        self.body = body
        self.raw = raw

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k == name.lower()]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.reason!r} headers={self.headers!r} body={self.body[:300]!r}>"


class PeerClosed(Exception):
    pass


class UnixServer:
    """A scripted stand-in for the daemon on a unix socket: a thread
    accepts, and each connection is served by serve(sock, *accepted(sock))
    in a thread of its own. Subclasses set their state before calling
    __init__, which starts accepting."""

    def __init__(self, path, backlog=16):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(backlog)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def accepted(self, c):
        """Extra arguments for serve(), decided when c is accepted."""
        return ()

    def serve(self, c, *args):
        raise NotImplementedError

    def _accept_loop(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c, *self.accepted(c)),
                             daemon=True).start()

    def close(self):
        # shutdown() wakes the accept() first: a thread still blocked on
        # this fd number after close() would take the next test's socket.
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(5)
        self.sock.close()


class RawConn:
    """A client socket with a receive buffer and a strict-enough HTTP/1.1 response reader."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self, deadline):
        """Read more bytes into buf. False on EOF/reset; raises TimeoutError at deadline."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no data before deadline")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no data before deadline")
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise PeerClosed(f"peer closed after {len(self.buf)} of {n} body bytes")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_line(self, deadline):
        while b"\r\n" not in self.buf:
            if not self._fill(deadline):
                raise PeerClosed("peer closed inside a chunk line")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_head(self, timeout=10):
        """Status line and headers of the next response; raises PeerClosed on EOF."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise PeerClosed(f"peer closed before a complete response head; got {self.buf!r:.300}")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        parts = lines[0].decode("latin-1").split(" ", 2)
        assert len(parts) >= 2 and parts[0].startswith("HTTP/"), f"bad status line {lines[0]!r}"
        headers = []
        for ln in lines[1:]:
            k, _, v = ln.decode("latin-1").partition(":")
            headers.append((k.strip().lower(), v.strip()))
        return parts[0], int(parts[1]), (parts[2] if len(parts) > 2 else ""), headers, head

    def read_response(self, timeout=10, head_request=False, skip_1xx=False):
        """The next complete response (1xx responses are returned unless skip_1xx)."""
        deadline = time.monotonic() + timeout
        while True:
            version, status, reason, headers, raw = self.read_head(max(0.01, deadline - time.monotonic()))
            rsp = Response(version, status, reason, headers, b"", raw)
            if 100 <= status < 200:
                if skip_1xx and status != 101:
                    continue
                return rsp
            break
        te = rsp.header("transfer-encoding")
        cl = rsp.header("content-length")
        if head_request or status in (204, 304):
            return rsp
        if te is not None and te.lower() == "chunked":
            body = b""
            while True:
                size_line = self._read_line(deadline)
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self._read_line(deadline) != b"":
                        pass
                    break
                body += self._read_exact(size, deadline)
                assert self._read_exact(2, deadline) == b"\r\n"
            rsp.body = body
        elif cl is not None:
            rsp.body = self._read_exact(int(cl), deadline)
        else:
            while self._fill(deadline):
                pass
            rsp.body, self.buf = self.buf, b""
        return rsp

    def read_until_close(self, timeout=10):
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        out, self.buf = self.buf, b""
        return out

    def read_until(self, needle, timeout=10):
        """Read until needle is in the buffer; return everything up to and including it."""
        deadline = time.monotonic() + timeout
        while needle not in self.buf:
            if not self._fill(deadline):
                raise PeerClosed(f"peer closed before {needle!r}; got {self.buf!r:.300}")
        i = self.buf.index(needle) + len(needle)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def closed_by_peer(self, timeout=3):
        """True if the peer closes (EOF or reset) within timeout without sending more bytes.

        Bytes already buffered or arriving meanwhile mean "not closed cleanly" -> False."""
        if self.buf:
            return False
        deadline = time.monotonic() + timeout
        try:
            got = self._fill(deadline)
        except TimeoutError:
            return False
        return not got


def http_request(method, target, headers=(), body=b"", version="HTTP/1.1", host=True,
                 content_length=True):
    """Bytes of one request. headers: list of (name, value) or raw b'Name: value' lines."""
    lines = [f"{method} {target} {version}".encode("latin-1")]
    if host:
        lines.append(b"Host: dockgate-test")
    for h in headers:
        if isinstance(h, (bytes, bytearray)):
            lines.append(bytes(h))
        else:
            lines.append(f"{h[0]}: {h[1]}".encode("latin-1"))
    if isinstance(body, str):
        body = body.encode()
    if body and content_length:
        lines.append(f"Content-Length: {len(body)}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def chunked(body, sizes=None):
    """Chunked encoding of body (optionally in the given chunk sizes), with the last-chunk."""
    if isinstance(body, str):
        body = body.encode()
    out, i = b"", 0
    sizes = list(sizes or [len(body)])
    while i < len(body):
        n = sizes.pop(0) if sizes else len(body) - i
        out += b"%x\r\n" % n + body[i:i + n] + b"\r\n"
        i += n
    return out + b"0\r\n\r\n"


# --------------------------------------------------------------------------
# the proxy
# --------------------------------------------------------------------------

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "ERROR: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")


class Proxy:
    """One running dockgate with a TCP and a unix listener."""

    def __init__(self, workdir, env, dockerd, listen=None):
        self.workdir = Path(workdir)
        self.dockerd = dockerd
        self.port = free_port()
        self.unix = str(self.workdir / f"p{self.port}.sock")
        self.listeners = ["tcp", "unix"]
        if listen:   # an explicit LISTEN: take the first tcp:// and unix:// entries from it
            self.listeners = []
            for item in listen.split(","):
                if item.startswith("tcp://") and "tcp" not in self.listeners:
                    self.port = int(item.rsplit(":", 1)[1])
                    self.listeners.append("tcp")
                elif item.startswith("unix://") and "unix" not in self.listeners:
                    self.unix = item[len("unix://"):]
                    self.listeners.append("unix")
        self.tcp = ("127.0.0.1", self.port)
        self.env_settings = {k: str(v) for k, v in env.items()}
        full = {k: v for k, v in os.environ.items()
                if k in ("PATH", "HOME", "LANG", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")}
        full.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
        full.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        full["DGTEST_SESSION"] = str(self.workdir)
        full.update({"SOCKET_PATH": dockerd.sock,
                     "LISTEN": listen or f"tcp://127.0.0.1:{self.port},unix://{self.unix}",
                     "LOG_LEVEL": "debug"})
        full.update(self.env_settings)
        self.full_env = full
        self.stderr_path = self.workdir / f"dockgate-{self.port}.stderr"
        self.proc = None
        self.expected_exit = False

    def start(self):
        if not os.access(DOCKGATE_BIN, os.X_OK) and not os.environ.get("DGTEST_DIRECT"):
            pytest.fail(f"proxy binary {DOCKGATE_BIN} does not exist or is not executable "
                        f"(build it with `meson setup build && ninja -C build`, or set DOCKGATE_BIN)")
        self._errf = open(self.stderr_path, "wb")
        if os.environ.get("DGTEST_DIRECT"):
            up = self.full_env["SOCKET_PATH"]
            argv = ["sh", "-c", "socat TCP-LISTEN:%d,bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:%s & "
                    "socat UNIX-LISTEN:%s,fork UNIX-CONNECT:%s & wait" % (self.port, up, self.unix, up)]
        else:
            argv = [DOCKGATE_BIN]
        self.proc = subprocess.Popen(argv, env=self.full_env, stdin=subprocess.DEVNULL,
                                     stdout=self._errf, stderr=subprocess.STDOUT,
                                     start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                pytest.fail(f"dockgate exited with status {self.proc.returncode} during startup; "
                            f"env={self.env_settings}\nstderr:\n{self.stderr()}")
            return all(self._can_connect(via) for via in self.listeners)
        try:
            wait_for(ready, 10, 0.02, "dockgate listeners to accept")
        except AssertionError:
            self.stop()
            pytest.fail(f"dockgate did not start listening within 10s; stderr:\n{self.stderr()}")
        return self

    def _can_connect(self, via):
        try:
            s = self.connect_socket(via, timeout=0.5)
        except OSError:
            return False
        s.close()
        return True

    def stderr(self):
        try:
            return self.stderr_path.read_text(errors="replace")[-20000:]
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Stop the proxy; returns its exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            if os.environ.get("DGTEST_DIRECT"):
                os.killpg(self.proc.pid, signal.SIGTERM)
            else:
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._errf.close()
        return self.proc.returncode

    # -- CLI -----------------------------------------------------------
    def host(self, via="tcp"):
        if via == "tcp":
            return f"tcp://127.0.0.1:{self.port}"
        if via == "unix":
            return "unix://" + self.unix
        raise ValueError(via)

    def docker(self, *args, via="tcp", input=None, timeout=60, text=True, cli=None):
        return run_cli(cli or DOCKER_CLI, self.host(via), args, input=input, timeout=timeout,
                       text=text, config_dir=str(self.workdir / "cliconf"))

    def docker_popen(self, *args, via="tcp", cli=None, **kw):
        argv = [cli or DOCKER_CLI, "-H", self.host(via), *map(str, args)]
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.Popen(argv, env=cli_env(str(self.workdir / "cliconf")), **kw)

    # -- raw sockets ---------------------------------------------------
    def connect_socket(self, via="tcp", timeout=10):
        if via == "tcp":
            s = socket.create_connection(self.tcp, timeout=timeout)
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            try:
                s.connect(self.unix)
            except OSError:
                s.close()
                raise
        return s

    def connect(self, via="tcp", timeout=10):
        return RawConn(self.connect_socket(via, timeout))

    def request(self, data, via="tcp", timeout=10, head_request=False):
        """Send bytes on a new connection and return the first complete response."""
        c = self.connect(via)
        try:
            c.send(data)
            return c.read_response(timeout=timeout, head_request=head_request)
        finally:
            c.close()

    def exchange(self, data, count, via="tcp", timeout=10):
        """Send bytes on a new connection and read up to `count` responses.

        Returns (responses, closed). Reading stops early when the proxy closes
        the connection (closed=True). After `count` responses a probe
        `GET /_ping` is sent on the same connection: if the proxy has closed
        it, closed=True; otherwise the probe must be answered `200 OK` (so an
        extra, unexpected response shows up as a failure here) and closed=False."""
        c = self.connect(via)
        out = []
        try:
            c.send(data)
            for i in range(count):
                try:
                    out.append(c.read_response(timeout=timeout if i == 0 else 5))
                except PeerClosed:
                    return out, True
                except TimeoutError:
                    raise AssertionError(f"response {i + 1} of {count} did not arrive; got {out!r}")
            if c.buf:
                raise AssertionError(f"unexpected bytes after {count} responses: {c.buf[:300]!r}; got {out!r}")
            try:
                c.send(b"GET /_ping HTTP/1.1\r\nHost: probe\r\n\r\n")
                probe = c.read_response(timeout=5)
            except (PeerClosed, BrokenPipeError, ConnectionResetError):
                return out, True
            except TimeoutError:
                raise AssertionError(f"the connection neither closed nor answered a probe after {out!r}")
            if (probe.status, probe.body) != (200, b"OK"):
                raise AssertionError(f"after the {count} expected responses {out!r} the next one was "
                                     f"{probe!r}, not the probe's 200 OK")
            return out, False
        finally:
            c.close()

    def fd_count(self):
        try:
            return len(os.listdir(f"/proc/{self.proc.pid}/fd"))
        except OSError:
            return -1


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def session_dir():
    for d in _stale_session_dirs():
        _remove_session_dir(d)
    d = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir="/tmp"))
    (d / "owner").write_text(f"{os.getpid()} {_proc_starttime(os.getpid())}")
    assert len(str(d / "docker.sock")) < 60
    yield d
    if os.environ.get("DGTEST_KEEP"):
        print(f"\nkept session dir {d}")
        return
    _remove_session_dir(d)


@pytest.fixture(scope="session")
def dockerd(session_dir):
    if os.geteuid() != 0:
        pytest.skip("integration tests start their own dockerd and need root")
    if not shutil.which("dockerd"):
        pytest.skip("dockerd is not installed")
    d = Dockerd(session_dir)
    try:
        d.start()
        yield d
    finally:
        d.stop()


def _make_rootfs_tar(path, extra=None):
    """A busybox root filesystem tar; extra: {name: bytes} added as regular files."""
    with tarfile.open(path, "w") as tar:
        def add_dir(name):
            ti = tarfile.TarInfo(name)
            ti.type = tarfile.DIRTYPE
            ti.mode = 0o1777 if name == "tmp" else 0o755
            tar.addfile(ti)
        for dname in ("bin", "tmp", "etc", "data"):
            add_dir(dname)
        tar.add("/bin/busybox", arcname="bin/busybox")
        for applet in BUSYBOX_APPLETS:
            ti = tarfile.TarInfo("bin/" + applet)
            ti.type = tarfile.SYMTYPE
            ti.linkname = "busybox"
            tar.addfile(ti)
        for fname in ("etc/passwd", "etc/group"):
            content = b"root:x:0:0:root:/:/bin/sh\n" if "passwd" in fname else b"root:x:0:\n"
            ti = tarfile.TarInfo(fname)
            ti.size = len(content)
            tar.addfile(ti, io.BytesIO(content))
        for name, src in (extra or {}).items():
            tar.add(src, arcname=name)


@pytest.fixture(scope="session")
def busybox(dockerd, session_dir):
    """The test image, imported from /bin/busybox (no registry is reachable)."""
    if not os.path.exists("/bin/busybox"):
        pytest.skip("/bin/busybox (busybox-static) is not installed")
    tarpath = session_dir / "busybox-rootfs.tar"
    _make_rootfs_tar(tarpath)
    r = dockerd.cli("import", "--change", 'CMD ["sh"]', str(tarpath), IMAGE)
    assert r.rc == 0, r
    return IMAGE


@pytest.fixture(scope="session")
def sleeper(dockerd, busybox):
    """A long-running container (logs 'hello-log') shared by read-only tests. Do not stop it."""
    return dockerd.run_container(SLEEPER_CMD, name=unique("dgt-sleeper"))


@pytest.fixture
def container(dockerd, busybox):
    """Factory for per-test containers, removed afterwards."""
    made = []

    def make(cmd=None, *opts, start=True):
        cid = dockerd.run_container(cmd, *opts, start=start)
        made.append(cid)
        return cid
    yield make
    for cid in made:
        dockerd.remove(cid)


def _proxy_problems(p, rc, killed):
    """Faults visible after a proxy stopped: bad exit status, sanitizer reports."""
    problems = []
    err = p.stderr()
    if killed:
        problems.append(f"dockgate did not exit within SHUTDOWN_TIMEOUT of SIGTERM; "
                        f"stderr tail:\n{err[-3000:]}")
    elif rc != 0 and not os.environ.get("DGTEST_DIRECT"):
        problems.append(f"dockgate exited with status {rc} after SIGTERM (expected 0); "
                        f"stderr tail:\n{err[-3000:]}")
    for m in SANITIZER_MARKERS:
        if m in err:
            i = err.index(m)
            problems.append(f"sanitizer report in dockgate stderr:\n{err[max(0, i - 200):i + 4000]}")
            break
    return problems


class _Reaper:
    """Proxies that were sent SIGTERM at the end of their test and are still shutting down.

    dockgate may take up to a second to finish a graceful stop; waiting for
    each one in its test's teardown would dominate the suite's run time, so
    the exit status and sanitizer output of those are checked here, and any
    fault is reported (naming the test) as an error of the session fixture."""

    def __init__(self):
        self.pending = []      # (nodeid, Proxy, deadline)
        self.problems = []

    def add(self, nodeid, p):
        # SHUTDOWN_TIMEOUT (10 s by default) plus the proxy's 1 s tick.
        grace = float(p.env_settings.get("SHUTDOWN_TIMEOUT", 10))
        self.pending.append((nodeid, p, time.monotonic() + grace + 3))

    def harvest(self, block=False):
        still = []
        for nodeid, p, deadline in self.pending:
            if block:
                try:
                    p.proc.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            rc = p.proc.poll()
            if rc is None and time.monotonic() < deadline:
                still.append((nodeid, p, deadline))
                continue
            killed = rc is None
            if killed:
                p.proc.kill()
                p.proc.wait(5)
            p._errf.close()
            for prob in _proxy_problems(p, rc, killed):
                self.problems.append(f"[{nodeid}] env {p.env_settings}: {prob}")
        self.pending = still


@pytest.fixture(scope="session")
def _reaper(dockerd):
    r = _Reaper()
    yield r
    r.harvest(block=True)
    if r.problems:
        pytest.fail("proxy faults found after tests finished:\n\n" + "\n\n".join(r.problems),
                    pytrace=False)


@pytest.fixture
def proxy(dockerd, busybox, session_dir, _reaper, request):
    """Factory: proxy(**env) starts a dockgate with that environment and returns a Proxy.

    SOCKET_PATH defaults to the test daemon, LISTEN to one TCP and one unix
    listener, LOG_LEVEL to debug; any of them can be overridden (listen=... for
    LISTEN). A proxy that died during the test fails it; after SIGTERM it must
    exit with status 0 and without a sanitizer report (checked by _reaper)."""
    started = []

    def make(listen=None, **env):
        p = Proxy(session_dir, env, dockerd, listen=listen)
        started.append(p)
        return p.start()
    yield make
    problems = []
    for p in started:
        if p.proc is None:
            continue
        rc = p.proc.poll()
        if rc is not None:
            p._errf.close()
            if not p.expected_exit:
                problems.append(f"dockgate (env {p.env_settings}) died during the test with status "
                                f"{rc}; stderr tail:\n{p.stderr()[-4000:]}")
            else:
                problems.extend(_proxy_problems(p, rc, False))
            continue
        if os.environ.get("DGTEST_DIRECT"):
            os.killpg(p.proc.pid, signal.SIGTERM)
        else:
            p.proc.send_signal(signal.SIGTERM)
        _reaper.add(request.node.nodeid, p)
    _reaper.harvest()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def run_dockgate_once(env, timeout=5, args=()):
    """Run dockgate with env expecting it to exit (configuration errors); returns (rc, output)."""
    if not os.access(DOCKGATE_BIN, os.X_OK):
        pytest.fail(f"proxy binary {DOCKGATE_BIN} does not exist")
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    full.update({k: str(v) for k, v in env.items()})
    try:
        cp = subprocess.run([DOCKGATE_BIN, *args], env=full, capture_output=True, timeout=timeout,
                            text=True, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"dockgate with env {env} kept running instead of exiting; "
                             f"output: {e.stderr!r:.600}")
    return cp.returncode, cp.stderr + cp.stdout


def cli_params():
    """Parameters for tests that run with both CLIs: ids 'cli' and 'altcli'."""
    alt_missing = not DOCKER_CLI_ALT or not os.access(DOCKER_CLI_ALT, os.X_OK)
    return [pytest.param(DOCKER_CLI, id="cli"),
            pytest.param(DOCKER_CLI_ALT, id="altcli",
                         marks=pytest.mark.skipif(alt_missing, reason=f"second docker CLI "
                                                  f"{DOCKER_CLI_ALT or '(none)'} not available"))]


def denied_message(result_err):
    """The message part of a CLI 'Error response from daemon: ...' line (or '')."""
    for line in result_err.splitlines():
        if "Error response from daemon:" in line:
            return line.split("Error response from daemon:", 1)[1].strip()
    return ""

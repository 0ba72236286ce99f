"""The private dockerd, the docker CLI, and the busybox test image.

    d = Dockerd(root)                 # root: a short directory (the socket lives there)
    d.start()                         # waits until it answers /_ping
    d.import_busybox()                # IMAGE, built from /bin/busybox (no registry needed)
    cid = d.run_container()           # a running container (SLEEPER_CMD)
    d.api("GET", "/containers/json")  # (status, JSON or bytes), straight to the daemon
    d.cli("ps", "-a")                 # CliResult: .rc .out .err
    d.stop()

Nothing here needs pytest, so bench/ can use it as well."""

import http.client
import io
import json
import os
import queue
import socket
import subprocess
import tarfile
import threading
import time
import uuid
from pathlib import Path

from .net import wait_for
from .session import SESSION_ENV
from .settings import DOCKER_CLI

IMAGE = "dgtest/busybox:latest"
BUSYBOX_APPLETS = ("sh", "cat", "echo", "sleep", "ls", "true", "false", "sha256sum",
                   "head", "wc", "printf", "seq", "dd", "env", "test", "[")

# A container command that exits promptly on SIGTERM (a plain `sleep` as PID 1
# ignores it and would make every stop wait for the kill timeout).
SLEEPER_CMD = ["sh", "-c", "echo hello-log; trap 'exit 0' TERM; sleep 100000 & wait"]


def unique(prefix="dgt"):
    """A name no other test uses: for containers, networks, volumes."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


class CliResult:
    def __init__(self, cp, args):
        self.rc = cp.returncode
        self.out = cp.stdout
        self.err = cp.stderr
        self.args = args

    def __repr__(self):
        return f"<docker {' '.join(map(str, self.args))} rc={self.rc} out={self.out!r:.400} err={self.err!r:.600}>"


def cli_env(config_dir):
    """The environment of a docker CLI run: none of the caller's DOCKER_*
    settings, its own config directory, and the session mark."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DOCKER_") or k in ("DOCKER_CLI", "DOCKER_CLI_ALT")}
    env.pop("DOCKER_CLI", None)
    env.pop("DOCKER_CLI_ALT", None)
    os.makedirs(config_dir, exist_ok=True)
    env["DOCKER_CONFIG"] = config_dir
    env[SESSION_ENV] = str(Path(config_dir).parent)
    env["DOCKER_CLI_HINTS"] = "false"
    return env


def run_cli(binary, host, args, input=None, timeout=120, text=True, config_dir="/tmp"):
    """Runs the docker CLI `binary -H host args...`; returns a CliResult."""
    argv = [binary, "-H", host, *map(str, args)]
    try:
        cp = subprocess.run(argv, input=input, capture_output=True, timeout=timeout,
                            text=text, env=cli_env(config_dir))
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"docker {' '.join(map(str, args))} did not finish within {timeout}s; "
                             f"stdout={e.stdout!r:.400} stderr={e.stderr!r:.400}")
    return CliResult(cp, args)


class LineReader:
    """Collects a process's stdout lines (a `docker events` or `logs -f`)
    in a thread, so that a test can wait for one with a timeout."""

    def __init__(self, stream):
        self.q = queue.Queue()
        self.lines = []
        threading.Thread(target=self._run, args=(stream,), daemon=True).start()

    def _run(self, stream):
        for line in iter(stream.readline, b""):
            self.q.put(line.decode(errors="replace").rstrip("\n"))
        self.q.put(None)

    def wait_for(self, pred, timeout):
        """The first line (from now on) for which pred is true; raises
        AssertionError when the stream ends or timeout passes first."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching line within {timeout}s; got {self.lines!r}")
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"stream ended before a matching line; got {self.lines!r}")
            self.lines.append(line)
            if pred(line):
                return line


def denied_message(result_err):
    """The message part of a CLI 'Error response from daemon: ...' line (or '')."""
    for line in result_err.splitlines():
        if "Error response from daemon:" in line:
            return line.split("Error response from daemon:", 1)[1].strip()
    return ""


def make_rootfs_tar(path, extra=None):
    """A busybox root filesystem tar; extra: {name: source file path} added as regular files."""
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


class Dockerd:
    """A private daemon (own data-root, exec-root and socket under root, no
    networking, vfs storage): ground truth for every test, reached without
    the proxy."""

    def __init__(self, root):
        self.root = Path(root)
        self.sock = str(self.root / "docker.sock")
        self.log = self.root / "dockerd.log"
        self.cli_config = str(self.root / "cliconf")    # the CLI's DOCKER_CONFIG
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
        self.wait_ready("dockerd", 60)

    def wait_ready(self, name, timeout):
        """Waits until the daemon answers /_ping; raises RuntimeError if it exits."""
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with status {self.proc.returncode}:\n"
                                   + self.log.read_text(errors="replace")[-4000:])
            try:
                return self.api("GET", "/_ping", timeout=1)[0] == 200
            except OSError:
                return False
        wait_for(ready, timeout, 0.1, f"{name} to answer /_ping")

    def stop(self):
        """Removes every container, then stops the daemon."""
        if self.proc is None:
            return
        try:
            for cid in self.container_ids():
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

    def socket_gid(self):
        """The group that owns the daemon's socket (what a non-root client
        must be given)."""
        return os.stat(self.sock).st_gid

    def cli(self, *args, input=None, timeout=120, text=True):
        """The docker CLI straight at the daemon (for setup and ground truth)."""
        return run_cli(DOCKER_CLI, "unix://" + self.sock, args, input=input,
                       timeout=timeout, text=text, config_dir=self.cli_config)

    # -- images and containers -----------------------------------------
    def import_image(self, tarpath, image, timeout=120):
        """`docker import` of a root filesystem tar as image, with CMD sh."""
        r = self.cli("import", "--change", 'CMD ["sh"]', str(tarpath), image, timeout=timeout)
        assert r.rc == 0, r

    def import_busybox(self, image=IMAGE, extra=None, timeout=120):
        """Imports a busybox root filesystem (make_rootfs_tar, with extra
        files) as image; returns image. timeout: of the import, which
        takes long with large extra files."""
        tarpath = self.root / (image.replace("/", "_").replace(":", "_") + ".tar")
        make_rootfs_tar(tarpath, extra)
        self.import_image(tarpath, image, timeout)
        return image

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

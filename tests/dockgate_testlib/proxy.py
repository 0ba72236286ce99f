"""Starting, talking to and stopping dockgate.

    p = Proxy(workdir, {"CONTAINERS": 1}, upstream_sock).start()
    p.docker("ps")                                   # the docker CLI via TCP (or via="unix")
    rsp = p.request(http_request("GET", "/_ping"))   # raw bytes, one response
    rc = p.stop()                                    # SIGTERM; exit status
    problems = proxy_problems(p, rc, killed=False)   # bad status, sanitizer reports

DGTEST_DIRECT=1 (a harness self-check) replaces dockgate by two socat
relays straight to the upstream: no policy at all, so every denial test
fails by design."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .daemon import cli_env, denied_message, run_cli
from .net import can_connect, connect, free_port, wait_for
from .procs import fd_count, rss_kb
from .rawhttp import PeerClosed, RawConn
from .session import SESSION_ENV
from .settings import DOCKER_CLI, DOCKGATE_BIN

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "ERROR: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")


def _direct():
    return bool(os.environ.get("DGTEST_DIRECT"))


def needs_real_proxy():
    """Skips a test that needs dockgate itself, not the socat stand-in
    (DGTEST_DIRECT=1 checks the tests against no proxy at all)."""
    if _direct():
        pytest.skip("needs the real proxy")


def compile_c(directory, name, source, *gcc_args):
    """Builds a small C helper of a test from source into directory with
    gcc (skipping the test where there is none); returns its path."""
    import shutil
    if shutil.which("gcc") is None:
        pytest.skip(f"gcc is needed to build {name}")
    src = directory / f"{name}.c"
    src.write_text(source)
    out = directory / name
    subprocess.run(["gcc", "-O2", "-o", str(out), str(src), *gcc_args], check=True)
    return out


def sanitizer_report(err):
    """The first sanitizer report in a stderr text, with some context, or None."""
    for m in SANITIZER_MARKERS:
        if m in err:
            i = err.index(m)
            return err[max(0, i - 300):i + 5000]
    return None


class Proxy:
    """One running dockgate, by default with a TCP and a unix listener.

    env: its settings (SOCKET_PATH is upstream_sock, LISTEN the listeners,
    LOG_LEVEL debug; env overrides any of them). listen: an explicit LISTEN;
    its first tcp:// and unix:// entries are the ones connected to."""

    def __init__(self, workdir, env, upstream_sock, listen=None):
        self.workdir = Path(workdir)
        self.upstream_sock = str(upstream_sock)
        self.port = free_port()
        self.unix = str(self.workdir / f"p{self.port}.sock")
        self.listeners = ["tcp", "unix"]
        if listen:
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
        full[SESSION_ENV] = str(self.workdir)
        full.update({"SOCKET_PATH": self.upstream_sock,
                     "LISTEN": listen or f"tcp://127.0.0.1:{self.port},unix://{self.unix}",
                     "LOG_LEVEL": "debug"})
        full.update(self.env_settings)
        self.full_env = full
        self.stderr_path = self.workdir / f"dockgate-{self.port}.stderr"
        self.proc = None
        self.expected_exit = False
        self._errf = None

    def start(self):
        if not os.access(DOCKGATE_BIN, os.X_OK) and not _direct():
            pytest.fail(f"proxy binary {DOCKGATE_BIN} does not exist or is not executable "
                        f"(build it with `meson setup build && ninja -C build`, or set DOCKGATE_BIN)")
        self._errf = open(self.stderr_path, "wb")
        if _direct():
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
                            f"env={self.env_settings}\nstderr:\n{self.stderr()[-20000:]}")
            return all(can_connect(self.tcp if via == "tcp" else self.unix)
                       for via in self.listeners)
        try:
            wait_for(ready, 10, 0.02, "dockgate listeners to accept")
        except AssertionError:
            self.stop()
            pytest.fail(f"dockgate did not start listening within 10s; stderr:\n{self.stderr()[-20000:]}")
        return self

    def stderr(self):
        """Everything dockgate wrote to stdout and stderr so far."""
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def terminate(self):
        """Sends SIGTERM (to the socat relays' group under DGTEST_DIRECT)."""
        if _direct():
            os.killpg(self.proc.pid, signal.SIGTERM)
        else:
            self.proc.send_signal(signal.SIGTERM)

    def close_log(self):
        if self._errf is not None:
            self._errf.close()

    def stop(self, wait=10):
        """Stop the proxy; returns its exit status (negative if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.close_log()
        return self.proc.returncode

    def fd_count(self):
        return fd_count(self.proc.pid)

    def rss_kb(self):
        return rss_kb(self.proc.pid)

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
        return connect(self.tcp if via == "tcp" else self.unix, timeout)

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


def assert_denied(r, *needles):
    """The CLI (a CliResult) failed with dockgate's 403 message containing
    every needle; returns the message."""
    assert r.rc != 0, f"expected dockgate to deny this, but it succeeded: {r}"
    msg = denied_message(r.err)
    assert msg.startswith("dockgate:"), f"no dockgate denial in the CLI output: {r}"
    for n in needles:
        assert n in msg, f"denial message {msg!r} does not mention {n!r}"
    return msg


def proxy_problems(p, rc, killed):
    """Faults visible after a proxy stopped: bad exit status, sanitizer reports."""
    problems = []
    err = p.stderr()
    if killed:
        problems.append(f"dockgate did not exit within SHUTDOWN_TIMEOUT of SIGTERM; "
                        f"stderr tail:\n{err[-3000:]}")
    elif rc != 0 and not _direct():
        problems.append(f"dockgate exited with status {rc} after SIGTERM (expected 0); "
                        f"stderr tail:\n{err[-3000:]}")
    report = sanitizer_report(err)
    if report is not None:
        problems.append(f"sanitizer report in dockgate stderr:\n{report}")
    return problems


class Reaper:
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
            p.close_log()
            for prob in proxy_problems(p, rc, killed):
                self.problems.append(f"[{nodeid}] env {p.env_settings}: {prob}")
        self.pending = still


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

"""What a new user meets first: the quick start listens on loopback only,
and a TCP listener other hosts can reach is named at startup with what it
hands them."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from dockgate_testlib.net import free_port, wait_for
from dockgate_testlib.rawhttp import http_request
from dockgate_testlib.settings import DOCKGATE_BIN

REPO = Path(__file__).resolve().parents[2]


def exposure_warnings(p):
    return [ln for ln in p.stderr().splitlines()
            if " warning " in ln and "without authentication" in ln]


@pytest.mark.parametrize("host", ["0.0.0.0", "[::]"])
def test_wildcard_tcp_listener_is_named_with_what_it_opens(proxy, host):
    port = free_port()
    p = proxy(listen=f"tcp://{host}:{port}", CONTAINERS=1, ALLOW_START=1)
    wait_for(lambda: exposure_warnings(p), 5, 0.05, "the exposure warning")
    (line,) = exposure_warnings(p)
    assert f"LISTEN=tcp://{host}:{port}" in line, line
    assert "every host that can reach any address" in line, line
    # what the policy hands them: the sections, the methods, the switches
    assert "CONTAINERS" in line and "reads only (POST=0)" in line, line
    assert "lifecycle" in line, line
    assert "127.0.0.1" in line, line   # and what to do instead


@pytest.mark.parametrize("listen", ["tcp://127.0.0.1:{port}", "unix://{dir}/dg.sock"])
def test_loopback_or_unix_listener_is_not_warned_about(proxy, session_dir, listen):
    port = free_port()
    p = proxy(listen=listen.format(port=port, dir=session_dir), CONTAINERS=1)
    time.sleep(0.3)
    assert "listening on" in p.stderr()
    assert not exposure_warnings(p), p.stderr()


def listening_addresses(port):
    """Local addresses of the TCP sockets listening on port."""
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True,
                         text=True, check=True).stdout
    return [ln.split()[3].rsplit(":", 1)[0] for ln in out.splitlines() if ln.strip()]


def test_quick_start_listens_on_loopback_only(dockerd):
    """scripts/run.sh, as the README's quick start runs it, is reachable
    from this host only: the image's [::]:2375 would be every network the
    host is on."""
    if listening_addresses(2375):
        pytest.skip("port 2375 is in use on this machine")
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(SOCKET_PATH=dockerd.sock, CONTAINERS="1")
    # run.sh builds build/dockgate; the test binary may be another build,
    # which is fine: the listener is run.sh's choice.
    proc = subprocess.Popen(["bash", str(REPO / "scripts" / "run.sh")], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        def answers():
            try:
                with socket.create_connection(("127.0.0.1", 2375), timeout=1) as s:
                    s.sendall(http_request("GET", "/_ping", headers=[("Connection", "close")]))
                    return s.recv(100).startswith(b"HTTP/1.1 200")
            except OSError:
                return False
        wait_for(answers, 120, 0.2, "scripts/run.sh to answer on 127.0.0.1:2375")
        assert listening_addresses(2375) == ["127.0.0.1"], listening_addresses(2375)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def test_misspelt_setting_is_named_at_startup_and_ignored(proxy):
    """CONTAINER=1 (for CONTAINERS) used to be ignored without a word: the
    containers stayed closed and nothing said why."""
    p = proxy(CONTAINER=1, ALLOW_RESTART=1)
    warned = [ln for ln in p.stderr().splitlines() if " warning " in ln]
    assert any("CONTAINER is not a setting and is ignored: did you mean CONTAINERS?" in ln
               for ln in warned), p.stderr()
    assert any("did you mean ALLOW_RESTARTS?" in ln for ln in warned), p.stderr()
    r = p.request(http_request("GET", "/v1.41/containers/json"))
    assert r.status == 403, r.body  # still ignored: CONTAINERS stays 0


def test_empty_boolean_reads_as_off_as_docker_socket_proxy_does(proxy):
    """`CONTAINERS:` in a compose file passes an empty value. It used to stop
    startup (a restart loop under `restart:`); docker-socket-proxy reads it
    as false, and so does dockgate now, saying so in the log."""
    p = proxy(CONTAINERS="", PING="")
    assert "CONTAINERS is empty: read as 0 (off)" in p.stderr(), p.stderr()
    assert "PING is empty: read as 0 (off)" in p.stderr(), p.stderr()
    assert p.request(http_request("GET", "/v1.41/containers/json")).status == 403
    # PING is on by default; empty turns it off
    assert p.request(http_request("GET", "/_ping")).status == 403
    # what was not set keeps its default
    assert p.request(http_request("GET", "/v1.41/version")).status == 200

"""Socket options that fail: each failure is either fatal with a message
naming the setting and the address, or a warning after which dockgate
still does its job, never silently ignored.

The failures are provoked by a preloaded library that makes getsockopt or
setsockopt of the options named in DGTEST_FAIL_SOCKOPT fail with
ENOPROTOOPT, in dockgate (and its janitor) only."""

import os
import shutil
import socket
import subprocess
import time

import pytest

from dockgate_testlib.net import free_port, wait_for
from dockgate_testlib.proxy import compile_c, needs_real_proxy, run_dockgate_once
from dockgate_testlib.settings import DOCKGATE_BIN

PING = b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"

SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const struct { const char *name; int level, option; } known[] = {
	{ "SO_PEERCRED", SOL_SOCKET, SO_PEERCRED },
	{ "SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR },
	{ "SO_RCVTIMEO", SOL_SOCKET, SO_RCVTIMEO },
	{ "SO_SNDTIMEO", SOL_SOCKET, SO_SNDTIMEO },
	{ "TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY },
	{ "IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY },
};
static int failing[sizeof known / sizeof known[0]];
static int (*real_get)(int, int, int, void *, socklen_t *);
static int (*real_set)(int, int, int, const void *, socklen_t);

/* Everything is looked up before dockgate's sandbox is in place. */
__attribute__((constructor)) static void init(void)
{
	real_get = (int (*)(int, int, int, void *, socklen_t *))dlsym(RTLD_NEXT, "getsockopt");
	real_set = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
	const char *names = getenv("DGTEST_FAIL_SOCKOPT");
	for (size_t i = 0; names != NULL && i < sizeof known / sizeof known[0]; i++)
		failing[i] = strstr(names, known[i].name) != NULL;
}

static int fails(int level, int option)
{
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (failing[i] && known[i].level == level && known[i].option == option) {
			errno = ENOPROTOOPT;
			return 1;
		}
	return 0;
}

int getsockopt(int fd, int level, int option, void *value, socklen_t *len)
{
	return fails(level, option) ? -1 : real_get(fd, level, option, value, len);
}

int setsockopt(int fd, int level, int option, const void *value, socklen_t len)
{
	return fails(level, option) ? -1 : real_set(fd, level, option, value, len);
}
"""


@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    d = tmp_path_factory.mktemp("shim")
    lib = compile_c(d, "sockopt-fault.so", SHIM_C, "-shared", "-fPIC", "-ldl")
    d.chmod(0o755)
    return lib


def failing(shim, *options):
    """The environment that makes options fail in dockgate. The sanitizer
    build's runtime must come first among the libraries unless told."""
    asan = os.environ.get("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
    return {"LD_PRELOAD": str(shim), "DGTEST_FAIL_SOCKOPT": ",".join(options),
            "ASAN_OPTIONS": asan + ":verify_asan_link_order=0"}


def _ipv6_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------
# the unix peer's credentials
# --------------------------------------------------------------------------

def test_unreadable_peer_credentials_refuse_the_client(proxy, shim):
    """Without SO_PEERCRED the client's uid is unknown: it is closed at once
    (zeroed credentials would count it in root's bucket), said in the log,
    and TCP clients, which need no credentials, are still served."""
    needs_real_proxy()
    p = proxy(**failing(shim, "SO_PEERCRED"))
    for _ in range(3):
        s = p.connect_socket(via="unix", timeout=5)
        try:
            s.sendall(PING)
        except OSError:
            pass                       # the close may come first
        try:
            assert s.recv(4096) == b"", "a client of unknown uid was answered"
        except ConnectionResetError:
            pass
        s.close()
    wait_for(lambda: "cannot tell its uid (SO_PEERCRED" in p.stderr(), 5, 0.05, "the log line")
    assert p.request(PING).status == 200
    assert p.alive(), p.stderr()


# --------------------------------------------------------------------------
# the TCP listener's options
# --------------------------------------------------------------------------

def test_dual_stack_failure_stops_the_default_listener(shim):
    """The default tcp://[::]:2375 would silently take IPv6 clients only:
    startup stops, naming LISTEN, the address and the way out."""
    needs_real_proxy()
    if not _ipv6_available():
        pytest.skip("no IPv6 here: the default listener falls back to IPv4")
    rc, out = run_dockgate_once({"SOCKET_PATH": "/nonexistent", **failing(shim, "IPV6_V6ONLY")})
    assert rc == 1, out
    assert "LISTEN=tcp://[::]:2375: cannot make this IPv6 listener take IPv4 clients" in out, out
    assert "DISABLE_IPV6=1" in out, out
    assert "listening on" not in out, out


def test_dual_stack_failure_stops_an_ipv6_listener(shim):
    needs_real_proxy()
    if not _ipv6_available():
        pytest.skip("no IPv6 here")
    listen = f"tcp://[::1]:{free_port()}"
    rc, out = run_dockgate_once({"SOCKET_PATH": "/nonexistent", "LISTEN": listen,
                                 **failing(shim, "IPV6_V6ONLY")})
    assert rc == 1, out
    assert f"LISTEN={listen}: cannot make this IPv6 listener take IPv4 clients" in out, out
    assert "DISABLE_IPV6" not in out, out


def test_no_tcp_nodelay_stops_startup(shim):
    """Attached streams would stall behind Nagle's algorithm: fatal."""
    needs_real_proxy()
    listen = f"tcp://127.0.0.1:{free_port()}"
    rc, out = run_dockgate_once({"SOCKET_PATH": "/nonexistent", "LISTEN": listen,
                                 **failing(shim, "TCP_NODELAY")})
    assert rc == 1, out
    assert f"LISTEN={listen}: cannot set TCP_NODELAY" in out, out


def test_no_reuseaddr_is_a_warning(proxy, shim):
    """Only a quick restart would suffer: dockgate warns and serves."""
    needs_real_proxy()
    p = proxy(**failing(shim, "SO_REUSEADDR"))
    assert f"LISTEN=tcp://127.0.0.1:{p.port}: cannot set SO_REUSEADDR" in p.stderr(), p.stderr()
    assert p.request(PING).status == 200


# --------------------------------------------------------------------------
# timeouts: the janitor's wait and the health probe
# --------------------------------------------------------------------------

def test_janitor_wait_without_timeout_does_not_hang_the_exit(proxy, shim):
    """Without a receive timeout the wait for the janitor could last for
    ever: dockgate says so and exits, and the janitor, which has its end of
    file, still removes the listener's file."""
    needs_real_proxy()
    p = proxy(**failing(shim, "SO_RCVTIMEO"))
    assert p.request(PING, via="unix").status == 200
    p.expected_exit = True
    started = time.monotonic()
    assert p.stop() == 0, p.stderr()
    assert time.monotonic() - started < 5, p.stderr()
    assert "cannot wait for the process that removes the listener files" in p.stderr()
    wait_for(lambda: not os.path.exists(p.unix), 5, 0.05, "the janitor to remove the file")


def test_healthcheck_without_timeouts_still_answers(proxy, shim):
    """The probe's answer is still right without its 3 s limit: a warning,
    and the exit status of a healthy proxy."""
    needs_real_proxy()
    p = proxy(PING=1)
    env = dict(p.full_env, **failing(shim, "SO_RCVTIMEO", "SO_SNDTIMEO"))
    cp = subprocess.run([DOCKGATE_BIN, "--healthcheck"], env=env, capture_output=True,
                        text=True, timeout=10)
    assert cp.returncode == 0, cp.stderr
    assert "healthcheck: cannot limit its wait" in cp.stderr, cp.stderr

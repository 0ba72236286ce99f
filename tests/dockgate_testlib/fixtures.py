"""The pytest fixtures the suites share. A suite's conftest.py imports the
ones it uses, so that each suite has its own (a session-scoped fixture is
then one per suite, as tests/podman needs: its conftest.py defines its own
`dockerd` and `busybox`, which these fixtures then use).

    def test_x(proxy, dockerd):
        p = proxy(CONTAINERS=1)           # env of the proxy; SOCKET_PATH/LISTEN are filled in
        r = p.docker("ps")                # real docker CLI through the TCP listener
        r = p.docker("ps", via="unix")    # ... or through the unix listener
        rsp = p.request(b"GET /_ping HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")   # raw bytes, one response
        dockerd.api("GET", "/containers/json?all=1")                    # ground truth, no proxy

    DGTEST_KEEP    keep the session directory (daemon logs, proxy stderr) for debugging
"""

import os
import shutil

import pytest

from .daemon import IMAGE, SLEEPER_CMD, Dockerd, unique
from .proxy import Proxy, Reaper, proxy_problems
from .session import new_session_dir, remove_session_dir, remove_stale_sessions
from .settings import DOCKER_CLI, DOCKER_CLI_ALT


@pytest.fixture(scope="session")
def session_dir():
    """One /tmp/dgt-XXXXXX directory for the session, removed at the end
    with everything started for it (after removing what killed runs left)."""
    remove_stale_sessions()
    d = new_session_dir()
    assert len(str(d / "docker.sock")) < 60
    yield d
    if os.environ.get("DGTEST_KEEP"):
        print(f"\nkept session dir {d}")
        return
    remove_session_dir(d)


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


def needs_busybox():
    if not os.path.exists("/bin/busybox"):
        pytest.skip("/bin/busybox (busybox-static) is not installed")


@pytest.fixture(scope="session")
def busybox(dockerd):
    """The test image, imported from /bin/busybox (no registry is reachable)."""
    needs_busybox()
    return dockerd.import_busybox(IMAGE)


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


@pytest.fixture(scope="session")
def reaper(dockerd):
    """Checks the proxies still stopping after their tests (see proxy.Reaper)."""
    r = Reaper()
    yield r
    r.harvest(block=True)
    if r.problems:
        pytest.fail("proxy faults found after tests finished:\n\n" + "\n\n".join(r.problems),
                    pytrace=False)


@pytest.fixture
def proxy(dockerd, busybox, session_dir, reaper, request):
    """Factory: proxy(**env) starts a dockgate with that environment and returns a Proxy.

    SOCKET_PATH defaults to the test daemon, LISTEN to one TCP and one unix
    listener, LOG_LEVEL to debug; any of them can be overridden (listen=... for
    LISTEN). A proxy that died during the test fails it; after SIGTERM it must
    exit with status 0 and without a sanitizer report (checked by reaper)."""
    started = []

    def make(listen=None, **env):
        p = Proxy(session_dir, env, dockerd.sock, listen=listen)
        started.append(p)
        return p.start()
    yield make
    problems = []
    for p in started:
        if p.proc is None:
            continue
        rc = p.proc.poll()
        if rc is not None:
            p.close_log()
            if not p.expected_exit:
                problems.append(f"dockgate (env {p.env_settings}) died during the test with status "
                                f"{rc}; stderr tail:\n{p.stderr()[-4000:]}")
            else:
                problems.extend(proxy_problems(p, rc, False))
            continue
        p.terminate()
        reaper.add(request.node.nodeid, p)
    reaper.harvest()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def cli_params():
    """Parameters for tests that run with both CLIs: ids 'cli' and 'altcli'."""
    alt_missing = not DOCKER_CLI_ALT or not os.access(DOCKER_CLI_ALT, os.X_OK)
    return [pytest.param(DOCKER_CLI, id="cli"),
            pytest.param(DOCKER_CLI_ALT, id="altcli",
                         marks=pytest.mark.skipif(alt_missing, reason=f"second docker CLI "
                                                  f"{DOCKER_CLI_ALT or '(none)'} not available"))]

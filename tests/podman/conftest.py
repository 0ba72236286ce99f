"""Fixtures for running dockgate in front of Podman (tests/podman).

A private `podman system service` is started for the session as the
upstream, with everything it writes under the session directory
(/tmp/dgt-XXXXXX/podman): its own storage (--root, --runroot, vfs), its own
containers.conf (cgroupfs, file events, no network namespace, CNI
configuration in the session directory, file locks) and its own socket.
The one path containers/image insists on for root,
/var/lib/containers/cache, is bind-mounted from the session directory in
a private mount namespace, so the host's stays untouched.

The integration suite's helpers are reused from tests/integ/conftest.py,
loaded under its own module name as tests/diff does. Its fixtures `proxy`,
`container` and `sleeper` ask for `dockerd` and `busybox`; this file
defines those two for Podman, so they work unchanged: `proxy()` starts a
dockgate whose SOCKET_PATH is Podman's socket, and `dockerd.api()` /
`dockerd.cli()` are the ground truth straight at Podman.

Everything is skipped, with the reason, when podman is not installed, the
run is not root, or the service does not answer.

    DOCKGATE_BIN   proxy binary (default <repo>/build/dockgate)
    PODMAN_BIN     podman binary (default: podman on PATH)
    DOCKER_CLI     docker CLI (default /usr/bin/docker); DOCKER_CLI_ALT the second one
    DGTEST_KEEP    keep the session directory (podman.log, proxy stderr)
"""

import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

_INTEG = Path(__file__).resolve().parents[1] / "integ" / "conftest.py"
if "dockgate_integ_conftest" in sys.modules:
    integ = sys.modules["dockgate_integ_conftest"]
else:
    _spec = importlib.util.spec_from_file_location("dockgate_integ_conftest", _INTEG)
    integ = importlib.util.module_from_spec(_spec)
    sys.modules["dockgate_integ_conftest"] = integ
    _spec.loader.exec_module(integ)

# The test module imports its helpers from here (`from conftest import ...`),
# so offer every name of the integration conftest, as tests/diff does.
for _name in dir(integ):
    if not _name.startswith("__") and _name not in globals():
        globals()[_name] = getattr(integ, _name)
del _name

# Fixtures reused as they are; they find `dockerd` and `busybox` below.
session_dir = integ.session_dir
_reaper = integ._reaper
proxy = integ.proxy
container = integ.container
sleeper = integ.sleeper

PODMAN = shutil.which(os.environ.get("PODMAN_BIN", "podman")) or ""
BLOB_CACHE = Path("/var/lib/containers")

# runc cannot raise RLIMIT_NOFILE/NPROC beyond the hard limits of this
# process (podman's defaults are 1048576), so the defaults are the limits
# we have; containers get no network namespace of their own to configure.
CONTAINERS_CONF = """\
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{root}/events.log"
runtime = "runc"
tmp_dir = "{root}/tmp"
volume_path = "{root}/volumes"
static_dir = "{root}/storage/libpod"
lock_type = "file"
[containers]
netns = "none"
default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]
[network]
network_config_dir = "{root}/cni"
"""


def podman_version():
    """`podman --version`'s number, or None."""
    if not PODMAN:
        return None
    try:
        out = subprocess.run([PODMAN, "--version"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.split()[-1] if out.strip() else None


def _limit(which, cap):
    """cap, or this process's hard limit if that is lower."""
    hard = resource.getrlimit(which)[1]
    return cap if hard == resource.RLIM_INFINITY else min(hard, cap)


class Podman(integ.Dockerd):
    """The private Podman service, standing in for the Dockerd of tests/integ."""

    def __init__(self, session):
        root = Path(session) / "podman"
        root.mkdir()
        super().__init__(root)
        self.sock = str(self.root / "podman.sock")
        self.log = self.root / "podman.log"
        self.made_blob_cache = False

    def start(self):
        conf = self.root / "containers.conf"
        conf.write_text(CONTAINERS_CONF.format(root=self.root,
                                               nofile=_limit(resource.RLIMIT_NOFILE, 1024),
                                               nproc=_limit(resource.RLIMIT_NPROC, 4096)))
        for d in ("cni", "tmp", "volumes", "cache"):
            (self.root / d).mkdir()
        # The bind mount needs a mount point; remember to remove it if we made it.
        if not BLOB_CACHE.exists():
            BLOB_CACHE.mkdir(parents=True)
            self.made_blob_cache = True
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        env.update({"CONTAINERS_CONF": str(conf),
                    "CONTAINERS_STORAGE_CONF": str(self.root / "storage.conf"),
                    "CONTAINERS_REGISTRIES_CONF": str(self.root / "registries.conf"),
                    "DGTEST_SESSION": str(self.root.parent)})
        (self.root / "storage.conf").write_text(
            f'[storage]\ndriver = "vfs"\nrunroot = "{self.root}/run"\n'
            f'graphroot = "{self.root}/storage"\n')
        (self.root / "registries.conf").write_text("unqualified-search-registries = []\n")
        script = ('mount --make-rprivate / && mount --bind "$1" "$2" && shift 2 && exec "$@"')
        argv = ["unshare", "--mount", "sh", "-c", script, "sh",
                str(self.root / "cache"), str(BLOB_CACHE),
                PODMAN, "--root", str(self.root / "storage"), "--runroot", str(self.root / "run"),
                "--storage-driver", "vfs", "--log-level", "info",
                "system", "service", "--time=0", "unix://" + self.sock]
        self._logf = open(self.log, "wb")
        self.proc = subprocess.Popen(argv, env=env, stdout=self._logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"podman system service exited with status "
                                   f"{self.proc.returncode}: "
                                   + self.log.read_text(errors="replace")[-2000:])
            try:
                return self.api("GET", "/_ping", timeout=1)[0] == 200
            except OSError:
                return False
        integ.wait_for(ready, 30, 0.1, "podman system service to answer /_ping")

    def stop(self):
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
        if self.made_blob_cache:
            try:
                BLOB_CACHE.rmdir()   # only if still empty: someone else may use it now
            except OSError:
                pass

    def import_image(self, tarpath, image):
        """POST /images/create?fromSrc=- (the Docker-compatible import)."""
        repo, tag = image.rsplit(":", 1)
        q = urllib.parse.urlencode({"fromSrc": "-", "repo": repo, "tag": tag,
                                    "changes": 'CMD ["sh"]'})
        st, body = self.api("POST", f"/v1.41/images/create?{q}",
                            body=Path(tarpath).read_bytes(),
                            headers={"Content-Type": "application/x-tar"}, timeout=120)
        assert st == 200, (st, body)


@pytest.fixture(scope="session")
def dockerd(session_dir):
    """The Podman service (named like the integration suite's daemon, so
    that its fixtures use it)."""
    if os.geteuid() != 0:
        pytest.skip("the podman tests start their own podman service and need root")
    if not PODMAN:
        pytest.skip("podman is not installed")
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is not installed")
    p = Podman(session_dir)
    try:
        try:
            p.start()
        except (RuntimeError, AssertionError, OSError) as e:
            pytest.skip(f"podman system service does not run here: {e}")
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="session")
def podman(dockerd):
    """The same Podman service, by its own name, for the tests."""
    return dockerd


@pytest.fixture(scope="session")
def busybox(dockerd, session_dir):
    """The test image, imported into Podman from /bin/busybox."""
    if not os.path.exists("/bin/busybox"):
        pytest.skip("/bin/busybox (busybox-static) is not installed")
    tarpath = session_dir / "busybox-rootfs.tar"
    integ._make_rootfs_tar(tarpath)
    dockerd.import_image(tarpath, integ.IMAGE)
    return integ.IMAGE


# Cases of tests/integ/test_hostile.py where Podman answers differently from
# dockerd (test_hostile_upstream.py runs them against Podman).
PODMAN_DIFFERS = {
    "test_debug_endpoints_exist_on_daemon": "Podman has no /debug router",
    "test_pipeline[smuggled-in-post-body]":
        "Podman answers a body that is not JSON with 500, not 400 (the smuggled request "
        "is still only a body: test_podman.py::test_smuggled_request_is_only_a_body)",
    "test_pipeline[smuggled-in-chunked-body]": "as smuggled-in-post-body",
    "test_target_allowed_with_containers[pct-version-digit]":
        "Podman routes the encoded path: an escape in a literal segment matches no route "
        "(404; test_podman.py::test_podman_routes_the_encoded_path)",
    "test_target_allowed_with_containers[pct-section-letter]": "as pct-version-digit",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name == "test_hostile_upstream.py" and item.name in PODMAN_DIFFERS:
            item.add_marker(pytest.mark.xfail(reason=PODMAN_DIFFERS[item.name], strict=True))


def libpod_json(resp):
    """The decoded JSON body of a raw response (chunked or not)."""
    return json.loads(resp.body)

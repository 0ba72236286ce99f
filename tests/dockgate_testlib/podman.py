"""The private Podman service (`podman system service`), standing in for
the Dockerd of daemon.py: everything it writes is under <session>/podman
(its own storage, --root, --runroot, vfs), its own containers.conf
(cgroupfs, file events, no network namespace, CNI configuration in the
session directory, file locks) and its own socket. The one path
containers/image insists on for root, /var/lib/containers/cache, is
bind-mounted from the session directory in a private mount namespace, so
the host's stays untouched.

    PODMAN_BIN     podman binary (default: podman on PATH)
"""

import os
import resource
import shutil
import subprocess
import urllib.parse
from pathlib import Path

from .daemon import Dockerd
from .session import SESSION_ENV

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


class Podman(Dockerd):
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
                    SESSION_ENV: str(self.root.parent)})
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

        self.wait_ready("podman system service", 30)

    def stop(self):
        super().stop()
        if self.made_blob_cache:
            try:
                BLOB_CACHE.rmdir()   # only if still empty: someone else may use it now
            except OSError:
                pass

    def import_image(self, tarpath, image, timeout=120):
        """POST /images/create?fromSrc=- (the Docker-compatible import)."""
        repo, tag = image.rsplit(":", 1)
        q = urllib.parse.urlencode({"fromSrc": "-", "repo": repo, "tag": tag,
                                    "changes": 'CMD ["sh"]'})
        st, body = self.api("POST", f"/v1.41/images/create?{q}",
                            body=Path(tarpath).read_bytes(),
                            headers={"Content-Type": "application/x-tar"}, timeout=timeout)
        assert st == 200, (st, body)

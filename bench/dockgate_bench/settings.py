"""What a run measures and with what: modes, subjects, policy, paths."""

from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent

# Everything that differs between --quick and the full run. It is written
# into the JSON as meta.settings, so a key added here changes the JSON.
MODES = {
    "quick": dict(repeats=3, duration=2, warmup=1, conns=[1, 16, 128],
                  download_repeats=3, callgrind_requests=3000,
                  idle_conns=10000, streams=1000, memory_repeats=1,
                  latency_requests=1000, latency_repeats=3, save_repeats=2),
    "full": dict(repeats=5, duration=8, warmup=1, conns=[1, 16, 128],
                 download_repeats=5, callgrind_requests=20000,
                 idle_conns=10000, streams=1000, memory_repeats=3,
                 latency_requests=5000, latency_repeats=5, save_repeats=3),
}

SUBJECTS = ["baseline", "haproxy", "dockgate"]
# The policy every proxy gets: docker-socket-proxy's defaults (EVENTS, PING,
# VERSION) plus CONTAINERS and IMAGES (docker ps / docker save); POST=0.
POLICY = {"CONTAINERS": "1", "IMAGES": "1", "EVENTS": "1", "PING": "1",
          "VERSION": "1", "POST": "0"}
MAXCONN = 10500          # both proxies: room for the 10,000-connection figure
# The Debian package that brings each tool (a path: a file it installs).
DEBS = {"nginx": "nginx-light", "haproxy": "haproxy", "wrk": "wrk",
        "valgrind": "valgrind", "dockerd": "docker.io", "docker": "docker.io",
        "curl": "curl", "/bin/busybox": "busybox-static"}

PING = "/_ping"
JSON_PATH = "/v1.41/containers/json"
DENIED = "/v1.41/info"           # INFO=0: answered 403 by the proxy itself
BIG = "/v1.41/containers/big/export"
BIG_SIZE = 1 << 30


def subject_order(rep):
    """The subjects in the order repeat `rep` runs them: rotated by one from
    one repeat to the next, so that slow drifts of the machine hit all
    three alike."""
    k = rep % len(SUBJECTS)
    return SUBJECTS[k:] + SUBJECTS[:k]

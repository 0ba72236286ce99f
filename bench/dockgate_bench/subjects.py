"""The subjects: the synthetic upstream nginx (also the baseline), HAProxy
with docker-socket-proxy's rules, and dockgate; each started and ready."""

import hashlib
import json
import resource
import signal
import subprocess
import time

from dockgate_testlib.net import free_port
from dockgate_testlib.procs import ChildProcess

from .crowd import drive_gets
from .settings import BENCH, BIG_SIZE, MAXCONN, POLICY

NGINX_CONF = """\
daemon off;
master_process {master};
worker_processes 1;
user root;
pid {work}/nginx{tag}.pid;
error_log {work}/nginx{tag}-error.log warn;
events {{ worker_connections 19000; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-body;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    default_type application/octet-stream;
    server {{
        {listen}
        location = /_ping {{ default_type text/plain; return 200 "OK"; }}
        location = /v1.41/containers/json {{
            default_type application/json;
            alias {work}/containers.json;
        }}
        location = /v1.41/containers/big/export {{
            default_type application/x-tar;
            alias {work}/big.bin;
        }}
        location = /v1.41/info {{
            default_type application/json;
            return 403 '{{"message":"denied"}}';
        }}
        location / {{ return 404; }}
    }}
}}
"""


def containers_json():
    """About 3 KB of `docker ps` JSON: three containers, as the daemon writes it."""
    items = []
    for i in range(3):
        cid = hashlib.sha256(f"c{i}".encode()).hexdigest()
        items.append({
            "Id": cid, "Names": [f"/bench-{i}"], "Image": "bench/busybox",
            "ImageID": "sha256:" + hashlib.sha256(b"img").hexdigest(),
            "Command": "sleep 3600", "Created": 1700000000 + i,
            "Ports": [], "Labels": {"com.example.role": "bench",
                                   "com.example.index": str(i)},
            "State": "running", "Status": "Up 2 minutes",
            "HostConfig": {"NetworkMode": "none"},
            "NetworkSettings": {"Networks": {"none": {
                "IPAMConfig": None, "Links": None, "Aliases": None,
                "NetworkID": hashlib.sha256(b"none").hexdigest(),
                "EndpointID": hashlib.sha256(f"e{i}".encode()).hexdigest(),
                "Gateway": "", "IPAddress": "", "IPPrefixLen": 0,
                "IPv6Gateway": "", "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0, "MacAddress": "", "DriverOpts": None}}},
            "Mounts": []})
    return (json.dumps(items) + "\n").encode()


def start_nginx(session):
    """The synthetic upstream: its files in the work dir, one worker,
    listening on a free TCP port and on work/up.sock. Returns (process,
    port, socket path, worker pid); the worker is the baseline subject."""
    work = session.work
    (work / "containers.json").write_bytes(containers_json())
    with open(work / "big.bin", "wb") as f:        # sparse: no disk used
        f.truncate(BIG_SIZE)
    (work / "nginx-body").mkdir(exist_ok=True)
    port = free_port()
    sock = str(work / "up.sock")
    listen = (f"listen 127.0.0.1:{port} backlog=4096;\n"
              f"        listen unix:{sock} backlog=4096;")
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(master="on", work=work, tag="",
                                      listen=listen))
    p = ChildProcess("nginx", ["nginx", "-p", str(work), "-e",
                               str(work / "nginx-error.log"), "-c", str(conf)],
                     work)
    p.wait_listening(("127.0.0.1", port))
    p.wait_listening(sock)
    worker = None
    for _ in range(100):
        kids = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True,
                              text=True).stdout.split()
        if kids:
            worker = int(kids[0])
            break
        time.sleep(0.05)
    return p, port, sock, worker


def start_single_nginx(session, port, wrapper):
    """The baseline as one process (no master) on 127.0.0.1:port, run under
    wrapper (e.g. valgrind), serving the files start_nginx wrote."""
    work = session.work
    conf = work / "nginx-cg.conf"
    conf.write_text(NGINX_CONF.format(
        master="off", work=work, tag="-cg",
        listen=f"listen 127.0.0.1:{port};"))
    p = ChildProcess(f"cg-nginx-{port}", list(wrapper) + [
        "nginx", "-p", str(work), "-e", str(work / "nginx-cg-error.log"),
        "-c", str(conf)], work)
    p.wait_listening(("127.0.0.1", port), timeout=60)
    return p


def proxy_env(upstream):
    """The policy both proxies get, forwarding to the unix socket upstream."""
    env = dict(POLICY)
    env["SOCKET_PATH"] = upstream
    return env


def start_subject(session, kind, upstream, port=None, wrapper=(), tag="",
                  access_log=None, extra_env=None):
    """Starts haproxy or dockgate on 127.0.0.1:port (default: a free one)
    forwarding to upstream, under wrapper if given; returns (process,
    port) once it accepts. access_log: one access line per request
    (default: --log). extra_env: more settings for dockgate."""
    port = port or free_port()
    access_log = session.args.log if access_log is None else access_log
    env = proxy_env(upstream)
    if kind == "dockgate":
        env.update(extra_env or {})
    name = f"{kind}{tag}-{port}"
    if kind == "haproxy":
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        env.update(BENCH_BIND=f"127.0.0.1:{port}",
                   BENCH_MAXCONN=str(min(MAXCONN, (nofile - 100) // 2)))
        if access_log:
            env["BENCH_LOG"] = "1"
        argv = ["haproxy", "-db", "-f", str(BENCH / "haproxy.cfg")]
    else:
        # Every benchmark client comes from 127.0.0.1: the per-client cap
        # (1024 by default) is raised with the total one, as HAProxy has none.
        env.update(LISTEN=f"tcp://127.0.0.1:{port}",
                   MAX_CONNECTIONS=str(MAXCONN),
                   MAX_CONNECTIONS_PER_CLIENT=str(MAXCONN),
                   LOG_LEVEL="info" if access_log else "notice")
        if wrapper:
            # Valgrind runs inside the process: a seccomp filter or a
            # Landlock ruleset would stop it writing its output file. Both
            # act in the kernel, so the user-space count is the same; both
            # are set up at startup, so the system calls per request too.
            env.update(SECCOMP="0", LANDLOCK="0")
        argv = [str(session.dockgate)]
    # Logs of the proxies under load go to /dev/null (a file would grow and
    # cost disk writes); startup messages are shown by wait_listening on
    # failure.
    out = subprocess.DEVNULL if access_log and not wrapper else None
    p = ChildProcess(name, list(wrapper) + argv, session.work, env=env,
                     stdout=out)
    p.wait_listening(("127.0.0.1", port), timeout=60 if wrapper else 20)
    return p, port


def wrapped_life(session, kind, wrapper, upstream, requests, path, conns=1,
                 close=False, access_log=None, what=None, extra_env=None):
    """One whole life of a subject under wrapper (valgrind, strace): start
    on a free port, one readiness connect, `requests` GETs of path as
    drive_gets sends them, SIGTERM (SIGKILL after 60 s). The baseline is
    nginx as one process. what: the subject's name in an error."""
    port = free_port()
    if kind == "baseline":
        p = start_single_nginx(session, port, wrapper)
    else:
        p, port = start_subject(session, kind, upstream, port, wrapper=wrapper,
                                tag="-cg", access_log=access_log,
                                extra_env=extra_env)
    if requests:
        drive_gets(port, path, requests, conns, close, what or kind)
    time.sleep(0.5)
    p.stop(signal.SIGTERM, wait=60)

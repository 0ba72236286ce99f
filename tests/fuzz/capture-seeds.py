#!/usr/bin/python3
"""Captures real docker CLI traffic as fuzz seeds.

Usage: capture-seeds.py DOCKER_SOCKET OUT_DIR [DOCKER_CLI]

Runs a fixed set of CLI commands through a recording relay in front of the
daemon's socket and writes what each client connection sent (its first
4 KiB) to OUT_DIR/cli-<n>. Needs a daemon with an image named by $IMAGE
(default dgtest/busybox:latest) and a running container $CONTAINER (default
one started here)."""

import os
import socket
import subprocess
import sys
import tempfile
import threading

SEED_MAX = 4096


def relay(listen_path, upstream, records):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(listen_path)
    srv.listen(16)

    def pump(src, dst, rec):
        try:
            while True:
                b = src.recv(65536)
                if not b:
                    break
                if rec is not None and len(rec) < SEED_MAX:
                    rec.extend(b[:SEED_MAX - len(rec)])
                dst.sendall(b)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            u.connect(upstream)
            rec = bytearray()
            records.append(rec)
            threading.Thread(target=pump, args=(c, u, rec), daemon=True).start()
            threading.Thread(target=pump, args=(u, c, None), daemon=True).start()
    threading.Thread(target=serve, daemon=True).start()
    return srv


def main():
    upstream, out = sys.argv[1], sys.argv[2]
    cli = sys.argv[3] if len(sys.argv) > 3 else "/usr/bin/docker"
    image = os.environ.get("IMAGE", "dgtest/busybox:latest")
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="dgcap")
    path = os.path.join(tmp, "r.sock")
    records = []
    srv = relay(path, upstream, records)
    env = dict(os.environ, DOCKER_HOST="unix://" + path, DOCKER_CONFIG=tmp)

    def docker(*args, stdin=None):
        subprocess.run([cli, *args], input=stdin, env=env, capture_output=True, timeout=120)
    name = "dgcap-" + str(os.getpid())
    docker("version")
    docker("ps", "-a", "--filter", "label=x=y")
    docker("run", "-d", "--name", name, "--network", "none", "--label", "dg=1", image,
           "sleep", "300")
    docker("inspect", name)
    docker("logs", "--tail", "5", name)
    docker("exec", "-i", name, "cat", stdin=b"data\n")
    docker("exec", "-t", name, "echo", "tty")
    docker("top", name)
    docker("stats", "--no-stream", name)
    docker("events", "--since", "1s", "--until", "2s")
    docker("network", "create", "--internal", name)
    docker("network", "ls")
    docker("network", "rm", name)
    docker("volume", "create", name)
    docker("volume", "rm", name)
    docker("restart", "-t", "1", name)
    docker("kill", name)
    docker("rm", "-f", name)
    docker("images")
    docker("image", "inspect", image)
    docker("system", "df")
    docker("info")
    srv.close()
    for i, rec in enumerate(r for r in records if r):
        with open(os.path.join(out, f"cli-{i:02d}"), "wb") as f:
            f.write(rec)
    print(f"{sum(1 for r in records if r)} seeds written to {out}")


if __name__ == "__main__":
    main()

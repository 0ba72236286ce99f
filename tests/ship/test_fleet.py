"""The fleet manifests: one dockgate per Docker host. The Swarm stack is
checked by docker-compose and, where Swarm can run on the test daemon,
deployed; the DaemonSet is parsed and its security fields asserted."""

import json
import os
import re
import subprocess

import pytest
import yaml
from dockgate_testlib.daemon import IMAGE, cli_env, unique
from dockgate_testlib.net import free_port, wait_for
from dockgate_testlib.rawhttp import RawConn
from dockgate_testlib.release import DOCKGATE_BIN
from dockgate_testlib.settings import DOCKER_CLI, REPO

STACK = REPO / "packaging" / "fleet" / "docker-stack.yml"
DAEMONSET = REPO / "packaging" / "fleet" / "daemonset.yaml"


def dockgate_settings():
    out = subprocess.run([DOCKGATE_BIN, "--help"], capture_output=True, text=True,
                         check=True).stdout
    return set(re.findall(r"^  --[a-z0-9-]+\s+([A-Z][A-Z0-9_]*)\s", out, re.M))


def uclient_request(path, raw, timeout=10):
    """One request on a unix socket, the answer's status and body."""
    c = RawConn.open(path, timeout)
    try:
        c.send(raw)
        data = c.read_until_close(timeout)
    finally:
        c.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_stack_file_is_valid_compose(tmp_path):
    env = {**os.environ, "DOCKER_GID": "105", "DOCKGATE_RUN_DIR": "/srv/dg"}
    cp = subprocess.run(["docker-compose", "-f", str(STACK), "config"], capture_output=True,
                        text=True, env=env, cwd=tmp_path)
    if cp.returncode == 127:
        pytest.skip("docker-compose is not installed")
    assert cp.returncode == 0, cp.stderr
    cfg = yaml.safe_load(cp.stdout)
    svc = cfg["services"]["dockgate"]
    assert svc["deploy"]["mode"] == "global"
    assert svc["user"] == "65534:105"
    assert svc["read_only"] is True and svc["cap_drop"] == ["ALL"]
    assert "cap_add" not in svc and "privileged" not in svc
    (net,) = svc["networks"]
    assert cfg["networks"][net] == {"driver": "overlay", "internal": True}
    mounts = {v["target"]: v for v in svc["volumes"]}
    assert mounts["/var/run/docker.sock"]["read_only"] is True
    assert mounts["/run/dockgate"]["source"] == "/srv/dg"
    assert svc["environment"]["LISTEN"] == "unix:///run/dockgate/docker.sock"
    assert set(svc["environment"]) <= dockgate_settings()
    assert "ports" not in svc


def test_daemonset_security_fields():
    docs = list(yaml.safe_load_all(DAEMONSET.read_text()))
    assert len(docs) == 1
    ds = docs[0]
    assert (ds["apiVersion"], ds["kind"]) == ("apps/v1", "DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    assert ds["spec"]["selector"]["matchLabels"] == ds["spec"]["template"]["metadata"]["labels"]
    assert {"operator": "Exists"} in pod["tolerations"]       # every node
    for key in ("hostNetwork", "hostPID", "hostIPC", "automountServiceAccountToken"):
        assert pod[key] is False, key
    psc = pod["securityContext"]
    assert psc["runAsNonRoot"] is True and psc["runAsUser"] == 65534
    assert psc["seccompProfile"] == {"type": "RuntimeDefault"}
    (ctr,) = pod["containers"]
    sc = ctr["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False and sc["privileged"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert "ports" not in ctr
    env = {e["name"]: e["value"] for e in ctr["env"]}
    assert set(env) <= dockgate_settings(), set(env) - dockgate_settings()
    assert env["LISTEN"] == "unix:///run/dockgate/docker.sock" and env["POST"] == "0"
    # The listener's group is one the proxy is in: no CAP_CHOWN needed.
    assert int(env["LISTEN_GROUP"]) in psc["supplementalGroups"]
    assert ctr["livenessProbe"]["exec"]["command"] == ["/dockgate", "--healthcheck"]
    vols = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in ctr["volumeMounts"]}
    sock = mounts["/var/run/docker.sock"]
    assert sock["readOnly"] is True
    assert vols[sock["name"]]["hostPath"] == {"path": "/var/run/docker.sock", "type": "Socket"}
    assert vols[mounts["/run/dockgate"]["name"]]["hostPath"]["path"] == "/run/dockgate"
    # The one root step: chown of the socket directory, CAP_CHOWN only.
    (init,) = pod["initContainers"]
    assert init["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["CHOWN"]}
    assert init["securityContext"]["allowPrivilegeEscalation"] is False
    assert init["command"][0] == "chown"


def test_stack_deploys_on_swarm(image, dockerd, session_dir):
    """The stack on a one-node Swarm of the test daemon: a global task that
    serves the unix socket in the host directory with the policy."""
    r = dockerd.cli("swarm", "init", "--advertise-addr", "127.0.0.1",
                    "--listen-addr", f"127.0.0.1:{free_port()}")
    if r.rc != 0:
        pytest.skip(f"docker swarm init failed on the test daemon: {r.err.strip()}")
    rundir = session_dir / unique("swarm-run")
    rundir.mkdir()
    os.chown(rundir, 65534, 65534)
    stack = unique("dgstack")
    try:
        env = cli_env(dockerd.cli_config)
        env.update(DOCKGATE_IMAGE=image, DOCKER_GID=str(dockerd.socket_gid()),
                   DOCKER_SOCKET=dockerd.sock,
                   DOCKGATE_RUN_DIR=str(rundir))
        cp = subprocess.run([DOCKER_CLI, "-H", "unix://" + dockerd.sock, "stack", "deploy",
                             "--resolve-image", "never", "-c", str(STACK), stack],
                            capture_output=True, text=True, env=env, timeout=60)
        assert cp.returncode == 0, cp.stderr

        def task_state():
            r = dockerd.cli("service", "ps", "--no-trunc", "--format",
                            "{{.CurrentState}}|{{.Error}}", f"{stack}_dockgate")
            return r.out.strip()
        try:
            wait_for(lambda: (rundir / "docker.sock").exists(), 30, 0.3, "the stack's socket")
        except AssertionError:
            raise AssertionError(f"no socket; tasks: {task_state()}")
        print(f"\nswarm task: {task_state()}")
        st, body = uclient_request(rundir / "docker.sock",
                                   b"GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert (st, body) == (200, b"OK")
        st, body = uclient_request(rundir / "docker.sock",
                                   b"GET /containers/json HTTP/1.0\r\nHost: x\r\n\r\n")
        assert st == 200, body
        (task,) = [c for c in json.loads(body)
                   if c["Labels"].get("com.docker.stack.namespace") == stack]
        info = dockerd.inspect(task["Id"])
        assert info["Config"]["User"] == f"65534:{dockerd.socket_gid()}"
        assert info["HostConfig"]["ReadonlyRootfs"] is True
        assert info["HostConfig"]["CapDrop"] == ["ALL"]
        victim = unique("dgship-denied")
        req = json.dumps({"Image": IMAGE}).encode()
        st, body = uclient_request(rundir / "docker.sock",
                                   b"POST /containers/create?name=%s HTTP/1.1\r\nHost: x\r\n"
                                   b"Connection: close\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: %d\r\n\r\n%s" % (victim.encode(), len(req), req))
        assert st == 403, body
        assert not dockerd.exists(victim)
    finally:
        dockerd.cli("stack", "rm", stack)
        dockerd.cli("swarm", "leave", "--force")

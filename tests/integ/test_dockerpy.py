"""docker-py (Debian's python3-docker) as a second real client.

docker-py reads hijacked exec/attach streams from the raw socket under
http.client's buffered reader, so output that arrives in the same read as the
end of the response head is lost (docker/docker-py#3332). Directly against the
daemon that almost never happens; through a relay it can, unless the proxy
writes the response head on its own and sets TCP_NODELAY (docs/engine-api.md
§12).
"""

import pytest

docker = pytest.importorskip("docker")

# docker-py 5.0.3 uses distutils and urllib.parse.splitnport.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:docker")

VIAS = ["tcp", "unix"]


def client(p, via):
    url = f"tcp://127.0.0.1:{p.port}" if via == "tcp" else f"unix://{p.unix}"
    return docker.DockerClient(base_url=url, version="1.41", timeout=30)


@pytest.mark.parametrize("via", VIAS)
def test_dockerpy_exec_output_not_lost(proxy, sleeper, via):
    p = proxy(CONTAINERS=1, EXEC=1, POST=1)
    c = client(p, via)
    try:
        ctr = c.containers.get(sleeper)
        outputs = [ctr.exec_run(["echo", f"run-{i}"]) for i in range(20)]
    finally:
        c.close()
    bad = [(i, r.exit_code, r.output) for i, r in enumerate(outputs)
           if (r.exit_code, r.output) != (0, f"run-{i}\n".encode())]
    assert not bad, f"{len(bad)} of 20 exec_run calls lost or garbled output: {bad[:5]}"


@pytest.mark.parametrize("via", VIAS)
def test_dockerpy_denied_is_a_403_api_error(proxy, via):
    p = proxy()
    c = client(p, via)
    try:
        assert c.ping() is True
        with pytest.raises(docker.errors.APIError) as ei:
            c.containers.list()
    finally:
        c.close()
    assert ei.value.status_code == 403
    assert "CONTAINERS=1" in str(ei.value.explanation)


def test_dockerpy_list_and_logs(proxy, sleeper):
    p = proxy(CONTAINERS=1)
    c = client(p, "tcp")
    try:
        ids = [x.id for x in c.containers.list()]
        assert sleeper in ids
        assert b"hello-log" in c.containers.get(sleeper).logs()
    finally:
        c.close()

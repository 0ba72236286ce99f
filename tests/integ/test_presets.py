"""The built-in presets (src/presets.c, docs/presets.md) against the real
daemon: with PROFILE=<preset> and nothing else set, the preset's client
makes every call it makes, and every catalogued call it does not make gets
dockgate's 403 naming the operation and the profile, with the daemon's
state unchanged.

The clients' calls and the catalogue of forbidden calls are in
dockgate_testlib.clients; the allow lists are read from src/presets.c, so
the test follows the data that is built.

- test_preset_allows[X]: the client's calls, replayed over raw HTTP (TCP),
  all reach the daemon and get the answers they expect.
- test_preset_denies[X]: each catalogued operation X does not allow, sent
  unversioned and with the daemon's version prefix, gets dockgate's 403;
  nothing on the daemon changed (containers, exec instances, images,
  networks, volumes, Swarm, plugins) and the denied exec never ran. The
  catalogue holds EVENTS, PING and VERSION's routes: their default values
  (on) must add nothing to a preset.
- test_preset_denies_libpod_twins[X]: Podman's /libpod twins of the
  operations X allows are denied (a preset is Docker's routes only).
- test_preset_over_unix[X]: one call allowed and one denied through the
  unix listener, which judges alike.
- test_every_preset_has_a_client, test_catalogue_covers_every_grant: the
  test data keeps up with the presets.
- test_docs_list_each_presets_calls: docs/presets.md lists exactly each
  preset's operations.
- test_unknown_preset: PROFILE naming no preset stops startup (status 2)
  and offers every preset.
"""

import re

import pytest

from dockgate_testlib.clients import (CLIENTS, FORBIDDEN, denied_calls, libpod_twin_calls,
                                      preset_allow_lists)
from dockgate_testlib.proxy import run_dockgate_once
from dockgate_testlib.replay import (Ctx, dockgate_message, replay_allowed, replay_denied,
                                     replay_denied_harmless, send, snapshot)
from dockgate_testlib.settings import REPO

ALLOW = preset_allow_lists()
PRESETS = sorted(ALLOW)


@pytest.fixture
def ctx(dockerd, container):
    c = Ctx(dockerd, container)
    yield c
    c.cleanup()


def test_every_preset_has_a_client():
    assert set(PRESETS) == set(CLIENTS), "a preset without a replayed client, or a client without a preset"
    assert {"ping", "traefik", "portainer", "watchtower", "homepage", "dozzle", "netdata",
            "ci-runner", "uptime-kuma", "wud", "diun", "autoheal"} <= set(PRESETS)


def documented_calls():
    """{preset: operations} from the "Calls:" item of each preset's section
    in docs/presets.md."""
    text = (REPO / "docs" / "presets.md").read_text()
    calls = {}
    for m in re.finditer(r"^### `([a-z-]+)`\n(.*?)(?=^### |^## |\Z)", text, re.S | re.M):
        item = re.search(r"^- Calls:(.*?)^- Source:", m.group(2), re.S | re.M)
        assert item, f"docs/presets.md: the section of {m.group(1)} has no Calls: item"
        calls[m.group(1)] = set(re.findall(r"`([A-Z][A-Za-z]+)`", item.group(1)))
    return calls


def test_docs_list_each_presets_calls():
    """docs/presets.md names exactly the operations each preset allows, so
    a grant cannot be added without saying where it comes from."""
    assert documented_calls() == ALLOW


def test_catalogue_covers_every_grant():
    """Every operation some preset allows is sent, as a forbidden call, to
    the presets that do not allow it."""
    catalogued = {op for op, _ in FORBIDDEN}
    granted = set().union(*ALLOW.values())
    assert granted <= catalogued, f"not catalogued: {sorted(granted - catalogued)}"


@pytest.mark.parametrize("name", PRESETS)
def test_preset_allows(proxy, ctx, name):
    p = proxy(PROFILE=name)
    done = replay_allowed(p, "tcp", CLIENTS[name](ctx))
    assert done, "the replay sent nothing"
    assert p.alive()


@pytest.mark.parametrize("name", PRESETS)
def test_preset_denies(proxy, dockerd, ctx, name):
    p = proxy(PROFILE=name)
    reqs = denied_calls(ctx, ALLOW[name])
    assert len(reqs) >= 20, f"only {len(reqs)} forbidden calls for {name}"
    replay_denied_harmless(p, "tcp", reqs, dockerd, ctx, name)
    assert p.alive()


@pytest.mark.parametrize("name", PRESETS)
def test_preset_denies_libpod_twins(proxy, dockerd, ctx, name):
    """A preset allows Docker's routes only: the /libpod twin of an
    allowed operation is denied."""
    p = proxy(PROFILE=name)
    reqs = libpod_twin_calls(ctx, ALLOW[name])
    assert reqs, f"no /libpod twin sampled for {name}"
    before = snapshot(dockerd)
    replay_denied(p, "tcp", reqs, name)
    assert snapshot(dockerd) == before


@pytest.mark.parametrize("name", ["traefik", "ci-runner"])
def test_preset_over_unix(proxy, ctx, name):
    p = proxy(PROFILE=name)
    export = next(r for r in denied_calls(ctx, ALLOW[name]) if r.op == "ContainerExport")
    rsp = send(p, export, "unix")
    assert rsp.status == 403 and name in (dockgate_message(rsp) or ""), rsp
    done = replay_allowed(p, "unix", CLIENTS[name](ctx))
    assert done


def test_unknown_preset():
    """A misspelt preset stops startup, and the message offers every preset."""
    rc, out = run_dockgate_once({"PROFILE": "traefic"})
    assert rc == 2, out
    assert "'traefic' is not valid" in out, out
    for name in PRESETS:
        assert name in out, f"the message does not offer {name}: {out}"

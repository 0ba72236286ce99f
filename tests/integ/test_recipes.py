"""The compose recipes in recipes/: each file is valid, hardened, and its
dockgate settings (its client's preset, and what the file adds to it) let
its client make the calls it makes and nothing else.

The settings are read from the file itself (the dockgate service's
`environment`), so a change to a recipe is tested, not a copy of it. The
client calls are replayed over raw HTTP from what each client's source says
it sends (dockgate_testlib.clients; docs/presets.md names the sources); no
client image is run, as none can be pulled here.

- test_recipe_compose_config[X]: `docker-compose -f recipes/X.yml config -q` accepts it.
- test_recipe_hardening[X]: the dockgate service is read-only, drops every
  capability, has no-new-privileges, is on an internal network or none, and no
  other service mounts the daemon's socket; the client is pointed at dockgate.
- test_recipe_table[X]: both README tables list exactly the preset and the
  switches the file sets.
- test_recipe_uses_its_preset[X]: the file sets PROFILE to its client's preset
  and no switch at its default (which would add nothing).
- test_recipe_allows[X]: every call of the client (and, for ci-runner, of its
  jobs) reaches the daemon (no answer from dockgate itself) and, where the
  answer is certain, gets it.
- test_recipe_denies[X]: one call for every catalogued operation the recipe
  does not allow, unversioned and versioned, gets dockgate's 403 naming the
  operation and the profile, and the daemon's state (containers and their
  state, exec instances, images, networks, volumes, Swarm, plugins) is
  unchanged afterwards.
"""

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from dockgate_testlib.clients import CLIENTS, ci_job_allows, denied_calls, preset_allow_lists
from dockgate_testlib.net import free_port
from dockgate_testlib.replay import Ctx, replay_allowed, replay_denied_harmless
from dockgate_testlib.settings import REPO

RECIPES_DIR = REPO / "recipes"
RECIPES = ["traefik", "portainer", "watchtower", "homepage", "dozzle", "netdata", "ci-runner"]
COMPOSE = shutil.which("docker-compose")

# Settings that are switches (section, POST, ALLOW_*); the rest (LISTEN,
# LISTEN_GROUP, ...) are not "what the client may do".
SWITCHES = set(
    "EVENTS PING VERSION AUTH BUILD COMMIT CONFIGS CONTAINERS DISTRIBUTION EXEC GRPC IMAGES "
    "INFO NETWORKS NODES PLUGINS SECRETS SERVICES SESSION SWARM SYSTEM TASKS VOLUMES POST "
    "ALLOW_START ALLOW_STOP ALLOW_RESTARTS".split())
TRUE_WORDS = ("1", "true", "yes", "on")


def load(name):
    with open(RECIPES_DIR / f"{name}.yml") as f:
        return yaml.safe_load(f)


def dockgate_env(name):
    """The dockgate service's environment, as the strings the container would get."""
    env = load(name)["services"]["dockgate"].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: ("" if v is None else (str(v).lower() if isinstance(v, bool) else str(v)))
            for k, v in env.items()}


def switched_on(env):
    return {k for k, v in env.items() if k in SWITCHES and v.lower() in TRUE_WORDS}


# --------------------------------------------------------------------------
# the file itself
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", RECIPES)
def test_recipe_compose_config(name):
    if COMPOSE is None:
        pytest.skip("docker-compose is not installed (scripts/install-deps.sh installs it)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "COMPOSE_"))}
    env["DOCKER_GID"] = "999"
    cp = subprocess.run([COMPOSE, "-f", str(RECIPES_DIR / f"{name}.yml"), "config", "-q"],
                        env=env, capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, f"docker-compose config rejects recipes/{name}.yml:\n{cp.stderr}"
    assert cp.stdout == "", cp.stdout


def _bind_source(vol):
    return vol.split(":", 1)[0] if isinstance(vol, str) else (vol.get("source") or "")


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_hardening(name):
    doc = load(name)
    services = doc["services"]
    dg = services["dockgate"]
    assert dg.get("image") == "dockgate:latest"
    assert dg.get("read_only") is True
    assert dg.get("cap_drop") == ["ALL"]
    assert "no-new-privileges:true" in (dg.get("security_opt") or [])
    assert any("${DOCKER_GID" in str(g) for g in dg.get("group_add") or []), \
        "dockgate needs the group of the daemon's socket (group_add)"
    assert "/var/run/docker.sock:/var/run/docker.sock:ro" in dg.get("volumes", [])
    assert "ports" not in dg, "dockgate's listener must not be published"
    if dg.get("network_mode") != "none":
        nets = dg.get("networks")
        assert nets, "dockgate must be on an explicit network, not the project default"
        for n in nets:
            assert (doc.get("networks") or {}).get(n, {}).get("internal") is True, \
                f"network {n} of dockgate is not internal"
    env = dockgate_env(name)
    unix = [e[len("unix://"):] for e in env.get("LISTEN", "").split(",") if e.startswith("unix://")]
    clients = {k: v for k, v in services.items() if k != "dockgate"}
    assert clients, "a recipe has a client service"
    for cname, svc in clients.items():
        for vol in svc.get("volumes") or []:
            src = _bind_source(vol)
            assert not src.endswith("docker.sock"), \
                f"{cname} mounts the daemon's socket {src}: it must go through dockgate"
        text = json.dumps(svc)
        for vol in svc.get("volumes") or []:     # config files the client reads, e.g. Homepage's
            src = _bind_source(vol)
            if src.startswith("./") and (RECIPES_DIR / src).is_file():
                text += (RECIPES_DIR / src).read_text()
        points = ("tcp://dockgate:2375" in text
                  or re.search(r"host:\s*dockgate\s*\n\s*port:\s*2375", text)
                  or any(path in text for path in unix))
        assert points, f"{cname} is not pointed at dockgate (tcp://dockgate:2375 or {unix})"


def _table_settings(readme, name):
    for line in readme.splitlines():
        if line.startswith("|") and f"{name}.yml" in line:
            cells = line.split("|")
            return set(re.findall(r"`([A-Z_]+(?:=[a-z-]+)?)`", cells[3]))
    return None


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_table(name):
    env = dockgate_env(name)
    on = switched_on(env) | {f"PROFILE={env.get('PROFILE')}"}
    for readme in (RECIPES_DIR / "README.md", REPO / "README.md"):
        listed = _table_settings(readme.read_text(), name)
        assert listed is not None, f"{readme} has no table row for {name}.yml"
        assert listed == on, (f"{readme}: the row for {name}.yml lists {sorted(listed)}, "
                              f"the file sets {sorted(on)}")


# --------------------------------------------------------------------------
# replaying a client
# --------------------------------------------------------------------------

# What a recipe's settings add to its preset, as the operations of the
# forbidden-call catalogue they open: ci-runner's jobs build, log in and
# push (BUILD=1, AUTH=1, IMAGES=1 with POST=1 widen the preset by those
# sections).
WIDENED = {
    "ci-runner": {"ImageBuild", "BuildPrune", "SystemAuth", "ImageList", "ImageInspect",
                  "ImageHistory", "ImageCreate", "ImageTag", "ImageDelete", "ImageGet",
                  "ImageGetAll", "ImageLoad", "ImagePush", "ImagePrune", "ImageSearch"},
}
# What a recipe's users do beyond its client's own calls.
EXTRA_CALLS = {
    "ci-runner": ci_job_allows,
}


@pytest.fixture
def ctx(dockerd, container):
    c = Ctx(dockerd, container)
    yield c
    c.cleanup()


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_uses_its_preset(name):
    env = dockgate_env(name)
    assert env.get("PROFILE") == name, f"recipes/{name}.yml does not set PROFILE: {name}"
    assert name in preset_allow_lists()
    # A switch at its default adds nothing to a preset: setting it would
    # only mislead a reader.
    for k in ("EVENTS", "PING", "VERSION"):
        assert k not in env, f"recipes/{name}.yml sets {k}, which adds nothing to a preset"


def start_recipe_proxy(proxy, session_dir, name):
    """dockgate with the recipe's settings; its LISTEN is kept but moved to a
    test address (a unix path in the session directory, a free TCP port).
    Returns (proxy, via): the replay goes through the recipe's own listener kind."""
    env = dockgate_env(name)
    env.pop("SOCKET_PATH", None)                    # the fixture's daemon, not the host's
    listen = None
    if "LISTEN" in env:
        items = []
        for item in env.pop("LISTEN").split(","):
            if item.startswith("unix://"):
                items.append(f"unix://{session_dir}/{name}-{free_port()}.sock")
            elif item.startswith("tcp://"):
                items.append(f"tcp://127.0.0.1:{free_port()}")
            else:
                pytest.fail(f"recipes/{name}.yml: LISTEN entry {item!r} is neither tcp:// nor unix://")
        listen = ",".join(items)
    p = proxy(listen=listen, **env)
    via = "tcp" if "tcp" in p.listeners else "unix"
    return p, via


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_allows(proxy, dockerd, session_dir, ctx, name):
    p, via = start_recipe_proxy(proxy, session_dir, name)
    done = replay_allowed(p, via, CLIENTS[name](ctx))
    assert done, "the replay sent nothing"
    if name in EXTRA_CALLS:
        assert replay_allowed(p, via, EXTRA_CALLS[name](ctx))
    assert p.alive()


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_denies(proxy, dockerd, session_dir, ctx, name):
    p, via = start_recipe_proxy(proxy, session_dir, name)
    allow = preset_allow_lists()[name] | WIDENED.get(name, set())
    reqs = denied_calls(ctx, allow)
    replay_denied_harmless(p, via, reqs, dockerd, ctx, name)
    assert p.alive()

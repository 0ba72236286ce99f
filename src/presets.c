/* presets.c - the built-in profiles; see presets.h and docs/presets.md.
 *
 * Each list is what the client's own source calls, read at the version
 * named in its source string, not a capture of the running client. A
 * client that negotiates the API version (the Go SDK from
 * github.com/moby/moby/client, by default; docker/docker's client with
 * WithAPIVersionNegotiation) sends HEAD /_ping first and GET /_ping when
 * the HEAD fails (client/ping.go): those presets carry both. Clients
 * that pin a version or send none (dockerode, curl, axios) carry neither.
 * Optional features of a client that need more (actions, lifecycle hooks,
 * Swarm mode, update triggers) stay out: docs/presets.md says what each
 * needs, for a policy file profile that extends the preset. */
#include "presets.h"

#include <string.h>

/* The Go SDK's version negotiation: HEAD /_ping, GET /_ping on failure. */
#define PRESET_NEGOTIATION "SystemPingHead", "SystemPing"

static const char *const ping_allow[] = {
	"SystemPing", "SystemPingHead", "SystemVersion", NULL,
};

/* pdocker.go: ServerVersion at each connection, ContainerList (all),
 * ContainerInspect of each (shared.go; config.go for a container's
 * network_mode peer), Events filtered to containers. */
static const char *const traefik_allow[] = {
	PRESET_NEGOTIATION, "SystemVersion",
	"ContainerList", "ContainerInspect", "SystemEvents", NULL,
};

/* The backend's snapshot (api/docker/snapshot.go), its recreate
 * (api/docker/container.go) and websocket attach/exec
 * (api/http/handler/websocket/), and what the UI sends through its Docker
 * proxy for a standalone host (app/react/docker/.../queries). */
static const char *const portainer_allow[] = {
	PRESET_NEGOTIATION, "SystemInfo", "SystemVersion", "SystemEvents", "PluginList",
	"ContainerList", "ContainerInspect", "ContainerCreate", "ContainerStart",
	"ContainerStop", "ContainerRestart", "ContainerKill", "ContainerPause",
	"ContainerUnpause", "ContainerRename", "ContainerUpdate", "ContainerDelete",
	"ContainerLogs", "ContainerStats", "ContainerTop", "ContainerResize",
	"ContainerAttach", "ContainerExec", "ExecStart", "ExecResize", "ImageCommit",
	"ImageList", "ImageInspect", "ImageHistory", "ImageCreate", "ImagePush",
	"ImageTag", "ImageDelete", "ImageGetAll", "ImageLoad", "ImageBuild",
	"NetworkList", "NetworkInspect", "NetworkCreate", "NetworkDelete",
	"NetworkConnect", "NetworkDisconnect",
	"VolumeList", "VolumeInspect", "VolumeCreate", "VolumeDelete", NULL,
};

/* pkg/container/client.go: list, inspect, image inspect, pull, stop by
 * kill, remove, create, network disconnect/connect, start, rename, image
 * remove. No ping: docker/docker's client FromEnv, without negotiation. */
static const char *const watchtower_allow[] = {
	"ContainerList", "ContainerInspect", "ImageInspect", "ImageCreate",
	"ContainerKill", "ContainerDelete", "ContainerCreate", "NetworkDisconnect",
	"NetworkConnect", "ContainerStart", "ContainerRename", "ImageDelete", NULL,
};

/* dockerode, no version prefix: listContainers, getContainer().inspect()
 * and .stats({stream: false}). */
static const char *const homepage_allow[] = {
	"ContainerList", "ContainerInspect", "ContainerStats", NULL,
};

/* internal/docker/client.go: Ping (negotiating), Info, ServerVersion
 * (runtime detection), ContainerList, ContainerInspect, ContainerLogs,
 * ContainerStats (stream), Events. */
static const char *const dozzle_allow[] = {
	PRESET_NEGOTIATION, "SystemInfo", "SystemVersion",
	"ContainerList", "ContainerInspect", "ContainerLogs", "ContainerStats",
	"SystemEvents", NULL,
};

/* cgroup-name (container_runtime.go): GET /containers/{id}/json,
 * unversioned; the go.d docker collector (collect.go): Info, ImageList,
 * ContainerList, through the negotiating Go SDK. */
static const char *const netdata_allow[] = {
	PRESET_NEGOTIATION, "SystemInfo", "ImageList", "ContainerList",
	"ContainerInspect", NULL,
};

/* helpers/docker/official_docker_client.go, the calls executors/docker
 * makes: images (inspect, pull and import, load, tag), the job and
 * service containers (create, attach, start, wait, logs, exec, stop,
 * remove), per-job networks and cache volumes. */
static const char *const ci_runner_allow[] = {
	PRESET_NEGOTIATION, "SystemVersion", "SystemInfo",
	"ImageInspect", "ImageCreate", "ImageLoad", "ImageTag",
	"ContainerCreate", "ContainerStart", "ContainerStop", "ContainerInspect",
	"ContainerAttach", "ContainerDelete", "ContainerWait", "ContainerLogs",
	"ContainerExec", "ExecStart",
	"NetworkCreate", "NetworkDelete", "NetworkDisconnect", "NetworkList", "NetworkInspect",
	"VolumeCreate", "VolumeDelete", "VolumeInspect", NULL,
};

/* axios, unversioned: GET /containers/json?all=true (the host check),
 * GET /containers/{id}/json (the docker monitor). */
static const char *const uptime_kuma_allow[] = {
	"ContainerList", "ContainerInspect", NULL,
};

/* dockerode: listContainers, getContainer().inspect() on events,
 * getImage().inspect(), getEvents. */
static const char *const wud_allow[] = {
	"ContainerList", "ContainerInspect", "ImageInspect", "SystemEvents", NULL,
};

/* pkg/docker/client.go: ServerVersion at connection (negotiating);
 * internal/provider/docker/container.go: ContainerList, ImageInspect. */
static const char *const diun_allow[] = {
	PRESET_NEGOTIATION, "SystemVersion", "ContainerList", "ImageInspect", NULL,
};

/* docker-entrypoint, curl, unversioned: the unhealthy containers, then a
 * restart of each. */
static const char *const autoheal_allow[] = {
	"ContainerList", "ContainerRestart", NULL,
};

const struct preset presets[] = {
	{ "ping", "health checks that only ask whether the daemon answers",
	  "the Engine API reference: GET and HEAD /_ping, GET /version", ping_allow },
	{ "traefik", "Traefik's Docker provider (not Swarm mode)",
	  "traefik/traefik v3.7.9-28-gfd5a576df2: pkg/provider/docker/pdocker.go, shared.go, "
	  "config.go; github.com/moby/moby/client v0.4.0 client/ping.go", traefik_allow },
	{ "portainer", "Portainer CE managing a standalone Docker host",
	  "portainer/portainer 2.23.0-5-gcc7516743: api/docker/snapshot.go, container.go, "
	  "api/http/handler/websocket/, app/react/docker/**/queries", portainer_allow },
	{ "watchtower", "Watchtower updating containers (no lifecycle hooks)",
	  "containrrr/watchtower v1.7.1-18-gca0e86e: pkg/container/client.go", watchtower_allow },
	{ "homepage", "Homepage's Docker status and stats (not Swarm mode)",
	  "gethomepage/homepage v1.12.3-43-gb2a52ff2a: src/pages/api/docker/status and stats, "
	  "src/utils/config/service-helpers.js", homepage_allow },
	{ "dozzle", "Dozzle's log viewer (no actions, no shell)",
	  "amir20/dozzle v10.7.3-5-gca4cab8c: internal/docker/client.go", dozzle_allow },
	{ "netdata", "Netdata's container names (cgroup-name) and go.d docker collector",
	  "netdata/netdata v2.11.0-90-g04b1cf5427: src/collectors/cgroups.plugin/cgroup-name/"
	  "container_runtime.go, src/go/plugin/go.d/collector/docker/collect.go", netdata_allow },
	{ "ci-runner", "GitLab Runner's docker executor",
	  "gitlabhq/gitlab-runner (GitHub mirror of gitlab-org/gitlab-runner) d79f3e7b8 "
	  "(VERSION 19.4.0): helpers/docker/official_docker_client.go, executors/docker/",
	  ci_runner_allow },
	{ "uptime-kuma", "Uptime Kuma's Docker container monitor",
	  "louislam/uptime-kuma 2.5.3-2-g6398a9581: server/docker.js, server/model/monitor.js",
	  uptime_kuma_allow },
	{ "wud", "What's up Docker's Docker watcher (no docker trigger)",
	  "getwud/wud 8.3.1 (f249e06d): app/watchers/providers/docker/Docker.ts", wud_allow },
	{ "diun", "Diun's Docker provider (not the Swarm provider)",
	  "crazy-max/diun v4.33.0-14-g9050b6a2: pkg/docker/client.go, image.go, "
	  "internal/provider/docker/container.go", diun_allow },
	{ "autoheal", "docker-autoheal restarting unhealthy containers",
	  "willfarrell/docker-autoheal 1.2.0-40-gafb2c8b: docker-entrypoint", autoheal_allow },
};
const size_t n_presets = sizeof presets / sizeof presets[0];

const struct preset *preset_find(const char *name)
{
	for (size_t i = 0; i < n_presets; i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

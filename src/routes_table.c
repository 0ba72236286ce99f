/* routes_table.c - every route of the Docker daemon's router from API
 * 1.24 (Docker 1.12) to API 1.55 (docker-v29.7.2), in registration order.
 *
 * Read from github.com/moby/moby, one release per API version (the last
 * patch release of each minor release; docs/routes.md lists them): the
 * router list in cmd/dockerd/daemon.go (initRouter, later
 * routerOptions.Build) or daemon/command/daemon.go (buildRouters), and
 * each router's initRoutes in api/server/router/<name>/<name>.go, later
 * daemon/server/router/<name>/<name>.go; the debug routes before API 1.48
 * from api/server/profiler.go and api/server/server.go (createMux).
 * Operation names are api/swagger.yaml's operationId at docker-v29.7.2.
 * scripts/moby-routes.py checks this file against a moby clone:
 *     scripts/moby-routes.py --moby MOBY.git check TAG...
 *
 * Columns: method, template as registered, operation, section, flags,
 * API version of the first and of the last release registering it (0:
 * the newest still does), version below which the route answers 400. */
#include "route.h"

#define API(major, minor) ROUTE_API(major, minor)

const struct route route_table[] = {
	/* checkpoint: router/checkpoint/checkpoint.go. Registered before the
	 * container router "or the DELETE gets masked" (daemon.go). */
	{ ROUTE_GET, "/containers/{name:.*}/checkpoints", "CheckpointList", "containers",
	  ROUTE_F_NAMED_HERE | ROUTE_F_EXPERIMENTAL, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/checkpoints", "CheckpointCreate", "containers",
	  ROUTE_F_NAMED_HERE | ROUTE_F_EXPERIMENTAL, API(1, 25), 0, 0 },
	{ ROUTE_DELETE, "/containers/{name}/checkpoints/{checkpoint}", "CheckpointDelete", "containers",
	  ROUTE_F_NAMED_HERE | ROUTE_F_EXPERIMENTAL, API(1, 25), 0, 0 },

	/* container: router/container/container.go. POST /commit was the
	 * image router's until API 1.36; a literal no other POST matches. */
	{ ROUTE_HEAD, "/containers/{name:.*}/archive", "ContainerArchiveInfo", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/containers/json", "ContainerList", "containers", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/containers/{name:.*}/export", "ContainerExport", "containers",
	  ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/containers/{name:.*}/changes", "ContainerChanges", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/containers/{name:.*}/json", "ContainerInspect", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/containers/{name:.*}/top", "ContainerTop", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/containers/{name:.*}/logs", "ContainerLogs", "containers",
	  ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/containers/{name:.*}/stats", "ContainerStats", "containers",
	  ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/containers/{name:.*}/attach/ws", "ContainerAttachWebsocket", "containers",
	  ROUTE_F_HIJACK | ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/exec/{id:.*}/json", "ExecInspect", "exec", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/containers/{name:.*}/archive", "ContainerArchive", "containers",
	  ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/create", "ContainerCreate", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/kill", "ContainerKill", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/pause", "ContainerPause", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/unpause", "ContainerUnpause", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/restart", "ContainerRestart", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/start", "ContainerStart", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/stop", "ContainerStop", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/wait", "ContainerWait", "containers",
	  ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/resize", "ContainerResize", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/attach", "ContainerAttach", "containers",
	  ROUTE_F_HIJACK | ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/copy", "ContainerCopy", "containers",
	  ROUTE_F_NAMED_HERE, API(1, 24), API(1, 44), 0 },
	{ ROUTE_POST, "/containers/{name:.*}/exec", "ContainerExec", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/exec/{name:.*}/start", "ExecStart", "exec",
	  ROUTE_F_HIJACK | ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/exec/{name:.*}/resize", "ExecResize", "exec", 0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/rename", "ContainerRename", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/{name:.*}/update", "ContainerUpdate", "containers",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/containers/prune", "ContainerPrune", "containers",
	  0, API(1, 25), 0, API(1, 25) },
	{ ROUTE_POST, "/commit", "ImageCommit", "commit", 0, API(1, 24), 0, 0 },
	{ ROUTE_PUT, "/containers/{name:.*}/archive", "PutContainerArchive", "containers",
	  ROUTE_F_UPLOAD, API(1, 24), 0, 0 },
	{ ROUTE_DELETE, "/containers/{name:.*}", "ContainerDelete", "containers",
	  0, API(1, 24), 0, 0 },

	/* image: router/image/image.go */
	{ ROUTE_GET, "/images/json", "ImageList", "images", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/images/search", "ImageSearch", "images", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/images/get", "ImageGetAll", "images", ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/images/{name:.*}/get", "ImageGet", "images",
	  ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/images/{name:.*}/history", "ImageHistory", "images",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/images/{name:.*}/json", "ImageInspect", "images", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/images/{name:.*}/attestations", "ImageAttestations", "images",
	  0, API(1, 55), 0, API(1, 55) },
	{ ROUTE_POST, "/images/load", "ImageLoad", "images",
	  ROUTE_F_STREAM | ROUTE_F_UPLOAD, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/images/create", "ImageCreate", "images",
	  ROUTE_F_STREAM | ROUTE_F_UPLOAD, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/images/{name:.*}/push", "ImagePush", "images",
	  ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/images/{name:.*}/tag", "ImageTag", "images", 0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/images/prune", "ImagePrune", "images", 0, API(1, 25), 0, API(1, 25) },
	{ ROUTE_DELETE, "/images/{name:.*}", "ImageDelete", "images", 0, API(1, 24), 0, 0 },

	/* system: router/system/system.go */
	{ ROUTE_OPTIONS, "/{anyroute:.*}", "Options", "",
	  ROUTE_F_NAMED_HERE, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/_ping", "SystemPing", "_ping", 0, API(1, 24), 0, 0 },
	{ ROUTE_HEAD, "/_ping", "SystemPingHead", "_ping", 0, API(1, 40), 0, 0 },
	{ ROUTE_GET, "/events", "SystemEvents", "events", ROUTE_F_STREAM, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/info", "SystemInfo", "info", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/version", "SystemVersion", "version", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/system/df", "SystemDataUsage", "system", 0, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/auth", "SystemAuth", "auth", 0, API(1, 24), 0, 0 },

	/* volume: router/volume/volume.go */
	{ ROUTE_GET, "/volumes", "VolumeList", "volumes", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/volumes/{name:.*}", "VolumeInspect", "volumes", 0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/volumes/create", "VolumeCreate", "volumes", 0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/volumes/prune", "VolumePrune", "volumes",
	  0, API(1, 25), 0, API(1, 25) },
	{ ROUTE_PUT, "/volumes/{name:.*}", "VolumeUpdate", "volumes",
	  0, API(1, 42), 0, API(1, 42) },
	{ ROUTE_DELETE, "/volumes/{name:.*}", "VolumeDelete", "volumes", 0, API(1, 24), 0, 0 },

	/* build: router/build/build.go */
	{ ROUTE_POST, "/build", "ImageBuild", "build",
	  ROUTE_F_STREAM | ROUTE_F_UPLOAD, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/build/prune", "BuildPrune", "build", 0, API(1, 31), 0, API(1, 31) },
	{ ROUTE_POST, "/build/cancel", "BuildCancel", "build",
	  ROUTE_F_NAMED_HERE, API(1, 38), 0, 0 },

	/* session: router/session/session.go (deprecated at 29.x) */
	{ ROUTE_POST, "/session", "Session", "session",
	  ROUTE_F_HIJACK | ROUTE_F_STREAM, API(1, 31), 0, 0 },

	/* swarm: router/swarm/cluster.go. At API 1.24 the ids were {id:.*}. */
	{ ROUTE_POST, "/swarm/init", "SwarmInit", "swarm", 0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/swarm/join", "SwarmJoin", "swarm", 0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/swarm/leave", "SwarmLeave", "swarm", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/swarm", "SwarmInspect", "swarm", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/swarm/unlockkey", "SwarmUnlockkey", "swarm", 0, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/swarm/update", "SwarmUpdate", "swarm", 0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/swarm/unlock", "SwarmUnlock", "swarm", 0, API(1, 25), 0, 0 },
	{ ROUTE_GET, "/services", "ServiceList", "services", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/services/{id:.*}", "ServiceInspect", "services",
	  0, API(1, 24), API(1, 24), 0 },
	{ ROUTE_GET, "/services/{id}", "ServiceInspect", "services", 0, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/services/create", "ServiceCreate", "services", 0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/services/{id:.*}/update", "ServiceUpdate", "services",
	  0, API(1, 24), API(1, 24), 0 },
	{ ROUTE_DELETE, "/services/{id:.*}", "ServiceDelete", "services",
	  0, API(1, 24), API(1, 24), 0 },
	{ ROUTE_POST, "/services/{id}/update", "ServiceUpdate", "services",
	  0, API(1, 25), 0, 0 },
	{ ROUTE_DELETE, "/services/{id}", "ServiceDelete", "services", 0, API(1, 25), 0, 0 },
	{ ROUTE_GET, "/services/{id}/logs", "ServiceLogs", "services",
	  ROUTE_F_STREAM, API(1, 25), 0, 0 },
	{ ROUTE_GET, "/nodes", "NodeList", "nodes", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/nodes/{id:.*}", "NodeInspect", "nodes", 0, API(1, 24), API(1, 24), 0 },
	{ ROUTE_DELETE, "/nodes/{id:.*}", "NodeDelete", "nodes", 0, API(1, 24), API(1, 24), 0 },
	{ ROUTE_POST, "/nodes/{id:.*}/update", "NodeUpdate", "nodes",
	  0, API(1, 24), API(1, 24), 0 },
	{ ROUTE_GET, "/nodes/{id}", "NodeInspect", "nodes", 0, API(1, 25), 0, 0 },
	{ ROUTE_DELETE, "/nodes/{id}", "NodeDelete", "nodes", 0, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/nodes/{id}/update", "NodeUpdate", "nodes", 0, API(1, 25), 0, 0 },
	{ ROUTE_GET, "/tasks", "TaskList", "tasks", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/tasks/{id:.*}", "TaskInspect", "tasks", 0, API(1, 24), API(1, 24), 0 },
	{ ROUTE_GET, "/tasks/{id}", "TaskInspect", "tasks", 0, API(1, 25), 0, 0 },
	{ ROUTE_GET, "/tasks/{id}/logs", "TaskLogs", "tasks",
	  ROUTE_F_STREAM, API(1, 29), 0, 0 },
	{ ROUTE_GET, "/secrets", "SecretList", "secrets", 0, API(1, 25), 0, API(1, 25) },
	{ ROUTE_POST, "/secrets/create", "SecretCreate", "secrets",
	  0, API(1, 25), 0, API(1, 25) },
	{ ROUTE_DELETE, "/secrets/{id}", "SecretDelete", "secrets",
	  0, API(1, 25), 0, API(1, 25) },
	{ ROUTE_GET, "/secrets/{id}", "SecretInspect", "secrets",
	  0, API(1, 25), 0, API(1, 25) },
	{ ROUTE_POST, "/secrets/{id}/update", "SecretUpdate", "secrets",
	  0, API(1, 25), 0, API(1, 25) },
	{ ROUTE_GET, "/configs", "ConfigList", "configs", 0, API(1, 30), 0, API(1, 30) },
	{ ROUTE_POST, "/configs/create", "ConfigCreate", "configs",
	  0, API(1, 30), 0, API(1, 30) },
	{ ROUTE_DELETE, "/configs/{id}", "ConfigDelete", "configs",
	  0, API(1, 30), 0, API(1, 30) },
	{ ROUTE_GET, "/configs/{id}", "ConfigInspect", "configs",
	  0, API(1, 30), 0, API(1, 30) },
	{ ROUTE_POST, "/configs/{id}/update", "ConfigUpdate", "configs",
	  0, API(1, 30), 0, API(1, 30) },

	/* plugin: router/plugin/plugin.go (at API 1.24 in experimental
	 * builds only, not listed) */
	{ ROUTE_GET, "/plugins", "PluginList", "plugins", 0, API(1, 25), 0, 0 },
	{ ROUTE_GET, "/plugins/{name:.*}/json", "PluginInspect", "plugins",
	  0, API(1, 25), 0, 0 },
	{ ROUTE_GET, "/plugins/privileges", "GetPluginPrivileges", "plugins",
	  0, API(1, 25), 0, 0 },
	{ ROUTE_DELETE, "/plugins/{name:.*}", "PluginDelete", "plugins", 0, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/plugins/{name:.*}/enable", "PluginEnable", "plugins",
	  0, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/plugins/{name:.*}/disable", "PluginDisable", "plugins",
	  0, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/plugins/pull", "PluginPull", "plugins",
	  ROUTE_F_STREAM, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/plugins/{name:.*}/push", "PluginPush", "plugins",
	  ROUTE_F_STREAM, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/plugins/{name:.*}/upgrade", "PluginUpgrade", "plugins",
	  ROUTE_F_STREAM, API(1, 26), 0, API(1, 26) },
	{ ROUTE_POST, "/plugins/{name:.*}/set", "PluginSet", "plugins", 0, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/plugins/create", "PluginCreate", "plugins",
	  ROUTE_F_UPLOAD, API(1, 25), 0, 0 },

	/* distribution: router/distribution/distribution.go */
	{ ROUTE_GET, "/distribution/{name:.*}/json", "DistributionInspect", "distribution",
	  0, API(1, 30), 0, API(1, 30) },

	/* network: router/network/network.go. From API 1.40 to 1.47
	 * registered after grpc; the two share no path. */
	{ ROUTE_GET, "/networks", "NetworkList", "networks", 0, API(1, 24), 0, 0 },
	{ ROUTE_GET, "/networks/{id:.*}", "NetworkInspect", "networks",
	  0, API(1, 24), API(1, 24), 0 },
	{ ROUTE_GET, "/networks/", "NetworkList", "networks",
	  ROUTE_F_NAMED_HERE, API(1, 25), 0, 0 },
	{ ROUTE_GET, "/networks/{id:.+}", "NetworkInspect", "networks", 0, API(1, 25), 0, 0 },
	{ ROUTE_POST, "/networks/create", "NetworkCreate", "networks", 0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/networks/{id:.*}/connect", "NetworkConnect", "networks",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/networks/{id:.*}/disconnect", "NetworkDisconnect", "networks",
	  0, API(1, 24), 0, 0 },
	{ ROUTE_POST, "/networks/prune", "NetworkPrune", "networks",
	  0, API(1, 25), 0, API(1, 25) },
	{ ROUTE_DELETE, "/networks/{id:.*}", "NetworkDelete", "networks", 0, API(1, 24), 0, 0 },

	/* debug before API 1.48, registered by createMux itself for every
	 * method and only without the version prefix: api/server/profiler.go
	 * (API 1.24 to 1.30, only when debug is enabled), then
	 * router/debug/debug.go under "/debug" (api/server/server.go). */
	{ ROUTE_ANY, "/debug/vars", "DebugVars", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_UNVERSIONED, API(1, 24), API(1, 47), 0 },
	{ ROUTE_ANY, "/debug/pprof/", "DebugPprofIndex", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_UNVERSIONED, API(1, 24), API(1, 47), 0 },
	{ ROUTE_ANY, "/debug/pprof/cmdline", "DebugPprofCmdline", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_UNVERSIONED, API(1, 24), API(1, 47), 0 },
	{ ROUTE_ANY, "/debug/pprof/profile", "DebugPprofProfile", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_STREAM | ROUTE_F_UNVERSIONED, API(1, 24), API(1, 47), 0 },
	{ ROUTE_ANY, "/debug/pprof/symbol", "DebugPprofSymbol", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_UNVERSIONED, API(1, 24), API(1, 47), 0 },
	{ ROUTE_ANY, "/debug/pprof/trace", "DebugPprofTrace", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_STREAM | ROUTE_F_UNVERSIONED, API(1, 24), API(1, 47), 0 },
	{ ROUTE_ANY, "/debug/pprof/block", "DebugPprofBlock", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_UNVERSIONED, API(1, 24), API(1, 28), 0 },
	{ ROUTE_ANY, "/debug/pprof/heap", "DebugPprofHeap", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_UNVERSIONED, API(1, 24), API(1, 28), 0 },
	{ ROUTE_ANY, "/debug/pprof/goroutine", "DebugPprofGoroutine", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_UNVERSIONED, API(1, 24), API(1, 28), 0 },
	{ ROUTE_ANY, "/debug/pprof/threadcreate", "DebugPprofThreadcreate", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_UNVERSIONED, API(1, 24), API(1, 28), 0 },
	{ ROUTE_ANY, "/debug/pprof/{name}", "DebugPprofName", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_UNVERSIONED, API(1, 29), API(1, 47), 0 },

	/* debug: router/debug/debug.go, an ordinary GET router since API 1.48 */
	{ ROUTE_GET, "/debug/vars", "DebugVars", "debug",
	  ROUTE_F_NAMED_HERE, API(1, 48), 0, 0 },
	{ ROUTE_GET, "/debug/pprof/", "DebugPprofIndex", "debug",
	  ROUTE_F_NAMED_HERE, API(1, 48), 0, 0 },
	{ ROUTE_GET, "/debug/pprof/cmdline", "DebugPprofCmdline", "debug",
	  ROUTE_F_NAMED_HERE, API(1, 48), 0, 0 },
	{ ROUTE_GET, "/debug/pprof/profile", "DebugPprofProfile", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_STREAM, API(1, 48), 0, 0 },
	{ ROUTE_GET, "/debug/pprof/symbol", "DebugPprofSymbol", "debug",
	  ROUTE_F_NAMED_HERE, API(1, 48), 0, 0 },
	{ ROUTE_GET, "/debug/pprof/trace", "DebugPprofTrace", "debug",
	  ROUTE_F_NAMED_HERE | ROUTE_F_STREAM, API(1, 48), 0, 0 },
	{ ROUTE_GET, "/debug/pprof/{name}", "DebugPprofName", "debug",
	  ROUTE_F_NAMED_HERE, API(1, 48), 0, 0 },

	/* grpc: router/grpc/grpc.go (deprecated at 29.x) */
	{ ROUTE_POST, "/grpc", "Grpc", "grpc",
	  ROUTE_F_NAMED_HERE | ROUTE_F_HIJACK | ROUTE_F_STREAM, API(1, 40), 0, 0 },
};

const size_t route_table_len = sizeof(route_table) / sizeof(route_table[0]);

/* test_policy.c - the compiled rule list and policy_judge(): which
 * settings allow which method on which path, and what a denied client is
 * told. Each row is one cmocka test and reads
 *   settings (as the environment would say them), method, target
 *   -> allowed or denied, the deciding setting, words of the message.
 * Settings start from the defaults (EVENTS=1 PING=1 VERSION=1, the rest 0)
 * exactly as with an empty environment. The target goes through
 * path_check() first, as in the daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rows.h"
#include "policy_rows.h"

#include "path.h"
#include "policy.h"

/* The sections of docker-socket-proxy as its README lists them, with the
 * first path segment each one opens. Kept here, independent of
 * policy_sections, so that a missing or misspelt section fails a test. */
static const struct {
	const char *setting, *segment;
	bool default_on;
} sections[] = {
	{ "EVENTS", "events", true },
	{ "PING", "_ping", true },
	{ "VERSION", "version", true },
	{ "AUTH", "auth", false },
	{ "BUILD", "build", false },
	{ "COMMIT", "commit", false },
	{ "CONFIGS", "configs", false },
	{ "CONTAINERS", "containers", false },
	{ "DISTRIBUTION", "distribution", false },
	{ "EXEC", "exec", false },
	{ "GRPC", "grpc", false },
	{ "IMAGES", "images", false },
	{ "INFO", "info", false },
	{ "NETWORKS", "networks", false },
	{ "NODES", "nodes", false },
	{ "PLUGINS", "plugins", false },
	{ "SECRETS", "secrets", false },
	{ "SERVICES", "services", false },
	{ "SESSION", "session", false },
	{ "SWARM", "swarm", false },
	{ "SYSTEM", "system", false },
	{ "TASKS", "tasks", false },
	{ "VOLUMES", "volumes", false },
};

static size_t section_index(const char *setting)
{
	for (size_t i = 0; i < policy_n_sections; i++)
		if (strcmp(policy_sections[i].setting, setting) == 0)
			return i;
	fail_msg("no section %s in policy_sections", setting);
	return 0;
}

/* ==== policy_judge ==== */

#define ALLOW true
#define DENY false

static struct policy_row judge_rows[] = {
	/* The defaults: only EVENTS, PING and VERSION, with GET and HEAD. */
	{ "defaults: GET /_ping", "", "GET", "/_ping", ALLOW, "PING", { NULL }, NULL },
	{ "defaults: HEAD /_ping (the Go client's negotiation)", "", "HEAD", "/_ping", ALLOW, "PING",
	  { NULL }, NULL },
	{ "defaults: GET /v1.41/_ping", "", "GET", "/v1.41/_ping", ALLOW, "PING", { NULL }, NULL },
	{ "defaults: GET /version", "", "GET", "/version", ALLOW, "VERSION", { NULL }, NULL },
	{ "defaults: GET /v1.41/version", "", "GET", "/v1.41/version", ALLOW, "VERSION", { NULL }, NULL },
	{ "defaults: GET /events with filters", "", "GET", "/v1.41/events?since=0&filters=%7B%7D",
	  ALLOW, "EVENTS", { NULL }, NULL },
	{ "defaults: POST /_ping needs POST=1", "", "POST", "/_ping", DENY, NULL,
	  { "POST /_ping", "POST=1" }, "PING=1" },
	{ "defaults: OPTIONS /_ping needs POST=1", "", "OPTIONS", "/_ping", DENY, NULL,
	  { "OPTIONS /_ping", "POST=1" }, NULL },
	{ "defaults: DELETE /events needs POST=1", "", "DELETE", "/events", DENY, NULL,
	  { "POST=1" }, NULL },
	{ "defaults: GET /containers/json names CONTAINERS=1", "", "GET", "/v1.41/containers/json",
	  DENY, NULL, { "dockgate: GET /v1.41/containers/json is denied", "set CONTAINERS=1" }, "POST" },
	{ "defaults: POST /containers/create names CONTAINERS=1 and POST=1", "", "POST",
	  "/v1.41/containers/create", DENY, NULL,
	  { "POST /v1.41/containers/create", "set CONTAINERS=1 and POST=1" }, NULL },
	{ "defaults: GET /info names INFO=1", "", "GET", "/info", DENY, NULL, { "INFO=1" }, NULL },
	{ "defaults: the message shows the decoded path", "", "GET", "/v%31.41/containers/json",
	  DENY, NULL, { "GET /v1.41/containers/json is denied" }, "%31" },
	{ "defaults: GET / is in no section", "", "GET", "/", DENY, NULL, { "no API section" }, NULL },
	{ "defaults: GET /v1.41 is in no section", "", "GET", "/v1.41", DENY, NULL,
	  { "no API section" }, NULL },
	{ "defaults off: EVENTS=0 denies GET /events", "EVENTS=0", "GET", "/events", DENY, NULL,
	  { "EVENTS=1" }, NULL },
	{ "defaults off: PING=0 denies HEAD /_ping", "PING=0", "HEAD", "/_ping", DENY, NULL,
	  { "PING=1" }, NULL },
	{ "defaults off: VERSION=0 denies GET /version", "VERSION=0", "GET", "/v1.41/version", DENY,
	  NULL, { "VERSION=1" }, NULL },

	/* POST=1 alone opens no section. */
	{ "POST=1 alone: POST /containers/create", "POST=1", "POST", "/v1.41/containers/create", DENY,
	  NULL, { "set CONTAINERS=1" }, "POST=1" },
	{ "POST=1 alone: GET /containers/json", "POST=1", "GET", "/containers/json", DENY, NULL,
	  { "CONTAINERS=1" }, NULL },
	{ "POST=1 alone: POST /images/create (docker pull)", "POST=1", "POST",
	  "/v1.41/images/create?fromImage=busybox&tag=latest", DENY, NULL, { "IMAGES=1" }, NULL },
	{ "POST=1 alone: POST /build", "POST=1", "POST", "/v1.41/build", DENY, NULL, { "BUILD=1" }, NULL },
	{ "POST=1 alone: POST /exec/id/start", "POST=1", "POST", "/v1.41/exec/abc/start", DENY, NULL,
	  { "EXEC=1" }, NULL },
	{ "POST=1 alone: POST /containers/id/start", "POST=1", "POST", "/containers/abc/start", DENY,
	  NULL, { "CONTAINERS=1" }, NULL },
	{ "POST=1 alone with every section off: POST /_ping", "POST=1 EVENTS=0 PING=0 VERSION=0",
	  "POST", "/_ping", DENY, NULL, { "PING=1" }, NULL },

	/* A section with POST=0 is read-only; with POST=1 every method. */
	{ "CONTAINERS=1: GET /containers/json (docker ps)", "CONTAINERS=1", "GET",
	  "/v1.41/containers/json?all=1", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "CONTAINERS=1: GET /containers/id/logs?follow=1", "CONTAINERS=1", "GET",
	  "/v1.41/containers/abc/logs?follow=1&stdout=1", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "CONTAINERS=1: HEAD /containers/id/archive", "CONTAINERS=1", "HEAD",
	  "/containers/abc/archive?path=/etc", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "CONTAINERS=1: POST /containers/create needs POST=1", "CONTAINERS=1", "POST",
	  "/v1.41/containers/create", DENY, NULL, { "(set POST=1)" }, "CONTAINERS=1" },
	{ "CONTAINERS=1: POST /containers/id/restart needs POST=1", "CONTAINERS=1", "POST",
	  "/containers/abc/restart", DENY, NULL, { "POST=1" }, NULL },
	{ "CONTAINERS=1: POST /containers/id/wait needs POST=1", "CONTAINERS=1", "POST",
	  "/containers/abc/wait", DENY, NULL, { "POST=1" }, NULL },
	{ "CONTAINERS=1: DELETE /containers/id needs POST=1", "CONTAINERS=1", "DELETE",
	  "/containers/abc?force=1", DENY, NULL, { "DELETE /containers/abc", "POST=1" }, NULL },
	{ "CONTAINERS=1: PUT /containers/id/archive needs POST=1", "CONTAINERS=1", "PUT",
	  "/containers/abc/archive?path=/", DENY, NULL, { "POST=1" }, NULL },
	{ "CONTAINERS=1: a lower-case get is not GET", "CONTAINERS=1", "get", "/containers/json", DENY,
	  NULL, { "POST=1" }, NULL },
	{ "CONTAINERS=1 POST=1: POST /containers/create", "CONTAINERS=1 POST=1", "POST",
	  "/v1.41/containers/create?name=x", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "CONTAINERS=1 POST=1: DELETE /containers/id", "CONTAINERS=1 POST=1", "DELETE",
	  "/containers/abc", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "CONTAINERS=1 POST=1: POST /exec/id/start still needs EXEC", "CONTAINERS=1 POST=1", "POST",
	  "/v1.41/exec/abc/start", DENY, NULL, { "set EXEC=1)" }, "POST=1" },
	{ "CONTAINERS=1 EXEC=1 POST=1: POST /exec/id/start", "CONTAINERS=1 EXEC=1 POST=1", "POST",
	  "/v1.41/exec/abc/start", ALLOW, "EXEC", { NULL }, NULL },
	/* docker exec: create under /containers, start under /exec. The
	 * start is a hijack, whose 403 the CLI does not print: the first
	 * denial names every setting the whole operation needs, and with
	 * EXEC=0 the create itself is denied, so the CLI prints why. */
	{ "CONTAINERS=1: exec create names POST and EXEC", "CONTAINERS=1", "POST",
	  "/v1.41/containers/abc/exec", DENY, NULL,
	  { "(set POST=1; starting it also needs EXEC=1)" }, NULL },
	{ "POST=1: exec create names CONTAINERS and EXEC", "POST=1", "POST",
	  "/v1.41/containers/abc/exec", DENY, NULL,
	  { "(set CONTAINERS=1; starting it also needs EXEC=1)" }, NULL },
	{ "CONTAINERS=1 POST=1: exec create is denied while EXEC=0", "CONTAINERS=1 POST=1", "POST",
	  "/v1.41/containers/abc/exec", DENY, "EXEC",
	  { "POST /v1.41/containers/abc/exec is denied", "starting it needs EXEC=1 (set EXEC=1)" },
	  "POST=1" },
	{ "CONTAINERS=1 POST=1: exec create on a name that spans segments", "CONTAINERS=1 POST=1",
	  "POST", "/containers/web/db/exec", DENY, "EXEC", { "set EXEC=1" }, NULL },
	{ "CONTAINERS=1 EXEC=1 POST=1: exec create", "CONTAINERS=1 EXEC=1 POST=1", "POST",
	  "/v1.41/containers/abc/exec", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "CONTAINERS=1 EXEC=1: exec create names only POST", "CONTAINERS=1 EXEC=1", "POST",
	  "/v1.41/containers/abc/exec", DENY, NULL, { "(set POST=1)" }, "EXEC=1" },
	{ "CONTAINERS=1 POST=1: GET /containers/id/json is not an exec create", "CONTAINERS=1 POST=1",
	  "GET", "/containers/exec/json", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "LIBPOD=1 CONTAINERS=1 POST=1: libpod exec create is denied while EXEC=0",
	  "LIBPOD=1 CONTAINERS=1 POST=1", "POST", "/v4.0.0/libpod/containers/abc/exec", DENY, "EXEC",
	  { "set EXEC=1" }, NULL },
	{ "NETWORKS=1 POST=1: POST /networks/create", "NETWORKS=1 POST=1", "POST",
	  "/v1.41/networks/create", ALLOW, "NETWORKS", { NULL }, NULL },
	{ "IMAGES=1: GET /images/name-with-slashes/json", "IMAGES=1", "GET",
	  "/v1.41/images/ghcr.io/org/app/json", ALLOW, "IMAGES", { NULL }, NULL },

	/* The section is the exact, case-sensitive first segment. */
	{ "CONTAINERS=1: /CONTAINERS/json is not /containers", "CONTAINERS=1", "GET",
	  "/CONTAINERS/json", DENY, NULL, { "no API section" }, NULL },
	{ "CONTAINERS=1: /containersX/json is not /containers", "CONTAINERS=1", "GET",
	  "/containersX/json", DENY, NULL, { "no API section" }, NULL },
	{ "CONTAINERS=1: /containersX alone is not /containers", "CONTAINERS=1", "GET",
	  "/v1.41/containersX", DENY, NULL, { "no API section" }, NULL },
	{ "CONTAINERS=1: /container/json is not /containers", "CONTAINERS=1", "GET",
	  "/container/json", DENY, NULL, { "no API section" }, NULL },
	{ "CONTAINERS=1: /containers alone is the section", "CONTAINERS=1", "GET", "/containers",
	  ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "CONTAINERS=1: /V1.41/containers/json is no version prefix", "CONTAINERS=1", "GET",
	  "/V1.41/containers/json", DENY, NULL, { "no API section" }, NULL },
	{ "CONTAINERS=1: a doubled version prefix is not containers", "CONTAINERS=1", "GET",
	  "/v1.41/v1.41/containers/json", DENY, NULL, { "no API section" }, NULL },

	/* The denial names the lifecycle switch that would allow just this. */
	{ "defaults: POST /containers/id/start names ALLOW_START=1", "", "POST",
	  "/v1.41/containers/abc/start", DENY, NULL,
	  { "CONTAINERS=1 and POST=1", "or only ALLOW_START=1" }, NULL },
	{ "defaults: POST /containers/id/restart names ALLOW_RESTARTS=1", "", "POST",
	  "/containers/abc/restart", DENY, NULL, { "or only ALLOW_RESTARTS=1" }, NULL },
	{ "defaults: POST /containers/id/kill names ALLOW_RESTARTS=1", "", "POST",
	  "/containers/abc/kill", DENY, NULL, { "or only ALLOW_RESTARTS=1" }, NULL },
	{ "CONTAINERS=1: POST /containers/id/start needs POST=1 or ALLOW_START=1", "CONTAINERS=1",
	  "POST", "/containers/abc/start", DENY, NULL, { "(set POST=1, or only ALLOW_START=1)" },
	  "CONTAINERS=1" },
	{ "defaults: POST /containers/a/b/start names no lifecycle switch", "", "POST",
	  "/containers/a/b/start", DENY, NULL, { "CONTAINERS=1 and POST=1" }, "ALLOW_" },
	{ "defaults: POST /containers/id/pause names no lifecycle switch", "", "POST",
	  "/containers/abc/pause", DENY, NULL, { "CONTAINERS=1 and POST=1" }, "ALLOW_" },

	/* The attach WebSocket is a GET that writes to a container's stdin. */
	{ "CONTAINERS=1: GET /containers/id/attach/ws needs POST=1", "CONTAINERS=1", "GET",
	  "/v1.41/containers/abc/attach/ws?stream=1&stdin=1", DENY, "POST", { "POST=1" }, NULL },
	{ "CONTAINERS=1: HEAD /containers/id/attach/ws needs POST=1", "CONTAINERS=1", "HEAD",
	  "/containers/abc/attach/ws", DENY, "POST", { "POST=1" }, NULL },
	{ "CONTAINERS=1 POST=1: GET /containers/id/attach/ws", "CONTAINERS=1 POST=1", "GET",
	  "/containers/abc/attach/ws?stream=1", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "CONTAINERS=1: GET /containers/id/attach (not ws) is a read", "CONTAINERS=1", "GET",
	  "/containers/abc/attach", ALLOW, "CONTAINERS", { NULL }, NULL },
	/* Setting only POST=1 would not allow it: the message must name the
	 * section as well. */
	{ "defaults: GET /containers/id/attach/ws names CONTAINERS=1 and POST=1", "", "GET",
	  "/containers/abc/attach/ws", DENY, "POST", { "CONTAINERS=1", "POST=1" }, NULL },

	/* Unknown sections and the debug router: never. */
	{ "everything on but LIBPOD: GET /libpod/containers/json names LIBPOD=1", "ALL=1 POST=1",
	  "GET", "/v1.41/libpod/containers/json", DENY, NULL, { "(set LIBPOD=1)" }, "CONTAINERS" },
	{ "everything on: GET /swarm-new-endpoint", "ALL=1 POST=1", "GET", "/frobnicate", DENY, NULL,
	  { "no API section" }, NULL },
	{ "everything on: GET /debug/pprof", "ALL=1 POST=1", "GET", "/debug/pprof", DENY, "always",
	  { "GET /debug/pprof is denied", "never allowed" }, NULL },
	{ "everything on: GET /debug/pprof/heap", "ALL=1 POST=1", "GET", "/debug/pprof/heap", DENY,
	  "always", { "never allowed" }, NULL },
	{ "everything on: GET /debug/vars", "ALL=1 POST=1", "GET", "/debug/vars", DENY, "always",
	  { "never allowed" }, NULL },
	{ "everything on: GET /v1.41/debug/vars", "ALL=1 POST=1", "GET", "/v1.41/debug/vars", DENY,
	  "always", { "never allowed" }, NULL },
	{ "everything on: POST /debug/pprof/profile", "ALL=1 POST=1", "POST",
	  "/debug/pprof/profile?seconds=30", DENY, "always", { "never allowed" }, NULL },
	{ "everything on: HEAD /debug", "ALL=1 POST=1", "HEAD", "/debug", DENY, "always",
	  { "never allowed" }, NULL },
	{ "everything on: GET /debugger is just an unknown section", "ALL=1 POST=1", "GET",
	  "/debugger", DENY, NULL, { "no API section" }, NULL },
	{ "everything on: GET / is in no section", "ALL=1 POST=1", "GET", "/", DENY, NULL,
	  { "no API section" }, NULL },

	/* ALLOW_START: only POST /containers/{name}/start. */
	{ "ALLOW_START=1: POST /containers/id/start", "ALLOW_START=1", "POST",
	  "/v1.41/containers/4f1c2a/start", ALLOW, "ALLOW_START", { NULL }, NULL },
	{ "ALLOW_START=1: POST /containers/name/start, unversioned", "ALLOW_START=1", "POST",
	  "/containers/my-app_1.2/start", ALLOW, "ALLOW_START", { NULL }, NULL },
	{ "ALLOW_START=1: POST /containers/id/stop names ALLOW_STOP=1 too", "ALLOW_START=1", "POST",
	  "/containers/abc/stop", DENY, NULL, { "CONTAINERS=1 and POST=1", "ALLOW_STOP=1" }, NULL },
	{ "ALLOW_START=1: POST /containers/id/restart", "ALLOW_START=1", "POST",
	  "/containers/abc/restart", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: POST /containers/id/kill", "ALLOW_START=1", "POST", "/containers/abc/kill",
	  DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: GET /containers/id/start is not POST", "ALLOW_START=1", "GET",
	  "/containers/abc/start", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: PUT /containers/id/start is not POST", "ALLOW_START=1", "PUT",
	  "/containers/abc/start", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: GET /containers/json", "ALLOW_START=1", "GET", "/containers/json", DENY, NULL,
	  { "CONTAINERS=1" }, NULL },
	{ "ALLOW_START=1: POST /containers/create", "ALLOW_START=1", "POST", "/containers/create",
	  DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: POST /containers/start (no name)", "ALLOW_START=1", "POST",
	  "/containers/start", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: POST /containers/a/b/start (two segments)", "ALLOW_START=1", "POST",
	  "/containers/a/b/start", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: POST /containers/id/start/x", "ALLOW_START=1", "POST",
	  "/containers/abc/start/x", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: POST /containers/id/startx", "ALLOW_START=1", "POST",
	  "/containers/abc/startx", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: a name starting with '-' is no name", "ALLOW_START=1", "POST",
	  "/containers/-abc/start", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: a name with an encoded space is no name", "ALLOW_START=1", "POST",
	  "/containers/a%20b/start", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: /CONTAINERS/id/start", "ALLOW_START=1", "POST", "/CONTAINERS/abc/start",
	  DENY, NULL, { NULL }, NULL },
	{ "ALLOW_START=1: POST /exec/id/start", "ALLOW_START=1", "POST", "/exec/abc/start", DENY,
	  NULL, { "EXEC=1" }, NULL },
	{ "ALLOW_START=1 CONTAINERS=1: start allowed, create still needs POST=1",
	  "ALLOW_START=1 CONTAINERS=1", "POST", "/containers/create", DENY, NULL, { "(set POST=1)" },
	  NULL },
	{ "ALLOW_START=1 CONTAINERS=1: start is allowed by ALLOW_START", "ALLOW_START=1 CONTAINERS=1",
	  "POST", "/containers/abc/start", ALLOW, "ALLOW_START", { NULL }, NULL },

	/* ALLOW_STOP: only POST /containers/{name}/stop. */
	{ "ALLOW_STOP=1: POST /containers/id/stop", "ALLOW_STOP=1", "POST",
	  "/v1.41/containers/abc/stop?t=10", ALLOW, "ALLOW_STOP", { NULL }, NULL },
	{ "ALLOW_STOP=1: POST /containers/id/start", "ALLOW_STOP=1", "POST", "/containers/abc/start",
	  DENY, NULL, { NULL }, NULL },
	{ "ALLOW_STOP=1: POST /containers/id/restart", "ALLOW_STOP=1", "POST",
	  "/containers/abc/restart", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_STOP=1: POST /containers/id/kill", "ALLOW_STOP=1", "POST", "/containers/abc/kill",
	  DENY, NULL, { NULL }, NULL },
	{ "ALLOW_STOP=1: POST /containers/a/b/stop", "ALLOW_STOP=1", "POST", "/containers/a/b/stop",
	  DENY, NULL, { NULL }, NULL },
	{ "ALLOW_STOP=1: DELETE /containers/id", "ALLOW_STOP=1", "DELETE", "/containers/abc", DENY,
	  NULL, { NULL }, NULL },

	/* ALLOW_RESTARTS: stop, restart and kill. */
	{ "ALLOW_RESTARTS=1: POST /containers/id/restart", "ALLOW_RESTARTS=1", "POST",
	  "/v1.41/containers/abc/restart", ALLOW, "ALLOW_RESTARTS", { NULL }, NULL },
	{ "ALLOW_RESTARTS=1: POST /containers/id/stop", "ALLOW_RESTARTS=1", "POST",
	  "/containers/abc/stop", ALLOW, "ALLOW_RESTARTS", { NULL }, NULL },
	{ "ALLOW_RESTARTS=1: POST /containers/id/kill", "ALLOW_RESTARTS=1", "POST",
	  "/containers/abc/kill?signal=SIGHUP", ALLOW, "ALLOW_RESTARTS", { NULL }, NULL },
	{ "ALLOW_RESTARTS=1: POST /containers/id/start", "ALLOW_RESTARTS=1", "POST",
	  "/containers/abc/start", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_RESTARTS=1: POST /containers/id/pause", "ALLOW_RESTARTS=1", "POST",
	  "/containers/abc/pause", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_RESTARTS=1: POST /containers/a/b/restart", "ALLOW_RESTARTS=1", "POST",
	  "/containers/a/b/restart", DENY, NULL, { NULL }, NULL },
	{ "ALLOW_RESTARTS=1: GET /containers/id/json", "ALLOW_RESTARTS=1", "GET",
	  "/containers/abc/json", DENY, NULL, { "CONTAINERS=1" }, NULL },
	{ "ALLOW_STOP=1 ALLOW_RESTARTS=1: stop is credited to ALLOW_STOP",
	  "ALLOW_STOP=1 ALLOW_RESTARTS=1", "POST", "/containers/abc/stop", ALLOW, "ALLOW_STOP",
	  { NULL }, NULL },
	{ "ALLOW_START=1 with everything on still denies /debug", "ALL=1 POST=1 ALLOW_START=1",
	  "POST", "/debug/pprof/x/start", DENY, "always", { "never allowed" }, NULL },

	/* LIBPOD=0 (the default): Podman's own API is closed, and the message
	 * names LIBPOD=1 with whatever the Docker path would need. */
	{ "defaults: GET /v4.0.0/libpod/containers/json names LIBPOD=1 and CONTAINERS=1", "",
	  "GET", "/v4.0.0/libpod/containers/json", DENY, NULL,
	  { "GET /v4.0.0/libpod/containers/json is denied", "(set LIBPOD=1 and CONTAINERS=1)" },
	  "POST" },
	{ "CONTAINERS=1: GET /v4.0.0/libpod/containers/json needs LIBPOD=1 only", "CONTAINERS=1",
	  "GET", "/v4.0.0/libpod/containers/json", DENY, NULL, { "(set LIBPOD=1)" }, "CONTAINERS" },
	{ "CONTAINERS=1 POST=1: POST /libpod/containers/create needs LIBPOD=1", "CONTAINERS=1 POST=1",
	  "POST", "/v4.0.0/libpod/containers/create", DENY, NULL, { "(set LIBPOD=1)" }, NULL },
	{ "defaults: POST /libpod/containers/create names all three", "", "POST",
	  "/v4.0.0/libpod/containers/create", DENY, NULL,
	  { "(set LIBPOD=1 and CONTAINERS=1 and POST=1)" }, NULL },
	{ "defaults: GET /v4.0.0/libpod/_ping needs LIBPOD=1 though PING is on", "", "GET",
	  "/v4.0.0/libpod/_ping", DENY, NULL, { "(set LIBPOD=1)" }, "PING" },
	{ "defaults: HEAD /v4.0.0/libpod/version needs LIBPOD=1", "", "HEAD",
	  "/v4.0.0/libpod/version", DENY, NULL, { "(set LIBPOD=1)" }, NULL },
	{ "ALLOW_START=1: POST /libpod/containers/id/start needs LIBPOD=1", "ALLOW_START=1", "POST",
	  "/v4.0.0/libpod/containers/abc/start", DENY, NULL,
	  { "LIBPOD=1 and CONTAINERS=1 and POST=1", "or only LIBPOD=1 and ALLOW_START=1" }, NULL },
	{ "ALLOW_RESTARTS=1: POST /libpod/containers/id/kill needs LIBPOD=1", "ALLOW_RESTARTS=1",
	  "POST", "/v4.0.0/libpod/containers/abc/kill", DENY, NULL,
	  { "or only LIBPOD=1 and ALLOW_RESTARTS=1" }, NULL },
	{ "everything on but LIBPOD: GET /libpod/debug/pprof is no section", "ALL=1 POST=1", "GET",
	  "/libpod/debug/pprof", DENY, NULL, { "no API section" }, "LIBPOD" },
	{ "everything on but LIBPOD: GET /libpod/pods/json names LIBPOD_PODS=1 only", "ALL=1 POST=1",
	  "GET", "/v4.0.0/libpod/pods/json", DENY, NULL, { "(set LIBPOD_PODS=1)" }, "LIBPOD=1" },
	{ "CONTAINERS=1: GET /libpod/containers/id/healthcheck names LIBPOD=1 and POST=1",
	  "CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/abc/healthcheck", DENY, NULL,
	  { "(set LIBPOD=1 and POST=1: it can write to a container)" }, NULL },
	{ "CONTAINERS=1: GET /libpod/containers/id/attach/ws names LIBPOD=1 and POST=1",
	  "CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/abc/attach/ws", DENY, NULL,
	  { "(set LIBPOD=1 and POST=1: it can write to a container)" }, NULL },
	{ "CONTAINERS=1 POST=1: GET /libpod/containers/id/healthcheck names LIBPOD=1 only",
	  "CONTAINERS=1 POST=1", "GET", "/v4.0.0/libpod/containers/abc/healthcheck", DENY, NULL,
	  { "(set LIBPOD=1)" }, "write" },
	{ "CONTAINERS=1: GET /containers/id/healthcheck is no special case in Docker", "CONTAINERS=1",
	  "GET", "/v1.41/containers/abc/healthcheck", ALLOW, "CONTAINERS", { NULL }, NULL },

	/* LIBPOD=1: /libpod/<rest> is judged exactly like /<rest>. */
	{ "LIBPOD=1 CONTAINERS=1: GET /v4.0.0/libpod/containers/json", "LIBPOD=1 CONTAINERS=1",
	  "GET", "/v4.0.0/libpod/containers/json?all=true", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "LIBPOD=1 CONTAINERS=1: GET /v1.41/libpod/containers/json", "LIBPOD=1 CONTAINERS=1",
	  "GET", "/v1.41/libpod/containers/json", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "LIBPOD=1 CONTAINERS=1: GET /libpod/containers/json, unversioned", "LIBPOD=1 CONTAINERS=1",
	  "GET", "/libpod/containers/json", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "LIBPOD=1 CONTAINERS=1: HEAD /libpod/containers/id/json", "LIBPOD=1 CONTAINERS=1", "HEAD",
	  "/v4.0.0/libpod/containers/abc/json", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "LIBPOD=1: GET /libpod/containers/json names CONTAINERS=1 only", "LIBPOD=1", "GET",
	  "/v4.0.0/libpod/containers/json", DENY, NULL, { "(set CONTAINERS=1)" }, "LIBPOD" },
	{ "LIBPOD=1 CONTAINERS=1: POST /libpod/containers/create needs POST=1",
	  "LIBPOD=1 CONTAINERS=1", "POST", "/v4.0.0/libpod/containers/create", DENY, NULL,
	  { "(set POST=1)" }, "LIBPOD" },
	{ "LIBPOD=1 CONTAINERS=1: DELETE /libpod/containers/id needs POST=1", "LIBPOD=1 CONTAINERS=1",
	  "DELETE", "/v4.0.0/libpod/containers/abc?force=true", DENY, NULL, { "(set POST=1)" }, NULL },
	{ "LIBPOD=1 CONTAINERS=1 POST=1: POST /libpod/containers/create",
	  "LIBPOD=1 CONTAINERS=1 POST=1", "POST", "/v4.0.0/libpod/containers/create", ALLOW,
	  "CONTAINERS", { NULL }, NULL },
	{ "LIBPOD=1 CONTAINERS=1 POST=1: DELETE /libpod/containers/id",
	  "LIBPOD=1 CONTAINERS=1 POST=1", "DELETE", "/v4.0.0/libpod/containers/abc", ALLOW,
	  "CONTAINERS", { NULL }, NULL },
	{ "LIBPOD=1: GET /v4.0.0/libpod/_ping", "LIBPOD=1", "GET", "/v4.0.0/libpod/_ping", ALLOW,
	  "PING", { NULL }, NULL },
	{ "LIBPOD=1: HEAD /libpod/_ping", "LIBPOD=1", "HEAD", "/libpod/_ping", ALLOW, "PING",
	  { NULL }, NULL },
	{ "LIBPOD=1: GET /libpod/version", "LIBPOD=1", "GET", "/v4.0.0/libpod/version", ALLOW,
	  "VERSION", { NULL }, NULL },
	{ "LIBPOD=1: GET /libpod/events", "LIBPOD=1", "GET", "/v4.0.0/libpod/events?stream=true",
	  ALLOW, "EVENTS", { NULL }, NULL },
	{ "LIBPOD=1 PING=0: GET /libpod/_ping names PING=1", "LIBPOD=1 PING=0", "GET",
	  "/v4.0.0/libpod/_ping", DENY, NULL, { "(set PING=1)" }, "LIBPOD" },
	{ "LIBPOD=1 POST=1: POST /libpod/_ping names PING=1", "LIBPOD=1 POST=1 PING=0", "POST",
	  "/libpod/_ping", DENY, NULL, { "PING=1" }, NULL },
	{ "LIBPOD=1 IMAGES=1 POST=1: POST /libpod/images/pull", "LIBPOD=1 IMAGES=1 POST=1", "POST",
	  "/v4.0.0/libpod/images/pull?reference=busybox", ALLOW, "IMAGES", { NULL }, NULL },
	{ "LIBPOD=1 CONTAINERS=1 POST=1: POST /libpod/exec/id/start still needs EXEC",
	  "LIBPOD=1 CONTAINERS=1 POST=1", "POST", "/v4.0.0/libpod/exec/abc/start", DENY, NULL,
	  { "(set EXEC=1)" }, NULL },
	{ "LIBPOD=1 EXEC=1: POST /libpod/exec/id/start needs POST=1", "LIBPOD=1 EXEC=1", "POST",
	  "/v4.0.0/libpod/exec/abc/start", DENY, NULL, { "(set POST=1)" }, NULL },
	{ "LIBPOD=1 EXEC=1 POST=1: POST /libpod/exec/id/start", "LIBPOD=1 EXEC=1 POST=1", "POST",
	  "/v4.0.0/libpod/exec/abc/start", ALLOW, "EXEC", { NULL }, NULL },
	{ "LIBPOD=1 CONTAINERS=1: /libpod/containersX is not /libpod/containers",
	  "LIBPOD=1 CONTAINERS=1", "GET", "/v4.0.0/libpod/containersX/json", DENY, NULL,
	  { "no API section" }, NULL },
	{ "CONTAINERS=1: a container named libpod is just a container", "CONTAINERS=1", "GET",
	  "/v1.41/containers/libpod/json", ALLOW, "CONTAINERS", { NULL }, NULL },

	/* The lifecycle switches hold under /libpod as well, and no more. */
	{ "LIBPOD=1 ALLOW_START=1: POST /libpod/containers/id/start", "LIBPOD=1 ALLOW_START=1",
	  "POST", "/v4.0.0/libpod/containers/abc/start", ALLOW, "ALLOW_START", { NULL }, NULL },
	{ "LIBPOD=1 ALLOW_STOP=1: POST /libpod/containers/id/stop", "LIBPOD=1 ALLOW_STOP=1", "POST",
	  "/v4.0.0/libpod/containers/abc/stop?timeout=1", ALLOW, "ALLOW_STOP", { NULL }, NULL },
	{ "LIBPOD=1 ALLOW_RESTARTS=1: POST /libpod/containers/id/restart",
	  "LIBPOD=1 ALLOW_RESTARTS=1", "POST", "/v4.0.0/libpod/containers/abc/restart", ALLOW,
	  "ALLOW_RESTARTS", { NULL }, NULL },
	{ "LIBPOD=1 ALLOW_RESTARTS=1: POST /libpod/containers/id/kill", "LIBPOD=1 ALLOW_RESTARTS=1",
	  "POST", "/libpod/containers/abc/kill", ALLOW, "ALLOW_RESTARTS", { NULL }, NULL },
	{ "LIBPOD=1 ALLOW_RESTARTS=1: POST /libpod/containers/id/stop", "LIBPOD=1 ALLOW_RESTARTS=1",
	  "POST", "/libpod/containers/abc/stop", ALLOW, "ALLOW_RESTARTS", { NULL }, NULL },
	{ "LIBPOD=1 ALLOW_START=1: POST /libpod/containers/id/stop", "LIBPOD=1 ALLOW_START=1",
	  "POST", "/v4.0.0/libpod/containers/abc/stop", DENY, NULL, { "or only ALLOW_STOP=1" },
	  "LIBPOD" },
	{ "LIBPOD=1 ALLOW_START=1: POST /libpod/containers/a/b/start", "LIBPOD=1 ALLOW_START=1",
	  "POST", "/v4.0.0/libpod/containers/a/b/start", DENY, NULL, { "CONTAINERS=1 and POST=1" },
	  "ALLOW_" },
	{ "LIBPOD=1 ALLOW_RESTARTS=1: POST /libpod/containers/id/pause", "LIBPOD=1 ALLOW_RESTARTS=1",
	  "POST", "/v4.0.0/libpod/containers/abc/pause", DENY, NULL, { "CONTAINERS=1 and POST=1" },
	  "ALLOW_" },
	{ "LIBPOD=1 ALLOW_START=1: POST /libpod/pods/id/start needs a pod switch",
	  "LIBPOD=1 ALLOW_START=1 ALL=1 POST=1", "POST", "/v4.0.0/libpod/pods/abc/start", DENY, NULL,
	  { "(set LIBPOD_PODS=1, or only LIBPOD_ALLOW_POD_START=1)" }, NULL },
	{ "LIBPOD=1 ALLOW_START=1: POST /libpod/libpod/containers/id/start",
	  "LIBPOD=1 ALLOW_START=1", "POST", "/libpod/libpod/containers/abc/start", DENY, NULL,
	  { "no API section" }, NULL },

	/* Reads that act need POST=1 under /libpod too. */
	{ "LIBPOD=1 CONTAINERS=1: GET /libpod/containers/id/attach/ws needs POST=1",
	  "LIBPOD=1 CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/abc/attach/ws", DENY, "POST",
	  { "(set POST=1" }, NULL },
	/* libpod's GET /containers/{name}/healthcheck runs the health command. */
	{ "LIBPOD=1 CONTAINERS=1: GET /libpod/containers/id/healthcheck needs POST=1",
	  "LIBPOD=1 CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/abc/healthcheck", DENY, "POST",
	  { "(set POST=1" }, "LIBPOD" },
	{ "LIBPOD=1 CONTAINERS=1: HEAD /libpod/containers/id/healthcheck needs POST=1",
	  "LIBPOD=1 CONTAINERS=1", "HEAD", "/libpod/containers/abc/healthcheck", DENY, "POST",
	  { "POST=1" }, NULL },
	{ "LIBPOD=1: GET /libpod/containers/id/healthcheck names CONTAINERS=1 and POST=1", "LIBPOD=1",
	  "GET", "/v4.0.0/libpod/containers/abc/healthcheck", DENY, "POST",
	  { "CONTAINERS=1 and POST=1" }, NULL },
	{ "LIBPOD=1 CONTAINERS=1 POST=1: GET /libpod/containers/id/healthcheck",
	  "LIBPOD=1 CONTAINERS=1 POST=1", "GET", "/v4.0.0/libpod/containers/abc/healthcheck", ALLOW,
	  "CONTAINERS", { NULL }, NULL },
	{ "LIBPOD=1 CONTAINERS=1: GET /containers/id/healthcheck (no Docker route) is a read",
	  "LIBPOD=1 CONTAINERS=1", "GET", "/v1.41/containers/abc/healthcheck", ALLOW, "CONTAINERS",
	  { NULL }, NULL },
	{ "LIBPOD=1 CONTAINERS=1: GET /libpod/containers/id/healthcheck/x is a plain read",
	  "LIBPOD=1 CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/abc/healthcheck/x", ALLOW,
	  "CONTAINERS", { NULL }, NULL },

	/* /debug stays closed whatever is set, with or without /libpod. */
	{ "LIBPOD=1 everything on: GET /libpod/debug/pprof", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/libpod/debug/pprof", DENY, "always", { "never allowed" }, NULL },
	{ "LIBPOD=1 everything on: GET /v4.0.0/libpod/debug/vars", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/v4.0.0/libpod/debug/vars", DENY, "always", { "never allowed" }, NULL },
	{ "LIBPOD=1 everything on: POST /libpod/debug", "LIBPOD=1 ALL=1 POST=1 ALLOW_START=1",
	  "POST", "/libpod/debug", DENY, "always", { "never allowed" }, NULL },
	{ "LIBPOD=1 everything on: GET /debug/pprof", "LIBPOD=1 ALL=1 POST=1", "GET", "/debug/pprof",
	  DENY, "always", { "never allowed" }, NULL },

	/* Everything that is not exactly "/libpod/<Docker section>". */
	{ "LIBPOD=1 everything on: GET /libpod alone", "LIBPOD=1 ALL=1 POST=1", "GET", "/libpod",
	  DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: GET /v4.0.0/libpod alone", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/v4.0.0/libpod", DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: GET /libpod/ with its trailing /", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/v4.0.0/libpod/", DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: /libpodX/containers/json", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/v4.0.0/libpodX/containers/json", DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: /libpo/containers/json", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/libpo/containers/json", DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: /LIBPOD/containers/json", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/v4.0.0/LIBPOD/containers/json", DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: /Libpod/containers/json", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/Libpod/containers/json", DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: /libpod/libpod/containers/json", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/v4.0.0/libpod/libpod/containers/json", DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: /libpod/libpod/_ping", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/libpod/libpod/_ping", DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: /libpod/v4.0.0/containers/json", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/libpod/v4.0.0/containers/json", DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: /libpod/libpod/debug/vars", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/libpod/libpod/debug/vars", DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: /containers/libpod/... is the containers section",
	  "LIBPOD=1 ALL=1 POST=1", "GET", "/containers/libpod/json", ALLOW, "CONTAINERS", { NULL },
	  NULL },
	/* libpod-only endpoints with no Docker counterpart: LIBPOD=1 never
	 * maps them; each opens with its own LIBPOD_<SECTION> alone. */
	{ "LIBPOD=1 everything on: GET /libpod/pods/json", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/v4.0.0/libpod/pods/json", DENY, NULL, { "(set LIBPOD_PODS=1)" }, NULL },
	{ "LIBPOD=1 everything on: POST /libpod/pods/create", "LIBPOD=1 ALL=1 POST=1", "POST",
	  "/v4.0.0/libpod/pods/create", DENY, NULL, { "(set LIBPOD_PODS=1)" }, NULL },
	{ "LIBPOD=1 everything on: POST /libpod/play/kube", "LIBPOD=1 ALL=1 POST=1", "POST",
	  "/v4.0.0/libpod/play/kube", DENY, NULL, { "(set LIBPOD_PLAY=1)" }, NULL },
	{ "LIBPOD=1 everything on: POST /libpod/kube/play", "LIBPOD=1 ALL=1 POST=1", "POST",
	  "/v4.0.0/libpod/kube/play", DENY, NULL, { "no API section" }, NULL },
	{ "LIBPOD=1 everything on: GET /libpod/generate/id/systemd", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/v4.0.0/libpod/generate/abc/systemd", DENY, NULL, { "(set LIBPOD_GENERATE=1)" }, NULL },
	{ "LIBPOD=1 everything on: GET /libpod/manifests/name/json", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/v4.0.0/libpod/manifests/abc/json", DENY, NULL, { "(set LIBPOD_MANIFESTS=1)" }, NULL },
	{ "LIBPOD=1 everything on: GET /libpod/frobnicate", "LIBPOD=1 ALL=1 POST=1", "GET",
	  "/v4.0.0/libpod/frobnicate", DENY, NULL, { "no API section" }, NULL },
	/* Names as the daemon routes them: moby's {name:.*} spans '/', as a
	 * link alias does (HostConfig.Links ["dbx:db"] on webx gives dbx the
	 * name /webx/db), so a deny matches a name of any length. */
	{ "CONTAINERS=1: GET /containers/webx/db/attach/ws (a link alias) needs POST=1",
	  "CONTAINERS=1", "GET", "/v1.41/containers/webx/db/attach/ws?stream=1&stdin=1", DENY,
	  "POST", { "POST=1", "can write to a container" }, NULL },
	{ "CONTAINERS=1: HEAD /containers/webx/db/attach/ws needs POST=1", "CONTAINERS=1", "HEAD",
	  "/containers/webx/db/attach/ws", DENY, "POST", { "POST=1" }, NULL },
	{ "CONTAINERS=1: GET /containers/a/b/c/attach/ws needs POST=1", "CONTAINERS=1", "GET",
	  "/containers/a/b/c/attach/ws", DENY, "POST", { "POST=1" }, NULL },
	{ "CONTAINERS=1: GET /containers/json/attach/ws needs POST=1", "CONTAINERS=1", "GET",
	  "/containers/json/attach/ws", DENY, "POST", { "POST=1" }, NULL },
	{ "CONTAINERS=1: GET attach/ws with a name that is not name-like needs POST=1",
	  "CONTAINERS=1", "GET", "/containers/-a%20b:c/attach/ws", DENY, "POST", { "POST=1" }, NULL },
	{ "CONTAINERS=1: GET /containers/attach/ws (no name: routed nowhere) is a read",
	  "CONTAINERS=1", "GET", "/containers/attach/ws", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "defaults: GET /containers/webx/db/attach/ws names CONTAINERS=1 and POST=1", "", "GET",
	  "/containers/webx/db/attach/ws", DENY, "POST", { "CONTAINERS=1", "POST=1" }, NULL },
	{ "CONTAINERS=1 POST=1: GET /containers/webx/db/attach/ws", "CONTAINERS=1 POST=1", "GET",
	  "/containers/webx/db/attach/ws", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "CONTAINERS=1: GET /containers/webx/db/json is a read", "CONTAINERS=1", "GET",
	  "/containers/webx/db/json", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "CONTAINERS=1: GET /containers/a/attach/ws/json is the json route (name a/attach/ws)",
	  "CONTAINERS=1", "GET", "/containers/a/attach/ws/json", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "CONTAINERS=1: GET /containers/a/attach/ws/ (trailing /) is no route: a read",
	  "CONTAINERS=1", "GET", "/containers/a/attach/ws/", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "LIBPOD=1 CONTAINERS=1: GET /libpod/containers/a/b/attach/ws needs POST=1",
	  "LIBPOD=1 CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/a/b/attach/ws", DENY, "POST",
	  { "POST=1" }, NULL },
	{ "LIBPOD=1 CONTAINERS=1: GET /libpod/containers/a/b/healthcheck needs POST=1",
	  "LIBPOD=1 CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/a/b/healthcheck", DENY, "POST",
	  { "POST=1" }, NULL },
	{ "CONTAINERS=1: GET /libpod/containers/a/b/healthcheck names LIBPOD=1 and POST=1",
	  "CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/a/b/healthcheck", DENY, NULL,
	  { "(set LIBPOD=1 and POST=1: it can write to a container)" }, NULL },
	/* An allow keeps one name-like segment: a link alias needs the
	 * section, and the message names no lifecycle switch for it. */
	{ "ALLOW_START=1: POST /containers/webx/db/start (a link alias) is denied", "ALLOW_START=1",
	  "POST", "/containers/webx/db/start", DENY, NULL, { "CONTAINERS=1 and POST=1" }, "ALLOW_" },
	{ "CONTAINERS=1 POST=1: POST /containers/webx/db/start", "CONTAINERS=1 POST=1", "POST",
	  "/containers/webx/db/start", ALLOW, "CONTAINERS", { NULL }, NULL },

	/* Reads that return secrets on newer Podman: a setting of their own. */
	{ "SECRETS=1: GET /secrets/id", "SECRETS=1", "GET", "/v1.41/secrets/abc", ALLOW, "SECRETS",
	  { NULL }, NULL },
	{ "SECRETS=1: GET /secrets/id?showsecret=true names ALLOW_SECRET_VALUES=1", "SECRETS=1",
	  "GET", "/v1.41/secrets/abc?showsecret=true", DENY, "ALLOW_SECRET_VALUES",
	  { "GET /v1.41/secrets/abc is denied", "secret's value", "ALLOW_SECRET_VALUES=1" }, "POST" },
	{ "SECRETS=1: showsecret=false is denied too", "SECRETS=1", "GET",
	  "/secrets/abc?showsecret=false", DENY, "ALLOW_SECRET_VALUES", { "ALLOW_SECRET_VALUES=1" },
	  NULL },
	{ "SECRETS=1: showsecret without a value", "SECRETS=1", "GET", "/secrets/abc?showsecret",
	  DENY, "ALLOW_SECRET_VALUES", { NULL }, NULL },
	{ "SECRETS=1: ShowSecret (gorilla/schema ignores case)", "SECRETS=1", "GET",
	  "/secrets/abc?ShowSecret=1", DENY, "ALLOW_SECRET_VALUES", { NULL }, NULL },
	{ "SECRETS=1: SHOWSECRET", "SECRETS=1", "GET", "/secrets/abc?SHOWSECRET=t", DENY,
	  "ALLOW_SECRET_VALUES", { NULL }, NULL },
	{ "SECRETS=1: a percent-encoded key", "SECRETS=1", "GET", "/secrets/abc?%73how%53ecret=1",
	  DENY, "ALLOW_SECRET_VALUES", { NULL }, NULL },
	{ "SECRETS=1: long s (U+017F) folds to s", "SECRETS=1", "GET",
	  "/secrets/abc?%C5%BFhow%C5%BFecret=true", DENY, "ALLOW_SECRET_VALUES", { NULL }, NULL },
	{ "SECRETS=1: a .sub path on the key", "SECRETS=1", "GET", "/secrets/abc?showsecret.x=1",
	  DENY, "ALLOW_SECRET_VALUES", { NULL }, NULL },
	{ "SECRETS=1: showsecret after another parameter", "SECRETS=1", "GET",
	  "/secrets/abc?a=1&showsecret=1", DENY, "ALLOW_SECRET_VALUES", { NULL }, NULL },
	{ "SECRETS=1: showsecret after a ';' (older Go split on it)", "SECRETS=1", "GET",
	  "/secrets/abc?a=1;showsecret=1", DENY, "ALLOW_SECRET_VALUES", { NULL }, NULL },
	{ "SECRETS=1: HEAD with showsecret", "SECRETS=1", "HEAD", "/secrets/abc?showsecret=1", DENY,
	  "ALLOW_SECRET_VALUES", { NULL }, NULL },
	{ "SECRETS=1 POST=1: showsecret still needs its own setting", "SECRETS=1 POST=1", "GET",
	  "/secrets/abc?showsecret=true", DENY, "ALLOW_SECRET_VALUES", { "ALLOW_SECRET_VALUES=1" },
	  NULL },
	{ "SECRETS=1 ALLOW_SECRET_VALUES=1: showsecret=true", "SECRETS=1 ALLOW_SECRET_VALUES=1", "GET",
	  "/secrets/abc?showsecret=true", ALLOW, "SECRETS", { NULL }, NULL },
	{ "ALLOW_SECRET_VALUES=1 alone opens no section", "ALLOW_SECRET_VALUES=1", "GET",
	  "/secrets/abc?showsecret=true", DENY, NULL, { "SECRETS=1" }, NULL },
	{ "LIBPOD=1 SECRETS=1: GET /libpod/secrets/id/json?showsecret=true", "LIBPOD=1 SECRETS=1",
	  "GET", "/v4.0.0/libpod/secrets/abc/json?showsecret=true", DENY, "ALLOW_SECRET_VALUES",
	  { "ALLOW_SECRET_VALUES=1" }, NULL },
	{ "LIBPOD=1 SECRETS=1: GET /libpod/secrets/id/json", "LIBPOD=1 SECRETS=1", "GET",
	  "/v4.0.0/libpod/secrets/abc/json", ALLOW, "SECRETS", { NULL }, NULL },
	{ "SECRETS=1: showsecrets is another key", "SECRETS=1", "GET", "/secrets/abc?showsecrets=1",
	  ALLOW, "SECRETS", { NULL }, NULL },
	{ "SECRETS=1: a value showsecret is no key", "SECRETS=1", "GET", "/secrets/abc?x=showsecret",
	  ALLOW, "SECRETS", { NULL }, NULL },
	{ "SECRETS=1: xshowsecret is another key", "SECRETS=1", "GET", "/secrets/abc?xshowsecret=1",
	  ALLOW, "SECRETS", { NULL }, NULL },
	{ "LIBPOD=1 VOLUMES=1: GET /libpod/volumes/name/export names ALLOW_VOLUME_EXPORT=1",
	  "LIBPOD=1 VOLUMES=1", "GET", "/v5.6.0/libpod/volumes/data/export", DENY,
	  "ALLOW_VOLUME_EXPORT", { "volume's files", "ALLOW_VOLUME_EXPORT=1" }, "POST" },
	{ "LIBPOD=1 VOLUMES=1 POST=1: volume export still needs its own setting",
	  "LIBPOD=1 VOLUMES=1 POST=1", "GET", "/v5.6.0/libpod/volumes/data/export", DENY,
	  "ALLOW_VOLUME_EXPORT", { "ALLOW_VOLUME_EXPORT=1" }, NULL },
	{ "LIBPOD=1 VOLUMES=1: HEAD /libpod/volumes/a/b/export", "LIBPOD=1 VOLUMES=1", "HEAD",
	  "/libpod/volumes/a/b/export", DENY, "ALLOW_VOLUME_EXPORT", { NULL }, NULL },
	{ "LIBPOD=1 VOLUMES=1 ALLOW_VOLUME_EXPORT=1: volume export",
	  "LIBPOD=1 VOLUMES=1 ALLOW_VOLUME_EXPORT=1", "GET", "/v5.6.0/libpod/volumes/data/export",
	  ALLOW, "VOLUMES", { NULL }, NULL },
	{ "LIBPOD=1 VOLUMES=1: GET /libpod/volumes/name/json", "LIBPOD=1 VOLUMES=1", "GET",
	  "/v5.6.0/libpod/volumes/data/json", ALLOW, "VOLUMES", { NULL }, NULL },
	{ "VOLUMES=1: GET /volumes/name/export is no Docker route: a read", "VOLUMES=1", "GET",
	  "/v1.41/volumes/data/export", ALLOW, "VOLUMES", { NULL }, NULL },
};

static void test_judge(void **state)
{
	const struct policy_row *row = *state;
	struct policy_verdict v;
	policy_rows_judge(row->settings, row->method, row->target, false, &v);
	policy_rows_check(row, &v);
}

/* ==== The lifecycle switches: no body, only their own parameters ==== */

struct lifecycle_row {
	struct policy_row row;
	bool body; /* the request has a body (Content-Length > 0 or chunked) */
};

#define BODY true
#define NO_BODY false

static struct lifecycle_row lifecycle_rows[] = {
	/* start: a body is a HostConfig below API 1.24. */
	{ { "ALLOW_START=1: start with a body", "ALLOW_START=1", "POST",
	    "/v1.23/containers/victim/start", DENY, "ALLOW_START",
	    { "POST /v1.23/containers/victim/start is denied", "ALLOW_START admits no request body" },
	    NULL }, BODY },
	{ { "ALLOW_START=1: start without a body", "ALLOW_START=1", "POST",
	    "/v1.23/containers/victim/start", ALLOW, "ALLOW_START", { NULL }, NULL }, NO_BODY },
	{ { "ALLOW_START=1: detachKeys is harmless", "ALLOW_START=1", "POST",
	    "/containers/abc/start?detachKeys=ctrl-p,ctrl-q", ALLOW, "ALLOW_START", { NULL }, NULL },
	  NO_BODY },
	{ { "ALLOW_START=1: checkpoint", "ALLOW_START=1", "POST",
	    "/containers/abc/start?checkpoint=c1", DENY, "ALLOW_START",
	    { "query parameter 'checkpoint' is not allowed by ALLOW_START" }, NULL }, NO_BODY },
	{ { "ALLOW_START=1: checkpoint-dir", "ALLOW_START=1", "POST",
	    "/containers/abc/start?checkpoint-dir=/tmp/c", DENY, "ALLOW_START",
	    { "'checkpoint-dir' is not allowed" }, NULL }, NO_BODY },
	{ { "ALLOW_START=1: an escaped key", "ALLOW_START=1", "POST",
	    "/containers/abc/start?%63heckpoint=c1", DENY, "ALLOW_START", { "'%63heckpoint'" }, NULL },
	  NO_BODY },
	{ { "ALLOW_START=1: detachKeys in another case", "ALLOW_START=1", "POST",
	    "/containers/abc/start?detachkeys=x", DENY, "ALLOW_START", { "'detachkeys'" }, NULL },
	  NO_BODY },
	{ { "ALLOW_START=1: a ';' in the query", "ALLOW_START=1", "POST",
	    "/containers/abc/start?detachKeys=a;checkpoint=c1", DENY, "ALLOW_START", { "';'" }, NULL },
	  NO_BODY },
	{ { "ALLOW_START=1: a duplicate key", "ALLOW_START=1", "POST",
	    "/containers/abc/start?detachKeys=a&detachKeys=b", DENY, "ALLOW_START",
	    { "'detachKeys' is given twice" }, NULL }, NO_BODY },
	{ { "ALLOW_START=1: an empty parameter", "ALLOW_START=1", "POST",
	    "/containers/abc/start?detachKeys=a&", DENY, "ALLOW_START", { "not allowed" }, NULL },
	  NO_BODY },
	{ { "ALLOW_START=1 CONTAINERS=1: with a body the read-only section does not help",
	    "ALLOW_START=1 CONTAINERS=1", "POST", "/containers/abc/start", DENY, "ALLOW_START",
	    { "ALLOW_START admits no request body" }, NULL }, BODY },
	{ { "ALLOW_START=1 CONTAINERS=1 POST=1: a body falls through to the section",
	    "ALLOW_START=1 CONTAINERS=1 POST=1", "POST", "/v1.23/containers/abc/start?checkpoint=c",
	    ALLOW, "CONTAINERS", { NULL }, NULL }, BODY },
	{ { "LIBPOD=1 ALLOW_START=1: libpod start with a body", "LIBPOD=1 ALLOW_START=1", "POST",
	    "/v4.0.0/libpod/containers/abc/start", DENY, "ALLOW_START", { "no request body" }, NULL },
	  BODY },
	/* stop: only a t from 0 to 3600 s (timeout in libpod), never a signal. */
	{ { "ALLOW_STOP=1: stop?signal=SIGHUP&t=-1", "ALLOW_STOP=1", "POST",
	    "/v1.47/containers/web/stop?signal=SIGHUP&t=-1", DENY, "ALLOW_STOP",
	    { "query parameter 'signal' is not allowed by ALLOW_STOP" }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=-1", "ALLOW_STOP=1", "POST", "/containers/web/stop?t=-1", DENY,
	    "ALLOW_STOP", { "'t' must be a number of seconds from 0 to 3600 for ALLOW_STOP" }, NULL },
	  NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=1", "ALLOW_STOP=1", "POST", "/v1.47/containers/web/stop?t=1",
	    ALLOW, "ALLOW_STOP", { NULL }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=0", "ALLOW_STOP=1", "POST", "/containers/web/stop?t=0", ALLOW,
	    "ALLOW_STOP", { NULL }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=3600 (the longest wait)", "ALLOW_STOP=1", "POST",
	    "/containers/web/stop?t=3600", ALLOW, "ALLOW_STOP", { NULL }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=3601 (a stop that waits too long is no stop)", "ALLOW_STOP=1",
	    "POST", "/containers/web/stop?t=3601", DENY, "ALLOW_STOP", { "from 0 to 3600" }, NULL },
	  NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=999999999 (31 years)", "ALLOW_STOP=1", "POST",
	    "/containers/web/stop?t=999999999", DENY, "ALLOW_STOP", { "from 0 to 3600" }, NULL },
	  NO_BODY },
	{ { "ALLOW_RESTARTS=1: restart?t=00060", "ALLOW_RESTARTS=1", "POST",
	    "/containers/web/restart?t=00060", DENY, "ALLOW_RESTARTS", { "from 0 to 3600" }, NULL },
	  NO_BODY },
	{ { "ALLOW_STOP=1: stop?", "ALLOW_STOP=1", "POST", "/containers/web/stop?", ALLOW,
	    "ALLOW_STOP", { NULL }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?t= (empty)", "ALLOW_STOP=1", "POST", "/containers/web/stop?t=", DENY,
	    "ALLOW_STOP", { "from 0 to 3600" }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?t (no value)", "ALLOW_STOP=1", "POST", "/containers/web/stop?t",
	    DENY, "ALLOW_STOP", { "from 0 to 3600" }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=+1", "ALLOW_STOP=1", "POST", "/containers/web/stop?t=+1", DENY,
	    "ALLOW_STOP", { "from 0 to 3600" }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=%31 (an escaped digit)", "ALLOW_STOP=1", "POST",
	    "/containers/web/stop?t=%31", DENY, "ALLOW_STOP", { "from 0 to 3600" }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=1e3", "ALLOW_STOP=1", "POST", "/containers/web/stop?t=1e3", DENY,
	    "ALLOW_STOP", { "from 0 to 3600" }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=9999999999 (too long)", "ALLOW_STOP=1", "POST",
	    "/containers/web/stop?t=9999999999", DENY, "ALLOW_STOP", { "from 0 to 3600" }, NULL },
	  NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=1&t=-1 (Go reads the first, others the last)", "ALLOW_STOP=1",
	    "POST", "/containers/web/stop?t=1&t=-1", DENY, "ALLOW_STOP", { "'t' is given twice" },
	    NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?T=1", "ALLOW_STOP=1", "POST", "/containers/web/stop?T=1", DENY,
	    "ALLOW_STOP", { "'T' is not allowed" }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop?t=1;signal=SIGHUP", "ALLOW_STOP=1", "POST",
	    "/containers/web/stop?t=1;signal=SIGHUP", DENY, "ALLOW_STOP", { "';'" }, NULL }, NO_BODY },
	{ { "ALLOW_STOP=1: stop with a body", "ALLOW_STOP=1", "POST", "/containers/web/stop?t=1",
	    DENY, "ALLOW_STOP", { "ALLOW_STOP admits no request body" }, NULL }, BODY },
	{ { "ALLOW_STOP=1: libpod stop?timeout=5", "ALLOW_STOP=1 LIBPOD=1", "POST",
	    "/v4.0.0/libpod/containers/web/stop?timeout=5", ALLOW, "ALLOW_STOP", { NULL }, NULL },
	  NO_BODY },
	{ { "ALLOW_STOP=1: libpod stop?ignore=true", "ALLOW_STOP=1 LIBPOD=1", "POST",
	    "/v4.0.0/libpod/containers/web/stop?ignore=true", DENY, "ALLOW_STOP", { "'ignore'" },
	    NULL }, NO_BODY },
	{ { "ALLOW_STOP=1 CONTAINERS=1 POST=1: the section allows the signal",
	    "ALLOW_STOP=1 CONTAINERS=1 POST=1", "POST", "/v1.47/containers/web/stop?signal=SIGHUP&t=-1",
	    ALLOW, "CONTAINERS", { NULL }, NULL }, NO_BODY },
	{ { "ALLOW_RESTARTS=1: stop?signal=SIGHUP", "ALLOW_RESTARTS=1", "POST",
	    "/containers/web/stop?signal=SIGHUP", DENY, "ALLOW_RESTARTS",
	    { "'signal' is not allowed by ALLOW_RESTARTS" }, NULL }, NO_BODY },
	/* restart: t, timeout and signal (ALLOW_RESTARTS grants kill). */
	{ { "ALLOW_RESTARTS=1: restart?t=5&signal=SIGINT", "ALLOW_RESTARTS=1", "POST",
	    "/v1.47/containers/web/restart?t=5&signal=SIGINT", ALLOW, "ALLOW_RESTARTS", { NULL },
	    NULL }, NO_BODY },
	{ { "ALLOW_RESTARTS=1: restart?t=-1", "ALLOW_RESTARTS=1", "POST",
	    "/containers/web/restart?t=-1", DENY, "ALLOW_RESTARTS", { "from 0 to 3600" }, NULL },
	  NO_BODY },
	{ { "ALLOW_RESTARTS=1: restart?all=true (Podman restarts every container)",
	    "ALLOW_RESTARTS=1", "POST", "/containers/web/restart?all=true", DENY, "ALLOW_RESTARTS",
	    { "'all' is not allowed by ALLOW_RESTARTS" }, NULL }, NO_BODY },
	{ { "ALLOW_RESTARTS=1: restart with a body", "ALLOW_RESTARTS=1", "POST",
	    "/containers/web/restart", DENY, "ALLOW_RESTARTS", { "no request body" }, NULL }, BODY },
	/* kill: signal only, letters and digits. */
	{ { "ALLOW_RESTARTS=1: kill?signal=SIGHUP", "ALLOW_RESTARTS=1", "POST",
	    "/containers/web/kill?signal=SIGHUP", ALLOW, "ALLOW_RESTARTS", { NULL }, NULL }, NO_BODY },
	{ { "ALLOW_RESTARTS=1: kill?signal=9", "ALLOW_RESTARTS=1", "POST",
	    "/containers/web/kill?signal=9", ALLOW, "ALLOW_RESTARTS", { NULL }, NULL }, NO_BODY },
	{ { "ALLOW_RESTARTS=1: kill?signal=SIG+HUP", "ALLOW_RESTARTS=1", "POST",
	    "/containers/web/kill?signal=SIG+HUP", DENY, "ALLOW_RESTARTS", { "signal name or number" },
	    NULL }, NO_BODY },
	{ { "ALLOW_RESTARTS=1: kill?signal=%53IGHUP", "ALLOW_RESTARTS=1", "POST",
	    "/containers/web/kill?signal=%53IGHUP", DENY, "ALLOW_RESTARTS",
	    { "signal name or number" }, NULL }, NO_BODY },
	{ { "ALLOW_RESTARTS=1: kill?t=1", "ALLOW_RESTARTS=1", "POST", "/containers/web/kill?t=1",
	    DENY, "ALLOW_RESTARTS", { "'t' is not allowed by ALLOW_RESTARTS" }, NULL }, NO_BODY },
	{ { "ALLOW_RESTARTS=1: kill with a body", "ALLOW_RESTARTS=1", "POST",
	    "/containers/web/kill", DENY, "ALLOW_RESTARTS", { "no request body" }, NULL }, BODY },
	/* Other requests are not lifecycle requests: a body changes nothing. */
	{ { "CONTAINERS=1 POST=1: create with a body", "CONTAINERS=1 POST=1", "POST",
	    "/containers/create", ALLOW, "CONTAINERS", { NULL }, NULL }, BODY },
	{ { "ALLOW_START=1: create with a body names the section", "ALLOW_START=1", "POST",
	    "/containers/create", DENY, NULL, { "CONTAINERS=1 and POST=1" }, "ALLOW_START admits" },
	  BODY },
};

static void test_lifecycle(void **state)
{
	const struct lifecycle_row *lr = *state;
	struct policy_verdict v;
	policy_rows_judge(lr->row.settings, lr->row.method, lr->row.target, lr->body, &v);
	policy_rows_check(&lr->row, &v);
}

/* ==== Every section, generated from the list above ==== */

struct gen_row {
	struct policy_row row;
	char name[160], settings[96], target[96], says[48], not_says[48];
};
#define GEN_PER_SECTION 14
static struct gen_row gen_rows[N_ROWS(sections) * GEN_PER_SECTION];
static size_t n_gen;

static void gen(const char *settings, const char *method, const char *target, bool allow,
		const char *because, const char *says, const char *not_says, const char *why)
{
	struct gen_row *g = &gen_rows[n_gen++];
	snprintf(g->settings, sizeof g->settings, "%s", settings);
	snprintf(g->target, sizeof g->target, "%s", target);
	snprintf(g->says, sizeof g->says, "%s", says ? says : "");
	snprintf(g->not_says, sizeof g->not_says, "%s", not_says ? not_says : "");
	snprintf(g->name, sizeof g->name, "%s: %s %s %s%s", settings, method, target,
		 allow ? "is allowed" : "is denied", why);
	g->row = (struct policy_row){ g->name, g->settings, method, g->target, allow, because,
				     { says ? g->says : NULL }, not_says ? g->not_says : NULL };
}

static void generate_section_rows(void)
{
	char on[64], on_post[64], off[64], t[96], tv[96], want[64];
	for (size_t i = 0; i < N_ROWS(sections); i++) {
		const char *S = sections[i].setting, *seg = sections[i].segment;
		snprintf(on, sizeof on, "%s=1", S);
		snprintf(on_post, sizeof on_post, "%s=1 POST=1", S);
		snprintf(off, sizeof off, "%s=0", S);
		snprintf(t, sizeof t, "/%s/x", seg);
		snprintf(tv, sizeof tv, "/v1.41/%s", seg);
		snprintf(want, sizeof want, "%s=1", S);
		gen(on, "GET", t, ALLOW, S, NULL, NULL, "");
		gen(on, "HEAD", tv, ALLOW, S, NULL, NULL, "");
		gen(on, "POST", t, DENY, NULL, "POST=1", want, " (POST=0)");
		gen(on, "PUT", tv, DENY, NULL, "POST=1", want, " (POST=0)");
		gen(on, "DELETE", t, DENY, NULL, "POST=1", want, " (POST=0)");
		gen(on_post, "POST", tv, ALLOW, S, NULL, NULL, "");
		gen(on_post, "DELETE", t, ALLOW, S, NULL, NULL, "");
		gen(off, "GET", tv, DENY, NULL, want, "POST", " (section off)");
		gen(off, "POST", t, DENY, NULL, want, NULL, " (section off)");
		/* Every other section's setting leaves this one closed. */
		char others[256] = "ALL=1 POST=1";
		snprintf(others + strlen(others), sizeof others - strlen(others), " %s=0", S);
		gen(others, "GET", t, DENY, NULL, want, NULL, " (only the others on)");
		/* The same under /libpod: judged by this section, and only with
		 * LIBPOD=1. */
		char lon[96], lon_post[96], lt[96];
		snprintf(lon, sizeof lon, "LIBPOD=1 %s", on);
		snprintf(lon_post, sizeof lon_post, "LIBPOD=1 %s", on_post);
		snprintf(lt, sizeof lt, "/v4.0.0/libpod/%s/x", seg);
		gen(lon, "GET", lt, ALLOW, S, NULL, NULL, " (LIBPOD=1)");
		gen(lon, "POST", lt, DENY, NULL, "(set POST=1", want, " (LIBPOD=1, POST=0)");
		gen(lon_post, "DELETE", lt, ALLOW, S, NULL, NULL, " (LIBPOD=1)");
		gen(on_post, "GET", lt, DENY, NULL, "(set LIBPOD=1)", want, " (LIBPOD=0)");
	}
}

/* The defaults come from the same table: a section is on by default
 * exactly when it is in docker-socket-proxy (EVENTS, PING, VERSION). */
struct default_row {
	const char *name;
	size_t index;
};
static struct default_row default_rows[N_ROWS(sections)];
static char default_names[N_ROWS(sections)][64];

static void test_default(void **state)
{
	const struct default_row *row = *state;
	size_t i = section_index(sections[row->index].setting);
	assert_string_equal(policy_sections[i].segment, sections[row->index].segment);
	assert_int_equal(policy_sections[i].default_on, sections[row->index].default_on);
}

static void test_section_count(void **state)
{
	(void)state;
	assert_int_equal(policy_n_sections, N_ROWS(sections));
}

/* ==== policy_pattern_match ==== */

struct pattern_row {
	const char *name;
	const char *pattern, *rest;
	bool match;
};

static struct pattern_row pattern_rows[] = {
	{ "** matches the section alone", "/containers/**", "/containers", true },
	{ "** matches one more segment", "/containers/**", "/containers/json", true },
	{ "** matches many segments", "/containers/**", "/containers/a/b/c", true },
	{ "** does not match a longer first segment", "/containers/**", "/containersX", false },
	{ "** does not match a longer first segment with more", "/containers/**", "/containersX/json",
	  false },
	{ "** does not match a shorter first segment", "/containers/**", "/container/json", false },
	{ "** does not match another case", "/containers/**", "/Containers/json", false },
	{ "** does not match the root", "/containers/**", "/", false },
	{ "** does not match nothing", "/containers/**", "", false },
	{ "/** alone matches anything", "/**", "/anything/at/all", true },
	{ "a literal matches itself", "/_ping", "/_ping", true },
	{ "a literal does not match more segments", "/_ping", "/_ping/x", false },
	{ "a literal does not match a prefix", "/_ping", "/_pin", false },
	{ "a literal is case-sensitive", "/_ping", "/_PING", false },
	{ "* matches a container id", "/containers/*/start", "/containers/4f1c2a9e/start", true },
	{ "* matches a name with _ . -", "/containers/*/start", "/containers/my_app.v1-2/start", true },
	{ "* matches a one-letter name", "/containers/*/start", "/containers/a/start", true },
	{ "* does not match two segments", "/containers/*/start", "/containers/a/b/start", false },
	{ "* does not match an empty segment", "/containers/*/start", "/containers//start", false },
	{ "* does not match ..", "/containers/*/start", "/containers/../start", false },
	{ "* does not match .", "/containers/*/start", "/containers/./start", false },
	{ "* does not match json/.. (two segments)", "/containers/*/start",
	  "/containers/json/../start", false },
	{ "* does not match a name starting with .", "/containers/*/start", "/containers/.x/start",
	  false },
	{ "* does not match a name starting with _", "/containers/*/start", "/containers/_x/start",
	  false },
	{ "* does not match a name starting with -", "/containers/*/start", "/containers/-x/start",
	  false },
	{ "* does not match a name with a space", "/containers/*/start", "/containers/a b/start", false },
	{ "* does not match a name with %", "/containers/*/start", "/containers/a%2fb/start", false },
	{ "* does not match a name with :", "/containers/*/start", "/containers/a:b/start", false },
	{ "a trailing literal must be the end", "/containers/*/start", "/containers/a/start/x", false },
	{ "a trailing literal must match whole", "/containers/*/start", "/containers/a/startx", false },
	{ "a trailing slash is one more (empty) segment", "/containers/*/start", "/containers/a/start/",
	  false },
	{ "missing the last segment", "/containers/*/start", "/containers/a", false },
	{ "/debug/** matches /debug", "/debug/**", "/debug", true },
	{ "/debug/** matches /debug/pprof/heap", "/debug/**", "/debug/pprof/heap", true },
	{ "/debug/** does not match /debugger", "/debug/**", "/debugger", false },
	{ "a libpod twin matches its libpod path", "/libpod/containers/*/start",
	  "/libpod/containers/abc/start", true },
	{ "a libpod twin does not match the Docker path", "/libpod/containers/*/start",
	  "/containers/abc/start", false },
	{ "a Docker pattern does not match the libpod path", "/containers/**",
	  "/libpod/containers/json", false },
	{ "a libpod twin does not match /libpodX", "/libpod/_ping/**", "/libpodX/_ping", false },
	{ "a libpod twin does not match /libpod alone", "/libpod/_ping/**", "/libpod", false },	/* "**" in the middle: whole segments, as moby's {name:.*} spans '/'. */
	{ "mid ** matches one segment", "/containers/**/attach/ws", "/containers/a/attach/ws", true },
	{ "mid ** matches a link alias", "/containers/**/attach/ws", "/containers/webx/db/attach/ws",
	  true },
	{ "mid ** matches many segments", "/containers/**/attach/ws", "/containers/a/b/c/d/attach/ws",
	  true },
	{ "mid ** needs a segment", "/containers/**/attach/ws", "/containers/attach/ws", false },
	{ "mid ** needs a segment, at the end", "/containers/**/attach", "/containers/attach", false },
	{ "mid ** matches any bytes", "/containers/**/attach/ws", "/containers/-a b:%/attach/ws",
	  true },
	{ "mid ** matches a name that looks like a route", "/containers/**/attach/ws",
	  "/containers/attach/ws/attach/ws", true },
	{ "mid ** needs the whole tail", "/containers/**/attach/ws", "/containers/a/attach", false },
	{ "mid ** tail must be the end", "/containers/**/attach/ws", "/containers/a/attach/ws/json",
	  false },
	{ "mid ** tail must match whole segments", "/containers/**/attach/ws",
	  "/containers/a/xattach/ws", false },
	{ "mid ** with a trailing slash", "/containers/**/attach/ws", "/containers/a/attach/ws/",
	  false },
	{ "mid ** keeps the literal before it", "/containers/**/attach/ws",
	  "/containersX/a/attach/ws", false },
	{ "mid ** keeps the first segment", "/containers/**/attach/ws", "/images/a/attach/ws",
	  false },
	{ "mid ** with * after it", "/containers/**/x/*", "/containers/a/b/x/name", true },
	{ "mid ** with * after it, bad name", "/containers/**/x/*", "/containers/a/b/x/-n", false },
	{ "mid ** on /exec", "/exec/**/start", "/exec/a/b/start", true },
	{ "mid ** with the root only", "/containers/**/attach", "/", false },
	{ "two ** in the middle match nothing", "/containers/**/x/**/y", "/containers/a/x/b/y",
	  false },
};

static void test_pattern(void **state)
{
	const struct pattern_row *row = *state;
	/* A private copy without a terminator: the rest is a span. */
	size_t n = strlen(row->rest);
	char *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, row->rest, n);
	struct span rest = { copy, n };
	bool got = policy_pattern_match(row->pattern, rest);
	free(copy);
	if (got != row->match)
		fail_msg("'%s' %s '%s'", row->pattern, got ? "matches" : "does not match", row->rest);
}

/* ==== policy_method_bit ==== */

struct method_row {
	const char *name;
	const char *method;
	unsigned bit;
};

static struct method_row method_rows[] = {
	{ "GET", "GET", POLICY_M_GET },
	{ "HEAD", "HEAD", POLICY_M_HEAD },
	{ "POST", "POST", POLICY_M_POST },
	{ "PUT is other", "PUT", POLICY_M_OTHER },
	{ "DELETE is other", "DELETE", POLICY_M_OTHER },
	{ "OPTIONS is other", "OPTIONS", POLICY_M_OTHER },
	{ "lower-case get is other", "get", POLICY_M_OTHER },
	{ "GETX is other", "GETX", POLICY_M_OTHER },
	{ "GE is other", "GE", POLICY_M_OTHER },
};

static void test_method(void **state)
{
	const struct method_row *row = *state;
	struct span m = { row->method, strlen(row->method) };
	assert_int_equal(policy_method_bit(m), row->bit);
}

/* ==== The rule list ==== */

static void test_rules_default(void **state)
{
	(void)state;
	struct policy_settings s;
	policy_rows_settings("", &s);
	struct policy *p = policy_compile(&s, NULL, 0);
	assert_non_null(p);
	size_t n;
	const struct policy_rule *r = policy_rules(p, &n);
	/* The debug deny first; every rule that allows is read-only and
	 * belongs to one of the three default sections. */
	assert_true(n >= 4);
	assert_string_equal(r[0].pattern, "/debug/**");
	assert_false(r[0].allow);
	assert_int_equal(r[0].methods, POLICY_M_ANY);
	size_t allows = 0;
	for (size_t i = 1; i < n; i++) {
		if (!r[i].allow)
			continue;
		allows++;
		assert_int_equal(r[i].methods, POLICY_M_READ);
		assert_true(!strcmp(r[i].because, "EVENTS") || !strcmp(r[i].because, "PING") ||
			    !strcmp(r[i].because, "VERSION"));
	}
	assert_int_equal(allows, 3);
	policy_free(p);
}

static void test_rules_everything(void **state)
{
	(void)state;
	struct policy_settings s;
	policy_rows_settings("ALL=1 POST=1 ALLOW_START=1 ALLOW_STOP=1 ALLOW_RESTARTS=1", &s);
	struct policy *p = policy_compile(&s, NULL, 0);
	assert_non_null(p);
	size_t n;
	const struct policy_rule *r = policy_rules(p, &n);
	assert_string_equal(r[0].pattern, "/debug/**");
	assert_false(r[0].allow);
	/* debug, the showsecret deny, 4 lifecycle rules, the sections. */
	assert_int_equal(n, 1 + 1 + 4 + N_ROWS(sections));
	policy_free(p);
}

/* LIBPOD=1 gives each rule a /libpod twin right after it, and libpod's
 * healthcheck rule while POST=0. */
static void test_rules_libpod(void **state)
{
	(void)state;
	struct policy_settings s;
	policy_rows_settings("LIBPOD=1", &s);
	struct policy *p = policy_compile(&s, NULL, 0);
	assert_non_null(p);
	size_t n;
	const struct policy_rule *r = policy_rules(p, &n);
	assert_true(n >= 8);
	/* The Docker family, then its twins in the same order, the libpod
	 * healthcheck after attach/ws. */
	assert_string_equal(r[0].pattern, "/debug/**");
	assert_string_equal(r[1].pattern, "/containers/**/attach/ws");
	assert_string_equal(r[5].pattern, "/libpod/debug/**");
	assert_false(r[5].allow);
	assert_int_equal(r[5].methods, POLICY_M_ANY);
	assert_string_equal(r[6].pattern, "/libpod/containers/**/attach/ws");
	assert_string_equal(r[7].pattern, "/libpod/containers/**/healthcheck");
	assert_false(r[7].allow);
	assert_int_equal(r[7].methods, POLICY_M_READ);
	/* Three default sections, each with its twin. */
	assert_int_equal(n, 5 + 2 * 3);
	for (size_t i = 2; i < 5; i++) {
		char twin[POLICY_PATTERN_MAX];
		snprintf(twin, sizeof twin, "/libpod%s", r[i].pattern);
		assert_string_equal(r[i + 6].pattern, twin);
		assert_int_equal(r[i + 6].methods, r[i].methods);
		assert_true(r[i + 6].allow == r[i].allow);
	}
	policy_free(p);
}

static void test_rules_libpod_everything(void **state)
{
	(void)state;
	struct policy_settings s;
	/* The largest list: POST=0 keeps the attach/ws and healthcheck
	 * denials; showsecret has a twin, volume export is libpod only. */
	policy_rows_settings("ALL=1 LIBPOD=1 ALLOW_START=1 ALLOW_STOP=1 ALLOW_RESTARTS=1", &s);
	struct policy *p = policy_compile(&s, NULL, 0);
	assert_non_null(p);
	size_t n;
	policy_rules(p, &n);
	assert_int_equal(n, 2 * (1 + 1 + 1 + 4 + N_ROWS(sections)) + 1 + 1);
	policy_free(p);
	policy_rows_settings("ALL=1 POST=1 LIBPOD=1 ALLOW_START=1 ALLOW_STOP=1 ALLOW_RESTARTS=1", &s);
	p = policy_compile(&s, NULL, 0);
	assert_non_null(p);
	policy_rules(p, &n);
	assert_int_equal(n, 2 * (1 + 1 + 4 + N_ROWS(sections)) + 1);
	policy_free(p);
}

/* Rules that do not fit are an error of their own, naming what
 * overflowed and the limit, never "out of memory"; exactly as many as
 * the limit fit. */
struct overflow_row {
	const char *name, *settings;
	size_t rule_limit;
	const char *error; /* NULL: compiles */
};

static struct overflow_row overflow_rows[] = {
	{ "the largest list, one rule short", "ALL=1 LIBPOD=1 ALLOW_START=1 ALLOW_STOP=1 "
	  "ALLOW_RESTARTS=1", 61, "policy: the settings make 62 rules, more than the 61 a policy "
	  "holds (POLICY_MAX_RULES)" },
	{ "the largest list, just fitting", "ALL=1 LIBPOD=1 ALLOW_START=1 ALLOW_STOP=1 "
	  "ALLOW_RESTARTS=1", 62, NULL },
	{ "the defaults (5 rules) in 4", "", 4,
	  "policy: the settings make 5 rules, more than the 4 a policy holds (POLICY_MAX_RULES)" },
	{ "no room at all", "", 0,
	  "policy: the settings make 5 rules, more than the 0 a policy holds (POLICY_MAX_RULES)" },
};

static void test_overflow(void **state)
{
	const struct overflow_row *row = *state;
	struct policy_settings s;
	policy_rows_settings(row->settings, &s);
	char why[POLICY_ERROR_MAX] = "untouched";
	struct policy *p = policy_compile_limited(&s, row->rule_limit, why, sizeof why);
	if (row->error == NULL) {
		assert_non_null(p);
		assert_string_equal(why, "untouched");
		policy_free(p);
		return;
	}
	assert_null(p);
	assert_string_equal(why, row->error);
}

/* The message is cut to the room the caller gives, and NULL means no
 * message. */
static void test_overflow_message_room(void **state)
{
	(void)state;
	struct policy_settings s;
	policy_rows_settings("", &s);
	char why[16];
	memset(why, 'x', sizeof why);
	assert_null(policy_compile_limited(&s, 1, why, sizeof why));
	assert_string_equal(why, "policy: the set");
	assert_null(policy_compile_limited(&s, 1, NULL, 0));
}

static void test_free_null(void **state)
{
	(void)state;
	policy_free(NULL);
}

/* policy_judge "never fails": a method far longer than any h1 accepts
 * (they are capped at 20 letters there) must still give a NUL-terminated
 * message inside its buffer, and nothing written past it. */
static void test_long_method(void **state)
{
	(void)state;
	struct policy_settings s;
	policy_rows_settings("", &s);
	struct policy *p = policy_compile(&s, NULL, 0);
	assert_non_null(p);
	char method[400];
	memset(method, 'A', sizeof method);
	char scratch[64];
	struct path_info info;
	struct span t = { "/containers/json", 16 };
	assert_int_equal(path_check(t, scratch, sizeof scratch, &info), 0);
	struct {
		struct policy_verdict v;
		unsigned char guard[1024];
	} out;
	memset(out.guard, 0x5a, sizeof out.guard);
	struct policy_request rq = { .method = { method, sizeof method }, .path = &info };
	policy_judge(p, &rq, &out.v);
	policy_free(p);
	assert_false(out.v.allow);
	assert_true(memchr(out.v.message, '\0', sizeof out.v.message) != NULL);
	for (size_t i = 0; i < sizeof out.guard; i++)
		if (out.guard[i] != 0x5a)
			fail_msg("policy_judge wrote past the message buffer (byte %zu after it)", i);
}

int main(void)
{
	ROWS_ADD_EACH(test_judge, judge_rows, "judge");
	for (size_t i = 0; i < N_ROWS(lifecycle_rows); i++)
		rows_add(test_lifecycle, &lifecycle_rows[i], "lifecycle", lifecycle_rows[i].row.name);
	generate_section_rows();
	for (size_t i = 0; i < n_gen; i++)
		rows_add(test_judge, &gen_rows[i].row, "section", gen_rows[i].row.name);
	rows_add(test_section_count, NULL, "sections", "exactly the 23 sections of docker-socket-proxy");
	for (size_t i = 0; i < N_ROWS(sections); i++) {
		snprintf(default_names[i], sizeof default_names[i], "%s=%d by default, opens /%s",
			 sections[i].setting, sections[i].default_on, sections[i].segment);
		default_rows[i] = (struct default_row){ default_names[i], i };
		rows_add(test_default, &default_rows[i], "sections", default_names[i]);
	}
	ROWS_ADD_EACH(test_pattern, pattern_rows, "pattern");
	ROWS_ADD_EACH(test_method, method_rows, "method bit");
	rows_add(test_rules_default, NULL, "rules", "defaults compile to the debug deny and 3 read-only sections");
	rows_add(test_rules_everything, NULL, "rules", "everything on compiles to 29 rules, debug first");
	rows_add(test_rules_libpod, NULL, "rules", "LIBPOD=1 adds a /libpod twin after each rule");
	rows_add(test_rules_libpod_everything, NULL, "rules",
		 "everything on with LIBPOD=1 fits the rule list (62 and 59 rules)");
	ROWS_ADD_EACH(test_overflow, overflow_rows, "overflow");
	rows_add(test_overflow_message_room, NULL, "overflow",
		 "the message fits the room given, or none with NULL");
	rows_add(test_free_null, NULL, "rules", "policy_free(NULL) is a no-op");
	/* Last: if it corrupts memory, every other result is already out. */
	rows_add(test_long_method, NULL, "judge", "an over-long method cannot overflow the message");
	return rows_run("policy");
}

/* test_libpod.c - linuxserver/docker-socket-proxy's LIBPOD_* switches in
 * the rule list. Each row reads
 *   settings, method, target -> allowed or denied, the deciding setting,
 *   words of the message.
 * Settings are policy_rows.h's, over the defaults (every LIBPOD_* off);
 * "GATED=1" closes every gate, as cfg.c does once any gate variable or
 * LIBPOD_* switch is present.
 *
 * Then the property the switches must keep: a twin opened by
 * LIBPOD_<SECTION>=1 is judged exactly as LIBPOD=1 with <SECTION>=1
 * judges it, deny rules included, over every path of a list that names
 * each deny rule, with multi-segment names and escapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_rows.h"
#include "rows.h"

#include "path.h"
#include "policy.h"

/* linuxserver's names as its Dockerfile lists them, kept here apart from
 * policy_libpod_switches so that a missing or misspelt one fails. */
static const char *const upstream_names[] = {
	"LIBPOD_ALLOW_PAUSE", "LIBPOD_ALLOW_POD_PAUSE", "LIBPOD_ALLOW_POD_RESTARTS",
	"LIBPOD_ALLOW_POD_START", "LIBPOD_ALLOW_POD_STOP", "LIBPOD_ALLOW_POD_UNPAUSE",
	"LIBPOD_ALLOW_RESTARTS", "LIBPOD_ALLOW_START", "LIBPOD_ALLOW_STOP",
	"LIBPOD_ALLOW_UNPAUSE", "LIBPOD_CONTAINERS", "LIBPOD_EVENTS", "LIBPOD_EXEC",
	"LIBPOD_GENERATE", "LIBPOD_IMAGES", "LIBPOD_INFO", "LIBPOD_MANIFESTS",
	"LIBPOD_NETWORKS", "LIBPOD_PING", "LIBPOD_PLAY", "LIBPOD_PODS", "LIBPOD_SECRETS",
	"LIBPOD_SYSTEM", "LIBPOD_VERSION", "LIBPOD_VOLUMES",
};

static int find(const char *setting, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], setting) == 0)
			return (int)i;
	return -1;
}

static int libpod_index(const char *setting)
{
	for (size_t i = 0; i < policy_n_libpod_switches; i++)
		if (strcmp(policy_libpod_switches[i].setting, setting) == 0)
			return (int)i;
	return -1;
}

static int section_index(const char *setting)
{
	for (size_t i = 0; i < policy_n_sections; i++)
		if (strcmp(policy_sections[i].setting, setting) == 0)
			return (int)i;
	return -1;
}

/* The verdict of a compiled policy, or ok false when path_check() refuses
 * the target. */
struct verdict_text {
	bool ok;
	struct policy_verdict v;
};

static struct verdict_text judge(const struct policy_settings *s, const char *method,
				 const char *target, bool has_body)
{
	struct verdict_text out = { 0 };
	struct policy *p = policy_compile(s, NULL, 0);
	assert_non_null(p);
	char scratch[512];
	struct path_info info;
	if (path_check((struct span){ target, strlen(target) }, scratch, sizeof scratch,
		       &info) == 0) {
		out.ok = true;
		struct policy_request rq = { .method = { method, strlen(method) }, .path = &info,
					     .has_body = has_body };
		policy_judge(p, &rq, &out.v);
	}
	policy_free(p);
	return out;
}

/* ==== The names ==== */

static void test_every_upstream_name(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ROWS(upstream_names); i++)
		if (libpod_index(upstream_names[i]) < 0)
			fail_msg("no switch %s in policy_libpod_switches", upstream_names[i]);
	assert_int_equal(policy_n_libpod_switches, N_ROWS(upstream_names));
	for (size_t i = 0; i < policy_n_libpod_switches; i++)
		assert_true(find(policy_libpod_switches[i].setting, upstream_names,
				 N_ROWS(upstream_names)) >= 0);
}

/* ==== Rows ==== */

/* A policy_judge() row, and whether the request has a body. */
struct libpod_row {
	struct policy_row row;
	bool body;
};

#define ALLOW true
#define DENY false

static struct libpod_row rows[] = {
	/* Each switch closed by default, and open on its own. */
	{ { "defaults: GET /libpod/containers/json",
	  "", "GET", "/v4.0.0/libpod/containers/json",
	  DENY, NULL, { "LIBPOD=1 and CONTAINERS=1" }, NULL }, false },
	{ { "defaults: GET /libpod/_ping (linuxserver opens it, dockgate does not)",
	  "", "GET", "/v4.0.0/libpod/_ping",
	  DENY, NULL, { "(set LIBPOD=1)" }, NULL }, false },
	{ { "defaults: GET /libpod/version",
	  "", "GET", "/v4.0.0/libpod/version",
	  DENY, NULL, { "(set LIBPOD=1)" }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1: GET /libpod/containers/json",
	  "LIBPOD_CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/json?all=true",
	  ALLOW, "LIBPOD_CONTAINERS", { NULL }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1: HEAD /libpod/containers/id/json",
	  "LIBPOD_CONTAINERS=1", "HEAD", "/v4.0.0/libpod/containers/abc/json",
	  ALLOW, "LIBPOD_CONTAINERS", { NULL }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1: unversioned",
	  "LIBPOD_CONTAINERS=1", "GET", "/libpod/containers/json",
	  ALLOW, "LIBPOD_CONTAINERS", { NULL }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1: the Docker section stays closed",
	  "LIBPOD_CONTAINERS=1", "GET", "/v1.41/containers/json",
	  DENY, NULL, { "(set CONTAINERS=1)" }, NULL }, false },
	{ { "CONTAINERS=1: the twin stays closed without LIBPOD",
	  "CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/json",
	  DENY, NULL, { "(set LIBPOD=1)" }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1: POST /libpod/containers/create needs POST=1",
	  "LIBPOD_CONTAINERS=1", "POST", "/v4.0.0/libpod/containers/create",
	  DENY, NULL, { "(set POST=1)" }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1 POST=1: POST /libpod/containers/create",
	  "LIBPOD_CONTAINERS=1 POST=1", "POST", "/v4.0.0/libpod/containers/create",
	  ALLOW, "LIBPOD_CONTAINERS", { NULL }, NULL }, true },
	{ { "LIBPOD_CONTAINERS=1 POST=1: DELETE /libpod/containers/id",
	  "LIBPOD_CONTAINERS=1 POST=1", "DELETE", "/v4.0.0/libpod/containers/abc",
	  ALLOW, "LIBPOD_CONTAINERS", { NULL }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1: another twin stays closed",
	  "LIBPOD_CONTAINERS=1", "GET", "/v4.0.0/libpod/images/json",
	  DENY, NULL, { "IMAGES=1" }, NULL }, false },
	{ { "LIBPOD_IMAGES=1: GET /libpod/images/json",
	  "LIBPOD_IMAGES=1", "GET", "/v4.0.0/libpod/images/json",
	  ALLOW, "LIBPOD_IMAGES", { NULL }, NULL }, false },
	{ { "LIBPOD_IMAGES=1 POST=1: POST /libpod/images/pull",
	  "LIBPOD_IMAGES=1 POST=1", "POST", "/v4.0.0/libpod/images/pull?reference=alpine",
	  ALLOW, "LIBPOD_IMAGES", { NULL }, NULL }, false },
	{ { "LIBPOD_EVENTS=1: GET /libpod/events",
	  "LIBPOD_EVENTS=1", "GET", "/v4.0.0/libpod/events",
	  ALLOW, "LIBPOD_EVENTS", { NULL }, NULL }, false },
	{ { "LIBPOD_EXEC=1: GET /libpod/exec/id/json",
	  "LIBPOD_EXEC=1", "GET", "/v4.0.0/libpod/exec/abc/json",
	  ALLOW, "LIBPOD_EXEC", { NULL }, NULL }, false },
	{ { "LIBPOD_INFO=1: GET /libpod/info",
	  "LIBPOD_INFO=1", "GET", "/v4.0.0/libpod/info",
	  ALLOW, "LIBPOD_INFO", { NULL }, NULL }, false },
	{ { "LIBPOD_NETWORKS=1: GET /libpod/networks/json",
	  "LIBPOD_NETWORKS=1", "GET", "/v4.0.0/libpod/networks/json",
	  ALLOW, "LIBPOD_NETWORKS", { NULL }, NULL }, false },
	{ { "LIBPOD_PING=1: GET /libpod/_ping",
	  "LIBPOD_PING=1", "GET", "/v4.0.0/libpod/_ping",
	  ALLOW, "LIBPOD_PING", { NULL }, NULL }, false },
	{ { "LIBPOD_PING=1 PING=0: the twin opens alone",
	  "LIBPOD_PING=1 PING=0", "HEAD", "/v4.0.0/libpod/_ping",
	  ALLOW, "LIBPOD_PING", { NULL }, NULL }, false },
	{ { "LIBPOD_SECRETS=1: GET /libpod/secrets/json",
	  "LIBPOD_SECRETS=1", "GET", "/v4.0.0/libpod/secrets/json",
	  ALLOW, "LIBPOD_SECRETS", { NULL }, NULL }, false },
	{ { "LIBPOD_SYSTEM=1: GET /libpod/system/df",
	  "LIBPOD_SYSTEM=1", "GET", "/v4.0.0/libpod/system/df",
	  ALLOW, "LIBPOD_SYSTEM", { NULL }, NULL }, false },
	{ { "LIBPOD_VERSION=1: GET /libpod/version",
	  "LIBPOD_VERSION=1", "GET", "/v4.0.0/libpod/version",
	  ALLOW, "LIBPOD_VERSION", { NULL }, NULL }, false },
	{ { "LIBPOD_VOLUMES=1: GET /libpod/volumes/json",
	  "LIBPOD_VOLUMES=1", "GET", "/v4.0.0/libpod/volumes/json",
	  ALLOW, "LIBPOD_VOLUMES", { NULL }, NULL }, false },

	/* The deny rules of each section follow it into the twin. */
	{ { "LIBPOD_CONTAINERS=1: GET attach/ws needs POST=1",
	  "LIBPOD_CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/abc/attach/ws",
	  DENY, "POST", { "POST=1" }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1: GET healthcheck needs POST=1",
	  "LIBPOD_CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/abc/healthcheck",
	  DENY, "POST", { "POST=1" }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1: a link alias's attach/ws",
	  "LIBPOD_CONTAINERS=1", "GET", "/v4.0.0/libpod/containers/web/db/attach/ws",
	  DENY, "POST", { "POST=1" }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1 POST=1: exec's create needs EXEC",
	  "LIBPOD_CONTAINERS=1 POST=1", "POST", "/v4.0.0/libpod/containers/abc/exec",
	  DENY, "EXEC", { "EXEC=1" }, NULL }, true },
	{ { "LIBPOD_CONTAINERS=1 LIBPOD_EXEC=1 POST=1: exec's create",
	  "LIBPOD_CONTAINERS=1 LIBPOD_EXEC=1 POST=1", "POST", "/v4.0.0/libpod/containers/abc/exec",
	  ALLOW, "LIBPOD_CONTAINERS", { NULL }, NULL }, true },
	{ { "LIBPOD_CONTAINERS=1 GATED=1: logs closed by ALLOW_LOGS",
	  "LIBPOD_CONTAINERS=1 GATED=1", "GET", "/v4.0.0/libpod/containers/abc/logs",
	  DENY, "ALLOW_LOGS", { "ALLOW_LOGS=1" }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1 GATED=1: a multi-segment name's logs",
	  "LIBPOD_CONTAINERS=1 GATED=1", "GET", "/v4.0.0/libpod/containers/web/db/logs",
	  DENY, "ALLOW_LOGS", { "ALLOW_LOGS=1" }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1 GATED=1: an escaped logs",
	  "LIBPOD_CONTAINERS=1 GATED=1", "GET", "/v4.0.0/libpod/containers/abc/%6Cogs",
	  DENY, "ALLOW_LOGS", { "ALLOW_LOGS=1" }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1 GATED=1 ALLOW_LOGS=1: logs",
	  "LIBPOD_CONTAINERS=1 GATED=1 ALLOW_LOGS=1", "GET", "/v4.0.0/libpod/containers/abc/logs",
	  ALLOW, "LIBPOD_CONTAINERS", { NULL }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1 GATED=1 POST=1: archive in",
	  "LIBPOD_CONTAINERS=1 GATED=1 POST=1", "PUT",
	  "/v4.0.0/libpod/containers/abc/archive?path=/",
	  DENY, "ALLOW_ARCHIVE", { "ALLOW_ARCHIVE=1" }, NULL }, true },
	{ { "LIBPOD_CONTAINERS=1 GATED=1: export",
	  "LIBPOD_CONTAINERS=1 GATED=1", "GET", "/v4.0.0/libpod/containers/abc/export",
	  DENY, "ALLOW_EXPORT", { "ALLOW_EXPORT=1" }, NULL }, false },
	{ { "LIBPOD_SECRETS=1: showsecret denied",
	  "LIBPOD_SECRETS=1", "GET", "/v4.0.0/libpod/secrets/abc/json?showsecret=true",
	  DENY, "ALLOW_SECRET_VALUES", { "ALLOW_SECRET_VALUES=1" }, NULL }, false },
	{ { "LIBPOD_SECRETS=1: an escaped showsecret key",
	  "LIBPOD_SECRETS=1", "GET", "/v4.0.0/libpod/secrets/abc/json?show%73ecret=true",
	  DENY, "ALLOW_SECRET_VALUES", { "ALLOW_SECRET_VALUES=1" }, NULL }, false },
	{ { "LIBPOD_VOLUMES=1: volume export denied",
	  "LIBPOD_VOLUMES=1", "GET", "/v4.0.0/libpod/volumes/data/export",
	  DENY, "ALLOW_VOLUME_EXPORT", { "ALLOW_VOLUME_EXPORT=1" }, NULL }, false },
	{ { "every LIBPOD_* section: /libpod/debug never",
	  "LIBPOD_CONTAINERS=1 LIBPOD_SYSTEM=1 LIBPOD_PODS=1 POST=1", "GET",
	  "/v4.0.0/libpod/debug/vars",
	  DENY, "always", { "never allowed" }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1: /libpod/libpod/... is no section",
	  "LIBPOD_CONTAINERS=1", "GET", "/v4.0.0/libpod/libpod/containers/json",
	  DENY, NULL, { "no API section" }, NULL }, false },

	/* Podman-only sections. */
	{ { "LIBPOD=1 everything: GET /libpod/pods/json needs LIBPOD_PODS",
	  "LIBPOD=1 CONTAINERS=1", "GET", "/v4.0.0/libpod/pods/json",
	  DENY, NULL, { "(set LIBPOD_PODS=1)" }, NULL }, false },
	{ { "LIBPOD_PODS=1: GET /libpod/pods/json",
	  "LIBPOD_PODS=1", "GET", "/v4.0.0/libpod/pods/json",
	  ALLOW, "LIBPOD_PODS", { NULL }, NULL }, false },
	{ { "LIBPOD_PODS=1: POST /libpod/pods/create needs POST=1",
	  "LIBPOD_PODS=1", "POST", "/v4.0.0/libpod/pods/create",
	  DENY, NULL, { "(set POST=1)" }, NULL }, true },
	{ { "LIBPOD_PODS=1 POST=1: POST /libpod/pods/create",
	  "LIBPOD_PODS=1 POST=1", "POST", "/v4.0.0/libpod/pods/create",
	  ALLOW, "LIBPOD_PODS", { NULL }, NULL }, true },
	{ { "LIBPOD_PODS=1 GATED=1: a pod's top is closed by ALLOW_TOP",
	  "LIBPOD_PODS=1 GATED=1", "GET", "/v4.0.0/libpod/pods/abc/top",
	  DENY, "ALLOW_TOP", { "ALLOW_TOP=1" }, NULL }, false },
	{ { "LIBPOD_PODS=1 GATED=1 ALLOW_TOP=1: a pod's top",
	  "LIBPOD_PODS=1 GATED=1 ALLOW_TOP=1", "GET", "/v4.0.0/libpod/pods/abc/top",
	  ALLOW, "LIBPOD_PODS", { NULL }, NULL }, false },
	{ { "LIBPOD_PODS=1: containers stay closed",
	  "LIBPOD_PODS=1", "GET", "/v4.0.0/libpod/containers/json",
	  DENY, NULL, { "CONTAINERS=1" }, NULL }, false },
	{ { "LIBPOD_PLAY=1: POST /libpod/play/kube needs POST=1",
	  "LIBPOD_PLAY=1", "POST", "/v4.0.0/libpod/play/kube",
	  DENY, NULL, { "(set POST=1)" }, NULL }, true },
	{ { "LIBPOD_PLAY=1 POST=1: POST /libpod/play/kube",
	  "LIBPOD_PLAY=1 POST=1", "POST", "/v4.0.0/libpod/play/kube",
	  ALLOW, "LIBPOD_PLAY", { NULL }, NULL }, true },
	{ { "LIBPOD_PLAY=1 POST=1: /libpod/kube/play is no section",
	  "LIBPOD_PLAY=1 POST=1", "POST", "/v4.0.0/libpod/kube/play",
	  DENY, NULL, { "no API section" }, NULL }, true },
	{ { "LIBPOD_GENERATE=1: GET /libpod/generate/id/systemd",
	  "LIBPOD_GENERATE=1", "GET", "/v4.0.0/libpod/generate/abc/systemd",
	  ALLOW, "LIBPOD_GENERATE", { NULL }, NULL }, false },
	{ { "LIBPOD_MANIFESTS=1: GET /libpod/manifests/name/json",
	  "LIBPOD_MANIFESTS=1", "GET", "/v4.0.0/libpod/manifests/abc/json",
	  ALLOW, "LIBPOD_MANIFESTS", { NULL }, NULL }, false },
	{ { "LIBPOD_MANIFESTS=1: the Docker path has no such section",
	  "LIBPOD_MANIFESTS=1", "GET", "/v1.41/manifests/abc/json",
	  DENY, NULL, { "no API section" }, NULL }, false },

	/* The lifecycle grants: one action, no body, its own query only. */
	{ { "LIBPOD_ALLOW_START=1: POST /libpod/containers/id/start",
	  "LIBPOD_ALLOW_START=1", "POST", "/v4.0.0/libpod/containers/abc/start",
	  ALLOW, "LIBPOD_ALLOW_START", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_START=1: with a body",
	  "LIBPOD_ALLOW_START=1", "POST", "/v4.0.0/libpod/containers/abc/start",
	  DENY, "LIBPOD_ALLOW_START", { "no request body" }, NULL }, true },
	{ { "LIBPOD_ALLOW_START=1: with a checkpoint",
	  "LIBPOD_ALLOW_START=1", "POST", "/v4.0.0/libpod/containers/abc/start?checkpoint=c1",
	  DENY, "LIBPOD_ALLOW_START", { "'checkpoint' is not allowed" }, NULL }, false },
	{ { "LIBPOD_ALLOW_START=1: a multi-segment name is not one container",
	  "LIBPOD_ALLOW_START=1", "POST", "/v4.0.0/libpod/containers/a/b/start",
	  DENY, NULL, { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_START=1: the Docker start stays closed",
	  "LIBPOD_ALLOW_START=1", "POST", "/v1.41/containers/abc/start",
	  DENY, NULL, { "or only ALLOW_START=1" }, NULL }, false },
	{ { "ALLOW_START=1: the twin names LIBPOD_ALLOW_START too",
	  "ALLOW_START=1", "POST", "/v4.0.0/libpod/containers/abc/start",
	  DENY, NULL,
	  { "or only LIBPOD=1 and ALLOW_START=1, or LIBPOD_ALLOW_START=1" }, NULL }, false },
	{ { "LIBPOD_CONTAINERS=1: a start names LIBPOD_ALLOW_START",
	  "LIBPOD_CONTAINERS=1", "POST", "/v4.0.0/libpod/containers/abc/start",
	  DENY, NULL, { "(set POST=1, or only LIBPOD_ALLOW_START=1)" }, NULL }, false },
	{ { "LIBPOD_ALLOW_START=1: no pod start",
	  "LIBPOD_ALLOW_START=1", "POST", "/v4.0.0/libpod/pods/abc/start",
	  DENY, NULL, { "LIBPOD_ALLOW_POD_START=1" }, NULL }, false },
	{ { "LIBPOD_ALLOW_STOP=1: stop with a timeout",
	  "LIBPOD_ALLOW_STOP=1", "POST", "/v4.0.0/libpod/containers/abc/stop?timeout=10",
	  ALLOW, "LIBPOD_ALLOW_STOP", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_STOP=1: a timeout past an hour",
	  "LIBPOD_ALLOW_STOP=1", "POST", "/v4.0.0/libpod/containers/abc/stop?timeout=999999",
	  DENY, "LIBPOD_ALLOW_STOP", { "0 to 3600" }, NULL }, false },
	{ { "LIBPOD_ALLOW_STOP=1: no restart",
	  "LIBPOD_ALLOW_STOP=1", "POST", "/v4.0.0/libpod/containers/abc/restart",
	  DENY, NULL, { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_RESTARTS=1: stop",
	  "LIBPOD_ALLOW_RESTARTS=1", "POST", "/v4.0.0/libpod/containers/abc/stop",
	  ALLOW, "LIBPOD_ALLOW_RESTARTS", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_RESTARTS=1: restart",
	  "LIBPOD_ALLOW_RESTARTS=1", "POST", "/v4.0.0/libpod/containers/abc/restart?t=5",
	  ALLOW, "LIBPOD_ALLOW_RESTARTS", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_RESTARTS=1: kill with a signal",
	  "LIBPOD_ALLOW_RESTARTS=1", "POST", "/v4.0.0/libpod/containers/abc/kill?signal=SIGTERM",
	  ALLOW, "LIBPOD_ALLOW_RESTARTS", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_RESTARTS=1 GATED=1: kill, as ALLOW_RESTARTS grants it",
	  "LIBPOD_ALLOW_RESTARTS=1 GATED=1 LIBPOD_CONTAINERS=1", "POST",
	  "/v4.0.0/libpod/containers/abc/kill",
	  ALLOW, "LIBPOD_ALLOW_RESTARTS", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_PAUSE=1: pause",
	  "LIBPOD_ALLOW_PAUSE=1", "POST", "/v4.0.0/libpod/containers/abc/pause",
	  ALLOW, "LIBPOD_ALLOW_PAUSE", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_PAUSE=1: pause takes no query",
	  "LIBPOD_ALLOW_PAUSE=1", "POST", "/v4.0.0/libpod/containers/abc/pause?x=1",
	  DENY, "LIBPOD_ALLOW_PAUSE", { "'x' is not allowed" }, NULL }, false },
	{ { "LIBPOD_ALLOW_UNPAUSE=1: unpause",
	  "LIBPOD_ALLOW_UNPAUSE=1", "POST", "/v4.0.0/libpod/containers/abc/unpause",
	  ALLOW, "LIBPOD_ALLOW_UNPAUSE", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_POD_START=1: POST /libpod/pods/id/start",
	  "LIBPOD_ALLOW_POD_START=1", "POST", "/v4.0.0/libpod/pods/abc/start",
	  ALLOW, "LIBPOD_ALLOW_POD_START", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_POD_START=1: no container start",
	  "LIBPOD_ALLOW_POD_START=1", "POST", "/v4.0.0/libpod/containers/abc/start",
	  DENY, NULL, { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_POD_START=1: a pod start with a body",
	  "LIBPOD_ALLOW_POD_START=1", "POST", "/v4.0.0/libpod/pods/abc/start",
	  DENY, "LIBPOD_ALLOW_POD_START", { "no request body" }, NULL }, true },
	{ { "LIBPOD_ALLOW_POD_STOP=1: pod stop",
	  "LIBPOD_ALLOW_POD_STOP=1", "POST", "/v4.0.0/libpod/pods/abc/stop?t=3",
	  ALLOW, "LIBPOD_ALLOW_POD_STOP", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_POD_RESTARTS=1: pod restart",
	  "LIBPOD_ALLOW_POD_RESTARTS=1", "POST", "/v4.0.0/libpod/pods/abc/restart",
	  ALLOW, "LIBPOD_ALLOW_POD_RESTARTS", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_POD_RESTARTS=1: pod kill",
	  "LIBPOD_ALLOW_POD_RESTARTS=1", "POST", "/v4.0.0/libpod/pods/abc/kill?signal=9",
	  ALLOW, "LIBPOD_ALLOW_POD_RESTARTS", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_POD_RESTARTS=1: pod kill with a bad signal",
	  "LIBPOD_ALLOW_POD_RESTARTS=1", "POST", "/v4.0.0/libpod/pods/abc/kill?signal=x%20y",
	  DENY, "LIBPOD_ALLOW_POD_RESTARTS", { "signal" }, NULL }, false },
	{ { "LIBPOD_ALLOW_POD_PAUSE=1: pod pause",
	  "LIBPOD_ALLOW_POD_PAUSE=1", "POST", "/v4.0.0/libpod/pods/abc/pause",
	  ALLOW, "LIBPOD_ALLOW_POD_PAUSE", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_POD_UNPAUSE=1: pod unpause",
	  "LIBPOD_ALLOW_POD_UNPAUSE=1", "POST", "/v4.0.0/libpod/pods/abc/unpause",
	  ALLOW, "LIBPOD_ALLOW_POD_UNPAUSE", { NULL }, NULL }, false },
	{ { "LIBPOD_ALLOW_POD_UNPAUSE=1: a pod name of two segments",
	  "LIBPOD_ALLOW_POD_UNPAUSE=1", "POST", "/v4.0.0/libpod/pods/a/b/unpause",
	  DENY, NULL, { NULL }, NULL }, false },
};

static void test_row(void **state)
{
	const struct libpod_row *r = *state;
	struct policy_verdict v;
	policy_rows_judge(r->row.settings, r->row.method, r->row.target, r->body, &v);
	policy_rows_check(&r->row, &v);
}

/* ==== A twin opened alone is never wider ==== */

/* Paths under each twin that name every deny rule a section has, with
 * names of one and two segments and an escaped action. */
static const char *const twin_paths[] = {
	"/json", "/abc/json", "/create", "/abc", "/abc/attach/ws", "/web/db/attach/ws",
	"/abc/healthcheck", "/abc/exec", "/a/b/exec", "/abc/logs", "/a/b/logs", "/abc/%6cogs",
	"/abc/archive?path=/", "/abc/copy", "/abc/export", "/abc/top", "/abc/changes",
	"/abc/kill", "/abc/attach", "/abc/start", "/abc/stop?t=1", "/abc/restart",
	"/abc/pause", "/abc/json?showsecret=true", "/abc/json?show%73ecret=1", "/data/export",
	"/x/y/export", "/prune",
};
static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS" };
/* Settings beside the section, each judged both ways. */
static const char *const beside[] = {
	"", "POST=1", "GATED=1", "GATED=1 POST=1", "GATED=1 ALLOW_LOGS=1 POST=1",
	"EXEC=1 LIBPOD_EXEC=1 POST=1", "ALLOW_START=1 LIBPOD_ALLOW_START=1",
	"ALLOW_RESTARTS=1 LIBPOD_ALLOW_RESTARTS=1 GATED=1",
};

static void test_twin_never_wider(void **state)
{
	(void)state;
	size_t compared = 0;
	for (size_t w = 0; w < policy_n_libpod_switches; w++) {
		const struct policy_libpod_switch *sw = &policy_libpod_switches[w];
		if (sw->kind != POLICY_LP_TWIN)
			continue;
		int sec = -1;
		for (size_t i = 0; i < policy_n_sections; i++)
			if (strcmp(policy_sections[i].segment, sw->name) == 0)
				sec = (int)i;
		assert_true(sec >= 0);
		for (size_t b = 0; b < N_ROWS(beside); b++) {
			char with_libpod[256], alone[256];
			/* Only this section: the defaults off, so that LIBPOD=1
			 * opens no other twin. */
			snprintf(with_libpod, sizeof with_libpod,
				 "EVENTS=0 PING=0 VERSION=0 LIBPOD=1 %s=1 %s",
				 policy_sections[sec].setting, beside[b]);
			snprintf(alone, sizeof alone, "EVENTS=0 PING=0 VERSION=0 %s=1 %s",
				 sw->setting, beside[b]);
			struct policy_settings a, c;
			policy_rows_settings(with_libpod, &a);
			policy_rows_settings(alone, &c);
			/* "EXEC=1 LIBPOD_EXEC=1" is one setting per side. */
			a.libpod_on[libpod_index("LIBPOD_EXEC")] = false;
			a.libpod_on[libpod_index("LIBPOD_ALLOW_START")] = false;
			a.libpod_on[libpod_index("LIBPOD_ALLOW_RESTARTS")] = false;
			c.section_on[section_index("EXEC")] = false;
			c.allow_start = c.allow_restarts = false;
			for (size_t i = 0; i < N_ROWS(twin_paths); i++)
				for (size_t m = 0; m < N_ROWS(methods); m++)
					for (int body = 0; body < 2; body++) {
						char target[128];
						snprintf(target, sizeof target, "/v4.0.0/libpod/%s%s",
							 sw->name, twin_paths[i]);
						struct verdict_text x = judge(&a, methods[m], target, body);
						struct verdict_text y = judge(&c, methods[m], target, body);
						assert_true(x.ok == y.ok);
						if (x.v.allow != y.v.allow)
							fail_msg("%s %s: %s with %s, %s with %s", methods[m],
								 target, x.v.allow ? "allowed" : "denied",
								 with_libpod, y.v.allow ? "allowed" : "denied",
								 alone);
						compared++;
					}
		}
	}
	assert_true(compared > 10000);
}

/* Everything on is the longest list, and it fits. */
static void test_longest(void **state)
{
	(void)state;
	struct policy_settings s;
	policy_rows_settings("GATED=1 LIBPOD=1 ALLOW_START=1 ALLOW_RESTARTS=1", &s);
	s.allow_stop = s.allow_pause = s.allow_unpause = true;
	for (size_t i = 0; i < policy_n_sections; i++)
		s.section_on[i] = true;
	for (size_t i = 0; i < policy_n_libpod_switches; i++)
		s.libpod_on[i] = true;
	char why[POLICY_ERROR_MAX] = "";
	struct policy *p = policy_compile(&s, why, sizeof why);
	if (p == NULL)
		fail_msg("%s", why);
	size_t n;
	policy_rules(p, &n);
	/* Twice (debug, attach/ws, showsecret, 6 lifecycle, 10 gate routes,
	 * 23 sections), the libpod healthcheck and volume export, the pods'
	 * top gate, 6 pod actions and 4 Podman-only sections. */
	assert_int_equal(n, 2 * (1 + 1 + 1 + 6 + 10 + 23) + 2 + 1 + 6 + 4);
	assert_true(n <= POLICY_MAX_RULES);
	policy_free(p);
}

int main(void)
{
	rows_add(test_every_upstream_name, NULL, "names", "every linuxserver LIBPOD_* name");
	for (size_t i = 0; i < N_ROWS(rows); i++)
		rows_add(test_row, &rows[i], "judge", rows[i].row.name);
	rows_add(test_twin_never_wider, NULL, "twins",
		 "LIBPOD_<SECTION>=1 judges its twin as LIBPOD=1 <SECTION>=1 does");
	rows_add(test_longest, NULL, "rules", "everything on fits the rule list (97 rules)");
	return rows_run("libpod");
}

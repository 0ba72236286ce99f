/* test_gates.c - the gates (ALLOW_ARCHIVE ... ALLOW_KILL), the pause
 * grants and the method switches (DELETE, PUT, PATCH) in the rule list.
 * Each row reads
 *   settings, method, target -> allowed or denied, the deciding setting,
 *   words of the message.
 * Settings start from the defaults (EVENTS=1 PING=1 VERSION=1, the rest 0,
 * every gate open, POST opening every method), as with an empty
 * environment. "GATED=1" is what cfg.c makes of any gate variable being
 * present: every gate closed; "ALLOW_LOGS=1" then opens one again.
 * "SPLIT=1" is what it makes of DELETE, PUT or PATCH being present. */
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

#include "cfg.h"
#include "path.h"
#include "policy.h"
#include "route.h"

/* The gates as linuxserver's docker-socket-proxy and dockgate name them,
 * kept here, independent of policy_gates, so that a missing or misspelt
 * one fails a test. */
static const char *const gate_names[] = {
	"ALLOW_ARCHIVE", "ALLOW_CHANGES", "ALLOW_EXPORT", "ALLOW_LOGS",
	"ALLOW_TOP", "ALLOW_ATTACH", "ALLOW_EXEC", "ALLOW_KILL",
};

static int gate_index(const char *setting)
{
	for (int g = 0; g < POLICY_N_GATES; g++)
		if (strcmp(policy_gates[g].setting, setting) == 0)
			return g;
	return -1;
}

#define ALLOW true
#define DENY false
#define GATED "GATED=1 CONTAINERS=1 POST=1 EXEC=1 "

static struct policy_row judge_rows[] = {
	/* No gate variable: docker-socket-proxy's contract, the section opens all. */
	{ "no gate set: CONTAINERS=1 opens logs", "CONTAINERS=1", "GET",
	  "/v1.41/containers/web/logs?stdout=1", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "no gate set: CONTAINERS=1 POST=1 opens exec create", "CONTAINERS=1 POST=1 EXEC=1", "POST",
	  "/v1.41/containers/web/exec", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "no gate set: CONTAINERS=1 POST=1 opens kill", "CONTAINERS=1 POST=1", "POST",
	  "/containers/web/kill", ALLOW, "CONTAINERS", { NULL }, NULL },

	/* Each gate closed: denied, naming the gate, even with the section and POST. */
	{ "gated: GET archive", GATED, "GET", "/v1.47/containers/web/archive?path=/etc", DENY,
	  "ALLOW_ARCHIVE", { "copying files", "set ALLOW_ARCHIVE=1" }, "CONTAINERS=1" },
	{ "gated: HEAD archive (docker cp's stat)", GATED, "HEAD", "/containers/web/archive?path=/",
	  DENY, "ALLOW_ARCHIVE", { "set ALLOW_ARCHIVE=1" }, NULL },
	{ "gated: PUT archive (docker cp into it)", GATED, "PUT", "/containers/web/archive?path=/",
	  DENY, "ALLOW_ARCHIVE", { "set ALLOW_ARCHIVE=1)" }, NULL },
	{ "gated: the old POST copy", GATED, "POST", "/v1.24/containers/web/copy", DENY,
	  "ALLOW_ARCHIVE", { "set ALLOW_ARCHIVE=1" }, NULL },
	{ "gated: GET changes", GATED, "GET", "/containers/web/changes", DENY, "ALLOW_CHANGES",
	  { "set ALLOW_CHANGES=1" }, NULL },
	{ "gated: GET export", GATED, "GET", "/containers/web/export", DENY, "ALLOW_EXPORT",
	  { "exporting", "set ALLOW_EXPORT=1" }, NULL },
	{ "gated: GET logs", GATED, "GET", "/v1.41/containers/web/logs?follow=1", DENY, "ALLOW_LOGS",
	  { "reading a container's logs is closed by ALLOW_LOGS", "(set ALLOW_LOGS=1)" }, NULL },
	{ "gated: GET top", GATED, "GET", "/containers/web/top?ps_args=aux", DENY, "ALLOW_TOP",
	  { "set ALLOW_TOP=1" }, NULL },
	{ "gated: POST attach", GATED, "POST", "/containers/web/attach?stream=1&stdin=1", DENY,
	  "ALLOW_ATTACH", { "attaching", "set ALLOW_ATTACH=1" }, NULL },
	{ "gated: GET attach/ws", GATED, "GET", "/containers/web/attach/ws?stream=1", DENY,
	  "ALLOW_ATTACH", { "set ALLOW_ATTACH=1" }, NULL },
	{ "gated: POST exec (create)", GATED, "POST", "/v1.41/containers/web/exec", DENY,
	  "ALLOW_EXEC", { "(set ALLOW_EXEC=1)" }, "starting it" },
	{ "gated, EXEC=0: exec create names the start's need too",
	  "GATED=1 CONTAINERS=1 POST=1", "POST", "/containers/web/exec", DENY, "ALLOW_EXEC",
	  { "(set ALLOW_EXEC=1); starting it also needs EXEC=1" }, NULL },
	{ "gated: POST kill", GATED, "POST", "/containers/web/kill?signal=KILL", DENY, "ALLOW_KILL",
	  { "set ALLOW_KILL=1" }, NULL },

	/* What a gate leaves alone. */
	{ "gated: inspect", GATED, "GET", "/v1.41/containers/web/json", ALLOW, "CONTAINERS",
	  { NULL }, NULL },
	{ "gated: list", GATED, "GET", "/containers/json?all=1", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "gated: stats", GATED, "GET", "/containers/web/stats?stream=0", ALLOW, "CONTAINERS",
	  { NULL }, NULL },
	{ "gated: create", GATED, "POST", "/containers/create", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "gated: exec start is EXEC's", GATED, "POST", "/exec/abc/start", ALLOW, "EXEC", { NULL },
	  NULL },
	/* DELETE /containers/{name:.*} takes a link alias "web/logs": no gate's. */
	{ "gated: DELETE of a link alias ending in logs", GATED, "DELETE",
	  "/containers/web/logs?link=1", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "gated: a container named logs", GATED, "GET", "/containers/logs/json", ALLOW, "CONTAINERS",
	  { NULL }, NULL },
	/* The daemon routes case-sensitively: /LOGS is no route (404). */
	{ "gated: /LOGS is not logs", GATED, "GET", "/containers/web/LOGS", ALLOW, "CONTAINERS",
	  { NULL }, NULL },

	/* One gate opened again. */
	{ "gated, ALLOW_LOGS=1: logs", GATED "ALLOW_LOGS=1", "GET", "/containers/web/logs", ALLOW,
	  "CONTAINERS", { NULL }, NULL },
	{ "gated, ALLOW_LOGS=1: top still closed", GATED "ALLOW_LOGS=1", "GET", "/containers/web/top",
	  DENY, "ALLOW_TOP", { "set ALLOW_TOP=1" }, NULL },
	{ "gated, ALLOW_ARCHIVE=1: PUT archive", GATED "ALLOW_ARCHIVE=1", "PUT",
	  "/containers/web/archive?path=/", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "gated, ALLOW_KILL=1: kill", GATED "ALLOW_KILL=1", "POST", "/containers/web/kill", ALLOW,
	  "CONTAINERS", { NULL }, NULL },
	{ "gated, ALLOW_EXEC=1: exec create", GATED "ALLOW_EXEC=1", "POST", "/containers/web/exec",
	  ALLOW, "CONTAINERS", { NULL }, NULL },

	/* Names span segments as the daemon routes them ({name:.*}). */
	{ "gated: logs of a link alias", GATED, "GET", "/containers/webx/db/logs", DENY, "ALLOW_LOGS",
	  { "set ALLOW_LOGS=1" }, NULL },
	{ "gated: archive of a three-segment name", GATED, "GET", "/containers/a/b/c/archive", DENY,
	  "ALLOW_ARCHIVE", { NULL }, NULL },
	{ "gated: attach of a link alias", GATED, "POST", "/v1.41/containers/webx/db/attach", DENY,
	  "ALLOW_ATTACH", { NULL }, NULL },
	{ "gated: exec create on a link alias", GATED, "POST", "/containers/webx/db/exec", DENY,
	  "ALLOW_EXEC", { NULL }, NULL },
	{ "gated: kill of a link alias", GATED, "POST", "/containers/webx/db/kill", DENY, "ALLOW_KILL",
	  { NULL }, NULL },
	{ "gated: a name that ends like a gate", GATED, "GET", "/containers/logs/logs", DENY,
	  "ALLOW_LOGS", { NULL }, NULL },

	/* Judged on the decoded path, after any version prefix. */
	{ "gated: encoded letters in logs", GATED, "GET", "/containers/web/%6c%6fgs", DENY,
	  "ALLOW_LOGS", { NULL }, NULL },
	{ "gated: encoded name and export", GATED, "GET", "/v1.41/containers/w%65b/%65xport", DENY,
	  "ALLOW_EXPORT", { NULL }, NULL },
	{ "gated: encoded version prefix", GATED, "GET", "/v%31.41/containers/web/archive", DENY,
	  "ALLOW_ARCHIVE", { NULL }, NULL },
	{ "gated: libpod-style three-part version", GATED, "GET", "/v4.0.0/containers/web/top",
	  DENY, "ALLOW_TOP", { NULL }, NULL },
	{ "gated: unversioned", GATED, "POST", "/containers/web/attach", DENY, "ALLOW_ATTACH",
	  { NULL }, NULL },

	/* libpod twins: with LIBPOD=1 each gate closes /libpod too. */
	{ "gated, LIBPOD=1: libpod logs", GATED "LIBPOD=1", "GET", "/v4.0.0/libpod/containers/web/logs",
	  DENY, "ALLOW_LOGS", { "set ALLOW_LOGS=1" }, NULL },
	{ "gated, LIBPOD=1: libpod archive", GATED "LIBPOD=1", "GET",
	  "/v4.0.0/libpod/containers/web/archive?path=/", DENY, "ALLOW_ARCHIVE", { NULL }, NULL },
	{ "gated, LIBPOD=1: libpod export", GATED "LIBPOD=1", "GET",
	  "/v4.0.0/libpod/containers/web/export", DENY, "ALLOW_EXPORT", { NULL }, NULL },
	{ "gated, LIBPOD=1: libpod changes", GATED "LIBPOD=1", "GET",
	  "/v4.0.0/libpod/containers/web/changes", DENY, "ALLOW_CHANGES", { NULL }, NULL },
	{ "gated, LIBPOD=1: libpod exec create", GATED "LIBPOD=1", "POST",
	  "/v4.0.0/libpod/containers/web/exec", DENY, "ALLOW_EXEC", { NULL }, NULL },
	{ "gated, LIBPOD=1: libpod attach", GATED "LIBPOD=1", "POST",
	  "/v4.0.0/libpod/containers/web/attach", DENY, "ALLOW_ATTACH", { NULL }, NULL },
	{ "gated, LIBPOD=1: libpod inspect", GATED "LIBPOD=1", "GET",
	  "/v4.0.0/libpod/containers/web/json", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "gated, LIBPOD=1 ALLOW_LOGS=1: libpod logs", GATED "LIBPOD=1 ALLOW_LOGS=1", "GET",
	  "/v4.0.0/libpod/containers/web/logs", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "gated, LIBPOD=0: libpod logs names LIBPOD", GATED, "GET",
	  "/v4.0.0/libpod/containers/web/logs", DENY, NULL, { "(set LIBPOD=1 and ALLOW_LOGS=1)" },
	  NULL },

	/* With the section closed, the denial names the gate as well. */
	{ "gated, CONTAINERS=0: logs names both", "GATED=1", "GET", "/containers/web/logs", DENY, NULL,
	  { "(set CONTAINERS=1 and ALLOW_LOGS=1)" }, NULL },
	{ "gated, CONTAINERS=0: inspect names the section only", "GATED=1", "GET",
	  "/containers/web/json", DENY, NULL, { "(set CONTAINERS=1)" }, "ALLOW_" },
	{ "gated, POST=0: attach names the gate and POST", "GATED=1 CONTAINERS=1", "POST",
	  "/containers/web/attach", DENY, "ALLOW_ATTACH", { "(set ALLOW_ATTACH=1 and POST=1)" },
	  NULL },

	/* ALLOW_RESTARTS still grants kill with the kill gate closed. */
	{ "gated, ALLOW_RESTARTS=1: kill", GATED "ALLOW_RESTARTS=1", "POST",
	  "/containers/web/kill?signal=HUP", ALLOW, "ALLOW_RESTARTS", { NULL }, NULL },
	{ "gated, ALLOW_RESTARTS=1: kill with a body falls to the gate", GATED "ALLOW_RESTARTS=1",
	  "POST", "/containers/web/kill?force=1", DENY, "ALLOW_KILL", { "set ALLOW_KILL=1" }, NULL },

	/* ALLOW_PAUSE and ALLOW_UNPAUSE: one action each, without the section or POST. */
	{ "ALLOW_PAUSE=1: pause", "ALLOW_PAUSE=1", "POST", "/v1.41/containers/web/pause", ALLOW,
	  "ALLOW_PAUSE", { NULL }, NULL },
	{ "ALLOW_PAUSE=1: unpause is not pause", "ALLOW_PAUSE=1", "POST",
	  "/v1.41/containers/web/unpause", DENY, NULL, { "CONTAINERS=1 and POST=1" }, NULL },
	{ "ALLOW_UNPAUSE=1: unpause", "ALLOW_UNPAUSE=1", "POST", "/containers/web/unpause", ALLOW,
	  "ALLOW_UNPAUSE", { NULL }, NULL },
	{ "ALLOW_PAUSE=1: no query", "ALLOW_PAUSE=1", "POST", "/containers/web/pause?x=1", DENY,
	  "ALLOW_PAUSE", { "query parameter 'x' is not allowed by ALLOW_PAUSE" }, NULL },
	{ "ALLOW_PAUSE=1: one segment only", "ALLOW_PAUSE=1", "POST", "/containers/webx/db/pause",
	  DENY, NULL, { NULL }, NULL },
	{ "ALLOW_PAUSE=1: GET is not POST", "ALLOW_PAUSE=1", "GET", "/containers/web/pause", DENY,
	  NULL, { NULL }, NULL },
	{ "ALLOW_PAUSE=1: start is not pause", "ALLOW_PAUSE=1", "POST", "/containers/web/start",
	  DENY, NULL, { NULL }, NULL },
	{ "ALLOW_PAUSE=1 LIBPOD=1: libpod pause", "ALLOW_PAUSE=1 LIBPOD=1", "POST",
	  "/v4.0.0/libpod/containers/web/pause", ALLOW, "ALLOW_PAUSE", { NULL }, NULL },
	{ "pause with CONTAINERS=1 POST=1 and gates closed: not a gate", GATED, "POST",
	  "/containers/web/pause", ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "pause with POST=0: the section message as ever", "CONTAINERS=1", "POST",
	  "/containers/web/pause", DENY, NULL, { "(set POST=1)" }, NULL },

	/* Method switches: absent, POST=1 opens every method (the contract). */
	{ "no method switch: POST=1 opens DELETE", "NETWORKS=1 POST=1", "DELETE", "/networks/n1",
	  ALLOW, "NETWORKS", { NULL }, NULL },
	{ "no method switch: POST=1 opens OPTIONS", "NETWORKS=1 POST=1", "OPTIONS", "/networks",
	  ALLOW, "NETWORKS", { NULL }, NULL },
	{ "no method switch: DELETE needs POST=1", "NETWORKS=1", "DELETE", "/networks/n1", DENY, NULL,
	  { "(set POST=1)" }, NULL },
	/* Present: each method its own switch. */
	{ "split, POST=1: POST", "SPLIT=1 NETWORKS=1 POST=1", "POST", "/networks/create", ALLOW,
	  "NETWORKS", { NULL }, NULL },
	{ "split, POST=1: DELETE needs DELETE=1", "SPLIT=1 NETWORKS=1 POST=1", "DELETE",
	  "/networks/n1", DENY, NULL, { "(set DELETE=1)" }, "POST=1" },
	{ "split, DELETE=1: DELETE without POST", "SPLIT=1 NETWORKS=1 DELETE=1", "DELETE",
	  "/networks/n1", ALLOW, "NETWORKS", { NULL }, NULL },
	{ "split, DELETE=1: POST still needs POST=1", "SPLIT=1 NETWORKS=1 DELETE=1", "POST",
	  "/networks/create", DENY, NULL, { "(set POST=1)" }, NULL },
	{ "split, DELETE=1: PUT needs PUT=1", "SPLIT=1 CONTAINERS=1 DELETE=1", "PUT",
	  "/containers/web/archive?path=/", DENY, NULL, { "(set PUT=1)" }, NULL },
	{ "split, PUT=1: PUT", "SPLIT=1 CONTAINERS=1 PUT=1", "PUT", "/containers/web/archive?path=/",
	  ALLOW, "CONTAINERS", { NULL }, NULL },
	{ "split, PUT=1: DELETE needs DELETE=1", "SPLIT=1 CONTAINERS=1 PUT=1", "DELETE",
	  "/containers/web", DENY, NULL, { "(set DELETE=1)" }, NULL },
	{ "split, PATCH=1: PATCH", "SPLIT=1 NETWORKS=1 PATCH=1", "PATCH", "/networks/n1", ALLOW,
	  "NETWORKS", { NULL }, NULL },
	{ "split, every switch: OPTIONS is no one's", "SPLIT=1 NETWORKS=1 POST=1 DELETE=1 PUT=1 PATCH=1",
	  "OPTIONS", "/networks", DENY, NULL, { "no setting opens the OPTIONS method" }, NULL },
	{ "split: a lower-case delete is no switch's", "SPLIT=1 NETWORKS=1 DELETE=1", "delete",
	  "/networks/n1", DENY, NULL, { "no setting opens" }, NULL },
	{ "split, section closed: names the section and the method", "SPLIT=1", "DELETE",
	  "/volumes/v1", DENY, NULL, { "(set VOLUMES=1 and DELETE=1)" }, NULL },
	{ "split, DELETE=1: GET as ever", "SPLIT=1 NETWORKS=1 DELETE=1", "GET", "/networks", ALLOW,
	  "NETWORKS", { NULL }, NULL },
	{ "split, DELETE=1 LIBPOD=1: libpod twin", "SPLIT=1 LIBPOD=1 VOLUMES=1 DELETE=1", "DELETE",
	  "/v4.0.0/libpod/volumes/v1", ALLOW, "VOLUMES", { NULL }, NULL },
	{ "split, gated: PUT archive names the gate and PUT", "GATED=1 SPLIT=1 CONTAINERS=1", "PUT",
	  "/containers/web/archive?path=/", DENY, "ALLOW_ARCHIVE",
	  { "(set ALLOW_ARCHIVE=1 and PUT=1)" }, NULL },
	{ "split: lifecycle switches are POST, untouched", "SPLIT=1 ALLOW_RESTARTS=1", "POST",
	  "/containers/web/restart", ALLOW, "ALLOW_RESTARTS", { NULL }, NULL },
};

static void test_judge(void **state)
{
	const struct policy_row *row = *state;
	struct policy_verdict v;
	policy_rows_judge(row->settings, row->method, row->target, false, &v);
	policy_rows_check(row, &v);
}

/* ==== Against the route table ====
 *
 * Every route the daemon runs for a gated operation is denied by its gate
 * (a sample path per template, every {...} a name of two segments where
 * the template lets it span, as a link alias would), and every other
 * container route is left to the section: a gate closes what it names
 * and nothing else. */

static const struct {
	const char *operation, *gate;
} gated_operations[] = {
	{ "ContainerArchive", "ALLOW_ARCHIVE" },   { "ContainerArchiveInfo", "ALLOW_ARCHIVE" },
	{ "PutContainerArchive", "ALLOW_ARCHIVE" }, { "ContainerCopy", "ALLOW_ARCHIVE" },
	{ "ContainerChanges", "ALLOW_CHANGES" },   { "ContainerExport", "ALLOW_EXPORT" },
	{ "ContainerLogs", "ALLOW_LOGS" },         { "ContainerTop", "ALLOW_TOP" },
	{ "ContainerAttach", "ALLOW_ATTACH" },     { "ContainerAttachWebsocket", "ALLOW_ATTACH" },
	{ "ContainerExec", "ALLOW_EXEC" },         { "ContainerKill", "ALLOW_KILL" },
};

static const char *gate_of_operation(const char *operation)
{
	for (size_t i = 0; i < N_ROWS(gated_operations); i++)
		if (strcmp(gated_operations[i].operation, operation) == 0)
			return gated_operations[i].gate;
	return NULL;
}

/* A path for template: "{name:.*}" becomes "webx/db" when spans, else
 * "web"; other variables "v1". */
static void sample_path(const char *template, bool spans, char *out, size_t cap)
{
	size_t o = 0;
	for (const char *t = template; *t && o + 8 < cap;) {
		if (*t != '{') {
			out[o++] = *t++;
			continue;
		}
		const char *end = strchr(t, '}');
		bool any = strstr(t, ":.*}") == end - 3;
		const char *name = any ? (spans ? "webx/db" : "web") : "v1";
		o += (size_t)snprintf(out + o, cap - o, "%s", name);
		t = end + 1;
	}
	out[o] = '\0';
}

static void check_route(const struct route *r, bool libpod, bool spans)
{
	char path[160], target[200];
	sample_path(r->path, spans, path, sizeof path);
	snprintf(target, sizeof target, "/v1.41%s%s", libpod ? "/libpod" : "", path);
	const char *method = route_method_name(r->method);
	struct policy_verdict v;
	policy_rows_judge(GATED "LIBPOD=1", method, target, false, &v);
	const char *gate = gate_of_operation(r->operation);
	if (gate != NULL) {
		if (v.allow || v.because == NULL || strcmp(v.because, gate) != 0)
			fail_msg("%s %s (%s): %s because %s, want denied by %s", method, target,
				 r->operation, v.allow ? "allowed" : "denied",
				 v.because ? v.because : "-", gate);
		return;
	}
	if (!v.allow || strcmp(v.because, "CONTAINERS") != 0)
		fail_msg("%s %s (%s): %s because %s, want left to CONTAINERS ('%s')", method, target,
			 r->operation, v.allow ? "allowed" : "denied", v.because ? v.because : "-",
			 v.message);
}

static void test_route_table(void **state)
{
	(void)state;
	size_t gated = 0;
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		if (strcmp(r->section, "containers") != 0 || r->method == ROUTE_ANY)
			continue;
		/* The attach WebSocket with POST=0 is POST's; here POST=1. */
		check_route(r, false, false);
		check_route(r, false, true);
		if (r->flags & ROUTE_F_LIBPOD)
			check_route(r, true, false);
		gated += gate_of_operation(r->operation) != NULL;
	}
	/* Each gated operation is in the table, so none is tested by nothing. */
	assert_int_equal(gated, N_ROWS(gated_operations));
}

/* The names, as upstream spells them, all in policy_gates and nothing else. */
static void test_gate_names(void **state)
{
	(void)state;
	assert_int_equal(POLICY_N_GATES, N_ROWS(gate_names));
	for (size_t i = 0; i < N_ROWS(gate_names); i++)
		if (gate_index(gate_names[i]) < 0)
			fail_msg("no gate %s in policy_gates", gate_names[i]);
}

/* Every gate closed, every section and switch on, LIBPOD=1 and POST=0
 * is the longest rule list: it must fit. */
static void test_longest_list(void **state)
{
	(void)state;
	struct policy_settings s;
	policy_rows_settings("GATED=1 LIBPOD=1 ALLOW_RESTARTS=1 ALLOW_PAUSE=1 ALLOW_UNPAUSE=1", &s);
	for (size_t i = 0; i < policy_n_sections; i++)
		s.section_on[i] = true;
	s.allow_start = s.allow_stop = true;
	char why[POLICY_ERROR_MAX] = "";
	struct policy *p = policy_compile(&s, why, sizeof why);
	if (p == NULL)
		fail_msg("%s", why);
	size_t n;
	policy_rules(p, &n);
	/* Twice (debug, attach/ws, showsecret, 6 lifecycle, 10 gate routes,
	 * 23 sections), plus the libpod healthcheck and volume export. */
	assert_int_equal(n, 2 * (1 + 1 + 1 + 6 + 10 + 23) + 2);
	assert_true(n <= POLICY_MAX_RULES);
	policy_free(p);
}

/* ==== From the environment (cfg.c) ====
 *
 * Any variable of the gate family present, even empty or 0, closes every
 * gate not set to 1; none present leaves them all open. Any of DELETE,
 * PUT and PATCH present splits the methods. */

struct cfg_row {
	const char *name;
	const char *env[4];
	const char *argv[3];
	enum cfg_result result;
	bool gates_set;
	const char *open_gates; /* "ALLOW_LOGS ALLOW_TOP", "ALL" or "" */
	bool methods_split;
};

static struct cfg_row cfg_rows[] = {
	{ "nothing set: every gate open, methods whole", { NULL }, { NULL }, CFG_RUN, false, "ALL",
	  false },
	{ "the lifecycle switches are no gate variables", { "ALLOW_START=1", "ALLOW_RESTARTS=1" },
	  { NULL }, CFG_RUN, false, "ALL", false },
	{ "ALLOW_LOGS=1: logs open, the other gates closed", { "ALLOW_LOGS=1" }, { NULL }, CFG_RUN,
	  true, "ALLOW_LOGS", false },
	{ "ALLOW_LOGS=0: every gate closed", { "ALLOW_LOGS=0" }, { NULL }, CFG_RUN, true, "", false },
	{ "ALLOW_ARCHIVE empty: present, so every gate closed", { "ALLOW_ARCHIVE=" }, { NULL },
	  CFG_RUN, true, "", false },
	{ "ALLOW_PAUSE=0 is of the family", { "ALLOW_PAUSE=0" }, { NULL }, CFG_RUN, true, "", false },
	{ "ALLOW_UNPAUSE=1 is of the family", { "ALLOW_UNPAUSE=1" }, { NULL }, CFG_RUN, true, "",
	  false },
	{ "two gates opened", { "ALLOW_TOP=yes", "ALLOW_EXEC=on", "ALLOW_KILL=0" }, { NULL }, CFG_RUN,
	  true, "ALLOW_TOP ALLOW_EXEC", false },
	{ "a flag counts as present", { NULL }, { "--allow-attach" }, CFG_RUN, true, "ALLOW_ATTACH",
	  false },
	{ "a bad gate value is an error", { "ALLOW_LOGS=maybe" }, { NULL }, CFG_ERROR, false, "",
	  false },
	{ "POST=1 alone: methods whole", { "POST=1" }, { NULL }, CFG_RUN, false, "ALL", false },
	{ "DELETE=0: methods split", { "DELETE=0", "POST=1" }, { NULL }, CFG_RUN, false, "ALL", true },
	{ "PUT empty: methods split", { "PUT=" }, { NULL }, CFG_RUN, false, "ALL", true },
	{ "--patch: methods split", { NULL }, { "--patch=1" }, CFG_RUN, false, "ALL", true },
};

static const char *const family_vars[] = {
	"ALLOW_ARCHIVE", "ALLOW_CHANGES", "ALLOW_EXPORT", "ALLOW_LOGS", "ALLOW_TOP", "ALLOW_ATTACH",
	"ALLOW_EXEC", "ALLOW_KILL", "ALLOW_PAUSE", "ALLOW_UNPAUSE", "DELETE", "PUT", "PATCH", "POST",
	"ALLOW_START", "ALLOW_STOP", "ALLOW_RESTARTS",
};

static void test_cfg(void **state)
{
	const struct cfg_row *row = *state;
	for (size_t i = 0; i < N_ROWS(family_vars); i++)
		unsetenv(family_vars[i]);
	for (size_t i = 0; i < N_ROWS(row->env) && row->env[i]; i++)
		putenv((char *)(uintptr_t)row->env[i]);
	char *argv[4] = { "dockgate" };
	int argc = 1;
	for (size_t i = 0; i < N_ROWS(row->argv) && row->argv[i]; i++)
		argv[argc++] = (char *)(uintptr_t)row->argv[i];
	FILE *sink = fopen("/dev/null", "w");
	assert_non_null(sink);
	struct cfg c;
	enum cfg_result r = cfg_load(&c, argc, argv, sink, sink);
	fclose(sink);
	for (size_t i = 0; i < N_ROWS(row->env) && row->env[i]; i++) {
		char name[40];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(row->env[i], "="), row->env[i]);
		unsetenv(name);
	}
	assert_int_equal(r, row->result);
	if (r != CFG_RUN)
		return;
	assert_int_equal(c.gates_set, row->gates_set);
	assert_int_equal(c.policy.methods_split, row->methods_split);
	for (int g = 0; g < POLICY_N_GATES; g++) {
		bool want_open = strcmp(row->open_gates, "ALL") == 0 ||
				 strstr(row->open_gates, policy_gates[g].setting) != NULL;
		if (c.policy.gate_closed[g] == want_open)
			fail_msg("%s is %s", policy_gates[g].setting, want_open ? "closed" : "open");
	}
}

int main(void)
{
	ROWS_ADD_EACH(test_cfg, cfg_rows, "cfg");
	ROWS_ADD_EACH(test_judge, judge_rows, "judge");
	rows_add(test_route_table, NULL, "routes",
		 "every gated route is denied by its gate, every other container route is not");
	rows_add(test_gate_names, NULL, "names", "the eight gates, as upstream spells them");
	rows_add(test_longest_list, NULL, "rules", "the longest list fits (86 rules)");
	return rows_run("gates");
}

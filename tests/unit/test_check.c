/* test_check.c - what `dockgate check` and the startup line say a policy
 * grants (check.h): each row is settings (and maybe a preset), the
 * operations that must and must not be granted, a grant's conditions,
 * and what the one-line summary must hold. Each row is one cmocka test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rows.h"
#include "policy_rows.h"

#include "check.h"
#include "policy.h"
#include "presets.h"
#include "profile.h"
#include "route.h"

struct check_row {
	const char *name;
	const char *settings;
	const char *preset;        /* NULL: the env rule list alone */
	const char *granted[4];    /* "METHOD template", "+" before for the /libpod twin */
	const char *denied[4];
	const char *conditional;   /* a grant of granted[0]'s with these conditions */
	unsigned conditions;
	const char *line_has[3];   /* substrings of the startup line */
	const char *line_lacks[2];
	size_t n_grants;           /* 0: not checked */
};

static struct check_row rows[] = {
	{ "defaults: ping, events, version; nothing to warn of", "", NULL,
	  { "GET /_ping", "HEAD /_ping", "GET /events", "GET /version" },
	  { "GET /containers/json", "GET /info", "+GET /_ping" }, NULL, 0,
	  { "profile env: 4 operations in _ping, events, version; no warnings" }, { "warnings:" },
	  4 },
	{ "CONTAINERS=1: reads, with the data routes named and what closes each", "CONTAINERS=1",
	  NULL, { "GET /containers/json", "GET /containers/{name:.*}/archive" },
	  { "POST /containers/create", "POST /containers/{name:.*}/exec",
	    "GET /containers/{name:.*}/attach/ws" }, NULL, 0,
	  { "archive (files out of containers (docker cp); ALLOW_ARCHIVE=0 or CONTAINERS=0 "
	    "closes it)", "logs (", "export (" },
	  { "container create", "exec (" }, 0 },
	{ "CONTAINERS=1 POST=1: create and update are root-equivalent; exec needs EXEC=1",
	  "CONTAINERS=1 POST=1", NULL, { "POST /containers/create", "PUT /containers/{name:.*}/archive" },
	  { "POST /containers/{name:.*}/exec", "POST /exec/{name:.*}/start" }, NULL, 0,
	  { "container create (root-equivalent", "no body guard); POST=0 or CONTAINERS=0 closes it",
	    "container update (" },
	  { "exec (" }, 0 },
	{ "CONTAINERS=1 POST=1 EXEC=1: exec create and start", "CONTAINERS=1 POST=1 EXEC=1", NULL,
	  { "POST /containers/{name:.*}/exec", "POST /exec/{name:.*}/start" }, { NULL }, NULL, 0,
	  { "exec (root-equivalent: runs any command in any container; ALLOW_EXEC=0 or POST=0 or "
	    "CONTAINERS=0 closes it)", "exec start (" }, { NULL }, 0 },
	{ "a closed gate: no logs, and no warning of them", "CONTAINERS=1 ALLOW_LOGS=0", NULL,
	  { "GET /containers/json" }, { "GET /containers/{name:.*}/logs" }, NULL, 0,
	  { "archive (" }, { "logs (" }, 0 },
	{ "ALLOW_START=1: start only without a body, with its own query, one-segment names",
	  "ALLOW_START=1", NULL, { "POST /containers/{name:.*}/start" },
	  { "POST /containers/{name:.*}/stop", "POST /containers/create" },
	  "POST /containers/{name:.*}/start", CHECK_C_BODY | CHECK_C_QUERY | CHECK_C_NAME,
	  { "5 operations in containers, _ping" }, { NULL }, 5 },
	{ "SECRETS=1: reads, never with showsecret", "SECRETS=1", NULL, { "GET /secrets/{id}" },
	  { "POST /secrets/create" }, "GET /secrets/{id}", CHECK_C_SHOWSECRET,
	  { "secrets (", "SECRETS=0 closes it" }, { NULL }, 0 },
	{ "SECRETS=1 ALLOW_SECRET_VALUES=1: showsecret too, unconditional",
	  "SECRETS=1 ALLOW_SECRET_VALUES=1", NULL, { "GET /secrets/{id}" }, { NULL },
	  "GET /secrets/{id}", 0, { "secrets (" }, { NULL }, 0 },
	{ "LIBPOD=1: the twins, which LIBPOD=0 closes", "LIBPOD=1 CONTAINERS=1", NULL,
	  { "+GET /containers/json", "+GET /_ping", "GET /containers/json" },
	  { "+POST /containers/create" }, NULL, 0,
	  { "/libpod twins in containers" }, { NULL }, 0 },
	{ "PROFILE=ping: the preset's three, closed in a policy file only", "CONTAINERS=0", "ping",
	  { "GET /_ping", "HEAD /_ping", "GET /version" }, { "GET /events" }, NULL, 0,
	  { "profile ping: 3 operations in _ping, version; no warnings" }, { NULL }, 3 },
};

/* The route of "METHOD template" ('+' first: its twin), or a failure. */
static const struct route *route_named(const char *spec, bool *twin)
{
	*twin = spec[0] == '+';
	spec += *twin;
	const char *space = strchr(spec, ' ');
	for (size_t i = 0; i < route_table_len; i++) {
		const char *m = route_method_name(route_table[i].method);
		if (strlen(m) == (size_t)(space - spec) && !strncmp(m, spec, strlen(m)) &&
		    !strcmp(route_table[i].path, space + 1))
			return &route_table[i];
	}
	fail_msg("no route %s in the table", spec);
	return NULL;
}

static const struct check_grant *grant_of(const struct check_report *r, const char *spec)
{
	bool twin;
	const struct route *rt = route_named(spec, &twin);
	for (size_t i = 0; i < r->n_grants; i++)
		if (r->grants[i].route == rt && r->grants[i].libpod == twin)
			return &r->grants[i];
	return NULL;
}

static void test_report(void **state)
{
	const struct check_row *row = *state;
	struct policy *env = policy_rows_compile(row->settings);
	struct profile *p = NULL;
	if (row->preset != NULL) {
		p = profile_from_preset(preset_find(row->preset), env, NULL);
		assert_non_null(p);
	}
	struct check_report r;
	assert_int_equal(check_report_build(&r, p, env), 0);
	for (size_t i = 0; i < 4 && row->granted[i]; i++)
		if (grant_of(&r, row->granted[i]) == NULL)
			fail_msg("%s is not granted", row->granted[i]);
	for (size_t i = 0; i < 4 && row->denied[i]; i++)
		if (grant_of(&r, row->denied[i]) != NULL)
			fail_msg("%s is granted", row->denied[i]);
	if (row->conditional != NULL)
		assert_int_equal(grant_of(&r, row->conditional)->conditions, row->conditions);
	if (row->n_grants)
		assert_int_equal(r.n_grants, row->n_grants);
	char line[2048];
	check_report_line(&r, line, sizeof line);
	for (size_t i = 0; i < 3 && row->line_has[i]; i++)
		if (strstr(line, row->line_has[i]) == NULL)
			fail_msg("'%s' not in: %s", row->line_has[i], line);
	for (size_t i = 0; i < 2 && row->line_lacks[i]; i++)
		if (strstr(line, row->line_lacks[i]) != NULL)
			fail_msg("'%s' in: %s", row->line_lacks[i], line);
	check_report_free(&r);
	profile_free(p);
	policy_free(env);
}

/* What the report says closes a grant. */
struct closer_row {
	const char *name;
	const char *settings;
	const char *preset;  /* NULL: the env rule list alone */
	const char *grant;   /* as check_row's granted[] */
	const char *because; /* NULL: not checked */
	const char *closer;  /* the whole closer */
};

static struct closer_row closer_rows[] = {
	{ "a preset's grant: in a policy file, never by a setting", "", "ping", "GET /_ping",
	  "preset ping", "denying it in a policy file profile (preset ping allows it)" },
	{ "a /libpod twin's: LIBPOD=0 as well as what closes its route",
	  "LIBPOD=1 CONTAINERS=1", NULL, "+GET /containers/{name:.*}/logs", NULL,
	  "ALLOW_LOGS=0 or CONTAINERS=0 or LIBPOD=0" },
};

static void test_closer(void **state)
{
	const struct closer_row *row = *state;
	struct policy *env = policy_rows_compile(row->settings);
	struct profile *p = row->preset ? profile_from_preset(preset_find(row->preset), env, NULL)
					: NULL;
	struct check_report r;
	assert_int_equal(check_report_build(&r, p, env), 0);
	const struct check_grant *g = grant_of(&r, row->grant);
	assert_non_null(g);
	if (row->because != NULL)
		assert_string_equal(g->because, row->because);
	assert_string_equal(g->closer, row->closer);
	check_report_free(&r);
	profile_free(p);
	policy_free(env);
}

/* Every operation of the risk table is one the route table holds, so no
 * warning is lost to a misspelt name. */
static void test_risks_name_routes(void **state)
{
	(void)state;
	static const char *const risky[] = {
		"ContainerCreate", "ContainerUpdate", "ContainerExec", "ExecStart", "ImageBuild",
		"PluginPull", "ServiceCreate", "Session", "Grpc", "ImageCommit", "ContainerArchive",
		"PutContainerArchive", "ContainerExport", "ContainerLogs", "ContainerAttach",
		"ContainerTop", "ContainerChanges", "SecretInspect", "ConfigInspect",
	};
	for (size_t i = 0; i < N_ROWS(risky); i++) {
		const struct route *found = NULL;
		for (size_t k = 0; k < route_table_len && !found; k++)
			if (!strcmp(route_table[k].operation, risky[i]))
				found = &route_table[k];
		if (found == NULL || check_risk_of(found) == NULL)
			fail_msg("%s: no route, or no risk", risky[i]);
	}
	size_t with_risk = 0;
	for (size_t k = 0; k < route_table_len; k++)
		with_risk += check_risk_of(&route_table[k]) != NULL;
	assert_true(with_risk >= N_ROWS(risky));
}

int main(void)
{
	ROWS_ADD_EACH(test_report, rows, "report");
	ROWS_ADD_EACH(test_closer, closer_rows, "closer");
	rows_add(test_risks_name_routes, NULL, "risks", "every risk names a route");
	return rows_run("check");
}

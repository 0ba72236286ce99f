/* test_profile.c - profiles (profile.h): decisions per route and twin,
 * rules and sections, presets widened by the settings, and
 * profile_judge() over every route a request may reach
 * (route_resolve_all(), whose rows are here too: what a profile judges).
 * Each row is one cmocka test. */
#include <errno.h>
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

#include "path.h"
#include "policy.h"
#include "presets.h"
#include "profile.h"
#include "route.h"

/* The route whose method and template are these (the table holds each
 * pair once). */
static const struct route *route_of(const char *method, const char *path)
{
	for (size_t i = 0; i < route_table_len; i++)
		if (strcmp(route_method_name(route_table[i].method), method) == 0 &&
		    strcmp(route_table[i].path, path) == 0)
			return &route_table[i];
	fail_msg("no route %s %s in the table", method, path);
	return NULL;
}

/* A request as conn_request.c makes one: checked target, routes
 * resolved once. The caller's storage holds what the request points at. */
struct request {
	char scratch[512];
	struct path_info path;
	struct route_candidates routes;
	struct policy_request rq;
};

static void make_request(struct request *r, const char *method, const char *target,
			 bool has_body)
{
	struct span t = { target, strlen(target) };
	if (path_check(t, r->scratch, sizeof r->scratch, &r->path) == -1)
		fail_msg("%s: %s", target, r->path.error);
	struct span m = { method, strlen(method) };
	route_resolve_all(route_method_of(m), r->path.path, &r->routes);
	r->rq = (struct policy_request){
		.method = m,
		.path = &r->path,
		.has_body = has_body,
		.route = r->routes.newest.route,
		.libpod = r->routes.newest.libpod,
		.routes = &r->routes,
	};
}

/* ==== Which routes a request may reach ==== */

struct resolve_row {
	const char *name, *method;
	struct bytes path;
	/* "METHOD TEMPLATE" of each candidate, ", "-separated, a twin
	 * marked " (libpod)"; "" for none */
	const char *candidates;
	bool unrouted, unknown;
};

static struct resolve_row resolve_rows[] = {
	/* First match, as the daemon's router. */
	{ "the list before a container named json", "GET", B("/containers/json"),
	  "GET /containers/json", false, false },
	{ "a container named json", "GET", B("/containers/json/json"),
	  "GET /containers/{name:.*}/json", false, false },
	{ "a name spanning /", "GET", B("/containers/a/b/json"),
	  "GET /containers/{name:.*}/json", false, false },
	{ "an image name with / and a tag", "GET", B("/v1.41/images/ghcr.io/org/app:1/json"),
	  "GET /images/{name:.*}/json", false, false },
	{ "a version prefix", "GET", B("/v1.41/_ping"), "GET /_ping", false, false },
	{ "an odd version prefix is one", "GET", B("/v1..2/version"), "GET /version", false, false },
	{ "a prefix in upper case is none", "GET", B("/V1.41/_ping"), "", true, false },
	{ "a method in lower case is none", "get", B("/_ping"), "", true, false },
	/* Across versions. */
	{ "HEAD ping only since API 1.40", "HEAD", B("/_ping"), "HEAD /_ping", true, false },
	{ "the checkpoint route first, the container's at API 1.24", "DELETE",
	  B("/containers/abc/checkpoints/c1"),
	  "DELETE /containers/{name}/checkpoints/{checkpoint}, DELETE /containers/{name:.*}",
	  false, false },
	{ "a service id spanning / only at API 1.24", "GET", B("/services/a/b"),
	  "GET /services/{id:.*}", true, false },
	{ "/networks/ was an inspect at API 1.24", "GET", B("/networks/"),
	  "GET /networks/{id:.*}, GET /networks/", false, false },
	{ "pprof heap: three routes over time", "GET", B("/debug/pprof/heap"),
	  "* /debug/pprof/heap, * /debug/pprof/{name}, GET /debug/pprof/{name}", false, false },
	{ "versioned debug only since API 1.48", "GET", B("/v1.41/debug/pprof/heap"),
	  "GET /debug/pprof/{name}", true, false },
	{ "copy until API 1.44", "POST", B("/containers/abc/copy"),
	  "POST /containers/{name:.*}/copy", true, false },
	{ "a path no daemon routes", "GET", B("/containers/abc"), "", true, false },
	/* Podman's twins. */
	{ "a libpod twin", "GET", B("/v4.0.0/libpod/containers/json"),
	  "GET /containers/json (libpod)", true, false },
	{ "unversioned libpod is taken as a twin too", "POST", B("/libpod/exec/abc/start"),
	  "POST /exec/{name:.*}/start (libpod)", true, false },
	{ "libpod container names are one segment", "GET", B("/v4.0.0/libpod/containers/a/b/json"),
	  "", true, true },
	{ "libpod image names span /", "DELETE",
	  B("/v4.0.0/libpod/images/docker.io/library/alpine"),
	  "DELETE /images/{name:.*} (libpod)", true, false },
	{ "Podman's batch remove comes before the image delete", "DELETE",
	  B("/v4.0.0/libpod/images/remove"), "", true, true },
	{ "Podman's network list comes before the inspect", "GET",
	  B("/v4.0.0/libpod/networks/json"), "", true, true },
	{ "a libpod-only route is unknown", "GET", B("/v4.0.0/libpod/pods/json"), "", true, true },
	{ "libpod alone is unknown", "GET", B("/v4.0.0/libpod"), "", true, true },
	{ "Docker's OPTIONS takes a libpod path", "OPTIONS", B("/v4.0.0/libpod/x"),
	  "OPTIONS /{anyroute:.*}", false, true },
	/* Paths the router redirects (path_check refuses them first). */
	{ "an empty segment", "GET", B("/containers//json"), "", true, false },
	{ "a dot segment", "GET", B("/containers/./json"), "", true, false },
	{ "a trailing dot-dot", "GET", B("/containers/a/.."), "", true, false },
};

static void test_resolve(void **state)
{
	const struct resolve_row *row = *state;
	struct span m = { row->method, strlen(row->method) };
	struct span p = { row->path.p, row->path.n };
	struct route_candidates c;
	route_resolve_all(route_method_of(m), p, &c);
	char got[400] = "";
	size_t used = 0;
	for (unsigned i = 0; i < c.n; i++)
		used += (size_t)snprintf(got + used, sizeof got - used, "%s%s %s%s", i ? ", " : "",
					 route_method_name(c.hit[i].route->method),
					 c.hit[i].route->path, c.hit[i].libpod ? " (libpod)" : "");
	assert_string_equal(got, row->candidates);
	if (c.unrouted != row->unrouted || c.unknown != row->unknown)
		fail_msg("unrouted %d unknown %d, expected %d %d", c.unrouted, c.unknown,
			 row->unrouted, row->unknown);
}

/* ==== Decisions ==== */

static void test_set_get(void **state)
{
	(void)state;
	struct profile *p = profile_new("t", NULL, false);
	assert_non_null(p);
	assert_string_equal(profile_name(p), "t");
	const struct route *list = route_of("GET", "/containers/json");
	const struct route *volumes = route_of("GET", "/volumes");
	const char *origin = "x";
	assert_int_equal(profile_get(p, list, false, &origin), PROFILE_DENY);
	assert_null(origin);
	assert_int_equal(profile_set(p, list, false, PROFILE_ALLOW, "policy.yml:3:7"), 0);
	assert_int_equal(profile_get(p, list, false, &origin), PROFILE_ALLOW);
	assert_string_equal(origin, "policy.yml:3:7");
	assert_int_equal(profile_get(p, list, true, NULL), PROFILE_DENY); /* the twin is apart */
	assert_int_equal(profile_set(p, list, true, PROFILE_BY_ENV, NULL), 0);
	assert_int_equal(profile_get(p, list, true, &origin), PROFILE_BY_ENV);
	assert_null(origin);
	/* GET /volumes has no twin; a route must be the table's. */
	errno = 0;
	assert_int_equal(profile_set(p, volumes, true, PROFILE_ALLOW, NULL), -1);
	assert_int_equal(errno, EINVAL);
	struct route copy = *list;
	errno = 0;
	assert_int_equal(profile_set(p, &copy, false, PROFILE_ALLOW, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(profile_set(p, list, false, (enum profile_decision)7, NULL), -1);
	/* An origin is cut, never overflowed. */
	char longer[PROFILE_ORIGIN_MAX * 2];
	memset(longer, 'o', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	assert_int_equal(profile_set(p, volumes, false, PROFILE_DENY, longer), 0);
	profile_get(p, volumes, false, &origin);
	assert_int_equal(strlen(origin), PROFILE_ORIGIN_MAX - 1);
	profile_free(p);
	profile_free(NULL);
}

static void test_inherit(void **state)
{
	(void)state;
	struct profile *parent = profile_new("parent", NULL, true);
	struct profile *child = profile_new("child", NULL, false);
	assert_non_null(parent);
	assert_non_null(child);
	const struct route *list = route_of("GET", "/containers/json");
	const struct route *logs = route_of("GET", "/containers/{name:.*}/logs");
	assert_int_equal(profile_set(parent, list, false, PROFILE_ALLOW, "p.yml:1:1"), 0);
	assert_int_equal(profile_set(parent, logs, false, PROFILE_DENY, "p.yml:2:1"), 0);
	assert_int_equal(profile_set(child, logs, false, PROFILE_ALLOW, "before"), 0);
	profile_inherit(child, parent);
	const char *origin;
	assert_int_equal(profile_get(child, list, false, &origin), PROFILE_ALLOW);
	assert_string_equal(origin, "p.yml:1:1");
	/* extends starts from the parent: what the child set before is gone */
	assert_int_equal(profile_get(child, logs, false, &origin), PROFILE_DENY);
	assert_string_equal(origin, "p.yml:2:1");
	/* a child may re-allow what its parent denied, and the parent keeps it */
	assert_int_equal(profile_set(child, logs, false, PROFILE_ALLOW, "c.yml:5:3"), 0);
	assert_int_equal(profile_get(parent, logs, false, NULL), PROFILE_DENY);
	assert_int_equal(profile_get(child, logs, false, NULL), PROFILE_ALLOW);
	/* unrouted_by_env comes along: an unrouted request goes to env, none
	 * here, so it is denied for that reason */
	struct request r;
	make_request(&r, "GET", "/nope", false);
	struct policy_verdict v;
	profile_judge(child, &r.rq, &v);
	assert_false(v.allow);
	assert_non_null(strstr(v.message, "defers to the settings"));
	profile_free(child);
	profile_free(parent);
}

/* ==== Rules and sections ==== */

struct rule_row {
	const char *name, *rule;
	bool libpod;
	int slots; /* profile_apply_rule's count */
	const char *method, *path; /* one route it must set, or NULL */
};

static struct rule_row rule_rows[] = {
	{ "an operation", "ContainerList", false, 1, "GET", "/containers/json" },
	{ "an operation with its twin", "ContainerList", true, 2, "GET", "/containers/json" },
	{ "no twin to set", "VolumeList", true, 1, "GET", "/volumes" },
	{ "an operation of two templates", "ServiceInspect", false, 2, "GET", "/services/{id}" },
	{ "a template, variables named freely", "GET /containers/{id}/json", false, 1,
	  "GET", "/containers/{name:.*}/json" },
	{ "a template matches both old and new forms", "GET /services/{x}", false, 2,
	  "GET", "/services/{id:.*}" },
	{ "every method of a template", "* /containers/{id}/archive", false, 3,
	  "PUT", "/containers/{name:.*}/archive" },
	{ "the debug routes of every method", "* /debug/vars", false, 2, "*", "/debug/vars" },
	{ "GET names no route of every method", "GET /debug/vars", false, 1,
	  "GET", "/debug/vars" },
	{ "an unknown operation", "ContainerTeleport", false, 0, NULL, NULL },
	{ "operation names are exact", "containerlist", false, 0, NULL, NULL },
	{ "a template no route has", "GET /containers/{id}/secrets", false, 0, NULL, NULL },
	{ "a method in lower case", "get /_ping", false, 0, NULL, NULL },
	{ "a method no route has", "PATCH /_ping", false, 0, NULL, NULL },
	{ "a literal is no variable", "GET /containers/{id}", false, 0, NULL, NULL },
	{ "a variable is no literal", "GET /containers/{id}/{x}", false, 0, NULL, NULL },
	{ "two spaces", "GET  /_ping", false, 0, NULL, NULL },
};

static void test_rule(void **state)
{
	const struct rule_row *row = *state;
	struct profile *p = profile_new("t", NULL, false);
	assert_non_null(p);
	assert_int_equal(profile_apply_rule(p, row->rule, row->libpod, PROFILE_ALLOW, "o"),
			 row->slots);
	if (row->method != NULL) {
		const struct route *r = route_of(row->method, row->path);
		assert_int_equal(profile_get(p, r, false, NULL), PROFILE_ALLOW);
		if (row->libpod && (r->flags & ROUTE_F_LIBPOD))
			assert_int_equal(profile_get(p, r, true, NULL), PROFILE_ALLOW);
	}
	/* deny after allow: the later decision stands */
	if (row->slots > 0) {
		assert_int_equal(profile_apply_rule(p, row->rule, row->libpod, PROFILE_DENY, "d"),
				 row->slots);
		const char *origin;
		const struct route *r = route_of(row->method, row->path);
		assert_int_equal(profile_get(p, r, false, &origin), PROFILE_DENY);
		assert_string_equal(origin, "d");
	}
	profile_free(p);
}

static void test_section(void **state)
{
	(void)state;
	struct profile *p = profile_new("t", NULL, false);
	assert_non_null(p);
	unsigned reads = (1u << ROUTE_GET) | (1u << ROUTE_HEAD);
	/* /networks, /networks/{id:.*}, /networks/, /networks/{id:.+}; two
	 * of them with twins */
	assert_int_equal(profile_apply_section(p, "networks", reads, false, PROFILE_ALLOW, "s"), 4);
	assert_int_equal(profile_apply_section(p, "networks", reads, true, PROFILE_ALLOW, "s"), 6);
	assert_int_equal(profile_get(p, route_of("POST", "/networks/create"), false, NULL),
			 PROFILE_DENY);
	assert_int_equal(profile_get(p, route_of("GET", "/networks/{id:.+}"), true, NULL),
			 PROFILE_ALLOW);
	assert_int_equal(profile_apply_section(p, "networks", 1u << ROUTE_POST, false,
					       PROFILE_ALLOW, "s"), 4);
	assert_int_equal(profile_apply_section(p, "nosuch", reads, false, PROFILE_ALLOW, "s"), 0);
	/* OPTIONS /{anyroute:.*} is in no section */
	assert_int_equal(profile_apply_section(p, "", 1u << ROUTE_OPTIONS, false,
					       PROFILE_ALLOW, "s"), 1);
	profile_free(p);
}

/* ==== Judging ==== */

struct judge_row {
	const char *name;
	const char *method, *target;
	bool has_body;
	bool allow;
	const char *message; /* the whole 403 message, or NULL on allow */
	const char *because; /* on allow, or NULL */
};

/* Judged by profile "ci": preset ping's routes, ContainerList and the
 * twin of SystemPing allowed, ContainerLogs denied by a policy file line,
 * ContainerCreate and the image routes BY_ENV over CONTAINERS=1 POST=0;
 * not env-based. */
static struct judge_row judge_rows[] = {
	{ "an allowed operation", "GET", "/v1.41/_ping", false, true, NULL, "ci" },
	{ "HEAD ping: older daemons 404, which grants nothing", "HEAD", "/_ping", false, true,
	  NULL, "ci" },
	{ "a route nothing allowed", "GET", "/v1.41/containers/x/archive", false, false,
	  "dockgate: GET /v1.41/containers/x/archive is denied: ContainerArchive is not allowed "
	  "by profile ci (preset ping; allow it in a policy file profile that extends ping)",
	  NULL },
	{ "a route a rule denied", "GET", "/containers/x/logs", false, false,
	  "dockgate: GET /containers/x/logs is denied: ContainerLogs is denied by profile ci "
	  "(policy.yml:14:9)", NULL },
	{ "the twin of an allowed route", "GET", "/v4.0.0/libpod/_ping", false, true, NULL, "ci" },
	{ "the twin of a route allowed without its twin", "GET", "/v4.0.0/libpod/containers/json",
	  false, false,
	  "dockgate: GET /v4.0.0/libpod/containers/json is denied: ContainerList (its /libpod "
	  "twin) is not allowed by profile ci (preset ping; allow it in a policy file profile "
	  "that extends ping)", NULL },
	{ "no such operation", "GET", "/v1.41/containers/x", false, false,
	  "dockgate: GET /v1.41/containers/x is denied: it is no operation of the Engine API, "
	  "and profile ci allows operations only", NULL },
	{ "an operation of Podman's own", "GET", "/v4.0.0/libpod/pods/json", false, false,
	  "dockgate: GET /v4.0.0/libpod/pods/json is denied: it may reach an operation of "
	  "Podman's own API that profile ci does not name", NULL },
	{ "BY_ENV: the settings allow it", "GET", "/images/a/b/json", false, true, NULL,
	  "IMAGES" },
	{ "BY_ENV: the settings deny it, and say why", "POST", "/v1.41/containers/create", true,
	  false, "dockgate: POST /v1.41/containers/create is denied (set POST=1)", NULL },
	{ "every version's route must be allowed", "GET", "/networks/", false, false,
	  "dockgate: GET /networks/ is denied: NetworkInspect is not allowed by profile ci "
	  "(preset ping; allow it in a policy file profile that extends ping)", NULL },
	{ "every version's route allowed", "GET", "/networks", false, true, NULL, "ci" },
	{ "the oldest API version the table describes", "GET", "/v1.24/_ping", false, true, NULL,
	  "ci" },
	{ "an allowed operation at an older API version", "GET", "/v1.23/_ping", false, false,
	  "dockgate: GET /v1.23/_ping is denied: profile ci judges API versions from 1.24 on "
	  "(API 1.23 asks for older behaviour)", NULL },
	{ "an older API version, compared part by part", "GET", "/v0.9999/_ping", false, false,
	  "dockgate: GET /v0.9999/_ping is denied: profile ci judges API versions from 1.24 on "
	  "(API 0.9999 asks for older behaviour)", NULL },
	{ "a newer major version", "GET", "/v2.0/_ping", false, true, NULL, "ci" },
	{ "a three-part version", "GET", "/v1.41.0/_ping", false, true, NULL, "ci" },
};

static struct policy *judge_env;
static struct profile *judge_profile;

static int judge_setup(void **state)
{
	(void)state;
	judge_env = policy_rows_compile("CONTAINERS=1 IMAGES=1");
	const char *bad = NULL;
	const struct preset *ping = preset_find("ping");
	assert_non_null(ping);
	struct profile *base = profile_from_preset(ping, judge_env, &bad);
	assert_non_null(base);
	judge_profile = profile_new("ci", NULL, false);
	assert_non_null(judge_profile);
	profile_inherit(judge_profile, base);
	profile_free(base);
	assert_int_equal(profile_apply_rule(judge_profile, "ContainerList", false, PROFILE_ALLOW,
					    "policy.yml:12:9"), 1);
	assert_int_equal(profile_apply_rule(judge_profile, "NetworkList", false, PROFILE_ALLOW,
					    "policy.yml:13:9"), 2);
	assert_int_equal(profile_apply_rule(judge_profile, "SystemPing", true, PROFILE_ALLOW,
					    "policy.yml:13:9"), 2);
	assert_int_equal(profile_apply_rule(judge_profile, "ContainerLogs", true, PROFILE_DENY,
					    "policy.yml:14:9"), 2);
	assert_int_equal(profile_apply_rule(judge_profile, "ContainerCreate", false, PROFILE_BY_ENV,
					    "CONTAINERS=1"), 1);
	assert_true(profile_apply_section(judge_profile, "images", (1u << ROUTE_GET), false,
					  PROFILE_BY_ENV, "IMAGES=1") > 5);
	return 0;
}

static int judge_teardown(void **state)
{
	(void)state;
	profile_free(judge_profile);
	policy_free(judge_env);
	return 0;
}

static void test_judge(void **state)
{
	const struct judge_row *row = *state;
	if (judge_profile == NULL)
		judge_setup(NULL);
	struct request r;
	make_request(&r, row->method, row->target, row->has_body);
	struct policy_verdict v;
	memset(&v, 'x', sizeof v);
	profile_judge(judge_profile, &r.rq, &v);
	if (v.allow != row->allow)
		fail_msg("allow %d, expected %d: %s", v.allow, row->allow, v.message);
	if (row->message != NULL)
		assert_string_equal(v.message, row->message);
	if (row->because != NULL) {
		assert_non_null(v.because);
		assert_string_equal(v.because, row->because);
	}
}

/* Without the candidates, rq->route alone is judged. */
static void test_judge_route_only(void **state)
{
	(void)state;
	struct profile *p = profile_new("solo", NULL, false);
	assert_non_null(p);
	assert_int_equal(profile_apply_rule(p, "SystemPing", false, PROFILE_ALLOW, NULL), 1);
	struct request r;
	make_request(&r, "GET", "/_ping", false);
	r.rq.routes = NULL;
	struct policy_verdict v;
	profile_judge(p, &r.rq, &v);
	assert_true(v.allow);
	r.rq.route = NULL;
	profile_judge(p, &r.rq, &v);
	assert_false(v.allow);
	assert_non_null(strstr(v.message, "no operation"));
	profile_free(p);
}

/* An env-based profile hands what no route takes to the env rule list,
 * as the rule list alone would judge it. */
static void test_unrouted_by_env(void **state)
{
	(void)state;
	struct policy *env = policy_rows_compile("CONTAINERS=1");
	struct profile *p = profile_new("env", env, true);
	assert_non_null(p);
	assert_true(profile_apply_section(p, "containers", ~0u, true, PROFILE_BY_ENV, "env") > 20);
	static const char *const targets[] = { "/containers/x", "/containers/json", "/nope",
					       "/v4.0.0/libpod/containers/json" };
	for (size_t i = 0; i < N_ROWS(targets); i++) {
		struct request r;
		make_request(&r, "GET", targets[i], false);
		struct policy_verdict by_profile, by_env;
		profile_judge(p, &r.rq, &by_profile);
		policy_judge(env, &r.rq, &by_env);
		if (by_profile.allow != by_env.allow || strcmp(by_profile.message, by_env.message))
			fail_msg("%s: profile %d '%s', env %d '%s'", targets[i], by_profile.allow,
				 by_profile.message, by_env.allow, by_env.message);
	}
	profile_free(p);
	policy_free(env);
}

/* ==== PROFILE=<preset> with the settings ==== */

struct widen_row {
	const char *name, *settings;
	const char *summary; /* what profile_widen says, exactly */
	const char *method, *target;
	bool has_body, allow;
};

static struct widen_row widen_rows[] = {
	{ "the defaults add nothing", "", "", "GET", "/events", false, false },
	{ "the preset's own routes", "", "", "HEAD", "/_ping", false, true },
	{ "a section widens it", "CONTAINERS=1", "CONTAINERS=1 on 30 routes",
	  "GET", "/containers/a/b/json", false, true },
	{ "read-only as in env mode", "CONTAINERS=1", "CONTAINERS=1 on 30 routes",
	  "POST", "/containers/x/kill", false, false },
	{ "with POST, writes too", "CONTAINERS=1 POST=1",
	  "CONTAINERS=1 on 30 routes, POST=1 on 1 route",
	  "POST", "/containers/x/kill", false, true },
	{ "a lifecycle switch", "ALLOW_START=1", "ALLOW_START=1 on 1 route",
	  "POST", "/containers/x/start", false, true },
	{ "a lifecycle switch keeps its conditions", "ALLOW_START=1", "ALLOW_START=1 on 1 route",
	  "POST", "/containers/x/start", true, false },
	{ "LIBPOD widens the twins of what is open", "LIBPOD=1 CONTAINERS=1",
	  "CONTAINERS=1 on 55 routes, LIBPOD=1 on 4 routes",
	  "GET", "/v4.0.0/libpod/containers/json", false, true },
	{ "a closed section stays closed", "CONTAINERS=1", "CONTAINERS=1 on 30 routes",
	  "GET", "/images/json", false, false },
};

static void test_widen(void **state)
{
	const struct widen_row *row = *state;
	struct policy *env = policy_rows_compile(row->settings);
	struct policy *base = policy_rows_compile("");
	struct profile *p = profile_from_preset(preset_find("ping"), env, NULL);
	assert_non_null(p);
	char summary[512];
	int n = profile_widen(p, base, summary, sizeof summary);
	assert_true(n >= 0);
	assert_string_equal(summary, row->summary);
	assert_int_equal(n == 0, row->summary[0] == '\0');
	struct request r;
	make_request(&r, row->method, row->target, row->has_body);
	struct policy_verdict v;
	profile_judge(p, &r.rq, &v);
	if (v.allow != row->allow)
		fail_msg("allow %d, expected %d: %s", v.allow, row->allow, v.message);
	profile_free(p);
	policy_free(base);
	policy_free(env);
}

/* What a closed gate would deny that a preset allows: the startup log
 * says it, since settings never narrow a profile. */
static void test_gate_ignored(void **state)
{
	(void)state;
	struct policy *env = policy_rows_compile("CONTAINERS=1");
	const struct preset *dozzle = preset_find("dozzle"), *traefik = preset_find("traefik");
	assert_non_null(dozzle);
	assert_non_null(traefik);
	struct profile *d = profile_from_preset(dozzle, env, NULL);
	struct profile *t = profile_from_preset(traefik, env, NULL);
	assert_non_null(d);
	assert_non_null(t);
	char ops[128];
	assert_int_equal(profile_gate_ignored(d, POLICY_GATE_LOGS, ops, sizeof ops), 1);
	assert_string_equal(ops, "ContainerLogs");
	assert_int_equal(profile_gate_ignored(d, POLICY_GATE_EXEC, ops, sizeof ops), 0);
	assert_string_equal(ops, "");
	assert_int_equal(profile_gate_ignored(t, POLICY_GATE_LOGS, ops, sizeof ops), 0);
	/* The attach gate closes the hijack and the WebSocket. */
	assert_int_equal(profile_apply_rule(t, "ContainerAttachWebsocket", false, PROFILE_ALLOW,
					    "policy.yml:1:1"), 1);
	assert_int_equal(profile_apply_rule(t, "ContainerAttach", false, PROFILE_ALLOW,
					    "policy.yml:1:1"), 1);
	assert_int_equal(profile_gate_ignored(t, POLICY_GATE_ATTACH, ops, sizeof ops), 2);
	assert_string_equal(ops, "ContainerAttachWebsocket, ContainerAttach");
	/* Cut to the room given, still counted. */
	assert_int_equal(profile_gate_ignored(t, POLICY_GATE_ATTACH, ops, 10), 2);
	assert_string_equal(ops, "Container");
	profile_free(d);
	profile_free(t);
	policy_free(env);
}

/* Every preset compiles: each rule names a route. */
static void test_presets_compile(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_presets; i++) {
		const char *bad = NULL;
		struct profile *p = profile_from_preset(&presets[i], NULL, &bad);
		if (p == NULL)
			fail_msg("preset %s: rule '%s' names no route", presets[i].name,
				 bad ? bad : "?");
		assert_string_equal(profile_name(p), presets[i].name);
		profile_free(p);
	}
	static const char *const nothing[] = { "SystemPing", "NoSuchOperation", NULL };
	struct preset broken = { "broken", "a test", "a test", nothing };
	const char *bad = NULL;
	errno = 0;
	assert_null(profile_from_preset(&broken, NULL, &bad));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(bad, "NoSuchOperation");
}

int main(void)
{
	ROWS_ADD_EACH(test_resolve, resolve_rows, "resolve");
	rows_add(test_set_get, NULL, "decisions", "set and get, per route and twin");
	rows_add(test_inherit, NULL, "decisions", "inherit: extends");
	ROWS_ADD_EACH(test_rule, rule_rows, "rule");
	rows_add(test_section, NULL, "section", "sections by method, twins, OPTIONS");
	ROWS_ADD_EACH(test_judge, judge_rows, "judge");
	rows_add(test_judge_route_only, NULL, "judge", "rq->route alone");
	rows_add(test_unrouted_by_env, NULL, "judge", "an env-based profile is the env rule list");
	ROWS_ADD_EACH(test_widen, widen_rows, "widen");
	rows_add(test_presets_compile, NULL, "presets", "every preset compiles");
	rows_add(test_gate_ignored, NULL, "gates", "what a closed gate would deny that a preset allows");
	int rc = rows_run("profile");
	judge_teardown(NULL);
	return rc;
}

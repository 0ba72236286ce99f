/* test_routes.c - the route table and route_resolve_at(): a request must
 * reach the one route dockerd's gorilla/mux router would run for it, at
 * the daemon's API version, or none. Each row is one cmocka test; the
 * "table" tests walk every route. */
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

#include "candidates_ref.h"
#include "path.h"
#include "route.h"

#define NEWEST ROUTE_API_NEWEST
#define API ROUTE_API

/* ==== Requests and the route they reach ==== */

struct resolve_row {
	const char *name;
	const char *method;
	struct bytes path;
	unsigned api;            /* the daemon's API version */
	const char *operation;   /* expected; NULL: no route (404 or 301) */
	const char *template;    /* expected template, to tell twins apart */
};

static struct resolve_row resolve_rows[] = {
	/* First match: a literal registered before a template that could
	 * not match it anyway, and a name that happens to be "json". */
	{ "container list", "GET", B("/containers/json"), NEWEST,
	  "ContainerList", "/containers/json" },
	{ "a container named json is inspected", "GET", B("/containers/json/json"), NEWEST,
	  "ContainerInspect", "/containers/{name:.*}/json" },
	{ "versioned inspect", "GET", B("/v1.41/containers/abc/json"), NEWEST,
	  "ContainerInspect", "/containers/{name:.*}/json" },
	{ "container create is a literal", "POST", B("/containers/create"), NEWEST,
	  "ContainerCreate", "/containers/create" },
	{ "container prune is a literal", "POST", B("/containers/prune"), NEWEST,
	  "ContainerPrune", "/containers/prune" },
	{ "DELETE of a container named prune", "DELETE", B("/containers/prune"), NEWEST,
	  "ContainerDelete", "/containers/{name:.*}" },

	/* Names that span '/': a legacy link name, image references. */
	{ "a link name reaches attach/ws", "GET", B("/containers/webx/db/attach/ws"), NEWEST,
	  "ContainerAttachWebsocket", "/containers/{name:.*}/attach/ws" },
	{ "a two-segment name reaches attach", "POST", B("/containers/a/b/attach"), NEWEST,
	  "ContainerAttach", "/containers/{name:.*}/attach" },
	{ "attach of a container named attach", "POST", B("/containers/attach/attach"), NEWEST,
	  "ContainerAttach", "/containers/{name:.*}/attach" },
	{ "exec start", "POST", B("/exec/abc/start"), NEWEST,
	  "ExecStart", "/exec/{name:.*}/start" },
	{ "exec inspect", "GET", B("/exec/a/b/json"), NEWEST,
	  "ExecInspect", "/exec/{id:.*}/json" },
	{ "image with registry and path", "GET", B("/images/ghcr.io/org/app/json"), NEWEST,
	  "ImageInspect", "/images/{name:.*}/json" },
	{ "image with a tag", "GET", B("/images/ghcr.io/org/app:1.0/history"), NEWEST,
	  "ImageHistory", "/images/{name:.*}/history" },
	{ "image with a digest", "POST", B("/images/reg:5000/a/b@sha256:00/push"), NEWEST,
	  "ImagePush", "/images/{name:.*}/push" },
	{ "export all images", "GET", B("/images/get"), NEWEST,
	  "ImageGetAll", "/images/get" },
	{ "export one image", "GET", B("/images/a/b/get"), NEWEST,
	  "ImageGet", "/images/{name:.*}/get" },
	{ "an image named json is inspected", "GET", B("/images/json/json"), NEWEST,
	  "ImageInspect", "/images/{name:.*}/json" },
	{ "DELETE takes every deeper image path", "DELETE", B("/images/a/b/json"), NEWEST,
	  "ImageDelete", "/images/{name:.*}" },
	{ "a volume name with /", "GET", B("/volumes/a/b"), NEWEST,
	  "VolumeInspect", "/volumes/{name:.*}" },
	{ "plugin privileges is a literal", "GET", B("/plugins/privileges"), NEWEST,
	  "GetPluginPrivileges", "/plugins/privileges" },
	{ "plugin inspect", "GET", B("/plugins/vieux/sshfs:latest/json"), NEWEST,
	  "PluginInspect", "/plugins/{name:.*}/json" },
	{ "distribution inspect", "GET", B("/distribution/docker.io/library/alpine/json"), NEWEST,
	  "DistributionInspect", "/distribution/{name:.*}/json" },

	/* The checkpoint router comes first and claims its DELETE. */
	{ "checkpoint delete", "DELETE", B("/containers/abc/checkpoints/c1"), NEWEST,
	  "CheckpointDelete", "/containers/{name}/checkpoints/{checkpoint}" },
	{ "a checkpoint id is one segment", "DELETE", B("/containers/abc/checkpoints/c1/x"), NEWEST,
	  "ContainerDelete", "/containers/{name:.*}" },
	{ "a checkpoint's container name is one segment", "DELETE",
	  B("/containers/a/b/checkpoints/c1"), NEWEST, "ContainerDelete", "/containers/{name:.*}" },
	{ "checkpoint list spans /", "GET", B("/containers/a/b/checkpoints"), NEWEST,
	  "CheckpointList", "/containers/{name:.*}/checkpoints" },
	{ "no checkpoints at API 1.24", "DELETE", B("/containers/abc/checkpoints/c1"), API(1, 24),
	  "ContainerDelete", "/containers/{name:.*}" },

	/* Methods: exact, HEAD only where registered. */
	{ "archive stat is HEAD", "HEAD", B("/containers/abc/archive"), NEWEST,
	  "ContainerArchiveInfo", "/containers/{name:.*}/archive" },
	{ "archive GET", "GET", B("/containers/abc/archive"), NEWEST,
	  "ContainerArchive", "/containers/{name:.*}/archive" },
	{ "archive PUT", "PUT", B("/containers/abc/archive"), NEWEST,
	  "PutContainerArchive", "/containers/{name:.*}/archive" },
	{ "HEAD ping", "HEAD", B("/_ping"), NEWEST, "SystemPingHead", "/_ping" },
	{ "no HEAD ping before API 1.40", "HEAD", B("/_ping"), API(1, 39), NULL, NULL },
	{ "HEAD is not GET", "HEAD", B("/containers/json"), NEWEST, NULL, NULL },
	{ "a lower-case method", "get", B("/_ping"), NEWEST, NULL, NULL },
	{ "an unknown method", "PATCH", B("/_ping"), NEWEST, NULL, NULL },
	{ "no GET of a container itself", "GET", B("/containers/abc"), NEWEST, NULL, NULL },
	{ "OPTIONS takes any path", "OPTIONS", B("/no/such/route"), NEWEST,
	  "Options", "/{anyroute:.*}" },
	{ "OPTIONS of the root", "OPTIONS", B("/"), NEWEST, "Options", "/{anyroute:.*}" },
	{ "OPTIONS takes a versioned path", "OPTIONS", B("/v1.41/containers/json"), NEWEST,
	  "Options", "/{anyroute:.*}" },

	/* The version prefix. */
	{ "any digits and dots are a version", "GET", B("/v1..2/_ping"), NEWEST,
	  "SystemPing", "/_ping" },
	{ "an empty version is none", "GET", B("/v/_ping"), NEWEST, NULL, NULL },
	{ "a version alone", "GET", B("/v1.41"), NEWEST, NULL, NULL },
	{ "an upper-case V", "GET", B("/V1.41/_ping"), NEWEST, NULL, NULL },
	{ "only one prefix", "GET", B("/v1.41/v1.41/_ping"), NEWEST, NULL, NULL },
	{ "case matters in the path", "GET", B("/Containers/json"), NEWEST, NULL, NULL },
	{ "a section that is a prefix", "GET", B("/containersX/json"), NEWEST, NULL, NULL },

	/* Unclean paths are redirected (301), never routed; a trailing '/'
	 * is kept and then matches only templates that end in one. */
	{ "an empty name is a // and redirected", "GET", B("/containers//json"), NEWEST, NULL, NULL },
	{ "a dot segment", "GET", B("/containers/./json"), NEWEST, NULL, NULL },
	{ "a dot-dot segment", "POST", B("/containers/a/../b/start"), NEWEST, NULL, NULL },
	{ "a leading //", "GET", B("//_ping"), NEWEST, NULL, NULL },
	{ "no leading /", "GET", B("_ping"), NEWEST, NULL, NULL },
	{ "an empty path", "GET", B(""), NEWEST, NULL, NULL },
	{ "a trailing / after json", "GET", B("/containers/json/"), NEWEST, NULL, NULL },
	{ "the pprof index ends in /", "GET", B("/debug/pprof/"), NEWEST,
	  "DebugPprofIndex", "/debug/pprof/" },

	/* Go's '.' does not match '\n' (a decoded %0A), [^/] does. */
	{ "a newline in a .* name", "GET", B("/containers/a\nb/json"), NEWEST, NULL, NULL },
	{ "a newline in a plain {id}", "GET", B("/services/a\nb"), NEWEST,
	  "ServiceInspect", "/services/{id}" },

	/* Networks: {id:.+} and the "/networks/" twin since API 1.25. */
	{ "network list with a trailing /", "GET", B("/networks/"), NEWEST,
	  "NetworkList", "/networks/" },
	{ "at API 1.24 /networks/ is an inspect", "GET", B("/networks/"), API(1, 24),
	  "NetworkInspect", "/networks/{id:.*}" },
	{ "network inspect spans /", "GET", B("/networks/a/b"), NEWEST,
	  "NetworkInspect", "/networks/{id:.+}" },
	{ "network connect", "POST", B("/networks/n1/connect"), NEWEST,
	  "NetworkConnect", "/networks/{id:.*}/connect" },

	/* Swarm ids: one segment now, any text at API 1.24. */
	{ "service logs", "GET", B("/services/s1/logs"), NEWEST,
	  "ServiceLogs", "/services/{id}/logs" },
	{ "a service id is one segment", "GET", B("/services/a/b"), NEWEST, NULL, NULL },
	{ "at API 1.24 a service id spans /", "GET", B("/services/a/b"), API(1, 24),
	  "ServiceInspect", "/services/{id:.*}" },
	{ "secrets need API 1.25", "GET", B("/secrets"), API(1, 24), NULL, NULL },

	/* Routes that came and went. */
	{ "copy until API 1.44", "POST", B("/containers/abc/copy"), API(1, 44),
	  "ContainerCopy", "/containers/{name:.*}/copy" },
	{ "no copy at API 1.45", "POST", B("/containers/abc/copy"), API(1, 45), NULL, NULL },
	{ "no attestations before API 1.55", "GET", B("/images/a/attestations"), API(1, 54),
	  NULL, NULL },
	{ "attestations", "GET", B("/images/a/b/attestations"), NEWEST,
	  "ImageAttestations", "/images/{name:.*}/attestations" },
	{ "volume update needs API 1.42", "PUT", B("/volumes/v1"), API(1, 41), NULL, NULL },
	{ "no grpc before API 1.40", "POST", B("/grpc"), API(1, 39), NULL, NULL },
	{ "grpc", "POST", B("/v1.44/grpc"), API(1, 44), "Grpc", "/grpc" },
	{ "session", "POST", B("/session"), NEWEST, "Session", "/session" },

	/* Debug: any method and unversioned before API 1.48, GET since. */
	{ "debug vars, POST, at API 1.41", "POST", B("/debug/vars"), API(1, 41),
	  "DebugVars", "/debug/vars" },
	{ "no versioned debug at API 1.41", "GET", B("/v1.41/debug/vars"), API(1, 41), NULL, NULL },
	{ "versioned debug at the newest", "GET", B("/v1.41/debug/vars"), NEWEST,
	  "DebugVars", "/debug/vars" },
	{ "no POST to debug at the newest", "POST", B("/debug/vars"), NEWEST, NULL, NULL },
	{ "pprof heap by name", "GET", B("/debug/pprof/heap"), NEWEST,
	  "DebugPprofName", "/debug/pprof/{name}" },
	{ "pprof heap as a literal at API 1.24", "GET", B("/debug/pprof/heap"), API(1, 24),
	  "DebugPprofHeap", "/debug/pprof/heap" },
	{ "a pprof name is one segment", "GET", B("/debug/pprof/a/b"), NEWEST, NULL, NULL },

	/* Out-of-range daemon versions resolve as the nearest end. */
	{ "a daemon older than the table", "GET", B("/services/a/b"), API(1, 12),
	  "ServiceInspect", "/services/{id:.*}" },
	{ "a daemon newer than the table", "GET", B("/images/a/attestations"), API(1, 99),
	  "ImageAttestations", "/images/{name:.*}/attestations" },
};

static void test_resolve(void **state)
{
	const struct resolve_row *row = *state;
	struct span method = { row->method, strlen(row->method) };
	/* A private copy of exactly the path's bytes, so that ASan sees any
	 * read past its end. */
	char *copy = malloc(row->path.n ? row->path.n : 1);
	assert_non_null(copy);
	memcpy(copy, row->path.p, row->path.n);
	struct span path = { copy, row->path.n };
	const struct route *r = route_resolve_at(route_method_of(method), path, row->api);
	free(copy);
	if (row->operation == NULL) {
		if (r != NULL)
			fail_msg("expected no route, got %s %s (%s)", route_method_name(r->method),
				 r->path, r->operation);
		return;
	}
	if (r == NULL)
		fail_msg("expected %s, got no route", row->operation);
	assert_string_equal(r->operation, row->operation);
	assert_string_equal(r->path, row->template);
}

/* ==== The whole table ==== */

/* A path the template matches, with multi-segment values where the
 * variable allows them: "{name:.*}" becomes "a/b", "{id}" becomes "x". */
static void sample_path(const char *tpl, char *out, size_t cap)
{
	size_t n = 0;
	while (*tpl != '\0') {
		const char *value = NULL;
		if (*tpl == '{') {
			const char *close = strchr(tpl, '}');
			assert_non_null(close);
			const char *colon = memchr(tpl, ':', (size_t)(close - tpl));
			value = colon ? "a/b" : "x";
			tpl = close + 1;
		}
		const char *src = value ? value : tpl++;
		size_t len = value ? strlen(value) : 1;
		assert_true(n + len < cap);
		memcpy(out + n, src, len);
		n += len;
	}
	out[n] = '\0';
}

/* The method a request uses to reach r: a ROUTE_ANY route takes any. */
static enum route_method request_method(const struct route *r)
{
	return r->method == ROUTE_ANY ? ROUTE_OTHER : r->method;
}

/* Every route is reached by a sample of its own template, with and
 * without a version prefix (none for ROUTE_F_UNVERSIONED), at the first
 * and the last API version that registers it. */
static void test_every_route_reaches_itself(void **state)
{
	(void)state;
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		char plain[240], versioned[256];
		sample_path(r->path, plain, sizeof(plain));
		snprintf(versioned, sizeof(versioned), "/v1.41%s", plain);
		unsigned last = r->api_until ? r->api_until : NEWEST;
		unsigned at[] = { r->api_since, last };
		for (size_t k = 0; k < 2; k++) {
			struct span p = { plain, strlen(plain) };
			struct span v = { versioned, strlen(versioned) };
			const struct route *got = route_resolve_at(request_method(r), p, at[k]);
			if (got != r)
				fail_msg("%s %s: sample %s at %u reaches %s", route_method_name(r->method),
					 r->path, plain, at[k], got ? got->path : "nothing");
			got = route_resolve_at(request_method(r), v, at[k]);
			const struct route *want = (r->flags & ROUTE_F_UNVERSIONED) ? NULL : r;
			if (got != want)
				fail_msg("%s %s: sample %s at %u reaches %s", route_method_name(r->method),
					 r->path, versioned, at[k], got ? got->path : "nothing");
		}
	}
}

/* Each entry is well formed: its section is its template's first segment
 * (none for a template that starts with a variable), its versions are in
 * range and ordered, it has an operation, and no method and template
 * appear twice. */
static void test_entries_are_well_formed(void **state)
{
	(void)state;
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		const char *seg = r->path + 1;
		size_t seg_len = strcspn(seg, "/");
		if (seg[0] == '{')
			seg_len = 0;
		if (strlen(r->section) != seg_len || strncmp(r->section, seg, seg_len) != 0)
			fail_msg("%s: section '%s'", r->path, r->section);
		assert_true(r->path[0] == '/');
		assert_true(r->operation[0] != '\0');
		assert_true(r->api_since >= ROUTE_API_OLDEST && r->api_since <= NEWEST);
		assert_true(r->api_until == 0 ||
			    (r->api_until >= r->api_since && r->api_until < NEWEST));
		assert_true(r->api_min <= NEWEST);
		for (size_t j = 0; j < i; j++)
			if (route_table[j].method == r->method &&
			    strcmp(route_table[j].path, r->path) == 0)
				fail_msg("%s %s twice", route_method_name(r->method), r->path);
	}
}

/* The routes that hijack the connection are exactly the five the daemon
 * takes over (docs/engine-api.md §9, §10). */
static void test_hijack_routes(void **state)
{
	(void)state;
	static const char *const hijacks[] = {
		"ContainerAttach", "ContainerAttachWebsocket", "ExecStart", "Session", "Grpc",
	};
	size_t found = 0;
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		bool listed = false;
		for (size_t k = 0; k < N_ROWS(hijacks); k++)
			listed |= strcmp(r->operation, hijacks[k]) == 0;
		if (listed != ((r->flags & ROUTE_F_HIJACK) != 0))
			fail_msg("%s: hijack flag %s", r->operation, listed ? "missing" : "unexpected");
		found += listed;
	}
	assert_int_equal(found, N_ROWS(hijacks));
}

/* Podman's /libpod twins: a sample of routes that have one and routes
 * that do not (Podman lists volumes at /libpod/volumes/json instead). */
static void test_libpod_twins(void **state)
{
	(void)state;
	static const struct {
		const char *method, *path;
		bool twin;
	} rows[] = {
		{ "GET", "/containers/a/json", true },
		{ "POST", "/containers/a/attach", true },
		{ "POST", "/exec/a/start", true },
		{ "GET", "/images/a/b/json", true },
		{ "HEAD", "/_ping", true },
		{ "GET", "/volumes", false },
		{ "POST", "/session", false },
		{ "GET", "/services", false },
	};
	for (size_t i = 0; i < N_ROWS(rows); i++) {
		const struct route *r = route_resolve(rows[i].method, rows[i].path);
		assert_non_null(r);
		if (((r->flags & ROUTE_F_LIBPOD) != 0) != rows[i].twin)
			fail_msg("%s %s: libpod twin should be %d", rows[i].method, rows[i].path,
				 rows[i].twin);
	}
}

/* ==== Every route a request may reach ==== */

/* Which requests may turn into a raw tunnel after a bare 2xx (conn reads
 * ROUTE_F_HIJACK of every route a request may reach): POST attach and
 * exec start, names spanning segments, Docker and libpod. */
struct hijack_row {
	const char *name, *method, *target;
	bool hijack;
};

static struct hijack_row hijack_rows[] = {
	{ "attach", "POST", "/v1.41/containers/web/attach?stream=1", true },
	{ "attach of a link alias", "POST", "/v1.41/containers/webx/db/attach", true },
	{ "exec start", "POST", "/v1.41/exec/0123abcd/start", true },
	{ "libpod attach", "POST", "/v4.0.0/libpod/containers/web/attach", true },
	{ "libpod exec start (podman's own client sends no Upgrade)", "POST",
	  "/v4.0.0/libpod/exec/0123abcd/start", true },
	{ "unversioned libpod exec start", "POST", "/libpod/exec/0123abcd/start", true },
	{ "GET attach is no hijack", "GET", "/v1.41/containers/web/attach", false },
	{ "attach/ws is an upgrade, not a bare hijack", "POST", "/containers/web/attach/ws", false },
	{ "container start", "POST", "/v1.41/containers/web/start", false },
	{ "exec inspect", "POST", "/v1.41/exec/0123abcd/json", false },
	{ "libpod libpod is no twin", "POST", "/libpod/libpod/exec/x/start", false },
	{ "a name alone", "POST", "/containers/attach", false },
};

static void test_hijack(void **state)
{
	const struct hijack_row *row = *state;
	char scratch[256];
	struct path_info info;
	struct span t = { row->target, strlen(row->target) };
	assert_int_equal(path_check(t, scratch, sizeof scratch, &info), 0);
	struct span m = { row->method, strlen(row->method) };
	struct route_candidates c;
	route_resolve_all(route_method_of(m), info.path, &c);
	if (((c.flags & ROUTE_F_HIJACK) != 0) != row->hijack)
		fail_msg("%s %s: expected hijack=%d", row->method, row->target, row->hijack);
}

/* route_resolve_all() against candidates_ref.h over a corpus: every
 * template with names of one and of two segments, names that are other
 * routes' literals, a newline; with and without version prefixes (odd
 * ones too), under /libpod, with a trailing '/' or "/."; for the route's
 * method, another one and one no route has. */
static void test_candidates_corpus(void **state)
{
	(void)state;
	static const char *const names[] = { "x", "a/b", "json", "remove", "a\nb", "x/attach" };
	static const char *const prefixes[] = { "", "/v1.41", "/v1..2", "/V1.41" };
	static const char *const tails[] = { "", "/", "/." };
	size_t checked = 0, most = 0;
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		enum route_method own = r->method == ROUTE_ANY ? ROUTE_GET : r->method;
		enum route_method methods[] = { own, own == ROUTE_DELETE ? ROUTE_GET : ROUTE_DELETE,
						ROUTE_OTHER };
		for (size_t a = 0; a < N_ROWS(names); a++) {
			char sample[240];
			size_t n = 0;
			for (const char *t = r->path; *t != '\0';) {
				const char *piece = t, *close = *t == '{' ? strchr(t, '}') : NULL;
				size_t len = close ? strlen(names[a]) : 1;
				if (close != NULL)
					piece = names[a];
				assert_true(n + len < sizeof sample);
				memcpy(sample + n, piece, len);
				n += len;
				t = close ? close + 1 : t + 1;
			}
			sample[n] = '\0';
			for (size_t b = 0; b < N_ROWS(prefixes); b++)
				for (int libpod = 0; libpod < 2; libpod++)
					for (size_t c = 0; c < N_ROWS(tails); c++)
						for (size_t m = 0; m < N_ROWS(methods); m++) {
							char path[320];
							snprintf(path, sizeof path, "%s%s%s%s", prefixes[b],
								 libpod ? "/libpod" : "", sample, tails[c]);
							struct route_candidates got;
							struct span s = { path, strlen(path) };
							route_resolve_all(methods[m], s, &got);
							char why[200];
							const char *diff = ref_compare(methods[m], path, s.n, &got,
										       why, sizeof why);
							if (diff != NULL)
								fail_msg("%s %s: %s", route_method_name(methods[m]),
									 path, diff);
							unsigned flags = 0;
							for (unsigned h = 0; h < got.n; h++)
								flags |= got.hit[h].route->flags;
							assert_int_equal(flags, got.flags);
							most = got.n > most ? got.n : most;
							checked++;
						}
		}
	}
	/* The cut at ROUTE_CANDIDATES_MAX is far away. */
	assert_true(most <= ROUTE_CANDIDATES_MAX / 2);
	assert_true(checked > 10000);
}

/* route_method_of is exact and route_resolve is the newest daemon. */
static void test_methods_and_wrapper(void **state)
{
	(void)state;
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS" };
	for (size_t i = 0; i < N_ROWS(names); i++) {
		struct span m = { names[i], strlen(names[i]) };
		assert_int_equal(route_method_of(m), (enum route_method)i);
		assert_string_equal(route_method_name((enum route_method)i), names[i]);
	}
	struct span partial = { "GETX", 3 };
	assert_int_equal(route_method_of(partial), ROUTE_GET);
	struct span longer = { "GETX", 4 };
	assert_int_equal(route_method_of(longer), ROUTE_OTHER);
	const struct route *r = route_resolve("GET", "/v1.41/images/a/b/attestations");
	assert_non_null(r);
	assert_string_equal(r->operation, "ImageAttestations");
	assert_null(route_resolve("POST", "/containers/a/copy"));
}

/* route_rule_names(): each route is named by its operation, by its
 * method and template, with other variable names, and by "*" with its
 * template; misspelt or partial rules name no route. */
static void test_rule_names(void **state)
{
	(void)state;
	char rule[300];
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		assert_true(route_rule_names(r->operation, r));
		snprintf(rule, sizeof rule, "%s %s", route_method_name(r->method), r->path);
		assert_true(route_rule_names(rule, r));
		snprintf(rule, sizeof rule, "* %s", r->path);
		assert_true(route_rule_names(rule, r));
		/* Every variable renamed: "{a:.*}" becomes "{v}". */
		size_t n = (size_t)snprintf(rule, sizeof rule, "%s ", route_method_name(r->method));
		for (const char *t = r->path; *t != '\0'; t++) {
			if (*t == '{') {
				n += (size_t)snprintf(rule + n, sizeof rule - n, "{v}");
				t = strchr(t, '}');
			} else {
				rule[n++] = *t;
			}
		}
		rule[n] = '\0';
		assert_true(route_rule_names(rule, r));
	}
	static const char *const none[] = { "containerlist", "GET /containers/json/", "GET",
		"GET /containers/{id", "POST /containers/json", "* /nothing", "", "get /_ping",
		"GET  /_ping", "GET /v1.41/_ping", "ContainerList " };
	for (size_t k = 0; k < N_ROWS(none); k++)
		for (size_t i = 0; i < route_table_len; i++)
			if (route_rule_names(none[k], &route_table[i]))
				fail_msg("'%s' names %s %s", none[k],
					 route_method_name(route_table[i].method), route_table[i].path);
	/* "GET" is exact: it does not name a route registered for every
	 * method, which "*" names. */
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		if (r->method != ROUTE_ANY)
			continue;
		snprintf(rule, sizeof rule, "GET %s", r->path);
		assert_false(route_rule_names(rule, r));
	}
}

int main(void)
{
	ROWS_ADD_EACH(test_resolve, resolve_rows, "resolve");
	rows_add(test_every_route_reaches_itself, NULL, "table", "every route reaches itself");
	rows_add(test_entries_are_well_formed, NULL, "table", "entries are well formed");
	rows_add(test_hijack_routes, NULL, "table", "the hijacking routes");
	rows_add(test_libpod_twins, NULL, "table", "Podman's /libpod twins");
	rows_add(test_methods_and_wrapper, NULL, "contract", "methods and route_resolve");
	rows_add(test_rule_names, NULL, "contract", "the routes a policy rule names");
	ROWS_ADD_EACH(test_hijack, hijack_rows, "hijack");
	rows_add(test_candidates_corpus, NULL, "candidates",
		 "route_resolve_all is every version's route_resolve_at, and the twin");
	return rows_run("routes");
}

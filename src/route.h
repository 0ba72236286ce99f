/* route.h - the Docker daemon's routes as data, and the one route a
 * request reaches.
 *
 * dockerd routes with one gorilla/mux router: every route is registered
 * twice (under "/v{version:[0-9.]+}" and without it), for one method, in a
 * fixed order, and the first route whose path template and method both
 * match runs (docs/engine-api.md §2). route_table lists every route that a
 * daemon from API 1.24 to the newest release registers, in that order,
 * with the API versions of the first and last release that registers it;
 * route_resolve_at() picks the route exactly as the router of one such
 * release would. Nothing here allocates or keeps state. docs/routes.md
 * says where the table comes from and how to update it. */
#ifndef DOCKGATE_ROUTE_H
#define DOCKGATE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"

/* An Engine API version as one comparable number: ROUTE_API(1, 41). */
#define ROUTE_API(major, minor) ((major) * 1000u + (minor))
#define ROUTE_API_OLDEST ROUTE_API(1, 24)
/* The API version of the newest moby release the table was read from. */
#define ROUTE_API_NEWEST ROUTE_API(1, 55)

/* The methods moby registers routes for; ROUTE_ANY is a route registered
 * without a method restriction (the debug routes before API 1.48), and
 * ROUTE_OTHER a request method no route names, which only ROUTE_ANY
 * routes take. */
enum route_method {
	ROUTE_GET,
	ROUTE_HEAD,
	ROUTE_POST,
	ROUTE_PUT,
	ROUTE_DELETE,
	ROUTE_OPTIONS,
	ROUTE_ANY,
	ROUTE_OTHER,
};

/* Flags of a route. */
enum {
	/* The daemon takes the connection over (http.Hijacker): attach, exec
	 * start, the attach WebSocket, /session and /grpc (§9, §10). */
	ROUTE_F_HIJACK = 1u << 0,
	/* The response can last as long as the client wants or as the job
	 * takes: events, logs, stats, wait, progress, tar downloads (§8).
	 * Some only with a query (logs with follow, stats with stream). */
	ROUTE_F_STREAM = 1u << 1,
	/* The request body is a stream of unknown size (tar or chunked). */
	ROUTE_F_UPLOAD = 1u << 2,
	/* Registered always, but answers 501 unless the daemon runs with
	 * experimental features (router.Experimental). It still claims its
	 * paths: this is why the checkpoint router comes first. */
	ROUTE_F_EXPERIMENTAL = 1u << 3,
	/* Registered only without the version prefix (createMux's own debug
	 * routes before API 1.48). */
	ROUTE_F_UNVERSIONED = 1u << 4,
	/* The Engine API reference (api/swagger.yaml) gives the route no
	 * operationId; the operation name is dockgate's. */
	ROUTE_F_NAMED_HERE = 1u << 5,
	/* Podman (v4.3.1 and v5.8.2, pkg/api/server/register_*.go) also
	 * registers this method at "/libpod" + this path, only behind its
	 * version prefix, with container, exec, volume, network and secret
	 * names as one segment ({name}) and image names as {name:.*}. */
	ROUTE_F_LIBPOD = 1u << 6,
};

struct route {
	enum route_method method;
	const char *path;      /* the template as moby registers it */
	const char *operation; /* swagger operationId, e.g. "ContainerInspect" */
	const char *section;   /* its first segment, docker-socket-proxy's section;
				  "" for OPTIONS /{anyroute:.*} */
	unsigned flags;        /* ROUTE_F_* */
	unsigned api_since;    /* API version of the first release with it;
				  ROUTE_API_OLDEST: that one or an older */
	unsigned api_until;    /* of the last release with it; 0: still there */
	unsigned api_min;      /* requests below this version get 400
				  (WithMinimumAPIVersion); 0: none */
};

/* Every route, in the order the newest daemon registers them; routes that
 * releases dropped stand where they were registered. */
extern const struct route route_table[];
extern const size_t route_table_len;

/* The method as a route_method: exact, case-sensitive (gorilla/mux
 * compares the request's method with the registered upper-case name). */
enum route_method route_method_of(struct span method);

/* The name of a route_method ("GET", ... "*" for ROUTE_ANY). */
const char *route_method_name(enum route_method m);

/* The route that a daemon whose API version is daemon_api runs for this
 * method and path, or NULL when its router answers 404. path is the
 * request's path after one percent-decoding (what Go's net/http gives
 * the router), with or without the version prefix: this function treats
 * a leading "/v<digits and dots>/" as the router does. A path that Go's
 * path.Clean would change ("//", "." or ".." segments, no leading '/';
 * one trailing '/' is kept) resolves to NULL: the router answers it with
 * a 301 and runs no route (docs/engine-api.md §2.2).
 * daemon_api outside ROUTE_API_OLDEST..ROUTE_API_NEWEST resolves as the
 * nearest end. */
const struct route *route_resolve_at(enum route_method method, struct span path,
				     unsigned daemon_api);

/* route_resolve_at() for the newest daemon, with NUL-terminated strings. */
const struct route *route_resolve(const char *method, const char *path);

/* True when a route with this template and method exists at daemon_api;
 * tests use it to check that a template's sample path reaches it. */
bool route_registered_at(const struct route *r, unsigned daemon_api);

/* ==== Routes as a policy names them ==== */

/* Whether rule names route r: an operation name ("ContainerList"), or a
 * method and a template ("GET /containers/{id}/json"): variable names
 * are free, every {...} matches any variable of the same place, and "*"
 * as the method names every method. The method is exact: "GET" does not
 * name the debug routes registered for every method ("*" does). */
bool route_rule_names(const char *rule, const struct route *r);

/* A path that template tpl matches, behind /v1.41 and, with libpod,
 * /libpod: every variable becomes "x", a {...:.*} becomes multi ("x" or
 * "x/y"), and a variable that is the first segment (OPTIONS
 * /{anyroute:.*}) becomes lead. Written to out (cap bytes); false when it
 * does not fit or tpl has an unclosed '{'. */
bool route_sample_path(const char *tpl, bool libpod, const char *lead, const char *multi,
		       char *out, size_t cap);

/* The method a sample request of r is sent with: its own, or GET for a
 * route registered for every method (the old debug routes). */
const char *route_sample_method(const struct route *r);

/* Whether Podman registers a route of its own for method m at inner (the
 * path after "/libpod", from its '/') that comes before a twin ending in
 * a name: DELETE /images/remove, GET /networks/json, ... (read from
 * pkg/api/server/register_*.go at v4.3.1 and v5.8.2). */
bool route_podman_own(enum route_method m, struct span inner);

/* ==== Every route a request may reach ====
 *
 * dockgate does not know which daemon runs behind it, and a path may reach
 * another route on an older daemon (routes were added, dropped, or changed
 * their templates), or none. A policy that judges by route must judge them
 * all: route_resolve_all() gives every route that some daemon from
 * ROUTE_API_OLDEST to ROUTE_API_NEWEST runs for a request, and whether
 * one of them runs none. It walks the table once, in registration order:
 * a route that matches is a candidate when some version that registers it
 * is not yet taken by an earlier match; the walk ends when every version
 * is taken (at the first always-registered match at the latest). So the
 * set is exactly { route_resolve_at(method, path, v) for every v }, which
 * tests/unit/test_routes.c and tests/fuzz/fuzz_candidates.c check.
 *
 * Podman's /libpod twins (ROUTE_F_LIBPOD): a path whose first segment
 * after an optional version prefix is "libpod" (Podman registers its API
 * only behind the prefix, but a Podman older than the ones read might
 * not: taken either way) also resolves the rest as Podman would, among
 * the routes with a twin only, with every name one segment except image
 * names ({name:.*}), to at most one twin (libpod true). Where Podman
 * registers a route of its own (not in the table) for a literal that a
 * twin's trailing name would take, such as DELETE /libpod/images/remove
 * (a batch remove, before DELETE /libpod/images/{name:.*}), the twin is
 * not claimed: the request counts as unrouted. The docker routes of such
 * a path are resolved as well (only OPTIONS /{anyroute:.*} takes one).
 *
 * Resolution is cheap: built on first use (the table never changes), an
 * index of the table by method and first segment, with each template's
 * literal head and tail and a version bit mask per route, so that a route
 * is matched only when it could still be a candidate; and the candidates
 * of every template without variables (/_ping, /containers/json), walked
 * once, found by a hash of the path. */

/* One route a request may reach: a route of the table, or its /libpod
 * twin. */
struct route_hit {
	const struct route *route;
	bool libpod;
};

/* The most candidates a request can have; test_routes.c checks that no
 * path of its corpus comes near it. */
#define ROUTE_CANDIDATES_MAX 8

struct route_candidates {
	struct route_hit hit[ROUTE_CANDIDATES_MAX]; /* docker routes in table order,
						       then the twin */
	unsigned char n;
	/* Some supported daemon runs no route for it: it answers 404 (or a
	 * 301 for an unclean path) and runs nothing. */
	bool unrouted;
	/* Podman may run a route of its own that the table does not hold (a
	 * /libpod path that claims no twin), or the list was cut at
	 * ROUTE_CANDIDATES_MAX (never seen; it fails closed): a policy
	 * that judges by route must not allow it. */
	bool unknown;
	/* The route the newest daemon runs: the twin for a /libpod path
	 * (what Podman runs), else Docker's; NULL when none. */
	struct route_hit newest;
	unsigned flags; /* ROUTE_F_* of every candidate, or'ed */
};

/* Builds what route_resolve_all() looks things up in, once: at startup,
 * so that no request pays for it (route_resolve_all() calls it when it
 * was not). */
void route_prepare(void);

/* Fills *out with every route a request with this method and path (as for
 * route_resolve_at(), version prefix included) may reach. */
void route_resolve_all(enum route_method method, struct span path, struct route_candidates *out);

#endif

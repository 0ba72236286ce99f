/* route.c - resolving a request to the route dockerd runs; see route.h.
 *
 * gorilla/mux turns each template into an anchored Go regular expression
 * (newRouteRegexp in regexp.go): the literal text quoted, "{name}" as
 * [^/]+ and "{name:re}" as re. moby's templates use three patterns: .*
 * and .+ (which cross '/', but as Go's '.' never match '\n') and the
 * default [^/]+. Rather than carry a regex engine, the matcher below walks
 * a template against the path with exactly those three classes, trying
 * every length of a variable; templates have at most two variables and
 * paths are bounded by the head limit, so this stays cheap. */
#include "route.h"

#include <stdint.h>
#include <string.h>

/* The character classes of the three variable patterns moby uses. */
enum var_class {
	VAR_ANY,      /* .*   any bytes but '\n', possibly none */
	VAR_SOME,     /* .+   any bytes but '\n', at least one */
	VAR_SEGMENT,  /* [^/]+ (the default) one or more bytes but '/' */
	VAR_UNKNOWN,  /* a pattern this matcher does not know: never matches */
};

/* Reads the variable whose '{' is at tpl[0]: its class, and in *after the
 * template text behind its '}'. */
static enum var_class read_var(const char *tpl, const char **after)
{
	const char *close = strchr(tpl, '}');
	const char *colon = memchr(tpl, ':', close ? (size_t)(close - tpl) : 0);
	if (close == NULL) {
		*after = tpl + strlen(tpl);
		return VAR_UNKNOWN;
	}
	*after = close + 1;
	if (colon == NULL)
		return VAR_SEGMENT;
	size_t n = (size_t)(close - colon - 1);
	if (n == 2 && memcmp(colon + 1, ".*", 2) == 0)
		return VAR_ANY;
	if (n == 2 && memcmp(colon + 1, ".+", 2) == 0)
		return VAR_SOME;
	if (n == 5 && memcmp(colon + 1, "[^/]+", 5) == 0)
		return VAR_SEGMENT;
	return VAR_UNKNOWN;
}

/* True when the NUL-terminated template tpl matches all of p[0..n).
 * With one_segment, every variable is one segment ([^/]+), as Podman
 * registers names under /libpod. */
static bool template_matches(const char *tpl, const char *p, size_t n, bool one_segment)
{
	/* The literal text up to the next variable must be there as is. */
	while (*tpl != '\0' && *tpl != '{') {
		if (n == 0 || *p != *tpl)
			return false;
		tpl++, p++, n--;
	}
	if (*tpl == '\0')
		return n == 0;

	const char *rest;
	enum var_class cls = read_var(tpl, &rest);
	if (cls == VAR_UNKNOWN)
		return false;
	if (one_segment)
		cls = VAR_SEGMENT;
	/* The longest stretch the variable's class allows; then every length
	 * down to its minimum, as the regular expression could. */
	char stop = cls == VAR_SEGMENT ? '/' : '\n';
	size_t longest = 0;
	while (longest < n && p[longest] != stop)
		longest++;
	size_t shortest = cls == VAR_ANY ? 0 : 1;
	for (size_t len = longest + 1; len-- > shortest;)
		if (template_matches(rest, p + len, n - len, one_segment))
			return true;
	return false;
}

/* The length of a version prefix "/v[0-9.]+" at the start of path when a
 * '/' follows it, else 0. The route's regular expression is the prefix's
 * followed by the template's, which starts with '/', and [0-9.] holds no
 * '/': the first '/' after "/v" is the only place the two can meet. */
static size_t version_prefix_len(struct span path)
{
	if (path.n < 4 || path.p[0] != '/' || path.p[1] != 'v')
		return 0;
	size_t i = 2;
	while (i < path.n && ((path.p[i] >= '0' && path.p[i] <= '9') || path.p[i] == '.'))
		i++;
	return i > 2 && i < path.n && path.p[i] == '/' ? i : 0;
}

/* True when Go's path.Clean leaves the path as it is, except for one
 * trailing '/' that gorilla/mux's cleanPath puts back: it starts with
 * '/', has no empty segment but a final one, and no "." or ".." segment.
 * The router answers any other path with a 301 to its cleaned form and
 * runs no route (mux.go, Router.ServeHTTP). */
static bool path_is_clean(struct span path)
{
	if (path.n == 0 || path.p[0] != '/')
		return false;
	size_t start = 1;
	for (size_t i = 1; i <= path.n; i++) {
		if (i < path.n && path.p[i] != '/')
			continue;
		size_t len = i - start;
		const char *seg = path.p + start;
		bool last = i == path.n;
		if (len == 0 && !last)
			return false;
		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

enum route_method route_method_of(struct span method)
{
	static const char *const names[] = {
		[ROUTE_GET] = "GET", [ROUTE_HEAD] = "HEAD", [ROUTE_POST] = "POST",
		[ROUTE_PUT] = "PUT", [ROUTE_DELETE] = "DELETE",
		[ROUTE_OPTIONS] = "OPTIONS",
	};
	for (size_t m = 0; m < sizeof(names) / sizeof(names[0]); m++)
		if (span_eq(method, names[m]))
			return (enum route_method)m;
	return ROUTE_OTHER;
}

const char *route_method_name(enum route_method m)
{
	switch (m) {
	case ROUTE_GET: return "GET";
	case ROUTE_HEAD: return "HEAD";
	case ROUTE_POST: return "POST";
	case ROUTE_PUT: return "PUT";
	case ROUTE_DELETE: return "DELETE";
	case ROUTE_OPTIONS: return "OPTIONS";
	case ROUTE_ANY: return "*";
	case ROUTE_OTHER: break;
	}
	return "?";
}

bool route_registered_at(const struct route *r, unsigned daemon_api)
{
	if (daemon_api < ROUTE_API_OLDEST)
		daemon_api = ROUTE_API_OLDEST;
	if (daemon_api > ROUTE_API_NEWEST)
		daemon_api = ROUTE_API_NEWEST;
	return r->api_since <= daemon_api &&
	       (r->api_until == 0 || daemon_api <= r->api_until);
}

const struct route *route_resolve_at(enum route_method method, struct span path,
				     unsigned daemon_api)
{
	if (!path_is_clean(path))
		return NULL;
	size_t prefix = version_prefix_len(path);
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		if (r->method != method && r->method != ROUTE_ANY)
			continue;
		if (!route_registered_at(r, daemon_api))
			continue;
		/* The versioned registration comes first, then the plain one;
		 * both run the same handler, so either match picks r. */
		if (prefix != 0 && !(r->flags & ROUTE_F_UNVERSIONED) &&
		    template_matches(r->path, path.p + prefix, path.n - prefix, false))
			return r;
		if (template_matches(r->path, path.p, path.n, false))
			return r;
	}
	return NULL;
}

const struct route *route_resolve(const char *method, const char *path)
{
	struct span m = { method, strlen(method) };
	struct span p = { path, strlen(path) };
	return route_resolve_at(route_method_of(m), p, ROUTE_API_NEWEST);
}

/* ==== Every route a request may reach (route_resolve_all) ==== */

/* The supported daemon versions as bits: ROUTE_API_OLDEST is bit 0. */
_Static_assert(ROUTE_API_NEWEST - ROUTE_API_OLDEST < 64, "one bit per API version");
#define ALL_VERSIONS (~0ull >> (63 - (ROUTE_API_NEWEST - ROUTE_API_OLDEST)))
#define NEWEST_VERSION (1ull << (ROUTE_API_NEWEST - ROUTE_API_OLDEST))

/* Room of the index; build_index() falls back to walking the whole table
 * when the table outgrows it (route_table_len above 255 included). */
#define INDEX_SEGMENTS 48
#define INDEX_ENTRIES 2048
#define INDEX_METHODS (ROUTE_OTHER + 1)

/* Every route, by the method of a request and the first segment of its
 * path: list [m][s] holds, in table order, the routes registered for m
 * (or for every method) whose template starts with literal segment s or
 * with a variable; s == n_segments is every other first segment. Only a
 * route in the list of its request can match it: a template's literal
 * first segment must equal the path's (after the version prefix, or of
 * the whole path, whose first segment is then "v1.41", which build_index
 * checks no template starts with). */
static struct {
	bool built, usable;
	size_t n_segments;
	struct span segment[INDEX_SEGMENTS];
	uint16_t start[INDEX_METHODS][INDEX_SEGMENTS + 1];
	uint16_t len[INDEX_METHODS][INDEX_SEGMENTS + 1];
	uint8_t entry[INDEX_ENTRIES];
	uint64_t versions[256]; /* per route: the versions that register it */
	uint8_t all[256];       /* 0, 1, 2, ...: the list when not usable */
} idx;

/* The first segment of a path or template that starts with '/'. */
static struct span first_segment_of(const char *p, size_t n)
{
	const char *end = n > 1 ? memchr(p + 1, '/', n - 1) : NULL;
	return (struct span){ p + 1, end ? (size_t)(end - p - 1) : (n > 0 ? n - 1 : 0) };
}

static uint64_t version_bits(const struct route *r)
{
	uint64_t bits = 0;
	for (unsigned v = ROUTE_API_OLDEST; v <= ROUTE_API_NEWEST; v++)
		if (route_registered_at(r, v))
			bits |= 1ull << (v - ROUTE_API_OLDEST);
	return bits;
}

/* The index of segment s among idx.segment, or idx.n_segments. */
static size_t segment_index(struct span s)
{
	size_t i = 0;
	while (i < idx.n_segments &&
	       (idx.segment[i].n != s.n || memcmp(idx.segment[i].p, s.p, s.n) != 0))
		i++;
	return i;
}

/* True for "v" and digits and dots: what the version prefix takes. */
static bool looks_like_version(struct span s)
{
	if (s.n < 2 || s.p[0] != 'v')
		return false;
	for (size_t i = 1; i < s.n; i++)
		if (!((s.p[i] >= '0' && s.p[i] <= '9') || s.p[i] == '.'))
			return false;
	return true;
}

/* Fills one list of the index; false when it does not fit. */
static bool build_list(enum route_method m, size_t s, size_t *used)
{
	idx.start[m][s] = (uint16_t)*used;
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		struct span seg = first_segment_of(r->path, strlen(r->path));
		bool lead_var = seg.n > 0 && seg.p[0] == '{';
		if (r->method != m && r->method != ROUTE_ANY)
			continue;
		if (!lead_var && (s == idx.n_segments || segment_index(seg) != s))
			continue;
		if (*used == INDEX_ENTRIES)
			return false;
		idx.entry[(*used)++] = (uint8_t)i;
	}
	idx.len[m][s] = (uint16_t)(*used - idx.start[m][s]);
	return true;
}

/* Builds the index once; the table is constant, and so is the index. */
static void build_index(void)
{
	idx.built = true;
	idx.usable = route_table_len <= 255;
	for (size_t i = 0; i < route_table_len && idx.usable; i++) {
		const struct route *r = &route_table[i];
		idx.versions[i] = version_bits(r);
		idx.all[i] = (uint8_t)i;
		struct span seg = first_segment_of(r->path, strlen(r->path));
		if (seg.n > 0 && seg.p[0] == '{')
			continue;
		if (looks_like_version(seg) || idx.n_segments == INDEX_SEGMENTS) {
			idx.usable = false;
			break;
		}
		if (segment_index(seg) == idx.n_segments)
			idx.segment[idx.n_segments++] = seg;
	}
	size_t used = 0;
	for (int m = 0; m < INDEX_METHODS && idx.usable; m++)
		for (size_t s = 0; s <= idx.n_segments && idx.usable; s++)
			idx.usable = build_list((enum route_method)m, s, &used);
}

/* The routes that may match a request of method m whose path has first
 * segment seg after the version prefix. */
static const uint8_t *routes_for(enum route_method m, struct span seg, size_t *n)
{
	if (!idx.usable) {
		*n = route_table_len;
		return idx.all;
	}
	size_t s = segment_index(seg);
	*n = idx.len[m][s];
	return idx.entry + idx.start[m][s];
}

static void add_hit(struct route_candidates *out, const struct route *r, bool libpod)
{
	if (out->n == ROUTE_CANDIDATES_MAX) {
		out->unknown = true; /* cut: fail closed */
		return;
	}
	out->hit[out->n++] = (struct route_hit){ r, libpod };
	out->flags |= r->flags;
}

/* Docker's routes: a walk in table order in which a match is a candidate
 * when it takes a version no earlier match took. */
static void add_docker_routes(enum route_method m, struct span path, size_t prefix,
			      struct route_candidates *out)
{
	struct span after = { path.p + prefix, path.n - prefix };
	size_t n;
	const uint8_t *list = routes_for(m, first_segment_of(after.p, after.n), &n);
	uint64_t open = ALL_VERSIONS;
	for (size_t k = 0; k < n && open != 0; k++) {
		const struct route *r = &route_table[list[k]];
		uint64_t bits = idx.versions[list[k]] & open;
		if (bits == 0)
			continue;
		bool versioned = prefix != 0 && !(r->flags & ROUTE_F_UNVERSIONED) &&
				 template_matches(r->path, after.p, after.n, false);
		if (!versioned && !template_matches(r->path, path.p, path.n, false))
			continue;
		add_hit(out, r, false);
		if (bits & NEWEST_VERSION)
			out->newest = (struct route_hit){ r, false };
		open &= ~bits;
	}
	if (open != 0)
		out->unrouted = true;
}

/* Podman's own routes under /libpod that a twin ending in a name would
 * take if the table's order were Podman's: the literals of
 * pkg/api/server/register_*.go at v4.3.1 and v5.8.2 whose path is a
 * section and one more segment. DELETE /libpod/images/remove (a batch
 * remove) comes before DELETE /libpod/images/{name:.*}; GET
 * /libpod/networks/json before GET /libpod/networks/{name}. */
static const struct {
	enum route_method method;
	const char *path;
} podman_literals[] = {
	{ ROUTE_POST, "/containers/create" }, { ROUTE_GET, "/containers/json" },
	{ ROUTE_POST, "/containers/prune" }, { ROUTE_GET, "/containers/showmounted" },
	{ ROUTE_GET, "/containers/stats" }, { ROUTE_GET, "/images/export" },
	{ ROUTE_POST, "/images/import" }, { ROUTE_GET, "/images/json" },
	{ ROUTE_POST, "/images/load" }, { ROUTE_POST, "/images/prune" },
	{ ROUTE_POST, "/images/pull" }, { ROUTE_DELETE, "/images/remove" },
	{ ROUTE_GET, "/images/search" }, { ROUTE_POST, "/networks/create" },
	{ ROUTE_GET, "/networks/json" }, { ROUTE_POST, "/networks/prune" },
	{ ROUTE_POST, "/secrets/create" }, { ROUTE_GET, "/secrets/json" },
	{ ROUTE_POST, "/volumes/create" }, { ROUTE_GET, "/volumes/json" },
	{ ROUTE_POST, "/volumes/prune" },
};

static bool podman_literal(enum route_method m, struct span inner)
{
	for (size_t i = 0; i < sizeof podman_literals / sizeof podman_literals[0]; i++)
		if (podman_literals[i].method == m && span_eq(inner, podman_literals[i].path))
			return true;
	return false;
}

/* Podman's twin of inner, the path after "/libpod" (from its '/'). */
static void add_twin(enum route_method m, struct span inner, struct route_candidates *out)
{
	size_t n;
	const uint8_t *list = routes_for(m, first_segment_of(inner.p, inner.n), &n);
	for (size_t k = 0; k < n; k++) {
		const struct route *r = &route_table[list[k]];
		bool one_segment = strcmp(r->section, "images") != 0;
		if (!(r->flags & ROUTE_F_LIBPOD) ||
		    !template_matches(r->path, inner.p, inner.n, one_segment))
			continue;
		size_t len = strlen(r->path);
		if (r->path[len - 1] == '}' && podman_literal(m, inner))
			break; /* a route of Podman's own comes first */
		add_hit(out, r, true);
		out->newest = (struct route_hit){ r, true };
		return;
	}
	out->unknown = true;
}

void route_resolve_all(enum route_method method, struct span path, struct route_candidates *out)
{
	out->n = 0;
	out->unrouted = false;
	out->unknown = false;
	out->newest = (struct route_hit){ NULL, false };
	out->flags = 0;
	if (!idx.built)
		build_index();
	if (!path_is_clean(path)) {
		out->unrouted = true;
		return;
	}
	size_t prefix = version_prefix_len(path);
	add_docker_routes(method, path, prefix, out);
	struct span rest = { path.p + prefix, path.n - prefix };
	static const char libpod[] = "/libpod";
	size_t k = sizeof libpod - 1;
	if (rest.n < k || memcmp(rest.p, libpod, k) != 0 || (rest.n > k && rest.p[k] != '/'))
		return;
	/* Docker answers 404 to a /libpod path; what matters is Podman. */
	out->newest = (struct route_hit){ NULL, false };
	if (rest.n <= k + 1) {
		out->unknown = true;
		return;
	}
	add_twin(method, (struct span){ rest.p + k, rest.n - k }, out);
}

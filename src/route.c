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
#include <stdio.h>
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
	/* Every request asks: one look at each byte, and a closer one only
	 * where a '/' is followed by another or by a '.'. */
	const char *end = path.p + path.n;
	for (const char *c = path.p; c + 1 < end; c++) {
		if (c[0] != '/' || (c[1] != '/' && c[1] != '.'))
			continue;
		if (c[1] == '/')
			return false; /* an empty segment that is not the last */
		size_t len = 1;
		while (c + 1 + len < end && c[1 + len] != '/')
			len++;
		if (len == 1 || (len == 2 && c[2] == '.'))
			return false;
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

/* ==== Routes as a policy names them ==== */

/* True when templates a and b are the same once every "{...}" is taken
 * as one and the same variable. */
static bool same_template(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (*a == '{' && *b == '{') {
			a = strchr(a, '}');
			b = strchr(b, '}');
			if (a == NULL || b == NULL)
				return false;
		} else if (*a != *b) {
			return false;
		}
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

bool route_rule_names(const char *rule, const struct route *r)
{
	const char *space = strchr(rule, ' ');
	if (space == NULL)
		return strcmp(rule, r->operation) == 0;
	size_t n = (size_t)(space - rule);
	bool any = n == 1 && rule[0] == '*';
	const char *method = route_method_name(r->method);
	if (!any && (strlen(method) != n || memcmp(rule, method, n) != 0))
		return false;
	return same_template(space + 1, r->path);
}

bool route_sample_path(const char *tpl, bool libpod, const char *lead, const char *multi,
		       char *out, size_t cap)
{
	int n = snprintf(out, cap, "/v1.41%s", libpod ? "/libpod" : "");
	if (n < 0 || (size_t)n >= cap)
		return false;
	size_t used = (size_t)n;
	for (const char *t = tpl; *t != '\0';) {
		const char *piece = t;
		size_t len = 1;
		if (*t == '{') {
			const char *close = strchr(t, '}');
			if (close == NULL)
				return false;
			bool spans = close - t >= 3 && memcmp(close - 3, ":.*", 3) == 0;
			piece = t == tpl + 1 ? lead : spans ? multi : "x";
			len = strlen(piece);
			t = close + 1;
		} else {
			t++;
		}
		if (used + len >= cap)
			return false;
		memcpy(out + used, piece, len);
		used += len;
	}
	out[used] = '\0';
	return true;
}

const char *route_sample_method(const struct route *r)
{
	return r->method == ROUTE_ANY ? "GET" : route_method_name(r->method);
}

/* ==== Every route a request may reach (route_resolve_all) ==== */

/* The supported daemon versions as bits: ROUTE_API_OLDEST is bit 0. */
_Static_assert(ROUTE_API_NEWEST - ROUTE_API_OLDEST < 64, "one bit per API version");
#define ALL_VERSIONS (~0ull >> (63 - (ROUTE_API_NEWEST - ROUTE_API_OLDEST)))
#define NEWEST_VERSION (1ull << (ROUTE_API_NEWEST - ROUTE_API_OLDEST))

/* Room of the index. When the table outgrows it, route_resolve_all()
 * falls back to its definition: route_resolve_at() at every version. */
#define INDEX_ROUTES 512
#define INDEX_SEGMENTS 48
#define INDEX_HASH 128 /* slots of the segment hash, a power of two */
#define INDEX_ENTRIES 4096
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
	uint8_t by_hash[INDEX_HASH]; /* segment index + 1, open addressing; 0: free */
	uint16_t start[INDEX_METHODS][INDEX_SEGMENTS + 1];
	uint16_t len[INDEX_METHODS][INDEX_SEGMENTS + 1];
	uint16_t entry[INDEX_ENTRIES];
	/* Per route: the versions that register it; its template's length,
	 * the literal before its first variable (all of it without one) and
	 * after its last, which a path must start and end with. */
	uint64_t versions[INDEX_ROUTES];
	uint16_t tpl_len[INDEX_ROUTES], head[INDEX_ROUTES], tail[INDEX_ROUTES];
	bool has_var[INDEX_ROUTES], lead_var[INDEX_ROUTES];
	/* A template with exactly one variable: its class (the value is what
	 * the head and the tail leave); VAR_UNKNOWN for none or two. */
	unsigned char one_var[INDEX_ROUTES];
	uint8_t segment_of[INDEX_ROUTES]; /* its first segment's index */
} idx;

/* The paths most requests take are a template without variables
 * (/_ping, /version, /containers/json): their candidates are resolved
 * once, when the index is built, by the same walk, for the plain and for
 * a versioned path, and a request whose path after the version prefix is
 * exactly such a template takes them from here. Its path is then clean
 * too (a template is). [m][s] as for the index. */
#define LITERAL_MAX 256
#define LITERAL_HITS 4

struct literal_side {
	bool usable; /* false: more hits than fit; the walk decides */
	bool unrouted;
	uint8_t n;
	uint16_t hit[LITERAL_HITS]; /* route indexes, in table order */
	uint16_t newest;            /* route index + 1; 0: none */
	unsigned flags;
};

#define LITERAL_HASH 256 /* slots per method, a power of two */

static struct {
	uint16_t start[INDEX_METHODS][INDEX_SEGMENTS + 1];
	uint8_t len[INDEX_METHODS][INDEX_SEGMENTS + 1];
	size_t used;
	uint16_t route[LITERAL_MAX]; /* whose template is the literal */
	struct literal_side side[LITERAL_MAX][2]; /* plain, versioned */
	/* By method and literal: entry + 1, open addressing; 0: free */
	uint16_t by_hash[INDEX_METHODS][LITERAL_HASH];
} lit;

/* A few bytes of a path that starts with '/': enough to tell the
 * literals apart in most slots. */
static size_t literal_hash(struct span rest)
{
	return (rest.n * 31u + (unsigned char)rest.p[1] * 7u +
		(unsigned char)rest.p[rest.n / 2] * 3u + (unsigned char)rest.p[rest.n - 1]) &
	       (LITERAL_HASH - 1);
}

/* The first segment of a path or template that starts with '/'. A
 * segment is short: a loop costs less than a call. */
static struct span first_segment_of(const char *p, size_t n)
{
	size_t len = 0;
	while (len + 1 < n && p[len + 1] != '/')
		len++;
	return (struct span){ p + 1, len };
}

static size_t segment_hash(struct span s)
{
	if (s.n == 0)
		return 0;
	return (s.n * 31u + (unsigned char)s.p[0] * 7u + (unsigned char)s.p[s.n - 1]) &
	       (INDEX_HASH - 1);
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
	for (size_t h = segment_hash(s);; h = (h + 1) & (INDEX_HASH - 1)) {
		size_t at = idx.by_hash[h];
		if (at == 0)
			return idx.n_segments;
		const struct span *known = &idx.segment[at - 1];
		if (known->n == s.n && memcmp(known->p, s.p, s.n) == 0)
			return at - 1;
	}
}

/* Adds a segment that is not there yet to the list and the hash. */
static void add_segment(struct span s)
{
	size_t h = segment_hash(s);
	while (idx.by_hash[h] != 0)
		h = (h + 1) & (INDEX_HASH - 1);
	idx.segment[idx.n_segments++] = s;
	idx.by_hash[h] = (uint8_t)idx.n_segments;
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
		if (r->method != m && r->method != ROUTE_ANY)
			continue;
		if (!idx.lead_var[i] && idx.segment_of[i] != s)
			continue;
		if (*used == INDEX_ENTRIES)
			return false;
		idx.entry[(*used)++] = (uint16_t)i;
	}
	idx.len[m][s] = (uint16_t)(*used - idx.start[m][s]);
	return true;
}

/* Fills route i's template facts; false when its template is too long. */
static bool note_template(size_t i)
{
	const char *tpl = route_table[i].path;
	size_t n = strlen(tpl);
	const char *first = strchr(tpl, '{'), *last = strrchr(tpl, '}');
	if (n > UINT16_MAX)
		return false;
	idx.tpl_len[i] = (uint16_t)n;
	idx.has_var[i] = first != NULL && last != NULL;
	idx.lead_var[i] = first == tpl + 1;
	idx.head[i] = (uint16_t)(idx.has_var[i] ? (size_t)(first - tpl) : n);
	idx.tail[i] = (uint16_t)(idx.has_var[i] ? n - (size_t)(last - tpl) - 1 : 0);
	const char *after = tpl;
	enum var_class cls = idx.has_var[i] ? read_var(first, &after) : VAR_UNKNOWN;
	idx.one_var[i] = (unsigned char)(idx.has_var[i] && after == last + 1 ? cls : VAR_UNKNOWN);
	return true;
}

/* Whether a variable of class cls takes all of value. */
static bool value_fits(enum var_class cls, struct span value)
{
	switch (cls) {
	case VAR_ANY:
		return memchr(value.p, '\n', value.n) == NULL;
	case VAR_SOME:
		return value.n > 0 && memchr(value.p, '\n', value.n) == NULL;
	case VAR_SEGMENT:
		return value.n > 0 && memchr(value.p, '/', value.n) == NULL;
	case VAR_UNKNOWN:
		break;
	}
	return false;
}

/* Builds the index once; the table is constant, and so is the index. */
static void build_index(void)
{
	idx.built = true;
	idx.usable = route_table_len <= INDEX_ROUTES;
	for (size_t i = 0; i < route_table_len && idx.usable; i++) {
		const struct route *r = &route_table[i];
		idx.versions[i] = version_bits(r);
		if (!note_template(i)) {
			idx.usable = false;
			break;
		}
		struct span seg = first_segment_of(r->path, strlen(r->path));
		if (seg.n > 0 && seg.p[0] == '{')
			continue;
		if (looks_like_version(seg) || idx.n_segments == INDEX_SEGMENTS) {
			idx.usable = false;
			break;
		}
		if (segment_index(seg) == idx.n_segments)
			add_segment(seg);
		idx.segment_of[i] = (uint8_t)segment_index(seg);
	}
	size_t used = 0;
	for (int m = 0; m < INDEX_METHODS && idx.usable; m++)
		for (size_t s = 0; s <= idx.n_segments && idx.usable; s++)
			idx.usable = build_list((enum route_method)m, s, &used);
}

/* The routes that may match a request of method m whose path has first
 * segment seg after the version prefix. */
static const uint16_t *routes_for(enum route_method m, struct span seg, size_t *n)
{
	size_t s = segment_index(seg);
	*n = idx.len[m][s];
	return idx.entry + idx.start[m][s];
}

/* template_matches() for route i, after the cheap checks: a template
 * without variables is its literal, and every other one's path starts
 * with its head and ends with its tail. */
static bool route_matches(size_t i, const char *p, size_t n, bool one_segment)
{
	const char *tpl = route_table[i].path;
	size_t head = idx.head[i], tail = idx.tail[i], len = idx.tpl_len[i];
	/* Most routes of a list differ in their last byte: looked at first. */
	if (!idx.has_var[i])
		return n == len && p[n - 1] == tpl[len - 1] && memcmp(p, tpl, n) == 0;
	if (n < head + tail)
		return false;
	if (tail > 0 && (p[n - 1] != tpl[len - 1] ||
			 memcmp(p + n - tail, tpl + len - tail, tail) != 0))
		return false;
	if (memcmp(p, tpl, head) != 0)
		return false;
	if (idx.one_var[i] != VAR_UNKNOWN)
		return value_fits(one_segment ? VAR_SEGMENT : (enum var_class)idx.one_var[i],
				  (struct span){ p + head, n - head - tail });
	return template_matches(tpl, p, n, one_segment);
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
	const uint16_t *list = routes_for(m, first_segment_of(after.p, after.n), &n);
	uint64_t open = ALL_VERSIONS;
	for (size_t k = 0; k < n && open != 0; k++) {
		size_t i = list[k];
		const struct route *r = &route_table[i];
		uint64_t bits = idx.versions[i] & open;
		if (bits == 0)
			continue;
		/* The whole of a versioned path starts with the version, which
		 * only a template with a leading variable takes (build_index). */
		bool versioned = prefix != 0 && !(r->flags & ROUTE_F_UNVERSIONED) &&
				 route_matches(i, after.p, after.n, false);
		if (!versioned && (prefix != 0 && !idx.lead_var[i]))
			continue;
		if (!versioned && !route_matches(i, path.p, path.n, false))
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

bool route_podman_own(enum route_method m, struct span inner)
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
	const uint16_t *list = routes_for(m, first_segment_of(inner.p, inner.n), &n);
	for (size_t k = 0; k < n; k++) {
		const struct route *r = &route_table[list[k]];
		bool one_segment = strcmp(r->section, "images") != 0;
		if (!(r->flags & ROUTE_F_LIBPOD) || !route_matches(list[k], inner.p, inner.n, one_segment))
			continue;
		if (idx.has_var[list[k]] && idx.tail[list[k]] == 0 && route_podman_own(m, inner))
			break; /* a route of Podman's own comes first */
		add_hit(out, r, true);
		out->newest = (struct route_hit){ r, true };
		return;
	}
	out->unknown = true;
}

/* route_resolve_all() for a table the index cannot hold: what it means,
 * route_resolve_at() at every version, then the twin of a /libpod path by
 * walking the whole table. Slow, and never used by the table as it is. */
static void resolve_by_definition(enum route_method method, struct span path,
				  struct route_candidates *out)
{
	for (size_t i = 0; i < route_table_len; i++)
		for (unsigned v = ROUTE_API_OLDEST; v <= ROUTE_API_NEWEST; v++)
			if (route_resolve_at(method, path, v) == &route_table[i]) {
				add_hit(out, &route_table[i], false);
				break;
			}
	for (unsigned v = ROUTE_API_OLDEST; v <= ROUTE_API_NEWEST; v++)
		out->unrouted |= route_resolve_at(method, path, v) == NULL;
	out->newest = (struct route_hit){ route_resolve_at(method, path, ROUTE_API_NEWEST), false };
	size_t prefix = version_prefix_len(path);
	struct span rest = { path.p + prefix, path.n - prefix };
	if (rest.n < 7 || memcmp(rest.p, "/libpod", 7) != 0 || (rest.n > 7 && rest.p[7] != '/'))
		return;
	out->newest = (struct route_hit){ NULL, false };
	struct span inner = { rest.p + 7, rest.n - 7 };
	for (size_t i = 0; i < route_table_len && inner.n > 1; i++) {
		const struct route *r = &route_table[i];
		if (r->method != method || !(r->flags & ROUTE_F_LIBPOD) ||
		    !template_matches(r->path, inner.p, inner.n, strcmp(r->section, "images") != 0))
			continue;
		if (r->path[strlen(r->path) - 1] == '}' && route_podman_own(method, inner))
			break;
		add_hit(out, r, true);
		out->newest = (struct route_hit){ r, true };
		return;
	}
	out->unknown = true;
}

static void clear(struct route_candidates *out)
{
	out->n = 0;
	out->unrouted = false;
	out->unknown = false;
	out->newest = (struct route_hit){ NULL, false };
	out->flags = 0;
}

/* The walk through the index, for a clean path with a version prefix of
 * prefix bytes (0: none). */
static void resolve_walk(enum route_method method, struct span path, size_t prefix,
			 struct route_candidates *out)
{
	add_docker_routes(method, path, prefix, out);
	struct span rest = { path.p + prefix, path.n - prefix };
	static const char libpod[] = "/libpod";
	size_t k = sizeof libpod - 1;
	if (rest.n < k || rest.p[1] != 'l' || memcmp(rest.p, libpod, k) != 0 ||
	    (rest.n > k && rest.p[k] != '/'))
		return;
	/* Docker answers 404 to a /libpod path; what matters is Podman. */
	out->newest = (struct route_hit){ NULL, false };
	if (rest.n <= k + 1) {
		out->unknown = true;
		return;
	}
	add_twin(method, (struct span){ rest.p + k, rest.n - k }, out);
}

/* Resolves the literal of route i for method m into a side of lit. */
static void note_literal_side(enum route_method m, size_t i, bool versioned,
			      struct literal_side *side)
{
	char path[512];
	snprintf(path, sizeof path, "%s%s", versioned ? "/v1.41" : "", route_table[i].path);
	struct route_candidates c;
	clear(&c);
	resolve_walk(m, (struct span){ path, strlen(path) }, versioned ? 6 : 0, &c);
	side->usable = c.n <= LITERAL_HITS && !c.unknown;
	side->unrouted = c.unrouted;
	side->n = c.n;
	side->flags = c.flags;
	for (unsigned h = 0; h < c.n && h < LITERAL_HITS; h++) {
		side->hit[h] = (uint16_t)(c.hit[h].route - route_table);
		side->usable &= !c.hit[h].libpod;
	}
	side->newest = (uint16_t)(c.newest.route ? c.newest.route - route_table + 1 : 0);
}

/* Fills lit from the index's lists: each literal template once per list. */
static void build_literals(void)
{
	for (int m = 0; m < INDEX_METHODS; m++)
		for (size_t s = 0; s <= idx.n_segments; s++) {
			lit.start[m][s] = (uint16_t)lit.used;
			const uint16_t *list = idx.entry + idx.start[m][s];
			for (size_t k = 0; k < idx.len[m][s]; k++) {
				size_t i = list[k];
				bool seen = idx.has_var[i];
				for (size_t e = lit.start[m][s]; e < lit.used && !seen; e++)
					seen = strcmp(route_table[lit.route[e]].path, route_table[i].path) == 0;
				if (seen || lit.used == LITERAL_MAX || lit.used - lit.start[m][s] == UINT8_MAX)
					continue;
				lit.route[lit.used] = (uint16_t)i;
				note_literal_side((enum route_method)m, i, false, &lit.side[lit.used][0]);
				note_literal_side((enum route_method)m, i, true, &lit.side[lit.used][1]);
				struct span l = { route_table[i].path, idx.tpl_len[i] };
				size_t h = literal_hash(l);
				while (lit.by_hash[m][h] != 0)
					h = (h + 1) & (LITERAL_HASH - 1);
				lit.by_hash[m][h] = (uint16_t)++lit.used;
			}
			lit.len[m][s] = (uint8_t)(lit.used - lit.start[m][s]);
		}
}

/* The precomputed side for rest, the path after a version prefix (or the
 * whole of a plain one), when rest is a literal template; else NULL. */
static const struct literal_side *literal_of(enum route_method m, struct span rest, bool versioned)
{
	if (rest.n < 2)
		return NULL; /* no template is "/" */
	for (size_t h = literal_hash(rest);; h = (h + 1) & (LITERAL_HASH - 1)) {
		size_t e = lit.by_hash[m][h];
		if (e-- == 0)
			return NULL;
		size_t i = lit.route[e];
		if (idx.tpl_len[i] == rest.n && memcmp(route_table[i].path, rest.p, rest.n) == 0)
			return lit.side[e][versioned].usable ? &lit.side[e][versioned] : NULL;
	}
}

void route_prepare(void)
{
	if (idx.built)
		return;
	build_index();
	if (idx.usable)
		build_literals();
}

void route_resolve_all(enum route_method method, struct span path, struct route_candidates *out)
{
	if (!idx.built)
		route_prepare();
	if (!idx.usable) {
		clear(out);
		if (path_is_clean(path))
			resolve_by_definition(method, path, out);
		else
			out->unrouted = true;
		return;
	}
	size_t prefix = version_prefix_len(path);
	struct span rest = { path.p + prefix, path.n - prefix };
	const struct literal_side *known = literal_of(method, rest, prefix != 0);
	if (known != NULL) {
		for (unsigned h = 0; h < known->n; h++)
			out->hit[h] = (struct route_hit){ &route_table[known->hit[h]], false };
		out->n = known->n;
		out->unrouted = known->unrouted;
		out->unknown = false;
		out->flags = known->flags;
		out->newest = (struct route_hit){
			known->newest ? &route_table[known->newest - 1] : NULL, false };
		return;
	}
	clear(out);
	if (!path_is_clean(path)) {
		out->unrouted = true;
		return;
	}
	resolve_walk(method, path, prefix, out);
}

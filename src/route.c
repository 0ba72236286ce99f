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

/* True when the NUL-terminated template tpl matches all of p[0..n). */
static bool template_matches(const char *tpl, const char *p, size_t n)
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
	/* The longest stretch the variable's class allows; then every length
	 * down to its minimum, as the regular expression could. */
	char stop = cls == VAR_SEGMENT ? '/' : '\n';
	size_t longest = 0;
	while (longest < n && p[longest] != stop)
		longest++;
	size_t shortest = cls == VAR_ANY ? 0 : 1;
	for (size_t len = longest + 1; len-- > shortest;)
		if (template_matches(rest, p + len, n - len))
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
		    template_matches(r->path, path.p + prefix, path.n - prefix))
			return r;
		if (template_matches(r->path, path.p, path.n))
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

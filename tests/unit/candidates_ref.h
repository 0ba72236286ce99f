/* candidates_ref.h - a second, slow reading of route_resolve_all(), for
 * tests/unit/test_routes.c and tests/fuzz/fuzz_candidates.c.
 *
 * Docker's routes: the set of route_resolve_at() over every API version
 * the table knows, one walk of the whole table per version (route_resolve_at
 * is itself checked against gorilla/mux's regular expressions by
 * fuzz_routes). The /libpod twin: the whole table walked in order, each
 * route with a twin turned into the POSIX expression Podman registers
 * (names one segment, image names as the template says), the first match
 * taken unless it ends in a name and Podman registers a literal of its own
 * at that path (route_podman_own(): that list is data read from Podman,
 * kept in one place; what this checks is the walk around it). ref_compare() says how route_resolve_all() differs
 * from that, or returns NULL. Header-only: each includer is one program. */
#ifndef DOCKGATE_TEST_CANDIDATES_REF_H
#define DOCKGATE_TEST_CANDIDATES_REF_H

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mux_ref.h"
#include "route.h"

static regex_t ref_twin_re[512];
static bool ref_twin_compiled;

static void ref_compile(void)
{
	if (ref_twin_compiled)
		return;
	ref_twin_compiled = true;
	for (size_t i = 0; i < route_table_len && i < 512; i++) {
		if (!(route_table[i].flags & ROUTE_F_LIBPOD))
			continue;
		char re[512];
		/* Podman takes image names as the template says, every
		 * other name as one segment. */
		bool images = strcmp(route_table[i].section, "images") == 0;
		mux_ref_regex(route_table[i].path, "", images, re, sizeof re);
		if (regcomp(&ref_twin_re[i], re, REG_EXTENDED | REG_NOSUB) != 0)
			abort();
	}
}

/* Where "/libpod/" starts in path (after a "/v[0-9.]+" prefix or at 0),
 * or -1. */
static long ref_libpod_at(const char *path)
{
	size_t at = 0;
	if (path[0] == '/' && path[1] == 'v') {
		size_t i = 2;
		while ((path[i] >= '0' && path[i] <= '9') || path[i] == '.')
			i++;
		if (i > 2 && path[i] == '/')
			at = i;
	}
	return strncmp(path + at, "/libpod", 7) == 0 && (path[at + 7] == '/' || path[at + 7] == '\0')
		       ? (long)at : -1;
}

/* How got differs from the reference for method m and the NUL-terminated
 * path (its bytes: n, no NUL inside), in why; NULL when it does not. */
static const char *ref_compare(enum route_method m, const char *path, size_t n,
			       const struct route_candidates *got, char *why, size_t cap)
{
	ref_compile();
	struct span s = { path, n };
	if (!mux_ref_clean(path)) {
		if (got->n != 0 || !got->unrouted || got->unknown || got->newest.route != NULL) {
			snprintf(why, cap, "an unclean path reaches nothing");
			return why;
		}
		return NULL;
	}
	/* Docker: the versions' routes, each once, in table order. */
	bool seen[512] = { false }, unrouted = false;
	for (unsigned v = ROUTE_API_OLDEST; v <= ROUTE_API_NEWEST; v++) {
		const struct route *r = route_resolve_at(m, s, v);
		if (r == NULL)
			unrouted = true;
		else
			seen[r - route_table] = true;
	}
	size_t k = 0;
	for (size_t i = 0; i < route_table_len; i++) {
		if (!seen[i])
			continue;
		if (k >= got->n || got->hit[k].libpod || got->hit[k].route != &route_table[i]) {
			snprintf(why, cap, "docker candidate %zu should be %s %s", k,
				 route_method_name(route_table[i].method), route_table[i].path);
			return why;
		}
		k++;
	}
	if (unrouted != got->unrouted) {
		snprintf(why, cap, "unrouted should be %d", unrouted);
		return why;
	}
	const struct route *newest = route_resolve_at(m, s, ROUTE_API_NEWEST);
	long at = ref_libpod_at(path);
	if (at < 0) {
		/* No twin: exactly the docker routes, and the newest's. */
		if (k != got->n || got->unknown || got->newest.route != newest ||
		    got->newest.libpod) {
			snprintf(why, cap, "%u candidates (%zu expected), unknown %d, newest %s",
				 got->n, k, got->unknown,
				 got->newest.route ? got->newest.route->path : "none");
			return why;
		}
		return NULL;
	}
	/* The twin. */
	const char *inner = path + at + 7;
	const struct route *twin = NULL;
	for (size_t i = 0; i < route_table_len && *inner == '/'; i++) {
		const struct route *r = &route_table[i];
		if (!(r->flags & ROUTE_F_LIBPOD) || r->method != m ||
		    regexec(&ref_twin_re[i], inner, 0, NULL, 0) != 0)
			continue;
		struct span rest = { inner, strlen(inner) };
		if (r->path[strlen(r->path) - 1] != '}' || !route_podman_own(m, rest))
			twin = r;
		break;
	}
	bool twin_ok = twin == NULL ? got->unknown && got->n == k
				    : got->n == k + 1 && got->hit[k].route == twin &&
					      got->hit[k].libpod && !got->unknown;
	if (!twin_ok || got->newest.route != twin || (twin && !got->newest.libpod)) {
		snprintf(why, cap, "twin should be %s (got %u candidates, unknown %d)",
			 twin ? twin->path : "none", got->n, got->unknown);
		return why;
	}
	return NULL;
}

#endif

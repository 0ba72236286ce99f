/* libFuzzer target: route_resolve_at() against a second, independent
 * reading of the same table. The first input byte picks the method and
 * the daemon's API version, the rest is the path. The reference turns
 * each template into the POSIX regular expression gorilla/mux would build
 * (anchored; {x} as [^/]+, {x:.*} as [^\n]*, {x:.+} as [^\n]+, the last
 * two because Go's '.' does not match a newline), prefixed by the version
 * matcher or not, and takes the first route in table order whose method
 * and expression match. Invariants: both agree on every clean path, and
 * an unclean one (which the router redirects) reaches no route. */
#include <assert.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/mux_ref.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static regex_t plain_re[512], versioned_re[512];

static void compile_table(void)
{
	assert(route_table_len <= 512);
	for (size_t i = 0; i < route_table_len; i++) {
		char p[512], v[512];
		mux_ref_regex(route_table[i].path, "", true, p, sizeof p);
		mux_ref_regex(route_table[i].path, "/v[0-9.]+", true, v, sizeof v);
		assert(regcomp(&plain_re[i], p, REG_EXTENDED | REG_NOSUB) == 0);
		assert(regcomp(&versioned_re[i], v, REG_EXTENDED | REG_NOSUB) == 0);
	}
}

static const struct route *reference_resolve(enum route_method m, const char *path,
					     unsigned api)
{
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		if ((r->method != m && r->method != ROUTE_ANY) || !route_registered_at(r, api))
			continue;
		if (!(r->flags & ROUTE_F_UNVERSIONED) && regexec(&versioned_re[i], path, 0, NULL, 0) == 0)
			return r;
		if (regexec(&plain_re[i], path, 0, NULL, 0) == 0)
			return r;
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool compiled;
	if (!compiled) {
		compile_table();
		compiled = true;
	}
	if (size < 1 || size > 512 || memchr(data + 1, '\0', size - 1))
		return 0;
	enum route_method m = (enum route_method)(data[0] % (ROUTE_OTHER + 1));
	if (m == ROUTE_ANY)
		m = ROUTE_OTHER;
	unsigned api = ROUTE_API(1, 24 + (data[0] >> 3) % 32);
	char *path = malloc(size);
	assert(path != NULL);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	struct span s = { path, size - 1 };
	const struct route *got = route_resolve_at(m, s, api);
	if (mux_ref_clean(path))
		assert(got == reference_resolve(m, path, api));
	else
		assert(got == NULL);
	free(path);
	return 0;
}

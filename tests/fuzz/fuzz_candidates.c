/* libFuzzer target: route_resolve_all(), with its index by method and
 * first segment, against the slow reading in tests/unit/candidates_ref.h
 * (every API version's route_resolve_at(), and Podman's twin by regular
 * expressions over the whole table). The first input byte picks the
 * method, the rest is the path. Invariants: the two agree on every path,
 * the flags are the candidates' flags, and no path comes near the cut at
 * ROUTE_CANDIDATES_MAX. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/candidates_ref.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 512 || memchr(data + 1, '\0', size - 1))
		return 0;
	enum route_method m = (enum route_method)(data[0] % (ROUTE_OTHER + 1));
	if (m == ROUTE_ANY)
		m = ROUTE_OTHER;
	char *path = malloc(size);
	assert(path != NULL);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	struct route_candidates got;
	route_resolve_all(m, (struct span){ path, size - 1 }, &got);
	char why[200];
	const char *diff = ref_compare(m, path, size - 1, &got, why, sizeof why);
	if (diff != NULL) {
		fprintf(stderr, "%s %s: %s\n", route_method_name(m), path, diff);
		abort();
	}
	unsigned flags = 0;
	for (unsigned i = 0; i < got.n; i++)
		flags |= got.hit[i].route->flags;
	assert(flags == got.flags);
	assert(got.n <= ROUTE_CANDIDATES_MAX / 2);
	free(path);
	return 0;
}

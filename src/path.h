/* path.h - checking a request-target the way the Docker daemon will read it.
 *
 * The daemon (Go net/http + gorilla/mux) routes the once-percent-decoded
 * path, case-sensitively, after an optional "/v<digits and dots>" version
 * prefix, and answers 301 instead of routing a path that path.Clean would
 * change. path_check() accepts only origin-form targets whose decoded path
 * is already clean and unambiguous, so that what the policy sees is exactly
 * what the daemon executes; everything else is rejected (caller sends 400),
 * never rewritten. */
#ifndef DOCKGATE_PATH_H
#define DOCKGATE_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"

struct path_info {
	struct span path;    /* decoded path, version prefix included */
	struct span rest;    /* decoded path after the version prefix, "/..." */
	struct span section; /* first segment of rest ("containers", "_ping") */
	struct span query;   /* raw query after '?', not decoded; may be empty */
	bool versioned;      /* a /vMAJOR.MINOR[.PATCH] prefix was present */
	unsigned api_major, api_minor;
	const char *error;   /* why -1 was returned */
};

/* Checks target and decodes its path into scratch (at least target.n
 * bytes). Returns 0 with *info filled (spans point into scratch and
 * target), or -1 with info->error set. */
int path_check(struct span target, char *scratch, size_t scratch_len,
	       struct path_info *info);

#endif

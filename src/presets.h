/* presets.h - built-in profiles for the clients people run: the exact
 * operations each calls, and where that list was read.
 *
 * Data only. profile.c compiles a preset into a profile as it would a
 * policy-file profile with the same allow list. */
#ifndef DOCKGATE_PRESETS_H
#define DOCKGATE_PRESETS_H

#include <stddef.h>

struct preset {
	const char *name;   /* "traefik": PROFILE=traefik, extends: traefik */
	const char *client; /* what it is for: "Traefik's Docker provider" */
	const char *source; /* where the call list came from */
	/* NULL-terminated rules as a policy file writes them (profile.h,
	 * profile_apply_rule): operation names or "METHOD /template". */
	const char *const *allow;
};

extern const struct preset presets[];
extern const size_t n_presets;

/* The preset called name, or NULL. */
const struct preset *preset_find(const char *name);

#endif

/* policy_libpod.h - the LIBPOD_* switches as the rule list reads them.
 *
 * policy.c's own helper: the switches themselves are policy.h's
 * policy_libpod_switches. Each function is pure, reading only settings
 * and the table. */
#ifndef DOCKGATE_POLICY_LIBPOD_H
#define DOCKGATE_POLICY_LIBPOD_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

/* The switch of kind named name (a segment, or for a grant the Docker
 * switch it mirrors, "ALLOW_STOP"), or NULL when there is none. */
const struct policy_libpod_switch *policy_libpod_find(enum policy_libpod_kind kind,
						      const char *name);

/* The setting of that switch when s turns it on ("LIBPOD_CONTAINERS"),
 * else NULL. */
const char *policy_libpod_on(const struct policy_settings *s, enum policy_libpod_kind kind,
			     const char *name);

/* True when s makes any /libpod rule: LIBPOD=1 or a LIBPOD_* switch on. */
bool policy_libpod_any(const struct policy_settings *s);

/* Fills *view with the settings as the /libpod family sees them: a Docker
 * section is on with LIBPOD=1 and that section, or with its
 * LIBPOD_<SECTION> alone; the rest (POST, gates, methods) is s's. */
void policy_libpod_view(const struct policy_settings *s, struct policy_settings *view);

/* The LIBPOD_ALLOW_* switch of kind (POLICY_LP_GRANT or
 * POLICY_LP_POD_GRANT) that grants action, or NULL: as ALLOW_RESTARTS,
 * LIBPOD_ALLOW_RESTARTS grants stop, restart and kill. */
const char *policy_libpod_grant(const struct policy_settings *s, enum policy_libpod_kind kind,
				enum policy_cond action);

/* Writes ", or only <switches>" into out (cap bytes) for a lifecycle
 * action that docker_switch ("ALLOW_START") grants on a Docker path, as
 * a denial names it: on a /libpod path without LIBPOD=1, the
 * LIBPOD_ALLOW_* switch too (need_libpod: the twin's section is closed). */
void policy_libpod_alternative(const struct policy_settings *s, bool is_libpod,
			       bool need_libpod, const char *docker_switch, char *out,
			       size_t cap);

#endif

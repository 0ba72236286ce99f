/* presets.c - the built-in profiles; see presets.h. */
#include "presets.h"

#include <string.h>

static const char *const ping_and_version[] = { "SystemPing", "SystemPingHead", "SystemVersion", NULL };

const struct preset presets[] = {
	{ "ping", "health checks that only ask whether the daemon answers",
	  "the Engine API reference: GET and HEAD /_ping, GET /version", ping_and_version },
};
const size_t n_presets = sizeof presets / sizeof presets[0];

const struct preset *preset_find(const char *name)
{
	for (size_t i = 0; i < n_presets; i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

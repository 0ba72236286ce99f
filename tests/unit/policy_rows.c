/* policy_rows.c - settings and policy_judge() rows for the unit tests;
 * see policy_rows.h. */
#include "policy_rows.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "path.h"
#include "rows.h"

/* The settings that are one flag of struct policy_settings. */
static const struct {
	const char *name;
	size_t at; /* offsetof the bool */
} flags[] = {
	{ "POST", offsetof(struct policy_settings, post) },
	{ "DELETE", offsetof(struct policy_settings, allow_delete) },
	{ "PUT", offsetof(struct policy_settings, allow_put) },
	{ "PATCH", offsetof(struct policy_settings, allow_patch) },
	{ "SPLIT", offsetof(struct policy_settings, methods_split) },
	{ "LIBPOD", offsetof(struct policy_settings, libpod) },
	{ "ALLOW_START", offsetof(struct policy_settings, allow_start) },
	{ "ALLOW_STOP", offsetof(struct policy_settings, allow_stop) },
	{ "ALLOW_RESTARTS", offsetof(struct policy_settings, allow_restarts) },
	{ "ALLOW_PAUSE", offsetof(struct policy_settings, allow_pause) },
	{ "ALLOW_UNPAUSE", offsetof(struct policy_settings, allow_unpause) },
	{ "ALLOW_SECRET_VALUES", offsetof(struct policy_settings, allow_secret_values) },
	{ "ALLOW_VOLUME_EXPORT", offsetof(struct policy_settings, allow_volume_export) },
};

/* Sets the one setting name to on; false when there is no such setting. */
static bool set_one(struct policy_settings *s, const char *name, bool on)
{
	for (size_t i = 0; i < N_ROWS(flags); i++)
		if (strcmp(name, flags[i].name) == 0) {
			*(bool *)((char *)s + flags[i].at) = on;
			return true;
		}
	for (size_t g = 0; g < POLICY_N_GATES; g++)
		if (strcmp(name, policy_gates[g].setting) == 0) {
			s->gate_closed[g] = !on;
			return true;
		}
	bool all = strcmp(name, "ALL") == 0, gated = strcmp(name, "GATED") == 0, found = false;
	for (size_t i = 0; i < policy_n_sections; i++)
		if (all || strcmp(name, policy_sections[i].setting) == 0) {
			s->section_on[i] = on;
			found = true;
		}
	for (size_t g = 0; gated && g < POLICY_N_GATES; g++)
		s->gate_closed[g] = on;
	for (size_t i = 0; i < policy_n_libpod_switches; i++)
		if (strcmp(name, policy_libpod_switches[i].setting) == 0) {
			s->libpod_on[i] = on;
			found = true;
		}
	return found || gated;
}

void policy_rows_settings(const char *text, struct policy_settings *s)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < policy_n_sections; i++)
		s->section_on[i] = policy_sections[i].default_on;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", text);
	char *save = NULL;
	for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		if (eq == NULL || (eq[1] != '0' && eq[1] != '1') || eq[2] != '\0')
			fail_msg("bad setting '%s' in a row", tok);
		*eq = '\0';
		if (!set_one(s, tok, eq[1] == '1'))
			fail_msg("no setting %s", tok);
	}
}

struct policy *policy_rows_compile(const char *text)
{
	struct policy_settings s;
	policy_rows_settings(text, &s);
	struct policy *p = policy_compile(&s, NULL, 0);
	assert_non_null(p);
	return p;
}

void policy_rows_judge(const char *settings, const char *method, const char *target,
		       bool has_body, struct policy_verdict *v)
{
	struct policy *p = policy_rows_compile(settings);
	char scratch[512];
	struct path_info info;
	struct span t = { target, strlen(target) };
	if (path_check(t, scratch, sizeof scratch, &info) != 0) {
		policy_free(p);
		fail_msg("path_check rejects %s: %s", target, info.error);
	}
	struct policy_request rq = { .method = { method, strlen(method) }, .path = &info,
				     .has_body = has_body };
	policy_judge(p, &rq, v);
	policy_free(p);
}

void policy_rows_check(const struct policy_row *row, const struct policy_verdict *v)
{
	if (v->allow != row->allow)
		fail_msg("%s %s: %s (because %s; message '%s')", row->method, row->target,
			 v->allow ? "allowed" : "denied", v->because ? v->because : "-", v->message);
	if (row->because == NULL ? v->because != NULL
				 : v->because == NULL || strcmp(v->because, row->because) != 0)
		fail_msg("because %s, want %s ('%s')", v->because ? v->because : "-",
			 row->because ? row->because : "-", v->message);
	if (row->allow) {
		assert_string_equal(v->message, "");
		return;
	}
	/* Every denial says what was denied. */
	char what[300];
	snprintf(what, sizeof what, " %s ", row->method);
	if (strncmp(v->message, "dockgate: ", 10) != 0 || strstr(v->message, what) == NULL ||
	    strstr(v->message, "is denied") == NULL)
		fail_msg("message '%s' does not say '%s ... is denied'", v->message, row->method);
	for (size_t i = 0; i < N_ROWS(row->says) && row->says[i]; i++)
		if (strstr(v->message, row->says[i]) == NULL)
			fail_msg("message '%s' does not say '%s'", v->message, row->says[i]);
	if (row->not_says != NULL && strstr(v->message, row->not_says) != NULL)
		fail_msg("message '%s' says '%s'", v->message, row->not_says);
}

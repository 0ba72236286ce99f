/* policy_rows.h - what the unit tests of the environment's rule list
 * share: settings written as a row writes them, and a policy_judge() row
 * with the checks every verdict must pass. */
#ifndef DOCKGATE_TEST_POLICY_ROWS_H
#define DOCKGATE_TEST_POLICY_ROWS_H

#include "policy.h"

/* Fills *s from "CONTAINERS=1 POST=1 ALLOW_LOGS=0 ..." over the defaults
 * (EVENTS, PING and VERSION on, the rest 0, every gate open, POST opening
 * every method). Each word is a setting, "=", and 0 or 1: a section, a
 * gate (0 closes it), POST, DELETE, PUT, PATCH, LIBPOD, ALLOW_START,
 * ALLOW_STOP, ALLOW_RESTARTS, ALLOW_PAUSE, ALLOW_UNPAUSE,
 * ALLOW_SECRET_VALUES, ALLOW_VOLUME_EXPORT, a LIBPOD_* switch; or what
 * cfg.c makes of the environment: "ALL" every section, "GATED" every gate closed (as when a
 * gate variable is present), "SPLIT" each method its own switch (as when
 * DELETE, PUT or PATCH is present). Anything else fails the test. */
void policy_rows_settings(const char *text, struct policy_settings *s);

/* policy_compile() of those settings; fails the test when it fails. The
 * caller frees the policy. */
struct policy *policy_rows_compile(const char *text);

struct policy_row {
	const char *name;
	const char *settings;
	const char *method, *target;
	/* expected: */
	bool allow;
	const char *because;  /* the deciding setting; NULL: no rule matched */
	const char *says[3];  /* on deny: words the message must contain */
	const char *not_says; /* on deny: words it must not contain */
};

/* The verdict of the policy of settings for method and target (checked
 * by path_check(), which must accept it), with or without a body. */
void policy_rows_judge(const char *settings, const char *method, const char *target,
		       bool has_body, struct policy_verdict *v);

/* Fails the test unless v is what row expects. A denial must also start
 * "dockgate: " and say the method and "is denied". */
void policy_rows_check(const struct policy_row *row, const struct policy_verdict *v);

#endif

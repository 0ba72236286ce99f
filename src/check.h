/* check.h - what a policy grants, per profile: `dockgate check` and the
 * startup log's one line per profile.
 *
 * Nothing here is a second policy. A profile's grants are found by
 * judging, for every route of route_table and its /libpod twin, sample
 * requests of it (each template variable a name "x", a {name:.*} also
 * the two segments "x/y"), resolved to every route they may reach and
 * judged with profile_judge(), or policy_judge() for the environment's
 * rule list alone, as conn_request.c judges a client's. A sample that
 * does not reach the route (a twin another registration shadows) grants
 * nothing.
 * A grant whose decision changes with the query or a body (a lifecycle
 * switch admits only its own query parameters; showsecret) or with the
 * name is marked conditional, saying what it depends on.
 *
 * One table (check.c, check_risks) says which operations are
 * root-equivalent or hand data out, and what each risks; `check` and the
 * startup log both read it, with the variables that would close each
 * grant, asked of the same judge. */
#ifndef DOCKGATE_CHECK_H
#define DOCKGATE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "policy.h"
#include "profile.h"
#include "route.h"

/* What a grant depends on beyond method and path (bits). */
enum {
	CHECK_C_BODY = 1u << 0,       /* allowed only without a body */
	CHECK_C_QUERY = 1u << 1,      /* only with its own query parameters */
	CHECK_C_SHOWSECRET = 1u << 2, /* not with a showsecret query key */
	CHECK_C_NAME = 1u << 3,       /* not for a {name:.*} that spans '/' */
	CHECK_C_SECTION = 1u << 4,    /* a path of any section: only some */
};

/* An operation that is root-equivalent or hands data out. */
struct check_risk {
	const char *operation; /* route operation name, "ContainerArchive" */
	const char *label;     /* what the warning is called, "archive" */
	const char *risk;      /* what it gives a client, "files out (docker cp)" */
};

/* The risk of route r's operation, or NULL when it has none listed. */
const struct check_risk *check_risk_of(const struct route *r);

/* One route (or /libpod twin) a profile allows for some request. */
struct check_grant {
	const struct route *route;
	bool libpod;
	unsigned conditions;  /* CHECK_C_* */
	const char *because;  /* the setting or origin that allows it */
	/* What would close it: "ALLOW_ARCHIVE=0 or CONTAINERS=0", "deny it in
	 * a policy file profile (preset ci-runner grants it)". */
	char closer[96];
};

/* What one profile grants. */
struct check_report {
	char name[PROFILE_NAME_MAX];
	struct check_grant *grants; /* in route_table order, twins after their route */
	size_t n_grants;
	char note[160]; /* the env rule list's methods: "reads only (POST=0), ..." */
};

/* Fills *r with what profile p (NULL: the environment's rule list env
 * alone, named "env") allows. env is the rule list the profile's BY_ENV
 * decisions hand over to (may be NULL when p has none). 0, or -1 with
 * errno ENOMEM. Free with check_report_free(). */
int check_report_build(struct check_report *r, const struct profile *p,
		       const struct policy *env);
void check_report_free(struct check_report *r);

/* The report for `dockgate check`: the grants grouped by section, each
 * with method, template, why and its conditions, then one warning per
 * risk with the operations it covers and what closes it. */
void check_report_print(const struct check_report *r, FILE *out);

/* The startup log's line, without the "policy: " prefix: "profile env:
 * 14 operations in containers, events, _ping, version; warnings: archive
 * (files out (docker cp); ALLOW_ARCHIVE=0 or CONTAINERS=0 closes it),
 * ...". Cut to cap bytes. */
void check_report_line(const struct check_report *r, char *out, size_t cap);

/* Every profile's report (check_report_print), a blank line between;
 * a NULL entry is the environment's rule list alone. 0, or -1 with
 * errno ENOMEM. */
int check_print_all(FILE *out, const struct profile *const *profiles, size_t n,
		    const struct policy *env);

/* The startup log: one notice per profile (check_report_line). */
void check_log_all(const struct profile *const *profiles, size_t n, const struct policy *env);

/* True when argv asks for `dockgate check` (argv[1] is "check"). */
bool check_requested(int argc, char **argv);

#endif

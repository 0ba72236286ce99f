/* profile.h - a named policy that judges by the route a request reaches.
 *
 * The environment's settings compile into policy.c's rule list, judged by
 * path as docker-socket-proxy judges (the drop-in contract). A profile is
 * finer: one decision per route of route_table (route.h), and one for its
 * /libpod twin, set from a preset, a policy file, or the settings. Judging
 * is one table lookup after the route is resolved, however many rules made
 * the table. A decision may hand the request to the environment's rule
 * list (PROFILE_BY_ENV): that is how a profile extends the settings, and
 * how a preset is widened by a section setting.
 *
 * Profiles are built at startup (and at a reload) and never change once a
 * connection may judge with them. */
#ifndef DOCKGATE_PROFILE_H
#define DOCKGATE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "route.h"

#define PROFILE_NAME_MAX 48
/* What set a decision, for the denial that names it: "policy.yml:12:7",
 * "preset traefik", "CONTAINERS=1". */
#define PROFILE_ORIGIN_MAX 96

enum profile_decision {
	PROFILE_DENY = 0, /* the default of every route */
	PROFILE_ALLOW,
	PROFILE_BY_ENV,   /* the environment's rule list judges */
};

struct profile;

/* A profile with every route denied. env, when not NULL, is the rule list
 * PROFILE_BY_ENV decisions hand over to; when unrouted_by_env is true, a
 * request that reaches no route is judged by env too (an env-based
 * profile keeps docker-socket-proxy's answer for paths the daemon 404s),
 * else it is denied. NULL on out of memory. */
struct profile *profile_new(const char *name, const struct policy *env, bool unrouted_by_env);
void profile_free(struct profile *p);

const char *profile_name(const struct profile *p);

/* Sets the decision for route r (libpod: its /libpod twin, which exists
 * only for routes flagged ROUTE_F_LIBPOD; -1 otherwise). origin is copied,
 * cut to PROFILE_ORIGIN_MAX. Returns 0, or -1 with errno EINVAL. */
int profile_set(struct profile *p, const struct route *r, bool libpod,
		enum profile_decision d, const char *origin);

/* The decision for route r and where it came from (origin may be NULL). */
enum profile_decision profile_get(const struct profile *p, const struct route *r, bool libpod,
				  const char **origin);

/* Copies every decision (and origin) of parent into p: "extends". */
void profile_inherit(struct profile *p, const struct profile *parent);

/* Sets decision d on every route that rule names: an operation name
 * ("ContainerList"), or a method and a template ("GET
 * /containers/{id}/json": variable names are free, every {...} matches
 * any variable of the same place; "*" as the method names every method).
 * With libpod, their /libpod twins too. Returns how many routes were set:
 * 0 when the rule names none (the caller reports that as an error). */
int profile_apply_rule(struct profile *p, const char *rule, bool libpod,
		       enum profile_decision d, const char *origin);

/* Sets decision d on every route of a section ("containers"), whose
 * method bit (1u << enum route_method) is in methods. Returns how many. */
int profile_apply_section(struct profile *p, const char *section, unsigned methods,
			  bool libpod, enum profile_decision d, const char *origin);

/* Judges a request whose route was resolved into rq->route (NULL: none).
 * On deny, v->message names the operation, the profile and what would
 * allow it (the setting, or the policy file's line), never the policy. */
void profile_judge(const struct profile *p, const struct policy_request *rq,
		   struct policy_verdict *v);

#endif

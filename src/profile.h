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

/* What a denial by a route nothing allowed says of where the profile
 * comes from, after its name: "preset traefik; allow it in a policy file
 * profile that extends traefik", "policy.yml:3:3". Copied, cut to
 * PROFILE_ORIGIN_MAX; NULL or "" for nothing. A child (profile_inherit)
 * without one takes its parent's. */
void profile_set_source(struct profile *p, const char *source);

/* Sets the decision for route r (libpod: its /libpod twin, which exists
 * only for routes flagged ROUTE_F_LIBPOD; -1 otherwise). origin is copied,
 * cut to PROFILE_ORIGIN_MAX. Returns 0, or -1 with errno EINVAL (no such
 * route or twin, no such decision), ENOMEM, or ENOSPC (more than 65535
 * distinct origins in one profile). */
int profile_set(struct profile *p, const struct route *r, bool libpod,
		enum profile_decision d, const char *origin);

/* The decision for route r and where it came from (origin may be NULL). */
enum profile_decision profile_get(const struct profile *p, const struct route *r, bool libpod,
				  const char **origin);

/* Copies every decision (and origin) of parent into p: "extends". p also
 * takes parent's unrouted_by_env, and its env rule list and source when p
 * has none. Out of memory may lose an origin, never a decision. */
void profile_inherit(struct profile *p, const struct profile *parent);

/* Sets decision d on every route that rule names: an operation name
 * ("ContainerList"), or a method and a template ("GET
 * /containers/{id}/json": variable names are free, every {...} matches
 * any variable of the same place; "*" as the method names every method).
 * With libpod, their /libpod twins too. Returns how many routes were set:
 * 0 when the rule names none (the caller reports that as an error), -1
 * with errno as profile_set() when a decision cannot be stored. The
 * method is exact: "GET" does not name the debug routes that API 1.24 to
 * 1.47 register for every method ("*" does). */
int profile_apply_rule(struct profile *p, const char *rule, bool libpod,
		       enum profile_decision d, const char *origin);

/* Sets decision d on every route of a section ("containers"), whose
 * method bit (1u << enum route_method) is in methods. Returns how many
 * slots (a twin counts), or -1 as profile_apply_rule(). */
int profile_apply_section(struct profile *p, const char *section, unsigned methods,
			  bool libpod, enum profile_decision d, const char *origin);

struct preset;

/* The profile of a built-in preset (presets.h): named after it, every
 * rule of its allow list ALLOW with origin "preset NAME" (Docker's routes
 * only: a preset says what a Docker client calls), everything else
 * DENY, unrouted requests denied; env is the rule list BY_ENV decisions
 * hand over to (profile_widen()). NULL with errno: ENOMEM, or EINVAL when
 * a rule names no route, with the rule in *bad_rule (may be NULL). */
struct profile *profile_from_preset(const struct preset *pr, const struct policy *env,
				    const char **bad_rule);

/* PROFILE=<preset> with settings (policy.h): a setting at a value other
 * than its default widens the preset by exactly what it grants in env
 * mode. A route slot that p does not already allow becomes BY_ENV when
 * its section is open in p's env rule list and not in base (the rule list
 * of the settings at their defaults; twins only with LIBPOD), or when a
 * sample request of it (the template with every name "x", behind /v1.41)
 * is allowed by the env rule list and not by base (ALLOW_START, LIBPOD,
 * POST on what the defaults open). So POST, the lifecycle switches and
 * the gates keep their meaning there, and their denials their words. Its
 * origin is the setting, "CONTAINERS=1", "LIBPOD=1". Defaults add
 * nothing: EVENTS=1 is the default, so a preset without SystemEvents
 * stays without it. summary (cap bytes; may be NULL) gets "CONTAINERS=1
 * on 31 routes, ..." for the log. Returns the slots widened, or -1 with
 * errno from profile_set(). */
int profile_widen(struct profile *p, const struct policy *base, char *summary, size_t cap);

/* A setting narrows no profile: a closed gate (ALLOW_LOGS=0) denies in
 * env mode, but the operations a preset allows stay allowed under
 * PROFILE, which the startup log and `dockgate check` must say. Writes
 * to out (cap bytes) the operations p allows that closed gate g would
 * deny on a Docker route, ", "-separated; returns how many. */
int profile_gate_ignored(const struct profile *p, enum policy_gate g, char *out, size_t cap);

/* Judges a request by every route it may reach (rq->routes; when NULL,
 * rq->route alone, NULL meaning none). It is allowed when every
 * candidate is: ALLOW, or BY_ENV and the env rule list (policy_judge(),
 * asked once with the same request) allows it. A request that reaches no
 * route on any daemon, or that Podman may route to an operation the
 * table lacks (route.h, unknown), is denied, unless the profile is
 * unrouted_by_env: then the env rule list judges it. A daemon version
 * that routes it nowhere is no reason to deny: it answers 404. On deny,
 * v->message names the operation, the profile and what would allow it
 * (the origin of a deny rule, or where the profile comes from; an env
 * denial says its setting), never the policy. v->because on allow is the
 * env rule's setting when the env list was asked, else the profile's
 * name (both outlive the request). A request with a version prefix
 * below ROUTE_API_OLDEST is denied whatever the decisions: the table
 * says nothing of what older API versions do (a start below 1.24 applies
 * a HostConfig body). */
void profile_judge(const struct profile *p, const struct policy_request *rq,
		   struct policy_verdict *v);

#endif

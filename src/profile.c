/* profile.c - per-route decisions and profile_judge(); see profile.h.
 *
 * A profile is two arrays over route slots: route i of route_table at
 * slot 2i, its /libpod twin at slot 2i+1 (unused when the route has
 * none). Each slot holds a decision and the index of its origin in a
 * table of distinct origin strings: a policy file's thousand rules name
 * at most a thousand lines, a preset one string, so a profile costs three
 * bytes per slot whatever made it. Judging reads one slot per route the
 * request may reach. */
#include "profile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "presets.h"

/* A policy file line or a setting per origin: more than this many
 * distinct ones in one profile is refused (ENOSPC), never wrapped. */
#define PROFILE_ORIGINS_LIMIT UINT16_MAX

struct profile {
	char name[PROFILE_NAME_MAX];
	/* What a denial says of where the profile comes from ("preset
	 * traefik; ..."), after its name; "" for nothing. */
	char source[PROFILE_ORIGIN_MAX];
	const struct policy *env;
	bool unrouted_by_env;
	char (*origins)[PROFILE_ORIGIN_MAX]; /* [0] is "": no origin */
	size_t n_origins, origins_cap;
	uint16_t *origin;         /* per slot: index into origins */
	unsigned char decision[]; /* per slot: enum profile_decision */
};

static size_t n_slots(void)
{
	return 2 * route_table_len;
}

/* The slot of route r (its twin with libpod), or -1 when r is not an
 * entry of route_table or has no twin. Compared as integers: r may point
 * anywhere. */
static long slot_of(const struct route *r, bool libpod)
{
	uintptr_t at = (uintptr_t)r, first = (uintptr_t)route_table;
	if (r == NULL || at < first || at >= (uintptr_t)(route_table + route_table_len) ||
	    (at - first) % sizeof *r != 0)
		return -1;
	if (libpod && !(r->flags & ROUTE_F_LIBPOD))
		return -1;
	return (long)(2 * ((at - first) / sizeof *r) + (libpod ? 1 : 0));
}

struct profile *profile_new(const char *name, const struct policy *env, bool unrouted_by_env)
{
	struct profile *p = calloc(1, sizeof *p + n_slots());
	if (p == NULL)
		return NULL;
	p->origin = calloc(n_slots(), sizeof *p->origin);
	p->origins = calloc(8, sizeof *p->origins);
	if (p->origin == NULL || p->origins == NULL) {
		profile_free(p);
		return NULL;
	}
	p->origins_cap = 8;
	p->n_origins = 1; /* origins[0] = "" */
	snprintf(p->name, sizeof p->name, "%s", name);
	p->env = env;
	p->unrouted_by_env = unrouted_by_env;
	return p;
}

void profile_free(struct profile *p)
{
	if (p == NULL)
		return;
	free(p->origin);
	free(p->origins);
	free(p);
}

const char *profile_name(const struct profile *p)
{
	return p->name;
}

void profile_set_source(struct profile *p, const char *source)
{
	snprintf(p->source, sizeof p->source, "%s", source ? source : "");
}

/* The index of origin in p's table, added when new: 0 for none, or -1
 * with errno (ENOMEM, or ENOSPC past PROFILE_ORIGINS_LIMIT). Rules are
 * applied a line at a time, so the last entry is tried first. */
static long intern_origin(struct profile *p, const char *origin)
{
	if (origin == NULL || origin[0] == '\0')
		return 0;
	char cut[PROFILE_ORIGIN_MAX];
	snprintf(cut, sizeof cut, "%s", origin);
	for (size_t i = p->n_origins; i-- > 1;)
		if (strcmp(p->origins[i], cut) == 0)
			return (long)i;
	if (p->n_origins > PROFILE_ORIGINS_LIMIT - 1) {
		errno = ENOSPC;
		return -1;
	}
	if (p->n_origins == p->origins_cap) {
		size_t cap = p->origins_cap * 2;
		char(*grown)[PROFILE_ORIGIN_MAX] = realloc(p->origins, cap * sizeof *grown);
		if (grown == NULL) {
			errno = ENOMEM;
			return -1;
		}
		p->origins = grown;
		p->origins_cap = cap;
	}
	memcpy(p->origins[p->n_origins], cut, sizeof cut);
	return (long)p->n_origins++;
}

int profile_set(struct profile *p, const struct route *r, bool libpod,
		enum profile_decision d, const char *origin)
{
	long slot = slot_of(r, libpod);
	if (slot < 0 || (d != PROFILE_DENY && d != PROFILE_ALLOW && d != PROFILE_BY_ENV)) {
		errno = EINVAL;
		return -1;
	}
	long at = intern_origin(p, origin);
	if (at < 0)
		return -1;
	p->decision[slot] = (unsigned char)d;
	p->origin[slot] = (uint16_t)at;
	return 0;
}

enum profile_decision profile_get(const struct profile *p, const struct route *r, bool libpod,
				  const char **origin)
{
	long slot = slot_of(r, libpod);
	if (origin != NULL)
		*origin = NULL;
	if (slot < 0)
		return PROFILE_DENY;
	if (origin != NULL && p->origin[slot] != 0)
		*origin = p->origins[p->origin[slot]];
	return (enum profile_decision)p->decision[slot];
}

void profile_inherit(struct profile *p, const struct profile *parent)
{
	/* Each of the parent's origins is interned once; out of memory loses
	 * an origin (the denial then names none), never a decision. */
	uint16_t *map = calloc(parent->n_origins, sizeof *map);
	for (size_t i = 1; map != NULL && i < parent->n_origins; i++) {
		long at = intern_origin(p, parent->origins[i]);
		map[i] = at < 0 ? 0 : (uint16_t)at;
	}
	for (size_t s = 0; s < n_slots(); s++) {
		p->decision[s] = parent->decision[s];
		p->origin[s] = map != NULL ? map[parent->origin[s]] : 0;
	}
	free(map);
	p->unrouted_by_env = parent->unrouted_by_env;
	if (p->env == NULL)
		p->env = parent->env;
	if (p->source[0] == '\0')
		snprintf(p->source, sizeof p->source, "%s", parent->source);
}

/* Sets d on route r and, with libpod, on its twin when it has one. The
 * number of slots set, or -1 with errno. */
static int set_route(struct profile *p, const struct route *r, bool libpod,
		     enum profile_decision d, const char *origin)
{
	if (profile_set(p, r, false, d, origin) == -1)
		return -1;
	if (!libpod || !(r->flags & ROUTE_F_LIBPOD))
		return 1;
	return profile_set(p, r, true, d, origin) == -1 ? -1 : 2;
}

int profile_apply_rule(struct profile *p, const char *rule, bool libpod,
		       enum profile_decision d, const char *origin)
{
	int set = 0;
	for (size_t i = 0; i < route_table_len; i++) {
		if (!route_rule_names(rule, &route_table[i]))
			continue;
		int n = set_route(p, &route_table[i], libpod, d, origin);
		if (n < 0)
			return -1;
		set += n;
	}
	return set;
}

int profile_apply_section(struct profile *p, const char *section, unsigned methods,
			  bool libpod, enum profile_decision d, const char *origin)
{
	int set = 0;
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		if (strcmp(r->section, section) != 0 || !(methods & (1u << r->method)))
			continue;
		int n = set_route(p, r, libpod, d, origin);
		if (n < 0)
			return -1;
		set += n;
	}
	return set;
}

struct profile *profile_from_preset(const struct preset *pr, const struct policy *env,
				    const char **bad_rule)
{
	struct profile *p = profile_new(pr->name, env, false);
	if (p == NULL)
		return NULL;
	char origin[PROFILE_ORIGIN_MAX], source[PROFILE_ORIGIN_MAX];
	snprintf(origin, sizeof origin, "preset %s", pr->name);
	snprintf(source, sizeof source,
		 "preset %s; allow it in a policy file profile that extends %s", pr->name, pr->name);
	profile_set_source(p, source);
	for (const char *const *rule = pr->allow; *rule != NULL; rule++) {
		int n = profile_apply_rule(p, *rule, false, PROFILE_ALLOW, origin);
		if (n > 0)
			continue;
		if (n == 0) {
			if (bad_rule != NULL)
				*bad_rule = *rule;
			errno = EINVAL;
		}
		profile_free(p);
		return NULL;
	}
	return p;
}

/* ==== Widening a preset by the settings ==== */

/* Whether env allows a request of method to path and base (unless NULL)
 * does not; env's deciding setting in *because. */
static bool allowed_beyond(const struct policy *env, const struct policy *base,
			   const char *method, const char *path, const struct route *r,
			   bool libpod, const char **because)
{
	char scratch[256];
	struct path_info info;
	struct span target = { path, strlen(path) };
	if (path_check(target, scratch, sizeof scratch, &info) == -1)
		return false;
	struct policy_request rq = {
		.method = { method, strlen(method) },
		.path = &info,
		.route = r,
		.libpod = libpod,
	};
	struct policy_verdict v;
	if (base != NULL) {
		policy_judge(base, &rq, &v);
		if (v.allow)
			return false;
	}
	policy_judge(env, &rq, &v);
	*because = v.because;
	return v.allow;
}

/* Whether the environment's rule list allows a sample request of route
 * r's slot that base does not. A template that starts with a variable
 * takes any first segment: one sample per section. */
static bool slot_granted(const struct policy *env, const struct policy *base,
			 const struct route *r, bool libpod, const char **because)
{
	const char *method = route_sample_method(r);
	char path[256];
	if (strncmp(r->path, "/{", 2) != 0)
		return route_sample_path(r->path, libpod, "x", "x", path, sizeof path) &&
		       allowed_beyond(env, base, method, path, r, libpod, because);
	for (size_t k = 0; k < policy_n_sections; k++)
		if (route_sample_path(r->path, libpod, policy_sections[k].segment, "x", path,
				      sizeof path) &&
		    allowed_beyond(env, base, method, path, r, libpod, because))
			return true;
	return false;
}

/* True when setting names a section that is open by default. */
static bool open_by_default(const char *setting)
{
	for (size_t i = 0; setting != NULL && i < policy_n_sections; i++)
		if (strcmp(policy_sections[i].setting, setting) == 0)
			return policy_sections[i].default_on;
	return false;
}

/* Appends "ORIGIN on N routes" for every origin of a BY_ENV slot. */
static void summarize_widening(const struct profile *p, char *summary, size_t cap)
{
	size_t used = 0;
	for (size_t o = 1; o < p->n_origins && used < cap; o++) {
		size_t count = 0;
		for (size_t s = 0; s < n_slots(); s++)
			count += p->decision[s] == PROFILE_BY_ENV && p->origin[s] == o;
		if (count == 0)
			continue;
		int n = snprintf(summary + used, cap - used, "%s%s on %zu route%s",
				 used ? ", " : "", p->origins[o], count, count == 1 ? "" : "s");
		used = n < 0 ? cap : used + (size_t)n;
	}
}

/* The setting of a section that env opens and base does not, for route
 * r (its twin with libpod, which env must open too); NULL when none. */
static const char *section_opened(const struct policy *env, const struct policy *base,
				  const struct route *r, bool libpod)
{
	const struct policy_settings *on = policy_settings_of(env);
	const struct policy_settings *off = policy_settings_of(base);
	if (libpod && !on->libpod)
		return NULL;
	for (size_t k = 0; k < policy_n_sections; k++)
		if (strcmp(policy_sections[k].segment, r->section) == 0)
			return on->section_on[k] && !off->section_on[k] ? policy_sections[k].setting
									 : NULL;
	return NULL;
}

int profile_widen(struct profile *p, const struct policy *base, char *summary, size_t cap)
{
	if (summary != NULL && cap > 0)
		summary[0] = '\0';
	if (p->env == NULL)
		return 0;
	int widened = 0;
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		for (int twin = 0; twin < 2; twin++) {
			bool libpod = twin == 1;
			if ((libpod && !(r->flags & ROUTE_F_LIBPOD)) ||
			    profile_get(p, r, libpod, NULL) == PROFILE_ALLOW)
				continue;
			/* A section a setting opens: all its routes, so that
			 * what the settings deny there they deny with their
			 * own words (set POST=1, set EXEC=1). */
			const char *because = section_opened(p->env, base, r, libpod);
			if (because == NULL && !slot_granted(p->env, base, r, libpod, &because))
				continue;
			/* A twin whose Docker route the defaults open is
			 * LIBPOD's doing, and a write in a section open by
			 * default POST's, not the section's. */
			const char *unused;
			char origin[PROFILE_ORIGIN_MAX];
			if (libpod && slot_granted(base, NULL, r, false, &unused))
				because = "LIBPOD";
			else if (open_by_default(because))
				because = "POST";
			snprintf(origin, sizeof origin, "%s=1", because ? because : "a setting");
			if (profile_set(p, r, libpod, PROFILE_BY_ENV, origin) == -1)
				return -1;
			widened++;
		}
	}
	if (summary != NULL && cap > 0)
		summarize_widening(p, summary, cap);
	return widened;
}

int profile_gate_ignored(const struct profile *p, enum policy_gate g, char *out, size_t cap)
{
	int n = 0;
	size_t used = 0;
	if (cap > 0)
		out[0] = '\0';
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		char path[256], scratch[256];
		struct path_info info;
		if (profile_get(p, r, false, NULL) != PROFILE_ALLOW ||
		    !route_sample_path(r->path, false, "x", "x", path, sizeof path) ||
		    path_check((struct span){ path, strlen(path) }, scratch, sizeof scratch, &info))
			continue;
		const char *method = route_sample_method(r);
		unsigned bit = policy_method_bit((struct span){ method, strlen(method) });
		if (!policy_gate_covers(g, bit, info.rest))
			continue;
		int w = used < cap ? snprintf(out + used, cap - used, "%s%s", n ? ", " : "",
					      r->operation) : 0;
		used += w > 0 ? (size_t)w : 0;
		n++;
	}
	return n;
}

/* ==== Judging ==== */

/* "dockgate: METHOD PATH is denied: " into v->message; the bytes used. */
static size_t denial_head(const struct policy_request *rq, struct policy_verdict *v)
{
	struct span m = rq->method, path = rq->path->path;
	v->allow = false;
	v->because = NULL;
	int n = snprintf(v->message, sizeof v->message, "dockgate: %.*s %.*s is denied: ",
			 (int)(m.n > 32 ? 32 : m.n), m.p, (int)(path.n > 160 ? 160 : path.n), path.p);
	return n < 0 ? 0 : (size_t)n >= sizeof v->message ? sizeof v->message - 1 : (size_t)n;
}

/* The denial of a candidate whose slot says DENY: the operation, the
 * profile, and what set the decision (a deny rule's origin) or where the
 * profile comes from (nothing allowed it). Never the policy. */
static void deny_route(const struct profile *p, const struct policy_request *rq,
		       const struct route_hit *hit, const char *origin, struct policy_verdict *v)
{
	size_t used = denial_head(rq, v);
	const char *twin = hit->libpod ? " (its /libpod twin)" : "";
	const char *op = hit->route->operation;
	if (origin != NULL)
		snprintf(v->message + used, sizeof v->message - used,
			 "%s%s is denied by profile %s (%s)", op, twin, p->name, origin);
	else
		snprintf(v->message + used, sizeof v->message - used,
			 "%s%s is not allowed by profile %s%s%s%s", op, twin, p->name,
			 p->source[0] ? " (" : "", p->source, p->source[0] ? ")" : "");
}

/* The denial of a request that reaches no route the table holds. */
static void deny_unrouted(const struct profile *p, const struct policy_request *rq,
			  bool unknown, struct policy_verdict *v)
{
	size_t used = denial_head(rq, v);
	snprintf(v->message + used, sizeof v->message - used,
		 unknown ? "it may reach an operation of Podman's own API that profile %s "
			   "does not name"
			 : "it is no operation of the Engine API, and profile %s allows "
			   "operations only",
		 p->name);
}

/* True when the slot of hit says DENY (or hit is no route of the table),
 * with the denial in v. */
static bool denied(const struct profile *p, const struct policy_request *rq,
		   const struct route_hit *hit, struct policy_verdict *v)
{
	long slot = slot_of(hit->route, hit->libpod);
	if (slot >= 0 && p->decision[slot] != PROFILE_DENY)
		return false;
	if (slot < 0) {
		/* Not the table's: nothing to name, and nothing allowed it. */
		deny_unrouted(p, rq, true, v);
		return true;
	}
	deny_route(p, rq, hit, p->origin[slot] ? p->origins[p->origin[slot]] : NULL, v);
	return true;
}

/* Asks the environment's rule list, once per request: true when it
 * allows, with its verdict in v; false with its denial in v. */
static bool env_allows(const struct profile *p, const struct policy_request *rq,
		       bool *asked, struct policy_verdict *v)
{
	if (*asked)
		return true; /* it allowed the first time: it judges the same request */
	*asked = true;
	if (p->env == NULL) {
		size_t used = denial_head(rq, v);
		snprintf(v->message + used, sizeof v->message - used,
			 "profile %s defers to the settings, and there are none", p->name);
		return false;
	}
	policy_judge(p->env, rq, v);
	return v->allow;
}

/* True when the request asks for an API version older than the table
 * describes (ROUTE_API_OLDEST): the daemon routes its path as ever, but
 * its handlers behave as that version did, and no decision of a profile
 * says anything about that. Below 1.24 a start applies a HostConfig sent
 * as its body (binds, PidMode, Privileged): ContainerStart would create. */
static bool older_than_table(const struct policy_request *rq, struct policy_verdict *v,
			     const struct profile *p)
{
	const struct path_info *path = rq->path;
	/* Compared part by part, as the daemon compares (a minor of up to
	 * four digits would overflow ROUTE_API's). */
	unsigned major = ROUTE_API_OLDEST / 1000, minor = ROUTE_API_OLDEST % 1000;
	if (path == NULL || !path->versioned || path->api_major > major ||
	    (path->api_major == major && path->api_minor >= minor))
		return false;
	size_t used = denial_head(rq, v);
	snprintf(v->message + used, sizeof v->message - used,
		 "profile %s judges API versions from %u.%u on (API %u.%u asks for older "
		 "behaviour)", p->name, major, minor, path->api_major, path->api_minor);
	return true;
}

void profile_judge(const struct profile *p, const struct policy_request *rq,
		   struct policy_verdict *v)
{
	if (older_than_table(rq, v, p))
		return;
	struct route_candidates one;
	const struct route_candidates *c = rq->routes;
	if (c == NULL) {
		one.n = rq->route != NULL;
		one.hit[0] = (struct route_hit){ rq->route, rq->libpod };
		one.unrouted = rq->route == NULL;
		one.unknown = false;
		c = &one;
	}
	v->allow = false;
	v->because = NULL;
	v->message[0] = '\0';
	/* The newest daemon's route first: when it is denied, the denial
	 * names the operation the client meant. */
	if (rq->route != NULL && denied(p, rq, &(struct route_hit){ rq->route, rq->libpod }, v))
		return;
	bool asked = false;
	for (unsigned i = 0; i < c->n; i++) {
		const struct route_hit *hit = &c->hit[i];
		long slot = slot_of(hit->route, hit->libpod);
		if (slot >= 0 && p->decision[slot] == PROFILE_BY_ENV &&
		    !env_allows(p, rq, &asked, v))
			return;
		if (denied(p, rq, hit, v))
			return;
	}
	/* A daemon version that runs no route answers 404: no grant, so
	 * it matters only when no daemon runs one. Podman running a route
	 * of its own that the table lacks always matters. */
	if (c->unknown || c->n == 0) {
		if (!p->unrouted_by_env) {
			deny_unrouted(p, rq, c->unknown, v);
			return;
		}
		if (!env_allows(p, rq, &asked, v))
			return;
	}
	if (!asked) {
		v->allow = true;
		v->because = p->name;
	}
}

/* policy_file.c - building a policy file's profiles and picking a
 * client's; see policy_file.h. */
#include "policy_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "presets.h"
#include "route.h"

/* What a build needs at hand, and where it says what went wrong. */
struct build {
	const char *name; /* the file's, as messages name it */
	const struct policy_doc *doc;
	const struct policy *env;
	struct profile **profiles;
	char *err;
	size_t err_cap;
};

__attribute__((format(printf, 3, 4)))
static int build_fail(struct build *b, struct yread_pos at, const char *fmt, ...)
{
	int n = snprintf(b->err, b->err_cap, "%s:%u:%u: ", b->name, at.line, at.column);
	if (n >= 0 && (size_t)n < b->err_cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(b->err + n, b->err_cap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Sets d on every route, and on every /libpod twin. */
static int set_every_route(struct profile *p, enum profile_decision d, const char *origin)
{
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		if (profile_set(p, r, false, d, origin) == -1 ||
		    ((r->flags & ROUTE_F_LIBPOD) && profile_set(p, r, true, d, origin) == -1))
			return -1;
	}
	return 0;
}

/* Gives each /libpod twin its Docker route's decision and origin. */
static int mirror_libpod(struct profile *p)
{
	for (size_t i = 0; i < route_table_len; i++) {
		const struct route *r = &route_table[i];
		if (!(r->flags & ROUTE_F_LIBPOD))
			continue;
		const char *origin = NULL;
		enum profile_decision d = profile_get(p, r, false, &origin);
		if (profile_set(p, r, true, d, origin) == -1)
			return -1;
	}
	return 0;
}

/* The profile of a preset; at is where the file names it. */
static struct profile *preset_profile(struct build *b, const struct preset *preset,
				      struct yread_pos at)
{
	const char *bad_rule = NULL;
	struct profile *p = profile_from_preset(preset, b->env, &bad_rule);
	if (p == NULL && bad_rule != NULL)
		build_fail(b, at, "preset %s: its rule '%s' names no route", preset->name, bad_rule);
	else if (p == NULL)
		build_fail(b, at, "preset %s: %s", preset->name, strerror(errno));
	return p;
}

/* A profile that hands everything to the environment's rule list. */
static struct profile *env_profile(struct build *b, const char *name, struct yread_pos at)
{
	struct profile *p = profile_new(name, b->env, true);
	if (p == NULL || set_every_route(p, PROFILE_BY_ENV, "env") == -1) {
		profile_free(p);
		build_fail(b, at, "out of memory");
		return NULL;
	}
	return p;
}

/* Applies one rule of the file. libpod: reach the twins too. */
static int apply_rule(struct build *b, struct profile *p, const struct policy_doc_rule *rule,
		      bool libpod)
{
	char origin[PROFILE_ORIGIN_MAX];
	snprintf(origin, sizeof origin, "%s:%u:%u", b->doc->origin, rule->at.line,
		 rule->at.column);
	enum profile_decision d = rule->allow ? PROFILE_ALLOW : PROFILE_DENY;
	int n = rule->text != NULL
			? profile_apply_rule(p, rule->text, libpod, d, origin)
			: profile_apply_section(p, rule->section, rule->methods, libpod, d, origin);
	if (n < 0)
		return build_fail(b, rule->at, "%s", strerror(errno));
	/* policy_doc checked that the rule names a route: none here means
	 * the two readings of a rule differ, which must stop startup too. */
	if (n == 0)
		return build_fail(b, rule->at, "the rule names no route");
	return 0;
}

/* The profile that profile i of the file starts from, before its rules. */
static struct profile *start_profile(struct build *b, const struct policy_doc_profile *dp)
{
	struct profile *p = profile_new(dp->name, b->env, dp->unrouted_by_env);
	if (p == NULL)
		return NULL;
	/* Where a denial by nothing the profile allows sends the reader. */
	char source[PROFILE_ORIGIN_MAX];
	snprintf(source, sizeof source, "%s:%u:%u", b->doc->origin, dp->at.line, dp->at.column);
	profile_set_source(p, source);
	struct profile *parent = NULL;
	int bad = 0;
	switch (dp->extends.kind) {
	case POLICY_DOC_NOTHING:
		break;
	case POLICY_DOC_ENV:
		bad = set_every_route(p, PROFILE_BY_ENV, "env");
		break;
	case POLICY_DOC_PRESET:
		parent = preset_profile(b, dp->extends.preset, dp->extends_at);
		if (parent == NULL) {
			profile_free(p);
			return NULL;
		}
		profile_inherit(p, parent);
		profile_free(parent);
		break;
	case POLICY_DOC_PROFILE:
		profile_inherit(p, b->profiles[dp->extends.profile]);
		break;
	}
	if (!bad && dp->libpod)
		bad = mirror_libpod(p);
	if (bad) {
		build_fail(b, dp->at, "%s", strerror(errno));
		profile_free(p);
		return NULL;
	}
	return p;
}

/* Builds profile i of the file; a parent of the file is built already. */
static struct profile *file_profile(struct build *b, size_t i)
{
	const struct policy_doc_profile *dp = &b->doc->profiles[i];
	struct profile *p = start_profile(b, dp);
	if (p == NULL)
		return NULL;
	/* Every allow first, then every deny: deny wins in a profile. */
	int bad = 0;
	for (size_t k = 0; k < dp->n_rules && !bad; k++)
		bad = dp->rules[k].allow && apply_rule(b, p, &dp->rules[k], dp->libpod);
	for (size_t k = 0; k < dp->n_rules && !bad; k++)
		bad = !dp->rules[k].allow && apply_rule(b, p, &dp->rules[k], true);
	if (bad) {
		profile_free(p);
		return NULL;
	}
	return p;
}

void policy_file_free(struct policy_file *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n_profiles; i++)
		profile_free(f->profiles[i]);
	free(f->profiles);
	policy_doc_free(f->doc);
	free(f);
}

/* Builds the profile of every target: the file's in parents-first order,
 * then the presets and "env" that clients name. */
static int build_all(struct build *b)
{
	const struct policy_doc *d = b->doc;
	for (size_t k = 0; k < d->n_profiles; k++) {
		size_t i = d->build_order[k];
		if ((b->profiles[i] = file_profile(b, i)) == NULL)
			return -1;
	}
	for (size_t i = d->n_profiles; i < d->n_targets; i++) {
		const struct policy_doc_ref *t = &d->targets[i];
		struct yread_pos at = { 1, 1 };
		for (size_t c = 0; c < d->n_clients; c++)
			if (d->clients[c].target == i) {
				at = d->clients[c].at;
				break;
			}
		b->profiles[i] = t->kind == POLICY_DOC_ENV
					 ? env_profile(b, "env", at)
					 : preset_profile(b, t->preset, at);
		if (b->profiles[i] == NULL)
			return -1;
	}
	return 0;
}

struct policy_file *policy_file_parse(const char *name, const char *text, size_t len,
				      const struct cfg_listener *listeners, size_t n_listeners,
				      const struct policy *env, char *err, size_t err_cap)
{
	struct policy_doc *d = policy_doc_parse(name, text, len, listeners, n_listeners, err,
						err_cap);
	if (d == NULL)
		return NULL;
	struct policy_file *f = calloc(1, sizeof *f);
	struct profile **profiles = calloc(d->n_targets + 1, sizeof *profiles);
	if (f == NULL || profiles == NULL) {
		snprintf(err, err_cap, "%s:1:1: out of memory", name);
		free(f);
		free(profiles);
		policy_doc_free(d);
		return NULL;
	}
	*f = (struct policy_file){ profiles, d->n_targets, d->clients, d->n_clients,
				   d->default_profile, d };
	struct build b = { name, d, env, profiles, err, err_cap };
	if (build_all(&b) == -1) {
		policy_file_free(f); /* profile_free(NULL) skips those not built */
		return NULL;
	}
	return f;
}

struct policy_file *policy_file_read(const char *path, const struct cfg_listener *listeners,
				     size_t n_listeners, const struct policy *env,
				     char *err, size_t err_cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd == -1 || fstat(fd, &st) == -1) {
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	/* A FIFO or a device would block or never end. */
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_cap, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	/* One byte over the limit is enough to refuse the file. */
	size_t cap = POLICY_DOC_MAX_BYTES + 1, len = 0;
	char *text = malloc(cap);
	ssize_t got = 1;
	while (text != NULL && len < cap && got > 0) {
		got = read(fd, text + len, cap - len);
		if (got > 0)
			len += (size_t)got;
		else if (got == -1 && errno == EINTR)
			got = 1;
	}
	int read_errno = errno;
	close(fd);
	if (text == NULL || got == -1) {
		snprintf(err, err_cap, "%s: %s", path, text ? strerror(read_errno) : "out of memory");
		free(text);
		return NULL;
	}
	struct policy_file *f = policy_file_parse(path, text, len, listeners, n_listeners, env,
						  err, err_cap);
	free(text);
	return f;
}

/* True when ids[0..n) holds id. */
static bool holds(const unsigned *ids, size_t n, unsigned id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* True when every condition of entry c holds for this client. */
static bool client_matches(const struct policy_doc_client *c, const struct sockaddr *peer,
			   const struct ucred *cred)
{
	if (c->n_from > 0) {
		bool in = false;
		for (size_t i = 0; i < c->n_from && peer != NULL && !in; i++)
			in = cidr_contains(&c->from[i], peer);
		if (!in)
			return false;
	}
	/* A uid or gid condition fails without credentials (a TCP client). */
	if (c->n_uids > 0 && (cred == NULL || !holds(c->uids, c->n_uids, (unsigned)cred->uid)))
		return false;
	if (c->n_gids > 0 && (cred == NULL || !holds(c->gids, c->n_gids, (unsigned)cred->gid)))
		return false;
	return true;
}

long policy_file_pick(const struct policy_file *f, size_t listener,
		      const struct sockaddr *peer, const struct ucred *cred)
{
	for (size_t i = 0; i < f->n_clients; i++)
		if (f->clients[i].listener == listener && client_matches(&f->clients[i], peer, cred))
			return (long)f->clients[i].target;
	return -1;
}

bool policy_file_binds(const struct policy_file *f, size_t listener)
{
	for (size_t i = 0; i < f->n_clients; i++)
		if (f->clients[i].listener == listener)
			return true;
	return false;
}

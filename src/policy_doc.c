/* policy_doc.c - reading a policy file into a checked document; see
 * policy_doc.h.
 *
 * libyaml's event API, not its document API: only the events show an
 * anchor, an alias or a tag, which the loader would resolve silently.
 * The reader walks the schema with one function per level and stops at
 * the first thing that is wrong, so no input makes it go deeper than the
 * schema does. Names are checked at once where they can be; references
 * (extends, a client's profile) once the whole file is read, because a
 * profile may be named before it is defined. */
#include "policy_doc.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "profile.h"
#include "route.h"

void policy_doc_free(struct policy_doc *d)
{
	if (d == NULL)
		return;
	arena_free(&d->arena);
	free(d);
}

/* ==== The reader ==== */

struct reader {
	struct yread *y;
	struct policy_doc *doc;
	const struct cfg_listener *listeners;
	size_t n_listeners;
	/* What is read before the references are resolved: per profile,
	 * and per client. */
	struct pending_profile *pending;
	size_t profiles_cap, pending_cap;
	struct pending_client *pending_clients;
	struct policy_doc_client *clients;
	size_t clients_cap, pending_clients_cap;
	struct policy_doc_ref *targets;
	size_t targets_cap;
};

/* A profile's extends: as written, and whether libpod: was given. */
struct pending_profile {
	const char *extends; /* NULL: none */
	bool libpod_given;
};

/* A client's profile: as written. */
struct pending_client {
	const char *profile;
	struct yread_pos profile_at;
};

#define fail(r, ...) yread_fail((r)->y, __VA_ARGS__)
#define here(r) yread_here((r)->y)
#define next(r) yread_next((r)->y)
#define kind(r) yread_kind((r)->y)
#define kind_name(r) yread_kind_name((r)->y)
#define quote(s, n) yread_quote((s), (n))

/* Checks that the current event is a string, and copies it. */
static int as_copy(struct reader *r, const char *what, size_t max, const char **out)
{
	struct span v;
	if (yread_string(r->y, what, max, &v))
		return -1;
	*out = arena_strndup(&r->doc->arena, v.p, v.n);
	return *out ? 0 : fail(r, here(r), "out of memory");
}

static int want_string(struct reader *r, const char *what, size_t max, const char **out)
{
	return next(r) ? -1 : as_copy(r, what, max, out);
}

/* ==== Rules and route_table ==== */

/* The method of a rule: "*" is every method (ROUTE_ANY here). -1 when
 * it is none of the names route.h knows. */
static int rule_method(const char *m, size_t n)
{
	if (n == 1 && m[0] == '*')
		return ROUTE_ANY;
	struct span s = { m, n };
	enum route_method rm = route_method_of(s);
	return rm == ROUTE_OTHER ? -1 : (int)rm;
}

/* Whether rule names some route of route_table, as profile_apply_rule()
 * will read it. */
static bool names_a_route(const char *rule)
{
	for (size_t i = 0; i < route_table_len; i++)
		if (route_rule_names(rule, &route_table[i]))
			return true;
	return false;
}

/* Says why a rule names no route, as helpfully as it can. */
static int bad_rule(struct reader *r, struct yread_pos at, const char *rule)
{
	struct yread_quoted q = quote(rule, strlen(rule));
	const char *space = strchr(rule, ' ');
	if (space == NULL && rule[0] == '/')
		return fail(r, at, "rule '%s' needs a method: 'GET %s' ('*' for every method)",
			    q.s, q.s);
	if (space == NULL)
		return fail(r, at, "unknown operation '%s' (operations are the Engine API "
			    "reference's operationId: ContainerList, ContainerLogs, ...)", q.s);
	if (rule_method(rule, (size_t)(space - rule)) < 0)
		return fail(r, at, "rule '%s': the method must be GET, HEAD, POST, PUT, DELETE, "
			    "OPTIONS or * (every method)", q.s);
	const char *tpl = space + 1;
	if (tpl[0] != '/')
		return fail(r, at, "rule '%s': write one space, then a path template that "
			    "starts with '/'", q.s);
	if (tpl[1] == 'v' && tpl[2] >= '0' && tpl[2] <= '9')
		return fail(r, at, "rule '%s' matches no route: write the template without "
			    "the /vX.Y prefix", q.s);
	if (strncmp(tpl, "/libpod/", 8) == 0)
		return fail(r, at, "rule '%s' matches no route: write the Docker template and "
			    "set libpod: true for its /libpod twin", q.s);
	return fail(r, at, "rule '%s' matches no route (write the template as the Engine "
		    "API reference does, e.g. GET /containers/{id}/json)", q.s);
}

/* The method bits of a section rule's routes that some route has. */
static unsigned section_methods(const char *section)
{
	unsigned bits = 0;
	for (size_t i = 0; i < route_table_len; i++)
		if (strcmp(route_table[i].section, section) == 0)
			bits |= 1u << route_table[i].method;
	return bits;
}

#define ALL_METHODS ((1u << ROUTE_OTHER) - 1)

/* Reads methods: [GET, ...] into *bits. */
static int read_methods(struct reader *r, unsigned *bits)
{
	if (yread_start(r->y, YREAD_LIST, "methods"))
		return -1;
	struct yread_pos at = here(r);
	int more;
	while ((more = yread_item(r->y)) > 0) {
		struct span m;
		if (yread_string(r->y, "a method", 16, &m))
			return -1;
		int rm = rule_method(m.p, m.n);
		if (rm < 0)
			return fail(r, here(r), "unknown method '%s' (use GET, HEAD, POST, PUT, "
				    "DELETE, OPTIONS or *)", quote(m.p, m.n).s);
		*bits |= rm == ROUTE_ANY ? ALL_METHODS : 1u << rm;
	}
	if (more < 0)
		return -1;
	if (*bits == 0)
		return fail(r, at, "methods is empty: it would name no route");
	return 0;
}

/* Reads a rule "section: NAME" (methods: [...]) whose mapping has started. */
static int read_section_rule(struct reader *r, struct policy_doc_rule *rule)
{
	static const char *const keys[] = { "section", "methods", NULL };
	struct yread_keys ks = { "a section rule", keys, { { 0, 0 } } };
	struct yread_pos section_at = rule->at;
	int k;
	while ((k = yread_key(r->y, &ks)) >= 0) {
		if (k == 0 && want_string(r, "section", 32, &rule->section))
			return -1;
		if (k == 0)
			section_at = here(r);
		if (k == 1 && read_methods(r, &rule->methods))
			return -1;
	}
	if (k == -1)
		return -1;
	if (rule->section == NULL)
		return fail(r, rule->at, "a section rule needs section: NAME");
	unsigned has = section_methods(rule->section);
	if (has == 0)
		return fail(r, section_at, "unknown section '%s' (a section is an API path's "
			    "first segment: containers, images, networks, volumes, exec, ...)",
			    quote(rule->section, strlen(rule->section)).s);
	if (rule->methods == 0)
		rule->methods = rule->allow ? (1u << ROUTE_GET) | (1u << ROUTE_HEAD) : ALL_METHODS;
	if ((has & rule->methods) == 0)
		return fail(r, rule->at, "section '%s' has no route for these methods",
			    quote(rule->section, strlen(rule->section)).s);
	return 0;
}

/* Reads allow: or deny: (a list of rules) into the profile. */
static int read_rules(struct reader *r, struct policy_doc_profile *p, size_t *cap, bool allow)
{
	if (yread_start(r->y, YREAD_LIST, allow ? "allow" : "deny"))
		return -1;
	int more;
	while ((more = yread_item(r->y)) > 0) {
		void *rules = p->rules;
		if (arena_grow(&r->doc->arena, &rules, p->n_rules, cap, sizeof *p->rules))
			return fail(r, here(r), "out of memory");
		p->rules = rules;
		struct policy_doc_rule *rule = (struct policy_doc_rule *)rules + p->n_rules++;
		*rule = (struct policy_doc_rule){ .allow = allow, .at = here(r) };
		if (kind(r) == YREAD_MAP) {
			if (read_section_rule(r, rule))
				return -1;
			continue;
		}
		if (kind(r) == YREAD_LIST)
			return fail(r, here(r), "a rule is an operation, 'METHOD /template' or "
				    "a section: mapping, not a list");
		if (as_copy(r, "a rule", POLICY_DOC_RULE_MAX, &rule->text))
			return -1;
		if (!names_a_route(rule->text))
			return bad_rule(r, rule->at, rule->text);
	}
	return more;
}

/* ==== Profiles ==== */

/* A profile's name: short, plain, and not one extends: already means. */
static int check_profile_name(struct reader *r, const char *name, size_t n)
{
	struct yread_quoted q = quote(name, n);
	bool plain = n > 0 && n < PROFILE_NAME_MAX;
	for (size_t i = 0; i < n && plain; i++) {
		char c = name[i];
		plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			(i > 0 && (c == '_' || c == '.' || c == '-'));
	}
	if (!plain)
		return fail(r, here(r), "profile name '%s': use letters, digits, '_', '.' and '-', "
			    "at most %d, starting with a letter or digit", q.s, PROFILE_NAME_MAX - 1);
	if (strcmp(name, "env") == 0 || preset_find(name) != NULL)
		return fail(r, here(r), "profile name '%s' is %s: choose another name", q.s,
			    strcmp(name, "env") == 0 ? "the environment's policy" : "a preset's");
	return 0;
}

static long find_profile(const struct policy_doc *d, const char *name)
{
	for (size_t i = 0; i < d->n_profiles; i++)
		if (strcmp(d->profiles[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Reads one profile, NAME: {extends, allow, deny, libpod}, whose name is
 * the current event. */
static int read_profile(struct reader *r)
{
	struct policy_doc *d = r->doc;
	if (kind(r) != YREAD_STRING)
		return fail(r, here(r), "a profile name must be a string, not %s",
			    kind_name(r));
	struct span v = yread_value(r->y);
	const char *name = v.p;
	if (check_profile_name(r, name, v.n))
		return -1;
	long dup = find_profile(d, name);
	if (dup >= 0)
		return fail(r, here(r), "duplicate key: profile '%s' is defined at %u:%u already",
			    name, d->profiles[dup].at.line, d->profiles[dup].at.column);
	void *profiles = d->profiles, *pending = r->pending;
	if (arena_grow(&d->arena, &profiles, d->n_profiles, &r->profiles_cap, sizeof *d->profiles) ||
	    arena_grow(&d->arena, &pending, d->n_profiles, &r->pending_cap, sizeof *r->pending))
		return fail(r, here(r), "out of memory");
	d->profiles = profiles;
	r->pending = pending;
	struct policy_doc_profile *p = &d->profiles[d->n_profiles];
	struct pending_profile *pp = &r->pending[d->n_profiles];
	*p = (struct policy_doc_profile){ .at = here(r) };
	*pp = (struct pending_profile){ NULL, false };
	if (as_copy(r, "a profile name", PROFILE_NAME_MAX, &p->name))
		return -1;
	d->n_profiles++;

	char where[PROFILE_NAME_MAX + 16];
	snprintf(where, sizeof where, "profile %s", p->name);
	if (yread_start(r->y, YREAD_MAP, where))
		return -1;
	static const char *const keys[] = { "extends", "allow", "deny", "libpod", NULL };
	struct yread_keys ks = { where, keys, { { 0, 0 } } };
	size_t rules_cap = 0;
	int k;
	while ((k = yread_key(r->y, &ks)) >= 0) {
		int bad = 0;
		switch (k) {
		case 0:
			bad = want_string(r, "extends", PROFILE_NAME_MAX, &pp->extends);
			p->extends_at = here(r);
			break;
		case 1: bad = read_rules(r, p, &rules_cap, true); break;
		case 2: bad = read_rules(r, p, &rules_cap, false); break;
		case 3:
			bad = next(r) || yread_bool(r->y, "libpod", &p->libpod);
			pp->libpod_given = true;
			break;
		}
		if (bad)
			return -1;
	}
	return k == -1 ? -1 : 0;
}

static int read_profiles(struct reader *r)
{
	if (yread_start(r->y, YREAD_MAP, "profiles"))
		return -1;
	int more;
	while ((more = yread_item(r->y)) > 0)
		if (read_profile(r))
			return -1;
	return more;
}

/* ==== Clients ==== */

/* Reads an address block from the current event. */
static int as_cidr(struct reader *r, struct cidr *c)
{
	struct span v;
	if (yread_string(r->y, "an address block", 64, &v))
		return -1;
	struct yread_quoted q = quote(v.p, v.n);
	char shown[INET6_ADDRSTRLEN];
	switch (cidr_parse(v.p, c)) {
	case CIDR_OK:
		return 0;
	case CIDR_BAD_ADDRESS:
		return fail(r, here(r), "'%s' is not an address block (write 10.0.0.0/8, "
			    "192.168.1.7 or fd00::/8)", q.s);
	case CIDR_BAD_PREFIX:
		return fail(r, here(r), "'%s': the prefix length must be 0 to %d", q.s,
			    c->family == AF_INET ? 32 : 128);
	case CIDR_HOST_BITS:
		inet_ntop(c->family, c->addr, shown, sizeof shown);
		return fail(r, here(r), "'%s' has bits set after its first %u: the block is %s/%u",
			    q.s, c->prefix, shown, c->prefix);
	}
	return -1;
}

/* Reads one item of a client condition's list (what: names it) into slot. */
typedef int (*condition_item_fn)(struct reader *r, const char *what, void *slot);

static int cidr_item(struct reader *r, const char *what, void *slot)
{
	(void)what;
	return as_cidr(r, slot);
}

static int id_item(struct reader *r, const char *what, void *slot)
{
	unsigned long id;
	if (yread_uint(r->y, what, 4294967294ul, &id))
		return -1;
	*(unsigned *)slot = (unsigned)id;
	return 0;
}

/* Reads a client condition: what:, a non-empty list of items of size
 * bytes, each read by item(). The items, in the document's arena, and
 * their number in *n; NULL on any error (reported). */
static const void *read_condition(struct reader *r, const char *what, size_t size,
				  condition_item_fn item, size_t *n)
{
	if (yread_start(r->y, YREAD_LIST, what))
		return NULL;
	struct yread_pos at = here(r);
	void *items = NULL;
	size_t cap = 0;
	int more;
	while ((more = yread_item(r->y)) > 0) {
		if (arena_grow(&r->doc->arena, &items, *n, &cap, size)) {
			fail(r, here(r), "out of memory");
			return NULL;
		}
		if (item(r, what, (char *)items + *n * size))
			return NULL;
		++*n;
	}
	if (more == 0 && *n == 0)
		fail(r, at, "%s is empty: it would match no client", what);
	return more == 0 && *n > 0 ? items : NULL;
}

static long find_listener(const struct reader *r, const char *text)
{
	for (size_t i = 0; i < r->n_listeners; i++)
		if (strcmp(r->listeners[i].text, text) == 0)
			return (long)i;
	return -1;
}

/* Checks a client entry's listener and that its conditions fit its kind. */
static int check_client(struct reader *r, struct policy_doc_client *c, const struct yread_keys *ks,
			struct yread_pos listener_at)
{
	struct yread_quoted q = quote(c->listener_text, strlen(c->listener_text));
	long li = find_listener(r, c->listener_text);
	if (li < 0) {
		char known[320] = "";
		for (size_t i = 0; i < r->n_listeners; i++)
			snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
				 i ? ", " : "", r->listeners[i].text);
		return fail(r, listener_at, "listener '%s' is not one of LISTEN's (%s)", q.s, known);
	}
	c->listener = (size_t)li;
	if (r->listeners[li].kind == CFG_LISTEN_TCP && (c->n_uids || c->n_gids))
		return fail(r, ks->seen[c->n_uids ? 3 : 4], "%s is a TCP listener: uid and gid "
			    "match clients of unix listeners (use from: here)", q.s);
	if (r->listeners[li].kind == CFG_LISTEN_UNIX && c->n_from)
		return fail(r, ks->seen[2], "%s is a unix listener: from matches clients of TCP "
			    "listeners (use uid: or gid: here)", q.s);
	return 0;
}

/* Reads one entry of clients: whose mapping has started. */
static int read_client(struct reader *r)
{
	struct policy_doc *d = r->doc;
	void *clients = r->clients, *pending = r->pending_clients;
	if (arena_grow(&d->arena, &clients, d->n_clients, &r->clients_cap, sizeof *r->clients) ||
	    arena_grow(&d->arena, &pending, d->n_clients, &r->pending_clients_cap,
		     sizeof *r->pending_clients))
		return fail(r, here(r), "out of memory");
	r->clients = clients;
	r->pending_clients = pending;
	struct policy_doc_client *c = &r->clients[d->n_clients];
	struct pending_client *pc = &r->pending_clients[d->n_clients++];
	*c = (struct policy_doc_client){ .at = here(r) };
	*pc = (struct pending_client){ NULL, { 0, 0 } };
	static const char *const keys[] = { "listener", "profile", "from", "uid", "gid", NULL };
	struct yread_keys ks = { "a client entry", keys, { { 0, 0 } } };
	struct yread_pos listener_at = { 0, 0 };
	int k;
	while ((k = yread_key(r->y, &ks)) >= 0) {
		int bad = 0;
		switch (k) {
		case 0:
			bad = want_string(r, "listener", sizeof r->listeners->text,
					  &c->listener_text);
			listener_at = here(r);
			break;
		case 1:
			bad = want_string(r, "profile", PROFILE_NAME_MAX, &pc->profile);
			pc->profile_at = here(r);
			break;
		case 2:
			c->from = read_condition(r, "from", sizeof *c->from, cidr_item, &c->n_from);
			bad = c->from == NULL;
			break;
		case 3:
			c->uids = read_condition(r, "uid", sizeof *c->uids, id_item, &c->n_uids);
			bad = c->uids == NULL;
			break;
		case 4:
			c->gids = read_condition(r, "gid", sizeof *c->gids, id_item, &c->n_gids);
			bad = c->gids == NULL;
			break;
		}
		if (bad)
			return -1;
	}
	if (k == -1)
		return -1;
	if (c->listener_text == NULL)
		return fail(r, c->at, "a client entry needs listener: (one of LISTEN's)");
	if (pc->profile == NULL)
		return fail(r, c->at, "a client entry needs profile: (a profile, a preset or env)");
	return check_client(r, c, &ks, listener_at);
}

static int read_clients(struct reader *r)
{
	if (yread_start(r->y, YREAD_LIST, "clients"))
		return -1;
	int more;
	while ((more = yread_item(r->y)) > 0) {
		if (kind(r) != YREAD_MAP)
			return fail(r, here(r), "a client entry must be a mapping (listener:, "
				    "profile:, ...), not %s", kind_name(r));
		if (read_client(r))
			return -1;
	}
	return more;
}

/* ==== The file ==== */

static int read_root(struct reader *r)
{
	if (next(r) || next(r)) /* the stream's start, the document's */
		return -1;
	if (kind(r) == YREAD_STREAM_END)
		return fail(r, here(r), "the file is empty: a policy file starts with version: 1");
	if (yread_start(r->y, YREAD_MAP, "a policy file"))
		return -1;
	struct yread_pos root_at = here(r);
	static const char *const keys[] = { "version", "profiles", "clients", NULL };
	struct yread_keys ks = { "the file", keys, { { 0, 0 } } };
	int k;
	while ((k = yread_key(r->y, &ks)) >= 0) {
		unsigned long version = 0;
		int bad = 0;
		switch (k) {
		case 0:
			bad = next(r) || yread_uint(r->y, "version", 1000, &version);
			if (!bad && version != 1)
				bad = fail(r, here(r), "version %lu is not known: this dockgate "
					   "reads version 1", version);
			break;
		case 1: bad = read_profiles(r); break;
		case 2: bad = read_clients(r); break;
		}
		if (bad)
			return -1;
	}
	if (k == -1)
		return -1;
	if (ks.seen[0].line == 0)
		return fail(r, root_at, "version: 1 is missing (it says which schema the "
			    "file is written in)");
	if (ks.seen[1].line == 0 && ks.seen[2].line == 0)
		return fail(r, root_at, "the file has neither profiles: nor clients:");
	if (next(r) || next(r)) /* the document's end, then the stream's */
		return -1;
	if (kind(r) != YREAD_STREAM_END)
		return fail(r, here(r), "a second YAML document: a policy file is one document");
	return 0;
}

/* ==== References ==== */

/* What a name in extends: or profile: means: a profile of the file, the
 * environment's policy, or a preset (the names never overlap). */
static int resolve_name(const struct reader *r, const char *name, struct policy_doc_ref *ref)
{
	long i = find_profile(r->doc, name);
	const struct preset *p = preset_find(name);
	if (i >= 0)
		*ref = (struct policy_doc_ref){ POLICY_DOC_PROFILE, NULL, (size_t)i };
	else if (strcmp(name, "env") == 0)
		*ref = (struct policy_doc_ref){ POLICY_DOC_ENV, NULL, 0 };
	else if (p != NULL)
		*ref = (struct policy_doc_ref){ POLICY_DOC_PRESET, p, 0 };
	else
		return -1;
	return 0;
}

static int unknown_name(struct reader *r, struct yread_pos at, const char *what,
			const char *name)
{
	char known[256] = "";
	for (size_t i = 0; i < n_presets; i++)
		snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
			 i ? ", " : "", presets[i].name);
	return fail(r, at, "%s '%s' is no profile of this file, no preset (%s) and not env",
		    what, quote(name, strlen(name)).s, known);
}

/* The names of a cycle's profiles, starting and ending at start. */
static void cycle_text(const struct policy_doc *d, size_t start, char *out, size_t cap)
{
	size_t i = start, o = 0;
	do {
		o += (size_t)snprintf(out + o, cap - o, "%s -> ", d->profiles[i].name);
		i = d->profiles[i].extends.profile;
	} while (i != start && o < cap);
	if (o < cap)
		snprintf(out + o, cap - o, "%s", d->profiles[start].name);
}

/* Resolves every extends:, orders the profiles parents first (each has
 * at most one parent: the walk up from a profile is a chain), refuses a
 * cycle, and passes libpod and env descent down. */
static int order_profiles(struct reader *r)
{
	struct policy_doc *d = r->doc;
	size_t n = d->n_profiles;
	for (size_t i = 0; i < n; i++)
		if (r->pending[i].extends != NULL &&
		    resolve_name(r, r->pending[i].extends, &d->profiles[i].extends))
			return unknown_name(r, d->profiles[i].extends_at, "extends",
					    r->pending[i].extends);
	size_t *order = arena_alloc(&d->arena, n * sizeof *order + 1);
	size_t *chain = arena_alloc(&d->arena, n * sizeof *chain + 1);
	unsigned char *state = arena_alloc(&d->arena, n + 1); /* 0 new, 1 on the chain, 2 ordered */
	if (order == NULL || chain == NULL || state == NULL)
		return fail(r, (struct yread_pos){ 1, 1 }, "out of memory");
	size_t done = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = 0, at = i;
		bool cycle = false;
		while (state[at] != 2) {
			if (state[at] == 1) {
				cycle = true; /* back at a profile of this chain */
				break;
			}
			state[at] = 1;
			chain[len++] = at;
			if (d->profiles[at].extends.kind != POLICY_DOC_PROFILE)
				break;
			at = d->profiles[at].extends.profile;
		}
		if (cycle) {
			char text[200];
			cycle_text(d, at, text, sizeof text);
			return fail(r, d->profiles[chain[len - 1]].extends_at, "extends cycle: %s",
				    text);
		}
		/* The chain runs child to parent: its end goes first. */
		while (len > 0) {
			size_t j = chain[--len];
			state[j] = 2;
			order[done++] = j;
		}
	}
	d->build_order = order;
	for (size_t i = 0; i < n; i++) {
		struct policy_doc_profile *p = &d->profiles[order[i]];
		if (p->extends.kind == POLICY_DOC_ENV)
			p->unrouted_by_env = true;
		if (p->extends.kind != POLICY_DOC_PROFILE)
			continue;
		const struct policy_doc_profile *parent = &d->profiles[p->extends.profile];
		p->unrouted_by_env = parent->unrouted_by_env;
		if (!r->pending[order[i]].libpod_given)
			p->libpod = parent->libpod;
	}
	return 0;
}

/* The target serving what ref names: a profile of the file is its own
 * index; a preset or env is appended once, the first time it is named. */
static long target_of(struct reader *r, const struct policy_doc_ref *ref)
{
	struct policy_doc *d = r->doc;
	if (ref->kind == POLICY_DOC_PROFILE)
		return (long)ref->profile;
	for (size_t i = d->n_profiles; i < d->n_targets; i++)
		if (r->targets[i].kind == ref->kind && r->targets[i].preset == ref->preset)
			return (long)i;
	void *targets = r->targets;
	if (arena_grow(&d->arena, &targets, d->n_targets, &r->targets_cap, sizeof *r->targets))
		return -1;
	r->targets = targets;
	r->targets[d->n_targets] = *ref;
	return (long)d->n_targets++;
}

/* Resolves each client's profile: into a target. */
static int resolve_clients(struct reader *r)
{
	struct policy_doc *d = r->doc;
	r->targets_cap = d->n_profiles + 8;
	r->targets = arena_alloc(&d->arena, r->targets_cap * sizeof *r->targets);
	if (r->targets == NULL)
		return fail(r, (struct yread_pos){ 1, 1 }, "out of memory");
	for (size_t i = 0; i < d->n_profiles; i++)
		r->targets[i] = (struct policy_doc_ref){ POLICY_DOC_PROFILE, NULL, i };
	d->n_targets = d->n_profiles;
	for (size_t i = 0; i < d->n_clients; i++) {
		const struct pending_client *pc = &r->pending_clients[i];
		struct policy_doc_ref ref;
		if (resolve_name(r, pc->profile, &ref))
			return unknown_name(r, pc->profile_at, "profile", pc->profile);
		long t = target_of(r, &ref);
		if (t < 0)
			return fail(r, pc->profile_at, "out of memory");
		r->clients[i].target = (size_t)t;
	}
	d->targets = r->targets;
	d->clients = r->clients;
	d->default_profile = find_profile(d, "default");
	return 0;
}

/* The file's base name: the origin of its decisions, in 403 messages. */
static const char *base_name(struct policy_doc *d, const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *base = slash && slash[1] != '\0' ? slash + 1 : name;
	size_t n = strlen(base);
	n = n > 40 ? 40 : n; /* room for ":LINE:COLUMN" in an origin */
	char *copy = arena_alloc(&d->arena, n + 1);
	if (copy != NULL)
		memcpy(copy, base, n);
	return copy;
}

struct policy_doc *policy_doc_parse(const char *name, const char *text, size_t len,
				    const struct cfg_listener *listeners, size_t n_listeners,
				    char *err, size_t err_cap)
{
	struct reader r = { .listeners = listeners, .n_listeners = n_listeners };
	if (err_cap > 0)
		err[0] = '\0';
	r.y = yread_new(name, text, len, err, err_cap);
	if (r.y == NULL)
		return NULL;
	if (len > POLICY_DOC_MAX_BYTES) {
		fail(&r, yread_pos_at(r.y, POLICY_DOC_MAX_BYTES), "the file is larger than %d bytes",
		     POLICY_DOC_MAX_BYTES);
		yread_free(r.y);
		return NULL;
	}
	r.doc = calloc(1, sizeof *r.doc);
	int bad = r.doc == NULL;
	if (!bad) {
		r.doc->default_profile = -1;
		r.doc->origin = base_name(r.doc, name);
		bad = r.doc->origin == NULL;
	}
	if (bad)
		fail(&r, (struct yread_pos){ 1, 1 }, "out of memory");
	else
		bad = read_root(&r) || order_profiles(&r) || resolve_clients(&r);
	yread_free(r.y);
	if (bad) {
		policy_doc_free(r.doc);
		return NULL;
	}
	return r.doc;
}

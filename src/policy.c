/* policy.c - the rule list and policy_judge(); see policy.h.
 *
 * This is where a request is judged. The rule list is compiled once from
 * the settings; judging walks it in order and the first match decides. */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

const struct policy_section policy_sections[] = {
	{ "EVENTS", "events", true },
	{ "PING", "_ping", true },
	{ "VERSION", "version", true },
	{ "AUTH", "auth", false },
	{ "BUILD", "build", false },
	{ "COMMIT", "commit", false },
	{ "CONFIGS", "configs", false },
	{ "CONTAINERS", "containers", false },
	{ "DISTRIBUTION", "distribution", false },
	{ "EXEC", "exec", false },
	{ "GRPC", "grpc", false },
	{ "IMAGES", "images", false },
	{ "INFO", "info", false },
	{ "NETWORKS", "networks", false },
	{ "NODES", "nodes", false },
	{ "PLUGINS", "plugins", false },
	{ "SECRETS", "secrets", false },
	{ "SERVICES", "services", false },
	{ "SESSION", "session", false },
	{ "SWARM", "swarm", false },
	{ "SYSTEM", "system", false },
	{ "TASKS", "tasks", false },
	{ "VOLUMES", "volumes", false },
};
const size_t policy_n_sections = sizeof policy_sections / sizeof policy_sections[0];

#define POLICY_LIBPOD "/libpod"
/* Reads that act on a container, so they need POST=1 too. The name is
 * "**": the daemon routes a name that spans segments here as well. */
#define POLICY_ATTACH_WS "/containers/**/attach/ws"
#define POLICY_HEALTHCHECK "/containers/**/healthcheck" /* libpod only */
/* Podman 5.6 and later: GET /libpod/volumes/{name}/export returns the
 * volume's files as a tar stream (libpod only). */
#define POLICY_VOLUME_EXPORT "/volumes/**/export"
/* docker exec's first step (ContainerExecCreate); the start is /exec/... */
#define POLICY_EXEC_CREATE "/containers/**/exec"

struct policy {
	struct policy_settings settings;
	struct policy_rule rules[POLICY_MAX_RULES];
	char patterns[POLICY_MAX_RULES][POLICY_PATTERN_MAX];
	/* Each pattern's first segment when it is a literal (empty for "*"
	 * or "**"): a path whose section differs cannot match, which
	 * policy_judge() sees without walking the pattern. */
	struct span first_segment[POLICY_MAX_RULES];
	size_t n_rules;
	size_t rule_limit; /* at most POLICY_MAX_RULES */
	size_t rules_wanted; /* n_rules plus those that did not fit */
	char error[POLICY_ERROR_MAX]; /* a pattern that did not fit, or "" */
};

unsigned policy_method_bit(struct span method)
{
	if (span_eq(method, "GET"))
		return POLICY_M_GET;
	if (span_eq(method, "HEAD"))
		return POLICY_M_HEAD;
	if (span_eq(method, "POST"))
		return POLICY_M_POST;
	return POLICY_M_OTHER;
}

static void add_one(struct policy *p, unsigned methods, const char *prefix,
		    const char *pattern, bool allow, enum policy_deny deny,
		    enum policy_cond cond, const char *because)
{
	p->rules_wanted++; /* for the error policy_compile reports */
	if (p->n_rules == p->rule_limit)
		return;
	size_t i = p->n_rules++;
	int n = snprintf(p->patterns[i], POLICY_PATTERN_MAX, "%s%s", prefix, pattern);
	/* A cut pattern would match something else. */
	if ((n < 0 || n >= POLICY_PATTERN_MAX) && p->error[0] == '\0')
		snprintf(p->error, sizeof p->error,
			 "policy: the pattern %s%s is longer than the %d bytes a rule holds "
			 "(POLICY_PATTERN_MAX)", prefix, pattern, POLICY_PATTERN_MAX - 1);
	p->rules[i] = (struct policy_rule){ methods, p->patterns[i], allow, deny, cond, because };
	const char *seg = p->patterns[i] + 1, *end = strchr(seg, '/');
	size_t len = end ? (size_t)(end - seg) : strlen(seg);
	bool literal = p->patterns[i][0] == '/' && memchr(seg, '*', len) == NULL;
	p->first_segment[i] = (struct span){ seg, literal ? len : 0 };
}

/* Adds a rule for the Docker path, and with LIBPOD=1 its twin under
 * /libpod right after it. The twins never overlap a Docker pattern (none
 * starts with "libpod"), so each family keeps its own first-match order. */
static void add_rule(struct policy *p, unsigned methods, const char *pattern,
		     bool allow, enum policy_deny deny, enum policy_cond cond,
		     const char *because)
{
	add_one(p, methods, "", pattern, allow, deny, cond, because);
	if (p->settings.libpod)
		add_one(p, methods, POLICY_LIBPOD, pattern, allow, deny, cond, because);
}

static bool section_on(const struct policy_settings *s, const char *segment)
{
	for (size_t i = 0; i < policy_n_sections; i++)
		if (strcmp(policy_sections[i].segment, segment) == 0)
			return s->section_on[i];
	return false;
}

/* ==== The lifecycle switches ====
 *
 * ALLOW_START, ALLOW_STOP and ALLOW_RESTARTS each grant container actions
 * (a POST to /containers/{name}/<action>) without opening the section or
 * POST. Each action is one row below: its path, the switch that grants
 * just it, and the query parameters it admits (lifecycle_admits()). */

enum policy_value {
	POLICY_V_SECONDS, /* 0 to POLICY_MAX_WAIT_S: t=-1, or a huge t, waits forever */
	POLICY_V_SIGNAL,
	POLICY_V_TEXT,    /* anything: detachKeys only names the keys that detach */
};

struct policy_param {
	const char *key;
	enum policy_value value;
};

struct policy_action {
	const char *pattern;
	const char *switch_name; /* the narrowest switch that grants it */
	struct policy_param params[3];
};

/* Indexed by the rule's condition. stop and restart take the seconds to
 * wait as "t" (Docker) or "timeout" (libpod); restart also takes "signal"
 * (API 1.42), which adds nothing to ALLOW_RESTARTS, since it grants kill
 * with any signal. start takes "detachKeys", harmless, and never
 * "checkpoint"/"checkpoint-dir", which start another container state.
 * ALLOW_RESTARTS also grants stop (see lifecycle_switch()). */
static const struct policy_action lifecycle_actions[] = {
	[POLICY_COND_START] = { "/containers/*/start", "ALLOW_START",
				{ { "detachKeys", POLICY_V_TEXT } } },
	[POLICY_COND_STOP] = { "/containers/*/stop", "ALLOW_STOP",
			       { { "t", POLICY_V_SECONDS }, { "timeout", POLICY_V_SECONDS } } },
	[POLICY_COND_RESTART] = { "/containers/*/restart", "ALLOW_RESTARTS",
				  { { "t", POLICY_V_SECONDS }, { "timeout", POLICY_V_SECONDS },
				    { "signal", POLICY_V_SIGNAL } } },
	[POLICY_COND_KILL] = { "/containers/*/kill", "ALLOW_RESTARTS",
			       { { "signal", POLICY_V_SIGNAL } } },
};

static bool is_lifecycle(enum policy_cond c)
{
	return c >= POLICY_COND_START && c <= POLICY_COND_KILL;
}

/* The switch of s that grants the action, the narrowest one first, or
 * NULL when none does. ALLOW_RESTARTS grants stop, restart and kill, as
 * docker-socket-proxy's does. */
static const char *lifecycle_switch(const struct policy_settings *s, enum policy_cond action)
{
	switch (action) {
	case POLICY_COND_START:
		return s->allow_start ? "ALLOW_START" : NULL;
	case POLICY_COND_STOP:
		return s->allow_stop ? "ALLOW_STOP" : s->allow_restarts ? "ALLOW_RESTARTS" : NULL;
	case POLICY_COND_RESTART:
	case POLICY_COND_KILL:
		return s->allow_restarts ? "ALLOW_RESTARTS" : NULL;
	default:
		return NULL;
	}
}

/* The lifecycle switches come first so that they grant exactly one action
 * without opening the section or POST; their condition makes it exactly
 * one: a start with a body is a create on old API versions (below 1.24
 * the daemon applies a HostConfig sent to start), a stop with a signal is
 * a kill (API 1.42). */
static void add_lifecycle(struct policy *p, const struct policy_settings *s)
{
	for (enum policy_cond a = POLICY_COND_START; is_lifecycle(a); a++) {
		const char *granted_by = lifecycle_switch(s, a);
		if (granted_by != NULL)
			add_rule(p, POLICY_M_POST, lifecycle_actions[a].pattern, true,
				 POLICY_DENY_NEVER, a, granted_by);
	}
}

/* The lifecycle action a POST to rest is, or POLICY_COND_NONE. */
static enum policy_cond lifecycle_action_of(struct span rest)
{
	for (enum policy_cond a = POLICY_COND_START; is_lifecycle(a); a++)
		if (policy_pattern_match(lifecycle_actions[a].pattern, rest))
			return a;
	return POLICY_COND_NONE;
}

/* Sets the message of a failed compilation, when the caller wants one. */
static struct policy *compile_failed(struct policy *p, char *why, size_t why_cap,
				     const char *message)
{
	if (why != NULL && why_cap > 0)
		snprintf(why, why_cap, "%s", message);
	free(p);
	return NULL;
}

struct policy *policy_compile(const struct policy_settings *s, char *why, size_t why_cap)
{
	return policy_compile_limited(s, POLICY_MAX_RULES, why, why_cap);
}

struct policy *policy_compile_limited(const struct policy_settings *s, size_t rule_limit,
				      char *why, size_t why_cap)
{
	struct policy *p = calloc(1, sizeof *p);
	if (p == NULL)
		return compile_failed(p, why, why_cap, "policy: out of memory");
	p->settings = *s;
	p->rule_limit = rule_limit < POLICY_MAX_RULES ? rule_limit : POLICY_MAX_RULES;
	/* moby's debug router (/debug/pprof, /debug/vars) is registered on
	 * every daemon and is no documented section: never allowed. */
	add_rule(p, POLICY_M_ANY, "/debug/**", false, POLICY_DENY_NEVER, POLICY_COND_NONE,
		 "always");
	/* The attach WebSocket is a GET that writes to a container's stdin:
	 * with POST=0 a section is read-only, so it stays closed. */
	if (!s->post)
		add_rule(p, POLICY_M_READ, POLICY_ATTACH_WS, false, POLICY_DENY_WRITES,
			 POLICY_COND_NONE, "POST");
	/* libpod's GET /containers/{name}/healthcheck runs the container's
	 * health command: a read that acts, so it needs POST=1 like attach/ws.
	 * Docker has no such route, so it gets no Docker rule. */
	if (s->libpod && !s->post)
		add_one(p, POLICY_M_READ, POLICY_LIBPOD, POLICY_HEALTHCHECK, false,
			POLICY_DENY_WRITES, POLICY_COND_NONE, "POST");
	/* Reads that return what a read-only client must not see, whatever
	 * POST says: Podman 4.7 and later answer GET /secrets/{name} (and
	 * /libpod/secrets/{name}/json) with the plaintext when the query says
	 * showsecret=true; Podman 5.6 and later export a volume's files. */
	if (!s->allow_secret_values && section_on(s, "secrets"))
		add_rule(p, POLICY_M_ANY, "/secrets/**", false, POLICY_DENY_SECRET_VALUE,
			 POLICY_COND_SHOWSECRET, "ALLOW_SECRET_VALUES");
	if (s->libpod && !s->allow_volume_export && section_on(s, "volumes"))
		add_one(p, POLICY_M_ANY, POLICY_LIBPOD, POLICY_VOLUME_EXPORT, false,
			POLICY_DENY_VOLUME_EXPORT, POLICY_COND_NONE, "ALLOW_VOLUME_EXPORT");
	/* docker exec creates the exec under /containers, then starts it
	 * under /exec. With EXEC=0 the start is denied as a hijack, whose 403
	 * the CLI reduces to "unable to upgrade to tcp, received 403": deny
	 * the create, whose message the CLI prints, and create nothing. */
	if (s->post && section_on(s, "containers") && !section_on(s, "exec"))
		add_rule(p, POLICY_M_POST, POLICY_EXEC_CREATE, false, POLICY_DENY_EXEC_CLOSED,
			 POLICY_COND_NONE, "EXEC");
	add_lifecycle(p, s);
	for (size_t i = 0; i < policy_n_sections; i++) {
		if (!s->section_on[i])
			continue;
		char pattern[POLICY_PATTERN_MAX];
		snprintf(pattern, sizeof pattern, "/%s/**", policy_sections[i].segment);
		add_rule(p, s->post ? POLICY_M_ANY : POLICY_M_READ, pattern, true, POLICY_DENY_NEVER,
			 POLICY_COND_NONE, policy_sections[i].setting);
	}
	if (p->rules_wanted > p->n_rules) {
		char message[POLICY_ERROR_MAX];
		snprintf(message, sizeof message, "policy: the settings make %zu rules, more than "
			 "the %zu a policy holds (POLICY_MAX_RULES)", p->rules_wanted, p->rule_limit);
		return compile_failed(p, why, why_cap, message);
	}
	if (p->error[0] != '\0')
		return compile_failed(p, why, why_cap, p->error);
	return p;
}

void policy_free(struct policy *p)
{
	free(p);
}

const struct policy_settings *policy_settings_of(const struct policy *p)
{
	return &p->settings;
}

const struct policy_rule *policy_rules(const struct policy *p, size_t *n)
{
	*n = p->n_rules;
	return p->rules;
}

/* "*" matches one container-name-like segment, as Docker names and IDs are
 * ([a-zA-Z0-9][a-zA-Z0-9_.-]*). */
static bool name_segment(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

/* The start of the last k segments of rest[0, n) ("/a/b" has two), or -1
 * when it has fewer. */
static long last_segments(struct span rest, size_t k)
{
	if (k == 0)
		return (long)rest.n;
	for (size_t i = rest.n; i-- > 0;)
		if (rest.p[i] == '/' && --k == 0)
			return (long)i;
	return -1;
}

static size_t count_segments(const char *pattern)
{
	size_t k = 0;
	for (; *pattern; pattern++)
		k += *pattern == '/';
	return k;
}

bool policy_pattern_match(const char *pattern, struct span rest)
{
	const char *pp = pattern;
	size_t i = 0;
	while (*pp == '/') {
		const char *pend = strchr(pp + 1, '/');
		size_t plen = pend ? (size_t)(pend - pp - 1) : strlen(pp + 1);
		if (plen == 2 && pp[1] == '*' && pp[2] == '*') {
			if (pend == NULL)
				return true; /* "**" at the end: any rest */
			/* In the middle: one or more whole segments, up to the
			 * ones the rest of the pattern needs at the end: a
			 * name as {name:.*} routes it, never empty since
			 * path_check() refuses "//". Linear: one scan back. */
			if (strstr(pend, "**") != NULL)
				return false;
			long at = last_segments((struct span){ rest.p + i, rest.n - i },
						count_segments(pend));
			if (at <= 0)
				return false;
			i += (size_t)at;
			pp = pend;
			continue;
		}
		if (i >= rest.n || rest.p[i] != '/')
			return false;
		const char *seg = rest.p + i + 1;
		const char *send = memchr(seg, '/', rest.n - i - 1);
		size_t slen = send ? (size_t)(send - seg) : rest.n - i - 1;
		bool ok = (plen == 1 && pp[1] == '*') ? name_segment(seg, slen)
						      : (plen == slen && memcmp(pp + 1, seg, plen) == 0);
		if (!ok)
			return false;
		i += 1 + slen;
		pp += 1 + plen;
	}
	return *pp == '\0' && i == rest.n;
}

/* The part of rest after a leading "/libpod" segment ("/" when nothing
 * follows), or rest itself when its first segment is not "libpod". */
static struct span libpod_inner(struct span rest, bool *is_libpod)
{
	size_t n = sizeof POLICY_LIBPOD - 1;
	*is_libpod = rest.n >= n && memcmp(rest.p, POLICY_LIBPOD, n) == 0 &&
		     (rest.n == n || rest.p[n] == '/');
	if (!*is_libpod)
		return rest;
	if (rest.n <= n + 1)
		return (struct span){ "/", 1 };
	return (struct span){ rest.p + n, rest.n - n };
}

static struct span first_segment(struct span rest)
{
	const char *end = memchr(rest.p + 1, '/', rest.n - 1);
	return (struct span){ rest.p + 1, end ? (size_t)(end - rest.p - 1) : rest.n - 1 };
}

/* Appends "NAME=1" to a " and "-separated list in out. */
static void need(char *out, size_t cap, const char *setting)
{
	size_t used = strlen(out);
	snprintf(out + used, cap - used, "%s%s=1", used ? " and " : "", setting);
}

/* What a deny rule of kind deny says after "... is denied"; NULL for the
 * kind whose message names the settings that would allow the request. */
static const char *deny_rule_reason(enum policy_deny deny)
{
	switch (deny) {
	case POLICY_DENY_NEVER: return ": this endpoint is never allowed";
	case POLICY_DENY_SECRET_VALUE:
		return ": it returns the secret's value (set ALLOW_SECRET_VALUES=1)";
	case POLICY_DENY_VOLUME_EXPORT:
		return ": it returns the volume's files (set ALLOW_VOLUME_EXPORT=1)";
	case POLICY_DENY_EXEC_CLOSED:
		return ": the exec could not be started, as starting it needs EXEC=1 (set EXEC=1)";
	case POLICY_DENY_WRITES:
		break;
	}
	return NULL;
}

/* Fills v->message with what was denied and the settings that would allow
 * it, so the docker CLI user reads the fix in the error. A /libpod path is
 * explained by the Docker path after it, plus LIBPOD=1 if that is off. */
static void explain_denial(const struct policy *p, struct span method,
			   const struct path_info *path, const struct policy_rule *rule,
			   struct policy_verdict *v)
{
	int n = snprintf(v->message, sizeof v->message, "dockgate: %.*s %.*s is denied",
			 (int)(method.n > 32 ? 32 : method.n), method.p,
			 (int)(path->path.n > 160 ? 160 : path->path.n), path->path.p);
	size_t used = n < 0 ? 0 : (size_t)n;
	if (used >= sizeof v->message)
		return; /* truncated already: nothing fits after it */
	char *m = v->message + used;
	size_t left = sizeof v->message - used;
	const char *why = rule != NULL ? deny_rule_reason(rule->deny) : NULL;
	if (why != NULL) {
		snprintf(m, left, "%s", why);
		return;
	}
	bool is_libpod;
	struct span rest = libpod_inner(path->rest, &is_libpod);
	struct span section = is_libpod ? first_segment(rest) : path->section;
	const struct policy_section *sec = NULL;
	for (size_t i = 0; i < policy_n_sections; i++)
		if (span_eq(section, policy_sections[i].segment))
			sec = &policy_sections[i];
	if (sec == NULL) {
		snprintf(m, left, ": it is in no API section that a setting can allow");
		return;
	}
	bool need_libpod = is_libpod && !p->settings.libpod;
	char needs[64] = "";
	if (need_libpod)
		need(needs, sizeof needs, "LIBPOD");
	if (!p->settings.section_on[sec - policy_sections])
		need(needs, sizeof needs, sec->setting);
	/* attach/ws is a GET that writes, so it needs POST=1 too; and so does
	 * libpod's healthcheck. With LIBPOD=0 their /libpod rules do not
	 * exist, so the path tells. */
	bool read = (policy_method_bit(method) & POLICY_M_READ) != 0;
	bool acts = rule != NULL ||
		    (read && need_libpod && (policy_pattern_match(POLICY_ATTACH_WS, rest) ||
					     policy_pattern_match(POLICY_HEALTHCHECK, rest)));
	if (!p->settings.post && (acts || !read))
		need(needs, sizeof needs, "POST");
	const char *action = NULL; /* the switch that grants only this */
	const char *then = ""; /* what the next step of the operation needs */
	if (policy_method_bit(method) == POLICY_M_POST) {
		enum policy_cond a = lifecycle_action_of(rest);
		if (a != POLICY_COND_NONE)
			action = lifecycle_actions[a].switch_name;
		if (policy_pattern_match(POLICY_EXEC_CREATE, rest) &&
		    !section_on(&p->settings, "exec"))
			then = "; starting it also needs EXEC=1";
	}
	snprintf(m, left, " (set %s%s%s%s%s%s%s)", needs,
		 acts && !p->settings.post ? ": it can write to a container" : "",
		 action ? ", or only " : "", action && need_libpod ? "LIBPOD=1 and " : "",
		 action ? action : "", action ? "=1" : "", then);
}

/* ==== Query parameters ====
 *
 * The daemon reads a query with Go's url.ParseQuery: pairs split on '&',
 * key and value percent-decoded with '+' as a space, the first of
 * duplicate keys winning in r.Form.Get; a ';' fails the parse on Go 1.17
 * and later but split pairs before. Podman decodes the pairs into structs
 * with gorilla/schema, which matches keys with strings.EqualFold. The
 * checks below are stricter than both, so that no reading of a query
 * differs from the one judged. */

/* The next '&'-separated piece of q from *at; false at the end. */
static bool query_next(struct span q, size_t *at, struct span *key, struct span *value)
{
	if (*at > q.n || q.n == 0)
		return false;
	const char *p = q.p + *at;
	const char *end = memchr(p, '&', q.n - *at);
	size_t n = end ? (size_t)(end - p) : q.n - *at;
	*at += n + 1;
	const char *eq = memchr(p, '=', n);
	*key = (struct span){ p, eq ? (size_t)(eq - p) : n };
	*value = eq ? (struct span){ eq + 1, n - key->n - 1 } : (struct span){ p + n, 0 };
	return true;
}

/* The longest wait a lifecycle switch admits for stop and restart: a
 * t of 999999999 is a stop that never escalates to a kill, and holds a
 * daemon connection as long, just as t=-1 does. */
#define POLICY_MAX_WAIT_S 3600

/* Plain decimal digits (no sign, no escape) worth 0 to POLICY_MAX_WAIT_S. */
static bool seconds_value(struct span v)
{
	if (v.n == 0 || v.n > 4)
		return false;
	unsigned n = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		n = n * 10 + (unsigned)(v.p[i] - '0');
	}
	return n <= POLICY_MAX_WAIT_S;
}

/* A signal as the daemon parses one ("SIGTERM", "TERM", "15"): letters
 * and digits only, so no escape or '+' can make it read otherwise. */
static bool signal_value(struct span v)
{
	if (v.n == 0 || v.n > 16)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		char c = v.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static bool value_ok(enum policy_value kind, struct span v)
{
	switch (kind) {
	case POLICY_V_SECONDS:
		return seconds_value(v);
	case POLICY_V_SIGNAL:
		return signal_value(v);
	case POLICY_V_TEXT:
		return true;
	}
	return false;
}

/* True when a lifecycle rule's request has no body and only the rule's
 * own query parameters, each once with a valid value. Keys must be the
 * exact bytes (no escape, no other case). On false, why says so. */
static bool lifecycle_admits(const struct policy_rule *r, const struct policy_request *rq,
			     char *why, size_t cap)
{
	const char *sw = r->because;
	if (rq->has_body) {
		snprintf(why, cap, "%s admits no request body", sw);
		return false;
	}
	struct span q = rq->path->query;
	if (q.n > 0 && memchr(q.p, ';', q.n) != NULL) {
		snprintf(why, cap, "a ';' in the query is not allowed by %s", sw);
		return false;
	}
	const struct policy_param *params = lifecycle_actions[r->cond].params;
	unsigned seen = 0;
	size_t at = 0;
	struct span key, value;
	while (query_next(q, &at, &key, &value)) {
		size_t k = 0;
		while (k < 3 && params[k].key != NULL && !span_eq(key, params[k].key))
			k++;
		if (k == 3 || params[k].key == NULL) {
			snprintf(why, cap, "query parameter '%.*s' is not allowed by %s",
				 (int)(key.n > 40 ? 40 : key.n), key.p, sw);
			return false;
		}
		if (seen & (1u << k)) {
			snprintf(why, cap, "query parameter '%s' is given twice", params[k].key);
			return false;
		}
		seen |= 1u << k;
		if (!value_ok(params[k].value, value)) {
			snprintf(why, cap, "query parameter '%s' must be %s for %s", params[k].key,
				 params[k].value == POLICY_V_SECONDS ? "a number of seconds from 0 to 3600"
								     : "a signal name or number",
				 sw);
			return false;
		}
	}
	return true;
}

/* True when key, decoded as Go decodes it, names a field "name" (lower
 * case ASCII) for gorilla/schema: equal under Unicode simple case folding,
 * in which only U+017F (long s) and U+212A (Kelvin sign) fold to ASCII
 * letters besides the letters themselves, and ignoring a ".sub" path. */
static bool key_names(struct span key, const char *name)
{
	unsigned char d[64];
	size_t n = 0;
	for (size_t i = 0; i < key.n; i++) {
		int c = (unsigned char)key.p[i];
		int escaped = c == '%' && i + 2 < key.n ? span_hex_byte(key.p + i + 1) : -1;
		if (c == '+') {
			c = ' ';
		} else if (escaped >= 0) {
			c = escaped;
			i += 2;
		}
		if (n == sizeof d)
			return false;
		d[n++] = (unsigned char)c;
	}
	size_t i = 0;
	for (; *name; name++) {
		char want = *name;
		if (i + 1 < n && d[i] == 0xc5 && d[i + 1] == 0xbf && want == 's')
			i += 2;
		else if (i + 2 < n && d[i] == 0xe2 && d[i + 1] == 0x84 && d[i + 2] == 0xaa &&
			 want == 'k')
			i += 3;
		else if (i < n && (d[i] | 0x20) == want && d[i] >= 'A')
			i++;
		else
			return false;
	}
	return i == n || d[i] == '.';
}

/* True when a query key, split on '&' or ';' (old Go split on both),
 * names showsecret, whatever its value. */
static bool query_names_showsecret(struct span q)
{
	if (q.n == 0)
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= q.n; i++) {
		if (i < q.n && q.p[i] != '&' && q.p[i] != ';')
			continue;
		struct span piece = { q.p + start, i - start };
		const char *eq = memchr(piece.p, '=', piece.n);
		struct span key = { piece.p, eq ? (size_t)(eq - piece.p) : piece.n };
		if (key_names(key, "showsecret"))
			return true;
		start = i + 1;
	}
	return false;
}

void policy_judge(const struct policy *p, const struct policy_request *rq,
		  struct policy_verdict *v)
{
	const struct path_info *path = rq->path;
	unsigned bit = policy_method_bit(rq->method);
	const struct policy_rule *passed = NULL; /* a lifecycle rule whose condition failed */
	char why[160] = "";
	v->allow = false;
	v->because = NULL;
	v->message[0] = '\0';
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		struct span first = p->first_segment[i];
		if (first.n > 0 && (first.n != path->section.n ||
				    memcmp(first.p, path->section.p, first.n) != 0))
			continue;
		if (!(r->methods & bit) || !policy_pattern_match(r->pattern, path->rest))
			continue;
		if (r->cond == POLICY_COND_SHOWSECRET && !query_names_showsecret(path->query))
			continue;
		/* A lifecycle switch that does not admit this request leaves it
		 * to the later rules: a section with POST=1 may still allow it. */
		if (is_lifecycle(r->cond) && !lifecycle_admits(r, rq, why, sizeof why)) {
			passed = r;
			continue;
		}
		v->allow = r->allow;
		v->because = r->because;
		if (!r->allow)
			explain_denial(p, rq->method, path, r, v);
		return;
	}
	if (passed != NULL) {
		v->because = passed->because;
		snprintf(v->message, sizeof v->message, "dockgate: %.*s %.*s is denied: %s",
			 (int)(rq->method.n > 32 ? 32 : rq->method.n), rq->method.p,
			 (int)(path->path.n > 160 ? 160 : path->path.n), path->path.p, why);
		return;
	}
	explain_denial(p, rq->method, path, NULL, v);
}

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

/* Everything on with LIBPOD=1 and POST=0 is 59 rules: twice (debug,
 * attach/ws, 4 lifecycle, 23 sections) plus the libpod healthcheck. */
#define POLICY_MAX_RULES 80
#define POLICY_PATTERN_MAX 48
#define POLICY_LIBPOD "/libpod"
/* Reads that act on a container, so they need POST=1 too. */
#define POLICY_ATTACH_WS "/containers/*/attach/ws"
#define POLICY_HEALTHCHECK "/containers/*/healthcheck" /* libpod only */

struct policy {
	struct policy_settings settings;
	struct policy_rule rules[POLICY_MAX_RULES];
	char patterns[POLICY_MAX_RULES][POLICY_PATTERN_MAX];
	/* Each pattern's first segment when it is a literal (empty for "*"
	 * or "**"): a path whose section differs cannot match, which
	 * policy_judge() sees without walking the pattern. */
	struct span first_segment[POLICY_MAX_RULES];
	size_t n_rules;
	bool overflow; /* a rule did not fit: policy_compile fails */
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
		    const char *pattern, bool allow, enum policy_deny deny, const char *because)
{
	if (p->n_rules == POLICY_MAX_RULES) {
		p->overflow = true;
		return;
	}
	size_t i = p->n_rules++;
	int n = snprintf(p->patterns[i], POLICY_PATTERN_MAX, "%s%s", prefix, pattern);
	if (n < 0 || n >= POLICY_PATTERN_MAX)
		p->overflow = true; /* a cut pattern would match something else */
	p->rules[i] = (struct policy_rule){ methods, p->patterns[i], allow, deny, because };
	const char *seg = p->patterns[i] + 1, *end = strchr(seg, '/');
	size_t len = end ? (size_t)(end - seg) : strlen(seg);
	bool literal = p->patterns[i][0] == '/' && memchr(seg, '*', len) == NULL;
	p->first_segment[i] = (struct span){ seg, literal ? len : 0 };
}

/* Adds a rule for the Docker path, and with LIBPOD=1 its twin under
 * /libpod right after it. The twins never overlap a Docker pattern (none
 * starts with "libpod"), so each family keeps its own first-match order. */
static void add_rule(struct policy *p, unsigned methods, const char *pattern,
		     bool allow, enum policy_deny deny, const char *because)
{
	add_one(p, methods, "", pattern, allow, deny, because);
	if (p->settings.libpod)
		add_one(p, methods, POLICY_LIBPOD, pattern, allow, deny, because);
}

struct policy *policy_compile(const struct policy_settings *s)
{
	struct policy *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->settings = *s;
	/* moby's debug router (/debug/pprof, /debug/vars) is registered on
	 * every daemon and is no documented section: never allowed. */
	add_rule(p, POLICY_M_ANY, "/debug/**", false, POLICY_DENY_NEVER, "always");
	/* The attach WebSocket is a GET that writes to a container's stdin:
	 * with POST=0 a section is read-only, so it stays closed. */
	if (!s->post)
		add_rule(p, POLICY_M_READ, POLICY_ATTACH_WS, false, POLICY_DENY_WRITES, "POST");
	/* libpod's GET /containers/{name}/healthcheck runs the container's
	 * health command: a read that acts, so it needs POST=1 like attach/ws.
	 * Docker has no such route, so it gets no Docker rule. */
	if (s->libpod && !s->post)
		add_one(p, POLICY_M_READ, POLICY_LIBPOD, POLICY_HEALTHCHECK, false,
			POLICY_DENY_WRITES, "POST");
	/* The container lifecycle switches come first so that they grant
	 * exactly one action without opening the section or POST. */
	if (s->allow_start)
		add_rule(p, POLICY_M_POST, "/containers/*/start", true, POLICY_DENY_NEVER, "ALLOW_START");
	if (s->allow_stop || s->allow_restarts)
		add_rule(p, POLICY_M_POST, "/containers/*/stop", true, POLICY_DENY_NEVER,
			 s->allow_stop ? "ALLOW_STOP" : "ALLOW_RESTARTS");
	if (s->allow_restarts) {
		add_rule(p, POLICY_M_POST, "/containers/*/restart", true, POLICY_DENY_NEVER, "ALLOW_RESTARTS");
		add_rule(p, POLICY_M_POST, "/containers/*/kill", true, POLICY_DENY_NEVER, "ALLOW_RESTARTS");
	}
	for (size_t i = 0; i < policy_n_sections; i++) {
		if (!s->section_on[i])
			continue;
		char pattern[POLICY_PATTERN_MAX];
		snprintf(pattern, sizeof pattern, "/%s/**", policy_sections[i].segment);
		add_rule(p, s->post ? POLICY_M_ANY : POLICY_M_READ, pattern, true, POLICY_DENY_NEVER,
			 policy_sections[i].setting);
	}
	if (p->overflow) {
		free(p);
		return NULL;
	}
	return p;
}

void policy_free(struct policy *p)
{
	free(p);
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

bool policy_pattern_match(const char *pattern, struct span rest)
{
	const char *pp = pattern;
	size_t i = 0;
	while (*pp == '/') {
		const char *pend = strchr(pp + 1, '/');
		size_t plen = pend ? (size_t)(pend - pp - 1) : strlen(pp + 1);
		if (plen == 2 && pp[1] == '*' && pp[2] == '*' && pend == NULL)
			return true; /* "**" at the end: any rest */
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
	if (rule != NULL && rule->deny == POLICY_DENY_NEVER) {
		snprintf(m, left, ": this endpoint is never allowed");
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
	const char *action = NULL;
	if (policy_method_bit(method) == POLICY_M_POST) {
		if (policy_pattern_match("/containers/*/start", rest))
			action = "ALLOW_START=1";
		else if (policy_pattern_match("/containers/*/stop", rest))
			action = "ALLOW_STOP=1";
		else if (policy_pattern_match("/containers/*/restart", rest) ||
			 policy_pattern_match("/containers/*/kill", rest))
			action = "ALLOW_RESTARTS=1";
	}
	snprintf(m, left, " (set %s%s%s%s%s)", needs,
		 acts && !p->settings.post ? ": it can write to a container" : "",
		 action ? ", or only " : "", action && need_libpod ? "LIBPOD=1 and " : "",
		 action ? action : "");
}

void policy_judge(const struct policy *p, struct span method,
		  const struct path_info *path, struct policy_verdict *v)
{
	unsigned bit = policy_method_bit(method);
	v->allow = false;
	v->because = NULL;
	v->message[0] = '\0';
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		struct span first = p->first_segment[i];
		if (first.n > 0 && (first.n != path->section.n ||
				    memcmp(first.p, path->section.p, first.n) != 0))
			continue;
		if ((r->methods & bit) && policy_pattern_match(r->pattern, path->rest)) {
			v->allow = r->allow;
			v->because = r->because;
			if (!r->allow)
				explain_denial(p, method, path, r, v);
			return;
		}
	}
	explain_denial(p, method, path, NULL, v);
}

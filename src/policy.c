/* policy.c - the rule list and policy_judge(); see policy.h.
 *
 * This is where a request is judged. The rule list is compiled once from
 * the settings; judging walks it in order and the first match decides. */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "policy_libpod.h"
#include "query.h"

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

/* The routes are moby's (api/server/router/container/container.go), each
 * registered under /containers/{name:.*}/, so "**", with the methods it
 * registers: a gate leaves DELETE /containers/{name:.*} alone, which takes
 * a link alias such as "web/logs". archive is GET and HEAD (docker cp out
 * of a container) and PUT (into it); the old POST .../copy (up to API
 * 1.44) copies out too. */
const struct policy_gate_info policy_gates[POLICY_N_GATES] = {
	[POLICY_GATE_ARCHIVE] = { "ALLOW_ARCHIVE",
				  { { "/containers/**/archive", POLICY_M_READ | POLICY_M_OTHER },
				    { "/containers/**/copy", POLICY_M_POST } },
				  "copying files out of or into a container" },
	[POLICY_GATE_CHANGES] = { "ALLOW_CHANGES",
				  { { "/containers/**/changes", POLICY_M_READ } },
				  "listing a container's changed files" },
	[POLICY_GATE_EXPORT] = { "ALLOW_EXPORT",
				 { { "/containers/**/export", POLICY_M_READ } },
				 "exporting a container's filesystem" },
	[POLICY_GATE_LOGS] = { "ALLOW_LOGS", { { "/containers/**/logs", POLICY_M_READ } },
			       "reading a container's logs" },
	[POLICY_GATE_TOP] = { "ALLOW_TOP", { { "/containers/**/top", POLICY_M_READ } },
			      "listing a container's processes" },
	[POLICY_GATE_ATTACH] = { "ALLOW_ATTACH",
				 { { "/containers/**/attach", POLICY_M_POST },
				   { "/containers/**/attach/ws", POLICY_M_READ } },
				 "attaching to a container" },
	[POLICY_GATE_EXEC] = { "ALLOW_EXEC", { { "/containers/**/exec", POLICY_M_POST } },
			       "running a command in a container (docker exec)" },
	[POLICY_GATE_KILL] = { "ALLOW_KILL", { { "/containers/**/kill", POLICY_M_POST } },
			       "sending a signal to a container (docker kill)" },
};

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

static bool section_on(const struct policy_settings *s, const char *segment)
{
	for (size_t i = 0; i < policy_n_sections; i++)
		if (strcmp(policy_sections[i].segment, segment) == 0)
			return s->section_on[i];
	return false;
}

/* ==== The lifecycle switches ====
 *
 * ALLOW_START, ALLOW_STOP and ALLOW_RESTARTS (docker-socket-proxy's) and
 * ALLOW_PAUSE and ALLOW_UNPAUSE (linuxserver's) each grant container
 * actions (a POST to /containers/{name}/<action>) without opening the
 * section or POST. Each action is one row below: its path, the switch
 * that grants just it, and the query parameters it admits
 * (lifecycle_admits()). */

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
	/* Neither takes a query parameter. */
	[POLICY_COND_PAUSE] = { "/containers/*/pause", "ALLOW_PAUSE", { { NULL, 0 } } },
	[POLICY_COND_UNPAUSE] = { "/containers/*/unpause", "ALLOW_UNPAUSE", { { NULL, 0 } } },
};

static bool is_lifecycle(enum policy_cond c)
{
	return c >= POLICY_COND_START && c <= POLICY_COND_UNPAUSE;
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
	case POLICY_COND_PAUSE:
		return s->allow_pause ? "ALLOW_PAUSE" : NULL;
	case POLICY_COND_UNPAUSE:
		return s->allow_unpause ? "ALLOW_UNPAUSE" : NULL;
	default:
		return NULL;
	}
}

/* The rule families: Docker paths, their /libpod twins, and the pod
 * actions, which only the LIBPOD_ALLOW_POD_* switches grant. */
enum policy_family { FAMILY_DOCKER, FAMILY_LIBPOD, FAMILY_PODS };

/* The lifecycle switches come first so that they grant exactly one action
 * without opening the section or POST; their condition makes it exactly
 * one: a start with a body is a create on old API versions (below 1.24
 * the daemon applies a HostConfig sent to start), a stop with a signal is
 * a kill (API 1.42). A /libpod twin is granted by the Docker switch with
 * LIBPOD=1, or by its LIBPOD_ALLOW_* alone. */
static void add_lifecycle(struct policy *p, const struct policy_settings *s,
			  enum policy_family family)
{
	static const char containers[] = "/containers";
	for (enum policy_cond a = POLICY_COND_START; is_lifecycle(a); a++) {
		const char *pattern = lifecycle_actions[a].pattern, *granted_by = NULL;
		if (family == FAMILY_DOCKER || (family == FAMILY_LIBPOD && s->libpod))
			granted_by = lifecycle_switch(s, a);
		if (granted_by == NULL && family != FAMILY_DOCKER)
			granted_by = policy_libpod_grant(
				s, family == FAMILY_PODS ? POLICY_LP_POD_GRANT : POLICY_LP_GRANT, a);
		if (granted_by == NULL)
			continue;
		if (family == FAMILY_PODS) /* the pattern after its "/containers" */
			add_one(p, POLICY_M_POST, POLICY_LIBPOD "/pods",
				pattern + sizeof containers - 1, true, POLICY_DENY_NEVER, a,
				granted_by);
		else
			add_one(p, POLICY_M_POST, family == FAMILY_LIBPOD ? POLICY_LIBPOD : "",
				pattern, true, POLICY_DENY_NEVER, a, granted_by);
	}
}

/* A closed gate denies its routes before any section can allow them,
 * and after the lifecycle switches: ALLOW_RESTARTS still grants kill with
 * ALLOW_KILL closed, as it grants stop with CONTAINERS=0. Only
 * CONTAINERS opens these routes, so without it a gate needs no rule. */
static void add_gates(struct policy *p, const struct policy_settings *s, const char *prefix)
{
	if (!section_on(s, "containers"))
		return;
	for (size_t g = 0; g < POLICY_N_GATES; g++) {
		if (!s->gate_closed[g])
			continue;
		const struct policy_gate_route *r = policy_gates[g].routes;
		for (; r < policy_gates[g].routes + 3 && r->pattern != NULL; r++)
			add_one(p, r->methods, prefix, r->pattern, false, POLICY_DENY_GATE,
				POLICY_COND_NONE, policy_gates[g].setting);
	}
}

/* The methods a section's rule admits. docker-socket-proxy's contract:
 * GET and HEAD, and every method with POST=1. Once DELETE, PUT or PATCH
 * is set, POST opens POST only and each of those its own method; the
 * rule then takes every other method too, and method_switched_on() lets
 * through only the switched ones (policy_method_bit() has one bit for
 * all of them). */
static unsigned section_methods(const struct policy_settings *s)
{
	if (!s->methods_split)
		return s->post ? POLICY_M_ANY : POLICY_M_READ;
	unsigned m = POLICY_M_READ | (s->post ? POLICY_M_POST : 0);
	if (s->allow_delete || s->allow_put || s->allow_patch)
		m |= POLICY_M_OTHER;
	return m;
}

/* The method switch that opens a method other than GET, HEAD and POST
 * once the methods are split ("DELETE"), or NULL when none does. */
static const char *method_switch(struct span method)
{
	static const char *const switches[] = { "DELETE", "PUT", "PATCH" };
	for (size_t i = 0; i < 3; i++)
		if (span_eq(method, switches[i]))
			return switches[i];
	return NULL;
}

/* True when an allow rule's POLICY_M_OTHER bit admits this method:
 * always in docker-socket-proxy's contract, only a switched-on DELETE,
 * PUT or PATCH once the methods are split. */
static bool method_switched_on(const struct policy_settings *s, struct span method)
{
	if (!s->methods_split)
		return true;
	const char *sw = method_switch(method);
	if (sw == NULL)
		return false;
	return sw[0] == 'D' ? s->allow_delete : sw[1] == 'U' ? s->allow_put : s->allow_patch;
}

/* The lifecycle action a POST to rest is, or POLICY_COND_NONE, for the
 * denial's "or only ALLOW_START=1". Only docker-socket-proxy's own
 * switches are named there: a pause denied by the section keeps the
 * message it always had. */
static enum policy_cond lifecycle_action_of(struct span rest)
{
	for (enum policy_cond a = POLICY_COND_START; a <= POLICY_COND_KILL; a++)
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

/* One family's rules, in the order that gives first-match its meaning:
 * what no setting opens, the lifecycle grants, the gates, the exec
 * closure, then the sections. s is the settings as the family sees them
 * (policy_libpod_view()); the families never share a first segment, so each
 * keeps its own order. */
static void add_family(struct policy *p, const struct policy_settings *s,
		       enum policy_family family)
{
	const char *prefix = family == FAMILY_LIBPOD ? POLICY_LIBPOD : "";
	/* moby's debug router (/debug/pprof, /debug/vars) is registered on
	 * every daemon and is no documented section: never allowed. */
	add_one(p, POLICY_M_ANY, prefix, "/debug/**", false, POLICY_DENY_NEVER,
		POLICY_COND_NONE, "always");
	/* The attach WebSocket is a GET that writes to a container's stdin:
	 * with POST=0 a section is read-only, so it stays closed. libpod's
	 * GET /containers/{name}/healthcheck runs the container's health
	 * command: a read that acts, so it needs POST=1 too (Docker has no
	 * such route). */
	if (!s->post)
		add_one(p, POLICY_M_READ, prefix, POLICY_ATTACH_WS, false, POLICY_DENY_WRITES,
			POLICY_COND_NONE, "POST");
	if (family == FAMILY_LIBPOD && !s->post)
		add_one(p, POLICY_M_READ, prefix, POLICY_HEALTHCHECK, false, POLICY_DENY_WRITES,
			POLICY_COND_NONE, "POST");
	/* Reads that return what a read-only client must not see, whatever
	 * POST says: Podman 4.7 and later answer GET /secrets/{name} (and
	 * /libpod/secrets/{name}/json) with the plaintext when the query says
	 * showsecret=true; Podman 5.6 and later export a volume's files. */
	if (!s->allow_secret_values && section_on(s, "secrets"))
		add_one(p, POLICY_M_ANY, prefix, "/secrets/**", false, POLICY_DENY_SECRET_VALUE,
			POLICY_COND_SHOWSECRET, "ALLOW_SECRET_VALUES");
	if (family == FAMILY_LIBPOD && !s->allow_volume_export && section_on(s, "volumes"))
		add_one(p, POLICY_M_ANY, prefix, POLICY_VOLUME_EXPORT, false,
			POLICY_DENY_VOLUME_EXPORT, POLICY_COND_NONE, "ALLOW_VOLUME_EXPORT");
	add_lifecycle(p, s, family);
	add_gates(p, s, prefix);
	/* docker exec creates the exec under /containers, then starts it
	 * under /exec. With EXEC=0 the start is denied as a hijack, whose 403
	 * the CLI reduces to "unable to upgrade to tcp, received 403": deny
	 * the create, whose message the CLI prints, and create nothing. */
	if (s->post && section_on(s, "containers") && !section_on(s, "exec"))
		add_one(p, POLICY_M_POST, prefix, POLICY_EXEC_CREATE, false,
			POLICY_DENY_EXEC_CLOSED, POLICY_COND_NONE, "EXEC");
	for (size_t i = 0; i < policy_n_sections; i++) {
		if (!s->section_on[i])
			continue;
		char pattern[POLICY_PATTERN_MAX];
		snprintf(pattern, sizeof pattern, "/%s/**", policy_sections[i].segment);
		/* A twin's own switch names it in the log when it is on. */
		const char *own = family == FAMILY_LIBPOD
					  ? policy_libpod_on(s, POLICY_LP_TWIN, policy_sections[i].segment)
					  : NULL;
		add_one(p, section_methods(s), prefix, pattern, true, POLICY_DENY_NEVER,
			POLICY_COND_NONE, own != NULL ? own : policy_sections[i].setting);
	}
}

/* The sections only Podman has, each opened by its LIBPOD_<SECTION> with
 * POST's method rule, as upstream. A pod has a process list, so the top
 * gate closes /libpod/pods/{name}/top as upstream's does; the pod actions
 * come before the section, as the containers' do. */
static void add_libpod_only(struct policy *p, const struct policy_settings *s)
{
	add_lifecycle(p, s, FAMILY_PODS);
	if (policy_libpod_on(s, POLICY_LP_ONLY, "pods") && s->gate_closed[POLICY_GATE_TOP])
		add_one(p, POLICY_M_READ, POLICY_LIBPOD "/pods", "/**/top", false,
			POLICY_DENY_GATE, POLICY_COND_NONE, policy_gates[POLICY_GATE_TOP].setting);
	for (size_t i = 0; i < policy_n_libpod_switches; i++) {
		const struct policy_libpod_switch *w = &policy_libpod_switches[i];
		if (w->kind != POLICY_LP_ONLY || !s->libpod_on[i])
			continue;
		char pattern[POLICY_PATTERN_MAX];
		snprintf(pattern, sizeof pattern, "/%s/**", w->name);
		add_one(p, section_methods(s), POLICY_LIBPOD, pattern, true, POLICY_DENY_NEVER,
			POLICY_COND_NONE, w->setting);
	}
}

struct policy *policy_compile_limited(const struct policy_settings *s, size_t rule_limit,
				      char *why, size_t why_cap)
{
	struct policy *p = calloc(1, sizeof *p);
	if (p == NULL)
		return compile_failed(p, why, why_cap, "policy: out of memory");
	p->settings = *s;
	p->rule_limit = rule_limit < POLICY_MAX_RULES ? rule_limit : POLICY_MAX_RULES;
	add_family(p, s, FAMILY_DOCKER);
	if (policy_libpod_any(s)) {
		struct policy_settings view;
		policy_libpod_view(s, &view);
		add_family(p, &view, FAMILY_LIBPOD);
		add_libpod_only(p, s);
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
	case POLICY_DENY_GATE:
		break;
	}
	return NULL;
}

/* The gate that s keeps closed on this method and rest (a path after its
 * /libpod), or POLICY_N_GATES when there is none. */
static enum policy_gate closed_gate_of(const struct policy_settings *s, struct span method,
				       struct span rest)
{
	unsigned bit = policy_method_bit(method);
	for (enum policy_gate g = 0; g < POLICY_N_GATES; g++)
		if (s->gate_closed[g] && policy_gate_covers(g, bit, rest))
			return g;
	return POLICY_N_GATES;
}

bool policy_gate_covers(enum policy_gate g, unsigned method_bit, struct span rest)
{
	const struct policy_gate_route *r = policy_gates[g].routes;
	for (; r < policy_gates[g].routes + 3 && r->pattern != NULL; r++)
		if ((r->methods & method_bit) && policy_pattern_match(r->pattern, rest))
			return true;
	return false;
}

/* The method setting a request still needs: "POST", "DELETE", "PUT" or
 * "PATCH"; NULL when its method is open already; "" when no setting opens
 * it (OPTIONS once the methods are split). acts: a read that acts on a
 * container (attach/ws), which needs POST=1. */
static const char *method_need(const struct policy_settings *s, struct span method, bool acts)
{
	unsigned bit = policy_method_bit(method);
	if (bit & POLICY_M_READ)
		return acts && !s->post ? "POST" : NULL;
	if (bit == POLICY_M_POST || !s->methods_split)
		return s->post ? NULL : "POST";
	const char *sw = method_switch(method);
	if (sw == NULL)
		return "";
	return method_switched_on(s, method) ? NULL : sw;
}

/* Adds the method setting the request still needs to needs (see
 * method_need); false, with the whole reason in m, when no setting
 * opens its method. */
static bool need_method(const struct policy_settings *s, struct span method, bool acts,
			char *needs, size_t needs_cap, char *m, size_t left)
{
	const char *method_setting = method_need(s, method, acts);
	if (method_setting != NULL && *method_setting == '\0') {
		snprintf(m, left, ": no setting opens the %.*s method once DELETE, PUT or PATCH "
			 "is set", (int)(method.n > 32 ? 32 : method.n), method.p);
		return false;
	}
	if (method_setting != NULL)
		need(needs, needs_cap, method_setting);
	return true;
}

/* The message of a closed gate: what it closes, and the settings that
 * would open the request (the gate, and the method if that is closed too). */
static void explain_gate(const struct policy *p, struct span method,
			 const struct policy_rule *rule, char *m, size_t left)
{
	const struct policy_gate_info *gate = &policy_gates[0];
	for (size_t g = 0; g < POLICY_N_GATES; g++)
		if (strcmp(policy_gates[g].setting, rule->because) == 0)
			gate = &policy_gates[g];
	const char *also = method_need(&p->settings, method, false);
	bool exec = gate == &policy_gates[POLICY_GATE_EXEC];
	snprintf(m, left, ": %s is closed by %s (set %s=1%s%s%s)%s", gate->what, gate->setting,
		 gate->setting, also && *also ? " and " : "", also && *also ? also : "",
		 also && *also ? "=1" : "",
		 exec && !section_on(&p->settings, "exec") ? "; starting it also needs EXEC=1" : "");
}

/* The message for a /libpod path whose first segment, section, has no
 * Docker twin: its LIBPOD_<SECTION> and the method it needs, or the pod
 * action's own switch. */
static void explain_libpod_only(const struct policy *p, struct span method, struct span section,
				struct span rest, char *m, size_t left)
{
	const struct policy_libpod_switch *w = NULL;
	for (size_t i = 0; i < policy_n_libpod_switches; i++)
		if (policy_libpod_switches[i].kind == POLICY_LP_ONLY &&
		    span_eq(section, policy_libpod_switches[i].name))
			w = &policy_libpod_switches[i];
	if (w == NULL) {
		snprintf(m, left, ": it is in no API section that a setting can allow");
		return;
	}
	char needs[96] = "";
	if (!p->settings.libpod_on[w - policy_libpod_switches])
		need(needs, sizeof needs, w->setting);
	if (!need_method(&p->settings, method, false, needs, sizeof needs, m, left))
		return;
	const char *action = NULL;
	if (policy_method_bit(method) == POLICY_M_POST && span_eq(section, "pods")) {
		enum policy_cond a = POLICY_COND_NONE;
		/* "/pods/x/start" is "/containers/x/start" for the pattern. */
		char as_container[POLICY_PATTERN_MAX + 16];
		int n = snprintf(as_container, sizeof as_container, "/containers%.*s",
				 (int)(rest.n - 5), rest.p + 5);
		if (n > 0 && (size_t)n < sizeof as_container)
			a = lifecycle_action_of((struct span){ as_container, (size_t)n });
		const struct policy_libpod_switch *g =
			a != POLICY_COND_NONE
				? policy_libpod_find(POLICY_LP_POD_GRANT, lifecycle_actions[a].switch_name)
				: NULL;
		action = g != NULL ? g->setting : NULL;
	}
	snprintf(m, left, " (set %s%s%s%s)", needs, action ? ", or only " : "",
		 action ? action : "", action ? "=1" : "");
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
	if (rule != NULL && rule->deny == POLICY_DENY_GATE) {
		explain_gate(p, method, rule, m, left);
		return;
	}
	struct span section = is_libpod ? first_segment(rest) : path->section;
	const struct policy_section *sec = NULL;
	for (size_t i = 0; i < policy_n_sections; i++)
		if (span_eq(section, policy_sections[i].segment))
			sec = &policy_sections[i];
	if (sec == NULL && is_libpod) {
		explain_libpod_only(p, method, section, rest, m, left);
		return;
	}
	if (sec == NULL) {
		snprintf(m, left, ": it is in no API section that a setting can allow");
		return;
	}
	/* A twin opens with LIBPOD=1 and its section, or its LIBPOD_<SECTION>
	 * alone; the message names dockgate's own settings, LIBPOD and the
	 * section, which open the twin with its Docker path. */
	const char *own = is_libpod ? policy_libpod_on(&p->settings, POLICY_LP_TWIN, sec->segment)
				    : NULL;
	bool need_libpod = is_libpod && !p->settings.libpod && own == NULL;
	bool need_section = !p->settings.section_on[sec - policy_sections] && own == NULL;
	char needs[96] = "";
	if (need_libpod)
		need(needs, sizeof needs, "LIBPOD");
	if (need_section)
		need(needs, sizeof needs, sec->setting);
	/* No gate rule matched, as the section or LIBPOD is off: opening
	 * them would only meet the gate next. */
	enum policy_gate g = closed_gate_of(&p->settings, method, rest);
	if (g != POLICY_N_GATES && span_eq(section, "containers"))
		need(needs, sizeof needs, policy_gates[g].setting);
	/* attach/ws is a GET that writes, so it needs POST=1 too; and so does
	 * libpod's healthcheck. With LIBPOD=0 their /libpod rules do not
	 * exist, so the path tells. */
	bool read = (policy_method_bit(method) & POLICY_M_READ) != 0;
	bool acts = rule != NULL ||
		    (read && need_libpod && (policy_pattern_match(POLICY_ATTACH_WS, rest) ||
					     policy_pattern_match(POLICY_HEALTHCHECK, rest)));
	if (!need_method(&p->settings, method, acts, needs, sizeof needs, m, left))
		return;
	char action[96] = ""; /* the switches that grant only this */
	const char *then = ""; /* what the next step of the operation needs */
	if (policy_method_bit(method) == POLICY_M_POST) {
		enum policy_cond a = lifecycle_action_of(rest);
		if (a != POLICY_COND_NONE)
			policy_libpod_alternative(&p->settings, is_libpod, need_libpod,
					      lifecycle_actions[a].switch_name, action, sizeof action);
		if (policy_pattern_match(POLICY_EXEC_CREATE, rest) &&
		    !section_on(&p->settings, "exec"))
			then = "; starting it also needs EXEC=1";
	}
	snprintf(m, left, " (set %s%s%s%s)", needs,
		 acts && !p->settings.post ? ": it can write to a container" : "", action, then);
}

/* ==== Query parameters (query.h reads them as the daemon does) ==== */

/* The longest wait a lifecycle switch admits for stop and restart: a
 * t of 999999999 is a stop that never escalates to a kill, and holds a
 * daemon connection as long, just as t=-1 does. */
#define POLICY_MAX_WAIT_S 3600

static bool value_ok(enum policy_value kind, struct span v)
{
	switch (kind) {
	case POLICY_V_SECONDS:
		return query_seconds(v, POLICY_MAX_WAIT_S);
	case POLICY_V_SIGNAL:
		return query_signal(v);
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
		if (r->allow && bit == POLICY_M_OTHER && !method_switched_on(&p->settings, rq->method))
			continue;
		if (r->cond == POLICY_COND_SHOWSECRET && !query_has_key(path->query, "showsecret"))
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

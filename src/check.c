/* check.c - what a policy grants, per profile, and what each grant risks;
 * see check.h. */
#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "path.h"

/* The one table of operations that are root-equivalent or hand data
 * out. Rows that share a label share a warning; its risk is the first
 * row's. Create and update stay root-equivalent until a body guard
 * checks what they set (binds of /, privileged, devices, capabilities). */
static const struct check_risk check_risks[] = {
	{ "ContainerCreate", "container create",
	  "root-equivalent: a container may bind-mount the host's / or run privileged "
	  "(no body guard)" },
	{ "ContainerUpdate", "container update",
	  "root-equivalent: changes a running container's resources unchecked (no body guard)" },
	{ "ContainerExec", "exec", "root-equivalent: runs any command in any container" },
	{ "ExecStart", "exec start", "runs an exec's command with its stdin and output" },
	{ "ImageBuild", "build", "root-equivalent: runs build steps on the daemon" },
	{ "PluginPull", "plugins", "root-equivalent: a plugin runs with the privileges it asks for" },
	{ "PluginUpgrade", "plugins", NULL },
	{ "PluginCreate", "plugins", NULL },
	{ "PluginEnable", "plugins", NULL },
	{ "PluginSet", "plugins", NULL },
	{ "ServiceCreate", "swarm services",
	  "root-equivalent: runs containers on every swarm node (no body guard)" },
	{ "ServiceUpdate", "swarm services", NULL },
	{ "Session", "/session", "a tunnel: the connection becomes a BuildKit session" },
	{ "Grpc", "/grpc", "a tunnel: BuildKit's gRPC API, builds and their files" },
	{ "ImageCommit", "commit", "files out: a container's filesystem becomes an image" },
	{ "ContainerArchive", "archive", "files out of containers (docker cp)" },
	{ "ContainerArchiveInfo", "archive", NULL },
	{ "ContainerCopy", "archive", NULL },
	{ "PutContainerArchive", "archive in", "files into containers: can replace their programs" },
	{ "ContainerExport", "export", "files out: a container's whole filesystem" },
	{ "ImageGet", "image save", "files out: whole images, with what was built into them" },
	{ "ImageGetAll", "image save", NULL },
	{ "ContainerLogs", "logs", "leaks what containers print (tokens, passwords)" },
	{ "ServiceLogs", "service logs", "leaks what services print (tokens, passwords)" },
	{ "TaskLogs", "service logs", NULL },
	{ "ContainerAttach", "attach", "reads a container's output and writes to its stdin" },
	{ "ContainerAttachWebsocket", "attach", NULL },
	{ "ContainerTop", "top", "leaks process command lines, which may hold secrets" },
	{ "ContainerChanges", "changes", "leaks which files a container changed" },
	{ "ContainerInspect", "inspect", "leaks each container's environment (passwords set with -e)" },
	{ "SecretList", "secrets", "secret names and labels; Podman returns values with showsecret" },
	{ "SecretInspect", "secrets", NULL },
	{ "ConfigList", "configs", "leaks swarm configs' contents" },
	{ "ConfigInspect", "configs", NULL },
	{ "SwarmUnlockkey", "swarm unlock key", "leaks the key that decrypts the swarm's state" },
};
#define N_RISKS (sizeof check_risks / sizeof check_risks[0])

const struct check_risk *check_risk_of(const struct route *r)
{
	for (size_t i = 0; i < N_RISKS; i++)
		if (strcmp(check_risks[i].operation, r->operation) == 0)
			return &check_risks[i];
	return NULL;
}

/* The risk text of a label: its first row's. */
static const char *risk_text(const char *label)
{
	for (size_t i = 0; i < N_RISKS; i++)
		if (strcmp(check_risks[i].label, label) == 0 && check_risks[i].risk != NULL)
			return check_risks[i].risk;
	return "";
}

bool check_requested(int argc, char **argv)
{
	return argc > 1 && strcmp(argv[1], "check") == 0;
}

/* ==== Judging sample requests ==== */

/* One way to send a sample: what it adds to the plain request, and the
 * condition a changed decision shows. The first is the plain request. */
struct probe {
	const char *query;
	bool body;
	unsigned condition;
};
static const struct probe probes[] = {
	{ "", false, 0 },
	{ "", true, CHECK_C_BODY },
	{ "?x=1", false, CHECK_C_QUERY },
	{ "?showsecret=true", false, CHECK_C_SHOWSECRET },
};
#define N_PROBES (sizeof probes / sizeof probes[0])

/* True when route r (its twin with libpod) is among c's. */
static bool reaches(const struct route_candidates *c, const struct route *r, bool libpod)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->hit[i].route == r && c->hit[i].libpod == libpod)
			return true;
	return false;
}

/* Judges one sample request of route r (its twin with libpod) as a
 * client's is judged (conn_request.c): path checked, every route it may
 * reach resolved, then p, or env alone when p is NULL. False as well
 * when the sample does not reach r. */
static bool judge_sample(const struct profile *p, const struct policy *env,
			 const struct route *r, bool libpod, const char *path,
			 const struct probe *pr, const char **because)
{
	char target[300], scratch[300];
	int n = snprintf(target, sizeof target, "%s%s", path, pr->query);
	if (n < 0 || (size_t)n >= sizeof target)
		return false; /* no template's sample comes near */
	struct path_info info;
	if (path_check((struct span){ target, strlen(target) }, scratch, sizeof scratch,
		       &info) == -1)
		return false;
	const char *method = route_sample_method(r);
	struct span m = { method, strlen(method) };
	struct route_candidates routes;
	route_resolve_all(route_method_of(m), info.path, &routes);
	if (!reaches(&routes, r, libpod))
		return false;
	struct policy_request rq = {
		.method = m,
		.path = &info,
		.has_body = pr->body,
		.route = routes.newest.route,
		.libpod = routes.newest.libpod,
		.routes = &routes,
	};
	struct policy_verdict v;
	if (p != NULL)
		profile_judge(p, &rq, &v);
	else if (env != NULL)
		policy_judge(env, &rq, &v);
	else
		return false;
	*because = v.because;
	return v.allow;
}

/* The sample paths of route r: one per section for a template that
 * starts with a variable, else one with every name "x", and one with
 * the names that span '/' as "x/y" (not for twins: Podman routes
 * container names as one segment). The count written to paths. */
static size_t sample_paths(const struct route *r, bool libpod, char paths[][256], size_t cap)
{
	size_t n = 0;
	if (strncmp(r->path, "/{", 2) == 0) {
		for (size_t k = 0; k < policy_n_sections && n < cap; k++)
			n += route_sample_path(r->path, libpod, policy_sections[k].segment, "x",
					       paths[n], sizeof paths[n]);
		return n;
	}
	n += route_sample_path(r->path, libpod, "x", "x", paths[n], sizeof paths[n]);
	if (!libpod && strstr(r->path, ":.*}") != NULL && n < cap)
		n += route_sample_path(r->path, libpod, "x", "x/y", paths[n], sizeof paths[n]);
	return n;
}

/* Settings of the form "X=0" joined by " or ", for the closer. */
static void add_closer(char *out, size_t cap, const char *setting)
{
	if (setting == NULL || setting[0] == '\0')
		return;
	char item[64];
	snprintf(item, sizeof item, "%s=0", setting);
	if (strstr(out, item) != NULL)
		return;
	size_t used = strlen(out);
	snprintf(out + used, cap - used, "%s%s", used ? " or " : "", item);
}

/* The environment's switches that would close an allowed sample: the
 * gate over its route, the method's switch for a write, the setting that
 * allowed it, and LIBPOD for a twin. Each closes it on its own: a gate
 * denies before any section allows; a section or method switch set to 0
 * leaves no rule to allow it. */
static void env_closer(const struct policy *env, const struct route *r, bool libpod,
		       const char *path, const char *because, char *out, size_t cap)
{
	const struct policy_settings *s = policy_settings_of(env);
	char scratch[300];
	struct path_info info;
	out[0] = '\0';
	if (path_check((struct span){ path, strlen(path) }, scratch, sizeof scratch, &info) == 0) {
		struct span rest = info.rest;
		if (libpod && rest.n >= 7 && memcmp(rest.p, "/libpod", 7) == 0) {
			rest.p += 7;
			rest.n -= 7;
		}
		const char *m = route_sample_method(r);
		unsigned bit = policy_method_bit((struct span){ m, strlen(m) });
		for (size_t g = 0; g < POLICY_N_GATES; g++)
			for (size_t k = 0; k < 3 && policy_gates[g].routes[k].pattern; k++)
				if ((policy_gates[g].routes[k].methods & bit) &&
				    policy_pattern_match(policy_gates[g].routes[k].pattern, rest))
					add_closer(out, cap, policy_gates[g].setting);
	}
	/* A lifecycle switch grants its one write whatever POST says; so do
	 * linuxserver's LIBPOD_ALLOW_* on a twin. */
	bool lifecycle = because != NULL && (strncmp(because, "ALLOW_", 6) == 0 ||
					     strncmp(because, "LIBPOD_ALLOW_", 13) == 0);
	if (!lifecycle && r->method != ROUTE_GET && r->method != ROUTE_HEAD)
		add_closer(out, cap, s->methods_split ? route_method_name(r->method) : "POST");
	add_closer(out, cap, because);
	/* A LIBPOD_* switch opens the twin alone: LIBPOD=0 would not close it. */
	if (libpod && (because == NULL || strncmp(because, "LIBPOD_", 7) != 0))
		add_closer(out, cap, "LIBPOD");
}

/* Judges every sample of route r (its twin with libpod) with every
 * probe. True when one is allowed: then *g holds the grant, its
 * conditions (what changed the decision) and what would close it. */
static bool judge_route(const struct profile *p, const struct policy *env,
			const struct route *r, bool libpod, struct check_grant *g)
{
	char paths[32][256];
	size_t n = sample_paths(r, libpod, paths, 32);
	bool any = false, first_plain = false, leading = strncmp(r->path, "/{", 2) == 0;
	const char *allowed_path = NULL;
	*g = (struct check_grant){ .route = r, .libpod = libpod };
	for (size_t i = 0; i < n; i++) {
		bool plain = false;
		for (size_t k = 0; k < N_PROBES; k++) {
			const char *because = NULL;
			bool ok = judge_sample(p, env, r, libpod, paths[i], &probes[k], &because);
			if (k == 0)
				plain = ok;
			else if (ok != plain)
				g->conditions |= probes[k].condition;
			if (ok && !any) {
				any = true;
				g->because = because;
				allowed_path = paths[i];
			}
		}
		if (i == 0)
			first_plain = plain;
		else if (plain != first_plain)
			g->conditions |= leading ? CHECK_C_SECTION : CHECK_C_NAME;
	}
	if (!any)
		return false;
	/* Any unknown parameter denies a lifecycle switch: showsecret too. */
	if (g->conditions & CHECK_C_QUERY)
		g->conditions &= ~(unsigned)CHECK_C_SHOWSECRET;
	const char *origin = NULL;
	if (p != NULL && profile_get(p, r, libpod, &origin) == PROFILE_ALLOW) {
		g->because = origin ? origin : profile_name(p);
		snprintf(g->closer, sizeof g->closer, "denying it in a policy file profile (%s "
			 "allows it)", g->because);
	} else if (env != NULL) {
		env_closer(env, r, libpod, allowed_path, g->because, g->closer, sizeof g->closer);
	}
	return true;
}

/* What the settings' methods allow, for the env report's first line:
 * with POST=0 every section is read-only. */
static void describe_methods(const struct policy_settings *s, char *out, size_t cap)
{
	if (!s->methods_split)
		snprintf(out, cap, "%s", s->post ? "every method (POST=1)"
						: "reads only (POST=0), but what an ALLOW_ switch grants");
	else
		snprintf(out, cap, "GET, HEAD%s%s%s%s (each method by its own switch)",
			 s->post ? ", POST" : "", s->allow_delete ? ", DELETE" : "",
			 s->allow_put ? ", PUT" : "", s->allow_patch ? ", PATCH" : "");
}

int check_report_build(struct check_report *r, const struct profile *p,
		       const struct policy *env)
{
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", p ? profile_name(p) : "env");
	r->grants = calloc(2 * route_table_len, sizeof *r->grants);
	if (r->grants == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (p == NULL && env != NULL)
		describe_methods(policy_settings_of(env), r->note, sizeof r->note);
	for (size_t i = 0; i < route_table_len; i++)
		for (int twin = 0; twin < 2; twin++) {
			const struct route *rt = &route_table[i];
			if (twin && !(rt->flags & ROUTE_F_LIBPOD))
				continue;
			if (judge_route(p, env, rt, twin == 1, &r->grants[r->n_grants]))
				r->n_grants++;
		}
	return 0;
}

void check_report_free(struct check_report *r)
{
	free(r->grants);
	r->grants = NULL;
	r->n_grants = 0;
}

/* ==== Saying it ==== */

/* "only without a body, ..." for conditions c into out. */
static void describe_conditions(unsigned c, char *out, size_t cap)
{
	static const struct {
		unsigned bit;
		const char *text;
	} words[] = {
		{ CHECK_C_BODY, "only without a body" },
		{ CHECK_C_QUERY, "only with its own query parameters" },
		{ CHECK_C_SHOWSECRET, "not with showsecret" },
		{ CHECK_C_NAME, "not for names that span '/'" },
		{ CHECK_C_SECTION, "only on the paths of some sections" },
	};
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof words / sizeof words[0] && used < cap; i++)
		if (c & words[i].bit) {
			int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "",
					 words[i].text);
			used = n < 0 ? cap : used + (size_t)n;
		}
}

/* True when an earlier grant than i is of the same section. */
static bool section_seen(const struct check_report *r, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(r->grants[j].route->section, r->grants[i].route->section) == 0)
			return true;
	return false;
}

static const char *section_title(const char *section)
{
	return section[0] ? section : "(any path)";
}

static void print_grant(const struct check_grant *g, FILE *out)
{
	char path[200], conditions[160];
	snprintf(path, sizeof path, "%s%s", g->libpod ? "/libpod" : "", g->route->path);
	describe_conditions(g->conditions, conditions, sizeof conditions);
	fprintf(out, "    %-26s %-7s %s  (%s%s%s)\n", g->route->operation,
		route_method_name(g->route->method), path, g->because ? g->because : "allowed",
		g->conditions ? "; conditional: " : "", conditions);
}

/* The first grant of risk label, from index from on; n_grants if none. */
static size_t next_of_label(const struct check_report *r, const char *label, size_t from)
{
	for (size_t i = from; i < r->n_grants; i++) {
		const struct check_risk *k = check_risk_of(r->grants[i].route);
		if (k != NULL && strcmp(k->label, label) == 0)
			return i;
	}
	return r->n_grants;
}

/* True when label's warning was already given (an earlier row has it). */
static bool label_done(size_t row)
{
	for (size_t j = 0; j < row; j++)
		if (strcmp(check_risks[j].label, check_risks[row].label) == 0)
			return true;
	return false;
}

/* True when list, "A, B, C", holds item. */
static bool listed(const char *list, const char *item)
{
	size_t len = strlen(item);
	for (const char *at = list; (at = strstr(at, item)) != NULL; at += len)
		if ((at == list || at[-1] == ' ') && (at[len] == '\0' || at[len] == ','))
			return true;
	return false;
}

/* The distinct operations of label's grants, ", "-separated. */
static void label_operations(const struct check_report *r, const char *label, char *out,
			     size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = next_of_label(r, label, 0); i < r->n_grants && used < cap;
	     i = next_of_label(r, label, i + 1)) {
		const char *op = r->grants[i].route->operation;
		if (listed(out, op))
			continue; /* a twin, or another template of it */
		int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", op);
		used = n < 0 ? cap : used + (size_t)n;
	}
}

/* The closing words of a warning: "X=0 or Y=0 closes it", or the
 * profile's own. */
static void closes_it(const struct check_grant *g, char *out, size_t cap)
{
	if (g->closer[0] == '\0')
		snprintf(out, cap, "only changing the profile closes it");
	else
		snprintf(out, cap, "%s closes it", g->closer);
}

void check_report_print(const struct check_report *r, FILE *out)
{
	size_t twins = 0;
	for (size_t i = 0; i < r->n_grants; i++)
		twins += r->grants[i].libpod;
	fprintf(out, "profile %s: %zu operations allowed", r->name, r->n_grants - twins);
	if (twins)
		fprintf(out, " and %zu /libpod twins", twins);
	fprintf(out, "%s%s\n", r->note[0] ? "; " : "", r->note);
	for (size_t i = 0; i < r->n_grants; i++) {
		if (section_seen(r, i))
			continue;
		const char *section = r->grants[i].route->section;
		fprintf(out, "  %s\n", section_title(section));
		for (size_t j = i; j < r->n_grants; j++)
			if (strcmp(r->grants[j].route->section, section) == 0)
				print_grant(&r->grants[j], out);
	}
	for (size_t row = 0; row < N_RISKS; row++) {
		const char *label = check_risks[row].label;
		size_t first = next_of_label(r, label, 0);
		if (label_done(row) || first == r->n_grants)
			continue;
		char ops[400], closer[160];
		label_operations(r, label, ops, sizeof ops);
		closes_it(&r->grants[first], closer, sizeof closer);
		fprintf(out, "  warning: %s (%s): %s; %s\n", label, ops, risk_text(label), closer);
	}
}

void check_report_line(const struct check_report *r, char *out, size_t cap)
{
	size_t used = 0;
#define CHECK_PUT(...)                                                                     \
	do {                                                                               \
		if (used < cap) {                                                          \
			int n_ = snprintf(out + used, cap - used, __VA_ARGS__);            \
			used = n_ < 0 ? cap : used + (size_t)n_;                           \
		}                                                                          \
	} while (0)
	size_t twins = 0;
	for (size_t i = 0; i < r->n_grants; i++)
		twins += r->grants[i].libpod;
	CHECK_PUT("profile %s: %zu operations", r->name, r->n_grants - twins);
	if (twins)
		CHECK_PUT(" and %zu /libpod twins", twins);
	bool first = true;
	for (size_t i = 0; i < r->n_grants; i++)
		if (!section_seen(r, i)) {
			CHECK_PUT("%s%s", first ? " in " : ", ",
				  section_title(r->grants[i].route->section));
			first = false;
		}
	first = true;
	for (size_t row = 0; row < N_RISKS; row++) {
		const char *label = check_risks[row].label;
		size_t at = next_of_label(r, label, 0);
		if (label_done(row) || at == r->n_grants)
			continue;
		char closer[160];
		closes_it(&r->grants[at], closer, sizeof closer);
		CHECK_PUT("%s%s (%s; %s)", first ? "; warnings: " : ", ", label, risk_text(label),
			  closer);
		first = false;
	}
	if (first)
		CHECK_PUT("; no warnings");
#undef CHECK_PUT
	if (cap > 0 && used >= cap)
		out[cap - 1] = '\0';
}

/* ==== Every profile at once ==== */

int check_print_all(FILE *out, const struct profile *const *profiles, size_t n,
		    const struct policy *env)
{
	for (size_t i = 0; i < n; i++) {
		struct check_report r;
		if (check_report_build(&r, profiles[i], env) == -1)
			return -1;
		fprintf(out, "%s", i ? "\n" : "");
		check_report_print(&r, out);
		check_report_free(&r);
	}
	return 0;
}

void check_log_all(const struct profile *const *profiles, size_t n, const struct policy *env)
{
	for (size_t i = 0; i < n; i++) {
		struct check_report r;
		char line[LOG_LINE_MAX];
		if (check_report_build(&r, profiles[i], env) == -1) {
			log_warn("policy: profile %s: no summary (%s)",
				 profiles[i] ? profile_name(profiles[i]) : "env", strerror(errno));
			continue;
		}
		check_report_line(&r, line, sizeof line - 64);
		log_notice("policy: %s", line);
		check_report_free(&r);
	}
}

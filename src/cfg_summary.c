/* cfg_summary.c - cfg_log_summary(): what the settings open, said once at
 * startup; see cfg.h. What each open operation risks is check.c's to say. */
#include "cfg.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

#ifndef DOCKGATE_VERSION
#define DOCKGATE_VERSION "0.0.0-dev"
#endif

/* "all (POST=1)" or the methods the switches open, once split. */
static void describe_methods(const struct policy_settings *s, char *out, size_t cap)
{
	if (!s->methods_split) {
		snprintf(out, cap, "%s", s->post ? "all (POST=1)" : "GET and HEAD only (POST=0)");
		return;
	}
	snprintf(out, cap, "GET, HEAD%s%s%s%s (DELETE, PUT or PATCH is set: each method has "
		 "its own switch)", s->post ? ", POST" : "", s->allow_delete ? ", DELETE" : "",
		 s->allow_put ? ", PUT" : "", s->allow_patch ? ", PATCH" : "");
}

void cfg_log_summary(const struct cfg *c, const struct policy *p)
{
	for (size_t i = 0; i < c->n_notes && i < CFG_MAX_NOTES; i++)
		log_warn("%s", c->notes[i]);
	log_notice("dockgate %s: upstream %s", DOCKGATE_VERSION, c->socket_path);
	char open[1024] = "";
	size_t o = 0;
	for (size_t i = 0; i < policy_n_sections; i++)
		if (c->policy.section_on[i])
			o += (size_t)snprintf(open + o, sizeof open - o, "%s%s",
					      o ? " " : "", policy_sections[i].setting);
	/* linuxserver's switches: each opens a /libpod section or action alone. */
	for (size_t i = 0; i < policy_n_libpod_switches && o < sizeof open; i++)
		if (c->policy.libpod_on[i])
			o += (size_t)snprintf(open + o, sizeof open - o, "%s%s",
					      o ? " " : "", policy_libpod_switches[i].setting);
	char methods[160];
	describe_methods(&c->policy, methods, sizeof methods);
	/* Which data routes are open, and what closes each, is the line of
	 * check_log_all() (check.c's risk table); this says only the gates'
	 * mode, which decides what an absent gate variable means. */
	log_notice("policy: sections open: %s; methods: %s%s%s%s%s%s%s%s%s; %s", o ? open : "none",
		   methods,
		   c->policy.allow_start ? "; ALLOW_START" : "",
		   c->policy.allow_stop ? "; ALLOW_STOP" : "",
		   c->policy.allow_restarts ? "; ALLOW_RESTARTS" : "",
		   c->policy.allow_pause ? "; ALLOW_PAUSE" : "",
		   c->policy.allow_unpause ? "; ALLOW_UNPAUSE" : "",
		   c->policy.libpod ? "; LIBPOD (/libpod/... judged like its Docker path)" : "",
		   c->policy.allow_secret_values ? "; ALLOW_SECRET_VALUES" : "",
		   c->policy.allow_volume_export ? "; ALLOW_VOLUME_EXPORT" : "",
		   c->gates_set ? "gates not set to 1 are closed, as a gate or LIBPOD_* variable is set"
				: "no gate variable is set: CONTAINERS opens every gate, as in "
				  "docker-socket-proxy");
	size_t n;
	const struct policy_rule *rules = policy_rules(p, &n);
	for (size_t i = 0; i < n; i++)
		log_debug("rule %zu: %s %s%s%s%s -> %s (%s)", i + 1, rules[i].pattern,
			  (rules[i].methods & POLICY_M_GET) ? "GET " : "",
			  (rules[i].methods & POLICY_M_HEAD) ? "HEAD " : "",
			  (rules[i].methods & POLICY_M_POST) ? "POST " : "",
			  (rules[i].methods & POLICY_M_OTHER) ? "other" : "",
			  rules[i].allow ? "allow" : "deny", rules[i].because);
	log_debug("limits: head %lu bytes, %lu headers, header timeout %lus, idle %lus, "
		  "%lu connections", c->max_head_size, c->max_headers,
		  c->header_timeout_s, c->idle_timeout_s, c->max_connections);
}

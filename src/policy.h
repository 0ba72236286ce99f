/* policy.h - the compiled rule list and the one place a request is judged.
 *
 * Settings compile into an ordered list of rules (methods + path pattern ->
 * allow/deny). policy_judge() walks it; the first matching rule decides and
 * no match means deny. Patterns are '/'-separated segments matched against
 * the decoded path after its version prefix: a literal segment matches
 * itself (case-sensitive), "*" matches one container-name-like segment
 * ([A-Za-z0-9][A-Za-z0-9_.-]*), and a final "**" matches any rest,
 * including nothing.
 *
 * Podman's own API (libpod) lives under "/libpod/" after the version
 * prefix and mirrors the Docker paths: /libpod/containers/json,
 * /libpod/images/pull, /libpod/exec/{id}/start. With LIBPOD=1 every rule
 * gets a twin whose pattern is "/libpod" plus its own, so /libpod/<rest>
 * is judged by exactly the settings that judge /<rest>, lifecycle switches
 * and /debug included. A libpod-only first segment (pods, play, kube,
 * generate, manifests) has no rule and stays denied; /libpod/libpod/...
 * has none either, so nothing is stripped twice. */
#ifndef DOCKGATE_POLICY_H
#define DOCKGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"

struct path_info;

/* The API sections of docker-socket-proxy, one per first path segment. */
struct policy_section {
	const char *setting; /* environment variable, "CONTAINERS" */
	const char *segment; /* first path segment, "containers" */
	bool default_on;
};
extern const struct policy_section policy_sections[];
extern const size_t policy_n_sections;

/* What the settings say, before compilation. */
struct policy_settings {
	bool section_on[32]; /* indexed like policy_sections */
	bool post;
	bool allow_start;
	bool allow_stop;
	bool allow_restarts;
	bool libpod; /* judge /libpod/<rest> like /<rest> (see above) */
};

enum policy_method {
	POLICY_M_GET = 1u << 0,
	POLICY_M_HEAD = 1u << 1,
	POLICY_M_POST = 1u << 2,
	POLICY_M_OTHER = 1u << 3, /* PUT, DELETE, OPTIONS, ... */
	POLICY_M_READ = POLICY_M_GET | POLICY_M_HEAD,
	POLICY_M_ANY = 15u,
};

/* The policy_method bit of a request method. */
unsigned policy_method_bit(struct span method);

/* Why a deny rule denies, for the message that tells the user the fix. */
enum policy_deny {
	POLICY_DENY_NEVER,  /* no setting opens it (/debug) */
	POLICY_DENY_WRITES, /* a read method that writes: needs POST=1 */
};

struct policy_rule {
	unsigned methods; /* enum policy_method bits */
	const char *pattern;
	bool allow;
	enum policy_deny deny; /* deny rules only */
	const char *because;   /* the setting that made this rule, for logs */
};

struct policy;

/* Compiles settings into a rule list. NULL on allocation failure (or if
 * the rules outgrew the list, which the unit tests rule out). */
struct policy *policy_compile(const struct policy_settings *s);
void policy_free(struct policy *p);

/* The rules, in evaluation order, for the startup summary. */
const struct policy_rule *policy_rules(const struct policy *p, size_t *n);

struct policy_verdict {
	bool allow;
	const char *because; /* the deciding rule's setting, or NULL */
	char message[320];   /* on deny: what was denied and what would allow it */
};

/* Judges method + checked path. Fills *v; never fails. */
void policy_judge(const struct policy *p, struct span method,
		  const struct path_info *path, struct policy_verdict *v);

/* True when pattern (syntax above) matches the decoded path rest. */
bool policy_pattern_match(const char *pattern, struct span rest);

#endif

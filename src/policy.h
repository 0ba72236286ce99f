/* policy.h - the compiled rule list and the one place a request is judged.
 *
 * Settings compile into an ordered list of rules (methods + path pattern ->
 * allow/deny). policy_judge() walks it; the first matching rule decides and
 * no match means deny. Patterns are '/'-separated segments matched against
 * the decoded path after its version prefix: a literal segment matches
 * itself (case-sensitive), "*" matches one container-name-like segment
 * ([A-Za-z0-9][A-Za-z0-9_.-]*), and "**" matches whole segments of any
 * content: at the end any rest, none included; in the middle one or more,
 * a name the way the daemon routes one.
 *
 * Names are matched as the daemon routes them. moby registers
 * /containers/{name:.*}/..., /exec/{name:.*}/... and /images/{name:.*}/...
 * (api/server/router/container/container.go, image/image.go): the name may
 * span '/', as a legacy link alias does ("/webx/db"), and the first route
 * registered wins. So a deny rule names the container with "**" (the
 * attach WebSocket's rule does); an allow keeps "*", one name-like segment, which the daemon routes to the
 * same handler and never to another one (every container route ends in a
 * literal of its own). A link alias is then allowed only by its section.
 * Podman routes {name} as one segment, so there "**" widens only denials,
 * of paths Podman answers with 404.
 *
 * Podman's own API (libpod) lives under "/libpod/" after the version
 * prefix and mirrors the Docker paths: /libpod/containers/json,
 * /libpod/images/pull, /libpod/exec/{id}/start. Its rules are a family of
 * their own, each pattern "/libpod" plus a Docker rule's, compiled from
 * the settings as the libpod side sees them: with LIBPOD=1 a section is
 * on when its Docker section is, and linuxserver's LIBPOD_<SECTION>=1
 * turns one on alone. Every deny rule follows its section into the
 * family (gates, attach/ws, exec closure, /debug...), so a twin opened
 * either way is judged by the same rules. Libpod-only sections (pods,
 * play, generate, manifests) open only with their LIBPOD_<SECTION>;
 * /libpod/kube and /libpod/libpod/... have no rule, so nothing is
 * stripped twice. */
#ifndef DOCKGATE_POLICY_H
#define DOCKGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"

struct path_info;
struct route;
struct route_candidates;

/* The API sections of docker-socket-proxy, one per first path segment. */
struct policy_section {
	const char *setting; /* environment variable, "CONTAINERS" */
	const char *segment; /* first path segment, "containers" */
	bool default_on;
};
extern const struct policy_section policy_sections[];
extern const size_t policy_n_sections;

/* linuxserver/docker-socket-proxy's LIBPOD_* switches, each as upstream:
 * a section opens /libpod/<segment>/... with POST's method rule,
 * independently of the Docker section and of LIBPOD; a grant is a
 * lifecycle switch on /libpod/containers (or /libpod/pods) alone. */
enum policy_libpod_kind {
	POLICY_LP_TWIN,      /* a Docker section's /libpod twin */
	POLICY_LP_ONLY,      /* a section only Podman has */
	POLICY_LP_GRANT,     /* ALLOW_<ACTION> on /libpod/containers/{name}/<action> */
	POLICY_LP_POD_GRANT, /* the same on /libpod/pods/{name}/<action> */
};

struct policy_libpod_switch {
	const char *setting; /* "LIBPOD_CONTAINERS" */
	enum policy_libpod_kind kind;
	/* Sections: the first segment after /libpod ("_ping"); grants: the
	 * Docker switch it mirrors ("ALLOW_RESTARTS"). */
	const char *name;
	/* Sections only: what it opens when that is root-equivalent or
	 * hands data out, for the startup warning; NULL when neither. */
	const char *warning;
};
extern const struct policy_libpod_switch policy_libpod_switches[];
extern const size_t policy_n_libpod_switches;

/* The gates: container sub-resources that CONTAINERS opens along with
 * the section, each closed by a switch of its own (linuxserver's
 * docker-socket-proxy closes the first five unless ALLOW_<NAME>=1). A
 * closed gate denies its routes whatever the section and POST say; an
 * open one leaves them to the section. Names span segments ("**"), and
 * each gate also closes its /libpod twin wherever that is open. */
enum policy_gate {
	POLICY_GATE_ARCHIVE, /* docker cp, both ways: /containers/{name}/archive, /copy */
	POLICY_GATE_CHANGES, /* docker diff: /containers/{name}/changes */
	POLICY_GATE_EXPORT,  /* docker export: /containers/{name}/export */
	POLICY_GATE_LOGS,    /* docker logs: /containers/{name}/logs */
	POLICY_GATE_TOP,     /* docker top: /containers/{name}/top */
	POLICY_GATE_ATTACH,  /* docker attach: /containers/{name}/attach, attach/ws */
	POLICY_GATE_EXEC,    /* docker exec's create: POST /containers/{name}/exec */
	POLICY_GATE_KILL,    /* docker kill: /containers/{name}/kill */
	POLICY_N_GATES,
};

struct policy_gate_route {
	const char *pattern; /* syntax below; NULL ends the list */
	unsigned methods;    /* enum policy_method bits */
};

struct policy_gate_info {
	const char *setting; /* "ALLOW_LOGS" */
	/* The requests it closes: the methods moby registers on the path
	 * (HEAD with GET: dockgate reads HEAD as GET everywhere). */
	struct policy_gate_route routes[3];
	const char *what;    /* "reading a container's logs", for denials */
};
extern const struct policy_gate_info policy_gates[POLICY_N_GATES];

/* What the settings say, before compilation. Zero is docker-socket-
 * proxy's original contract: every gate open, POST opening every method. */
struct policy_settings {
	bool section_on[32]; /* indexed like policy_sections */
	bool post;
	bool allow_start;
	bool allow_stop;
	bool allow_restarts;
	bool allow_pause;   /* POST /containers/{name}/pause, as ALLOW_START grants start */
	bool allow_unpause; /* POST /containers/{name}/unpause */
	bool gate_closed[POLICY_N_GATES]; /* indexed by enum policy_gate */
	/* DELETE, PUT or PATCH was set: POST then opens POST only, each of
	 * these its own method, and no setting opens another (OPTIONS...). */
	bool methods_split;
	bool allow_delete;
	bool allow_put;
	bool allow_patch;
	bool libpod; /* judge /libpod/<rest> like /<rest> (see above) */
	bool libpod_on[32]; /* indexed like policy_libpod_switches */
	bool allow_secret_values; /* GET /secrets/{name}?showsecret=true */
	bool allow_volume_export; /* GET /libpod/volumes/{name}/export */
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
	POLICY_DENY_NEVER,         /* no setting opens it (/debug) */
	POLICY_DENY_WRITES,        /* a read method that writes: needs POST=1 */
	POLICY_DENY_SECRET_VALUE,  /* returns a secret's plaintext */
	POLICY_DENY_VOLUME_EXPORT, /* returns a volume's files */
	POLICY_DENY_EXEC_CLOSED,   /* creates an exec that EXEC=0 will not start */
	POLICY_DENY_GATE,          /* a closed gate; the rule's because names it */
};

/* A condition on the request beyond method and path. On an allow rule it
 * must hold, or the rule is passed over and the later rules decide (a
 * lifecycle switch grants one action, never a broader rule's less); on a
 * deny rule the rule applies only when it holds. */
enum policy_cond {
	POLICY_COND_NONE,
	/* The lifecycle switches: no body, and only the action's own query
	 * parameters, each once, with a valid value (see policy.c). */
	POLICY_COND_START,
	POLICY_COND_STOP,
	POLICY_COND_RESTART,
	POLICY_COND_KILL,
	POLICY_COND_PAUSE,
	POLICY_COND_UNPAUSE,
	/* A query key that Podman's decoder reads as "showsecret". */
	POLICY_COND_SHOWSECRET,
};

struct policy_rule {
	unsigned methods; /* enum policy_method bits */
	const char *pattern;
	bool allow;
	enum policy_deny deny; /* deny rules only */
	enum policy_cond cond;
	const char *because;   /* the setting that made this rule, for logs */
};

struct policy;

/* What a compiled policy holds: rules, and bytes of a rule's pattern (the
 * NUL included). Everything on with LIBPOD=1, every LIBPOD_* switch,
 * POST=0 and every gate closed is the longest list, 97 rules: twice
 * (debug, attach/ws, showsecret, 6 lifecycle, 10 gate routes, 23
 * sections), plus the libpod healthcheck and volume export, and for
 * libpod alone the pods' top gate, 6 pod lifecycle rules and 4 sections. */
#define POLICY_MAX_RULES 128
#define POLICY_PATTERN_MAX 48
/* Room for policy_compile's message. */
#define POLICY_ERROR_MAX 160

/* Compiles settings into a rule list. NULL when it cannot, with the
 * reason in why (why_cap bytes, POLICY_ERROR_MAX is enough; why may be
 * NULL): out of memory, or more rules than POLICY_MAX_RULES or a pattern
 * longer than POLICY_PATTERN_MAX, naming what and the limit (the unit
 * tests show no settings come near either). Free it with policy_free. */
struct policy *policy_compile(const struct policy_settings *s, char *why, size_t why_cap);

/* policy_compile with room for rule_limit rules (at most
 * POLICY_MAX_RULES): the unit tests check the overflow error with it. */
struct policy *policy_compile_limited(const struct policy_settings *s, size_t rule_limit,
				      char *why, size_t why_cap);
void policy_free(struct policy *p);

/* The rules, in evaluation order, for the startup summary. */
const struct policy_rule *policy_rules(const struct policy *p, size_t *n);

/* The settings p was compiled from. */
const struct policy_settings *policy_settings_of(const struct policy *p);

struct policy_verdict {
	bool allow;
	const char *because; /* the deciding rule's setting, or NULL */
	char message[320];   /* on deny: what was denied and what would allow it */
};

/* One request head, as much of it as the policy reads. */
struct policy_request {
	struct span method;
	const struct path_info *path; /* checked by path_check() */
	bool has_body; /* Transfer-Encoding, or a Content-Length above 0 */
	/* The route the daemon runs for it (route.h), resolved once per
	 * request; NULL when none. libpod: reached as its /libpod twin.
	 * Profiles (profile.h) judge by these; the rule list by the path. */
	const struct route *route;
	bool libpod;
	/* Every route it may reach on the daemons the table knows
	 * (route_resolve_all()); route and libpod are its newest. Profiles
	 * judge them all. NULL: only route, as resolved. */
	const struct route_candidates *routes;
};

/* Judges a request. Fills *v; never fails. */
void policy_judge(const struct policy *p, const struct policy_request *rq,
		  struct policy_verdict *v);

/* True when gate g covers a request of this policy_method bit on rest
 * (a path after its version prefix and any /libpod), open or closed. */
bool policy_gate_covers(enum policy_gate g, unsigned method_bit, struct span rest);

/* True when pattern (syntax above) matches the decoded path rest. What
 * follows a "**" in the middle is matched against as many segments at the
 * end of rest, so it must not hold another "**" (no rule does). */
bool policy_pattern_match(const char *pattern, struct span rest);

#endif

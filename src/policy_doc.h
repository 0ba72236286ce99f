/* policy_doc.h - a policy file read into a checked document: what it
 * says, where it says it, nothing built yet.
 *
 * The file is YAML, read strictly. Anything it does not say exactly stops
 * startup: an unknown or duplicate key, a value of the wrong type, an
 * operation or a template that names no route of route_table, an unknown
 * section, preset or profile, an extends cycle, a listener LISTEN does not
 * open, a bad CIDR, uid/gid on a TCP listener or from: on a unix one,
 * YAML that does not parse, anchors, aliases and tags (a reviewer must
 * read what applies where it applies), and a file over a size limit. The
 * message is one line, "FILE:LINE:COLUMN: what is wrong", 1-based as
 * editors count (columns in characters).
 *
 * The schema (README.md, "Policy file"; docs/policy.example.yml):
 *
 *   version: 1
 *   profiles:                             # optional
 *     NAME:                               # [A-Za-z0-9][A-Za-z0-9_.-]*, not a
 *                                         # preset's name nor "env"
 *       extends: PRESET | env | PROFILE   # optional; none: every route denied
 *       allow: [RULE...]                  # optional
 *       deny: [RULE...]                   # optional; deny wins over allow
 *       libpod: true | false              # optional; a file parent's, else false
 *   clients:                              # optional; first match wins
 *     - listener: TEXT                    # one of LISTEN's, as written there
 *       profile: PROFILE | PRESET | env
 *       from: [CIDR...]                   # TCP listeners only
 *       uid: [N...]                       # unix listeners only (SO_PEERCRED)
 *       gid: [N...]                       # unix listeners only
 *
 * A RULE is an operation name ("ContainerLogs"), a method and a template
 * ("GET /containers/{id}/top", variable names free; "*" as the method
 * names every method), or a mapping "section: NAME" with an optional
 * "methods: [GET, ...]": without it an allow rule takes the section's
 * reads (GET and HEAD), a deny rule every method.
 *
 * policy_file.h builds profiles from a document; this module needs no
 * profile code, only route_table and the presets. */
#ifndef DOCKGATE_POLICY_DOC_H
#define DOCKGATE_POLICY_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "cfg.h"
#include "cidr.h"
#include "presets.h"
#include "yread.h"

/* The largest file read; a policy of a thousand rules is some 40 KiB. */
#define POLICY_DOC_MAX_BYTES (1024 * 1024)
/* Room for an error message: the file name, a position and the reason. */
#define POLICY_DOC_ERROR_MAX 512
/* The longest rule text; the longest route template is under 64 bytes. */
#define POLICY_DOC_RULE_MAX 160

/* One allow or deny rule. */
struct policy_doc_rule {
	bool allow;
	const char *text;    /* an operation or "METHOD /template"; NULL for a section */
	const char *section; /* a section rule's section, else NULL */
	unsigned methods;    /* a section rule's methods: 1u << enum route_method bits */
	struct yread_pos at;
};

/* What a profile extends, or a client is served by. */
enum policy_doc_ref_kind {
	POLICY_DOC_NOTHING, /* no extends: every route denied */
	POLICY_DOC_ENV,     /* "env": the environment's rule list judges */
	POLICY_DOC_PRESET,
	POLICY_DOC_PROFILE, /* a profile of the file */
};

struct policy_doc_ref {
	enum policy_doc_ref_kind kind;
	const struct preset *preset; /* POLICY_DOC_PRESET */
	size_t profile;              /* POLICY_DOC_PROFILE: index into profiles */
};

struct policy_doc_profile {
	const char *name;
	struct yread_pos at; /* of its name */
	struct policy_doc_ref extends;
	struct yread_pos extends_at;
	/* Whether its rules and its decisions reach the /libpod twins: its
	 * own libpod:, else its file parent's, else false. */
	bool libpod;
	bool unrouted_by_env; /* it descends from "env" */
	struct policy_doc_rule *rules; /* allow and deny, in file order */
	size_t n_rules;
};

/* One entry of clients:. An entry matches a client of its listener when
 * every condition it has holds; it has none: every client. */
struct policy_doc_client {
	size_t listener;            /* index into the listeners checked against */
	const char *listener_text;
	const struct cidr *from; /* TCP: the peer's address is in one */
	size_t n_from;
	const unsigned *uids;       /* unix: the peer's uid is one of these */
	size_t n_uids;
	const unsigned *gids;       /* unix: the peer's gid is one of these */
	size_t n_gids;
	size_t target;              /* index into targets */
	struct yread_pos at;
};

struct policy_doc {
	const char *origin; /* the file's base name, for "policy.yml:12:7" */
	struct policy_doc_profile *profiles; /* in file order */
	size_t n_profiles;
	/* profiles indices, every parent before its children. */
	const size_t *build_order;
	/* What clients are served by: every profile of the file first (target
	 * i is profiles[i]), then each preset and "env" a client names
	 * directly, in the order first named. */
	const struct policy_doc_ref *targets;
	size_t n_targets;
	const struct policy_doc_client *clients; /* in file order */
	size_t n_clients;
	long default_profile; /* index of the profile named "default", or -1 */
	struct arena arena; /* owns every pointer above */
};

/* Parses text[0..len), the contents of the file called name, and checks
 * it against route_table, the presets and listeners[0..n_listeners).
 * NULL on any error, with "NAME:LINE:COLUMN: what is wrong" in err
 * (err_cap bytes; POLICY_DOC_ERROR_MAX is enough) and nothing left
 * allocated. A len over POLICY_DOC_MAX_BYTES is such an error. */
struct policy_doc *policy_doc_parse(const char *name, const char *text, size_t len,
				    const struct cfg_listener *listeners, size_t n_listeners,
				    char *err, size_t err_cap);
void policy_doc_free(struct policy_doc *d);

#endif

/* policy_file.h - the policy file (POLICY_FILE, --policy) as profiles and
 * the clients each one serves.
 *
 * policy_doc.h reads and checks the file (its schema is there); this
 * module builds a profile (profile.h) for every profile of the file and
 * for each preset or "env" a client names, and picks the profile of a
 * client. How a profile is built, in the file's terms:
 *   - it starts from its parent (extends:): a preset's allow list, "env"
 *     (every route and every unrouted request by the environment's rule
 *     list), a profile of the file, or, without extends, every route
 *     denied;
 *   - with libpod true, each /libpod twin then takes its Docker route's
 *     decision;
 *   - its allow rules set ALLOW on the routes they name (and their twins
 *     with libpod), then its deny rules set DENY on theirs and on the
 *     twins, libpod or not: within a profile deny wins, whatever the
 *     order, and denying more is never a hole.
 * Each decision's origin is the rule's place, "policy.yml:12:7", which a
 * denial names. Everything is built at startup and never changes. */
#ifndef DOCKGATE_POLICY_FILE_H
#define DOCKGATE_POLICY_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "cfg.h"
#include "policy.h"
#include "policy_doc.h"
#include "profile.h"

struct policy_file {
	/* profiles[i] serves target i of the document: the file's profiles
	 * in file order, then each preset and "env" a client names. */
	struct profile **profiles;
	size_t n_profiles;
	/* The bindings, in file order; a client's target is its profile's
	 * index in profiles. */
	const struct policy_doc_client *clients;
	size_t n_clients;
	long default_profile; /* index of the profile named "default", or -1 */
	struct policy_doc *doc;
};

/* Reads the file at path (a regular file of at most POLICY_DOC_MAX_BYTES)
 * and parses it as policy_file_parse() does; a file that cannot be read
 * gives "PATH: why". */
struct policy_file *policy_file_read(const char *path, const struct cfg_listener *listeners,
				     size_t n_listeners, const struct policy *env,
				     char *err, size_t err_cap);

/* Parses text[0..len), the contents of the file called name, checks it
 * (policy_doc_parse) and builds its profiles, whose PROFILE_BY_ENV
 * decisions hand over to env (which must outlive the result). NULL on
 * any error, with "NAME:LINE:COLUMN: what is wrong" in err (err_cap
 * bytes; POLICY_DOC_ERROR_MAX is enough) and nothing left allocated. */
struct policy_file *policy_file_parse(const char *name, const char *text, size_t len,
				      const struct cfg_listener *listeners, size_t n_listeners,
				      const struct policy *env, char *err, size_t err_cap);

void policy_file_free(struct policy_file *f);

/* The profile (an index into f->profiles) for a client of listener (an
 * index into the listeners the file was read against): the first entry
 * of clients: for that listener whose conditions all hold. peer is the
 * client's address on a TCP listener, cred its SO_PEERCRED on a unix
 * one; either may be NULL, and a condition that needs what is NULL does
 * not hold. -1 when no entry matches: the caller then serves the client
 * with "default" or the environment's policy, or, when the listener has
 * entries (policy_file_binds) and there is no "default", answers 403. */
long policy_file_pick(const struct policy_file *f, size_t listener,
		      const struct sockaddr *peer, const struct ucred *cred);

/* True when clients: has an entry for listener. */
bool policy_file_binds(const struct policy_file *f, size_t listener);

#endif

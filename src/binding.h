/* binding.h - which policy serves each client connection, and the swap
 * to a reloaded policy file.
 *
 * A client is served by one binding, chosen when it connects
 * (binding_pick()):
 *   1. the profile of the policy file's first clients: entry for its
 *      listener whose conditions it meets (policy_file_pick(): its address
 *      on a TCP listener, its SO_PEERCRED uid and gid on a unix one);
 *   2. else the file's profile named "default";
 *   3. else, when the file has entries for that listener, nobody: every
 *      request gets a 403 that names the listener and the client
 *      (binding_deny_unmatched()) - a client the file does not name is
 *      not quietly given the environment's wider policy;
 *   4. else the environment's policy: the PROFILE preset's profile, or
 *      without PROFILE the env rule list (profile NULL).
 * Without POLICY_FILE every client gets 4.
 *
 * The bindings belong to one loaded policy, a generation. A reload
 * (binding_reload(), on SIGHUP) reads POLICY_FILE into a new generation
 * completely, then makes it the current one in one assignment: a request
 * is judged by the old policy or by the new one, never by a mixture. A
 * file that fails to load changes nothing. Each open connection keeps its
 * binding until its next request head, then picks again from its socket
 * (binding_repick(): getpeername or SO_PEERCRED, the listener it came
 * from) - a request in flight, a stream or a tunnel is never cut or
 * re-judged, and its access line names the profile that judged it.
 *
 * A retired generation lives while a connection still holds one of its
 * bindings: the judged request's log strings (verdict.because, the
 * denial's origin) point into its profiles. Each binding a connection
 * holds counts as a reference (taken by binding_pick(), given back by
 * binding_release()); the current generation holds one more. The last
 * release frees it, so reloading every minute for a year costs no
 * memory, and at exit everything is freed (binding_free()).
 *
 * Single-threaded, like the event loop that calls it. */
#ifndef DOCKGATE_BINDING_H
#define DOCKGATE_BINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "cfg.h"
#include "policy.h"

struct binding_generation;
struct policy_file;
struct profile;

/* What serves a connection. */
struct binding {
	/* The profile that judges; NULL with unmatched false: the env rule
	 * list (binding_setup()'s env). */
	const struct profile *profile;
	/* Case 3 above: every request gets binding_deny_unmatched(). */
	bool unmatched;
	struct binding_generation *generation; /* owner; private */
};

/* Sets up the first generation. listeners[0..n) are LISTEN's, in the
 * order listener indexes count them; policy_path is POLICY_FILE (NULL or
 * "": none, so a reload has nothing to read); env is the env rule list
 * and env_profile the PROFILE preset's profile or NULL (both owned by the
 * caller, outliving binding_free()); file is policy_path as read at
 * startup, or NULL, owned by this module from now on. 0, or -1 with
 * errno ENOMEM (file is freed then). */
int binding_setup(const struct cfg_listener *listeners, size_t n, const char *policy_path,
		  const struct policy *env, const struct profile *env_profile,
		  struct policy_file *file);

/* Frees the current generation; call after every binding was released. */
void binding_free(void);

/* The binding of the current generation for a client of listener (an
 * index into binding_setup()'s listeners): peer is its address (TCP),
 * cred its SO_PEERCRED (unix); either may be NULL, and then matches no
 * entry that asks for it. Takes a reference; never NULL once set up. */
struct binding *binding_pick(size_t listener, const struct sockaddr *peer,
			     const struct ucred *cred);

/* binding_pick() for the client on socket fd, read from the socket:
 * getpeername() on a TCP listener, SO_PEERCRED on a unix one. A socket
 * whose peer cannot be read (a reset client) on a listener with entries
 * is served by the listener's first entry when that has no conditions,
 * else by nobody (the 403): never by an entry or the default behind one
 * that might have named it. */
struct binding *binding_pick_fd(size_t listener, int fd);

/* Gives back a reference; NULL is a no-op. The last reference to a
 * retired generation frees it. */
void binding_release(struct binding *b);

/* True when b is not of the current generation: a reload happened since
 * it was picked, and the connection's next request picks again. */
bool binding_stale(const struct binding *b);

/* Releases *b and picks again for the client on fd of listener. */
void binding_repick(struct binding **b, size_t listener, int fd);

/* The denial of a request by a client no entry of the policy file
 * matches (b->unmatched): names the request, the listener and the
 * client (its uid and gid, or its address, read from fd). */
void binding_deny_unmatched(size_t listener, int fd, const struct policy_request *rq,
			    struct policy_verdict *v);

/* Re-reads POLICY_FILE into a new generation and makes it current;
 * logs what happened. 0 when the new policy is in force; -1 when there is
 * no POLICY_FILE or it failed to load (the error, FILE:LINE:COLUMN, is
 * logged at warning, and the policy in force stays). */
int binding_reload(void);

/* Startup, after the switch to the final user: warns when that user
 * cannot read POLICY_FILE, which a reload reads. */
void binding_check_readable(void);

/* Generations alive: the current one and the retired ones connections
 * still hold (for tests and the reload log line). */
size_t binding_generations(void);

#endif

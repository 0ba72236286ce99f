/* conn.h - client connections: the request/response state machine that
 * reads requests, has each one judged, forwards allowed ones to the daemon
 * on a daemon connection that is this client's own while it is connected
 * (upstream.c may hand it to a later client), and streams the answers back.
 * The request is judged in conn_request.c at judge_request(), by the env
 * rule list (policy_judge()) or a profile (profile_judge()); conn_int.h
 * says how the module's files divide the work. */
#ifndef DOCKGATE_CONN_H
#define DOCKGATE_CONN_H

#include <stdbool.h>
#include <stddef.h>

struct cfg;
struct loop;
struct policy;
struct limit_key;

/* Sets what every connection shares; call once before conn_start().
 * 0, or -1 with errno (ENOMEM) when its buffers cannot be had: the caller
 * stops (what was allocated is released already). */
int conn_setup(struct loop *l, const struct cfg *c, const struct policy *p);

struct profile;

/* The profiles a connection may judge by, by index; the list and the
 * profiles must outlive every connection. A connection whose index has
 * no profile (NULL, or none set) is judged by the env rule list given to
 * conn_setup(). Every connection uses index 0 today. */
void conn_set_profiles(const struct profile *const *profiles, size_t n);

/* Releases what conn_setup() allocated, at exit. */
void conn_setup_free(void);

/* Longest client name kept for logs ("[IPv6]:port", "unix:pid=N,uid=N"). */
#define CONN_PEER_MAX 56

/* Takes ownership of an accepted non-blocking client socket. peer names
 * the client in logs; key is its per-client count, released at close.
 * 0, or -1 with errno (the caller closes fd and releases key). */
int conn_start(int fd, const char *peer, const struct limit_key *key);

/* Open client connections. */
size_t conn_count(void);
/* Closes a pooled daemon connection, or else the one an idle client
 * keeps open, to free a file descriptor when there are none left. True
 * when one was closed. */
bool conn_shed_idle_upstream(void);

/* Graceful stop: idle connections close now, busy ones after their current
 * response. */
void conn_drain(void);

/* Closes every connection at once (end of the shutdown grace period). */
void conn_close_all(void);

/* Loop hooks: timeouts; and after each batch, running connections that
 * used up their turn and freeing those closed during the batch (true when
 * some still have work). */
void conn_tick(void *unused);
bool conn_after_batch(void *unused);

#endif

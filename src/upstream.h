/* upstream.h - connections to the Docker daemon: opening them, and a pool
 * of idle ones that a client takes instead of connecting again.
 *
 * A daemon connection goes back to the pool only at a message boundary
 * (its last response ended by its own framing, nothing more was sent or
 * received) and is checked again when taken: a connection the daemon
 * closed, or one that carries a byte nobody asked for, is closed, never
 * handed to another client. What the daemon receives on it is always our
 * own rebuilt framing (conn_request.c), so one client cannot leave bytes
 * that the daemon would read as part of another client's request.
 *
 * The epoll registration stays with the struct, not with the client, so
 * moving a connection between clients and the pool costs no system call.
 * Calls follow the syscall convention (NULL or -1 with errno). */
#ifndef DOCKGATE_UPSTREAM_H
#define DOCKGATE_UPSTREAM_H

#include <stdbool.h>

#include "loop.h"

struct upstream {
	/* owner is the client connection using it; NULL while pooled */
	struct loop_watch watch;
	struct upstream *next; /* in the pool, or among those to free */
	long long pooled_ms;
};

/* Where connections go; call once before the others. The pool keeps at
 * most max_pooled connections (0 turns reuse off: every client connects
 * anew), each for at most idle_s seconds. */
void upstream_setup(struct loop *l, const char *socket_path, unsigned max_pooled,
		    unsigned idle_s);

/* A connection for owner, whose events go to on_event: a pooled one when
 * one is open and quiet, else a new one. */
struct upstream *upstream_get(loop_event_fn on_event, void *owner);

/* Gives a connection at a message boundary to the pool (or closes it when
 * the pool is full or we are stopping). */
void upstream_put(struct upstream *u);

/* Closes it now; the struct is freed by upstream_reap(). NULL is a no-op. */
void upstream_close(struct upstream *u);

/* Closes the pooled connection idle longest, to free a file descriptor.
 * True when there was one. */
bool upstream_shed_pooled(void);

/* Closes pooled connections idle for too long (call once a second). */
void upstream_tick(long long now_ms);

/* Stops pooling and closes what the pool holds (shutdown). */
void upstream_close_pool(void);

/* Frees connections closed during the batch (after it). */
void upstream_reap(void);

/* Connections in the pool, for tests and logs. */
unsigned upstream_pooled(void);

#endif

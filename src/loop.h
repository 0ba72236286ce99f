/* loop.h - the event loop: epoll (edge-triggered), a one-second tick for
 * timeouts, and a hook after each batch of events for deferred frees. The
 * only place that calls epoll_wait. */
#ifndef DOCKGATE_LOOP_H
#define DOCKGATE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop_watch;
typedef void (*loop_event_fn)(struct loop_watch *w, uint32_t events);
typedef void (*loop_hook_fn)(void *ctx);
/* Runs deferred work; returns true when more is still waiting, so the
 * next epoll_wait must not sleep. */
typedef bool (*loop_deferred_fn)(void *ctx);

/* Embedded in whatever owns the fd; the owner keeps it alive while the fd
 * is registered. */
struct loop_watch {
	int fd;
	loop_event_fn on_event;
	void *owner;
};

struct loop {
	int epoll_fd;
	bool stopping;
	loop_deferred_fn after_batch; /* deferred work and frees, after a batch */
	loop_hook_fn on_tick;     /* about once a second */
	void *hook_ctx;
};

/* 0 or -1 with errno. */
int loop_init(struct loop *l);
void loop_fini(struct loop *l);
/* Registers w->fd for events (EPOLLET is added). 0 or -1 with errno. */
int loop_add(struct loop *l, struct loop_watch *w, uint32_t events);
/* Unregisters w->fd; the caller closes it. (Closing an fd that was never
 * duplicated unregisters it as well; events of the current batch may
 * still name w either way.) */
void loop_del(struct loop *l, struct loop_watch *w);
/* One batch: waits up to timeout_ms for events, handles them, runs the
 * deferred work (*pending: some is left). Returns the number of events,
 * or -1 with errno when epoll fails. loop_run() is this in a loop. */
int loop_run_once(struct loop *l, int timeout_ms, bool *pending);
/* Runs until loop_stop(). 0, or -1 with errno when epoll fails. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* Milliseconds of CLOCK_MONOTONIC, as read when the current batch of
 * events began (or at loop_init()): one clock read per batch. */
long long loop_now_ms(void);

#endif

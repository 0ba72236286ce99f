/* loop.c - epoll event loop; see loop.h. */
#include "loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_BATCH 256
#define LOOP_TICK_MS 1000

/* The clock as of the current batch: read once per epoll_wait instead of
 * at every deadline and log line (a few reads per request otherwise). */
static long long batch_now_ms;

static long long clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int loop_init(struct loop *l)
{
	l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	l->stopping = false;
	batch_now_ms = clock_ms();
	return l->epoll_fd == -1 ? -1 : 0;
}

void loop_fini(struct loop *l)
{
	if (l->epoll_fd >= 0)
		close(l->epoll_fd);
	l->epoll_fd = -1;
}

int loop_add(struct loop *l, struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events | EPOLLET, .data.ptr = w };
	return epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, w->fd, &ev);
}

void loop_del(struct loop *l, struct loop_watch *w)
{
	epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, w->fd, NULL);
}

void loop_stop(struct loop *l)
{
	l->stopping = true;
}

long long loop_now_ms(void)
{
	return batch_now_ms;
}

int loop_run_once(struct loop *l, int timeout_ms, bool *pending)
{
	struct epoll_event events[LOOP_BATCH];
	*pending = false;
	int n = epoll_wait(l->epoll_fd, events, LOOP_BATCH, timeout_ms);
	batch_now_ms = clock_ms();
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		struct loop_watch *w = events[i].data.ptr;
		w->on_event(w, events[i].events);
	}
	/* Only now may closed owners be freed: an earlier event of this batch
	 * could still have named them. */
	if (l->after_batch)
		*pending = l->after_batch(l->hook_ctx);
	return n;
}

int loop_run(struct loop *l)
{
	batch_now_ms = clock_ms();
	long long next_tick = batch_now_ms + LOOP_TICK_MS;
	bool pending = false;
	while (!l->stopping) {
		/* The batch's clock, late by the time the batch took: the tick
		 * may come that much late, which a one-second tick allows. */
		long long now = batch_now_ms;
		/* Work left over from the last batch: look for events, don't sleep. */
		int timeout = pending ? 0 : next_tick > now ? (int)(next_tick - now) : 0;
		if (loop_run_once(l, timeout, &pending) == -1)
			return -1;
		if (batch_now_ms >= next_tick) {
			next_tick = batch_now_ms + LOOP_TICK_MS;
			if (l->on_tick)
				l->on_tick(l->hook_ctx);
			if (l->after_batch)
				pending = l->after_batch(l->hook_ctx);
		}
	}
	return 0;
}

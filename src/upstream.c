/* upstream.c - daemon connections and the pool of idle ones; see
 * upstream.h.
 *
 * The pool is a stack: the connection used last is taken first, so a
 * light load keeps reusing a few and the rest age out at the tick. */
#include "upstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static struct loop *loop;
static struct sockaddr_un daemon_addr;
static unsigned pool_max;
static long long pool_idle_ms;
static struct upstream *pool; /* top of the stack */
static unsigned n_pooled;
static struct upstream *closed; /* freed after the batch */

static void on_pooled_event(struct loop_watch *w, uint32_t events);

void upstream_setup(struct loop *l, const char *socket_path, unsigned max_pooled,
		    unsigned idle_s)
{
	loop = l;
	daemon_addr.sun_family = AF_UNIX;
	snprintf(daemon_addr.sun_path, sizeof daemon_addr.sun_path, "%s", socket_path);
	pool_max = max_pooled;
	pool_idle_ms = (long long)idle_s * 1000;
}

unsigned upstream_pooled(void)
{
	return n_pooled;
}

void upstream_close(struct upstream *u)
{
	if (u == NULL)
		return;
	/* No loop_del(): closing the only descriptor of the socket takes it
	 * out of the epoll set. An event of this batch may still name the
	 * watch: it finds fd -1 and the pool's handler, which ignores it. */
	close(u->watch.fd);
	u->watch = (struct loop_watch){ -1, on_pooled_event, NULL };
	u->next = closed;
	closed = u;
}

void upstream_reap(void)
{
	while (closed) {
		struct upstream *u = closed;
		closed = u->next;
		free(u);
	}
}

/* True when nothing has arrived on a pooled connection: no EOF, no reset,
 * no byte that no request asked for. */
static bool still_quiet(int fd)
{
	char byte;
	return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == -1 &&
	       (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void unlink_pooled(struct upstream *u)
{
	for (struct upstream **p = &pool; *p != NULL; p = &(*p)->next) {
		if (*p == u) {
			*p = u->next;
			n_pooled--;
			return;
		}
	}
}

/* While pooled the daemon may only close. An event that only says
 * "writable", or a readable one from before the connection was pooled
 * whose bytes were already read, leaves it in the pool. */
static void on_pooled_event(struct loop_watch *w, uint32_t events)
{
	struct upstream *u = (struct upstream *)w;
	if (w->fd < 0 || !(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	if (!(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && still_quiet(w->fd))
		return;
	unlink_pooled(u);
	upstream_close(u);
}

/* Whether the daemon answers connects, so that an outage is one warning
 * and its end one notice, not a warning per request (each still gets its
 * 502 and its access line). */
static bool daemon_down;
static long long down_since_ms;
static unsigned long failed_while_down;

/* err: 0 for a connect that worked, else its errno. A full listen queue
 * (EAGAIN) is a burst and running out of descriptors or memory is ours:
 * neither says the daemon is gone. */
static void note_connect(int err)
{
	if (err == 0) {
		if (daemon_down)
			log_notice("the Docker daemon at %s answers again, after %llds; %lu more "
				   "connects failed meanwhile", daemon_addr.sun_path,
				   (loop_now_ms() - down_since_ms) / 1000, failed_while_down);
		daemon_down = false;
		return;
	}
	if (err == EAGAIN || err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS)
		return;
	if (daemon_down) {
		failed_while_down++;
		return;
	}
	log_warn("cannot reach the Docker daemon at %s: %s; requests get 502 until it is "
		 "back (said once: its return is logged too)", daemon_addr.sun_path,
		 strerror(err));
	daemon_down = true;
	down_since_ms = loop_now_ms();
	failed_while_down = 0;
}

static struct upstream *connect_new(void)
{
	struct upstream *u = malloc(sizeof *u);
	if (u == NULL)
		return NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		free(u);
		return NULL;
	}
	u->watch = (struct loop_watch){ fd, on_pooled_event, NULL };
	int connected = connect(fd, (struct sockaddr *)&daemon_addr, sizeof daemon_addr);
	note_connect(connected == 0 ? 0 : errno);
	if (connected == -1 || loop_add(loop, &u->watch, EPOLLIN | EPOLLOUT | EPOLLRDHUP) == -1) {
		int saved = errno;
		close(fd);
		free(u);
		errno = saved;
		return NULL;
	}
	return u;
}

struct upstream *upstream_get(loop_event_fn on_event, void *owner)
{
	struct upstream *u;
	while ((u = pool) != NULL) {
		pool = u->next;
		n_pooled--;
		if (still_quiet(u->watch.fd))
			break;
		log_debug("pooled daemon connection closed or not quiet: not reused");
		upstream_close(u);
	}
	if (u == NULL && (u = connect_new()) == NULL)
		return NULL;
	u->watch.on_event = on_event;
	u->watch.owner = owner;
	u->next = NULL;
	return u;
}

void upstream_put(struct upstream *u)
{
	if (n_pooled >= pool_max) {
		upstream_close(u);
		return;
	}
	u->watch.on_event = on_pooled_event;
	u->watch.owner = NULL;
	u->pooled_ms = loop_now_ms();
	u->next = pool;
	pool = u;
	n_pooled++;
}

bool upstream_shed_pooled(void)
{
	if (pool == NULL)
		return false;
	struct upstream **p = &pool;
	while ((*p)->next != NULL)
		p = &(*p)->next;
	struct upstream *oldest = *p;
	*p = NULL;
	n_pooled--;
	upstream_close(oldest);
	return true;
}

void upstream_tick(long long now_ms)
{
	struct upstream **p = &pool;
	while (*p != NULL) {
		struct upstream *u = *p;
		if (now_ms - u->pooled_ms >= pool_idle_ms) {
			*p = u->next;
			n_pooled--;
			upstream_close(u);
		} else {
			p = &u->next;
		}
	}
}

void upstream_close_pool(void)
{
	pool_max = 0;
	while (upstream_shed_pooled())
		;
}

/* relay.h - moving a long body from one socket to another inside the
 * kernel: splice(2) through a pipe, so the bytes never enter our buffers
 * and cost no copy into user space.
 *
 * A relay is opened for one body and closed when it is done. The calls
 * follow the syscall convention: bytes moved (> 0), 0 at end of file (fill
 * only), or -1 with errno (EAGAIN: the socket has nothing / no room, or
 * the pipe is full / empty). */
#ifndef DOCKGATE_RELAY_H
#define DOCKGATE_RELAY_H

#include <stddef.h>
#include <sys/types.h>

struct relay {
	int rd, wr;    /* the pipe; -1 when closed */
	unsigned held; /* bytes in the pipe */
	unsigned cap;  /* what the pipe holds at most */
};

/* A closed relay (so relay_close() is always safe). */
void relay_init(struct relay *r);
/* Opens the pipe. 0 or -1 with errno. */
int relay_open(struct relay *r);
void relay_close(struct relay *r);
static inline int relay_is_open(const struct relay *r)
{
	return r->rd >= 0;
}
/* Moves up to max bytes from socket from_fd into the pipe. */
ssize_t relay_fill(struct relay *r, int from_fd, size_t max);
/* Moves what the pipe holds to socket to_fd. */
ssize_t relay_drain(struct relay *r, int to_fd);

#endif

/* relay.c - socket to socket through a pipe with splice(2); see relay.h. */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* A bigger pipe than the default 64 KiB halves and halves again the
 * system calls per GiB; where the kernel refuses (pipe-max-size, the
 * per-user pipe page limit) the default pipe is used. */
#define RELAY_PIPE_SIZE (256 * 1024)

void relay_init(struct relay *r)
{
	r->rd = r->wr = -1;
	r->held = 0;
	r->cap = 0;
}

int relay_open(struct relay *r)
{
	int fds[2];
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	r->rd = fds[0];
	r->wr = fds[1];
	r->held = 0;
	int cap = fcntl(r->wr, F_SETPIPE_SZ, RELAY_PIPE_SIZE);
	if (cap == -1)
		cap = fcntl(r->wr, F_GETPIPE_SZ);
	r->cap = cap > 0 ? (unsigned)cap : 65536;
	return 0;
}

void relay_close(struct relay *r)
{
	if (r->rd >= 0)
		close(r->rd);
	if (r->wr >= 0)
		close(r->wr);
	relay_init(r);
}

ssize_t relay_fill(struct relay *r, int from_fd, size_t max)
{
	size_t room = r->cap - r->held;
	if (room == 0) {
		errno = EAGAIN;
		return -1;
	}
	ssize_t n;
	do {
		n = splice(from_fd, NULL, r->wr, NULL, max < room ? max : room,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	} while (n == -1 && errno == EINTR);
	if (n > 0)
		r->held += (unsigned)n;
	return n;
}

ssize_t relay_drain(struct relay *r, int to_fd)
{
	if (r->held == 0) {
		errno = EAGAIN;
		return -1;
	}
	ssize_t n;
	do {
		n = splice(r->rd, NULL, to_fd, NULL, r->held,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	} while (n == -1 && errno == EINTR);
	if (n > 0)
		r->held -= (unsigned)n;
	return n;
}

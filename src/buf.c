/* buf.c - fixed-capacity byte buffer; see buf.h for the contract. */
#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->cap = cap;
	b->start = 0;
	b->end = 0;
}

/* Allocates the storage on first use. 0 or -1 (ENOMEM). */
static int buf_ensure(struct buf *b)
{
	if (b->data == NULL)
		b->data = malloc(b->cap);
	return b->data == NULL ? -1 : 0;
}

void buf_trim(struct buf *b)
{
	if (b->start != b->end)
		return;
	free(b->data);
	b->data = NULL;
	b->start = 0;
	b->end = 0;
}

void buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->start = 0;
	b->end = 0;
}

/* Moves the live bytes to the front so that the free space is contiguous.
 * Cheap in practice: it only copies when there is something left over. */
static void buf_compact(struct buf *b)
{
	if (b->start == 0)
		return;
	size_t n = buf_len(b);
	if (n > 0)
		memmove(b->data, b->data + b->start, n);
	b->start = 0;
	b->end = n;
}

size_t buf_space(struct buf *b)
{
	if (b->end == b->cap)
		buf_compact(b);
	return b->cap - b->end;
}

void buf_consume(struct buf *b, size_t n)
{
	b->start += n;
	if (b->start == b->end) {
		b->start = 0;
		b->end = 0;
	}
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (buf_ensure(b) == -1)
		return -1;
	if (b->cap - b->end < n)
		buf_compact(b);
	if (b->cap - b->end < n)
		return -1;
	memcpy(b->data + b->end, p, n);
	b->end += n;
	return 0;
}

ssize_t buf_read_fd(struct buf *b, int fd)
{
	size_t space = buf_space(b);
	if (space == 0) {
		errno = ENOBUFS;
		return -1;
	}
	if (buf_ensure(b) == -1)
		return -1;
	ssize_t n;
	do {
		n = read(fd, b->data + b->end, space);
	} while (n == -1 && errno == EINTR);
	if (n > 0)
		b->end += (size_t)n;
	return n;
}

ssize_t buf_write_fd(struct buf *b, int fd)
{
	ssize_t n;
	do {
		n = send(fd, buf_head(b), buf_len(b), MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n > 0)
		buf_consume(b, (size_t)n);
	return n;
}

/* buf.c - fixed-capacity byte buffer; see buf.h for the contract. */
#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sanitizer.h"

/* Storage of an emptied buffer is kept for the next buffer of the same
 * capacity instead of going back to malloc: a keep-alive request would
 * otherwise cost four malloc/free pairs of 16-64 KiB, which glibc serves
 * slowly and follows with a brk() to trim the heap. A connection's four
 * buffers have four fixed capacities (and listen.c's refusal one more);
 * BUF_POOL_DEPTH blocks of each, decayed every tick, bound what is kept.
 * Single-threaded, like the rest of the program.
 *
 * Blocks beyond the pool are mapped and unmapped one by one rather than
 * malloc'd: a freed block then leaves the resident set at once, where
 * glibc would keep the pages of a hole in its heap. So a thousand quiet
 * streams that gave their buffers back cost no buffer memory. Sanitizer
 * builds use malloc, so that AddressSanitizer guards the buffers. */
#define BUF_POOL_CLASSES 6

/* Deep enough that a batch of events in which many connections finish
 * and as many start does not map and unmap blocks; buf_pool_decay()
 * gives back what a burst left. Under ASan (malloc) a deep pool made the
 * soak's RSS grow by its quarantine's churn, so it stays shallow there. */
#ifdef SANITIZER_BUILD
#define BUF_POOL_DEPTH 4
#else
#define BUF_POOL_DEPTH 64
#endif
/* What buf_pool_decay() leaves in each class. */
#define BUF_POOL_KEEP 4

#ifdef SANITIZER_BUILD
static char *block_alloc(size_t cap)
{
	return malloc(cap);
}

static void block_free(char *block, size_t cap)
{
	(void)cap;
	free(block);
}
#else
static char *block_alloc(size_t cap)
{
	void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void block_free(char *block, size_t cap)
{
	munmap(block, cap);
}
#endif

static struct buf_pool_class {
	size_t cap;
	unsigned n;
	char *blocks[BUF_POOL_DEPTH];
} pool[BUF_POOL_CLASSES];

static struct buf_pool_class *pool_class(size_t cap)
{
	for (size_t i = 0; i < BUF_POOL_CLASSES; i++) {
		if (pool[i].cap == cap)
			return &pool[i];
		if (pool[i].cap == 0) {
			pool[i].cap = cap;
			return &pool[i];
		}
	}
	return NULL; /* more capacities than classes: plain malloc */
}

static char *pool_take(size_t cap)
{
	struct buf_pool_class *pc = pool_class(cap);
	if (pc != NULL && pc->n > 0)
		return pc->blocks[--pc->n];
	return block_alloc(cap);
}

static void pool_give(char *block, size_t cap)
{
	if (block == NULL)
		return;
	struct buf_pool_class *pc = pool_class(cap);
	if (pc != NULL && pc->n < BUF_POOL_DEPTH)
		pc->blocks[pc->n++] = block;
	else
		block_free(block, cap);
}

void buf_pool_decay(void)
{
#if BUF_POOL_DEPTH > BUF_POOL_KEEP
	for (size_t i = 0; i < BUF_POOL_CLASSES; i++) {
		unsigned keep = pool[i].n / 2;
		if (keep < BUF_POOL_KEEP)
			keep = BUF_POOL_KEEP;
		while (pool[i].n > keep)
			block_free(pool[i].blocks[--pool[i].n], pool[i].cap);
	}
#endif
}

void buf_pool_free(void)
{
	for (size_t i = 0; i < BUF_POOL_CLASSES; i++) {
		while (pool[i].n > 0)
			block_free(pool[i].blocks[--pool[i].n], pool[i].cap);
		pool[i].cap = 0;
	}
}

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
		b->data = pool_take(b->cap);
	return b->data == NULL ? -1 : 0;
}

void buf_release(struct buf *b)
{
	pool_give(b->data, b->cap);
	b->data = NULL;
	b->start = 0;
	b->end = 0;
}

void buf_compact(struct buf *b)
{
	if (b->start == 0)
		return;
	size_t n = buf_len(b);
	if (n > 0)
		memmove(b->data, b->data + b->start, n);
	b->start = 0;
	b->end = n;
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

char *buf_reserve(struct buf *b, size_t *room)
{
	*room = buf_space(b);
	if (buf_ensure(b) == -1)
		return NULL;
	return b->data + b->end;
}

void buf_commit(struct buf *b, size_t n)
{
	b->end += n;
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

ssize_t buf_write2_fd(struct buf *first, struct buf *then, size_t *then_n, int fd)
{
	struct iovec iov[2] = {
		{ first->data ? first->data + first->start : NULL, buf_len(first) },
		{ then->data ? then->data + then->start : NULL, *then_n },
	};
	ssize_t n;
	do {
		/* SIGPIPE is ignored process-wide (main.c): EPIPE comes back. */
		n = writev(fd, iov, 2);
	} while (n == -1 && errno == EINTR);
	if (n > 0) {
		size_t from_first = (size_t)n < iov[0].iov_len ? (size_t)n : iov[0].iov_len;
		buf_consume(first, from_first);
		buf_consume(then, (size_t)n - from_first);
		*then_n -= (size_t)n - from_first;
	}
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

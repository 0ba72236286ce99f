/* buf.h - fixed-capacity byte buffer with a read and a write position.
 *
 * Bytes live in data[start, end). Appending writes at end; consuming
 * advances start. buf_compact() moves the live bytes to the front so the
 * free space is contiguous. The capacity never grows: a full buffer is
 * backpressure, not a reason to allocate. Storage is allocated on the
 * first write and can be given back with buf_trim() while the buffer is
 * empty, so an idle connection holds no buffer memory (a few released
 * blocks are pooled for reuse). I/O helpers follow
 * the syscall convention: bytes moved (>= 0), or -1 with errno (EAGAIN
 * included). */
#ifndef DOCKGATE_BUF_H
#define DOCKGATE_BUF_H

#include <stddef.h>
#include <sys/types.h>

struct buf {
	char *data;
	size_t cap;
	size_t start;
	size_t end;
};

/* Sets the capacity; storage comes with the first write. */
void buf_init(struct buf *b, size_t cap);
/* Releases the storage; safe on a zeroed or already-released buffer. */
void buf_release(struct buf *b);
/* Storage given back is kept in a small pool per capacity for the next
 * buffer; this frees the pool (at exit, for leak checkers). */
void buf_pool_free(void);
/* Halves what the pool keeps beyond a few blocks per capacity: called
 * once a second, so that the blocks a burst left go back in seconds. */
void buf_pool_decay(void);

static inline size_t buf_len(const struct buf *b) { return b->end - b->start; }
/* Gives the storage back if the buffer is empty (it returns on demand).
 * Inline, as it runs several times per request on buffers mostly holding
 * no storage at all. */
static inline void buf_trim(struct buf *b)
{
	if (b->data != NULL && b->start == b->end)
		buf_release(b);
}
/* The first live byte; NULL while nothing was ever stored (no arithmetic
 * on a null pointer, which C leaves undefined). */
static inline const char *buf_head(const struct buf *b)
{
	return b->data ? b->data + b->start : b->data;
}
/* Moves the live bytes to the front so that the free space is
 * contiguous; copies only when some are left over. */
void buf_compact(struct buf *b);
/* Free bytes after end, once compacted (allocated or not). Inline, as
 * buf_consume(): both run several times per request, and the compaction
 * only when the buffer is full to its end. */
static inline size_t buf_space(struct buf *b)
{
	if (b->end == b->cap)
		buf_compact(b);
	return b->cap - b->end;
}
/* Drops n live bytes from the front; an emptied buffer starts over at 0. */
static inline void buf_consume(struct buf *b, size_t n)
{
	b->start += n;
	if (b->start == b->end) {
		b->start = 0;
		b->end = 0;
	}
}
/* Appends n bytes if they fit; 0, or -1 when there is not enough space
 * (or no memory, errno ENOMEM). */
int buf_append(struct buf *b, const void *p, size_t n);

/* The free space to write into directly (allocated and compacted):
 * *room bytes at the returned pointer, NULL when there is no memory. Then
 * buf_commit() says how many were written. */
char *buf_reserve(struct buf *b, size_t *room);
void buf_commit(struct buf *b, size_t n);

/* read(2) into the free space; 0 means end of file. */
ssize_t buf_read_fd(struct buf *b, int fd);
/* send(2) the live bytes with MSG_NOSIGNAL, consuming what was sent. */
ssize_t buf_write_fd(struct buf *b, int fd);
/* writev(2) the live bytes of first, then the first *then_n bytes of
 * then, in one call; consumes what was sent from each and lowers *then_n
 * by what went from then. (The caller ignores SIGPIPE.) */
ssize_t buf_write2_fd(struct buf *first, struct buf *then, size_t *then_n, int fd);

#endif

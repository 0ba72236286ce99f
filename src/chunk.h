/* chunk.h - streaming decoder for the chunked transfer coding
 * (RFC 9112 §7.1).
 *
 * The decoder is a pure state machine fed arbitrary splits of the bytes.
 * Each call consumes some framing bytes or some data bytes, never both, and
 * says which. Chunk extensions are rejected (no Docker client sends them and
 * they are a known smuggling vector); trailer fields are checked for syntax
 * and dropped. */
#ifndef DOCKGATE_CHUNK_H
#define DOCKGATE_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "span.h"

enum chunk_state {
	CHUNK_ST_SIZE,        /* hex digits of a chunk size */
	CHUNK_ST_SIZE_LF,     /* CR seen after the size, want LF */
	CHUNK_ST_DATA,        /* inside chunk data */
	CHUNK_ST_DATA_CR,     /* after data, want CR */
	CHUNK_ST_DATA_LF,     /* after data CR, want LF */
	CHUNK_ST_TRAILER,     /* at the start of a trailer line (or the end) */
	CHUNK_ST_TRAILER_NAME,  /* inside a trailer field name */
	CHUNK_ST_TRAILER_VALUE, /* after the colon of a trailer field */
	CHUNK_ST_TRAILER_LF,  /* CR seen in the trailer section, want LF */
	CHUNK_ST_END_LF,      /* CR of the final empty line seen, want LF */
	CHUNK_ST_DONE,        /* the message body is complete */
};

struct chunk_dec {
	enum chunk_state state;
	unsigned digits;              /* size digits seen */
	unsigned long long remaining; /* data bytes left in this chunk */
	size_t trailer_bytes;         /* trailer section bytes seen */
	const char *error;            /* why -1 was returned */
};

/* Sets d to expect the first chunk-size line. */
void chunk_init(struct chunk_dec *d);

/* Consumes a prefix of p[0, n). Returns the bytes consumed (> 0), 0 only
 * when n == 0 or the body is complete, -1 on malformed input (d->error).
 * When the consumed bytes are chunk data, *data covers them; otherwise
 * data->n is 0. */
ssize_t chunk_decode(struct chunk_dec *d, const char *p, size_t n,
		     struct span *data);

static inline bool chunk_done(const struct chunk_dec *d)
{
	return d->state == CHUNK_ST_DONE;
}

const char *chunk_state_name(enum chunk_state s);

#endif

/* chunk.c - streaming chunked decoder (RFC 9112 §7.1); see chunk.h.
 *
 * Strictness, and why: size lines are hex digits then CRLF, at most 16
 * digits (no overflow), no extensions, no whitespace (a lenient parser that
 * skips "0 ;x" or accepts a bare LF disagrees with Go about where the body
 * ends); data must be followed by exactly CRLF; trailer lines must look like
 * header fields and are bounded. */
#include "chunk.h"

#include <stdint.h>

#include "h1.h"

#define CHUNK_MAX_DIGITS 16
#define CHUNK_MAX_TRAILER 4096

void chunk_init(struct chunk_dec *d)
{
	d->state = CHUNK_ST_SIZE;
	d->remaining = 0;
	d->digits = 0;
	d->trailer_bytes = 0;
	d->error = NULL;
}

const char *chunk_state_name(enum chunk_state s)
{
	static const char *const names[] = {
		"size", "size-lf", "data", "data-cr", "data-lf", "trailer",
		"trailer-name", "trailer-value", "trailer-lf", "end-lf", "done",
	};
	return names[s];
}

static ssize_t fail(struct chunk_dec *d, const char *why)
{
	d->error = why;
	return -1;
}

/* A byte that must be exactly want (the CR or LF of a line end): on to
 * state next, or the error why. */
static ssize_t expect(struct chunk_dec *d, unsigned char c, unsigned char want,
		      enum chunk_state next, const char *why)
{
	if (c != want)
		return fail(d, why);
	d->state = next;
	return 1;
}

/* A byte of a trailer field's name or value: end moves on to next, any
 * other byte must be valid for the part it is in. */
static ssize_t field_byte(struct chunk_dec *d, unsigned char c, unsigned char end,
			  enum chunk_state next, bool valid, const char *why)
{
	if (c == end) {
		d->state = next;
		return 1;
	}
	return valid ? 1 : fail(d, why);
}

/* One framing byte in the trailer section: field lines with the syntax of
 * header fields (RFC 9112 §7.1.2: token ":" OWS value CRLF), then an
 * empty line. */
static ssize_t trailer_byte(struct chunk_dec *d, unsigned char c)
{
	if (++d->trailer_bytes > CHUNK_MAX_TRAILER)
		return fail(d, "trailer section too large");
	switch (d->state) {
	case CHUNK_ST_TRAILER: /* start of a line: CR ends the body */
		if (c == '\r') {
			d->state = CHUNK_ST_END_LF;
			return 1;
		}
		if (!h1_is_tchar(c))
			return fail(d, "malformed trailer field name");
		d->state = CHUNK_ST_TRAILER_NAME;
		return 1;
	case CHUNK_ST_TRAILER_NAME:
		return field_byte(d, c, ':', CHUNK_ST_TRAILER_VALUE, h1_is_tchar(c),
				  "malformed trailer field name");
	case CHUNK_ST_TRAILER_VALUE:
		return field_byte(d, c, '\r', CHUNK_ST_TRAILER_LF, h1_is_field_byte(c),
				  "control byte in trailer field");
	case CHUNK_ST_TRAILER_LF:
		return expect(d, c, '\n', CHUNK_ST_TRAILER, "bare CR in trailer");
	case CHUNK_ST_END_LF:
		return expect(d, c, '\n', CHUNK_ST_DONE, "bare CR at end of chunked body");
	default:
		return fail(d, "internal: not in trailer");
	}
}

/* One framing byte before or after chunk data. */
static ssize_t framing_byte(struct chunk_dec *d, unsigned char c)
{
	switch (d->state) {
	case CHUNK_ST_SIZE: {
		int v = span_hex_value(c);
		if (v >= 0) {
			if (++d->digits > CHUNK_MAX_DIGITS)
				return fail(d, "chunk size too long");
			d->remaining = (d->remaining << 4) | (unsigned)v;
			return 1;
		}
		if (c == '\r' && d->digits > 0) {
			d->state = CHUNK_ST_SIZE_LF;
			return 1;
		}
		return fail(d, c == ';' ? "chunk extensions are not accepted"
					: "malformed chunk size");
	}
	case CHUNK_ST_SIZE_LF:
		if (c != '\n')
			return fail(d, "bare CR after chunk size");
		d->digits = 0;
		d->state = d->remaining ? CHUNK_ST_DATA : CHUNK_ST_TRAILER;
		return 1;
	case CHUNK_ST_DATA_CR:
		return expect(d, c, '\r', CHUNK_ST_DATA_LF, "chunk data longer than its size");
	case CHUNK_ST_DATA_LF:
		return expect(d, c, '\n', CHUNK_ST_SIZE, "bare CR after chunk data");
	default:
		return trailer_byte(d, c);
	}
}

ssize_t chunk_decode(struct chunk_dec *d, const char *p, size_t n,
		     struct span *data)
{
	data->p = p;
	data->n = 0;
	if (n == 0 || d->state == CHUNK_ST_DONE)
		return 0;
	if (d->state == CHUNK_ST_DATA) {
		size_t take = n;
		if ((unsigned long long)take > d->remaining)
			take = (size_t)d->remaining;
		d->remaining -= take;
		if (d->remaining == 0)
			d->state = CHUNK_ST_DATA_CR;
		data->n = take;
		return (ssize_t)take;
	}
	/* Framing: consume bytes one at a time until data starts, the body
	 * ends, or the input runs out. */
	size_t i = 0;
	while (i < n && d->state != CHUNK_ST_DATA && d->state != CHUNK_ST_DONE) {
		if (framing_byte(d, (unsigned char)p[i]) < 0)
			return -1;
		i++;
	}
	return (ssize_t)i;
}

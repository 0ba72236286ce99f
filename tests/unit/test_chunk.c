/* test_chunk.c - the streaming chunked decoder (RFC 9112 §7.1). Every row
 * is one cmocka test, and every valid body is fed three ways: whole, one
 * byte per call, and split in two at every offset. The data spans must
 * concatenate to the payload and the decoder must stop exactly at the end of
 * the body, leaving what follows (the next request) alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rows.h"

#include "chunk.h"

/* What feeding a body produced. */
struct outcome {
	bool failed;
	const char *error;
	size_t consumed; /* bytes consumed before done or failure */
	char *payload;   /* the data spans, concatenated */
	size_t payload_n;
	bool done;
};

/* Feeds p[0, n) in pieces of at most step bytes (step 0: everything
 * available), the way a connection would: the caller offers the unconsumed
 * bytes received so far. Stops at done, failure, or when the input is used
 * up. Also checks the contract of each call: > 0 unless done, framing or
 * data but never both, data spans inside what was offered. */
static struct outcome feed(const char *p, size_t n, size_t step)
{
	struct outcome o = { 0 };
	o.payload = malloc(n + 1);
	assert_non_null(o.payload);
	struct chunk_dec d;
	chunk_init(&d);
	size_t received = 0;
	while (!chunk_done(&d)) {
		if (o.consumed == received) {
			if (received == n)
				break;
			received = step == 0 || n - received < step ? n : received + step;
		}
		/* Offer a private copy so that ASan catches reads past it. */
		size_t avail = received - o.consumed;
		char *in = malloc(avail);
		assert_non_null(in);
		memcpy(in, p + o.consumed, avail);
		struct span data;
		ssize_t r = chunk_decode(&d, in, avail, &data);
		if (r < 0) {
			free(in);
			o.failed = true;
			o.error = d.error;
			assert_non_null(o.error);
			return o;
		}
		if (r == 0) {
			free(in);
			/* 0 is only for an empty offer or a finished body. */
			assert_true(chunk_done(&d));
			break;
		}
		assert_true((size_t)r <= avail);
		if (data.n > 0) {
			/* A data call consumes exactly the data it reports. */
			assert_int_equal(data.n, (size_t)r);
			assert_ptr_equal(data.p, in);
			memcpy(o.payload + o.payload_n, data.p, data.n);
			o.payload_n += data.n;
		}
		free(in);
		o.consumed += (size_t)r;
	}
	o.done = chunk_done(&d);
	/* A finished decoder consumes nothing more. */
	if (o.done) {
		struct span data;
		assert_int_equal(chunk_decode(&d, "0\r\n\r\n", 5, &data), 0);
		assert_int_equal(data.n, 0);
	}
	return o;
}

/* ==== Valid bodies ==== */

struct ok_row {
	const char *name;
	struct bytes body;  /* the chunked body */
	struct bytes after; /* bytes after it, not to be consumed */
	struct bytes payload;
};

static struct ok_row ok_rows[] = {
	{ "one chunk", B("5\r\nhello\r\n0\r\n\r\n"), B(""), B("hello") },
	{ "two chunks concatenate", B("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), B(""),
	  B("hello world") },
	{ "zero-length body: only the last chunk", B("0\r\n\r\n"), B(""), B("") },
	{ "hex sizes in lower and upper case",
	  B("a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n"), B(""),
	  B("0123456789abcdefghijk") },
	{ "leading zeros in a size", B("0005\r\nhello\r\n000\r\n\r\n"), B(""), B("hello") },
	{ "16 hex digits, the most accepted", B("000000000000000a\r\n0123456789\r\n0\r\n\r\n"), B(""),
	  B("0123456789") },
	{ "data that looks like framing is data",
	  B("c\r\n0\r\n\r\nGET / H\r\n0\r\n\r\n"), B(""), B("0\r\n\r\nGET / H") },
	{ "binary data with NUL, CR and LF", B("6\r\n\0\r\n\x01\n\r\r\n0\r\n\r\n"), B(""),
	  B("\0\r\n\x01\n\r") },
	{ "one trailer field is accepted and dropped",
	  B("5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n"), B(""), B("hello") },
	{ "several trailer fields, one without a value",
	  B("5\r\nhello\r\n0\r\nX-A: 1\r\nx-b:\r\nX-C:\tv a l\r\n\r\n"), B(""), B("hello") },
	{ "a pipelined request after the body is not consumed",
	  B("5\r\nhello\r\n0\r\n\r\n"), B("POST /containers/create HTTP/1.1\r\n\r\n"), B("hello") },
	{ "bytes after a body with trailers are not consumed",
	  B("0\r\nX: y\r\n\r\n"), B("GET /_ping HTTP/1.1\r\n"), B("") },
};

static char *join(struct bytes a, struct bytes b, size_t *n)
{
	char *p = malloc(a.n + b.n + 1);
	assert_non_null(p);
	memcpy(p, a.p, a.n);
	memcpy(p + a.n, b.p, b.n);
	*n = a.n + b.n;
	return p;
}

static void check_ok(const struct ok_row *row, struct outcome *o)
{
	if (o->failed)
		fail_msg("rejected after %zu bytes: %s", o->consumed, o->error);
	assert_true(o->done);
	assert_int_equal(o->consumed, row->body.n);
	assert_int_equal(o->payload_n, row->payload.n);
	assert_memory_equal(o->payload, row->payload.p, row->payload.n);
	free(o->payload);
}

static void run_ok(void **state, size_t step)
{
	const struct ok_row *row = *state;
	size_t n;
	char *in = join(row->body, row->after, &n);
	struct outcome o = feed(in, n, step);
	check_ok(row, &o);
	free(in);
}

static void test_ok_whole(void **state) { run_ok(state, 0); }
static void test_ok_bytewise(void **state) { run_ok(state, 1); }

/* Two reads: the first k bytes, then the rest. */
static void test_ok_splits(void **state)
{
	const struct ok_row *row = *state;
	size_t n;
	char *in = join(row->body, row->after, &n);
	for (size_t k = 1; k < row->body.n; k++) {
		struct outcome o = feed(in, n, k);
		check_ok(row, &o);
	}
	free(in);
}

/* An incomplete body is not done and not an error: need more. */
struct more_row {
	const char *name;
	struct bytes body;
};

static struct more_row more_rows[] = {
	{ "nothing yet", B("") },
	{ "a size without its CRLF", B("5") },
	{ "a size and CR", B("5\r") },
	{ "part of the data", B("5\r\nhel") },
	{ "the data without its CRLF", B("5\r\nhello") },
	{ "the last chunk without the final CRLF", B("5\r\nhello\r\n0\r\n") },
	{ "a trailer line in progress", B("0\r\nX-A: 1") },
	{ "a trailer without the final CRLF", B("0\r\nX-A: 1\r\n") },
	{ "the final CR without LF", B("0\r\n\r") },
	{ "the largest size, 16 f's, waits for its data", B("ffffffffffffffff\r\nsome data") },
};

static void test_more(void **state)
{
	const struct more_row *row = *state;
	struct outcome o = feed(row->body.p, row->body.n, 0);
	if (o.failed)
		fail_msg("rejected: %s", o.error);
	assert_false(o.done);
	assert_int_equal(o.consumed, row->body.n);
	free(o.payload);
	o = feed(row->body.p, row->body.n, 1);
	assert_false(o.failed);
	assert_false(o.done);
	free(o.payload);
}

/* ==== Malformed bodies ==== */

struct bad_row {
	const char *name;
	struct bytes body;
	const char *why; /* a word of the decoder's error */
};

static struct bad_row bad_rows[] = {
	/* Size line. */
	{ "a chunk extension", B("5;ext=1\r\nhello\r\n0\r\n\r\n"), "extension" },
	{ "a bare extension name", B("5;x\r\nhello\r\n0\r\n\r\n"), "extension" },
	{ "an extension on the last chunk", B("5\r\nhello\r\n0;x=y\r\n\r\n"), "extension" },
	{ "a space after the size", B("5 \r\nhello\r\n0\r\n\r\n"), "size" },
	{ "a space before the size", B(" 5\r\nhello\r\n0\r\n\r\n"), "size" },
	{ "a space before an extension (BWS)", B("5 ;x\r\nhello\r\n0\r\n\r\n"), "size" },
	{ "a tab after the size", B("5\t\r\nhello\r\n0\r\n\r\n"), "size" },
	{ "a plus sign", B("+5\r\nhello\r\n0\r\n\r\n"), "size" },
	{ "a minus sign", B("-5\r\nhello\r\n0\r\n\r\n"), "size" },
	{ "a 0x prefix", B("0x5\r\nhello\r\n0\r\n\r\n"), "size" },
	{ "a non-hex digit", B("5g\r\nhello\r\n0\r\n\r\n"), "size" },
	{ "an empty size line", B("\r\nhello\r\n0\r\n\r\n"), "size" },
	{ "17 hex digits", B("00000000000000005\r\nhello\r\n0\r\n\r\n"), "too long" },
	{ "a size that would overflow 64 bits", B("10000000000000000\r\n"), "too long" },
	{ "bare LF after the size", B("5\nhello\r\n0\r\n\r\n"), "size" },
	{ "bare CR after the size", B("5\rhello\r\n0\r\n\r\n"), "CR" },
	{ "NUL in the size", B("5\0\r\nhello\r\n0\r\n\r\n"), "size" },
	/* After the data. */
	{ "missing CRLF after the data", B("5\r\nhello0\r\n\r\n"), "longer than its size" },
	{ "data longer than its size", B("3\r\nhello\r\n0\r\n\r\n"), "longer than its size" },
	{ "bare LF after the data", B("5\r\nhello\n0\r\n\r\n"), "longer than its size" },
	{ "bare CR after the data", B("5\r\nhello\r0\r\n\r\n"), "CR" },
	{ "LF CR after the data", B("5\r\nhello\n\r0\r\n\r\n"), NULL },
	/* Last chunk and trailer section. */
	{ "bare LF after the last chunk size", B("0\n\r\n"), "size" },
	{ "bare LF ending the body", B("0\r\n\n"), "trailer" },
	{ "bare CR ending the body", B("0\r\n\rX"), "CR" },
	{ "bare LF ending a trailer line", B("0\r\nX-A: 1\n\r\n"), "control" },
	{ "bare CR inside a trailer line", B("0\r\nX-A: 1\r2\r\n\r\n"), "CR" },
	{ "a trailer line without a colon", B("0\r\nX-Checksum abc\r\n\r\n"), "trailer" },
	{ "a trailer line with an empty name", B("0\r\n: abc\r\n\r\n"), "trailer" },
	{ "obs-fold in the trailer section", B("0\r\nX-A: 1\r\n 2\r\n\r\n"), "trailer" },
	{ "a control byte in a trailer value", B("0\r\nX-A: 1\x01" "2\r\n\r\n"), "control" },
	{ "NUL in a trailer value", B("0\r\nX-A: \0\r\n\r\n"), "control" },
	{ "DEL in a trailer value", B("0\r\nX-A: \x7f\r\n\r\n"), "control" },
	/* RFC 9112 §5.1 and §7.1.2: a trailer field is a field-line, and no
	 * whitespace is allowed between the field name and the colon. */
	{ "whitespace before the colon of a trailer field", B("0\r\nX-A : 1\r\n\r\n"), "trailer" },
};

static void run_bad(void **state, size_t step)
{
	const struct bad_row *row = *state;
	struct outcome o = feed(row->body.p, row->body.n, step);
	free(o.payload);
	if (!o.failed)
		fail_msg("accepted (%s after %zu of %zu bytes)", o.done ? "done" : "need more",
			 o.consumed, row->body.n);
	if (row->why != NULL && strstr(o.error, row->why) == NULL)
		fail_msg("reason '%s' does not mention '%s'", o.error, row->why);
}

static void test_bad_whole(void **state) { run_bad(state, 0); }
static void test_bad_bytewise(void **state) { run_bad(state, 1); }

/* ==== The trailer section is bounded ==== */

struct trailer_row {
	const char *name;
	size_t lines;      /* trailer field lines */
	size_t value_len;  /* value bytes per line */
	bool accepted;
};

static struct trailer_row trailer_rows[] = {
	{ "a 1 KB trailer field is accepted", 1, 1000, true },
	{ "a 5 KB trailer field is too large", 1, 5000, false },
	{ "ten 300-byte trailer fields (3 KB) are accepted", 10, 300, true },
	{ "a hundred 100-byte trailer fields (10 KB) are too large", 100, 100, false },
	{ "a 1 MB trailer field is too large", 1, 1 << 20, false },
};

static void test_trailer(void **state)
{
	const struct trailer_row *row = *state;
	size_t cap = 16 + row->lines * (row->value_len + 16);
	char *in = malloc(cap);
	assert_non_null(in);
	size_t o = (size_t)sprintf(in, "0\r\n");
	for (size_t i = 0; i < row->lines; i++) {
		o += (size_t)sprintf(in + o, "X-T%zu: ", i);
		memset(in + o, 'v', row->value_len);
		o += row->value_len;
		in[o++] = '\r';
		in[o++] = '\n';
	}
	in[o++] = '\r';
	in[o++] = '\n';
	struct outcome out = feed(in, o, 0);
	free(out.payload);
	free(in);
	if (row->accepted) {
		if (out.failed)
			fail_msg("rejected: %s", out.error);
		assert_true(out.done);
	} else {
		assert_true(out.failed);
		if (strstr(out.error, "too large") == NULL)
			fail_msg("reason '%s' does not say too large", out.error);
	}
}

/* A long chunk passes through in pieces as large as offered: data is never
 * copied or held back. */
static void test_large_chunk(void **state)
{
	(void)state;
	size_t n = 1 << 20;
	char *in = malloc(n + 64);
	assert_non_null(in);
	size_t o = (size_t)sprintf(in, "%zx\r\n", n);
	for (size_t i = 0; i < n; i++)
		in[o + i] = (char)(i * 31);
	o += n;
	o += (size_t)sprintf(in + o, "\r\n0\r\n\r\n");
	struct chunk_dec d;
	chunk_init(&d);
	struct span data;
	ssize_t r = chunk_decode(&d, in, o, &data);
	assert_int_equal(r, 8); /* the size line "100000\r\n" */
	assert_int_equal(data.n, 0);
	r = chunk_decode(&d, in + 8, o - 8, &data);
	assert_int_equal(r, n);
	assert_int_equal(data.n, n);
	assert_ptr_equal(data.p, in + 8);
	r = chunk_decode(&d, in + 8 + n, o - 8 - n, &data);
	assert_int_equal(r, 7);
	assert_true(chunk_done(&d));
	free(in);
}

struct state_row {
	const char *name;
	enum chunk_state state;
	const char *text;
};

static struct state_row state_rows[] = {
	{ "size", CHUNK_ST_SIZE, "size" },
	{ "data", CHUNK_ST_DATA, "data" },
	{ "trailer", CHUNK_ST_TRAILER, "trailer" },
	{ "done", CHUNK_ST_DONE, "done" },
};

static void test_state_name(void **state)
{
	const struct state_row *row = *state;
	assert_string_equal(chunk_state_name(row->state), row->text);
}

int main(void)
{
	for (size_t i = 0; i < N_ROWS(ok_rows); i++) {
		rows_add(test_ok_whole, &ok_rows[i], "valid body fed whole", ok_rows[i].name);
		rows_add(test_ok_bytewise, &ok_rows[i], "valid body fed byte by byte", ok_rows[i].name);
		rows_add(test_ok_splits, &ok_rows[i], "valid body split in two", ok_rows[i].name);
	}
	ROWS_ADD_EACH(test_more, more_rows, "incomplete body needs more");
	for (size_t i = 0; i < N_ROWS(bad_rows); i++) {
		rows_add(test_bad_whole, &bad_rows[i], "rejected fed whole", bad_rows[i].name);
		rows_add(test_bad_bytewise, &bad_rows[i], "rejected fed byte by byte", bad_rows[i].name);
	}
	ROWS_ADD_EACH(test_trailer, trailer_rows, "trailer limit");
	rows_add(test_large_chunk, NULL, "streaming", "a 1 MB chunk is one data span");
	ROWS_ADD_EACH(test_state_name, state_rows, "state name");
	return rows_run("chunk");
}

/* test_answer.c - dockgate's own answers: the JSON error responses and
 * their reason phrases. Every row is one cmocka test, named after the row.
 * Each answer is also read back with the response parser, since a client
 * has to parse it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rows.h"

#include "answer.h"
#include "buf.h"
#include "h1.h"

#define DEFAULT_HEAD_BYTES 65536

/* ==== answer_build: dockgate's own JSON answers ==== */

struct error_row {
	const char *name;
	int status;
	const char *msg;
	bool close;
	const char *status_line;
	const char *body;
};

static struct error_row error_rows[] = {
	{ "403 with the denial message", 403,
	  "dockgate: POST /v1.41/containers/create is denied (set CONTAINERS=1 and POST=1)", false,
	  "HTTP/1.1 403 Forbidden",
	  "{\"message\":\"dockgate: POST /v1.41/containers/create is denied (set CONTAINERS=1 and POST=1)\"}\n" },
	{ "400 and close", 400, "dockgate: malformed request", true,
	  "HTTP/1.1 400 Bad Request", "{\"message\":\"dockgate: malformed request\"}\n" },
	{ "431", 431, "too big", true, "HTTP/1.1 431 Request Header Fields Too Large",
	  "{\"message\":\"too big\"}\n" },
	{ "417", 417, "no", true, "HTTP/1.1 417 Expectation Failed", "{\"message\":\"no\"}\n" },
	{ "505", 505, "no", true, "HTTP/1.1 505 HTTP Version Not Supported", "{\"message\":\"no\"}\n" },
	{ "502 when the daemon is down", 502, "upstream unavailable", false, "HTTP/1.1 502 Bad Gateway",
	  "{\"message\":\"upstream unavailable\"}\n" },
	{ "an empty message", 403, "", false, "HTTP/1.1 403 Forbidden", "{\"message\":\"\"}\n" },
	{ "quotes and backslashes are escaped", 403, "a \"quoted\" C:\\path", false,
	  "HTTP/1.1 403 Forbidden", "{\"message\":\"a \\\"quoted\\\" C:\\\\path\"}\n" },
	{ "control bytes are escaped as \\u00XX", 400, "tab\there\nnl\rcr\x01\x1f\x7f", true,
	  "HTTP/1.1 400 Bad Request",
	  "{\"message\":\"tab\\u0009here\\u000anl\\u000dcr\\u0001\\u001f\\u007f\"}\n" },
	{ "UTF-8 passes through", 403, "caf\xc3\xa9", false, "HTTP/1.1 403 Forbidden",
	  "{\"message\":\"caf\xc3\xa9\"}\n" },
};

/* Checks a complete response: status line, JSON content type, a
 * Content-Length equal to the body, Connection: close iff asked, and the
 * body when given. */
static void check_error_response(const char *resp, size_t n, const char *status_line,
				 bool close, const char *body)
{
	const char *end = strstr(resp, "\r\n\r\n");
	assert_non_null(end);
	size_t head_len = (size_t)(end - resp) + 4;
	char head[1024];
	assert_true(head_len < sizeof head);
	memcpy(head, resp, head_len);
	head[head_len] = '\0';
	size_t sl = strlen(status_line);
	if (strncmp(head, status_line, sl) != 0 || strncmp(head + sl, "\r\n", 2) != 0)
		fail_msg("status line of:\n%s\nwant: %s", head, status_line);
	assert_non_null(strstr(head, "\r\nContent-Type: application/json\r\n"));
	const char *cl = strstr(head, "\r\nContent-Length: ");
	assert_non_null(cl);
	unsigned long len = strtoul(cl + 18, NULL, 10);
	assert_int_equal(len, n - head_len);
	assert_int_equal(strstr(head, "\r\nConnection: close\r\n") != NULL, close);
	/* The head itself must parse as a response. */
	struct h1_response rs;
	size_t scan = 0;
	assert_int_equal(h1_parse_response(resp, n, &scan, DEFAULT_HEAD_BYTES, false, &rs), head_len);
	assert_int_equal(rs.body, H1_BODY_LENGTH);
	assert_int_equal(rs.content_length, n - head_len);
	assert_int_equal(rs.keep_alive, !close);
	if (body != NULL) {
		if (n - head_len != strlen(body) || memcmp(resp + head_len, body, n - head_len) != 0)
			fail_msg("body: got '%.*s', want '%s'", (int)(n - head_len), resp + head_len, body);
	}
}

static void test_error(void **state)
{
	const struct error_row *row = *state;
	struct buf out;
	buf_init(&out, 4096);
	assert_int_equal(answer_build(&out, row->status, row->msg, row->close ? ANSWER_CLOSE : 0), 0);
	char *resp = strndup(buf_head(&out), buf_len(&out));
	size_t n = buf_len(&out);
	buf_release(&out);
	check_error_response(resp, n, row->status_line, row->close, row->body);
	free(resp);
}

/* A message too long for the body is cut, and what is sent stays one valid
 * JSON string with a matching Content-Length. */
static void test_error_long(void **state)
{
	(void)state;
	char msg[5000];
	for (size_t i = 0; i < sizeof msg - 1; i++)
		msg[i] = (i % 7 == 0) ? '"' : 'x';
	msg[sizeof msg - 1] = '\0';
	struct buf out;
	buf_init(&out, 8192);
	assert_int_equal(answer_build(&out, 403, msg, 0), 0);
	char *resp = strndup(buf_head(&out), buf_len(&out));
	size_t n = buf_len(&out);
	buf_release(&out);
	check_error_response(resp, n, "HTTP/1.1 403 Forbidden", false, NULL);
	const char *body = strstr(resp, "\r\n\r\n") + 4;
	assert_int_equal(strncmp(body, "{\"message\":\"", 12), 0);
	assert_int_equal(strcmp(resp + n - 3, "\"}\n"), 0);
	/* Inside the string every quote is escaped. */
	for (const char *p = body + 12; p < resp + n - 3; p++) {
		if (*p == '\\') {
			assert_true(p[1] == '"' || p[1] == '\\');
			p++;
		} else {
			assert_true(*p != '"');
		}
	}
	free(resp);
}

/* No room: -1 and nothing half-written. */
static void test_error_no_room(void **state)
{
	(void)state;
	struct buf out;
	buf_init(&out, 64);
	assert_int_equal(answer_build(&out, 403, "dockgate: denied", ANSWER_CLOSE), -1);
	assert_int_equal(buf_len(&out), 0);
	buf_release(&out);
}

/* The answer to HEAD (RFC 9110 §9.3.2): the very head the GET answer has,
 * Content-Length included, and not one byte of the body. */
static void test_error_head(void **state)
{
	/* The row is the extra flags, or NULL for none. */
	unsigned close = *state != NULL ? *(const unsigned *)*state : 0;
	struct buf full, head_only;
	buf_init(&full, 4096);
	buf_init(&head_only, 4096);
	assert_int_equal(answer_build(&full, 403, "dockgate: denied", close), 0);
	assert_int_equal(answer_build(&head_only, 403, "dockgate: denied", close | ANSWER_NO_BODY), 0);
	const char *end = memmem(buf_head(&full), buf_len(&full), "\r\n\r\n", 4);
	assert_non_null(end);
	size_t head_len = (size_t)(end - buf_head(&full)) + 4;
	assert_true(head_len < buf_len(&full));
	assert_int_equal(buf_len(&head_only), head_len);
	assert_memory_equal(buf_head(&head_only), buf_head(&full), head_len);
	struct h1_response rs;
	size_t scan = 0;
	assert_int_equal(h1_parse_response(buf_head(&head_only), buf_len(&head_only), &scan,
					   DEFAULT_HEAD_BYTES, true, &rs), head_len);
	assert_int_equal(rs.body, H1_BODY_NONE);
	assert_int_equal(rs.content_length, buf_len(&full) - head_len);
	assert_int_equal(rs.keep_alive, !close);
	buf_release(&full);
	buf_release(&head_only);
}

/* A buffer with room for exactly the answer takes it; one byte less
 * takes nothing. */
static void test_error_exact_room(void **state)
{
	(void)state;
	struct buf probe;
	buf_init(&probe, 4096);
	assert_int_equal(answer_build(&probe, 400, "dockgate: malformed request", ANSWER_CLOSE), 0);
	size_t need = buf_len(&probe);
	buf_release(&probe);
	struct buf exact, short_by_one;
	buf_init(&exact, need);
	buf_init(&short_by_one, need - 1);
	assert_int_equal(answer_build(&exact, 400, "dockgate: malformed request", ANSWER_CLOSE), 0);
	assert_int_equal(buf_len(&exact), need);
	assert_int_equal(answer_build(&short_by_one, 400, "dockgate: malformed request", ANSWER_CLOSE), -1);
	assert_int_equal(buf_len(&short_by_one), 0);
	buf_release(&exact);
	buf_release(&short_by_one);
}

struct reason_row {
	const char *name;
	int status;
	const char *reason;
};

static struct reason_row reason_rows[] = {
	{ "400", 400, "Bad Request" },
	{ "403", 403, "Forbidden" },
	{ "408", 408, "Request Timeout" },
	{ "413", 413, "Content Too Large" },
	{ "414", 414, "URI Too Long" },
	{ "417", 417, "Expectation Failed" },
	{ "431", 431, "Request Header Fields Too Large" },
	{ "502", 502, "Bad Gateway" },
	{ "503", 503, "Service Unavailable" },
	{ "505", 505, "HTTP Version Not Supported" },
	{ "404", 404, "Not Found" },
	{ "500", 500, "Internal Server Error" },
	{ "a status dockgate never sends", 418, "Error" },
};

static void test_reason(void **state)
{
	const struct reason_row *row = *state;
	assert_string_equal(answer_reason(row->status), row->reason);
}

int main(void)
{
	ROWS_ADD_EACH(test_error, error_rows, "error response");
	rows_add(test_error_long, NULL, "error response",
		 "an over-long message is cut and stays valid JSON");
	rows_add(test_error_no_room, NULL, "error response", "no room in the buffer is -1, nothing written");
	rows_add(test_error_exact_room, NULL, "error response",
		 "a buffer of exactly its size takes it, one byte less takes nothing");
	static unsigned with_close = ANSWER_CLOSE;
	rows_add(test_error_head, NULL, "error response to HEAD", "the same head and no body");
	rows_add(test_error_head, &with_close, "error response to HEAD",
		 "the same head and no body, with Connection: close");
	ROWS_ADD_EACH(test_reason, reason_rows, "reason phrase");
	return rows_run("answer");
}

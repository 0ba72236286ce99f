/* h1.h - HTTP/1.1 message heads (RFC 9112): strict parsing of request and
 * response heads, and rebuilding the request head that is forwarded.
 *
 * Both parsers are pure functions of (bytes, limits): no I/O, no clock, no
 * globals. They return > 0 (the length of the head, terminator included),
 * 0 (need more bytes) or -1 (reject; the struct says the status to answer
 * and a static reason). Parsed fields are spans into the caller's bytes,
 * valid as long as those bytes are. */
#ifndef DOCKGATE_H1_H
#define DOCKGATE_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "span.h"

struct buf;

enum h1_body {
	H1_BODY_NONE,    /* no body at all (no CL/TE, or a bodiless response) */
	H1_BODY_LENGTH,  /* Content-Length bytes follow */
	H1_BODY_CHUNKED, /* Transfer-Encoding: chunked */
	H1_BODY_CLOSE,   /* response only: the body runs until the peer closes */
};

/* The most header fields h1_build_request() handles (MAX_HEADERS is
 * capped at this in cfg.c): its per-head work space lives on the stack. */
#define H1_HEADERS_MAX 1000

struct h1_limits {
	size_t head_bytes; /* the whole head, request line to empty line */
	size_t headers;    /* header field lines */
};

struct h1_header {
	struct span name;
	struct span value; /* without leading/trailing whitespace */
};

struct h1_request {
	struct span method;
	struct span target; /* raw request-target, as received */
	int minor;          /* HTTP/1.<minor>: 0 or 1 */
	struct h1_header *headers; /* caller-provided, limits.headers entries */
	size_t n_headers;
	enum h1_body body;
	unsigned long long content_length;
	bool keep_alive;      /* persistence per RFC 9112 §9.3 */
	bool has_connection;  /* a Connection header was present */
	bool upgrade;         /* an Upgrade header was present */
	struct span upgrade_value;
	bool expect_continue; /* Expect: 100-continue */
	/* on -1: */
	int status;
	const char *error;
};

struct h1_response {
	int status;
	int minor;
	enum h1_body body;
	unsigned long long content_length;
	bool keep_alive;
	const char *error; /* on -1 */
};

/* Parses a request head at the start of p[0, n). scan is the caller's
 * search state for the end of the head: zero it before a new head, keep it
 * between calls for the same head. On -1, req->status is 400, 417, 431 or
 * 505 and req->error says why; the connection must then be closed. A
 * request-target longer than the head limit gets 431 like any big head. */
ssize_t h1_parse_request(const char *p, size_t n, size_t *scan,
			 const struct h1_limits *lim, struct h1_request *req);

/* Parses a response head, with the request's rules for Content-Length,
 * Transfer-Encoding and Connection. request_was_head says whether the
 * request was HEAD (its response never has a body, RFC 9110 §9.3.2). On
 * -1, resp->error says why; the daemon connection must then be closed. */
ssize_t h1_parse_response(const char *p, size_t n, size_t *scan,
			  size_t head_limit, bool request_was_head,
			  struct h1_response *resp);

enum h1_build_flags {
	/* The daemon connection outlives this client's request (it is pooled
	 * for other clients): a client's close is not passed on, since
	 * Connection is hop-by-hop (RFC 9110 §7.6.1). HTTP/1.0 stays as is. */
	H1_BUILD_KEEP_UPSTREAM = 1u,
};

/* Appends the head to forward for req: the request line as parsed, every
 * end-to-end header as "Name: value", and framing and connection headers
 * regenerated from what was parsed (never copied). Costs
 * O(head bytes x log(headers)), however many Connection options there are.
 * flags: enum h1_build_flags. 0, or -1 when out has no room, req has
 * more than H1_HEADERS_MAX headers or a malformed Connection value (which
 * a request h1_parse_request() accepted never has). */
int h1_build_request(const struct h1_request *req, unsigned flags, struct buf *out);

/* Appends a response head that h1_parse_response() accepted (n bytes,
 * the empty line included) with its Connection and Keep-Alive fields
 * replaced by "Connection: close": for a client that asked for the close
 * when the daemon connection stays open. 0, or -1 when out has no room. */
int h1_build_closing_head(const char *head, size_t n, struct buf *out);

/* RFC 9110 §5.6.2 tchar, and the bytes allowed in a field value (VCHAR,
 * obs-text, SP, HTAB): shared with the chunked trailer check. */
extern const unsigned char h1_byte_class[256];
static inline bool h1_is_tchar(unsigned char c)
{
	return h1_byte_class[c] & 1u;
}
static inline bool h1_is_field_byte(unsigned char c)
{
	return h1_byte_class[c] & 2u;
}

#endif

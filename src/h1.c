/* h1.c - strict HTTP/1.1 head parsing and request rebuilding (RFC 9112).
 *
 * The parsers accept only what a conforming client sends and reject every
 * form that two parsers could read differently: bare CR or LF, NUL and
 * other control bytes, obs-fold, whitespace before the colon, duplicate or
 * malformed Content-Length, any Transfer-Encoding but a single "chunked",
 * Content-Length with Transfer-Encoding, Transfer-Encoding in HTTP/1.0;
 * requests and responses alike. Nothing is repaired. */
#include "h1.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"

/* Byte classes, looked up once per byte in the hot loops instead of a
 * chain of comparisons: 1 = tchar (RFC 9110 §5.6.2), 2 = field byte
 * (field-vchar, obs-text, SP, HTAB; no other CTL, no DEL), 4 = a byte
 * valid_host() accepts. Generated from those definitions; test_h1 checks
 * every byte. */
const unsigned char h1_byte_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,  /* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x10 */
	2, 7, 2, 3, 7, 7, 7, 7, 6, 6, 7, 7, 2, 7, 7, 2,  /* 0x20 */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 2, 6, 2, 2,  /* 0x30 */
	2, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,  /* 0x40 */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 2, 6, 3, 7,  /* 0x50 */
	3, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,  /* 0x60 */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 2, 3, 2, 7, 0,  /* 0x70 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  /* 0x80 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  /* 0x90 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  /* 0xa0 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  /* 0xb0 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  /* 0xc0 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  /* 0xd0 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  /* 0xe0 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  /* 0xf0 */
};

/* Case-insensitive equality of a span of field bytes (a name, a token, a
 * value) with a lower-case literal of letters, digits and '-', eight
 * bytes at a time. OR-ing 0x20 maps exactly the upper-case letters onto
 * the lower-case ones there: the only other bytes it maps onto '-' or a
 * digit are control bytes, which a field never holds. */
static inline bool field_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.n != n)
		return false;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t a, b;
		memcpy(&a, s.p + i, 8);
		memcpy(&b, lit + i, 8);
		if ((a | 0x2020202020202020ull) != b)
			return false;
	}
	for (; i < n; i++)
		if (((unsigned char)s.p[i] | 0x20u) != (unsigned char)lit[i])
			return false;
	return true;
}

/* Skips field bytes, eight at a time while a word holds no control byte
 * and no DEL; the first such byte (a HTAB, the one control byte allowed,
 * or the CR ending the line) is found from the word's flags and the
 * byte-wise loop goes on from there. The head is known to end in CRLF
 * CRLF, so the scan stops inside it. */
static const char *skip_field_bytes(const char *p, const char *end)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	while (end - p >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		uint64_t below_space = (v - 0x20 * ones) & ~v & highs;
		uint64_t x = v ^ (0x7f * ones);
		uint64_t del = (x - ones) & ~x & highs;
		uint64_t flags = below_space | del;
		if (flags) {
			/* A borrow can flag a byte above a flagged one, never
			 * below it: the lowest flag is exact. Little-endian only,
			 * where the lowest byte is the first. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			p += __builtin_ctzll(flags) / 8;
#endif
			break;
		}
		p += 8;
	}
	while (p < end && h1_is_field_byte((unsigned char)*p))
		p++;
	return p;
}

/* Finds the CRLF CRLF ending a head, resuming the search at *scan: one
 * memchr per line. Returns the head length including the terminator, or 0
 * with *scan advanced. *bare_lf is set when a LF without its CR comes
 * first (RFC 9112 §2.2), so a request can be refused at once. */
static size_t find_head_end(const char *p, size_t n, size_t *scan, bool *bare_lf)
{
	size_t i = *scan;
	while (i < n) {
		const char *lf = memchr(p + i, '\n', n - i);
		if (lf == NULL)
			break;
		i = (size_t)(lf - p);
		if (i == 0 || p[i - 1] != '\r')
			*bare_lf = true;
		else if (i >= 3 && p[i - 2] == '\n' && p[i - 3] == '\r')
			return i + 1;
		i++;
	}
	*scan = n;
	return 0;
}

/* Parses one field line at *pp (which is inside a head already known to end
 * with CRLF CRLF). Returns 1 with *h set, 0 at the empty line ending the
 * head, -1 with *err set. Advances *pp past the line. */
static int parse_field_line(const char **pp, const char *end,
			    struct h1_header *h, const char **err)
{
	const char *p = *pp;
	if (p + 1 < end && p[0] == '\r' && p[1] == '\n') {
		*pp = p + 2;
		return 0;
	}
	if (*p == ' ' || *p == '\t') {
		*err = "obsolete line folding"; /* RFC 9112 §5.2 */
		return -1;
	}
	/* The head ends in CRLF CRLF and CR is no tchar: the scans below stop
	 * inside it without a bound check per byte. */
	const char *name = p;
	/* Four at a time: a look-ahead of three bytes past a tchar stays in
	 * the line or its CRLF. */
	while (h1_is_tchar((unsigned char)p[0]) && h1_is_tchar((unsigned char)p[1]) &&
	       h1_is_tchar((unsigned char)p[2]) && h1_is_tchar((unsigned char)p[3]))
		p += 4;
	while (h1_is_tchar((unsigned char)*p))
		p++;
	if (p == name || p >= end || *p != ':') {
		/* RFC 9112 §5.1: no whitespace between name and colon. */
		*err = (p < end && (*p == ' ' || *p == '\t'))
			       ? "whitespace before colon in header field"
			       : "malformed header field name";
		return -1;
	}
	h->name.p = name;
	h->name.n = (size_t)(p - name);
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *value = p;
	p = skip_field_bytes(p, end);
	if (p + 1 >= end || p[0] != '\r' || p[1] != '\n') {
		*err = "control byte, bare CR or bare LF in header field";
		return -1;
	}
	const char *vend = p;
	while (vend > value && (vend[-1] == ' ' || vend[-1] == '\t'))
		vend--;
	h->value.p = value;
	h->value.n = (size_t)(vend - value);
	*pp = p + 2;
	return 1;
}

/* Strict decimal for Content-Length: 1 to 18 digits, nothing else (no sign,
 * no list, no spaces). 0 or -1. */
static int parse_length(struct span v, unsigned long long *out)
{
	if (v.n == 0 || v.n > 18)
		return -1;
	unsigned long long x = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(v.p[i] - '0');
	}
	*out = x;
	return 0;
}

/* Host must be empty or a plausible uri-host[:port] (RFC 9110 §7.2): no
 * whitespace, no comma lists, no '@' userinfo, no '/'. Empty is what a
 * client sends for a target without authority (RFC 9112 §3.2), and the
 * 20.10 docker CLI does so on unix-socket hijacks. */
static bool valid_host(struct span v)
{
	if (v.n > 255)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		if (!(h1_byte_class[(unsigned char)v.p[i]] & 4u))
			return false;
	}
	return true;
}

/* ---- Framing and persistence: one set of rules for both directions ----
 * Content-Length, Transfer-Encoding and Connection mean the same in a
 * request and in a response (RFC 9112 §6.1-6.3, §9.3) and are read by the
 * same code: two readings of a head's framing are what request smuggling
 * and response splitting live on. The directions differ only where the
 * RFC makes them differ, in the callers:
 *   - with neither field a request has no body (§6.3 item 6), a response
 *     runs until the daemon closes (item 7, H1_BODY_CLOSE);
 *   - a response to HEAD and a 1xx, 204 or 304 response have no body
 *     whatever their framing fields say (item 1), but a malformed field is
 *     still refused: the daemon and dockgate would disagree on the stream;
 *   - a refusal is 400 to a client, 502 for the daemon (conn.c).
 * What the RFC lets a recipient repair (a repeated equal Content-Length,
 * a "5, 5" list) is refused both ways: nothing is fixed up and passed on. */

/* What the framing and connection fields of one head said. */
struct framing {
	bool seen_cl;         /* a Content-Length field, value in content_length */
	bool seen_te;         /* a Transfer-Encoding field: chunked */
	bool close;           /* Connection lists "close" */
	bool keep_alive;      /* Connection lists "keep-alive" */
	bool has_connection;  /* a Connection field was present */
	unsigned long long content_length;
};

/* The next option of a Connection value v (RFC 9110 §7.6.1, a list of
 * tokens; §5.6.1, empty elements allowed) from *at: 1 with *tok set, 0 at
 * the end of the list, -1 when the list is malformed. The one reading of
 * Connection, for persistence in both directions and for the headers a
 * request's options name: a second, looser one (every run of tchar is an
 * option) would let "x-a;x-b" name two headers there and be malformed
 * here. The stricter rule holds: an element is a token with optional
 * whitespace around it; a quoted string, a ';' parameter or two tokens
 * with only whitespace between them make the whole value malformed. */
static inline int next_connection_option(struct span v, size_t *at, struct span *tok)
{
	size_t i = *at;
	while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
		i++;
	if (i == v.n) {
		*at = i;
		return 0;
	}
	size_t start = i;
	while (i < v.n && h1_is_tchar((unsigned char)v.p[i]))
		i++;
	tok->p = v.p + start;
	tok->n = i - start;
	while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
		i++;
	/* An empty token here is a byte that is neither tchar nor separator. */
	if (tok->n == 0 || (i < v.n && v.p[i] != ','))
		return -1;
	*at = i;
	return 1;
}

/* Records the persistence options of a Connection value. 0 or -1. */
static int framing_connection(struct framing *f, struct span v)
{
	struct span tok;
	size_t at = 0;
	int r;
	while ((r = next_connection_option(v, &at, &tok)) == 1) {
		if (field_is(tok, "close"))
			f->close = true;
		else if (field_is(tok, "keep-alive"))
			f->keep_alive = true;
	}
	f->has_connection = true;
	return r;
}

static int framing_field_named(struct framing *f, const struct h1_header *h, const char **err)
{
	if (field_is(h->name, "content-length")) {
		/* RFC 9112 §6.3: differing or repeated lengths are fatal; even
		 * identical repeats are, see above. */
		if (f->seen_cl || parse_length(h->value, &f->content_length)) {
			*err = "invalid or repeated Content-Length";
			return -1;
		}
		f->seen_cl = true;
	} else if (field_is(h->name, "transfer-encoding")) {
		/* One "chunked" and nothing else: chunked is the only coding
		 * whose end we can find (RFC 9112 §6.3 item 4), and a list
		 * ("gzip, chunked") is a coding we would pass on undecoded. */
		if (f->seen_te || !field_is(h->value, "chunked")) {
			*err = "Transfer-Encoding other than one chunked";
			return -1;
		}
		f->seen_te = true;
	} else if (field_is(h->name, "connection")) {
		if (framing_connection(f, h->value)) {
			*err = "malformed Connection header";
			return -1;
		}
	} else {
		return 0;
	}
	return 1;
}

/* Takes in h when it is a framing or connection field: 1 when it was one, 0
 * for another, -1 with *err set (a static string) when it is malformed or
 * repeated. Inline, a test of the name's length first: most fields are none. */
static inline int framing_field(struct framing *f, const struct h1_header *h, const char **err)
{
	bool framing_length = h->name.n < 32 && ((1u << 14 | 1u << 17 | 1u << 10) >> h->name.n & 1u);
	return framing_length ? framing_field_named(f, h, err) : 0;
}

/* Judges the framing fields together once the head is complete: NULL, or
 * (a static string) why the message must be refused. minor: the 1.x of
 * the message. */
static const char *framing_check(const struct framing *f, int minor)
{
	/* RFC 9112 §6.1: both framings at once "might indicate an attempt to
	 * perform request smuggling or response splitting". */
	if (f->seen_cl && f->seen_te)
		return "both Content-Length and Transfer-Encoding";
	/* RFC 9112 §6.1: HTTP/1.0 has no chunked coding, and a recipient
	 * "MUST treat the message as if the framing is faulty": an HTTP/1.0
	 * hop may have passed chunked bytes on as the body. */
	if (f->seen_te && minor == 0)
		return "Transfer-Encoding in an HTTP/1.0 message";
	return NULL;
}

/* The body a message framing_check() accepted carries (RFC 9112 §6.3
 * items 3 to 5); unframed is what a message without either field carries,
 * the one rule in which requests and responses differ. */
static enum h1_body framing_body(const struct framing *f, enum h1_body unframed)
{
	if (f->seen_te)
		return H1_BODY_CHUNKED;
	if (f->seen_cl)
		return H1_BODY_LENGTH;
	return unframed;
}

/* RFC 9112 §9.3: HTTP/1.1 persists unless "close" is listed; HTTP/1.0
 * only when "keep-alive" is listed and "close" is not. */
static bool framing_keep_alive(const struct framing *f, int minor)
{
	return minor == 1 ? !f->close : (f->keep_alive && !f->close);
}

static ssize_t reject(struct h1_request *req, int status, const char *why)
{
	req->status = status;
	req->error = why;
	return -1;
}

/* Parses "METHOD SP target SP HTTP/1.x CRLF". Returns the line length or
 * -1 via reject(). */
static ssize_t parse_request_line(const char *p, const char *end,
				  struct h1_request *req)
{
	const char *s = p;
	while (s < end && *s >= 'A' && *s <= 'Z')
		s++;
	/* Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET. */
	if (s == p || s - p > 20 || s >= end || *s != ' ')
		return reject(req, 400, "malformed method");
	req->method.p = p;
	req->method.n = (size_t)(s - p);
	const char *t = ++s;
	while (s < end && (unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f)
		s++;
	if (s == t || s >= end || *s != ' ')
		return reject(req, 400, "malformed request-target");
	req->target.p = t;
	req->target.n = (size_t)(s - t);
	s++;
	if (end - s < 10 || memcmp(s, "HTTP/", 5) != 0)
		return reject(req, 400, "malformed HTTP version");
	if (s[5] != '1' || s[6] != '.' || (s[7] != '0' && s[7] != '1')) {
		bool digits = s[5] >= '0' && s[5] <= '9' && s[6] == '.' &&
			      s[7] >= '0' && s[7] <= '9';
		return reject(req, digits ? 505 : 400, "unsupported HTTP version");
	}
	req->minor = s[7] - '0';
	if (s[8] != '\r' || s[9] != '\n')
		return reject(req, 400, "malformed request line");
	return (s + 10) - p;
}

/* Applies the meaning of a request field that is not about framing (see
 * framing_field()): Host, Upgrade, Expect, which a response does not
 * carry or dockgate does not read in one. 0 or -1 via reject(). */
static int request_field(struct h1_request *req, const struct h1_header *h,
			 unsigned *hosts)
{
	if (field_is(h->name, "host")) {
		if (++*hosts > 1 || !valid_host(h->value))
			return (int)reject(req, 400, "invalid or repeated Host");
	} else if (field_is(h->name, "upgrade")) {
		if (req->upgrade || h->value.n == 0)
			return (int)reject(req, 400, "invalid or repeated Upgrade");
		req->upgrade = true;
		req->upgrade_value = h->value;
	} else if (field_is(h->name, "expect")) {
		/* RFC 9110 §10.1.1: an expectation we cannot meet is 417. */
		if (!field_is(h->value, "100-continue"))
			return (int)reject(req, 417, "unsupported expectation");
		req->expect_continue = true;
	}
	return 0;
}

/* Parses the field lines of a request head from cur to end (the empty
 * line included) into req and judges them. 0 or -1 via reject(). */
static int parse_request_fields(const char *cur, const char *end,
				const struct h1_limits *lim, struct h1_request *req)
{
	struct framing f = { 0 };
	unsigned hosts = 0;
	for (;;) {
		struct h1_header h;
		const char *err = NULL;
		int r = parse_field_line(&cur, end, &h, &err);
		if (r == 0)
			break;
		if (r < 0)
			return (int)reject(req, 400, err);
		if (req->n_headers == lim->headers)
			return (int)reject(req, 431, "too many header fields");
		req->headers[req->n_headers++] = h;
		r = framing_field(&f, &h, &err);
		if (r < 0)
			return (int)reject(req, 400, err);
		if (r == 0 && request_field(req, &h, &hosts))
			return -1;
	}
	const char *bad_framing = framing_check(&f, req->minor);
	if (bad_framing != NULL)
		return (int)reject(req, 400, bad_framing);
	/* RFC 9112 §3.2: exactly one Host in HTTP/1.1. */
	if (req->minor == 1 && hosts == 0)
		return (int)reject(req, 400, "missing Host header");
	/* RFC 9112 §6.3 item 6: a request without framing has no body. */
	req->body = framing_body(&f, H1_BODY_NONE);
	req->content_length = f.content_length;
	req->keep_alive = framing_keep_alive(&f, req->minor);
	req->has_connection = f.has_connection;
	return 0;
}

ssize_t h1_parse_request(const char *p, size_t n, size_t *scan,
			 const struct h1_limits *lim, struct h1_request *req)
{
	struct h1_header *headers = req->headers;
	memset(req, 0, sizeof *req);
	req->headers = headers;
	/* Reject garbage at once instead of waiting for a head that never
	 * ends: a request starts with an upper-case method. */
	if (n > 0 && !(p[0] >= 'A' && p[0] <= 'Z'))
		return reject(req, 400, "request does not start with a method");
	/* A bare LF would otherwise hold the connection until a limit hits:
	 * answer it as soon as it arrives. Only the head is scanned; body
	 * bytes after it are not ours to judge here. */
	bool bare_lf = false;
	size_t head_len = find_head_end(p, n, scan, &bare_lf);
	if (bare_lf)
		return reject(req, 400, "bare LF in request head");
	if (head_len == 0)
		return n >= lim->head_bytes ? reject(req, 431, "request head too large") : 0;
	if (head_len > lim->head_bytes)
		return reject(req, 431, "request head too large");
	const char *end = p + head_len;
	ssize_t line = parse_request_line(p, end, req);
	if (line < 0)
		return -1;
	if (parse_request_fields(p + line, end, lim, req) == -1)
		return -1;
	return (ssize_t)head_len;
}

/* Parses "HTTP/1.x SP 3DIGIT SP reason CRLF". Line length or -1. */
static ssize_t parse_status_line(const char *p, const char *end,
				 struct h1_response *resp)
{
	if (end - p < 14 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ' || p[12] != ' ')
		return -1;
	int status = 0;
	for (int i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		status = status * 10 + (p[i] - '0');
	}
	if (status < 100)
		return -1;
	resp->status = status;
	resp->minor = p[7] - '0';
	const char *s = p + 13;
	while (s < end && h1_is_field_byte((unsigned char)*s))
		s++;
	if (s + 1 >= end || s[0] != '\r' || s[1] != '\n')
		return -1;
	return (s + 2) - p;
}

/* Parses the field lines of a response head from cur to end (the empty
 * line included) and sets resp's framing and persistence. 0, or -1 with
 * resp->error set. */
static int parse_response_fields(const char *cur, const char *end,
				 bool request_was_head, struct h1_response *resp)
{
	struct framing f = { 0 };
	for (;;) {
		struct h1_header h;
		int r = parse_field_line(&cur, end, &h, &resp->error);
		if (r == 0)
			break;
		/* Every other field of a response is passed on as it came. */
		if (r < 0 || framing_field(&f, &h, &resp->error) < 0)
			return -1;
	}
	resp->error = framing_check(&f, resp->minor);
	if (resp->error != NULL)
		return -1;
	resp->content_length = f.content_length;
	/* RFC 9112 §6.3 item 1, RFC 9110 §6.4.1: these never carry content. */
	bool bodiless = resp->status < 200 || resp->status == 204 ||
			resp->status == 304 || request_was_head;
	resp->body = bodiless ? H1_BODY_NONE : framing_body(&f, H1_BODY_CLOSE);
	resp->keep_alive = framing_keep_alive(&f, resp->minor);
	return 0;
}

ssize_t h1_parse_response(const char *p, size_t n, size_t *scan,
			  size_t head_limit, bool request_was_head,
			  struct h1_response *resp)
{
	memset(resp, 0, sizeof *resp);
	/* A bare LF inside the head fails the line parsers below. */
	bool bare_lf = false;
	size_t head_len = find_head_end(p, n, scan, &bare_lf);
	if (head_len == 0 || head_len > head_limit) {
		if (head_len == 0 && n < head_limit)
			return 0;
		resp->error = "response head too large";
		return -1;
	}
	const char *end = p + head_len;
	ssize_t line = parse_status_line(p, end, resp);
	if (line < 0) {
		resp->error = "malformed status line";
		return -1;
	}
	if (parse_response_fields(p + line, end, request_was_head, resp) == -1)
		return -1;
	return (ssize_t)head_len;
}

/* Headers that describe one hop and are regenerated, never forwarded as
 * received (RFC 9110 §7.6.1). */
static bool is_hop_by_hop(struct span name)
{
	/* Literals, not a table: field_is() then knows each length. */
	return field_is(name, "connection") || field_is(name, "keep-alive") ||
	       field_is(name, "proxy-connection") || field_is(name, "te") ||
	       field_is(name, "trailer") || field_is(name, "transfer-encoding") ||
	       field_is(name, "upgrade") || field_is(name, "content-length");
}

/* Bit min(len, 63) for a name of len bytes: a token whose length no
 * header name has is skipped without a search. */
static uint64_t length_bit(size_t len)
{
	return 1ull << (len < 63 ? len : 63);
}

/* Restores the heap property below root in idx[0, n) (by header name). */
static void sift_down(const struct h1_header *hs, uint16_t *idx, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && span_cmp_nocase(hs[idx[child]].name, hs[idx[child + 1]].name) < 0)
			child++;
		if (span_cmp_nocase(hs[idx[root]].name, hs[idx[child]].name) >= 0)
			return;
		uint16_t t = idx[root];
		idx[root] = idx[child];
		idx[child] = t;
		root = child;
	}
}

/* Heapsort: n log n comparisons whatever the names, no allocation (glibc's
 * qsort may call malloc). */
static void sort_by_name(const struct h1_header *hs, uint16_t *idx, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(hs, idx, i, n);
	for (size_t end = n; end-- > 1;) {
		uint16_t t = idx[0];
		idx[0] = idx[end];
		idx[end] = t;
		sift_down(hs, idx, 0, end);
	}
}

/* The first position in the sorted idx[0, n) whose name is not below tok
 * (equal names are adjacent, so this is where a run of them starts). */
static size_t lower_bound(const struct h1_header *hs, const uint16_t *idx, size_t n,
			  struct span tok)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (span_cmp_nocase(hs[idx[mid]].name, tok) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Sets drop[i] for every header i that a Connection header of req lists
 * as a connection option: such a field belongs to this hop and must go
 * (RFC 9110 §7.6.1). The options are read by next_connection_option(),
 * as the parser read them. The names are sorted once and each option is
 * found by binary search, and a name is flagged once however often it is
 * named, so a Connection list of many thousand options against many
 * headers costs (options + headers) x log(headers), never options x
 * headers. idx and hit have room for req->n_headers entries. 0, or -1
 * when a Connection value is malformed, which a request that
 * h1_parse_request() accepted never has. */
static int mark_connection_options(const struct h1_request *req, uint16_t *idx,
				   bool *hit, bool *drop)
{
	const struct h1_header *hs = req->headers;
	size_t n = req->n_headers;
	uint64_t lengths = 0;
	for (size_t i = 0; i < n; i++) {
		idx[i] = (uint16_t)i;
		hit[i] = drop[i] = false;
		lengths |= length_bit(hs[i].name.n);
	}
	sort_by_name(hs, idx, n);
	for (size_t i = 0; i < n; i++) {
		if (!field_is(hs[i].name, "connection"))
			continue;
		struct span tok;
		size_t at = 0;
		int r;
		while ((r = next_connection_option(hs[i].value, &at, &tok)) == 1) {
			if (!(lengths & length_bit(tok.n)))
				continue;
			size_t pos = lower_bound(hs, idx, n, tok);
			if (pos < n && span_cmp_nocase(hs[idx[pos]].name, tok) == 0)
				hit[pos] = true; /* pos is the first of its run */
		}
		if (r < 0)
			return -1;
	}
	/* Spread each run's flag from its first position to the whole run. */
	bool flag = false;
	for (size_t k = 0; k < n; k++) {
		if (k == 0 || span_cmp_nocase(hs[idx[k - 1]].name, hs[idx[k]].name) != 0)
			flag = hit[k];
		drop[idx[k]] = flag;
	}
	return 0;
}

/* The forwarded head is written straight into the output buffer's free
 * space; any overflow fails the whole head. */
struct head_out {
	char *p, *end;
	bool overflow;
};

static void put(struct head_out *o, const char *s, size_t n)
{
	if (o->overflow || n > (size_t)(o->end - o->p)) {
		o->overflow = true;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

static void put_str(struct head_out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_decimal(struct head_out *o, unsigned long long v)
{
	char digits[24];
	size_t i = sizeof digits;
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	put(o, digits + i, sizeof digits - i);
}

/* Puts the framing and connection fields of the forwarded head, made
 * from what was parsed: Content-Length or Transfer-Encoding, one
 * Connection line with every option that applies, and Upgrade. */
static void put_regenerated_fields(struct head_out *o, const struct h1_request *req,
				   unsigned flags)
{
	if (req->body == H1_BODY_LENGTH) {
		put_str(o, "Content-Length: ");
		put_decimal(o, req->content_length);
		put(o, "\r\n", 2);
	} else if (req->body == H1_BODY_CHUNKED) {
		put_str(o, "Transfer-Encoding: chunked\r\n");
	}
	bool close = req->minor == 1 && !req->keep_alive && !(flags & H1_BUILD_KEEP_UPSTREAM);
	bool keep = req->minor == 0 && req->keep_alive;
	if (req->upgrade || close || keep) {
		put_str(o, "Connection: ");
		if (req->upgrade)
			put_str(o, (close || keep) ? "Upgrade, " : "Upgrade");
		if (close || keep)
			put_str(o, close ? "close" : "keep-alive");
		put(o, "\r\n", 2);
	}
	if (req->upgrade) {
		put_str(o, "Upgrade: ");
		put(o, req->upgrade_value.p, req->upgrade_value.n);
		put(o, "\r\n", 2);
	}
}

int h1_build_request(const struct h1_request *req, unsigned flags, struct buf *out)
{
	size_t room;
	char *start = buf_reserve(out, &room);
	if (start == NULL)
		return -1;
	/* Which headers Connection names, found once for the whole head. */
	uint16_t idx[H1_HEADERS_MAX];
	bool hit[H1_HEADERS_MAX], drop[H1_HEADERS_MAX];
	if (req->n_headers > H1_HEADERS_MAX)
		return -1;
	if (req->has_connection && mark_connection_options(req, idx, hit, drop) == -1)
		return -1;
	struct head_out o = { start, start + room, false };
	put(&o, req->method.p, req->method.n);
	put(&o, " ", 1);
	put(&o, req->target.p, req->target.n);
	put_str(&o, req->minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct h1_header *h = &req->headers[i];
		/* Host stays whatever Connection says: without it an HTTP/1.1
		 * request is invalid (RFC 9112 §3.2). */
		if (is_hop_by_hop(h->name) ||
		    (req->has_connection && drop[i] && !field_is(h->name, "host")))
			continue;
		put(&o, h->name.p, h->name.n);
		put(&o, ": ", 2);
		put(&o, h->value.p, h->value.n);
		put(&o, "\r\n", 2);
	}
	put_regenerated_fields(&o, req, flags);
	put(&o, "\r\n", 2);
	if (o.overflow)
		return -1;
	buf_commit(out, (size_t)(o.p - start));
	return 0;
}

int h1_build_closing_head(const char *head, size_t n, struct buf *out)
{
	size_t room;
	char *start = buf_reserve(out, &room);
	if (start == NULL)
		return -1;
	struct head_out o = { start, start + room, false };
	/* The head was parsed strictly: every line ends in CRLF and the last
	 * line is empty. */
	const char *end = head + n - 2;
	const char *line = head;
	bool first = true;
	while (line < end) {
		const char *lf = memchr(line, '\n', (size_t)(end - line));
		size_t len = (size_t)(lf - line) + 1;
		const char *colon = first ? NULL : memchr(line, ':', len);
		struct span name = { line, colon ? (size_t)(colon - line) : 0 };
		if (first || !(field_is(name, "connection") || field_is(name, "keep-alive")))
			put(&o, line, len);
		first = false;
		line += len;
	}
	put_str(&o, "Connection: close\r\n\r\n");
	if (o.overflow)
		return -1;
	buf_commit(out, (size_t)(o.p - start));
	return 0;
}

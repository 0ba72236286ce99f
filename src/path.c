/* path.c - request-target checks; see path.h for why.
 *
 * Order matters: the raw target is checked character by character first
 * (RFC 3986 pchar only), then the path is percent-decoded once, exactly as
 * Go's net/http does, and the decoded form is checked for everything that
 * would make gorilla/mux clean, redirect or split it differently. */
#include "path.h"

#include <stdbool.h>
#include <string.h>

/* Byte classes of a request-target: PATH_PCHAR is RFC 3986 pchar minus
 * '%' (checked separately): unreserved, sub-delims, ':' and '@'.
 * PATH_QJSON is '"', '[', ']', '{' and '}', allowed in a query only:
 * clients that write a JSON filter by hand send it unencoded (curl in
 * docker-autoheal: ?filters={"health":["unhealthy"]}), Go's server takes
 * it as it is, and in a query they separate nothing. The table is written
 * out so that a path costs one load per byte; tests/unit/test_path.c
 * checks it against that definition, byte by byte, through path_check(). */
enum { PATH_PCHAR = 1, PATH_SLASH = 2, PATH_QMARK = 4, PATH_QJSON = 8 };
static const unsigned char target_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x10 */
	0, 1, 8, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2,  /* 0x20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 4,  /* 0x30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 0x40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 0, 8, 0, 1,  /* 0x50 */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 0x60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 0, 8, 1, 0,  /* 0x70 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x80 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x90 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xa0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xb0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xc0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xd0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xe0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xf0 */
};

static int fail(struct path_info *info, const char *why)
{
	info->error = why;
	return -1;
}

/* Checks the raw query: pchar, '/', '?', JSON's brackets and quote, and
 * valid escapes. */
static int check_query(struct span q, struct path_info *info)
{
	for (size_t i = 0; i < q.n; i++) {
		unsigned char c = (unsigned char)q.p[i];
		if (c == '%') {
			if (i + 2 >= q.n || span_hex_byte(q.p + i + 1) < 0)
				return fail(info, "invalid percent-escape in query");
			i += 2;
		} else if (!(target_class[c] & (PATH_PCHAR | PATH_SLASH | PATH_QMARK | PATH_QJSON))) {
			return fail(info, "invalid character in query");
		}
	}
	return 0;
}

/* A segment between two '/' (or after the last one, when final is set)
 * that path.Clean would change: empty, "." or "..". Clean keeps one
 * trailing '/', and so do we: the daemon routes "/debug/pprof/" exactly
 * so, and elsewhere it matches no route (404) without changing which
 * section the path is in. */
static const char *unclean_segment(const char *seg, size_t len, bool final)
{
	if (len == 0)
		return final ? NULL : "empty path segment";
	if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
		return "dot segment in path";
	return NULL;
}

/* Decodes the raw path once into out, in one pass that also checks each
 * segment: the decoded path must already be what path.Clean returns, or
 * the daemon answers a redirect instead. Escapes that decode to '/', '.',
 * control bytes or DEL are refused: they either change the segment
 * structure the daemon routes on or have no use in any Docker path (so
 * segments can be judged as they are copied). */
static int decode_path(struct span raw, char *out, size_t *out_n,
		       struct path_info *info)
{
	size_t o = 0, seg = 1; /* where in out the current segment starts */
	for (size_t i = 0; i < raw.n; i++) {
		unsigned char c = (unsigned char)raw.p[i];
		if (c == '/') {
			const char *why = i > 0 ? unclean_segment(out + seg, o - seg, false) : NULL;
			if (why != NULL)
				return fail(info, why);
			out[o++] = '/';
			seg = o;
			continue;
		}
		if (target_class[c] & PATH_PCHAR) {
			out[o++] = (char)c;
			continue;
		}
		if (c != '%')
			return fail(info, "invalid character in path");
		int escaped = i + 2 < raw.n ? span_hex_byte(raw.p + i + 1) : -1;
		if (escaped < 0)
			return fail(info, "invalid percent-escape in path");
		unsigned char d = (unsigned char)escaped;
		if (d == '/' || d == '.')
			return fail(info, "encoded '/' or '.' in path");
		if (d < 0x20 || d == 0x7f)
			return fail(info, "encoded control byte in path");
		out[o++] = (char)d;
		i += 2;
	}
	const char *why = unclean_segment(out + seg, o - seg, true);
	if (why != NULL)
		return fail(info, why);
	*out_n = o;
	return 0;
}

/* Parses "/vMAJOR.MINOR" or "/vMAJOR.MINOR.PATCH" as the first segment.
 * The daemon's route accepts any "v[0-9.]+" (Podman's any
 * "v[0-9][0-9A-Za-z.-]*"); we accept only the forms real clients send,
 * Docker's "/v1.41" and the libpod API's "/v4.0.0", and refuse the other
 * digits-and-dots forms, so "/v1..2/x" is never judged as something else.
 * A patch part is checked and ignored. Returns the prefix length (0 when
 * the segment is not version-like) or -1. */
static int parse_version(struct span path, struct path_info *info)
{
	size_t seg_end = 1;
	while (seg_end < path.n && path.p[seg_end] != '/')
		seg_end++;
	if (seg_end < 3 || path.p[1] != 'v')
		return 0;
	for (size_t i = 2; i < seg_end; i++)
		if (!(path.p[i] == '.' || (path.p[i] >= '0' && path.p[i] <= '9')))
			return 0;
	unsigned part[3] = { 0, 0, 0 };
	size_t digits[3] = { 0, 0, 0 };
	int k = 0;
	for (size_t i = 2; i < seg_end; i++) {
		if (path.p[i] == '.') {
			if (++k > 2)
				return fail(info, "malformed API version prefix");
			continue;
		}
		if (++digits[k] > 4)
			return fail(info, "malformed API version prefix");
		part[k] = part[k] * 10 + (unsigned)(path.p[i] - '0');
	}
	if (k == 0 || digits[0] == 0 || digits[1] == 0 || (k == 2 && digits[2] == 0))
		return fail(info, "malformed API version prefix");
	info->versioned = true;
	info->api_major = part[0];
	info->api_minor = part[1];
	return (int)seg_end;
}

int path_check(struct span target, char *scratch, size_t scratch_len,
	       struct path_info *info)
{
	memset(info, 0, sizeof *info);
	/* RFC 9112 §3.2: only origin-form; absolute-form and authority-form
	 * would let the daemon take the path from somewhere we did not look. */
	if (target.n == 0 || target.p[0] != '/')
		return fail(info, "request-target is not origin-form");
	if (scratch_len < target.n)
		return fail(info, "request-target too long");
	const char *q = memchr(target.p, '?', target.n);
	struct span raw = { target.p, q ? (size_t)(q - target.p) : target.n };
	if (q != NULL) {
		info->query.p = q + 1;
		info->query.n = target.n - raw.n - 1;
		if (check_query(info->query, info))
			return -1;
	}
	size_t n = 0;
	if (decode_path(raw, scratch, &n, info))
		return -1;
	info->path.p = scratch;
	info->path.n = n;
	int prefix = parse_version(info->path, info);
	if (prefix < 0)
		return -1;
	info->rest.p = scratch + prefix;
	info->rest.n = n - (size_t)prefix;
	if (info->rest.n == 0) {
		info->rest.p = "/";
		info->rest.n = 1;
	}
	const char *seg = info->rest.p + 1;
	const char *seg_end = memchr(seg, '/', info->rest.n - 1);
	info->section.p = seg;
	info->section.n = seg_end ? (size_t)(seg_end - seg) : info->rest.n - 1;
	return 0;
}

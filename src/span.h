/* span.h - a view into bytes owned by someone else (usually a connection
 * buffer). Parsers return spans so that nothing is copied until it must
 * outlive the buffer. */
#ifndef DOCKGATE_SPAN_H
#define DOCKGATE_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct span {
	const char *p;
	size_t n;
};

/* True when the span holds exactly the NUL-terminated string s. */
static inline bool span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	/* An empty span may have p == NULL, which memcmp must never see. */
	return s.n == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

/* Orders two spans ignoring ASCII case (RFC 9110 §5.1: field names and
 * tokens are case-insensitive; they are ASCII, so this is all the folding
 * there is, without the locale machinery of strncasecmp): shorter first,
 * then bytewise on the folded bytes. < 0, 0 or > 0. Length first settles
 * most comparisons at once and still makes equal spans adjacent when
 * sorted, which is all h1.c's Connection matching needs. */
static inline int span_cmp_nocase(struct span a, struct span b)
{
	if (a.n != b.n)
		return a.n < b.n ? -1 : 1;
	for (size_t i = 0; i < a.n; i++) {
		unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[i];
		if (x >= 'A' && x <= 'Z')
			x |= 0x20;
		if (y >= 'A' && y <= 'Z')
			y |= 0x20;
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/* True when two spans are equal ignoring ASCII case. */
static inline bool span_eq_nocase(struct span a, struct span b)
{
	return span_cmp_nocase(a, b) == 0;
}

/* The value of a hexadecimal digit, either case, or -1 for any other
 * byte: for chunk sizes and percent-escapes alike. */
static inline int span_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte that the two hexadecimal digits at p spell (a percent-escape
 * "%XY" without its '%', RFC 3986 §2.1), or -1 when either is no hex
 * digit. p must hold two bytes. */
static inline int span_hex_byte(const char *p)
{
	int high = span_hex_value((unsigned char)p[0]);
	int low = span_hex_value((unsigned char)p[1]);
	return high < 0 || low < 0 ? -1 : high << 4 | low;
}

#endif

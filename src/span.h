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

/* True when the span equals s ignoring ASCII case (header names, tokens).
 * Inline, so that the length of a literal is known and a span of another
 * length costs one comparison. */
static inline bool span_eq_nocase(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)s.p[i], l = (unsigned char)lit[i];
		if (a >= 'A' && a <= 'Z')
			a |= 0x20;
		if (l >= 'A' && l <= 'Z')
			l |= 0x20;
		if (a != l)
			return false;
	}
	return true;
}

#endif

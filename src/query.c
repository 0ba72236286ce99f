/* query.c - query strings as the daemon reads them; see query.h. */
#include "query.h"

#include <string.h>

bool query_next(struct span q, size_t *at, struct span *key, struct span *value)
{
	if (*at > q.n || q.n == 0)
		return false;
	const char *p = q.p + *at;
	const char *end = memchr(p, '&', q.n - *at);
	size_t n = end ? (size_t)(end - p) : q.n - *at;
	*at += n + 1;
	const char *eq = memchr(p, '=', n);
	*key = (struct span){ p, eq ? (size_t)(eq - p) : n };
	*value = eq ? (struct span){ eq + 1, n - key->n - 1 } : (struct span){ p + n, 0 };
	return true;
}

bool query_seconds(struct span v, unsigned max)
{
	if (v.n == 0 || v.n > 4)
		return false;
	unsigned n = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		n = n * 10 + (unsigned)(v.p[i] - '0');
	}
	return n <= max;
}

bool query_signal(struct span v)
{
	if (v.n == 0 || v.n > 16)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		char c = v.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* True when key, decoded as Go decodes it, names a field "name" (lower
 * case ASCII) for gorilla/schema: equal under Unicode simple case folding,
 * in which only U+017F (long s) and U+212A (Kelvin sign) fold to ASCII
 * letters besides the letters themselves, and ignoring a ".sub" path. */
static bool key_names(struct span key, const char *name)
{
	unsigned char d[64];
	size_t n = 0;
	for (size_t i = 0; i < key.n; i++) {
		int c = (unsigned char)key.p[i];
		int escaped = c == '%' && i + 2 < key.n ? span_hex_byte(key.p + i + 1) : -1;
		if (c == '+') {
			c = ' ';
		} else if (escaped >= 0) {
			c = escaped;
			i += 2;
		}
		if (n == sizeof d)
			return false;
		d[n++] = (unsigned char)c;
	}
	size_t i = 0;
	for (; *name; name++) {
		char want = *name;
		if (i + 1 < n && d[i] == 0xc5 && d[i + 1] == 0xbf && want == 's')
			i += 2;
		else if (i + 2 < n && d[i] == 0xe2 && d[i + 1] == 0x84 && d[i + 2] == 0xaa &&
			 want == 'k')
			i += 3;
		else if (i < n && (d[i] | 0x20) == want && d[i] >= 'A')
			i++;
		else
			return false;
	}
	return i == n || d[i] == '.';
}

bool query_has_key(struct span q, const char *name)
{
	if (q.n == 0)
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= q.n; i++) {
		if (i < q.n && q.p[i] != '&' && q.p[i] != ';')
			continue;
		struct span piece = { q.p + start, i - start };
		const char *eq = memchr(piece.p, '=', piece.n);
		struct span key = { piece.p, eq ? (size_t)(eq - piece.p) : piece.n };
		if (key_names(key, name))
			return true;
		start = i + 1;
	}
	return false;
}

/* policy_pattern.c - policy_pattern_match(): the rule patterns' syntax,
 * described in policy.h. Apart from the rule list, as profiles and
 * dockgate check match patterns too. */
#include <stdbool.h>
#include <string.h>

#include "policy.h"

/* "*" matches one container-name-like segment, as Docker names and IDs are
 * ([a-zA-Z0-9][a-zA-Z0-9_.-]*). */
static bool name_segment(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

/* The start of the last k segments of rest[0, n) ("/a/b" has two), or -1
 * when it has fewer. */
static long last_segments(struct span rest, size_t k)
{
	if (k == 0)
		return (long)rest.n;
	for (size_t i = rest.n; i-- > 0;)
		if (rest.p[i] == '/' && --k == 0)
			return (long)i;
	return -1;
}

static size_t count_segments(const char *pattern)
{
	size_t k = 0;
	for (; *pattern; pattern++)
		k += *pattern == '/';
	return k;
}

bool policy_pattern_match(const char *pattern, struct span rest)
{
	const char *pp = pattern;
	size_t i = 0;
	while (*pp == '/') {
		const char *pend = strchr(pp + 1, '/');
		size_t plen = pend ? (size_t)(pend - pp - 1) : strlen(pp + 1);
		if (plen == 2 && pp[1] == '*' && pp[2] == '*') {
			if (pend == NULL)
				return true; /* "**" at the end: any rest */
			/* In the middle: one or more whole segments, up to the
			 * ones the rest of the pattern needs at the end: a
			 * name as {name:.*} routes it, never empty since
			 * path_check() refuses "//". Linear: one scan back. */
			if (strstr(pend, "**") != NULL)
				return false;
			long at = last_segments((struct span){ rest.p + i, rest.n - i },
						count_segments(pend));
			if (at <= 0)
				return false;
			i += (size_t)at;
			pp = pend;
			continue;
		}
		if (i >= rest.n || rest.p[i] != '/')
			return false;
		const char *seg = rest.p + i + 1;
		const char *send = memchr(seg, '/', rest.n - i - 1);
		size_t slen = send ? (size_t)(send - seg) : rest.n - i - 1;
		bool ok = (plen == 1 && pp[1] == '*') ? name_segment(seg, slen)
						      : (plen == slen && memcmp(pp + 1, seg, plen) == 0);
		if (!ok)
			return false;
		i += 1 + slen;
		pp += 1 + plen;
	}
	return *pp == '\0' && i == rest.n;
}


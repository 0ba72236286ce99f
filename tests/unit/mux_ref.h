/* mux_ref.h - gorilla/mux's matching, read a second way for the tests
 * that check route.c against it: a template as the anchored POSIX
 * expression the router builds, and the paths it redirects instead of
 * routing. Used by tests/unit/candidates_ref.h and
 * tests/fuzz/fuzz_routes.c. Header-only: each includer is one program. */
#ifndef DOCKGATE_TEST_MUX_REF_H
#define DOCKGATE_TEST_MUX_REF_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The anchored POSIX extended expression for template tpl behind prefix
 * (an expression; "" for none), in re (cap bytes): {x} as [^/]+, and with
 * spans {x:.*} as [^\n]* and {x:.+} as [^\n]+ (Go's '.' does not match a
 * newline); without spans those take one segment too, as Podman's names
 * do. Template literals are letters, digits, '/', '_' and '-', copied as
 * they are. */
static void mux_ref_regex(const char *tpl, const char *prefix, bool spans, char *re, size_t cap)
{
	size_t n = (size_t)snprintf(re, cap, "^%s", prefix);
	while (*tpl != '\0' && n + 8 < cap) {
		if (*tpl == '{') {
			const char *close = strchr(tpl, '}');
			const char *colon = memchr(tpl, ':', (size_t)(close - tpl));
			const char *cls = "[^/]+";
			if (spans && colon && strncmp(colon, ":.*}", 4) == 0)
				cls = "[^\n]*";
			else if (spans && colon && strncmp(colon, ":.+}", 4) == 0)
				cls = "[^\n]+";
			n += (size_t)snprintf(re + n, cap - n, "%s", cls);
			tpl = close + 1;
			continue;
		}
		re[n++] = *tpl++;
	}
	snprintf(re + n, cap - n, "$");
}

/* Clean as Go's path.Clean leaves it, but for one trailing '/': the
 * router redirects any other path and runs no route. */
static bool mux_ref_clean(const char *p)
{
	size_t n = strlen(p);
	if (n == 0 || p[0] != '/' || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../"))
		return false;
	return !(n >= 2 && strcmp(p + n - 2, "/.") == 0) &&
	       !(n >= 3 && strcmp(p + n - 3, "/..") == 0);
}

#endif

/* test_path.c - request-target checks: what path_check() lets the policy
 * see must be exactly what the daemon routes (Go net/http decodes the path
 * once; gorilla/mux matches it case-sensitively after an optional
 * /v<version> prefix and redirects instead of routing anything path.Clean
 * would change). Everything else is rejected, never rewritten. Each row is
 * one cmocka test. */
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

#include "path.h"

/* Runs path_check on a private copy of the target (so that ASan sees reads
 * past its end) with a scratch buffer exactly as long as the target. */
static int check(struct bytes target, struct path_info *info, char **copy, char **scratch)
{
	*copy = malloc(target.n ? target.n : 1);
	*scratch = malloc(target.n ? target.n : 1);
	assert_non_null(*copy);
	assert_non_null(*scratch);
	memcpy(*copy, target.p, target.n);
	struct span t = { *copy, target.n };
	return path_check(t, *scratch, target.n, info);
}

/* ==== Accepted targets ==== */

struct ok_row {
	const char *name;
	const char *target;
	/* expected: */
	const char *path, *rest, *section, *query;
	bool versioned;
	unsigned major, minor;
};

static struct ok_row ok_rows[] = {
	{ "unversioned ping", "/_ping", "/_ping", "/_ping", "_ping", "", false, 0, 0 },
	/* path.Clean keeps one trailing '/': the daemon routes /debug/pprof/
	 * so, and elsewhere 404s; the section is unchanged. */
	{ "a trailing / stays in its section", "/containers/json/", "/containers/json/",
	  "/containers/json/", "containers", "", false, 0, 0 },
	{ "a trailing / before the query", "/containers/json/?all=1", "/containers/json/",
	  "/containers/json/", "containers", "all=1", false, 0, 0 },
	{ "the pprof index keeps its trailing /", "/debug/pprof/", "/debug/pprof/",
	  "/debug/pprof/", "debug", "", false, 0, 0 },
	{ "a versioned trailing / has no section", "/v1.41/", "/v1.41/", "/", "", "", true, 1, 41 },
	{ "versioned ping", "/v1.41/_ping", "/v1.41/_ping", "/_ping", "_ping", "", true, 1, 41 },
	{ "container list with a query", "/containers/json?all=1",
	  "/containers/json", "/containers/json", "containers", "all=1", false, 0, 0 },
	{ "versioned container list with filters (query left encoded)",
	  "/v1.41/containers/json?all=1&filters=%7B%22status%22%3A%5B%22running%22%5D%7D",
	  "/v1.41/containers/json", "/containers/json", "containers",
	  "all=1&filters=%7B%22status%22%3A%5B%22running%22%5D%7D", true, 1, 41 },
	{ "an unencoded JSON filter, as curl sends docker-autoheal's",
	  "/containers/json?filters={\"health\":[\"unhealthy\"]}",
	  "/containers/json", "/containers/json", "containers",
	  "filters={\"health\":[\"unhealthy\"]}", false, 0, 0 },
	{ "an image name with slashes", "/images/ghcr.io/org/app/json",
	  "/images/ghcr.io/org/app/json", "/images/ghcr.io/org/app/json", "images", "", false, 0, 0 },
	{ "a versioned image name with a tag", "/v1.43/images/ghcr.io/org/app:1.2/json",
	  "/v1.43/images/ghcr.io/org/app:1.2/json", "/images/ghcr.io/org/app:1.2/json", "images", "",
	  true, 1, 43 },
	{ "the path is decoded once: /v%31.41 is /v1.41", "/v%31.41/containers/json",
	  "/v1.41/containers/json", "/containers/json", "containers", "", true, 1, 41 },
	{ "an encoded letter in the section is decoded", "/%63ontainers/json",
	  "/containers/json", "/containers/json", "containers", "", false, 0, 0 },
	{ "a double-encoded dot stays literal after one decode", "/containers/%252e%252e/json",
	  "/containers/%2e%2e/json", "/containers/%2e%2e/json", "containers", "", false, 0, 0 },
	{ "an encoded space in a name", "/volumes/my%20vol", "/volumes/my vol", "/volumes/my vol",
	  "volumes", "", false, 0, 0 },
	{ "encoded UTF-8 is decoded to its bytes", "/containers/caf%C3%A9/json",
	  "/containers/caf\xc3\xa9/json", "/containers/caf\xc3\xa9/json", "containers", "", false, 0, 0 },
	{ "/v1.41 alone is a version with an empty section", "/v1.41", "/v1.41", "/", "", "",
	  true, 1, 41 },
	{ "/v1.41 with only a query", "/v1.41?x=1", "/v1.41", "/", "", "x=1", true, 1, 41 },
	{ "/version is a section, not a version prefix", "/version", "/version", "/version", "version",
	  "", false, 0, 0 },
	{ "/v1.41/version", "/v1.41/version", "/v1.41/version", "/version", "version", "", true, 1, 41 },
	{ "a first segment /vx is a section, not a version", "/vx/containers/json",
	  "/vx/containers/json", "/vx/containers/json", "vx", "", false, 0, 0 },
	{ "/v alone is a section", "/v", "/v", "/v", "v", "", false, 0, 0 },
	/* The libpod API's prefix: "/v{major}.{minor}.{patch}" (Podman). */
	{ "a three-part libpod version", "/v4.0.0/libpod/containers/json",
	  "/v4.0.0/libpod/containers/json", "/libpod/containers/json", "libpod", "", true, 4, 0 },
	{ "a three-part version before a Docker section", "/v1.41.0/containers/json",
	  "/v1.41.0/containers/json", "/containers/json", "containers", "", true, 1, 41 },
	{ "a three-part version with four-digit parts", "/v4.3.1000/info", "/v4.3.1000/info", "/info",
	  "info", "", true, 4, 3 },
	{ "/v4.0.0-dev is a section, not a version", "/v4.0.0-dev/libpod/_ping",
	  "/v4.0.0-dev/libpod/_ping", "/v4.0.0-dev/libpod/_ping", "v4.0.0-dev", "", false, 0, 0 },
	{ "a four-digit version part", "/v1.1000/info", "/v1.1000/info", "/info", "info", "", true, 1, 1000 },
	{ "only the first segment is a version prefix", "/v1.41/v1.41/containers/json",
	  "/v1.41/v1.41/containers/json", "/v1.41/containers/json", "v1.41", "", true, 1, 41 },
	{ "case is preserved: /CONTAINERS/json", "/CONTAINERS/json", "/CONTAINERS/json",
	  "/CONTAINERS/json", "CONTAINERS", "", false, 0, 0 },
	{ "case is preserved: /V1.41 is no version", "/V1.41/containers/json",
	  "/V1.41/containers/json", "/V1.41/containers/json", "V1.41", "", false, 0, 0 },
	{ "a section followed by more letters is another section", "/containersX/json",
	  "/containersX/json", "/containersX/json", "containersX", "", false, 0, 0 },
	{ "the root path has an empty section", "/", "/", "/", "", "", false, 0, 0 },
	{ "an empty query", "/info?", "/info", "/info", "info", "", false, 0, 0 },
	{ "a query may hold '/', '?' and encoded dots", "/events?since=1&x=/a?b&y=%2e%2e",
	  "/events", "/events", "events", "since=1&x=/a?b&y=%2e%2e", false, 0, 0 },
	{ "sub-delims, ':' and '@' in a segment", "/containers/a:b@c!$&'()*+,;=/json",
	  "/containers/a:b@c!$&'()*+,;=/json", "/containers/a:b@c!$&'()*+,;=/json", "containers", "",
	  false, 0, 0 },
	{ "three dots are a name, not a dot segment", "/containers/.../json", "/containers/.../json",
	  "/containers/.../json", "containers", "", false, 0, 0 },
	{ "a dot inside a name", "/containers/a.b/json", "/containers/a.b/json", "/containers/a.b/json",
	  "containers", "", false, 0, 0 },
};

static void test_ok(void **state)
{
	const struct ok_row *row = *state;
	struct bytes target = { row->target, strlen(row->target) };
	struct path_info info;
	char *copy, *scratch;
	int r = check(target, &info, &copy, &scratch);
	if (r != 0)
		fail_msg("rejected: %s", info.error);
	rows_check_span("path", info.path, row->path);
	rows_check_span("rest", info.rest, row->rest);
	rows_check_span("section", info.section, row->section);
	rows_check_span("query", info.query, row->query);
	assert_int_equal(info.versioned, row->versioned);
	if (row->versioned) {
		assert_int_equal(info.api_major, row->major);
		assert_int_equal(info.api_minor, row->minor);
	}
	free(copy);
	free(scratch);
}

/* ==== Rejected targets ==== */

struct bad_row {
	const char *name;
	struct bytes target;
	const char *why; /* a word of info->error */
};

static struct bad_row bad_rows[] = {
	/* Target forms other than origin-form (RFC 9112 §3.2). */
	{ "empty target", B(""), "origin-form" },
	{ "asterisk-form", B("*"), "origin-form" },
	{ "absolute-form", B("http://host/path"), "origin-form" },
	{ "absolute-form aimed at a forbidden path", B("http://docker/v1.41/containers/create"),
	  "origin-form" },
	{ "absolute-form in upper case", B("HTTP://docker/containers/json"), "origin-form" },
	{ "authority-form", B("docker:2375"), "origin-form" },
	{ "a relative path", B("containers/json"), "origin-form" },
	/* Dot segments and empty segments: the daemon would redirect. */
	{ "/version/../containers/json", B("/version/../containers/json"), "dot segment" },
	{ "/./x", B("/./x"), "dot segment" },
	{ "a dot segment in the middle", B("/containers/./json"), "dot segment" },
	{ "a trailing dot-dot", B("/containers/json/.."), "dot segment" },
	{ "a trailing dot", B("/containers/json/."), "dot segment" },
	{ "only dot-dot", B("/.."), "dot segment" },
	{ "dot-dot after the version prefix", B("/v1.41/../containers/json"), "dot segment" },
	{ "dot-dot after /libpod", B("/v4.0.0/libpod/../containers/json"), "dot segment" },
	{ "an encoded dot-dot after /libpod", B("/v4.0.0/libpod/%2e%2e/containers/json"), "encoded" },
	{ "an encoded / after /libpod", B("/v4.0.0/libpod%2fcontainers/json"), "encoded" },
	{ "an empty segment after /libpod", B("/v4.0.0/libpod//containers/json"), "empty" },
	{ "%2e%2e", B("/version/%2e%2e/containers/json"), "encoded" },
	{ "%2E%2E", B("/version/%2E%2E/containers/json"), "encoded" },
	{ "%2E alone", B("/%2E/containers/json"), "encoded" },
	{ "a dot and an encoded dot", B("/version/.%2e/containers/json"), "encoded" },
	{ "an encoded dot inside a name", B("/containers/a%2eb/json"), "encoded" },
	{ "// at the start", B("//containers/json"), "empty" },
	{ "// in the middle", B("/containers//json"), "empty" },
	{ "/containers//start as in moby's client comment", B("/containers//start"), "empty" },
	{ "a trailing // (two empty segments)", B("/containers/json//"), "empty" },
	/* Encoded separators and control bytes. */
	{ "%2F", B("/containers%2Fjson"), "encoded" },
	{ "%2f", B("/images/ghcr.io%2forg%2fapp/json"), "encoded" },
	{ "%00", B("/containers/json%00"), "control" },
	{ "%0a", B("/containers/json%0a"), "control" },
	{ "%0D%0A", B("/containers/json%0D%0AX-Injected:%201"), "control" },
	{ "%1f", B("/containers/a%1fb/json"), "control" },
	{ "%7f", B("/containers/a%7fb/json"), "control" },
	/* Invalid percent-escapes (Go's url.ParseRequestURI fails on them). */
	{ "a lone % at the end of the path", B("/containers/json%"), "percent-escape in path" },
	{ "a % with one hex digit at the end", B("/containers/json%4"), "percent-escape in path" },
	{ "%zz in the path", B("/containers/%zz/json"), "percent-escape in path" },
	{ "%4g in the path", B("/containers/%4g/json"), "percent-escape in path" },
	{ "%%41 in the path", B("/containers/%%41/json"), "percent-escape in path" },
	{ "a lone % in the query", B("/containers/json?all=%"), "percent-escape in query" },
	{ "a % with one hex digit in the query", B("/containers/json?all=%4"), "percent-escape in query" },
	{ "%zz in the query", B("/containers/json?all=%zz"), "percent-escape in query" },
	{ "a % before more query", B("/containers/json?a=%&b=1"), "percent-escape in query" },
	/* Characters no client sends. */
	{ "a # fragment", B("/containers/json#frag"), "character in path" },
	{ "a # in the query", B("/containers/json?all=1#frag"), "character in query" },
	{ "raw non-ASCII bytes in the path", B("/containers/caf\xc3\xa9/json"), "character in path" },
	{ "raw non-ASCII bytes in the query", B("/containers/json?name=caf\xc3\xa9"), "character in query" },
	{ "a space in the path", B("/containers/a b/json"), "character in path" },
	{ "a backslash in the path", B("/containers\\json"), "character in path" },
	{ "a NUL byte in the path", B("/containers\0/json"), "character in path" },
	{ "a control byte in the path", B("/containers/\x01/json"), "character in path" },
	{ "a control byte in the query", B("/containers/json?a=\x01"), "character in query" },
	{ "a double quote in the path", B("/containers/\"x\"/json"), "character in path" },
	{ "a JSON filter's brackets in the path", B("/containers/{x}/json"), "character in path" },
	{ "angle brackets in the query", B("/containers/json?a=<b>"), "character in query" },
	/* Version prefixes the daemon would read differently or not at all. */
	{ "/v1..41/", B("/v1..41/containers/json"), "version" },
	{ "/v1/ without a minor version", B("/v1/containers/json"), "version" },
	{ "/v.1/ without a major version", B("/v.1/containers/json"), "version" },
	{ "/v1./ with an empty minor version", B("/v1./containers/json"), "version" },
	{ "/v1.41.2./ with an empty patch version", B("/v1.41.2./containers/json"), "version" },
	{ "/v4.0./ with an empty patch version", B("/v4.0./libpod/_ping"), "version" },
	{ "/v4.0.0.0/ with four parts", B("/v4.0.0.0/libpod/_ping"), "version" },
	{ "/v4.0.12345/ a patch of more than four digits", B("/v4.0.12345/libpod/_ping"), "version" },
	{ "/v4..0/ an empty minor with a patch", B("/v4..0/libpod/_ping"), "version" },
	{ "/v./ only a dot", B("/v./containers/json"), "version" },
	{ "/v12345.1/ more than four digits", B("/v12345.1/containers/json"), "version" },
	{ "/v1.41 via an encoded extra dot", B("/v1%2e41/containers/json"), "encoded" },
	{ "/v1 alone", B("/v1"), "version" },
};

static void test_bad(void **state)
{
	const struct bad_row *row = *state;
	struct path_info info;
	char *copy, *scratch;
	int r = check(row->target, &info, &copy, &scratch);
	free(copy);
	free(scratch);
	if (r != -1)
		fail_msg("accepted (section '%.*s')", (int)info.section.n, info.section.p);
	assert_non_null(info.error);
	if (strstr(info.error, row->why) == NULL)
		fail_msg("reason '%s' does not mention '%s'", info.error, row->why);
}

/* The scratch buffer must hold the decoded path (at most target.n bytes). */
static void test_scratch_too_small(void **state)
{
	(void)state;
	const char *t = "/containers/json";
	char scratch[8];
	struct path_info info;
	struct span target = { t, strlen(t) };
	assert_int_equal(path_check(target, scratch, sizeof scratch, &info), -1);
	assert_non_null(info.error);
}

/* Spans point into scratch (decoded path) and into the target (query). */
static void test_span_owners(void **state)
{
	(void)state;
	char target[] = "/v1.41/containers/json?all=1";
	char scratch[sizeof target];
	struct path_info info;
	struct span t = { target, strlen(target) };
	assert_int_equal(path_check(t, scratch, sizeof scratch, &info), 0);
	assert_ptr_equal(info.path.p, scratch);
	assert_true(info.rest.p >= scratch && info.rest.p + info.rest.n <= scratch + sizeof scratch);
	assert_ptr_equal(info.query.p, target + 23);
}

/* Every byte in the path and in the query, against RFC 3986's pchar
 * (the path's '%' and the query's escapes are tested by the rows). */
static void test_byte_classes(void **state)
{
	(void)state;
	const char *pchar_extra = "-._~!$&'()*+,;=:@";
	for (int c = 1; c < 256; c++) {
		if (c == '%' || c == '?' || c == '/')
			continue;
		bool pchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || strchr(pchar_extra, c) != NULL;
		char target[16];
		char scratch[16];
		struct path_info info;
		snprintf(target, sizeof target, "/a%cb", c);
		int got = path_check((struct span){ target, 4 }, scratch, sizeof scratch, &info);
		if ((got == 0) != pchar)
			fail_msg("byte 0x%02x in a path: %s", c, got == 0 ? "accepted" : info.error);
		/* JSON's quote and brackets, unencoded, only in a query. */
		bool query_json = c != 0 && strchr("\"[]{}", c) != NULL;
		snprintf(target, sizeof target, "/a?x%cy", c);
		got = path_check((struct span){ target, 6 }, scratch, sizeof scratch, &info);
		if ((got == 0) != (pchar || query_json))
			fail_msg("byte 0x%02x in a query: %s", c, got == 0 ? "accepted" : info.error);
	}
	/* '/' and '?' are allowed in a query as they are. */
	char scratch[16];
	struct path_info info;
	assert_int_equal(path_check((struct span){ "/a?x/?y", 7 }, scratch, sizeof scratch, &info), 0);
}

int main(void)
{
	rows_add(test_byte_classes, NULL, "byte classes", "every byte in a path and a query");
	ROWS_ADD_EACH(test_ok, ok_rows, "accepted");
	ROWS_ADD_EACH(test_bad, bad_rows, "rejected");
	rows_add(test_scratch_too_small, NULL, "contract", "a scratch buffer shorter than the target");
	rows_add(test_span_owners, NULL, "contract", "spans point into scratch and target");
	return rows_run("path");
}

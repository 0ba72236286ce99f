/* test_idmap.c - the /etc/passwd and /etc/group reader. Line rows read
 *   database, line -> accepted name, id, gid, or the reason it is skipped;
 * file rows read
 *   database, file contents, name (or id) asked -> found id and gid, or not.
 * The files are written to a temporary directory for each row. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rows.h" /* cmocka and what it needs */

#include "idmap.h"

#define PW IDMAP_DB_PASSWD
#define GR IDMAP_DB_GROUP

/* ==== One line ==== */

struct line_row {
	const char *name;
	enum idmap_db db;
	struct bytes line;
	const char *want_name; /* NULL: skipped */
	long id, gid;
	const char *why;       /* skipped: a word of the reason */
};

static struct line_row line_rows[] = {
	{ "a passwd line", PW, B("nobody:x:65534:65534:nobody:/:/nonexistent"), "nobody",
	  65534, 65534, NULL },
	{ "the primary group differs from the uid", PW, B("app:x:1000:50:App:/home/app:/bin/sh"),
	  "app", 1000, 50, NULL },
	{ "empty password, gecos, home and shell", PW, B("u::0:7:::"), "u", 0, 7,
	  NULL },
	{ "a group line without members", GR, B("nogroup:x:65534:"), "nogroup", 65534, 65534,
	  NULL },
	{ "a group line with members", GR, B("docker:x:999:alice,bob"), "docker", 999, 999, NULL },
	{ "the largest id", GR, B("big:x:2147483646:"), "big", 2147483646, 2147483646, NULL },
	{ "leading zeros are decimal, not octal", GR, B("z:x:010:"), "z", 10, 10, NULL },
	{ "an id of 2^31 - 1 is refused", GR, B("big:x:2147483647:"), NULL, 0, 0, "decimal" },
	{ "an id of 2^32 - 1 is refused", PW, B("u:x:4294967295:0:::"), NULL, 0, 0, "decimal" },
	{ "eleven digits are refused", GR, B("g:x:00000000001:"), NULL, 0, 0, "decimal" },
	{ "a negative id is refused", PW, B("u:x:-1:0:::"), NULL, 0, 0, "decimal" },
	{ "a signed id is refused", GR, B("g:x:+5:"), NULL, 0, 0, "decimal" },
	{ "hex is refused", GR, B("g:x:0x10:"), NULL, 0, 0, "decimal" },
	{ "a space in the id is refused", GR, B("g:x: 5:"), NULL, 0, 0, "decimal" },
	{ "an empty id is refused", GR, B("g:x::"), NULL, 0, 0, "decimal" },
	{ "a bad primary group is refused", PW, B("u:x:1:one:::"), NULL, 0, 0, "group id" },
	{ "passwd: six fields are too few", PW, B("u:x:1:1::"), NULL, 0, 0, "too few" },
	{ "passwd: eight fields are too many", PW, B("u:x:1:1::::"), NULL, 0, 0, "too many" },
	{ "group: three fields are too few", GR, B("g:x:1"), NULL, 0, 0, "too few" },
	{ "group: five fields are too many", GR, B("g:x:1::"), NULL, 0, 0, "too many" },
	{ "an empty line", GR, B(""), NULL, 0, 0, "too few" },
	{ "an empty name", GR, B(":x:1:"), NULL, 0, 0, "name" },
	{ "a comment", GR, B("#g:x:1:"), NULL, 0, 0, "name" },
	{ "a NIS +name entry", PW, B("+alice:x:1:1:::"), NULL, 0, 0, "name" },
	{ "a NIS -name entry", GR, B("-g:x:1:"), NULL, 0, 0, "name" },
	{ "leading space in the name", GR, B(" g:x:1:"), NULL, 0, 0, "name" },
	{ "a control byte in the name", GR, B("g\x1b:x:1:"), NULL, 0, 0, "name" },
	{ "DEL in the name", GR, B("g\x7f:x:1:"), NULL, 0, 0, "name" },
	{ "a NUL byte anywhere", PW, B("u:x:1:1:\0::"), NULL, 0, 0, "NUL" },
	{ "a CR at the end of a group line is a member's byte", GR, B("g:x:5:\r"), "g", 5, 5,
	  NULL },
};

static void test_line(void **state)
{
	const struct line_row *r = *state;
	struct span name = { NULL, 0 };
	struct idmap_entry e = { -1, -1 };
	const char *why = NULL;
	int rc = idmap_parse_line(r->db, r->line.p, r->line.n, &name, &e, &why);
	if (r->want_name == NULL) {
		assert_int_equal(rc, -1);
		assert_non_null(why);
		if (strstr(why, r->why) == NULL)
			fail_msg("reason '%s' does not say '%s'", why, r->why);
		return;
	}
	assert_int_equal(rc, 0);
	rows_check_span("name", name, r->want_name);
	assert_int_equal(e.id, r->id);
	assert_int_equal(e.gid, r->gid);
}

/* ==== A file ==== */

static const char passwd_file[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"# a comment line\n"
	"\n"
	"broken line without colons\n"
	"bad:x:notanumber:1:::\n"
	"+:::::: \n"
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	"app:x:1000:100:App:/home/app:/bin/sh\n"
	"app:x:2000:200:second app, never found:/:/bin/sh\n"
	"app2:x:1001:101:::\n"
	"last:x:4242:4343:::";  /* no final newline */

static const char group_file[] =
	"root:x:0:\n"
	"docker:x:999:alice,bob\n"
	"  spaced:x:5:\n"
	"nogroup:x:65534:\n";

struct file_row {
	const char *name;
	enum idmap_db db;
	const char *contents;
	const char *ask;  /* by name; NULL: by ask_id */
	long ask_id;
	int want_rc;
	long id, gid;
};

static struct file_row file_rows[] = {
	{ "the first line", PW, passwd_file, "root", 0, 0, 0, 0 },
	{ "after malformed lines", PW, passwd_file, "nobody", 0, 0, 65534, 65534 },
	{ "the first of two equal names wins", PW, passwd_file, "app", 0, 0, 1000, 100 },
	{ "a name is matched exactly, not as a prefix", PW, passwd_file, "app2", 0, 0, 1001, 101 },
	{ "a prefix of a name is not the name", PW, passwd_file, "ap", 0, -1, 0, 0 },
	{ "case matters", PW, passwd_file, "ROOT", 0, -1, 0, 0 },
	{ "the last line without its newline", PW, passwd_file, "last", 0, 0, 4242, 4343 },
	{ "an unknown name", PW, passwd_file, "nosuchuser", 0, -1, 0, 0 },
	{ "the empty name is never found", PW, passwd_file, "", 0, -1, 0, 0 },
	{ "a malformed line's name is not found", PW, passwd_file, "bad", 0, -1, 0, 0 },
	{ "a NIS entry is not a user", PW, passwd_file, "+", 0, -1, 0, 0 },
	{ "a name with a colon never matches", PW, passwd_file, "root:x", 0, -1, 0, 0 },
	{ "by uid: the primary group", PW, passwd_file, NULL, 1000, 0, 1000, 100 },
	{ "by uid: the first of two", PW, passwd_file, NULL, 65534, 0, 65534, 65534 },
	{ "by uid: unknown", PW, passwd_file, NULL, 31337, -1, 0, 0 },
	{ "a group with members", GR, group_file, "docker", 0, 0, 999, 999 },
	{ "a member is not a group", GR, group_file, "alice", 0, -1, 0, 0 },
	{ "a name with leading spaces is skipped", GR, group_file, "spaced", 0, -1, 0, 0 },
	{ "the group of the FROM-scratch image", GR, group_file, "nogroup", 0, 0, 65534, 65534 },
	{ "an empty file", GR, "", "root", 0, -1, 0, 0 },
};

/* Writes contents (n bytes) to a new temporary file; its path in path. */
static void write_file(const char *contents, size_t n, char *path, size_t cap)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, cap, "%s/dockgate-idmap-XXXXXX", dir ? dir : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, contents, n), (ssize_t)n);
	close(fd);
}

static void test_file(void **state)
{
	const struct file_row *r = *state;
	char path[256];
	write_file(r->contents, strlen(r->contents), path, sizeof path);
	struct idmap_entry e = { -1, -1 };
	errno = 0;
	int rc = idmap_find(r->db, path, r->ask, r->ask_id, &e);
	int err = errno;
	unlink(path);
	assert_int_equal(rc, r->want_rc);
	if (rc == -1) {
		assert_int_equal(err, ENOENT);
		return;
	}
	assert_int_equal(e.id, r->id);
	assert_int_equal(e.gid, r->gid);
}

/* ==== Contract ==== */

static void test_missing_file(void **state)
{
	(void)state;
	struct idmap_entry e;
	errno = 0;
	assert_int_equal(idmap_find(PW, "/nonexistent/dockgate/passwd", "root", 0, &e), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_unreadable(void **state)
{
	(void)state;
	struct idmap_entry e;
	errno = 0;
	assert_int_equal(idmap_find(GR, "/", "root", 0, &e), -1);
	assert_int_equal(errno, EISDIR);
}

/* Many lines, so that lines straddle the reads of the line buffer: every
 * one of them is still found, by name and by id. */
static void test_many_lines(void **state)
{
	(void)state;
	enum { USERS = 3000 };
	size_t cap = USERS * 64, n = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (int i = 0; i < USERS; i++)
		n += (size_t)snprintf(text + n, cap - n, "user%d:x:%d:%d:User %d:/home/u:/bin/sh\n",
				      i, 10000 + i, 20000 + i, i);
	char path[256];
	write_file(text, n, path, sizeof path);
	free(text);
	for (int i = 0; i < USERS; i++) {
		char name[32];
		snprintf(name, sizeof name, "user%d", i);
		struct idmap_entry e = { -1, -1 };
		assert_int_equal(idmap_find(PW, path, name, 0, &e), 0);
		assert_int_equal(e.id, 10000 + i);
		assert_int_equal(e.gid, 20000 + i);
		assert_int_equal(idmap_find(PW, path, NULL, 10000 + i, &e), 0);
		assert_int_equal(e.gid, 20000 + i);
	}
	unlink(path);
}

/* A line of IDMAP_LINE_MAX bytes or more is skipped whole, including the
 * entry-like text at its end; the next line is read normally. */
static void test_long_line(void **state)
{
	(void)state;
	for (size_t len = IDMAP_LINE_MAX - 2; len <= IDMAP_LINE_MAX + 1; len++) {
		size_t cap = 3 * IDMAP_LINE_MAX, n = 0;
		char *text = malloc(cap);
		assert_non_null(text);
		/* "big:x:1:" and members, len bytes in all, then a short line. */
		n += (size_t)snprintf(text, cap, "big:x:1:");
		memset(text + n, 'm', len - n);
		n = len;
		n += (size_t)snprintf(text + n, cap - n, "\nnext:x:2:\n");
		char path[256];
		write_file(text, n, path, sizeof path);
		free(text);
		struct idmap_entry e;
		int rc = idmap_find(GR, path, "big", 0, &e);
		assert_int_equal(rc, len < IDMAP_LINE_MAX ? 0 : -1);
		assert_int_equal(idmap_find(GR, path, "next", 0, &e), 0);
		assert_int_equal(e.id, 2);
		unlink(path);
	}
	/* Text after a skipped line's cut is never taken for an entry. */
	size_t cap = 2 * IDMAP_LINE_MAX + 64, n;
	char *text = malloc(cap);
	assert_non_null(text);
	memset(text, 'm', IDMAP_LINE_MAX);
	n = IDMAP_LINE_MAX;
	n += (size_t)snprintf(text + n, cap - n, "fake:x:3:\nreal:x:4:\n");
	char path[256];
	write_file(text, n, path, sizeof path);
	free(text);
	struct idmap_entry e;
	assert_int_equal(idmap_find(GR, path, "fake", 0, &e), -1);
	assert_int_equal(idmap_find(GR, path, "real", 0, &e), 0);
	unlink(path);
}

int main(void)
{
	ROWS_ADD_EACH(test_line, line_rows, "line");
	ROWS_ADD_EACH(test_file, file_rows, "file");
	rows_add(test_missing_file, NULL, "contract", "a missing file is 'not found' (ENOENT)");
	rows_add(test_unreadable, NULL, "contract", "a file that cannot be read says why");
	rows_add(test_many_lines, NULL, "contract", "3000 lines straddling reads are all found");
	rows_add(test_long_line, NULL, "contract", "lines of IDMAP_LINE_MAX bytes are skipped whole");
	return rows_run("idmap");
}

/* idmap.c - /etc/passwd and /etc/group without NSS; see idmap.h. */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define IDMAP_FIELDS_MAX 7

/* A decimal id: digits only (no sign, space or "0x"), at most IDMAP_ID_MAX.
 * The digit count is bounded so that the sum cannot overflow: ten digits
 * need more than 32 bits, so the sum is 64-bit even where long is not
 * (armhf, i386), or "4294967295" would wrap to -1 there. */
static int parse_id_field(struct span f, long *out)
{
	if (f.n == 0 || f.n > 10)
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < f.n; i++) {
		if (f.p[i] < '0' || f.p[i] > '9')
			return -1;
		v = v * 10 + (f.p[i] - '0');
	}
	if (v > IDMAP_ID_MAX)
		return -1;
	*out = (long)v;
	return 0;
}

/* A name worth matching: not empty, not a comment, not a NIS "+name" or
 * "-name" entry, and no byte that would be invisible or split a word in
 * a log line. */
static bool name_ok(struct span f)
{
	if (f.n == 0 || f.p[0] == '#' || f.p[0] == '+' || f.p[0] == '-')
		return false;
	for (size_t i = 0; i < f.n; i++)
		if ((unsigned char)f.p[i] <= ' ' || f.p[i] == 0x7f)
			return false;
	return true;
}

int idmap_parse_line(enum idmap_db db, const char *line, size_t n,
		     struct span *name, struct idmap_entry *e, const char **why)
{
	size_t want = db == IDMAP_DB_PASSWD ? 7 : 4;
	struct span field[IDMAP_FIELDS_MAX];
	size_t n_fields = 0, start = 0;
	if (memchr(line, '\0', n) != NULL) {
		*why = "a NUL byte";
		return -1;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i < n && line[i] != ':')
			continue;
		if (n_fields == want) {
			*why = "too many fields";
			return -1;
		}
		field[n_fields++] = (struct span){ line + start, i - start };
		start = i + 1;
	}
	if (n_fields != want) {
		*why = "too few fields";
		return -1;
	}
	if (!name_ok(field[0])) {
		*why = "no usable name";
		return -1;
	}
	if (parse_id_field(field[2], &e->id) == -1) {
		*why = "the id is not a decimal number up to 2147483646";
		return -1;
	}
	e->gid = e->id;
	if (db == IDMAP_DB_PASSWD && parse_id_field(field[3], &e->gid) == -1) {
		*why = "the group id is not a decimal number up to 2147483646";
		return -1;
	}
	*name = field[0];
	return 0;
}

/* True when line is a well-formed entry that is the one asked for. */
static bool line_matches(enum idmap_db db, const char *line, size_t n,
			 const char *name, long id, struct idmap_entry *e)
{
	struct span got;
	const char *why;
	if (idmap_parse_line(db, line, n, &got, e, &why) == -1)
		return false;
	return name != NULL ? span_eq(got, name) : e->id == id;
}

int idmap_find(enum idmap_db db, const char *path, const char *name, long id,
	       struct idmap_entry *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	char buf[IDMAP_LINE_MAX];
	size_t have = 0;      /* bytes of an unfinished line at buf[0] */
	bool skipping = false; /* in a line too long for buf: drop it */
	int err = ENOENT;
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof buf - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			err = errno;
			break;
		}
		if (r == 0) {
			/* The last line may lack its '\n'. */
			if (have > 0 && !skipping && line_matches(db, buf, have, name, id, e))
				err = 0;
			break;
		}
		size_t end = have + (size_t)r, start = 0, scan = have;
		const char *nl;
		while (err != 0 && (nl = memchr(buf + scan, '\n', end - scan)) != NULL) {
			size_t stop = (size_t)(nl - buf);
			if (!skipping && line_matches(db, buf + start, stop - start, name, id, e))
				err = 0;
			skipping = false;
			start = scan = stop + 1;
		}
		if (err == 0)
			break;
		have = end - start;
		memmove(buf, buf + start, have);
		if (have == sizeof buf) {
			skipping = true;
			have = 0;
		}
	}
	close(fd);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

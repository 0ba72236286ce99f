/* libFuzzer target: the /etc/passwd and /etc/group reader. The first byte
 * picks the database, the rest is the file. Invariants: an accepted line
 * has exactly its database's fields, a name without ':' or control bytes
 * and ids in range; and idmap_find on the file (a memfd) agrees with a
 * line-by-line model: by the name of each well-formed line it finds the
 * first line with that name, by its id the first line with that id. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "idmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 512

struct model_line {
	char name[IDMAP_LINE_MAX];
	struct idmap_entry e;
};

static struct model_line lines[MAX_LINES];

static void check_accepted(enum idmap_db db, const char *p, size_t n, struct span name,
			   const struct idmap_entry *e)
{
	size_t colons = 0;
	for (size_t i = 0; i < n; i++)
		colons += p[i] == ':';
	assert(colons == (db == IDMAP_DB_PASSWD ? 6u : 3u));
	assert(name.p == p && name.n > 0 && name.n < n);
	assert(memchr(name.p, ':', name.n) == NULL);
	for (size_t i = 0; i < name.n; i++)
		assert((unsigned char)name.p[i] > ' ' && name.p[i] != 0x7f);
	assert(e->id >= 0 && e->id <= IDMAP_ID_MAX);
	assert(e->gid >= 0 && e->gid <= IDMAP_ID_MAX);
	assert(db == IDMAP_DB_PASSWD || e->gid == e->id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	enum idmap_db db = (data[0] & 1) ? IDMAP_DB_GROUP : IDMAP_DB_PASSWD;
	const char *text = (const char *)data + 1;
	size_t n = size - 1, n_lines = 0;
	for (size_t start = 0; start < n && n_lines < MAX_LINES;) {
		const char *nl = memchr(text + start, '\n', n - start);
		size_t len = nl ? (size_t)(nl - text) - start : n - start;
		struct span name;
		struct idmap_entry e;
		const char *why = NULL;
		if (len < IDMAP_LINE_MAX &&
		    idmap_parse_line(db, text + start, len, &name, &e, &why) == 0) {
			check_accepted(db, text + start, len, name, &e);
			memcpy(lines[n_lines].name, name.p, name.n);
			lines[n_lines].name[name.n] = '\0';
			lines[n_lines].e = e;
			n_lines++;
		} else {
			assert(len >= IDMAP_LINE_MAX || why != NULL);
		}
		start += len + 1;
	}
	if (n_lines == MAX_LINES)
		return 0; /* the model stopped early: nothing to compare */
	int fd = memfd_create("idmap", MFD_CLOEXEC);
	assert(fd != -1);
	assert(write(fd, text, n) == (ssize_t)n);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	for (size_t i = 0; i < n_lines; i++) {
		size_t first = 0, first_id = 0;
		while (strcmp(lines[first].name, lines[i].name) != 0)
			first++;
		while (lines[first_id].e.id != lines[i].e.id)
			first_id++;
		struct idmap_entry got;
		assert(idmap_find(db, path, lines[i].name, 0, &got) == 0);
		assert(got.id == lines[first].e.id && got.gid == lines[first].e.gid);
		assert(idmap_find(db, path, NULL, lines[i].e.id, &got) == 0);
		assert(got.id == lines[i].e.id && got.gid == lines[first_id].e.gid);
	}
	struct idmap_entry got;
	errno = 0;
	if (n_lines == 0)
		assert(idmap_find(db, path, "root", 0, &got) == -1 && errno == ENOENT);
	close(fd);
	return 0;
}

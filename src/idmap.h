/* idmap.h - user and group names from /etc/passwd and /etc/group, read as
 * files by a small strict reader instead of glibc's NSS. In the static
 * binary NSS would bring dlopen, iconv and the DNS resolver along; and the
 * FROM-scratch image has nothing but these two files anyway. Other
 * databases (LDAP, SSSD, systemd's dynamic users) are not consulted: a
 * user from one of those is given by number. */
#ifndef DOCKGATE_IDMAP_H
#define DOCKGATE_IDMAP_H

#include <stddef.h>

#include "span.h"

#define IDMAP_PASSWD_PATH "/etc/passwd"
#define IDMAP_GROUP_PATH "/etc/group"

/* Lines of this many bytes or more (without the '\n') are skipped as
 * malformed; a group with that many members is better given by number. */
#define IDMAP_LINE_MAX 8192

/* The largest id read from a file, as for a numeric id in a setting:
 * below 2^31 - 1, so that it fits any uid_t and is never (uid_t)-1. */
#define IDMAP_ID_MAX 0x7ffffffeL

enum idmap_db {
	IDMAP_DB_PASSWD, /* name:password:uid:gid:gecos:home:shell */
	IDMAP_DB_GROUP,  /* name:password:gid:members */
};

struct idmap_entry {
	long id;  /* the uid (passwd) or the gid (group) */
	long gid; /* passwd: the user's primary group; group: the gid again */
};

/* Parses one line of db, without its '\n'. A line is well-formed when it
 * has exactly the fields of db, a name that is not empty, holds no space
 * or control byte and does not start with '#', '+' or '-' (comments and
 * NIS "compat" entries are not users), decimal ids from 0 to IDMAP_ID_MAX,
 * and no NUL byte. Returns 0 with *name pointing into line and *e filled,
 * or -1 with *why a static reason. */
int idmap_parse_line(enum idmap_db db, const char *line, size_t n,
		     struct span *name, struct idmap_entry *e, const char **why);

/* Reads the file at path (IDMAP_PASSWD_PATH or IDMAP_GROUP_PATH, or a test
 * file) for the first well-formed entry of db whose name is exactly name,
 * or, when name is NULL, whose id is id. Malformed lines are skipped.
 * Returns 0 with *e filled, or -1: errno is ENOENT when the file has no
 * such entry or does not exist, another errno when it could not be read. */
int idmap_find(enum idmap_db db, const char *path, const char *name, long id,
	       struct idmap_entry *e);

#endif

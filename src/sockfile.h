/* sockfile.h - the file of a unix listener: checks its directory, replaces
 * only a provably stale socket there, creates the socket with its final
 * mode and owner without ever following a name, and at exit removes the
 * file only while it is still the one dockgate made. */
#ifndef DOCKGATE_SOCKFILE_H
#define DOCKGATE_SOCKFILE_H

#include <sys/types.h>

#include "cfg.h"

struct sockfile {
	int dir_fd;                     /* the listener's directory (O_PATH), -1: none */
	char name[CFG_UNIX_PATH_MAX];   /* the socket's name in that directory */
	dev_t dev;                      /* identity of the file we bound */
	ino_t ino;
};

/* Creates, sets up and listens on the unix socket of spec, with the mode,
 * owner and group of c. Refuses (after logging why) a directory that
 * others than root and the user dockgate runs as can write, a path holding
 * something other than a stale socket, and a socket that is in use.
 * Returns the listening descriptor with *sf filled, or -1 with errno set
 * (nothing is left at the path then). */
int sockfile_open(const struct cfg *c, const struct cfg_listener *spec, struct sockfile *sf);

/* Removes the socket file if the name still holds the file sockfile_open
 * bound (same device and inode), then closes the directory. A file that
 * another process has put there since is left alone. sf->dir_fd == -1 is
 * a no-op. */
void sockfile_remove(struct sockfile *sf);

#endif

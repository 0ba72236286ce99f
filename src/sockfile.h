/* sockfile.h - the file of a unix listener: checks its directory, replaces
 * only a provably stale socket there, creates the socket with its final
 * mode and owner (and no ACL) without ever following a name, and at exit
 * removes the file only while it is still the one dockgate made. */
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

/* Hands the removal of files[0..n) over to a janitor process (see
 * sockfile.c): call it after the switch to the final user and before the
 * proxy confines itself. The janitor removes the files when
 * sockfile_stop_janitor is called or the proxy dies. 0, or -1 with errno
 * (the files are still the caller's then). n == 0: nothing is started. */
int sockfile_start_janitor(const struct cfg *c, struct sockfile *const *files, size_t n);

/* Lets the janitor remove the files and waits for it, at most about 2 s:
 * a janitor that has not finished by then (stopped, say) is killed where
 * the sandbox allows it, else left behind. No-op without one. */
void sockfile_stop_janitor(void);

#endif

/* listen.h - tcp:// and unix:// listeners: socket setup, accept4, the
 * connection cap and the EMFILE reserve descriptor. */
#ifndef DOCKGATE_LISTEN_H
#define DOCKGATE_LISTEN_H

#include "cfg.h"

struct loop;

/* Opens, binds and registers every listener of c; unix listener files are
 * made by sockfile.c (only a provably stale socket is replaced, the
 * directory must be writable only by root and dockgate's user).
 * 0, or -1 after logging which listener failed and why. */
int listen_open_all(struct loop *l, const struct cfg *c);

/* Hands the removal of the unix listener files to a janitor process, so
 * that the proxy itself needs no right to remove files. Call after the
 * switch to the final user, before the sandbox. 0, or -1 after logging. */
int listen_start_janitor(const struct cfg *c);

/* Stops accepting: closes every listener and removes the unix socket
 * files that are still the ones dockgate made. */
void listen_close_all(struct loop *l);

#endif

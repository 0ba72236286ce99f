/* listen.h - tcp:// and unix:// listeners: socket setup, accept4, the
 * connection cap and the EMFILE reserve descriptor. */
#ifndef DOCKGATE_LISTEN_H
#define DOCKGATE_LISTEN_H

#include "cfg.h"

struct loop;

/* Opens, binds and registers every listener of c. A stale unix socket file
 * (nobody accepting) is replaced; a live one or any other file is an error.
 * 0, or -1 after logging which listener failed and why. */
int listen_open_all(struct loop *l, const struct cfg *c);

/* Stops accepting: closes every listener and removes unix socket files. */
void listen_close_all(struct loop *l);

#endif

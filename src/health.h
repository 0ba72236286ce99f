/* health.h - `dockgate --healthcheck`: a client of our own listener, for
 * container HEALTHCHECKs that have no shell or curl. */
#ifndef DOCKGATE_HEALTH_H
#define DOCKGATE_HEALTH_H

struct cfg;

/* Sends HEAD /_ping to the first configured listener (a wildcard address
 * is probed on loopback) and waits up to 3 s. Returns the exit status:
 * 0 when dockgate answered 200, or 403 (it is up and judging, PING is just
 * not allowed); 1 otherwise (no answer, or 502: the daemon is down). */
int health_check(const struct cfg *c);

#endif

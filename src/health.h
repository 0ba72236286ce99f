/* health.h - `dockgate --healthcheck`: a client of our own listener, for
 * container HEALTHCHECKs that have no shell or curl. */
#ifndef DOCKGATE_HEALTH_H
#define DOCKGATE_HEALTH_H

struct cfg;

/* The start of the abstract address the probe binds its unix socket to
 * (after the leading NUL): how the listener tells it from other clients
 * of the same uid. Anyone may use it; it only buys HEALTH_PROBE_SLOTS
 * connections per uid beyond MAX_CONNECTIONS_PER_CLIENT. */
#define HEALTH_PROBE_PREFIX "dockgate-healthcheck-"
#define HEALTH_PROBE_SLOTS 2
/* The probe's User-Agent. Its HEAD /_ping is logged at debug, not info,
 * so that a health check every 30 s does not fill the access log; anyone
 * may send it, and all it can hide is a ping. */
#define HEALTH_PROBE_AGENT "dockgate-healthcheck"

/* Sends HEAD /_ping to the first configured listener (a wildcard address
 * is probed on loopback) and waits up to 3 s. Returns the exit status:
 * 0 when dockgate answered 200, or 403 (it is up and judging, PING is just
 * not allowed); 1 otherwise (no answer, or 502: the daemon is down). */
int health_check(const struct cfg *c);

#endif

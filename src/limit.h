/* limit.h - connections per client: a counting table keyed by the client's
 * IP address (TCP) or user id (unix socket, from SO_PEERCRED), so that one
 * client cannot take every connection slot. */
#ifndef DOCKGATE_LIMIT_H
#define DOCKGATE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>

struct limit_key {
	unsigned char bytes[17]; /* family tag, then the address or uid */
};

/* Sizes the table for up to max_open keys at once. 0 or -1 (ENOMEM). */
int limit_init(size_t max_open);
void limit_fini(void);

/* Counts one more connection for key unless it already has per_client.
 * true when counted (release it later), false when over the limit. */
bool limit_acquire(const struct limit_key *key, unsigned long per_client);
void limit_release(const struct limit_key *key);

#endif

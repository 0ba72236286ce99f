/* cidr.h - address blocks ("10.0.0.0/8", "fd00::/8") and whether a
 * client's address is in one. No allocation, no state. */
#ifndef DOCKGATE_CIDR_H
#define DOCKGATE_CIDR_H

#include <stdbool.h>
#include <sys/socket.h>

struct cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network byte order, bits after prefix zero */
	unsigned prefix;        /* leading bits that must match */
};

enum cidr_result {
	CIDR_OK,
	CIDR_BAD_ADDRESS, /* not a numeric IPv4 or IPv6 address */
	CIDR_BAD_PREFIX,  /* not 0 to 32 (IPv4) or 128 (IPv6), in decimal */
	/* Bits set after the prefix: the writer meant another block than the
	 * one that would apply. *c holds the block with them cleared, for the
	 * message. */
	CIDR_HOST_BITS,
};

/* Parses "ADDRESS/PREFIX", or one address (a block of one). */
enum cidr_result cidr_parse(const char *text, struct cidr *c);

/* True when sa (AF_INET or AF_INET6) is in the block. An IPv4 address is
 * its IPv4-mapped IPv6 address ::ffff:a.b.c.d, as a dual-stack listener
 * sees IPv4 clients, on either side: 10.0.0.0/8 and ::ffff:10.0.0.0/104
 * are one block, ::/0 holds every client, 0.0.0.0/0 every IPv4 one. */
bool cidr_contains(const struct cidr *c, const struct sockaddr *sa);

#endif

/* cidr.c - address blocks; see cidr.h. */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

enum cidr_result cidr_parse(const char *text, struct cidr *c)
{
	memset(c, 0, sizeof *c);
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen >= sizeof addr)
		return CIDR_BAD_ADDRESS;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	c->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	unsigned bits = c->family == AF_INET ? 32 : 128;
	if (inet_pton(c->family, addr, c->addr) != 1)
		return CIDR_BAD_ADDRESS;
	c->prefix = bits;
	if (slash != NULL) {
		const char *p = slash + 1;
		size_t digits = strspn(p, "0123456789");
		if (digits == 0 || digits > 3 || p[digits] != '\0')
			return CIDR_BAD_PREFIX;
		unsigned prefix = 0;
		for (size_t i = 0; i < digits; i++)
			prefix = prefix * 10 + (unsigned)(p[i] - '0');
		if (prefix > bits)
			return CIDR_BAD_PREFIX;
		c->prefix = prefix;
	}
	bool host_bits = false;
	for (unsigned b = c->prefix; b < bits; b++) {
		unsigned char bit = (unsigned char)(0x80u >> (b % 8));
		host_bits |= (c->addr[b / 8] & bit) != 0;
		c->addr[b / 8] &= (unsigned char)~bit;
	}
	return host_bits ? CIDR_HOST_BITS : CIDR_OK;
}

/* The 128-bit name of an IPv4 address, ::ffff:a.b.c.d: what a dual-stack
 * listener's accept() gives for an IPv4 client. */
static void ipv4_mapped(const unsigned char v4[4], unsigned char out[16])
{
	static const unsigned char prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	memcpy(out, prefix, sizeof prefix);
	memcpy(out + 12, v4, 4);
}

bool cidr_contains(const struct cidr *c, const struct sockaddr *sa)
{
	/* Both sides as IPv6 names: an IPv4 client is the same client on a
	 * 0.0.0.0 listener and on a [::] one, and an IPv4 block is the same
	 * block written 10.0.0.0/8 or ::ffff:10.0.0.0/104. Compared apart,
	 * a block written one way matched nobody seen the other way, and
	 * the client fell through to the entries after it. */
	unsigned char a[16], block[16];
	if (sa->sa_family == AF_INET)
		ipv4_mapped((const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)
				    ->sin_addr, a);
	else if (sa->sa_family == AF_INET6)
		memcpy(a, ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr, 16);
	else
		return false;
	unsigned prefix = c->prefix;
	if (c->family == AF_INET) {
		ipv4_mapped(c->addr, block);
		prefix += 96;
	} else {
		memcpy(block, c->addr, 16);
	}
	unsigned whole = prefix / 8, rest = prefix % 8;
	if (memcmp(a, block, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xffu << (8 - rest));
	return (a[whole] & mask) == block[whole];
}

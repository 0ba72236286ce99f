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

bool cidr_contains(const struct cidr *c, const struct sockaddr *sa)
{
	const unsigned char *a;
	int family = sa->sa_family;
	if (family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		a = in6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			family = AF_INET;
			a += 12;
		}
	} else {
		return false;
	}
	if (family != c->family)
		return false;
	unsigned whole = c->prefix / 8, rest = c->prefix % 8;
	if (memcmp(a, c->addr, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xffu << (8 - rest));
	return (a[whole] & mask) == c->addr[whole];
}

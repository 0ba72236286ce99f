/* cfg_listen.c - LISTEN's items, "tcp://HOST:PORT" and "unix:///PATH",
 * and the socket address of each; see cfg.h. */
#include "cfg.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

/* One "tcp://HOST:PORT" or "unix:///PATH" item. 0 or -1 with *why. */
static int parse_listener(const char *item, size_t len, struct cfg_listener *l,
			  const char **why)
{
	memset(l, 0, sizeof *l);
	if (len >= sizeof l->text) {
		*why = "listener too long";
		return -1;
	}
	memcpy(l->text, item, len);
	if (strncmp(l->text, "unix://", 7) == 0) {
		const char *path = l->text + 7;
		if (path[0] != '/' || strlen(path) >= sizeof l->path) {
			*why = "a unix listener needs an absolute path shorter than 108 bytes";
			return -1;
		}
		l->kind = CFG_LISTEN_UNIX;
		strcpy(l->path, path);
		return 0;
	}
	if (strncmp(l->text, "tcp://", 6) != 0) {
		*why = "a listener starts with tcp:// or unix://";
		return -1;
	}
	const char *host = l->text + 6, *colon;
	size_t hlen;
	bool bracketed = host[0] == '[';
	if (bracketed) {
		const char *close = strchr(host, ']');
		if (close == NULL || close[1] != ':') {
			*why = "an IPv6 listener is written tcp://[ADDR]:PORT";
			return -1;
		}
		host++;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strchr(host, ':');
		if (colon == NULL) {
			*why = "a TCP listener needs a port: tcp://HOST:PORT";
			return -1;
		}
		hlen = (size_t)(colon - host);
	}
	if (!bracketed && strchr(colon + 1, ':') != NULL) {
		*why = "an IPv6 listener is written tcp://[ADDR]:PORT";
		return -1;
	}
	if (hlen == 0 || hlen >= sizeof l->host) {
		*why = "a TCP listener needs a host: tcp://HOST:PORT";
		return -1;
	}
	memcpy(l->host, host, hlen);
	if (!bracketed && strcmp(l->host, "localhost") == 0)
		strcpy(l->host, "127.0.0.1");
	/* Brackets hold IPv6 only, and IPv6 only comes in brackets
	 * (RFC 3986 §3.2.2), so "::1:2375" is never guessed at. */
	unsigned char addr[16];
	if (inet_pton(bracketed ? AF_INET6 : AF_INET, l->host, addr) != 1) {
		*why = bracketed ? "brackets must hold a numeric IPv6 address"
				 : "the host must be a numeric IPv4 address, localhost or [IPv6]";
		return -1;
	}
	unsigned long port = 0;
	const char *digit = colon + 1;
	while (*digit >= '0' && *digit <= '9' && port <= 65535)
		port = port * 10 + (unsigned long)(*digit++ - '0');
	if (*digit != '\0' || digit == colon + 1 || port == 0 || port > 65535) {
		*why = "the port must be 1 to 65535";
		return -1;
	}
	l->kind = CFG_LISTEN_TCP;
	l->port = (unsigned)port;
	return 0;
}

int cfg_parse_listen(const char *v, struct cfg *c, const char **why)
{
	c->n_listeners = 0;
	for (;;) {
		const char *comma = strchr(v, ',');
		size_t len = comma ? (size_t)(comma - v) : strlen(v);
		const char *item = v;
		while (len > 0 && *item == ' ') {
			item++;
			len--;
		}
		while (len > 0 && item[len - 1] == ' ')
			len--;
		if (len == 0) {
			*why = "empty listener";
			return -1;
		}
		if (c->n_listeners == CFG_MAX_LISTENERS) {
			*why = "at most 8 listeners";
			return -1;
		}
		if (parse_listener(item, len, &c->listeners[c->n_listeners], why))
			return -1;
		c->n_listeners++;
		if (comma == NULL)
			return 0;
		v = comma + 1;
	}
}

socklen_t cfg_listener_address(const struct cfg_listener *l, const char *host,
			       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (l->kind == CFG_LISTEN_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof sun->sun_path, "%s", l->path);
		return sizeof *sun;
	}
	const char *h = host ? host : l->host;
	if (strchr(h, ':') != NULL) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)l->port);
		inet_pton(AF_INET6, h, &in6->sin6_addr);
		return sizeof *in6;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)l->port);
	inet_pton(AF_INET, h, &in->sin_addr);
	return sizeof *in;
}

/* health.c - the --healthcheck probe; see health.h. */
#include "health.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg.h"

/* A unix client's socket is normally unnamed; the probe binds its own to
 * an abstract name starting with HEALTH_PROBE_PREFIX, which the listener
 * sees in accept() and counts in a small bucket of its own, so that
 * clients of the same uid holding all their connections do not make the
 * probe fail. Best effort: unnamed, it is counted like any client. */
static void mark_as_probe(int fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int n = snprintf(sun.sun_path + 1, sizeof sun.sun_path - 1, "%s%ld",
			 HEALTH_PROBE_PREFIX, (long)getpid());
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	int unused = bind(fd, (struct sockaddr *)&sun, len);
	(void)unused;
}

/* Connects to listener l, blocking with timeouts. fd or -1. */
static int connect_listener(const struct cfg_listener *l)
{
	/* A wildcard address listens everywhere: ask on loopback. */
	const char *host = NULL;
	if (l->kind == CFG_LISTEN_TCP && strcmp(l->host, "::") == 0)
		host = "::1";
	else if (l->kind == CFG_LISTEN_TCP && strcmp(l->host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	struct sockaddr_storage ss;
	socklen_t len = cfg_listener_address(l, host, &ss);
	int family = ss.ss_family;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (l->kind == CFG_LISTEN_UNIX)
		mark_as_probe(fd);
	/* The timeouts bound each wait of the probe (connect, send, recv).
	 * Without them its answer is still right; only a hung proxy would
	 * hold it until the health runner's own timeout ends it (Docker's
	 * HEALTHCHECK --timeout), which counts as a failure too. So a
	 * failure is a warning, and the probe goes on. */
	struct timeval tv = { .tv_sec = 3 };
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == -1)
		fprintf(stderr, "dockgate: healthcheck: cannot limit its wait to %d s (%s); "
				"going on without a limit\n", (int)tv.tv_sec, strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int health_check(const struct cfg *c)
{
	const struct cfg_listener *l = &c->listeners[0];
	int fd = connect_listener(l);
	if (fd == -1 && l->kind == CFG_LISTEN_TCP && strcmp(l->host, "::") == 0) {
		/* The default [::] may have fallen back to IPv4. */
		struct cfg_listener v4 = *l;
		strcpy(v4.host, "127.0.0.1");
		fd = connect_listener(&v4);
	}
	if (fd == -1) {
		fprintf(stderr, "dockgate: healthcheck: cannot connect to %s\n", l->text);
		return 1;
	}
	static const char probe[] = "HEAD /_ping HTTP/1.1\r\nHost: dockgate\r\n"
				    "User-Agent: " HEALTH_PROBE_AGENT "\r\nConnection: close\r\n\r\n";
	char resp[64] = "";
	ssize_t n = -1;
	if (send(fd, probe, sizeof probe - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof probe - 1))
		n = recv(fd, resp, sizeof resp - 1, 0);
	close(fd);
	/* "HTTP/1.x NNN": three digits, read by hand (sscanf would bring
	 * the whole scanf and strtod machinery into the static binary). */
	int status = 0;
	if (n >= 12 && memcmp(resp, "HTTP/1.", 7) == 0 && resp[8] == ' ')
		for (int i = 9; i < 12; i++) {
			if (resp[i] < '0' || resp[i] > '9') {
				status = 0;
				break;
			}
			status = status * 10 + (resp[i] - '0');
		}
	if (status == 200 || status == 403)
		return 0;
	fprintf(stderr, "dockgate: healthcheck: %s answered %s\n", l->text,
		status ? (status == 502 ? "502: the Docker daemon is unreachable" : "an error")
		       : "nothing usable");
	return 1;
}

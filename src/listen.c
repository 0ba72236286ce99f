/* listen.c - listeners; see listen.h. */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "answer.h"
#include "binding.h"
#include "buf.h"
#include "conn.h"
#include "health.h"
#include "limit.h"
#include "log.h"
#include "loop.h"
#include "policy.h"
#include "sockfile.h"

struct listener {
	struct loop_watch watch;
	const struct cfg_listener *spec;
	size_t index; /* in LISTEN, as binding.h and the policy file count */
	struct sockfile file; /* unix listeners: the socket file we made */
};

static struct listener listeners[CFG_MAX_LISTENERS];
static size_t n_listeners;
static unsigned long max_connections;
static unsigned long max_per_client;
/* Kept open so that at EMFILE we can still accept and close a client
 * instead of spinning on a listener that stays readable. */
static int reserve_fd = -1;

/* Who is on the other end: the address for TCP, the peer's credentials
 * (SO_PEERCRED) for unix sockets, where every client has the same path. */
struct peer {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct ucred cred;
};

/* Formats the peer for logs: "1.2.3.4:5", "[::1]:5", "unix:pid=7,uid=0". */
static void peer_name(const struct peer *pr, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_storage *ss = &pr->addr;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		snprintf(out, cap, "%s:%u", host, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		snprintf(out, cap, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(out, cap, "unix:pid=%d,uid=%u", (int)pr->cred.pid,
			 (unsigned)pr->cred.uid);
	}
}

/* Whether a unix peer bound its socket to the health probe's abstract
 * name (health.h). */
static bool is_health_probe(const struct peer *pr)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&pr->addr;
	size_t base = offsetof(struct sockaddr_un, sun_path) + 1;
	size_t plen = sizeof HEALTH_PROBE_PREFIX - 1;
	return pr->addr.ss_family == AF_UNIX && pr->addr_len >= base + plen &&
	       sun->sun_path[0] == '\0' && memcmp(sun->sun_path + 1, HEALTH_PROBE_PREFIX, plen) == 0;
}

/* The per-client key: the IP address for TCP, the peer's uid for unix;
 * health probes of a uid have a bucket of their own unless normal is set.
 * Returns the bucket's limit. */
static unsigned long client_key(const struct peer *pr, bool normal, struct limit_key *k)
{
	memset(k, 0, sizeof *k);
	k->bytes[0] = (unsigned char)pr->addr.ss_family;
	if (!normal && is_health_probe(pr)) {
		k->bytes[0] |= 0x80;
		memcpy(k->bytes + 1, &pr->cred.uid, sizeof pr->cred.uid);
		return HEALTH_PROBE_SLOTS;
	}
	if (pr->addr.ss_family == AF_INET)
		memcpy(k->bytes + 1, &((const struct sockaddr_in *)&pr->addr)->sin_addr, 4);
	else if (pr->addr.ss_family == AF_INET6)
		memcpy(k->bytes + 1, &((const struct sockaddr_in6 *)&pr->addr)->sin6_addr, 16);
	else
		memcpy(k->bytes + 1, &pr->cred.uid, sizeof pr->cred.uid);
	return max_per_client;
}

/* Takes a slot for the peer; false when its bucket is full. Anyone of a
 * uid can bind the probe's name and hold the probe bucket: a probe that
 * finds it full is counted in the uid's normal bucket instead, so that
 * failing the health check takes filling both. *bucket: the limit hit. */
static bool acquire(const struct peer *pr, struct limit_key *k, unsigned long *bucket)
{
	*bucket = client_key(pr, false, k);
	if (limit_acquire(k, *bucket))
		return true;
	if (!is_health_probe(pr))
		return false;
	*bucket = client_key(pr, true, k);
	return limit_acquire(k, *bucket);
}

/* Too many connections: answer 503 on the spot and close. The write is
 * best effort; a full socket buffer just means the client sees a close. */
static void refuse(int fd)
{
	struct buf b;
	buf_init(&b, 512);
	if (answer_build(&b, 503, "dockgate: too many connections, try again later",
			   ANSWER_CLOSE) == 0) {
		ssize_t unused = send(fd, buf_head(&b), buf_len(&b), MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)unused;
	}
	buf_release(&b);
	close(fd);
}

/* Reads a unix peer's credentials, whose uid names its per-client
 * bucket. 0, or -1 with errno: the caller then refuses the client, since
 * the zeroed credentials would count it as root (uid 0), in root's
 * bucket. */
static int read_peer_cred(int fd, struct peer *pr)
{
	socklen_t len = sizeof pr->cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &pr->cred, &len) == -1)
		return -1;
	if (len != sizeof pr->cred) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static void on_accept(struct loop_watch *w, uint32_t events)
{
	struct listener *ls = w->owner;
	(void)events;
	for (;;) {
		struct peer pr = { 0 };
		pr.addr_len = sizeof pr.addr;
		int fd = accept4(w->fd, (struct sockaddr *)&pr.addr, &pr.addr_len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE) && conn_shed_idle_upstream())
				continue; /* a descriptor is free again: accept it */
			if ((errno == EMFILE || errno == ENFILE) && reserve_fd >= 0) {
				close(reserve_fd);
				fd = accept(w->fd, NULL, NULL);
				if (fd >= 0)
					close(fd);
				reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
				/* accept() says EMFILE before it looks at the queue:
				 * only the reserve's accept tells whether anyone was
				 * still waiting. Without this the loop never ends. */
				if (fd < 0)
					return;
				log_warn("out of file descriptors: refused a connection on %s",
					 ls->spec->text);
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_err("accept on %s: %s", ls->spec->text, strerror(errno));
			return;
		}
		if (conn_count() >= max_connections) {
			log_notice("connection limit (%lu) reached: refused a client on %s",
				   max_connections, ls->spec->text);
			refuse(fd);
			continue;
		}
		if (pr.addr.ss_family == AF_UNIX && read_peer_cred(fd, &pr) == -1) {
			log_err("a client on %s is closed: cannot tell its uid (SO_PEERCRED: %s)",
				ls->spec->text, strerror(errno));
			close(fd);
			continue;
		}
		char peer[CONN_PEER_MAX];
		peer_name(&pr, peer, sizeof peer);
		struct limit_key key;
		unsigned long bucket;
		if (!acquire(&pr, &key, &bucket)) {
			log_notice("per-client limit (%lu) reached: refused %s", bucket, peer);
			refuse(fd);
			continue;
		}
		/* Who serves it: what accept4 and SO_PEERCRED said. */
		bool is_unix = pr.addr.ss_family == AF_UNIX;
		struct binding *served_by =
			binding_pick(ls->index, is_unix ? NULL : (struct sockaddr *)&pr.addr,
				     is_unix ? &pr.cred : NULL);
		if (conn_start(fd, ls->index, served_by, peer, &key) == -1) {
			log_err("cannot set up a connection from %s: %s", peer, strerror(errno));
			binding_release(served_by);
			limit_release(&key);
			close(fd);
		}
	}
}

/* Sets what a TCP listener promises. 0, or -1 with errno after logging
 * a failure that must stop startup; a failure that only costs a quick
 * restart is logged as a warning. */
static int tune_tcp_listener(int fd, int family, const struct cfg_listener *spec)
{
	int one = 1, zero = 0;
	/* Without SO_REUSEADDR only a restart while the last run's
	 * connections are in TIME_WAIT (a minute) is refused, by bind(),
	 * with a message of its own: serving is not affected. A warning. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1)
		log_warn("LISTEN=%s: cannot set SO_REUSEADDR (%s): a restart within a minute "
			 "may find the port still in use", spec->text, strerror(errno));
	/* docs/engine-api.md §12: hijacked streams (attach, exec) must not
	 * wait for Nagle's algorithm, or docker-py loses output.
	 * Linux gives accepted sockets the listener's TCP_NODELAY: one call
	 * here instead of one per client. A listener without it would serve
	 * those streams wrong: fatal. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1) {
		log_err("LISTEN=%s: cannot set TCP_NODELAY (%s), without which attached "
			"streams stall", spec->text, strerror(errno));
		return -1;
	}
	/* An IPv6 address takes IPv4 clients too, as docker-socket-proxy's
	 * "[::]" does. Where it fails (or net.ipv6.bindv6only=1 stays in
	 * force), IPv4 clients would find nothing listening and nothing
	 * would say why: fatal. */
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) == -1) {
		log_err("LISTEN=%s: cannot make this IPv6 listener take IPv4 clients too "
			"(IPV6_V6ONLY=0: %s), so they would find nothing; for IPv4 listen on "
			"tcp://0.0.0.0:%u%s", spec->text, strerror(errno), spec->port,
			strcmp(spec->host, "::") == 0 ? " (DISABLE_IPV6=1 does so for the default)" : "");
		return -1;
	}
	return 0;
}

/* A listening TCP socket for spec. fd, or -1 with errno (a failed setup
 * step logged already by tune_tcp_listener). */
static int open_tcp(const struct cfg_listener *spec)
{
	struct sockaddr_storage ss;
	socklen_t len = cfg_listener_address(spec, NULL, &ss);
	int family = ss.ss_family;
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (tune_tcp_listener(fd, family, spec) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1 || listen(fd, 511) == -1) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* True for 127.0.0.0/8 and ::1 (and ::ffff:127.x): only this host reaches
 * a listener there. */
static bool loopback_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

/* A TCP listener that other hosts can reach hands them the policy with no
 * authentication: say so once at startup, with what it opens. Inside a
 * container the default [::]:2375 is only on the container's networks,
 * which is what docker-socket-proxy users expect; on a host it is every
 * network the host is on. */
static void warn_if_exposed(const struct cfg *c, const struct cfg_listener *spec)
{
	if (spec->kind != CFG_LISTEN_TCP || loopback_host(spec->host))
		return;
	char open[256] = "";
	size_t o = 0;
	for (size_t i = 0; i < policy_n_sections && o < sizeof open; i++)
		if (c->policy.section_on[i])
			o += (size_t)snprintf(open + o, sizeof open - o, "%s%s", o ? " " : "",
					      policy_sections[i].setting);
	bool any = strcmp(spec->host, "::") == 0 || strcmp(spec->host, "0.0.0.0") == 0;
	log_warn("LISTEN=%s: %s can use the Docker API through this listener, without "
		 "authentication, as far as the policy allows: sections %s, %s%s; use "
		 "tcp://127.0.0.1:PORT or a unix:// listener unless only trusted hosts can "
		 "reach this address",
		 spec->text, any ? "every host that can reach any address of this machine "
				   "(or of this container's networks)"
				 : "every host that can reach this address",
		 o ? open : "none",
		 c->policy.post ? "all methods (POST=1)" : "reads only (POST=0)",
		 (c->policy.allow_start || c->policy.allow_stop || c->policy.allow_restarts)
			 ? ", and container lifecycle actions (ALLOW_*)" : "");
}

int listen_open_all(struct loop *l, const struct cfg *c)
{
	max_connections = c->max_connections;
	max_per_client = c->max_connections_per_client;
	if (limit_init(c->max_connections) == -1) {
		log_err("out of memory for the per-client table");
		return -1;
	}
	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; i < c->n_listeners; i++) {
		const struct cfg_listener *spec = &c->listeners[i];
		struct listener *ls = &listeners[n_listeners];
		ls->file.dir_fd = -1;
		int fd = spec->kind == CFG_LISTEN_UNIX ? sockfile_open(c, spec, &ls->file)
						       : open_tcp(spec);
		if (fd == -1 && errno == EAFNOSUPPORT && c->listen_is_default) {
			/* A host or container without IPv6: the default
			 * dual-stack listener degrades to IPv4, as with
			 * DISABLE_IPV6=1, instead of refusing to start. */
			log_warn("IPv6 is not available: listening on tcp://0.0.0.0:2375 instead");
			static const struct cfg_listener v4 = {
				.kind = CFG_LISTEN_TCP, .host = "0.0.0.0", .port = 2375,
				.text = "tcp://0.0.0.0:2375",
			};
			spec = &v4;
			fd = open_tcp(spec);
		}
		if (fd == -1) {
			log_err("LISTEN: cannot listen on %s: %s", spec->text, strerror(errno));
			listen_close_all(l);
			return -1;
		}
		n_listeners++;
		ls->spec = spec;
		ls->index = i;
		ls->watch = (struct loop_watch){ fd, on_accept, ls };
		if (loop_add(l, &ls->watch, EPOLLIN) == -1) {
			log_err("epoll: %s", strerror(errno));
			listen_close_all(l);
			return -1;
		}
		log_notice("listening on %s", spec->text);
		warn_if_exposed(c, spec);
	}
	return 0;
}

int listen_start_janitor(const struct cfg *c)
{
	struct sockfile *files[CFG_MAX_LISTENERS];
	size_t n = 0;
	for (size_t i = 0; i < n_listeners; i++)
		if (listeners[i].file.dir_fd >= 0)
			files[n++] = &listeners[i].file;
	if (sockfile_start_janitor(c, files, n) == -1) {
		log_err("cannot start the process that removes the listener files at exit: %s",
			strerror(errno));
		return -1;
	}
	return 0;
}

void listen_close_all(struct loop *l)
{
	for (size_t i = 0; i < n_listeners; i++) {
		loop_del(l, &listeners[i].watch);
		close(listeners[i].watch.fd);
		sockfile_remove(&listeners[i].file); /* before the janitor starts */
	}
	sockfile_stop_janitor();
	n_listeners = 0;
	if (reserve_fd >= 0)
		close(reserve_fd);
	reserve_fd = -1;
}

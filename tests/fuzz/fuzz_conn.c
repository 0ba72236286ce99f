/* libFuzzer target: whole connections. Arbitrary client bytes go through
 * the real connection state machine and event loop (conn.c, loop.c) to a
 * recording upstream on a unix socket, which answers every request it
 * receives with "200 OK". Invariants checked on every input:
 *   1. every request the upstream receives is well-formed, has a clean
 *      target, and is allowed by the policy;
 *   2. no byte reaches the upstream outside such a request (nothing of a
 *      denied or unparsed request, no trailing garbage);
 *   3. the proxy never crashes and, once the client is gone, holds no
 *      connection (no leak across inputs); a daemon connection it pooled
 *      is closed when the daemon closes it. */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "binding.h"
#include "cfg.h"
#include "chunk.h"
#include "conn.h"
#include "h1.h"
#include "limit.h"
#include "log.h"
#include "loop.h"
#include "path.h"
#include "policy.h"
#include "upstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UP_MAX 8

/* One upstream connection as the recording daemon sees it. */
struct daemon_conn {
	int fd;
	char buf[1 << 16];
	size_t len;
	/* the body of the request being received */
	int in_body; /* 0 none, 1 length, 2 chunked */
	unsigned long long left;
	struct chunk_dec chunk;
	bool head_method;
};

static struct loop lp;
static struct cfg settings;
static struct policy *pol;
static int listen_fd = -1;
static struct daemon_conn ups[UP_MAX];
/* The forwarded head may have one line more than the client's (a
 * regenerated Connection), so the daemon side takes two more than
 * MAX_HEADERS, as fuzz_request.c does. */
static struct h1_header slots[66];

static void setup(void)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/dockgate-fuzz-%d.sock", (int)getpid());
	unlink(path);
	memset(&settings, 0, sizeof settings);
	snprintf(settings.socket_path, sizeof settings.socket_path, "%s", path);
	settings.max_head_size = 8192;
	settings.max_headers = 64;
	settings.header_timeout_s = 10;
	settings.idle_timeout_s = 10;
	settings.max_connections = 16;
	settings.upstream_pool = 4; /* a clean daemon connection outlives its client */
	struct policy_settings ps = { .allow_start = true };
	for (size_t i = 0; i < policy_n_sections; i++)
		ps.section_on[i] = policy_sections[i].default_on;
	ps.section_on[7] = true; /* CONTAINERS, read-only without POST */
	pol = policy_compile(&ps, NULL, 0);
	log_set_level(LOG_L_EMERG);
	signal(SIGPIPE, SIG_IGN); /* the proxy may close before we finish writing */
	assert(loop_init(&lp) == 0);
	lp.after_batch = conn_after_batch;
	assert(conn_setup(&lp, &settings, pol) == 0);
	/* No policy file: every connection is served by the env rule list. */
	assert(binding_setup(NULL, 0, NULL, pol, NULL, NULL) == 0);
	assert(limit_init(16) == 0);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	assert(bind(listen_fd, (struct sockaddr *)&sun, sizeof sun) == 0);
	assert(listen(listen_fd, 16) == 0);
	for (int i = 0; i < UP_MAX; i++)
		ups[i].fd = -1;
}

/* Checks and consumes complete requests (and bodies) in u->buf, answering
 * each. Asserts the invariants on what arrived. */
static void daemon_consume(struct daemon_conn *u)
{
	for (;;) {
		if (u->in_body == 1) {
			size_t n = u->len < u->left ? u->len : (size_t)u->left;
			memmove(u->buf, u->buf + n, u->len - n);
			u->len -= n;
			u->left -= n;
			if (u->left > 0)
				return;
			u->in_body = 0;
		} else if (u->in_body == 2) {
			size_t off = 0;
			while (off < u->len && !chunk_done(&u->chunk)) {
				struct span d;
				ssize_t r = chunk_decode(&u->chunk, u->buf + off, u->len - off, &d);
				assert(r > 0); /* our own re-encoding is always valid */
				off += (size_t)r;
			}
			memmove(u->buf, u->buf + off, u->len - off);
			u->len -= off;
			if (!chunk_done(&u->chunk))
				return;
			u->in_body = 0;
		}
		if (u->len == 0)
			return;
		struct h1_request rq = { .headers = slots };
		struct h1_limits lim = { sizeof u->buf, 66 };
		size_t scan = 0;
		ssize_t r = h1_parse_request(u->buf, u->len, &scan, &lim, &rq);
		assert(r >= 0); /* invariant 1: forwarded heads are well-formed */
		if (r == 0)
			return;
		char scratch[sizeof u->buf];
		struct path_info info;
		assert(path_check(rq.target, scratch, sizeof scratch, &info) == 0);
		struct policy_verdict v;
		struct policy_request preq = {
			.method = rq.method,
			.path = &info,
			.has_body = rq.body == H1_BODY_CHUNKED ||
				    (rq.body == H1_BODY_LENGTH && rq.content_length > 0),
		};
		policy_judge(pol, &preq, &v);
		assert(v.allow); /* invariant 1: only allowed requests arrive */
		u->head_method = span_eq(rq.method, "HEAD");
		u->in_body = rq.body == H1_BODY_LENGTH ? 1 : rq.body == H1_BODY_CHUNKED ? 2 : 0;
		u->left = rq.content_length;
		if (u->in_body == 2)
			chunk_init(&u->chunk);
		memmove(u->buf, u->buf + r, u->len - (size_t)r);
		u->len -= (size_t)r;
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
		static const char ok_head[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
		const char *resp = u->head_method ? ok_head : ok;
		ssize_t unused = send(u->fd, resp, strlen(resp), MSG_NOSIGNAL);
		(void)unused;
	}
}

/* Accepts and reads upstream connections; true when anything moved. */
static bool daemon_poll(void)
{
	bool moved = false;
	int fd;
	while ((fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int i = 0;
		while (i < UP_MAX && ups[i].fd >= 0)
			i++;
		assert(i < UP_MAX); /* one upstream per client: never many */
		memset(&ups[i], 0, sizeof ups[i]);
		ups[i].fd = fd;
		moved = true;
	}
	for (int i = 0; i < UP_MAX; i++) {
		struct daemon_conn *u = &ups[i];
		if (u->fd < 0)
			continue;
		ssize_t n = read(u->fd, u->buf + u->len, sizeof u->buf - u->len);
		if (n > 0) {
			u->len += (size_t)n;
			daemon_consume(u);
			moved = true;
		} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			/* invariant 2: nothing but a body in progress is left */
			assert(u->len == 0 || u->in_body != 0);
			close(u->fd);
			u->fd = -1;
			moved = true;
		}
	}
	return moved;
}

/* Runs the proxy and the upstream until neither moves for a few rounds. */
static void settle(int client)
{
	char sink[4096];
	int quiet = 0;
	for (int round = 0; round < 2000 && quiet < 3; round++) {
		bool pending;
		int events = loop_run_once(&lp, 0, &pending);
		bool moved = daemon_poll();
		while (client >= 0 && read(client, sink, sizeof sink) > 0)
			moved = true;
		quiet = (events > 0 || pending || moved) ? 0 : quiet + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (listen_fd < 0)
		setup();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1)
		return 0;
	struct limit_key key = { { 0 } };
	assert(limit_acquire(&key, 1000));
	assert(conn_start(sv[0], 0, binding_pick(0, NULL, NULL), "fuzz", &key) == 0);
	/* Feed in two writes so that the split point varies with the input. */
	size_t first = size ? data[0] % (size + 1) : 0;
	ssize_t unused = write(sv[1], data, first);
	settle(sv[1]);
	unused = write(sv[1], data + first, size - first);
	(void)unused;
	settle(sv[1]);
	shutdown(sv[1], SHUT_WR);
	settle(sv[1]);
	close(sv[1]);
	settle(-1);
	/* Whatever the proxy still holds must go once the client is gone and
	 * the upstream has closed. */
	for (int i = 0; i < UP_MAX; i++)
		if (ups[i].fd >= 0) {
			close(ups[i].fd);
			ups[i].fd = -1;
		}
	settle(-1);
	assert(conn_count() == 0); /* invariant 3: no connection leaks */
	assert(upstream_pooled() == 0);
	return 0;
}

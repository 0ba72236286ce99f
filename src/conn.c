/* conn.c - the connection state machine; see conn.h.
 *
 * Each client connection has two directions, each with an input and an
 * output buffer:
 *
 *   client --cin--> [parse, judge, rebuild, re-chunk] --uout--> daemon
 *   client <--cout-- [parse framing, pass through]    <--uin--- daemon
 *
 * Requests are handled strictly one at a time: the next request's bytes
 * stay unparsed in cin until the current response has ended, so nothing
 * is forwarded before it was parsed and judged as a request of its own.
 * Sockets are edge-triggered; the *_readable/_writable flags remember
 * readiness until a call returns EAGAIN. */
#include "conn.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "chunk.h"
#include "h1.h"
#include "limit.h"
#include "log.h"
#include "loop.h"
#include "path.h"
#include "policy.h"
#include "relay.h"
#include "upstream.h"

#define CONN_RESP_BUF 16384
/* A denied request's Content-Length body up to this size is read and
 * dropped so the connection stays usable; a larger one closes it. */
#define CONN_DISCARD_MAX 65536
/* Rounds of reading and writing one connection gets per event before the
 * others get their turn: a fast bulk transfer must not starve them. */
#define CONN_TURN_ROUNDS 16
/* What a closing connection may still read and drop before we give up. */
#define CONN_LINGER_BYTES (1u << 20)
/* How long a closing connection may take to read its last response. */
#define CONN_LINGER_MS 2000
/* The access log's "METHOD /path": allocated while a request is in
 * flight, so an idle connection does not carry it. */
#define CONN_LINE_MAX 200
/* A Content-Length response body at least this long goes socket to
 * socket with splice(2) instead of through uin and cout. */
#define CONN_RELAY_MIN (128 * 1024)
/* How often per tick a connection in the middle of a response gives its
 * empty buffers back (see the end of conn_run()). */
#define CONN_TRIMS_PER_TICK 4
/* Ticks a request waits for room in the daemon's listen backlog. */
#define CONN_CONNECT_TRIES 5
/* Room kept free in cout for an error answer of our own. */
#define CONN_ERROR_ROOM 2048
/* How much of a departed client's unread bytes we look at to tell
 * whether its request body can still end. */
#define CONN_TAIL_PEEK (256 * 1024)

enum req_state {
	REQ_HEAD,    /* waiting for, then parsing, a request head */
	REQ_BODY,    /* forwarding an allowed request's body */
	REQ_DISCARD, /* dropping a denied request's small body */
	REQ_DONE,    /* request forwarded; waiting for its response to end */
	REQ_TUNNEL,  /* hijacked: raw client bytes go to the daemon */
	REQ_CLOSED,  /* no further request is read; input is dropped */
};

enum resp_state {
	RESP_IDLE,   /* no request outstanding */
	RESP_HEAD,   /* waiting for the response head */
	RESP_BODY,   /* passing the response body through */
	RESP_RELAY,  /* a long Content-Length body, spliced in the kernel */
	RESP_TUNNEL, /* hijacked: raw daemon bytes go to the client */
};

struct conn {
	struct loop_watch client;   /* client socket; fd -1 once closed */
	struct upstream *up;        /* daemon connection; NULL when none */
	struct conn *prev, *next;
	bool client_readable, client_writable, up_readable, up_writable;
	/* the peer has shut down its side: read on until EOF is seen */
	bool client_rdhup, up_rdhup;
	bool client_eof, up_eof, client_shut_wr, up_shut_wr;
	/* a unix client closed its socket in a tunnel: the stdin it sent is
	 * still read and forwarded, what would go to it is dropped */
	bool client_gone;
	/* up is at a message boundary: its last response ended by its own
	 * framing and nothing else was sent or received since */
	bool up_reusable;
	bool closing; /* close once cout has been flushed */
	bool close_at_once; /* ... without waiting for the client's own close */
	bool dead;    /* closed; freed after the current batch */
	bool queued;  /* on the run-again list: its turn ended with work left */
	bool ran_this_tick; /* had a turn since the last conn_tick() */
	unsigned char trims_this_tick; /* gave its buffers back since then */
	bool connect_wait; /* the daemon's backlog was full: retry at the tick */
	unsigned char connect_tries;
	struct conn *next_queued;
	unsigned lingered; /* bytes dropped while closing */
	enum req_state req;
	enum resp_state resp;
	int status; /* for the access log */
	struct buf cin, uout, uin, cout;
	/* Body bytes at the front of uin that go to the client as they are,
	 * after cout, without a copy. While there are any nothing else may
	 * enter cout (it would overtake them): the next request waits. */
	size_t uin_passed;
	size_t head_scan, resp_scan;
	bool head_started;
	/* the request in flight */
	bool req_chunked, req_keep_alive, req_was_head, req_upgrade, req_hijack;
	/* the client has sent all it will: body_cannot_end() was asked */
	bool req_tail_checked;
	bool tunnel_pending;
	bool tunnel_head_unsent; /* the 101/200 head is still in cout */
	unsigned long long req_left;
	struct chunk_dec req_chunk;
	/* its response */
	enum h1_body resp_body;
	bool resp_keep_alive;
	unsigned long long resp_left;
	struct chunk_dec resp_chunk;
	struct relay relay; /* RESP_RELAY only */
	/* for the access log (and status, above) */
	unsigned long long bytes_out;
	long long started_ms;
	const char *because;
	long long deadline_ms; /* 0: none */
	struct limit_key client_key; /* counted in limit.c while open */
	char peer[CONN_PEER_MAX];
	char *line; /* "METHOD /path" of the request in flight, for logs */
};

/* Shared by every connection; set once by conn_setup(). */
static struct loop *loop;
static const struct cfg *cfg;
static const struct policy *policy;
static struct h1_limits limits;
static struct h1_header *header_slots;
static char *path_scratch;
static char *tail_scratch; /* CONN_TAIL_PEEK bytes, see peek_tail() */
static struct conn *all_conns;
static struct conn *reap_list;
static struct conn *run_again;
static size_t n_conns;
static bool draining;

static void on_client_event(struct loop_watch *w, uint32_t events);
static void conn_reap(void);
static void on_upstream_event(struct loop_watch *w, uint32_t events);

int conn_setup(struct loop *l, const struct cfg *c, const struct policy *p)
{
	loop = l;
	cfg = c;
	policy = p;
	limits.head_bytes = c->max_head_size;
	limits.headers = c->max_headers;
	header_slots = calloc(c->max_headers, sizeof *header_slots);
	path_scratch = malloc(c->max_head_size);
	tail_scratch = malloc(CONN_TAIL_PEEK);
	upstream_setup(l, c->socket_path, (unsigned)c->upstream_pool,
		       (unsigned)c->idle_timeout_s);
	if (header_slots == NULL || path_scratch == NULL || tail_scratch == NULL) {
		conn_setup_free();
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void conn_setup_free(void)
{
	free(header_slots);
	free(path_scratch);
	free(tail_scratch);
	buf_pool_free();
	header_slots = NULL;
	path_scratch = NULL;
	tail_scratch = NULL;
}

size_t conn_count(void)
{
	return n_conns;
}

/* Bytes that are ours to send to the client. */
static size_t out_pending(const struct conn *c)
{
	return buf_len(&c->cout) + c->uin_passed;
}

static void set_idle_deadline(struct conn *c)
{
	c->head_started = false;
	c->head_scan = 0;
	c->deadline_ms = loop_now_ms() + (long long)cfg->idle_timeout_s * 1000;
}

/* A request body is not a stream: one that moves no byte for
 * IDLE_TIMEOUT (the client stalls, or the daemon reads none of it, as
 * Go's server does not for a handler that ignores its body) is cut, and
 * its daemon connection with it. Each byte moved starts the wait anew. */
static void set_body_deadline(struct conn *c)
{
	c->deadline_ms = loop_now_ms() + (long long)cfg->idle_timeout_s * 1000;
}

int conn_start(int fd, const char *peer, const struct limit_key *key)
{
	struct conn *c = calloc(1, sizeof *c);
	if (c == NULL)
		return -1;
	/* The rebuilt head can be a little longer than the one received
	 * (": " after each name, regenerated framing lines). */
	size_t uout_cap = cfg->max_head_size + 8 * cfg->max_headers + 512;
	buf_init(&c->cin, cfg->max_head_size);
	buf_init(&c->uout, uout_cap);
	buf_init(&c->uin, CONN_RESP_BUF);
	buf_init(&c->cout, CONN_RESP_BUF + CONN_ERROR_ROOM);
	c->client = (struct loop_watch){ fd, on_client_event, c };
	relay_init(&c->relay);
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->client_key = *key;
	if (loop_add(loop, &c->client, EPOLLIN | EPOLLOUT | EPOLLRDHUP) == -1) {
		int saved = errno;
		free(c);
		errno = saved;
		return -1;
	}
	c->next = all_conns;
	if (all_conns)
		all_conns->prev = c;
	all_conns = c;
	n_conns++;
	set_idle_deadline(c);
	log_debug("%s: connected", c->peer);
	return 0;
}

/* Lets go of the daemon connection: back to the pool when it is at a
 * message boundary and reuse is asked for, else closed. */
static void release_upstream(struct conn *c, bool reuse)
{
	if (c->up == NULL)
		return;
	if (reuse && c->up_reusable && c->resp == RESP_IDLE &&
	    buf_len(&c->uin) == c->uin_passed && buf_len(&c->uout) == 0 && !draining)
		upstream_put(c->up);
	else
		upstream_close(c->up);
	c->up = NULL;
	c->up_reusable = false;
	c->up_readable = c->up_writable = c->up_rdhup = false;
	c->up_eof = c->up_shut_wr = false;
	/* What was passed on is the client's still; the rest is dropped. */
	c->uin.end = c->uin.start + c->uin_passed;
	c->uout.start = c->uout.end = 0;
}

static void close_upstream(struct conn *c)
{
	release_upstream(c, false);
}

/* Closes both sockets now; the struct is freed by conn_reap() after the
 * batch, since a later event of the same batch may still name it. */
static void conn_close(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	relay_close(&c->relay);
	release_upstream(c, true);
	close(c->client.fd); /* leaves the epoll set with it (no loop_del) */
	c->client.fd = -1;
	if (c->prev)
		c->prev->next = c->next;
	else
		all_conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = reap_list;
	reap_list = c;
	n_conns--;
	limit_release(&c->client_key);
	log_debug("%s: closed", c->peer);
}

static void conn_run(struct conn *c);

/* Gives back the storage of every empty buffer. */
static void trim_buffers(struct conn *c)
{
	buf_trim(&c->cin);
	buf_trim(&c->uout);
	buf_trim(&c->uin);
	buf_trim(&c->cout);
}

/* Frees connections closed during the batch. */
static void conn_reap(void)
{
	while (reap_list) {
		struct conn *c = reap_list;
		reap_list = c->next;
		buf_release(&c->cin);
		buf_release(&c->uout);
		buf_release(&c->uin);
		buf_release(&c->cout);
		free(c->line);
		free(c);
	}
	upstream_reap();
}

/* Sets the access log's request line, "METHOD /path", escaped (see
 * log_escape()): a client's quote, backslash or control byte cannot end
 * the quoted field or the line. At most 32 bytes of method and 160 of
 * path are taken, and what the escapes do not leave room for is cut.
 * Keeps the old text when there is no memory (the log line is then merely
 * stale, never wrong about safety). */
static void set_line(struct conn *c, const char *method, size_t method_n,
		     const char *path, size_t path_n)
{
	if (c->line == NULL && (c->line = malloc(CONN_LINE_MAX)) == NULL)
		return;
	/* No snprintf: this runs for every request. */
	method_n = method_n > 32 ? 32 : method_n;
	path_n = path_n > 160 ? 160 : path_n;
	size_t n = log_escape(c->line, CONN_LINE_MAX - 1, method, method_n);
	if (path_n) {
		c->line[n++] = ' ';
		log_escape(c->line + n, CONN_LINE_MAX - n, path, path_n);
	}
}

static const char *line_of(const struct conn *c)
{
	return c->line ? c->line : "-";
}

/* One line per request: who, what, the decision, the outcome. Built
 * without printf (it is most of a request's cost otherwise); the reason
 * of a denial may quote the client's decoded path, so it is escaped. */
static void log_access(struct conn *c, bool allowed, const char *why)
{
	struct log_line l;
	if (!log_line_begin(&l, LOG_L_INFO))
		return;
	long long ms = loop_now_ms() - c->started_ms;
	log_line_str(&l, c->peer);
	log_line_add(&l, " \"", 2);
	log_line_str(&l, line_of(c));
	if (allowed) {
		log_line_add(&l, "\" allow(", 8);
		log_line_str(&l, c->because ? c->because : "-");
		log_line_add(&l, ") status=", 9);
		log_line_uint(&l, (unsigned)c->status);
		log_line_add(&l, " bytes=", 7);
		log_line_uint(&l, c->bytes_out);
		log_line_add(&l, " ms=", 4);
		log_line_uint(&l, ms > 0 ? (unsigned long long)ms : 0);
	} else {
		log_line_add(&l, "\" DENY status=", 14);
		log_line_uint(&l, (unsigned)c->status);
		log_line_add(&l, " ms=", 4);
		log_line_uint(&l, ms > 0 ? (unsigned long long)ms : 0);
		log_line_add(&l, " reason=\"", 9);
		log_line_escaped(&l, why ? why : "-", why ? strlen(why) : 1);
		log_line_add(&l, "\"", 1);
	}
	log_line_end(&l);
}

/* No more requests on this connection: answer what is in cout, then
 * close. Input that still arrives is read and dropped meanwhile, so the
 * close does not turn into a reset that destroys our last answer. */
static void stop_requests(struct conn *c)
{
	c->req = REQ_CLOSED;
	c->closing = true;
	c->deadline_ms = loop_now_ms() + CONN_LINGER_MS + 3000;
}

/* Answers a request ourselves with a JSON error. */
static void reply_error(struct conn *c, int status, const char *msg, bool close)
{
	c->status = status;
	if (c->uin_passed > 0) {
		/* Only a timeout gets here with body bytes still passing: the
		 * answer cannot go after them, so the client just sees the close. */
		stop_requests(c);
		return;
	}
	unsigned flags = (close ? H1_ERR_CLOSE : 0) | (c->req_was_head ? H1_ERR_NO_BODY : 0);
	if (h1_build_error(&c->cout, status, msg, flags) == -1)
		close = true; /* no room: the client gets a close instead */
	if (close)
		stop_requests(c);
}

/* Copies the path part of the target (not the query, which may carry
 * secrets such as registry credentials in filters) for the access log. */
static void remember_line(struct conn *c, const struct h1_request *rq)
{
	const char *q = memchr(rq->target.p, '?', rq->target.n);
	size_t n = q ? (size_t)(q - rq->target.p) : rq->target.n;
	set_line(c, rq->method.p, rq->method.n, rq->target.p, n);
}

/* The one place a request is judged. A body is any Transfer-Encoding
 * (even one that turns out empty) or a Content-Length above 0: the
 * lifecycle switches admit none. */
static void judge_request(const struct h1_request *rq, const struct path_info *path,
			  struct policy_verdict *v)
{
	struct policy_request req = {
		.method = rq->method,
		.path = path,
		.has_body = rq->body == H1_BODY_CHUNKED ||
			    (rq->body == H1_BODY_LENGTH && rq->content_length > 0),
	};
	policy_judge(policy, &req, v);
}

static void deny(struct conn *c, const struct h1_request *rq, size_t head_len,
		 const struct policy_verdict *v)
{
	/* A Content-Length body we can skip keeps the connection; chunked,
	 * large, or Expect: 100-continue (the client may or may not send the
	 * body now) make its end uncertain, so we close. */
	bool skip = rq->body == H1_BODY_NONE ||
		    (rq->body == H1_BODY_LENGTH && !rq->expect_continue &&
		     rq->content_length <= CONN_DISCARD_MAX);
	bool close = !skip || !rq->keep_alive || draining;
	buf_consume(&c->cin, head_len);
	reply_error(c, 403, v->message, close);
	log_access(c, false, v->message);
	if (close)
		return;
	if (rq->body == H1_BODY_LENGTH && rq->content_length > 0) {
		c->req = REQ_DISCARD;
		c->req_left = rq->content_length;
	} else {
		set_idle_deadline(c);
	}
}

static int upstream_connect(struct conn *c)
{
	c->up = upstream_get(on_upstream_event, c);
	if (c->up == NULL)
		return -1;
	c->up_readable = c->up_rdhup = false;
	c->up_writable = true;
	c->up_eof = c->up_shut_wr = false;
	return 0;
}

/* Out of file descriptors: a pooled daemon connection, or else one kept
 * open for an idle client, is the cheapest one to give up (that client
 * reconnects on its next request). True when one was closed. */
static bool close_an_idle_upstream(const struct conn *except)
{
	if (upstream_shed_pooled())
		return true;
	if (except == NULL && draining)
		return false;
	for (struct conn *o = all_conns; o != NULL; o = o->next) {
		if (o != except && o->up != NULL && o->req == REQ_HEAD &&
		    o->resp == RESP_IDLE && buf_len(&o->uout) == 0) {
			close_upstream(o);
			return true;
		}
	}
	return false;
}

bool conn_shed_idle_upstream(void)
{
	return close_an_idle_upstream(NULL);
}

static void forward(struct conn *c, const struct h1_request *rq,
		    const struct path_info *path, size_t head_len)
{
	if (c->up == NULL && upstream_connect(c) == -1 &&
	    (errno == EMFILE || errno == ENFILE) && close_an_idle_upstream(c))
		upstream_connect(c);
	if (c->up == NULL) {
		/* A full listen backlog on the daemon's socket (EAGAIN) is a
		 * burst, not an outage: the head stays in cin and conn_tick()
		 * judges and forwards it again, a few times, before the 502. */
		if (errno == EAGAIN && c->connect_tries < CONN_CONNECT_TRIES) {
			c->connect_tries++;
			c->connect_wait = true;
			log_debug("%s: the daemon's listen queue is full; trying again", c->peer);
			return;
		}
		c->connect_tries = 0;
		char msg[300];
		snprintf(msg, sizeof msg, "dockgate: cannot reach the Docker daemon at %s: %s",
			 cfg->socket_path, strerror(errno));
		log_warn("%s", msg);
		buf_consume(&c->cin, head_len);
		reply_error(c, 502, msg, true);
		log_access(c, true, NULL);
		return;
	}
	c->connect_tries = 0;
	c->up_reusable = false;
	unsigned build = cfg->upstream_pool ? H1_BUILD_KEEP_UPSTREAM : 0;
	if (buf_len(&c->uout) != 0 || h1_build_request(rq, build, &c->uout) == -1) {
		buf_consume(&c->cin, head_len);
		reply_error(c, 500, "dockgate: internal error rebuilding the request", true);
		log_access(c, true, NULL);
		return;
	}
	buf_consume(&c->cin, head_len);
	c->req_keep_alive = rq->keep_alive;
	c->req_was_head = span_eq(rq->method, "HEAD");
	c->req_upgrade = rq->upgrade;
	/* attach and exec start may hijack with a plain 200 and no framing
	 * (moby api/server/router/container/container_routes.go); only these
	 * routes may become tunnels so. The name is "**" as the daemon routes
	 * it (container.go registers {name:.*}): a link alias, as in
	 * /containers/webx/db/attach, is the attach route too. */
	c->req_hijack = policy_may_hijack(rq->method, path);
	c->tunnel_pending = false;
	c->resp = RESP_HEAD;
	c->resp_scan = 0;
	c->deadline_ms = 0; /* streams are never cut by a timeout */
	c->req_chunked = rq->body == H1_BODY_CHUNKED;
	c->req_left = rq->content_length;
	c->req_tail_checked = false;
	if (c->req_chunked)
		chunk_init(&c->req_chunk);
	c->req = (rq->body == H1_BODY_NONE || (!c->req_chunked && c->req_left == 0))
			 ? REQ_DONE : REQ_BODY;
	if (c->req == REQ_BODY)
		set_body_deadline(c);
}

/* A complete head is at the front of cin: check its target, judge it, and
 * either answer it or forward it. */
static void handle_request(struct conn *c, const struct h1_request *rq, size_t head_len)
{
	c->started_ms = loop_now_ms();
	c->bytes_out = 0;
	c->status = 0;
	c->because = NULL;
	c->req_was_head = span_eq(rq->method, "HEAD");
	remember_line(c, rq);
	struct path_info path;
	if (path_check(rq->target, path_scratch, cfg->max_head_size, &path) == -1) {
		buf_consume(&c->cin, head_len);
		char msg[200];
		snprintf(msg, sizeof msg, "dockgate: rejected request-target: %s", path.error);
		reply_error(c, 400, msg, true);
		log_access(c, false, path.error);
		return;
	}
	struct policy_verdict v;
	judge_request(rq, &path, &v);
	c->because = v.because;
	if (!v.allow)
		deny(c, rq, head_len, &v);
	else
		forward(c, rq, &path, head_len);
}

static bool process_head(struct conn *c)
{
	if (c->connect_wait)
		return false; /* until conn_tick() tries the daemon again */
	if (buf_space(&c->cout) < CONN_ERROR_ROOM || c->uin_passed > 0)
		return false; /* the previous answer must drain first */
	if (buf_len(&c->cin) == 0) {
		if (c->client_eof)
			conn_close(c);
		return c->client_eof;
	}
	if (!c->head_started) {
		c->head_started = true;
		c->deadline_ms = loop_now_ms() + (long long)cfg->header_timeout_s * 1000;
	}
	struct h1_request rq = { .headers = header_slots };
	ssize_t r = h1_parse_request(buf_head(&c->cin), buf_len(&c->cin), &c->head_scan,
				     &limits, &rq);
	if (r == 0) {
		if (c->client_eof) {
			log_debug("%s: closed in the middle of a request head", c->peer);
			conn_close(c);
		}
		return c->client_eof;
	}
	if (r < 0) {
		c->started_ms = loop_now_ms();
		c->req_was_head = false; /* unknown: answer with a body */
		set_line(c, "-", 1, "", 0);
		char msg[200];
		snprintf(msg, sizeof msg, "dockgate: malformed request: %s", rq.error);
		reply_error(c, rq.status, msg, true);
		log_access(c, false, rq.error);
		return true;
	}
	handle_request(c, &rq, (size_t)r);
	return true;
}

static bool copy_bytes(struct buf *from, struct buf *to, unsigned long long limit)
{
	size_t n = buf_len(from);
	size_t space = buf_space(to);
	if (n > space)
		n = space;
	if ((unsigned long long)n > limit)
		n = (size_t)limit;
	if (n == 0)
		return false;
	buf_append(to, buf_head(from), n);
	buf_consume(from, n);
	return true;
}

static void request_body_done(struct conn *c)
{
	c->req = c->tunnel_pending ? REQ_TUNNEL : REQ_DONE;
	c->deadline_ms = 0; /* what follows is the response: no timeout */
}

/* Decodes the client's chunked body and re-encodes it for the daemon: what
 * the daemon receives is our own framing, never the client's. */
static bool forward_chunked(struct conn *c)
{
	bool progress = false;
	while (buf_len(&c->cin) > 0 && buf_space(&c->uout) >= 32) {
		size_t avail = buf_len(&c->cin);
		size_t room = buf_space(&c->uout) - 24;
		if (c->req_chunk.state == CHUNK_ST_DATA && avail > room)
			avail = room;
		struct span data;
		ssize_t r = chunk_decode(&c->req_chunk, buf_head(&c->cin), avail, &data);
		if (r < 0) {
			log_info("%s \"%s\" aborted: bad chunked body: %s", c->peer, line_of(c),
				 c->req_chunk.error);
			conn_close(c);
			return true;
		}
		if (data.n > 0) {
			char size_line[24];
			int n = snprintf(size_line, sizeof size_line, "%zx\r\n", data.n);
			buf_append(&c->uout, size_line, (size_t)n);
			buf_append(&c->uout, data.p, data.n);
			buf_append(&c->uout, "\r\n", 2);
		}
		buf_consume(&c->cin, (size_t)r);
		progress = true;
		if (chunk_done(&c->req_chunk)) {
			buf_append(&c->uout, "0\r\n\r\n", 5);
			request_body_done(c);
			break;
		}
	}
	return progress;
}

/* Whether a chunked body ends within p[0, n), decoding on from d: 1 it
 * does, 0 it needs more, -1 it is malformed. */
static int chunked_ends_in(struct chunk_dec *d, const char *p, size_t n)
{
	struct span data;
	while (n > 0 && !chunk_done(d)) {
		ssize_t r = chunk_decode(d, p, n, &data);
		if (r < 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return chunk_done(d) ? 1 : 0;
}

/* Bytes after cin that a departed client left in the kernel's queue,
 * looked at without reading them (MSG_PEEK) into tail_scratch: up to
 * CONN_TAIL_PEEK, or -1 when the queue cannot be read. */
static ssize_t peek_tail(struct conn *c)
{
	ssize_t n = recv(c->client.fd, tail_scratch, CONN_TAIL_PEEK, MSG_PEEK | MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return n;
}

/* The client has sent all it ever will: its EOF was read, or its FIN
 * waits behind bytes cin has no room for (a daemon that reads none of
 * the body fills every buffer, so the EOF is never read). True when the
 * body provably cannot end within what cin and the kernel's queue hold:
 * waiting for the daemon to take it is then pointless. A queue longer
 * than we look at proves nothing; the body deadline handles that one. */
static bool body_cannot_end(struct conn *c)
{
	size_t held = buf_len(&c->cin);
	int ends = 0;
	struct chunk_dec d = c->req_chunk;
	if (c->req_chunked)
		ends = chunked_ends_in(&d, buf_head(&c->cin), held);
	else if (held >= c->req_left)
		ends = 1;
	if (ends != 0)
		return ends == -1;
	ssize_t n = peek_tail(c);
	if (n == -1)
		return false;
	if (c->req_chunked)
		ends = chunked_ends_in(&d, tail_scratch, (size_t)n);
	else
		ends = held + (unsigned long long)n >= c->req_left;
	return ends == -1 || (ends == 0 && n < CONN_TAIL_PEEK);
}

static bool forward_body(struct conn *c)
{
	bool progress;
	if (c->req_chunked) {
		progress = forward_chunked(c);
		if (c->dead)
			return true;
	} else {
		unsigned long long before = buf_len(&c->cin);
		progress = copy_bytes(&c->cin, &c->uout, c->req_left);
		c->req_left -= before - buf_len(&c->cin);
		if (c->req_left == 0)
			request_body_done(c);
	}
	if (c->req != REQ_BODY)
		return progress;
	if (progress)
		set_body_deadline(c);
	if ((c->client_eof || c->client_rdhup) && !c->req_tail_checked) {
		c->req_tail_checked = true;
		if (body_cannot_end(c)) {
			log_info("%s \"%s\" aborted: client left before the end of the body",
				 c->peer, line_of(c));
			conn_close(c);
			return true;
		}
	}
	if (!progress && c->client_eof && buf_len(&c->cin) == 0) {
		log_info("%s \"%s\" aborted: client closed in the middle of the body",
			 c->peer, line_of(c));
		conn_close(c);
		return true;
	}
	return progress;
}

static bool discard_body(struct conn *c)
{
	size_t n = buf_len(&c->cin);
	if ((unsigned long long)n > c->req_left)
		n = (size_t)c->req_left;
	buf_consume(&c->cin, n);
	c->req_left -= n;
	if (c->req_left == 0) {
		c->req = REQ_HEAD;
		set_idle_deadline(c);
		return true;
	}
	if (n == 0 && c->client_eof) {
		conn_close(c);
		return true;
	}
	return n > 0;
}

static bool process_request(struct conn *c)
{
	switch (c->req) {
	case REQ_HEAD: return process_head(c);
	case REQ_BODY: return forward_body(c);
	case REQ_DISCARD: return discard_body(c);
	case REQ_TUNNEL: return copy_bytes(&c->cin, &c->uout, ~0ULL);
	case REQ_DONE:
	case REQ_CLOSED: return false;
	}
	return false;
}

/* The response has ended: the connection takes its next request, or
 * closes when either side asked for that. */
static void response_done(struct conn *c)
{
	log_access(c, true, NULL);
	c->resp = RESP_IDLE;
	/* A daemon connection we half-closed for a departing client can
	 * carry no further request: a pipelined one gets a new one. */
	if (!c->resp_keep_alive || c->up_eof || c->up_shut_wr)
		close_upstream(c);
	else
		c->up_reusable = c->req == REQ_DONE && !c->up_rdhup;
	/* RFC 9112 §9.6: after a response that closes (the daemon's
	 * Connection: close, or a body that ran until the daemon closed,
	 * §6.3) the client must not get an answer to anything it sent later:
	 * it may send those requests again elsewhere, and a create or a kill
	 * would run twice. So nothing more is read as a request. */
	if (c->req != REQ_DONE || !c->req_keep_alive || !c->resp_keep_alive || draining) {
		/* The daemon answered before reading the whole body, or the
		 * client or we want to end here. */
		/* A client that sent all of its request and asked for the close
		 * sends nothing more: no need to linger for its FIN. */
		bool asked = c->req == REQ_DONE && !c->req_keep_alive;
		stop_requests(c);
		c->close_at_once = asked;
		return;
	}
	c->req = REQ_HEAD;
	set_idle_deadline(c);
}

static void start_tunnel(struct conn *c)
{
	c->resp = RESP_TUNNEL;
	c->tunnel_head_unsent = true;
	if (c->req == REQ_DONE)
		c->req = REQ_TUNNEL;
	else
		c->tunnel_pending = true;
	log_access(c, true, NULL);
}

/* The daemon failed us: answer 502 if the client has seen nothing of this
 * response yet, else cut the connection (the client sees a truncation). */
static void upstream_failed(struct conn *c, const char *why)
{
	log_warn("%s \"%s\": upstream %s", c->peer, line_of(c), why);
	bool nothing_sent = c->resp == RESP_HEAD && c->bytes_out == 0;
	close_upstream(c);
	c->resp = RESP_IDLE;
	if (nothing_sent) {
		char msg[200];
		snprintf(msg, sizeof msg, "dockgate: the Docker daemon %s", why);
		reply_error(c, 502, msg, true);
	} else {
		stop_requests(c);
	}
}

static void start_response_body(struct conn *c, const struct h1_response *rs)
{
	c->status = rs->status;
	c->resp_keep_alive = rs->keep_alive;
	c->resp_body = rs->body;
	c->resp_left = rs->content_length;
	switch (rs->body) {
	case H1_BODY_NONE:
		response_done(c);
		return;
	case H1_BODY_LENGTH:
		c->resp = RESP_BODY;
		if (c->resp_left == 0)
			response_done(c);
		return;
	case H1_BODY_CHUNKED:
		chunk_init(&c->resp_chunk);
		c->resp = RESP_BODY;
		return;
	case H1_BODY_CLOSE:
		/* ENGINE-API.md §5: attach/exec start answer 200 without
		 * framing and then carry raw stdin/stdout both ways. */
		if (c->req_hijack && rs->status / 100 == 2) {
			start_tunnel(c);
			return;
		}
		c->resp_keep_alive = false;
		c->resp = RESP_BODY;
		return;
	}
}

static bool response_head(struct conn *c)
{
	struct h1_response rs;
	ssize_t r = h1_parse_response(buf_head(&c->uin), buf_len(&c->uin), &c->resp_scan,
				      c->uin.cap, c->req_was_head, &rs);
	if (r == 0) {
		if (c->up_eof) {
			upstream_failed(c, "closed the connection without answering");
			return true;
		}
		return false;
	}
	if (r < 0) {
		upstream_failed(c, rs.error);
		return true;
	}
	if (buf_space(&c->cout) < (size_t)r)
		return false;
	if (rs.status == 101 && !c->req_upgrade) {
		upstream_failed(c, "switched protocols without an Upgrade request");
		return true;
	}
	if (rs.status >= 200 && rs.keep_alive && !c->req_keep_alive) {
		/* The client asked for the close, which went no further than us
		 * (the daemon connection is kept for the pool): say it here. */
		if (h1_build_closing_head(buf_head(&c->uin), (size_t)r, &c->cout) == -1)
			return false; /* room comes as cout drains */
	} else {
		buf_append(&c->cout, buf_head(&c->uin), (size_t)r);
	}
	buf_consume(&c->uin, (size_t)r);
	c->bytes_out += (unsigned long long)r;
	c->resp_scan = 0;
	if (rs.status == 101) {
		c->status = 101;
		start_tunnel(c);
	} else if (rs.status >= 200) {
		start_response_body(c, &rs);
	}
	/* 1xx other than 101 (100 Continue): forwarded; the final head follows. */
	return true;
}

static bool response_chunked(struct conn *c)
{
	bool progress = false;
	while (buf_len(&c->uin) > 0 && buf_space(&c->cout) > 0) {
		size_t avail = buf_len(&c->uin);
		if (avail > buf_space(&c->cout))
			avail = buf_space(&c->cout);
		struct span data;
		ssize_t r = chunk_decode(&c->resp_chunk, buf_head(&c->uin), avail, &data);
		if (r < 0) {
			upstream_failed(c, c->resp_chunk.error);
			return true;
		}
		buf_append(&c->cout, buf_head(&c->uin), (size_t)r);
		buf_consume(&c->uin, (size_t)r);
		c->bytes_out += (unsigned long long)r;
		progress = true;
		if (chunk_done(&c->resp_chunk)) {
			response_done(c);
			break;
		}
	}
	return progress;
}

/* Splices a long Content-Length body from the daemon to the client. A
 * splice into a pipe can fail with EAGAIN while the pipe has room in
 * bytes but not in page slots, so "nothing to read" is concluded only
 * when the pipe is empty; draining it makes room for the next fill. */
static bool relay_body(struct conn *c)
{
	bool progress = false;
	unsigned long long unread = c->resp_left - c->relay.held;
	if (c->up_readable && !c->up_eof && unread > 0) {
		ssize_t n = relay_fill(&c->relay, c->up->watch.fd,
				       unread > SIZE_MAX ? SIZE_MAX : (size_t)unread);
		if (n > 0) {
			progress = true;
		} else if (n == 0) {
			c->up_eof = true;
			progress = true;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (c->relay.held == 0)
				c->up_readable = false;
		} else {
			c->up_eof = true; /* a reset: nothing more comes */
			progress = true;
		}
	}
	if (c->client_writable && c->relay.held > 0) {
		ssize_t n = relay_drain(&c->relay, c->client.fd);
		if (n > 0) {
			c->resp_left -= (unsigned long long)n;
			c->bytes_out += (unsigned long long)n;
			progress = true;
		} else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->client_writable = false;
		} else {
			log_debug("%s: client gone: %s", c->peer, strerror(errno));
			conn_close(c);
			return true;
		}
	}
	if (c->resp_left == 0) {
		relay_close(&c->relay);
		response_done(c);
		return true;
	}
	if (c->up_eof && c->relay.held == 0) {
		relay_close(&c->relay);
		upstream_failed(c, "closed the connection in the middle of a response");
		return true;
	}
	return progress;
}

/* A long Content-Length body whose first bytes have been passed on
 * continues in the kernel, when a pipe can be had. */
static bool start_relay(struct conn *c)
{
	if (c->resp_body != H1_BODY_LENGTH || c->resp_left < CONN_RELAY_MIN ||
	    buf_len(&c->uin) != 0 || buf_len(&c->cout) != 0)
		return false;
	if (relay_open(&c->relay) == -1) {
		log_debug("%s: no pipe for splice (%s): copying instead", c->peer, strerror(errno));
		return false;
	}
	c->resp = RESP_RELAY;
	return true;
}

static bool response_body(struct conn *c)
{
	bool progress;
	if (start_relay(c))
		return true;
	if (c->resp_body == H1_BODY_CHUNKED) {
		progress = response_chunked(c);
	} else {
		/* The bytes stay in uin and leave from there (client_write). */
		size_t moved = buf_len(&c->uin) - c->uin_passed;
		if (c->resp_body == H1_BODY_LENGTH && moved > c->resp_left)
			moved = (size_t)c->resp_left;
		c->uin_passed += moved;
		c->bytes_out += moved;
		progress = moved > 0;
		if (c->resp_body == H1_BODY_LENGTH) {
			c->resp_left -= moved;
			if (c->resp_left == 0)
				response_done(c);
		}
	}
	if (c->resp == RESP_BODY && c->up_eof && buf_len(&c->uin) == c->uin_passed) {
		if (c->resp_body == H1_BODY_CLOSE)
			response_done(c);
		else
			upstream_failed(c, "closed the connection in the middle of a response");
		return true;
	}
	return progress;
}

static bool process_response(struct conn *c)
{
	switch (c->resp) {
	case RESP_HEAD: return response_head(c);
	case RESP_BODY: return response_body(c);
	case RESP_RELAY: return relay_body(c);
	case RESP_TUNNEL: {
		/* ENGINE-API.md §8: docker-py loses stream bytes that arrive
		 * in the same read as the hijack head, so the head leaves in
		 * a send of its own. */
		if (c->tunnel_head_unsent && buf_len(&c->cout) > 0)
			return false;
		c->tunnel_head_unsent = false;
		size_t before = buf_len(&c->uin);
		bool progress = copy_bytes(&c->uin, &c->cout, ~0ULL);
		c->bytes_out += before - buf_len(&c->uin);
		return progress;
	}
	case RESP_IDLE: return false;
	}
	return false;
}

/* Whether a socket may still have bytes after a read of n into space.
 * A short read emptied the receive queue, and with edge-triggered epoll
 * any byte that arrives later raises a new event: so the read that would
 * only say EAGAIN is skipped (one system call less per message). Not once
 * the peer has shut down: its EOF arrived with the same event and must be
 * read. */
static bool may_have_more(ssize_t n, size_t space, bool rdhup)
{
	return (size_t)n == space || rdhup;
}

/* A client on a unix listener: its close never cuts what it sent. */
static bool is_unix_client(const struct conn *c)
{
	return c->client_key.bytes[0] == AF_UNIX;
}

static bool client_read(struct conn *c)
{
	if (c->client_eof || !c->client_readable)
		return false;
	if (c->req == REQ_CLOSED) {
		/* Lingering: drop what arrives, up to a bound. */
		c->lingered += buf_len(&c->cin);
		c->cin.start = c->cin.end = 0;
		if (c->lingered > CONN_LINGER_BYTES) {
			conn_close(c);
			return true;
		}
	}
	size_t space = buf_space(&c->cin);
	if (space == 0)
		return false;
	ssize_t n = buf_read_fd(&c->cin, c->client.fd);
	if (n > 0) {
		c->client_readable = may_have_more(n, space, c->client_rdhup);
		return true;
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->client_readable = false;
		return false;
	}
	if (n == -1 && !is_unix_client(c)) {
		/* A TCP reset: what the client sent may be cut anywhere, and
		 * nobody is left to read an answer. */
		log_debug("%s: client gone: %s", c->peer, strerror(errno));
		conn_close(c);
		return true;
	}
	/* 0, or a unix client's ECONNRESET (it closed with our answers
	 * unread): on a unix socket that error comes only after every byte
	 * the client sent, so it is an end of input like any other. */
	c->client_eof = true;
	if (c->req == REQ_CLOSED && out_pending(c) == 0)
		conn_close(c);
	return true;
}

/* A tunnel whose unix client has gone: its output is dropped, and the
 * connection ends once the client's last stdin byte went to the daemon
 * with the daemon's side shut after it, or once the daemon ends it. */
static bool drop_client_output(struct conn *c)
{
	bool dropped = out_pending(c) > 0;
	c->cout.start = c->cout.end = 0;
	buf_consume(&c->uin, c->uin_passed);
	c->uin_passed = 0;
	bool stdin_delivered = c->up_shut_wr && buf_len(&c->uout) == 0;
	if (stdin_delivered || c->up_eof || c->up == NULL) {
		log_debug("%s: tunnel of a departed client ends", c->peer);
		conn_close(c);
		return true;
	}
	return dropped;
}

static bool client_write(struct conn *c)
{
	if (c->client_gone)
		return drop_client_output(c);
	if (out_pending(c) > 0) {
		if (!c->client_writable)
			return false;
		ssize_t n = c->uin_passed == 0
				    ? buf_write_fd(&c->cout, c->client.fd)
				    : buf_write2_fd(&c->cout, &c->uin, &c->uin_passed, c->client.fd);
		if (n > 0)
			return true;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->client_writable = false;
			return false;
		}
		log_debug("%s: client gone: %s", c->peer, strerror(errno));
		conn_close(c);
		return true;
	}
	if (c->client_shut_wr)
		return false;
	bool tunnel_out_done = c->resp == RESP_TUNNEL && c->up_eof && buf_len(&c->uin) == 0;
	if (c->closing && c->close_at_once && buf_len(&c->cin) == 0 && !c->client_readable) {
		/* Nothing unread here or in the kernel, so the close is a FIN
		 * after the last byte, never a reset. */
		conn_close(c);
		return true;
	}
	if (c->closing || tunnel_out_done) {
		/* Half-close: the client reads EOF after the last byte. */
		shutdown(c->client.fd, SHUT_WR);
		c->client_shut_wr = true;
		/* When stopping, a tunnel the daemon has ended is finished
		 * work: do not wait for the client to hang up too. */
		if ((c->closing && c->client_eof) || (tunnel_out_done && draining))
			conn_close(c);
		return true;
	}
	return false;
}

static bool upstream_read(struct conn *c)
{
	if (c->up == NULL || c->up_eof || !c->up_readable || c->resp == RESP_RELAY)
		return false;
	if (c->resp == RESP_IDLE) {
		/* Between requests the daemon may only close; anything else
		 * is not ours to pass on. */
		char junk[64];
		ssize_t n = read(c->up->watch.fd, junk, sizeof junk);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->up_readable = false;
			return false;
		}
		close_upstream(c);
		return true;
	}
	size_t space = buf_space(&c->uin);
	if (space == 0)
		return false;
	ssize_t n = buf_read_fd(&c->uin, c->up->watch.fd);
	if (n > 0) {
		c->up_readable = may_have_more(n, space, c->up_rdhup);
		return true;
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->up_readable = false;
		return false;
	}
	c->up_eof = true;
	return true;
}

static bool upstream_write(struct conn *c)
{
	if (c->up == NULL)
		return false;
	if (buf_len(&c->uout) > 0) {
		if (!c->up_writable)
			return false;
		ssize_t n = buf_write_fd(&c->uout, c->up->watch.fd);
		if (n > 0)
			return true;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->up_writable = false;
			return false;
		}
		if (c->resp == RESP_TUNNEL) {
			conn_close(c);
		} else {
			c->uout.start = c->uout.end = 0;
			upstream_failed(c, strerror(errno));
		}
		return true;
	}
	/* The client finished sending (half-close) while its request or
	 * tunnel is open: tell the daemon the same, so that it ends a stream
	 * the client no longer waits for (Go's server cancels the request
	 * when its connection reads EOF). After a complete request, bytes the
	 * client pipelined behind it do not hold the half-close back: they
	 * are answered, on a new daemon connection, only once this response
	 * has ended, which a quiet stream never would. A tunnel passes it on
	 * only after the last byte the client sent. */
	bool client_done = (c->req == REQ_DONE && (c->client_eof || c->client_rdhup)) ||
			   (c->req == REQ_TUNNEL && c->client_eof && buf_len(&c->cin) == 0);
	if (client_done && !c->up_shut_wr) {
		shutdown(c->up->watch.fd, SHUT_WR);
		c->up_shut_wr = true;
		return true;
	}
	return false;
}

/* A tunnel ends when both directions have delivered their EOF. */
static bool tunnel_finished(const struct conn *c)
{
	return c->resp == RESP_TUNNEL && c->client_shut_wr && c->up_shut_wr;
}

/* Moves bytes as far as buffers and sockets allow, for one turn. */
static void conn_run(struct conn *c)
{
	bool progress = true;
	for (int round = 0; progress && !c->dead; round++) {
		if (round == CONN_TURN_ROUNDS) {
			/* Turn over with work left: run again after the batch. */
			if (!c->queued) {
				c->queued = true;
				c->next_queued = run_again;
				run_again = c;
			}
			return;
		}
		progress = client_read(c);
		/* A run of answered requests is handled before the next write;
		 * a forwarded head leaves before its body is looked at, as it
		 * would if the body came later. */
		while (!c->dead && process_request(c)) {
			progress = true;
			if (c->req != REQ_HEAD)
				break;
		}
		if (!c->dead)
			progress |= upstream_write(c);
		if (!c->dead)
			progress |= upstream_read(c);
		/* A response head and what follows of its body leave in one send. */
		while (!c->dead && process_response(c))
			progress = true;
		if (!c->dead)
			progress |= client_write(c);
		if (!c->dead && tunnel_finished(c))
			conn_close(c);
	}
	/* Between requests a connection keeps no buffer memory: an idle
	 * client costs its struct and its sockets only. A stream gives its
	 * empty buffers back a few times a tick, so a quiet one holds none
	 * and a busy one does not allocate per message; conn_tick() takes
	 * them from one that went quiet after that. */
	if (c->dead)
		return;
	if (c->req == REQ_HEAD && c->resp == RESP_IDLE) {
		trim_buffers(c);
		free(c->line);
		c->line = NULL;
	} else if (c->resp >= RESP_BODY && c->trims_this_tick < CONN_TRIMS_PER_TICK) {
		/* A body or tunnel in progress (a short request waiting for
		 * its answer is not worth the churn). */
		trim_buffers(c);
		c->trims_this_tick++;
	}
	c->ran_this_tick = true;
}

bool conn_after_batch(void *unused)
{
	(void)unused;
	struct conn *list = run_again;
	run_again = NULL;
	while (list) {
		struct conn *c = list;
		list = c->next_queued;
		c->queued = false;
		if (!c->dead)
			conn_run(c);
	}
	conn_reap();
	return run_again != NULL;
}

/* A unix client closed its socket (a hang-up before we shut our side, or
 * its close with our answers unread, which the kernel reports as an
 * error). It can read no answer, but what it sent before the close
 * stands, as it would on the daemon's own socket, where every queued byte
 * is read before the end: a complete request is still judged and
 * forwarded, with the daemon told that the client is done (a create sent
 * just before the close is made), and a tunnel's stdin reaches the process
 * whole, then its end (a shell never runs half a line). The states end on
 * their own: an answer's write fails, a body that cannot end is seen, the
 * daemon ends a stream; a tunnel's dropped output never fails, so a
 * process that takes no stdin gets IDLE_TIMEOUT to do so. */
static void client_hung_up(struct conn *c)
{
	c->client_readable = c->client_rdhup = c->client_writable = true;
	if (!c->client_gone && (c->req == REQ_TUNNEL || c->resp == RESP_TUNNEL)) {
		c->client_gone = true;
		c->deadline_ms = loop_now_ms() + (long long)cfg->idle_timeout_s * 1000;
	}
	conn_run(c);
}

static void on_client_event(struct loop_watch *w, uint32_t events)
{
	struct conn *c = w->owner;
	if (c->dead)
		return;
	/* A TCP reset (EPOLLERR): nobody is left to read an answer, and what
	 * the client sent may be cut anywhere, so both connections close now,
	 * whatever the buffers still hold. A unix client's error is its close
	 * with answers unread, after all it sent: see client_hung_up(). */
	if ((events & EPOLLERR) && !is_unix_client(c)) {
		log_debug("%s: client gone (reset)", c->peer);
		conn_close(c);
		return;
	}
	if ((events & (EPOLLHUP | EPOLLERR)) && !c->client_shut_wr) {
		client_hung_up(c);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->client_readable = true;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->client_rdhup = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->client_writable = true;
	conn_run(c);
}

static void on_upstream_event(struct loop_watch *w, uint32_t events)
{
	struct conn *c = w->owner;
	if (c->dead || c->up == NULL || w != &c->up->watch)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->up_readable = true;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->up_rdhup = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->up_writable = true;
	conn_run(c);
}

void conn_tick(void *unused)
{
	(void)unused;
	long long now = loop_now_ms();
	buf_pool_decay();
	upstream_tick(now);
	struct conn *next;
	for (struct conn *c = all_conns; c != NULL; c = next) {
		next = c->next;
		/* A stream that had nothing to carry for a second gives its
		 * empty buffers back: an open /events costs no buffer memory
		 * while it waits, and a busy one does not allocate per message. */
		if (!c->ran_this_tick)
			trim_buffers(c);
		c->ran_this_tick = false;
		c->trims_this_tick = 0;
		if (c->connect_wait) {
			c->connect_wait = false;
			conn_run(c);
			if (c->dead)
				continue;
		}
		if (c->deadline_ms == 0 || now < c->deadline_ms)
			continue;
		if (c->req == REQ_HEAD && buf_len(&c->cin) > 0 && !c->closing) {
			c->started_ms = now;
			c->req_was_head = false;
			set_line(c, "-", 1, "", 0);
			reply_error(c, 408, "dockgate: request head not received in time", true);
			log_access(c, false, "header timeout");
			conn_run(c);
		} else if (c->req == REQ_BODY) {
			log_info("%s \"%s\" aborted: no byte of the request body moved in "
				 "IDLE_TIMEOUT (%lus)", c->peer, line_of(c), cfg->idle_timeout_s);
			conn_close(c);
		} else {
			log_debug("%s: %s timeout", c->peer, c->closing ? "linger" : "idle");
			conn_close(c);
		}
	}
}

void conn_drain(void)
{
	draining = true;
	upstream_close_pool();
	struct conn *next;
	for (struct conn *c = all_conns; c != NULL; c = next) {
		next = c->next;
		bool idle = c->req == REQ_HEAD && buf_len(&c->cin) == 0 && c->resp == RESP_IDLE &&
			    out_pending(c) == 0;
		bool tunnel_ended = c->resp == RESP_TUNNEL && c->client_shut_wr;
		if (idle || tunnel_ended)
			conn_close(c);
	}
}

void conn_close_all(void)
{
	while (all_conns)
		conn_close(all_conns);
	upstream_close_pool();
}

/* conn_request.c - the request path of a connection: reading a request
 * head from cin, judging it (judge_request(), the one place a request is
 * judged: by the env rule list or by a profile), answering it or
 * forwarding it rebuilt into uout, and the request body that follows:
 * forwarded re-chunked, or dropped after a denial. See conn_int.h for the rest of the module. */
#include "conn_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "cfg.h"
#include "chunk.h"
#include "h1.h"
#include "health.h"
#include "log.h"
#include "loop.h"
#include "path.h"
#include "policy.h"
#include "profile.h"
#include "route.h"

/* Shared by every connection's request path; set by conn_request_setup().
 * The policy is reachable from this file only, and used at one place. */
static const struct policy *policy;
/* The profiles connections judge by, by index (struct conn's profile);
 * NULL at an index, or an index past them: the env rule list judges. */
static const struct profile *const *profiles;
static size_t n_profiles;
static struct h1_limits limits;
static struct h1_header *header_slots;
static char *path_scratch;
static char *tail_scratch; /* CONN_TAIL_PEEK bytes, see peek_tail() */

int conn_request_setup(const struct cfg *c, const struct policy *p)
{
	policy = p;
	route_prepare(); /* not at the first request */
	limits.head_bytes = c->max_head_size;
	limits.headers = c->max_headers;
	header_slots = calloc(c->max_headers, sizeof *header_slots);
	path_scratch = malloc(c->max_head_size);
	tail_scratch = malloc(CONN_TAIL_PEEK);
	if (header_slots == NULL || path_scratch == NULL || tail_scratch == NULL) {
		conn_request_free();
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void conn_set_profiles(const struct profile *const *list, size_t n)
{
	profiles = list;
	n_profiles = n;
}

void conn_request_free(void)
{
	free(header_slots);
	free(path_scratch);
	free(tail_scratch);
	header_slots = NULL;
	path_scratch = NULL;
	tail_scratch = NULL;
}

/* A request body is not a stream: one that moves no byte for
 * IDLE_TIMEOUT (the client stalls, or the daemon reads none of it, as
 * Go's server does not for a handler that ignores its body) is cut, and
 * its daemon connection with it. Each byte moved starts the wait anew. */
static void set_body_deadline(struct conn *c)
{
	c->deadline_ms = loop_now_ms() + (long long)conn_cfg->idle_timeout_s * 1000;
}

/* Copies the path part of the target (not the query, which may carry
 * secrets such as registry credentials in filters) for the access log. */
/* dockgate --healthcheck's request: exactly HEAD /_ping with its agent. */
static bool is_health_probe(const struct h1_request *rq)
{
	if (!span_eq(rq->method, "HEAD") || !span_eq(rq->target, "/_ping"))
		return false;
	static const struct span agent = { "User-Agent", 10 };
	for (size_t i = 0; i < rq->n_headers; i++)
		if (span_eq_nocase(rq->headers[i].name, agent))
			return span_eq(rq->headers[i].value, HEALTH_PROBE_AGENT);
	return false;
}

static void remember_line(struct conn *c, const struct h1_request *rq)
{
	conn_set_line(c, rq->method.p, rq->method.n, rq->target.p, rq->target.n);
	c->req_health_probe = is_health_probe(rq);
}

/* The one place a request is judged: by the connection's profile when it
 * has one, else by the env rule list, exactly as before profiles. A body
 * is any Transfer-Encoding (even one that turns out empty) or a
 * Content-Length above 0: the lifecycle switches admit none. */
static void judge_request(const struct conn *c, const struct h1_request *rq,
			  const struct path_info *path, const struct route_candidates *routes,
			  struct policy_verdict *v)
{
	struct policy_request req = {
		.method = rq->method,
		.path = path,
		.has_body = rq->body == H1_BODY_CHUNKED ||
			    (rq->body == H1_BODY_LENGTH && rq->content_length > 0),
		.route = routes->newest.route,
		.libpod = routes->newest.libpod,
		.routes = routes,
	};
	const struct profile *p = c->profile < n_profiles ? profiles[c->profile] : NULL;
	if (p != NULL)
		profile_judge(p, &req, v);
	else
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
	bool close = !skip || !rq->keep_alive || conn_draining;
	buf_consume(&c->client.in, head_len);
	conn_reply_error(c, 403, v->message, close);
	conn_log_access(c, false, v->message);
	if (close)
		return;
	if (rq->body == H1_BODY_LENGTH && rq->content_length > 0) {
		c->req = REQ_DISCARD;
		c->req_left = rq->content_length;
	} else {
		conn_set_idle_deadline(c);
	}
}

/* A daemon connection for the allowed request whose head_len bytes of
 * head are at the front of cin: the one c holds, a pooled one or a new
 * one. False when there is none: the request then waits for conn_tick()
 * to try again, or has been answered with a 502. */
static bool take_upstream(struct conn *c, size_t head_len)
{
	if (c->up == NULL && conn_connect_upstream(c) == -1 &&
	    (errno == EMFILE || errno == ENFILE) && conn_close_idle_upstream(c))
		conn_connect_upstream(c);
	if (c->up != NULL) {
		c->connect_tries = 0;
		return true;
	}
	/* A full listen backlog on the daemon's socket (EAGAIN) is a burst,
	 * not an outage: the head stays in cin and conn_tick() judges and
	 * forwards it again, a few times, before the 502. */
	if (errno == EAGAIN && c->connect_tries < CONN_CONNECT_TRIES) {
		c->connect_tries++;
		c->connect_wait = true;
		log_debug("%s: the daemon's listen queue is full; trying again", c->peer);
		return false;
	}
	c->connect_tries = 0;
	char msg[300];
	snprintf(msg, sizeof msg, "dockgate: cannot reach the Docker daemon at %s: %s",
		 conn_cfg->socket_path, strerror(errno));
	log_debug("%s: %s", c->peer, msg); /* upstream.c says when an outage starts and ends */
	buf_consume(&c->client.in, head_len);
	conn_reply_error(c, 502, msg, true);
	conn_log_access(c, true, NULL);
	return false;
}

/* Sends an allowed request on: its head rebuilt into uout (never the
 * client's bytes as they came), and the request and response states set
 * for its body and its answer. */
static void forward(struct conn *c, const struct h1_request *rq,
		    const struct route_candidates *routes, size_t head_len)
{
	if (!take_upstream(c, head_len))
		return;
	c->up_reusable = false;
	unsigned build = conn_cfg->upstream_pool ? H1_BUILD_KEEP_UPSTREAM : 0;
	if (buf_len(&c->upstream.out) != 0 || h1_build_request(rq, build, &c->upstream.out) == -1) {
		buf_consume(&c->client.in, head_len);
		conn_reply_error(c, 500, "dockgate: internal error rebuilding the request", true);
		conn_log_access(c, true, NULL);
		return;
	}
	buf_consume(&c->client.in, head_len);
	c->req_keep_alive = rq->keep_alive;
	c->req_was_head = span_eq(rq->method, "HEAD");
	c->req_upgrade = rq->upgrade;
	/* attach and exec start may hijack with a plain 200 and no framing
	 * (moby api/server/router/container/container_routes.go); only the
	 * routes the table marks as hijacking may become tunnels so, on any
	 * daemon the request may reach (a link alias, as in
	 * /containers/webx/db/attach, is the attach route too: the daemon
	 * routes names with {name:.*}). The others answer with framing. */
	c->req_hijack = (routes->flags & ROUTE_F_HIJACK) != 0;
	c->req_stream = (routes->flags & (ROUTE_F_HIJACK | ROUTE_F_STREAM)) != 0;
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
	if (path_check(rq->target, path_scratch, conn_cfg->max_head_size, &path) == -1) {
		buf_consume(&c->client.in, head_len);
		char msg[200];
		snprintf(msg, sizeof msg, "dockgate: rejected request-target: %s", path.error);
		conn_reply_error(c, 400, msg, true);
		conn_log_access(c, false, path.error);
		return;
	}
	/* Resolved once: the verdict and the connection's hijack and stream
	 * knowledge come from the same routes. */
	struct route_candidates routes;
	route_resolve_all(route_method_of(rq->method), path.path, &routes);
	struct policy_verdict v;
	judge_request(c, rq, &path, &routes, &v);
	c->because = v.because;
	if (!v.allow)
		deny(c, rq, head_len, &v);
	else
		forward(c, rq, &routes, head_len);
}

static bool process_head(struct conn *c)
{
	if (c->connect_wait)
		return false; /* until conn_tick() tries the daemon again */
	if (buf_space(&c->client.out) < CONN_ERROR_ROOM || c->uin_passed > 0)
		return false; /* the previous answer must drain first */
	if (buf_len(&c->client.in) == 0) {
		if (c->client.eof)
			conn_close(c);
		return c->client.eof;
	}
	if (!c->head_started) {
		c->head_started = true;
		c->deadline_ms = loop_now_ms() + (long long)conn_cfg->header_timeout_s * 1000;
	}
	struct h1_request rq = { .headers = header_slots };
	ssize_t r = h1_parse_request(buf_head(&c->client.in), buf_len(&c->client.in),
				     &c->head_scan, &limits, &rq);
	if (r == 0) {
		if (c->client.eof) {
			log_debug("%s: closed in the middle of a request head", c->peer);
			conn_close(c);
		}
		return c->client.eof;
	}
	if (r < 0) {
		c->started_ms = loop_now_ms();
		c->req_was_head = false; /* unknown: answer with a body */
		conn_set_line(c, "-", 1, "", 0);
		char msg[200];
		snprintf(msg, sizeof msg, "dockgate: malformed request: %s", rq.error);
		conn_reply_error(c, rq.status, msg, true);
		conn_log_access(c, false, rq.error);
		return true;
	}
	handle_request(c, &rq, (size_t)r);
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
	while (buf_len(&c->client.in) > 0 && buf_space(&c->upstream.out) >= 32) {
		size_t avail = buf_len(&c->client.in);
		size_t room = buf_space(&c->upstream.out) - 24;
		if (c->req_chunk.state == CHUNK_ST_DATA && avail > room)
			avail = room;
		struct span data;
		ssize_t r = chunk_decode(&c->req_chunk, buf_head(&c->client.in), avail, &data);
		if (r < 0) {
			log_info("%s \"%s\" aborted: bad chunked body: %s", c->peer,
				 conn_line_of(c), c->req_chunk.error);
			conn_close(c);
			return true;
		}
		if (data.n > 0) {
			char size_line[24];
			int n = snprintf(size_line, sizeof size_line, "%zx\r\n", data.n);
			buf_append(&c->upstream.out, size_line, (size_t)n);
			buf_append(&c->upstream.out, data.p, data.n);
			buf_append(&c->upstream.out, "\r\n", 2);
		}
		buf_consume(&c->client.in, (size_t)r);
		progress = true;
		if (chunk_done(&c->req_chunk)) {
			buf_append(&c->upstream.out, "0\r\n\r\n", 5);
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
	ssize_t n = recv(c->client_watch.fd, tail_scratch, CONN_TAIL_PEEK,
			 MSG_PEEK | MSG_DONTWAIT);
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
	size_t held = buf_len(&c->client.in);
	int ends = 0;
	struct chunk_dec d = c->req_chunk;
	if (c->req_chunked)
		ends = chunked_ends_in(&d, buf_head(&c->client.in), held);
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
		if (c->state == CONN_DEAD)
			return true;
	} else {
		unsigned long long before = buf_len(&c->client.in);
		progress = conn_copy_bytes(&c->client.in, &c->upstream.out, c->req_left);
		c->req_left -= before - buf_len(&c->client.in);
		if (c->req_left == 0)
			request_body_done(c);
	}
	if (c->req != REQ_BODY)
		return progress;
	if (progress)
		set_body_deadline(c);
	if ((c->client.eof || c->client.rdhup) && !c->req_tail_checked) {
		c->req_tail_checked = true;
		if (body_cannot_end(c)) {
			log_info("%s \"%s\" aborted: client left before the end of the body",
				 c->peer, conn_line_of(c));
			conn_close(c);
			return true;
		}
	}
	if (!progress && c->client.eof && buf_len(&c->client.in) == 0) {
		log_info("%s \"%s\" aborted: client closed in the middle of the body",
			 c->peer, conn_line_of(c));
		conn_close(c);
		return true;
	}
	return progress;
}

static bool discard_body(struct conn *c)
{
	size_t n = buf_len(&c->client.in);
	if ((unsigned long long)n > c->req_left)
		n = (size_t)c->req_left;
	buf_consume(&c->client.in, n);
	c->req_left -= n;
	if (c->req_left == 0) {
		c->req = REQ_HEAD;
		conn_set_idle_deadline(c);
		return true;
	}
	if (n == 0 && c->client.eof) {
		conn_close(c);
		return true;
	}
	return n > 0;
}

bool conn_process_request(struct conn *c)
{
	switch (c->req) {
	case REQ_HEAD: return process_head(c);
	case REQ_BODY: return forward_body(c);
	case REQ_DISCARD: return discard_body(c);
	case REQ_TUNNEL: return conn_copy_bytes(&c->client.in, &c->upstream.out, ~0ULL);
	case REQ_DONE:
	case REQ_CLOSED: return false;
	}
	return false;
}

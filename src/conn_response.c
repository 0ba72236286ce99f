/* conn_response.c - the response path of a connection: the daemon's
 * response head checked and passed on from uin to cout, then its body by
 * its own framing (chunks checked, a long Content-Length body spliced in
 * the kernel), or a hijacked stream carried both ways as a tunnel. See
 * conn_int.h for the rest of the module. */
#include "conn_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "chunk.h"
#include "h1.h"
#include "log.h"
#include "relay.h"
#include "upstream.h"

/* The response has ended: the connection takes its next request, or
 * closes when either side asked for that. */
static void response_done(struct conn *c)
{
	conn_log_access(c, true, NULL);
	c->resp = RESP_IDLE;
	/* A daemon connection we half-closed for a departing client can
	 * carry no further request: a pipelined one gets a new one. */
	if (!c->resp_keep_alive || c->upstream.eof || c->upstream.shut_wr)
		conn_close_upstream(c);
	else
		c->up_reusable = c->req == REQ_DONE && !c->upstream.rdhup;
	/* RFC 9112 §9.6: after a response that closes (the daemon's
	 * Connection: close, or a body that ran until the daemon closed,
	 * §6.3) the client must not get an answer to anything it sent later:
	 * it may send those requests again elsewhere, and a create or a kill
	 * would run twice. So nothing more is read as a request. */
	if (c->req != REQ_DONE || !c->req_keep_alive || !c->resp_keep_alive || conn_draining) {
		/* The daemon answered before reading the whole body, or the
		 * client or we want to end here. */
		/* A client that sent all of its request and asked for the close
		 * sends nothing more: no need to linger for its FIN. */
		bool asked = c->req == REQ_DONE && !c->req_keep_alive;
		conn_stop_requests(c);
		if (asked && c->state == CONN_CLOSING)
			c->state = CONN_CLOSING_NOW;
		return;
	}
	c->req = REQ_HEAD;
	conn_set_idle_deadline(c);
}

static void start_tunnel(struct conn *c)
{
	c->resp = RESP_TUNNEL;
	c->tunnel_head_unsent = true;
	if (c->req == REQ_DONE)
		c->req = REQ_TUNNEL;
	else
		c->tunnel_pending = true;
	conn_log_access(c, true, NULL);
}

/* The daemon failed us: answer 502 if the client has seen nothing of this
 * response yet, else cut the connection (the client sees a truncation). */
void conn_upstream_failed(struct conn *c, const char *why)
{
	log_warn("%s \"%s\": upstream %s", c->peer, conn_line_of(c), why);
	bool nothing_sent = c->resp == RESP_HEAD && c->bytes_out == 0;
	conn_close_upstream(c);
	c->resp = RESP_IDLE;
	if (nothing_sent) {
		char msg[200];
		snprintf(msg, sizeof msg, "dockgate: the Docker daemon %s", why);
		conn_reply_error(c, 502, msg, true);
	} else {
		conn_stop_requests(c);
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
		if (c->req_stream && rs->status / 100 == 2)
			conn_log_stream(c, true);
		return;
	case H1_BODY_CLOSE:
		/* docs/engine-api.md §9: attach/exec start answer 200 without
		 * framing and then carry raw stdin/stdout both ways. */
		if (c->req_hijack && rs->status / 100 == 2) {
			start_tunnel(c);
			return;
		}
		c->resp_keep_alive = false;
		c->resp = RESP_BODY;
		if (c->req_stream && rs->status / 100 == 2)
			conn_log_stream(c, true);
		return;
	}
}

static bool response_head(struct conn *c)
{
	struct h1_response rs;
	ssize_t r = h1_parse_response(buf_head(&c->upstream.in), buf_len(&c->upstream.in),
				      &c->resp_scan, c->upstream.in.cap, c->req_was_head, &rs);
	if (r == 0) {
		if (c->upstream.eof) {
			conn_upstream_failed(c, "closed the connection without answering");
			return true;
		}
		return false;
	}
	if (r < 0) {
		conn_upstream_failed(c, rs.error);
		return true;
	}
	if (buf_space(&c->client.out) < (size_t)r)
		return false;
	if (rs.status == 101 && !c->req_upgrade) {
		conn_upstream_failed(c, "switched protocols without an Upgrade request");
		return true;
	}
	if (rs.status >= 200 && rs.keep_alive && !c->req_keep_alive) {
		/* The client asked for the close, which went no further than us
		 * (the daemon connection is kept for the pool): say it here. */
		if (h1_build_closing_head(buf_head(&c->upstream.in), (size_t)r,
					  &c->client.out) == -1)
			return false; /* room comes as cout drains */
	} else {
		buf_append(&c->client.out, buf_head(&c->upstream.in), (size_t)r);
	}
	buf_consume(&c->upstream.in, (size_t)r);
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
	while (buf_len(&c->upstream.in) > 0 && buf_space(&c->client.out) > 0) {
		size_t avail = buf_len(&c->upstream.in);
		if (avail > buf_space(&c->client.out))
			avail = buf_space(&c->client.out);
		struct span data;
		ssize_t r = chunk_decode(&c->resp_chunk, buf_head(&c->upstream.in), avail, &data);
		if (r < 0) {
			conn_upstream_failed(c, c->resp_chunk.error);
			return true;
		}
		buf_append(&c->client.out, buf_head(&c->upstream.in), (size_t)r);
		buf_consume(&c->upstream.in, (size_t)r);
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
 * when the pipe is empty; conn_draining it makes room for the next fill. */
static bool relay_body(struct conn *c)
{
	bool progress = false;
	unsigned long long unread = c->resp_left - c->relay.held;
	if (c->upstream.readable && !c->upstream.eof && unread > 0) {
		ssize_t n = relay_fill(&c->relay, c->up->watch.fd,
				       unread > SIZE_MAX ? SIZE_MAX : (size_t)unread);
		if (n > 0) {
			progress = true;
		} else if (n == 0) {
			c->upstream.eof = true;
			progress = true;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (c->relay.held == 0)
				c->upstream.readable = false;
		} else {
			c->upstream.eof = true; /* a reset: nothing more comes */
			progress = true;
		}
	}
	if (c->client.writable && c->relay.held > 0) {
		ssize_t n = relay_drain(&c->relay, c->client_watch.fd);
		if (n > 0) {
			c->resp_left -= (unsigned long long)n;
			c->bytes_out += (unsigned long long)n;
			progress = true;
		} else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->client.writable = false;
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
	if (c->upstream.eof && c->relay.held == 0) {
		relay_close(&c->relay);
		conn_upstream_failed(c, "closed the connection in the middle of a response");
		return true;
	}
	return progress;
}

/* A long Content-Length body whose first bytes have been passed on
 * continues in the kernel, when a pipe can be had. */
static bool start_relay(struct conn *c)
{
	if (c->resp_body != H1_BODY_LENGTH || c->resp_left < CONN_RELAY_MIN ||
	    buf_len(&c->upstream.in) != 0 || buf_len(&c->client.out) != 0)
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
		size_t moved = buf_len(&c->upstream.in) - c->uin_passed;
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
	if (c->resp == RESP_BODY && c->upstream.eof && buf_len(&c->upstream.in) == c->uin_passed) {
		if (c->resp_body == H1_BODY_CLOSE)
			response_done(c);
		else
			conn_upstream_failed(c,
					     "closed the connection in the middle of a response");
		return true;
	}
	return progress;
}

bool conn_process_response(struct conn *c)
{
	switch (c->resp) {
	case RESP_HEAD: return response_head(c);
	case RESP_BODY: return response_body(c);
	case RESP_RELAY: return relay_body(c);
	case RESP_TUNNEL: {
		/* docs/engine-api.md §12: docker-py loses stream bytes that arrive
		 * in the same read as the hijack head, so the head leaves in
		 * a send of its own. */
		if (c->tunnel_head_unsent && buf_len(&c->client.out) > 0)
			return false;
		c->tunnel_head_unsent = false;
		size_t before = buf_len(&c->upstream.in);
		bool progress = conn_copy_bytes(&c->upstream.in, &c->client.out, ~0ULL);
		c->bytes_out += before - buf_len(&c->upstream.in);
		return progress;
	}
	case RESP_IDLE: return false;
	}
	return false;
}

/* conn_io.c - a connection's turn (conn_run()), and moving bytes between
 * its sockets and its buffers. Reading and writing are one pair of calls
 * for both sides (side_read(), side_write()); what differs between the
 * client and the daemon is spelled out in the callers: a unix client's
 * close, the output of a client that has gone, a daemon connection
 * between requests, the half-close that tells the daemon a client is
 * done. Each conn_client_* and conn_upstream_* call returns true when it
 * made progress (or closed the connection). */
#include "conn_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "upstream.h"

bool conn_copy_bytes(struct buf *from, struct buf *to, unsigned long long limit)
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

/* What one read or write on a side's socket came to. */
enum side_io {
	SIDE_IO_WAIT,  /* nothing moved: no room, or the socket said EAGAIN */
	SIDE_IO_MOVED, /* some bytes moved */
	SIDE_IO_EOF,   /* read only: the peer's end of file */
	SIDE_IO_ERROR, /* the call failed; errno says why */
};

/* Reads what fd has into s->in, when there is room. EAGAIN clears
 * s->readable, as does a short read (see may_have_more()). */
static enum side_io side_read(struct side *s, int fd)
{
	size_t space = buf_space(&s->in);
	if (space == 0)
		return SIDE_IO_WAIT;
	ssize_t n = buf_read_fd(&s->in, fd);
	if (n > 0) {
		s->readable = may_have_more(n, space, s->rdhup);
		return SIDE_IO_MOVED;
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		s->readable = false;
		return SIDE_IO_WAIT;
	}
	return n == 0 ? SIDE_IO_EOF : SIDE_IO_ERROR;
}

/* Writes what waits in s->out to fd, then the *passed bytes at the front
 * of from (from may be NULL when passed is). The caller has checked that
 * something waits. EAGAIN clears s->writable; a write that moves nothing
 * is an error. */
static enum side_io side_write(struct side *s, int fd, struct buf *from, size_t *passed)
{
	if (!s->writable)
		return SIDE_IO_WAIT;
	ssize_t n = passed == NULL || *passed == 0
			    ? buf_write_fd(&s->out, fd)
			    : buf_write2_fd(&s->out, from, passed, fd);
	if (n > 0)
		return SIDE_IO_MOVED;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		s->writable = false;
		return SIDE_IO_WAIT;
	}
	return SIDE_IO_ERROR;
}

/* A client on a unix listener: its close never cuts what it sent. */
bool conn_is_unix_client(const struct conn *c)
{
	return c->client_key.bytes[0] == AF_UNIX;
}

static bool conn_client_read(struct conn *c)
{
	if (c->client.eof || !c->client.readable)
		return false;
	if (c->req == REQ_CLOSED) {
		/* Lingering: drop what arrives, up to a bound. */
		c->lingered += buf_len(&c->client.in);
		c->client.in.start = c->client.in.end = 0;
		if (c->lingered > CONN_LINGER_BYTES) {
			conn_close(c);
			return true;
		}
	}
	switch (side_read(&c->client, c->client_watch.fd)) {
	case SIDE_IO_WAIT:
		return false;
	case SIDE_IO_MOVED:
		return true;
	case SIDE_IO_ERROR:
		if (!conn_is_unix_client(c)) {
			/* A TCP reset: what the client sent may be cut anywhere,
			 * and nobody is left to read an answer. */
			log_debug("%s: client gone: %s", c->peer, strerror(errno));
			conn_close(c);
			return true;
		}
		/* A unix client's ECONNRESET (it closed with our answers
		 * unread): on a unix socket that error comes only after every
		 * byte the client sent, so it is an end of input like any
		 * other. */
		break;
	case SIDE_IO_EOF:
		break;
	}
	c->client.eof = true;
	if (c->req == REQ_CLOSED && conn_out_pending(c) == 0)
		conn_close(c);
	return true;
}

/* A tunnel whose unix client has gone: its output is dropped, and the
 * connection ends once the client's last stdin byte went to the daemon
 * with the daemon's side shut after it, or once the daemon ends it. */
static bool drop_client_output(struct conn *c)
{
	bool dropped = conn_out_pending(c) > 0;
	c->client.out.start = c->client.out.end = 0;
	buf_consume(&c->upstream.in, c->uin_passed);
	c->uin_passed = 0;
	bool stdin_delivered = c->upstream.shut_wr && buf_len(&c->upstream.out) == 0;
	if (stdin_delivered || c->upstream.eof || c->up == NULL) {
		log_debug("%s: tunnel of a departed client ends", c->peer);
		conn_close(c);
		return true;
	}
	return dropped;
}

/* Once all is sent, a closing connection or a tunnel the daemon has
 * ended half-closes towards the client, or closes. */
static bool client_output_ended(struct conn *c)
{
	if (c->client.shut_wr)
		return false;
	bool tunnel_out_done = c->resp == RESP_TUNNEL && c->upstream.eof &&
			       buf_len(&c->upstream.in) == 0;
	if (c->state == CONN_CLOSING_NOW && buf_len(&c->client.in) == 0 &&
	    !c->client.readable) {
		/* Nothing unread here or in the kernel, so the close is a FIN
		 * after the last byte, never a reset. */
		conn_close(c);
		return true;
	}
	if (conn_closing(c) || tunnel_out_done) {
		/* Half-close: the client reads EOF after the last byte. */
		shutdown(c->client_watch.fd, SHUT_WR);
		c->client.shut_wr = true;
		/* When stopping, a tunnel the daemon has ended is finished
		 * work: do not wait for the client to hang up too. */
		if ((conn_closing(c) && c->client.eof) || (tunnel_out_done && conn_draining))
			conn_close(c);
		return true;
	}
	return false;
}

static bool conn_client_write(struct conn *c)
{
	if (c->client_gone)
		return drop_client_output(c);
	if (conn_out_pending(c) == 0)
		return client_output_ended(c);
	enum side_io r = side_write(&c->client, c->client_watch.fd, &c->upstream.in,
				    &c->uin_passed);
	if (r == SIDE_IO_WAIT || r == SIDE_IO_MOVED)
		return r == SIDE_IO_MOVED;
	log_debug("%s: client gone: %s", c->peer, strerror(errno));
	conn_close(c);
	return true;
}

static bool conn_upstream_read(struct conn *c)
{
	if (c->up == NULL || c->upstream.eof || !c->upstream.readable || c->resp == RESP_RELAY)
		return false;
	if (c->resp == RESP_IDLE) {
		/* Between requests the daemon may only close; anything else
		 * is not ours to pass on. */
		char junk[64];
		ssize_t n = read(c->up->watch.fd, junk, sizeof junk);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->upstream.readable = false;
			return false;
		}
		conn_close_upstream(c);
		return true;
	}
	switch (side_read(&c->upstream, c->up->watch.fd)) {
	case SIDE_IO_WAIT:
		return false;
	case SIDE_IO_MOVED:
		return true;
	case SIDE_IO_EOF:
	case SIDE_IO_ERROR: /* a reset: nothing more comes */
		break;
	}
	c->upstream.eof = true;
	return true;
}

/* The client finished sending (half-close) while its request or tunnel is
 * open: tell the daemon the same, so that it ends a stream the client no
 * longer waits for (Go's server cancels the request when its connection
 * reads EOF). After a complete request, bytes the client pipelined behind
 * it do not hold the half-close back: they are answered, on a new daemon
 * connection, only once this response has ended, which a quiet stream
 * never would. A tunnel passes it on only after the last byte the client
 * sent. */
static bool pass_on_client_eof(struct conn *c)
{
	bool client_done = (c->req == REQ_DONE && (c->client.eof || c->client.rdhup)) ||
			   (c->req == REQ_TUNNEL && c->client.eof && buf_len(&c->client.in) == 0);
	if (client_done && !c->upstream.shut_wr) {
		shutdown(c->up->watch.fd, SHUT_WR);
		c->upstream.shut_wr = true;
		return true;
	}
	return false;
}

static bool conn_upstream_write(struct conn *c)
{
	if (c->up == NULL)
		return false;
	if (buf_len(&c->upstream.out) == 0)
		return pass_on_client_eof(c);
	enum side_io r = side_write(&c->upstream, c->up->watch.fd, NULL, NULL);
	if (r == SIDE_IO_WAIT || r == SIDE_IO_MOVED)
		return r == SIDE_IO_MOVED;
	if (c->resp == RESP_TUNNEL) {
		conn_close(c);
	} else {
		c->upstream.out.start = c->upstream.out.end = 0;
		conn_upstream_failed(c, strerror(errno));
	}
	return true;
}

/* ---- The turn ----
 * conn_run() lives with the reads and writes it calls several times per
 * request: in one file the compiler inlines them into it. */

void conn_trim_buffers(struct conn *c)
{
	buf_trim(&c->client.in);
	buf_trim(&c->upstream.out);
	buf_trim(&c->upstream.in);
	buf_trim(&c->client.out);
}

/* A tunnel ends when both directions have delivered their EOF. */
static bool tunnel_finished(const struct conn *c)
{
	return c->resp == RESP_TUNNEL && c->client.shut_wr && c->upstream.shut_wr;
}

/* Between requests a connection keeps no buffer memory: an idle client
 * costs its struct and its sockets only. A stream gives its empty buffers
 * back a few times a tick, so a quiet one holds none and a busy one does
 * not allocate per message; conn_tick() takes them from one that went
 * quiet after that. */
static void give_back_buffers(struct conn *c)
{
	if (c->req == REQ_HEAD && c->resp == RESP_IDLE) {
		conn_trim_buffers(c);
		free(c->line);
		c->line = NULL;
	} else if (c->req == REQ_DONE && c->resp == RESP_HEAD) {
		/* A request sent whole, waiting for its answer: its emptied
		 * client.in and upstream.out go back to the pool now, not with
		 * the answer. Otherwise every client in flight holds two
		 * blocks, and with more clients in flight than the pool is
		 * deep each request maps, faults in and unmaps fresh ones.
		 * (upstream.in and client.out are taken when the answer comes.) */
		buf_trim(&c->client.in);
		buf_trim(&c->upstream.out);
	} else if (c->resp >= RESP_BODY && c->trims_this_tick < CONN_TRIMS_PER_TICK) {
		/* A body or tunnel in progress. */
		conn_trim_buffers(c);
		c->trims_this_tick++;
	}
}

void conn_run(struct conn *c)
{
	bool progress = true;
	for (int round = 0; progress && c->state != CONN_DEAD; round++) {
		if (round == CONN_TURN_ROUNDS) {
			/* Turn over with work left: run again after the batch. */
			conn_run_after_batch(c);
			return;
		}
		progress = conn_client_read(c);
		/* A run of answered requests is handled before the next write;
		 * a forwarded head leaves before its body is looked at, as it
		 * would if the body came later. */
		while (c->state != CONN_DEAD && conn_request_may_move(c) &&
		       conn_process_request(c)) {
			progress = true;
			if (c->req != REQ_HEAD)
				break;
		}
		if (c->state != CONN_DEAD)
			progress |= conn_upstream_write(c);
		if (c->state != CONN_DEAD)
			progress |= conn_upstream_read(c);
		/* A response head and what follows of its body leave in one send. */
		while (c->state != CONN_DEAD && conn_response_may_move(c) &&
		       conn_process_response(c))
			progress = true;
		if (c->state != CONN_DEAD)
			progress |= conn_client_write(c);
		if (c->state != CONN_DEAD && tunnel_finished(c))
			conn_close(c);
	}
	if (c->state == CONN_DEAD)
		return;
	give_back_buffers(c);
	c->ran_this_tick = true;
}

/* conn_int.h - what the files of the connection module share; private to
 * them (conn.h is the module's contract with the rest of the program).
 *
 *   conn.c           a connection's life: setup, events, timers, drain,
 *                    close; the daemon connection it holds; answers of
 *                    our own and the access log
 *   conn_io.c        the turn that moves a connection on (conn_run), and
 *                    the bytes it moves between the sockets and the
 *                    buffers, one set of calls for both sides
 *   conn_request.c   the request path: head parse, judge_request() (where
 *                    every request is judged: policy_judge() or
 *                    profile_judge()), forwarding, bodies
 *   conn_response.c  the response path: heads, bodies, relay, tunnel
 *
 * Each client connection has two sides, each with an input and an output
 * buffer (called cin/cout and uin/uout in comments):
 *
 *   client --cin--> [parse, judge, rebuild, re-chunk] --uout--> daemon
 *   client <--cout-- [parse framing, pass through]    <--uin--- daemon
 *
 *   cin = client.in, cout = client.out, uin = upstream.in,
 *   uout = upstream.out.
 *
 * Requests are handled strictly one at a time: the next request's bytes
 * stay unparsed in cin until the current response has ended, so nothing
 * is forwarded before it was parsed and judged as a request of its own. */
#ifndef DOCKGATE_CONN_INT_H
#define DOCKGATE_CONN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "chunk.h"
#include "conn.h"
#include "h1.h"
#include "limit.h"
#include "loop.h"
#include "relay.h"

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
#define CONN_LINE_MAX 320
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

/* A connection's life. It only moves down the list. */
enum conn_state {
	CONN_OPEN,        /* reads and answers requests */
	CONN_CLOSING,     /* no further request: cout is flushed, then our side
			   * is shut and the client's close awaited (lingering) */
	CONN_CLOSING_NOW, /* the same, but closed once cout is flushed: the
			   * client sent all it will and asked for the close */
	CONN_DEAD,        /* both sockets closed; freed after the current batch */
};

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

/* One side of a connection, the client's or the daemon's: what it sent
 * that is not handled yet, what waits to go to it, and what is known of
 * its socket. Sockets are edge-triggered, so readiness is remembered
 * until a call returns EAGAIN. */
struct side {
	struct buf in;  /* read from this side, not yet handled */
	struct buf out; /* waiting to be written to this side */
	bool readable : 1;
	bool writable : 1;
	bool rdhup : 1;   /* it has shut down its side: read on until EOF */
	bool eof : 1;     /* its EOF (or the error that ends its input) was read */
	bool shut_wr : 1; /* we have shut down our side towards it */
};

struct conn {
	struct loop_watch client_watch; /* client socket; fd -1 once closed */
	struct upstream *up;        /* daemon connection; NULL when none */
	struct conn *prev, *next;
	struct side client, upstream;
	enum conn_state state;
	enum req_state req;
	enum resp_state resp;
	int status; /* for the access log */
	/* a unix client closed its socket in a tunnel: the stdin it sent is
	 * still read and forwarded, what would go to it is dropped */
	bool client_gone : 1;
	/* up is at a message boundary: its last response ended by its own
	 * framing and nothing else was sent or received since */
	bool up_reusable : 1;
	bool queued : 1;  /* on the run-again list: its turn ended with work left */
	bool ran_this_tick : 1; /* had a turn since the last conn_tick() */
	bool connect_wait : 1; /* the daemon's backlog was full: retry at the tick */
	bool head_started : 1;
	/* the request in flight */
	bool req_chunked : 1, req_keep_alive : 1, req_was_head : 1, req_upgrade : 1,
		req_hijack : 1;
	bool req_health_probe : 1; /* the health check's own ping: logged at debug */
	bool req_stream : 1; /* events, logs, stats, attach: may run for hours */
	/* the client has sent all it will: body_cannot_end() was asked */
	bool req_tail_checked : 1;
	bool tunnel_pending : 1;
	bool tunnel_head_unsent : 1; /* the 101/200 head is still in cout */
	/* its response */
	bool resp_keep_alive : 1;
	unsigned char trims_this_tick; /* gave its buffers back since then */
	unsigned char connect_tries;
	/* Which profile judges its requests (conn_set_profiles()), chosen
	 * at accept: today the one of the settings, 0. */
	unsigned char profile;
	struct conn *next_queued;
	unsigned lingered; /* bytes dropped while closing */
	/* Body bytes at the front of uin that go to the client as they are,
	 * after cout, without a copy. While there are any nothing else may
	 * enter cout (it would overtake them): the next request waits. */
	size_t uin_passed;
	size_t head_scan, resp_scan;
	unsigned long long req_left;
	struct chunk_dec req_chunk;
	enum h1_body resp_body;
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

/* The README's idle-memory figures count on the size of a connection: it
 * must not grow. The bounds are the sizes they were measured with: 488
 * bytes on LP64 (x86_64, arm64), and on ILP32 352 on armhf (i386, where a
 * long long in a struct is aligned to 4, had 348). */
_Static_assert(sizeof(void *) != 8 || sizeof(struct conn) <= 488,
	       "struct conn grew (LP64): the README's idle-memory figures rely on it");
_Static_assert(sizeof(void *) != 4 || sizeof(struct conn) <= 352,
	       "struct conn grew (ILP32): the README's idle-memory figures rely on it");

/* Shared by every connection; set once by conn_setup(). */
extern const struct cfg *conn_cfg;
/* conn_drain() was called: connections end after their current response. */
extern bool conn_draining;

static inline bool conn_closing(const struct conn *c)
{
	return c->state == CONN_CLOSING || c->state == CONN_CLOSING_NOW;
}

/* Bytes that are ours to send to the client. */
static inline size_t conn_out_pending(const struct conn *c)
{
	return buf_len(&c->client.out) + c->uin_passed;
}

/* conn.c: the connection's life. */
const char *conn_state_name(enum conn_state s);
const char *conn_req_state_name(enum req_state s);
const char *conn_resp_state_name(enum resp_state s);
/* Closes both sockets now; the struct is freed after the batch. */
void conn_close(struct conn *c);
/* Waits IDLE_TIMEOUT for the next request head. */
void conn_set_idle_deadline(struct conn *c);
/* Takes a daemon connection for c (pooled or new): 0, or -1 with errno. */
int conn_connect_upstream(struct conn *c);
/* Lets go of the daemon connection: pooled when reuse is asked for and
 * it is at a message boundary, else closed. */
void conn_release_upstream(struct conn *c, bool reuse);
void conn_close_upstream(struct conn *c);
/* Closes a pooled daemon connection, or one an idle client other than
 * except keeps, to free a file descriptor. True when one was closed. */
bool conn_close_idle_upstream(const struct conn *except);
/* The access log: the request line (the path, and the query keys that
 * say what the request did), and one line per request. */
void conn_set_line(struct conn *c, const char *method, size_t method_n, const char *target,
		   size_t target_n);
const char *conn_line_of(const struct conn *c);
void conn_log_access(struct conn *c, bool allowed, const char *why);
/* The other end of a long exchange: a stream's start (its access line
 * comes at its end), a tunnel's end (its access line came at its start). */
void conn_log_stream(struct conn *c, bool started);
/* No more requests: answer what is in cout, then close. */
void conn_stop_requests(struct conn *c);
/* Answers the request ourselves with a JSON error (and stops taking
 * requests when close is set, or the answer does not fit). */
void conn_reply_error(struct conn *c, int status, const char *msg, bool close);

/* Puts c on the list of connections whose turn ended with work left;
 * conn_after_batch() runs them again. */
void conn_run_after_batch(struct conn *c);

/* conn_io.c: the turn, and bytes between sockets and buffers. */
/* Moves bytes as far as buffers and sockets allow, for one turn (at most
 * CONN_TURN_ROUNDS rounds, then again after the batch); then gives back
 * the buffers the connection's state does not need. */
void conn_run(struct conn *c);
/* Gives back the storage of every empty buffer of c. */
void conn_trim_buffers(struct conn *c);
/* Moves up to limit bytes from one buffer to another; true when any. */
bool conn_copy_bytes(struct buf *from, struct buf *to, unsigned long long limit);
/* A client on a unix listener: its close never cuts what it sent. */
bool conn_is_unix_client(const struct conn *c);

/* conn_request.c: the request path. */
/* The buffers the request parser shares between connections: 0, or -1
 * with errno (ENOMEM) with nothing left allocated. conn_request_free()
 * releases them at exit. */
int conn_request_setup(const struct cfg *c, const struct policy *p);
void conn_request_free(void);
/* Moves the request side on by one step; true when it made progress. */
bool conn_process_request(struct conn *c);
/* Whether the request side may have a step to take: a forwarded request
 * (REQ_DONE) waits for its response, a stopped one (REQ_CLOSED) for the
 * close, and a head needs bytes or the client's EOF. Tested inline, as
 * conn_run() asks in every round and mostly there is nothing to do. */
static inline bool conn_request_may_move(const struct conn *c)
{
	if (c->req == REQ_HEAD)
		return buf_len(&c->client.in) > 0 || c->client.eof;
	return c->req != REQ_DONE && c->req != REQ_CLOSED;
}

/* conn_response.c: the response path. */
/* Moves the response side on by one step; true when it made progress. */
bool conn_process_response(struct conn *c);
/* The same for the response side: none is expected (RESP_IDLE), or a
 * head needs bytes from the daemon or its EOF. */
static inline bool conn_response_may_move(const struct conn *c)
{
	if (c->resp == RESP_HEAD)
		return buf_len(&c->upstream.in) > 0 || c->upstream.eof;
	return c->resp != RESP_IDLE;
}
/* The daemon failed us: a 502 if the client saw nothing yet, else a cut. */
void conn_upstream_failed(struct conn *c, const char *why);

#endif

/* conn.c - a connection's life: its setup, its events and the turn that
 * moves it on, timers, drain and close; the daemon connection it holds;
 * answers of our own and the access log. See conn.h for the contract and
 * conn_int.h for how the module is divided. */
#include "conn.h"
#include "conn_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "answer.h"
#include "buf.h"
#include "cfg.h"
#include "limit.h"
#include "log.h"
#include "loop.h"
#include "relay.h"
#include "upstream.h"

const struct cfg *conn_cfg;
bool conn_draining;

static struct loop *loop;
static struct conn *all_conns;
static struct conn *reap_list;
static struct conn *run_again;
static size_t n_conns;

static void on_client_event(struct loop_watch *w, uint32_t events);
static void on_upstream_event(struct loop_watch *w, uint32_t events);

int conn_setup(struct loop *l, const struct cfg *c, const struct policy *p)
{
	loop = l;
	conn_cfg = c;
	upstream_setup(l, c->socket_path, (unsigned)c->upstream_pool,
		       (unsigned)c->idle_timeout_s);
	return conn_request_setup(c, p);
}

void conn_setup_free(void)
{
	conn_request_free();
	buf_pool_free();
}

size_t conn_count(void)
{
	return n_conns;
}

/* The states by name, for log lines; indexed by the enums, which start
 * at 0 and have no gaps. */
static const char *const conn_state_names[] = {
	[CONN_OPEN] = "open", [CONN_CLOSING] = "closing",
	[CONN_CLOSING_NOW] = "closing-now", [CONN_DEAD] = "dead",
};
static const char *const req_state_names[] = {
	[REQ_HEAD] = "head", [REQ_BODY] = "body", [REQ_DISCARD] = "discard",
	[REQ_DONE] = "done", [REQ_TUNNEL] = "tunnel", [REQ_CLOSED] = "closed",
};
static const char *const resp_state_names[] = {
	[RESP_IDLE] = "idle", [RESP_HEAD] = "head", [RESP_BODY] = "body",
	[RESP_RELAY] = "relay", [RESP_TUNNEL] = "tunnel",
};
_Static_assert(sizeof conn_state_names / sizeof conn_state_names[0] == CONN_DEAD + 1,
	       "a connection state without a name");
_Static_assert(sizeof req_state_names / sizeof req_state_names[0] == REQ_CLOSED + 1,
	       "a request state without a name");
_Static_assert(sizeof resp_state_names / sizeof resp_state_names[0] == RESP_TUNNEL + 1,
	       "a response state without a name");

const char *conn_state_name(enum conn_state s)
{
	return conn_state_names[s];
}

const char *conn_req_state_name(enum req_state s)
{
	return req_state_names[s];
}

const char *conn_resp_state_name(enum resp_state s)
{
	return resp_state_names[s];
}

void conn_set_idle_deadline(struct conn *c)
{
	c->head_started = false;
	c->head_scan = 0;
	c->deadline_ms = loop_now_ms() + (long long)conn_cfg->idle_timeout_s * 1000;
}

int conn_start(int fd, const char *peer, const struct limit_key *key)
{
	struct conn *c = calloc(1, sizeof *c);
	if (c == NULL)
		return -1;
	/* The rebuilt head can be a little longer than the one received
	 * (": " after each name, regenerated framing lines). */
	size_t uout_cap = conn_cfg->max_head_size + 8 * conn_cfg->max_headers + 512;
	buf_init(&c->client.in, conn_cfg->max_head_size);
	buf_init(&c->upstream.out, uout_cap);
	buf_init(&c->upstream.in, CONN_RESP_BUF);
	buf_init(&c->client.out, CONN_RESP_BUF + CONN_ERROR_ROOM);
	c->client_watch = (struct loop_watch){ fd, on_client_event, c };
	relay_init(&c->relay);
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->client_key = *key;
	c->profile = 0; /* the settings' profile; per listener or client later */
	if (loop_add(loop, &c->client_watch, EPOLLIN | EPOLLOUT | EPOLLRDHUP) == -1) {
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
	conn_set_idle_deadline(c);
	log_debug("%s: connected", c->peer);
	return 0;
}

/* What was known of a side's socket is void: it has none, or a new one. */
static void forget_socket(struct side *s)
{
	s->readable = s->writable = s->rdhup = false;
	s->eof = s->shut_wr = false;
}

/* Lets go of the daemon connection: back to the pool when it is at a
 * message boundary and reuse is asked for, else closed. */
void conn_release_upstream(struct conn *c, bool reuse)
{
	if (c->up == NULL)
		return;
	if (reuse && c->up_reusable && c->resp == RESP_IDLE &&
	    buf_len(&c->upstream.in) == c->uin_passed && buf_len(&c->upstream.out) == 0 &&
	    !conn_draining)
		upstream_put(c->up);
	else
		upstream_close(c->up);
	c->up = NULL;
	c->up_reusable = false;
	forget_socket(&c->upstream);
	/* What was passed on is the client's still; the rest is dropped. */
	c->upstream.in.end = c->upstream.in.start + c->uin_passed;
	c->upstream.out.start = c->upstream.out.end = 0;
}

void conn_close_upstream(struct conn *c)
{
	conn_release_upstream(c, false);
}

/* Closes both sockets now; the struct is freed by conn_reap() after the
 * batch, since a later event of the same batch may still name it. */
void conn_close(struct conn *c)
{
	if (c->state == CONN_DEAD)
		return;
	log_debug("%s: closed (%s, request %s, response %s)", c->peer,
		  conn_state_name(c->state), conn_req_state_name(c->req),
		  conn_resp_state_name(c->resp));
	if (c->resp == RESP_TUNNEL)
		conn_log_stream(c, false);
	c->state = CONN_DEAD;
	relay_close(&c->relay);
	conn_release_upstream(c, true);
	/* The buffers go back now, not with the struct after the batch: in
	 * a batch where many clients finish they would all be held at once,
	 * more than the pool keeps, and each block beyond it is mapped and
	 * unmapped again. Nothing touches them once the connection is dead. */
	buf_release(&c->client.in);
	buf_release(&c->upstream.out);
	buf_release(&c->upstream.in);
	buf_release(&c->client.out);
	c->uin_passed = 0;
	close(c->client_watch.fd); /* leaves the epoll set with it (no loop_del) */
	c->client_watch.fd = -1;
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
}

/* Frees connections closed during the batch. */
static void conn_reap(void)
{
	while (reap_list) {
		struct conn *c = reap_list;
		reap_list = c->next;
		free(c->line);
		free(c);
	}
	upstream_reap();
}

/* Query keys the access line keeps: they say what a request did (which
 * containers, forced or not, which signal, followed or not) and never
 * carry credentials. Anything else (a build's remote URL or buildargs, an
 * import's fromSrc, changes, labels) stays out of the log. Matched as
 * spelt: an escaped key is left out too. */
static const char *const logged_query_keys[] = {
	"all", "filters", "force", "signal", "t", "timeout", "v", "link", "follow",
	"stdout", "stderr", "stdin", "stream", "logs", "tail", "since", "until",
	"timestamps", "size", "noprune", "fromImage", "tag", "repo", "name", "path",
	"condition", "h", "w", "ps_args", "platform", "one-shot",
};

static bool logged_query_key(const char *k, size_t n)
{
	for (size_t i = 0; i < sizeof logged_query_keys / sizeof logged_query_keys[0]; i++)
		if (strlen(logged_query_keys[i]) == n && memcmp(logged_query_keys[i], k, n) == 0)
			return true;
	return false;
}

/* Appends to out[o, cap) the pairs of query q[0, n) whose key is kept,
 * each value cut at 64 bytes, escaped; returns the new length. */
static size_t add_logged_query(char *out, size_t o, size_t cap, const char *q, size_t n)
{
	char sep = '?';
	for (size_t at = 0; at < n && o + 2 < cap;) {
		const char *p = q + at;
		const char *amp = memchr(p, '&', n - at);
		size_t len = amp ? (size_t)(amp - p) : n - at;
		at += len + 1;
		const char *eq = memchr(p, '=', len);
		size_t key_n = eq ? (size_t)(eq - p) : len;
		if (!logged_query_key(p, key_n))
			continue;
		size_t value_n = len - key_n;
		out[o++] = sep;
		sep = '&';
		o += log_escape(out + o, cap - o, p, key_n + (value_n > 65 ? 65 : value_n));
	}
	return o;
}

/* Sets the access log's request line, "METHOD /path?kept-query", escaped
 * (see log_escape()): a client's quote, backslash or control byte cannot
 * end the quoted field or the line. At most 32 bytes of method and 160 of
 * path are taken ("..." marks a cut path), then the kept query pairs, and
 * what the escapes do not leave room for is cut. Keeps the old text when
 * there is no memory (the log line is then merely stale, never wrong
 * about safety). */
void conn_set_line(struct conn *c, const char *method, size_t method_n, const char *target,
		   size_t target_n)
{
	if (c->line == NULL && (c->line = malloc(CONN_LINE_MAX)) == NULL)
		return;
	/* No snprintf: this runs for every request. */
	const char *q = memchr(target, '?', target_n);
	size_t path_n = q ? (size_t)(q - target) : target_n;
	method_n = method_n > 32 ? 32 : method_n;
	size_t n = log_escape(c->line, CONN_LINE_MAX - 1, method, method_n);
	if (target_n) {
		c->line[n++] = ' ';
		n += log_escape(c->line + n, CONN_LINE_MAX - 64 - n, target,
				path_n > 160 ? 160 : path_n);
		if (path_n > 160) { /* say that the path goes on: its end is its action */
			memcpy(c->line + n, "...", 3);
			n += 3;
		}
	}
	if (q != NULL)
		n = add_logged_query(c->line, n, CONN_LINE_MAX, q + 1, target_n - path_n - 1);
	c->line[n] = '\0';
}

const char *conn_line_of(const struct conn *c)
{
	return c->line ? c->line : "-";
}

/* One line per request: who, what, the decision, the outcome. Built
 * without printf (it is most of a request's cost otherwise); the reason
 * of a denial may quote the client's decoded path, so it is escaped. */
void conn_log_access(struct conn *c, bool allowed, const char *why)
{
	struct log_line l;
	if (!log_line_begin(&l, c->req_health_probe ? LOG_L_DEBUG : LOG_L_INFO))
		return;
	long long ms = loop_now_ms() - c->started_ms;
	log_line_str(&l, c->peer);
	log_line_add(&l, " \"", 2);
	log_line_str(&l, conn_line_of(c));
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

/* A stream's start, or a tunnel's end: the access line of a stream comes
 * when it ends and a tunnel's when it starts, hours apart, so each also
 * gets the other end. Same fields as an access line, then what happened:
 *   peer "GET /v1.41/events" allow(EVENTS) status=200 stream started
 *   peer "POST /v1.41/exec/ID/start" allow(EXEC) status=101 bytes=N ms=M tunnel ended */
void conn_log_stream(struct conn *c, bool started)
{
	struct log_line l;
	if (!log_line_begin(&l, LOG_L_INFO))
		return;
	log_line_str(&l, c->peer);
	log_line_add(&l, " \"", 2);
	log_line_str(&l, conn_line_of(c));
	log_line_add(&l, "\" allow(", 8);
	log_line_str(&l, c->because ? c->because : "-");
	log_line_add(&l, ") status=", 9);
	log_line_uint(&l, (unsigned)c->status);
	if (started) {
		log_line_str(&l, " stream started");
	} else {
		long long ms = loop_now_ms() - c->started_ms;
		log_line_add(&l, " bytes=", 7);
		log_line_uint(&l, c->bytes_out);
		log_line_add(&l, " ms=", 4);
		log_line_uint(&l, ms > 0 ? (unsigned long long)ms : 0);
		log_line_str(&l, " tunnel ended");
	}
	log_line_end(&l);
}

/* No more requests on this connection: answer what is in cout, then
 * close. Input that still arrives is read and dropped meanwhile, so the
 * close does not turn into a reset that destroys our last answer. */
void conn_stop_requests(struct conn *c)
{
	c->req = REQ_CLOSED;
	if (c->state == CONN_OPEN)
		c->state = CONN_CLOSING;
	c->deadline_ms = loop_now_ms() + CONN_LINGER_MS + 3000;
}

/* Answers a request ourselves with a JSON error. */
void conn_reply_error(struct conn *c, int status, const char *msg, bool close)
{
	c->status = status;
	if (c->uin_passed > 0) {
		/* Only a timeout gets here with body bytes still passing: the
		 * answer cannot go after them, so the client just sees the close. */
		conn_stop_requests(c);
		return;
	}
	unsigned flags = (close ? ANSWER_CLOSE : 0) | (c->req_was_head ? ANSWER_NO_BODY : 0);
	if (answer_build(&c->client.out, status, msg, flags) == -1)
		close = true; /* no room: the client gets a close instead */
	if (close)
		conn_stop_requests(c);
}

int conn_connect_upstream(struct conn *c)
{
	c->up = upstream_get(on_upstream_event, c);
	if (c->up == NULL)
		return -1;
	forget_socket(&c->upstream);
	c->upstream.writable = true;
	return 0;
}

/* Out of file descriptors: a pooled daemon connection, or else one kept
 * open for an idle client, is the cheapest one to give up (that client
 * reconnects on its next request). True when one was closed. */
bool conn_close_idle_upstream(const struct conn *except)
{
	if (upstream_shed_pooled())
		return true;
	if (except == NULL && conn_draining)
		return false;
	for (struct conn *o = all_conns; o != NULL; o = o->next) {
		if (o != except && o->up != NULL && o->req == REQ_HEAD &&
		    o->resp == RESP_IDLE && buf_len(&o->upstream.out) == 0) {
			conn_close_upstream(o);
			return true;
		}
	}
	return false;
}

bool conn_shed_idle_upstream(void)
{
	return conn_close_idle_upstream(NULL);
}

void conn_run_after_batch(struct conn *c)
{
	if (!c->queued) {
		c->queued = true;
		c->next_queued = run_again;
		run_again = c;
	}
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
		if (c->state != CONN_DEAD)
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
	c->client.readable = c->client.rdhup = c->client.writable = true;
	if (!c->client_gone && (c->req == REQ_TUNNEL || c->resp == RESP_TUNNEL)) {
		c->client_gone = true;
		c->deadline_ms = loop_now_ms() + (long long)conn_cfg->idle_timeout_s * 1000;
	}
	conn_run(c);
}

/* Records what an event says about a side's socket: a hang-up or an
 * error is read (and written) to find out what it means. */
static void note_events(struct side *s, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		s->readable = true;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		s->rdhup = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		s->writable = true;
}

static void on_client_event(struct loop_watch *w, uint32_t events)
{
	struct conn *c = w->owner;
	if (c->state == CONN_DEAD)
		return;
	/* A TCP reset (EPOLLERR): nobody is left to read an answer, and what
	 * the client sent may be cut anywhere, so both connections close now,
	 * whatever the buffers still hold. A unix client's error is its close
	 * with answers unread, after all it sent: see client_hung_up(). */
	if ((events & EPOLLERR) && !conn_is_unix_client(c)) {
		log_debug("%s: client gone (reset)", c->peer);
		conn_close(c);
		return;
	}
	if ((events & (EPOLLHUP | EPOLLERR)) && !c->client.shut_wr) {
		client_hung_up(c);
		return;
	}
	note_events(&c->client, events);
	conn_run(c);
}

static void on_upstream_event(struct loop_watch *w, uint32_t events)
{
	struct conn *c = w->owner;
	if (c->state == CONN_DEAD || c->up == NULL || w != &c->up->watch)
		return;
	note_events(&c->upstream, events);
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
			conn_trim_buffers(c);
		c->ran_this_tick = false;
		c->trims_this_tick = 0;
		if (c->connect_wait) {
			c->connect_wait = false;
			conn_run(c);
			if (c->state == CONN_DEAD)
				continue;
		}
		if (c->deadline_ms == 0 || now < c->deadline_ms)
			continue;
		if (c->req == REQ_HEAD && buf_len(&c->client.in) > 0 && !conn_closing(c)) {
			c->started_ms = now;
			c->req_was_head = false;
			conn_set_line(c, "-", 1, "", 0);
			conn_reply_error(c, 408, "dockgate: request head not received in time",
					 true);
			conn_log_access(c, false, "header timeout");
			conn_run(c);
		} else if (c->req == REQ_BODY) {
			log_info("%s \"%s\" aborted: no byte of the request body moved in "
				 "IDLE_TIMEOUT (%lus)", c->peer, conn_line_of(c),
				 conn_cfg->idle_timeout_s);
			conn_close(c);
		} else {
			log_debug("%s: %s timeout", c->peer, conn_closing(c) ? "linger" : "idle");
			conn_close(c);
		}
	}
}

void conn_drain(void)
{
	conn_draining = true;
	upstream_close_pool();
	struct conn *next;
	for (struct conn *c = all_conns; c != NULL; c = next) {
		next = c->next;
		bool idle = c->req == REQ_HEAD && buf_len(&c->client.in) == 0 &&
			    c->resp == RESP_IDLE && conn_out_pending(c) == 0;
		bool tunnel_ended = c->resp == RESP_TUNNEL && c->client.shut_wr;
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

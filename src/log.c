/* log.c - leveled logging to stderr; see log.h.
 *
 * Output must never stall the event loop: a slow reader of stderr (a
 * logging driver under load, journald, a terminal on Ctrl-S) would stop
 * every client. Setting O_NONBLOCK on fd 2 itself is not an option: that
 * flag belongs to the open file description, which is usually shared with
 * other processes (the container runtime's pipe, a terminal), and would
 * make their writes fail with EAGAIN. So, once at startup (log_open):
 *   - a socket (journald's stream socket): each send() gets MSG_DONTWAIT,
 *     which is per call and changes nothing shared;
 *   - a pipe, FIFO or terminal: /proc/self/fd/2 is opened again with
 *     O_NONBLOCK, which gives a description of our own on the same pipe or
 *     device;
 *     When that open is refused for a pipe (one of another user with
 *     mode 0600, as a supervisor that starts dockgate as an unprivileged
 *     user makes; or no /proc), the shared description is made
 *     non-blocking after all, and stays so: never stalling every client
 *     comes first, and a service's log pipe rarely has another writer.
 *     log_open() says so. A terminal is left as it is (and may block);
 *   - a regular file or anything else: written as it is (a file write does
 *     not wait for a reader).
 * What stderr cannot take now waits in a bounded backlog, in order, and
 * goes out when the fd is writable again (the main loop watches it while
 * lines wait, see log_set_backlog_hook). When the backlog is full a line
 * is dropped and counted; the count is logged when the backlog drains. At
 * exit the backlog gets a bounded wait (log_drain).
 *
 * A line is at most LOG_LINE_MAX bytes and each chunk of the backlog is
 * written up to a line end and at most PIPE_BUF bytes, so a pipe shared
 * with other writers never gets half a line (POSIX: writes of up to
 * PIPE_BUF bytes to a pipe are atomic). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h> /* clock_gettime only: gmtime_r would read the time zone files */
#include <unistd.h>

static const char *const level_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};
static const unsigned char level_name_len[] = { 5, 5, 4, 3, 7, 6, 4, 5 };

static enum log_level current_level = LOG_L_INFO;

/* Where lines go and how. Until log_open(): fd 2 as it is. */
static int out_fd = STDERR_FILENO;
static bool out_is_socket;
static int drain_epoll = -1; /* for log_drain() only */

/* Lines waiting for stderr: [bl_head, bl_head + bl_len) of backlog. */
static char backlog[LOG_BACKLOG_MAX];
static size_t bl_head, bl_len;
static unsigned long long dropped_total, dropped_unreported;
static log_backlog_fn backlog_hook;
static bool hook_told; /* the hook was last called with pending = true */

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *log_level_name(enum log_level level)
{
	return level_names[level];
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

int log_enabled(enum log_level level)
{
	return level <= current_level;
}

static bool leap_year(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

void log_civil_date(long long days, long *year, int *month, int *day)
{
	static const unsigned char month_days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	long y = 1970;
	if (days < 0)
		days = 0;
	/* Every 400 consecutive Gregorian years have the same 146097 days. */
	y += (long)(days / 146097) * 400;
	days %= 146097;
	while (days >= (leap_year(y) ? 366 : 365)) {
		days -= leap_year(y) ? 366 : 365;
		y++;
	}
	int m = 0;
	for (;;) {
		int len = month_days[m] + (m == 1 && leap_year(y));
		if (days < len)
			break;
		days -= len;
		m++;
	}
	*year = y;
	*month = m + 1;
	*day = (int)days + 1;
}

/* ---- output ---- */

/* Set once the exit's drain has had its wait: a second drain (main's,
 * then atexit's) only writes what goes now, so that the wait is paid
 * once and a stop stays within docker stop's grace period. */
static bool drain_waited;

static void log_at_exit(void)
{
	log_drain(2000);
}

int log_open(void)
{
	struct stat st;
	if (fstat(STDERR_FILENO, &st) == -1)
		return -1;
	/* Made now: the sandbox allows epoll_wait later, not poll. */
	drain_epoll = epoll_create1(EPOLL_CLOEXEC);
	atexit(log_at_exit);
	if (S_ISSOCK(st.st_mode)) {
		out_is_socket = true;
		return 0;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return 0;
	int fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd != -1) {
		out_fd = fd;
		return 0;
	}
	int saved = errno;
	/* Only a pipe: a terminal's description is usually shared with the
	 * shell's stdin, which O_NONBLOCK would break after we exit (the
	 * sandbox does not let us restore it). A terminal may block. */
	if (!S_ISFIFO(st.st_mode))
		return -1;
	int flags = fcntl(STDERR_FILENO, F_GETFL);
	if (flags == -1 || fcntl(STDERR_FILENO, F_SETFL, flags | O_NONBLOCK) == -1) {
		errno = saved;
		return -1;
	}
	errno = saved;
	return 1;
}

int log_fd(void)
{
	return out_fd;
}

static ssize_t out_write(const char *p, size_t n)
{
	if (out_is_socket)
		return send(out_fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	return write(out_fd, p, n);
}

static bool would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* Appends to the backlog; false (and counted) when there is no room. */
static bool queue(const char *p, size_t n)
{
	if (n > LOG_BACKLOG_MAX - bl_len) {
		dropped_total++;
		dropped_unreported++;
		return false;
	}
	if (bl_head + bl_len + n > LOG_BACKLOG_MAX) {
		memmove(backlog, backlog + bl_head, bl_len);
		bl_head = 0;
	}
	memcpy(backlog + bl_head + bl_len, p, n);
	bl_len += n;
	if (!hook_told && backlog_hook) {
		hook_told = true;
		backlog_hook(out_fd, true);
	}
	return true;
}

/* Writes one whole line now if nothing waits and stderr takes it, else
 * queues it behind what waits. */
static void emit(const char *p, size_t n)
{
	if (bl_len > 0) {
		queue(p, n);
		return;
	}
	ssize_t w = out_write(p, n);
	if (w == (ssize_t)n)
		return;
	if (w < 0) {
		if (!would_block(errno))
			return; /* stderr is gone: there is nobody to tell */
		w = 0;
	}
	/* The backlog is empty, so the rest of a line always fits. */
	queue(p + w, n - (size_t)w);
}

static void emit_dropped_count(void);

void log_flush(void)
{
	while (bl_len > 0) {
		size_t n = bl_len;
		if (n > PIPE_BUF) {
			const char *nl = memrchr(backlog + bl_head, '\n', PIPE_BUF);
			n = nl ? (size_t)(nl - (backlog + bl_head)) + 1 : PIPE_BUF;
		}
		ssize_t w = out_write(backlog + bl_head, n);
		if (w < 0 && would_block(errno))
			return;
		if (w <= 0) { /* stderr is gone: what waits can never go out */
			bl_len = 0;
			break;
		}
		bl_head += (size_t)w;
		bl_len -= (size_t)w;
	}
	bl_head = 0;
	if (dropped_unreported > 0) {
		emit_dropped_count();
		if (bl_len > 0)
			return;
	}
	if (hook_told) {
		hook_told = false;
		backlog_hook(out_fd, false);
	}
}

void log_set_backlog_hook(log_backlog_fn fn)
{
	backlog_hook = fn;
	hook_told = false;
	if (fn && bl_len > 0) {
		hook_told = true;
		fn(out_fd, true);
	}
}

static long long monotonic_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void log_drain(int timeout_ms)
{
	log_flush();
	if (bl_len == 0 || drain_epoll == -1 || drain_waited)
		return;
	drain_waited = true;
	struct epoll_event ev = { .events = EPOLLOUT };
	if (epoll_ctl(drain_epoll, EPOLL_CTL_ADD, out_fd, &ev) == -1 && errno != EEXIST)
		return;
	long long deadline = monotonic_ms() + timeout_ms;
	while (bl_len > 0) {
		long long left = deadline - monotonic_ms();
		if (left <= 0)
			break;
		if (epoll_wait(drain_epoll, &ev, 1, (int)left) == -1 && errno != EINTR)
			break;
		log_flush();
	}
}

unsigned long long log_dropped(void)
{
	return dropped_total;
}

/* ---- building lines ---- */

/* Writes v in decimal, at least width digits; returns the length. */
static size_t put_uint(char *p, unsigned long long v, size_t width)
{
	char digits[24];
	size_t i = sizeof digits;
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 || sizeof digits - i < width);
	memcpy(p, digits + i, sizeof digits - i);
	return sizeof digits - i;
}

/* "YYYY-MM-DDTHH:MM:SS" of the last second a line was written in: the
 * date arithmetic runs once a second, not once a line. */
static long long stamp_second = -1;
static char stamp[32];
static size_t stamp_len;

static void format_stamp(long long secs)
{
	long year;
	int month, day, sec_of_day = (int)(secs % 86400);
	log_civil_date(secs / 86400, &year, &month, &day);
	char *p = stamp;
	p += put_uint(p, (unsigned long long)year, 4);
	*p++ = '-';
	p += put_uint(p, (unsigned)month, 2);
	*p++ = '-';
	p += put_uint(p, (unsigned)day, 2);
	*p++ = 'T';
	p += put_uint(p, (unsigned)(sec_of_day / 3600), 2);
	*p++ = ':';
	p += put_uint(p, (unsigned)(sec_of_day / 60 % 60), 2);
	*p++ = ':';
	p += put_uint(p, (unsigned)(sec_of_day % 60), 2);
	stamp_len = (size_t)(p - stamp);
	stamp_second = secs;
}

bool log_line_begin(struct log_line *l, enum log_level level)
{
	if (!log_enabled(level))
		return false;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	long long secs = now.tv_sec < 0 ? 0 : (long long)now.tv_sec;
	if (secs != stamp_second)
		format_stamp(secs);
	char *p = l->p;
	memcpy(p, stamp, stamp_len);
	p += stamp_len;
	*p++ = '.';
	p += put_uint(p, (unsigned long long)(now.tv_nsec / 1000000), 3);
	*p++ = 'Z';
	*p++ = ' ';
	memcpy(p, level_names[level], level_name_len[level]);
	p += level_name_len[level];
	*p++ = ' ';
	l->n = (size_t)(p - l->p);
	return true;
}

/* Room left for text: one byte stays for the newline. */
static size_t room(const struct log_line *l)
{
	return LOG_LINE_MAX - 1 - l->n;
}

void log_line_add(struct log_line *l, const char *s, size_t n)
{
	if (n > room(l))
		n = room(l);
	memcpy(l->p + l->n, s, n);
	l->n += n;
}

void log_line_str(struct log_line *l, const char *s)
{
	log_line_add(l, s, strlen(s));
}

void log_line_uint(struct log_line *l, unsigned long long v)
{
	if (room(l) >= 20)
		l->n += put_uint(l->p + l->n, v, 1);
}

static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
}

/* Escapes s[0, n) into o[0, cap); returns the bytes written. */
static size_t escape_into(char *o, size_t cap, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!needs_escape(c)) {
			if (w == cap)
				break;
			o[w++] = (char)c;
		} else if (c == '"' || c == '\\') {
			if (cap - w < 2)
				break;
			o[w++] = '\\';
			o[w++] = (char)c;
		} else {
			if (cap - w < 4)
				break;
			o[w++] = '\\';
			o[w++] = 'x';
			o[w++] = hex[c >> 4];
			o[w++] = hex[c & 15];
		}
	}
	return w;
}

void log_line_escaped(struct log_line *l, const char *s, size_t n)
{
	l->n += escape_into(l->p + l->n, room(l), s, n);
}

size_t log_escape(char *out, size_t cap, const char *s, size_t n)
{
	if (cap == 0)
		return 0;
	size_t w = escape_into(out, cap - 1, s, n);
	out[w] = '\0';
	return w;
}

void log_line_end(struct log_line *l)
{
	l->p[l->n++] = '\n';
	emit(l->p, l->n);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	struct log_line l;
	if (!log_line_begin(&l, level))
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(l.p + l.n, room(&l) + 1, fmt, ap);
	va_end(ap);
	if (m > 0)
		l.n += (size_t)m > room(&l) ? room(&l) : (size_t)m;
	log_line_end(&l);
}

/* "N log lines dropped", as a warning whatever the level: lines that were
 * meant to be logged are missing. */
static void emit_dropped_count(void)
{
	struct log_line l;
	enum log_level saved = current_level;
	current_level = LOG_L_DEBUG;
	log_line_begin(&l, LOG_L_WARNING);
	current_level = saved;
	log_line_uint(&l, dropped_unreported);
	log_line_str(&l, " log lines dropped: stderr was not read fast enough");
	dropped_unreported = 0;
	log_line_end(&l);
}

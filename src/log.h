/* log.h - leveled logging to stderr, syslog level names as in
 * docker-socket-proxy's LOG_LEVEL.
 *
 * Output never blocks the caller: a line that stderr cannot take at once
 * waits in a bounded buffer, and when that is full the line is dropped and
 * counted; the count is logged once the buffer has drained. See log.c for
 * how stderr is made non-blocking without touching a shared description. */
#ifndef DOCKGATE_LOG_H
#define DOCKGATE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_L_EMERG,
	LOG_L_ALERT,
	LOG_L_CRIT,
	LOG_L_ERR,
	LOG_L_WARNING,
	LOG_L_NOTICE,
	LOG_L_INFO,
	LOG_L_DEBUG,
};

/* The longest line, newline included; longer ones are cut. */
#define LOG_LINE_MAX 2048
/* What waits for stderr at most; more is dropped and counted. */
#define LOG_BACKLOG_MAX (256 * 1024)

/* Parses a level name; -1 when unknown. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level level);
/* Lines above this level are dropped. */
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

/* The UTC date of a day counted from 1970-01-01 (day 0; earlier days are
 * taken as day 0), proleptic Gregorian. The log's own arithmetic: glibc's
 * gmtime_r reads the time zone files and brings sscanf and strtod. */
void log_civil_date(long long days, long *year, int *month, int *day);

/* Prepares stderr for output that never blocks (see log.c) and arranges a
 * bounded flush at exit. Call once, before the sandbox is set up (it opens
 * /proc/self/fd/2 and an epoll instance for that flush). 0; 1 when a pipe
 * on stderr could not be reopened (errno says why) and its shared
 * description was made non-blocking instead; -1 with errno when stderr
 * stays as it is (output is then still attempted, but may block). */
int log_open(void);
/* The descriptor lines are written to (stderr, or its reopened copy): a
 * child that closes other descriptors keeps this one to go on logging. */
int log_fd(void);

/* Called with pending = true when lines start waiting for stderr (watch fd
 * for EPOLLOUT and call log_flush()), and with false once all are out.
 * Never called from inside a call that the hook itself makes. Setting it
 * while lines wait calls it at once. */
typedef void (*log_backlog_fn)(int fd, bool pending);
void log_set_backlog_hook(log_backlog_fn fn);
/* Writes what stderr takes now, without blocking. */
void log_flush(void);
/* Writes what is left, waiting at most timeout_ms: for the exit. Only the
 * first call waits; later ones write what goes at once. */
void log_drain(int timeout_ms);
/* Lines dropped so far because the backlog was full. */
unsigned long long log_dropped(void);

/* One line: "<time> <level> <message>\n". printf-style: for everything but
 * the per-request access line. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_L_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_L_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_L_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_L_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_L_DEBUG, __VA_ARGS__)

/* A line built piece by piece, without printf: the access line, which is
 * written for every request. Pieces that do not fit are cut (an escape is
 * never cut in half). */
struct log_line {
	size_t n;
	char p[LOG_LINE_MAX];
};
/* Starts a line with "<time> <level> "; false (and nothing to do) when
 * the level is not logged. */
bool log_line_begin(struct log_line *l, enum log_level level);
void log_line_add(struct log_line *l, const char *s, size_t n);
void log_line_str(struct log_line *l, const char *s);
/* Adds s[0, n) escaped as log_escape() does. */
void log_line_escaped(struct log_line *l, const char *s, size_t n);
void log_line_uint(struct log_line *l, unsigned long long v);
/* Ends the line with "\n" and writes it (or queues it, or drops it). */
void log_line_end(struct log_line *l);

/* Copies s[0, n) to out so that a client's bytes cannot end a quoted
 * field or a line, nor pose as other fields: '"' and '\' get a backslash,
 * bytes below 0x20, 0x7f and above as \xNN (lowercase hex). Writes at most
 * cap - 1 bytes and a NUL, never half an escape; returns the length. */
size_t log_escape(char *out, size_t cap, const char *s, size_t n);

#endif

/* test_log.c - the log's own UTC date arithmetic, day by day against
 * glibc's gmtime_r (which the daemon no longer links: it reads the time
 * zone files), across leap years and the century rules; the escaping of
 * client bytes; and lines built without printf. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rows.h" /* cmocka and what it needs */

#include "log.h"

struct date_row {
	const char *name;
	long long days;
	long year;
	int month, day;
};

static struct date_row date_rows[] = {
	{ "the epoch", 0, 1970, 1, 1 },
	{ "before the epoch is the epoch", -5, 1970, 1, 1 },
	{ "1972-02-29, the first leap day", 789, 1972, 2, 29 },
	{ "2000-02-29: divisible by 400 is a leap year", 11016, 2000, 2, 29 },
	{ "2100-03-01: divisible by 100 is not", 47541, 2100, 3, 1 },
	{ "2026-12-02", 20789, 2026, 12, 2 },
	{ "2370-01-01, after a whole 400-year cycle", 146097, 2370, 1, 1 },
};

static void test_date(void **state)
{
	const struct date_row *r = *state;
	long y;
	int m, d;
	log_civil_date(r->days, &y, &m, &d);
	assert_int_equal(y, r->year);
	assert_int_equal(m, r->month);
	assert_int_equal(d, r->day);
}

/* Every day from 1970 to 2800 agrees with gmtime_r. */
static void test_against_gmtime(void **state)
{
	(void)state;
	for (long long days = 0; days < 303000; days++) {
		time_t t = (time_t)(days * 86400 + 43200);
		struct tm tm;
		assert_non_null(gmtime_r(&t, &tm));
		long y;
		int m, d;
		log_civil_date(days, &y, &m, &d);
		if (y != tm.tm_year + 1900L || m != tm.tm_mon + 1 || d != tm.tm_mday)
			fail_msg("day %lld: got %ld-%d-%d, gmtime_r says %d-%d-%d", days, y, m, d,
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	}
}

/* ==== log_escape: what a client sends cannot forge fields or lines ==== */

struct escape_row {
	const char *name;
	struct bytes in;
	size_t cap; /* 0: 256 */
	const char *out;
};

static struct escape_row escape_rows[] = {
	{ "plain printable ASCII is copied", B("GET /v1.41/containers/json"), 0,
	  "GET /v1.41/containers/json" },
	{ "a quote gets a backslash: it cannot close the field",
	  B("x\" allow(containers) status=200"), 0, "x\\\" allow(containers) status=200" },
	{ "a backslash gets a backslash: it cannot escape the closing quote",
	  B("x\\"), 0, "x\\\\" },
	{ "a newline and a carriage return cannot start a line", B("a\nb\rc"), 0,
	  "a\\x0ab\\x0dc" },
	{ "NUL, tab, escape and DEL are \\xNN", B("\0\t\x1b\x7f"), 0,
	  "\\x00\\x09\\x1b\\x7f" },
	{ "non-ASCII bytes are \\xNN, lowercase", B("\xc3\xa9\xff"), 0,
	  "\\xc3\\xa9\\xff" },
	{ "space stays: inside quotes it is no separator", B("a b"), 0, "a b" },
	{ "an escape that does not fit is left out whole", B("ab\""), 4, "ab" },
	{ "a \\xNN that does not fit is left out whole", B("a\n"), 5, "a" },
	{ "the text is cut at the capacity", B("abcdef"), 4, "abc" },
	{ "empty in, empty out", B(""), 0, "" },
};

static void test_escape(void **state)
{
	const struct escape_row *r = *state;
	char out[256];
	memset(out, 'Z', sizeof out);
	size_t cap = r->cap ? r->cap : sizeof out;
	size_t n = log_escape(out, cap, r->in.p, r->in.n);
	assert_int_equal(n, strlen(r->out));
	assert_string_equal(out, r->out);
	assert_true(n < cap);
}

/* ==== lines built piece by piece, and what reaches stderr ==== */

/* Points stderr at a pipe for one test; returns the read end. */
static int capture_stderr(int *saved)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	*saved = dup(STDERR_FILENO);
	assert_true(*saved >= 0);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	return p[0];
}

static size_t read_captured(int rd, int saved, char *out, size_t cap)
{
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = read(rd, out, cap - 1);
	close(rd);
	assert_true(n > 0);
	out[n] = '\0';
	return (size_t)n;
}

/* The access line's pieces: text, escaped text and numbers, then "\n",
 * after "<time> <level> ". */
static void test_line_pieces(void **state)
{
	(void)state;
	int saved, rd = capture_stderr(&saved);
	struct log_line l;
	log_set_level(LOG_L_INFO);
	assert_false(log_line_begin(&l, LOG_L_DEBUG));
	assert_true(log_line_begin(&l, LOG_L_INFO));
	log_line_str(&l, "peer \"");
	log_line_escaped(&l, "a\"b\n", 4);
	log_line_add(&l, "\" n=", 4);
	log_line_uint(&l, 0);
	log_line_add(&l, " m=", 3);
	log_line_uint(&l, 18446744073709551615ull);
	log_line_end(&l);
	char got[512];
	read_captured(rd, saved, got, sizeof got);
	/* 2026-12-03T08:00:00.000Z */
	assert_true(strlen(got) > 25 && got[4] == '-' && got[10] == 'T' && got[19] == '.' &&
		    got[23] == 'Z' && got[24] == ' ');
	assert_string_equal(got + 25,
			    "info peer \"a\\\"b\\x0a\" n=0 m=18446744073709551615\n");
}

/* A line longer than LOG_LINE_MAX is cut, and still ends in one newline. */
static void test_line_cut(void **state)
{
	(void)state;
	int saved, rd = capture_stderr(&saved);
	static char big[3 * LOG_LINE_MAX];
	memset(big, '"', sizeof big);
	struct log_line l;
	assert_true(log_line_begin(&l, LOG_L_WARNING));
	log_line_escaped(&l, big, sizeof big);
	log_line_uint(&l, 12345);
	log_line_end(&l);
	static char got[2 * LOG_LINE_MAX];
	size_t n = read_captured(rd, saved, got, sizeof got);
	assert_int_equal(n, LOG_LINE_MAX);
	assert_int_equal(got[n - 1], '\n');
	assert_null(memchr(got, '\n', n - 1));
	/* never half an escape: the text ends in a whole \" */
	assert_int_equal(got[n - 2], '"');
	assert_int_equal(got[n - 3], '\\');
}

/* stderr on a pipe nobody reads: no call blocks, lines wait up to
 * LOG_BACKLOG_MAX and the rest are counted; once the pipe is read,
 * log_flush() writes what waited, in order, whole, then the count. Runs
 * last: log_open() keeps the pipe for the rest of the process. */
static void test_backlog_and_drops(void **state)
{
	(void)state;
	int saved, rd = capture_stderr(&saved);
	assert_int_equal(log_open(), 0);
	/* The original stderr back, for cmocka; the log keeps its own fd. */
	dup2(saved, STDERR_FILENO);
	close(saved);
	int lines = 0;
	unsigned long long dropped0 = log_dropped();
	while (log_dropped() - dropped0 < 100) {
		log_msg(LOG_L_NOTICE, "line %d %0200d", lines, 0);
		lines++;
		assert_true(lines < 100000);
	}
	unsigned long long dropped = log_dropped() - dropped0;
	fcntl(rd, F_SETFL, O_NONBLOCK);
	static char got[1 << 20];
	size_t n = 0;
	for (int round = 0; round < 10000; round++) {
		ssize_t r = read(rd, got + n, sizeof got - 1 - n);
		if (r > 0)
			n += (size_t)r;
		log_flush();
		if (n > 0 && memmem(got, n, "log lines dropped", 17) != NULL)
			break;
	}
	got[n] = '\0';
	close(rd);
	/* Every line whole and in order; the ones kept, then the count. */
	int next = 0;
	unsigned long long counted = 0;
	for (char *ln = got; *ln; ) {
		char *nl = strchr(ln, '\n');
		assert_non_null(nl);
		*nl = '\0';
		const char *m = strstr(ln, " notice line ");
		if (m != NULL) {
			assert_int_equal(atoi(m + 13), next);
			next++;
		} else {
			const char *w = strstr(ln, " warning ");
			assert_non_null(w);
			counted = strtoull(w + 9, NULL, 10);
			assert_non_null(strstr(ln, " log lines dropped"));
		}
		ln = nl + 1;
	}
	assert_int_equal(counted, dropped);
	assert_int_equal((unsigned long long)next + counted, (unsigned long long)lines);
	assert_true(next > 1000); /* the pipe and the backlog held many */
}

int main(void)
{
	ROWS_ADD_EACH(test_escape, escape_rows, "escape");
	rows_add(test_line_pieces, NULL, "line", "pieces, escapes and numbers after the prefix");
	rows_add(test_line_cut, NULL, "line", "an over-long line is cut, ends in one newline");
	ROWS_ADD_EACH(test_date, date_rows, "date");
	rows_add(test_against_gmtime, NULL, "date", "every day 1970-2800 agrees with gmtime_r");
	rows_add(test_backlog_and_drops, NULL, "output",
		 "an unread pipe: nothing blocks, lines wait or are counted");
	return rows_run("log");
}

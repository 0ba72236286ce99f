/* test_log.c - the log's own UTC date arithmetic, day by day against
 * glibc's gmtime_r (which the daemon no longer links: it reads the time
 * zone files), across leap years and the century rules. */
#include <time.h>

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

int main(void)
{
	for (size_t i = 0; i < N_ROWS(date_rows); i++)
		rows_add(test_date, &date_rows[i], "date", date_rows[i].name);
	rows_add(test_against_gmtime, NULL, "date", "every day 1970-2800 agrees with gmtime_r");
	return rows_run("log");
}

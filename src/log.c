/* log.c - leveled logging to stderr; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h> /* clock_gettime only: gmtime_r would read the time zone files */
#include <unistd.h>

static const char *const level_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static enum log_level current_level = LOG_L_INFO;

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

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	char line[2048];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	long long secs = now.tv_sec < 0 ? 0 : (long long)now.tv_sec;
	long year;
	int month, day, sec_of_day = (int)(secs % 86400);
	log_civil_date(secs / 86400, &year, &month, &day);
	int n = snprintf(line, sizeof line,
			 "%04ld-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
			 year, month, day, sec_of_day / 3600, sec_of_day / 60 % 60,
			 sec_of_day % 60, now.tv_nsec / 1000000, level_names[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	/* One write per line keeps lines whole when stderr is shared. */
	ssize_t unused = write(STDERR_FILENO, line, len);
	(void)unused;
}

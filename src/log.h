/* log.h - leveled logging to stderr, syslog level names as in
 * docker-socket-proxy's LOG_LEVEL. */
#ifndef DOCKGATE_LOG_H
#define DOCKGATE_LOG_H

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

/* One line: "<time> <level> <message>\n", written with a single write. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_L_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_L_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_L_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_L_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_L_DEBUG, __VA_ARGS__)

#endif

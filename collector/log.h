/* log.h - logging to stderr with journald priority prefixes. */
#ifndef VENTO_LOG_H
#define VENTO_LOG_H

#include <time.h>

/* Journald reads "<N>" at the start of each stderr line as the priority. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_debug(int on);

/*
 * A rate limiter for a repeated complaint (collectd's c_complain): the
 * first report goes out at once, then at most one per interval, and the
 * next report says how many were held back. Not shared between threads.
 */
struct log_limit {
	time_t next;   /* monotonic second before which reports are held */
	unsigned held; /* reports suppressed since the last one printed */
	int interval;  /* seconds between printed reports */
};

/* Returns 1 when the caller should log now, 0 to stay quiet; *held is the
 * number of suppressed reports to mention. */
int log_limit_pass(struct log_limit *l, unsigned *held);

#endif

/* log.c - one line per event on stderr, prefixed for journald. Safe to call
 * from any thread: each line is written with a single fputs on a locked
 * stream. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

static int log_debug_on;

static void
log_line(int prio, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "<%d>", prio);

	vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	fprintf(stderr, "%s\n", buf);
}

#define LOG_FN(fn, prio)                                                       \
	void fn(const char *fmt, ...)                                          \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_line(prio, fmt, ap);                                       \
		va_end(ap);                                                    \
	}

LOG_FN(log_err, 3)
LOG_FN(log_warn, 4)
LOG_FN(log_info, 6)

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_line(7, fmt, ap);
	va_end(ap);
}

void
log_set_debug(int on)
{
	log_debug_on = on;
}

int
log_limit_pass(struct log_limit *l, unsigned *held)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec < l->next) {
		l->held++;
		return 0;
	}
	*held = l->held;
	l->held = 0;
	l->next = now.tv_sec + (l->interval > 0 ? l->interval : 60);
	return 1;
}

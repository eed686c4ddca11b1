/* health.h - the collector's health, written by ventod to a small file in
 * its state directory every second and read by ventoctl, which can then
 * tell the operator about the spool even while the database is away. */
#ifndef VENTO_HEALTH_H
#define VENTO_HEALTH_H

#include <stdint.h>

struct health {
	int64_t updated;	   /* Unix seconds */
	long pid;
	int devices, devices_ok;   /* configured; with a good sample < 10 s */
	int db_up;
	long long rows;		   /* rows stored since start */
	long long spool_bytes;
	long long spool_backlog;   /* spool records not yet stored */
	long long spool_dropped;   /* records dropped at the byte bound */
	long long lost;		   /* rows that could not be spooled */
	long long damaged;	   /* records lost to damage or missing */
	long long quarantined;	   /* records set aside as refused data */
	long long duplicates;	   /* rows refused as already stored */
	long long isolated;	   /* rows of devices isolated, not stored */
	int64_t newest_ms;	   /* newest tick stored */
	long long ticks;	   /* polls made, all devices */
	long long missed;	   /* ticks skipped after overruns */
	long long late_p50_us;	   /* poll lateness since start */
	long long late_p99_us;
	long long late_max_us;	   /* upper edge of the worst bucket */
};

/* Writes h to dir/health atomically (a new file renamed over the old).
 * Returns 0 or -1 with errno set. */
int health_write(const char *dir, const struct health *h);

/* Reads dir/health. Returns 0, or -1 with errno set (ENOENT when ventod
 * never ran with this state directory). */
int health_read(const char *dir, struct health *h);

#endif

/* health.c - a key=value file, so that it is also readable by people and
 * scripts. Unknown keys are skipped, so older readers read newer files. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "health.h"

/* Writes over the old file in place: on a full disk there is no room for
 * a new one, but the old one's block is there to be written again, and a
 * health file that stopped would say "not running" of a ventod that runs. */
static int
health_write_in_place(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), e;

	if (fd == -1)
		return -1;
	if (pwrite(fd, text, n, 0) != (ssize_t)n || ftruncate(fd, (off_t)n) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

int
health_write(const char *dir, const struct health *h)
{
	char tmp[4096], path[4096], text[2048];
	FILE *f;
	int e, n;

	snprintf(path, sizeof(path), "%s/health", dir);
	snprintf(tmp, sizeof(tmp), "%s/health.tmp", dir);
	n = snprintf(text, sizeof(text),
		"updated=%" PRId64 "\npid=%ld\ndevices=%d\ndevices_ok=%d\n"
		"db_up=%d\nrows=%lld\nspool_bytes=%lld\nspool_backlog=%lld\n"
		"spool_dropped=%lld\nlost=%lld\nnewest_ms=%" PRId64 "\n"
		"ticks=%lld\nmissed=%lld\nlate_p50_us=%lld\n"
		"late_p99_us=%lld\nlate_max_us=%lld\ndamaged=%lld\n"
		"quarantined=%lld\nduplicates=%lld\nisolated=%lld\n",
		h->updated, h->pid, h->devices, h->devices_ok, h->db_up,
		h->rows, h->spool_bytes, h->spool_backlog, h->spool_dropped,
		h->lost, h->newest_ms, h->ticks, h->missed, h->late_p50_us,
		h->late_p99_us, h->late_max_us, h->damaged, h->quarantined,
		h->duplicates, h->isolated);
	if ((f = fopen(tmp, "w")) == NULL)
		goto in_place;
	if (fwrite(text, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		goto in_place;
	}
	if (fclose(f) != 0 || rename(tmp, path) == -1)
		goto in_place;
	return 0;
in_place:
	e = errno;
	unlink(tmp);
	if ((e == ENOSPC || e == EDQUOT) &&
	    health_write_in_place(path, text, (size_t)n) == 0)
		return 0;
	errno = e;
	return -1;
}

int
health_read(const char *dir, struct health *h)
{
	char path[4096], line[256], key[64];
	long long v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/health", dir);
	memset(h, 0, sizeof(*h));
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[a-z_]=%lld", key, &v) != 2)
			continue;
#define HEALTH_KEY(name, field)                                                \
	if (strcmp(key, name) == 0)                                            \
		h->field = (__typeof__(h->field))v;
		HEALTH_KEY("updated", updated)
		HEALTH_KEY("pid", pid)
		HEALTH_KEY("devices", devices)
		HEALTH_KEY("devices_ok", devices_ok)
		HEALTH_KEY("db_up", db_up)
		HEALTH_KEY("rows", rows)
		HEALTH_KEY("spool_bytes", spool_bytes)
		HEALTH_KEY("spool_backlog", spool_backlog)
		HEALTH_KEY("spool_dropped", spool_dropped)
		HEALTH_KEY("lost", lost)
		HEALTH_KEY("newest_ms", newest_ms)
		HEALTH_KEY("ticks", ticks)
		HEALTH_KEY("missed", missed)
		HEALTH_KEY("late_p50_us", late_p50_us)
		HEALTH_KEY("late_p99_us", late_p99_us)
		HEALTH_KEY("late_max_us", late_max_us)
		HEALTH_KEY("damaged", damaged)
		HEALTH_KEY("quarantined", quarantined)
		HEALTH_KEY("duplicates", duplicates)
		HEALTH_KEY("isolated", isolated)
#undef HEALTH_KEY
	}
	fclose(f);
	return 0;
}

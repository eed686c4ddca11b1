/* sim_served.c - the served log (see sim_served.h): a FILE* behind a mutex,
 * flushed after every device-second. It formats nothing; sim_image.c
 * does. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_served.h"
#include "xmalloc.h"

struct sim_served {
	FILE *fp;
	pthread_mutex_t lock;
};

struct sim_served *
sim_served_open(const char *path)
{
	struct sim_served *log;
	FILE *fp = fopen(path, "ae");

	if (fp == NULL)
		return NULL;
	log = xcalloc(1, sizeof(*log));
	log->fp = fp;
	pthread_mutex_init(&log->lock, NULL);
	return log;
}

int
sim_served_append(struct sim_served *log, const char *lines, size_t len)
{
	int rc = 0;

	pthread_mutex_lock(&log->lock);
	/* One fwrite and one fflush per device-second: 2000 devices polled
	 * every second cost 2000 writes a second, not 24000. */
	if (fwrite(lines, 1, len, log->fp) != len || fflush(log->fp) == EOF)
		rc = -1;
	if (rc == -1) {
		int saved = errno;

		clearerr(log->fp);
		errno = saved;
	}
	pthread_mutex_unlock(&log->lock);
	return rc;
}

int
sim_served_close(struct sim_served *log)
{
	int rc;

	if (log == NULL)
		return 0;
	rc = fclose(log->fp) == EOF ? -1 : 0;
	pthread_mutex_destroy(&log->lock);
	free(log);
	return rc;
}

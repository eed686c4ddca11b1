/* spooler.c - the spooler thread: what the pollers queued goes to the disk
 * spool and is synced, about once a second, a tick's batch in one record,
 * before anything else is done with it. It is apart from the writer so
 * that a database that hangs never holds polled data in memory only; the
 * pollers only ever wait on the queue's lock. It shares the spool (which
 * has its own lock) and, with the writer, a condition variable that says a
 * batch was spooled. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "record.h"
#include "spooler.h"
#include "xmalloc.h"

/* How long the spooler waits, after a tick's first sample, for the rest. */
#define SPOOLER_GATHER_MS 100

struct spooler {
	pthread_t thread;
	const struct config *cfg;
	struct queue *queue;
	struct spool *spool;
	atomic_int stop, done;
	pthread_mutex_t lock; /* with `spooled`: wakes the writer */
	pthread_cond_t spooled;
	unsigned long long batches; /* under lock: batches spooled */
	atomic_llong lost;
	uint64_t dropped_seen; /* the bound's dropped bytes, logged */
	struct log_limit complain;
};

/* Moves a list from the queue to the spool; the list is freed either way,
 * since a sample that cannot be spooled cannot be kept anywhere safer: it
 * is counted instead. */
static void
spooler_spool(struct spooler *sp, struct sample *list)
{
	struct spool_stats st;
	unsigned char *buf;
	size_t len;
	uint64_t seq;
	long n = 0;

	if (list == NULL)
		return;
	buf = record_encode(sp->cfg, list, &len);
	for (struct sample *s = list, *next; s; s = next) {
		next = s->next;
		free(s);
		n++;
	}
	if (spool_append(sp->spool, buf, len, &seq) == -1 ||
	    spool_sync(sp->spool) == -1) {
		unsigned held;

		if (log_limit_pass(&sp->complain, &held))
			log_err(
			    "spooler: cannot spool %ld rows in %s: %s; they "
			    "are lost and counted",
			    n, sp->cfg->state_dir, strerror(errno));
		atomic_fetch_add(&sp->lost, n);
	}
	free(buf);
	pthread_mutex_lock(&sp->lock);
	sp->batches++;
	pthread_cond_broadcast(&sp->spooled);
	pthread_mutex_unlock(&sp->lock);
	spool_get_stats(sp->spool, &st);
	if (st.dropped_bytes > sp->dropped_seen) {
		log_err("spooler: spool full (%" PRIu64 " bytes, its bound): "
		        "dropped the oldest segment of raw samples; %" PRIu64
		        " batches not yet stored are lost",
		        st.bytes, st.dropped_records);
		sp->dropped_seen = st.dropped_bytes;
	}
}

/* Takes a tick's samples as one batch: the pollers of a tick report within
 * a few milliseconds of each other, so after the first arrives the spooler
 * waits a little for the rest. One record and one fsync per tick, not one
 * per poller. */
static struct sample *
spooler_gather(struct spooler *sp)
{
	struct sample *list = queue_take_all(sp->queue, 200), *more, *last;
	struct timespec pause = {.tv_nsec = SPOOLER_GATHER_MS * 1000000L};

	if (list == NULL)
		return NULL;
	nanosleep(&pause, NULL);
	more = queue_take_all(sp->queue, 0);
	for (last = list; last->next; last = last->next)
		;
	last->next = more;
	return list;
}

static void *
spooler_run(void *arg)
{
	struct spooler *sp = arg;

	while (!atomic_load(&sp->stop))
		spooler_spool(sp, spooler_gather(sp));
	/* The pollers have stopped: what is queued now is all there is. */
	spooler_spool(sp, queue_take_all(sp->queue, 0));
	atomic_store(&sp->done, 1);
	pthread_mutex_lock(&sp->lock);
	pthread_cond_broadcast(&sp->spooled);
	pthread_mutex_unlock(&sp->lock);
	return NULL;
}

struct spooler *
spooler_start(const struct config *c, struct queue *q, struct spool *s)
{
	struct spooler *sp = xcalloc(1, sizeof(*sp));
	struct spool_stats st;
	pthread_condattr_t attr;
	int e;

	sp->cfg = c;
	sp->queue = q;
	sp->spool = s;
	sp->complain.interval = 60;
	spool_get_stats(s, &st);
	sp->dropped_seen = st.dropped_bytes;
	pthread_mutex_init(&sp->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&sp->spooled, &attr);
	pthread_condattr_destroy(&attr);
	if ((e = pthread_create(&sp->thread, NULL, spooler_run, sp)) != 0) {
		pthread_cond_destroy(&sp->spooled);
		pthread_mutex_destroy(&sp->lock);
		free(sp);
		errno = e;
		return NULL;
	}
	return sp;
}

void
spooler_request_stop(struct spooler *sp)
{
	atomic_store(&sp->stop, 1);
}

int
spooler_done(struct spooler *sp)
{
	return atomic_load(&sp->done);
}

void
spooler_stop(struct spooler *sp)
{
	if (sp == NULL)
		return;
	spooler_request_stop(sp);
	pthread_join(sp->thread, NULL);
	pthread_cond_destroy(&sp->spooled);
	pthread_mutex_destroy(&sp->lock);
	free(sp);
}

void
spooler_wait(struct spooler *sp, unsigned long long *seen, int timeout_ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&sp->lock);
	while (sp->batches == *seen && !atomic_load(&sp->done) &&
	       pthread_cond_timedwait(&sp->spooled, &sp->lock, &until) == 0)
		;
	*seen = sp->batches;
	pthread_mutex_unlock(&sp->lock);
}

long long
spooler_lost(struct spooler *sp)
{
	return atomic_load(&sp->lost);
}

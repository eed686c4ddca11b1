/* writer.c - delivery, in two threads. The spooler appends what the
 * pollers queued to the disk spool and syncs it, about once a second; the
 * writer copies spooled records to PostgreSQL in order and commits the
 * spool position with the rows. The two are apart so that a database that
 * hangs never holds polled data in memory only. While the database is away
 * the spool grows; when it returns, the backlog drains in large
 * transactions. The pollers only ever wait on the queue's lock. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "health.h"
#include "log.h"
#include "record.h"
#include "spool.h"
#include "store.h"
#include "writer.h"
#include "xmalloc.h"

/* Records per transaction when draining a backlog: about 256 s of live
 * data, large enough to drain far faster than real time, small enough
 * that a transaction takes a second or two. */
#define WRITER_RECORDS_PER_TX 256
#define WRITER_BACKOFF_MAX_MS 10000
#define WRITER_GATHER_MS 100
#define WRITER_ROLLUP_EVERY_MS 60000
#define WRITER_ROLLUP_SPAN_MS (6 * 3600 * 1000LL)

struct writer {
	pthread_t thread, spooler;
	pthread_mutex_t lock; /* with `spooled`: wakes the writer */
	pthread_cond_t spooled;
	atomic_int spooler_done;
	const struct config *cfg;
	struct queue *queue;
	struct store *store;
	struct spool *spool;
	atomic_int stop;
	uint64_t acked; /* the last spool record stored, once connected */
	int64_t retry_at_ms, backoff_ms;
	int64_t housekeeping_at_ms; /* the writer's */
	int64_t rollup_at_ms;	    /* the writer's */
	int64_t health_at_ms;	    /* the writer's */
	uint64_t dropped_seen;  /* the spooler's */
	uint64_t quarantined;   /* the writer's */
	uint64_t careful_until; /* the writer's */
	uint64_t replay_until;	/* the writer's: numbers up to this one
				   were given by an earlier life of the
				   spool, and are no gap */
	int64_t dirty_lo, dirty_hi; /* ticks stored since the last rollup */
	atomic_llong rows, newest_ms, progress_ms, backlog, spool_bytes,
		dropped, spool_dropped, quarantined_n, duplicates, damaged;
	/* Spool records found missing before they were stored, by cause:
	 * counted once, by the writer, as it passes the gap. */
	atomic_llong lost_dropped, lost_damaged;
	pthread_mutex_t health_lock; /* with health, health_set */
	struct health health;	     /* the main thread's, for the table */
	int health_set;
	atomic_int db_up;
	struct log_limit complain;
};

static int64_t
writer_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Moves a list from the queue to the spool; the list is freed either way,
 * since a sample that cannot be spooled cannot be kept anywhere safer. */
static void
writer_spool(struct writer *w, struct sample *list)
{
	struct spool_stats st;
	unsigned char *buf;
	size_t len;
	uint64_t seq;
	long n = 0;

	if (list == NULL)
		return;
	buf = record_encode(w->cfg, list, &len);
	for (struct sample *s = list, *next; s; s = next) {
		next = s->next;
		free(s);
		n++;
	}
	if (spool_append(w->spool, buf, len, &seq) == -1 ||
	    spool_sync(w->spool) == -1) {
		unsigned held;

		if (log_limit_pass(&w->complain, &held))
			log_err("writer: cannot spool %ld rows in %s: %s", n,
				w->cfg->state_dir, strerror(errno));
		atomic_fetch_add(&w->dropped, n);
	}
	free(buf);
	pthread_mutex_lock(&w->lock);
	pthread_cond_signal(&w->spooled);
	pthread_mutex_unlock(&w->lock);
	spool_get_stats(w->spool, &st);
	if (st.dropped_bytes > w->dropped_seen) {
		log_err("writer: spool full (%" PRIu64 " bytes, its bound): "
			"dropped the oldest segment of raw samples; %" PRIu64
			" batches not yet stored are lost",
			st.bytes, st.dropped_records);
		w->dropped_seen = st.dropped_bytes;
	}
}

static void
writer_fail(struct writer *w, const char *what)
{
	log_err("writer: %s: %s", what, store_error(w->store));
	store_disconnect(w->store);
	atomic_store(&w->db_up, 0);
	w->retry_at_ms = writer_mono_ms() + w->backoff_ms;
	w->backoff_ms *= 2;
	if (w->backoff_ms > WRITER_BACKOFF_MAX_MS)
		w->backoff_ms = WRITER_BACKOFF_MAX_MS;
}

/* Sets a record PostgreSQL refuses aside, with the reason, so that it
 * never blocks the records behind it. */
static void
writer_quarantine(struct writer *w, uint64_t seq, const void *data,
		  size_t len, const char *reason)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/quarantine", w->cfg->state_dir);
	mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/quarantine/%016" PRIx64 ".rec",
		 w->cfg->state_dir, seq);
	f = fopen(path, "w");
	if (f == NULL || fwrite(data, 1, len, f) != len) {
		log_err("writer: cannot quarantine record %" PRIu64 " in %s: "
			"%s; it is dropped",
			seq, path, strerror(errno));
	} else {
		log_err("writer: record %" PRIu64 " refused (%s); set aside "
			"in %s",
			seq, reason, path);
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/quarantine/%016" PRIx64 ".reason",
		 w->cfg->state_dir, seq);
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%s\n", reason);
		fclose(f);
	}
	w->quarantined++;
	atomic_fetch_add(&w->quarantined_n, 1);
}

/* The spool numbers gap_first..gap_last were missing before the records
 * just stored: they are lost, and counted by cause. */
static void
writer_count_gap(struct writer *w, uint64_t gap_first, uint64_t gap_last)
{
	uint64_t dropped, damaged;

	if (gap_first <= w->replay_until)
		gap_first = w->replay_until + 1;
	if (gap_last < gap_first)
		return;
	spool_take_gap(w->spool, gap_first, gap_last, &dropped, &damaged);
	log_err("writer: spool records %" PRIu64 "..%" PRIu64 " were lost "
		"before they were stored: %" PRIu64 " dropped at the spool "
		"bound, %" PRIu64 " damaged or missing",
		gap_first, gap_last, dropped, damaged);
	atomic_fetch_add(&w->lost_dropped, (long long)dropped);
	atomic_fetch_add(&w->lost_damaged, (long long)damaged);
}

/* Stores up to a transaction's worth of spooled records. A gap in the
 * numbers ends a batch, so that a batch starts with at most one, counted
 * once the batch is stored. Returns 1 when something was stored or set
 * aside, 0 when the spool is drained, -1 on failure. */
static int
writer_store_some(struct writer *w)
{
	struct record recs[WRITER_RECORDS_PER_TX];
	/* After a refused batch, one record per transaction until past it,
	 * to find the record at fault. */
	int max = w->acked < w->careful_until ? 1 : WRITER_RECORDS_PER_TX;
	uint64_t seq = w->acked;
	int64_t newest = 0;
	const void *data = NULL;
	size_t len = 0;
	int n = 0, r;
	long rows;
	int64_t oldest = INT64_MAX;
	uint64_t next, gap_last = 0;

	while (n < max && (r = spool_next(w->spool, seq, &data, &len, &next)) == 1) {
		if (next != seq + 1) {
			if (n > 0)
				break;
			gap_last = next - 1;
		}
		seq = next;
		if (record_decode(data, len, &recs[n]) == -1) {
			if (n > 0) {
				seq = w->careful_until = seq - 1;
				break;
			}
			writer_quarantine(w, seq, data, len,
					  "not a valid record");
			if (store_skip(w->store, seq) == -1)
				return -1;
			writer_count_gap(w, w->acked + 1, gap_last);
			w->acked = seq;
			spool_ack(w->spool, seq);
			return 1;
		}
		for (int i = 0; i < recs[n].nrows; i++) {
			if (recs[n].rows[i].tick_ms > newest)
				newest = recs[n].rows[i].tick_ms;
			if (recs[n].rows[i].tick_ms < oldest)
				oldest = recs[n].rows[i].tick_ms;
		}
		n++;
	}
	if (n == 0)
		return 0;
	rows = store_write(w->store, recs, n, oldest, newest, seq);
	for (int k = 0; k < n; k++)
		record_free(&recs[k]);
	if (rows == -1) {
		if (!store_error_is_data(w->store))
			return -1;
		if (n > 1) {
			w->careful_until = seq;
			return 1;
		}
		/* The one record PostgreSQL refuses: set it aside. Its bytes
		 * are read again, since decoding may have moved the buffer. */
		if (spool_next(w->spool, w->acked, &data, &len, &seq) == 1)
			writer_quarantine(w, seq, data, len,
					  store_error(w->store));
		if (store_skip(w->store, seq) == -1)
			return -1;
		writer_count_gap(w, w->acked + 1, gap_last);
		w->acked = seq;
		spool_ack(w->spool, seq);
		return 1;
	}
	writer_count_gap(w, w->acked + 1, gap_last);
	w->acked = seq;
	spool_ack(w->spool, seq);
	log_debug("writer: stored %d records, %ld rows, up to spool record "
		  "%" PRIu64, n, rows, seq);
	atomic_fetch_add(&w->rows, rows);
	if (store_duplicates(w->store) > 0) {
		log_warn("writer: %ld rows of spool records up to %" PRIu64
			 " were stored already; refused, not doubled",
			 store_duplicates(w->store), seq);
		atomic_fetch_add(&w->duplicates, store_duplicates(w->store));
	}
	if (newest > atomic_load(&w->newest_ms))
		atomic_store(&w->newest_ms, newest);
	if (rows > 0) {
		if (w->dirty_hi == 0 || oldest < w->dirty_lo)
			w->dirty_lo = oldest;
		if (newest > w->dirty_hi)
			w->dirty_hi = newest;
	}
	return 1;
}

/* Keeps the 10-minute statistics current: once a minute, the periods that
 * rows stored since the last time touch, six hours at a time so that a
 * drained backlog of days does not hold up the writer. */
static void
writer_rollup(struct writer *w)
{
	int64_t hi;

	if (w->dirty_hi == 0 || writer_mono_ms() < w->rollup_at_ms)
		return;
	hi = w->dirty_hi + 1;
	if (hi - w->dirty_lo > WRITER_ROLLUP_SPAN_MS)
		hi = w->dirty_lo + WRITER_ROLLUP_SPAN_MS;
	if (store_rollup(w->store, w->dirty_lo, hi) == -1) {
		log_warn("writer: 10-minute statistics: %s",
			 store_error(w->store));
		w->rollup_at_ms = writer_mono_ms() + WRITER_ROLLUP_EVERY_MS;
		return;
	}
	if (hi > w->dirty_hi) {
		w->dirty_lo = w->dirty_hi = 0;
		w->rollup_at_ms = writer_mono_ms() + WRITER_ROLLUP_EVERY_MS;
	} else {
		w->dirty_lo = hi; /* the rest on the next turn */
	}
}

/* The main thread's last view of the collector, handed over in memory,
 * as the minute's row in collector_health for the dashboards. */
static void
writer_store_health(struct writer *w)
{
	struct health h;
	int set;

	pthread_mutex_lock(&w->health_lock);
	h = w->health;
	set = w->health_set;
	pthread_mutex_unlock(&w->health_lock);
	if (set && store_health(w->store, &h) == -1)
		log_warn("writer: collector health: %s", store_error(w->store));
	w->health_at_ms = writer_mono_ms() + 60000;
}

/* Connects when due, then stores spooled records until the spool is
 * drained or the time slice is used up, so that the rollup, the health
 * row and the housekeeping keep their turns during a long drain. */
static void
writer_flush(struct writer *w, int64_t slice_ms)
{
	int64_t until = writer_mono_ms() + slice_ms;
	int r;

	if (!store_is_up(w->store)) {
		if (writer_mono_ms() < w->retry_at_ms)
			return;
		struct spool_stats st;

		if (store_connect(w->store, spool_id(w->spool), &w->acked) == -1) {
			writer_fail(w, "cannot connect to the database");
			return;
		}
		log_info("writer: connected to the database; spool stored up "
			 "to record %" PRIu64,
			 w->acked);
		spool_get_stats(w->spool, &st);
		if (w->acked > st.last_seq) {
			/* The database has stored numbers this spool has not
			 * given (the spool was restored, or its numbering
			 * lost): nothing it holds may be skipped as stored.
			 * It all goes again, from its first record, the
			 * rows already stored refused as duplicates; new
			 * records are numbered after the database's
			 * position, which never goes back. */
			log_err("writer: the database has stored spool %016" PRIx64
				" up to record %" PRIu64 ", but the spool "
				"numbers only up to %" PRIu64 ": storing all "
				"it holds again (rows stored already are "
				"refused) and numbering on from %" PRIu64,
				spool_id(w->spool), w->acked, st.last_seq,
				w->acked + 1);
			spool_advance(w->spool, w->acked + 1);
			w->replay_until = w->acked;
			w->acked = st.first_seq ? st.first_seq - 1 : st.last_seq;
		} else if (!store_position_known(w->store) && st.first_seq > 1) {
			log_info("writer: the database has no position for spool "
				 "%016" PRIx64 ": storing from its first record, "
				 "%" PRIu64, spool_id(w->spool), st.first_seq);
			w->acked = st.first_seq - 1;
		}
		atomic_store(&w->db_up, 1);
		w->backoff_ms = 1000;
		w->housekeeping_at_ms = 0;
		spool_ack(w->spool, w->acked);
	}
	while ((r = writer_store_some(w)) == 1 && writer_mono_ms() < until)
		;
	if (r == -1) {
		writer_fail(w, "cannot store spooled rows");
		return;
	}
	writer_rollup(w);
	if (writer_mono_ms() >= w->health_at_ms)
		writer_store_health(w);
	/* Housekeeping rides on the writer's connection: once after each
	 * connect, then hourly. */
	if (writer_mono_ms() >= w->housekeeping_at_ms) {
		int days;
		int n = store_drop_old(w->store, &days);

		if (n > 0)
			log_info("writer: dropped %d daily partitions older "
				 "than %d days",
				 n, days);
		else if (n == -1)
			log_warn("writer: housekeeping: %s",
				 store_error(w->store));
		w->housekeeping_at_ms = writer_mono_ms() + 3600 * 1000;
	}
}

static void
writer_update_stats(struct writer *w)
{
	struct spool_stats st;

	spool_get_stats(w->spool, &st);
	atomic_store(&w->backlog, (long long)(st.last_seq - (w->acked < st.last_seq ? w->acked : st.last_seq)));
	atomic_store(&w->spool_bytes, (long long)st.bytes);
	atomic_store(&w->spool_dropped, (long long)st.dropped_records);
	atomic_store(&w->damaged, (long long)st.corrupt_records);
	atomic_store(&w->progress_ms, writer_mono_ms());
}

/* Takes a tick's samples as one batch: the pollers of a tick report within
 * a few milliseconds of each other, so after the first arrives the spooler
 * waits a little for the rest. One record and one fsync per tick, not one
 * per poller. */
static struct sample *
writer_gather(struct writer *w)
{
	struct sample *list = queue_take_all(w->queue, 200), *more, *last;
	struct timespec pause = { .tv_nsec = WRITER_GATHER_MS * 1000000L };

	if (list == NULL)
		return NULL;
	nanosleep(&pause, NULL);
	more = queue_take_all(w->queue, 0);
	for (last = list; last->next; last = last->next)
		;
	last->next = more;
	return list;
}

static void *
writer_spooler_run(void *arg)
{
	struct writer *w = arg;

	while (!atomic_load(&w->stop))
		writer_spool(w, writer_gather(w));
	/* The pollers have stopped: what is queued now is all there is. */
	writer_spool(w, queue_take_all(w->queue, 0));
	atomic_store(&w->spooler_done, 1);
	pthread_mutex_lock(&w->lock);
	pthread_cond_signal(&w->spooled);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Waits until the spooler has appended something, or 200 ms. */
static void
writer_wait_spooled(struct writer *w)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += 200 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	pthread_cond_timedwait(&w->spooled, &w->lock, &until);
	pthread_mutex_unlock(&w->lock);
}

static void *
writer_run(void *arg)
{
	struct writer *w = arg;

	while (!atomic_load(&w->spooler_done)) {
		writer_wait_spooled(w);
		writer_flush(w, 1000);
		writer_update_stats(w);
	}
	/* Everything polled is spooled. It is stored now if the database
	 * lets us within a few seconds; otherwise the next start stores
	 * it. */
	if (store_is_up(w->store)) {
		writer_flush(w, 5000);
		w->rollup_at_ms = 0;
		writer_rollup(w);
		/* The last word on what was stored and lost. */
		if (store_is_up(w->store))
			writer_store_health(w);
	}
	writer_update_stats(w);
	return NULL;
}

struct writer *
writer_start(const struct config *c, struct queue *q)
{
	struct writer *w = xcalloc(1, sizeof(*w));
	struct spool_stats st;
	char dir[4096];
	int e;

	w->cfg = c;
	w->queue = q;
	w->complain.interval = 60;
	snprintf(dir, sizeof(dir), "%s/spool", c->state_dir);
	if (mkdir(c->state_dir, 0750) == -1 && errno != EEXIST) {
		e = errno;
		log_err("writer: cannot make %s: %s", c->state_dir,
			strerror(e));
		free(w);
		errno = e;
		return NULL;
	}
	w->spool = spool_open(dir, c->spool_max_bytes);
	if (w->spool == NULL) {
		e = errno;
		log_err("writer: cannot open the spool %s: %s", dir,
			strerror(e));
		free(w);
		errno = e;
		return NULL;
	}
	spool_get_stats(w->spool, &st);
	w->dropped_seen = st.dropped_bytes;
	if (st.last_seq >= st.first_seq && st.first_seq > 0)
		log_info("writer: spool %s holds records %" PRIu64 "..%" PRIu64
			 " (%" PRIu64 " bytes)",
			 dir, st.first_seq, st.last_seq, st.bytes);
	w->store = store_open(c);
	w->backoff_ms = 1000;
	writer_update_stats(w);
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->health_lock, NULL);
	{
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&w->spooled, &attr);
		pthread_condattr_destroy(&attr);
	}
	e = pthread_create(&w->spooler, NULL, writer_spooler_run, w);
	if (e == 0) {
		e = pthread_create(&w->thread, NULL, writer_run, w);
		if (e != 0) {
			atomic_store(&w->stop, 1);
			pthread_join(w->spooler, NULL);
		}
	}
	if (e != 0) {
		store_close(w->store);
		spool_close(w->spool);
		pthread_cond_destroy(&w->spooled);
		pthread_mutex_destroy(&w->lock);
		pthread_mutex_destroy(&w->health_lock);
		free(w);
		errno = e;
		return NULL;
	}
	return w;
}

void
writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	atomic_store(&w->stop, 1);
	pthread_join(w->spooler, NULL);
	pthread_join(w->thread, NULL);
	store_close(w->store);
	spool_close(w->spool);
	pthread_cond_destroy(&w->spooled);
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->health_lock);
	free(w);
}

void
writer_get_stats(struct writer *w, struct writer_stats *st)
{
	st->rows = atomic_load(&w->rows);
	st->backlog = atomic_load(&w->backlog);
	st->spool_bytes = atomic_load(&w->spool_bytes);
	st->dropped = atomic_load(&w->dropped);
	st->spool_dropped = atomic_load(&w->spool_dropped) +
			    atomic_load(&w->lost_dropped);
	st->damaged = atomic_load(&w->damaged) + atomic_load(&w->lost_damaged);
	st->newest_ms = atomic_load(&w->newest_ms);
	st->progress_ms = atomic_load(&w->progress_ms);
	st->db_up = atomic_load(&w->db_up);
	st->quarantined = atomic_load(&w->quarantined_n);
	st->duplicates = atomic_load(&w->duplicates);
}

void
writer_put_health(struct writer *w, const struct health *h)
{
	pthread_mutex_lock(&w->health_lock);
	w->health = *h;
	w->health_set = 1;
	pthread_mutex_unlock(&w->health_lock);
}

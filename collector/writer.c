/* writer.c - delivery to PostgreSQL: the writer thread copies spooled
 * records to the database in order, in one transaction per batch with the
 * spool position, and counts every record missing from the spool before
 * it was stored. It owns the spool and the store, starts the spooler
 * (spooler.c), which fills the spool from the pollers' queue, and does the
 * housekeeping (housekeeping.c) between transactions. While the database
 * is away the spool grows; when it returns, the backlog drains in large
 * transactions. Errors are sorted by cause: only data the database refuses
 * is set aside (quarantine), one record at a time; anything else waits and
 * is tried again. */
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
#include "housekeeping.h"
#include "log.h"
#include "monotime.h"
#include "record.h"
#include "spool.h"
#include "spooler.h"
#include "store.h"
#include "writer.h"
#include "xmalloc.h"

/* Records per transaction when draining a backlog: about 256 s of live
 * data, large enough to drain far faster than real time, small enough
 * that a transaction takes a second or two. */
#define WRITER_RECORDS_PER_TX 256
#define WRITER_BACKOFF_MAX_MS 10000

/* The fields below the atomics are the writer thread's alone; the
 * atomics are what writer_get_stats reads from the main thread. */
struct writer {
	pthread_t thread;
	const struct config *cfg;
	struct spool *spool;
	struct spooler *spooler;
	struct store *store;
	struct housekeeping *hk;
	atomic_llong rows, newest_ms, progress_ms, backlog, spool_bytes,
		spool_dropped, quarantined_n, duplicates, damaged;
	/* Spool records found missing before they were stored, by cause:
	 * counted once, by the writer, as it passes the gap. */
	atomic_llong lost_dropped, lost_damaged;
	atomic_llong isolated; /* rows of isolated devices, left out */
	atomic_int db_up;
	uint64_t acked; /* the last spool record stored, once connected */
	int64_t retry_at_ms, backoff_ms;
	unsigned long long spooled_seen; /* the spooler's batches seen */
	uint64_t careful_until;
	uint64_t replay_until; /* numbers up to this one were given by an
				  earlier life of the spool, and are no gap */
};

static void
writer_fail(struct writer *w, const char *what)
{
	log_err("writer: %s: %s", what, store_error(w->store));
	store_disconnect(w->store);
	atomic_store(&w->db_up, 0);
	w->retry_at_ms = monotime_ms() + w->backoff_ms;
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
	/* store.c has logged which device is isolated and why. */
	atomic_fetch_add(&w->isolated, store_isolated(w->store));
	if (store_duplicates(w->store) > 0) {
		log_warn("writer: %ld rows of spool records up to %" PRIu64
			 " were stored already; refused, not doubled",
			 store_duplicates(w->store), seq);
		atomic_fetch_add(&w->duplicates, store_duplicates(w->store));
	}
	if (newest > atomic_load(&w->newest_ms))
		atomic_store(&w->newest_ms, newest);
	if (rows > 0)
		housekeeping_stored(w->hk, oldest, newest);
	return 1;
}

/* Connects when due, then stores spooled records until the spool is
 * drained or the time slice is used up, so that the rollup, the health
 * row and the housekeeping keep their turns during a long drain. Returns
 * 1 when records wait still (the slice ran out), else 0. */
static int
writer_flush(struct writer *w, int64_t slice_ms)
{
	int64_t until = monotime_ms() + slice_ms;
	int r;

	if (!store_is_up(w->store)) {
		if (monotime_ms() < w->retry_at_ms)
			return 0;
		struct spool_stats st;

		if (store_connect(w->store, spool_id(w->spool), &w->acked) == -1) {
			writer_fail(w, "cannot connect to the database");
			return 0;
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
		housekeeping_connected(w->hk);
		spool_ack(w->spool, w->acked);
	}
	while ((r = writer_store_some(w)) == 1 && monotime_ms() < until)
		;
	if (r == -1) {
		writer_fail(w, "cannot store spooled rows");
		return 0;
	}
	housekeeping_run(w->hk, w->store, 0);
	return r == 1;
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
	atomic_store(&w->progress_ms, monotime_ms());
}

static void *
writer_run(void *arg)
{
	struct writer *w = arg;
	int more = 0;

	while (!spooler_done(w->spooler)) {
		/* Idle only when the spool is drained: a backlog goes on
		 * slice after slice. */
		if (!more)
			spooler_wait(w->spooler, &w->spooled_seen, 200);
		more = writer_flush(w, 1000);
		writer_update_stats(w);
	}
	/* Everything polled is spooled. It is stored now if the database
	 * lets us within a few seconds; otherwise the next start stores
	 * it. */
	if (store_is_up(w->store)) {
		writer_flush(w, 5000);
		housekeeping_run(w->hk, w->store, 1);
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
	if (st.first_seq > 0)
		log_info("writer: spool %s holds records %" PRIu64 "..%" PRIu64
			 " (%" PRIu64 " bytes)",
			 dir, st.first_seq, st.last_seq, st.bytes);
	w->store = store_open(c);
	w->hk = housekeeping_open();
	w->backoff_ms = 1000;
	writer_update_stats(w);
	w->spooler = spooler_start(c, q, w->spool);
	e = w->spooler ? pthread_create(&w->thread, NULL, writer_run, w)
		       : errno;
	if (e != 0) {
		spooler_stop(w->spooler);
		housekeeping_close(w->hk);
		store_close(w->store);
		spool_close(w->spool);
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
	spooler_request_stop(w->spooler);
	pthread_join(w->thread, NULL); /* it ends once the spooler is done */
	spooler_stop(w->spooler);
	housekeeping_close(w->hk);
	store_close(w->store);
	spool_close(w->spool);
	free(w);
}

void
writer_get_stats(struct writer *w, struct writer_stats *st)
{
	st->rows = atomic_load(&w->rows);
	st->backlog = atomic_load(&w->backlog);
	st->spool_bytes = atomic_load(&w->spool_bytes);
	st->dropped = spooler_lost(w->spooler);
	st->spool_dropped = atomic_load(&w->spool_dropped) +
			    atomic_load(&w->lost_dropped);
	st->damaged = atomic_load(&w->damaged) + atomic_load(&w->lost_damaged);
	st->newest_ms = atomic_load(&w->newest_ms);
	st->progress_ms = atomic_load(&w->progress_ms);
	st->db_up = atomic_load(&w->db_up);
	st->quarantined = atomic_load(&w->quarantined_n);
	st->duplicates = atomic_load(&w->duplicates);
	st->isolated = atomic_load(&w->isolated);
}

void
writer_put_health(struct writer *w, const struct health *h)
{
	housekeeping_put_health(w->hk, h);
}

/* writer.c - the writer thread: takes what the pollers queued, keeps it
 * while PostgreSQL is away, and stores it in batches. It reconnects with
 * capped backoff and never blocks the pollers: they only ever wait on the
 * queue's lock. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "store.h"
#include "writer.h"
#include "xmalloc.h"

/* Rows per transaction: large enough to drain a backlog fast, small enough
 * that one failure does not redo minutes of work. */
#define WRITER_BATCH_ROWS 20000
/* Until the disk spool exists, the backlog is held in memory up to this
 * many rows (about 30 minutes of 40 turbines), and beyond it the oldest
 * rows are dropped, counted and logged. */
#define WRITER_MAX_PENDING (40L * 1800)
#define WRITER_BACKOFF_MAX_MS 30000

struct writer {
	pthread_t thread;
	const struct config *cfg;
	struct queue *queue;
	struct store *store;
	atomic_int stop;
	struct sample *head, *tail; /* taken from the queue, not stored */
	long pending;
	int64_t retry_at_ms, backoff_ms;
	atomic_llong rows, dropped, newest_ms, progress_ms, pending_now;
	atomic_int db_up;
};

static int64_t
writer_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
writer_adopt(struct writer *w, struct sample *list)
{
	for (struct sample *s = list; s; s = s->next) {
		if (w->tail)
			w->tail->next = s;
		else
			w->head = s;
		w->tail = s;
		w->pending++;
	}
	if (w->pending > WRITER_MAX_PENDING) {
		long n = w->pending - WRITER_MAX_PENDING;

		for (long i = 0; i < n; i++) {
			struct sample *s = w->head;

			w->head = s->next;
			free(s);
		}
		w->pending -= n;
		atomic_fetch_add(&w->dropped, n);
		log_err("writer: backlog over %ld rows while the database is "
			"away: dropped the %ld oldest",
			WRITER_MAX_PENDING, n);
	}
}

/* Stores up to one batch from the head. Returns 0, or -1 on failure. */
static int
writer_store_batch(struct writer *w)
{
	struct sample *cut = w->head, *rest;
	long n = 1, rows;
	int64_t newest = 0;

	while (n < WRITER_BATCH_ROWS && cut->next) {
		cut = cut->next;
		n++;
	}
	rest = cut->next;
	cut->next = NULL;
	rows = store_write(w->store, w->head);
	if (rows == -1) {
		cut->next = rest;
		return -1;
	}
	while (w->head) {
		struct sample *s = w->head;

		w->head = s->next;
		if (s->tick_ms > newest)
			newest = s->tick_ms;
		free(s);
	}
	w->head = rest;
	if (rest == NULL)
		w->tail = NULL;
	w->pending -= n;
	atomic_fetch_add(&w->rows, rows);
	if (newest > atomic_load(&w->newest_ms))
		atomic_store(&w->newest_ms, newest);
	return 0;
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

/* One attempt to store everything pending. */
static void
writer_flush(struct writer *w)
{
	if (!store_is_up(w->store)) {
		if (writer_mono_ms() < w->retry_at_ms)
			return;
		if (store_connect(w->store) == -1) {
			writer_fail(w, "cannot connect to the database");
			return;
		}
		log_info("writer: connected to the database");
		atomic_store(&w->db_up, 1);
		w->backoff_ms = 1000;
	}
	while (w->head) {
		if (writer_store_batch(w) == -1) {
			writer_fail(w, "cannot store a batch");
			return;
		}
	}
}

static void *
writer_run(void *arg)
{
	struct writer *w = arg;

	while (!atomic_load(&w->stop)) {
		writer_adopt(w, queue_take_all(w->queue, 200));
		if (w->head)
			writer_flush(w);
		atomic_store(&w->pending_now, w->pending);
		atomic_store(&w->progress_ms, writer_mono_ms());
	}
	/* The pollers have stopped: what is queued now is all there is. */
	writer_adopt(w, queue_take_all(w->queue, 0));
	if (w->head) {
		w->retry_at_ms = 0;
		writer_flush(w);
	}
	if (w->pending)
		log_err("writer: %ld rows not stored at exit", w->pending);
	return NULL;
}

struct writer *
writer_start(const struct config *c, struct queue *q)
{
	struct writer *w = xcalloc(1, sizeof(*w));
	int e;

	w->cfg = c;
	w->queue = q;
	w->store = store_open(c);
	w->backoff_ms = 1000;
	atomic_store(&w->progress_ms, writer_mono_ms());
	e = pthread_create(&w->thread, NULL, writer_run, w);
	if (e != 0) {
		store_close(w->store);
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
	pthread_join(w->thread, NULL);
	while (w->head) {
		struct sample *s = w->head;

		w->head = s->next;
		free(s);
	}
	store_close(w->store);
	free(w);
}

void
writer_get_stats(struct writer *w, struct writer_stats *st)
{
	st->rows = atomic_load(&w->rows);
	st->pending = atomic_load(&w->pending_now);
	st->dropped = atomic_load(&w->dropped);
	st->newest_ms = atomic_load(&w->newest_ms);
	st->progress_ms = atomic_load(&w->progress_ms);
	st->db_up = atomic_load(&w->db_up);
}

/* housekeeping.c - the writer's other work for the database, which rides on
 * its connection and runs on its thread between transactions, so that
 * it needs no connection or thread of its own: the 10-minute statistics
 * of the periods that stored rows touch (once a minute, six hours at a
 * time, so that a drained backlog of days does not hold up the writer),
 * the collector_health row (once a minute, from the health the main
 * thread hands over in memory), and the raw retention (after each connect,
 * then hourly). The health hand-over is the one thing other threads touch,
 * under its own lock. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "housekeeping.h"
#include "log.h"
#include "monotime.h"
#include "xmalloc.h"

#define HOUSEKEEPING_ROLLUP_EVERY_MS 60000
#define HOUSEKEEPING_ROLLUP_SPAN_MS (6 * 3600 * 1000LL)
#define HOUSEKEEPING_HEALTH_EVERY_MS 60000
#define HOUSEKEEPING_RETENTION_EVERY_MS (3600 * 1000LL)

struct housekeeping {
	int64_t rollup_at_ms, health_at_ms, retention_at_ms;
	int64_t dirty_lo, dirty_hi; /* ticks stored since the last rollup */
	pthread_mutex_t lock;       /* with health, health_set */
	struct health health;
	int health_set;
};

struct housekeeping *
housekeeping_open(void)
{
	struct housekeeping *hk = xcalloc(1, sizeof(*hk));

	pthread_mutex_init(&hk->lock, NULL);
	return hk;
}

void
housekeeping_close(struct housekeeping *hk)
{
	if (hk == NULL)
		return;
	pthread_mutex_destroy(&hk->lock);
	free(hk);
}

void
housekeeping_stored(struct housekeeping *hk, int64_t lo_ms, int64_t hi_ms)
{
	if (hk->dirty_hi == 0 || lo_ms < hk->dirty_lo)
		hk->dirty_lo = lo_ms;
	if (hi_ms > hk->dirty_hi)
		hk->dirty_hi = hi_ms;
}

void
housekeeping_connected(struct housekeeping *hk)
{
	hk->retention_at_ms = 0;
}

void
housekeeping_put_health(struct housekeeping *hk, const struct health *h)
{
	pthread_mutex_lock(&hk->lock);
	hk->health = *h;
	hk->health_set = 1;
	pthread_mutex_unlock(&hk->lock);
}

/* Keeps the 10-minute statistics current. */
static void
housekeeping_rollup(struct housekeeping *hk, struct store *st, int64_t now)
{
	int64_t hi;

	if (hk->dirty_hi == 0 || now < hk->rollup_at_ms)
		return;
	hi = hk->dirty_hi + 1;
	if (hi - hk->dirty_lo > HOUSEKEEPING_ROLLUP_SPAN_MS)
		hi = hk->dirty_lo + HOUSEKEEPING_ROLLUP_SPAN_MS;
	if (store_rollup(st, hk->dirty_lo, hi) == -1) {
		log_warn("writer: 10-minute statistics: %s", store_error(st));
		hk->rollup_at_ms = now + HOUSEKEEPING_ROLLUP_EVERY_MS;
		return;
	}
	if (hi > hk->dirty_hi) {
		hk->dirty_lo = hk->dirty_hi = 0;
		hk->rollup_at_ms = now + HOUSEKEEPING_ROLLUP_EVERY_MS;
	} else {
		hk->dirty_lo = hi; /* the rest on the next turn */
	}
}

static void
housekeeping_health(struct housekeeping *hk, struct store *st, int64_t now)
{
	struct health h;
	int set;

	pthread_mutex_lock(&hk->lock);
	h = hk->health;
	set = hk->health_set;
	pthread_mutex_unlock(&hk->lock);
	if (set && store_health(st, &h) == -1)
		log_warn("writer: collector health: %s", store_error(st));
	hk->health_at_ms = now + HOUSEKEEPING_HEALTH_EVERY_MS;
}

static void
housekeeping_retention(struct housekeeping *hk, struct store *st, int64_t now)
{
	int days, n = store_drop_old(st, &days);

	if (n > 0)
		log_info("writer: dropped %d daily partitions older than %d "
		         "days",
		         n, days);
	else if (n == -1)
		log_warn("writer: housekeeping: %s", store_error(st));
	hk->retention_at_ms = now + HOUSEKEEPING_RETENTION_EVERY_MS;
}

void
housekeeping_run(struct housekeeping *hk, struct store *st, int final)
{
	int64_t now = monotime_ms();

	if (!store_is_up(st))
		return;
	if (final) {
		/* The statistics of the last rows (six hours of them at
		 * most: the next start does the rest of a long backlog), and
		 * the last word on what was stored and lost. */
		hk->rollup_at_ms = 0;
		housekeeping_rollup(hk, st, now);
		housekeeping_health(hk, st, now);
		return;
	}
	housekeeping_rollup(hk, st, now);
	if (now >= hk->health_at_ms)
		housekeeping_health(hk, st, now);
	if (now >= hk->retention_at_ms)
		housekeeping_retention(hk, st, now);
}

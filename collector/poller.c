/* poller.c - a device's polling thread. It sleeps to absolute deadlines on
 * CLOCK_MONOTONIC, so neither a slow read nor a wall-clock step shifts the
 * schedule, and stamps each sample with the scheduled wall-clock tick, not
 * the moment the reply came. It shares nothing with other pollers; it talks
 * to the writer through the queue only. */
#include <errno.h>
#include <inttypes.h>
#include <modbus.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "link.h"
#include "log.h"
#include "plugin.h"
#include "poller.h"
#include "xmalloc.h"

struct poller {
	pthread_t thread;
	const struct config *cfg;
	const struct device *dev;
	const struct plan *plan;
	struct queue *queue;
	struct link *link;
	int index;
	/* The stop flag, and the condition a poller sleeps on, so that a
	 * stop wakes it at once and a tick costs one wake-up. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	int64_t resume_ms; /* poller_start's; then the next tick to poll */
	atomic_llong ticks, failed, missed, last_ok_ms;
	atomic_uint late[POLLER_LATE_BUCKETS];
	struct log_limit complain;
	uint16_t regs[PLAN_MAX_BITS];
};

static int64_t
poller_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
poller_complain(struct poller *p, const struct plan_block *b, int quality,
		int err)
{
	static const char *const tables[] = {
		"", "coils", "discrete inputs", "holding registers",
		"input registers",
	};
	unsigned held = 0;

	if (!log_limit_pass(&p->complain, &held))
		return;
	if (quality == QUALITY_EXCEPTION)
		log_warn("%s: %s %d..%d: exception %d (%s)%s", p->dev->name,
			 tables[b->fc], b->address + p->dev->profile->address_base,
			 b->address + p->dev->profile->address_base + b->count - 1,
			 link_last_exception(p->link), modbus_strerror(err),
			 held ? " (and earlier errors held back)" : "");
	else if (err == EMBBADDATA)
		log_warn("%s: %s:%d %s %d..%d: reply refused: %s%s",
			 p->dev->name, p->dev->host, p->dev->port,
			 tables[b->fc],
			 b->address + p->dev->profile->address_base,
			 b->address + p->dev->profile->address_base + b->count - 1,
			 link_last_mismatch(p->link),
			 held ? " (and earlier errors held back)" : "");
	else
		log_warn("%s: %s:%d %s %d..%d: %s%s", p->dev->name,
			 p->dev->host, p->dev->port, tables[b->fc],
			 b->address + p->dev->profile->address_base,
			 b->address + p->dev->profile->address_base + b->count - 1,
			 modbus_strerror(err),
			 held ? " (and earlier errors held back)" : "");
	if (held)
		log_warn("%s: %u similar errors not logged", p->dev->name,
			 held);
}

/* Decodes the signals of block b from p->regs into s. */
static void
poller_decode_block(struct poller *p, int b, struct sample *s)
{
	const struct profile *pr = p->dev->profile;
	const struct plan_block *bl = &p->plan->blocks[b];

	for (int i = 0; i < pr->nsignals; i++) {
		const struct signal *sig = &pr->signals[i];
		struct sample_value *v = &s->values[i];

		if (p->plan->block_of[i] != b)
			continue;
		if (profile_signal_decode(sig, p->regs + (sig->address - bl->address),
					  &v->iv, &v->fv) == 0) {
			v->valid = 1;
			continue;
		}
		if (s->quality < QUALITY_DECODE)
			s->quality = QUALITY_DECODE;
		unsigned held = 0;
		if (log_limit_pass(&p->complain, &held))
			log_warn("%s: register %d (%s): %s", p->dev->name,
				 sig->address + pr->address_base, sig->name,
				 errno == EDOM ? "not a finite number"
					       : "value out of range");
	}
}

static void
poller_poll(struct poller *p, int64_t tick_ms, int slow_due)
{
	const struct profile *pr = p->dev->profile;
	struct sample *s = xcalloc(1, sizeof(*s) + (size_t)pr->nsignals *
							   sizeof(s->values[0]));

	s->tick_ms = tick_ms;
	s->device = p->index;
	s->nvalues = pr->nsignals;
	for (int b = 0; b < p->plan->nblocks; b++) {
		const struct plan_block *bl = &p->plan->blocks[b];
		int quality = QUALITY_OK;

		if (bl->poll_class == CLASS_SLOW && !slow_due)
			continue;
		if (link_read(p->link, bl, p->regs, &quality) == -1) {
			int err = errno;

			/* A link closed by this tick's failure fails the next
			 * reads at once: the row keeps the first failure's
			 * quality, which names the cause, and the log says
			 * nothing more. */
			if (err == ENOTCONN && s->quality != QUALITY_OK)
				continue;
			if (quality > s->quality)
				s->quality = quality;
			if (err != ENOTCONN)
				poller_complain(p, bl, quality, err);
			continue;
		}
		poller_decode_block(p, b, s);
	}
	link_release(p->link);
	plugin_derive(pr, s);
	atomic_fetch_add(&p->ticks, 1);
	if (s->quality == QUALITY_OK)
		atomic_store(&p->last_ok_ms, tick_ms);
	else
		atomic_fetch_add(&p->failed, 1);
	queue_push(p->queue, s);
}

/* A tick that could not be polled on time still gets its row, with no
 * value and quality missed: the rows of a device have no gaps, and the
 * count shows in the health file. */
static void
poller_miss(struct poller *p, int64_t tick_ms)
{
	const struct profile *pr = p->dev->profile;
	struct sample *s = xcalloc(1, sizeof(*s) + (size_t)pr->nsignals *
							   sizeof(s->values[0]));

	s->tick_ms = tick_ms;
	s->device = p->index;
	s->nvalues = pr->nsignals;
	s->quality = QUALITY_MISSED;
	atomic_fetch_add(&p->ticks, 1);
	atomic_fetch_add(&p->failed, 1);
	atomic_fetch_add(&p->missed, 1);
	queue_push(p->queue, s);
}

static int
poller_lateness_bucket(int64_t ns)
{
	int64_t us = ns / 1000;

	if (us < 0)
		return 0;
	if (us < 50000)
		return (int)(us / 250);
	if (us < 1050000)
		return 200 + (int)((us - 50000) / 5000);
	return POLLER_LATE_BUCKETS - 1;
}

long long
poller_lateness_edge_us(int b)
{
	if (b < 200)
		return (long long)(b + 1) * 250;
	if (b < POLLER_LATE_BUCKETS - 1)
		return 50000 + (long long)(b - 199) * 5000;
	return -1; /* unbounded */
}

static void
poller_count_lateness(struct poller *p, int64_t ns)
{
	atomic_fetch_add_explicit(&p->late[poller_lateness_bucket(ns)], 1,
				  memory_order_relaxed);
}

void
poller_add_lateness(struct poller *p, unsigned long long *hist)
{
	for (int b = 0; b < POLLER_LATE_BUCKETS; b++)
		hist[b] += atomic_load_explicit(&p->late[b],
						memory_order_relaxed);
}

/* Sleeps until the monotonic deadline (ns) or a stop request, whichever
 * comes first. Returns 1 when asked to stop. */
static int
poller_sleep_until(struct poller *p, int64_t deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / 1000000000),
		.tv_nsec = (long)(deadline % 1000000000),
	};
	int stop;

	pthread_mutex_lock(&p->lock);
	while (!p->stop &&
	       pthread_cond_timedwait(&p->wake, &p->lock, &ts) != ETIMEDOUT)
		;
	stop = p->stop;
	pthread_mutex_unlock(&p->lock);
	return stop;
}

/*
 * The schedule: tick is the wall-clock time a sample is stamped with (ns
 * since the epoch, a whole multiple of the interval), deadline the
 * monotonic time its poll starts, POLLER_PHASE after the tick so that the
 * device's own clock is past the tick when the request arrives.
 */
#define POLLER_PHASE 5000000LL /* 5 ms */

/* How far back a resumed schedule may start: a reload takes well under a
 * second; a resume tick older than this is a wall-clock step, and the
 * schedule starts afresh (poller_run says so). */
#define POLLER_RESUME_MAX_NS (3600LL * 1000000000)

static void *
poller_run(void *arg)
{
	struct poller *p = arg;
	int64_t interval = (int64_t)(p->cfg->poll_interval * 1e9 + 0.5);
	int64_t slow = (int64_t)(p->cfg->slow_interval * 1e9 + 0.5);
	int64_t real = poller_clock_ns(CLOCK_REALTIME);
	int64_t mono = poller_clock_ns(CLOCK_MONOTONIC);
	/* Ticks fall on whole multiples of the interval in UTC, so every
	 * device's rows of one tick share one timestamp. */
	int64_t tick = (real / interval + 1) * interval;
	int64_t resume = p->resume_ms * 1000000;
	int64_t deadline;
	int first = 1;

	if (resume > 0 && resume % interval == 0 &&
	    resume > real - POLLER_RESUME_MAX_NS && resume <= tick) {
		/* Resumed after a reload: the ticks since the old poller's
		 * last get their rows. One whose interval has passed is
		 * missed; the one whose interval it still is gets polled,
		 * late. */
		for (tick = resume; tick + interval <= real; tick += interval)
			poller_miss(p, tick / 1000000);
	} else if (resume > 0) {
		log_warn("%s: cannot resume at tick %" PRId64 " (the wall clock "
			 "moved); polling from the next tick",
			 p->dev->name, p->resume_ms);
	}
	deadline = mono + (tick - real) + POLLER_PHASE;
	p->resume_ms = tick / 1000000;
	while (!poller_sleep_until(p, deadline)) {
		int64_t late, drift;

		poller_poll(p, tick / 1000000, first || tick % slow < interval);
		mono = poller_clock_ns(CLOCK_MONOTONIC);
		poller_count_lateness(p, mono - deadline);
		first = 0;
		tick += interval;
		deadline += interval;
		late = mono - deadline;
		if (late >= 0) {
			/* The poll overran whole ticks: skip them rather than
			 * fire a burst, each with its row of quality missed. */
			int64_t skip = late / interval + 1;

			for (int64_t k = 0; k < skip; k++)
				poller_miss(p, (tick + k * interval) / 1000000);
			tick += skip * interval;
			deadline += skip * interval;
		}
		/* How far the wall clock now disagrees with the schedule. A
		 * small drift (NTP slewing) moves the deadline. A step moves
		 * the stamps to the new wall clock, and the next poll comes
		 * within one interval: no burst of catch-up polls after a
		 * step forward, no stall after a step back. */
		real = poller_clock_ns(CLOCK_REALTIME);
		drift = (deadline - POLLER_PHASE - mono) - (tick - real);
		if (llabs(drift) > interval / 2) {
			log_warn("%s: wall clock stepped by %+" PRId64
				 " ms; stamps follow it",
				 p->dev->name, drift / 1000000);
			tick = (real / interval + 1) * interval;
			deadline = mono + (tick - real) + POLLER_PHASE;
		} else if (llabs(drift) > 1000000) {
			deadline -= drift;
		}
		/* Read by poller_stop after the join: no lock needed. */
		p->resume_ms = tick / 1000000;
	}
	return NULL;
}

static void
poller_free(struct poller *p)
{
	link_close(p->link);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

struct poller *
poller_start(const struct config *c, int device, const struct plan *pl,
	     struct queue *q, int64_t resume_ms)
{
	struct poller *p = xcalloc(1, sizeof(*p));
	pthread_condattr_t cattr;
	pthread_attr_t attr;
	int e;

	p->cfg = c;
	p->dev = &c->devices[device];
	p->index = device;
	p->plan = pl;
	p->queue = q;
	p->resume_ms = resume_ms;
	p->link = link_open(p->dev, c->timeout);
	p->complain.interval = 60;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &cattr);
	pthread_condattr_destroy(&cattr);
	pthread_attr_init(&attr);
	/* Thousands of pollers must fit: a poller needs little stack. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	e = pthread_create(&p->thread, &attr, poller_run, p);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		poller_free(p);
		errno = e;
		return NULL;
	}
	return p;
}

void
poller_request_stop(struct poller *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

int64_t
poller_stop(struct poller *p)
{
	int64_t next;

	if (p == NULL)
		return 0;
	poller_request_stop(p);
	pthread_join(p->thread, NULL);
	next = p->resume_ms;
	poller_free(p);
	return next;
}

void
poller_get_stats(struct poller *p, struct poller_stats *st)
{
	st->ticks = atomic_load(&p->ticks);
	st->failed = atomic_load(&p->failed);
	st->missed = atomic_load(&p->missed);
	st->last_ok_ms = atomic_load(&p->last_ok_ms);
}

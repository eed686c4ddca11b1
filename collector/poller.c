/* poller.c - a link's polling thread: the devices behind one connection,
 * polled in turn, one request at a time. It sleeps to absolute deadlines
 * on CLOCK_MONOTONIC, so neither a slow read nor a wall-clock step shifts
 * the schedule, and stamps each sample with the scheduled wall-clock tick,
 * not the moment the reply came. It shares nothing with other pollers; it
 * talks to the writer through the queue only.
 *
 * A unit that does not answer on a link it shares (a gateway, a serial
 * line) costs the others its timeout once, then waits a backoff of its own
 * (1 to 60 s, doubling, jittered) in which its rows say why without a
 * request being sent, so that the others keep their schedule. */
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

#define POLLER_UNIT_BACKOFF_MIN 1000000000LL  /* ns before the first retry */
#define POLLER_UNIT_BACKOFF_MAX 60000000000LL /* the cap */

/* One device behind the link. */
struct poller_device {
	const struct device *dev;
	int index; /* into config.devices */
	const struct plan *plan;
	int64_t resume_ms; /* poller_start's: the first tick to give a row */
	/* On a shared link, a unit that timed out is left alone until
	 * retry_at (monotonic ns); its rows carry wait_quality meanwhile. */
	int64_t backoff, retry_at;
	int wait_quality;
	unsigned rand_state;
	struct log_limit complain;
	atomic_llong last_ok_ms;
	atomic_llong late_us; /* its last poll's lateness, -1 while none */
};

struct poller {
	pthread_t thread;
	const struct config *cfg;
	struct poller_device *devs;
	int ndevs;
	struct queue *queue;
	struct link *link;
	int shared; /* more than one device on the link */
	/* The stop flag, and the condition a poller sleeps on, so that a
	 * stop wakes it at once and a tick costs one wake-up. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	int64_t next_ms; /* the next tick to poll, for poller_stop */
	atomic_llong ticks, failed, missed;
	atomic_uint late[POLLER_LATE_BUCKETS];
	uint16_t regs[PLAN_MAX_BITS];
};

static int64_t
poller_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Where the link is, for a log line: "10.0.0.5:502" or "/dev/ttyUSB0". */
static const char *
poller_where(const struct device *d, char *buf, size_t size)
{
	if (cfg_device_is_serial(d))
		snprintf(buf, size, "%s unit %d", d->serial.path, d->unit);
	else
		snprintf(buf, size, "%s:%d", d->host, d->port);
	return buf;
}

static void
poller_complain(struct poller *p, struct poller_device *pd,
		const struct plan_block *b, int quality, int err)
{
	static const char *const tables[] = {
		"", "coils", "discrete inputs", "holding registers",
		"input registers",
	};
	const struct device *d = pd->dev;
	int first = b->address + d->profile->address_base;
	int last = first + b->count - 1;
	unsigned held = 0;
	char where[160];

	if (!log_limit_pass(&pd->complain, &held))
		return;
	poller_where(d, where, sizeof(where));
	if (quality == QUALITY_EXCEPTION)
		log_warn("%s: %s %d..%d: exception %d (%s)%s", d->name,
			 tables[b->fc], first, last,
			 link_last_exception(p->link), modbus_strerror(err),
			 held ? " (and earlier errors held back)" : "");
	else if (err == EMBBADDATA)
		log_warn("%s: %s %s %d..%d: reply refused: %s%s", d->name,
			 where, tables[b->fc], first, last,
			 link_last_mismatch(p->link),
			 held ? " (and earlier errors held back)" : "");
	else
		log_warn("%s: %s %s %d..%d: %s%s", d->name, where,
			 tables[b->fc], first, last, modbus_strerror(err),
			 held ? " (and earlier errors held back)" : "");
	if (held)
		log_warn("%s: %u similar errors not logged", d->name, held);
}

/* Decodes the signals of block b from p->regs into s. */
static void
poller_decode_block(struct poller *p, struct poller_device *pd, int b,
		    struct sample *s)
{
	const struct profile *pr = pd->dev->profile;
	const struct plan_block *bl = &pd->plan->blocks[b];

	for (int i = 0; i < pr->nsignals; i++) {
		const struct signal *sig = &pr->signals[i];
		struct sample_value *v = &s->values[i];
		unsigned held = 0;

		if (pd->plan->block_of[i] != b)
			continue;
		if (profile_signal_decode(sig, p->regs + (sig->address - bl->address),
					  &v->iv, &v->fv) == 0) {
			v->valid = 1;
			continue;
		}
		if (s->quality < QUALITY_DECODE)
			s->quality = QUALITY_DECODE;
		if (log_limit_pass(&pd->complain, &held))
			log_warn("%s: register %d (%s): %s", pd->dev->name,
				 sig->address + pr->address_base, sig->name,
				 errno == EDOM ? "not a finite number"
					       : "value out of range");
	}
}

static struct sample *
poller_sample(const struct poller_device *pd, int64_t tick_ms, int quality)
{
	const struct profile *pr = pd->dev->profile;
	struct sample *s = xcalloc(1, sizeof(*s) + (size_t)pr->nsignals *
							   sizeof(s->values[0]));

	s->tick_ms = tick_ms;
	s->device = pd->index;
	s->nvalues = pr->nsignals;
	s->quality = quality;
	return s;
}

static void
poller_queue(struct poller *p, struct poller_device *pd, struct sample *s)
{
	atomic_fetch_add(&p->ticks, 1);
	if (s->quality == QUALITY_OK)
		atomic_store(&pd->last_ok_ms, s->tick_ms);
	else
		atomic_fetch_add(&p->failed, 1);
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

/* After a unit's poll on a shared link: a timeout, or a gateway's word
 * that it could not reach the unit (exceptions 10 and 11), starts (or
 * doubles) its own backoff; anything else ends it. */
static void
poller_unit_backoff(struct poller_device *pd, int quality, int exception,
		    int64_t now)
{
	double jitter;

	if (quality != QUALITY_TIMEOUT &&
	    !(quality == QUALITY_EXCEPTION &&
	      (exception == MODBUS_EXCEPTION_GATEWAY_PATH ||
	       exception == MODBUS_EXCEPTION_GATEWAY_TARGET))) {
		pd->backoff = POLLER_UNIT_BACKOFF_MIN;
		pd->retry_at = 0;
		return;
	}
	jitter = 0.5 + 0.5 * (double)rand_r(&pd->rand_state) / RAND_MAX;
	pd->retry_at = now + (int64_t)((double)pd->backoff * jitter);
	pd->wait_quality = quality;
	pd->backoff *= 2;
	if (pd->backoff > POLLER_UNIT_BACKOFF_MAX)
		pd->backoff = POLLER_UNIT_BACKOFF_MAX;
}

/* Polls one device for one tick and queues its sample. deadline is the
 * tick's scheduled start: its lateness is counted to the end of its last
 * read. */
static void
poller_poll_device(struct poller *p, struct poller_device *pd, int64_t tick_ms,
		   int slow_due, int64_t deadline)
{
	struct sample *s;
	int64_t now;

	/* Only a unit on a shared link waits a backoff of its own: a link of
	 * one device reads no clock here. */
	if (p->shared && pd->retry_at > 0 &&
	    poller_clock_ns(CLOCK_MONOTONIC) < pd->retry_at) {
		atomic_store(&pd->late_us, -1);
		poller_queue(p, pd, poller_sample(pd, tick_ms, pd->wait_quality));
		return;
	}
	s = poller_sample(pd, tick_ms, QUALITY_OK);
	link_set_unit(p->link, pd->dev->unit);
	for (int b = 0; b < pd->plan->nblocks; b++) {
		const struct plan_block *bl = &pd->plan->blocks[b];
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
				poller_complain(p, pd, bl, quality, err);
			/* A unit that timed out has no more to say this
			 * tick: its other blocks would only cost the link
			 * their timeouts too. */
			if (p->shared && quality == QUALITY_TIMEOUT)
				break;
			continue;
		}
		poller_decode_block(p, pd, b, s);
	}
	now = poller_clock_ns(CLOCK_MONOTONIC);
	poller_count_lateness(p, now - deadline);
	atomic_store(&pd->late_us, (now - deadline) / 1000);
	if (p->shared)
		poller_unit_backoff(pd, s->quality, link_last_exception(p->link),
				    now);
	plugin_derive(pd->dev->profile, s);
	poller_queue(p, pd, s);
}

static void
poller_poll(struct poller *p, int64_t tick_ms, int slow_due, int64_t deadline)
{
	for (int k = 0; k < p->ndevs; k++)
		poller_poll_device(p, &p->devs[k], tick_ms, slow_due, deadline);
	link_release(p->link);
}

/* A tick that could not be polled on time still gets its row, with no
 * value and quality missed, for each device: the rows of a device have no
 * gaps, and the count shows in the health file. Catching up after a
 * reload (resuming), only the devices that resume at or before the tick
 * had it due. */
static void
poller_miss(struct poller *p, int64_t tick_ms, int resuming)
{
	for (int k = 0; k < p->ndevs; k++) {
		struct poller_device *pd = &p->devs[k];

		if (resuming && (pd->resume_ms == 0 || tick_ms < pd->resume_ms))
			continue;
		poller_queue(p, pd, poller_sample(pd, tick_ms, QUALITY_MISSED));
		atomic_fetch_add(&p->missed, 1);
	}
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

/* The earliest tick any device resumes at, in ms, or 0 for none. */
static int64_t
poller_resume_ms(const struct poller *p)
{
	int64_t first = 0;

	for (int k = 0; k < p->ndevs; k++)
		if (p->devs[k].resume_ms > 0 &&
		    (first == 0 || p->devs[k].resume_ms < first))
			first = p->devs[k].resume_ms;
	return first;
}

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
	int64_t resume = poller_resume_ms(p) * 1000000;
	int64_t deadline;
	int first = 1;

	if (resume > 0 && resume % interval == 0 &&
	    resume > real - POLLER_RESUME_MAX_NS && resume <= tick) {
		/* Resumed after a reload: the ticks since the old poller's
		 * last get their rows. One whose interval has passed is
		 * missed; the one whose interval it still is gets polled,
		 * late. */
		for (tick = resume; tick + interval <= real; tick += interval)
			poller_miss(p, tick / 1000000, 1);
	} else if (resume > 0) {
		log_warn("%s: cannot resume at tick %" PRId64 " (the wall clock "
			 "moved); polling from the next tick",
			 p->devs[0].dev->name, resume / 1000000);
	}
	deadline = mono + (tick - real) + POLLER_PHASE;
	p->next_ms = tick / 1000000;
	while (!poller_sleep_until(p, deadline)) {
		int64_t late, drift;

		poller_poll(p, tick / 1000000, first || tick % slow < interval,
			    deadline);
		mono = poller_clock_ns(CLOCK_MONOTONIC);
		first = 0;
		tick += interval;
		deadline += interval;
		late = mono - deadline;
		if (late >= 0) {
			/* The poll overran whole ticks: skip them rather than
			 * fire a burst, each with its rows of quality missed. */
			int64_t skip = late / interval + 1;

			for (int64_t k = 0; k < skip; k++)
				poller_miss(p, (tick + k * interval) / 1000000,
					    0);
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
				 p->devs[0].dev->name, drift / 1000000);
			tick = (real / interval + 1) * interval;
			deadline = mono + (tick - real) + POLLER_PHASE;
		} else if (llabs(drift) > 1000000) {
			deadline -= drift;
		}
		/* Read by poller_stop after the join: no lock needed. */
		p->next_ms = tick / 1000000;
	}
	return NULL;
}

static void
poller_free(struct poller *p)
{
	link_close(p->link);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->devs);
	free(p);
}

struct poller *
poller_start(const struct config *c, const int *devices, int ndevices,
	     const struct plan *const *plans, struct queue *q,
	     const int64_t *resume_ms)
{
	struct poller *p = xcalloc(1, sizeof(*p));
	pthread_condattr_t cattr;
	pthread_attr_t attr;
	int e;

	p->cfg = c;
	p->queue = q;
	p->devs = xcalloc((size_t)ndevices, sizeof(*p->devs));
	p->ndevs = ndevices;
	for (int k = 0; k < ndevices; k++) {
		struct poller_device *pd = &p->devs[k];

		pd->dev = &c->devices[devices[k]];
		pd->index = devices[k];
		pd->plan = plans[k];
		pd->resume_ms = resume_ms ? resume_ms[k] : 0;
		pd->backoff = POLLER_UNIT_BACKOFF_MIN;
		pd->rand_state = (unsigned)devices[k] * 2654435761u;
		pd->complain.interval = 60;
		atomic_init(&pd->late_us, -1);
	}
	p->link = link_open(p->devs[0].dev, c->timeout);
	p->shared = ndevices > 1;
	if (p->shared)
		link_set_shared(p->link);
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
	next = p->next_ms;
	poller_free(p);
	return next;
}

void
poller_get_lateness(struct poller *p, long long *late_us)
{
	for (int k = 0; k < p->ndevs; k++)
		late_us[p->devs[k].index] = atomic_load(&p->devs[k].late_us);
}

void
poller_get_stats(struct poller *p, int64_t fresh_ms, struct poller_stats *st)
{
	st->ticks = atomic_load(&p->ticks);
	st->failed = atomic_load(&p->failed);
	st->missed = atomic_load(&p->missed);
	st->fresh = 0;
	for (int k = 0; k < p->ndevs; k++) {
		int64_t ok = atomic_load(&p->devs[k].last_ok_ms);

		if (ok && ok >= fresh_ms)
			st->fresh++;
	}
}

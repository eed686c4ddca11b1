/* ventod.c - the collector daemon: reads the configuration, starts a writer
 * and one poller per device, then the main thread waits for signals and
 * keeps systemd informed. It stays in the foreground and logs to stderr. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "health.h"
#include "lateness.h"
#include "link.h"
#include "log.h"
#include "monotime.h"
#include "notify.h"
#include "plugin.h"
#include "plan.h"
#include "poller.h"
#include "queue.h"
#include "statelock.h"
#include "writer.h"
#include "xmalloc.h"

#ifndef VENTO_SYSCONFDIR
#define VENTO_SYSCONFDIR "/etc"
#endif
#ifndef VENTO_VERSION
#define VENTO_VERSION "0.1"
#endif

struct ventod {
	struct config *cfg;
	struct plugin **plugins; /* per profile, NULL where none */
	struct plan **plans; /* per profile */
	struct queue *queue;
	struct writer *writer;
	struct poller **pollers; /* per link */
	int statelock;		 /* the state directory's lock */
	/* Per device, the tick its next poller starts at (poller_start's
	 * resume_ms), set by ventod_stop; NULL or 0: the next tick. */
	int64_t *resume_ms;
	struct log_limit complain;
};

static void
ventod_usage(FILE *f)
{
	fprintf(f,
		"usage: ventod [-n] [-d] [-c FILE]\n"
		"  -c FILE  configuration (default %s/vento/vento.conf)\n"
		"  -n       check the configuration and exit\n"
		"  -d       debug logging\n"
		"  -V       print the version\n",
		VENTO_SYSCONFDIR);
}

static const struct plan *
ventod_plan_of(const struct ventod *v, const struct profile *p)
{
	for (int i = 0; i < v->cfg->nprofiles; i++)
		if (v->cfg->profiles[i] == p)
			return v->plans[i];
	return NULL;
}

/* Starts the poller of link l, for the devices behind it. */
static int
ventod_start_link(struct ventod *v, int l)
{
	const struct config *c = v->cfg;
	int *devices = xcalloc((size_t)c->ndevices, sizeof(*devices));
	const struct plan **plans = xcalloc((size_t)c->ndevices, sizeof(*plans));
	int64_t *resume = xcalloc((size_t)c->ndevices, sizeof(*resume));
	int n = 0;

	for (int i = 0; i < c->ndevices; i++)
		if (c->devices[i].link == l) {
			devices[n] = i;
			resume[n] = v->resume_ms ? v->resume_ms[i] : 0;
			plans[n++] = ventod_plan_of(v, c->devices[i].profile);
		}
	v->pollers[l] = poller_start(c, devices, n, plans, v->queue, resume);
	if (v->pollers[l] == NULL)
		log_err("%s: cannot start a poller: %s",
			c->devices[devices[0]].name, strerror(errno));
	free(resume);
	free(plans);
	free(devices);
	return v->pollers[l] ? 0 : -1;
}

static int
ventod_start(struct ventod *v)
{
	const struct config *c = v->cfg;

	v->plans = xcalloc((size_t)c->nprofiles, sizeof(*v->plans));
	for (int i = 0; i < c->nprofiles; i++)
		v->plans[i] = plan_make(c->profiles[i], c->max_gap);
	v->queue = queue_open();
	v->writer = writer_start(c, v->queue);
	if (v->writer == NULL) {
		log_err("cannot start the writer: %s", strerror(errno));
		return -1;
	}
	v->pollers = xcalloc((size_t)c->nlinks, sizeof(*v->pollers));
	for (int l = 0; l < c->nlinks; l++)
		if (ventod_start_link(v, l) == -1)
			return -1;
	return 0;
}

/* After the writer stopped: the last word in the health file. */
static void
ventod_report_stopped(const struct ventod *v)
{
	struct health h;

	health_read(v->cfg->state_dir, &h); /* zeroes h when it cannot */
	h.updated = (int64_t)time(NULL);
	h.pid = 0;
	health_write(v->cfg->state_dir, &h);
}

/* Stops everything in reverse order of starting; the writer goes last so
 * that it stores what the pollers queued. Each device's next tick is kept
 * in v->resume_ms, so that ventod_start (the same configuration again, or
 * another through ventod_resume_from) continues the schedule. */
static void
ventod_stop(struct ventod *v)
{
	const struct config *c = v->cfg;
	int n = c->nlinks;

	if (v->pollers && v->resume_ms == NULL)
		v->resume_ms = xcalloc((size_t)c->ndevices, sizeof(*v->resume_ms));
	for (int i = 0; v->pollers && i < n; i++)
		if (v->pollers[i])
			poller_request_stop(v->pollers[i]);
	for (int l = 0; v->pollers && l < n; l++) {
		int64_t next;

		if (v->pollers[l] == NULL)
			continue;
		/* The devices of a link share its schedule. */
		next = poller_stop(v->pollers[l]);
		for (int i = 0; i < c->ndevices; i++)
			if (c->devices[i].link == l)
				v->resume_ms[i] = next;
	}
	free(v->pollers);
	v->pollers = NULL;
	writer_stop(v->writer);
	v->writer = NULL;
	queue_close(v->queue);
	v->queue = NULL;
	for (int i = 0; v->plans && i < v->cfg->nprofiles; i++)
		plan_free(v->plans[i]);
	free(v->plans);
	v->plans = NULL;
}

/* The devices of next that old also polls, with the same interval (so the
 * same ticks), resume at old's next tick: a reload leaves none of their
 * ticks without a row. Devices are the same by name. */
static void
ventod_resume_from(struct ventod *next, const struct ventod *old)
{
	const struct config *n = next->cfg, *o = old->cfg;

	free(next->resume_ms);
	next->resume_ms = xcalloc((size_t)n->ndevices, sizeof(*next->resume_ms));
	if (old->resume_ms == NULL || n->poll_interval != o->poll_interval)
		return;
	for (int i = 0; i < n->ndevices; i++)
		for (int j = 0; j < o->ndevices; j++)
			if (strcmp(n->devices[i].name, o->devices[j].name) == 0) {
				next->resume_ms[i] = old->resume_ms[j];
				break;
			}
}

/*
 * What a configuration needs of the machine beyond what cfg_load checks:
 * its state directory, made when missing, and it and the spool directory
 * in it writable. Checked before a reload stops the running configuration,
 * since the writer would find out only after. Returns 0, or -1 after
 * logging why.
 */
static int
ventod_prepare(const struct config *c)
{
	char spool[4096];

	if (mkdir(c->state_dir, 0750) == -1 && errno != EEXIST) {
		log_err("state_dir %s cannot be made: %s", c->state_dir,
			strerror(errno));
		return -1;
	}
	if (access(c->state_dir, W_OK | X_OK) == -1) {
		log_err("state_dir %s is not writable: %s", c->state_dir,
			strerror(errno));
		return -1;
	}
	snprintf(spool, sizeof(spool), "%s/spool", c->state_dir);
	if (access(spool, F_OK) == 0 && access(spool, R_OK | W_OK | X_OK) == -1) {
		log_err("the spool %s is not writable: %s", spool,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Each device's lateness, for ventoctl status. */
static void
ventod_report_lateness(struct ventod *v)
{
	long long *late_us = xcalloc((size_t)v->cfg->ndevices + 1,
				     sizeof(*late_us));
	unsigned held;

	for (int i = 0; i < v->cfg->nlinks; i++)
		poller_get_lateness(v->pollers[i], late_us);
	if (lateness_write(v->cfg->state_dir, v->cfg, late_us) == -1 &&
	    log_limit_pass(&v->complain, &held))
		log_warn("cannot write %s/lateness: %s", v->cfg->state_dir,
			 strerror(errno));
	free(late_us);
}

/* p50, p99 and the worst bucket of the pollers' lateness. */
static void
ventod_percentiles(const unsigned long long *hist, struct health *h)
{
	unsigned long long total = 0, seen = 0, p50, p99;

	for (int b = 0; b < POLLER_LATE_BUCKETS; b++)
		total += hist[b];
	if (total == 0)
		return;
	p50 = (total + 1) / 2;
	p99 = (total * 99 + 99) / 100;
	for (int b = 0; b < POLLER_LATE_BUCKETS; b++) {
		if (hist[b] == 0)
			continue;
		if (seen < p50 && seen + hist[b] >= p50)
			h->late_p50_us = poller_lateness_edge_us(b);
		if (seen < p99 && seen + hist[b] >= p99)
			h->late_p99_us = poller_lateness_edge_us(b);
		seen += hist[b];
		h->late_max_us = poller_lateness_edge_us(b);
	}
}

/* A line for systemd's STATUS= (what an operator sees in systemctl) and
 * the health file that ventoctl reads. Returns all pollers' ticks, for the
 * watchdog. */
static long long
ventod_report(struct ventod *v)
{
	unsigned long long late[POLLER_LATE_BUCKETS] = { 0 };
	struct writer_stats ws;
	struct health h;
	int64_t now_ms = (int64_t)time(NULL) * 1000;
	int fresh = 0;
	unsigned held;

	writer_get_stats(v->writer, &ws);
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < v->cfg->nlinks; i++) {
		struct poller_stats ps;

		poller_get_stats(v->pollers[i], now_ms - 10000 + 1, &ps);
		fresh += ps.fresh;
		h.ticks += ps.ticks;
		h.missed += ps.missed;
		poller_add_lateness(v->pollers[i], late);
	}
	ventod_percentiles(late, &h);
	ventod_report_lateness(v);
	notify_send("STATUS=%d/%d devices answering, database %s, %lld rows "
		    "stored, %lld batches spooled",
		    fresh, v->cfg->ndevices, ws.db_up ? "up" : "down",
		    ws.rows, ws.backlog);
	h.updated = now_ms / 1000;
	h.pid = (long)getpid();
	h.devices = v->cfg->ndevices;
	h.devices_ok = fresh;
	h.db_up = ws.db_up;
	h.rows = ws.rows;
	h.spool_bytes = ws.spool_bytes;
	h.spool_backlog = ws.backlog;
	h.spool_dropped = ws.spool_dropped;
	h.lost = ws.dropped;
	h.quarantined = ws.quarantined;
	h.damaged = ws.damaged;
	h.duplicates = ws.duplicates;
	h.isolated = ws.isolated;
	h.newest_ms = ws.newest_ms;
	writer_put_health(v->writer, &h);
	if (health_write(v->cfg->state_dir, &h) == -1 &&
	    log_limit_pass(&v->complain, &held))
		log_warn("cannot write %s/health: %s", v->cfg->state_dir,
			 strerror(errno));
	return h.ticks;
}

/* Loads the drivers the profiles name. Returns 0, or -1 after saying
 * which could not be loaded and why. */
static int
ventod_load_plugins(struct ventod *v)
{
	const struct config *c = v->cfg;
	int failed = 0;

	v->plugins = xcalloc((size_t)c->nprofiles, sizeof(*v->plugins));
	for (int i = 0; i < c->nprofiles; i++) {
		struct profile *p = c->profiles[i];
		const char *why;

		if (p->plugin[0] == '\0')
			continue;
		v->plugins[i] = plugin_open(c->plugin_dir, p->plugin, &why);
		if (v->plugins[i] == NULL) {
			fprintf(stderr, "%s: plugin '%s': %s\n", p->file,
				p->plugin, why);
			failed = 1;
			continue;
		}
		p->driver = plugin_driver(v->plugins[i]);
	}
	return failed ? -1 : 0;
}

/* A turbine whose model's states nobody declares stores its state codes
 * with no category, so availability cannot be computed for it: said at
 * -n and at start, once per profile. */
static void
ventod_warn_stateless(const struct config *c)
{
	for (int i = 0; i < c->nprofiles; i++) {
		const struct profile *p = c->profiles[i];
		int turbine = 0;

		for (int d = 0; d < c->ndevices; d++)
			if (c->devices[d].profile == p &&
			    c->devices[d].kind == DEVICE_TURBINE)
				turbine = 1;
		if (turbine && profile_state_count(p) == 0)
			log_warn("%s: warning: turbine profile '%s' declares no "
				 "states (states = ( { code; name; category; "
				 "}, ... )): its state codes have no IEC "
				 "61400-26 category, so availability cannot be "
				 "computed", p->file, p->name);
	}
}

static void
ventod_unload_plugins(struct ventod *v)
{
	for (int i = 0; v->plugins && i < v->cfg->nprofiles; i++)
		plugin_close(v->plugins[i]);
	free(v->plugins);
}

/* Locks cfg's state directory, or says which ventod has it. */
static int
ventod_lock_state(const struct config *cfg)
{
	long holder;
	int fd = statelock_take(cfg->state_dir, &holder);

	if (fd != -1)
		return fd;
	if (errno == EWOULDBLOCK)
		log_err("state_dir %s is in use by another ventod (pid %ld): "
			"one ventod per state directory",
			cfg->state_dir, holder);
	else
		log_err("cannot lock state_dir %s: %s", cfg->state_dir,
			strerror(errno));
	return -1;
}

/* What the watchdog looks at between pings. */
struct ventod_watchdog {
	long long ticks;   /* all pollers' ticks at the last look */
	int64_t ticked_ms; /* when they last moved */
	int64_t pinged_ms;
};

/*
 * The watchdog is fed only while ventod does its work: the pollers' ticks
 * moved within two poll intervals, and the writer's loop turned within
 * the last five seconds (it turns at least every 200 ms when idle, so only
 * a writer stuck in the database misses that).
 */
static int
ventod_progressing(struct ventod *v, struct ventod_watchdog *wd,
		   long long ticks)
{
	struct writer_stats ws;
	int64_t now = monotime_ms();

	if (ticks != wd->ticks || wd->ticked_ms == 0) {
		wd->ticks = ticks;
		wd->ticked_ms = now;
	}
	writer_get_stats(v->writer, &ws);
	return now - wd->ticked_ms <= (int64_t)(2000 * v->cfg->poll_interval) + 1000 &&
	       now - ws.progress_ms <= 5000;
}

/* A socket per device: takes all the descriptors the limits allow, and
 * refuses a farm that cannot fit in them. */
static int
ventod_raise_fd_limit(const char *conf, int ndevices)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)ndevices + LINK_SPARE_FDS;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		fprintf(stderr,
			"%s: %d devices need %llu descriptors, and the limit "
			"is %llu: raise LimitNOFILE (or ulimit -n)\n",
			conf, ndevices, (unsigned long long)need,
			(unsigned long long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

/* Frees what ventod_stop leaves: the plugins, the configuration. */
static void
ventod_free(struct ventod *v)
{
	if (v->cfg)
		ventod_unload_plugins(v);
	cfg_free(v->cfg);
	free(v->resume_ms);
	v->cfg = NULL;
	v->resume_ms = NULL;
}

/* A reload that keeps the running configuration: the log and systemd's
 * status say why. */
static void
ventod_reload_refused(const char *conf, const char *why)
{
	log_err("reload: %s %s (see above); still running the previous "
		"configuration",
		conf, why);
	notify_send("READY=1\nSTATUS=reload failed: %s %s, see the log; "
		    "running the previous configuration",
		    conf, why);
}

/*
 * SIGHUP: reads the configuration again and checks all of it that can be
 * checked before anything stops: valid, its plugins loaded, its
 * descriptors, its state directory made and writable. Only then are the
 * pollers and the writer stopped and started again on it, every device it
 * shares with the old one resuming at its next tick. Should the new
 * writer or a poller still fail to start, the old configuration is
 * started again, from where it stopped. Returns 0, or -1 when neither
 * could be started.
 */
static int
ventod_reload(struct ventod *v, const char *conf)
{
	struct ventod next;

	notify_send("RELOADING=1\nSTATUS=reloading %s", conf);
	log_info("SIGHUP: reloading %s", conf);
	memset(&next, 0, sizeof(next));
	next.cfg = cfg_load(conf);
	if (next.cfg == NULL ||
	    ventod_raise_fd_limit(conf, next.cfg->ndevices) == -1 ||
	    ventod_load_plugins(&next) == -1) {
		ventod_reload_refused(conf, "is not valid");
		ventod_free(&next);
		return 0;
	}
	if (ventod_prepare(next.cfg) == -1) {
		ventod_reload_refused(conf, "cannot be started");
		ventod_free(&next);
		return 0;
	}
	next.statelock = v->statelock;
	if (strcmp(next.cfg->state_dir, v->cfg->state_dir) != 0 &&
	    (next.statelock = ventod_lock_state(next.cfg)) == -1) {
		ventod_reload_refused(conf, "cannot be started");
		ventod_free(&next);
		return 0;
	}
	next.complain = v->complain;
	ventod_stop(v);
	ventod_resume_from(&next, v);
	if (ventod_start(&next) == -1) {
		ventod_stop(&next);
		if (next.statelock != v->statelock)
			statelock_release(next.statelock);
		ventod_free(&next);
		if (ventod_start(v) == -1)
			return -1;
		ventod_reload_refused(conf, "cannot be started");
		return 0;
	}
	if (next.statelock != v->statelock)
		statelock_release(v->statelock);
	ventod_free(v);
	*v = next;
	log_info("reloaded: polling %d devices", v->cfg->ndevices);
	notify_send("READY=1\nSTATUS=reloaded: polling %d devices",
		    v->cfg->ndevices);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *conf = VENTO_SYSCONFDIR "/vento/vento.conf";
	struct ventod v;
	struct ventod_watchdog wd = { 0 };
	long long ticks;
	int64_t wd_ms = 0;
	sigset_t sigs;
	int check_only = 0, opt, sig;

	while ((opt = getopt(argc, argv, "c:ndVh")) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'd':
			log_set_debug(1);
			break;
		case 'V':
			printf("ventod %s\n", VENTO_VERSION);
			return 0;
		case 'h':
			ventod_usage(stdout);
			return 0;
		default:
			ventod_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		ventod_usage(stderr);
		return 2;
	}
	memset(&v, 0, sizeof(v));
	v.cfg = cfg_load(conf);
	if (v.cfg == NULL) {
		fprintf(stderr, "%s: configuration not valid\n", conf);
		return 1;
	}
	if (ventod_raise_fd_limit(conf, v.cfg->ndevices) == -1) {
		cfg_free(v.cfg);
		return 1;
	}
	if (ventod_load_plugins(&v) == -1) {
		fprintf(stderr, "%s: configuration not valid\n", conf);
		ventod_unload_plugins(&v);
		cfg_free(v.cfg);
		return 1;
	}
	ventod_warn_stateless(v.cfg);
	if (check_only) {
		printf("%s: configuration valid: %d devices, %d profiles, %d "
		       "signal columns\n",
		       conf, v.cfg->ndevices, v.cfg->nprofiles,
		       v.cfg->ncolumns);
		ventod_unload_plugins(&v);
		cfg_free(v.cfg);
		return 0;
	}
	/* ventod needs no privilege (its Modbus and database sockets are
	 * clients, its spool its own directory), and as root a flaw in what
	 * parses a device's replies would be root's. The unit runs it as a
	 * dynamic user; started by hand it says so, and runs. */
	if (geteuid() == 0)
		log_warn("running as root, which ventod does not need: run it "
			 "as an unprivileged user (the systemd unit runs it as "
			 "a dynamic user)");
	if ((v.statelock = ventod_lock_state(v.cfg)) == -1) {
		ventod_unload_plugins(&v);
		cfg_free(v.cfg);
		return 1;
	}
	if (notify_open() == -1)
		log_warn("NOTIFY_SOCKET unusable: %s", strerror(errno));

	/* Block the signals before any thread starts, so that every thread
	 * inherits the mask and only the main thread takes them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (ventod_start(&v) == -1) {
		ventod_stop(&v);
		ventod_free(&v);
		notify_close();
		return 1;
	}
	log_info("polling %d devices every %g s", v.cfg->ndevices,
		 v.cfg->poll_interval);
	wd_ms = (int64_t)(notify_watchdog_usec() / 1000);
	notify_send("READY=1\nSTATUS=polling %d devices", v.cfg->ndevices);
	for (;;) {
		/* Wake at least twice per watchdog interval. */
		struct timespec tick = { .tv_sec = 1 };

		if (wd_ms && wd_ms / 2 < 1000) {
			tick.tv_sec = 0;
			tick.tv_nsec = (long)(wd_ms / 2) * 1000000L;
		}
		sig = sigtimedwait(&sigs, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig == SIGHUP && ventod_reload(&v, conf) == -1) {
			ventod_stop(&v);
			ventod_free(&v);
			notify_close();
			return 1;
		}
		ticks = ventod_report(&v);
		if (wd_ms && ventod_progressing(&v, &wd, ticks) &&
		    monotime_ms() - wd.pinged_ms >= wd_ms / 2) {
			notify_send("WATCHDOG=1");
			wd.pinged_ms = monotime_ms();
		}
	}
	log_info("stopping on %s", strsignal(sig));
	notify_send("STOPPING=1");
	ventod_stop(&v);
	ventod_report_stopped(&v);
	ventod_free(&v);
	notify_close();
	statelock_release(v.statelock);
	return 0;
}

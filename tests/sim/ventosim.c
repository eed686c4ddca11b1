/* ventosim.c - the simulated wind farm: main, options, signals, readiness.
 * It reads vento.conf like the collector does, serves every device (or the
 * ones named), turbines and grid meters, as a Modbus TCP server in its own
 * thread (sim_device.c), with the physics of sim_wind.c and sim_meter.c,
 * and the units that share a link behind a gateway (sim_gateway.c): one TCP
 * port for several unit ids, or a serial line on a pseudo-terminal,
 * the faults of sim_fault.c, and logs what it served (sim_served.c). It
 * stays in the foreground until SIGTERM or SIGINT, then frees everything
 * and exits 0. SIGHUP re-reads the faults file (the syntax of a fault
 * spec and of the file is in sim_fault.h).
 *
 *   ventosim -c CONF [--seed N] [--served FILE] [--ready FILE]
 *            [--devices T01,GRID] [--fault DEVICE=SPEC]... [--faults FILE]
 *            [--gateway-clients N] [--gateway-timeout MS]
 *   ventosim -c CONF [--seed N] [--fault DEVICE=SPEC]...
 *            --print DEVICE SECOND
 *   ventosim -c CONF [--seed N] [--devices T01,T02]
 *            --history FROM TO --csv FILE
 *
 * --history writes the 10-minute history of the turbines from FROM to TO
 * (sim_history.c) and exits; it serves nothing.
 *
 * Exit status: 0 after a signal (or --print, or --history), 1 when a
 * device cannot be served (a port in use ...) or the history cannot be
 * written, 2 for a usage or configuration error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "sim_device.h"
#include "sim_fault.h"
#include "sim_gateway.h"
#include "sim_history.h"
#include "sim_image.h"
#include "sim_meter.h"
#include "sim_served.h"
#include "sim_wind.h"
#include "xmalloc.h"

struct sim_options {
	const char *conf;
	uint64_t seed;
	const char *served;
	const char *ready;
	const char *devices; /* comma-separated names, or NULL: all */
	const char *print;   /* --print DEVICE, or NULL */
	int64_t print_second;
	const char **faults; /* the --fault arguments */
	int nfaults;
	const char *faults_file; /* --faults FILE, or NULL */
	const char *history;     /* --history FROM, or NULL */
	int64_t history_from, history_to;
	const char *csv; /* --csv FILE */
	int gateway_clients;    /* connections a gateway accepts at once */
	int gateway_timeout_ms; /* a gateway's wait for one of its units */
};

/* Set by main when a signal arrives; read by every device thread. */
static atomic_int sim_stop;

static void
usage(FILE *fp)
{
	fprintf(fp,
	        "usage: ventosim -c CONF [--seed N] [--served FILE] "
	        "[--ready FILE] [--devices T01,GRID]\n"
	        "                [--fault DEVICE=SPEC]... [--faults FILE]\n"
	        "                [--gateway-clients N] [--gateway-timeout MS]\n"
	        "       ventosim -c CONF [--seed N] [--fault DEVICE=SPEC]... "
	        "--print DEVICE SECOND\n"
	        "       ventosim -c CONF [--seed N] [--devices T01,T02] "
	        "[--fault T05=derate]...\n"
	        "                --history FROM TO --csv FILE\n"
	        "SPEC: none, or a comma-separated list of dead, slow:MS, "
	        "late:MS,\n"
	        "      exception:FC:ADDR:CODE, disconnect:N, garbage, "
	        "refuse:S, wrap, reset,\n"
	        "      hostile:unit|length|trickle|trailing|second[:N], "
	        "fault:stop, maintenance, derate[:PCT].\n"
	        "FILE: lines DEVICE SPEC, "
	        "re-read on SIGHUP.\n"
	        "FROM, TO: 2025-01-01 (local midnight) or "
	        "2025-01-01T00:00:00-03:00, on 10-minute\n"
	        "      boundaries; the history covers [FROM, TO). FILE: - "
	        "for standard output.\n");
}

static int
parse_i64(const char *s, int64_t *v)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*v = x;
	return 0;
}

/* Reads --history FROM TO into o. Returns 0, or -1 after printing what
 * was wrong. */
static int
parse_history(struct sim_options *o, const char *from, const char *to)
{
	const char *arg[2] = {from, to};
	int64_t *at[2] = {&o->history_from, &o->history_to};

	for (int i = 0; i < 2; i++) {
		if (sim_history_parse_time(arg[i], at[i]) == -1) {
			fprintf(stderr,
			        "ventosim: --history: '%s' is neither a date "
			        "(2025-01-01) nor a time with a UTC offset "
			        "(2025-01-01T00:00:00-03:00)\n",
			        arg[i]);
			return -1;
		}
		/* Floor modulo: a time before 1970 is checked alike. */
		if (((*at[i] % SIM_WIND_PERIOD) + SIM_WIND_PERIOD) %
		        SIM_WIND_PERIOD !=
		    0) {
			fprintf(stderr,
			        "ventosim: --history: %s is not on a 10-minute "
			        "boundary\n",
			        arg[i]);
			return -1;
		}
	}
	if (o->history_from >= o->history_to) {
		fprintf(stderr, "ventosim: --history: %s is not before %s\n",
		        from, to);
		return -1;
	}
	if (o->csv == NULL) {
		fprintf(stderr, "ventosim: --history needs --csv FILE\n");
		return -1;
	}
	if (o->faults_file != NULL || o->served != NULL || o->ready != NULL) {
		fprintf(stderr,
		        "ventosim: --history serves nothing: it takes no "
		        "--faults, --served or --ready\n");
		return -1;
	}
	return 0;
}

/* Returns 0, or 2 (the exit status) after printing what was wrong. */
static int
parse_options(int argc, char **argv, struct sim_options *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"seed", required_argument, NULL, 's'},
	    {"served", required_argument, NULL, 'S'},
	    {"ready", required_argument, NULL, 'r'},
	    {"devices", required_argument, NULL, 'd'},
	    {"print", required_argument, NULL, 'p'},
	    {"fault", required_argument, NULL, 'f'},
	    {"faults", required_argument, NULL, 'F'},
	    {"history", required_argument, NULL, 'H'},
	    {"csv", required_argument, NULL, 'C'},
	    {"gateway-clients", required_argument, NULL, 'g'},
	    {"gateway-timeout", required_argument, NULL, 'G'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;
	char *end;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->gateway_clients = SIM_GATEWAY_MAX_CLIENTS;
	o->gateway_timeout_ms = 300;
	/* No more --fault than arguments. */
	o->faults = xcalloc((size_t)argc + 1, sizeof(*o->faults));
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->conf = optarg;
			break;
		case 's':
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    optarg[0] == '-') {
				fprintf(stderr,
				        "ventosim: --seed %s: not an "
				        "unsigned 64-bit number\n",
				        optarg);
				return 2;
			}
			break;
		case 'S':
			o->served = optarg;
			break;
		case 'r':
			o->ready = optarg;
			break;
		case 'd':
			o->devices = optarg;
			break;
		case 'p':
			o->print = optarg;
			break;
		case 'f':
			o->faults[o->nfaults++] = optarg;
			break;
		case 'F':
			o->faults_file = optarg;
			break;
		case 'H':
			o->history = optarg;
			break;
		case 'C':
			o->csv = optarg;
			break;
		case 'g':
		case 'G': {
			long v = strtol(optarg, &end, 10);
			long hi = ch == 'g' ? SIM_GATEWAY_MAX_CLIENTS : 60000;

			if (end == optarg || *end != '\0' || v < 1 || v > hi) {
				fprintf(stderr, "ventosim: --%s %s: expected "
				        "1..%ld\n", ch == 'g' ? "gateway-clients"
				        : "gateway-timeout", optarg, hi);
				return 2;
			}
			if (ch == 'g')
				o->gateway_clients = (int)v;
			else
				o->gateway_timeout_ms = (int)v;
			break;
		}
		case 'h':
			usage(stdout);
			free(o->faults);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o->print != NULL && o->history != NULL) {
		fprintf(stderr, "ventosim: --print or --history, not both\n");
		return 2;
	}
	if (o->print != NULL) {
		/* --print takes two arguments; getopt hands us the first. */
		if (optind != argc - 1 ||
		    parse_i64(argv[optind], &o->print_second) == -1) {
			fprintf(stderr, "ventosim: --print DEVICE SECOND: "
			                "SECOND must be epoch seconds\n");
			return 2;
		}
		optind++;
	}
	if (o->history != NULL) {
		/* --history takes two arguments too. */
		if (optind != argc - 1) {
			fprintf(stderr, "ventosim: --history FROM TO: two "
			                "times, then no other argument\n");
			return 2;
		}
		if (parse_history(o, o->history, argv[optind]) == -1)
			return 2;
		optind++;
	}
	if (o->csv != NULL && o->history == NULL) {
		fprintf(stderr, "ventosim: --csv goes with --history\n");
		return 2;
	}
	if (optind != argc || o->conf == NULL) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/* --print: the model of one device at one second, before encoding, with
 * the production states of --fault. */
static int
print_device(const struct config *c, const struct sim_options *o,
             struct sim_faults *faults)
{
	const struct device *d = cfg_find_device(c, o->print);
	enum sim_fault_action action;
	int64_t at;
	int index;

	if (d == NULL) {
		fprintf(stderr, "ventosim: no device %s in %s\n", o->print,
		        c->file);
		return 2;
	}
	index = (int)(d - c->devices);
	/* The counters are the only quantities with a history: printed
	 * here are their start values, what a ventosim started in that
	 * second serves. */
	if (d->kind == DEVICE_METER) {
		struct sim_meter *m =
		    sim_meter_new(c, o->seed, index, o->print_second);
		struct sim_meter_sample s;
		struct sim_wind_turbine *t;
		int n;

		t = sim_meter_turbines(m, &n);
		sim_faults_sync(faults, index, t, n, &action, &at);
		sim_meter_sample_at(m, o->print_second, &s);
		for (int i = 0; i < SIM_METER_NSIGNALS; i++)
			printf("%s=%.17g\n", sim_meter_signal_name(i), s.v[i]);
		sim_meter_free(m);
	} else {
		struct sim_wind_turbine t;
		struct sim_wind_sample s;

		sim_wind_turbine_init(&t, o->seed, index, o->print_second);
		sim_faults_sync(faults, index, &t, 1, &action, &at);
		sim_wind_sample_at(&t, o->print_second, &s);
		for (int i = 0; i < SIM_NSIGNALS; i++)
			printf("%s=%.17g\n", sim_wind_signal_name(i), s.v[i]);
	}
	return fflush(stdout) == EOF ? 1 : 0;
}

/*
 * Marks in serve[] the devices to simulate: every device (turbines and
 * meters), or the ones named in list. Returns how many, or -1 after
 * printing why the list is wrong.
 */
static int
select_devices(const struct config *c, const char *list, char *serve)
{
	char *copy, *name, *save = NULL;
	int n = 0, bad = 0;

	if (list == NULL) {
		memset(serve, 1, (size_t)c->ndevices);
		return c->ndevices;
	}
	copy = xstrdup(list);
	for (name = strtok_r(copy, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		const struct device *d = cfg_find_device(c, name);

		if (d == NULL) {
			fprintf(stderr,
			        "ventosim: --devices: no device %s in %s\n",
			        name, c->file);
			bad = 1;
		} else if (!serve[d - c->devices]) {
			serve[d - c->devices] = 1;
			n++;
		}
	}
	free(copy);
	return bad ? -1 : n;
}

/* The --fault options of --history into derate[] (% by device index): a
 * history is of turbines in production, so a derate is the one fault it
 * can have. Returns 0, or -1 after printing what is wrong. */
static int
history_faults(const struct config *c, const struct sim_options *o,
               int *derate)
{
	for (int i = 0; i < o->nfaults; i++) {
		const char *arg = o->faults[i], *eq = strchr(arg, '=');
		struct sim_fault_spec s, only;
		char name[DEVICE_NAME_MAX], err[256];
		const struct device *d;

		if (eq == NULL || eq == arg ||
		    (size_t)(eq - arg) >= sizeof(name)) {
			fprintf(stderr,
			        "ventosim: --fault %s: expected DEVICE=SPEC\n",
			        arg);
			return -1;
		}
		memcpy(name, arg, (size_t)(eq - arg));
		name[eq - arg] = '\0';
		if ((d = cfg_find_device(c, name)) == NULL ||
		    d->kind != DEVICE_TURBINE) {
			fprintf(stderr,
			        "ventosim: --fault %s: no turbine %s in %s\n",
			        arg, name, c->file);
			return -1;
		}
		if (sim_fault_parse(eq + 1, &s, err, sizeof(err)) == -1) {
			fprintf(stderr, "ventosim: --fault %s: %s\n", arg, err);
			return -1;
		}
		memset(&only, 0, sizeof(only));
		only.derate_pct = s.derate_pct;
		if (memcmp(&s, &only, sizeof(s)) != 0) {
			fprintf(stderr,
			        "ventosim: --fault %s: --history takes derate "
			        "faults only\n",
			        arg);
			return -1;
		}
		derate[d - c->devices] = s.derate_pct;
	}
	return 0;
}

/* --history: the turbines' 10-minute history to a CSV file. */
static int
write_history(const struct config *c, const struct sim_options *o)
{
	char *serve = NULL;
	int *derate = NULL;
	int rc = 2;

	if (o->devices != NULL) {
		serve = xcalloc((size_t)c->ndevices + 1, 1);
		if (select_devices(c, o->devices, serve) == -1)
			goto out;
		for (int i = 0; i < c->ndevices; i++)
			if (serve[i] && c->devices[i].kind != DEVICE_TURBINE) {
				fprintf(stderr,
				        "ventosim: --history: %s is not a "
				        "turbine; only turbines have a "
				        "history\n",
				        c->devices[i].name);
				goto out;
			}
	}
	derate = xcalloc((size_t)c->ndevices + 1, sizeof(*derate));
	if (history_faults(c, o, derate) == -1)
		goto out;
	rc = 0;
	if (sim_history_write(c, serve, derate, o->seed, o->history_from,
	                      o->history_to, o->csv) == -1) {
		fprintf(stderr, "ventosim: --history: %s: %s\n", o->csv,
		        strerror(errno));
		rc = 1;
	}
out:
	free(derate);
	free(serve);
	return rc;
}

/* 1 when served device i sits behind a gateway: on a serial line, or at a
 * host and port it shares with another served device. */
static int
behind_gateway(const struct config *c, const char *serve, int i)
{
	if (cfg_device_is_serial(&c->devices[i]))
		return 1;
	for (int j = 0; j < c->ndevices; j++)
		if (j != i && serve[j] && c->devices[j].link == c->devices[i].link)
			return 1;
	return 0;
}

/*
 * Opens a gateway for each link whose devices were put behind one
 * (gated[i].name set: the device as configured) and puts each such
 * device's unit behind it at the private port it now listens on. Returns
 * 0, or -1 after saying why.
 */
static int
open_gateways(const struct config *c, const struct sim_options *o,
              const char *serve, const struct device *gated,
              struct sim_device **by_index, struct sim_gateway ***gws,
              int *ngws)
{
	struct sim_gateway **of_link = xcalloc((size_t)c->nlinks + 1,
	                                       sizeof(*of_link));
	int rc = 0;

	for (int i = 0; i < c->ndevices && rc == 0; i++) {
		const struct device *d = &gated[i];
		struct sim_gateway *gw;

		if (!serve[i] || d->name[0] == '\0')
			continue;
		gw = of_link[d->link];
		if (gw == NULL) {
			gw = sim_gateway_open(d, o->gateway_clients,
			                      o->gateway_timeout_ms);
			if (gw == NULL) {
				log_err("ventosim: %s: cannot open the gateway "
				        "on %s: %s", d->name,
				        cfg_device_is_serial(d) ? d->serial.path
				                                : d->host,
				        strerror(errno));
				rc = -1;
				break;
			}
			of_link[d->link] = gw;
			*gws = xreallocarray(*gws, (size_t)*ngws + 1,
			                     sizeof(**gws));
			(*gws)[(*ngws)++] = gw;
		}
		sim_gateway_add_unit(gw, d->unit, sim_device_port(by_index[i]));
	}
	free(of_link);
	return rc;
}

/* Each device holds a listener, an eventfd and up to
 * SIM_DEVICE_MAX_CLIENTS connections: 2000 devices need far more than the
 * usual soft limit of 1024 descriptors. */
static void
raise_fd_limit(int ndevices)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)ndevices * SIM_DEVICE_MAX_FDS + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		log_warn("ventosim: the descriptor limit %llu is below the "
		         "%llu that %d devices may need; raise it with "
		         "ulimit -Hn",
		         (unsigned long long)rl.rlim_max,
		         (unsigned long long)want, ndevices);
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want
	                  ? want
	                  : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("ventosim: cannot raise the descriptor limit: %s",
		         strerror(errno));
}

/* Writes "ready\n" under a temporary name and renames it into place, so
 * that a reader sees no file or the whole file. */
static int
write_ready(const char *path)
{
	size_t n = strlen(path) + 32;
	char *tmp = xmalloc(n);
	FILE *fp;
	int rc = -1, saved;

	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	fp = fopen(tmp, "we");
	if (fp != NULL) {
		int bad = fputs("ready\n", fp) == EOF;

		if (fclose(fp) == EOF || bad)
			unlink(tmp);
		else if (rename(tmp, path) == 0)
			rc = 0;
		else
			unlink(tmp);
	}
	saved = errno;
	free(tmp);
	errno = saved;
	return rc;
}

/* SIGHUP: re-reads the faults file and wakes the devices whose faults
 * changed. */
static void
reload_faults(struct sim_faults *faults, const char *path,
              struct sim_device **by_index, int ndevices, char *changed)
{
	int bad, n = 0;

	if (path == NULL) {
		log_warn("ventosim: SIGHUP: there is no --faults file to "
		         "re-read");
		return;
	}
	memset(changed, 0, (size_t)ndevices);
	bad = sim_faults_load(faults, path, 0, changed);
	if (bad == -1)
		log_err("ventosim: %s: %s; faults of the lines not read are "
		        "unchanged",
		        path, strerror(errno));
	for (int i = 0; i < ndevices; i++) {
		if (!changed[i])
			continue;
		n++;
		if (by_index[i] != NULL)
			sim_device_notify(by_index[i]);
	}
	if (n == 0 && bad != -1)
		log_info("ventosim: %s re-read: no device's faults changed%s",
		         path, bad > 0 ? " (see the bad lines above)" : "");
}

int
main(int argc, char **argv)
{
	struct sim_options o;
	struct config *c;
	struct sim_faults *faults = NULL;
	struct sim_device_env env;
	struct sim_image **images = NULL;
	struct sim_device **devs = NULL, **by_index = NULL;
	struct sim_gateway **gws = NULL;
	struct device *gated = NULL; /* devices behind a gateway, as configured */
	int ngws = 0;
	struct sim_served *served = NULL;
	char *serve = NULL, *changed = NULL;
	sigset_t sigs;
	int rc, n, ndevs = 0, nstarted = 0, wake[2] = {-1, -1}, sig;
	int ready = 0;

	if ((rc = parse_options(argc, argv, &o)) != 0) {
		free(o.faults);
		return rc;
	}
	c = cfg_load(o.conf);
	if (c == NULL) {
		free(o.faults);
		return 2;
	}
	if (o.history != NULL) {
		rc = write_history(c, &o);
		free(o.faults);
		cfg_free(c);
		return rc;
	}

	/* Faults before anything runs: a device starts with its own. */
	rc = 2;
	faults = sim_faults_new(c);
	changed = xcalloc((size_t)c->ndevices + 1, 1);
	for (int i = 0; i < o.nfaults; i++)
		if (sim_faults_option(faults, o.faults[i]) == -1)
			goto out;
	if (o.faults_file != NULL &&
	    sim_faults_load(faults, o.faults_file, 1, changed) == -1) {
		fprintf(stderr, "ventosim: --faults %s: %s\n", o.faults_file,
		        strerror(errno));
		goto out;
	}
	if (o.print != NULL) {
		rc = print_device(c, &o, faults);
		goto out;
	}

	serve = xcalloc((size_t)c->ndevices + 1, 1);
	n = select_devices(c, o.devices, serve);
	if (n <= 0) {
		if (n == 0)
			fprintf(stderr,
			        "ventosim: %s has no device to simulate\n",
			        o.conf);
		goto out;
	}
	raise_fd_limit(n);

	/* Signals are taken by sigwait in this thread only: block them
	 * before any thread exists, so that every thread inherits the mask.
	 * A peer that closes mid-reply must not kill the process. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = 1;
	if (o.served != NULL && (served = sim_served_open(o.served)) == NULL) {
		log_err("ventosim: %s: %s", o.served, strerror(errno));
		goto out;
	}
	if (pipe2(wake, O_CLOEXEC) == -1) {
		log_err("ventosim: pipe: %s", strerror(errno));
		goto out;
	}

	/* One image per profile and kind of device, shared by the devices
	 * that use it: a meter and a turbine read the same names
	 * differently. */
	images = xcalloc((size_t)c->nprofiles * 2 + 1, sizeof(*images));

	/* Every listener is bound before any thread runs: a port in use
	 * fails the start, and readiness below means every device
	 * accepts. */
	env = (struct sim_device_env){
	    .config = c,
	    .seed = o.seed,
	    .start = (int64_t)time(NULL),
	    .served = served,
	    .faults = faults,
	};
	devs = xcalloc((size_t)n, sizeof(*devs));
	gated = xcalloc((size_t)c->ndevices + 1, sizeof(*gated));
	by_index = xcalloc((size_t)c->ndevices + 1, sizeof(*by_index));
	for (int i = 0; i < c->ndevices; i++) {
		const struct device *d = &c->devices[i];
		struct sim_image **im;
		int p = 0;

		if (!serve[i])
			continue;
		/* cfg_load gives every device one of its profiles. */
		while (p < c->nprofiles - 1 && c->profiles[p] != d->profile)
			p++;
		im = &images[2 * p + (d->kind == DEVICE_METER ? 1 : 0)];
		if (*im == NULL)
			*im = sim_image_new(d->profile, d->kind);
		if (behind_gateway(c, serve, i)) {
			/* A unit behind a gateway listens on a private
			 * loopback port; the gateway holds the link's. */
			gated[i] = c->devices[i];
			snprintf(c->devices[i].host, sizeof(c->devices[i].host),
			         "127.0.0.1");
			c->devices[i].port = 0;
		}
		devs[ndevs] = sim_device_open(&env, i, *im);
		if (devs[ndevs] == NULL) {
			log_err("ventosim: %s: cannot listen on %s:%d: %s",
			        d->name, d->host, d->port, strerror(errno));
			goto out;
		}
		by_index[i] = devs[ndevs++];
	}
	if (open_gateways(c, &o, serve, gated, by_index, &gws, &ngws) == -1)
		goto out;
	for (int i = 0; i < ngws; i++)
		if (sim_gateway_start(gws[i], &sim_stop, wake[0]) == -1) {
			log_err("ventosim: cannot start a gateway thread: %s",
			        strerror(errno));
			goto out;
		}
	for (; nstarted < ndevs; nstarted++) {
		if (sim_device_start(devs[nstarted], &sim_stop, wake[0]) ==
		    -1) {
			log_err("ventosim: cannot start thread %d of %d: %s",
			        nstarted + 1, ndevs, strerror(errno));
			goto out;
		}
	}

	if (o.ready != NULL && write_ready(o.ready) == -1) {
		log_err("ventosim: %s: %s", o.ready, strerror(errno));
		goto out;
	}
	ready = o.ready != NULL;
	fprintf(stderr, "ventosim: serving %d devices\n", ndevs);

	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		reload_faults(faults, o.faults_file, by_index, c->ndevices,
		              changed);
	}
	rc = 0;

out:
	/* Teardown in reverse: wake and join the threads, then close what
	 * they used. */
	atomic_store(&sim_stop, 1);
	if (wake[1] != -1 && write(wake[1], "x", 1) == -1)
		log_warn("ventosim: waking the threads: %s", strerror(errno));
	for (int i = 0; i < ngws; i++)
		sim_gateway_join(gws[i]);
	for (int i = 0; i < ngws; i++)
		sim_gateway_close(gws[i]);
	free(gws);
	free(gated);
	for (int i = 0; i < nstarted; i++)
		sim_device_join(devs[i]);
	for (int i = 0; i < ndevs; i++)
		sim_device_close(devs[i]);
	free(devs);
	free(by_index);
	if (images != NULL)
		for (int i = 0; i < c->nprofiles * 2; i++)
			sim_image_free(images[i]);
	free(images);
	if (wake[0] != -1)
		close(wake[0]);
	if (wake[1] != -1)
		close(wake[1]);
	if (sim_served_close(served) == -1 && rc == 0) {
		log_err("ventosim: %s: %s", o.served, strerror(errno));
		rc = 1;
	}
	/* A stale ready file would tell the next waiter the farm is up. */
	if (ready)
		unlink(o.ready);
	sim_faults_free(faults);
	free(changed);
	free(serve);
	free(o.faults);
	cfg_free(c);
	return rc;
}

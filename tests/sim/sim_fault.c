/* sim_fault.c - fault specs and the table of every device's faults (see
 * sim_fault.h). The table is the only state the main thread shares with
 * the device threads besides the served log: one mutex guards it, and a
 * generation number per device lets a thread see a change with one atomic
 * load. It opens no sockets; the device threads act on what they take. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sim_fault.h"
#include "xmalloc.h"

struct sim_faults_entry {
	struct sim_fault_spec spec;   /* as last set */
	atomic_uint gen;              /* bumped, under the lock, at each set */
	int refuse_s;                 /* a refusal not yet taken, or 0 */
	enum sim_fault_action action; /* a counter action not yet taken */
	int64_t action_at;            /* the second it applies from */
	struct sim_wind_override override; /* production states, by second */
	int by_option;                     /* set by --fault already */
};

struct sim_faults {
	const struct config *config;
	pthread_mutex_t lock;
	struct sim_faults_entry *e;
};

/* Decimal only: "010" is ten, not eight, and "0x10" is an error. */
static int
sim_fault_number(const char *s, int lo, int hi, int *v)
{
	char *end;
	long x;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || x < lo || x > hi)
		return -1;
	*v = (int)x;
	return 0;
}

/* Parses "NAME:NUMBER" items; returns 0, or -1 with err set. */
static int
sim_fault_param(const char *item, const char *name, int lo, int hi, int *v,
                char *err, size_t errsize)
{
	const char *arg = item + strlen(name) + 1;

	if (*v != 0) {
		snprintf(err, errsize, "%s given twice", name);
		return -1;
	}
	if (sim_fault_number(arg, lo, hi, v) == -1) {
		snprintf(err, errsize, "%s: '%s' is not a number in %d..%d",
		         item, arg, lo, hi);
		return -1;
	}
	return 0;
}

static int
sim_fault_parse_exception(const char *item, struct sim_fault_spec *spec,
                          char *err, size_t errsize)
{
	char buf[64], *fc, *addr, *code, *save = NULL;
	struct sim_fault_exception x;

	if (spec->nexceptions == SIM_FAULT_MAX_EXCEPTIONS) {
		snprintf(err, errsize, "more than %d exceptions",
		         SIM_FAULT_MAX_EXCEPTIONS);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", item + strlen("exception:"));
	fc = strtok_r(buf, ":", &save);
	addr = strtok_r(NULL, ":", &save);
	code = strtok_r(NULL, ":", &save);
	if (fc == NULL || addr == NULL || code == NULL ||
	    strtok_r(NULL, ":", &save) != NULL ||
	    sim_fault_number(fc, 1, 4, &x.fc) == -1 ||
	    sim_fault_number(addr, 0, 65535, &x.address) == -1 ||
	    sim_fault_number(code, 1, 255, &x.code) == -1) {
		snprintf(err, errsize,
		         "%s: expected exception:FC:ADDR:CODE with FC 1..4, "
		         "ADDR 0..65535 (on the wire), CODE 1..255",
		         item);
		return -1;
	}
	spec->exceptions[spec->nexceptions++] = x;
	return 0;
}

static int
sim_fault_flag(const char *item, int *flag, char *err, size_t errsize)
{
	if (*flag) {
		snprintf(err, errsize, "%s given twice", item);
		return -1;
	}
	*flag = 1;
	return 0;
}

static const char *const sim_fault_hostile_names[] = {
	"none", "unit", "length", "trickle", "trailing", "second",
};

const char *
sim_fault_hostile_name(int kind)
{
	return sim_fault_hostile_names[kind];
}

/* hostile:KIND[:N] */
static int
sim_fault_parse_hostile(const char *item, struct sim_fault_spec *spec,
                        char *err, size_t errsize)
{
	char buf[64], *kind, *every, *save = NULL;
	int k, n = 1;

	if (spec->hostile) {
		snprintf(err, errsize, "hostile given twice");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", item + strlen("hostile:"));
	kind = strtok_r(buf, ":", &save);
	every = strtok_r(NULL, ":", &save);
	for (k = SIM_HOSTILE_UNIT; k <= SIM_HOSTILE_SECOND; k++)
		if (kind != NULL && strcmp(kind, sim_fault_hostile_names[k]) == 0)
			break;
	if (k > SIM_HOSTILE_SECOND || strtok_r(NULL, ":", &save) != NULL ||
	    (every != NULL && sim_fault_number(every, 1, 1000000, &n) == -1)) {
		snprintf(err, errsize,
		         "%s: expected hostile:KIND[:N] with KIND unit, length, "
		         "trickle, trailing or second, N 1..1000000",
		         item);
		return -1;
	}
	spec->hostile = k;
	spec->hostile_every = n;
	return 0;
}

/* Whether item is "name:..." */
static int
sim_fault_is(const char *item, const char *name)
{
	size_t n = strlen(name);

	return strncmp(item, name, n) == 0 && item[n] == ':';
}

static int
sim_fault_parse_item(const char *item, struct sim_fault_spec *spec, char *err,
                     size_t errsize)
{
	int state = 0;

	if (strcmp(item, "dead") == 0)
		return sim_fault_flag(item, &spec->dead, err, errsize);
	if (strcmp(item, "garbage") == 0)
		return sim_fault_flag(item, &spec->garbage, err, errsize);
	if (strcmp(item, "wrap") == 0)
		return sim_fault_flag(item, &spec->wrap, err, errsize);
	if (strcmp(item, "reset") == 0)
		return sim_fault_flag(item, &spec->reset, err, errsize);
	if (sim_fault_is(item, "slow"))
		return sim_fault_param(item, "slow", 1, SIM_FAULT_MAX_DELAY_MS,
		                       &spec->slow_ms, err, errsize);
	if (sim_fault_is(item, "late"))
		return sim_fault_param(item, "late", 1, SIM_FAULT_MAX_DELAY_MS,
		                       &spec->late_ms, err, errsize);
	if (sim_fault_is(item, "disconnect"))
		return sim_fault_param(item, "disconnect", 1, 1000000,
		                       &spec->disconnect, err, errsize);
	if (sim_fault_is(item, "refuse"))
		return sim_fault_param(item, "refuse", 1,
		                       SIM_FAULT_MAX_REFUSE_S, &spec->refuse_s,
		                       err, errsize);
	if (sim_fault_is(item, "exception"))
		return sim_fault_parse_exception(item, spec, err, errsize);
	if (sim_fault_is(item, "hostile"))
		return sim_fault_parse_hostile(item, spec, err, errsize);
	if (strcmp(item, "derate") == 0) {
		if (spec->derate_pct != 0) {
			snprintf(err, errsize, "derate given twice");
			return -1;
		}
		spec->derate_pct = 10;
		return 0;
	}
	if (sim_fault_is(item, "derate"))
		return sim_fault_param(item, "derate", 1, 99,
		                       &spec->derate_pct, err, errsize);
	if (strcmp(item, "fault:stop") == 0)
		state = SIM_STATE_FAULT;
	else if (strcmp(item, "maintenance") == 0)
		state = SIM_STATE_MAINTENANCE;
	if (state == 0) {
		snprintf(
		    err, errsize,
		    "unknown fault '%s' (dead, slow:MS, late:MS, "
		    "exception:FC:ADDR:CODE, disconnect:N, garbage, "
		    "hostile:KIND[:N], refuse:S, wrap, reset, fault:stop, "
		    "maintenance, derate[:PCT], none)",
		    item);
		return -1;
	}
	if (spec->state != 0) {
		snprintf(err, errsize,
		         "fault:stop and maintenance are one state: give one");
		return -1;
	}
	spec->state = state;
	return 0;
}

/* Strips blanks at both ends, in place. */
static char *
sim_fault_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	                   end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int
sim_fault_cmp_exception(const void *a, const void *b)
{
	const struct sim_fault_exception *x = a, *y = b;

	if (x->fc != y->fc)
		return x->fc - y->fc;
	if (x->address != y->address)
		return x->address - y->address;
	return x->code - y->code;
}

int
sim_fault_parse(const char *text, struct sim_fault_spec *spec, char *err,
                size_t errsize)
{
	char buf[SIM_FAULT_SPEC_MAX], *item, *next;
	int none = 0;

	memset(spec, 0, sizeof(*spec));
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errsize, "spec longer than %zu characters",
		         sizeof(buf) - 1);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (item = buf; item != NULL; item = next) {
		next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		item = sim_fault_trim(item);
		if (*item == '\0') {
			snprintf(err, errsize, "empty fault in '%s'", text);
			return -1;
		}
		if (strcmp(item, "none") == 0)
			none = 1;
		else if (sim_fault_parse_item(item, spec, err, errsize) == -1)
			return -1;
	}
	if (none &&
	    (spec->dead || spec->slow_ms || spec->late_ms || spec->disconnect ||
	     spec->garbage || spec->hostile || spec->nexceptions ||
	     spec->refuse_s || spec->wrap || spec->reset || spec->state ||
	     spec->derate_pct)) {
		snprintf(err, errsize,
		         "none clears all faults: it combines "
		         "with no other");
		return -1;
	}
	if (spec->wrap && spec->reset) {
		snprintf(err, errsize,
		         "wrap and reset both set the counter: "
		         "give one");
		return -1;
	}
	qsort(spec->exceptions, (size_t)spec->nexceptions,
	      sizeof(spec->exceptions[0]), sim_fault_cmp_exception);
	return 0;
}

/* Appends one fault to the text of a spec, after a comma unless first. */
static void __attribute__((format(printf, 4, 5)))
sim_fault_add(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;

	if (*len > 0 && *len + 1 < size)
		buf[(*len)++] = ',';
	if (*len >= size)
		return;
	va_start(ap, fmt);
	*len += (size_t)vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
}

void
sim_fault_format(const struct sim_fault_spec *s, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	if (s->dead)
		sim_fault_add(buf, size, &len, "dead");
	if (s->slow_ms)
		sim_fault_add(buf, size, &len, "slow:%d", s->slow_ms);
	if (s->late_ms)
		sim_fault_add(buf, size, &len, "late:%d", s->late_ms);
	for (int i = 0; i < s->nexceptions; i++)
		sim_fault_add(buf, size, &len, "exception:%d:%d:%d",
		              s->exceptions[i].fc, s->exceptions[i].address,
		              s->exceptions[i].code);
	if (s->disconnect)
		sim_fault_add(buf, size, &len, "disconnect:%d", s->disconnect);
	if (s->garbage)
		sim_fault_add(buf, size, &len, "garbage");
	if (s->hostile)
		sim_fault_add(buf, size, &len, "hostile:%s:%d",
		              sim_fault_hostile_names[s->hostile],
		              s->hostile_every);
	if (s->refuse_s)
		sim_fault_add(buf, size, &len, "refuse:%d", s->refuse_s);
	if (s->wrap)
		sim_fault_add(buf, size, &len, "wrap");
	if (s->reset)
		sim_fault_add(buf, size, &len, "reset");
	if (s->state == SIM_STATE_FAULT)
		sim_fault_add(buf, size, &len, "fault:stop");
	if (s->state == SIM_STATE_MAINTENANCE)
		sim_fault_add(buf, size, &len, "maintenance");
	if (s->derate_pct)
		sim_fault_add(buf, size, &len, "derate:%d", s->derate_pct);
	if (len == 0)
		snprintf(buf, size, "none");
}

int
sim_fault_delay_ms(const struct sim_fault_spec *spec)
{
	return spec->slow_ms + spec->late_ms;
}

int
sim_fault_exception_for(const struct sim_fault_spec *spec, int fc, int address,
                        int nb, int *code)
{
	for (int i = 0; i < spec->nexceptions; i++) {
		const struct sim_fault_exception *x = &spec->exceptions[i];

		if (x->fc == fc && x->address >= address &&
		    x->address < address + nb) {
			*code = x->code;
			return 1;
		}
	}
	return 0;
}

struct sim_faults *
sim_faults_new(const struct config *c)
{
	struct sim_faults *f = xcalloc(1, sizeof(*f));

	f->config = c;
	f->e = xcalloc((size_t)c->ndevices + 1, sizeof(*f->e));
	for (int i = 0; i < c->ndevices; i++)
		atomic_init(&f->e[i].gen, 0);
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

void
sim_faults_free(struct sim_faults *f)
{
	if (f == NULL)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f->e);
	free(f);
}

/* What a device of that kind cannot have; returns 0 or -1 with err. */
static int
sim_faults_check_kind(const struct device *d, const struct sim_fault_spec *s,
                      char *err, size_t errsize)
{
	if (d->kind != DEVICE_METER)
		return 0;
	if (s->state != 0 || s->wrap || s->derate_pct) {
		snprintf(err, errsize,
		         "%s is a meter: %s applies to turbines only", d->name,
		         s->wrap ? "wrap"
		                 : s->derate_pct ? "derate" : "a production state");
		return -1;
	}
	return 0;
}

/* Sets device i's faults to *s and queues its actions. Production states
 * and counter actions take effect from the next second, a second no device
 * thread can have computed yet: the clock is read under the lock that
 * sim_faults_sync takes too. At start (initial), before any thread runs,
 * they hold from the beginning: a state for every second, an action on
 * the counter's start value. */
static void
sim_faults_set(struct sim_faults *f, int i, const struct sim_fault_spec *s,
               int initial)
{
	struct sim_faults_entry *e = &f->e[i];
	struct timespec now;
	int64_t next;

	pthread_mutex_lock(&f->lock);
	/* The device threads' clock, not time(), which may read a coarser
	 * one that lags it across a second's boundary. */
	clock_gettime(CLOCK_REALTIME, &now);
	next = initial ? INT64_MIN : (int64_t)now.tv_sec + 1;
	if (s->state != e->spec.state)
		sim_wind_override_add(&e->override, next, s->state);
	if (s->refuse_s)
		e->refuse_s = s->refuse_s;
	if (s->wrap || s->reset) {
		e->action =
		    s->wrap ? SIM_FAULT_ACTION_WRAP : SIM_FAULT_ACTION_RESET;
		e->action_at = next;
	}
	e->spec = *s;
	atomic_fetch_add(&e->gen, 1);
	pthread_mutex_unlock(&f->lock);
}

/* The device's current spec, as text. */
static void
sim_faults_current(struct sim_faults *f, int i, char *buf, size_t size)
{
	struct sim_fault_spec s;

	pthread_mutex_lock(&f->lock);
	s = f->e[i].spec;
	pthread_mutex_unlock(&f->lock);
	sim_fault_format(&s, buf, size);
}

/* Applies spec to device i if it differs from the current one; logs the
 * change. Returns 1 if it changed. */
static int
sim_faults_change(struct sim_faults *f, int i, const struct sim_fault_spec *s,
                  int initial)
{
	char old[SIM_FAULT_SPEC_MAX], new[SIM_FAULT_SPEC_MAX];

	sim_faults_current(f, i, old, sizeof(old));
	sim_fault_format(s, new, sizeof(new));
	if (strcmp(old, new) == 0)
		return 0;
	sim_faults_set(f, i, s, initial);
	log_info("ventosim: %s: faults %s -> %s", f->config->devices[i].name,
	         old, new);
	return 1;
}

int
sim_faults_option(struct sim_faults *f, const char *arg)
{
	const struct config *c = f->config;
	const char *eq = strchr(arg, '=');
	char name[DEVICE_NAME_MAX], err[256];
	const struct device *d;
	struct sim_fault_spec s;
	int i;

	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(name)) {
		fprintf(stderr, "ventosim: --fault %s: expected DEVICE=SPEC\n",
		        arg);
		return -1;
	}
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	if ((d = cfg_find_device(c, name)) == NULL) {
		fprintf(stderr, "ventosim: --fault %s: no device %s in %s\n",
		        arg, name, c->file);
		return -1;
	}
	i = (int)(d - c->devices);
	if (f->e[i].by_option) {
		fprintf(stderr,
		        "ventosim: --fault %s: %s has a --fault already; "
		        "combine its faults with commas\n",
		        arg, name);
		return -1;
	}
	if (sim_fault_parse(eq + 1, &s, err, sizeof(err)) == -1 ||
	    sim_faults_check_kind(d, &s, err, sizeof(err)) == -1) {
		fprintf(stderr, "ventosim: --fault %s: %s\n", arg, err);
		return -1;
	}
	f->e[i].by_option = 1;
	sim_faults_change(f, i, &s, 1);
	return 0;
}

/* One line of a faults file. Returns 0, or -1 after reporting it. */
static int
sim_faults_line(struct sim_faults *f, const char *path, int lineno, char *line,
                int *seen, int initial, char *changed)
{
	const struct config *c = f->config;
	const struct device *d;
	struct sim_fault_spec s;
	char err[256], *name, *spec;
	int i;

	name = line;
	spec = name + strcspn(name, " \t");
	if (*spec != '\0')
		*spec++ = '\0';
	spec = sim_fault_trim(spec);
	if ((d = cfg_find_device(c, name)) == NULL) {
		log_warn("%s:%d: no device '%s' in %s; line ignored", path,
		         lineno, name, c->file);
		return -1;
	}
	i = (int)(d - c->devices);
	if (*spec == '\0') {
		log_warn("%s:%d: %s: no fault spec (none clears); line ignored",
		         path, lineno, name);
		return -1;
	}
	if (seen[i]) {
		log_warn("%s:%d: %s was set on line %d already; line ignored",
		         path, lineno, name, seen[i]);
		return -1;
	}
	if (sim_fault_parse(spec, &s, err, sizeof(err)) == -1 ||
	    sim_faults_check_kind(d, &s, err, sizeof(err)) == -1) {
		log_warn("%s:%d: %s: %s; line ignored", path, lineno, name,
		         err);
		return -1;
	}
	seen[i] = lineno;
	if (sim_faults_change(f, i, &s, initial))
		changed[i] = 1;
	return 0;
}

int
sim_faults_load(struct sim_faults *f, const char *path, int initial,
                char *changed)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, bad = 0, *seen, saved;

	if (fp == NULL)
		return -1;
	seen = xcalloc((size_t)f->config->ndevices + 1, sizeof(*seen));
	while (getline(&line, &cap, fp) != -1) {
		char *s;

		lineno++;
		line[strcspn(line, "#")] = '\0';
		s = sim_fault_trim(line);
		if (*s == '\0')
			continue;
		if (sim_faults_line(f, path, lineno, s, seen, initial,
		                    changed) == -1)
			bad++;
	}
	saved = errno;
	if (ferror(fp)) {
		fclose(fp);
		free(line);
		free(seen);
		errno = saved;
		return -1;
	}
	fclose(fp);
	free(line);
	free(seen);
	return bad;
}

int
sim_faults_poll(struct sim_faults *f, int index, unsigned *gen,
                struct sim_fault_spec *spec, int *refuse_s)
{
	struct sim_faults_entry *e = &f->e[index];

	if (atomic_load(&e->gen) == *gen)
		return 0;
	pthread_mutex_lock(&f->lock);
	*spec = e->spec;
	*refuse_s = e->refuse_s;
	e->refuse_s = 0;
	*gen = atomic_load(&e->gen);
	pthread_mutex_unlock(&f->lock);
	return 1;
}

void
sim_faults_sync(struct sim_faults *f, int index, struct sim_wind_turbine *t,
                int n, enum sim_fault_action *action, int64_t *at)
{
	struct sim_faults_entry *e = &f->e[index];

	pthread_mutex_lock(&f->lock);
	for (int k = 0; k < n; k++) {
		const struct sim_wind_override *o = &f->e[t[k].index].override;

		if (o->gen != t[k].override.gen)
			t[k].override = *o;
		t[k].derate = f->e[t[k].index].spec.derate_pct / 100.0;
	}
	*action = e->action;
	*at = e->action_at;
	e->action = SIM_FAULT_ACTION_NONE;
	pthread_mutex_unlock(&f->lock);
}

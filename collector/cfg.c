/* cfg.c - reads vento.conf and the profiles it names. The only libconfig
 * user. Every number is range-checked, unknown keys are errors, and all
 * errors are reported with file:line before the load fails. */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "cfg.h"
#include "xmalloc.h"

#ifndef VENTO_PLUGINDIR
#define VENTO_PLUGINDIR "/usr/lib/vento/plugins"
#endif

#define CFG_MAX_DEVICES 4096
#define CFG_MAX_SIGNALS 512
#define CFG_MAX_STATES 1024

/* The state of one load: where errors go and how many there were. */
struct cfg_load {
	struct config *c;
	int errors;
};

static void __attribute__((format(printf, 4, 5)))
cfg_error_at(struct cfg_load *l, const char *file, int line, const char *fmt,
	     ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	l->errors++;
}

static const char *
cfg_file_of(const config_setting_t *s, const char *fallback)
{
	const char *f = config_setting_source_file(s);

	return f ? f : fallback;
}

#define cfg_error(l, s, file, ...)                                             \
	cfg_error_at(l, cfg_file_of(s, file),                                  \
		     (int)config_setting_source_line(s), __VA_ARGS__)

/* Reports members of group s that are not in the NULL-ended list known,
 * and s itself when it is not a group: the elements of a list or an array
 * have no names (libconfig gives NULL), "poll = ( { ... } );" must be an
 * error, not a crash. */
static void
cfg_check_keys(struct cfg_load *l, const config_setting_t *s,
	       const char *file, const char *const *known)
{
	int n = config_setting_length(s);

	if (!config_setting_is_group(s)) {
		cfg_error(l, s, file, "%s must be a group { ... }",
			  config_setting_name(s) ? config_setting_name(s)
						 : "this");
		return;
	}

	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(m);
		int ok = 0;

		for (const char *const *k = known; *k && !ok; k++)
			ok = strcmp(*k, name) == 0;
		if (!ok)
			cfg_error(l, m, file, "unknown key '%s'", name);
	}
}

/* Reads an optional number member into *out, checked against lo..hi.
 * Returns 1 when present and valid, 0 when absent, -1 on error. */
static int
cfg_number(struct cfg_load *l, const config_setting_t *g, const char *file,
	   const char *key, double lo, double hi, double *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	double v;

	if (s == NULL)
		return 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	default:
		cfg_error(l, s, file, "%s: expected a number", key);
		return -1;
	}
	if (!(v >= lo && v <= hi)) {
		cfg_error(l, s, file, "%s %g out of range %g..%g", key, v, lo,
			  hi);
		return -1;
	}
	*out = v;
	return 1;
}

static int
cfg_int(struct cfg_load *l, const config_setting_t *g, const char *file,
	const char *key, int lo, int hi, int *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	double v;
	int r;

	if (s && config_setting_type(s) == CONFIG_TYPE_FLOAT) {
		cfg_error(l, s, file, "%s: expected a whole number", key);
		return -1;
	}
	r = cfg_number(l, g, file, key, lo, hi, &v);
	if (r == 1)
		*out = (int)v;
	return r;
}

/* Reads an optional string member into a buffer of size n. */
static int
cfg_string(struct cfg_load *l, const config_setting_t *g, const char *file,
	   const char *key, char *buf, size_t n)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	const char *v;

	if (s == NULL)
		return 0;
	v = config_setting_get_string(s);
	if (v == NULL) {
		cfg_error(l, s, file, "%s: expected a string", key);
		return -1;
	}
	if (strlen(v) >= n) {
		cfg_error(l, s, file, "%s: longer than %zu characters", key,
			  n - 1);
		return -1;
	}
	memcpy(buf, v, strlen(v) + 1);
	return 1;
}

/* Signal names become column names, so they must be plain identifiers. */
static int
cfg_is_identifier(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return 0;
	return 1;
}

static void __attribute__((format(printf, 4, 5)))
cfg_warn(const char *file, const config_setting_t *s, const char *name,
	 const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: warning: signal '%s': ", file,
		(int)config_setting_source_line(s), name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A signal's function code and register number, as most documentation
 * writes them: fc, and the address counted from the profile's base. An
 * address that looks like a Modicon one (4xxxx with fc 3, 3xxxx with fc 4)
 * is taken as written but explained, since reading holding register 40001
 * where register 1 was meant is a mistake nothing else would show. */
static void
cfg_register_address(struct cfg_load *l, const struct profile *p,
		     const config_setting_t *s, struct signal *sig)
{
	const char *file = p->file;
	int address = -1;

	cfg_int(l, s, file, "fc", 1, 4, &sig->fc);
	if (cfg_int(l, s, file, "address", 0, 65536, &address) != 1) {
		if (config_setting_get_member(s, "address") == NULL)
			cfg_error(l, s, file, "signal '%s' has no address",
				  sig->name);
		return;
	}
	if (address - p->address_base < 0 || address - p->address_base > 65535) {
		cfg_error(l, config_setting_get_member(s, "address"), file,
			  "address %d out of range %d..%d for a %d-based "
			  "profile",
			  address, p->address_base, 65535 + p->address_base,
			  p->address_base);
		return;
	}
	sig->address = address - p->address_base;
	if ((sig->fc == FC_HOLDING_REGISTERS && address > 40000 &&
	     address < 50000) ||
	    (sig->fc == FC_INPUT_REGISTERS && address > 30000 && address < 40000))
		cfg_warn(file, config_setting_get_member(s, "address"),
			 sig->name,
			 "address %d reads %s register %d, not %d: if the "
			 "vendor writes Modicon addresses, say addressing = "
			 "\"modicon\" in the profile",
			 address,
			 sig->fc == FC_HOLDING_REGISTERS ? "holding" : "input",
			 address, address % 10000);
}

/* A Modicon address names the table and the register (from 1) in one
 * number: 0xxxx coils, 1xxxx discrete inputs, 3xxxx input registers,
 * 4xxxx holding registers, or six digits (4xxxxx) for registers past
 * 9999. The function code follows from it, so a signal gives none. */
static void
cfg_modicon_address(struct cfg_load *l, const struct profile *p,
		    const config_setting_t *s, struct signal *sig)
{
	static const int fc_of_table[] = {
		FC_COILS, FC_DISCRETE_INPUTS, 0, FC_INPUT_REGISTERS,
		FC_HOLDING_REGISTERS,
	};
	const char *file = p->file;
	int address, table, reg;

	if (config_setting_get_member(s, "fc"))
		cfg_error(l, config_setting_get_member(s, "fc"), file,
			  "signal '%s': a Modicon address implies the function "
			  "code: remove fc",
			  sig->name);
	if (cfg_int(l, s, file, "address", 1, 465536, &address) != 1) {
		if (config_setting_get_member(s, "address") == NULL)
			cfg_error(l, s, file, "signal '%s' has no address",
				  sig->name);
		return;
	}
	table = address < 100000 ? address / 10000 : address / 100000;
	reg = address < 100000 ? address % 10000 : address % 100000;
	if (table > 4 || fc_of_table[table] == 0 || reg < 1 || reg > 65536) {
		cfg_error(l, config_setting_get_member(s, "address"), file,
			  "signal '%s': %d is not a Modicon address (0xxxx "
			  "coils, 1xxxx discrete inputs, 3xxxx input registers, "
			  "4xxxx holding registers, counted from 1)",
			  sig->name, address);
		return;
	}
	sig->fc = fc_of_table[table];
	sig->address = reg - 1;
}

/* Reads an optional boolean key into *v. Returns 1 when it is there and
 * a boolean, else 0 (after an error when it is there but not one). */
static int
cfg_bool(struct cfg_load *l, const config_setting_t *g, const char *file,
	 const char *key, int *v)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cfg_error(l, s, file, "%s: expected true or false", key);
		return 0;
	}
	*v = config_setting_get_bool(s);
	return 1;
}

static const char *const cfg_signal_keys[] = {
	"name", "fc", "address", "type", "order", "bit", "scale", "offset",
	"unit", "class", "derived", "custom", NULL,
};

static void
cfg_parse_signal(struct cfg_load *l, struct profile *p,
		 const config_setting_t *s, enum regval_order default_order,
		 struct signal *sig)
{
	const char *file = p->file;
	char buf[32];

	memset(sig, 0, sizeof(*sig));
	sig->line = (int)config_setting_source_line(s);
	sig->scale = 1.0;
	sig->order = default_order;
	sig->fc = FC_INPUT_REGISTERS;
	sig->type = RV_U16;
	sig->address = -1; /* until a valid one is read: no overlap checks */
	if (!config_setting_is_group(s)) {
		cfg_error(l, s, file, "a signal must be a group { ... }");
		return;
	}
	cfg_check_keys(l, s, file, cfg_signal_keys);
	if (cfg_string(l, s, file, "name", sig->name, sizeof(sig->name)) != 1) {
		cfg_error(l, s, file, "signal without a name");
	} else if (!cfg_is_identifier(sig->name)) {
		cfg_error(l, s, file,
			  "signal name '%s' is not lower case letters, "
			  "digits and _",
			  sig->name);
	} else if (cfg_bool(l, s, file, "custom", &sig->custom) &&
		   sig->custom) {
		/* A site's own signal: its x_ prefix keeps it clear of the
		 * names a later version may add to the catalogue. */
		if (strncmp(sig->name, "x_", 2) != 0 || strlen(sig->name) < 3 ||
		    strlen(sig->name) > 47)
			cfg_error(l, s, file,
				  "custom signal '%s': a custom name is x_ "
				  "then lower case letters, digits and _ "
				  "(x_oil_pressure)",
				  sig->name);
	} else if (catalogue_find(sig->name) == NULL) {
		/* Caught here, not when the writer first meets the missing
		 * column and can store nothing of the device. */
		cfg_error(l, s, file,
			  "signal '%s' is not one this version stores (did "
			  "you mean '%s'?); `ventoctl signals` lists them, "
			  "and a site's own signal is named x_... and marked "
			  "custom = true",
			  sig->name, catalogue_closest(sig->name));
	}
	if (config_setting_get_member(s, "derived")) {
		const config_setting_t *d = config_setting_get_member(s, "derived");

		if (config_setting_type(d) != CONFIG_TYPE_BOOL ||
		    !config_setting_get_bool(d)) {
			cfg_error(l, d, file, "derived: expected true");
		} else if (p->plugin[0] == '\0') {
			cfg_error(l, d, file,
				  "signal '%s' is derived, but the profile "
				  "names no plugin to derive it",
				  sig->name);
		} else if (config_setting_length(s) > 3 ||
			   config_setting_get_member(s, "address")) {
			cfg_error(l, s, file,
				  "derived signal '%s' takes only name, "
				  "derived and unit",
				  sig->name);
		}
		sig->fc = 0; /* not read: the plugin sets it */
		sig->type = RV_F64;
		cfg_string(l, s, file, "unit", sig->unit, sizeof(sig->unit));
		return;
	}
	if (p->modicon)
		cfg_modicon_address(l, p, s, sig);
	else
		cfg_register_address(l, p, s, sig);
	if (cfg_string(l, s, file, "type", buf, sizeof(buf)) == 1) {
		int t = regval_type_parse(buf);

		if (t == -1)
			cfg_error(l, config_setting_get_member(s, "type"), file,
				  "unknown type '%s' (bit u16 i16 u32 i32 u64 "
				  "i64 f32 f64)",
				  buf);
		else
			sig->type = (enum regval_type)t;
	} else if (sig->fc <= FC_DISCRETE_INPUTS) {
		sig->type = RV_BIT;
	}
	if (cfg_string(l, s, file, "order", buf, sizeof(buf)) == 1) {
		int o = regval_order_parse(buf);

		if (o == -1)
			cfg_error(l, config_setting_get_member(s, "order"),
				  file,
				  "unknown word order '%s' (ABCD BADC CDAB "
				  "DCBA)",
				  buf);
		else
			sig->order = (enum regval_order)o;
	}
	cfg_int(l, s, file, "bit", 0, 15, &sig->bit);
	if (sig->fc <= FC_DISCRETE_INPUTS && sig->type != RV_BIT)
		cfg_error(l, s, file,
			  "signal '%s': function code %d reads bits, so its "
			  "type must be bit",
			  sig->name, sig->fc);
	if (sig->fc <= FC_DISCRETE_INPUTS && sig->bit != 0)
		cfg_error(l, s, file,
			  "signal '%s': 'bit' applies to registers only",
			  sig->name);
	cfg_number(l, s, file, "scale", -1e9, 1e9, &sig->scale);
	if (sig->scale == 0.0)
		cfg_error(l, s, file, "signal '%s': scale must not be 0",
			  sig->name);
	cfg_number(l, s, file, "offset", -1e9, 1e9, &sig->offset);
	cfg_string(l, s, file, "unit", sig->unit, sizeof(sig->unit));
	if (cfg_string(l, s, file, "class", buf, sizeof(buf)) == 1) {
		if (strcmp(buf, "fast") == 0)
			sig->poll_class = CLASS_FAST;
		else if (strcmp(buf, "slow") == 0)
			sig->poll_class = CLASS_SLOW;
		else
			cfg_error(l, config_setting_get_member(s, "class"),
				  file, "class '%s' is neither fast nor slow",
				  buf);
	}
	if (sig->address + profile_signal_width(sig) - 1 > 65535)
		cfg_error(l, s, file, "signal '%s' runs past address 65535",
			  sig->name);
}

/* Two signals overlap when they share a register of the same table, unless
 * both are single bits of it at different positions. */
static int
cfg_signals_overlap(const struct signal *a, const struct signal *b)
{
	int a_end = a->address + profile_signal_width(a);
	int b_end = b->address + profile_signal_width(b);

	if (a->address < 0 || b->address < 0)
		return 0;
	if (a->fc != b->fc || a->address >= b_end || b->address >= a_end)
		return 0;
	if (a->type == RV_BIT && b->type == RV_BIT && a->fc >= 3)
		return a->bit == b->bit;
	return 1;
}

static void
cfg_check_profile(struct cfg_load *l, const struct profile *p)
{
	for (int i = 0; i < p->nsignals; i++) {
		const struct signal *a = &p->signals[i];

		for (int j = 0; j < i; j++) {
			const struct signal *b = &p->signals[j];

			if (a->name[0] && strcmp(a->name, b->name) == 0)
				cfg_error_at(l, p->file, a->line,
					     "duplicate signal '%s' (first at "
					     "line %d)",
					     a->name, b->line);
			else if (cfg_signals_overlap(a, b))
				cfg_error_at(l, p->file, a->line,
					     "signal '%s' overlaps '%s' (line "
					     "%d)",
					     a->name, b->name, b->line);
		}
	}
}

static const char *const cfg_state_keys[] = {
	"code", "name", "category", NULL,
};

/* Parses the profile's states = ( { code; name; category; }, ... ): the
 * controller's state codes with their IEC 61400-26 categories, as the
 * schema names them. */
static void
cfg_parse_states(struct cfg_load *l, struct profile *p,
		 const config_setting_t *states)
{
	const char *file = p->file;
	int n = config_setting_length(states);

	if (!config_setting_is_list(states) || n > CFG_MAX_STATES) {
		cfg_error(l, states, file,
			  "states must be a list ( { code = N; name = \"...\"; "
			  "category = \"...\"; }, ... ) of at most %d",
			  CFG_MAX_STATES);
		return;
	}
	p->states = xcalloc((size_t)n + 1, sizeof(*p->states));
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(states,
								    (unsigned)i);
		struct profile_state *st = &p->states[p->nstates];
		long long code;
		char category[64];
		int c;

		if (!config_setting_is_group(e)) {
			cfg_error(l, e, file, "a state must be a group { ... }");
			continue;
		}
		cfg_check_keys(l, e, file, cfg_state_keys);
		if (config_setting_lookup_int64(e, "code", &code) ==
		    CONFIG_FALSE) {
			cfg_error(l, e, file, "state without a whole-number code");
			continue;
		}
		st->code = code;
		if (cfg_string(l, e, file, "name", st->name,
			       sizeof(st->name)) != 1 ||
		    st->name[0] == '\0') {
			cfg_error(l, e, file, "state %lld without a name", code);
			continue;
		}
		if (cfg_string(l, e, file, "category", category,
			       sizeof(category)) != 1) {
			cfg_error(l, e, file, "state %lld without a category "
				  "(an IEC 61400-26 category, such as "
				  "\"full performance\" or \"forced outage\")",
				  code);
			continue;
		}
		c = profile_category_parse(category);
		if (c == -1) {
			cfg_error(l, config_setting_get_member(e, "category"),
				  file, "state %lld: unknown category '%s' (one "
				  "of: full performance, partial performance, "
				  "technical standby, out of environmental "
				  "specification, requested shutdown, out of "
				  "electrical specification, scheduled "
				  "maintenance, planned corrective action, "
				  "forced outage, suspended, force majeure, "
				  "information unavailable)", code, category);
			continue;
		}
		st->category = (enum vento_iec_category)c;
		for (int j = 0; j < p->nstates; j++)
			if (p->states[j].code == st->code)
				cfg_error(l, e, file, "state %lld declared twice",
					  code);
		p->nstates++;
	}
}

static const char *const cfg_profile_keys[] = {
	"name", "model", "plugin", "rated_kw", "address_base", "addressing",
	"word_order", "signals", "states", "curve_air_density", NULL,
};

/* Loads profile `name` from dir into p. Returns 0, or -1 on any error. */
static int
cfg_load_profile(struct cfg_load *l, const char *dir, const char *name,
		 struct profile *p)
{
	config_t lc;
	config_setting_t *root, *signals;
	char path[4096], buf[16];
	enum regval_order order = RV_ABCD;
	int errors = l->errors, n;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s.conf", dir, name);
	p->file = xstrdup(path);
	config_init(&lc);
	if (config_read_file(&lc, path) == CONFIG_FALSE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			cfg_error_at(l, path, 0, "cannot read profile: %s",
				     strerror(errno));
		else
			cfg_error_at(l, config_error_file(&lc) ? config_error_file(&lc) : path,
				     config_error_line(&lc), "%s",
				     config_error_text(&lc));
		config_destroy(&lc);
		return -1;
	}
	root = config_root_setting(&lc);
	cfg_check_keys(l, root, path, cfg_profile_keys);
	cfg_string(l, root, path, "model", p->model, sizeof(p->model));
	cfg_string(l, root, path, "plugin", p->plugin, sizeof(p->plugin));
	cfg_number(l, root, path, "rated_kw", 0, 1e6, &p->rated_kw);
	/* IEC 61400-12-1 states a reference curve at sea-level standard air
	 * unless its maker says otherwise. The range is air on Earth's
	 * surface, from hot high plateaus to cold sea level. */
	p->curve_air_density = 1.225;
	cfg_number(l, root, path, "curve_air_density", 0.9, 1.4,
		   &p->curve_air_density);
	if (p->plugin[0] &&
	    strspn(p->plugin, "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    strlen(p->plugin))
		cfg_error(l, config_setting_get_member(root, "plugin"), path,
			  "bad plugin name '%s'", p->plugin);
	if (cfg_string(l, root, path, "addressing", buf, sizeof(buf)) == 1) {
		if (strcmp(buf, "modicon") == 0)
			p->modicon = 1;
		else if (strcmp(buf, "register") != 0)
			cfg_error(l, config_setting_get_member(root, "addressing"),
				  path, "addressing '%s' is neither register "
				  "(fc and register number) nor modicon (40001)",
				  buf);
	}
	if (p->modicon) {
		/* Modicon addresses count from 1; a base said must agree. */
		p->address_base = 1;
		cfg_int(l, root, path, "address_base", 1, 1, &p->address_base);
	} else if (cfg_int(l, root, path, "address_base", 0, 1,
			   &p->address_base) == 0) {
		cfg_error_at(l, path, 1,
			     "address_base missing: say whether the vendor's "
			     "addresses count from 0 or 1");
	}
	if (cfg_string(l, root, path, "word_order", buf, sizeof(buf)) == 1) {
		int o = regval_order_parse(buf);

		if (o == -1)
			cfg_error(l, config_setting_get_member(root, "word_order"),
				  path, "unknown word order '%s'", buf);
		else
			order = (enum regval_order)o;
	}
	signals = config_setting_get_member(root, "signals");
	if (signals == NULL || !config_setting_is_list(signals)) {
		cfg_error_at(l, path, signals ? (int)config_setting_source_line(signals) : 1,
			     "signals must be a list ( { ... }, ... )");
		config_destroy(&lc);
		return -1;
	}
	n = config_setting_length(signals);
	if (n == 0 || n > CFG_MAX_SIGNALS)
		cfg_error(l, signals, path, "%d signals, expected 1..%d", n,
			  CFG_MAX_SIGNALS);
	p->signals = xcalloc((size_t)n, sizeof(*p->signals));
	for (int i = 0; i < n && n <= CFG_MAX_SIGNALS; i++)
		cfg_parse_signal(l, p,
				 config_setting_get_elem(signals, (unsigned)i),
				 order, &p->signals[p->nsignals++]);
	if (config_setting_get_member(root, "states"))
		cfg_parse_states(l, p, config_setting_get_member(root, "states"));
	cfg_check_profile(l, p);
	config_destroy(&lc);
	return l->errors > errors ? -1 : 0;
}

/* Returns the profile called name, loading it on first use, or NULL. */
static const struct profile *
cfg_profile(struct cfg_load *l, const char *dir, const char *name,
	    const config_setting_t *where, const char *file)
{
	struct config *c = l->c;
	struct profile *p;

	for (int i = 0; i < c->nprofiles; i++)
		if (strcmp(c->profiles[i]->name, name) == 0)
			return c->profiles[i]->signals ? c->profiles[i] : NULL;
	if (!cfg_is_identifier(name) && strchr(name, '-') == NULL) {
		cfg_error(l, where, file, "bad profile name '%s'", name);
		return NULL;
	}
	c->profiles = xreallocarray(c->profiles, (size_t)c->nprofiles + 1,
				    sizeof(*c->profiles));
	p = c->profiles[c->nprofiles++] = xcalloc(1, sizeof(*p));
	if (cfg_load_profile(l, dir, name, p) == -1) {
		cfg_error(l, where, file, "profile '%s' is not usable", name);
		free(p->signals);
		p->signals = NULL;
		return NULL;
	}
	return p;
}

static const char *const cfg_group_keys[] = {
	"name", "kind", "profile", "host", "port", "serial", "unit", "list",
	NULL,
};

/* Whether s is valid UTF-8 (shortest forms, no surrogates, at most
 * U+10FFFF) with no control character: what PostgreSQL's UTF8 encoding
 * accepts and a log line can show. */
static int
cfg_is_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p;
		int n;
		unsigned cp, min;

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07, min = 0x10000;
		else
			return 0;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* Copies s into out with bytes that are not printable ASCII as \xNN, for
 * an error message about them. */
static void
cfg_escape(const char *s, char *out, size_t size)
{
	size_t len = 0;

	for (const unsigned char *p = (const unsigned char *)s;
	     *p && len + 5 < size; p++) {
		if (*p >= 0x20 && *p < 0x7f)
			out[len++] = (char)*p;
		else
			len += (size_t)snprintf(out + len, size - len, "\\x%02x", *p);
	}
	out[len] = '\0';
}

/* 1 when a and b are reached over one connection. */
static int
cfg_same_link(const struct device *a, const struct device *b)
{
	if (cfg_device_is_serial(a) || cfg_device_is_serial(b))
		return strcmp(a->serial.path, b->serial.path) == 0;
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

/* The link's name for messages: "10.0.0.5 port 502" or "/dev/ttyUSB0". */
static const char *
cfg_link_name(const struct device *d, char *buf, size_t size)
{
	if (cfg_device_is_serial(d))
		return d->serial.path;
	snprintf(buf, size, "%s port %d", d->host, d->port);
	return buf;
}

/* Numbers the links: devices on one connection share its index, in the
 * order they first appear. Two devices on one serial line must agree on
 * its settings. */
static void
cfg_assign_links(struct cfg_load *l, const char *file)
{
	struct config *c = l->c;

	c->nlinks = 0;
	for (int i = 0; i < c->ndevices; i++) {
		struct device *d = &c->devices[i];
		int j;

		for (j = 0; j < i; j++)
			if (cfg_same_link(&c->devices[j], d))
				break;
		if (j == i) {
			d->link = c->nlinks++;
			continue;
		}
		d->link = c->devices[j].link;
		if (cfg_device_is_serial(d) &&
		    (d->serial.baud != c->devices[j].serial.baud ||
		     d->serial.parity != c->devices[j].serial.parity ||
		     d->serial.data_bits != c->devices[j].serial.data_bits ||
		     d->serial.stop_bits != c->devices[j].serial.stop_bits))
			cfg_error_at(l, file, d->line,
				     "device '%s': serial line %s has other "
				     "settings for device '%s' (line %d)",
				     d->name, d->serial.path,
				     c->devices[j].name, c->devices[j].line);
	}
}

static const char *const cfg_serial_keys[] = {
	"device", "baud", "parity", "data_bits", "stop_bits", NULL,
};

/* serial = { device = "/dev/ttyUSB0"; baud = 19200; parity = "even";
 * data_bits = 8; stop_bits = 1; }: Modbus RTU's usual 19200 8E1 where
 * not said. */
static void
cfg_parse_serial(struct cfg_load *l, const config_setting_t *g,
		 const char *file, struct serial_line *line)
{
	char parity[8];

	line->baud = 19200;
	line->parity = 'E';
	line->data_bits = 8;
	line->stop_bits = 1;
	if (!config_setting_is_group(g)) {
		cfg_error(l, g, file, "serial must be a group { device = ...; }");
		return;
	}
	cfg_check_keys(l, g, file, cfg_serial_keys);
	if (cfg_string(l, g, file, "device", line->path, sizeof(line->path)) != 1 ||
	    line->path[0] != '/')
		cfg_error(l, g, file, "serial: device must be the path of a "
			  "tty, such as \"/dev/ttyUSB0\"");
	cfg_int(l, g, file, "baud", 300, 921600, &line->baud);
	if (cfg_string(l, g, file, "parity", parity, sizeof(parity)) == 1) {
		if (strcmp(parity, "none") == 0)
			line->parity = 'N';
		else if (strcmp(parity, "even") == 0)
			line->parity = 'E';
		else if (strcmp(parity, "odd") == 0)
			line->parity = 'O';
		else
			cfg_error(l, config_setting_get_member(g, "parity"),
				  file, "parity '%s' is none, even or odd",
				  parity);
	}
	cfg_int(l, g, file, "data_bits", 7, 8, &line->data_bits);
	cfg_int(l, g, file, "stop_bits", 1, 2, &line->stop_bits);
}

static void
cfg_add_device(struct cfg_load *l, const struct device *d,
	       const config_setting_t *where, const char *file)
{
	struct config *c = l->c;
	char link[128];

	if (d->name[0] == '\0') {
		cfg_error(l, where, file, "device without a name");
		return;
	}
	if (!cfg_is_text(d->name)) {
		char shown[4 * DEVICE_NAME_MAX];

		cfg_escape(d->name, shown, sizeof(shown));
		cfg_error(l, where, file,
			  "device name '%s' is not valid UTF-8 text (the "
			  "database stores names as UTF-8)",
			  shown);
		return;
	}
	for (int i = 0; i < c->ndevices; i++)
		if (strcmp(c->devices[i].name, d->name) == 0) {
			cfg_error(l, where, file,
				  "duplicate device '%s' (first at line %d)",
				  d->name, c->devices[i].line);
			return;
		}
	/* Two devices answering to one unit on one connection would store
	 * one device's values as both. */
	for (int i = 0; i < c->ndevices; i++)
		if (cfg_same_link(&c->devices[i], d) &&
		    c->devices[i].unit == d->unit) {
			cfg_error(l, where, file,
				  "device '%s': unit %d on %s is device '%s' "
				  "already (line %d)",
				  d->name, d->unit,
				  cfg_link_name(d, link, sizeof(link)),
				  c->devices[i].name, c->devices[i].line);
			return;
		}
	if (cfg_device_is_serial(d)) {
		if (d->host[0] || d->port)
			cfg_error(l, where, file,
				  "device '%s': a serial device has no host or "
				  "port", d->name);
	} else {
		if (d->port == 0)
			cfg_error(l, where, file, "device '%s' has no port",
				  d->name);
		if (d->host[0] == '\0')
			cfg_error(l, where, file, "device '%s' has no host",
				  d->name);
	}
	if (c->ndevices >= CFG_MAX_DEVICES) {
		cfg_error(l, where, file, "more than %d devices",
			  CFG_MAX_DEVICES);
		return;
	}
	c->devices = xreallocarray(c->devices, (size_t)c->ndevices + 1,
				   sizeof(*c->devices));
	c->devices[c->ndevices++] = *d;
}

/* One element of a group's list: ("name", "host", port, unit), where all but
 * the name may be left off and then come from the group. */
/* The unit id at element k of a list entry, into d->unit. */
static void
cfg_list_unit(struct cfg_load *l, const config_setting_t *e, int k,
	      const char *file, struct device *d)
{
	const config_setting_t *u = config_setting_get_elem(e, (unsigned)k);
	int unit = config_setting_get_int(u);

	if (config_setting_type(u) != CONFIG_TYPE_INT || unit < 0 || unit > 255)
		cfg_error(l, e, file, "device '%s': unit id out of range 0..255",
			  d->name);
	else
		d->unit = unit;
}

static void
cfg_parse_list_entry(struct cfg_load *l, const config_setting_t *e,
		     const char *file, struct device d)
{
	int n = config_setting_length(e);
	const char *s;

	d.line = (int)config_setting_source_line(e);
	if (config_setting_type(e) == CONFIG_TYPE_STRING) {
		n = 1;
		s = config_setting_get_string(e);
	} else if (config_setting_is_list(e) && n >= 1 && n <= 4) {
		s = config_setting_get_string_elem(e, 0);
	} else {
		cfg_error(l, e, file,
			  "expected (\"name\", \"host\", port, unit), "
			  "(\"name\", unit) or \"name\"");
		return;
	}
	if (s == NULL || strlen(s) >= sizeof(d.name)) {
		cfg_error(l, e, file, "device name must be a string of at most "
				      "%zu characters",
			  sizeof(d.name) - 1);
		return;
	}
	snprintf(d.name, sizeof(d.name), "%s", s);
	if (n == 2 && config_setting_type(config_setting_get_elem(e, 1)) ==
			      CONFIG_TYPE_INT) {
		/* ("name", unit): a unit behind the group's link. */
		cfg_list_unit(l, e, 1, file, &d);
		cfg_add_device(l, &d, e, file);
		return;
	}
	if (n >= 2 && cfg_device_is_serial(&d)) {
		cfg_error(l, e, file, "device '%s': on a serial line, an entry "
			  "is (\"name\", unit)", d.name);
		return;
	}
	if (n >= 2) {
		s = config_setting_get_string_elem(e, 1);
		if (s == NULL || strlen(s) >= sizeof(d.host))
			cfg_error(l, e, file, "device '%s': bad host", d.name);
		else
			snprintf(d.host, sizeof(d.host), "%s", s);
	}
	if (n >= 3) {
		const config_setting_t *p = config_setting_get_elem(e, 2);
		int port = config_setting_get_int(p);

		if (config_setting_type(p) != CONFIG_TYPE_INT || port < 1 ||
		    port > 65535)
			cfg_error(l, e, file,
				  "device '%s': port out of range 1..65535",
				  d.name);
		else
			d.port = port;
	}
	if (n >= 4)
		cfg_list_unit(l, e, 3, file, &d);
	cfg_add_device(l, &d, e, file);
}

static void
cfg_parse_group(struct cfg_load *l, const config_setting_t *g,
		const char *file, const char *profile_dir)
{
	struct device d;
	char buf[PROFILE_NAME_MAX];
	const config_setting_t *list;

	memset(&d, 0, sizeof(d));
	d.unit = 1;
	d.line = (int)config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		cfg_error(l, g, file, "a device group must be { ... }");
		return;
	}
	cfg_check_keys(l, g, file, cfg_group_keys);
	if (cfg_string(l, g, file, "kind", buf, sizeof(buf)) == 1) {
		if (strcmp(buf, "turbine") == 0)
			d.kind = DEVICE_TURBINE;
		else if (strcmp(buf, "meter") == 0)
			d.kind = DEVICE_METER;
		else
			cfg_error(l, config_setting_get_member(g, "kind"), file,
				  "kind '%s' is neither turbine nor meter",
				  buf);
	}
	if (cfg_string(l, g, file, "profile", buf, sizeof(buf)) != 1)
		cfg_error(l, g, file, "device group without a profile");
	else
		d.profile = cfg_profile(l, profile_dir, buf,
					config_setting_get_member(g, "profile"),
					file);
	cfg_string(l, g, file, "host", d.host, sizeof(d.host));
	cfg_int(l, g, file, "port", 1, 65535, &d.port);
	if (config_setting_get_member(g, "serial"))
		cfg_parse_serial(l, config_setting_get_member(g, "serial"),
				 file, &d.serial);
	cfg_int(l, g, file, "unit", 0, 255, &d.unit);
	list = config_setting_get_member(g, "list");
	if (config_setting_get_member(g, "name")) {
		if (list)
			cfg_error(l, g, file,
				  "a device group has a name or a list, not "
				  "both");
		if (cfg_string(l, g, file, "name", d.name, sizeof(d.name)) == 1)
			cfg_add_device(l, &d, g, file);
	} else if (list && config_setting_is_list(list)) {
		int n = config_setting_length(list);

		for (int i = 0; i < n; i++)
			cfg_parse_list_entry(
				l, config_setting_get_elem(list, (unsigned)i),
				file, d);
	} else {
		cfg_error(l, g, file,
			  "a device group needs a name or a list ( ... )");
	}
}

/* Gives every signal its column: signals of the same name share one. */
static void
cfg_assign_columns(struct config *c)
{
	for (int p = 0; p < c->nprofiles; p++) {
		struct profile *pr = c->profiles[p];

		for (int i = 0; i < pr->nsignals && pr->signals; i++) {
			struct signal *s = &pr->signals[i];
			int col = 0;

			while (col < c->ncolumns &&
			       strcmp(c->columns[col], s->name) != 0)
				col++;
			if (col == c->ncolumns) {
				c->columns = xreallocarray(
					c->columns, (size_t)c->ncolumns + 1,
					sizeof(*c->columns));
				memcpy(c->columns[c->ncolumns++], s->name,
				       sizeof(s->name));
			}
			s->column = col;
		}
	}
}

static const double cfg_default_shares[12] = {
	6.8, 5.3, 5.1, 5.5, 7.6, 9.1, 10.8, 11.9, 11.3, 10.4, 8.6, 7.6,
};

static const char *const cfg_projection_keys[] = {
	"annual_gwh", "monthly_share", "time_zone", NULL,
};

static void
cfg_parse_projection(struct cfg_load *l, const config_setting_t *g,
		     const char *file)
{
	struct projection *p = &l->c->projection;
	const config_setting_t *m;
	double sum = 0;

	cfg_check_keys(l, g, file, cfg_projection_keys);
	cfg_number(l, g, file, "annual_gwh", 0.001, 1e6, &p->annual_gwh);
	cfg_string(l, g, file, "time_zone", p->time_zone,
		   sizeof(p->time_zone));
	m = config_setting_get_member(g, "monthly_share");
	if (m == NULL)
		return;
	if (!config_setting_is_array(m) || config_setting_length(m) != 12) {
		cfg_error(l, m, file,
			  "monthly_share must be an array of 12 numbers");
		return;
	}
	for (int i = 0; i < 12; i++) {
		const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
		double v = config_setting_type(e) == CONFIG_TYPE_FLOAT
				   ? config_setting_get_float(e)
				   : config_setting_get_int(e);

		if (v < 0 || v > 100)
			cfg_error(l, e, file, "monthly share %g out of range "
					      "0..100",
				  v);
		p->monthly_share[i] = v;
		sum += v;
	}
	if (sum < 99.5 || sum > 100.5)
		cfg_error(l, m, file, "monthly shares add up to %g, not 100",
			  sum);
}

static const char *const cfg_farm_keys[] = {
	"code", "name", "publish_raw", NULL,
};

/* A farm code leads every key at a fleet and names its subscription, so
 * it is short, upper case and plain: a letter, then letters or digits. */
static int
cfg_is_farm_code(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > FARM_CODE_MAX || !(*s >= 'A' && *s <= 'Z'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

static void
cfg_parse_farm(struct cfg_load *l, const config_setting_t *g,
	       const char *file)
{
	struct farm *f = &l->c->farm;
	const config_setting_t *m;
	char code[64];

	if (!config_setting_is_group(g)) {
		cfg_error(l, g, file, "farm must be a group { code = ...; }");
		return;
	}
	f->line = (int)config_setting_source_line(g);
	cfg_check_keys(l, g, file, cfg_farm_keys);
	if (cfg_string(l, g, file, "code", code, sizeof(code)) == 1) {
		if (!cfg_is_farm_code(code))
			cfg_error(l, config_setting_get_member(g, "code"), file,
				  "farm code '%s': expected 2 to %d upper-case "
				  "letters or digits, starting with a letter",
				  code, FARM_CODE_MAX);
		else
			memcpy(f->code, code, strlen(code) + 1);
	} else if (config_setting_get_member(g, "code") == NULL) {
		cfg_error(l, g, file, "farm without a code");
	}
	cfg_string(l, g, file, "name", f->name, sizeof(f->name));
	if ((m = config_setting_get_member(g, "publish_raw")) != NULL) {
		if (config_setting_type(m) != CONFIG_TYPE_BOOL)
			cfg_error(l, m, file, "publish_raw: expected true or "
					      "false");
		else
			f->publish_raw = config_setting_get_bool(m);
	}
}

static const char *const cfg_root_keys[] = {
	"database", "state_dir", "spool_max_mb", "poll", "profile_dir",
	"plugin_dir", "devices", "projection", "site", "farm", NULL,
};
static const char *const cfg_site_keys[] = {
	"air_density", NULL,
};
static const char *const cfg_database_keys[] = {
	"conninfo", "ctl_conninfo", "retention_days", NULL,
};
static const char *const cfg_poll_keys[] = {
	"interval", "slow_interval", "timeout", "max_gap", NULL,
};

/* Resolves a path given in the configuration against its directory. */
static char *
cfg_path(const char *conf_file, const char *p)
{
	const char *slash = strrchr(conf_file, '/');
	size_t dirlen = slash ? (size_t)(slash - conf_file) : 1;
	char *out;

	if (p[0] == '/')
		return xstrdup(p);
	out = xmalloc(dirlen + strlen(p) + 2);
	sprintf(out, "%.*s/%s", (int)dirlen, slash ? conf_file : ".", p);
	return out;
}

/* What a configuration says when it says nothing. */
static void
cfg_defaults(struct config *c, const char *path)
{
	c->file = xstrdup(path);
	c->poll_interval = 1.0;
	c->slow_interval = 60.0;
	c->timeout = 0.5;
	c->max_gap = 8;
	c->retention_days = 90;
	c->projection.annual_gwh = 720.0;
	memcpy(c->projection.monthly_share, cfg_default_shares,
	       sizeof(cfg_default_shares));
	snprintf(c->projection.time_zone, sizeof(c->projection.time_zone),
		 "America/Bahia");
	/* A configuration from before farms had codes is one farm's. */
	snprintf(c->farm.code, sizeof(c->farm.code), "FARM");
}

struct config *
cfg_empty(const char *path)
{
	struct config *c = xcalloc(1, sizeof(struct config));

	cfg_defaults(c, path);
	c->conninfo = xstrdup("");
	c->ctl_conninfo = xstrdup("service=vento-reader");
	c->state_dir = xstrdup("/var/lib/vento");
	c->plugin_dir = xstrdup(VENTO_PLUGINDIR);
	return c;
}

struct config *
cfg_load(const char *path)
{
	struct cfg_load l = { .c = xcalloc(1, sizeof(struct config)) };
	struct config *c = l.c;
	config_t lc;
	config_setting_t *root, *g;
	char buf[4096];
	char *profile_dir;

	cfg_defaults(c, path);
	config_init(&lc);
	if (config_read_file(&lc, path) == CONFIG_FALSE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			fprintf(stderr, "%s:0: cannot read: %s\n", path,
				strerror(errno));
		else
			fprintf(stderr, "%s:%d: %s\n",
				config_error_file(&lc) ? config_error_file(&lc)
						       : path,
				config_error_line(&lc), config_error_text(&lc));
		config_destroy(&lc);
		cfg_free(c);
		return NULL;
	}
	root = config_root_setting(&lc);
	cfg_check_keys(&l, root, path, cfg_root_keys);

	c->conninfo = xstrdup("");
	/* ventoctl is not ventod: it reads, as the reader, from a libpq
	 * service an administrator defines once for the machine. */
	c->ctl_conninfo = xstrdup("service=vento-reader");
	if ((g = config_setting_get_member(root, "database")) != NULL) {
		cfg_check_keys(&l, g, path, cfg_database_keys);
		if (cfg_string(&l, g, path, "conninfo", buf, sizeof(buf)) == 1) {
			free(c->conninfo);
			c->conninfo = xstrdup(buf);
		}
		if (cfg_string(&l, g, path, "ctl_conninfo", buf, sizeof(buf)) ==
		    1) {
			free(c->ctl_conninfo);
			c->ctl_conninfo = xstrdup(buf);
		}
		cfg_int(&l, g, path, "retention_days", 1, 36500,
			&c->retention_days);
	}
	if (cfg_string(&l, root, path, "state_dir", buf, sizeof(buf)) == 1) {
		/* An empty one would be the configuration's own directory. */
		if (buf[0] == '\0')
			cfg_error(&l, config_setting_get_member(root, "state_dir"),
				  path, "state_dir is empty: name a directory "
					"for the spool (such as /var/lib/vento)");
		c->state_dir = cfg_path(path, buf);
	} else {
		c->state_dir = xstrdup("/var/lib/vento");
	}
	{
		double mb = 2048;

		cfg_number(&l, root, path, "spool_max_mb", 0.01, 1 << 20, &mb);
		c->spool_max_bytes = (uint64_t)(mb * 1024 * 1024);
	}
	if ((g = config_setting_get_member(root, "poll")) != NULL) {
		cfg_check_keys(&l, g, path, cfg_poll_keys);
		cfg_number(&l, g, path, "interval", 0.1, 3600,
			   &c->poll_interval);
		cfg_number(&l, g, path, "slow_interval", 0.1, 86400,
			   &c->slow_interval);
		cfg_number(&l, g, path, "timeout", 0.01, 60, &c->timeout);
		cfg_int(&l, g, path, "max_gap", 0, 124, &c->max_gap);
		if (c->timeout >= c->poll_interval)
			cfg_error(&l, g, path,
				  "timeout %g must be shorter than the poll "
				  "interval %g",
				  c->timeout, c->poll_interval);
	}
	if (cfg_string(&l, root, path, "plugin_dir", buf, sizeof(buf)) == 1)
		c->plugin_dir = cfg_path(path, buf);
	else
		c->plugin_dir = xstrdup(VENTO_PLUGINDIR);
	if (cfg_string(&l, root, path, "profile_dir", buf, sizeof(buf)) == 1)
		profile_dir = cfg_path(path, buf);
	else
		profile_dir = cfg_path(path, "profiles");
	if ((g = config_setting_get_member(root, "devices")) == NULL ||
	    !config_setting_is_list(g)) {
		cfg_error_at(&l, path, g ? (int)config_setting_source_line(g) : 1,
			     "devices must be a list of groups ( { ... } )");
	} else {
		int n = config_setting_length(g);

		for (int i = 0; i < n; i++)
			cfg_parse_group(&l,
					config_setting_get_elem(g, (unsigned)i),
					path, profile_dir);
		if (c->ndevices == 0 && l.errors == 0)
			cfg_error(&l, g, path, "no devices");
	}
	if ((g = config_setting_get_member(root, "projection")) != NULL)
		cfg_parse_projection(&l, g, path);
	if ((g = config_setting_get_member(root, "site")) != NULL) {
		cfg_check_keys(&l, g, path, cfg_site_keys);
		cfg_number(&l, g, path, "air_density", 0.9, 1.4,
			   &c->site_air_density);
	}
	if ((g = config_setting_get_member(root, "farm")) != NULL)
		cfg_parse_farm(&l, g, path);
	cfg_assign_links(&l, path);
	free(profile_dir);
	config_destroy(&lc);
	if (l.errors) {
		cfg_free(c);
		return NULL;
	}
	cfg_assign_columns(c);
	return c;
}

void
cfg_free(struct config *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->nprofiles; i++) {
		profile_free(c->profiles[i]);
		free(c->profiles[i]);
	}
	free(c->profiles);
	free(c->devices);
	free(c->columns);
	free(c->conninfo);
	free(c->ctl_conninfo);
	free(c->state_dir);
	free(c->plugin_dir);
	free(c->file);
	free(c);
}

const struct device *
cfg_find_device(const struct config *c, const char *name)
{
	for (int i = 0; i < c->ndevices; i++)
		if (strcmp(c->devices[i].name, name) == 0)
			return &c->devices[i];
	return NULL;
}

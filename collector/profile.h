/* profile.h - a register map: the signals a device model serves, where and
 * how. Profiles are data, read by cfg.c from their own files; this module
 * holds them and turns a signal's registers into a value. */
#ifndef VENTO_PROFILE_H
#define VENTO_PROFILE_H

#include <stdint.h>

#include "../plugins/vento-plugin.h"
#include "regval.h"

#define PROFILE_NAME_MAX 48

/* Modbus function codes a signal may be read with. */
enum profile_fc {
	FC_COILS = 1,
	FC_DISCRETE_INPUTS = 2,
	FC_HOLDING_REGISTERS = 3,
	FC_INPUT_REGISTERS = 4,
};

enum profile_class {
	CLASS_FAST, /* read every poll interval */
	CLASS_SLOW, /* read every slow interval */
};

struct signal {
	char name[PROFILE_NAME_MAX];	/* IEC 61400-25 name, a column name */
	char unit[16];
	int fc;			/* enum profile_fc; 0: derived by the plugin */
	int address;		/* on the wire: 0-based */
	enum regval_type type;
	enum regval_order order;
	int bit;		/* for RV_BIT on registers */
	double scale, offset;	/* value = raw * scale + offset */
	enum profile_class poll_class;
	int column;		/* index into the raw table's signal columns */
	int custom;		/* a site's own signal (x_...), not the catalogue's */
	int line;		/* where the profile declares it */
};

/* One state code of the model's controller, as its profile declares it. */
struct profile_state {
	int64_t code;
	char name[PROFILE_NAME_MAX];		/* a few words, lower case */
	enum vento_iec_category category;
};

struct profile {
	char name[PROFILE_NAME_MAX];
	char model[96];
	char plugin[PROFILE_NAME_MAX]; /* the model's driver, or "" */
	/* The driver, once ventod has loaded it (plugin.c), or NULL. */
	const struct vento_plugin *driver;
	char *file;
	int address_base; /* 0 or 1: what the vendor's documentation counts from */
	int modicon;	  /* addresses written 40001: table and register in one */
	double rated_kw;  /* rated power, kW, or 0 when not said */
	/* The air density, kg/m3, at which the reference power curve is
	 * stated (IEC 61400-12-1; 1.225 unless the profile says). */
	double curve_air_density;
	struct signal *signals;
	int nsignals;
	/* The controller's states, where the profile declares them; a
	 * driver's states stand in where it does not. */
	struct profile_state *states;
	int nstates;
};

/* Registers (or bits, for coils and discrete inputs) a signal occupies. */
int profile_signal_width(const struct signal *s);

/* 1 when the stored value is an exact integer (an integer type, unscaled). */
int profile_signal_is_integer(const struct signal *s);

/*
 * Decodes signal s from raw, which holds its registers (or bits, one per
 * element) starting at s->address. Stores the engineering value in *fv and,
 * for integer signals, the exact value in *iv. Returns 0, or -1 with errno
 * from regval_decode.
 */
int profile_signal_decode(const struct signal *s, const uint16_t *raw,
			  int64_t *iv, double *fv);

/* Where the device's energy counter (wtur_totwh, or a meter's mmtr_supwh)
 * wraps, in Wh: 2^bits times its scale for counters of 32 bits or fewer,
 * 0 for 64-bit counters (which never wrap in practice) or none. */
double profile_counter_wrap_wh(const struct profile *p);

/* Returns the signal with that name, or NULL. */
const struct signal *profile_find_signal(const struct profile *p,
					 const char *name);

/* The name the schema gives an IEC 61400-26 category ("forced outage"), and
 * back: profile_category_parse returns the category, or -1 for a name that
 * is none. */
const char *profile_category_name(enum vento_iec_category c);
int profile_category_parse(const char *name);

/* The number of states the model has, from its profile or else its
 * driver; 0 when neither says. */
int profile_state_count(const struct profile *p);

void profile_free(struct profile *p);

#endif

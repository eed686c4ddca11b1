/* profile.c - register maps and the decoding of one signal. Parsing lives
 * in cfg.c (the only libconfig user); read planning in plan.c. */
#include <stdlib.h>
#include <string.h>

#include "profile.h"

int
profile_signal_width(const struct signal *s)
{
	return regval_width(s->type);
}

int
profile_signal_is_integer(const struct signal *s)
{
	return !regval_is_float(s->type) && s->scale == 1.0 &&
	       s->offset == 0.0;
}

int
profile_signal_decode(const struct signal *s, const uint16_t *raw,
		      int64_t *iv, double *fv)
{
	if (regval_decode(raw, s->type, s->order, s->bit, iv, fv) == -1)
		return -1;
	*fv = *fv * s->scale + s->offset;
	return 0;
}

double
profile_counter_wrap_wh(const struct profile *p)
{
	const struct signal *s = profile_find_signal(p, "wtur_totwh");

	if (s == NULL)
		s = profile_find_signal(p, "mmtr_supwh");
	if (s == NULL || s->fc == 0 || regval_width(s->type) > 2)
		return 0;
	return (double)(1ull << (16 * regval_width(s->type))) * s->scale;
}

const struct signal *
profile_find_signal(const struct profile *p, const char *name)
{
	for (int i = 0; i < p->nsignals; i++)
		if (strcmp(p->signals[i].name, name) == 0)
			return &p->signals[i];
	return NULL;
}

static const char *const profile_category_names[] = {
	"unknown",
	"full performance",
	"partial performance",
	"technical standby",
	"out of environmental specification",
	"requested shutdown",
	"out of electrical specification",
	"scheduled maintenance",
	"planned corrective action",
	"forced outage",
	"suspended",
	"force majeure",
	"information unavailable",
};

#define PROFILE_NCATEGORIES \
	(int)(sizeof(profile_category_names) / sizeof(profile_category_names[0]))

const char *
profile_category_name(enum vento_iec_category c)
{
	if ((int)c < 0 || (int)c >= PROFILE_NCATEGORIES)
		return "unknown";
	return profile_category_names[c];
}

int
profile_category_parse(const char *name)
{
	for (int c = 0; c < PROFILE_NCATEGORIES; c++)
		if (strcmp(name, profile_category_names[c]) == 0)
			return c;
	return -1;
}

int
profile_state_count(const struct profile *p)
{
	int n = 0;

	if (p->nstates > 0)
		return p->nstates;
	if (p->driver && p->driver->states)
		for (const struct vento_plugin_state *st = p->driver->states;
		     st->name; st++)
			n++;
	return n;
}

void
profile_free(struct profile *p)
{
	if (p == NULL)
		return;
	free(p->signals);
	free(p->states);
	free(p->file);
}

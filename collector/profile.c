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

void
profile_free(struct profile *p)
{
	if (p == NULL)
		return;
	free(p->signals);
	free(p->file);
}

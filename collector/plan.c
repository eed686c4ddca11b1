/* plan.c - turns a profile into the fewest Modbus requests that stay within
 * the protocol's limits. Reading a few unused registers is cheaper than a
 * second round trip, but a gap may hold registers the device refuses, so the
 * gap is bounded by configuration. */
#include <stdlib.h>

#include "plan.h"
#include "xmalloc.h"

static const struct profile *plan_sort_profile;

static int
plan_signal_cmp(const void *a, const void *b)
{
	const struct signal *x = &plan_sort_profile->signals[*(const int *)a];
	const struct signal *y = &plan_sort_profile->signals[*(const int *)b];

	if (x->poll_class != y->poll_class)
		return (int)x->poll_class - (int)y->poll_class;
	if (x->fc != y->fc)
		return x->fc - y->fc;
	return x->address - y->address;
}

static int
plan_limit(int fc)
{
	return fc <= FC_DISCRETE_INPUTS ? PLAN_MAX_BITS : PLAN_MAX_REGISTERS;
}

struct plan *
plan_make(const struct profile *p, int max_gap)
{
	struct plan *pl = xcalloc(1, sizeof(*pl));
	int *order = xcalloc((size_t)p->nsignals, sizeof(int));
	struct plan_block *cur = NULL;

	pl->blocks = xcalloc((size_t)p->nsignals, sizeof(*pl->blocks));
	pl->block_of = xcalloc((size_t)p->nsignals, sizeof(int));
	for (int i = 0; i < p->nsignals; i++)
		order[i] = i;
	/* qsort has no context argument; planning runs once per profile at
	 * start-up, in one thread. */
	plan_sort_profile = p;
	qsort(order, (size_t)p->nsignals, sizeof(int), plan_signal_cmp);
	for (int k = 0; k < p->nsignals; k++) {
		const struct signal *s = &p->signals[order[k]];
		int end = s->address + profile_signal_width(s);

		if (s->fc == 0) {
			/* Derived by the model's plugin: nothing to read. */
			pl->block_of[order[k]] = -1;
			continue;
		}
		if (cur && cur->fc == s->fc && cur->poll_class == s->poll_class &&
		    s->address - (cur->address + cur->count) <= max_gap &&
		    end - cur->address <= plan_limit(s->fc)) {
			if (end > cur->address + cur->count)
				cur->count = end - cur->address;
		} else {
			cur = &pl->blocks[pl->nblocks++];
			cur->fc = s->fc;
			cur->address = s->address;
			cur->count = end - s->address;
			cur->poll_class = s->poll_class;
		}
		pl->block_of[order[k]] = pl->nblocks - 1;
	}
	free(order);
	return pl;
}

void
plan_free(struct plan *pl)
{
	if (pl == NULL)
		return;
	free(pl->blocks);
	free(pl->block_of);
	free(pl);
}

void
plan_print(const struct plan *pl, const struct profile *p, FILE *f)
{
	static const char *const fc_names[] = {
		"", "coils", "discrete", "holding", "input",
	};

	fprintf(f, "%-5s %-3s %-9s %-7s %-5s %-5s %s\n", "READ", "FC",
		"TABLE", "ADDRESS", "COUNT", "CLASS", "SIGNALS");
	for (int b = 0; b < pl->nblocks; b++) {
		const struct plan_block *bl = &pl->blocks[b];
		const char *sep = "";

		fprintf(f, "%-5d %-3d %-9s %-7d %-5d %-5s ", b + 1, bl->fc,
			fc_names[bl->fc], bl->address + p->address_base,
			bl->count,
			bl->poll_class == CLASS_FAST ? "fast" : "slow");
		for (int i = 0; i < p->nsignals; i++)
			if (pl->block_of[i] == b) {
				fprintf(f, "%s%s", sep, p->signals[i].name);
				sep = " ";
			}
		fputc('\n', f);
	}
}

/* plan.h - read planning: which Modbus requests fetch a profile's signals. */
#ifndef VENTO_PLAN_H
#define VENTO_PLAN_H

#include <stdio.h>

#include "profile.h"

/* The Modbus limits on one request. */
#define PLAN_MAX_REGISTERS 125
#define PLAN_MAX_BITS 2000

/* One request: count registers (or bits) from address, one function code,
 * one poll class. */
struct plan_block {
	int fc;
	int address;
	int count;
	enum profile_class poll_class;
};

struct plan {
	struct plan_block *blocks;
	int nblocks;
	int *block_of; /* per signal of the profile: its block */
};

/*
 * Plans the reads for profile p: neighbouring signals of one function code
 * and poll class share a request when the registers between them number at
 * most max_gap and the request stays within the Modbus limits. Returns the
 * plan; free it with plan_free.
 */
struct plan *plan_make(const struct profile *p, int max_gap);

void plan_free(struct plan *pl);

/* Prints the plan as a table, one request a line with its signals. */
void plan_print(const struct plan *pl, const struct profile *p, FILE *f);

#endif

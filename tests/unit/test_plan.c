/* test_plan.c - read planning: merging, gaps, limits, classes. */
#include <string.h>

#include "../../collector/plan.c"
#include "../../collector/profile.c"
#include "../../collector/regval.c"
#include "../../collector/xmalloc.c"
#include "tap.h"

static struct signal
sig(const char *name, int fc, int address, enum regval_type t)
{
	struct signal s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	s.fc = fc;
	s.address = address;
	s.type = t;
	s.scale = 1;
	return s;
}

int
main(void)
{
	struct signal sigs[8];
	struct profile p = { .name = "t", .signals = sigs };
	struct plan *pl;

	/* Neighbours and small gaps merge; a large gap splits; tables
	 * never mix. */
	sigs[0] = sig("a", 4, 0, RV_F32);
	sigs[1] = sig("b", 4, 2, RV_U16);
	sigs[2] = sig("c", 4, 10, RV_U64);	 /* gap of 7 after b */
	sigs[3] = sig("d", 4, 100, RV_U16); /* gap of 86 */
	sigs[4] = sig("e", 3, 0, RV_U16);
	sigs[5] = sig("f", 4, 1000, RV_BIT);
	sigs[5].bit = 3;
	sigs[6] = sig("g", 4, 1000, RV_BIT);
	sigs[6].bit = 4;
	p.nsignals = 7;
	pl = plan_make(&p, 8);
	ok(pl->nblocks == 4, "4 reads (got %d)", pl->nblocks);
	ok(pl->block_of[0] == pl->block_of[1] && pl->block_of[1] == pl->block_of[2],
	   "a, b, c share a read across a gap of 7");
	ok(pl->blocks[pl->block_of[0]].address == 0 &&
		   pl->blocks[pl->block_of[0]].count == 14,
	   "that read is 0..13 (count %d)", pl->blocks[pl->block_of[0]].count);
	ok(pl->block_of[3] != pl->block_of[2], "a gap of 86 splits");
	ok(pl->blocks[pl->block_of[4]].fc == 3, "holding registers apart");
	ok(pl->block_of[5] == pl->block_of[6] &&
		   pl->blocks[pl->block_of[5]].count == 1,
	   "two bits of one register: one read of one register");
	plan_free(pl);

	pl = plan_make(&p, 0);
	ok(pl->block_of[1] != pl->block_of[2], "max_gap 0 splits at any gap");
	ok(pl->block_of[0] == pl->block_of[1], "max_gap 0 still joins neighbours");
	plan_free(pl);

	/* The 125-register limit. */
	sigs[0] = sig("a", 4, 0, RV_U16);
	sigs[1] = sig("b", 4, 124, RV_U16);
	sigs[2] = sig("c", 4, 125, RV_U16);
	sigs[3] = sig("d", 4, 123, RV_F32);
	p.nsignals = 4;
	pl = plan_make(&p, 124);
	ok(pl->block_of[0] == pl->block_of[1] && pl->block_of[0] == pl->block_of[3],
	   "0..124 fits one read");
	ok(pl->block_of[2] != pl->block_of[0], "register 125 needs a second read");
	for (int b = 0; b < pl->nblocks; b++)
		ok(pl->blocks[b].count <= PLAN_MAX_REGISTERS,
		   "read %d has %d <= 125 registers", b, pl->blocks[b].count);
	plan_free(pl);

	/* Coils: up to 2000 bits a read. */
	sigs[0] = sig("a", 1, 0, RV_BIT);
	sigs[1] = sig("b", 1, 1999, RV_BIT);
	sigs[2] = sig("c", 1, 2000, RV_BIT);
	p.nsignals = 3;
	pl = plan_make(&p, 5000);
	ok(pl->block_of[0] == pl->block_of[1], "coils 0..1999 in one read");
	ok(pl->block_of[2] != pl->block_of[1], "coil 2000 in another");
	plan_free(pl);

	/* Slow signals are read apart from fast ones. */
	sigs[0] = sig("a", 4, 0, RV_U16);
	sigs[1] = sig("b", 4, 1, RV_U16);
	sigs[1].poll_class = CLASS_SLOW;
	p.nsignals = 2;
	pl = plan_make(&p, 8);
	ok(pl->nblocks == 2 && pl->block_of[0] != pl->block_of[1],
	   "fast and slow signals in separate reads");
	ok(pl->blocks[pl->block_of[1]].poll_class == CLASS_SLOW,
	   "the slow read is marked slow");
	plan_free(pl);
	return done();
}

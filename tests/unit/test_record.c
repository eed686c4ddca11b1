/* test_record.c - batches as spool records: a round trip keeps every value
 * exactly, and damaged bytes are refused, never read out of bounds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/catalogue.c"
#include "../../collector/cfg.c"
#include "../../collector/profile.c"
#include "../../collector/record.c"
#include "../../collector/regval.c"
#include "../../collector/xmalloc.c"
#include "tap.h"

static struct sample *
make_sample(const struct config *c, int device, int64_t tick, int quality)
{
	const struct profile *p = c->devices[device].profile;
	struct sample *s = xcalloc(1, sizeof(*s) + (size_t)p->nsignals *
							   sizeof(s->values[0]));

	s->device = device;
	s->tick_ms = tick;
	s->quality = quality;
	s->nvalues = p->nsignals;
	for (int i = 0; i < p->nsignals; i++) {
		s->values[i].valid = (i + device) % 5 != 0; /* some NULLs */
		s->values[i].iv = (int64_t)1 << (40 + device % 20);
		s->values[i].fv = 1234.5678 / (i + 1) - device;
	}
	return s;
}

/* The fields in which two decoded records differ: names, ticks,
 * qualities, tags and values (floats by their bits), or -1 when their
 * shapes differ. One flipped byte lies in exactly one field. */
static int
record_fields_differ(const struct record *a, const struct record *b)
{
	int n = 0;

	if (a->nrows != b->nrows || a->ncolumns != b->ncolumns)
		return -1;
	for (int c = 0; c < a->ncolumns; c++)
		n += strcmp(a->columns[c], b->columns[c]) != 0;
	for (int i = 0; i < a->nrows; i++) {
		const struct record_row *x = &a->rows[i], *y = &b->rows[i];

		n += strcmp(x->device, y->device) != 0;
		n += x->tick_ms != y->tick_ms;
		n += x->quality != y->quality;
		for (int c = 0; c < a->ncolumns; c++) {
			const struct record_value *u = &x->values[c], *v = &y->values[c];

			if (u->tag != v->tag)
				n++;
			else if (u->tag == RECORD_INT)
				n += u->iv != v->iv;
			else if (u->tag == RECORD_FLOAT)
				n += memcmp(&u->fv, &v->fv, sizeof(u->fv)) != 0;
		}
	}
	return n;
}

int
main(void)
{
	struct config *c = cfg_load("etc/vento.conf");
	struct sample *list = NULL, **tail = &list;
	struct record r;
	unsigned char *buf;
	size_t len;
	int good = 1, refused = 1;

	ok(c != NULL, "etc/vento.conf loads (run from the repository root)");
	if (c == NULL)
		return done();
	for (int d = 0; d < c->ndevices; d++) {
		*tail = make_sample(c, d, 1790000000000LL + d, d % 5);
		tail = &(*tail)->next;
	}
	buf = record_encode(c, list, &len);
	ok(record_decode(buf, len, &r) == 0, "a record of %d rows decodes", c->ndevices);
	ok(r.nrows == c->ndevices && r.ncolumns == c->ncolumns,
	   "rows and columns counted (%d, %d)", r.nrows, r.ncolumns);
	for (const struct sample *s = list; s && r.nrows; s = s->next) {
		const struct record_row *row = &r.rows[s->device];
		const struct profile *p = c->devices[s->device].profile;

		good &= strcmp(row->device, c->devices[s->device].name) == 0;
		good &= row->tick_ms == s->tick_ms && row->quality == s->quality;
		for (int i = 0; i < p->nsignals; i++) {
			const struct record_value *v = &row->values[p->signals[i].column];

			if (!s->values[i].valid)
				good &= v->tag == RECORD_NULL;
			else if (profile_signal_is_integer(&p->signals[i]))
				good &= v->tag == RECORD_INT && v->iv == s->values[i].iv;
			else
				good &= v->tag == RECORD_FLOAT && v->fv == s->values[i].fv;
		}
	}
	ok(good, "every name, tick, quality and value survives exactly");
	record_free(&r);

	/* Every truncation is refused. */
	for (size_t n = 0; n < len; n++) {
		errno = 0;
		if (record_decode(buf, n, &r) != -1 || errno != EBADMSG)
			refused = 0;
	}
	ok(refused, "all %zu truncations refused with EBADMSG", len);

	/* Flipped bytes: refused or decoded, always within bounds (the
	 * sanitizers watch), and what decodes is the original but for the
	 * one field the flipped byte lies in: the layout never slips, so a
	 * damaged value cannot move into its neighbours (the spool's
	 * checksum, not the record, is what refuses such damage). */
	{
		unsigned char *copy = xmalloc(len);
		unsigned seed = 1;
		int decoded = 0, one_field = 1;
		struct record orig;

		ok(record_decode(buf, len, &orig) == 0, "the original decodes again");
		for (int k = 0; k < 5000; k++) {
			memcpy(copy, buf, len);
			copy[(size_t)rand_r(&seed) % len] ^= (unsigned char)(1 + rand_r(&seed) % 255);
			if (record_decode(copy, len, &r) == 0) {
				decoded++;
				one_field &= record_fields_differ(&orig, &r) == 1;
				record_free(&r);
			}
		}
		ok(decoded > 0 && one_field, "5000 damaged records: each of the "
		   "%d that decode differs from the original in one field", decoded);
		record_free(&orig);
		free(copy);
	}
	ok(record_decode("", 0, &r) == -1, "an empty record is refused");
	free(buf);
	while (list) {
		struct sample *next = list->next;

		free(list);
		list = next;
	}
	cfg_free(c);
	return done();
}

/* record.c - encodes a batch of samples for the spool and decodes it again.
 *
 * Layout (little-endian): u32 version; u16 column count, then each column
 * as u8 length and name; u32 row count, then each row as u8 length and
 * device name, i64 tick (ms), u8 quality, and per column a u8 tag (null,
 * integer, float) followed, unless null, by 8 bytes of value. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "xmalloc.h"

#define RECORD_VERSION 1

struct record_out {
	unsigned char *buf;
	size_t len, cap;
};

static void
record_put(struct record_out *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->buf = xreallocarray(o->buf, o->cap, 1);
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void
record_put_u(struct record_out *o, uint64_t v, int bytes)
{
	unsigned char b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	record_put(o, b, (size_t)bytes);
}

static void
record_put_name(struct record_out *o, const char *name)
{
	size_t n = strlen(name);

	record_put_u(o, n, 1);
	record_put(o, name, n);
}

unsigned char *
record_encode(const struct config *c, const struct sample *list, size_t *len)
{
	struct record_out o = { 0 };
	/* Per column, the row's signal that fills it, or -1: set per row in
	 * O(signals) rather than searched for per column. */
	int *signal_at = xcalloc((size_t)c->ncolumns, sizeof(int));
	uint32_t nrows = 0;

	for (const struct sample *s = list; s; s = s->next)
		nrows++;
	record_put_u(&o, RECORD_VERSION, 4);
	record_put_u(&o, (uint64_t)c->ncolumns, 2);
	for (int col = 0; col < c->ncolumns; col++)
		record_put_name(&o, c->columns[col]);
	record_put_u(&o, nrows, 4);
	for (const struct sample *s = list; s; s = s->next) {
		const struct device *d = &c->devices[s->device];
		const struct profile *p = d->profile;

		record_put_name(&o, d->name);
		record_put_u(&o, (uint64_t)s->tick_ms, 8);
		record_put_u(&o, (uint64_t)s->quality, 1);
		for (int col = 0; col < c->ncolumns; col++)
			signal_at[col] = -1;
		for (int i = 0; i < p->nsignals; i++)
			if (s->values[i].valid)
				signal_at[p->signals[i].column] = i;
		for (int col = 0; col < c->ncolumns; col++) {
			int i = signal_at[col];
			uint64_t bits;

			if (i == -1) {
				record_put_u(&o, RECORD_NULL, 1);
			} else if (profile_signal_is_integer(&p->signals[i])) {
				record_put_u(&o, RECORD_INT, 1);
				record_put_u(&o, (uint64_t)s->values[i].iv, 8);
			} else {
				memcpy(&bits, &s->values[i].fv, 8);
				record_put_u(&o, RECORD_FLOAT, 1);
				record_put_u(&o, bits, 8);
			}
		}
	}
	free(signal_at);
	*len = o.len;
	return o.buf;
}

struct record_in {
	const unsigned char *p;
	size_t left;
};

static int
record_get_u(struct record_in *in, int bytes, uint64_t *v)
{
	if (in->left < (size_t)bytes)
		return -1;
	*v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		*v = (*v << 8) | in->p[i];
	in->p += bytes;
	in->left -= (size_t)bytes;
	return 0;
}

/* Copies a length-prefixed name into dst (at least 256 bytes). */
static int
record_get_name(struct record_in *in, char *dst)
{
	uint64_t n;

	if (record_get_u(in, 1, &n) == -1 || in->left < n || n == 0)
		return -1;
	memcpy(dst, in->p, n);
	dst[n] = '\0';
	if (strlen(dst) != n)
		return -1; /* an embedded NUL */
	in->p += n;
	in->left -= n;
	return 0;
}

int
record_decode(const void *data, size_t len, struct record *r)
{
	struct record_in in = { data, len };
	uint64_t v, ncol, nrows;
	char name[256];
	size_t names_len = 0;

	memset(r, 0, sizeof(*r));
	if (record_get_u(&in, 4, &v) == -1 || v != RECORD_VERSION ||
	    record_get_u(&in, 2, &ncol) == -1 || ncol > 4096)
		goto bad;
	r->columns = xcalloc((size_t)ncol, sizeof(*r->columns));
	for (uint64_t c = 0; c < ncol; c++) {
		if (record_get_name(&in, name) == -1 ||
		    strlen(name) >= sizeof(r->columns[0]))
			goto bad;
		memcpy(r->columns[c], name, strlen(name) + 1);
		r->ncolumns++;
	}
	/* Each row takes at least 11 bytes: a bound on the count before
	 * anything is allocated for it. */
	if (record_get_u(&in, 4, &nrows) == -1 ||
	    nrows > in.left / (11 + ncol))
		goto bad;
	r->rows = xcalloc((size_t)nrows, sizeof(*r->rows));
	r->names = xcalloc(in.left + 1, 1);
	for (uint64_t i = 0; i < nrows; i++) {
		struct record_row *row = &r->rows[i];
		uint64_t tick, q;

		if (record_get_name(&in, name) == -1 ||
		    record_get_u(&in, 8, &tick) == -1 ||
		    record_get_u(&in, 1, &q) == -1)
			goto bad;
		row->device = r->names + names_len;
		memcpy(r->names + names_len, name, strlen(name) + 1);
		names_len += strlen(name) + 1;
		row->tick_ms = (int64_t)tick;
		row->quality = (int)q;
		row->values = xcalloc((size_t)ncol ? (size_t)ncol : 1,
				      sizeof(*row->values));
		r->nrows++;
		for (uint64_t c = 0; c < ncol; c++) {
			struct record_value *val = &row->values[c];
			uint64_t tag, bits;

			if (record_get_u(&in, 1, &tag) == -1 || tag > RECORD_FLOAT)
				goto bad;
			val->tag = (enum record_tag)tag;
			if (tag == RECORD_NULL)
				continue;
			if (record_get_u(&in, 8, &bits) == -1)
				goto bad;
			if (tag == RECORD_INT)
				val->iv = (int64_t)bits;
			else
				memcpy(&val->fv, &bits, 8);
		}
	}
	if (in.left != 0)
		goto bad;
	return 0;
bad:
	record_free(r);
	errno = EBADMSG;
	return -1;
}

void
record_free(struct record *r)
{
	for (int i = 0; i < r->nrows; i++)
		free(r->rows[i].values);
	free(r->rows);
	free(r->columns);
	free(r->names);
	memset(r, 0, sizeof(*r));
}

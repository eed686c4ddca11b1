/* record.h - a batch of samples as bytes: what one spool record holds. The
 * record names its columns and devices, so that it replays correctly even
 * after the configuration changed. */
#ifndef VENTO_RECORD_H
#define VENTO_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "sample.h"

enum record_tag {
	RECORD_NULL = 0,
	RECORD_INT = 1,
	RECORD_FLOAT = 2,
};

struct record_value {
	enum record_tag tag;
	int64_t iv;
	double fv;
};

struct record_row {
	const char *device; /* points into the record's bytes' copy */
	int64_t tick_ms;
	int quality;
	struct record_value *values; /* ncolumns of them */
};

struct record {
	int ncolumns;
	char (*columns)[PROFILE_NAME_MAX];
	int nrows;
	struct record_row *rows;
	char *names; /* the device names, NUL-terminated one after another */
};

/* Encodes the samples of list (linked by next) with the columns of c into
 * a buffer the caller frees. Returns the buffer, its length in *len. */
unsigned char *record_encode(const struct config *c,
			     const struct sample *list, size_t *len);

/*
 * Decodes a record. Every length and count is checked against the bytes
 * given: damaged input yields -1 with errno EBADMSG, never a read out of
 * bounds. Returns 0; free the contents with record_free.
 */
int record_decode(const void *data, size_t len, struct record *r);

void record_free(struct record *r);

#endif

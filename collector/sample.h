/* sample.h - one device's reading at one tick: what a poller hands to the
 * writer. */
#ifndef VENTO_SAMPLE_H
#define VENTO_SAMPLE_H

#include <stdint.h>

/* How a row was obtained. Stored with every row: a failed read leaves a row
 * that says so rather than a gap. Larger is worse; a row carries the worst
 * quality of its reads. */
enum sample_quality {
	QUALITY_OK = 0,
	QUALITY_DECODE = 1,	/* a value could not be decoded (NaN, range) */
	QUALITY_EXCEPTION = 2,	/* the device answered with an exception */
	QUALITY_TIMEOUT = 3,	/* no reply in time */
	QUALITY_LINK = 4,	/* not connected, or the connection broke */
	QUALITY_MISSED = 5,	/* the tick could not be polled on time */
};

struct sample_value {
	int64_t iv; /* exact value of an integer signal */
	double fv;  /* engineering value */
	unsigned char valid;
};

struct sample {
	struct sample *next;
	int64_t tick_ms; /* the scheduled tick, ms since the Unix epoch (UTC) */
	int device;	 /* index into config.devices */
	int quality;	 /* enum sample_quality */
	int nvalues;	 /* the profile's signal count */
	struct sample_value values[];
};

#endif

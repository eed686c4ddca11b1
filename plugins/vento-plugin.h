/*
 * vento-plugin.h - the interface between ventod and a turbine-model
 * driver: what a register map cannot say. A driver is a shared object
 * that exports one function, vento_plugin_init, returning a description
 * of the model: optionally its operating states with their IEC 61400-26
 * information categories (a profile's own `states` take precedence: most
 * models need no driver at all), and optionally a function that derives
 * signals the device does not serve or corrects a vendor's quirks.
 *
 * Versioning: a driver sets abi to the VENTO_PLUGIN_ABI it was built
 * against; ventod refuses a driver whose abi differs from its own. Any
 * change to this file that breaks old drivers raises the number.
 */
#ifndef VENTO_PLUGIN_H
#define VENTO_PLUGIN_H

#include <stdint.h>

#define VENTO_PLUGIN_ABI 1

/* The information categories of IEC 61400-26-1 (time-based availability)
 * that a turbine state can fall in. */
enum vento_iec_category {
	VENTO_IEC_UNKNOWN = 0,
	VENTO_IEC_FULL_PERFORMANCE,	   /* operative, generating, full */
	VENTO_IEC_PARTIAL_PERFORMANCE,	   /* operative, generating, derated */
	VENTO_IEC_TECHNICAL_STANDBY,	   /* operative, not generating: ready */
	VENTO_IEC_OUT_OF_ENVIRONMENTAL_SPEC, /* too little or too much wind */
	VENTO_IEC_REQUESTED_SHUTDOWN,	   /* stopped on request (grid, owner) */
	VENTO_IEC_OUT_OF_ELECTRICAL_SPEC,  /* the grid is out of spec */
	VENTO_IEC_SCHEDULED_MAINTENANCE,   /* non-operative, planned */
	VENTO_IEC_PLANNED_CORRECTIVE,	   /* non-operative, planned repair */
	VENTO_IEC_FORCED_OUTAGE,	   /* non-operative, a fault */
	VENTO_IEC_SUSPENDED,		   /* non-operative, work suspended */
	VENTO_IEC_FORCE_MAJEURE,
	VENTO_IEC_INFORMATION_UNAVAILABLE,
};

/* One state code of the model's controller. */
struct vento_plugin_state {
	int64_t code;
	const char *name;			/* a few words, lower case */
	enum vento_iec_category category;
};

/*
 * One sample as a driver sees it: get returns 1 and the value of a signal
 * of the profile that was read, 0 when it is absent or was not read; set
 * stores a value for a signal the profile lists as derived (or replaces a
 * read one), returning 0, or -1 when the profile has no such signal.
 */
struct vento_plugin_sample {
	void *ctx;
	int (*get)(void *ctx, const char *signal, double *value);
	int (*set)(void *ctx, const char *signal, double value);
};

struct vento_plugin {
	unsigned abi;		/* VENTO_PLUGIN_ABI */
	const char *model;	/* for logs */
	/* The controller's states, ended by an entry whose name is NULL, or
	 * NULL when the profile declares them. */
	const struct vento_plugin_state *states;
	/* Called once per sample after decoding, in the device's poller
	 * thread, so it must be reentrant; may be NULL. */
	void (*derive)(const struct vento_plugin_sample *sample);
};

/* The one symbol a driver exports. */
const struct vento_plugin *vento_plugin_init(void);

#endif

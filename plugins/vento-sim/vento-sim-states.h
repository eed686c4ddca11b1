/* vento-sim-states.h - the state codes of the simulated turbine's
 * controller, the same in both generations, with their IEC 61400-26
 * categories. Included by both drivers. */
#ifndef VENTO_SIM_STATES_H
#define VENTO_SIM_STATES_H

#include <stddef.h>

#include "../vento-plugin.h"

static const struct vento_plugin_state vento_sim_states[] = {
	{ 1, "standby, low wind", VENTO_IEC_OUT_OF_ENVIRONMENTAL_SPEC },
	{ 2, "producing", VENTO_IEC_FULL_PERFORMANCE },
	{ 3, "stopped, high wind", VENTO_IEC_OUT_OF_ENVIRONMENTAL_SPEC },
	{ 4, "fault", VENTO_IEC_FORCED_OUTAGE },
	{ 5, "maintenance", VENTO_IEC_SCHEDULED_MAINTENANCE },
	{ 0, NULL, VENTO_IEC_UNKNOWN },
};

#endif

/* vento-sim.c - the driver of vento's simulated 4.5 MW turbine (profile
 * vento-sim-4500): its state codes and their IEC 61400-26 categories. The
 * model serves every signal itself, so nothing is derived. */
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

static const struct vento_plugin vento_sim = {
	.abi = VENTO_PLUGIN_ABI,
	.model = "vento simulated 4.5 MW",
	.states = vento_sim_states,
	.derive = NULL,
};

const struct vento_plugin *
vento_plugin_init(void)
{
	return &vento_sim;
}

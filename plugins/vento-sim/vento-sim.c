/* vento-sim.c - the driver of vento's simulated 4.5 MW turbine (profile
 * vento-sim-4500): its state codes and their IEC 61400-26 categories. The
 * model serves every signal itself, so nothing is derived. */
#include "vento-sim-states.h"

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

/* vento-sim-gen2.c - the driver of the simulated turbine's second
 * controller generation (profile vento-sim-gen2). Its state codes are the
 * first generation's; what differs is that it does not serve the
 * generator speed, which for a direct-drive machine is the rotor speed:
 * the driver derives it, so that both generations fill the same columns. */
#include <stddef.h>

#include "../vento-plugin.h"

static const struct vento_plugin_state vento_sim_gen2_states[] = {
	{ 1, "standby, low wind", VENTO_IEC_OUT_OF_ENVIRONMENTAL_SPEC },
	{ 2, "producing", VENTO_IEC_FULL_PERFORMANCE },
	{ 3, "stopped, high wind", VENTO_IEC_OUT_OF_ENVIRONMENTAL_SPEC },
	{ 4, "fault", VENTO_IEC_FORCED_OUTAGE },
	{ 5, "maintenance", VENTO_IEC_SCHEDULED_MAINTENANCE },
	{ 0, NULL, VENTO_IEC_UNKNOWN },
};

static void
vento_sim_gen2_derive(const struct vento_plugin_sample *s)
{
	double rpm;

	if (s->get(s->ctx, "wrot_rotspd", &rpm))
		s->set(s->ctx, "wgen_spd", rpm);
}

static const struct vento_plugin vento_sim_gen2 = {
	.abi = VENTO_PLUGIN_ABI,
	.model = "vento simulated 4.5 MW, gen-2 controller",
	.states = vento_sim_gen2_states,
	.derive = vento_sim_gen2_derive,
};

const struct vento_plugin *
vento_plugin_init(void)
{
	return &vento_sim_gen2;
}

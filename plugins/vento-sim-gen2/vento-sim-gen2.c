/* vento-sim-gen2.c - the driver of the simulated turbine's second
 * controller generation (profile vento-sim-gen2). Its states are data, in
 * the profile; what needs code is that it does not serve the generator
 * speed, which for a direct-drive machine is the rotor speed: the driver
 * derives it, so that both generations fill the same columns. */
#include <stddef.h>

#include "../vento-plugin.h"

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
	.states = NULL, /* the profile declares them */
	.derive = vento_sim_gen2_derive,
};

const struct vento_plugin *
vento_plugin_init(void)
{
	return &vento_sim_gen2;
}

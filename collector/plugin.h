/* plugin.h - loading turbine-model drivers (plugins/vento-plugin.h) and
 * applying them to samples. */
#ifndef VENTO_PLUGIN_LOADER_H
#define VENTO_PLUGIN_LOADER_H

#include "profile.h"
#include "sample.h"

struct plugin;

/*
 * Loads dir/NAME.so and checks its interface version. Returns the plugin,
 * or NULL with the reason in *why (a static or dlerror string, valid until
 * the next call). Free with plugin_close.
 */
struct plugin *plugin_open(const char *dir, const char *name,
			   const char **why);

void plugin_close(struct plugin *pl);

const struct vento_plugin *plugin_driver(const struct plugin *pl);

/* Lets p's driver derive signals of sample s, if it has a derive function.
 * Thread-safe as far as the driver's derive is. */
void plugin_derive(const struct profile *p, struct sample *s);

#endif

/* plugin.c - dlopen of turbine-model drivers, and the sample view they get.
 * A driver is trusted code: it runs in ventod's pollers. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#include "xmalloc.h"

struct plugin {
	void *handle;
	const struct vento_plugin *driver;
};

struct plugin *
plugin_open(const char *dir, const char *name, const char **why)
{
	static char reason[4608];
	char path[4096];
	const struct vento_plugin *(*init)(void);
	struct plugin *pl;
	void *h;

	snprintf(path, sizeof(path), "%s/%s.so", dir, name);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		*why = dlerror();
		return NULL;
	}
	*(void **)&init = dlsym(h, "vento_plugin_init");
	if (init == NULL) {
		snprintf(reason, sizeof(reason),
			 "%s: no vento_plugin_init: not a vento plugin", path);
		*why = reason;
		dlclose(h);
		return NULL;
	}
	pl = xcalloc(1, sizeof(*pl));
	pl->handle = h;
	pl->driver = init();
	if (pl->driver == NULL || pl->driver->abi != VENTO_PLUGIN_ABI) {
		snprintf(reason, sizeof(reason),
			 "%s: plugin interface %u, this ventod speaks %u", path,
			 pl->driver ? pl->driver->abi : 0, VENTO_PLUGIN_ABI);
		*why = reason;
		plugin_close(pl);
		return NULL;
	}
	return pl;
}

void
plugin_close(struct plugin *pl)
{
	if (pl == NULL)
		return;
	dlclose(pl->handle);
	free(pl);
}

const struct vento_plugin *
plugin_driver(const struct plugin *pl)
{
	return pl->driver;
}

struct plugin_view {
	const struct profile *profile;
	struct sample *sample;
};

static int
plugin_get(void *ctx, const char *name, double *value)
{
	struct plugin_view *v = ctx;
	const struct signal *s = profile_find_signal(v->profile, name);
	const struct sample_value *val;

	if (s == NULL)
		return 0;
	val = &v->sample->values[s - v->profile->signals];
	if (!val->valid)
		return 0;
	*value = val->fv;
	return 1;
}

static int
plugin_set(void *ctx, const char *name, double value)
{
	struct plugin_view *v = ctx;
	const struct signal *s = profile_find_signal(v->profile, name);
	struct sample_value *val;

	if (s == NULL)
		return -1;
	val = &v->sample->values[s - v->profile->signals];
	val->fv = value;
	val->iv = (int64_t)value;
	val->valid = 1;
	return 0;
}

void
plugin_derive(const struct profile *p, struct sample *s)
{
	struct plugin_view v = { p, s };
	struct vento_plugin_sample view = { &v, plugin_get, plugin_set };

	if (p->driver && p->driver->derive)
		p->driver->derive(&view);
}

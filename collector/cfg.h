/* cfg.h - vento.conf and the profiles it names, as plain structs. */
#ifndef VENTO_CFG_H
#define VENTO_CFG_H

#include "profile.h"

#define DEVICE_NAME_MAX 32

enum device_kind {
	DEVICE_TURBINE,
	DEVICE_METER, /* a grid meter at the point of connection */
};

/* A serial line that Modbus RTU devices share. */
struct serial_line {
	char path[108]; /* the tty, e.g. /dev/ttyUSB0 */
	int baud;
	char parity;	/* 'N', 'E' or 'O' */
	int data_bits;	/* 7 or 8 */
	int stop_bits;	/* 1 or 2 */
};

/*
 * A device is a unit id behind a link. A link is one connection: a TCP
 * host and port, or a serial line. Several devices share a link when they
 * sit behind one gateway (units at one host and port) or hang on one
 * RS-485 line; each device of the 40 turbines with its own address has a
 * link of its own.
 */
struct device {
	char name[DEVICE_NAME_MAX];
	char host[64];	/* TCP; empty for a serial device */
	int port;
	struct serial_line serial; /* RTU when serial.path is set */
	int unit; /* Modbus unit id */
	int link; /* index of its link: devices on one connection share it */
	enum device_kind kind;
	const struct profile *profile;
	int line;
};

struct projection {
	double annual_gwh;
	double monthly_share[12]; /* percent of the year, Jan..Dec */
	char time_zone[64];
};

/* The farm this collector belongs to: its code names its rows at a fleet
 * (unique in the fleet), its name is for people. */
#define FARM_CODE_MAX 8
struct farm {
	char code[FARM_CODE_MAX + 1]; /* [A-Z][A-Z0-9]{1,7}; "FARM" if unset */
	char name[64];
	int publish_raw; /* raw samples published to the fleet too */
	int line;	 /* of the farm section in the file, 0 if none */
};

struct config {
	char *file;
	char *conninfo;	 /* ventod's: libpq; the PG* environment fills what it omits */
	char *ctl_conninfo; /* ventoctl's (the reader), a libpq service by default */
	char *state_dir; /* the spool and other state */
	char *plugin_dir; /* turbine-model drivers, NAME.so */
	uint64_t spool_max_bytes;
	int retention_days; /* raw samples kept this long */
	double poll_interval;	/* seconds between fast reads */
	double slow_interval;	/* seconds between slow reads */
	double timeout;		/* per Modbus request, seconds */
	int max_gap;		/* unused registers a planned read may span */
	struct profile **profiles;
	int nprofiles;
	struct device *devices;
	int ndevices;
	int nlinks; /* connections: devices[i].link is below it */
	/* The signal columns of the raw table: every signal name of every
	 * profile in use, in first-seen order; signal.column indexes it. */
	char (*columns)[PROFILE_NAME_MAX];
	int ncolumns;
	struct projection projection;
	/* The site's mean air density, kg/m3, for the power curve where a
	 * turbine measures no pressure and temperature; 0 when not said. */
	double site_air_density;
	struct farm farm;
};

/*
 * Reads the configuration at path and the profiles it uses. Every error is
 * printed to stderr as "file:line: message", all of them before returning.
 * Returns the configuration, or NULL when there was any error.
 * Free with cfg_free.
 */
struct config *cfg_load(const char *path);

/* The configuration of an empty file (/dev/null, say): the defaults and no
 * device, for ventoctl's commands that need only the database. Free with
 * cfg_free. */
struct config *cfg_empty(const char *path);

void cfg_free(struct config *c);

/* 1 when the device is reached over a serial line (Modbus RTU). Inline,
 * so that link.c needs no more of cfg.c than the struct. */
static inline int
cfg_device_is_serial(const struct device *d)
{
	return d->serial.path[0] != '\0';
}

/* Returns the device with that name, or NULL. */
const struct device *cfg_find_device(const struct config *c,
				     const char *name);

#endif

/* ventoctl.c - the operator's command: parses the common options and hands
 * over to one file per command group. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#ifndef VENTO_SYSCONFDIR
#define VENTO_SYSCONFDIR "/etc"
#endif
#ifndef VENTO_DATADIR
#define VENTO_DATADIR "/usr/share/vento"
#endif
#ifndef VENTO_VERSION
#define VENTO_VERSION "0.1"
#endif

static const struct {
	const char *name;
	int (*run)(struct ctl *, int, char **);
	const char *help;
} ventoctl_commands[] = {
	{ "status", ctl_status, "the farm now: every device's last sample" },
	{ "check", ctl_check,
	  "monitoring checks: yearly, comm, spool, freshness, all" },
	{ "production", ctl_production,
	  "energy against the budget: --year Y --by month|turbine|day" },
	{ "availability", ctl_availability,
	  "time-based availability and lost energy: --year Y" },
	{ "powercurve", ctl_powercurve,
	  "a turbine's power curve against the reference: DEVICE" },
	{ "report", ctl_report,
	  "a month's HTML report: --month YYYY-MM -o FILE.html" },
	{ "plan", ctl_plan, "the Modbus reads planned for each device" },
	{ "signals", ctl_signals,
	  "the signals this version stores, with units and meaning" },
	{ "read", ctl_read, "read a device now: read DEVICE [SIGNAL...]" },
	{ "migrate", ctl_migrate, "apply the schema's pending migrations" },
	{ "import", ctl_import, "load 10-minute history from a CSV file" },
	{ "quarantine", ctl_quarantine,
	  "records the database refused: list, show, replay" },
	{ "fleet", ctl_fleet,
	  "at a fleet database: add FARM CONNINFO, remove FARM, refresh FARM, "
	  "status" },
};

static void
ventoctl_usage(FILE *f)
{
	fprintf(f, "usage: ventoctl [-c FILE] [--json] [--schema-dir DIR] "
		   "[--farm CODE] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0;
	     i < sizeof(ventoctl_commands) / sizeof(ventoctl_commands[0]); i++)
		fprintf(f, "  %-13s %s\n", ventoctl_commands[i].name,
			ventoctl_commands[i].help);
	fprintf(f, "\n  -c FILE  configuration (default %s/vento/vento.conf)\n",
		VENTO_SYSCONFDIR);
	fprintf(f, "  --farm CODE  at a fleet database, report one farm\n");
}

/* `--json` is ventoctl's option, but people write it after the command
 * too (`ventoctl plan --json`): take it from there so that no command sees
 * it as an argument (a device name, say). Returns the new argc. */
static int
ventoctl_take_json(struct ctl *ctl, int argc, char **argv)
{
	int kept = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[kept++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			ctl->json = 1;
		else
			argv[kept++] = argv[i];
	}
	argv[kept] = NULL;
	return kept;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "schema-dir", required_argument, NULL, 's' },
		{ "farm", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = {
		.conf_path = VENTO_SYSCONFDIR "/vento/vento.conf",
		.schema_dir = VENTO_DATADIR "/schema",
	};
	int opt, rc;

	/* '+': options end at the command, which parses its own. */
	while ((opt = getopt_long(argc, argv, "+c:jhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			ctl.conf_path = optarg;
			break;
		case 'j':
			ctl.json = 1;
			break;
		case 's':
			ctl.schema_dir = optarg;
			break;
		case 'f':
			ctl.farm = optarg;
			break;
		case 'h':
			ventoctl_usage(stdout);
			return CTL_OK;
		case 'V':
			printf("ventoctl %s\n", VENTO_VERSION);
			return CTL_OK;
		default:
			ventoctl_usage(stderr);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		ventoctl_usage(stderr);
		return CTL_USAGE;
	}
	for (size_t i = 0;
	     i < sizeof(ventoctl_commands) / sizeof(ventoctl_commands[0]); i++)
		if (strcmp(argv[optind], ventoctl_commands[i].name) == 0) {
			argv += optind;
			argc -= optind;
			optind = 1;
			argc = ventoctl_take_json(&ctl, argc, argv);
			rc = ventoctl_commands[i].run(&ctl, argc, argv);
			cfg_free(ctl.cfg);
			return rc;
		}
	fprintf(stderr, "ventoctl: unknown command '%s'\n", argv[optind]);
	ventoctl_usage(stderr);
	return CTL_USAGE;
}

/* ctl.h - what ventoctl's command files share: the options and the
 * database connection. */
#ifndef VENTO_CTL_H
#define VENTO_CTL_H

#include <libpq-fe.h>

#include "cfg.h"

/* Exit codes follow the monitoring-plugins conventions where they apply. */
#define CTL_OK 0
#define CTL_FAIL 1
#define CTL_USAGE 2

struct ctl {
	const char *conf_path;
	const char *schema_dir;
	int json;
	const char *farm; /* --farm: at a fleet, the farm the reports are of */
	int fleet_wide;	  /* the command answers for a whole fleet too */
	int fleet;	  /* set by ctl_db_connect: the database is a fleet's */
	struct config *cfg; /* loaded on first use by ctl_config */
	char db_error[512]; /* why ctl_db_connect failed, one line */
	char db_reason[128]; /* the end of it, for a check's short line */
};

/* Loads the configuration on first use; prints the errors and returns NULL
 * when it is not valid. */
struct config *ctl_config(struct ctl *ctl);

/* Connects as ventoctl: the configuration's database.ctl_conninfo (by
 * default the libpq service vento-reader), a PG* variable overriding what
 * the service file says, a parameter ctl_conninfo writes out overriding
 * both. A configuration with errors is not used, and nothing else is. Prints the reason, keeps
 * it in ctl->db_error (its last part in ctl->db_reason), and returns NULL
 * on failure. Sets ctl->fleet at a fleet database, where --farm scopes
 * the session to one farm; without --farm only a command that set
 * ctl->fleet_wide may connect there (the others would mix the farms). */
PGconn *ctl_db_connect(struct ctl *ctl);

/* Runs a statement whose result is not needed. On failure says so on
 * stderr as "ventoctl: CMD: [WHAT: ]message" and returns -1. */
int ctl_db_exec(PGconn *conn, const char *sql, const char *cmd,
		const char *what);

int ctl_status(struct ctl *ctl, int argc, char **argv);
int ctl_migrate(struct ctl *ctl, int argc, char **argv);
int ctl_plan(struct ctl *ctl, int argc, char **argv);
int ctl_read(struct ctl *ctl, int argc, char **argv);
int ctl_import(struct ctl *ctl, int argc, char **argv);
int ctl_check(struct ctl *ctl, int argc, char **argv);
int ctl_production(struct ctl *ctl, int argc, char **argv);
int ctl_availability(struct ctl *ctl, int argc, char **argv);
int ctl_powercurve(struct ctl *ctl, int argc, char **argv);
int ctl_report(struct ctl *ctl, int argc, char **argv);
int ctl_quarantine(struct ctl *ctl, int argc, char **argv);

/* How many records wait in state_dir's quarantine: a loss until they are
 * replayed. */
int ctl_quarantine_count(const char *state_dir);
int ctl_fleet(struct ctl *ctl, int argc, char **argv);
int ctl_signals(struct ctl *ctl, int argc, char **argv);

/* At a fleet: each farm's replication (ventoctl fleet status), and each
 * farm's year with the fleet's total (year "" for the current one).
 * Return CTL_OK or CTL_FAIL. */
int ctl_fleet_status(struct ctl *ctl, PGconn *conn);
int ctl_fleet_yearly(struct ctl *ctl, PGconn *conn, const char *year);

/* Prints s as a JSON string, quoted and escaped. */
void ctl_json_string(const char *s);

/* Prints a number as PostgreSQL writes it, or null where JSON has none:
 * for NaN, Infinity, -Infinity, an SQL NULL (s NULL) or anything else that
 * is not a finite number. The one way ventoctl writes a JSON number. */
void ctl_json_number(const char *s);

/* Runs a query and prints its result as an aligned table, or with --json
 * as a JSON array of objects. Returns 0, or -1 after saying
 * why on stderr. */
int ctl_table_query(struct ctl *ctl, PGconn *conn, const char *sql,
		    int nparams, const char *const *params);

/* For a report of several parts: as ctl_table_query for people; with
 * --json prints "key": and the rows as an array, or with one set the
 * first row as an object (null when there is none), and no newline, so
 * that the caller composes one document ({ ..., ... }). Returns 0, or -1
 * after saying why on stderr. */
int ctl_table_member(struct ctl *ctl, PGconn *conn, const char *key, int one,
		     const char *sql, int nparams, const char *const *params);

#endif

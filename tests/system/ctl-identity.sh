#!/bin/bash
# ctl-identity: ventoctl has its own identity. Set up as the README says,
# ventod connects as the writer (database.conninfo) and ventoctl as the
# reader, through the libpq service vento-reader (database.ctl_conninfo's
# default), with PG* variables overriding it. A check that cannot read says
# UNKNOWN with the database's message, never "no data"; a configuration
# with errors is an error, never a connection to whatever the environment
# points at.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

# Every connection in the server's log, with its user and application.
PG_EXTRA="-c log_connections=on"
vento_farm 2
vento_psql -c "CREATE ROLE ventod LOGIN IN ROLE vento_writer" \
	-c "CREATE ROLE ops LOGIN IN ROLE vento_reader" >/dev/null
sed -i 's/conninfo = "dbname=vento"/conninfo = "dbname=vento user=ventod"/' "$WORK/vento.conf"
# The machine's service file, as the README's production setup writes it
# (here in $WORK, where PGSERVICEFILE points).
printf '[vento-reader]\nhost=%s\nport=5432\ndbname=vento\nuser=ops\n' "$WORK" >"$PGSERVICEFILE"
vento_start_sim 3
vento_start_ventod
check "ventod stores as the writer" vento_wait_drained 30
sleep 1

# ventoctl as an operator runs it: no PG* variable of the test's own but
# the service file's place; CTL_USER=NAME sets PGUSER.
ctl() {
	env -u PGUSER -u PGHOST -u PGPORT -u PGDATABASE ${CTL_USER:+PGUSER=$CTL_USER} \
		"$BIN/ventoctl" -c "$WORK/vento.conf" "$@"
}
sessions() { grep -c 'connection authorized: .*application_name=ventoctl' "$WORK/postgresql.log"; }
setup_sessions=$(sessions)

ctl status >"$WORK/status.out" 2>&1
check_eq "status works, though ventod's conninfo names the writer" 0 "$?"
check "and lists the devices" grep -q '^T02 ' "$WORK/status.out"
ctl check freshness >"$WORK/fresh.out" 2>&1
check_eq "check freshness reads the rows (OK)" 0 "$?"
check_eq "both as the reader, ops" $(($(sessions) - setup_sessions)) \
	"$(grep -c 'connection authorized: user=ops .*application_name=ventoctl' "$WORK/postgresql.log")"
ctl production --year 2026 >/dev/null 2>&1
check_eq "production works as the reader" 0 "$?"

# A PG* variable overrides the service: PGUSER=ventod is the writer, who
# cannot read samples. The check says UNKNOWN with the server's message.
CTL_USER=ventod ctl check comm >"$WORK/comm.out" 2>&1
check_eq "check comm as the writer: UNKNOWN (exit 3)" 3 "$?"
check "with the database's message, not 'no data'" \
	grep -q '^VENTO UNKNOWN - comm: permission denied for table raw_sample' "$WORK/comm.out"
CTL_USER=ventod ctl check all >"$WORK/all.out" 2>&1
check "check all as the writer never says 'no data'" eval '! grep -q "no data" "$WORK/all.out"'
check "and names the refusal (on stderr, when the line cannot hold it)" grep -q 'permission denied' "$WORK/all.out"
CTL_USER=nobody_here ctl check freshness >"$WORK/nouser.out" 2>&1
check_eq "a login that does not exist: UNKNOWN" 3 "$?"
check "saying why" grep -q 'database unreachable: .*role "nobody_here" does not exist' "$WORK/nouser.out"

# ctl_conninfo names its own connection; an unknown service is an error.
sed 's/conninfo = "dbname=vento user=ventod"/&; ctl_conninfo = "service=vento-nowhere"/' \
	"$WORK/vento.conf" >"$WORK/noservice.conf"
env -u PGUSER -u PGHOST "$BIN/ventoctl" -c "$WORK/noservice.conf" status >"$WORK/nosvc.out" 2>&1
check "an unknown service fails" test $? -ne 0
check "naming it" grep -q 'vento-nowhere' "$WORK/nosvc.out"
sed 's|conninfo = "dbname=vento user=ventod"|&; ctl_conninfo = "host='"$WORK"' dbname=vento user=ops"|' \
	"$WORK/vento.conf" >"$WORK/own.conf"
env -u PGUSER -u PGHOST -u PGSERVICEFILE "$BIN/ventoctl" -c "$WORK/own.conf" check freshness >"$WORK/own.out" 2>&1
check_eq "a conninfo of its own works without a service file" 0 "$?"

check "an empty configuration (-c /dev/null) is the defaults: the service" \
	env -u PGUSER -u PGHOST "$BIN/ventoctl" -c /dev/null production --year 2026
check "a parameter ctl_conninfo writes out beats its PG* variable" \
	env PGUSER=ventod PGHOST=/nowhere "$BIN/ventoctl" -c "$WORK/own.conf" check freshness

# A configuration with an error: no connection at all, with the PG*
# environment pointing at a database (the superuser's, even).
sed 's/^state_dir/state_dir = ;\nstate_dir/' "$WORK/vento.conf" >"$WORK/broken.conf"
before=$(sessions)
"$BIN/ventoctl" -c "$WORK/broken.conf" status >"$WORK/broken.out" 2>&1
check "status with a broken configuration fails" test $? -ne 0
check "naming file:line" grep -q "broken.conf:[0-9]" "$WORK/broken.out"
check "and does not fall back to the PG* environment" eval '! grep -q "PG\* environment alone\|^T01 " "$WORK/broken.out"'
"$BIN/ventoctl" -c "$WORK/broken.conf" check freshness >"$WORK/broken-check.out" 2>&1
check_eq "check with a broken configuration: UNKNOWN" 3 "$?"
check "saying the configuration has errors" grep -q 'UNKNOWN - .*broken.conf has errors' "$WORK/broken-check.out"
printf 'time,asset_id,WTUR_SupWh\n2025-01-01 00:00,T01,1\n' >"$WORK/one.csv"
"$BIN/ventoctl" -c "$WORK/broken.conf" import "$WORK/one.csv" >"$WORK/broken-import.out" 2>&1
check "import with a broken configuration fails" test $? -ne 0
check_eq "and imports nothing" 0 "$(vento_psql -c "SELECT count(*) FROM stat_10min WHERE source = 'import'")"
check_eq "no ventoctl session was opened with the broken configuration" "$before" "$(sessions)"

vento_stop "$VENTOD"
check_eq "ventod exits 0" 0 "$?"
check_clean "$WORK/ventod.log"
tap_done

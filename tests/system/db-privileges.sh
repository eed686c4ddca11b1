#!/bin/bash
# db-privileges: the roles hold what the README promises, set up as it
# says (an owner that is no superuser runs the migrations). The privilege
# matrix (tests/lib/privileges.sql, pgTAP) covers every object of the
# schema for PUBLIC, the reader, the writer and a login in no vento role;
# then the attacks of issue 12 are tried as each of them: drop the raw
# data, shorten the retention, change the projection, re-register a
# device or a state, move a spool position back or another writer's. All
# are refused with 42501 and change nothing. ventod as the writer stores
# every row once; a privilege taken from it mid-run makes it wait and
# retry, not set batches aside; settings it may not change are kept, with
# a warning.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

base=$(vento_free_base 3) || { echo "Bail out! no free ports"; exit 1; }
vento_write_conf "$WORK/vento.conf" 3 "$base"
pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
vento_psql -d postgres -c "CREATE ROLE vento_owner LOGIN CREATEROLE" \
	-c "DROP DATABASE vento" -c "CREATE DATABASE vento OWNER vento_owner"
PGUSER=vento_owner "$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate \
	>/dev/null || { echo "Bail out! the schema did not apply as vento_owner"; exit 1; }
vento_psql -c "CREATE ROLE ventod LOGIN IN ROLE vento_writer" \
	-c "CREATE ROLE ventod2 LOGIN IN ROLE vento_writer" \
	-c "CREATE ROLE grafana LOGIN IN ROLE vento_reader" \
	-c "CREATE ROLE nobody LOGIN" \
	-c "CREATE SCHEMA tap" -c "CREATE EXTENSION pgtap SCHEMA tap" >/dev/null
# What the owner set before ventod came: a longer retention and another
# projection than vento.conf's, which the writer may not change.
PGUSER=vento_owner vento_psql -c "SELECT vento_set_retention(120)" \
	-c "SELECT vento_set_projection(500e6, array_fill(100.0 / 12, ARRAY[12]), 'UTC')" >/dev/null
sed -e 's/conninfo = "dbname=vento";/conninfo = "dbname=vento user=ventod"; retention_days = 30;/' \
	"$WORK/vento.conf" >"$WORK/writer.conf"

vento_start_sim 7
vento_bg ventod "$BIN/ventod" -c "$WORK/writer.conf"
VENTOD=$LAST_PID
check "ventod as vento_writer stores rows" vento_wait_drained 30
check "it keeps the database's longer retention, saying why" \
	grep -q 'raw samples are kept 120 days; only the schema owner may shorten that to 30.*keeping the database' "$WORK/ventod.log"
check "and the database's projection" grep -q 'the projection is 500000000 kWh a year in UTC; only the schema owner' "$WORK/ventod.log"
check_eq "the projection stays the owner's" 500000000 "$(vento_psql -c "SELECT annual_kwh FROM projection")"

# The matrix, each pgTAP line as one of ours.
psql -X -q -At -v nobody=nobody -f "$VENTO_ROOT/tests/lib/privileges.sql" >"$WORK/matrix.tap" 2>&1
while IFS= read -r line; do
	case $line in
	"ok "*) ok "matrix: ${line#ok * - }" ;;
	"not ok "*) not_ok "matrix: ${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$WORK/matrix.tap"
check "the matrix ran to its end" grep -q '^1\.\.[0-9]' "$WORK/matrix.tap" ||
	sed 's/^/# /' "$WORK/matrix.tap"

# refused ROLE STATE SQL: SQL as ROLE fails with SQLSTATE STATE.
refused() {
	local out
	out=$(psql -X -q -At -U "$1" -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "$3" 2>&1) && return 1
	echo "$out" | grep -q "ERROR:  $2" && return 0
	echo "$out" | sed 's/^/# /'
	return 1
}
state() {
	vento_psql -c "SELECT (SELECT count(*) FROM raw_sample), (SELECT count(*) FROM pg_inherits
	                 WHERE inhparent = 'raw_sample'::regclass),
	               (SELECT string_agg(name || ':' || kind || ':' || profile, ' ' ORDER BY name) FROM device),
	               (SELECT annual_kwh || time_zone FROM projection),
	               (SELECT raw_retention_days FROM vento_setting),
	               (SELECT string_agg(spool_id || ':' || acked, ' ' ORDER BY spool_id) FROM spool_position),
	               (SELECT string_agg(code || category, ' ' ORDER BY code) FROM model_state)"
}

vento_stop "$VENTOD"
check_eq "ventod exits 0" 0 "$?"
vento_psql -c "INSERT INTO spool_position (spool_id, acked, writer) VALUES ('ventod2', 5, 'ventod2')"
before=$(state)

for role in grafana ventod; do
	check "as $role: vento_drop_partitions_before('infinity') refused" \
		refused $role 42501 "SELECT vento_drop_partitions_before('infinity')"
	check "as $role: vento_drop_raw_partitions('infinity') refused" \
		refused $role 42501 "SELECT vento_drop_raw_partitions('infinity')"
	check "as $role: vento_drop_partitions with a cutoff does not exist" \
		refused $role 42883 "SELECT vento_drop_partitions('infinity')"
	check "as $role: shortening the retention refused" refused $role 42501 "SELECT vento_set_retention(1)"
	check "as $role: setting the projection refused" \
		refused $role 42501 "SELECT vento_set_projection(1, array_fill(100.0 / 12, ARRAY[12]), 'UTC')"
	check "as $role: re-registering T01 as a meter refused" \
		refused $role 42501 "SELECT vento_register_device('T01', 'meter', 'vento-sim-meter', 0, 0)"
	check "as $role: moving a spool position back refused" \
		refused $role 42501 "UPDATE spool_position SET acked = acked - 1"
	check "as $role: deleting raw samples refused" refused $role 42501 "DELETE FROM raw_sample"
	check "as $role: truncating raw samples refused" refused $role 42501 "TRUNCATE raw_sample"
	check "as $role: recomputing a day's sums refused" \
		refused $role 42501 "SELECT vento_rollup_days('-infinity', 'infinity')"
	check "as $role: creating a table refused" refused $role 42501 "CREATE TABLE x (y int)"
done
check "as the reader: vento_drop_partitions() refused" refused grafana 42501 "SELECT vento_drop_partitions()"
check "as the reader: registering a new device refused" \
	refused grafana 42501 "SELECT vento_register_device('T99', 'turbine', 'vento-sim-4500', 0, 4500)"
check "as the writer: the reports refused" \
	refused ventod 42501 "SELECT * FROM vento_yearly_check(2026)"
check "as the writer: moving a spool position back by upsert refused" \
	refused ventod 42501 "INSERT INTO spool_position (spool_id, acked) SELECT spool_id, 0 FROM spool_position
	                      WHERE writer = 'ventod' ON CONFLICT (spool_id) DO UPDATE SET acked = excluded.acked"
check "as the writer: moving another writer's spool position refused" \
	refused ventod 42501 "UPDATE spool_position SET acked = 99 WHERE spool_id = 'ventod2'"
check "as the writer: naming another writer refused" \
	refused ventod 42501 "UPDATE spool_position SET writer = 'ventod2'"
check "as the writer: changing a state's category refused" \
	refused ventod 42501 "SELECT vento_register_state('vento-sim-4500', 2, 'producing', 'forced outage')"
check_eq "as the writer: vento_drop_partitions() drops nothing within the retention" 0 \
	"$(psql -X -q -At -U ventod -c "SELECT vento_drop_partitions()" 2>&1)"
out=$(psql -X -q -At -U nobody -c "SELECT vento_drop_partitions_before('infinity')" 2>&1)
check "a login in no vento role cannot even connect" eval '[[ $out == *"permission denied for database"* ]]'
check_eq "and all of that changed nothing" "$before" "$(state)"

# What the writer may: a new device, a new state, a longer retention, its
# spool position forward.
allowed() { psql -X -q -At -U "$1" -v ON_ERROR_STOP=1 -c "$2" >/dev/null; }
check "as the writer: a new device is registered" \
	allowed ventod "SELECT vento_register_device('T99', 'turbine', 'vento-sim-4500', 0, 4500)"
check "as the writer: an existing device said again is its id" \
	allowed ventod "SELECT vento_register_device('T99', 'turbine', 'vento-sim-4500', 0, 4500)"
check "as the writer: a new state is registered" \
	allowed ventod "SELECT vento_register_state('vento-sim-4500', 99, 'test', 'unknown')"
check "as the writer: the retention lengthened" allowed ventod "SELECT vento_set_retention(150)"
check "as a writer: its spool position forward" \
	allowed ventod2 "UPDATE spool_position SET acked = 6 WHERE spool_id = 'ventod2'"

# A privilege taken from ventod while it runs: its batches wait in the
# spool and are retried, none set aside; given back, every row is stored
# once.
vento_psql -c "REVOKE INSERT ON raw_sample FROM vento_writer"
vento_bg ventod2 "$BIN/ventod" -c "$WORK/writer.conf"
VENTOD=$LAST_PID
sleep 4
check "without INSERT, ventod says the database refused it" \
	grep -q 'permission denied for table raw_sample' "$WORK/ventod2.log"
check "and sets nothing aside" eval '! grep -q "set aside" "$WORK/ventod2.log" && [ ! -d "$WORK/state/quarantine" ]'
check "its spool holds the batches" test "$(vento_health spool_backlog)" -gt 0
vento_psql -c "GRANT INSERT ON raw_sample TO vento_writer"
check "given INSERT back, it stores them" vento_wait_drained 30
vento_stop "$SIM"
sleep 1.5
vento_wait_drained 10
vento_stop "$VENTOD"
check_eq "ventod exits 0" 0 "$?"
vento_compare "$WORK/served.csv"
check "rows were served" test "$SERVED" -gt 0
check_eq "every served row stored" 0 "$MISSING"
check_stored_as_served
check_clean "$WORK"/ventod*.log "$WORK/sim.log"
tap_done

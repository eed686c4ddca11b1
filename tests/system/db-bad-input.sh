#!/bin/bash
# db-bad-input: what the database refuses. A login that does not exist and
# a schema newer than the binary give clear errors while ventod keeps
# polling into its spool; a batch PostgreSQL rejects goes to a quarantine
# file with the reason and the batches behind it are stored.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

vento_farm 3

# A login the database refuses.
sed -e 's/conninfo = "dbname=vento"/conninfo = "dbname=vento user=nobody"/' "$WORK/vento.conf" >"$WORK/nobody.conf"
vento_bg ventod "$BIN/ventod" -c "$WORK/nobody.conf"
ventod=$LAST_PID
sleep 4
check "ventod keeps running when its login is refused" kill -0 "$ventod"
check "the log names the cause" grep -q 'cannot connect to the database: .*role "nobody" does not exist' "$WORK/ventod.log"
check "the batches wait in the spool" test "$(vento_health spool_backlog)" -gt 0
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"

# A schema newer than this ventod, which knows the newest file of schema/.
latest=$(ls "$VENTO_ROOT"/schema/[0-9][0-9][0-9]_*.sql | tail -n 1 | sed 's|.*/0*\([0-9]*\)_.*|\1|')
vento_psql -c "INSERT INTO vento_migration (version, name) VALUES (99, '099_future.sql')"
vento_start_ventod ventod2
ventod=$VENTOD
sleep 3
check "a newer schema is named as the cause" \
	grep -q "the database schema is version 99, newer than this ventod ($latest): upgrade vento" "$WORK/ventod2.log"
vento_stop "$ventod"
"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate >"$WORK/migrate.txt" 2>&1
check "ventoctl migrate refuses a newer database" grep -q 'version 99, newer than the newest file here' "$WORK/migrate.txt"
vento_psql -c "DELETE FROM vento_migration WHERE version = 99"
check_eq "nothing was stored meanwhile" 0 "$(vento_psql -c "SELECT count(*) FROM raw_sample")"

# A batch PostgreSQL rejects: a constraint refuses one tick a few seconds
# ahead, so the batch holding it is refused and must be set aside.
bad=$(vento_psql -c "SELECT extract(epoch FROM date_trunc('second', now()))::bigint + 6")
vento_psql -c "ALTER TABLE raw_sample ADD CONSTRAINT refuse_one_tick CHECK (time <> to_timestamp($bad))"
vento_start_ventod ventod3
ventod=$VENTOD
check "the spooled backlog is stored" vento_wait_drained 30
sleep 10
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
check "the refused batch is in quarantine" test -n "$(ls "$WORK"/state/quarantine/*.rec 2>/dev/null)"
check "with the reason" grep -q 'violates check constraint "refuse_one_tick"' "$WORK"/state/quarantine/*.reason
check "the log says where it went" grep -q 'refused (.*refuse_one_tick.*); set aside in' "$WORK/ventod3.log"
check "batches after it are stored" test "$(vento_psql -c "SELECT count(*) FROM raw_sample WHERE time > to_timestamp($bad + 1)")" -gt 0
check "the backlog from before is stored" test "$(vento_psql -c "SELECT count(*) FROM raw_sample WHERE time < to_timestamp($bad - 6)")" -gt 0
check_clean "$WORK"/ventod*.log
tap_done

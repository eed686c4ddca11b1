#!/bin/bash
# db-duplicate: raw_sample refuses a second row for a device and tick, and
# ventod, replaying spool records the database already holds (its position
# set back), counts the rows refused instead of failing the batch: nothing
# doubled, nothing set aside, every served tick stored once.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=3
vento_farm $N
vento_psql -c "CREATE ROLE ventod LOGIN IN ROLE vento_writer" >/dev/null
sed -i 's/conninfo = "dbname=vento"/conninfo = "dbname=vento user=ventod"/' "$WORK/vento.conf"
vento_start_sim 23
sim=$SIM
vento_start_ventod
ventod=$VENTOD
check "the first rows are stored" vento_wait_drained 30
sleep 6
check "the rows are stored" vento_wait_drained 30
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"

check "the database refuses a row already stored" \
	bash -c '! psql -X -q -c "INSERT INTO raw_sample SELECT * FROM raw_sample LIMIT 1" 2>"$0/insert.err"' "$WORK"
check "as a unique violation" grep -q 'duplicate key value violates unique constraint' "$WORK/insert.err"

# The spool still holds the records stored last (its newest segment is
# kept); setting the position back makes the next ventod send 4 of them
# again.
before=$(vento_psql -c "SELECT count(*) FROM raw_sample")
vento_psql -c "UPDATE spool_position SET acked = acked - 4" >/dev/null
vento_start_ventod ventod2
ventod=$VENTOD
check "the replayed backlog is stored" vento_wait_drained 30
sleep 4
check "and the ticks after it" vento_wait_drained 30
dups=$(vento_health duplicates)
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
vento_stop "$sim" >/dev/null || true
check "the rows refused as stored already are counted ($dups)" test "${dups:-0}" -ge $((4 * N - N))
check "the log says so" grep -q 'were stored already; refused, not doubled' "$WORK/ventod2.log"
check "no batch was set aside" test ! -e "$WORK/state/quarantine"
check "rows after the replay are stored" test "$(vento_psql -c "SELECT count(*) FROM raw_sample")" -gt "$before"
vento_compare "$WORK/served.csv"
check_eq "every served tick is stored" 0 "$MISSING"
check_stored_as_served
check_clean "$WORK"/ventod*.log
tap_done

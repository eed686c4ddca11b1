#!/bin/bash
# db-quarantine: the database refuses one tick as data (a constraint). Only
# the record holding it is set aside, one record, not the farm's backlog;
# ventoctl status and check spool show it as a loss, quarantine list and
# show say what it is and why; once the constraint is gone, quarantine
# replay stores it and every served tick is in the database once.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=10
vento_farm $N
bad=$(vento_psql -c "SELECT extract(epoch FROM date_trunc('second', now()))::bigint + 8")
vento_psql -c "ALTER TABLE raw_sample ADD CONSTRAINT refuse_one_tick CHECK (time <> to_timestamp($bad))"
vento_start_sim 47
sim=$SIM
vento_start_ventod
ventod=$VENTOD
sleep 14
check "the rows around it are stored" vento_wait_drained 30
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
vento_stop "$sim" >/dev/null || true
check_eq "one record is set aside" 1 "$(ls "$WORK"/state/quarantine/*.rec 2>/dev/null | wc -l)"
check_eq "the refused tick is not stored" 0 "$(vento_psql -c "SELECT count(*) FROM raw_sample WHERE time = to_timestamp($bad)")"
check "the ticks after it are" test "$(vento_psql -c "SELECT count(*) FROM raw_sample WHERE time > to_timestamp($bad)")" -ge $((3 * N))

ctl() { "$BIN/ventoctl" -c "$WORK/vento.conf" "$@"; }
ctl status >"$WORK/status1.txt" 2>&1
check "ventoctl status shows it" grep -q 'LOST since start: .* 1 batches in quarantine' "$WORK/status1.txt"
ctl check spool >"$WORK/check1.txt"
check_eq "check spool is not OK" 2 "$?" # ventod is stopped: CRITICAL
check "and names the quarantine" grep -q 'LOST 1 batches in quarantine' "$WORK/check1.txt"
ctl quarantine list >"$WORK/list.txt"
check_eq "quarantine list exits 0" 0 "$?"
check "it lists the record, its rows and the reason" \
	grep -Eq "^[0-9a-f]{16} +$N .*refuse_one_tick" "$WORK/list.txt"
rec=$(awk 'NR == 2 { print $1 }' "$WORK/list.txt")
ctl quarantine show "$rec" >"$WORK/show.txt"
check_eq "quarantine show prints its rows" "$N" "$(grep -c '^T[0-9]* .* quality=' "$WORK/show.txt")"
ctl quarantine replay >"$WORK/replay1.txt" 2>&1
check_eq "replay fails while the cause is there" 1 "$?"
check "saying why" grep -q 'still refused: .*refuse_one_tick' "$WORK/replay1.txt"

vento_psql -c "ALTER TABLE raw_sample DROP CONSTRAINT refuse_one_tick"
ctl quarantine replay >"$WORK/replay2.txt" 2>&1
check_eq "replay succeeds once the cause is mended" 0 "$?"
check "it says what it stored" grep -q "record $rec: $N rows stored, 0 stored already" "$WORK/replay2.txt"
check_eq "the quarantine is empty" 0 "$(ls "$WORK"/state/quarantine/*.rec 2>/dev/null | wc -l)"
ctl status >"$WORK/status2.txt" 2>&1
check "ventoctl status shows no loss" bash -c "! grep -q LOST '$WORK/status2.txt'"
vento_compare "$WORK/served.csv"
check_eq "every served tick is stored" 0 "$MISSING"
check_stored_as_served
check_clean "$WORK/ventod.log"
tap_done

#!/bin/bash
# spool-identity: the spool and the database agree on who the spool is and
# how far it is stored. Everything is stored, then the first record of the
# spool's only segment is damaged: the next ventod must not number its
# records from 1 again (the database's position would skip them). Then
# spool.id is made unreadable: the segments still say whose they are, so
# nothing is replayed under a new identity. Last, the segments are removed
# altogether: the spool numbers from 1 again, behind the database's
# position, and the new records must not be skipped as stored.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=10
vento_farm $N
vento_start_sim 37
sim=$SIM
vento_start_ventod
ventod=$VENTOD
check "the first rows are stored" vento_wait_drained 30
sleep 5
check "all stored" vento_wait_drained 30
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
acked=$(vento_psql -c "SELECT acked FROM spool_position")
segs=$(ls "$WORK"/state/spool/*.seg)
check_eq "the spool keeps one segment" 1 "$(echo "$segs" | wc -l)"
# Byte 40 is inside the first record, with a segment header or without.
printf '\377' | dd of="$segs" bs=1 seek=40 conv=notrunc 2>/dev/null

vento_start_ventod ventod2
ventod=$VENTOD
sleep 8
check "the ticks after the damage are stored" vento_wait_drained 30
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
check "the position moved on from $acked" test "$(vento_psql -c "SELECT acked FROM spool_position")" -gt "$acked"
vento_compare "$WORK/served.csv"
check_eq "every served tick is stored" 0 "$MISSING"

echo garbage >"$WORK/state/spool/spool.id"
before=$(vento_psql -c "SELECT count(*) FROM raw_sample")
vento_start_ventod ventod3
ventod=$VENTOD
sleep 6
check "stored after spool.id became unreadable" vento_wait_drained 30
dups=$(vento_health duplicates)
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
rm -f "$WORK"/state/spool/*.seg
vento_start_ventod ventod4
ventod=$VENTOD
sleep 6
check "stored after the segments were removed" vento_wait_drained 30
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
vento_stop "$sim" >/dev/null || true
check "the log says the numbering was behind" grep -Eq 'but the spool numbers only up to [0-9]+: storing all' "$WORK/ventod4.log"
check "the id is taken from the segments" grep -q 'is taken from its segments' "$WORK/ventod3.log"
check_eq "one spool, one position" 1 "$(vento_psql -c "SELECT count(*) FROM spool_position")"
check_eq "nothing was sent again" 0 "${dups:-unknown}"
check "new rows were stored" test "$(vento_psql -c "SELECT count(*) FROM raw_sample")" -gt "$before"
check_eq "no loss counted" 0 "$(vento_health damaged)"
vento_compare "$WORK/served.csv"
check_eq "every served tick is stored" 0 "$MISSING"
check_stored_as_served
check_clean "$WORK"/ventod*.log
tap_done

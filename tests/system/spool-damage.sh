#!/bin/bash
# spool-damage: ventod stops with a backlog in its spool (the database is
# away), and the spool is damaged before the next start: the newest
# segment loses its tail mid-record and a byte in an older segment is
# flipped. ventod starts, says what it found, drops only the damaged
# records, and stores all the rest exactly once.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=40
SPOOL_MAX_MB=0.25 vento_farm $N
pg_stop "$WORK"

vento_start_sim 23
sim=$SIM
vento_start_ventod
ventod=$VENTOD
sleep 20
vento_stop "$ventod"
check_eq "ventod exits 0 with the database away" 0 "$?"
vento_stop "$sim" >/dev/null || true

segs=$(ls "$WORK/state/spool/"*.seg)
nsegs=$(echo "$segs" | wc -l)
check "the backlog spans several segments ($nsegs)" test "$nsegs" -ge 3
oldest=$(echo "$segs" | head -n 1)
newest=$(echo "$segs" | tail -n 1)
size=$(stat -c %s "$newest")
truncate -s $((size - 7)) "$newest"
printf '\377' | dd of="$oldest" bs=1 seek=$(($(stat -c %s "$oldest") / 2)) conv=notrunc 2>/dev/null

pg_resume "$WORK"
vento_start_ventod ventod2
ventod=$VENTOD
check "the restarted ventod stores what is left" vento_wait_drained 60
vento_stop "$ventod"
check_eq "the restarted ventod exits 0" 0 "$?"
check "it reports the torn tail" grep -q 'cut an unsynced tail' "$WORK/ventod2.log"
check "it reports the damaged record" grep -q 'damaged record at offset' "$WORK/ventod2.log"
lost=$(sed -n 's/.*damaged record at offset [0-9]*: \([0-9]*\) records.*/\1/p' "$WORK/ventod2.log")
check_clean "$WORK"/ventod*.log

vento_compare "$WORK/served.csv"
check "the damage cost some ticks ($MISSING)" test "$MISSING" -gt 0
check "no more than the damaged records and the torn one ($MISSING <= ($lost + 1) x $N)" \
	test "$MISSING" -le $(((lost + 1) * N))
check_stored_as_served
tap_done

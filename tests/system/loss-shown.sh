#!/bin/bash
# loss-shown: every loss is counted exactly and shown where an operator
# looks. A backlog is spooled with the database away, then a byte is
# flipped inside synced records of the oldest and of the newest segment:
# the damaged records are counted (the newest segment's are not an
# "unsynced tail"), the records after them stored. Then the database stays
# away past the spool's bound: the batches dropped are counted. The rows
# missing are exactly the batches counted lost, and ventoctl status,
# ventoctl check spool and collector_health all say so.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=40
SPOOL_MAX_MB=0.125 vento_farm $N
pg_stop "$WORK"
vento_start_sim 43
sim=$SIM
vento_start_ventod
ventod=$VENTOD
sleep 12
vento_stop "$ventod"
check_eq "ventod exits 0 with the database away" 0 "$?"
segs=$(ls "$WORK"/state/spool/*.seg)
check "the backlog spans several segments ($(echo "$segs" | wc -l))" test "$(echo "$segs" | wc -l)" -ge 3
for f in $(echo "$segs" | head -n 1) $(echo "$segs" | tail -n 1); do
	printf '\377' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") / 2)) conv=notrunc 2>/dev/null
done

pg_resume "$WORK"
vento_start_ventod ventod2
ventod=$VENTOD
check "the rest of the backlog is stored" vento_wait_drained 60
check "the newest segment's damage is not taken for an unsynced tail" \
	bash -c "! grep -q 'unsynced tail' '$WORK/ventod2.log'"
damaged=$(vento_health damaged)
check "the damaged batches are counted ($damaged)" test "${damaged:-0}" -ge 2
"$BIN/ventoctl" -c "$WORK/vento.conf" status >"$WORK/status1.txt" 2>&1
check "ventoctl status shows them" grep -q "LOST since start: 0 rows not spooled (.*), 0 batches dropped at the spool bound, $damaged batches damaged" "$WORK/status1.txt"
"$BIN/ventoctl" -c "$WORK/vento.conf" check spool >"$WORK/check1.txt"
check_eq "check spool: WARNING" 1 "$?"
check "naming the loss" grep -q "spool: LOST $damaged batches damaged" "$WORK/check1.txt"

pg_stop "$WORK"
down_at=$(date +%s)
sleep 40
check "batches are dropped at the bound meanwhile ($(vento_health spool_dropped))" test "$(vento_health spool_dropped)" -gt 0
pg_resume "$WORK"
check "what is kept is stored" vento_wait_drained 60
sleep 2
dropped=$(vento_health spool_dropped)
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
vento_stop "$sim" >/dev/null || true
"$BIN/ventoctl" -c "$WORK/vento.conf" status >"$WORK/status2.txt" 2>&1
check "ventoctl status shows both" grep -q "0 rows not spooled (.*), $dropped batches dropped at the spool bound, $damaged batches damaged" "$WORK/status2.txt"
"$BIN/ventoctl" -c "$WORK/vento.conf" check spool >"$WORK/check2.txt"
check_eq "check spool: CRITICAL (ventod stopped, losses)" 2 "$?"
check_eq "collector_health's last row (written at stop) has the counts" "$dropped $damaged" \
	"$(vento_psql -c "SELECT lost_dropped || ' ' || lost_damaged FROM collector_health ORDER BY time DESC LIMIT 1")"
vento_compare "$WORK/served.csv"
check_eq "the rows missing are exactly the batches counted lost" $(((dropped + damaged) * N)) "$MISSING"
check_stored_as_served
check_clean "$WORK"/ventod*.log
tap_done

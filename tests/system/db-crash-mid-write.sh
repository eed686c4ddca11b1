#!/bin/bash
# db-crash-mid-write: PostgreSQL crashes (immediate shutdown) while ventod's
# writer is inside a transaction that has already copied its rows but not
# committed them. After the restart those rows must be stored exactly once:
# not lost with the transaction, not doubled by the replay.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=40
vento_farm $N

vento_start_sim 13
sim=$SIM
vento_start_ventod
ventod=$VENTOD
check "the first rows are stored" vento_wait_drained 30
sleep 3

check "ventod's writer is caught inside a transaction that has copied rows" vento_hold_writer
sleep 2
pg_crash "$WORK"
check "the crash cut the writer's transaction" \
	grep -q 'cannot store spooled rows' "$WORK/ventod.log"
pg_resume "$WORK" || { echo "Bail out! PostgreSQL did not restart"; exit 1; }
check "the spool drains after the restart" vento_wait_drained 60
sleep 3

rc=0
vento_stop "$ventod" || rc=$?
check_eq "ventod exits 0" 0 "$rc"
vento_stop "$sim" >/dev/null || true
check_clean "$WORK/ventod.log" "$WORK/sim.log"

vento_compare "$WORK/served.csv"
check "at least 8 s of the farm were served" test "$SERVED" -ge $((8 * N))
check_eq "every served tick is stored" 0 "$MISSING"
check_stored_as_served
tap_done

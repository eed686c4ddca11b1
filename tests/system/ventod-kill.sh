#!/bin/bash
# ventod-kill: ventod is killed with SIGKILL while its writer is inside an
# open transaction, then started again on the same spool. Every tick that
# was spooled is stored exactly once; only what was polled in the last
# moment before the kill, still in memory, may be missing.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=40
vento_farm $N

vento_start_sim 17
sim=$SIM
vento_start_ventod
ventod=$VENTOD
check "the first rows are stored" vento_wait_drained 30
sleep 2

check "ventod's writer is caught inside a transaction that has copied rows" vento_hold_writer
sleep 3
killed_at=$(date +%s)
kill -KILL "$ventod"
wait "$ventod" 2>/dev/null
vento_release_writer

vento_start_ventod ventod2
ventod=$VENTOD
check "the restarted ventod stores the spooled backlog" vento_wait_drained 60
check "it resumed from the spool" grep -q 'spool .* holds records' "$WORK/ventod2.log"
sleep 3
rc=0
vento_stop "$ventod" || rc=$?
check_eq "the restarted ventod exits 0" 0 "$rc"
vento_stop "$sim" >/dev/null || true
check_clean "$WORK/ventod2.log" "$WORK/sim.log"

vento_compare "$WORK/served.csv"
late=$(vento_psql -c "SELECT count(*) FROM missing WHERE second < $killed_at - 1")
check_eq "every tick served more than 1 s before the kill is stored" 0 "$late"
check "at most the last second before the kill is missing ($MISSING)" test "$MISSING" -le $((2 * N))
check_stored_as_served
tap_done

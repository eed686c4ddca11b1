#!/bin/bash
# state-lock: one ventod per state directory. A second ventod on the same
# state_dir refuses to start, names the first one's pid and touches
# neither the spool nor the health file; the first goes on storing every
# tick once. Once the first is gone (even by kill -9), the lock is free.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=3
vento_farm $N
vento_start_sim 29
sim=$SIM
vento_start_ventod
first=$VENTOD
check "the first ventod stores rows" vento_wait_drained 30

timeout 20 "$BIN/ventod" -c "$WORK/vento.conf" >"$WORK/second.log" 2>&1
rc=$?
check_eq "a second ventod on the same state_dir exits 1" 1 "$rc"
check "naming the first one's pid" grep -q "state_dir $WORK/state is in use by another ventod (pid $first)" "$WORK/second.log"
check_eq "the health file is still the first one's" "$first" "$(vento_health pid)"
sleep 3
check "the first goes on storing" vento_wait_drained 30
kill -KILL "$first"
wait "$first" 2>/dev/null
vento_start_ventod ventod2
ventod=$VENTOD
check "after kill -9 of the first, a new ventod takes the state_dir" vento_wait_drained 30
check "and its pid is in the lock file" grep -q "^$ventod " "$WORK/state/ventod.lock"
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
vento_stop "$sim" >/dev/null || true
vento_compare "$WORK/served.csv"
check_stored_as_served
check_clean "$WORK"/ventod*.log "$WORK/second.log"
tap_done

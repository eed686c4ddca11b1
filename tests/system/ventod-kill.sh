#!/bin/bash
# ventod-kill: ventod is killed with SIGKILL while its writer is inside an
# open transaction, then started again on the same spool. Every tick that
# was spooled is stored exactly once; only what was polled in the last
# moment before the kill, still in memory, may be missing.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=40
base=$(vento_free_base $N) || { echo "Bail out! no free ports"; exit 1; }
vento_write_conf "$WORK/vento.conf" $N "$base"
pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate >/dev/null

vento_bg sim "$BIN/ventosim" -c "$WORK/vento.conf" --seed 17 \
	--served "$WORK/served.csv" --ready "$WORK/sim.ready"
sim=$LAST_PID
vento_wait_file "$WORK/sim.ready" 20 || { echo "Bail out! ventosim not ready"; exit 1; }
vento_bg ventod "$BIN/ventod" -c "$WORK/vento.conf"
ventod=$LAST_PID
check "the first rows are stored" vento_wait_drained 30
sleep 2

check "ventod's writer is caught inside a transaction that has copied rows" vento_hold_writer
sleep 3
killed_at=$(date +%s)
kill -KILL "$ventod"
wait "$ventod" 2>/dev/null
vento_release_writer
uncommitted=$(vento_psql -c "SELECT count(*) FROM raw_sample WHERE time > to_timestamp($killed_at - 5)")
echo "# rows of the last 5 s stored at the kill: $uncommitted"

rm -f "$WORK/state/health" # the last run's
vento_bg ventod2 "$BIN/ventod" -c "$WORK/vento.conf"
ventod=$LAST_PID
check "the restarted ventod stores the spooled backlog" vento_wait_drained 60
check "it resumed from the spool" grep -q 'spool .* holds records' "$WORK/ventod2.log"
sleep 3
rc=0
vento_stop "$ventod" || rc=$?
check_eq "the restarted ventod exits 0" 0 "$rc"
vento_stop "$sim" >/dev/null || true
check "no sanitizer reports" sh -c "! grep -q 'Sanitizer\|runtime error' '$WORK/ventod2.log' '$WORK/sim.log'"

vento_compare "$WORK/served.csv"
late=$(vento_psql -c "SELECT count(*) FROM missing WHERE second < $killed_at - 1")
check_eq "every tick served more than 1 s before the kill is stored" 0 "$late"
check "at most the last second before the kill is missing ($MISSING)" test "$MISSING" -le $((2 * N))
check_eq "nothing stored that was not served" 0 "$EXTRA"
check_eq "nothing stored twice" 0 "$DUPS"
check_eq "every value as served" 0 "$WRONG"
tap_done

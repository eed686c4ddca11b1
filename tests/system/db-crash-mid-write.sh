#!/bin/bash
# db-crash-mid-write: PostgreSQL crashes (immediate shutdown) while ventod's
# writer is inside a transaction that has already copied its rows but not
# committed them. After the restart those rows must be stored exactly once:
# not lost with the transaction, not doubled by the replay.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=40
base=$(vento_free_base $N) || { echo "Bail out! no free ports"; exit 1; }
vento_write_conf "$WORK/vento.conf" $N "$base"
pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate >/dev/null

vento_bg sim "$BIN/ventosim" -c "$WORK/vento.conf" --seed 13 \
	--served "$WORK/served.csv" --ready "$WORK/sim.ready"
sim=$LAST_PID
vento_wait_file "$WORK/sim.ready" 20 || { echo "Bail out! ventosim not ready"; exit 1; }
vento_bg ventod "$BIN/ventod" -c "$WORK/vento.conf"
ventod=$LAST_PID
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
check "no sanitizer reports" sh -c "! grep -q 'Sanitizer\|runtime error' '$WORK/ventod.log' '$WORK/sim.log'"

vento_compare "$WORK/served.csv"
check "at least 8 s of the farm were served" test "$SERVED" -ge $((8 * N))
check_eq "every served tick is stored" 0 "$MISSING"
check_eq "nothing stored that was not served" 0 "$EXTRA"
check_eq "nothing stored twice" 0 "$DUPS"
check_eq "every value as served" 0 "$WRONG"
tap_done

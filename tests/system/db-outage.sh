#!/bin/bash
# db-outage: PostgreSQL is down when ventod starts, comes up, then is
# stopped for 2 minutes and started again. ventod keeps polling and
# spooling throughout; afterwards every tick ventosim served is in the
# database exactly once, with the values served, and the backlog drained
# far faster than real time.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=40
vento_farm $N
pg_stop "$WORK"

vento_start_sim 11
sim=$SIM

vento_start_ventod
ventod=$VENTOD
sleep 8
check "ventod runs with the database down at start" kill -0 "$ventod"
check_eq "its health file says the database is down" 0 "$(vento_health db_up)"
check "and that batches wait in the spool" test "$(vento_health spool_backlog)" -gt 0

pg_resume "$WORK"
check "the spool drains once the database is up" vento_wait_drained 60
sleep 3

pg_stop "$WORK"
t0=$SECONDS
sleep 120
backlog=$(vento_health spool_backlog)
check "after 2 minutes down, about 120 batches are spooled ($backlog)" test "$backlog" -ge 100
"$BIN/ventoctl" -c "$WORK/vento.conf" status >"$WORK/status-down.txt" 2>&1
check "ventoctl status fails while the database is down" test $? -ne 0
check "and still reports the spool" grep -q 'collector: pid .* database DOWN, spool .* batches not yet stored' "$WORK/status-down.txt"

pg_resume "$WORK"
t1=$SECONDS
check "the 2-minute backlog drains" vento_wait_drained 60
drain=$((SECONDS - t1))
echo "# backlog of $((t1 - t0)) s drained within $drain s of the database returning (includes reconnect backoff)"
sleep 2

rc=0
vento_stop "$ventod" || rc=$?
check_eq "ventod exits 0" 0 "$rc"
vento_stop "$sim" >/dev/null || true
check_clean "$WORK/ventod.log" "$WORK/sim.log"

vento_compare "$WORK/served.csv"
check "more than 130 s of the farm were served" test "$SERVED" -gt $((130 * N))
check_eq "every served tick is stored" 0 "$MISSING"
check_stored_as_served
check "the log says the database was unreachable" grep -q 'cannot connect to the database' "$WORK/ventod.log"
tap_done

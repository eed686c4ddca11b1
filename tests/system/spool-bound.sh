#!/bin/bash
# spool-bound: the database is away longer than the spool can hold (a
# 128 KiB bound here, about 25 s of this farm). The oldest batches are dropped, counted, logged and
# shown by ventoctl status; the spool stays within its bound; what was kept
# is stored exactly once when the database returns.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=40
SPOOL_MAX_MB=0.125 vento_farm $N

vento_start_sim 19
sim=$SIM
vento_start_ventod
ventod=$VENTOD
check "the first rows are stored" vento_wait_drained 30

pg_stop "$WORK"
down_at=$(date +%s)
sleep 60
check "the spool stays within its bound ($(vento_health spool_bytes) bytes)" \
	test "$(vento_health spool_bytes)" -le 131072
dropped=$(vento_health spool_dropped)
check "the health file counts dropped batches ($dropped)" test "$dropped" -gt 0
check "the log says so" grep -q 'spool full .*dropped the oldest' "$WORK/ventod.log"
pg_resume "$WORK"
check "the rest drains" vento_wait_drained 60
up_at=$(date +%s)
dropped=$(vento_health spool_dropped)
"$BIN/ventoctl" -c "$WORK/vento.conf" status >"$WORK/status.txt" 2>&1
check "ventoctl status shows the dropped batches" \
	grep -q "spool .* $dropped batches dropped at the spool bound" "$WORK/status.txt"
sleep 2
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
vento_stop "$sim" >/dev/null || true

vento_compare "$WORK/served.csv"
check "ticks were lost to the bound ($MISSING)" test "$MISSING" -gt 0
check_eq "only ticks of the outage are missing" 0 \
	"$(vento_psql -c "SELECT count(*) FROM missing WHERE second < $down_at - 2 OR second > $up_at")"
m_min=$(vento_psql -c "SELECT min(second) FROM missing")
m_max=$(vento_psql -c "SELECT max(second) FROM missing")
check_eq "the oldest were dropped: nothing kept inside the dropped run" 0 \
	"$(vento_psql -c "SELECT count(*) FROM raw_sample WHERE time > to_timestamp($m_min + 1) AND time < to_timestamp($m_max - 1)")"
check "what was kept of the outage is stored (the newest part)" \
	test "$(vento_psql -c "SELECT count(*) FROM raw_sample WHERE time > to_timestamp($m_max) AND time <= to_timestamp($up_at)")" -gt 0
check_stored_as_served
tap_done

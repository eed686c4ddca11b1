#!/bin/bash
# farm-basic: the walking skeleton end to end. ventosim serves 40 turbines,
# ventod polls them for about 10 s into a private PostgreSQL, and every row
# must be exactly what ventosim says it served: one row per turbine per
# second, no gap, no duplicate, values equal (integers exactly, floats to
# float32 rounding). `ventoctl status` must show all 40.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=40
base=$(vento_free_base $N) || { echo "Bail out! no free ports"; exit 1; }
vento_write_conf "$WORK/vento.conf" $N "$base"
pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }

check "ventod -n accepts the configuration" \
	"$BIN/ventod" -n -c "$WORK/vento.conf"
check "ventoctl migrate applies the schema" \
	"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate

vento_start_sim 7
sim=$SIM

vento_start_ventod
ventod=$VENTOD
sleep 11
rc=0
vento_stop "$ventod" || rc=$?
check_eq "ventod exits 0 on SIGTERM, clean under the sanitizers" 0 "$rc"
rc=0
vento_stop "$sim" || rc=$?
check_eq "ventosim exits 0 on SIGTERM" 0 "$rc"
check_clean "$WORK/ventod.log" "$WORK/sim.log"

q() { vento_psql -c "$1"; }

check_eq "40 turbines registered" 40 "$(q "SELECT count(*) FROM device WHERE kind = 'turbine'")"
check_eq "40 turbines have rows" 40 "$(q "SELECT count(DISTINCT device_id) FROM raw_sample")"
span=$(q "SELECT min(n) FROM (SELECT count(*) n FROM raw_sample GROUP BY device_id) c")
check "at least 9 s of rows per turbine ($span)" test "$span" -ge 9
check_eq "no duplicate (device, tick)" 0 \
	"$(q "SELECT count(*) FROM (SELECT 1 FROM raw_sample GROUP BY device_id, time HAVING count(*) > 1) d")"
check_eq "no gap: each turbine has one row per second from its first to its last" 0 \
	"$(q "SELECT count(*) FROM (SELECT device_id FROM raw_sample GROUP BY device_id
	      HAVING count(*) <> extract(epoch FROM max(time) - min(time)) + 1) g")"
check_eq "ticks fall on whole seconds" 0 \
	"$(q "SELECT count(*) FROM raw_sample WHERE extract(microseconds FROM time)::int % 1000000 <> 0")"
check_eq "every row has quality ok" 0 "$(q "SELECT count(*) FROM raw_sample WHERE quality <> 0")"

# What ventosim served against what was stored, value by value.
vento_compare "$WORK/served.csv"
check_eq "every served tick was stored" 0 "$MISSING"
check_eq "every stored tick was served" 0 "$EXTRA"
check_eq "every stored value equals the served one (integers exactly, floats to float32)" 0 "$WRONG"
check_eq "12 values per stored row were compared" "$((STORED * 12))" \
	"$(q "SELECT count(*) FROM stored s JOIN served v USING (device, second, signal)")"
check "the farm produced something (sum of power > 0)" \
	test "$(q "SELECT (sum(wtur_w) > 0)::int FROM raw_sample")" = 1
check_eq "every turbine that produced has a rising energy counter" 0 \
	"$(q "SELECT count(*) FROM (SELECT device_id FROM raw_sample GROUP BY device_id
	      HAVING sum(wtur_w) > 0 AND max(wtur_totwh) <= min(wtur_totwh)) c")"

# ventoctl status reads what was stored (the samples are seconds old).
"$BIN/ventoctl" -c "$WORK/vento.conf" status >"$WORK/status.txt" 2>&1
rc=$?
check_eq "ventoctl status exits 0" 0 "$rc"
check_eq "ventoctl status lists 40 turbines with good samples" 40 \
	"$(grep -cE '^T[0-9]{2} +turbine +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+\.[0-9] +0 ok +(producing|standby, low wind|stopped, high wind)$' "$WORK/status.txt")"
check "ventoctl status prints the farm total" grep -q '^farm: .* MW from 40 turbines' "$WORK/status.txt"
total=$(q "SELECT round(sum(wtur_w)::numeric / 1000, 1) FROM raw_sample r
           WHERE time = (SELECT max(time) FROM raw_sample)")
check "the farm total equals the newest tick's sum ($total MW)" grep -q "^farm: $total MW" "$WORK/status.txt"
"$BIN/ventoctl" -c "$WORK/vento.conf" --json status >"$WORK/status.json"
check "ventoctl --json status names 40 devices" test "$(grep -o '"name":"T[0-9]*"' "$WORK/status.json" | wc -l)" -eq 40
tap_done

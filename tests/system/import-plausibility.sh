#!/bin/bash
# import-plausibility: imported history is plausible or refused. NaN and
# infinities are no values; a value beyond what the device can physically
# give (its profile's rated power, energy per period, wind, direction,
# temperature, the model's state codes) is refused with its file:line, or
# with --mark-invalid imported without that value and marked invalid, so
# that no sum or report counts it. JSON output never holds NaN.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 1 # T01, vento-sim-4500: rated 4500 kW, at most 900 kWh in 10 min
q() { vento_psql -c "$1"; }
import() { "$BIN/ventoctl" -c "$WORK/vento.conf" import "$@" >"$WORK/import.out" 2>&1; }
H=time,asset_id,WTUR_W,WMET_HorWdSpd,WMET_HorWdDir,WTUR_TurSt,WMET_EnvTmp,WTUR_SupWh

cat >"$WORK/bad.csv" <<CSV
$H
2025-03-01T00:00:00Z,T01,NaN,8,100,2,20,300
2025-03-01T00:10:00Z,T01,1800,8,100,2,20,Infinity
2025-03-01T00:20:00Z,T01,1e30,8,100,2,20,300
2025-03-01T00:30:00Z,T01,-4.5e6,8,100,2,20,300
2025-03-01T00:40:00Z,T01,1800,8,100,2,20,-5
2025-03-01T00:50:00Z,T01,1800,8,100,2,20,1e9
2025-03-01T01:00:00Z,T01,1800,8,9999,2,20,300
2025-03-01T01:10:00Z,T01,1800,8,100,2,-300,300
2025-03-01T01:20:00Z,T01,1800,8,100,2.5,20,300
2025-03-01T01:30:00Z,T01,1800,150,100,2,20,300
2025-03-01T01:40:00Z,T01,1800,8,100,7,20,300
2025-03-01T01:50:00Z,T01,1800,8,100,2,20,300
CSV
import "$WORK/bad.csv"
check_eq "implausible history fails" 1 "$?"
err() { grep -q "bad.csv:$1: $2" "$WORK/import.out"; }
check "NaN power names its line" err 2 "column wtur_w: 'NaN' is not a finite number"
check "infinite energy names its line" err 3 "column wtur_supwh: 'Infinity' is not a finite number"
check "1e30 kW is beyond the rated power" err 4 "column wtur_w: 1e+30 kW is not plausible for T01 (-450 to 5400 kW)"
check "-4.5e6 kW too" err 5 "column wtur_w: -4.5e+06 kW is not plausible"
check "-5 kWh is no energy supplied" err 6 "column wtur_supwh: -5 kWh is not plausible for T01 (0 to 900 kWh)"
check "1e9 kWh in 10 minutes is beyond rated power x 10 min" err 7 "column wtur_supwh: 1e+09 kWh is not plausible"
check "a direction of 9999 degrees" err 8 "column wmet_horwddir: 9999 deg is not plausible for T01 (0 to 360 deg)"
check "-300 degrees C" err 9 "column wmet_envtmp: -300 deg C is not plausible"
check "state 2.5" err 10 "column wtur_turst: '2.5' is not a whole state code"
check "150 m/s of wind" err 11 "column wmet_horwdspd: 150 m/s is not plausible"
check "a state the model does not have" err 12 "state 7 is no state of T01's model vento-sim-4500"
check "the refusal says how to import such values marked" grep -q "(--mark-invalid imports such values marked invalid)" "$WORK/import.out"
check "the good line is no error" test "$(grep -c 'bad.csv:13:' "$WORK/import.out")" = 0
check_eq "nothing was loaded" 0 "$(q "SELECT count(*) FROM stat_10min")"

import --mark-invalid "$WORK/bad.csv"
check_eq "--mark-invalid still refuses NaN and infinities" 1 "$?"
check "naming their lines" err 2 "column wtur_w: 'NaN' is not a finite number"

grep -v -e NaN -e Infinity -e ',2\.5,' "$WORK/bad.csv" >"$WORK/marked.csv"
import --mark-invalid "$WORK/marked.csv"
check_eq "with --mark-invalid the finite implausible values import" 0 "$?"
check "and the count says how many periods were marked" grep -q "9 periods: 9 new, 0 replaced, 0 unchanged, 0 left as computed from raw samples; 8 marked invalid" "$WORK/import.out"
check_eq "those periods are not valid, the good one is" "8|1" \
	"$(q "SELECT count(*) FILTER (WHERE NOT valid) || '|' || count(*) FILTER (WHERE valid) FROM stat_10min")"
check_eq "an implausible value is not in the statistics" "true|wtur_w=1e+30" \
	"$(q "SELECT (wtur_w_mean IS NULL) || '|' || implausible FROM stat_10min WHERE period = '2025-03-01 00:20+00'")"
check_eq "the plausible values of that period are" "8|300" \
	"$(q "SELECT wmet_horwdspd_mean || '|' || energy_kwh FROM stat_10min WHERE period = '2025-03-01 00:20+00'")"
check_eq "an implausible state counts as unknown time" "600|wtur_turst" \
	"$(q "SELECT t_unknown || '|' || implausible FROM stat_10min WHERE period = '2025-03-01 01:40+00'")"
# Seven periods have their 300 kWh, two (-5 and 1e9 kWh) none.
check_eq "the day's energy counts only plausible energy" 2100 "$(q "SELECT sum(energy_kwh) FROM stat_day")"
check_eq "and its valid periods only the valid one" 1 "$(q "SELECT sum(valid_periods) FROM stat_day")"

# JSON has no NaN: not even where the database holds one (a period that
# an earlier version imported unchecked).
vento_psql >/dev/null <<'SQL'
SELECT vento_register_device('T01', 'turbine', 'vento-sim-4500', 0, 4500);
SELECT vento_set_projection(720e6, ARRAY[6.8,5.3,5.1,5.5,7.6,9.1,10.8,11.9,11.3,10.4,8.6,7.6], 'America/Bahia');
INSERT INTO stat_10min (device_id, period, source, n, valid, wtur_w_mean, energy_kwh,
                        t_available, t_unavailable, t_excluded, t_unknown)
SELECT id, '2025-04-01 00:00+00', 'import', 600, true, 'Infinity', 'NaN', 600, 0, 0, 0
FROM device WHERE name = 'T01';
SELECT vento_rollup_days('2025-04-01 00:00+00', '2025-04-02 00:00+00');
SQL
strict_json() {
	python3 -c 'import json, sys
def bad(c): raise ValueError("not JSON: " + c)
json.loads(sys.stdin.read(), parse_constant=bad)'
}
check "the database now holds NaN" test "$(q "SELECT count(*) FROM stat_day WHERE energy_kwh = 'NaN'")" -ge 1
for cmd in "production --year 2025" "production --year 2025 --by turbine" "production --year 2025 --by day" "availability --year 2025"; do
	"$BIN/ventoctl" -c "$WORK/vento.conf" --json $cmd >"$WORK/out.json" 2>"$WORK/out.err"
	check "ventoctl $cmd --json is strict JSON" strict_json <"$WORK/out.json"
done
check_clean "$WORK"/*.out "$WORK"/*.err
tap_done

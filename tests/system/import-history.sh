#!/bin/bash
# import-history: ventoctl import loads 10-minute history in OpenOA's column
# names, any case; a file with errors names each line and loads nothing;
# unknown columns are refused unless skipped; importing again changes
# nothing; statistics from raw samples are never overwritten.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 2
q() { vento_psql -c "$1"; }
vento_psql >/dev/null <<'SQL'
SELECT vento_set_projection(720e6, ARRAY[6.8,5.3,5.1,5.5,7.6,9.1,10.8,11.9,11.3,10.4,8.6,7.6], 'America/Bahia');
SELECT vento_register_state('vento-sim-4500', 2, 'producing', 'full performance');
SELECT vento_register_state('vento-sim-4500', 4, 'fault', 'forced outage');
SELECT vento_register_device('T01', 'turbine', 'vento-sim-4500', 0, 4500);
SELECT vento_register_device('T02', 'turbine', 'vento-sim-4500', 0, 4500);
SQL
import() { "$BIN/ventoctl" -c "$WORK/vento.conf" import "$@" >"$WORK/import.out" 2>&1; }

cat >"$WORK/good.csv" <<'CSV'
time,asset_id,WTUR_W,WMET_HorWdSpd,WMET_HorWdDir,WTUR_TurSt,WROT_BlPthAngVal,WMET_EnvTmp,WTUR_SupWh
2025-03-01T00:00:00-03:00,T01,1800.5,8.1,110,2,0.5,24.5,300.25
2025-03-01T00:10:00-03:00,T01,1700,7.9,112,2,0.4,24.4,283.5
2025-03-01T03:00:00Z,T02,0,2.1,100,4,88,24.1,0
2025-03-01T03:10:00+00:00,T02,,,,,,,
CSV
check "a good file imports" import "$WORK/good.csv"
check_eq "four periods" 4 "$(q "SELECT count(*) FROM stat_10min WHERE source = 'import'")"
check_eq "values land in their columns" "1800.5|8.1|110|2|0.5|24.5|300.25" \
	"$(q "SELECT wtur_w_mean || '|' || wmet_horwdspd_mean || '|' || wmet_horwddir_mean || '|' || wtur_turst || '|' ||
	         wrot_blpthangval_mean || '|' || wmet_envtmp_mean || '|' || energy_kwh
	      FROM stat_10min WHERE period = '2025-03-01 03:00+00' AND device_id = 1")"
check_eq "a fault state counts as unavailable" "0|600" \
	"$(q "SELECT t_available || '|' || t_unavailable FROM stat_10min WHERE period = '2025-03-01 03:00+00' AND device_id = 2")"
check_eq "missing values are NULL, not zero" "true|true" \
	"$(q "SELECT (wtur_w_mean IS NULL) || '|' || (energy_kwh IS NULL) FROM stat_10min WHERE period = '2025-03-01 03:10+00' AND device_id = 2")"
check_eq "the daily sums include it" "583.75" "$(q "SELECT sum(energy_kwh) FROM stat_day WHERE device_id = 1")"
before=$(q "SELECT md5(string_agg(s::text, ',' ORDER BY device_id, period)) FROM stat_10min s")
check "importing the same file again succeeds" import "$WORK/good.csv"
check_eq "and changes nothing" "$before" "$(q "SELECT md5(string_agg(s::text, ',' ORDER BY device_id, period)) FROM stat_10min s")"

cat >"$WORK/bad.csv" <<'CSV'
TIME,Asset_Id,wtur_w,WTUR_SupWh
2025-04-01T00:00:00-03:00,T01,1000,166
2025-04-01T00:05:00-03:00,T01,1000,166
2025-04-01 00:20:00,T01,1000,166
2025-04-01T00:30:00-03:00,T01,lots,166
2025-04-01T00:40:00-03:00,T09,1000,166
2025-04-01T00:50:00-03:00,T01,1000
CSV
import "$WORK/bad.csv"
check_eq "a file with errors fails" 1 "$?"
check "line 3: not on a 10-minute boundary" grep -q "bad.csv:3: time '2025-04-01T00:05:00-03:00' is not an ISO 8601 10-minute period start with a UTC offset" "$WORK/import.out"
check "line 4: no UTC offset" grep -q "bad.csv:4: time '2025-04-01 00:20:00'" "$WORK/import.out"
check "line 5: not a number" grep -q "bad.csv:5: column wtur_w: 'lots' is not a number" "$WORK/import.out"
check "line 7: too few fields" grep -q "bad.csv:7: 3 fields, the header has 4" "$WORK/import.out"
check "nothing was loaded" test "$(q "SELECT count(*) FROM stat_10min WHERE period >= '2025-04-01'")" = 0

printf 'time,asset_id,WTUR_W,WTUR_SupWh\n2025-04-01T00:00:00-03:00,T09,1,0\n2025-04-01T00:10:00-03:00,T01,1,0\n2025-04-01T00:10:00-03:00,T01,2,0\n' >"$WORK/dev.csv"
import "$WORK/dev.csv"
check_eq "unknown devices and doubled periods fail" 1 "$?"
check "an unknown device names its line" grep -q "dev.csv:2: asset_id 'T09' is no device" "$WORK/import.out"
check "a doubled period names its lines" grep -q "dev.csv:4: asset_id 'T01' has this period twice" "$WORK/import.out"
check_eq "and nothing was loaded" 0 "$(q "SELECT count(*) FROM stat_10min WHERE period >= '2025-04-01'")"

printf 'time,asset_id,WTUR_W,WROT_RotSpd,WTUR_SupWh\n2025-04-01T00:00:00-03:00,T01,1,9,0\n' >"$WORK/extra.csv"
import "$WORK/extra.csv"
check_eq "an unknown column fails" 1 "$?"
check "and says how to skip it" grep -q "extra.csv:1: unknown column 'WROT_RotSpd' (--skip-unknown" "$WORK/import.out"
check "with --skip-unknown it loads" import --skip-unknown "$WORK/extra.csv"

# Raw statistics win over an import of the same period.
q "UPDATE stat_10min SET source = 'raw', wtur_w_mean = 4321 WHERE device_id = 1 AND period = '2025-03-01 03:00+00'" >/dev/null
check "importing over a period computed from raw succeeds" import "$WORK/good.csv"
check_eq "and leaves it alone" 4321 "$(q "SELECT wtur_w_mean FROM stat_10min WHERE device_id = 1 AND period = '2025-03-01 03:00+00'")"
tap_done

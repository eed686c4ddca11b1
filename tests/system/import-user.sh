#!/bin/bash
# import-user: history imported as a new user has it, before ventod ever
# ran: the devices come from vento.conf, the file is a spreadsheet's (a
# UTF-8 byte-order mark, CRLF line ends, quoted fields), states are the
# model's names or codes, and the counts say what was new and what was
# replaced.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 2 # migrated; ventod never runs here
q() { vento_psql -c "$1"; }
import() { "$BIN/ventoctl" -c "$WORK/vento.conf" import "$@" >"$WORK/import.out" 2>&1; }

check_eq "no device is registered before the import" 0 "$(q "SELECT count(*) FROM device")"
printf '\xef\xbb\xbftime,asset_id,WTUR_W,WMET_HorWdSpd,WTUR_TurSt,WTUR_SupWh\r\n' >"$WORK/user.csv"
cat >>"$WORK/user.csv" <<'CSV'
2025-03-01T00:00:00-03:00,T01,1800.5,8.1,producing,300.25
2025-03-01T00:10:00-03:00,T01,0,2.1,"standby, low wind",0
2025-03-01T00:00:00-03:00,T02,0,8.0,FAULT,0
2025-03-01T00:10:00-03:00,T02,1700,7.9,2,283.5
CSV
sed -i 's/$/\r/' "$WORK/user.csv"
import "$WORK/user.csv"
check_eq "a spreadsheet's file imports with no ventod run" 0 "$?"
check "and says what it did" grep -qx "$WORK/user.csv: 4 periods: 4 new, 0 replaced, 0 unchanged, 0 left as computed from raw samples" "$WORK/import.out"
check_eq "the configured devices are registered with their model" "T01 vento-sim-4500 4500|T02 vento-sim-4500 4500" \
	"$(q "SELECT string_agg(name || ' ' || profile || ' ' || rated_kw, '|' ORDER BY name) FROM device")"
check_eq "and the projection, whose time zone makes the local days" "America/Bahia|2025-03-01" \
	"$(q "SELECT (SELECT time_zone FROM projection) || '|' || (SELECT string_agg(DISTINCT day::text, ',') FROM stat_day)")"
check_eq "state names become the model's codes, any case" "2|1|4|2" \
	"$(q "SELECT string_agg(wtur_turst::text, '|' ORDER BY device_id, period) FROM stat_10min")"
check_eq "and count in their availability category" "1800|600" \
	"$(q "SELECT sum(t_available) || '|' || sum(t_unavailable) FROM stat_10min")"
check_eq "values land in their columns" "1800.5|8.1|300.25" \
	"$(q "SELECT wtur_w_mean || '|' || wmet_horwdspd_mean || '|' || energy_kwh FROM stat_10min WHERE wtur_turst = 2 AND energy_kwh > 290")"

import "$WORK/user.csv"
check "the same file again changes nothing" grep -qx "$WORK/user.csv: 4 periods: 0 new, 0 replaced, 4 unchanged, 0 left as computed from raw samples" "$WORK/import.out"
sed -i 's/,1700,7.9,2,283.5/,1750,7.9,2,290/' "$WORK/user.csv"
import "$WORK/user.csv"
check "a period changed in the file is replaced" grep -qx "$WORK/user.csv: 4 periods: 0 new, 1 replaced, 3 unchanged, 0 left as computed from raw samples" "$WORK/import.out"
check_eq "with its new values" "1750|290" "$(q "SELECT wtur_w_mean || '|' || energy_kwh FROM stat_10min WHERE wtur_w_mean BETWEEN 1700 AND 1800")"
q "UPDATE stat_10min SET source = 'raw' WHERE wtur_turst = 4" >/dev/null
import "$WORK/user.csv"
check "a period computed from raw samples is left alone, and counted" grep -qx "$WORK/user.csv: 4 periods: 0 new, 0 replaced, 3 unchanged, 1 left as computed from raw samples" "$WORK/import.out"

printf 'time,asset_id,WTUR_TurSt,WTUR_SupWh\n2025-03-02T00:00:00Z,T01,run,0\n2025-03-02T00:00:00Z,T02,9,0\n' >"$WORK/names.csv"
import "$WORK/names.csv"
check_eq "a state the model does not have fails" 1 "$?"
check "a name names its line and the model's states" grep -q "names.csv:2: state 'run' is no state of T01's model vento-sim-4500 (1 'standby, low wind', 2 'producing', 3 'stopped, high wind', 4 'fault', 5 'maintenance')" "$WORK/import.out"
check "so does a code" grep -q "names.csv:3: state 9 is no state of T02's model vento-sim-4500" "$WORK/import.out"

printf 'time,asset_id,WTUR_W\n2025-03-02T00:00:00Z,T01,100\n' >"$WORK/noenergy.csv"
import "$WORK/noenergy.csv"
check_eq "a file without the energy column fails" 1 "$?"
check "and says which column is missing" grep -q "noenergy.csv:1: the column wtur_supwh is missing" "$WORK/import.out"
check_eq "nothing of the failed files was loaded" 4 "$(q "SELECT count(*) FROM stat_10min")"
tap_done

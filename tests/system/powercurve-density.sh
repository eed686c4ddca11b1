#!/bin/bash
# powercurve-density: power curves per IEC 61400-12-1 at the reference
# curve's air density. The wind of a period is normalised, V_n = V (rho /
# rho_ref)^(1/3), with rho from the period's pressure and temperature where
# measured, else the site's mean density (vento.conf: site.air_density),
# and rho_ref the density the profile states its curve at
# (curve_air_density).
#  1. Known answers: turbines that make exactly the reference power at the
#     normalised wind, with pressure measured (P1), without (P2: the
#     site's density), and of a model whose curve is stated at 1.10 kg/m3
#     (P3), rate 100.0 %, in bins of normalised wind.
#  2. ventosim's history of a month for 8 turbines, imported: the healthy
#     turbines read 100 % +- 2 %, T05 with a 10 % derate fault about 90 %,
#     flagged by ventoctl powercurve and vento_performance; the imported
#     potential energy is of the normalised wind too.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 8 # ports are never opened: --history serves nothing
q() { vento_psql -c "$1"; }
ctl() { "$BIN/ventoctl" -c "$WORK/vento.conf" "$@"; }
echo 'site = { air_density = 1.125; };' >>"$WORK/vento.conf"

# 1. Known answers. Ten periods in each bin from 5 to 9 m/s of normalised
# wind, power exactly the reference there, the measured wind what gives
# that normalised wind at the period's air density.
vento_psql >/dev/null <<'SQL'
SELECT vento_set_projection(720e6, ARRAY[6.8,5.3,5.1,5.5,7.6,9.1,10.8,11.9,11.3,10.4,8.6,7.6], 'America/Bahia');
SELECT vento_set_air_density('vento-sim-4500', 1.225);
SELECT vento_set_air_density('vento-sim-gen2', 1.10);
SELECT vento_set_air_density(NULL, 1.125);
SELECT vento_register_device('P1', 'turbine', 'vento-sim-4500', 0, 4500);
SELECT vento_register_device('P2', 'turbine', 'vento-sim-4500', 0, 4500);
SELECT vento_register_device('P3', 'turbine', 'vento-sim-gen2', 0, 4500);
INSERT INTO stat_10min (device_id, period, n, valid, wtur_w_mean, wmet_horwdspd_mean, wmet_envtmp_mean,
                        wmet_envpres_mean, t_available, t_unavailable, t_excluded, t_unknown, energy_kwh)
SELECT d.id, timestamptz '2026-04-01 03:00+00' + (w * 10 + k) * interval '10 minutes', 600, true,
       vento_ref_power('vento-sim-4500', w),
       -- V = V_n / (rho / rho_ref)^(1/3)
       w / power(CASE d.name WHEN 'P2' THEN 1.125 ELSE 960 * 100 / (287.05 * (24 + 273.15)) END
                 / CASE d.name WHEN 'P3' THEN 1.10 ELSE 1.225 END, 1.0 / 3),
       24, CASE WHEN d.name = 'P2' THEN NULL ELSE 960 END, 600, 0, 0, 0, 0
FROM device d, generate_series(5, 9) w, generate_series(0, 9) k WHERE d.name IN ('P1', 'P2', 'P3');
SELECT vento_rollup_days('2026-04-01 03:00+00', '2026-04-02 03:00+00');
SQL
curve() { q "SELECT string_agg(bin_wind || ':' || periods || ':' || round(measured_kw), ' ' ORDER BY bin_wind)
             FROM vento_power_curve('$1', '2026-04-01 00:00-03', '2026-04-02 00:00-03')"; }
check_eq "P1 (pressure measured): bins of normalised wind, the reference power in each" \
	"5:10:556 6:10:1007 7:10:1637 8:10:2475 9:10:3551" "$(curve P1)"
check_eq "P2 (no pressure: the site's density): the same bins" \
	"5:10:556 6:10:1007 7:10:1637 8:10:2475 9:10:3551" "$(curve P2)"
check_eq "P3 (a curve stated at 1.10 kg/m3): the same bins" \
	"5:10:556 6:10:1007 7:10:1637 8:10:2475 9:10:3551" "$(curve P3)"
check_eq "all three rate 100.0 %, none flagged" "P1|100.0|false P2|100.0|false P3|100.0|false" \
	"$(q "SELECT string_agg(device || '|' || round((ratio * 100)::numeric, 1) || '|' || flagged, ' ' ORDER BY device)
	      FROM vento_performance('2026-04-01 00:00-03', '2026-04-02 00:00-03')")"
q "SELECT vento_set_air_density(NULL, 1.225)" >/dev/null
check_eq "the owner changing the site's density re-bins P2 (at 1.225 kg/m3 its wind is not normalised down)" \
	"5:10:556 6:10:1007 7:10:1637 8:10:2475 9:10:3551|f" \
	"$(curve P1)|$(test "$(curve P2)" = "$(curve P1)" && echo t || echo f)"
q "DELETE FROM stat_10min; DELETE FROM stat_day; DELETE FROM stat_day_bin; DELETE FROM stat_month_bin;
   DELETE FROM device; DELETE FROM site; DELETE FROM power_curve_density" >/dev/null

# The derate fault live: the same second's power, 90 % of it.
w() { "$BIN/ventosim" -c "$WORK/vento.conf" "$@" --print T05 1754000000 2>/dev/null | sed -n 's/^wtur_w=//p'; }
check_eq "ventosim's derate fault serves 90 % of the curve's power" "0.9000" \
	"$(awk -v a="$(w --fault T05=derate)" -v b="$(w)" 'BEGIN { if (b > 0) printf "%.4f", a / b }')"

# 2. ventosim's August 2025 for 8 turbines, T05 derated by 10 %.
"$BIN/ventosim" -c "$WORK/vento.conf" --history 2025-08-01 2025-09-01 --fault T05=derate \
	--csv "$WORK/aug.csv" 2>"$WORK/sim.err"
check_eq "ventosim writes the month, T05 derated" 0 "$?"
check "ventoctl imports it (no pressure in the file: the site's density)" \
	sh -c "'$BIN/ventoctl' -c '$WORK/vento.conf' import '$WORK/aug.csv' >'$WORK/import.out' 2>&1"
cat "$WORK/import.out"
check_eq "the site's and the profile's densities are registered" "1.125|1.225" \
	"$(q "SELECT (SELECT air_density FROM site) || '|' || (SELECT air_density FROM power_curve_density WHERE profile = 'vento-sim-4500')")"
q "SELECT device || ' ' || round((ratio * 100)::numeric, 1) || ' ' || flagged
   FROM vento_performance('2025-08-01 00:00-03', '2025-09-01 00:00-03')" >"$WORK/perf"
sed 's/^/# /' "$WORK/perf"
check_eq "the seven healthy turbines read 100 % +- 2 %, not flagged" 7 \
	"$(awk '$1 != "T05" && $2 >= 98 && $2 <= 102 && $3 == "false"' "$WORK/perf" | wc -l)"
check "T05, derated by 10 %, reads 90 % +- 2 % and is flagged" \
	awk '$1 == "T05" && $2 >= 88 && $2 <= 92 && $3 == "true" { f = 1 } END { exit !f }' "$WORK/perf"
# The imported periods' potential energy (what lost energy is made of) is
# the reference at the normalised wind too: a healthy turbine's is its
# energy within 2 % while it produces (4.4 % above it, not normalised).
check_eq "the healthy turbines' potential energy is their energy +- 2 %" 7 \
	"$(q "SELECT count(*) FROM (SELECT d.name, sum(potential_kwh) / sum(energy_kwh) AS r
	      FROM stat_10min s JOIN device d ON d.id = s.device_id
	      WHERE s.wtur_turst = 2 AND d.name <> 'T05' GROUP BY 1) x WHERE r BETWEEN 0.98 AND 1.02")"
ctl powercurve T05 --year 2025 >"$WORK/pc5.txt"
check "ventoctl powercurve T05 says UNDER 95%" grep -q 'UNDER 95%' "$WORK/pc5.txt"
ctl powercurve T01 --year 2025 >"$WORK/pc1.txt"
check "ventoctl powercurve T01 says ok" grep -Eq '^T01 .* ok *$' "$WORK/pc1.txt"
check "and names the density its bins are normalised to" grep -q 'normalised to 1.225 kg/m3' "$WORK/pc1.txt"
sed 's/^/# /' "$WORK/pc1.txt"
tap_done

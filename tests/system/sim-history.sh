#!/bin/bash
# sim-history: ventosim --history writes a year (2025, local time) of
# 10-minute history of 40 turbines as OpenOA CSV: 2,102,400 lines, each
# line's energy exactly its mean power x 1/6 h, 720 GWh within 1 % with the
# default seed and each month within half a point of its share of the
# year (DESIGN.md), the windy season (Jul-Nov) windier than Jan-Apr, the same
# lines for the same seed whatever range they are cut from, others for
# another seed. ventoctl import loads a quarter of it (Jul-Sep, 530,000
# rows: the whole year takes minutes to load, twice) into a database that
# never saw ventod: the yearly check's actual energy is the file's own sum
# to the kWh, importing again changes nothing, and the power-curve check,
# with the site's air density from vento.conf, finds every simulated
# turbine at 100 % +- 2 %.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 40 # ports are never opened: --history serves nothing
echo 'site = { air_density = 1.125; };' >>"$WORK/vento.conf"
q() { vento_psql -c "$1"; }
sim() { "$BIN/ventosim" -c "$WORK/vento.conf" "$@" 2>"$WORK/sim.err"; }
year=(--history 2025-01-01T00:00:00-03:00 2026-01-01T00:00:00-03:00)

# What ventod would register for these devices and their states.
{
	for i in $(seq -w 1 40); do
		echo "SELECT vento_register_device('T$i', 'turbine', 'vento-sim-4500', 0, 4500);"
	done
	cat <<'SQL'
SELECT vento_register_state('vento-sim-4500', 1, 'standby, low wind', 'out of environmental specification');
SELECT vento_register_state('vento-sim-4500', 2, 'producing', 'full performance');
SELECT vento_register_state('vento-sim-4500', 3, 'stopped, high wind', 'out of environmental specification');
SELECT vento_set_projection(720e6, ARRAY[6.8,5.3,5.1,5.5,7.6,9.1,10.8,11.9,11.3,10.4,8.6,7.6], 'America/Bahia');
SQL
} | vento_psql >/dev/null

# Usage errors exit 2 and write nothing.
sim --history 2025-01-01T00:05:00-03:00 2025-01-02 --csv "$WORK/bad.csv"
check_eq "a time off the 10-minute grid is a usage error" 2 "$?"
check "and says so" grep -q "not on a 10-minute boundary" "$WORK/sim.err"
sim --history 2025-01-02 2025-01-01 --csv "$WORK/bad.csv"
check_eq "an empty range is a usage error" 2 "$?"
sim --history 2025-01-01 2025-01-02
check_eq "--history without --csv is a usage error" 2 "$?"
check "and no file was written" test ! -e "$WORK/bad.csv"

# The year.
t0=$SECONDS
check "ventosim writes a year of history" sim "${year[@]}" --csv "$WORK/year.csv"
echo "# a year of 40 turbines written in $((SECONDS - t0)) s"
check_eq "the header is OpenOA's" \
	"time,asset_id,WTUR_W,WMET_HorWdSpd,WMET_HorWdDir,WTUR_TurSt,WROT_BlPthAngVal,WMET_EnvTmp,WTUR_SupWh" \
	"$(head -n 1 "$WORK/year.csv")"
check_eq "the first line is T01's first period, in local time" "2025-01-01T00:00:00-03:00,T01" \
	"$(sed -n 2p "$WORK/year.csv" | cut -d, -f1,2)"
check_eq "the last line is T40's last period" "2025-12-31T23:50:00-03:00,T40" \
	"$(tail -n 1 "$WORK/year.csv" | cut -d, -f1,2)"

# One pass over the file: lines, lines whose energy is not exactly
# WTUR_W / 6 (compared in integer Wh), the total in Wh (exact: integers
# below 2^53), and the energy per local month.
awk -F, 'NR > 1 {
		n++
		w = $3; e = $9
		if (w !~ /^[0-9]+\.[0-9][0-9][0-9]$/ || e !~ /^[0-9]+\.[0-9][0-9][0-9]$/) bad++
		gsub(/\./, "", w); gsub(/\./, "", e)
		if (w + 0 != 6 * e) bad++
		tot += e; month[substr($1, 6, 2) + 0] += e
	}
	END {
		printf "%d %d %.0f", n, bad, tot
		for (m = 1; m <= 12; m++) printf " %.0f", month[m]
		printf "\n"
	}' "$WORK/year.csv" >"$WORK/sums"
read -r lines bad total_wh m1 m2 m3 m4 m5 m6 m7 m8 m9 m10 m11 m12 <"$WORK/sums"
check_eq "2,102,400 periods" 2102400 "$lines"
check_eq "every line's energy is its mean power x 1/6 h, exactly as printed" 0 "$bad"
echo "# the year: $(awk -v t="$total_wh" 'BEGIN { printf "%.2f GWh", t / 1e9 }');" \
	"per month (GWh, % of the year):$(awk -v t="$total_wh" -v m="$m1 $m2 $m3 $m4 $m5 $m6 $m7 $m8 $m9 $m10 $m11 $m12" \
		'BEGIN { split(m, a, " "); for (i = 1; i <= 12; i++) printf " %.1f (%.1f)", a[i] / 1e9, a[i] / t * 100 }')"
check "the default seed's year is 720 GWh within 1 %" \
	awk -v t="$total_wh" 'BEGIN { exit !(t / 1e9 > 720 * 0.99 && t / 1e9 < 720 * 1.01) }'
check "each month is within half a point of its share of the year (DESIGN.md)" \
	awk -v t="$total_wh" -v m="$m1 $m2 $m3 $m4 $m5 $m6 $m7 $m8 $m9 $m10 $m11 $m12" 'BEGIN {
		split(m, a, " "); split("6.8 5.3 5.1 5.5 7.6 9.1 10.8 11.9 11.3 10.4 8.6 7.6", s, " ")
		for (i = 1; i <= 12; i++) { d = a[i] / t * 100 - s[i]; if (d > 0.5 || d < -0.5) exit 1 }
	}'
check "July to November make more than January to April" \
	test $((m7 + m8 + m9 + m10 + m11)) -gt $((m1 + m2 + m3 + m4))

# The same seed gives the same history, whatever range it is cut from;
# another seed another.
week=(--history 2025-01-01 2025-01-08)
sim "${week[@]}" --csv "$WORK/week1.csv"
sim "${week[@]}" --csv "$WORK/week2.csv"
sim "${week[@]}" --seed 2 --csv "$WORK/week3.csv"
head -n $((1 + 7 * 144 * 40)) "$WORK/year.csv" >"$WORK/week0.csv"
sum() { md5sum <"$1" | cut -d' ' -f1; }
check_eq "the same seed gives the same file" "$(sum "$WORK/week1.csv")" "$(sum "$WORK/week2.csv")"
check_eq "and the same lines as the year's first week" "$(sum "$WORK/week0.csv")" "$(sum "$WORK/week1.csv")"
check "another seed gives another" test "$(sum "$WORK/week1.csv")" != "$(sum "$WORK/week3.csv")"
rm -f "$WORK"/week?.csv

# The third quarter, on its own, is the year's lines of July to September.
check "ventosim writes the third quarter" sim --history 2025-07-01 2025-10-01T00:00:00-03:00 --csv "$WORK/q3.csv"
{ head -n 1 "$WORK/year.csv"; grep -E '^2025-0[789]-' "$WORK/year.csv"; } >"$WORK/q3-year.csv"
check_eq "the same as the year's" "$(sum "$WORK/q3-year.csv")" "$(sum "$WORK/q3.csv")"
rm -f "$WORK/q3-year.csv" "$WORK/year.csv"
# The quarter's own sum of WTUR_SupWh, in integer Wh, to the kWh.
q3_kwh=$(awk -F, 'NR > 1 { e = $9; gsub(/\./, "", e); t += e } END { printf "%.0f", t / 1000 }' "$WORK/q3.csv")

# The import.
import() { "$BIN/ventoctl" -c "$WORK/vento.conf" import "$WORK/q3.csv" >"$WORK/import.out" 2>&1; }
t0=$SECONDS
check "ventoctl imports the quarter" import
echo "# imported in $((SECONDS - t0)) s"
check_eq "92 days x 144 periods x 40 turbines stored" $((92 * 144 * 40)) \
	"$(q "SELECT count(*) FROM stat_10min WHERE source = 'import'")"
check_eq "the yearly check's actual energy is the file's sum, to the kWh" "$q3_kwh" \
	"$(q "SELECT round(actual_kwh::numeric) FROM vento_yearly_check(2025, '2026-06-01')")"
check_eq "and so is the sum of the 10-minute rows" "$q3_kwh" \
	"$(q "SELECT round(sum(energy_kwh)::numeric) FROM stat_10min")"
check_eq "the data covers 92 days of the 365" "$(awk 'BEGIN { printf "%.4f", 92 / 365 }')" \
	"$(q "SELECT round(completeness::numeric, 4) FROM vento_yearly_check(2025, '2026-06-01')")"
check_eq "the monthly report has August's energy" "$(awk -v m="$m8" 'BEGIN { printf "%.0f", m / 1000 }')" \
	"$(q "SELECT round(actual_kwh::numeric) FROM vento_monthly(2025) WHERE month = 8")"
check_eq "every period is available time (the states are environmental)" 0 \
	"$(q "SELECT count(*) FROM stat_10min WHERE t_available <> 600")"

state() { q "SELECT count(*), sum(hashtextextended(s::text, 0)::numeric) FROM stat_10min s"; }
before=$(state)
t0=$SECONDS
check "importing the same file again succeeds" import
echo "# imported again in $((SECONDS - t0)) s"
check_eq "and changes nothing" "$before" "$(state)"

# The power-curve check on healthy turbines: every one at 100 % +- 2 %. The
# file has no pressure: the check normalises the wind with the site's
# mean density, as the turbines' controllers do with the air's.
q "SELECT device || ' ' || round(ratio::numeric, 3) FROM vento_performance('2025-01-01 00:00-03', '2026-01-01 00:00-03')" \
	>"$WORK/perf"
echo "# performance ratios: $(awk '{ print $2 }' "$WORK/perf" | sort -n | sed -n '1p;$p' | tr '\n' ' ')(lowest, highest)"
check_eq "the power-curve check rates all 40 turbines" 40 "$(wc -l <"$WORK/perf")"
check_eq "and finds each between 0.98 and 1.02" 40 "$(awk '$2 >= 0.98 && $2 <= 1.02' "$WORK/perf" | wc -l)"
tap_done

#!/bin/bash
# stats-yearly: the yearly check on a generated year of 10-minute
# statistics for 40 turbines (2.1 million rows) with known totals: the
# actual energy exact to the kWh at several instants (local day and month
# edges included), the budget pro rata, the forecast, the performance table
# from monthly and daily bins; then five turbines down for three weeks (the
# forecast drops by their lost energy, the data stays complete, the
# monthly bins follow), and the same three weeks as a gap in the data that
# the counters cover (no energy missing, completeness shows the gap).
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_year_farm
q() { vento_psql -c "$1"; }

check_eq "a year of 40 turbines: 2,102,400 rows" 2102400 "$(q "SELECT count(*) FROM stat_10min")"

# The actual energy to an instant, summed straight from the 10-minute rows.
direct() {
	q "SELECT round(sum(energy_kwh)::numeric) FROM stat_10min
	   WHERE period >= '2025-01-01 00:00-03' AND period < '$1'"
}
yearly() {
	q "SELECT round($2::numeric) FROM vento_yearly_check(2025, '$1')"
}
for at in '2025-07-16 15:00-03' '2025-03-01 00:00-03' '2025-02-28 23:50-03' '2025-10-10 10:10-03' '2026-01-01 00:00-03'; do
	check_eq "actual energy to $at, exact to the kWh" "$(direct "$at")" "$(yearly "$at" actual_kwh)"
done
check_eq "after the year ends, the check covers the whole year" "$(direct '2026-01-01 00:00-03')" \
	"$(yearly '2026-06-01 00:00-03' actual_kwh)"

# Budget to 2025-07-16 15:00 local: January to June whole, July pro rata.
budget=$(awk 'BEGIN { printf "%.0f", 720e6 * (6.8 + 5.3 + 5.1 + 5.5 + 7.6 + 9.1 + 10.8 * (15 * 24 + 15) / (31 * 24)) / 100 }')
check_eq "budget to 16 July 15:00 local, pro rata in July" "$budget" "$(yearly '2025-07-16 15:00-03' budget_kwh)"
check_eq "the forecast is actual so far plus the budget for the rest" \
	"$(q "SELECT round(actual_kwh + 720e6 - budget_kwh) FROM vento_yearly_check(2025, '2025-07-16 15:00-03')")" \
	"$(yearly '2025-07-16 15:00-03' forecast_kwh)"
check_eq "the data is complete" "1.0000" "$(q "SELECT round(completeness::numeric, 4) FROM vento_yearly_check(2025, '2025-09-01 00:00-03')")"
check_eq "monthly sums equal the rows" \
	"$(q "SELECT round(sum(energy_kwh)::numeric) FROM stat_10min WHERE period >= '2025-08-01 00:00-03' AND period < '2025-09-01 00:00-03'")" \
	"$(q "SELECT round(actual_kwh::numeric) FROM vento_monthly(2025) WHERE month = 8")"
check_eq "per turbine, the parts add up to the farm" "$(yearly '2025-09-01 00:00-03' actual_kwh)" \
	"$(q "SELECT round(sum(actual_kwh)::numeric) FROM vento_yearly_by_device(2025, '2025-09-01 00:00-03')")"

# The performance table reads whole local months from stat_month_bin and
# the days at a range's edges from stat_day_bin: the same, to 1e-12, as
# every day's bins summed, over whole months, parts of months, and days
# within one month. (Not to the last bit: the sums are grouped otherwise.)
check_perf() {
	check_eq "performance from $1 to $2, as from the days" "40|0" \
		"$(q "WITH b AS (SELECT device_id, bin, sum(periods) AS n, sum(sum_kw) AS kw FROM stat_day_bin
		              WHERE day >= vento_local_day('$1') AND day < vento_local_day('$2') AND bin BETWEEN 4 AND 9.5
		              GROUP BY 1, 2 HAVING sum(periods) >= 3),
		      x AS (SELECT d.name, sum(n) AS n, sum(kw) / sum(vento_ref_power('vento-sim-4500', bin) * n) AS r
		            FROM b JOIN device d ON d.id = b.device_id GROUP BY 1)
		      SELECT count(*) || '|' || count(*) FILTER (WHERE p.periods IS DISTINCT FROM x.n
		                                                 OR NOT abs(p.ratio - x.r) < 1e-12
		                                                 OR p.flagged IS DISTINCT FROM (x.r < 0.95))
		      FROM x FULL JOIN vento_performance('$1', '$2') p ON p.device = x.name")"
}
check_perf '2025-01-01 00:00-03' '2026-01-01 00:00-03'
check_perf '2025-03-15 10:00-03' '2025-07-02 00:00-03'
check_perf '2025-02-03 00:00-03' '2025-02-20 00:00-03'

# Five turbines down (a forced outage) from 1 to 21 August.
before=$(q "SELECT forecast_kwh FROM vento_yearly_check(2025, '2025-09-01 00:00-03')")
lost=$(q "SELECT sum(energy_kwh) FROM stat_10min s JOIN device d ON d.id = s.device_id
          WHERE d.name IN ('T01','T02','T03','T04','T05')
            AND period >= '2025-08-01 00:00-03' AND period < '2025-08-22 00:00-03'")
vento_psql >/dev/null <<'SQL'
UPDATE stat_10min s SET energy_kwh = 0, wtur_turst = 4, t_available = 0, t_unavailable = 600
FROM device d WHERE d.id = s.device_id AND d.name IN ('T01','T02','T03','T04','T05')
  AND period >= '2025-08-01 00:00-03' AND period < '2025-08-22 00:00-03';
SELECT vento_rollup_days('2025-08-01 00:00-03', '2025-08-22 00:00-03');
SQL
after=$(q "SELECT forecast_kwh FROM vento_yearly_check(2025, '2025-09-01 00:00-03')")
check_eq "the forecast drops by the energy the five did not make" \
	"$(awk -v l="$lost" 'BEGIN { printf "%.0f", l }')" "$(awk -v b="$before" -v a="$after" 'BEGIN { printf "%.0f", b - a }')"
check_eq "their availability for August is 10/31" "0.3226" \
	"$(q "SELECT round(availability::numeric, 4) FROM vento_availability('2025-08-01 00:00-03', '2025-09-01 00:00-03') WHERE device = 'T01'")"
check_eq "the others' is 1" "1.0000" \
	"$(q "SELECT round(availability::numeric, 4) FROM vento_availability('2025-08-01 00:00-03', '2025-09-01 00:00-03') WHERE device = 'T06'")"
check "their lost energy is reported" test "$(q "SELECT (lost_kwh > 0)::int FROM vento_availability('2025-08-01 00:00-03', '2025-09-01 00:00-03') WHERE device = 'T01'")" = 1
check_eq "the data is still complete" "1.0000" "$(q "SELECT round(completeness::numeric, 4) FROM vento_yearly_check(2025, '2025-09-01 00:00-03')")"
check_perf '2025-07-20 00:00-03' '2025-09-10 00:00-03'
check_eq "the months' bins are their days' bins summed" 0 \
	"$(q "SELECT count(*) FROM stat_month_bin m FULL JOIN (
	          SELECT date_trunc('month', day::timestamp)::date AS month, device_id, bin,
	                 sum(periods) AS periods, sum(sum_kw) AS sum_kw
	          FROM stat_day_bin GROUP BY 1, 2, 3) d USING (month, device_id, bin)
	      WHERE m.periods IS DISTINCT FROM d.periods
	         OR abs(m.sum_kw - d.sum_kw) > 1e-9 * abs(d.sum_kw) OR d.sum_kw IS NULL OR m.sum_kw IS NULL")"

# The same three weeks as a gap in the data instead: the turbines ran, the
# link was down, and when it came back the counter's delta over the gap
# landed in the first period after it.
vento_psql >/dev/null <<SQL
UPDATE stat_10min s SET energy_kwh = energy_kwh + $lost / 5.0
FROM device d WHERE d.id = s.device_id AND d.name IN ('T01','T02','T03','T04','T05')
  AND period = '2025-08-22 00:00-03';
DELETE FROM stat_10min s USING device d WHERE d.id = s.device_id AND d.name IN ('T01','T02','T03','T04','T05')
  AND period >= '2025-08-01 00:00-03' AND period < '2025-08-22 00:00-03';
SELECT vento_rollup_days('2025-08-01 00:00-03', '2025-08-23 00:00-03');
SQL
gap=$(q "SELECT forecast_kwh FROM vento_yearly_check(2025, '2025-09-01 00:00-03')")
check_eq "a gap the counter covers costs no energy: the forecast is as before" \
	"$(awk -v b="$before" 'BEGIN { printf "%.0f", b }')" "$(awk -v g="$gap" 'BEGIN { printf "%.0f", g }')"
expected=$(q "SELECT round((1 - 5 * 21 * 144.0 / (40 * floor(extract(epoch FROM timestamptz '2025-09-01 00:00-03' - '2025-01-01 00:00-03') / 600)))::numeric, 4)")
check_eq "completeness shows the gap" "$expected" \
	"$(q "SELECT round(completeness::numeric, 4) FROM vento_yearly_check(2025, '2025-09-01 00:00-03')")"
check_eq "and the turbines' own completeness too" \
	"$(q "SELECT round((1 - 21 * 144.0 / floor(extract(epoch FROM timestamptz '2025-09-01 00:00-03' - '2025-01-01 00:00-03') / 600))::numeric, 4)")" \
	"$(q "SELECT round(completeness::numeric, 4) FROM vento_yearly_by_device(2025, '2025-09-01 00:00-03') WHERE device = 'T01'")"

# With a grid meter, the meter speaks for the farm where its data covers
# the year so far, and not where it does not.
vento_psql >/dev/null <<'SQL'
SELECT vento_register_device('GRID', 'meter', 'vento-sim-meter', 0, 0);
INSERT INTO stat_10min (device_id, period, n, valid, energy_kwh)
SELECT d.id, p, 600, true, 5000 FROM device d,
       generate_series(timestamptz '2025-01-01 03:00+00', timestamptz '2025-01-31 02:50+00', interval '10 minutes') p
WHERE d.name = 'GRID';
SELECT vento_rollup_days('2025-01-01 03:00+00', '2025-01-31 03:00+00');
SQL
check_eq "with a meter for all of January, the January check uses it" "meter|21600000" \
	"$(q "SELECT source || '|' || round(actual_kwh::numeric) FROM vento_yearly_check(2025, '2025-01-31 00:00-03')")"
check_eq "and the month's production too" "21600000" \
	"$(q "SELECT round(actual_kwh::numeric) FROM vento_monthly(2025) WHERE month = 1")"
check_eq "a meter with data for January alone does not speak for the year to March" "turbine" \
	"$(q "SELECT source FROM vento_yearly_check(2025, '2025-03-31 00:00-03')")"
tap_done

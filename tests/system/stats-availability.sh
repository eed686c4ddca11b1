#!/bin/bash
# stats-availability: availability per IEC 61400-26-1 for every configured
# turbine, time- and energy-based, with information-unavailable time.
#  1. Known answers over a day (2026-03-01, local): A available all day,
#     B in a forced outage half of it, C never heard from. Time-based: A 1,
#     B 0.5, C 0 (a day of information unavailable); the farm 0.5.
#     Energy-based: B's outage costs the reference energy at its wind, C's
#     day what an available turbine of the farm made a second: A 1, B 0.5,
#     C 0, the farm 0.5.
#  2. A real farm: of four turbines T03 never answers (dead) and T04
#     answers only exceptions; ventoctl availability shows both as
#     unavailable for want of information, with the farm's line. On its
#     data, the turbine dashboard's series from the minutes' means is the
#     series from the raw samples.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 4
q() { vento_psql -c "$1"; }
ctl() { "$BIN/ventoctl" -c "$WORK/vento.conf" "$@"; }

vento_psql >/dev/null <<'SQL'
SELECT vento_set_projection(720e6, ARRAY[6.8,5.3,5.1,5.5,7.6,9.1,10.8,11.9,11.3,10.4,8.6,7.6], 'America/Bahia');
SELECT vento_register_state('vento-sim-4500', 2, 'producing', 'full performance');
SELECT vento_register_state('vento-sim-4500', 4, 'fault', 'forced outage');
SELECT vento_register_device(n, 'turbine', 'vento-sim-4500', 0, 4500) FROM unnest(ARRAY['A', 'B', 'C']) n;
-- 100 kWh a period while available; B's second half in a forced outage at
-- a wind whose reference energy is 100 kWh a period (600 kW).
INSERT INTO stat_10min (device_id, period, n, valid, energy_kwh, wtur_w_mean, wmet_horwdspd_mean,
                        wtur_turst, t_available, t_unavailable, t_excluded, t_unknown, potential_kwh)
SELECT d.id, p, 600, true, CASE WHEN o THEN 0 ELSE 100 END, CASE WHEN o THEN 0 ELSE 600 END, 8,
       CASE WHEN o THEN 4 ELSE 2 END, CASE WHEN o THEN 0 ELSE 600 END, CASE WHEN o THEN 600 ELSE 0 END,
       0, 0, 100
FROM device d, generate_series(timestamptz '2026-03-01 00:00-03', '2026-03-01 23:50-03', '10 minutes') p,
     LATERAL (SELECT d.name = 'B' AND p >= '2026-03-01 12:00-03' AS o) x
WHERE d.name IN ('A', 'B');
SELECT vento_rollup_days('2026-03-01 00:00-03', '2026-03-02 00:00-03');
SQL
a() { q "SELECT round(availability::numeric, 4) || '|' || round(energy_availability::numeric, 4) || '|' ||
                round(unknown_h::numeric, 2) || '|' || round((lost_kwh + unknown_lost_kwh)::numeric, 1)
         FROM vento_availability('2026-03-01 00:00-03', '2026-03-02 00:00-03') WHERE device = '$1'"; }
check_eq "A, available all day: 1, 1, no hour unknown, nothing lost" "1.0000|1.0000|0.00|0.0" "$(a A)"
check_eq "B, half a day in a forced outage: 0.5, 0.5, 7200 kWh lost" "0.5000|0.5000|0.00|7200.0" "$(a B)"
check_eq "C, never heard from: listed, 0, 0, 24 h information unavailable, a day's farm rate lost" \
	"0.0000|0.0000|24.00|14400.0" "$(a C)"
check_eq "the farm: three turbines, 0.5 time-based, 0.5 energy-based" "3|0.5000|0.5000" \
	"$(q "SELECT turbines || '|' || round(availability::numeric, 4) || '|' || round(energy_availability::numeric, 4)
	      FROM vento_farm_availability('2026-03-01 00:00-03', '2026-03-02 00:00-03')")"
check_eq "a range wider than the data counts only the time the farm has data for" "0.5000" \
	"$(q "SELECT round(availability::numeric, 4) FROM vento_farm_availability('2026-02-01 00:00-03', '2026-04-01 00:00-03')")"
# Day by day (the availability dashboard's daily panel): the farm's own
# counting, C's silent day in it (stat_day's sums alone read 0.75).
byday() { q "SELECT string_agg(day || '|' || turbines || '|' || round(availability::numeric, 4) || '|' ||
                               round(unknown_h::numeric, 2), ' ' ORDER BY day)
             FROM vento_farm_availability_by_day('$1', '$2')"; }
check_eq "the day by day availability: 2026-03-01 at 0.5, C's 24 h information unavailable" \
	"2026-03-01|3|0.5000|24.00" "$(byday '2026-03-01 00:00-03' '2026-03-02 00:00-03')"
check_eq "a range wider than the data: the days with data only" \
	"2026-03-01|3|0.5000|24.00" "$(byday '2026-02-01 00:00-03' '2026-04-01 00:00-03')"
# Data from 06:00 of the 2nd to 12:00 of the 3rd, A and B available: two
# partial days, each counted over its part only.
q "INSERT INTO stat_10min (device_id, period, n, valid, energy_kwh, wtur_w_mean, wmet_horwdspd_mean,
                           wtur_turst, t_available, t_unavailable, t_excluded, t_unknown, potential_kwh)
   SELECT d.id, p, 600, true, 100, 600, 8, 2, 600, 0, 0, 0, 100
   FROM device d, generate_series(timestamptz '2026-03-02 06:00-03', '2026-03-03 11:50-03', '10 minutes') p
   WHERE d.name IN ('A', 'B');
   SELECT vento_rollup_days('2026-03-02 00:00-03', '2026-03-04 00:00-03')" >/dev/null
check_eq "partial days: 18 h and 12 h of data, C's hours information unavailable" \
	"2026-03-02|3|0.6667|18.00 2026-03-03|3|0.6667|12.00" "$(byday '2026-03-02 00:00-03' '2026-03-04 00:00-03')"
sums="SELECT round(sum(available_h)::numeric, 6) || '|' || round(sum(unavailable_h)::numeric, 6) || '|' ||
             round(sum(unknown_h)::numeric, 6)"
check_eq "over three days, the days' hours add up to the farm's over the range" \
	"$(q "$sums FROM vento_farm_availability('2026-03-01 00:00-03', '2026-03-04 00:00-03')")" \
	"$(q "$sums FROM vento_farm_availability_by_day('2026-03-01 00:00-03', '2026-03-04 00:00-03')")"
check_eq "the reader may call the farm's function" "t" \
	"$(q "SELECT has_function_privilege('vento_reader', 'vento_farm_availability(timestamptz, timestamptz)', 'EXECUTE')")"
q "DELETE FROM stat_10min; DELETE FROM stat_day; DELETE FROM device" >/dev/null

# A real farm, a dead turbine and one that answers only exceptions.
printf 'T03 dead\nT04 exception:4:0:2,exception:3:0:2\n' >"$WORK/faults"
vento_start_sim 13 --faults "$WORK/faults"
vento_start_ventod
sleep 15
vento_stop "$VENTOD"
q "SELECT vento_rollup(now() - interval '1 hour', now())" >/dev/null
check_eq "T03 and T04 have no statistics" "0" \
	"$(q "SELECT count(*) FROM stat_10min s JOIN device d ON d.id = s.device_id WHERE d.name IN ('T03', 'T04')")"
ctl --json availability >"$WORK/avail.json" 2>"$WORK/avail.err"
cat "$WORK/avail.err"
check_eq "T03 and T04 at 0, their whole time information-unavailable; T01 available" "T01|1.00|0|T03|0.00|1|T04|0.00|1" \
	"$(q "SELECT string_agg(device || '|' || round(availability::numeric, 2) || '|' || (round(unknown_h * 3600) = round(extract(epoch FROM span_to - span_from)))::int, '|' ORDER BY device)
	      FROM vento_availability(now() - interval '1 hour', now()), vento_data_span(now() - interval '1 hour', now())
	      WHERE device <> 'T02'")"
check "availability --json: all four turbines, T03 and T04 at 0 % with their time information-unavailable" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
t = {d["device"]: d for d in a["turbines"]}
assert sorted(t) == ["T01", "T02", "T03", "T04"], t
for n in ("T01", "T02"):
    assert t[n]["availability_pct"] >= 90, t[n]
for n in ("T03", "T04"):
    assert t[n]["availability_pct"] == 0 and t[n]["available_h"] == 0, t[n]
f = a["farm"]
assert f["turbines"] == 4 and 45 <= f["availability_pct"] <= 50, f
' "$WORK/avail.json"
at=$(q "SELECT now()")
check_eq "on the farm's own data, the days' hours add up to the farm's" \
	"$(q "$sums FROM vento_farm_availability(timestamptz '$at' - interval '1 hour', '$at')")" \
	"$(q "$sums FROM vento_farm_availability_by_day(timestamptz '$at' - interval '1 hour', '$at')")"
ctl availability >"$WORK/avail.txt"
check "the table lists T03 and T04 and the farm" sh -c "grep -q '^T03 ' '$WORK/avail.txt' && grep -q '^T04 ' '$WORK/avail.txt' && grep -q '^TURBINES' '$WORK/avail.txt'"
sed 's/^/# /' "$WORK/avail.txt"
# The turbine dashboard's series: over two hours from the means of each
# minute, over one from the raw samples; the same samples in both, the
# same mean power over them.
series() { q "SELECT sum(samples) || '|' || round((sum(wtur_w * samples) / sum(samples))::numeric, 3)
              FROM vento_turbine_series('T01', now() - interval '$1', now(), 1000)"; }
check_eq "the turbine series from minutes (2 h) and from raw samples (1 h) agree with the raw samples" \
	"$(q "SELECT count(*) || '|' || round(avg(wtur_w)::numeric, 3) FROM raw_sample WHERE device_id = (SELECT id FROM device WHERE name = 'T01') AND quality = 0")" \
	"$(series '2 hours')"
check_eq "and from raw samples" "$(series '2 hours')" "$(series '1 hour')"
check_eq "the minutes' rows come from the minute table" \
	"$(q "SELECT count(*) FROM raw_device_minute WHERE device_id = (SELECT id FROM device WHERE name = 'T01')")" \
	"$(q "SELECT count(*) FROM vento_turbine_series('T01', now() - interval '2 hours', now(), 1000)")"
check_clean "$WORK"/*.log
tap_done

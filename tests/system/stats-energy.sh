#!/bin/bash
# stats-energy: 10-minute statistics and energy from raw samples with known
# answers: constant power and a counter stepping 500 Wh a second give
# exactly 300 kWh a period; a polling gap the counter covers still gives
# 300 kWh (missing data is not missing production); a 32-bit counter's wrap
# and a controller's reset are counted right and flagged; a counter that
# disagrees with the power integral is flagged; late data recomputes its
# period and recounts its minutes (raw samples by minute and quality); a
# fault's time counts as unavailable with its lost energy; the vector mean
# of directions across north is north.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 1
q() { vento_psql -c "$1"; }

# Six turbines, 30 minutes (three periods) from 2026-03-01 00:00 UTC. The
# counter steps 500 Wh each second (1800 kW) unless a case says otherwise.
vento_psql >/dev/null <<'SQL'
SELECT vento_set_projection(720e6, ARRAY[6.8,5.3,5.1,5.5,7.6,9.1,10.8,11.9,11.3,10.4,8.6,7.6], 'America/Bahia');
SELECT vento_register_state('vento-sim-4500', 2, 'producing', 'full performance');
SELECT vento_register_state('vento-sim-4500', 4, 'fault', 'forced outage');
SELECT vento_register_device('T' || i, 'turbine', 'vento-sim-4500',
                             CASE WHEN i = 2 THEN 4294967296 ELSE 0 END, 4500)
FROM generate_series(1, 6) i;
SELECT vento_ensure_partitions('2026-03-01', '2026-03-01');
CREATE TABLE plan AS
SELECT d.id AS device, s, timestamptz '2026-03-01 00:00:00+00' + s * interval '1 second' AS t,
       CASE d.name
         WHEN 'T2' THEN (4294967296 - 150000 + (s + 1) * 500) % 4294967296  -- wraps at s = 299
         WHEN 'T3' THEN CASE WHEN s < 900 THEN 7000000 + (s + 1) * 500 ELSE (s - 899) * 500 END  -- reset
         WHEN 'T4' THEN 1000000 + (s + 1) * 250                               -- half the power integral
         ELSE 1000000 + (s + 1) * 500 END AS counter,
       CASE WHEN d.name = 'T5' AND s BETWEEN 600 AND 899 THEN 4 ELSE 2 END AS state,
       CASE WHEN d.name = 'T5' AND s BETWEEN 600 AND 899 THEN 0 ELSE 1800 END AS w,
       CASE WHEN s % 2 = 0 THEN 350 ELSE 10 END AS dir
FROM device d, generate_series(0, 1799) s;
-- T1 misses 00:13:20..00:16:39 (a polling gap); T6's last period arrives late.
INSERT INTO raw_sample (time, device_id, quality, wtur_w, wmet_horwdspd, wtur_totwh, wtur_turst,
                        wmet_envtmp, wmet_envpres, wmet_horwddir)
SELECT t, device, 0, w, 8, counter, state, 15, 1013.25, dir FROM plan p JOIN device d ON d.id = p.device
WHERE NOT (d.name = 'T1' AND s BETWEEN 800 AND 999) AND NOT (d.name = 'T6' AND s >= 1200);
SELECT vento_rollup('2026-03-01 00:00+00', '2026-03-01 00:30+00');
SQL
e() { q "SELECT round(energy_kwh::numeric, 3) || '|' || coalesce(energy_flag, '-') FROM stat_10min s JOIN device d ON d.id = s.device_id
         WHERE d.name = '$1' AND period = '2026-03-01 00:${2}:00+00'"; }
check_eq "T1 steady: 299.5 kWh in the first period (its first step has no predecessor)" "299.500|-" "$(e T1 00)"
check_eq "T1 steady: 300 kWh in the third period" "300.000|-" "$(e T1 20)"
check_eq "T1 gap covered by the counter: still 300 kWh, in step with the mean power" "300.000|-" "$(e T1 10)"
check_eq "T1's gap period has 400 samples and is not valid" "400|0" \
	"$(q "SELECT n || '|' || valid::int FROM stat_10min WHERE device_id = 1 AND period = '2026-03-01 00:10+00'")"
check_eq "T2: a 32-bit counter wrap is counted whole and flagged" "299.500|wrap" "$(e T2 00)"
check_eq "T3: a controller reset is counted from zero and flagged" "300.000|reset" "$(e T3 10)"
check_eq "T3 after the reset: 300 kWh" "300.000|-" "$(e T3 20)"
check_eq "T4: a counter at half the power integral is flagged" "150.000|mismatch" "$(e T4 10)"
check_eq "T5: 300 s in fault are unavailable" "300|300" \
	"$(q "SELECT t_available || '|' || t_unavailable FROM stat_10min WHERE device_id = 5 AND period = '2026-03-01 00:10+00'")"
check_eq "T5: availability over the half hour is 1500/1800" "0.833" \
	"$(q "SELECT round(availability::numeric, 3) FROM vento_availability('2026-03-01', '2026-03-02') WHERE device = 'T5'")"
check_eq "T5: lost energy is the reference at 8 m/s (2475 kW) over the 300 s unavailable" "206.3" \
	"$(q "SELECT round(lost_kwh::numeric, 1) FROM vento_availability('2026-03-01', '2026-03-02') WHERE device = 'T5'")"
check_eq "directions 350 and 10 degrees average to north" "0.0" \
	"$(q "SELECT round(wmet_horwddir_mean::numeric, 1) % 360 FROM stat_10min WHERE device_id = 1 AND period = '2026-03-01 00:00+00'")"
check_eq "power statistics: mean, min, max, std" "1800|1800|1800|0" \
	"$(q "SELECT wtur_w_mean || '|' || wtur_w_min || '|' || wtur_w_max || '|' || wtur_w_std FROM stat_10min WHERE device_id = 1 AND period = '2026-03-01 00:00+00'")"
check_eq "T6's third period is not there before its data" "" "$(e T6 20)"
minutes() { q "SELECT string_agg(quality || ':' || samples, ' ' ORDER BY quality) FROM raw_minute WHERE minute = '2026-03-01 00:$1:00+00'"; }
check_eq "raw samples counted by minute: 10,000 in 30 minutes" "10000|30" \
	"$(q "SELECT sum(samples) || '|' || count(DISTINCT minute) FROM raw_minute")"
check_eq "in T1's gap, five turbines' samples a minute" "0:300" "$(minutes 14)"

# The late data arrives (from a spool, say) and the rollup runs again.
vento_psql >/dev/null <<'SQL'
INSERT INTO raw_sample (time, device_id, quality, wtur_w, wmet_horwdspd, wtur_totwh, wtur_turst,
                        wmet_envtmp, wmet_envpres, wmet_horwddir)
SELECT t, device, 0, w, 8, counter, state, 15, 1013.25, dir FROM plan p JOIN device d ON d.id = p.device
WHERE d.name = 'T6' AND s >= 1200;
SELECT vento_rollup('2026-03-01 00:20+00', '2026-03-01 00:30+00');
SQL
check_eq "late data: T6's third period computed when it arrives" "300.000|-" "$(e T6 20)"
check_eq "and its minutes counted again" "0:360" "$(minutes 25)"

# T1's gap as ventod stores it: a row a second of quality 3 (timeout),
# arriving late. Counted as such; the statistics stay as they were.
vento_psql >/dev/null <<'SQL'
INSERT INTO raw_sample (time, device_id, quality)
SELECT t, device, 3 FROM plan p JOIN device d ON d.id = p.device
WHERE d.name = 'T1' AND s BETWEEN 800 AND 999;
SELECT vento_rollup('2026-03-01 00:10+00', '2026-03-01 00:20+00');
SQL
check_eq "T1's timeouts counted by minute" "0:300 3:60" "$(minutes 14)"
check_eq "the minutes at the edges of the gap too" "0:320 3:40;0:320 3:40" "$(minutes 13);$(minutes 16)"
check_eq "and its period still 300 kWh from 400 samples" "300.000|-|400" "$(e T1 10)|$(q "SELECT n FROM stat_10min WHERE device_id = 1 AND period = '2026-03-01 00:10+00'")"
check_eq "the daily sums follow: T1's day is 299.5 + 300 + 300 kWh" "899.500" \
	"$(q "SELECT round(energy_kwh::numeric, 3) FROM stat_day WHERE device_id = 1")"
check_eq "the day is local: 2026-02-28 in Bahia" "2026-02-28" \
	"$(q "SELECT day FROM stat_day WHERE device_id = 1")"

# The power curve on known answers: T7 makes exactly the reference power
# at 5 to 9 m/s, T8 90 % of it; ten periods per bin, standard air.
vento_psql >/dev/null <<'SQL'
SELECT vento_register_device('T' || i, 'turbine', 'vento-sim-4500', 0, 4500) FROM generate_series(7, 8) i;
INSERT INTO stat_10min (device_id, period, n, valid, wtur_w_mean, wmet_horwdspd_mean, wmet_envtmp_mean,
                        wmet_envpres_mean, t_available, t_unavailable, t_excluded, t_unknown, energy_kwh)
SELECT d.id, timestamptz '2026-04-01 03:00+00' + (w * 10 + k) * interval '10 minutes', 600, true,
       vento_ref_power('vento-sim-4500', w) * CASE d.name WHEN 'T8' THEN 0.9 ELSE 1 END,
       w, 15, 1013.25, 600, 0, 0, 0, 0
FROM device d, generate_series(5, 9) w, generate_series(0, 9) k WHERE d.name IN ('T7', 'T8');
SELECT vento_rollup_days('2026-04-01 03:00+00', '2026-04-02 03:00+00');
SQL
check_eq "power curve: five bins of ten periods each, measured against the reference" \
	"5|10|556|556;6|10|1007|1007;7|10|1637|1637;8|10|2475|2475;9|10|3551|3551" \
	"$(q "SELECT string_agg(bin_wind || '|' || periods || '|' || round(measured_kw) || '|' || round(reference_kw), ';' ORDER BY bin_wind)
	      FROM vento_power_curve('T7', '2026-04-01 00:00-03', '2026-04-02 00:00-03')")"
check_eq "performance: the healthy turbine 1.000, not flagged; the other 0.900, flagged" "T7|1.000|false;T8|0.900|true" \
	"$(q "SELECT string_agg(device || '|' || round(ratio::numeric, 3) || '|' || flagged, ';' ORDER BY device)
	      FROM vento_performance('2026-04-01 00:00-03', '2026-04-02 00:00-03') WHERE device IN ('T7', 'T8')")"
tap_done

#!/bin/bash
# stats-counter: counter energy exact for any resolution and width, with
# known answers over half an hour (three periods from 2026-03-01 00:00
# UTC), each period rolled up on its own as ventod's writer does:
#   C1  a Wh counter refreshed every second, 1950 kW: 325.0 kWh a period;
#   C2  a 32-bit Wh counter refreshed every 10 s (steps of 5.4 kWh), 1950
#       kW, wrapping in the middle period: 325.0 kWh each, the wrap flagged;
#   C3  the same wrapping at the middle period's first step (its previous
#       change is in the period before, which the rollup does not write);
#   C4  a 16-bit counter of whole kWh, 4320 kW (steps of 1 and 2 kWh a
#       second), wrapping on a step of 2 kWh: 720.0 kWh each period;
#   C5  a 32-bit Wh counter near its top that a controller resets to zero:
#       a reset, not a wrap, counted from zero (300.0 kWh).
# On 005_statistics.sql's rule (a step within rated power over the one
# second between samples) C2, C3 and C4 lose their wraps as resets.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 1
q() { vento_psql -c "$1"; }

vento_psql >/dev/null <<'SQL'
SELECT vento_set_projection(720e6, ARRAY[6.8,5.3,5.1,5.5,7.6,9.1,10.8,11.9,11.3,10.4,8.6,7.6], 'America/Bahia');
SELECT vento_register_state('vento-sim-4500', 2, 'producing', 'full performance');
SELECT vento_register_device('C' || i, 'turbine', 'vento-sim-4500',
                             CASE i WHEN 4 THEN 65536 * 1000::bigint ELSE 4294967296 END, 4500)
FROM generate_series(1, 5) i;
SELECT vento_ensure_partitions('2026-03-01', '2026-03-01');
INSERT INTO raw_sample (time, device_id, quality, wtur_w, wmet_horwdspd, wtur_totwh, wtur_turst)
SELECT timestamptz '2026-03-01 00:00:00+00' + s * interval '1 second', d.id, 0,
       CASE d.name WHEN 'C4' THEN 4320 WHEN 'C5' THEN 1800 ELSE 1950 END, 8,
       CASE d.name
         -- 1950 kW is 16250/3 Wh in 10 s: whole Wh, read at each refresh.
         WHEN 'C1' THEN 1000000 + 19500 * s::bigint / 36
         WHEN 'C2' THEN (4294485212 + 16250 * (s / 10)::bigint / 3) % 4294967296   -- wraps at s = 900
         WHEN 'C3' THEN (4294647712 + 16250 * (s / 10)::bigint / 3) % 4294967296   -- wraps at s = 600
         WHEN 'C4' THEN (64457 + 6 * (s + 1) / 5) % 65536 * 1000::bigint                -- wraps at s = 899
         WHEN 'C5' THEN CASE WHEN s < 900 THEN 4293550000 + (s + 1) * 500::bigint ELSE (s - 899) * 500 END
       END, 2
FROM device d, generate_series(0, 1799) s;
SELECT vento_rollup('2026-03-01 00:00+00', '2026-03-01 00:10+00');
SELECT vento_rollup('2026-03-01 00:10+00', '2026-03-01 00:20+00');
SELECT vento_rollup('2026-03-01 00:20+00', '2026-03-01 00:30+00');
SQL
e() { q "SELECT round(energy_kwh::numeric, 3) || '|' || coalesce(energy_flag, '-') FROM stat_10min s JOIN device d ON d.id = s.device_id
         WHERE d.name = '$1' AND period = '2026-03-01 00:${2}:00+00'"; }
check_eq "C1, a 1 s Wh counter: 325.0 kWh in the second period" "325.000|-" "$(e C1 10)"
check_eq "C1: 325.0 kWh in the third" "325.000|-" "$(e C1 20)"
check_eq "C2, a 10 s-step Wh counter across a 32-bit wrap: 325.0 kWh, flagged wrap" "325.000|wrap" "$(e C2 10)"
check_eq "C2: 325.0 kWh after the wrap" "325.000|-" "$(e C2 20)"
check_eq "C3, wrapping at a period's first step: 325.0 kWh, flagged wrap" "325.000|wrap" "$(e C3 10)"
check_eq "C4, a whole-kWh 16-bit counter across its wrap: 720.0 kWh, flagged wrap" "720.000|wrap" "$(e C4 10)"
check_eq "C4: 720.0 kWh after the wrap" "720.000|-" "$(e C4 20)"
check_eq "C5, a controller reset near a 32-bit counter's top: a reset, 300.0 kWh" "300.000|reset" "$(e C5 10)"
check_eq "the half hour's wraps and resets: 4 periods flagged, none as mismatch" "reset:1 wrap:3" \
	"$(q "SELECT string_agg(energy_flag || ':' || n, ' ' ORDER BY energy_flag) FROM (
	      SELECT energy_flag, count(*) AS n FROM stat_10min WHERE energy_flag IS NOT NULL GROUP BY 1) f")"

# The same half hour in one rollup gives the same energies.
q "SELECT vento_rollup('2026-03-01 00:00+00', '2026-03-01 00:30+00')" >/dev/null
check_eq "one rollup of the half hour: the same energies" "325.000|wrap 325.000|wrap 720.000|wrap 300.000|reset" \
	"$(e C2 10) $(e C3 10) $(e C4 10) $(e C5 10)"
tap_done

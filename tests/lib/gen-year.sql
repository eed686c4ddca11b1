-- gen-year.sql - a year (2025, local time America/Bahia) of 10-minute
-- statistics for 40 turbines, 2.1 million rows, with energies from a hash
-- so that a sum over a wrong range cannot come out right by accident.
-- Loaded by the yearly scenarios; the projection is the farm's.
SELECT vento_set_projection(720e6, ARRAY[6.8,5.3,5.1,5.5,7.6,9.1,10.8,11.9,11.3,10.4,8.6,7.6], 'America/Bahia');
SELECT vento_register_state('vento-sim-4500', 2, 'producing', 'full performance');
SELECT vento_register_state('vento-sim-4500', 4, 'fault', 'forced outage');
SELECT count(vento_register_device('T' || lpad(i::text, 2, '0'), 'turbine', 'vento-sim-4500', 0, 4500))
FROM generate_series(1, 40) i;
INSERT INTO stat_10min (device_id, period, n, valid, energy_kwh, wtur_w_mean, wmet_horwdspd_mean,
                        wmet_envtmp_mean, wmet_envpres_mean,
                        wtur_turst, t_available, t_unavailable, t_excluded, t_unknown, potential_kwh)
SELECT d.id, p, 600, true, e, e * 6, w, 15, 1013.25, 2, 600, 0, 0, 0,
       vento_ref_power('vento-sim-4500', w) / 6
FROM device d,
     generate_series(timestamptz '2025-01-01 03:00+00', timestamptz '2026-01-01 02:50+00', interval '10 minutes') p,
     LATERAL (SELECT (abs(hashtext(d.id || ' ' || p::text)) % 400000) / 1000.0 AS e) en,
     LATERAL (SELECT 3 + (abs(hashtext(p::text || d.id)) % 700) / 100.0 AS w) wi;
SELECT vento_rollup_days('2025-01-01 03:00+00', '2026-01-01 03:00+00');
ANALYZE stat_10min;

-- gen-year.sql - a year (2025, local time America/Bahia) of 10-minute
-- statistics for 40 turbines, 2.1 million rows, with energies from a hash
-- so that a sum over a wrong range cannot come out right by accident.
-- Loaded by the yearly scenarios; the projection is the farm's.
SELECT vento_set_projection(720e6, ARRAY[6.8,5.3,5.1,5.5,7.6,9.1,10.8,11.9,11.3,10.4,8.6,7.6], 'America/Bahia');
SELECT vento_register_state('vento-sim-4500', 2, 'producing', 'full performance');
SELECT vento_register_state('vento-sim-4500', 4, 'fault', 'forced outage');
SELECT count(vento_register_device('T' || lpad(i::text, 2, '0'), 'turbine', 'vento-sim-4500', 0, 4500))
FROM generate_series(1, 40) i;
-- The secondary indexes are built once after the load rather than kept up
-- row by row, each period's text is made once for all devices, and the
-- reference power once per wind: the same rows, in a fraction of the time
-- on a loaded machine.
CREATE TEMP TABLE gen_index AS
SELECT indexname, indexdef FROM pg_indexes
WHERE schemaname = 'public' AND tablename = 'stat_10min'
  AND indexdef NOT LIKE 'CREATE UNIQUE %'; -- keys, and the replica identity, stay
DO $$
DECLARE i record;
BEGIN
    FOR i IN SELECT indexname FROM gen_index LOOP
        EXECUTE format('DROP INDEX %I', i.indexname);
    END LOOP;
END $$;
INSERT INTO stat_10min (device_id, period, n, valid, energy_kwh, wtur_w_mean, wmet_horwdspd_mean,
                        wmet_envtmp_mean, wmet_envpres_mean,
                        wtur_turst, t_available, t_unavailable, t_excluded, t_unknown, potential_kwh)
SELECT d.id, ps.p, 600, true, e, e * 6, w, 15, 1013.25, 2, 600, 0, 0, 0, rp.kw / 6
FROM device d,
     (SELECT p, p::text AS pt
      FROM generate_series(timestamptz '2025-01-01 03:00+00', timestamptz '2026-01-01 02:50+00',
                           interval '10 minutes') p) ps,
     LATERAL (SELECT (abs(hashtext(d.id || ' ' || ps.pt)) % 400000) / 1000.0 AS e) en,
     LATERAL (SELECT 3 + (abs(hashtext(ps.pt || d.id)) % 700) / 100.0 AS w) wi,
     (SELECT w0, vento_ref_power('vento-sim-4500', w0) AS kw
      FROM generate_series(0, 699) k, LATERAL (SELECT 3 + k / 100.0 AS w0) x) rp
WHERE rp.w0 = wi.w;
DO $$
DECLARE i record;
BEGIN
    FOR i IN SELECT indexdef FROM gen_index LOOP
        EXECUTE i.indexdef;
    END LOOP;
END $$;
SELECT vento_rollup_days('2025-01-01 03:00+00', '2026-01-01 03:00+00');
ANALYZE stat_10min;

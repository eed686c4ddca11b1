-- gen-raw-day.sql - what the live dashboards read, for the bench: the day
-- of raw 1 Hz samples before :'at' for every turbine (3.5 million rows
-- for 40), stored in time order as ventod stores them, all turbines of a
-- tick together, and counted by minute as ventod's rollup counts them;
-- and a year of collector_health, a row a minute, as ventod writes it and
-- never deletes it. Values as in tests/lib/gen-live.sql: the reference
-- curve at a wind that varies by turbine and minute, T13 timing out every
-- 97 s. The 10-minute statistics are left as they are.
--
-- psql variable: at, a timestamptz (the dashboards' "now").
--
-- One series numbers the rows in the order they are stored; each step is
-- a subquery of its own (OFFSET 0), computed once a row.
SELECT array_agg(id ORDER BY name) AS ids, count(*) AS turbines
FROM device WHERE kind = 'turbine' \gset
SELECT array_agg(vento_ref_power('vento-sim-4500', k / 100.0) ORDER BY k) AS curve
FROM generate_series(0, 4000) k \gset

SELECT vento_ensure_partitions(:'at'::timestamptz - interval '1 day', :'at'::timestamptz);
INSERT INTO raw_sample (time, device_id, quality, wtur_w, wtur_var, wtur_totwh, wmet_horwdspd,
                        wmet_horwddir, wnac_dir, wrot_rotspd, wgen_spd, wrot_blpthangval,
                        wmet_envtmp, wmet_envpres, wtur_turst, wgen_tmpsta, wrot_tmpbrg,
                        wnac_tmp, wcnv_tmp, wtrf_tmp)
SELECT t, (:'ids'::smallint[])[j], q,
       CASE WHEN q = 0 THEN kw END, CASE WHEN q = 0 THEN kw * 0.05 END,
       CASE WHEN q = 0 THEN j * 10000000000::bigint + e::bigint * 1000 END,
       CASE WHEN q = 0 THEN w END, CASE WHEN q = 0 THEN 105 END, CASE WHEN q = 0 THEN 104 END,
       CASE WHEN q = 0 THEN least(12, 2 + w * 0.9) END, CASE WHEN q = 0 THEN least(12, 2 + w * 0.9) END,
       CASE WHEN q = 0 THEN CASE WHEN w > 9.75 THEN 2 + (w - 9.75) * 1.6 ELSE 0 END END,
       CASE WHEN q = 0 THEN 27 END, CASE WHEN q = 0 THEN 1011 END,
       CASE WHEN q = 0 THEN CASE WHEN w < 3 THEN 1 ELSE 2 END END,
       CASE WHEN q = 0 THEN 55 + kw / 150 END, CASE WHEN q = 0 THEN 38 + kw / 400 END,
       CASE WHEN q = 0 THEN 31 END, CASE WHEN q = 0 THEN 42 + kw / 300 END,
       CASE WHEN q = 0 THEN 50 + kw / 250 END
FROM (
    SELECT t, e, j, q, w, (:'curve'::float8[])[least(round(w * 100), 4000)::int + 1] * 0.98 AS kw
    FROM (
        SELECT t, e, j,
               CASE WHEN j = 13 AND e::bigint % 97 = 0 THEN 3 ELSE 0 END AS q,
               greatest(0, 8.5 + 1.5 * sin(e / 60.0 + j) + ((j % 7) - 3) * 0.3) AS w
        FROM generate_series(0, 86400 * :turbines - 1) i,
             LATERAL (SELECT :'at'::timestamptz - (86399 - i / :turbines) * interval '1 second' AS t,
                             i % :turbines + 1 AS j) a,
             LATERAL (SELECT extract(epoch FROM a.t)::float8 AS e) b
        OFFSET 0
    ) r
    OFFSET 0
) s;
SELECT vento_rollup_minutes(:'at'::timestamptz - interval '1 day', :'at'::timestamptz);

-- A year of health: ventod restarted every 30 days, a device silent for
-- 40 minutes now and then.
INSERT INTO collector_health (time, devices, devices_ok, ticks, missed, late_p50_ms, late_p99_ms,
                              spool_bytes, spool_backlog, spool_dropped, rows_stored)
SELECT date_trunc('minute', :'at'::timestamptz) - i * interval '1 minute', :turbines,
       CASE WHEN i % 10007 < 40 THEN :turbines - 1 ELSE :turbines END,
       m * 60 * :turbines, m / 97, 1.2 + (i % 7) / 10.0, 18 + (i % 11), 262144, 0, 0, m * 60 * :turbines
FROM (SELECT i, 43200 - i % 43200 AS m FROM generate_series(525599, 0, -1) i) g;

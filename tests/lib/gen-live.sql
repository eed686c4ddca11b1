-- gen-live.sql - a farm as it would be now: the current local year
-- (America/Bahia) of 10-minute statistics up to the last whole period,
-- with stat_day rolled up; the last day of collector_health, a row a
-- minute; and the last minutes of raw 1 Hz samples, counted by minute.
-- For the Grafana scenario, whose dashboards look at "now".
--
-- psql variables (all optional):
--   turbines     how many turbines, T01.. (40)
--   raw_minutes  minutes of raw samples up to now (10)
--   year_from    the first period, a timestamptz (the start of the local year)
--   wind         a factor on every wind, so that two farms differ (1)
--   annual_kwh   the projection, kWh a year (720e6)
--   time_zone    the projection's time zone (America/Bahia)
--
-- Statistics follow the reference curve at a wind with a season, weather
-- and a day's cycle; each turbine has its own performance (T13 at 90 %, to
-- be flagged), rare faults and whole days of maintenance; a few periods are
-- invalid. The raw samples are good except T13's timeouts every 97 s and
-- T40's lost link in the last 20 s. Run it without a single transaction
-- (no psql -1): the raw samples end at the clock of their own statement.
-- (In the statistics, OFFSET 0 keeps each step a subquery of its own,
-- computed once a row: flattened, each use of a value computes it again.)
\if :{?turbines}
\else
\set turbines 40
\endif
\if :{?raw_minutes}
\else
\set raw_minutes 10
\endif
\if :{?wind}
\else
\set wind 1
\endif
\if :{?annual_kwh}
\else
\set annual_kwh 720e6
\endif
\if :{?time_zone}
\else
\set time_zone America/Bahia
\endif

SELECT vento_set_projection(:annual_kwh, ARRAY[6.8,5.3,5.1,5.5,7.6,9.1,10.8,11.9,11.3,10.4,8.6,7.6], :'time_zone');
SELECT vento_register_state('vento-sim-4500', 1, 'standby, low wind', 'out of environmental specification');
SELECT vento_register_state('vento-sim-4500', 2, 'producing', 'full performance');
SELECT vento_register_state('vento-sim-4500', 3, 'stopped, high wind', 'out of environmental specification');
SELECT vento_register_state('vento-sim-4500', 4, 'fault', 'forced outage');
SELECT vento_register_state('vento-sim-4500', 5, 'maintenance', 'scheduled maintenance');
SELECT count(vento_register_device('T' || lpad(i::text, 2, '0'), 'turbine', 'vento-sim-4500', 0, 4500))
FROM generate_series(1, :turbines) i;

\if :{?year_from}
\else
SELECT vento_day_start(make_date(extract(year FROM vento_local_day(now()))::int, 1, 1)) AS year_from \gset
\endif
SELECT date_bin('10 minutes', now(), '2000-01-01') - interval '10 minutes' AS last_period \gset

-- The reference curve in steps of 0.01 m/s, looked up by key.
CREATE TEMP TABLE curve AS
SELECT k, vento_ref_power('vento-sim-4500', k / 100.0) AS kw FROM generate_series(0, 4000) k;
ALTER TABLE curve ADD PRIMARY KEY (k);

INSERT INTO stat_10min (device_id, period, n, valid,
    wtur_w_mean, wtur_w_min, wtur_w_max, wtur_w_std,
    wmet_horwdspd_mean, wmet_horwdspd_min, wmet_horwdspd_max, wmet_horwdspd_std,
    wmet_horwddir_mean, wnac_dir_mean, wrot_blpthangval_mean, wmet_envtmp_mean, wmet_envpres_mean,
    wtur_turst, t_available, t_unavailable, t_excluded, t_unknown,
    energy_kwh, energy_int_kwh, potential_kwh)
SELECT id, p, CASE WHEN h % 500 = 0 THEN 400 ELSE 600 END, h % 500 <> 0,
       kw, kw * 0.8, least(kw * 1.15, 4700), kw * 0.05,
       w, greatest(w - 1.5, 0), w + 1.5, 0.6,
       dir, dir, CASE WHEN vn > 9.75 THEN 2 + (vn - 9.75) * 1.6 ELSE 0 END, tmp, 1011,
       st, CASE WHEN st IN (4, 5) THEN 0 ELSE 600 END, CASE WHEN st IN (4, 5) THEN 600 ELSE 0 END, 0, 0,
       kw / 6, kw / 6, ref / 6
FROM (
    SELECT x.*, CASE WHEN st IN (1, 3, 4, 5) THEN 0
                     ELSE c.kw * x.perf * (0.98 + (x.h % 41) / 1000.0) END AS kw,
           c.kw AS ref
    FROM (
        SELECT v.*, CASE WHEN abs(hashint8(v.day * 64 + v.id)) % 200 = 0 THEN 5
                         WHEN v.h % 1000 < 8 THEN 4
                         WHEN v.vn < 3 THEN 1
                         WHEN v.vn > 25 THEN 3
                         ELSE 2 END AS st
        FROM (
            SELECT u.*, u.w * power((1011 * 100 / (287.05 * (u.tmp + 273.15))) / 1.225, 1.0 / 3) AS vn
            FROM (
                SELECT t.id, t.p, (t.e - 10800) / 86400 AS day,
                       abs(hashint8(t.e * 64 + t.id)) AS h,
                       CASE WHEN t.name = 'T13' THEN 0.90 ELSE 0.97 + (t.id % 5) / 100.0 END AS perf,
                       :wind * greatest(0, 7.3
                           + 1.8 * sin(2 * pi() * (t.e / 86400.0 - 140) / 365.25)
                           + 2.4 * sin(2 * pi() * t.e / (86400 * 4.3))
                           + 1.2 * sin(2 * pi() * (t.e / 86400.0 - 0.3))
                           + (abs(hashint8(t.e * 64 + t.id + 32)) % 1000) / 500.0 - 1) AS w,
                       26 + 3 * sin(2 * pi() * (t.e / 86400.0 - 0.5)) AS tmp,
                       (90 + abs(hashint8(t.e)) % 40)::real AS dir
                FROM (SELECT d.id, d.name, p, extract(epoch FROM p)::bigint AS e
                      FROM device d,
                           generate_series(:'year_from'::timestamptz, :'last_period'::timestamptz,
                                           interval '10 minutes') p
                      WHERE d.kind = 'turbine') t
                OFFSET 0
            ) u
            OFFSET 0
        ) v
        OFFSET 0
    ) x
    JOIN curve c ON c.k = least(round(x.vn * 100), 4000)::int
    OFFSET 0
) s;
SELECT vento_rollup_days(:'year_from'::timestamptz, :'last_period'::timestamptz + interval '10 minutes');
ANALYZE stat_10min;
ANALYZE stat_day;

-- ventod's health, a row a minute for the last day: a restart 7 hours
-- ago, a database outage 3 hours ago that the spool rode out, a device
-- silent for 40 minutes.
INSERT INTO collector_health (time, devices, devices_ok, ticks, missed, late_p50_ms, late_p99_ms,
                              spool_bytes, spool_backlog, spool_dropped, rows_stored)
SELECT date_trunc('minute', now()) - i * interval '1 minute', :turbines,
       CASE WHEN i BETWEEN 600 AND 640 THEN :turbines - 1 ELSE :turbines END,
       m * 60 * :turbines, m / 97,
       1.2 + (i % 7) / 10.0, CASE WHEN backlog > 0 THEN 45 ELSE 18 + (i % 11) END,
       262144 + backlog * 65536, backlog, 0,
       greatest(0, (m * 60 - backlog) * :turbines)
FROM (SELECT i, CASE WHEN i >= 420 THEN 2000 - i ELSE 420 - i END AS m,
             CASE WHEN i BETWEEN 180 AND 200 THEN (200 - i) * 60
                  WHEN i BETWEEN 175 AND 179 THEN (i - 174) * 240 ELSE 0 END AS backlog
      FROM generate_series(0, 1439) i) g;
ANALYZE collector_health;

-- The last minutes of raw samples, ending now.
SELECT vento_ensure_partitions(now() - interval '1 day', now() + interval '1 hour');
INSERT INTO raw_sample (time, device_id, quality, wtur_w, wtur_var, wtur_totwh, wmet_horwdspd,
                        wmet_horwddir, wnac_dir, wrot_rotspd, wgen_spd, wrot_blpthangval,
                        wmet_envtmp, wmet_envpres, wtur_turst, wgen_tmpsta, wrot_tmpbrg,
                        wnac_tmp, wcnv_tmp, wtrf_tmp)
SELECT t, id, q,
       CASE WHEN q = 0 THEN kw END, CASE WHEN q = 0 THEN kw * 0.05 END,
       CASE WHEN q = 0 THEN id * 10000000000::bigint
                            + (sum(kw / 3.6) OVER (PARTITION BY id ORDER BY t))::bigint END,
       CASE WHEN q = 0 THEN w END, CASE WHEN q = 0 THEN 105 END, CASE WHEN q = 0 THEN 104 END,
       CASE WHEN q = 0 THEN least(12, 2 + w * 0.9) END, CASE WHEN q = 0 THEN least(12, 2 + w * 0.9) END,
       CASE WHEN q = 0 THEN CASE WHEN w > 9.75 THEN 2 + (w - 9.75) * 1.6 ELSE 0 END END,
       CASE WHEN q = 0 THEN 27 END, CASE WHEN q = 0 THEN 1011 END,
       CASE WHEN q = 0 THEN CASE WHEN w < 3 THEN 1 ELSE 2 END END,
       CASE WHEN q = 0 THEN 55 + kw / 150 END, CASE WHEN q = 0 THEN 38 + kw / 400 END,
       CASE WHEN q = 0 THEN 31 END, CASE WHEN q = 0 THEN 42 + kw / 300 END,
       CASE WHEN q = 0 THEN 50 + kw / 250 END
FROM (
    SELECT r.*, c.kw * 0.98 AS kw
    FROM (
        SELECT t, d.id,
               CASE WHEN d.name = 'T40' AND t > date_trunc('second', now()) - interval '20 seconds' THEN 4
                    WHEN d.name = 'T13' AND extract(epoch FROM t)::bigint % 97 = 0 THEN 3
                    ELSE 0 END AS q,
               :wind * greatest(0, 8.5 + 1.5 * sin(extract(epoch FROM t) / 60.0 + d.id)
                        + ((d.id % 7) - 3) * 0.3) AS w
        FROM device d,
             generate_series(date_trunc('second', now()) - (:raw_minutes * 60 - 1) * interval '1 second',
                             date_trunc('second', now()), interval '1 second') t
        WHERE d.kind = 'turbine'
    ) r
    JOIN curve c ON c.k = least(round(r.w * 100), 4000)::int
) s;
-- Counted by minute and quality, as ventod's rollup counts them.
SELECT vento_rollup_minutes(min(time), max(time) + interval '1 second') FROM raw_sample;
ANALYZE raw_sample;

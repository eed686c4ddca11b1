-- 013_farm_numbers.sql - the farm's numbers right in the hard cases.
--
-- Counter energy for any counter resolution and width. 005_statistics.sql
-- judged a step down (a wrap or a reset) plausible when the wrapped step
-- was no more than rated power over the one second between samples, so a
-- counter refreshed every 10 s, or counting whole kWh, lost its wrap as a
-- "reset" (a 12.5 kWh step cannot come in a second). The step is now judged
-- over the time since the counter last moved; and the potential energy's
-- wind is normalised to the reference curve's density (see below). The
-- function keeps the name 010_live_panels.sql gave it (vento_rollup calls
-- it, then counts minutes).

-- Recomputes the 10-minute statistics of [p_from, p_to) from raw samples.
-- Periods without raw samples are left as they are (imported history
-- stays); periods with raw samples replace what was there. Energy comes
-- from the counter: the sum of its steps from each good sample to the next,
-- the step into a period's first sample counted in that period, so that
-- the energy of a polling gap lands, whole, in the period after it. A step
-- down is a wrap when adding the declared width gives a plausible step,
-- else a controller reset, counted from zero. Returns the periods written.
CREATE OR REPLACE FUNCTION vento_rollup_periods(p_from timestamptz, p_to timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_from timestamptz := date_bin('10 minutes', p_from, '2000-01-01');
    -- The period before the range is read too, only to know when each
    -- counter last changed before the range's first step.
    v_look timestamptz := v_from - interval '10 minutes';
    v_site double precision := (SELECT air_density FROM site);
    v_rows integer;
BEGIN
    WITH s AS (
        SELECT r.device_id, r.time, r.quality,
               coalesce(r.wtur_w, r.mmxu_totw) AS w, r.wmet_horwdspd AS ws,
               r.wmet_horwddir, r.wnac_dir, r.wrot_blpthangval, r.wmet_envtmp,
               r.wmet_envpres, r.wtur_turst,
               coalesce(r.wtur_totwh, r.mmtr_supwh - coalesce(r.mmtr_dmdwh, 0)) AS counter,
               d.counter_wrap_wh AS wrap, CASE WHEN d.rated_kw > 0 THEN d.rated_kw ELSE 10000 END AS rated_kw,
               d.profile, coalesce(c.air_density, 1.225) AS curve_rho,
               date_bin('10 minutes', r.time, '2000-01-01') AS period
        FROM raw_sample r JOIN device d ON d.id = r.device_id
        LEFT JOIN power_curve_density c ON c.profile = d.profile
        WHERE r.time >= v_look AND r.time < p_to AND r.quality = 0
    ),
    -- The counter's last value before the range, from the statistics.
    prev AS (
        SELECT DISTINCT ON (t.device_id) t.device_id, t.counter_last,
               t.period + interval '10 minutes' AS time
        FROM stat_10min t
        WHERE t.period < v_from AND t.period >= v_from - interval '30 days'
          AND t.counter_last IS NOT NULL
          AND t.device_id IN (SELECT DISTINCT device_id FROM s)
        ORDER BY t.device_id, t.period DESC
    ),
    -- The counter's steps, including the step into the range's first
    -- sample when the period before it has no raw samples; and the time
    -- of the sample before each.
    steps AS (
        SELECT s.*,
               s.counter - coalesce(lag(s.counter) OVER w,
                                    CASE WHEN lag(s.time) OVER w IS NULL AND s.time >= v_from
                                         THEN prev.counter_last END) AS step,
               coalesce(lag(s.time) OVER w,
                        CASE WHEN s.time >= v_from THEN prev.time END, s.time) AS t_before
        FROM s LEFT JOIN prev ON prev.device_id = s.device_id
        WINDOW w AS (PARTITION BY s.device_id ORDER BY s.time)
    ),
    -- How long a step took: from the sample before the counter's previous
    -- change (from the first sample known when none is), not from the
    -- sample before. A counter refreshed every 10 s, or counting whole
    -- kWh, stands still between its steps, so a step holds the energy of
    -- the time since it last moved; and since the previous change crossed
    -- a count somewhere after the sample before it, the energy of a step
    -- is at most rated power over this time whatever the resolution.
    spans AS (
        SELECT steps.*,
               extract(epoch FROM time - coalesce(
                   max(t_before) FILTER (WHERE step <> 0) OVER (
                       PARTITION BY device_id ORDER BY time
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                   first_value(t_before) OVER (PARTITION BY device_id ORDER BY time))) AS dt
        FROM steps
    ),
    energy AS (
        SELECT *,
               CASE
                   WHEN step IS NULL THEN 0
                   WHEN step >= 0 THEN step
                   -- Wrap: the step modulo the declared width is no more
                   -- than rated power over that time, with margin.
                   WHEN wrap > 0 AND step + wrap <= rated_kw * 1.2 * greatest(dt, 1) / 3.6
                        THEN step + wrap
                   ELSE counter -- reset: counted from zero
               END AS e_wh,
               CASE
                   WHEN step < 0 AND wrap > 0
                        AND step + wrap <= rated_kw * 1.2 * greatest(dt, 1) / 3.6 THEN 'wrap'
                   WHEN step < 0 THEN 'reset'
               END AS flag
        FROM spans
        WHERE time >= v_from
    ),
    states AS (
        SELECT e.*, coalesce(vento_category_group(ms.category), 'unknown') AS grp
        FROM energy e
        LEFT JOIN model_state ms ON ms.profile = e.profile AND ms.code = e.wtur_turst
    ),
    agg AS (
        SELECT device_id, period, count(*) AS n,
               avg(w) AS w_mean, min(w) AS w_min, max(w) AS w_max, stddev_pop(w) AS w_std,
               avg(ws) AS ws_mean, min(ws) AS ws_min, max(ws) AS ws_max, stddev_pop(ws) AS ws_std,
               (degrees(atan2(avg(sin(radians(wmet_horwddir))), avg(cos(radians(wmet_horwddir))))) + 360)::numeric % 360 AS wd,
               (degrees(atan2(avg(sin(radians(wnac_dir))), avg(cos(radians(wnac_dir))))) + 360)::numeric % 360 AS nac,
               avg(wrot_blpthangval) AS pitch, avg(wmet_envtmp) AS tmp, avg(wmet_envpres) AS pres,
               mode() WITHIN GROUP (ORDER BY wtur_turst) AS turst,
               count(*) FILTER (WHERE grp = 'available') AS t_av,
               count(*) FILTER (WHERE grp = 'unavailable') AS t_un,
               count(*) FILTER (WHERE grp = 'excluded') AS t_ex,
               count(*) FILTER (WHERE grp = 'unknown') AS t_uk,
               (array_agg(counter ORDER BY time DESC))[1] AS counter_last,
               sum(e_wh) / 1000.0 AS e_kwh,
               avg(w) / 6.0 AS e_int_kwh,
               max(flag) AS flag,
               min(profile) AS profile,
               -- The wind normalised to the reference curve's air density
               -- (below), for the potential energy.
               avg(ws * vento_wind_factor(vento_air_density(wmet_envpres, wmet_envtmp), v_site, curve_rho))
                   AS ws_norm
        FROM states
        GROUP BY device_id, period
    )
    INSERT INTO stat_10min (device_id, period, source, n, valid,
        wtur_w_mean, wtur_w_min, wtur_w_max, wtur_w_std,
        wmet_horwdspd_mean, wmet_horwdspd_min, wmet_horwdspd_max, wmet_horwdspd_std,
        wmet_horwddir_mean, wnac_dir_mean, wrot_blpthangval_mean, wmet_envtmp_mean,
        wmet_envpres_mean, wtur_turst, t_available, t_unavailable, t_excluded, t_unknown,
        counter_last, energy_kwh, energy_int_kwh, energy_flag, potential_kwh)
    SELECT device_id, period, 'raw', n, n >= 540,
           w_mean, w_min, w_max, w_std, ws_mean, ws_min, ws_max, ws_std,
           wd, nac, pitch, tmp, pres, turst, t_av, t_un, t_ex, 600 - t_av - t_un - t_ex,
           counter_last, e_kwh, e_int_kwh,
           coalesce(flag, CASE WHEN abs(e_kwh - e_int_kwh) > 0.05 * greatest(abs(e_int_kwh), 1)
                                    AND n >= 540 THEN 'mismatch' END),
           vento_ref_power(profile, coalesce(ws_norm, ws_mean)) / 6.0
    FROM agg
    ON CONFLICT (device_id, period) DO UPDATE SET
        source = excluded.source, n = excluded.n, valid = excluded.valid,
        wtur_w_mean = excluded.wtur_w_mean, wtur_w_min = excluded.wtur_w_min,
        wtur_w_max = excluded.wtur_w_max, wtur_w_std = excluded.wtur_w_std,
        wmet_horwdspd_mean = excluded.wmet_horwdspd_mean,
        wmet_horwdspd_min = excluded.wmet_horwdspd_min,
        wmet_horwdspd_max = excluded.wmet_horwdspd_max,
        wmet_horwdspd_std = excluded.wmet_horwdspd_std,
        wmet_horwddir_mean = excluded.wmet_horwddir_mean,
        wnac_dir_mean = excluded.wnac_dir_mean,
        wrot_blpthangval_mean = excluded.wrot_blpthangval_mean,
        wmet_envtmp_mean = excluded.wmet_envtmp_mean,
        wmet_envpres_mean = excluded.wmet_envpres_mean,
        wtur_turst = excluded.wtur_turst, t_available = excluded.t_available,
        t_unavailable = excluded.t_unavailable, t_excluded = excluded.t_excluded,
        t_unknown = excluded.t_unknown, counter_last = excluded.counter_last,
        energy_kwh = excluded.energy_kwh, energy_int_kwh = excluded.energy_int_kwh,
        energy_flag = excluded.energy_flag, potential_kwh = excluded.potential_kwh;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    PERFORM vento_rollup_days(v_from, p_to);
    RETURN v_rows;
END $$;


-- Availability per IEC 61400-26-1 for every configured turbine, time- and
-- energy-based, including the time for which information is unavailable:
-- a turbine that never answered, or answered only exceptions, has no
-- statistics at all, and 006_reports.sql left it out of the report.
--
-- The time that counts is the part of [p_from, p_to) that the collector
-- covers, not past now: before the collector started, or before the
-- history imported, nothing is known of any turbine, and that is no
-- turbine's fault. It runs from the first 10-minute period of any device,
-- or its first raw sample when that lies in the first period (a collector
-- started mid-period), to the end of the last period, or the last raw
-- sample's second (raw samples as vento_rollup has counted them by
-- minute). Within it, a turbine's time in no known category is
-- information unavailable; until it is assigned to a category it counts
-- against availability, as unavailable time does.
CREATE FUNCTION vento_data_span(p_from timestamptz, p_to timestamptz,
                                OUT span_from timestamptz, OUT span_to timestamptz)
LANGUAGE sql STABLE AS $$
    -- raw_sample has no b-tree by time (its BRIN finds a minute's rows,
    -- not the first of a year's): the first and last minutes come from
    -- raw_minute's key, and only where they lie in the first or last
    -- period are their first and last samples looked up, through the BRIN.
    WITH b AS (
        SELECT (SELECT min(period) FROM stat_10min WHERE period >= p_from AND period < p_to) AS s0,
               (SELECT max(period) FROM stat_10min WHERE period >= p_from AND period < p_to)
                   + interval '10 minutes' AS s1,
               (SELECT min(minute) FROM raw_minute
                WHERE minute >= date_bin('1 minute', p_from, 'epoch') AND minute < p_to) AS m0,
               (SELECT max(minute) FROM raw_minute
                WHERE minute >= date_bin('1 minute', p_from, 'epoch') AND minute < p_to) AS m1
    )
    SELECT greatest(p_from, CASE
               WHEN m0 < coalesce(s0 + interval '10 minutes', 'infinity')
               THEN coalesce((SELECT min(time) FROM raw_sample
                              WHERE time >= greatest(m0, p_from)
                                AND time < least(m0 + interval '1 minute', p_to)), m0)
               ELSE s0 END),
           least(p_to, CASE
               WHEN m1 >= coalesce(s1 - interval '10 minutes', '-infinity')
               THEN coalesce((SELECT max(time) FROM raw_sample
                              WHERE time >= greatest(m1, p_from)
                                AND time < least(m1 + interval '1 minute', p_to)), m1)
                    + interval '1 second'
               ELSE least(s1, now()) END)
    FROM b
$$;

-- Per turbine over [p_from, p_to): time-based availability (available
-- time over available, unavailable and information-unavailable time;
-- excluded time, as requested shutdowns and grid outside its
-- specification, is left out) and the hours in each group; the energy
-- lost while unavailable (the reference curve at the measured wind); and
-- energy-based availability, actual energy over actual plus lost, where
-- the energy of information-unavailable time is estimated as what the
-- farm's turbines made per available second over the same span.
-- unknown_h is the information-unavailable time.
DROP FUNCTION vento_availability(timestamptz, timestamptz);
CREATE FUNCTION vento_availability(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (device text, availability double precision, available_h double precision,
               unavailable_h double precision, excluded_h double precision,
               unknown_h double precision, lost_kwh double precision,
               energy_availability double precision, actual_kwh double precision,
               unknown_lost_kwh double precision)
LANGUAGE sql STABLE AS $$
    WITH span AS (
        SELECT span_from, span_to, extract(epoch FROM span_to - span_from) AS seconds
        FROM vento_data_span(p_from, p_to)
        WHERE span_from < span_to
    ), t AS (
        SELECT d.name, coalesce(s.t_available, 0) AS av, coalesce(s.t_unavailable, 0) AS un,
               coalesce(s.t_excluded, 0) AS ex,
               greatest(0, span.seconds - coalesce(s.t_available, 0) - coalesce(s.t_unavailable, 0)
                           - coalesce(s.t_excluded, 0)) AS iu,
               coalesce(s.energy_kwh, 0) AS e, coalesce(s.lost_kwh, 0) AS lost
        FROM span CROSS JOIN device d
        -- Every period the span touches: a collector started mid-period has
        -- its first period begin before the span.
        LEFT JOIN vento_sums(date_bin('10 minutes', span.span_from, '2000-01-01'), span.span_to) s
               ON s.device_id = d.id
        WHERE d.kind = 'turbine'
    ), rate AS (
        SELECT coalesce(sum(e) / nullif(sum(av), 0), 0) AS kwh_per_s FROM t
    )
    SELECT t.name, av / nullif(av + un + iu, 0), av / 3600.0, un / 3600.0, ex / 3600.0,
           iu / 3600.0, lost, e / nullif(e + lost + iu * rate.kwh_per_s, 0), e,
           iu * rate.kwh_per_s
    FROM t CROSS JOIN rate
    ORDER BY t.name
$$;

-- The farm's availability over [p_from, p_to), the turbines' together as
-- vento_availability counts them: time-based (their available time over
-- their available, unavailable and information-unavailable time) and
-- energy-based (their energy over their energy and the energy lost).
CREATE FUNCTION vento_farm_availability(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (turbines bigint, availability double precision,
               energy_availability double precision, available_h double precision,
               unavailable_h double precision, excluded_h double precision,
               unknown_h double precision, actual_kwh double precision,
               lost_kwh double precision, unknown_lost_kwh double precision)
LANGUAGE sql STABLE AS $$
    SELECT count(*), sum(available_h) / nullif(sum(available_h + unavailable_h + unknown_h), 0),
           sum(actual_kwh) / nullif(sum(actual_kwh + lost_kwh + unknown_lost_kwh), 0),
           sum(available_h), sum(unavailable_h), sum(excluded_h), sum(unknown_h),
           sum(actual_kwh), sum(lost_kwh), sum(unknown_lost_kwh)
    FROM vento_availability(p_from, p_to)
$$;

REVOKE ALL ON FUNCTION vento_data_span(timestamptz, timestamptz),
                       vento_availability(timestamptz, timestamptz),
                       vento_farm_availability(timestamptz, timestamptz) FROM PUBLIC;
-- Report functions that only read: the reader's (ventoctl, Grafana), not
-- the writer's (012_privileges.sql).
GRANT EXECUTE ON FUNCTION vento_data_span(timestamptz, timestamptz),
                          vento_availability(timestamptz, timestamptz),
                          vento_farm_availability(timestamptz, timestamptz)
    TO vento_reader;

-- Power curves per IEC 61400-12-1 at the density of the reference curve.
-- The wind of each 10-minute period is normalised, V_n = V (rho /
-- rho_ref)^(1/3), where rho_ref is the density at which the model's
-- reference curve is stated (its profile's curve_air_density, 1.225 kg/m3
-- unless said) and rho the air's: from the period's pressure and
-- temperature where the turbine measures both (rho = B / (287.05 T)), else
-- the site's mean density from vento.conf (site.air_density), else rho_ref
-- (no normalisation). 005_statistics.sql normalised to 1.225 always and
-- only where pressure was measured, so turbines at a site of thin air
-- without a barometer (and all imported history, which has no pressure)
-- read 93 % of a curve they meet.

-- The site's mean air density (one row), from vento.conf.
CREATE TABLE site (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    air_density real NOT NULL CHECK (air_density BETWEEN 0.9 AND 1.4)
);

-- The density at which each model's reference curve is stated, from its
-- profile; a model not here is at 1.225 kg/m3.
CREATE TABLE power_curve_density (
    profile text PRIMARY KEY,
    air_density real NOT NULL CHECK (air_density BETWEEN 0.9 AND 1.4)
);
REVOKE ALL ON site, power_curve_density FROM PUBLIC;
GRANT SELECT ON site, power_curve_density TO vento_reader;

-- The density of air at pressure p_pres (hPa) and temperature p_tmp (C),
-- kg/m3; NULL when either is missing or the result is no air on Earth's
-- surface (a sensor that reads 0, say). Inlined by the planner.
CREATE FUNCTION vento_air_density(p_pres double precision, p_tmp double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_pres * 100 / nullif(287.05 * (p_tmp + 273.15), 0) BETWEEN 0.9 AND 1.4
                THEN p_pres * 100 / (287.05 * (p_tmp + 273.15)) END
$$;

-- The factor that normalises a wind to the reference curve's density:
-- (rho / p_curve)^(1/3) with rho the measured density, else the site's,
-- else the curve's own (1). Inlined by the planner.
CREATE FUNCTION vento_wind_factor(p_measured double precision, p_site double precision,
                                  p_curve double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT power(coalesce(p_measured, p_site, p_curve) / p_curve, 1.0 / 3)
$$;

-- Sets a model's curve density or the site's density (p_profile NULL).
-- The writer (ventod, ventoctl import) states what the configuration
-- says: it may add what is not there and say again what is; a change is
-- the owner's. A new or changed density re-bins every day's power curve
-- (stat_day_bin and the months): the bins are of normalised wind.
CREATE FUNCTION vento_set_air_density(p_profile text, p_air_density real)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_old real := CASE WHEN p_profile IS NULL THEN (SELECT air_density FROM site)
                       ELSE (SELECT air_density FROM power_curve_density WHERE profile = p_profile) END;
    v_from timestamptz;
    v_to timestamptz;
BEGIN
    IF v_old IS NOT DISTINCT FROM p_air_density THEN
        RETURN;
    END IF;
    IF v_old IS NOT NULL AND NOT vento_caller_is_owner() THEN
        RAISE EXCEPTION 'the air density of % is registered as % kg/m3; only the schema owner may change it',
                        coalesce('profile ' || p_profile, 'the site'), v_old
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_profile IS NULL THEN
        DELETE FROM site;
        INSERT INTO site (air_density) SELECT p_air_density WHERE p_air_density IS NOT NULL;
    ELSE
        DELETE FROM power_curve_density WHERE profile = p_profile;
        INSERT INTO power_curve_density (profile, air_density)
        SELECT p_profile, p_air_density WHERE p_air_density IS NOT NULL;
    END IF;
    SELECT min(period), max(period) + interval '10 minutes' INTO v_from, v_to FROM stat_10min;
    IF v_from IS NOT NULL THEN
        PERFORM vento_rollup_days(v_from, v_to);
    END IF;
END $$;

-- The daily sums and power-curve bins of stat_day as 005_statistics.sql
-- made them (009_curve_months.sql renamed the function), with the wind of
-- the bins normalised as above.
CREATE OR REPLACE FUNCTION vento_rollup_day_sums(p_from timestamptz, p_to timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_tz text := coalesce((SELECT time_zone FROM projection), 'UTC');
    v_d0 date := (p_from AT TIME ZONE v_tz)::date;
    v_d1 date := ((p_to - interval '1 microsecond') AT TIME ZONE v_tz)::date;
    v_site double precision := (SELECT air_density FROM site);
    v_rows integer;
BEGIN
    DELETE FROM stat_day WHERE day BETWEEN v_d0 AND v_d1;
    INSERT INTO stat_day
    SELECT device_id, (period AT TIME ZONE v_tz)::date, count(*),
           count(*) FILTER (WHERE valid), count(*) FILTER (WHERE energy_flag IS NOT NULL),
           coalesce(sum(energy_kwh::float8), 0),
           coalesce(sum(t_available), 0), coalesce(sum(t_unavailable), 0),
           coalesce(sum(t_excluded), 0), coalesce(sum(t_unknown), 0),
           coalesce(sum(potential_kwh::float8 * t_unavailable / 600.0), 0)
    FROM stat_10min
    WHERE period >= make_timestamptz(extract(year FROM v_d0)::int, extract(month FROM v_d0)::int,
                                     extract(day FROM v_d0)::int, 0, 0, 0, v_tz)
      AND period < make_timestamptz(extract(year FROM v_d1)::int, extract(month FROM v_d1)::int,
                                    extract(day FROM v_d1)::int, 0, 0, 0, v_tz) + interval '1 day'
    GROUP BY 1, 2;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    DELETE FROM stat_day_bin WHERE day BETWEEN v_d0 AND v_d1;
    INSERT INTO stat_day_bin
    SELECT s.device_id, (s.period AT TIME ZONE v_tz)::date,
           round(s.wmet_horwdspd_mean
                 * vento_wind_factor(vento_air_density(s.wmet_envpres_mean, s.wmet_envtmp_mean),
                                     v_site, coalesce(c.air_density, 1.225)) * 2) / 2.0,
           count(*), sum(s.wtur_w_mean::float8)
    FROM stat_10min s JOIN device d ON d.id = s.device_id
    LEFT JOIN power_curve_density c ON c.profile = d.profile
    WHERE s.period >= make_timestamptz(extract(year FROM v_d0)::int, extract(month FROM v_d0)::int,
                                       extract(day FROM v_d0)::int, 0, 0, 0, v_tz)
      AND s.period < make_timestamptz(extract(year FROM v_d1)::int, extract(month FROM v_d1)::int,
                                      extract(day FROM v_d1)::int, 0, 0, 0, v_tz) + interval '1 day'
      AND s.valid AND s.t_available = 600
      AND s.wmet_horwdspd_mean IS NOT NULL AND s.wtur_w_mean IS NOT NULL
    GROUP BY 1, 2, 3;
    RETURN v_rows;
END $$;

REVOKE ALL ON FUNCTION vento_air_density(double precision, double precision),
                       vento_wind_factor(double precision, double precision, double precision),
                       vento_set_air_density(text, real) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vento_air_density(double precision, double precision),
                          vento_wind_factor(double precision, double precision, double precision)
    TO vento_reader;
GRANT EXECUTE ON FUNCTION vento_set_air_density(text, real) TO vento_writer;

-- The turbine dashboard at dashboard speed. Its raw-sample panels read a
-- turbine's 21,600 samples of six hours, which lie on as many pages as
-- there are ticks over two (a page holds two ticks of every turbine):
-- 14,000 pages visited, 140-180 ms a panel on a day of 40 turbines (250-
-- 324 ms on a loaded machine). A covering index would spare the visits
-- at some 100 bytes a sample (+78 % of the raw table). The means of each
-- turbine's minute, kept by vento_rollup as it counts the minutes, hold
-- six hours in 360 rows instead; ranges over an hour read them, and the
-- raw samples only after the last minute counted (the newest minute or
-- two), shorter ranges the raw samples as before.
CREATE TABLE raw_device_minute (
    device_id smallint NOT NULL,
    minute timestamptz NOT NULL,          -- the minute's start, UTC
    samples integer NOT NULL,             -- good samples, over which the means are
    wtur_w real, wmet_horwdspd real,
    wtur_turst bigint,                    -- the state held longest
    wrot_blpthangval real, wrot_blpthangval2 real, wrot_blpthangval3 real,
    wrot_rotspd real, wgen_spd real,
    wmet_envtmp real, wnac_tmp real, wgen_tmpsta real, wrot_tmpbrg real, wcnv_tmp real,
    wtrf_tmp real,
    PRIMARY KEY (device_id, minute)
);
-- For the minutes past the raw retention, dropped as the raw samples are.
CREATE INDEX raw_device_minute_minute ON raw_device_minute (minute);
REVOKE ALL ON raw_device_minute FROM PUBLIC;
GRANT SELECT ON raw_device_minute TO vento_reader;

-- Recounts the whole minutes that [p_from, p_to) touches from raw
-- samples, as 010_live_panels.sql made it, and the means of each device's
-- minutes; drops the means of minutes past the raw retention.
CREATE OR REPLACE FUNCTION vento_rollup_minutes(p_from timestamptz, p_to timestamptz)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_from timestamptz := date_bin('1 minute', p_from, 'epoch');
    v_to timestamptz := date_bin('1 minute', p_to - interval '1 microsecond', 'epoch')
                        + interval '1 minute';
    v_days integer := (SELECT raw_retention_days FROM vento_setting);
BEGIN
    DELETE FROM raw_minute WHERE minute >= v_from AND minute < v_to;
    INSERT INTO raw_minute (minute, quality, samples)
    SELECT date_bin('1 minute', time, 'epoch'), quality, count(*)
    FROM raw_sample
    WHERE time >= v_from AND time < v_to
    GROUP BY 1, 2;
    DELETE FROM raw_device_minute WHERE minute >= v_from AND minute < v_to;
    INSERT INTO raw_device_minute
    SELECT device_id, date_bin('1 minute', time, 'epoch'), count(*),
           avg(wtur_w), avg(wmet_horwdspd), mode() WITHIN GROUP (ORDER BY wtur_turst),
           avg(wrot_blpthangval), avg(wrot_blpthangval2), avg(wrot_blpthangval3),
           avg(wrot_rotspd), avg(wgen_spd), avg(wmet_envtmp), avg(wnac_tmp), avg(wgen_tmpsta),
           avg(wrot_tmpbrg), avg(wcnv_tmp), avg(wtrf_tmp)
    FROM raw_sample
    WHERE time >= v_from AND time < v_to AND quality = 0
    GROUP BY 1, 2;
    IF v_days IS NOT NULL THEN
        DELETE FROM raw_device_minute WHERE minute < now() - make_interval(days => v_days);
    END IF;
END $$;

SELECT vento_rollup_minutes(min(time), max(time) + interval '1 second') FROM raw_sample;

-- A turbine's raw signals of the turbine dashboard in buckets of
-- p_interval_ms (Grafana's $__interval_ms) over [p_from, p_to]: the means
-- of its good samples (the mode of the state). Over an hour, from the
-- means of its minutes and the raw samples after the last one counted,
-- in buckets of a minute at least; up to an hour, from the raw samples.
CREATE FUNCTION vento_turbine_series(p_device text, p_from timestamptz, p_to timestamptz,
                                     p_interval_ms bigint)
RETURNS TABLE ("time" timestamptz, samples bigint, wtur_w double precision,
               wmet_horwdspd double precision, wtur_turst bigint,
               wrot_blpthangval double precision, wrot_blpthangval2 double precision,
               wrot_blpthangval3 double precision, wrot_rotspd double precision,
               wgen_spd double precision, wmet_envtmp double precision,
               wnac_tmp double precision, wgen_tmpsta double precision,
               wrot_tmpbrg double precision, wcnv_tmp double precision,
               wtrf_tmp double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_id smallint := (SELECT id FROM device WHERE name = p_device);
    v_long boolean := p_to - p_from > interval '1 hour';
    v_bucket interval := greatest(p_interval_ms * interval '1 ms',
                                  CASE WHEN v_long THEN interval '1 minute' ELSE interval '1 second' END);
    v_raw_from timestamptz := p_from;
BEGIN
    IF v_long THEN
        v_raw_from := greatest(p_from, coalesce(
            (SELECT max(m.minute) + interval '1 minute' FROM raw_device_minute m
             WHERE m.device_id = v_id AND m.minute >= p_from AND m.minute <= p_to), p_from));
    END IF;
    RETURN QUERY
    WITH x AS (
        SELECT m.minute AS t, m.samples AS n, m.wtur_w AS w, m.wmet_horwdspd AS ws,
               m.wtur_turst AS st, m.wrot_blpthangval AS p1, m.wrot_blpthangval2 AS p2,
               m.wrot_blpthangval3 AS p3, m.wrot_rotspd AS rot, m.wgen_spd AS gen,
               m.wmet_envtmp AS tmp, m.wnac_tmp AS nac, m.wgen_tmpsta AS sta,
               m.wrot_tmpbrg AS brg, m.wcnv_tmp AS cnv, m.wtrf_tmp AS trf
        FROM raw_device_minute m
        WHERE v_long AND m.device_id = v_id AND m.minute >= p_from AND m.minute < v_raw_from
        UNION ALL
        SELECT r.time, 1, r.wtur_w, r.wmet_horwdspd, r.wtur_turst::bigint, r.wrot_blpthangval,
               r.wrot_blpthangval2, r.wrot_blpthangval3, r.wrot_rotspd, r.wgen_spd, r.wmet_envtmp,
               r.wnac_tmp, r.wgen_tmpsta, r.wrot_tmpbrg, r.wcnv_tmp, r.wtrf_tmp
        FROM raw_sample r
        WHERE r.device_id = v_id AND r.time >= v_raw_from AND r.time <= p_to AND r.quality = 0
    )
    -- Means weighted by the samples each row stands for.
    SELECT date_bin(v_bucket, x.t, 'epoch'), sum(x.n)::bigint,
           sum(x.w * x.n) / nullif(sum(x.n) FILTER (WHERE x.w IS NOT NULL), 0),
           sum(x.ws * x.n) / nullif(sum(x.n) FILTER (WHERE x.ws IS NOT NULL), 0),
           mode() WITHIN GROUP (ORDER BY x.st),
           sum(x.p1 * x.n) / nullif(sum(x.n) FILTER (WHERE x.p1 IS NOT NULL), 0),
           sum(x.p2 * x.n) / nullif(sum(x.n) FILTER (WHERE x.p2 IS NOT NULL), 0),
           sum(x.p3 * x.n) / nullif(sum(x.n) FILTER (WHERE x.p3 IS NOT NULL), 0),
           sum(x.rot * x.n) / nullif(sum(x.n) FILTER (WHERE x.rot IS NOT NULL), 0),
           sum(x.gen * x.n) / nullif(sum(x.n) FILTER (WHERE x.gen IS NOT NULL), 0),
           sum(x.tmp * x.n) / nullif(sum(x.n) FILTER (WHERE x.tmp IS NOT NULL), 0),
           sum(x.nac * x.n) / nullif(sum(x.n) FILTER (WHERE x.nac IS NOT NULL), 0),
           sum(x.sta * x.n) / nullif(sum(x.n) FILTER (WHERE x.sta IS NOT NULL), 0),
           sum(x.brg * x.n) / nullif(sum(x.n) FILTER (WHERE x.brg IS NOT NULL), 0),
           sum(x.cnv * x.n) / nullif(sum(x.n) FILTER (WHERE x.cnv IS NOT NULL), 0),
           sum(x.trf * x.n) / nullif(sum(x.n) FILTER (WHERE x.trf IS NOT NULL), 0)
    FROM x
    GROUP BY 1
    ORDER BY 1;
END $$;
REVOKE ALL ON FUNCTION vento_turbine_series(text, timestamptz, timestamptz, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vento_turbine_series(text, timestamptz, timestamptz, bigint) TO vento_reader;

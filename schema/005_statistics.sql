-- 005_statistics.sql - the farm's numbers: 10-minute statistics, energy
-- from the counters, availability per IEC 61400-26, the projection and its
-- monthly budget. Statistics are kept forever; raw samples only for the
-- retention. Everything here can be recomputed from raw data within the
-- retention: vento_rollup recomputes a time range, and ventod's
-- housekeeping calls it for the recent past, so late data from the spool
-- is counted when it arrives.

-- Where the energy counter of a device wraps (Wh; 0 when it never does in
-- practice, as a 64-bit counter), and its rated power, which bounds what a
-- counter step can plausibly be.
ALTER TABLE device
    ADD COLUMN counter_wrap_wh bigint NOT NULL DEFAULT 0,
    ADD COLUMN rated_kw real NOT NULL DEFAULT 0;

CREATE FUNCTION vento_register_device(p_name text, p_kind text, p_profile text,
                                      p_counter_wrap_wh bigint, p_rated_kw real)
RETURNS smallint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id smallint;
BEGIN
    INSERT INTO device (name, kind, profile, counter_wrap_wh, rated_kw)
    VALUES (p_name, p_kind, p_profile, p_counter_wrap_wh, p_rated_kw)
    ON CONFLICT (name) DO UPDATE
    SET kind = excluded.kind, profile = excluded.profile,
        counter_wrap_wh = excluded.counter_wrap_wh, rated_kw = excluded.rated_kw
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- One row per device per 10 minutes (period start, UTC).
CREATE TABLE stat_10min (
    device_id smallint NOT NULL,
    period timestamptz NOT NULL,
    source text NOT NULL DEFAULT 'raw' CHECK (source IN ('raw', 'import')),
    n smallint NOT NULL,                  -- good samples in the period
    valid boolean NOT NULL,               -- at least 90 % of the expected samples
    wtur_w_mean real, wtur_w_min real, wtur_w_max real, wtur_w_std real,
    wmet_horwdspd_mean real, wmet_horwdspd_min real, wmet_horwdspd_max real,
    wmet_horwdspd_std real,
    wmet_horwddir_mean real,              -- vector mean, degrees
    wnac_dir_mean real,                   -- vector mean, degrees
    wrot_blpthangval_mean real,
    wmet_envtmp_mean real,
    wmet_envpres_mean real,
    wtur_turst smallint,                  -- the state held longest
    -- Seconds in each IEC 61400-26 group of information categories.
    t_available smallint,                 -- full, partial, standby, out of environmental spec
    t_unavailable smallint,               -- maintenance, corrective, forced outage, suspended
    t_excluded smallint,                  -- requested shutdown, out of electrical spec, force majeure
    t_unknown smallint,                   -- no state known (includes missing samples)
    counter_last bigint,                  -- the counter's last value in the period, Wh
    energy_kwh double precision,          -- from the counter (for a meter: net export)
    energy_int_kwh real,                  -- the integral of power, for the cross-check
    energy_flag text,                     -- NULL, or: wrap, reset, mismatch
    potential_kwh real,                   -- the reference curve at the measured wind
    PRIMARY KEY (device_id, period)
);
-- For time ranges across all devices (the current day's periods).
CREATE INDEX stat_10min_period ON stat_10min (period);
GRANT SELECT ON stat_10min TO vento_reader;

-- Daily sums per device, by local day of the projection's time zone, so
-- that a year's check reads 365 rows per turbine, not 52,560. Kept in
-- step with stat_10min by vento_rollup_days.
CREATE TABLE stat_day (
    device_id smallint NOT NULL,
    day date NOT NULL,
    periods smallint NOT NULL,            -- 10-minute periods with statistics
    valid_periods smallint NOT NULL,
    flagged_periods smallint NOT NULL,    -- energy_flag set
    energy_kwh double precision NOT NULL,
    t_available integer NOT NULL,
    t_unavailable integer NOT NULL,
    t_excluded integer NOT NULL,
    t_unknown integer NOT NULL,
    lost_kwh double precision NOT NULL,   -- the reference energy of the unavailable time
    PRIMARY KEY (device_id, day)
);
GRANT SELECT ON stat_day TO vento_reader;

-- The power curve's daily bins per device: valid periods of full
-- availability by 0.5 m/s bin of wind normalised to air density (IEC
-- 61400-12-1), so that a year's curve reads a few thousand rows per
-- turbine rather than every 10-minute period.
CREATE TABLE stat_day_bin (
    device_id smallint NOT NULL,
    day date NOT NULL,
    bin real NOT NULL,                    -- bin centre, m/s
    periods integer NOT NULL,
    sum_kw double precision NOT NULL,     -- of the periods' mean power
    PRIMARY KEY (device_id, day, bin)
);
GRANT SELECT ON stat_day_bin TO vento_reader;

-- The projection and its monthly shares, from vento.conf (one row).
CREATE TABLE projection (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    annual_kwh double precision NOT NULL,
    monthly_share double precision[] NOT NULL CHECK (array_length(monthly_share, 1) = 12),
    time_zone text NOT NULL
);
GRANT SELECT ON projection TO vento_reader;

-- The local day of an instant, in the projection's time zone.
CREATE FUNCTION vento_local_day(p_at timestamptz)
RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT (p_at AT TIME ZONE coalesce((SELECT time_zone FROM projection), 'UTC'))::date
$$;

-- Recomputes stat_day for the local days that [p_from, p_to) touches.
CREATE FUNCTION vento_rollup_days(p_from timestamptz, p_to timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_tz text := coalesce((SELECT time_zone FROM projection), 'UTC');
    v_d0 date := (p_from AT TIME ZONE v_tz)::date;
    v_d1 date := ((p_to - interval '1 microsecond') AT TIME ZONE v_tz)::date;
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
    SELECT device_id, (period AT TIME ZONE v_tz)::date,
           round(wmet_horwdspd_mean * coalesce(power(
               (wmet_envpres_mean * 100 / (287.05 * (wmet_envtmp_mean + 273.15))) / 1.225,
               1.0 / 3), 1) * 2) / 2.0,
           count(*), sum(wtur_w_mean::float8)
    FROM stat_10min
    WHERE period >= make_timestamptz(extract(year FROM v_d0)::int, extract(month FROM v_d0)::int,
                                     extract(day FROM v_d0)::int, 0, 0, 0, v_tz)
      AND period < make_timestamptz(extract(year FROM v_d1)::int, extract(month FROM v_d1)::int,
                                    extract(day FROM v_d1)::int, 0, 0, 0, v_tz) + interval '1 day'
      AND valid AND t_available = 600
      AND wmet_horwdspd_mean IS NOT NULL AND wtur_w_mean IS NOT NULL
    GROUP BY 1, 2, 3;
    RETURN v_rows;
END $$;

CREATE FUNCTION vento_set_projection(p_annual_kwh double precision,
                                     p_shares double precision[], p_time_zone text)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO projection (annual_kwh, monthly_share, time_zone)
    VALUES (p_annual_kwh, p_shares, p_time_zone)
    ON CONFLICT (id) DO UPDATE
    SET annual_kwh = excluded.annual_kwh, monthly_share = excluded.monthly_share,
        time_zone = excluded.time_zone;
$$;

-- The reference power curve of each model (kW at hub-height wind
-- normalised to 1.225 kg/m3), piecewise linear between points.
CREATE TABLE power_curve_ref (
    profile text NOT NULL,
    wind real NOT NULL,
    kw real NOT NULL,
    PRIMARY KEY (profile, wind)
);
GRANT SELECT ON power_curve_ref TO vento_reader;

-- The 4.5 MW curve of DESIGN.md for the simulated models.
INSERT INTO power_curve_ref (profile, wind, kw)
SELECT p, w, k
FROM unnest(ARRAY['vento-sim-4500', 'vento-sim-gen2', 'vento-bench-40']) p,
     (VALUES (0.0, 0), (2.99, 0), (3.0, 0), (3.25, 106), (4, 253), (5, 556), (6, 1007),
             (7, 1637), (8, 2475), (9, 3551), (9.75, 4500), (25, 4500),
             (25.01, 0), (40, 0)) v(w, k);

-- The reference power at wind speed p_wind for a model, interpolated.
CREATE FUNCTION vento_ref_power(p_profile text, p_wind double precision)
RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN lo.wind IS NULL OR hi.wind IS NULL THEN 0
        WHEN hi.wind = lo.wind THEN lo.kw
        ELSE lo.kw + (hi.kw - lo.kw) * (p_wind - lo.wind) / (hi.wind - lo.wind)
    END
    FROM (SELECT wind, kw FROM power_curve_ref
          WHERE profile = p_profile AND wind <= p_wind ORDER BY wind DESC LIMIT 1) lo
    FULL JOIN (SELECT wind, kw FROM power_curve_ref
               WHERE profile = p_profile AND wind >= p_wind ORDER BY wind LIMIT 1) hi ON true
$$;

-- The information category group of a state of a model.
CREATE FUNCTION vento_category_group(p_category text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_category IN ('full performance', 'partial performance', 'technical standby',
                            'out of environmental specification') THEN 'available'
        WHEN p_category IN ('scheduled maintenance', 'planned corrective action',
                            'forced outage', 'suspended') THEN 'unavailable'
        WHEN p_category IN ('requested shutdown', 'out of electrical specification',
                            'force majeure') THEN 'excluded'
        ELSE 'unknown'
    END
$$;

-- Recomputes the 10-minute statistics of [p_from, p_to) from raw samples.
-- Periods without raw samples are left as they are (imported history
-- stays); periods with raw samples replace what was there. Energy comes
-- from the counter: the sum of its steps from each good sample to the next,
-- the step into a period's first sample counted in that period, so that
-- the energy of a polling gap lands, whole, in the period after it. A step
-- down is a wrap when adding 2^bits gives a plausible step, else a
-- controller reset, counted from zero. Returns the periods written.
CREATE FUNCTION vento_rollup(p_from timestamptz, p_to timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_from timestamptz := date_bin('10 minutes', p_from, '2000-01-01');
    v_rows integer;
BEGIN
    WITH s AS (
        SELECT r.device_id, r.time, r.quality,
               coalesce(r.wtur_w, r.mmxu_totw) AS w, r.wmet_horwdspd AS ws,
               r.wmet_horwddir, r.wnac_dir, r.wrot_blpthangval, r.wmet_envtmp,
               r.wmet_envpres, r.wtur_turst,
               coalesce(r.wtur_totwh, r.mmtr_supwh - coalesce(r.mmtr_dmdwh, 0)) AS counter,
               d.counter_wrap_wh AS wrap, CASE WHEN d.rated_kw > 0 THEN d.rated_kw ELSE 10000 END AS rated_kw,
               d.profile,
               date_bin('10 minutes', r.time, '2000-01-01') AS period
        FROM raw_sample r JOIN device d ON d.id = r.device_id
        WHERE r.time >= v_from AND r.time < p_to AND r.quality = 0
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
    -- sample.
    steps AS (
        SELECT s.*,
               s.counter - coalesce(lag(s.counter) OVER w,
                                    CASE WHEN lag(s.time) OVER w IS NULL THEN prev.counter_last END) AS step,
               extract(epoch FROM s.time - coalesce(lag(s.time) OVER w, prev.time)) AS dt
        FROM s LEFT JOIN prev ON prev.device_id = s.device_id
        WINDOW w AS (PARTITION BY s.device_id ORDER BY s.time)
    ),
    energy AS (
        SELECT *,
               CASE
                   WHEN step IS NULL THEN 0
                   WHEN step >= 0 THEN step
                   -- Wrap: the step modulo the wrap is no more than rated
                   -- power over the time between the samples, with margin.
                   WHEN wrap > 0 AND step + wrap <= rated_kw * 1.2 * greatest(dt, 1) / 3.6
                        THEN step + wrap
                   ELSE counter -- reset: counted from zero
               END AS e_wh,
               CASE
                   WHEN step < 0 AND wrap > 0
                        AND step + wrap <= rated_kw * 1.2 * greatest(dt, 1) / 3.6 THEN 'wrap'
                   WHEN step < 0 THEN 'reset'
               END AS flag
        FROM steps
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
               -- Air density from pressure and temperature when both are
               -- measured, for the density-normalised wind of the curve.
               avg(ws * power((wmet_envpres * 100 / (287.05 * (wmet_envtmp + 273.15))) / 1.225, 1.0 / 3))
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

GRANT EXECUTE ON FUNCTION vento_register_device(text, text, text, bigint, real),
                          vento_set_projection(double precision, double precision[], text),
                          vento_rollup(timestamptz, timestamptz),
                          vento_rollup_days(timestamptz, timestamptz) TO vento_writer;

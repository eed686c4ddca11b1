-- 013_farm_numbers.sql - the farm's numbers right in the hard cases.
--
-- Counter energy for any counter resolution and width. 005_statistics.sql
-- judged a step down (a wrap or a reset) plausible when the wrapped step
-- was no more than rated power over the one second between samples, so a
-- counter refreshed every 10 s, or counting whole kWh, lost its wrap as a
-- "reset" (a 12.5 kWh step cannot come in a second). The step is now judged
-- over the time since the counter last moved. The function keeps the name
-- 010_live_panels.sql gave it (vento_rollup calls it, then counts minutes).

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
-- sample's second. Within it, a turbine's time in no known category is
-- information unavailable; until it is assigned to a category it counts
-- against availability, as unavailable time does.
CREATE FUNCTION vento_data_span(p_from timestamptz, p_to timestamptz,
                                OUT span_from timestamptz, OUT span_to timestamptz)
LANGUAGE sql STABLE AS $$
    WITH b AS (
        SELECT (SELECT min(period) FROM stat_10min WHERE period >= p_from AND period < p_to) AS s0,
               (SELECT max(period) FROM stat_10min WHERE period >= p_from AND period < p_to)
                   + interval '10 minutes' AS s1,
               (SELECT min(time) FROM raw_sample WHERE time >= p_from AND time < p_to) AS r0,
               (SELECT max(time) FROM raw_sample WHERE time >= p_from AND time < p_to)
                   + interval '1 second' AS r1
    )
    SELECT greatest(p_from, CASE WHEN r0 < coalesce(s0 + interval '10 minutes', 'infinity') THEN r0 ELSE s0 END),
           least(p_to, CASE WHEN r1 > coalesce(s1 - interval '10 minutes', '-infinity') THEN r1
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

-- 006_reports.sql - the yearly check, the budget, availability and the
-- power curve, as functions of any year or range (not only the current
-- one). Months and days are local to the projection's time zone
-- (America/Bahia); storage is UTC. Sums read whole days from stat_day and
-- only the partial days at the edges of a range from stat_10min.

-- The start of a local day, as an instant.
CREATE FUNCTION vento_day_start(p_day date)
RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT make_timestamptz(extract(year FROM p_day)::int, extract(month FROM p_day)::int,
                            extract(day FROM p_day)::int, 0, 0, 0,
                            coalesce((SELECT time_zone FROM projection), 'UTC'))
$$;

-- Per device, the sums over [p_from, p_to).
CREATE FUNCTION vento_sums(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (device_id smallint, periods bigint, valid_periods bigint, flagged_periods bigint,
               energy_kwh double precision, t_available bigint, t_unavailable bigint,
               t_excluded bigint, t_unknown bigint, lost_kwh double precision)
LANGUAGE sql STABLE AS $$
    WITH r AS (
        SELECT CASE WHEN vento_day_start(vento_local_day(p_from)) < p_from
                    THEN vento_local_day(p_from) + 1 ELSE vento_local_day(p_from) END AS d0,
               vento_local_day(p_to) AS d1
    ), b AS (
        SELECT d0, d1, d0 < d1 AS has_days,
               CASE WHEN d0 < d1 THEN vento_day_start(d0) ELSE p_to END AS e0,
               CASE WHEN d0 < d1 THEN vento_day_start(d1) ELSE p_to END AS e1
        FROM r
    ), parts AS (
        SELECT s.device_id, s.periods::bigint AS periods, s.valid_periods::bigint AS valid_periods,
               s.flagged_periods::bigint AS flagged_periods, s.energy_kwh, s.t_available::bigint AS t_available,
               s.t_unavailable::bigint AS t_unavailable, s.t_excluded::bigint AS t_excluded,
               s.t_unknown::bigint AS t_unknown, s.lost_kwh
        FROM stat_day s, b
        WHERE b.has_days AND s.day >= b.d0 AND s.day < b.d1
        UNION ALL
        SELECT t.device_id, 1, t.valid::int, (t.energy_flag IS NOT NULL)::int,
               coalesce(t.energy_kwh, 0), coalesce(t.t_available, 0), coalesce(t.t_unavailable, 0),
               coalesce(t.t_excluded, 0), coalesce(t.t_unknown, 0),
               coalesce(t.potential_kwh::float8 * t.t_unavailable / 600.0, 0)
        FROM b, LATERAL (
            -- Two ranges, each its own index scan: an OR of them would
            -- read the whole table.
            SELECT * FROM stat_10min WHERE period >= p_from AND period < b.e0
            UNION ALL
            SELECT * FROM stat_10min WHERE period >= b.e1 AND period < p_to
        ) t
    )
    SELECT device_id, sum(periods)::bigint, sum(valid_periods)::bigint, sum(flagged_periods)::bigint,
           sum(energy_kwh), sum(t_available)::bigint, sum(t_unavailable)::bigint,
           sum(t_excluded)::bigint, sum(t_unknown)::bigint, sum(lost_kwh)
    FROM parts
    GROUP BY device_id
$$;

-- The budget of each local month of a year for the whole farm, kWh, with
-- the month's bounds.
CREATE FUNCTION vento_budget(p_year int)
RETURNS TABLE (month int, month_start timestamptz, month_end timestamptz, budget_kwh double precision)
LANGUAGE sql STABLE AS $$
    SELECT m, make_timestamptz(p_year, m, 1, 0, 0, 0, p.time_zone),
           make_timestamptz(p_year, m, 1, 0, 0, 0, p.time_zone) + interval '1 month',
           p.annual_kwh * p.monthly_share[m] / 100.0
    FROM projection p, generate_series(1, 12) m
$$;

-- The budget of a year up to p_at: whole months before it, and the
-- current month pro rata by time.
CREATE FUNCTION vento_budget_to(p_year int, p_at timestamptz)
RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(budget_kwh * greatest(0, least(1,
               extract(epoch FROM p_at - month_start) / extract(epoch FROM month_end - month_start)))), 0)
    FROM vento_budget(p_year)
$$;

-- The yearly check at p_at: energy so far against the budget for the same
-- days, the year-end forecast (actual so far plus the budget for the rest)
-- against the projection, and how complete the data is. The grid meter
-- speaks for the farm where one has data in the year; else the turbines'
-- counters. Energy comes from counters, so a gap in the data is not a gap
-- in production: the counter's delta over a gap is counted when the data
-- returns. Completeness: valid 10-minute periods of the turbines over
-- those expected since the year began.
CREATE FUNCTION vento_yearly_check(p_year int, p_at timestamptz DEFAULT now())
RETURNS TABLE (
    year int, at timestamptz, source text,
    actual_kwh double precision, budget_kwh double precision, ratio double precision,
    forecast_kwh double precision, projection_kwh double precision,
    forecast_ratio double precision, completeness double precision)
LANGUAGE sql STABLE AS $$
    WITH lim AS (
        SELECT y0, least(greatest(p_at, y0), y1) AS t
        FROM (SELECT min(month_start) AS y0, max(month_end) AS y1 FROM vento_budget(p_year)) b
    ), sums AS (
        SELECT d.kind, sum(s.energy_kwh) AS kwh, sum(s.valid_periods) AS valid
        FROM lim, vento_sums(lim.y0, lim.t) s JOIN device d ON d.id = s.device_id
        GROUP BY d.kind
    ), src AS (
        -- The meter speaks for the farm when its data covers at least
        -- 90 % of the year so far; a meter installed mid-year, or one
        -- with long gaps, would understate the farm.
        SELECT CASE WHEN coalesce((SELECT valid FROM sums WHERE kind = 'meter'), 0)
                         >= 0.9 * floor(extract(epoch FROM lim.t - lim.y0) / 600)
                         AND lim.t > lim.y0
                    THEN 'meter' ELSE 'turbine' END AS kind
        FROM lim
    ), bud AS (
        SELECT vento_budget_to(p_year, lim.t) AS kwh FROM lim
    )
    SELECT p_year, lim.t, src.kind, coalesce(a.kwh, 0), bud.kwh,
           coalesce(a.kwh, 0) / nullif(bud.kwh, 0),
           coalesce(a.kwh, 0) + p.annual_kwh - bud.kwh, p.annual_kwh,
           (coalesce(a.kwh, 0) + p.annual_kwh - bud.kwh) / p.annual_kwh,
           CASE WHEN lim.t > lim.y0 THEN least(1, coalesce(tu.valid, 0)::double precision
               / greatest(1, (SELECT count(*) FROM device WHERE kind = 'turbine')
                             * floor(extract(epoch FROM lim.t - lim.y0) / 600))) END
    FROM lim CROSS JOIN src CROSS JOIN bud CROSS JOIN projection p
    LEFT JOIN sums a ON a.kind = src.kind
    LEFT JOIN sums tu ON tu.kind = 'turbine'
$$;

-- Each turbine's part of the year so far: its energy, its share of the
-- budget (the farm's budget split evenly), its data completeness, and the
-- periods whose energy was flagged (wrap, reset, or counter and power
-- integral disagreeing).
CREATE FUNCTION vento_yearly_by_device(p_year int, p_at timestamptz DEFAULT now())
RETURNS TABLE (device text, actual_kwh double precision, budget_kwh double precision,
               ratio double precision, completeness double precision,
               flagged_periods bigint)
LANGUAGE sql STABLE AS $$
    WITH lim AS (
        SELECT y0, least(greatest(p_at, y0), y1) AS t
        FROM (SELECT min(month_start) AS y0, max(month_end) AS y1 FROM vento_budget(p_year)) b
    ), n AS (
        SELECT count(*) AS turbines FROM device WHERE kind = 'turbine'
    ), bud AS (
        SELECT vento_budget_to(p_year, lim.t) / greatest(n.turbines, 1) AS kwh,
               greatest(1, floor(extract(epoch FROM lim.t - lim.y0) / 600)) AS expected
        FROM lim, n
    )
    SELECT d.name, coalesce(s.energy_kwh, 0), bud.kwh,
           coalesce(s.energy_kwh, 0) / nullif(bud.kwh, 0),
           least(1, coalesce(s.valid_periods, 0) / bud.expected),
           coalesce(s.flagged_periods, 0)
    FROM device d CROSS JOIN bud CROSS JOIN lim
    LEFT JOIN vento_sums(lim.y0, lim.t) s ON s.device_id = d.id
    WHERE d.kind = 'turbine'
    ORDER BY d.name
$$;

-- Production per local month of a year against the budget.
CREATE FUNCTION vento_monthly(p_year int)
RETURNS TABLE (month int, actual_kwh double precision, budget_kwh double precision,
               completeness double precision)
LANGUAGE sql STABLE AS $$
    WITH m AS (
        SELECT extract(month FROM s.day)::int AS month,
               sum(s.energy_kwh) FILTER (WHERE d.kind = 'meter') AS meter_kwh,
               sum(s.valid_periods) FILTER (WHERE d.kind = 'meter') AS meter_valid,
               sum(s.energy_kwh) FILTER (WHERE d.kind = 'turbine') AS kwh,
               sum(s.valid_periods) FILTER (WHERE d.kind = 'turbine') AS valid
        FROM stat_day s JOIN device d ON d.id = s.device_id
        WHERE s.day >= make_date(p_year, 1, 1) AND s.day < make_date(p_year + 1, 1, 1)
        GROUP BY 1
    )
    -- As in the yearly check, the meter speaks for a month it covers 90 %.
    SELECT b.month,
           coalesce(CASE WHEN m.meter_valid >= 0.9 * extract(epoch FROM b.month_end - b.month_start) / 600
                         THEN m.meter_kwh ELSE m.kwh END, 0),
           b.budget_kwh,
           coalesce(m.valid, 0) / greatest(1, (SELECT count(*) FROM device WHERE kind = 'turbine')
                                  * extract(epoch FROM b.month_end - b.month_start) / 600)
    FROM vento_budget(p_year) b LEFT JOIN m ON m.month = b.month
    ORDER BY b.month
$$;

-- Time-based availability per IEC 61400-26 over [p_from, p_to): the time
-- in available categories over the time that counts (available plus
-- unavailable; excluded and unknown time are left out), and the energy
-- lost while unavailable: the reference curve at the measured wind over
-- the unavailable time, in which the turbine produced nothing.
CREATE FUNCTION vento_availability(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (device text, availability double precision, available_h double precision,
               unavailable_h double precision, excluded_h double precision,
               unknown_h double precision, lost_kwh double precision)
LANGUAGE sql STABLE AS $$
    SELECT d.name,
           s.t_available::double precision / nullif(s.t_available + s.t_unavailable, 0),
           s.t_available / 3600.0, s.t_unavailable / 3600.0,
           s.t_excluded / 3600.0, s.t_unknown / 3600.0, s.lost_kwh
    FROM device d JOIN vento_sums(p_from, p_to) s ON s.device_id = d.id
    WHERE d.kind = 'turbine'
    ORDER BY d.name
$$;

-- The measured power curve per IEC 61400-12-1 over the local days in
-- [p_from, p_to): valid 10-minute periods of full availability, wind
-- normalised to air density (V_n = V (rho / 1.225)^(1/3), rho = B /
-- (287.05 T)), 0.5 m/s bins with at least p_min_periods each, against the
-- reference. Whole days, from stat_day_bin.
CREATE FUNCTION vento_power_curve(p_device text, p_from timestamptz, p_to timestamptz,
                                  p_min_periods int DEFAULT 3)
RETURNS TABLE (bin_wind double precision, periods bigint, measured_kw double precision,
               reference_kw double precision)
LANGUAGE sql STABLE AS $$
    SELECT b.bin::double precision, sum(b.periods)::bigint, sum(b.sum_kw) / sum(b.periods),
           vento_ref_power(min(d.profile), b.bin)
    FROM device d JOIN stat_day_bin b ON b.device_id = d.id
    WHERE d.name = p_device
      AND b.day >= vento_local_day(p_from) AND b.day < vento_local_day(p_to)
    GROUP BY b.bin
    HAVING sum(b.periods) >= p_min_periods
    ORDER BY b.bin
$$;

-- The performance ratio of each turbine: measured mean power per bin
-- against the reference at the same bins, weighted by the periods in each
-- bin, over the bins from 4 to 9.5 m/s where the curve is steep and says
-- most. Under 0.95 a turbine is flagged.
CREATE FUNCTION vento_performance(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (device text, periods bigint, ratio double precision, flagged boolean)
LANGUAGE sql STABLE AS $$
    WITH bins AS (
        SELECT b.device_id, b.bin, sum(b.periods) AS n, sum(b.sum_kw) AS kw
        FROM stat_day_bin b
        WHERE b.day >= vento_local_day(p_from) AND b.day < vento_local_day(p_to)
          AND b.bin BETWEEN 4 AND 9.5
        GROUP BY 1, 2
        HAVING sum(b.periods) >= 3
    ), ref AS (
        SELECT p.profile, r.bin, vento_ref_power(p.profile, r.bin) AS kw
        FROM (SELECT DISTINCT profile FROM device WHERE kind = 'turbine') p,
             (SELECT DISTINCT bin FROM bins) r
    )
    SELECT d.name, sum(b.n)::bigint, sum(b.kw) / nullif(sum(ref.kw * b.n), 0),
           sum(b.kw) / nullif(sum(ref.kw * b.n), 0) < 0.95
    FROM bins b JOIN device d ON d.id = b.device_id
    JOIN ref ON ref.profile = d.profile AND ref.bin = b.bin
    GROUP BY d.name
    ORDER BY d.name
$$;

GRANT EXECUTE ON FUNCTION vento_day_start(date), vento_local_day(timestamptz),
    vento_sums(timestamptz, timestamptz), vento_budget(int), vento_budget_to(int, timestamptz),
    vento_yearly_check(int, timestamptz), vento_yearly_by_device(int, timestamptz),
    vento_monthly(int), vento_availability(timestamptz, timestamptz),
    vento_power_curve(text, timestamptz, timestamptz, int), vento_performance(timestamptz, timestamptz),
    vento_ref_power(text, double precision), vento_category_group(text)
    TO vento_reader, vento_writer;

-- Just-in-time compilation costs these report queries more (about 100 ms
-- to compile) than it saves them (they read thousands of rows, not
-- millions): off for this database.
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET jit = off', current_database()); END $$;

-- 023_availability_by_day.sql - the farm's availability day by day, as
-- vento_farm_availability counts it over the whole range.
--
-- The availability dashboard's daily panel summed stat_day's available
-- and unavailable time: a turbine never heard from on a day has no row
-- there, so the day read 100 % while the farm's figure over the range
-- (013_farm_numbers.sql) counted that day as information unavailable
-- (IEC 61400-26-1). Here the range's data span is taken once, as
-- vento_availability takes it, and cut at the local days: each day's
-- time within the span, less each turbine's available, unavailable and
-- excluded time, is its information-unavailable time. Whole days read
-- their stat_day rows; the span's partial first and last days read
-- vento_sums over their part, as the farm's figure does. The days' hours
-- add up to the range's.
CREATE FUNCTION vento_farm_availability_by_day(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (day date, turbines bigint, availability double precision,
               available_h double precision, unavailable_h double precision,
               excluded_h double precision, unknown_h double precision)
LANGUAGE sql STABLE AS $$
    WITH span AS (
        SELECT span_from, span_to
        FROM vento_data_span(p_from, p_to)
        WHERE span_from < span_to
    ), days AS (
        SELECT g::date AS day,
               greatest(vento_day_start(g::date), span.span_from) AS d0,
               least(vento_day_start(g::date + 1), span.span_to) AS d1,
               vento_day_start(g::date) >= span.span_from
                   AND vento_day_start(g::date + 1) <= span.span_to AS whole
        FROM span, generate_series(vento_local_day(span.span_from)::timestamp,
                                   vento_local_day(span.span_to - interval '1 microsecond')::timestamp,
                                   interval '1 day') g
    ), sums AS (
        SELECT days.day, s.device_id, s.t_available, s.t_unavailable, s.t_excluded
        FROM days JOIN stat_day s ON s.day = days.day
        WHERE days.whole
        UNION ALL
        -- A partial day's first period may begin before the span, as in
        -- vento_availability.
        SELECT days.day, s.device_id, s.t_available, s.t_unavailable, s.t_excluded
        FROM days, LATERAL vento_sums(date_bin('10 minutes', days.d0, '2000-01-01'), days.d1) s
        WHERE NOT days.whole
    ), t AS (
        SELECT days.day, extract(epoch FROM days.d1 - days.d0) AS seconds,
               coalesce(s.t_available, 0) AS av, coalesce(s.t_unavailable, 0) AS un,
               coalesce(s.t_excluded, 0) AS ex
        FROM days CROSS JOIN device d
        LEFT JOIN sums s ON s.day = days.day AND s.device_id = d.id
        WHERE d.kind = 'turbine'
    )
    SELECT day, count(*),
           sum(av) / nullif(sum(av + un + greatest(0, seconds - av - un - ex)), 0),
           sum(av) / 3600.0, sum(un) / 3600.0, sum(ex) / 3600.0,
           sum(greatest(0, seconds - av - un - ex)) / 3600.0
    FROM t
    GROUP BY day
    ORDER BY day
$$;

-- The same for farm p_farm, as 021_farm_panels.sql gives the others.
CREATE FUNCTION vento_farm_availability_by_day(p_from timestamptz, p_to timestamptz, p_farm text)
RETURNS TABLE (day date, turbines bigint, availability double precision,
               available_h double precision, unavailable_h double precision,
               excluded_h double precision, unknown_h double precision)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_saved text[] := vento_farm_enter(p_farm);
BEGIN
    IF v_saved IS NOT NULL THEN
        RETURN QUERY SELECT * FROM vento_farm_availability_by_day(p_from, p_to);
        PERFORM vento_farm_leave(v_saved);
    END IF;
END $$;

REVOKE ALL ON FUNCTION vento_farm_availability_by_day(timestamptz, timestamptz),
                       vento_farm_availability_by_day(timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vento_farm_availability_by_day(timestamptz, timestamptz),
                          vento_farm_availability_by_day(timestamptz, timestamptz, text)
    TO vento_reader;

-- 021_farm_panels.sql - the report functions for one farm named in the
-- call, for Grafana's farm variable.
--
-- At a fleet database row-level security scopes a reader's session to the
-- farm named by vento.farm (017_fleet.sql). Grafana cannot set it: its
-- PostgreSQL data source sends one statement per query, over pooled
-- connections shared by every panel and user, so a session's SET would
-- leak from one panel to the next. Each report function a dashboard calls
-- has here a form with a trailing p_farm: it scopes the transaction to
-- that farm, answers as the function of the same name does there, and puts
-- the scope back as it was. The answer is the original function's own, so
-- the two cannot differ. A code this session does not see as a farm
-- answers nothing (no rows, or NULL): at a farm's own database every code
-- but the farm's, at a fleet an unknown one, or another than the farm a
-- session is scoped to; an empty code never means every farm.
--
-- The functions a panel calls inside a query once per row (the local day
-- and its start) read the farm's projection by its code instead: a
-- comparison of days with them stays an index scan.

-- Scopes the rest of the calling function's transaction to farm p_farm:
-- vento.farm set to it, and a role bound by row-level security (the
-- reader) for a superuser or a role that bypasses it. Returns what
-- vento_farm_leave restores, or NULL (nothing changed) when p_farm is not
-- a farm this session sees. No SET clause: a function's SET clause would
-- put the settings back as this returns.
CREATE FUNCTION vento_farm_enter(p_farm text)
RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    v_saved text[] := ARRAY[coalesce(current_setting('vento.farm', true), ''), current_setting('role')];
BEGIN
    IF NOT EXISTS (SELECT FROM public.farm f WHERE f.code = p_farm) THEN
        RETURN NULL;
    END IF;
    IF (SELECT rolsuper OR rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        PERFORM set_config('role', 'vento_reader', true);
    END IF;
    PERFORM set_config('vento.farm', p_farm, true);
    RETURN v_saved;
END $$;

-- Puts back what vento_farm_enter changed.
CREATE FUNCTION vento_farm_leave(p_saved text[])
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('vento.farm', p_saved[1], true);
    PERFORM set_config('role', p_saved[2], true);
END $$;

-- The local day of an instant in farm p_farm's time zone; NULL for a farm
-- this session does not see.
CREATE FUNCTION vento_local_day(p_at timestamptz, p_farm text)
RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT (p_at AT TIME ZONE coalesce(p.time_zone, 'UTC'))::date
    FROM farm f LEFT JOIN projection p ON p.farm = f.code
    WHERE f.code = p_farm
$$;

-- The start of farm p_farm's local day, as an instant.
CREATE FUNCTION vento_day_start(p_day date, p_farm text)
RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT make_timestamptz(extract(year FROM p_day)::int, extract(month FROM p_day)::int,
                            extract(day FROM p_day)::int, 0, 0, 0, coalesce(p.time_zone, 'UTC'))
    FROM farm f LEFT JOIN projection p ON p.farm = f.code
    WHERE f.code = p_farm
$$;

CREATE FUNCTION vento_budget_to(p_year int, p_at timestamptz, p_farm text)
RETURNS double precision
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_saved text[] := vento_farm_enter(p_farm);
    v_kwh double precision;
BEGIN
    IF v_saved IS NOT NULL THEN
        v_kwh := vento_budget_to(p_year, p_at);
        PERFORM vento_farm_leave(v_saved);
    END IF;
    RETURN v_kwh;
END $$;

CREATE FUNCTION vento_yearly_check(p_year int, p_at timestamptz, p_farm text)
RETURNS TABLE (
    year int, at timestamptz, source text,
    actual_kwh double precision, budget_kwh double precision, ratio double precision,
    forecast_kwh double precision, projection_kwh double precision,
    forecast_ratio double precision, completeness double precision)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_saved text[] := vento_farm_enter(p_farm);
BEGIN
    IF v_saved IS NOT NULL THEN
        RETURN QUERY SELECT * FROM vento_yearly_check(p_year, p_at);
        PERFORM vento_farm_leave(v_saved);
    END IF;
END $$;

CREATE FUNCTION vento_yearly_by_device(p_year int, p_at timestamptz, p_farm text)
RETURNS TABLE (device text, actual_kwh double precision, budget_kwh double precision,
               ratio double precision, completeness double precision,
               flagged_periods bigint)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_saved text[] := vento_farm_enter(p_farm);
BEGIN
    IF v_saved IS NOT NULL THEN
        RETURN QUERY SELECT * FROM vento_yearly_by_device(p_year, p_at);
        PERFORM vento_farm_leave(v_saved);
    END IF;
END $$;

CREATE FUNCTION vento_monthly(p_year int, p_farm text)
RETURNS TABLE (month int, actual_kwh double precision, budget_kwh double precision,
               completeness double precision)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_saved text[] := vento_farm_enter(p_farm);
BEGIN
    IF v_saved IS NOT NULL THEN
        RETURN QUERY SELECT * FROM vento_monthly(p_year);
        PERFORM vento_farm_leave(v_saved);
    END IF;
END $$;

CREATE FUNCTION vento_availability(p_from timestamptz, p_to timestamptz, p_farm text)
RETURNS TABLE (device text, availability double precision, available_h double precision,
               unavailable_h double precision, excluded_h double precision,
               unknown_h double precision, lost_kwh double precision,
               energy_availability double precision, actual_kwh double precision,
               unknown_lost_kwh double precision)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_saved text[] := vento_farm_enter(p_farm);
BEGIN
    IF v_saved IS NOT NULL THEN
        RETURN QUERY SELECT * FROM vento_availability(p_from, p_to);
        PERFORM vento_farm_leave(v_saved);
    END IF;
END $$;

CREATE FUNCTION vento_farm_availability(p_from timestamptz, p_to timestamptz, p_farm text)
RETURNS TABLE (turbines bigint, availability double precision,
               energy_availability double precision, available_h double precision,
               unavailable_h double precision, excluded_h double precision,
               unknown_h double precision, actual_kwh double precision,
               lost_kwh double precision, unknown_lost_kwh double precision)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_saved text[] := vento_farm_enter(p_farm);
BEGIN
    IF v_saved IS NOT NULL THEN
        RETURN QUERY SELECT * FROM vento_farm_availability(p_from, p_to);
        PERFORM vento_farm_leave(v_saved);
    END IF;
END $$;

-- p_min_periods is not optional here: after it, p_farm could not be.
CREATE FUNCTION vento_power_curve(p_device text, p_from timestamptz, p_to timestamptz,
                                  p_min_periods int, p_farm text)
RETURNS TABLE (bin_wind double precision, periods bigint, measured_kw double precision,
               reference_kw double precision)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_saved text[] := vento_farm_enter(p_farm);
BEGIN
    IF v_saved IS NOT NULL THEN
        RETURN QUERY SELECT * FROM vento_power_curve(p_device, p_from, p_to, p_min_periods);
        PERFORM vento_farm_leave(v_saved);
    END IF;
END $$;

CREATE FUNCTION vento_performance(p_from timestamptz, p_to timestamptz, p_farm text)
RETURNS TABLE (device text, periods bigint, ratio double precision, flagged boolean)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_saved text[] := vento_farm_enter(p_farm);
BEGIN
    IF v_saved IS NOT NULL THEN
        RETURN QUERY SELECT * FROM vento_performance(p_from, p_to);
        PERFORM vento_farm_leave(v_saved);
    END IF;
END $$;

CREATE FUNCTION vento_turbine_series(p_device text, p_from timestamptz, p_to timestamptz,
                                     p_interval_ms bigint, p_farm text)
RETURNS TABLE ("time" timestamptz, samples bigint, wtur_w double precision,
               wmet_horwdspd double precision, wtur_turst bigint,
               wrot_blpthangval double precision, wrot_blpthangval2 double precision,
               wrot_blpthangval3 double precision, wrot_rotspd double precision,
               wgen_spd double precision, wmet_envtmp double precision,
               wnac_tmp double precision, wgen_tmpsta double precision,
               wrot_tmpbrg double precision, wcnv_tmp double precision,
               wtrf_tmp double precision)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_saved text[] := vento_farm_enter(p_farm);
BEGIN
    IF v_saved IS NOT NULL THEN
        RETURN QUERY SELECT * FROM vento_turbine_series(p_device, p_from, p_to, p_interval_ms);
        PERFORM vento_farm_leave(v_saved);
    END IF;
END $$;

-- The fleet's yearly check of the farms in p_farms (every farm of the
-- session's scope when NULL), for the fleet dashboard's farm variable:
-- each farm's row, then their total (farm NULL) as 017_fleet.sql made it,
-- which now asks this for every farm.
CREATE FUNCTION vento_fleet_yearly_check(p_year int, p_at timestamptz, p_farms text[])
RETURNS TABLE (
    farm text, year int, at timestamptz, source text,
    actual_kwh double precision, budget_kwh double precision, ratio double precision,
    forecast_kwh double precision, projection_kwh double precision,
    forecast_ratio double precision, completeness double precision, turbines bigint)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_scope text := current_setting('vento.farm', true);
    v_role text := current_setting('role');
    v_codes text[];
    v_code text;
    v_sources text[] := '{}';
    t_actual double precision := 0;
    t_budget double precision := 0;
    t_forecast double precision := 0;
    t_projection double precision := 0;
    t_complete double precision := 0;
    t_turbines bigint := 0;
    v_at timestamptz;
BEGIN
    SELECT array_agg(f.code ORDER BY f.code) INTO v_codes
    FROM public.farm f WHERE p_farms IS NULL OR f.code = ANY (p_farms);
    -- Row-level security, which scopes each farm's turn, does not bind a
    -- superuser: the turns are taken as the reader.
    IF (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
        PERFORM set_config('role', 'vento_reader', true);
    END IF;
    FOREACH v_code IN ARRAY coalesce(v_codes, '{}') LOOP
        PERFORM set_config('vento.farm', v_code, true);
        FOR farm, year, at, source, actual_kwh, budget_kwh, ratio, forecast_kwh, projection_kwh,
            forecast_ratio, completeness, turbines IN
            SELECT v_code, y.*, (SELECT count(*) FROM device d WHERE d.kind = 'turbine')
            FROM vento_yearly_check(p_year, p_at) y
        LOOP
            RETURN NEXT;
            v_at := at;
            v_sources := v_sources || source;
            t_actual := t_actual + actual_kwh;
            t_budget := t_budget + budget_kwh;
            t_forecast := t_forecast + forecast_kwh;
            t_projection := t_projection + projection_kwh;
            t_complete := t_complete + coalesce(completeness, 0) * turbines;
            t_turbines := t_turbines + turbines;
        END LOOP;
    END LOOP;
    PERFORM set_config('vento.farm', coalesce(v_scope, ''), true);
    PERFORM set_config('role', v_role, true);
    farm := NULL;
    year := p_year;
    at := v_at;
    source := CASE WHEN cardinality(v_sources) > 0
                        AND v_sources <@ ARRAY[v_sources[1]] THEN v_sources[1] ELSE 'mixed' END;
    actual_kwh := t_actual;
    budget_kwh := t_budget;
    ratio := t_actual / nullif(t_budget, 0);
    forecast_kwh := t_forecast;
    projection_kwh := t_projection;
    forecast_ratio := t_forecast / nullif(t_projection, 0);
    completeness := t_complete / nullif(t_turbines, 0);
    turbines := t_turbines;
    RETURN NEXT;
END $$;

CREATE OR REPLACE FUNCTION vento_fleet_yearly_check(p_year int, p_at timestamptz DEFAULT now())
RETURNS TABLE (
    farm text, year int, at timestamptz, source text,
    actual_kwh double precision, budget_kwh double precision, ratio double precision,
    forecast_kwh double precision, projection_kwh double precision,
    forecast_ratio double precision, completeness double precision, turbines bigint)
LANGUAGE sql SET search_path = public, pg_temp AS $$
    SELECT * FROM vento_fleet_yearly_check(p_year, p_at, NULL::text[])
$$;

-- Report functions that only read: the reader's (Grafana, analysts).
REVOKE ALL ON FUNCTION
    vento_farm_enter(text), vento_farm_leave(text[]),
    vento_local_day(timestamptz, text), vento_day_start(date, text),
    vento_budget_to(int, timestamptz, text),
    vento_yearly_check(int, timestamptz, text), vento_yearly_by_device(int, timestamptz, text),
    vento_monthly(int, text), vento_availability(timestamptz, timestamptz, text),
    vento_farm_availability(timestamptz, timestamptz, text),
    vento_power_curve(text, timestamptz, timestamptz, int, text),
    vento_performance(timestamptz, timestamptz, text),
    vento_turbine_series(text, timestamptz, timestamptz, bigint, text),
    vento_fleet_yearly_check(int, timestamptz, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    vento_farm_enter(text), vento_farm_leave(text[]),
    vento_local_day(timestamptz, text), vento_day_start(date, text),
    vento_budget_to(int, timestamptz, text),
    vento_yearly_check(int, timestamptz, text), vento_yearly_by_device(int, timestamptz, text),
    vento_monthly(int, text), vento_availability(timestamptz, timestamptz, text),
    vento_farm_availability(timestamptz, timestamptz, text),
    vento_power_curve(text, timestamptz, timestamptz, int, text),
    vento_performance(timestamptz, timestamptz, text),
    vento_turbine_series(text, timestamptz, timestamptz, bigint, text),
    vento_fleet_yearly_check(int, timestamptz, text[]) TO vento_reader;

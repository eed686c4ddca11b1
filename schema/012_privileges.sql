-- 012_privileges.sql - least privilege that holds. Every object of the
-- schema gets the privileges its role needs and no more:
--
--   PUBLIC         nothing: not the database, not the schema, no function
--                  (a login in no vento role cannot even connect);
--   vento_reader   Grafana and ventoctl: SELECT on the tables, EXECUTE on
--                  the read-only report functions;
--   vento_writer   ventod: inserts raw samples and collector health,
--                  registers devices, states and the projection that are
--                  not there yet (a change is refused, 42501), raises the
--                  raw retention (never shortens it), advances its own spool
--                  position (never backwards, never another writer's),
--                  creates partitions, recomputes statistics and drops the
--                  raw partitions past the retention the database keeps;
--   the owner      everything else: the schema is its, and the functions
--                  above run with its rights (SECURITY DEFINER, search_path
--                  pinned), so the writer holds no DDL or DELETE right.
--
-- tests/lib/privileges.sql declares this matrix object by object and the
-- db-privileges scenario compares it with the database: an object a later
-- migration adds without its grants and its rows there fails the suite.

-- 001_base.sql's "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE
-- ON FUNCTIONS FROM PUBLIC" did nothing: a schema's default privileges can
-- only add to the global ones, and the global default gives EXECUTE on
-- every new function to PUBLIC. Revoked globally for the role that runs the
-- migrations, which owns what they create.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE USAGE ON TYPES FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO vento_reader, vento_writer',
                   current_database());
END $$;

-- Whether the login behind this call is the schema's owner (or a member of
-- it, or a superuser): the functions below let only the owner change what
-- is already there. Called from SECURITY DEFINER functions, whose
-- current_user is the owner; session_user is who logged in, whatever role
-- it has set since.
CREATE FUNCTION vento_caller_is_owner()
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_has_role(session_user, current_user, 'MEMBER')
$$;

-- The settings the database keeps for itself, one row: how long raw
-- samples are kept. Retention is the database's, not a caller's: the
-- functions that drop data read it here.
CREATE TABLE vento_setting (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    raw_retention_days integer NOT NULL CHECK (raw_retention_days BETWEEN 1 AND 36500)
);
GRANT SELECT ON vento_setting TO vento_reader, vento_writer;

-- Sets the raw retention and returns it. The writer (ventod, from its
-- retention_days) may set it when there is none and lengthen it; shortening
-- deletes data, so only the owner may (42501 otherwise).
CREATE FUNCTION vento_set_retention(p_days integer)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_days integer := (SELECT raw_retention_days FROM vento_setting);
BEGIN
    IF p_days < v_days AND NOT vento_caller_is_owner() THEN
        RAISE EXCEPTION 'raw samples are kept % days; only the schema owner may shorten that to %',
                        v_days, p_days
            USING ERRCODE = 'insufficient_privilege',
                  HINT = format('as the owner: SELECT vento_set_retention(%s)', p_days);
    END IF;
    INSERT INTO vento_setting (raw_retention_days) VALUES (p_days)
    ON CONFLICT (id) DO UPDATE SET raw_retention_days = excluded.raw_retention_days;
    RETURN p_days;
END $$;

-- Retention takes no cutoff from its caller: vento_drop_partitions drops
-- the raw partitions past the retention kept above (none when none is
-- set). The version that took a cutoff stays, for the owner alone.
ALTER FUNCTION vento_drop_partitions(timestamptz) RENAME TO vento_drop_partitions_before;

CREATE FUNCTION vento_drop_partitions()
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_days integer := (SELECT raw_retention_days FROM vento_setting);
BEGIN
    IF v_days IS NULL THEN
        RETURN 0;
    END IF;
    RETURN vento_drop_partitions_before(now() - make_interval(days => v_days));
END $$;

-- Registration: the writer adds a device, a state or the projection that
-- is not there, and may say again what is there; a change is the owner's.
-- Otherwise the writer could turn a turbine into a meter, or a fault into
-- full performance, and so rewrite every report.
CREATE OR REPLACE FUNCTION vento_register_device(p_name text, p_kind text, p_profile text,
                                                 p_counter_wrap_wh bigint, p_rated_kw real)
RETURNS smallint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id smallint;
    d device;
BEGIN
    SELECT * INTO d FROM device WHERE name = p_name;
    IF FOUND AND (d.kind, d.profile, d.counter_wrap_wh, d.rated_kw)
                 IS DISTINCT FROM (p_kind, p_profile, p_counter_wrap_wh, p_rated_kw)
             AND NOT vento_caller_is_owner() THEN
        RAISE EXCEPTION 'device % is registered as a % of profile % (wrap %, rated % kW); only the schema owner may change it',
                        p_name, d.kind, d.profile, d.counter_wrap_wh, d.rated_kw
            USING ERRCODE = 'insufficient_privilege',
                  HINT = format('as the owner: SELECT vento_register_device(%L, %L, %L, %s, %s)',
                                p_name, p_kind, p_profile, p_counter_wrap_wh, p_rated_kw);
    END IF;
    INSERT INTO device (name, kind, profile, counter_wrap_wh, rated_kw)
    VALUES (p_name, p_kind, p_profile, p_counter_wrap_wh, p_rated_kw)
    ON CONFLICT (name) DO UPDATE
    SET kind = excluded.kind, profile = excluded.profile,
        counter_wrap_wh = excluded.counter_wrap_wh, rated_kw = excluded.rated_kw
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

CREATE OR REPLACE FUNCTION vento_register_state(p_profile text, p_code bigint, p_name text,
                                                p_category text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    s model_state;
BEGIN
    SELECT * INTO s FROM model_state WHERE profile = p_profile AND code = p_code;
    IF FOUND AND (s.name, s.category) IS DISTINCT FROM (p_name, p_category)
             AND NOT vento_caller_is_owner() THEN
        RAISE EXCEPTION 'state % of profile % is registered as "%" (%); only the schema owner may change it',
                        p_code, p_profile, s.name, s.category
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO model_state (profile, code, name, category)
    VALUES (p_profile, p_code, p_name, p_category)
    ON CONFLICT (profile, code) DO UPDATE
    SET name = excluded.name, category = excluded.category;
END $$;

CREATE OR REPLACE FUNCTION vento_set_projection(p_annual_kwh double precision,
                                                p_shares double precision[], p_time_zone text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p projection;
BEGIN
    SELECT * INTO p FROM projection;
    IF FOUND AND (p.annual_kwh, p.monthly_share, p.time_zone)
                 IS DISTINCT FROM (p_annual_kwh, p_shares, p_time_zone)
             AND NOT vento_caller_is_owner() THEN
        RAISE EXCEPTION 'the projection is % kWh a year in %; only the schema owner may change it',
                        p.annual_kwh, p.time_zone
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO projection (annual_kwh, monthly_share, time_zone)
    VALUES (p_annual_kwh, p_shares, p_time_zone)
    ON CONFLICT (id) DO UPDATE
    SET annual_kwh = excluded.annual_kwh, monthly_share = excluded.monthly_share,
        time_zone = excluded.time_zone;
END $$;

-- The spool position: a writer inserts its spool's row and moves it
-- forward, never back (which would store a batch twice) and never another
-- writer's row (which would make that writer skip batches). The row says
-- which login wrote it; rows from before this migration are claimed by
-- the first writer that moves them.
ALTER TABLE spool_position ADD COLUMN writer name;

CREATE FUNCTION vento_spool_position_guard()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF vento_caller_is_owner() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.writer IS NOT NULL AND OLD.writer <> session_user THEN
            RAISE EXCEPTION 'spool % is written by %, not by %', OLD.spool_id, OLD.writer, session_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.acked < OLD.acked THEN
            RAISE EXCEPTION 'spool % is stored up to record %: its position cannot go back to %',
                            OLD.spool_id, OLD.acked, NEW.acked
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.spool_id := OLD.spool_id;
    END IF;
    NEW.writer := session_user;
    RETURN NEW;
END $$;

CREATE TRIGGER spool_position_guard BEFORE INSERT OR UPDATE ON spool_position
    FOR EACH ROW EXECUTE FUNCTION vento_spool_position_guard();

-- The writer's grants. Earlier migrations gave it more than it needs:
-- the report functions, the parts of the rollups and of retention (the
-- grants went with the functions when 009 and 010 renamed them), and
-- every column of the spool position.
REVOKE EXECUTE ON FUNCTION vento_register_device(text, text, text),
    vento_drop_partitions_before(timestamptz), vento_drop_raw_partitions(timestamptz),
    vento_rollup_periods(timestamptz, timestamptz), vento_rollup_day_sums(timestamptz, timestamptz),
    vento_rollup_days(timestamptz, timestamptz), vento_rollup_minutes(timestamptz, timestamptz),
    vento_day_start(date), vento_local_day(timestamptz),
    vento_sums(timestamptz, timestamptz), vento_budget(int), vento_budget_to(int, timestamptz),
    vento_yearly_check(int, timestamptz), vento_yearly_by_device(int, timestamptz),
    vento_monthly(int), vento_availability(timestamptz, timestamptz),
    vento_power_curve(text, timestamptz, timestamptz, int), vento_performance(timestamptz, timestamptz),
    vento_ref_power(text, double precision), vento_category_group(text)
    FROM vento_writer;
REVOKE ALL ON spool_position FROM vento_writer;
GRANT SELECT, INSERT (spool_id, acked), UPDATE (acked, updated_at) ON spool_position TO vento_writer;
GRANT EXECUTE ON FUNCTION vento_set_retention(integer), vento_drop_partitions() TO vento_writer;
-- The writer keeps vento_rollup: it recomputes statistics from the raw
-- samples, which the writer may store anyway, so any range it asks for
-- comes out as the data say; it keeps vento_ensure_partitions, which only
-- creates.

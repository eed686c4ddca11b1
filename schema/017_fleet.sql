-- 017_fleet.sql - farm identity, and a fleet of farms in one database by
-- PostgreSQL's own logical replication.
--
-- Every row that leaves a farm says which farm it is from: the tables the
-- reports read get a column farm, whose default at a farm is the farm's
-- own code, so ventod, the rollups and the importer write it without
-- naming it, and existing rows take it without a rewrite (a constant
-- default is stored once in the catalogue). Each of these tables gets a
-- key led by the farm, which is its replica identity: the fleet finds a
-- replicated row by it, and two farms' device 1 (or T01) never collide
-- there. At a farm the old keys stay as they were (the rollups' ON
-- CONFLICT clauses name them); at a fleet database (ventoctl migrate
-- --fleet) the farm-led keys become the primary keys and the old ones go.
--
-- ventoctl migrate passes the farm's code and name from vento.conf in the
-- session (vento.farm_code, vento.farm_name) and vento.site = 'fleet' for
-- a fleet database. A configuration without a farm section gives the code
-- FARM.
--
-- A farm publishes two publications, which a fleet subscribes to (ventoctl
-- fleet add): vento_farm, the statistics and everything the reports read,
-- rows inserted, updated and deleted; vento_farm_append, the tables that
-- only grow (collector_health, and raw_sample when farm.publish_raw is
-- set), inserts only, so that the farm's own retention does not delete
-- them at the fleet, and no replica identity is needed for them.
--
-- At a fleet database, every such table has row-level security scoping it
-- to the farm named by the session setting vento.farm (all farms when it
-- is empty): `ventoctl --farm CODE` sets it, so the report functions of
-- 006_reports.sql answer for one farm unchanged. The fleet's totals come
-- from the vento_fleet_* functions below, which ask each farm in turn.

-- What this database is: a farm's own, or a fleet's.
CREATE TABLE vento_site (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    kind text NOT NULL CHECK (kind IN ('farm', 'fleet'))
);

-- The farm this database belongs to (one row at a farm); at a fleet, each
-- farm's row as the farm publishes it.
CREATE TABLE farm (
    code text COLLATE "C" PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9]{1,7}$'),
    name text NOT NULL DEFAULT '',
    -- When the farm's collector last stored raw samples, by the farm's
    -- clock. Set at each batch, so that the fleet, receiving it, knows how
    -- far behind it is to the second (now() - stored_at), and a silent
    -- farm shows as one.
    stored_at timestamptz
);

CREATE FUNCTION vento_farm_stored()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE farm SET stored_at = now();
    RETURN NULL;
END $$;

-- The farms a session sees at a fleet: [from, to] of farm codes, one
-- farm when vento.farm is set, every farm when it is not.
CREATE FUNCTION vento_scope_from()
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('vento.farm', true), ''), '') COLLATE "C"
$$;

CREATE FUNCTION vento_scope_to()
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('vento.farm', true), ''), '~') COLLATE "C"
$$;

DO $$
DECLARE
    v_kind text := CASE WHEN current_setting('vento.site', true) = 'fleet' THEN 'fleet' ELSE 'farm' END;
    v_code text := coalesce(nullif(current_setting('vento.farm_code', true), ''), 'FARM');
    v_name text := coalesce(current_setting('vento.farm_name', true), '');
    t text;
    -- Each table the reports read, and its key led by the farm.
    v_keys text[][] := ARRAY[
        ['device', 'farm, id'],
        ['model_state', 'farm, profile, code'],
        ['projection', 'farm, id'],
        ['power_curve_ref', 'farm, profile, wind'],
        ['stat_10min', 'farm, device_id, period'],
        ['stat_day', 'farm, device_id, day'],
        ['stat_day_bin', 'farm, device_id, day, bin'],
        ['stat_month_bin', 'farm, month, device_id, bin'],
        ['raw_minute', 'farm, minute, quality']];
    i int;
BEGIN
    IF v_kind = 'fleet' AND EXISTS (SELECT FROM device) THEN
        RAISE EXCEPTION 'this database has devices: a fleet database is made empty (ventoctl migrate --fleet on a new database)';
    END IF;
    INSERT INTO vento_site (kind) VALUES (v_kind);
    IF v_kind = 'farm' THEN
        INSERT INTO farm (code, name) VALUES (v_code, v_name);
    END IF;
    FOREACH t IN ARRAY ARRAY['device', 'model_state', 'projection', 'power_curve_ref',
                             'stat_10min', 'stat_day', 'stat_day_bin', 'stat_month_bin',
                             'raw_minute', 'collector_health', 'raw_sample']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN farm text COLLATE "C" NOT NULL DEFAULT %L', t, v_code);
        IF v_kind = 'fleet' THEN
            -- At the fleet every row comes from a farm, which names it.
            EXECUTE format('ALTER TABLE %I ALTER COLUMN farm DROP DEFAULT', t);
        END IF;
    END LOOP;
    FOR i IN 1 .. array_length(v_keys, 1) LOOP
        t := v_keys[i][1];
        EXECUTE format('CREATE UNIQUE INDEX %I ON %I (%s)', t || '_farm_key', t, v_keys[i][2]);
        IF v_kind = 'farm' THEN
            EXECUTE format('ALTER TABLE %I REPLICA IDENTITY USING INDEX %I', t, t || '_farm_key');
        ELSE
            EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, t || '_pkey');
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I',
                           t, t || '_farm_key', t || '_farm_key');
        END IF;
    END LOOP;
    IF v_kind = 'fleet' THEN
        -- The reference curves 005 seeded belong to no farm here: each
        -- farm's come with it.
        DELETE FROM power_curve_ref;
        ALTER TABLE device DROP CONSTRAINT device_name_key;
        CREATE UNIQUE INDEX device_farm_name ON device (farm, name);
        ALTER TABLE raw_sample DROP CONSTRAINT raw_sample_device_time_key;
        ALTER TABLE raw_sample ADD CONSTRAINT raw_sample_farm_device_time_key
            UNIQUE (farm, device_id, time);
        -- Raw samples, when a farm publishes them, land in one default
        -- partition: nobody makes daily partitions at the fleet.
        CREATE TABLE raw_sample_fleet PARTITION OF raw_sample DEFAULT;
        CREATE INDEX collector_health_farm_time ON collector_health (farm, time);
        FOREACH t IN ARRAY ARRAY['farm', 'device', 'model_state', 'projection', 'power_curve_ref',
                                 'stat_10min', 'stat_day', 'stat_day_bin', 'stat_month_bin',
                                 'raw_minute', 'collector_health', 'raw_sample']
        LOOP
            EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
            EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
            -- A range, not "farm = setting OR setting = ''", so that an
            -- index led by the farm serves it; its bounds subqueries, so
            -- that a scan reads the setting once, not at every row.
            EXECUTE format('CREATE POLICY farm_scope ON %I USING (%s BETWEEN (SELECT vento_scope_from()) AND (SELECT vento_scope_to()))',
                           t, CASE WHEN t = 'farm' THEN 'code' ELSE 'farm' END);
        END LOOP;
    ELSE
        -- A publication with wal_level below logical is made with a
        -- warning; the farm needs logical only once a fleet subscribes.
        SET LOCAL client_min_messages = error;
        CREATE PUBLICATION vento_farm
            FOR TABLE farm, device, model_state, projection, power_curve_ref, stat_10min,
                      stat_day, stat_day_bin, stat_month_bin, raw_minute
            WITH (publish_via_partition_root = true);
        CREATE PUBLICATION vento_farm_append FOR TABLE collector_health
            WITH (publish = 'insert', publish_via_partition_root = true);
    END IF;
END $$;

-- At a farm, each batch of raw samples stored moves the farm's stored_at.
DO $$
BEGIN
    IF (SELECT kind FROM vento_site) = 'farm' THEN
        CREATE TRIGGER raw_sample_stored AFTER INSERT ON raw_sample
            FOR EACH STATEMENT EXECUTE FUNCTION vento_farm_stored();
    END IF;
END $$;

-- The yearly check of every farm in the session's scope (one row each, as
-- vento_yearly_check answers for the farm alone), then the fleet's: the
-- sums of energy, budget, forecast and projection (the fleet's projection
-- is the sum of the farms'), completeness weighted by turbines. The
-- fleet's row has farm NULL. At a farm, the farm's row and the same again
-- as the total. Each farm's row is vento_yearly_check's own answer, so the
-- two cannot differ; its cost is each farm's check in turn, most of it
-- reading the farm's daily sums (a set-based version, one pass grouped by
-- farm, measured no faster: the rows read are the same).
CREATE FUNCTION vento_fleet_yearly_check(p_year int, p_at timestamptz DEFAULT now())
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
    SELECT array_agg(f.code ORDER BY f.code) INTO v_codes FROM public.farm f;
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

-- Each farm a fleet subscribes to: its subscription's state, when the
-- fleet last heard from the farm (a message or a keepalive of the farm's
-- WAL sender), when the farm last stored raw samples as the fleet knows
-- it (lag_s, now() less that), the newest health row and 10-minute
-- period received. Needs pg_read_all_stats (or the owner's rights) for
-- the subscription's statistics; at a farm, the farm itself, with its
-- own stored_at.
CREATE FUNCTION vento_fleet_status()
RETURNS TABLE (farm text, name text, subscription text, enabled boolean, worker boolean,
               heard_at timestamptz, stored_at timestamptz, lag_s double precision,
               last_health timestamptz, last_period timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH subs AS (
        SELECT upper(substr(s.subname, 12)) AS code, s.subname::text AS subname, s.subenabled,
               st.pid IS NOT NULL AS worker, st.last_msg_receipt_time
        FROM pg_subscription s
        LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL
        WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND s.subname LIKE 'vento_farm_%'
    ), codes AS (
        SELECT code FROM subs UNION SELECT code FROM public.farm
    )
    SELECT c.code, f.name, s.subname, s.subenabled, s.worker, s.last_msg_receipt_time,
           f.stored_at, extract(epoch FROM now() - f.stored_at)::double precision,
           (SELECT max(h.time) FROM collector_health h WHERE h.farm = c.code),
           (SELECT max(t.period) FROM stat_10min t WHERE t.farm = c.code)
    FROM codes c
    LEFT JOIN subs s ON s.code = c.code
    LEFT JOIN public.farm f ON f.code = c.code
    ORDER BY c.code
$$;

-- The reader reads the farms and the fleet's reports (the scope functions
-- are in every policy it meets at a fleet); the writer needs none of it
-- (the farm column's default is a constant, stored_at moves by trigger).
REVOKE ALL ON vento_site, farm FROM PUBLIC;
GRANT SELECT ON vento_site, farm TO vento_reader;
REVOKE EXECUTE ON FUNCTION vento_scope_from(), vento_scope_to(), vento_farm_stored(),
    vento_fleet_yearly_check(int, timestamptz), vento_fleet_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vento_scope_from(), vento_scope_to(),
    vento_fleet_yearly_check(int, timestamptz), vento_fleet_status() TO vento_reader;

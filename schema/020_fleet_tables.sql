-- 020_fleet_tables.sql - the tables 013_farm_numbers.sql added, at the
-- fleet too: site (the site's air density), power_curve_density (the
-- density of each model's reference curve) and raw_device_minute (the
-- means of each turbine's minutes, which the turbine dashboards read for
-- ranges over an hour). 017_fleet.sql left them out: a fleet normalised
-- power curves without the farms' densities, and a turbine's panels were
-- empty there past an hour.
--
-- Each gets what 017 gave the others: a column farm (a constant default
-- at a farm, so existing rows take it without a rewrite), a key led by
-- the farm (the replica identity at a farm, the primary key at a fleet),
-- row-level security by vento.farm at a fleet, and a place in the farm's
-- publication vento_farm. raw_device_minute is re-counted as ventod rolls
-- up (the minutes of the ten-minute periods it stored into, a few hundred
-- rows a minute for 40 turbines) and dropped past the raw retention: both
-- reach the fleet, which so keeps what the farm keeps.
--
-- A fleet subscribed to a farm before this version takes the new tables
-- after the farm is migrated: `ventoctl fleet refresh CODE` at the fleet.

DO $$
DECLARE
    v_kind text := (SELECT kind FROM vento_site);
    v_code text := (SELECT code FROM farm LIMIT 1);
    v_keys text[][] := ARRAY[
        ['site', 'farm'],
        ['power_curve_density', 'farm, profile'],
        ['raw_device_minute', 'farm, device_id, minute']];
    t text;
    i int;
BEGIN
    FOR i IN 1 .. array_length(v_keys, 1) LOOP
        t := v_keys[i][1];
        IF v_kind = 'farm' THEN
            EXECUTE format('ALTER TABLE %I ADD COLUMN farm text COLLATE "C" NOT NULL DEFAULT %L',
                           t, v_code);
            EXECUTE format('CREATE UNIQUE INDEX %I ON %I (%s)', t || '_farm_key', t, v_keys[i][2]);
            EXECUTE format('ALTER TABLE %I REPLICA IDENTITY USING INDEX %I', t, t || '_farm_key');
        ELSE
            -- At the fleet every row comes from a farm, which names it.
            EXECUTE format('ALTER TABLE %I ADD COLUMN farm text COLLATE "C" NOT NULL', t);
            EXECUTE format('CREATE UNIQUE INDEX %I ON %I (%s)', t || '_farm_key', t, v_keys[i][2]);
            EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, t || '_pkey');
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I',
                           t, t || '_farm_key', t || '_farm_key');
            EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
            EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
            EXECUTE format('CREATE POLICY farm_scope ON %I USING (farm BETWEEN (SELECT vento_scope_from()) AND (SELECT vento_scope_to()))',
                           t);
        END IF;
    END LOOP;
    IF v_kind = 'fleet' THEN
        -- 013 made the site's row at migration: the fleet has no site of
        -- its own, each farm's comes with it.
        DELETE FROM site;
    ELSE
        ALTER PUBLICATION vento_farm ADD TABLE site, power_curve_density, raw_device_minute;
    END IF;
END $$;

-- 018_custom_signals.sql - site-specific signals: a profile's signal
-- marked `custom = true` (named x_..., so that no later version's own
-- signal can take its name) gets a column of raw_sample through
-- vento_add_custom_signal, which `ventoctl migrate` calls for every such
-- signal of the configuration: no one adds a column by hand. Custom
-- signals are stored raw, one value per tick like the others; the
-- 10-minute statistics, the reports and the fleet know only the catalogue's
-- signals.
CREATE TABLE custom_signal (
    name text PRIMARY KEY CHECK (name ~ '^x_[a-z0-9_]{1,45}$'),
    sql_type text NOT NULL CHECK (sql_type IN ('real', 'bigint')),
    unit text NOT NULL DEFAULT '',
    added_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON custom_signal FROM PUBLIC;
GRANT SELECT ON custom_signal TO vento_reader;

-- Adds raw_sample's column for a custom signal, or finds it there with the
-- same type. Returns true when the column is new. Run as the owner (by
-- ventoctl migrate), never by ventod.
CREATE FUNCTION vento_add_custom_signal(p_name text, p_type text, p_unit text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    had text;
BEGIN
    IF p_name !~ '^x_[a-z0-9_]{1,45}$' THEN
        RAISE EXCEPTION 'custom signal %: a custom name is x_ then lower-case letters, digits and _', p_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_type NOT IN ('real', 'bigint') THEN
        RAISE EXCEPTION 'custom signal %: type % is neither real nor bigint', p_name, p_type
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT sql_type INTO had FROM custom_signal WHERE name = p_name;
    IF had IS NOT NULL AND had <> p_type THEN
        RAISE EXCEPTION 'custom signal % is stored as %, not %: give the new meaning a new name', p_name, had, p_type
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF had IS NOT NULL THEN
        UPDATE custom_signal SET unit = p_unit WHERE name = p_name;
        RETURN false;
    END IF;
    EXECUTE format('ALTER TABLE raw_sample ADD COLUMN IF NOT EXISTS %I %s', p_name, p_type);
    INSERT INTO custom_signal (name, sql_type, unit) VALUES (p_name, p_type, p_unit);
    RETURN true;
END $$;
REVOKE ALL ON FUNCTION vento_add_custom_signal(text, text, text) FROM PUBLIC;

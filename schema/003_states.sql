-- 003_states.sql - the operating states of each turbine model, as its
-- plugin declares them, with their IEC 61400-26 information category.
-- ventod keeps it in step with the plugins it loads; availability and
-- ventoctl status read it.
CREATE TABLE model_state (
    profile text NOT NULL,
    code bigint NOT NULL,
    name text NOT NULL,
    category text NOT NULL CHECK (category IN (
        'unknown', 'full performance', 'partial performance',
        'technical standby', 'out of environmental specification',
        'requested shutdown', 'out of electrical specification',
        'scheduled maintenance', 'planned corrective action',
        'forced outage', 'suspended', 'force majeure',
        'information unavailable')),
    PRIMARY KEY (profile, code)
);

CREATE FUNCTION vento_register_state(p_profile text, p_code bigint, p_name text, p_category text)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO model_state (profile, code, name, category)
    VALUES (p_profile, p_code, p_name, p_category)
    ON CONFLICT (profile, code) DO UPDATE
    SET name = excluded.name, category = excluded.category;
$$;

REVOKE EXECUTE ON FUNCTION vento_register_state(text, bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vento_register_state(text, bigint, text, text) TO vento_writer;
GRANT SELECT ON model_state TO vento_reader;

-- privileges.sql - the privilege matrix of the vento schema, declared here
-- object by object and compared with the database (pgTAP). Run as a
-- superuser on a database the migrations have made, with pgTAP installed
-- in its own schema "tap" and a login :nobody that is in no vento role:
--
--     psql -X -At -v nobody=vento_nobody -f tests/lib/privileges.sql
--
-- Every table, view, sequence and function in schema public must have its
-- row below, with what vento_reader and vento_writer may do with it;
-- PUBLIC and a login in no vento role may do nothing at all. A migration
-- that adds an object adds its row here, or this fails, naming it.
--
-- Privileges are written as has_*_privilege sees them, effective through
-- membership: table privileges in the order SELECT, INSERT, UPDATE,
-- DELETE, TRUNCATE, REFERENCES, TRIGGER joined by ",", a privilege held on
-- some columns only as PRIV(col,col); sequences USAGE, SELECT, UPDATE;
-- functions EXECUTE. '' is nothing.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET search_path = public, tap;
SELECT set_config('vento.nobody', :'nobody', false) IS NULL AS unset \gset

CREATE TEMP TABLE matrix (object text PRIMARY KEY, reader text NOT NULL, writer text NOT NULL);
INSERT INTO matrix VALUES
    -- 001_base.sql
    ('table vento_migration', 'SELECT', 'SELECT'),
    ('table device', 'SELECT', 'SELECT'),
    ('sequence device_id_seq', '', ''),
    ('table raw_sample', 'SELECT', 'INSERT'),
    ('table spool_position', 'SELECT', 'SELECT,INSERT(spool_id,acked),UPDATE(acked,updated_at)'),
    ('function vento_register_device(text,text,text)', '', ''),
    ('function vento_ensure_partitions(timestamp with time zone,timestamp with time zone)', '', 'EXECUTE'),
    ('function vento_drop_raw_partitions(timestamp with time zone)', '', ''),
    -- 003_states.sql
    ('table model_state', 'SELECT', ''),
    ('function vento_register_state(text,bigint,text,text)', '', 'EXECUTE'),
    -- 005_statistics.sql
    ('function vento_register_device(text,text,text,bigint,real)', '', 'EXECUTE'),
    ('table stat_10min', 'SELECT', ''),
    ('table stat_day', 'SELECT', ''),
    ('table stat_day_bin', 'SELECT', ''),
    ('table projection', 'SELECT', ''),
    ('table power_curve_ref', 'SELECT', ''),
    ('function vento_local_day(timestamp with time zone)', 'EXECUTE', ''),
    ('function vento_rollup_day_sums(timestamp with time zone,timestamp with time zone)', '', ''),
    ('function vento_set_projection(double precision,double precision[],text)', '', 'EXECUTE'),
    ('function vento_ref_power(text,double precision)', 'EXECUTE', ''),
    ('function vento_category_group(text)', 'EXECUTE', ''),
    ('function vento_rollup_periods(timestamp with time zone,timestamp with time zone)', '', ''),
    -- 006_reports.sql
    ('function vento_day_start(date)', 'EXECUTE', ''),
    ('function vento_sums(timestamp with time zone,timestamp with time zone)', 'EXECUTE', ''),
    ('function vento_budget(integer)', 'EXECUTE', ''),
    ('function vento_budget_to(integer,timestamp with time zone)', 'EXECUTE', ''),
    ('function vento_yearly_check(integer,timestamp with time zone)', 'EXECUTE', ''),
    ('function vento_yearly_by_device(integer,timestamp with time zone)', 'EXECUTE', ''),
    ('function vento_monthly(integer)', 'EXECUTE', ''),
    ('function vento_availability(timestamp with time zone,timestamp with time zone)', 'EXECUTE', ''),
    ('function vento_power_curve(text,timestamp with time zone,timestamp with time zone,integer)', 'EXECUTE', ''),
    ('function vento_performance(timestamp with time zone,timestamp with time zone)', 'EXECUTE', ''),
    -- 007_health.sql
    ('table collector_health', 'SELECT', 'INSERT'),
    -- 009_curve_months.sql
    ('table stat_month_bin', 'SELECT', ''),
    ('function vento_rollup_days(timestamp with time zone,timestamp with time zone)', '', ''),
    -- 010_live_panels.sql
    ('table raw_minute', 'SELECT', ''),
    ('function vento_rollup_minutes(timestamp with time zone,timestamp with time zone)', '', ''),
    ('function vento_rollup(timestamp with time zone,timestamp with time zone)', '', 'EXECUTE'),
    -- 012_privileges.sql
    ('function vento_caller_is_owner()', '', ''),
    ('table vento_setting', 'SELECT', 'SELECT'),
    ('function vento_set_retention(integer)', '', 'EXECUTE'),
    ('function vento_drop_partitions_before(timestamp with time zone)', '', ''),
    ('function vento_drop_partitions()', '', 'EXECUTE'),
    ('function vento_spool_position_guard()', '', ''),
    -- 013_farm_numbers.sql
    ('function vento_data_span(timestamp with time zone,timestamp with time zone)', 'EXECUTE', ''),
    ('function vento_farm_availability(timestamp with time zone,timestamp with time zone)', 'EXECUTE', ''),
    ('table site', 'SELECT', ''),
    ('table power_curve_density', 'SELECT', ''),
    ('function vento_air_density(double precision,double precision)', 'EXECUTE', ''),
    ('function vento_wind_factor(double precision,double precision,double precision)', 'EXECUTE', ''),
    ('function vento_set_air_density(text,real)', '', 'EXECUTE'),
    ('table raw_device_minute', 'SELECT', ''),
    ('function vento_turbine_series(text,timestamp with time zone,timestamp with time zone,bigint)', 'EXECUTE', ''),
    -- 015_quality.sql
    ('table quality', 'SELECT', ''),
    -- 017_fleet.sql
    ('table vento_site', 'SELECT', ''),
    ('table farm', 'SELECT', ''),
    ('function vento_scope_from()', 'EXECUTE', ''),
    ('function vento_scope_to()', 'EXECUTE', ''),
    ('function vento_farm_stored()', '', ''),
    ('function vento_fleet_yearly_check(integer,timestamp with time zone)', 'EXECUTE', ''),
    ('function vento_fleet_status()', 'EXECUTE', ''),
    -- 018_custom_signals.sql
    ('table custom_signal', 'SELECT', ''),
    ('function vento_add_custom_signal(text,text,text)', '', ''),
    -- 021_farm_panels.sql
    ('function vento_farm_enter(text)', 'EXECUTE', ''),
    ('function vento_farm_leave(text[])', 'EXECUTE', ''),
    ('function vento_local_day(timestamp with time zone,text)', 'EXECUTE', ''),
    ('function vento_day_start(date,text)', 'EXECUTE', ''),
    ('function vento_budget_to(integer,timestamp with time zone,text)', 'EXECUTE', ''),
    ('function vento_yearly_check(integer,timestamp with time zone,text)', 'EXECUTE', ''),
    ('function vento_yearly_by_device(integer,timestamp with time zone,text)', 'EXECUTE', ''),
    ('function vento_monthly(integer,text)', 'EXECUTE', ''),
    ('function vento_availability(timestamp with time zone,timestamp with time zone,text)', 'EXECUTE', ''),
    ('function vento_farm_availability(timestamp with time zone,timestamp with time zone,text)', 'EXECUTE', ''),
    ('function vento_power_curve(text,timestamp with time zone,timestamp with time zone,integer,text)', 'EXECUTE', ''),
    ('function vento_performance(timestamp with time zone,timestamp with time zone,text)', 'EXECUTE', ''),
    ('function vento_turbine_series(text,timestamp with time zone,timestamp with time zone,bigint,text)', 'EXECUTE', ''),
    ('function vento_fleet_yearly_check(integer,timestamp with time zone,text[])', 'EXECUTE', ''),
    -- 023_availability_by_day.sql
    ('function vento_farm_availability_by_day(timestamp with time zone,timestamp with time zone)', 'EXECUTE', ''),
    ('function vento_farm_availability_by_day(timestamp with time zone,timestamp with time zone,text)', 'EXECUTE', '');

-- Every object of schema public but the daily partitions of raw_sample
-- (below), with its owner and what a role may do with it.
CREATE TEMP VIEW object AS
SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
                      ELSE 'table' END || ' ' || c.relname AS object,
       'pg_class'::regclass AS catalog, c.oid, c.relkind AS kind, c.relowner AS owner,
       c.relispartition AS partition
FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT 'function ' || p.oid::regprocedure, 'pg_proc'::regclass, p.oid, p.prokind, p.proowner, false
FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace;

CREATE FUNCTION pg_temp.privs(r text, o object) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(x.p || x.cols, ',' ORDER BY x.i), '')
    FROM (
        SELECT i, p,
               CASE WHEN o.catalog = 'pg_proc'::regclass OR o.kind = 'S'
                         OR has_table_privilege(r, o.oid, p) THEN ''
                    ELSE '(' || (SELECT string_agg(a.attname, ',' ORDER BY a.attnum)
                                 FROM pg_attribute a
                                 WHERE a.attrelid = o.oid AND a.attnum > 0 AND NOT a.attisdropped
                                   AND has_column_privilege(r, o.oid, a.attnum, p)) || ')'
               END AS cols
        FROM unnest(CASE WHEN o.catalog = 'pg_proc'::regclass THEN ARRAY['EXECUTE']
                         WHEN o.kind = 'S' THEN ARRAY['USAGE', 'SELECT', 'UPDATE']
                         ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',
                                    'REFERENCES', 'TRIGGER'] END) WITH ORDINALITY u(p, i)
        WHERE CASE WHEN o.catalog = 'pg_proc'::regclass THEN has_function_privilege(r, o.oid, p)
                   WHEN o.kind = 'S' THEN has_sequence_privilege(r, o.oid, p)
                   ELSE has_table_privilege(r, o.oid, p)
                        OR (p IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
                            AND has_any_column_privilege(r, o.oid, p)) END
    ) x
$$;

CREATE TEMP TABLE actual AS
SELECT o.object, o.partition, o.owner, o.catalog, o.oid,
       pg_temp.privs('public', o) AS public, pg_temp.privs(:'nobody', o) AS nobody,
       pg_temp.privs('vento_reader', o) AS reader, pg_temp.privs('vento_writer', o) AS writer
FROM object o;

SELECT no_plan();

SELECT is_empty($$SELECT object FROM actual WHERE NOT partition
                  EXCEPT SELECT object FROM matrix$$,
                'every object of schema public has its row in tests/lib/privileges.sql');
SELECT is_empty($$SELECT object FROM matrix EXCEPT SELECT object FROM actual$$,
                'every row of the matrix names an object that exists');
SELECT is_empty($$SELECT object, public FROM actual WHERE public <> ''$$,
                'PUBLIC may do nothing with any object');
SELECT is_empty($$SELECT object, nobody FROM actual WHERE nobody <> ''$$,
                'a login in no vento role may do nothing with any object');
SELECT set_eq($$SELECT object, reader FROM actual WHERE NOT partition$$,
              $$SELECT object, reader FROM matrix$$,
              'vento_reader has exactly the privileges of the matrix');
SELECT set_eq($$SELECT object, writer FROM actual WHERE NOT partition$$,
              $$SELECT object, writer FROM matrix$$,
              'vento_writer has exactly the privileges of the matrix');
SELECT is_empty($$SELECT object, reader, writer FROM actual
                  WHERE partition AND (reader NOT IN ('', 'SELECT') OR writer <> '')$$,
                'a daily partition gives the writer nothing, the reader at most SELECT');
SELECT ok((SELECT count(*) FROM actual WHERE partition) > 0,
          'there are daily partitions to look at');

-- One owner for everything, the role that ran the migrations: the
-- SECURITY DEFINER functions run with its rights and no one else's.
SELECT is_empty($$SELECT object, owner::regrole FROM actual
                  WHERE owner <> (SELECT relowner FROM pg_class
                                  WHERE oid = 'public.vento_migration'::regclass)$$,
                'every object belongs to the owner of vento_migration');
SELECT is_empty($$SELECT p.oid::regprocedure, p.proconfig FROM pg_proc p
                  WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef
                    AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c
                                    WHERE c ~ '^search_path=' AND c ~ 'pg_temp$')$$,
                'every SECURITY DEFINER function pins its search_path, pg_temp last');
SELECT is_empty($$SELECT n.nspname, r FROM pg_namespace n,
                         unnest(ARRAY['public', 'vento_reader', 'vento_writer',
                                      current_setting('vento.nobody')]) r
                  WHERE has_schema_privilege(r, n.oid, 'CREATE')
                    AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'$$,
                'no role but the owner may create objects in any schema');

-- The schema and the database.
SELECT is(has_schema_privilege('public', 'public', 'USAGE'), false, 'PUBLIC cannot use schema public');
SELECT is(has_schema_privilege(:'nobody', 'public', 'USAGE'), false,
          'a login in no vento role cannot use schema public');
SELECT is(has_schema_privilege('vento_reader', 'public', 'USAGE'), true, 'vento_reader uses schema public');
SELECT is(has_schema_privilege('vento_writer', 'public', 'USAGE'), true, 'vento_writer uses schema public');
SELECT is(has_database_privilege('public', current_database(), 'CONNECT'), false,
          'PUBLIC cannot connect to the database');
SELECT is(has_database_privilege(:'nobody', current_database(), 'CONNECT'), false,
          'a login in no vento role cannot connect to the database');
SELECT is(has_database_privilege('public', current_database(), 'TEMPORARY'), false,
          'PUBLIC cannot make temporary tables');
SELECT is(has_database_privilege('vento_reader', current_database(), 'CONNECT'), true,
          'vento_reader connects');
SELECT is(has_database_privilege('vento_writer', current_database(), 'CONNECT'), true,
          'vento_writer connects');

-- What the next migration gets by default: made as the owner, a function
-- is executable by no one else until granted, a table readable by the
-- reader alone. (Made and rolled back.)
BEGIN;
SELECT set_config('role', (SELECT relowner::regrole::text FROM pg_class
                           WHERE oid = 'public.vento_migration'::regclass), true);
CREATE FUNCTION public.vento_privileges_probe() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TABLE public.vento_privileges_probe (x int);
RESET role;
SELECT is(has_function_privilege('public', 'public.vento_privileges_probe()', 'EXECUTE'), false,
          'a function a later migration makes is not executable by PUBLIC');
SELECT is(has_function_privilege('vento_writer', 'public.vento_privileges_probe()', 'EXECUTE'), false,
          'nor by the writer until granted');
SELECT is(has_table_privilege('public', 'public.vento_privileges_probe', 'SELECT'), false,
          'a table a later migration makes is not readable by PUBLIC');
ROLLBACK;

SELECT * FROM finish();

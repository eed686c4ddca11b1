-- 007_health.sql - the collector's own health, a row a minute from ventod,
-- for the collector-health dashboard: how punctual the polls are, how
-- many fail, how far the spool is behind.
CREATE TABLE collector_health (
    time timestamptz NOT NULL,
    devices smallint NOT NULL,
    devices_ok smallint NOT NULL,        -- with a good sample in the last 10 s
    ticks bigint NOT NULL,               -- polls since ventod started
    missed bigint NOT NULL,              -- ticks skipped after overruns
    late_p50_ms real,                    -- poll lateness since start
    late_p99_ms real,
    spool_bytes bigint NOT NULL,
    spool_backlog bigint NOT NULL,       -- batches not yet stored
    spool_dropped bigint NOT NULL,       -- batches dropped at the bound
    rows_stored bigint NOT NULL          -- since ventod started
);
CREATE INDEX collector_health_time ON collector_health USING brin (time);
GRANT INSERT ON collector_health TO vento_writer;
GRANT SELECT ON collector_health TO vento_reader;

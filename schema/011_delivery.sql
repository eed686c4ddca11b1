-- 011_delivery.sql - every polled tick reaches the database once, or is
-- counted as lost.
--
-- raw_sample refuses a second row for a device and tick: a spool replayed
-- twice, two collectors on one farm or a position that went backwards can
-- no longer double a row. The unique key replaces the (device_id, time)
-- index of 010 (same columns, same size, so storage per point stays as it
-- was) and serves the live panels as that index did. Rows doubled before
-- this migration are reduced to one each first (the first stored stays).
DELETE FROM raw_sample a
USING raw_sample b
WHERE a.tableoid = b.tableoid AND a.device_id = b.device_id
  AND a.time = b.time AND a.ctid > b.ctid;
DROP INDEX IF EXISTS raw_sample_device_time;
ALTER TABLE raw_sample
    ADD CONSTRAINT raw_sample_device_time_key UNIQUE (device_id, time);

-- What the collector lost, and why, counted since it started, so that the
-- health dashboard shows each loss as the minute it happened in. Batches
-- are spool records (a tick of the whole farm); rows are device ticks.
ALTER TABLE collector_health
    ADD COLUMN lost_unspooled bigint NOT NULL DEFAULT 0,  -- rows: the spool could not take them (disk full)
    ADD COLUMN lost_dropped bigint NOT NULL DEFAULT 0,    -- batches dropped at the spool bound before stored
    ADD COLUMN lost_damaged bigint NOT NULL DEFAULT 0,    -- batches damaged on disk, or missing from the spool
    ADD COLUMN quarantined bigint NOT NULL DEFAULT 0,     -- batches set aside, refused as data
    ADD COLUMN duplicates bigint NOT NULL DEFAULT 0;      -- rows refused as already stored (not lost)

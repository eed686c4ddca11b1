-- 019_isolated.sql - rows lost because the database cannot take a
-- device's rows (its registration refused as data, a signal without its
-- column): ventod isolates the device and counts them. The count was in
-- the health file, ventoctl status and check spool; here it reaches
-- collector_health and so Grafana's Losses panel, like the other losses.
ALTER TABLE collector_health
    ADD COLUMN lost_isolated bigint NOT NULL DEFAULT 0;  -- rows of isolated devices

-- 022_curve_index.sql - the power-curve scatter read from an index alone
-- again, at a farm and at a fleet.
--
-- 014_import.sql made stat_10min's primary key carry the columns the
-- scatter reads, so that a turbine's year (52,560 rows spread over the
-- whole table) comes from the index in order. Since the dashboards name
-- the farm (021_farm_panels.sql), the scatter filters on farm too, which
-- that index did not carry: a year went from 20 ms to 150 ms, read from
-- the table. At a farm the key carries farm as well (one short value per
-- entry); at a fleet, whose key is led by the farm (017_fleet.sql), the
-- key carries the same columns the farm's does.
DO $$
BEGIN
    IF (SELECT kind FROM vento_site) = 'farm' THEN
        ALTER TABLE stat_10min DROP CONSTRAINT stat_10min_pkey,
            ADD CONSTRAINT stat_10min_pkey PRIMARY KEY (device_id, period)
                INCLUDE (wmet_horwdspd_mean, wtur_w_mean, wmet_envtmp_mean, wmet_envpres_mean,
                         valid, farm);
    ELSE
        ALTER TABLE stat_10min DROP CONSTRAINT stat_10min_farm_key,
            ADD CONSTRAINT stat_10min_farm_key PRIMARY KEY (farm, device_id, period)
                INCLUDE (wmet_horwdspd_mean, wtur_w_mean, wmet_envtmp_mean, wmet_envpres_mean,
                         valid);
    END IF;
END $$;

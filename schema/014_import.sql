-- 014_import.sql - imported history that was implausible and imported
-- anyway (ventoctl import --mark-invalid): which values, as the file had
-- them. The values themselves are not in the statistics and the period is
-- not valid, so no sum, curve or completeness counts them.
ALTER TABLE stat_10min ADD COLUMN implausible text;
COMMENT ON COLUMN stat_10min.implausible IS
    'NULL, or the implausible values of an imported period, e.g. "wtur_w=1e+30"';

-- The power curve's index-only scan is served by the primary key, which
-- carries the columns the curve reads, instead of a second index on the
-- same key: a year of a farm imported maintains two indexes, not three
-- (ventoctl import spent a third of its time in the third).
ALTER TABLE stat_10min DROP CONSTRAINT stat_10min_pkey,
    ADD CONSTRAINT stat_10min_pkey PRIMARY KEY (device_id, period)
        INCLUDE (wmet_horwdspd_mean, wtur_w_mean, wmet_envtmp_mean, wmet_envpres_mean, valid);
DROP INDEX stat_10min_curve;

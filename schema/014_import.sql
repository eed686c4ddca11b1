-- 014_import.sql - imported history that was implausible and imported
-- anyway (ventoctl import --mark-invalid): which values, as the file had
-- them. The values themselves are not in the statistics and the period is
-- not valid, so no sum, curve or completeness counts them.
ALTER TABLE stat_10min ADD COLUMN implausible text;
COMMENT ON COLUMN stat_10min.implausible IS
    'NULL, or the implausible values of an imported period, e.g. "wtur_w=1e+30"';

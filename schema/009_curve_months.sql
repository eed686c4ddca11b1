-- 009_curve_months.sql - the performance table at dashboard speed.
--
-- A year's performance table summed every turbine's daily bins, 175,000
-- rows of stat_day_bin for 40 turbines, in about 100 ms. The bins summed
-- by local month hold a year in 6,000 rows; a range reads its whole months
-- from them and only the days at its edges from stat_day_bin. Kept in
-- step by vento_rollup_days, which recomputes the months of the days it
-- recomputes (a month of 40 turbines is some 18,000 daily bins).

-- The power curve's bins per device and local month: stat_day_bin summed
-- over the month's days.
CREATE TABLE stat_month_bin (
    month date NOT NULL,                  -- the month's first local day
    device_id smallint NOT NULL,
    bin real NOT NULL,                    -- bin centre, m/s
    periods integer NOT NULL,
    sum_kw double precision NOT NULL,     -- of the periods' mean power
    PRIMARY KEY (month, device_id, bin)
);
GRANT SELECT ON stat_month_bin TO vento_reader;

-- The daily bins of a range of days across all devices (the months
-- recomputed here, the edges of a range in vento_performance): without it
-- such a range reads the whole primary key, which leads with the device.
CREATE INDEX stat_day_bin_day ON stat_day_bin (day, bin)
    INCLUDE (device_id, periods, sum_kw);

INSERT INTO stat_month_bin
SELECT date_trunc('month', day::timestamp)::date, device_id, bin, sum(periods), sum(sum_kw)
FROM stat_day_bin
GROUP BY 1, 2, 3;

-- vento_rollup_days as 005_statistics.sql made it keeps its work under
-- another name; vento_rollup_days does it, then recomputes the months of
-- the days it touched.
ALTER FUNCTION vento_rollup_days(timestamptz, timestamptz) RENAME TO vento_rollup_day_sums;

CREATE FUNCTION vento_rollup_days(p_from timestamptz, p_to timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_tz text := coalesce((SELECT time_zone FROM projection), 'UTC');
    v_m0 date := date_trunc('month', p_from AT TIME ZONE v_tz)::date;
    v_m1 date := date_trunc('month', (p_to - interval '1 microsecond') AT TIME ZONE v_tz)::date;
    v_rows integer;
BEGIN
    v_rows := vento_rollup_day_sums(p_from, p_to);
    DELETE FROM stat_month_bin WHERE month BETWEEN v_m0 AND v_m1;
    INSERT INTO stat_month_bin
    SELECT date_trunc('month', day::timestamp)::date, device_id, bin, sum(periods), sum(sum_kw)
    FROM stat_day_bin
    WHERE day >= v_m0 AND day < (v_m1 + interval '1 month')::date
    GROUP BY 1, 2, 3;
    RETURN v_rows;
END $$;

GRANT EXECUTE ON FUNCTION vento_rollup_days(timestamptz, timestamptz) TO vento_writer;

-- As in 006_reports.sql, from the months and the days at the edges.
CREATE OR REPLACE FUNCTION vento_performance(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (device text, periods bigint, ratio double precision, flagged boolean)
LANGUAGE sql STABLE AS $$
    WITH r AS (
        SELECT vento_local_day(p_from) AS d0, vento_local_day(p_to) AS d1
    ), m AS (
        -- The local days [d0, d1) as whole months [e0, e1) and the days
        -- before and after them; all days when no month is whole.
        SELECT d0, d1, CASE WHEN m0 < m1 THEN m0 ELSE d1 END AS e0,
               CASE WHEN m0 < m1 THEN m1 ELSE d1 END AS e1
        FROM (SELECT d0, d1,
                     (date_trunc('month', (d0 - 1)::timestamp) + interval '1 month')::date AS m0,
                     date_trunc('month', d1::timestamp)::date AS m1
              FROM r) x
    ), bins AS (
        SELECT b.device_id, b.bin, sum(b.periods) AS n, sum(b.sum_kw) AS kw
        FROM (
            SELECT s.device_id, s.bin, s.periods, s.sum_kw
            FROM m, stat_month_bin s
            WHERE s.month >= m.e0 AND s.month < m.e1 AND s.bin BETWEEN 4 AND 9.5
            UNION ALL
            -- Each edge its own index scan: an OR of them would read the
            -- whole range between.
            SELECT s.device_id, s.bin, s.periods, s.sum_kw
            FROM m, stat_day_bin s
            WHERE s.day >= m.d0 AND s.day < m.e0 AND s.bin BETWEEN 4 AND 9.5
            UNION ALL
            SELECT s.device_id, s.bin, s.periods, s.sum_kw
            FROM m, stat_day_bin s
            WHERE s.day >= m.e1 AND s.day < m.d1 AND s.bin BETWEEN 4 AND 9.5
        ) b
        GROUP BY 1, 2
        HAVING sum(b.periods) >= 3
    ), ref AS MATERIALIZED (
        -- Once per profile and bin, not once per turbine's bin (480
        -- calls for a year's table, 15 ms).
        SELECT p.profile, r.bin, vento_ref_power(p.profile, r.bin) AS kw
        FROM (SELECT DISTINCT profile FROM device WHERE kind = 'turbine') p,
             (SELECT DISTINCT bin FROM bins) r
    )
    SELECT d.name, sum(b.n)::bigint, sum(b.kw) / nullif(sum(ref.kw * b.n), 0),
           sum(b.kw) / nullif(sum(ref.kw * b.n), 0) < 0.95
    FROM bins b JOIN device d ON d.id = b.device_id
    JOIN ref ON ref.profile = d.profile AND ref.bin = b.bin
    GROUP BY d.name
    ORDER BY d.name
$$;

-- 010_live_panels.sql - the live dashboards at dashboard speed, as
-- measured on a day of raw samples of 40 turbines (3.5 million rows).
--
-- A turbine's panels read its 21,600 rows of the last 6 hours. Through
-- the time index alone they read every turbine's 864,000 rows of those
-- hours and kept one in 40 (230-330 ms a panel); an index by device and
-- time finds the turbine's own rows (70-85 ms, most of it visiting the
-- 13,000 pages they are on: a page holds two ticks of every turbine). The
-- farm's table of turbines takes each one's last sample through it too
-- (100 ms to 2). It is built on every partition, now and to come, and
-- costs about 30 bytes a row, 0.8 bytes a point of the 40-signal bench
-- profile; building it on a full retention of raw samples takes minutes,
-- in which ventod keeps its batches in its spool.
CREATE INDEX raw_sample_device_time ON raw_sample (device_id, time);

-- Raw samples counted by minute and quality, for the collector-health
-- panel that counted a day of raw samples (3.5 million rows, 2.4 s) at
-- each refresh. Kept by vento_rollup as it stores the statistics, and for
-- as long as the raw samples.
CREATE TABLE raw_minute (
    minute timestamptz NOT NULL,          -- the minute's start, UTC
    quality smallint NOT NULL,
    samples integer NOT NULL,
    PRIMARY KEY (minute, quality)
);
GRANT SELECT ON raw_minute TO vento_reader;

-- Recounts the whole minutes that [p_from, p_to) touches from raw samples.
CREATE FUNCTION vento_rollup_minutes(p_from timestamptz, p_to timestamptz)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_from timestamptz := date_bin('1 minute', p_from, 'epoch');
    v_to timestamptz := date_bin('1 minute', p_to - interval '1 microsecond', 'epoch')
                        + interval '1 minute';
BEGIN
    DELETE FROM raw_minute WHERE minute >= v_from AND minute < v_to;
    INSERT INTO raw_minute (minute, quality, samples)
    SELECT date_bin('1 minute', time, 'epoch'), quality, count(*)
    FROM raw_sample
    WHERE time >= v_from AND time < v_to
    GROUP BY 1, 2;
END $$;

SELECT vento_rollup_minutes(min(time), max(time) + interval '1 second') FROM raw_sample;

-- vento_rollup as 005_statistics.sql made it keeps its work under another
-- name; vento_rollup does it, then counts the minutes of the same range.
ALTER FUNCTION vento_rollup(timestamptz, timestamptz) RENAME TO vento_rollup_periods;

-- Recomputes the 10-minute statistics of [p_from, p_to) from raw samples
-- (see vento_rollup_periods) and the counts of its minutes. Returns the
-- periods written.
CREATE FUNCTION vento_rollup(p_from timestamptz, p_to timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_rows integer;
BEGIN
    v_rows := vento_rollup_periods(p_from, p_to);
    PERFORM vento_rollup_minutes(date_bin('10 minutes', p_from, '2000-01-01'), p_to);
    RETURN v_rows;
END $$;

-- vento_drop_partitions as 001_base.sql made it keeps its work under
-- another name; vento_drop_partitions does it, then drops the counts of
-- the days dropped.
ALTER FUNCTION vento_drop_partitions(timestamptz) RENAME TO vento_drop_raw_partitions;

CREATE FUNCTION vento_drop_partitions(p_before timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    dropped integer := vento_drop_raw_partitions(p_before);
BEGIN
    DELETE FROM raw_minute
    WHERE minute < (p_before AT TIME ZONE 'UTC')::date::timestamp AT TIME ZONE 'UTC';
    RETURN dropped;
END $$;

GRANT EXECUTE ON FUNCTION vento_rollup(timestamptz, timestamptz),
                          vento_rollup_minutes(timestamptz, timestamptz),
                          vento_drop_partitions(timestamptz) TO vento_writer;

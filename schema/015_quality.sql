-- 015_quality.sql - the qualities by name. Every raw row carries the
-- quality of its poll as a number (collector/sample.h's enum); this table
-- gives each its name and meaning, for ventoctl, Grafana and anyone who
-- writes SQL. tests/system/quality-names.sh keeps it equal to the enum.
CREATE TABLE quality (
    code smallint PRIMARY KEY,
    name text NOT NULL UNIQUE,
    meaning text NOT NULL
);
INSERT INTO quality VALUES
    (0, 'ok', 'every read answered and decoded'),
    (1, 'decode', 'a value could not be decoded (not a number, or out of its range)'),
    (2, 'exception', 'the device answered a read with a Modbus exception'),
    (3, 'timeout', 'a read got no reply in time'),
    (4, 'link', 'not connected, the connection broke, or a reply did not match its request'),
    (5, 'missed', 'the tick could not be polled on time (the link was busy with earlier ticks)');
REVOKE ALL ON quality FROM PUBLIC;
GRANT SELECT ON quality TO vento_reader;

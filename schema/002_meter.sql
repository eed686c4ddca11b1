-- 002_meter.sql - the grid meter's signals, named after IEC 61850
-- (MMXU measurements, MMTR metering), as columns of the raw table.
ALTER TABLE raw_sample
    ADD COLUMN mmxu_totw real,       -- active power at the point of connection, kW
    ADD COLUMN mmxu_totvar real,     -- reactive power, kvar
    ADD COLUMN mmxu_hz real,         -- grid frequency, Hz
    ADD COLUMN mmtr_supwh bigint,    -- energy exported (supplied), Wh
    ADD COLUMN mmtr_dmdwh bigint;    -- energy imported (demanded), Wh

-- 004_condition.sql - condition-monitoring signals a turbine profile may
-- declare beyond the core production set: temperatures, vibration,
-- electrical values, alarm codes and counters. IEC 61400-25 logical nodes
-- in lower case (WGEN generator, WNAC nacelle, WROT rotor, WCNV converter,
-- WTRF transformer, WYAW yaw, WTOW tower, WTUR turbine, WMET met).
ALTER TABLE raw_sample
    ADD COLUMN wgen_tmpsta real,       -- generator stator temperature, C
    ADD COLUMN wgen_tmprtr real,       -- generator rotor temperature, C
    ADD COLUMN wgen_tmpbrgde real,     -- generator bearing (drive end), C
    ADD COLUMN wgen_tmpbrgnde real,    -- generator bearing (non-drive end), C
    ADD COLUMN wgen_v real,            -- stator voltage, V
    ADD COLUMN wgen_a real,            -- stator current, A
    ADD COLUMN wgen_hz real,           -- frequency, Hz
    ADD COLUMN wgen_pf real,           -- power factor
    ADD COLUMN wrot_tmpbrg real,       -- main bearing temperature, C
    ADD COLUMN wrot_hubtmp real,       -- hub temperature, C
    ADD COLUMN wrot_blpthangval2 real, -- blade 2 pitch, deg
    ADD COLUMN wrot_blpthangval3 real, -- blade 3 pitch, deg
    ADD COLUMN wnac_tmp real,          -- nacelle temperature, C
    ADD COLUMN wnac_vibx real,         -- nacelle vibration, fore-aft, mm/s
    ADD COLUMN wnac_viby real,         -- nacelle vibration, side-side, mm/s
    ADD COLUMN wnac_wdspd real,        -- nacelle anemometer, m/s
    ADD COLUMN wcnv_tmp real,          -- converter temperature, C
    ADD COLUMN wcnv_tmpcool real,      -- converter coolant temperature, C
    ADD COLUMN wtrf_tmp real,          -- transformer temperature, C
    ADD COLUMN wtrf_tmpoil real,       -- transformer oil temperature, C
    ADD COLUMN wyaw_ang real,          -- yaw misalignment, deg
    ADD COLUMN wyaw_cabtwist real,     -- cable twist, turns
    ADD COLUMN wtow_tmp real,          -- tower base temperature, C
    ADD COLUMN whyd_pres real,         -- hydraulic pressure, bar
    ADD COLUMN wtur_almcode integer,   -- active alarm code, 0 for none
    ADD COLUMN wtur_opshr integer,     -- operating hours counter, h
    ADD COLUMN wtur_genhr integer,     -- generating hours counter, h
    ADD COLUMN wtur_strcnt integer;    -- start counter

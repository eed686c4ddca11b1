#!/bin/bash
# quality-names: the schema's quality table names every quality ventod
# stores (collector/sample.h's enum), no more and no fewer, and ventoctl
# status shows a row's quality by that name.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

vento_farm 2
# The enum's members, as "code name" lines: QUALITY_MISSED = 5 -> "5 missed".
sed -n 's/^[[:space:]]*QUALITY_\([A-Z]*\) = \([0-9]*\),.*/\2 \1/p' \
	"$VENTO_ROOT/collector/sample.h" | tr 'A-Z' 'a-z' | sort -n >"$WORK/enum.txt"
vento_psql -c "SELECT code || ' ' || name FROM quality ORDER BY code" >"$WORK/table.txt"
check "the enum has qualities" test "$(wc -l <"$WORK/enum.txt")" -ge 6
check_eq "the quality table is the enum" "$(cat "$WORK/enum.txt")" "$(cat "$WORK/table.txt")"
check_eq "every quality has a meaning" 0 \
	"$(vento_psql -c "SELECT count(*) FROM quality WHERE length(meaning) < 10")"
check_eq "the reader may read it" t \
	"$(vento_psql -c "SELECT has_table_privilege('vento_reader', 'quality', 'SELECT')")"

# A row of each of two qualities the old status had no name for or
# named by a fixed list: status takes the table's names.
vento_psql -c "SELECT vento_ensure_partitions(now(), now())" \
	-c "SELECT vento_register_device('T01', 'turbine', 'vento-sim-4500')" \
	-c "SELECT vento_register_device('T02', 'turbine', 'vento-sim-4500')" \
	-c "INSERT INTO raw_sample (time, device_id, quality) VALUES (now(), 1, 5), (now(), 2, 3)" >/dev/null
"$BIN/ventoctl" -c "$WORK/vento.conf" status --json >"$WORK/status.json" 2>&1
check_eq "status exits 0" 0 "$?"
check "status names quality 5 'missed'" grep -q '"name":"T01","kind":"turbine","quality":"missed"' "$WORK/status.json"
check "status names quality 3 'timeout'" grep -q '"name":"T02","kind":"turbine","quality":"timeout"' "$WORK/status.json"
"$BIN/ventoctl" -c "$WORK/vento.conf" status >"$WORK/status.txt" 2>&1
check "the table shows it too" grep -q '^T01 .*missed' "$WORK/status.txt"
tap_done

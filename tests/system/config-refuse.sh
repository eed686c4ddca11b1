#!/bin/bash
# config-refuse: what the database could not store is refused by
# `ventod -n`, with file:line, before anything runs: a signal name that is
# no column of raw_sample (with the closest known name), a device name
# that is not valid UTF-8, an empty state_dir. The signal catalogue that
# decides it is raw_sample's columns in a freshly migrated database, name
# and type, and `ventoctl signals` (--json too) and vento.conf(5) show it.
# At run time, a device whose rows the database cannot take is isolated
# with a clear log line while the others are stored: the grid meter after
# one of its columns was dropped by hand, T02 after the database came to
# refuse its registration; their rows are counted as lost where the
# operator looks.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 2
conf=$WORK/vento.conf
n_check() { "$BIN/ventod" -n -c "$1" >"$WORK/n.out" 2>&1; }
check "the farm's configuration passes -n" n_check "$conf"

# A profile whose rotor speed is misspelt, at line 5.
mkdir -p "$WORK/profiles"
cat >"$WORK/profiles/typo.conf" <<'PROFILE'
name = "typo";
address_base = 0;
signals = (
  { name = "wtur_w"; fc = 4; address = 0; type = "f32"; },
  { name = "wrot_rotspeed"; fc = 4; address = 2; type = "f32"; }
);
states = ( { code = 2; name = "producing"; category = "full performance"; } );
PROFILE
sed -e "s|^profile_dir = .*|profile_dir = \"$WORK/profiles\";|" \
	-e 's/profile = "vento-sim-4500"/profile = "typo"/' "$conf" >"$WORK/typo.conf"
rc=0
n_check "$WORK/typo.conf" || rc=$?
check_eq "an unknown signal name: -n exits 1" 1 "$rc"
check "it names the profile's file and line, and the closest known name" \
	grep -q "typo.conf:5: signal 'wrot_rotspeed' is not one this version stores (did you mean 'wrot_rotspd'?)" "$WORK/n.out"

# A device name in Latin-1 (0xe9 for e-acute), at its line.
line=$(grep -n '"T02"' "$conf" | cut -d: -f1)
sed "s/\"T02\"/\"T\xe902\"/" "$conf" >"$WORK/latin1.conf"
rc=0
n_check "$WORK/latin1.conf" || rc=$?
check_eq "a device name that is not UTF-8: -n exits 1" 1 "$rc"
check "it names file:line and shows the byte" \
	grep -q "latin1.conf:$line: device name 'T\\\\xe902' is not valid UTF-8" "$WORK/n.out"
sed "s/\"T02\"/\"T\xc3\xa902\"/" "$conf" >"$WORK/utf8.conf"
check "the same name in UTF-8 passes" n_check "$WORK/utf8.conf"

# An empty state_dir (it would be the configuration's own directory).
line=$(grep -n '^state_dir' "$conf" | cut -d: -f1)
sed 's|^state_dir = .*|state_dir = "";|' "$conf" >"$WORK/empty.conf"
rc=0
n_check "$WORK/empty.conf" || rc=$?
check_eq "an empty state_dir: -n exits 1" 1 "$rc"
check "it names file:line" grep -q "empty.conf:$line: state_dir is empty" "$WORK/n.out"
rc=0
# Bounded: a ventod that accepted it would run on.
timeout 10 "$BIN/ventod" -c "$WORK/empty.conf" >"$WORK/empty-run.out" 2>&1 || rc=$?
check_eq "and ventod will not start on it" 1 "$rc"

# The catalogue against the database's raw_sample.
"$BIN/ventoctl" -c "$conf" --json signals >"$WORK/signals.json"
check "ventoctl --json signals parses, every entry with name, type, unit, meaning" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s and all(set(e) == {"name", "type", "unit", "meaning"} and e["meaning"] for e in s), s' "$WORK/signals.json"
python3 -c 'import json, sys; print("\n".join(sorted("%s %s" % (e["name"], e["type"]) for e in json.load(open(sys.argv[1])))))' \
	"$WORK/signals.json" >"$WORK/catalogue.txt"
vento_psql -c "SELECT attname || ' ' || format_type(atttypid, NULL) FROM pg_attribute
               WHERE attrelid = 'raw_sample'::regclass AND attnum > 0 AND NOT attisdropped
                 AND attname NOT IN ('time', 'device_id', 'quality', 'farm') ORDER BY 1" >"$WORK/columns.txt"
check_eq "the catalogue is raw_sample's signal columns, with their types ($(wc -l <"$WORK/columns.txt") of them)" \
	"" "$(diff "$WORK/columns.txt" "$WORK/catalogue.txt")"
"$BIN/ventoctl" -c "$conf" signals >"$WORK/signals.txt"
check "ventoctl signals prints a line per signal, with unit and meaning" \
	sh -c "grep -q '^wrot_rotspd  *real  *rpm  *rotor speed\$' '$WORK/signals.txt' && test \$(grep -c . '$WORK/signals.txt') -eq \$((\$(wc -l <'$WORK/catalogue.txt') + 1))"
missing=""
for s in $(cut -d' ' -f1 "$WORK/catalogue.txt"); do
	grep -q "^$s " "$VENTO_ROOT/etc/man/vento.conf.5" || missing="$missing $s"
done
check_eq "vento.conf(5) lists every signal" "" "$missing"

# Run time: the meter's column dropped, T02's registration refused.
port=$(sed -n 's/.*("T02", "127.0.0.1", \([0-9]*\), 1).*/\1/p' "$conf")
sed -i "s|^); } );|); },\n  { kind = \"meter\"; profile = \"vento-sim-meter\"; name = \"GRID\"; host = \"127.0.0.1\"; port = $((port + 1)); } );|" "$conf"
check "with the meter, the configuration passes -n" n_check "$conf"
vento_psql -c "ALTER TABLE raw_sample DROP COLUMN mmxu_hz" \
	-c "ALTER TABLE device ADD CONSTRAINT refuse_t02 CHECK (name <> 'T02')" >/dev/null
vento_start_sim 61
sim=$SIM
vento_start_ventod
ventod=$VENTOD
check "the other devices are stored" vento_wait_drained 30
sleep 4
"$BIN/ventoctl" -c "$conf" status >"$WORK/status.txt" 2>&1
"$BIN/ventoctl" -c "$conf" check spool >"$WORK/check.txt" 2>&1
check_rc=$?
rc=0
vento_stop "$ventod" || rc=$?
check_eq "ventod exits 0" 0 "$rc"
vento_stop "$sim" >/dev/null
check_clean "$WORK/ventod.log" "$WORK/sim.log"
q() { vento_psql -c "$1"; }
stored() { q "SELECT count(*) FROM raw_sample r JOIN device d ON d.id = r.device_id WHERE d.name = '$1'"; }
check "T01 is stored ($(stored T01) rows)" test "$(stored T01)" -ge 4
check_eq "T02 is not" 0 "$(stored T02)"
check_eq "nor the meter" 0 "$(stored GRID)"
check "the log names T02, isolated, and why" \
	grep -q 'T02: its rows cannot be stored (registration refused: .*refuse_t02.*): the device is isolated' "$WORK/ventod.log"
check "the log names the meter and its missing column" \
	grep -q "GRID: its rows cannot be stored (signal 'mmxu_hz' has no column in raw_sample: add it with a migration): the device is isolated" "$WORK/ventod.log"
check "once each, not per tick" test "$(grep -c 'the device is isolated' "$WORK/ventod.log")" -eq 2
isolated=$(vento_health isolated)
check "the health file counts their rows (${isolated:-none})" test "${isolated:-0}" -ge 8
check_eq "collector_health's last row (written at stop) counts them too" "$isolated" \
	"$(vento_psql -c "SELECT lost_isolated FROM collector_health ORDER BY time DESC LIMIT 1")"
check "ventoctl status shows them as lost" grep -q 'LOST since start: .* rows of devices the database cannot store' "$WORK/status.txt"
check "ventoctl check spool warns ($(cat "$WORK/check.txt"))" \
	sh -c "test $check_rc -ge 1 && grep -q 'LOST [0-9]* rows of isolated devices\\|LOST [0-9]* isolated' '$WORK/check.txt'"
vento_compare "$WORK/served.csv"
check_eq "T01: nothing served went missing" 0 "$(q "SELECT count(*) FROM missing WHERE device = 'T01'")"
check_stored_as_served
tap_done

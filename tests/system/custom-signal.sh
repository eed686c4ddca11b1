#!/bin/bash
# custom-signal: a site's own signal, not in the catalogue, reaches the
# database without anyone editing raw_sample. The site's profile reads the
# register the simulated turbine serves its ambient temperature in as
# x_ambient_raw, marked custom; `ventoctl migrate` adds its column,
# ventod stores it, and every stored value is the one served. A name
# outside the catalogue without the mark, or with the mark and without the
# x_ prefix, is refused by ventod -n with its file and line.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=3
base=$(vento_free_base $N) || { echo "Bail out! no free ports"; exit 1; }
vento_write_conf "$WORK/sim.conf" $N "$base"
mkdir -p "$WORK/profiles"
sed -e 's/^name = .*/name = "site-4500";/' \
	-e 's/{ name = "wmet_envtmp"; /{ name = "x_ambient_raw"; custom = true; /' \
	"$VENTO_ROOT/etc/profiles/vento-sim-4500.conf" >"$WORK/profiles/site-4500.conf"
check "the site's profile has its custom signal" \
	grep -q '"x_ambient_raw"; custom = true;' "$WORK/profiles/site-4500.conf"
sed -e "s|^profile_dir = .*|profile_dir = \"$WORK/profiles\";|" \
	-e 's/profile = "vento-sim-4500"/profile = "site-4500"/' "$WORK/sim.conf" >"$WORK/vento.conf"

"$BIN/ventod" -n -c "$WORK/vento.conf" >"$WORK/n.log" 2>&1
check_eq "ventod -n accepts a custom signal" 0 "$?"
"$BIN/ventoctl" -c "$WORK/vento.conf" signals >"$WORK/signals.txt"
check "ventoctl signals lists it as the site's" \
	grep -q '^x_ambient_raw  *real  *C  *custom, profile site-4500' "$WORK/signals.txt"

bad() {
	sed -e "$1" "$WORK/profiles/site-4500.conf" >"$WORK/profiles/bad.conf"
	sed -e 's/profile = "site-4500"/profile = "bad"/' "$WORK/vento.conf" >"$WORK/bad.conf"
	"$BIN/ventod" -n -c "$WORK/bad.conf" >"$WORK/bad.log" 2>&1
}
line=$(grep -n x_ambient_raw "$WORK/profiles/site-4500.conf" | cut -d: -f1)
bad 's/"x_ambient_raw"; custom = true; /"ambient_raw"; /'
check "an unknown name is refused, with its line" \
	grep -q "bad.conf:$line: signal 'ambient_raw' is not one this version stores.*custom = true" "$WORK/bad.log"
bad 's/"x_ambient_raw"; custom = true; /"ambient_raw"; custom = true; /'
check "a custom name without x_ is refused, with its line" \
	grep -q "bad.conf:$line: custom signal 'ambient_raw': a custom name is x_" "$WORK/bad.log"

pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate >"$WORK/migrate.log" 2>&1
check_eq "ventoctl migrate applies" 0 "$?"
check "and adds the custom signal's column" grep -q '^custom signal x_ambient_raw: column added (real)' "$WORK/migrate.log"
check_eq "raw_sample has it" real \
	"$(vento_psql -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'raw_sample'::regclass AND attname = 'x_ambient_raw'")"
check_eq "custom_signal records it" "real C" "$(vento_psql -c "SELECT sql_type || ' ' || unit FROM custom_signal")"
"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate >"$WORK/migrate2.log" 2>&1
check "a second migrate leaves it as it is" sh -c "! grep -q 'column added' '$WORK/migrate2.log'"

# ventosim serves the standard profile: the register is its ambient
# temperature, which ventod stores as x_ambient_raw.
vento_bg sim "$BIN/ventosim" -c "$WORK/sim.conf" --seed 3 --served "$WORK/served.csv" --ready "$WORK/sim.ready"
SIM=$LAST_PID
vento_wait_file "$WORK/sim.ready" 20 || { echo "Bail out! ventosim not ready"; exit 1; }
vento_start_ventod
sleep 6
vento_stop "$VENTOD"
check_eq "ventod exits 0" 0 "$?"
vento_stop "$SIM"
check_clean "$WORK/ventod.log" "$WORK/sim.log"
q() { vento_psql -c "$1"; }
vento_psql -c "CREATE TABLE served (second bigint, device text, signal text, value text, raw text)" \
	-c "\\copy served FROM '$WORK/served.csv' CSV" >/dev/null
stored=$(q "SELECT count(x_ambient_raw) FROM raw_sample WHERE quality = 0")
check "rows with the custom signal were stored ($stored)" test "$stored" -ge $((N * 4))
check_eq "each is the ambient temperature served at its tick" 0 \
	"$(q "SELECT count(*) FROM raw_sample r JOIN device d ON d.id = r.device_id
	      LEFT JOIN served s ON s.device = d.name AND s.signal = 'wmet_envtmp'
	                        AND s.second = extract(epoch FROM r.time)::bigint
	      WHERE r.quality = 0 AND (s.value IS NULL OR r.x_ambient_raw <> s.value::real)")"
check_eq "and the catalogue's column stays empty" 0 "$(q "SELECT count(wmet_envtmp) FROM raw_sample")"
tap_done

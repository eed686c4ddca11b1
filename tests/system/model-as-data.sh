#!/bin/bash
# model-as-data: a turbine model vento has never seen, configured with a
# profile alone (no plugin, no C): 1-based holding registers, word-swapped
# floats (CDAB), a 32-bit Wh counter high word first beside them, and its
# state codes with their IEC 61400-26 categories. ventosim serves the
# profile as written; every stored value must be what it served, and the
# states must reach the database. A turbine profile without states is
# accepted with a warning that says what is lost.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=3
base=$(vento_free_base $N) || { echo "Bail out! no free ports"; exit 1; }
vento_write_conf "$WORK/vento.conf" $N "$base"
mkdir -p "$WORK/profiles"
cat >"$WORK/profiles/acme-n149.conf" <<'PROFILE'
name = "acme-n149";
model = "Acme N149 4.5 MW";
rated_kw = 4500;
address_base = 1;
word_order = "CDAB";
signals = (
  { name = "wtur_w";        fc = 3; address = 1;  type = "f32"; unit = "kW"; },
  { name = "wmet_horwdspd"; fc = 3; address = 3;  type = "f32"; unit = "m/s"; },
  { name = "wrot_rotspd";   fc = 3; address = 5;  type = "f32"; unit = "rpm"; },
  { name = "wtur_totwh";    fc = 3; address = 21; type = "u32"; order = "ABCD"; unit = "Wh"; },
  { name = "wtur_turst";    fc = 3; address = 23; type = "u16"; }
);
states = (
  { code = 1; name = "waiting for wind"; category = "out of environmental specification"; },
  { code = 2; name = "grid operation";   category = "full performance"; },
  { code = 3; name = "storm stop";       category = "out of environmental specification"; },
  { code = 4; name = "error";            category = "forced outage"; },
  { code = 5; name = "service";          category = "scheduled maintenance"; }
);
PROFILE
sed -e "s|^profile_dir = .*|profile_dir = \"$WORK/profiles\";|" \
	-e 's/profile = "vento-sim-4500"/profile = "acme-n149"/' \
	-i "$WORK/vento.conf"

"$BIN/ventod" -n -c "$WORK/vento.conf" >"$WORK/n.log" 2>&1
check_eq "ventod -n accepts the profile" 0 "$?"
check "and has no warning for it" sh -c "! grep -q warning '$WORK/n.log'"

# The same model without its states: accepted, with a warning that names it.
grep -v '^states\|^  { code\|^);$' "$WORK/profiles/acme-n149.conf" >"$WORK/profiles/acme-bare.conf"
echo ');' >>"$WORK/profiles/acme-bare.conf"
sed -i 's/^name = .*/name = "acme-bare";/' "$WORK/profiles/acme-bare.conf"
sed 's/profile = "acme-n149"/profile = "acme-bare"/' "$WORK/vento.conf" >"$WORK/bare.conf"
"$BIN/ventod" -n -c "$WORK/bare.conf" >"$WORK/bare.log" 2>&1
check_eq "a turbine profile without states is accepted" 0 "$?"
check "with a warning naming the profile and what is lost" \
	grep -q "acme-bare.conf: warning: turbine profile 'acme-bare' declares no states.*availability cannot be computed" "$WORK/bare.log"

pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate >/dev/null ||
	{ echo "Bail out! the schema did not apply"; exit 1; }
vento_start_sim 11
vento_start_ventod
sleep 6
rc=0
vento_stop "$VENTOD" || rc=$?
check_eq "ventod exits 0" 0 "$rc"
vento_stop "$SIM"
check_clean "$WORK/ventod.log" "$WORK/sim.log"

vento_compare "$WORK/served.csv"
check "rows were stored ($STORED)" test "$STORED" -ge $((N * 4))
check_stored_as_served
check_eq "every counter value is a 32-bit Wh count" 0 \
	"$(vento_psql -c "SELECT count(*) FROM raw_sample WHERE quality = 0 AND (wtur_totwh IS NULL OR wtur_totwh >= 4294967296)")"
check_eq "the profile's states are in the database with their categories" \
	"1 waiting for wind|out of environmental specification 2 grid operation|full performance 3 storm stop|out of environmental specification 4 error|forced outage 5 service|scheduled maintenance" \
	"$(vento_psql -c "SELECT string_agg(code || ' ' || name || '|' || category, ' ' ORDER BY code) FROM model_state WHERE profile = 'acme-n149'")"
"$BIN/ventoctl" -c "$WORK/vento.conf" status >"$WORK/status.txt" 2>&1
check "status shows the states by the profile's names" \
	grep -Eq "^T01 .*(waiting for wind|grid operation|storm stop|error|service)" "$WORK/status.txt"
tap_done

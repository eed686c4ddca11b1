#!/bin/bash
# gateway: links with several devices behind them. 40 turbines sit behind
# one gateway at one TCP port (unit ids 1..40; the gateway answers one
# request at a time and takes at most two connections), one of them dead,
# and a grid meter and a second meter hang on a serial line spoken in
# Modbus RTU (a pseudo-terminal that ventosim makes). ventod polls each
# link from one thread over one connection: every value it stores must be
# what was served, every device must have a row for every tick, and the
# dead unit's rows must say so while its neighbours keep their schedule.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=40
base=$(vento_free_base 1) || { echo "Bail out! no free ports"; exit 1; }
mkdir -p "$WORK/state"
{
	echo 'database = { conninfo = "dbname=vento"; };'
	echo "state_dir = \"$WORK/state\";"
	echo "profile_dir = \"$VENTO_ROOT/etc/profiles\";"
	echo "plugin_dir = \"$BIN/plugins\";"
	echo 'poll = { interval = 1.0; timeout = 0.5; };'
	echo 'devices = ('
	echo "  { kind = \"turbine\"; profile = \"vento-sim-4500\"; host = \"127.0.0.1\"; port = $((base + 1));"
	echo '    list = ('
	for i in $(seq 1 $N); do
		sep=","
		[ "$i" -eq $N ] && sep=""
		printf '      ("T%02d", %d)%s\n' "$i" "$i" "$sep"
	done
	echo '    ); },'
	echo "  { kind = \"meter\"; profile = \"vento-sim-meter\";"
	echo "    serial = { device = \"$WORK/tty-meters\"; baud = 19200; parity = \"even\"; };"
	echo '    list = ( ("SPARE", 12), ("GRID", 10), ("AUX", 11) ); }'
	echo ');'
} >"$WORK/vento.conf"

"$BIN/ventod" -n -c "$WORK/vento.conf" >"$WORK/n.log" 2>&1
check_eq "ventod -n accepts a gateway and a serial line" 0 "$?"
sed 's/("T02", 2)/("T02", 1)/' "$WORK/vento.conf" >"$WORK/twice.conf"
"$BIN/ventod" -n -c "$WORK/twice.conf" >"$WORK/twice.log" 2>&1
check "the same unit twice behind the gateway is refused" \
	grep -q "device 'T02': unit 1 on 127.0.0.1 port $((base + 1)) is device 'T01' already" "$WORK/twice.log"

pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate >/dev/null ||
	{ echo "Bail out! the schema did not apply"; exit 1; }
vento_start_sim 5 --gateway-clients 2 --fault T07=dead --fault SPARE=dead
check "ventosim made the serial line" test -L "$WORK/tty-meters"

vento_start_ventod
sleep 10
# Each device's lateness: behind one gateway, a unit polled later in the
# round ends later after its tick than the first.
late() { awk -v d="$1" '$2 == d { print $1 }' "$WORK/state/lateness"; }
later=0 prompt=0
for _ in 1 2 3 4 5; do
	a=$(late T01) b=$(late T40) g=$(late GRID)
	[ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt "$a" ] && later=$((later + 1))
	[ -n "$g" ] && [ "$g" -ge 0 ] && [ "$g" -lt 250000 ] && prompt=$((prompt + 1))
	sleep 0.4
done
# The dead meter is polled first on its line: were it asked every tick,
# GRID after it would end 0.5 s late every tick; left to its backoff, it
# costs its timeout only now and then.
check "GRID, behind the dead meter on the line, is mostly on time ($prompt of 5 looks under 250 ms)" \
	test "$prompt" -ge 3
check_eq "the lateness file has every device" 43 "$(wc -l <"$WORK/state/lateness")"
check "T40, polled last, is later than T01 ($later of 5 looks)" test "$later" -ge 3
"$BIN/ventoctl" -c "$WORK/vento.conf" status >"$WORK/status.txt" 2>&1
check "ventoctl status shows each device's lateness" \
	grep -Eq '^T40 +turbine +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+\.[0-9] ' "$WORK/status.txt"
sleep 2
vento_stop "$VENTOD"
check_eq "ventod exits 0" 0 "$?"
q() { vento_psql -c "$1"; }
vento_compare "$WORK/served.csv"

# After the comparison, which ventoctl's read would upset.
"$BIN/ventoctl" -c "$WORK/vento.conf" read AUX mmxu_hz >"$WORK/read.txt" 2>&1
check_eq "ventoctl read reaches a unit on the serial line" 0 "$?"
check "and decodes it" grep -Eq '^mmxu_hz +(49|50|51|59|60|61)\.' "$WORK/read.txt"
vento_stop "$SIM"
check_clean "$WORK/ventod.log" "$WORK/sim.log"
check "the gateway never refused ventod a connection" \
	sh -c "! grep -q 'connection refused' '$WORK/sim.log'"
check "ventosim removed the serial line's link" test ! -e "$WORK/tty-meters"
echo "# rows by quality: $(q "SELECT string_agg(n || ' of ' || quality, ', ' ORDER BY quality) FROM (SELECT quality, count(*) n FROM raw_sample GROUP BY 1) x")"
check_stored_as_served
check_eq "every served tick of every unit was stored" 0 "$MISSING"
first=$(q "SELECT min(time) FROM raw_sample")
last=$(q "SELECT max(time) FROM raw_sample")
check_eq "all 43 devices have a row for every tick" 0 \
	"$(q "SELECT count(*) FROM device d CROSS JOIN generate_series('$first'::timestamptz, '$last', '1 s') t
	      WHERE NOT EXISTS (SELECT 1 FROM raw_sample r WHERE r.device_id = d.id AND r.time = t)")"
check "the dead unit's rows say the gateway could not reach it" \
	test "$(q "SELECT count(*) FROM raw_sample r JOIN device d ON d.id = r.device_id
	           WHERE d.name = 'T07' AND r.quality IN (2, 3)")" -ge 8
check_eq "and none of them is good" 0 \
	"$(q "SELECT count(*) FROM raw_sample r JOIN device d ON d.id = r.device_id WHERE d.name = 'T07' AND r.quality = 0")"
check "the dead meter's rows say timeout" \
	test "$(q "SELECT count(*) FROM raw_sample r JOIN device d ON d.id = r.device_id
	           WHERE d.name = 'SPARE' AND r.quality = 3")" -ge 8
check_eq "and none of them is good or anything but a timeout" 0 \
	"$(q "SELECT count(*) FROM raw_sample r JOIN device d ON d.id = r.device_id WHERE d.name = 'SPARE' AND r.quality <> 3")"
check_eq "its 39 neighbours and both live meters have only good rows" 0 \
	"$(q "SELECT count(*) FROM raw_sample r JOIN device d ON d.id = r.device_id WHERE d.name NOT IN ('T07', 'SPARE') AND r.quality <> 0")"
check "ventod's log names the dead unit" grep -q 'T07: ' "$WORK/ventod.log"
tap_done

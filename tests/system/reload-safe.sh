#!/bin/bash
# reload-safe: SIGHUP never costs a tick nor the daemon. Three turbines
# polled every second:
#   100 SIGHUPs in 4 s: every device still has a row for every tick, each
#   stored once and as served (pollers resume at their next tick);
#   a configuration that passes `ventod -n` but whose state_dir cannot be
#   made: refused before anything stops, the log and systemd's status say
#   why, and the old configuration goes on polling without a gap;
#   a device removed and one added: the others go on without a gap.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 4
conf=$WORK/vento.conf
cp "$conf" "$WORK/vento4.conf"
vento_start_sim 53 # all four turbines
sim=$SIM
# Three of the four turbines to start with; T04 comes with the last reload.
sed -i '/"T04"/d; s/("T03", \(.*\)),$/("T03", \1)/' "$conf"
check "ventod -n accepts the three-turbine configuration" sh -c "\"$BIN/ventod\" -n -c \"$conf\" >/dev/null"
vento_bg listen python3 "$VENTO_ROOT/tests/lib/notify-listen.py" "$WORK/notify.sock" "$WORK/notify.log"
listen=$LAST_PID
n=0
until [ -S "$WORK/notify.sock" ] || [ $n -gt 50 ]; do sleep 0.1; n=$((n + 1)); done
NOTIFY_SOCKET=$WORK/notify.sock vento_start_ventod
ventod=$VENTOD
sleep 3

# 100 SIGHUPs in 4 s.
for _ in $(seq 1 100); do
	kill -HUP "$ventod"
	sleep 0.04
done
sleep 2
check "ventod still runs after 100 SIGHUPs" kill -0 "$ventod"
check "it reloaded" grep -q 'reloaded: polling 3 devices' "$WORK/ventod.log"

# A state_dir that cannot be made (its parent is a file), valid otherwise.
: >"$WORK/not-a-dir"
sed "s|^state_dir = .*|state_dir = \"$WORK/not-a-dir/state\";|" "$conf" >"$WORK/bad.conf"
check "ventod -n accepts it (nothing is made at -n)" sh -c "\"$BIN/ventod\" -n -c \"$WORK/bad.conf\" >/dev/null"
cp "$conf" "$WORK/good.conf"
cp "$WORK/bad.conf" "$conf"
kill -HUP "$ventod"
sleep 2
check "a state_dir that cannot be made: ventod still runs" kill -0 "$ventod"
check "the log says why" grep -q "state_dir $WORK/not-a-dir/state cannot be made: Not a directory" "$WORK/ventod.log"
check "and that the previous configuration runs on" \
	grep -q 'reload: .* cannot be started (see above); still running the previous configuration' "$WORK/ventod.log"
check "systemd's status says so" grep -q 'STATUS=reload failed: .* cannot be started' "$WORK/notify.log"
t0=$(vento_health ticks)
sleep 2
check "the old configuration still polls" test "$(vento_health ticks)" -gt "${t0:-0}"

# T03 removed, T04 added.
sed '/"T03"/d; s/("T02", \(.*\)),$/("T02", \1),/' "$WORK/vento4.conf" >"$conf"
check "ventod -n accepts T01, T02, T04" sh -c "\"$BIN/ventod\" -n -c \"$conf\" >/dev/null"
kill -HUP "$ventod"
sleep 3
rc=0
vento_stop "$ventod" || rc=$?
check_eq "ventod exits 0" 0 "$rc"
vento_stop "$sim" >/dev/null
vento_stop "$listen" >/dev/null 2>&1
check_clean "$WORK/ventod.log" "$WORK/sim.log"
check "it reloaded to T01, T02, T04" grep -q 'reloaded: polling 3 devices' "$WORK/ventod.log"

q() { vento_psql -c "$1"; }
q "CREATE TABLE r AS SELECT d.name, extract(epoch FROM time)::bigint AS t, r.quality
   FROM raw_sample r JOIN device d ON d.id = r.device_id" >/dev/null
first=$(q "SELECT min(t) FROM r")
last=$(($(q "SELECT max(t) FROM r WHERE name = 'T01'") - 1))
ticks=$((last - first + 1))
for d in T01 T02; do
	check_eq "$d: a row for every tick of the $ticks s, through every reload" "$ticks" \
		"$(q "SELECT count(DISTINCT t) FROM r WHERE name = '$d' AND t BETWEEN $first AND $last")"
done
t03_last=$(q "SELECT max(t) FROM r WHERE name = 'T03'")
check_eq "T03: a row for every tick until it was removed" $((t03_last - first + 1)) \
	"$(q "SELECT count(DISTINCT t) FROM r WHERE name = 'T03'")"
check "T04: good rows once added" test "$(q "SELECT count(*) FROM r WHERE name = 'T04' AND quality = 0")" -gt 0
missed=$(q "SELECT count(*) FROM r WHERE quality = 5")
check "reloads cost few ticks a poll ($missed rows missed of $(q "SELECT count(*) FROM r"))" \
	test "$missed" -le 6
vento_compare "$WORK/served.csv"
check_stored_as_served
tap_done

#!/bin/bash
# missed-ticks: a tick that cannot be polled on time still leaves a row,
# whose quality says so. Three turbines polled every second with a 0.9 s
# timeout:
#   T01  healthy: a good row every tick
#   T02  trickles its replies, a byte every 100 ms: the timeout bounds the
#        whole reply, so each read costs at most 0.9 s and every tick has
#        a row (timeout, then link while backing off), never a value
#   T03  answers each of its two reads after 0.6 s: a poll takes 1.2 s,
#        so every other tick cannot start on time and gets a row of
#        quality 5 (missed), with no value, counted in the health file
# The rows of each device have no gap; what was stored is what was served.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 3
sed -i 's/timeout = 0.5;/timeout = 0.9;/' "$WORK/vento.conf"
printf 'T02 hostile:trickle\nT03 slow:600\n' >"$WORK/faults"
vento_start_sim 41 --faults "$WORK/faults"
sim=$SIM
vento_start_ventod
ventod=$VENTOD
sleep 14
rc=0
vento_stop "$ventod" || rc=$?
check_eq "ventod exits 0" 0 "$rc"
vento_stop "$sim" >/dev/null
check_clean "$WORK/ventod.log" "$WORK/sim.log"
health_missed=$(vento_health missed)

q() { vento_psql -c "$1"; }
q "CREATE TABLE r AS SELECT d.name, extract(epoch FROM time)::bigint AS t, r.*
   FROM raw_sample r JOIN device d ON d.id = r.device_id" >/dev/null
first=$(q "SELECT min(t) FROM r")
last=$(q "SELECT max(t) FROM r")
# The last second may be stored for some devices only (stopped mid-tick).
last=$((last - 1))
ticks=$((last - first + 1))
rows() { q "SELECT count(DISTINCT t) FROM r WHERE name = '$1' AND t BETWEEN $first AND $last ${2:-}"; }
check "a run of at least 10 ticks ($ticks)" test "$ticks" -ge 10
check_eq "healthy T01: a good row every tick" "$ticks" "$(rows T01 "AND quality = 0")"
check_eq "trickling T02: a row every tick" "$ticks" "$(rows T02)"
check_eq "trickling T02: its rows say timeout or link" "3,4" \
	"$(q "SELECT string_agg(DISTINCT quality::text, ',' ORDER BY quality::text) FROM r WHERE name = 'T02'")"
check "trickling T02: a read gives up within the timeout, not per byte" \
	grep -q 'T02: .*Connection timed out' "$WORK/ventod.log"
check_eq "slow T03: a row every tick" "$ticks" "$(rows T03)"
missed=$(q "SELECT count(*) FROM r WHERE name = 'T03' AND quality = 5")
good=$(q "SELECT count(*) FROM r WHERE name = 'T03' AND quality = 0")
check "slow T03: the ticks its polls overran are rows of quality missed ($missed)" \
	test "$missed" -ge $((ticks / 3))
check "slow T03: the others are read ($good)" test "$good" -ge $((ticks / 3))
check_eq "a missed row holds no value" 0 \
	"$(q "SELECT count(*) FROM r WHERE quality = 5 AND (wtur_w IS NOT NULL OR wtur_turst IS NOT NULL OR wmet_horwdspd IS NOT NULL)")"
check_eq "the quality table names it" missed "$(q "SELECT name FROM quality WHERE code = 5")"
all_missed=$(q "SELECT count(*) FROM r WHERE quality = 5")
check "the health file counts the missed ticks ($health_missed of $all_missed stored)" \
	test -n "$health_missed" -a "${health_missed:-0}" -ge $((all_missed - 2)) -a "${health_missed:-0}" -le "$all_missed"
vento_compare "$WORK/served.csv"
check_stored_as_served
tap_done

#!/bin/bash
# hostile-replies: turbines whose replies look like Modbus but do not match
# the request, every third request of a connection (the fourth for the
# trailing bytes, so that they trail the last read of a tick, where no
# later read of the same tick trips on them), each kind on its own turbine
# while the rest must not notice:
#   unit      T01 answers as another unit id (a gateway's other turbine)
#   length    T02's MBAP length claims 2 bytes more than it sent
#   trickle   T03 sends its reply a byte every 100 ms (each byte within
#             the 0.5 s timeout, the whole reply far beyond it)
#   trailing  T04 sends 3 stray bytes after its reply
#   second    T05 sends, after a good reply, a second one nobody asked
#             for, with the next transaction id and other values
# No value of a hostile reply is stored as good: the tick it answered has
# a row whose quality says link (timeout for the trickle), the second
# reply never stands in for the next request's, the ticks around are stored
# exactly as served, and the log says what was wrong.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

vento_farm 8
# The spec: a kind, and every Nth request; anything else a usage error.
now=$(date +%s)
accepted=""
for bad in T01=hostile T01=hostile:bogus T01=hostile:unit:0 T01=hostile:unit:3:4 \
	T01=hostile:unit,hostile:length T01=none,hostile:unit; do
	rc=0
	"$BIN/ventosim" -c "$WORK/vento.conf" --fault "$bad" --print T01 "$now" >/dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || accepted="$accepted $bad($rc)"
done
check_eq "malformed hostile specs exit 2" "" "$accepted"
rc=0
"$BIN/ventosim" -c "$WORK/vento.conf" --fault T01=hostile:second:5 --print T01 "$now" >/dev/null 2>&1 || rc=$?
check_eq "hostile:second:5 is a spec" 0 "$rc"
cat >"$WORK/faults" <<'EOF2'
T01 hostile:unit:3
T02 hostile:length:3
T03 hostile:trickle:3
T04 hostile:trailing:4
T05 hostile:second:3
EOF2
vento_start_sim 12 --faults "$WORK/faults"
sim=$SIM
vento_start_ventod
ventod=$VENTOD
sleep 20
rc=0
vento_stop "$ventod" || rc=$?
check_eq "ventod exits 0" 0 "$rc"
vento_stop "$sim" >/dev/null
check_clean "$WORK/ventod.log" "$WORK/sim.log"

q() { vento_psql -c "$1"; }
# The hostile replies ventosim sent, from its log: device, kind, second.
sed -n 's/.*ventosim: \(T[0-9]*\): hostile reply (\([a-z]*\)) in second \([0-9]*\)$/\1,\2,\3/p' \
	"$WORK/sim.log" >"$WORK/hostile.csv"
q "CREATE TABLE hostile (device text, kind text, t bigint)" >/dev/null
q "\\copy hostile FROM '$WORK/hostile.csv' CSV" >/dev/null
q "CREATE TABLE r AS SELECT d.name, extract(epoch FROM time)::bigint AS t, r.quality
   FROM raw_sample r JOIN device d ON d.id = r.device_id" >/dev/null

for kind in unit length trickle trailing second; do
	n=$(q "SELECT count(*) FROM hostile WHERE kind = '$kind'")
	check "$kind: ventosim sent hostile replies ($n)" test "$n" -ge 2
done
# The rows of the ticks the hostile replies answered.
answered="SELECT h.kind, r.quality FROM hostile h JOIN r ON r.name = h.device AND r.t = h.t"
for kind in unit length trailing; do
	check_eq "$kind: no tick answered by it has a good row; each says link" "4" \
		"$(q "SELECT string_agg(DISTINCT quality::text, ',') FROM ($answered) x WHERE kind = '$kind'")"
done
check_eq "trickle: no tick answered by it has a good row; each says timeout" "3" \
	"$(q "SELECT string_agg(DISTINCT quality::text, ',') FROM ($answered) x WHERE kind = 'trickle'")"
# The second reply arrives after a good one: the tick of the good one, or
# the next, is refused, never both taken.
check_eq "second: the reply nobody asked for is refused (a link row at its tick or the next)" 0 \
	"$(q "SELECT count(*) FROM hostile h WHERE kind = 'second'
	      AND h.t < (SELECT max(t) FROM r) - 1
	      AND NOT EXISTS (SELECT 1 FROM r WHERE r.name = h.device
	                      AND r.t IN (h.t, h.t + 1) AND r.quality = 4)")"

vento_compare "$WORK/served.csv"
check_stored_as_served
check_eq "every tick served has its row" 0 "$MISSING"
check_eq "the healthy turbines' rows are all good" 0 \
	"$(q "SELECT count(*) FROM r WHERE name IN ('T06', 'T07', 'T08') AND quality <> 0")"
check "each hostile turbine still has good ticks between its bad replies" test \
	"$(q "SELECT min(n) FROM (SELECT count(*) FILTER (WHERE quality = 0) n FROM r
	      WHERE name IN ('T01', 'T02', 'T03', 'T04', 'T05') GROUP BY name) x")" -ge 3
check "the log says what was wrong: another unit" \
	grep -q 'T01: .* reply refused: unit id 2, not 1' "$WORK/ventod.log"
check "the log says what was wrong: a lying length" \
	grep -q 'T02: .* reply refused: MBAP length' "$WORK/ventod.log"
check "the log says what was wrong: stray bytes" \
	grep -q 'T04: .* reply refused: 3 bytes after the reply' "$WORK/ventod.log"
check "the log says what was wrong: a reply nobody asked for" \
	grep -Eq 'T05: .* reply refused: ([0-9]+ bytes (waiting before the request|after the reply)|function code)' "$WORK/ventod.log"
tap_done

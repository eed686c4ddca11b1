#!/bin/bash
# sim-faults: ventosim alone, with `ventoctl read` as the client. Every
# fault kind does on the wire what ventosim promises (dead, slow, late,
# exception, disconnect, garbage, refuse, wrap, reset, fault:stop,
# maintenance); the faults file is re-read on SIGHUP, bad lines reported
# as FILE:LINE; a gen-2 turbine's u32 counter wraps; the grid meter serves
# the turbines' sum less the losses, or imports; and the served log never
# holds a second whose reply was an exception, garbage, or never sent.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

base=$(vento_free_base 5) || { echo "Bail out! no free ports"; exit 1; }
conf=$WORK/vento.conf
faults=$WORK/faults.txt
served=$WORK/served.csv
cat >"$conf" <<EOF
database = { conninfo = "dbname=vento"; };
state_dir = "$WORK/state";
profile_dir = "$VENTO_ROOT/etc/profiles";
plugin_dir = "$BIN/plugins";
poll = { interval = 1.0; timeout = 0.5; };
devices = (
  { kind = "turbine"; profile = "vento-sim-4500"; list = (
      ("T01", "127.0.0.1", $((base + 1)), 1),
      ("T02", "127.0.0.1", $((base + 2)), 1),
      ("T03", "127.0.0.1", $((base + 3)), 1) ); },
  { kind = "turbine"; profile = "vento-sim-gen2"; list = (
      ("T04", "127.0.0.1", $((base + 4)), 1) ); },
  { kind = "meter"; profile = "vento-sim-meter"; name = "GRID";
    host = "127.0.0.1"; port = $((base + 5)); }
);
EOF
mkdir -p "$WORK/state"

# read DEVICE [SIGNAL...]: ventoctl read, stdout and stderr, status in $RC.
read_dev() {
	RC=0
	OUT=$("$BIN/ventoctl" -c "$conf" read "$@" 2>&1) || RC=$?
}
# value DEVICE SIGNAL: the decoded value, or "" when the read failed.
value() {
	"$BIN/ventoctl" -c "$conf" read "$1" "$2" 2>/dev/null | awk -v s="$2" '$1 == s { print $2 }'
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# logged DEVICE FROM TO: served-log lines of DEVICE for seconds FROM..TO.
logged() {
	awk -F, -v d="$1" -v a="$2" -v b="$3" '$2 == d && $1 >= a && $1 <= b' "$served" | wc -l
}
# served_at SECOND DEVICE SIGNAL: a value from the served log.
served_at() {
	awk -F, -v t="$1" -v d="$2" -v s="$3" '$1 == t && $2 == d && $3 == s { print $4 }' "$served"
}
# hup N: sends SIGHUP and waits until N more "faults" lines are in
# ventosim's log, then for the next second: production states and counter
# actions take effect from the second after the change.
hup() {
	local want n=50
	want=$(($(grep -c ': faults ' "$WORK/sim.log") + $1))
	kill -HUP "$sim"
	while [ "$(grep -c ': faults ' "$WORK/sim.log")" -lt "$want" ]; do
		[ "$n" -le 0 ] && return 1
		n=$((n - 1))
		sleep 0.1
	done
	sleep 1
}
in_range() { awk -v x="$1" -v a="$2" -v b="$3" 'BEGIN { exit !(x >= a && x <= b) }'; }

# A seed whose wind holds T04 at rated power for the next minute, so that
# `wrap` (30 s of rated power below 2^32 Wh) wraps within about 30 s.
start=$(date +%s)
seed=""
for s in $(seq 1 60); do
	good=1
	for dt in 5 15 25 35 45 55 65; do
		p=$("$BIN/ventosim" -c "$conf" --seed "$s" --print T04 $((start + dt)) 2>/dev/null |
			sed -n 's/^wtur_w=//p')
		[ "$p" = 4500 ] || { good=0; break; }
	done
	[ "$good" = 1 ] && { seed=$s; break; }
done
echo "# seed ${seed:-none (no windy seed: wrap and meter checks skipped)}"

# Malformed --fault specs are usage errors (exit 2); --print shows a
# production state.
accepted=""
for bad in T01=slow:0 T01=late:60001 T01=wrap,reset T01=none,dead T01=dead,,garbage \
	T01=exception:5:0:2 T01=exception:4:0 T01=fault:stop,maintenance GRID=fault:stop \
	GRID=wrap T09=dead T01 T01=frobnicate; do
	rc=0
	"$BIN/ventosim" -c "$conf" --fault "$bad" --print T01 "$start" >/dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || accepted="$accepted $bad($rc)"
done
check_eq "malformed --fault specs exit 2" "" "$accepted"
check_eq "--print honours fault:stop" "wtur_turst=4" \
	"$("$BIN/ventosim" -c "$conf" --fault T01=fault:stop --print T01 "$start" 2>/dev/null | grep turst)"

cat >"$faults" <<EOF
# Faults at start; re-read on SIGHUP.
T03 exception:4:8:2
T04 wrap
T05 dead
T01 frobnicate
EOF
vento_bg sim "$BIN/ventosim" -c "$conf" --seed "${seed:-1}" --served "$served" \
	--ready "$WORK/sim.ready" --fault T02=dead --faults "$faults"
sim=$LAST_PID
vento_wait_file "$WORK/sim.ready" 20 || { cat "$WORK/sim.log"; echo "Bail out! ventosim not ready"; exit 1; }

check "a bad line names FILE:LINE (no such device)" grep -q "faults.txt:4: no device 'T05'" "$WORK/sim.log"
check "a bad line names FILE:LINE (unknown fault)" grep -q "faults.txt:5: T01: unknown fault 'frobnicate'" "$WORK/sim.log"
check "--fault and the file are applied at start" \
	grep -q 'T02: faults none -> dead' "$WORK/sim.log"

# The gen-2 turbine: 1-based CDAB profile, u32 counter, wrapped to just
# below 2^32 by `wrap` at start.
read_dev T04
check_eq "T04 (gen-2 profile) reads" 0 "$RC"
wh0=$(echo "$OUT" | awk '$1 == "wtur_totwh" { print $2 }')
check "wrap sets the u32 counter 30 s of rated power below 2^32 ($wh0)" \
	in_range "${wh0:-0}" $((4294967296 - 37500)) 4294967295
check "read labels a u32 with its word order" \
	sh -c "echo '$OUT' | grep -q '^wtur_totwh .*(holding register 101, u32 CDAB)\$'"
check "and a single register without one" \
	sh -c "echo '$OUT' | grep -q '^wtur_turst .*(holding register 103, u16)\$'"
wrapped_at=$(sed -n 's/.*T04: energy counter set to .* from second \([0-9]*\),.*/\1/p' "$WORK/sim.log")

# dead: connections accepted, never an answer.
t0=$(date +%s) m0=$(now_ms)
read_dev T02 wtur_w
m1=$(now_ms)
check "dead: the read fails with a timeout" test "$RC" -ne 0 -a -n "$(echo "$OUT" | grep 'timed out')"
check "dead: after the client's 0.5 s timeout ($((m1 - m0)) ms)" test $((m1 - m0)) -ge 450
check_eq "dead: nothing logged as served" 0 "$(logged T02 "$t0" "$(date +%s)")"

# exception:4:8:2 on T03: the block with register 8 fails, others read.
read_dev T03 wmet_horwdspd
check "exception: the read covering address 8 gets exception 2" \
	test "$RC" -ne 0 -a -n "$(echo "$OUT" | grep 'Illegal data address')"
read_dev T03 wtur_w
check_eq "exception: another block reads" 0 "$RC"
read_dev T03
check_eq "exception: reading all signals, 11 of 12 read" 11 \
	"$(echo "$OUT" | grep -c ' raw ')"

# SIGHUP: change and clear.
cat >"$faults" <<EOF
T01 garbage
T02 none
T03 exception:4:0:4
T09 slow:10
EOF
check "SIGHUP re-reads the faults file" hup 3
check "SIGHUP reports a bad line as FILE:LINE" grep -q "faults.txt:4: no device 'T09'" "$WORK/sim.log"
check "SIGHUP logs the change of each device" grep -q 'T03: faults exception:4:8:2 -> exception:4:0:4' "$WORK/sim.log"
read_dev T02 wtur_w
check_eq "SIGHUP cleared dead: T02 reads" 0 "$RC"
read_dev T03 wmet_horwdspd
check_eq "SIGHUP replaced T03's exception: address 8 reads again" 0 "$RC"

sleep 1 # T03 was read in this second
t0=$(date +%s)
for _ in 1 2 3; do
	read_dev T01 wtur_w
	[ "$RC" -ne 0 ] || break
done
check "garbage: the read fails" test "$RC" -ne 0
check "garbage: not as an exception" test -z "$(echo "$OUT" | grep -i 'illegal\|failure')"
for _ in 1 2 3; do
	read_dev T03 wtur_w
done
check "exception 4: the read fails with a server failure" \
	test "$RC" -ne 0 -a -n "$(echo "$OUT" | grep 'server failure')"
t1=$(date +%s)
check_eq "garbage replies are not logged as served" 0 "$(logged T01 "$t0" "$t1")"
check_eq "exception replies are not logged as served" 0 "$(logged T03 "$t0" "$t1")"

cat >"$faults" <<EOF
T01 slow:300
T02 late:1500
T03 disconnect:3
EOF
hup 3
t0=$(date +%s) m0=$(now_ms)
read_dev T01 wtur_w
m1=$(now_ms)
check_eq "slow:300 under the 0.5 s timeout: the read works" 0 "$RC"
check "slow:300: the reply comes 300 ms late ($((m1 - m0)) ms)" test $((m1 - m0)) -ge 300
check "slow: a reply sent late is logged as served" test "$(logged T01 "$t0" "$(date +%s)")" -gt 0

t0=$(date +%s)
read_dev T02 wtur_w
check "late:1500: the read times out" test "$RC" -ne 0 -a -n "$(echo "$OUT" | grep 'timed out')"
sleep 1.5
check_eq "late: the reply never sent (the client closed) is not logged" 0 \
	"$(logged T02 "$t0" "$(date +%s)")"

read_dev T03
check "disconnect:3: reading all signals fails" test "$RC" -ne 0
check_eq "disconnect:3: two requests answered, the third closes the connection" 2 \
	"$(echo "$OUT" | grep -c ' raw ')"

echo "GRID refuse:3" >"$faults"
m0=$(now_ms)
hup 1
read_dev GRID mmxu_totw
check "refuse:3: connection refused" test "$RC" -ne 0 -a -n "$(echo "$OUT" | grep 'refused')"
sleep "$(awk -v m="$(($(now_ms) - m0))" 'BEGIN { t = (3300 - m) / 1000; printf "%.1f", (t > 0 ? t : 0) }')"
read_dev GRID mmxu_totw
check_eq "refuse:3: the meter accepts again after 3 s" 0 "$RC"

# Production faults, reset, and the meter.
cat >"$faults" <<EOF
T01 fault:stop
T02 maintenance
T03 reset
GRID none
EOF
hup 4
read_dev T01 wtur_w wtur_turst
check_eq "fault:stop: T01 serves 0 kW" 0 "$(echo "$OUT" | awk '$1 == "wtur_w" { print $2 }')"
check_eq "fault:stop: T01 serves state 4" 4 "$(echo "$OUT" | awk '$1 == "wtur_turst" { print $2 }')"
read_dev T02 wtur_w wtur_turst
check_eq "maintenance: T02 serves 0 kW" 0 "$(echo "$OUT" | awk '$1 == "wtur_w" { print $2 }')"
check_eq "maintenance: T02 serves state 5" 5 "$(echo "$OUT" | awk '$1 == "wtur_turst" { print $2 }')"
wh=$(value T03 wtur_totwh)
check "reset: T03's counter dropped to near 0 ($wh Wh)" in_range "${wh:-x}" 0 20000

if [ -n "$seed" ]; then
	# The meter at one second S against the turbines at S, all from the
	# served log: the four turbines and the meter are read at once,
	# again until they fall in the same second.
	ok_meter=""
	for _ in 1 2 3 4 5 6 7 8; do
		pids=()
		for d in T01 T02 T03 T04; do
			"$BIN/ventoctl" -c "$conf" read $d wtur_w >/dev/null 2>&1 &
			pids+=($!)
		done
		"$BIN/ventoctl" -c "$conf" read GRID mmxu_totw >/dev/null 2>&1 &
		pids+=($!)
		wait "${pids[@]}"
		S=$(awk -F, '$2 == "GRID" { s = $1 } END { print s }' "$served")
		sum=0 all=1
		for d in T01 T02 T03 T04; do
			w=$(served_at "$S" $d wtur_w)
			[ -n "$w" ] || { all=0; break; }
			sum=$(awk -v a="$sum" -v b="$w" 'BEGIN { print a + b }')
		done
		[ "$all" = 1 ] && { ok_meter=1; break; }
	done
	totw=$(served_at "${S:-0}" GRID mmxu_totw)
	check "the meter and the four turbines were read in the same second" test -n "$ok_meter"
	check "meter: mmxu_totw $totw = (1 - 2.5 %) x sum of wtur_w $sum at second $S" \
		awk -v t="${totw:-0}" -v s="$sum" 'BEGIN { d = t - 0.975 * s; if (d < 0) d = -d; exit !(s > 0 && d <= 0.001 * s + 1) }'
	check "meter: the stopped turbines count 0, the others produce" \
		awk -v t="${totw:-0}" 'BEGIN { exit !(t > 0 && t <= 0.975 * 2 * 4500 + 1) }'
	hz=$(value GRID mmxu_hz)
	check "meter: 60 Hz +- 0.02 ($hz)" in_range "${hz:-0}" 59.98 60.02

	# wrap: the u32 counter goes down within ~35 s of the wrap.
	prev=$wh0 dropped=""
	while [ $(($(date +%s) - ${wrapped_at:-0})) -le 45 ]; do
		wh=$(value T04 wtur_totwh)
		if [ -n "$wh" ] && [ "$wh" -lt "$prev" ]; then
			dropped=$(($(date +%s) - ${wrapped_at:-0}))
			break
		fi
		[ -n "$wh" ] && prev=$wh
		sleep 1
	done
	check "wrap: T04's counter went down (from $prev to $wh) ${dropped:-never} s after the jump" \
		test -n "$dropped" -a "${dropped:-99}" -le 40
	check "wrap: it keeps counting from 0 (read $wh Wh)" in_range "${wh:-x}" 0 40000
	check_eq "wrap: every counter served by T04 is below 2^32" 0 \
		"$(awk -F, '$2 == "T04" && $3 == "wtur_totwh" && $4 >= 4294967296' "$served" | wc -l)"
	check "wrap: the served log holds the wrap" \
		awk -F, '$2 == "T04" && $3 == "wtur_totwh" { if (p != "" && $4 < p) w = 1; p = $4 } END { exit !w }' "$served"
else
	for what in "meter: the turbines' sum less the losses" "wrap: T04's counter goes down and counts from 0"; do
		skip "$what" "no seed with wind enough found"
	done
fi

# Nothing produced: the meter imports the auxiliary consumption.
cat >"$faults" <<EOF
T03 maintenance
T04 fault:stop
EOF
hup 2
sleep 1
d0=$(value GRID mmtr_dmdwh)
check_eq "meter: with every turbine stopped it imports 40 kW" -40 "$(value GRID mmxu_totw)"
sleep 2
d1=$(value GRID mmtr_dmdwh)
check "meter: the import counter grows (${d0:-?} -> ${d1:-?} Wh)" \
	test "${d1:-0}" -ge $((${d0:-0} + 20))

cat >"$faults" <<EOF
T01 none
T02 none
T03 none
T04 none
EOF
hup 4
check "clearing: T02's state is the wind's again" in_range "$(value T02 wtur_turst)" 1 3
check "clearing: the log says so" grep -q 'T04: faults fault:stop -> none' "$WORK/sim.log"

# SIGTERM with faults active and a reply held.
cat >"$faults" <<EOF
T02 late:3000
T03 refuse:60
GRID dead
EOF
hup 3
vento_bg held "$BIN/ventoctl" -c "$conf" read T02 wtur_w
sleep 0.2
rc=0
vento_stop "$sim" || rc=$?
check_eq "ventosim exits 0 on SIGTERM with faults active and a reply held" 0 "$rc"
check_clean "$WORK/sim.log"
tap_done

#!/bin/bash
# high-sockets: a ventod whose device sockets are numbered above 1023, as
# they are on a farm of more than about a thousand devices. libmodbus waits
# with select(2), which cannot watch such a socket, so each request runs on
# a duplicate below 1024 lent for its length. Here ventod starts with
# descriptors 3..699 already taken, which puts every socket it opens past
# the point where links move them above 1023. The rows must be exactly as
# served, a dead turbine's rows must say "timeout", and a turbine that
# drops the connection must come back, all on lent descriptors.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

vento_farm 20

# Too few descriptors allowed: refused at start, with the reason.
out=$( (ulimit -n 1030 && "$BIN/ventod" -n -c "$WORK/vento.conf") 2>&1)
check "with a limit of 1030 descriptors, 20 devices are refused" test $? -ne 0
check "the refusal names the limit to raise ($out)" \
	grep -q "20 devices need 1044 descriptors, and the limit is 1030: raise LimitNOFILE" <<<"$out"

printf 'T05 dead\nT07 disconnect:4\n' >"$WORK/faults"
vento_start_sim 11 --faults "$WORK/faults"
sim=$SIM

# The held descriptors are the shell's, inherited by ventod alone.
rm -f "$WORK/state/health"
(
	for fd in $(seq 3 699); do
		eval "exec $fd</dev/null"
	done
	exec "$BIN/ventod" -d -c "$WORK/vento.conf"
) >"$WORK/ventod.log" 2>&1 &
ventod=$!
VENTO_PIDS="$VENTO_PIDS $ventod"
sleep 4

# Sockets by number, from ventod's descriptor table.
high=0
low=0
for link in /proc/"$ventod"/fd/*; do
	case $(readlink "$link") in
	socket:*)
		if [ "${link##*/}" -ge 1024 ]; then
			high=$((high + 1))
		elif [ "${link##*/}" -ge 700 ]; then
			low=$((low + 1))
		fi ;;
	esac
done
check "at least 18 device sockets are numbered above 1023 ($high)" test "$high" -ge 18
check "no device socket stays between 700 and 1023 ($low; the database's may)" test "$low" -le 2
sleep 6
lent=$(grep -c 'connected to 127.0.0.1:[0-9]*, socket [0-9]*, lent below 1024 for each request' "$WORK/ventod.log")
check "the debug log shows each healthy turbine's connection lent below 1024 ($lent)" test "$lent" -ge 18
check "the debug log shows batches stored" grep -q 'writer: stored [0-9]* records, [0-9]* rows' "$WORK/ventod.log"

rc=0
vento_stop "$ventod" || rc=$?
check_eq "ventod ran to the end and exits 0 on SIGTERM (glibc aborts on a select() of a socket above 1023)" 0 "$rc"
vento_stop "$sim" >/dev/null
check_clean "$WORK/ventod.log" "$WORK/sim.log"

q() { vento_psql -c "$1"; }
check_eq "20 turbines have rows" 20 "$(q "SELECT count(DISTINCT device_id) FROM raw_sample")"
check_eq "no gap: each turbine has one row per second from its first to its last" 0 \
	"$(q "SELECT count(*) FROM (SELECT device_id FROM raw_sample GROUP BY device_id
	      HAVING count(*) <> extract(epoch FROM max(time) - min(time)) + 1) g")"
check_eq "the healthy turbines' rows are all quality ok" 0 \
	"$(q "SELECT count(*) FROM raw_sample r JOIN device d ON d.id = r.device_id
	      WHERE d.name NOT IN ('T05', 'T07') AND quality <> 0")"
check "the dead turbine's rows say timeout, or link while it backs off" test \
	"$(q "SELECT count(*) FILTER (WHERE quality = 3) > 0 AND count(*) FILTER (WHERE quality NOT IN (3, 4)) = 0
	      FROM raw_sample r JOIN device d ON d.id = r.device_id WHERE d.name = 'T05'")" = t
check "the turbine that drops its connection reconnects and is read again" test \
	"$(q "SELECT count(*) FILTER (WHERE quality = 0) > 4 FROM raw_sample r
	      JOIN device d ON d.id = r.device_id WHERE d.name = 'T07'")" = t
vento_compare "$WORK/served.csv"
check_stored_as_served
tap_done

#!/bin/bash
# disk-full: the state directory is a 256 KiB filesystem and the database is
# away long enough for the spool to fill it. Ticks that cannot be spooled
# are counted and shown; ventoctl status and check spool still tell the
# truth (ventod is running, the database is down); and once the database
# returns, the spool is stored and freed and delivery goes on: no tick is
# lost once the backlog is stored, and every tick missing is counted.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=40
vento_farm $N
mnt="$WORK/state"
mount -t tmpfs -o size=256k,mode=0755 tmpfs "$mnt" ||
	{ echo "1..0 # SKIP cannot mount a small filesystem"; exit 0; }
trap 'umount "$mnt" 2>/dev/null; vento_cleanup' EXIT

vento_start_sim 41
sim=$SIM
vento_start_ventod
ventod=$VENTOD
check "the first rows are stored" vento_wait_drained 30

pg_stop "$WORK"
n=0
until [ "$(vento_health lost)" -gt 0 ] 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -gt 900 ] && break
	sleep 0.1
done
check "the filesystem fills: ticks not spooled are counted ($(vento_health lost))" test "$(vento_health lost)" -gt 0
sleep 3
"$BIN/ventoctl" -c "$WORK/vento.conf" status >"$WORK/status-full.txt" 2>&1
check "ventoctl status says ventod runs, the database is down" \
	grep -q "collector: pid $ventod, updating .* database DOWN" "$WORK/status-full.txt"
check "and shows the rows lost" grep -q 'LOST since start: [1-9][0-9]* rows not spooled' "$WORK/status-full.txt"
"$BIN/ventoctl" -c "$WORK/vento.conf" check spool >"$WORK/check-full.txt" 2>&1
rc=$?
check "check spool does not say ventod is not running" bash -c "! grep -q 'not running' '$WORK/check-full.txt'"
check "check spool says what is lost (exit $rc)" grep -q 'LOST [1-9][0-9]* rows not spooled' "$WORK/check-full.txt"

pg_resume "$WORK"
check "the spool drains once the database is back" vento_wait_drained 60
drained_at=$(date +%s)
lost=$(vento_health lost)
sleep 10
check_eq "no tick is lost after that" "$lost" "$(vento_health lost)"
check "the spool is freed ($(vento_health spool_bytes) bytes)" test "$(vento_health spool_bytes)" -lt 65536
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
vento_stop "$sim" >/dev/null || true
vento_compare "$WORK/served.csv"
# (The tick of the very second the backlog was found stored may have met
# the disk still full: it is counted, as the last check shows.)
check_eq "every tick served after the spool drained is stored" 0 \
	"$(vento_psql -c "SELECT count(*) FROM missing WHERE second > $drained_at")"
check_eq "the rows missing are the rows counted lost" "$lost" "$MISSING"
check_stored_as_served
check_clean "$WORK/ventod.log"
tap_done

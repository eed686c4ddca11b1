#!/bin/bash
# ventod-notify: the systemd protocol, with a stand-in notification socket
# (no systemd runs here): READY once started; STATUS; WATCHDOG pings at
# half the interval while the pollers and the writer make progress, and no
# pings while the writer is stuck; RELOADING then READY on SIGHUP; a bad
# configuration on SIGHUP leaves the old one running and says so; STOPPING
# on SIGTERM. And the unit file passes systemd-analyze.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_farm 3

vento_bg listen python3 "$VENTO_ROOT/tests/lib/notify-listen.py" "$WORK/notify.sock" "$WORK/notify.log"
listener=$LAST_PID
n=0
until [ -S "$WORK/notify.sock" ] || [ $n -gt 50 ]; do sleep 0.1; n=$((n + 1)); done
NOTIFY_SOCKET=$WORK/notify.sock WATCHDOG_USEC=2000000 vento_start_ventod
ventod=$VENTOD
sleep 6
msgs() { cut -d' ' -f2- "$WORK/notify.log"; }
check_eq "READY=1 once" 1 "$(msgs | grep -c 'READY=1')"
check "STATUS says what ventod does" grep -q 'STATUS=.*devices answering, database up' "$WORK/notify.log"
pings() { awk -v from="$1" '$2 == "WATCHDOG=1" && $1 >= from { print $1 }' "$WORK/notify.log"; }
start=$(awk 'NR == 1 { print $1 }' "$WORK/notify.log")
check "WATCHDOG pings while working ($(pings "$start" | wc -l) in about 6 s)" test "$(pings "$start" | wc -l)" -ge 4
gap=$(pings "$start" | awk 'NR > 1 { if ($1 - prev > max) max = $1 - prev } { prev = $1 } END { print max + 0 }')
check "pings at most about half the 2 s interval apart (largest gap $gap ms)" test "$gap" -le 1300

# The writer stuck in the database: pings must stop.
check "the writer is held inside a transaction" vento_hold_writer
stuck_at=$(python3 -c 'import time; print(int(time.monotonic() * 1000))')
sleep 9
check_eq "no WATCHDOG from 6 s after the writer stuck" 0 "$(pings $((stuck_at + 6000)) | wc -l)"
vento_release_writer
released_at=$(python3 -c 'import time; print(int(time.monotonic() * 1000))')
sleep 4
check "pings resume once the writer moves again" test "$(pings "$released_at" | wc -l)" -ge 2

# Reload with a valid configuration.
kill -HUP "$ventod"
sleep 3
after_hup=$(grep -n 'RELOADING=1' "$WORK/notify.log" | head -1 | cut -d: -f1)
check "SIGHUP: RELOADING=1" test -n "$after_hup"
check "then READY=1 with the reloaded status" sh -c "tail -n +${after_hup:-1} '$WORK/notify.log' | grep -q 'READY=1|STATUS=reloaded: polling 3 devices'"

# Reload with a broken configuration: the old one keeps running.
cp "$WORK/vento.conf" "$WORK/vento.conf.good"
echo 'poll = { interval = "often"; };' >>"$WORK/vento.conf"
lines=$(wc -l <"$WORK/notify.log")
kill -HUP "$ventod"
sleep 3
check "a bad configuration: RELOADING then READY with the failure in STATUS" \
	sh -c "tail -n +$((lines + 1)) '$WORK/notify.log' | grep -q 'READY=1|STATUS=reload failed: .* is not valid'"
check "the log names the error with its file and line" grep -q 'vento.conf:[0-9][0-9]*: duplicate setting' "$WORK/ventod.log"
t0=$(vento_health ticks)
sleep 2
check "ventod still polls with the old configuration" test "$(vento_health ticks)" -gt "$t0"

vento_stop "$ventod"
check_eq "SIGTERM: exit 0" 0 "$?"
check "STOPPING=1 sent" grep -q 'STOPPING=1' "$WORK/notify.log"
vento_stop "$listener" >/dev/null 2>&1

# The unit file, where systemd-analyze is installed.
if command -v systemd-analyze >/dev/null; then
	unit=$WORK/ventod.service
	sed -e "s|/usr/local/sbin/ventod|$BIN/ventod|g" -e "s|/usr/local/etc/vento|$WORK|g" \
		"$VENTO_ROOT/etc/systemd/ventod.service" >"$unit"
	cp "$WORK/vento.conf.good" "$WORK/vento.conf"
	check "systemd-analyze verify accepts the unit" systemd-analyze verify --man=no "$unit"
	score=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	check "systemd-analyze security scores 2.0 or better ($score)" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'
else
	skip "systemd-analyze verify and security" "systemd-analyze not installed"
fi
tap_done

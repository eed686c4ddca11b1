#!/bin/bash
# demo.sh - `make demo`: a private PostgreSQL, ventosim serving the 40
# turbines of etc/vento.conf, ventod polling them, and `ventoctl status`
# refreshing every second until Ctrl-C (or for DEMO_SECONDS seconds). Then
# everything it started is stopped and removed.
set -u
. "$(dirname "$0")/common.sh"
vento_setup

conf=$WORK/vento.conf
# The shipped configuration, with the state and profiles found from here.
sed -e "s|^state_dir = .*|state_dir = \"$WORK/state\";|" \
	-e "s|^profile_dir = .*|profile_dir = \"$VENTO_ROOT/etc/profiles\";|" \
	"$VENTO_ROOT/etc/vento.conf" >"$conf"
echo "plugin_dir = \"$BIN/plugins\";" >>"$conf"
mkdir -p "$WORK/state"

for port in $(sed -n 's/.*"127.0.0.1", \([0-9]*\),.*/\1/p' "$conf"); do
	if (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
		echo "demo: port $port is in use; the demo farm needs 15001..15040" >&2
		exit 1
	fi
done

echo "demo: starting a private PostgreSQL in $WORK" >&2
pg_start "$WORK" || exit 1
"$BIN/ventoctl" -c "$conf" --schema-dir "$VENTO_ROOT/schema" migrate >&2 || exit 1
vento_bg ventosim "$BIN/ventosim" -c "$conf" --ready "$WORK/sim.ready"
vento_wait_file "$WORK/sim.ready" 20 || { cat "$WORK/ventosim.log" >&2; exit 1; }
vento_bg ventod "$BIN/ventod" -c "$conf"
echo "demo: ventosim serves 40 turbines; ventod polls them (logs in $WORK)" >&2
sleep 2

end=$((SECONDS + ${DEMO_SECONDS:-999999999}))
while [ "$SECONDS" -lt "$end" ]; do
	[ -t 1 ] && printf '\033[H\033[2J'
	date -u '+%Y-%m-%d %H:%M:%S UTC   (Ctrl-C to stop)'
	"$BIN/ventoctl" -c "$conf" status
	if ! kill -0 "$LAST_PID" 2>/dev/null; then
		echo "demo: ventod stopped; its log:" >&2
		tail -20 "$WORK/ventod.log" >&2
		exit 1
	fi
	sleep 1
done

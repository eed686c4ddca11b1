#!/bin/bash
# fleet-upgrade: a running fleet upgraded from the previous version
# (tests/lib/previous-version, built from this repository's history) in
# the order the README gives: the fleet first, then each farm (ventod
# stopped, migrate, this version's ventod started, `fleet refresh` at the
# fleet). Two farms of the previous version replicate to a fleet of the
# previous version; at every step, with the fleet ahead of both farms and
# then of one, every subscription streams on and every table the farms
# publish is equal at the fleet; the tables the new version publishes
# arrive once the farm is migrated and refreshed; nothing doubles.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=3
. "$VENTO_ROOT/tests/lib/fleet.sh"

prev=$(sed -n '1s/^\([0-9a-f]\{40\}\)$/\1/p' "$VENTO_ROOT/tests/lib/previous-version")
if [ -z "$prev" ] || ! git -C "$VENTO_ROOT" cat-file -e "$prev^{commit}" 2>/dev/null; then
	skip "a fleet of the previous version upgrades" "its commit ${prev:-?} is not in this clone's history"
	tap_done
	exit 0
fi
mkdir -p "$WORK/prev"
git -C "$VENTO_ROOT" archive "$prev" | tar -x -C "$WORK/prev"
env -u MAKEFLAGS -u MAKELEVEL make -C "$WORK/prev" -j2 build/ventod build/ventoctl \
	>"$WORK/prev-build.log" 2>&1 || { tail -5 "$WORK/prev-build.log"; echo "Bail out! the previous version does not build"; exit 1; }
PREV=$WORK/prev/build
prev_version=$(ls "$WORK/prev/schema" | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$/\1/p' | sort -n | tail -1)
this_version=$(ls "$VENTO_ROOT/schema" | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$/\1/p' | sort -n | tail -1)
echo "# previous version ${prev:0:12}, schema $prev_version; this version's schema $this_version"
pctl() { "$PREV/ventoctl" --schema-dir "$WORK/prev/schema" "$@"; }
# The tables a farm of the previous version publishes: those its schema
# puts in vento_farm and vento_farm_append, read from its database.
prev_tables() {
	local t out=""
	for t in $(at "$1" "SELECT DISTINCT tablename FROM pg_publication_tables
	                    WHERE pubname IN ('vento_farm', 'vento_farm_append') ORDER BY 1"); do
		out="$out $(echo $FLEET_TABLES | tr ' ' '\n' | grep "^$t:")"
	done
	echo $out
}
version() { at "$1" "SELECT max(version) FROM vento_migration"; }
streaming() { ctl -c /dev/null fleet status 2>/dev/null | grep -c ' streaming '; }

CTL=pctl VENTOD_BIN=$PREV AIR_DENSITY=1.16 fleet_farm_up A TNQ 21
CTL=pctl VENTOD_BIN=$PREV fleet_farm_up B SRA 22
fleet_up
check "the previous version makes the fleet" pctl -c /dev/null migrate --fleet
check "and adds farm TNQ" pctl -c /dev/null fleet add TNQ "host=$WORK/A dbname=vento user=vento"
check "and farm SRA" pctl -c /dev/null fleet add SRA "host=$WORK/B dbname=vento user=vento"
FARMS="TNQ:A SRA:B"
FLEET_TABLES_TNQ=$(prev_tables A)
FLEET_TABLES_SRA=$(prev_tables B)
sleep 3
fleet_rollup A B
check "the fleet of the previous version equals its farms" fleet_wait_same 60
[ -n "$DIFF" ] && echo "# $DIFF"

# The fleet first, while both farms go on collecting with the previous
# ventod.
check "this version migrates the running fleet" ctl -c /dev/null migrate
check_eq "the fleet is at this version's schema" "$this_version" "$(version F)"
sleep 2
fleet_rollup A B
check "with the fleet ahead of both farms, every table is equal" fleet_wait_same 60
[ -n "$DIFF" ] && echo "# $DIFF"
check_eq "both subscriptions stream" 2 "$(streaming)"

# Farm TNQ: its ventod stopped, migrated, this version's ventod started.
vento_stop "$VENTOD_A" >/dev/null
check "this version migrates farm TNQ" ctl -c "$WORK/A/vento.conf" migrate
WORK=$WORK/A vento_start_ventod
VENTOD_A=$VENTOD
WORK=$WORK/A vento_wait_drained 30 || true
sleep 2
fleet_rollup A B
check "before the fleet refreshes, TNQ's tables of the previous version replicate on" fleet_wait_same 60
[ -n "$DIFF" ] && echo "# $DIFF"
check "ventoctl fleet refresh TNQ" ctl -c /dev/null fleet refresh TNQ
FLEET_TABLES_TNQ=""
fleet_rollup A B
check "after it, every table TNQ publishes now is equal at the fleet" fleet_wait_same 60
[ -n "$DIFF" ] && echo "# $DIFF"
new=$(echo "$FLEET_TABLES" | tr ' ' '\n' | cut -d: -f1 | grep -vxF -f <(echo "$(prev_tables B)" | tr ' ' '\n' | cut -d: -f1))
echo "# tables this version publishes that the previous did not: $(echo $new)"
for t in $new; do
	check "$t: TNQ's rows at the fleet ($(at F "SELECT count(*) FROM $t WHERE farm = 'TNQ'"))" \
		test "$(at F "SELECT count(*) FROM $t WHERE farm = 'TNQ'")" -gt 0
done

# Farm SRA likewise.
vento_stop "$VENTOD_B" >/dev/null
check "this version migrates farm SRA" ctl -c "$WORK/B/vento.conf" migrate
WORK=$WORK/B vento_start_ventod
VENTOD_B=$VENTOD
check "ventoctl fleet refresh SRA" ctl -c /dev/null fleet refresh SRA
FLEET_TABLES_SRA=""
WORK=$WORK/B vento_wait_drained 30 || true
sleep 2
fleet_rollup A B
check "after both farms, every table is equal at the fleet" fleet_wait_same 60
[ -n "$DIFF" ] && echo "# $DIFF"
check_eq "both subscriptions stream" 2 "$(streaming)"
check_eq "nothing doubled at the fleet" 0 \
	"$(at F "SELECT (SELECT count(*) FROM (SELECT farm, time FROM collector_health
	                GROUP BY 1, 2 HAVING count(*) > 1) d)
	        + (SELECT count(*) FROM (SELECT farm, device_id, period FROM stat_10min
	                GROUP BY 1, 2, 3 HAVING count(*) > 1) d)")"
out=$(ctl -c /dev/null check fleet)
echo "# $out"
check "check fleet: OK" grep -q "^VENTO OK - fleet: 2 farms" <<<"$out"
a=$(ctl -c "$WORK/A/vento.conf" powercurve T01 2>&1)
check_eq "ventoctl --farm TNQ powercurve T01 at the fleet says what the farm says" "$a" \
	"$(ctl -c /dev/null --farm TNQ powercurve T01 2>&1)"
check_clean "$WORK"/A/ventod.log "$WORK"/B/ventod.log
tap_done

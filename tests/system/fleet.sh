#!/bin/bash
# fleet: two farms, each its own PostgreSQL, ventosim and ventod, with the
# same turbine names (T01..T03), replicate to one fleet PostgreSQL by
# logical replication (ventoctl migrate at the farms, migrate --fleet and
# fleet add at the fleet). Every 10-minute statistic and every table the
# reports read is the same at the fleet as at its farm, the fleet's yearly
# check is the sum of the farms', and `--farm CODE` at the fleet answers
# as the farm does. Then the fleet database stops for FLEET_DOWN seconds
# (a minute by default) while both farms keep collecting: after it returns the fleet catches up,
# nothing lost, nothing doubled. Removing a farm takes its rows away.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

FLEET_DOWN=${FLEET_DOWN:-60}
N=3
. "$VENTO_ROOT/tests/lib/fleet.sh"

AIR_DENSITY=1.16 fleet_farm_up A TNQ 11
fleet_farm_up B SRA 12
# SRA lets the fleet in as the README's "Many farms" says: a replication
# role of its own whose password pg_hba.conf asks for, the password in a
# pgpass file of the fleet's server (whose replication workers read it)
# and of ventoctl, never in the subscription's connection string.
at B "CREATE ROLE vento_fleet LOGIN REPLICATION PASSWORD 'fleet-secret' IN ROLE vento_reader" >/dev/null
sed -i "1i local vento vento_fleet scram-sha-256" "$WORK/B/pgdata/pg_hba.conf"
at B "SELECT pg_reload_conf()" >/dev/null
mkdir -p "$WORK/F"
printf '%s:5432:vento:vento_fleet:fleet-secret\n' "$WORK/B" >"$WORK/F/pgpass"
chmod 600 "$WORK/F/pgpass"
[ "$(id -u)" -eq 0 ] && chown postgres "$WORK/F/pgpass"
check "SRA asks vento_fleet for its password" \
	sh -c "! PGPASSFILE=/dev/null psql -X -w -h '$WORK/B' -U vento_fleet -d vento -c 'SELECT 1' >/dev/null 2>&1"
export PGPASSFILE=$WORK/F/pgpass
fleet_up

check "ventoctl migrate --fleet makes a fleet database" ctl -c /dev/null migrate --fleet
check_eq "the farm's code is in its database" "TNQ|Farm TNQ" "$(at A "SELECT code, name FROM farm")"
check_eq "the farm publishes the reports' tables" 13 \
	"$(at A "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'vento_farm'")"
check_eq "raw samples are not published by default" 0 \
	"$(at A "SELECT count(*) FROM pg_publication_tables WHERE tablename = 'raw_sample'")"
out=$(ctl -c /dev/null fleet add TNQ "host=$WORK/B dbname=vento user=vento" 2>&1)
check "fleet add refuses a farm under another's code ($out)" \
	grep -q "farm SRA's, not TNQ's" <<<"$out"
check "ventoctl fleet add TNQ" ctl -c /dev/null fleet add TNQ "host=$WORK/A dbname=vento user=vento"
check "ventoctl fleet add SRA, as vento_fleet" ctl -c /dev/null fleet add SRA "host=$WORK/B dbname=vento user=vento_fleet"
check_eq "no password in the subscription's connection string" 0 \
	"$(at F "SELECT count(*) FROM pg_subscription WHERE subconninfo LIKE '%password%'")"

FARMS="TNQ:A SRA:B"
rollup() { fleet_rollup A B; }

sleep 5
rollup
check "the fleet holds both farms' statistics, equal to theirs" fleet_wait_same 60
[ -n "$DIFF" ] && echo "# $DIFF"
# TNQ publishes its raw samples too from now on: the fleet takes them.
sed -i 's/name = "Farm TNQ"; };/name = "Farm TNQ"; publish_raw = true; };/' "$WORK/A/vento.conf"
ctl -c "$WORK/A/vento.conf" migrate >/dev/null
check_eq "farm.publish_raw publishes raw_sample, through its root" "raw_sample" \
	"$(at A "SELECT tablename FROM pg_publication_tables WHERE pubname = 'vento_farm_append'
	         AND tablename LIKE 'raw%'")"
check "ventoctl fleet refresh TNQ" ctl -c /dev/null fleet refresh TNQ
RAW="TNQ"
check "TNQ's raw samples at the fleet, equal to the farm's" fleet_wait_same 60
[ -n "$DIFF" ] && echo "# $DIFF"
# A custom signal at TNQ (the register of its ambient temperature read as
# the site's own signal), which publishes its raw samples: the fleet has
# no such column, and its subscription stops at the first row that has
# it until `fleet refresh TNQ` gives the fleet the column; then the raw
# samples, the custom signal's values among them, are equal again.
mkdir -p "$WORK/A/profiles"
sed -e 's/{ name = "wmet_envtmp"; /{ name = "x_ambient_raw"; custom = true; /' \
	"$VENTO_ROOT/etc/profiles/vento-sim-4500.conf" >"$WORK/A/profiles/vento-sim-4500.conf"
sed -i "s|^profile_dir = .*|profile_dir = \"$WORK/A/profiles\";|" "$WORK/A/vento.conf"
check "TNQ migrates its custom signal" sh -c "\"$BIN/ventoctl\" --schema-dir '$VENTO_ROOT/schema' -c '$WORK/A/vento.conf' migrate | grep -q 'x_ambient_raw: column added'"
vento_stop "$VENTOD_A" >/dev/null || true
WORK=$WORK/A vento_start_ventod
VENTOD_A=$VENTOD
WORK=$WORK/A vento_wait_drained 30 || true
sleep 3
out=$(ctl -c /dev/null fleet refresh TNQ)
echo "$out" | sed 's/^/# /'
check "fleet refresh TNQ takes the custom signal's column" grep -q "farm TNQ: custom signal x_ambient_raw: column added at the fleet (real)" <<<"$out"
check "TNQ's raw samples with their custom signal at the fleet, equal to the farm's" fleet_wait_same 60
[ -n "$DIFF" ] && echo "# $DIFF"
check "the custom signal's values arrived" test "$(at F "SELECT count(x_ambient_raw) FROM raw_sample WHERE farm = 'TNQ'")" -gt 0
check_eq "both farms' T01 at the fleet, told apart by farm" "SRA|T01
TNQ|T01" "$(at F "SELECT farm, name FROM device WHERE name = 'T01' ORDER BY farm")"
rows=$(at F "SELECT count(*) FROM stat_10min")
check "10-minute statistics replicated ($rows)" test "$rows" -ge $((2 * N))

# The yearly check: --farm at the fleet answers as the farm does; the
# fleet's row is the sum.
year=$(date -u +%Y)
yc="SELECT round(actual_kwh::numeric, 3) || ' ' || round(projection_kwh::numeric) FROM vento_yearly_check($year, now())"
a=$(at A "$yc")
b=$(at B "$yc")
# (Row-level security scopes the reader, not a superuser such as the
# tests' own.)
fa=$(PGHOST=$WORK/F vento_psql -c "SET ROLE vento_reader" -c "SET vento.farm = 'TNQ'" -c "$yc")
check_eq "the yearly check of TNQ at the fleet is the farm's" "$a" "$fa"
when=$(date -u +%Y-%m-%dT%H:%M:%SZ)
a=$(ctl -c "$WORK/A/vento.conf" check yearly --at "$when")
fa=$(ctl -c /dev/null --farm TNQ check yearly --at "$when" 2>/dev/null)
check_eq "ventoctl --farm TNQ check yearly at the fleet says what the farm says" "$a" "$fa"
a=$(at A "$yc")
sum=$(at F "SELECT round(actual_kwh::numeric, 3) || ' ' || round(projection_kwh::numeric)
            FROM vento_fleet_yearly_check($year, now()) WHERE farm IS NULL")
want=$(at F "SELECT round(($(echo "$a" | cut -d' ' -f1) + $(echo "$b" | cut -d' ' -f1))::numeric, 3) || ' ' ||
             round(($(echo "$a" | cut -d' ' -f2) + $(echo "$b" | cut -d' ' -f2))::numeric)")
check_eq "the fleet's yearly check is the sum of the farms'" "$want" "$sum"
out=$(ctl -c /dev/null production 2>/dev/null)
echo "$out" | sed 's/^/# /'
check "ventoctl production at the fleet: each farm and the fleet, whose projection is the sum" \
	grep -Eq '^fleet +6 .* 1440\.00 ' <<<"$out"
# The power curve at the fleet is normalised with the farm's densities.
a=$(ctl -c "$WORK/A/vento.conf" powercurve T01 2>&1)
fa=$(ctl -c /dev/null --farm TNQ powercurve T01 2>&1)
echo "# $(grep -m1 normalised <<<"$a")"
check_eq "ventoctl --farm TNQ powercurve T01 at the fleet says what the farm says" "$a" "$fa"
out=$(ctl -c /dev/null availability 2>&1)
check "a farm's report at the fleet without --farm is refused, naming --farm" grep -q -- "--farm CODE" <<<"$out"
out=$(ctl -c /dev/null --farm XYZ production 2>&1)
check "--farm of a farm the fleet does not have is refused" grep -q "no farm XYZ" <<<"$out"
out=$(ctl -c /dev/null fleet refresh XYZ 2>&1)
check "fleet refresh of a farm the fleet does not have is refused, naming it" grep -q "farm XYZ is not in the fleet" <<<"$out"
out=$(ctl -c /dev/null fleet status)
echo "$out" | sed 's/^/# /'
check_eq "ventoctl fleet status: both farms streaming" 2 "$(grep -Ec '^(TNQ|SRA) .* streaming' <<<"$out")"
out=$(ctl -c /dev/null check fleet)
echo "# $out"
check "ventoctl check fleet: OK, each farm's lag in perfdata" \
	grep -Eq "^VENTO OK - fleet: 2 farms.*'lag_SRA'=[0-9.]+s;120;600;0; 'lag_TNQ'=[0-9.]+s;120;600;0; 'silent'=0;0;0;0;2" <<<"$out"

# The fleet stops; the farms go on collecting and rolling up.
before=$(at F "SELECT count(*) FROM stat_10min")
pg_stop "$WORK/F"
sleep "$FLEET_DOWN"
rollup
sleep 2
rollup
PG_EXTRA="-c wal_retrieve_retry_interval=1s" pg_resume "$WORK/F" ||
	{ echo "Bail out! the fleet's PostgreSQL did not start again"; exit 1; }
check "after the fleet's outage it catches up: every table equal to the farms'" fleet_wait_same 60
[ -n "$DIFF" ] && echo "# $DIFF"
check_eq "nothing doubled at the fleet" 0 \
	"$(at F "SELECT (SELECT count(*) FROM (SELECT farm, time FROM collector_health
	                GROUP BY 1, 2 HAVING count(*) > 1) d)
	        + (SELECT count(*) FROM (SELECT farm, device_id, period FROM stat_10min
	                GROUP BY 1, 2, 3 HAVING count(*) > 1) d)")"
newest_farm=$(at A "SELECT max(period) FROM stat_10min")
newest_fleet=$(at F "SET vento.farm = 'TNQ'" 2>/dev/null; PGHOST=$WORK/F vento_psql -c "SELECT max(period) FROM stat_10min WHERE farm = 'TNQ'")
check_eq "the fleet has the farm's newest period" "$newest_farm" "$newest_fleet"

# A farm's ventod restarts; a farm's PostgreSQL stops (the fleet hears
# nothing from it: CRITICAL) and starts again. The fleet ends equal.
vento_stop "$VENTOD_A" >/dev/null || true
WORK=$WORK/A vento_start_ventod
VENTOD_A=$VENTOD
pg_stop "$WORK/B"
n=30
until out=$(ctl -c /dev/null check fleet); [ $? -eq 2 ] || [ $n -le 0 ]; do
	n=$((n - 1))
	sleep 1
done
echo "# $out"
check "check fleet is CRITICAL while a farm is not heard from, naming it" \
	grep -q "^VENTO CRITICAL - .*not heard: SRA" <<<"$out"
sleep 3
PG_EXTRA="-c wal_level=logical" pg_resume "$WORK/B" ||
	{ echo "Bail out! farm SRA's PostgreSQL did not start again"; exit 1; }
PGHOST=$WORK/A vento_wait_drained 30 2>/dev/null
WORK=$WORK/B vento_wait_drained 60 || true
rollup
check "after a farm's ventod and a farm's PostgreSQL restart, the fleet equals the farms" fleet_wait_same 60
[ -n "$DIFF" ] && echo "# $DIFF"

# A third farm joins with a year of imported history while the others run.
mkdir -p "$WORK/C"
chmod 755 "$WORK/C"
sed -e "s|host=$WORK/A |host=$WORK/C |g" -e 's/"TNQ"/"CAT"/' -e 's/Farm TNQ/Farm CAT/' \
	"$WORK/A/vento.conf" >"$WORK/C/vento.conf"
PG_EXTRA="-c wal_level=logical" pg_start "$WORK/C" ||
	{ echo "Bail out! PostgreSQL did not start"; exit 1; }
export PGHOST=$WORK/F
ctl -c "$WORK/C/vento.conf" migrate >/dev/null || { echo "Bail out! migrate at CAT"; exit 1; }
"$BIN/ventosim" -c "$WORK/C/vento.conf" --history 2025-01-01T00:00:00-03:00 \
	2026-01-01T00:00:00-03:00 --csv "$WORK/C/year.csv" >/dev/null 2>&1 ||
	{ echo "Bail out! ventosim --history"; exit 1; }
check "a year of history imported at CAT" ctl -c "$WORK/C/vento.conf" import "$WORK/C/year.csv"
check "ventoctl fleet add CAT" ctl -c /dev/null fleet add CAT "host=$WORK/C dbname=vento user=vento"
FARMS="TNQ:A SRA:B CAT:C"
check "the third farm's year is at the fleet, every table equal, the others' too" fleet_wait_same 90
[ -n "$DIFF" ] && echo "# $DIFF"
y25="SELECT round(actual_kwh::numeric, 1) FROM vento_yearly_check(2025, '2026-01-01 03:00+00')"
c=$(at C "$y25")
check_eq "the fleet's 2025 is CAT's, the sum of its farms' (TNQ and SRA have none)" "$c" \
	"$(at F "SELECT round(actual_kwh::numeric, 1) FROM vento_fleet_yearly_check(2025, '2026-01-01 03:00+00')
	        WHERE farm IS NULL")"
check "and CAT's year is about 3/40 of 720 GWh ($c kWh)" test "$(echo "$c" | cut -d. -f1)" -gt 45000000 -a "$(echo "$c" | cut -d. -f1)" -lt 65000000

# A schema change across the fleet: the next version's migration (here a
# column the farms publish) at the fleet first, then at a farm; the fleet
# ahead of the other farms replicates on, and the farm's new column
# arrives.
cp -r "$VENTO_ROOT/schema" "$WORK/schema-next"
echo 'ALTER TABLE stat_10min ADD COLUMN next_test real;' >"$WORK/schema-next/099_next.sql"
check "the fleet migrates first" "$BIN/ventoctl" -c /dev/null --schema-dir "$WORK/schema-next" migrate
check "then farm CAT" "$BIN/ventoctl" -c "$WORK/C/vento.conf" --schema-dir "$WORK/schema-next" migrate
at C "UPDATE stat_10min SET next_test = 1 WHERE period < '2025-02-01'" >/dev/null
rollup
check "after the schema change every table is equal at the fleet, every farm's" fleet_wait_same 60
[ -n "$DIFF" ] && echo "# $DIFF"
check_eq "CAT's new column arrived" "$(at C "SELECT count(next_test) FROM stat_10min")" \
	"$(at F "SELECT count(next_test) FROM stat_10min WHERE farm = 'CAT'")"
check_eq "every subscription streams on" 3 "$(ctl -c /dev/null fleet status 2>/dev/null | grep -c ' streaming ')"

check "ventoctl fleet remove SRA" ctl -c /dev/null fleet remove SRA
check_eq "SRA's devices are gone from the fleet, TNQ's stay" "0 $N" \
	"$(at F "SELECT (SELECT count(*) FROM device WHERE farm = 'SRA') || ' ' ||
	               (SELECT count(*) FROM device WHERE farm = 'TNQ')")"
left=""
for t in $(at F "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public'
                 AND column_name = 'farm' AND table_name IN (SELECT tablename FROM pg_tables) ORDER BY 1"); do
	[ "$(at F "SELECT count(*) FROM $t WHERE farm = 'SRA'")" = 0 ] || left="$left $t"
done
check_eq "no table at the fleet keeps a row of SRA" "" "$left"
check_eq "SRA's slot is gone at the farm" 0 "$(at B "SELECT count(*) FROM pg_replication_slots")"

# A fleet server with too few logical replication workers for another
# farm refuses it, naming the setting, rather than subscribe a farm that
# would never replicate.
pg_stop "$WORK/F"
PG_EXTRA="-c wal_retrieve_retry_interval=1s -c max_logical_replication_workers=3" pg_resume "$WORK/F" ||
	{ echo "Bail out! the fleet's PostgreSQL did not start again"; exit 1; }
out=$(ctl -c /dev/null fleet add SRA "host=$WORK/B dbname=vento user=vento" 2>&1)
echo "# $out"
check "fleet add refuses a farm the server has no worker for, naming the setting" \
	grep -q "max_logical_replication_workers to 4 or more" <<<"$out"
check_eq "and subscribes nothing" 2 "$(at F "SELECT count(*) FROM pg_subscription")"

check_clean "$WORK"/A/*.log "$WORK"/B/*.log
tap_done

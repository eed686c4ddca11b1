# fleet.sh - what the fleet scenarios share (sourced after common.sh and
# vento_setup): farms and a fleet, each its own PostgreSQL in $WORK/DIR,
# and the comparison of every table a farm publishes with the fleet's
# copy of it.

# Every cluster in $WORK/*/: stopped after the processes, before $WORK
# goes.
fleet_cleanup() {
	local d
	vento_stop_all
	for d in "$WORK"/*/; do
		[ -n "$WORK" ] && pg_stop "${d%/}"
	done
	vento_cleanup
}
trap fleet_cleanup EXIT

# ctl ARGS: this version's ventoctl and schema.
ctl() { "$BIN/ventoctl" --schema-dir "$VENTO_ROOT/schema" "$@"; }
# at DIR SQL: a query at the cluster in $WORK/DIR.
at() { PGHOST=$WORK/$1 vento_psql -c "$2"; }

# fleet_farm_up DIR CODE SEED [TURBINES]: a farm in $WORK/DIR, logical
# WAL, its schema and publication (by $CTL, default ctl), ventosim and
# ventod ($VENTOD_BIN's, default $BIN's); ventod's pid in VENTOD_DIR. The site's air density is
# $AIR_DENSITY when it is set.
fleet_farm_up() {
	local d=$WORK/$1 base n=${4:-3}
	mkdir -p "$d"
	chmod 755 "$d"
	base=$(vento_free_base "$n") || { echo "Bail out! no free ports"; exit 1; }
	WORK=$d vento_write_conf "$d/vento.conf" "$n" "$base"
	sed -i "s|conninfo = \"dbname=vento\"|conninfo = \"host=$d dbname=vento\"; ctl_conninfo = \"host=$d dbname=vento\"|" "$d/vento.conf"
	echo "farm = { code = \"$2\"; name = \"Farm $2\"; };" >>"$d/vento.conf"
	[ -n "${AIR_DENSITY:-}" ] && echo "site = { air_density = $AIR_DENSITY; };" >>"$d/vento.conf"
	PG_EXTRA="-c wal_level=logical" pg_start "$d" ||
		{ echo "Bail out! PostgreSQL did not start"; exit 1; }
	${CTL:-ctl} -c "$d/vento.conf" migrate >/dev/null || { echo "Bail out! migrate at $2"; exit 1; }
	WORK=$d vento_start_sim "$3"
	WORK=$d BIN=${VENTOD_BIN:-$BIN} vento_start_ventod
	eval "VENTOD_$1=\$VENTOD"
}

# fleet_up: the fleet's cluster in $WORK/F, PGHOST at it. It retries a
# lost farm connection each second, not each 5.
fleet_up() {
	mkdir -p "$WORK/F"
	chmod 755 "$WORK/F"
	PG_EXTRA="-c wal_retrieve_retry_interval=1s" pg_start "$WORK/F" ||
		{ echo "Bail out! PostgreSQL did not start"; exit 1; }
	export PGHOST=$WORK/F
}

# fleet_rollup DIR...: each farm's rows stored in 10-minute statistics
# now (ventod does it each minute; the scenarios do not wait for that).
fleet_rollup() {
	local d
	for d in "$@"; do
		at "$d" "SELECT vento_rollup(now() - interval '1 hour', now())" >/dev/null
	done
}

# The tables a farm publishes, each with the key that orders its rows.
# FLEET_TABLES_<CODE>, when set, lists those of a farm at another version.
FLEET_TABLES="stat_10min:device_id,period stat_day:device_id,day stat_day_bin:device_id,day,bin
stat_month_bin:month,device_id,bin device:id model_state:profile,code projection:id
power_curve_ref:profile,wind raw_minute:minute,quality collector_health:time site:farm
power_curve_density:profile raw_device_minute:device_id,minute"

# fleet_digest DIR CODE CUT: every table of one farm (and its raw samples
# before CUT when it is in $RAW), a line each: the table, its rows and
# their hash (as JSON, without the column a later migration adds below,
# so that a fleet ahead of its farms compares equal where the farms'
# columns are). One query for them all.
fleet_digest() {
	local tk t k sql="" tables
	eval "tables=\${FLEET_TABLES_$2:-\$FLEET_TABLES}"
	for tk in $tables $(case " $RAW " in *" $2 "*) echo raw_sample:device_id,time ;; esac); do
		t=${tk%%:*}
		k=${tk#*:}
		sql="$sql${sql:+ UNION ALL }SELECT '$t ' || count(*) || ' ' || coalesce(md5(string_agg(
		    (to_jsonb(t) - 'next_test')::text, '|' ORDER BY $k)), '-')
		    FROM $t t WHERE farm = '$2'$([ "$t" = raw_sample ] && echo " AND time < '$3'")"
	done
	PGHOST=$WORK/$1 vento_psql -c "$sql"
}

# fleet_same: every table of every farm in $FARMS (CODE:DIR) equal at the
# fleet; the first farm that differs, and how, in $DIFF. Raw samples too
# for the farms in $RAW, up to 5 s ago (they grow each second).
FARMS=""
RAW=""
fleet_same() {
	local fd code dir cut farm fleet
	cut=$(date -u -d '-5 seconds' +%Y-%m-%dT%H:%M:%SZ)
	DIFF=""
	for fd in $FARMS; do
		code=${fd%%:*}
		dir=${fd#*:}
		farm=$(fleet_digest "$dir" "$code" "$cut")
		fleet=$(fleet_digest F "$code" "$cut")
		if [ "$farm" != "$fleet" ]; then
			DIFF="$code: farm $(echo $farm), fleet $(echo $fleet)"
			return 1
		fi
	done
}

# fleet_wait_same SECONDS: until the fleet equals every farm.
fleet_wait_same() {
	local n=$1
	while ! fleet_same; do
		[ "$n" -le 0 ] && return 1
		n=$((n - 1))
		sleep 1
	done
}

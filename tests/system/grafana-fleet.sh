#!/bin/bash
# grafana-fleet: the dashboards at head office. Two farms, TNQ and SRA,
# each its own PostgreSQL populated as a live farm (tests/lib/gen-live.sql)
# with the same turbine names (T01..) but other winds, turbine counts,
# projections, time zones, air densities, state names and collector
# health, publish their raw samples too and replicate to a fleet database
# (ventoctl migrate --fleet, fleet add). Then every query of every
# dashboard, run at the fleet as Grafana runs it (vento_grafana, one
# statement, tests/lib/grafana-expand.py) with the farm variable at one
# farm, answers what it answers at that farm's own database (the same CSV,
# numbers to 12 significant digits), for each farm; and the two farms'
# answers differ, so that a query showing the other farm's rows, or both,
# cannot pass. The farm variable offers every farm at the fleet, the
# farm's own code at a farm; the fleet dashboard takes every farm at once;
# the farm forms of the report functions answer nothing for a farm not
# seen. grafana-panels checks the panels' shapes at a farm.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$VENTO_ROOT/tests/lib/grafana.sh"
vento_setup
. "$VENTO_ROOT/tests/lib/fleet.sh"

# farm_db DIR CODE SITE CURVE GEN-LIVE-VARIABLES...: a farm's database in
# $WORK/DIR (logical WAL, its raw samples published), the site's and the
# model's air density SITE and CURVE, populated by gen-live.sql.
farm_db() {
	local d=$WORK/$1 code=$2 site=$3 curve=$4
	shift 4
	mkdir -p "$d"
	chmod 755 "$d"
	# No ventod here: the devices' ports are never opened.
	WORK=$d vento_write_conf "$d/vento.conf" 1 1000
	sed -i "s|conninfo = \"dbname=vento\"|conninfo = \"host=$d dbname=vento\"; ctl_conninfo = \"host=$d dbname=vento\"|" "$d/vento.conf"
	echo "farm = { code = \"$code\"; name = \"Farm $code\"; publish_raw = true; };" >>"$d/vento.conf"
	PG_EXTRA="-c wal_level=logical" pg_start "$d" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
	ctl -c "$d/vento.conf" migrate >/dev/null || { echo "Bail out! migrate at $code"; exit 1; }
	PGHOST=$d vento_psql -c "CREATE ROLE vento_grafana LOGIN IN ROLE vento_reader" \
		-c "SELECT vento_set_air_density(NULL, $site), vento_set_air_density('vento-sim-4500', $curve)" >/dev/null
	PGHOST=$d vento_psql "$@" -f "$VENTO_ROOT/tests/lib/gen-live.sql" >"$d/gen.log" 2>&1 ||
		{ echo "Bail out! gen-live.sql at $code: $(tail -3 "$d/gen.log")"; exit 1; }
}

t0=$(date +%s)
farm_db A TNQ 1.16 1.225 -v turbines=4
# SRA: fewer turbines, a quarter more wind (its blades pitch), another
# projection and time zone, its own names of the model's states, a
# collector later and losing batches.
farm_db B SRA 1.10 1.20 -v turbines=3 -v wind=1.25 -v annual_kwh=50e6 -v time_zone=America/Manaus
at B "UPDATE model_state SET name = name || ' (SRA)'" >/dev/null
at B "UPDATE collector_health SET late_p50_ms = late_p50_ms + 3, late_p99_ms = late_p99_ms * 2,
      missed = missed * 2, spool_bytes = spool_bytes * 2, lost_dropped = rows_stored / 1000" >/dev/null
t1=$(date +%s)

fleet_up
ctl -c /dev/null migrate --fleet >/dev/null || { echo "Bail out! migrate --fleet"; exit 1; }
vento_psql -c "CREATE ROLE vento_grafana LOGIN IN ROLE vento_reader" >/dev/null
ctl -c /dev/null fleet add TNQ "host=$WORK/A dbname=vento user=vento" >"$WORK/fleet-add.log" 2>&1 &&
	ctl -c /dev/null fleet add SRA "host=$WORK/B dbname=vento user=vento" >>"$WORK/fleet-add.log" 2>&1 ||
	{ echo "Bail out! fleet add"; exit 1; }
# Nothing changes at the farms after this: each table is complete at the
# fleet once its initial copy is done and applied.
pub="SELECT count(*) FROM pg_publication_tables WHERE pubname LIKE 'vento_farm%'"
tables=$(($(at A "$pub") + $(at B "$pub")))
n=120
until [ "$(vento_psql -c "SELECT count(*) FILTER (WHERE srsubstate <> 'r') || ' ' || count(*) FROM pg_subscription_rel")" = "0 $tables" ]; do
	[ $n -le 0 ] && { echo "Bail out! the fleet did not copy the farms' tables in 60 s"; exit 1; }
	n=$((n - 1))
	sleep 0.5
done
t2=$(date +%s)
FARMS="TNQ:A SRA:B"
RAW="TNQ SRA"
check "the fleet holds both farms' tables and raw samples, equal to theirs" fleet_same
[ -n "$DIFF" ] && echo "# $DIFF"

# "now" of the dashboards: the clock after both farms' raw samples end.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
dashdir=$VENTO_ROOT/etc/grafana/dashboards
min_interval=$(sed -n 's/^ *timeInterval: *//p' "$VENTO_ROOT/etc/grafana/provisioning/datasources/vento.yaml")
GRAFANA_EXPAND="python3 $VENTO_ROOT/tests/lib/grafana-expand.py --now $now --min-interval ${min_interval:-1ms}"

# csv_eq A B: the results in CSV files A and B are the same: the same
# columns, rows and order, every value the same text, or for numbers the
# same to 12 significant digits (a sum of floating-point numbers depends
# on the order it adds them in, and the fleet reads a farm's rows by
# other keys). Else says where they first differ.
cat >"$WORK/csv_eq.py" <<'EOF'
import csv, sys
a, b = (list(csv.reader(open(f))) for f in sys.argv[1:3])
def same(x, y):
    if x == y:
        return True
    try:
        fx, fy = float(x), float(y)
    except ValueError:
        return False
    return abs(fx - fy) <= 1e-12 * max(abs(fx), abs(fy))
if len(a) != len(b):
    sys.exit("%d rows, %d at the fleet" % (len(a) - 1, len(b) - 1))
for i, (ra, rb) in enumerate(zip(a, b)):
    if len(ra) != len(rb) or not all(same(x, y) for x, y in zip(ra, rb)):
        sys.exit("row %d: %s, at the fleet %s" % (i, ",".join(ra)[:120], ",".join(rb)[:120]))
EOF

# same DIR N TITLE: query DIR/N.sql at farm $X (cluster $XD) and at the
# fleet, as vento_grafana; one TAP line: their results equal (csv_eq).
same() {
	local dir=$1 n=$2 title=$3 why
	if ! PGHOST=$WORK/$XD grafana_query "$dir/$n.sql" "$dir/$n.farm"; then
		not_ok "$DASH: $title at $X runs ($(grep -m1 ERROR "$dir/$n.farm.out"))"
		return
	fi
	if ! PGHOST=$WORK/F grafana_query "$dir/$n.sql" "$dir/$n.fleet"; then
		not_ok "$DASH: $title at the fleet with farm $X runs ($(grep -m1 ERROR "$dir/$n.fleet.out"))"
		return
	fi
	cp "$dir/$n.farm.csv" "$WORK/answers/$DASH.$n.$X"
	echo "$title" >"$WORK/answers/$DASH.$n.title"
	if why=$(python3 "$WORK/csv_eq.py" "$dir/$n.farm.csv" "$dir/$n.fleet.csv" 2>&1); then
		ok "$DASH: $title at the fleet with farm $X: the farm's answer ($(($(wc -l <"$dir/$n.farm.csv") - 1)) rows)"
	else
		not_ok "$DASH: $title at the fleet with farm $X: the farm's answer ($why)"
	fi
}

mkdir -p "$WORK/answers"
for f in "$dashdir"/*.json; do
	DASH=$(basename "$f" .json)
	names=$(grafana_var_names "$f")
	case " $(echo $names) " in
	" farm "*) ;;
	*) not_ok "$DASH: has the farm variable, first ($(echo $names))" ;;
	esac
	for fd in TNQ:A SRA:B; do
		X=${fd%%:*}
		XD=${fd#*:}
		vars=(--var "farm=$X")
		for name in $names; do
			vdir=$WORK/$DASH.$X.var-$name
			line=$(grafana_var_sql "$f" "$name" "$vdir" "${vars[@]}")
			n=$(cut -f1 <<<"$line")
			if [ "$name" = farm ]; then
				# At a farm its own code; at the fleet every farm.
				PGHOST=$WORK/$XD grafana_query "$vdir/$n.sql" "$vdir/$n.farm"
				PGHOST=$WORK/F grafana_query "$vdir/$n.sql" "$vdir/$n.fleet"
				check_eq "$DASH: the farm variable at farm $X offers $X" "$X" \
					"$(grafana_values "$vdir/$n.farm.csv" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
				if [ "$X" = TNQ ]; then
					check_eq "$DASH: the farm variable at the fleet offers every farm" "SRA TNQ" \
						"$(grafana_values "$vdir/$n.fleet.csv" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
				fi
				continue
			fi
			same "$vdir" "$n" "variable $name"
			vars+=(--var "$name=$(grafana_values "$vdir/$n.farm.csv" 2>/dev/null | head -1)")
		done
		pdir=$WORK/$DASH.$X.panels
		$GRAFANA_EXPAND "${vars[@]}" --split "$pdir" "$f" 2>"$pdir.err" >"$pdir.index" ||
			not_ok "$DASH: the panels expand with farm $X ($(head -1 "$pdir.err"))"
		while IFS=$'\t' read -r n kind _ _ _ title; do
			[ "$kind" = panel ] || continue
			case "$DASH: $title" in
			"fleet: Replication [A]")
				# The fleet's own state: at the fleet, the farm's
				# subscription; at the farm, the farm itself.
				PGHOST=$WORK/F grafana_query "$pdir/$n.sql" "$pdir/$n.fleet"
				check_eq "$DASH: $title at the fleet with farm $X: its subscription, streaming" "$X,streaming" \
					"$(cut -d, -f1,3 "$pdir/$n.fleet.csv" | sed 1d | tr '\n' ' ' | sed 's/ $//')"
				continue
				;;
			esac
			same "$pdir" "$n" "$title"
		done <"$pdir.index"
	done
done

# The fleet dashboard with every farm (its "All"): each farm's rows as
# with that farm alone, and for the year the fleet's total besides.
f=$dashdir/fleet.json
$GRAFANA_EXPAND --var farm=SRA --var farm=TNQ --split "$WORK/fleet.all" "$f" >"$WORK/fleet.all.index" 2>/dev/null
cat >"$WORK/rows_eq.py" <<'EOF'
import csv, sys
def num(x):
    try:
        return float(x)
    except ValueError:
        return None
def rows(f):
    # The rows but the fleet's total, in an order of their own.
    rs = [r for r in list(csv.reader(open(f)))[1:] if "fleet" not in r]
    return sorted(rs, key=lambda r: [x if num(x) is None else "%.9g" % num(x) for x in r])
def same(x, y):
    fx, fy = num(x), num(y)
    if fx is None or fy is None:
        return x == y
    return abs(fx - fy) <= 1e-12 * max(abs(fx), abs(fy))
a = rows(sys.argv[1])
b = rows(sys.argv[2]) + rows(sys.argv[3])
b = sorted(b, key=lambda r: [x if num(x) is None else "%.9g" % num(x) for x in r])
if len(a) != len(b):
    sys.exit("%d rows, %d in the farms' answers" % (len(a), len(b)))
for ra, rb in zip(a, b):
    if len(ra) != len(rb) or not all(same(x, y) for x, y in zip(ra, rb)):
        sys.exit("%s, in the farms' answers %s" % (",".join(ra), ",".join(rb)))
EOF
while IFS=$'\t' read -r n kind _ _ _ title; do
	[ "$kind" = panel ] && [ "$title" != "Replication [A]" ] || continue
	PGHOST=$WORK/F grafana_query "$WORK/fleet.all/$n.sql" "$WORK/fleet.all/$n" ||
		{ not_ok "fleet: $title with every farm runs"; continue; }
	check "fleet: $title at the fleet with every farm: each farm's answer" \
		python3 "$WORK/rows_eq.py" "$WORK/fleet.all/$n.csv" "$WORK/answers/fleet.$n.TNQ" "$WORK/answers/fleet.$n.SRA"
done <"$WORK/fleet.all.index"
n=$(awk -F'\t' '$6 == "Each farm'"'"'s year against its projection [A]" { print $1 }' "$WORK/fleet.all.index")
check_eq "fleet: the year with every farm: each farm's, then the fleet's total" "SRA TNQ fleet" \
	"$(cut -d, -f1 "$WORK/fleet.all/$n.csv" | sed 1d | tr '\n' ' ' | sed 's/ $//')"
t3=$(date +%s)

# The farm-scoped functions: a code a session does not see as a farm
# answers nothing (at a farm every code but its own; at a fleet an empty
# or unknown one, or another than the session's vento.farm), never the
# farm's data or every farm's; a superuser gets the reader's answer; the
# transaction's scope and role are as they were after each call (what a
# call sets is the transaction's: Grafana's next query, another
# transaction, would never see it, but the rest of a query would).
year=$(date -u +%Y)
scoped() {
	echo "SELECT (SELECT count(*) FROM vento_yearly_by_device($year, '$now', '$1'))
	          || ' ' || (SELECT count(*) FROM vento_monthly($year, '$1'))
	          || ' ' || (SELECT count(*) FROM vento_turbine_series('T01', '$now'::timestamptz - interval '1 hour', '$now', 60000, '$1'))
	          || ' ' || coalesce(vento_local_day('$now', '$1')::text, '-')
	          || ' ' || coalesce(vento_budget_to($year, '$now', '$1')::text, '-')"
}
check_eq "at farm TNQ its own code answers" "4 12 11" \
	"$(PGHOST=$WORK/A grafana -c "$(scoped TNQ)" | cut -d' ' -f1-3)"
check_eq "at farm TNQ another code answers nothing" "0 0 0 - -" "$(PGHOST=$WORK/A grafana -c "$(scoped SRA)")"
check_eq "at the fleet an empty code answers nothing" "0 0 0 - -" "$(grafana -c "$(scoped "")")"
check_eq "at the fleet an unknown code answers nothing" "0 0 0 - -" "$(grafana -c "$(scoped XYZ)")"
check_eq "at the fleet a session scoped to TNQ gets nothing of SRA" "0 0 0 - -" \
	"$(grafana -c "SET vento.farm = 'TNQ'" -c "$(scoped SRA)")"
r=$(grafana -c "$(scoped SRA)")
check_eq "at the fleet SRA's code answers SRA's" "3 12 11" "$(cut -d' ' -f1-3 <<<"$r")"
check_eq "at the fleet a superuser gets what the reader gets" "$r" "$(vento_psql -c "$(scoped SRA)")"
after="SELECT coalesce(current_setting('vento.farm', true), '') || '|' || current_user || '|' || (SELECT count(*) FROM device)"
check_eq "the reader's scope is as it was after a call" "|vento_grafana|7" \
	"$(grafana -c BEGIN -c "$(scoped TNQ)" -c "$after" -c COMMIT | sed -n 2p)"
check_eq "a reader's session scoped to SRA stays so after a call" "SRA|vento_grafana|3" \
	"$(grafana -c "SET vento.farm = 'SRA'" -c BEGIN -c "$(scoped SRA)" -c "$after" -c COMMIT | sed -n 2p)"
check_eq "a superuser's role and scope are as they were after a call" "|vento|7" \
	"$(vento_psql -c BEGIN -c "$(scoped TNQ)" -c "$after" -c COMMIT | sed -n 2p)"

# The two farms' answers differ, but where they cannot: the reference
# curve is the turbine model's, the same at both farms.
for a in "$WORK"/answers/*.TNQ; do
	b=${a%.TNQ}.SRA
	[ -f "$b" ] || continue
	item=$(basename "${a%.TNQ}")
	dash=${item%.*}
	title=$(cat "${a%.TNQ}.title")
	case "$dash: $title" in
	"power-curve: Power curve of \$turbine [B]") continue ;;
	esac
	if cmp -s "$a" "$b"; then
		not_ok "$dash: $title differs between TNQ and SRA"
	else
		ok "$dash: $title differs between TNQ and SRA"
	fi
done
echo "# farms generated in $((t1 - t0)) s, replicated in $((t2 - t1)) s, dashboards compared in $((t3 - t2)) s"
tap_done

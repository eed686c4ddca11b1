#!/bin/bash
# grafana-panels: every panel of every dashboard in etc/grafana/dashboards
# runs, as the data source's log-in role vento_grafana (reader rights only),
# against a database populated as a live farm (tests/lib/gen-live.sql): the
# SQL is expanded as Grafana's PostgreSQL data source expands it
# (tests/lib/grafana-expand.py) with the dashboard's own default time range,
# and each result has the shape its panel needs. Each query variable's
# first value (the farm's own code for $farm) stands for it in the
# variables after it and in the panels. The dashboards and the
# provisioning files are checked too: JSON, stable uids, the data source,
# a farm variable on every dashboard. grafana-fleet runs them at a fleet.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$VENTO_ROOT/tests/lib/grafana.sh"
vento_setup
vento_write_conf "$WORK/vento.conf" 1 "$(vento_free_base 1)"
pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate >/dev/null ||
	{ echo "Bail out! ventoctl migrate failed"; exit 1; }
vento_psql -c "CREATE ROLE vento_grafana LOGIN IN ROLE vento_reader" >/dev/null
vento_psql -f "$VENTO_ROOT/tests/lib/gen-live.sql" >"$WORK/gen.log" 2>&1 ||
	{ echo "Bail out! gen-live.sql failed: $(tail -3 "$WORK/gen.log")"; exit 1; }
# "now" of the dashboards: the clock right after the raw samples end.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)

dashdir=$VENTO_ROOT/etc/grafana/dashboards
prov=$VENTO_ROOT/etc/grafana/provisioning
# The data source's minimum interval bounds $__interval, as in Grafana.
min_interval=$(sed -n 's/^ *timeInterval: *//p' "$prov/datasources/vento.yaml")
GRAFANA_EXPAND="python3 $VENTO_ROOT/tests/lib/grafana-expand.py --now $now --min-interval ${min_interval:-1ms}"

# The role Grafana logs in as reads and does nothing else.
check_eq "vento_grafana is no superuser" f "$(grafana -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")"
check "vento_grafana cannot write" sh -c "! PGOPTIONS= psql -X -q -U vento_grafana -c \"DELETE FROM stat_day WHERE false\" >/dev/null 2>&1"

# Provisioning.
check "the data source is postgres, uid vento-pg" \
	grep -Eq '^ *uid: vento-pg$' "$prov/datasources/vento.yaml"
check "it logs in as vento_grafana to database vento" \
	sh -c "grep -Eq '^ *user: vento_grafana\$' '$prov/datasources/vento.yaml' && grep -Eq '^ *database: vento\$' '$prov/datasources/vento.yaml' && grep -Eq '^ *type: postgres\$' '$prov/datasources/vento.yaml'"
check "its password comes from \$VENTO_GRAFANA_PASSWORD" \
	grep -Eq '^ *password: \$\{?VENTO_GRAFANA_PASSWORD\}?$' "$prov/datasources/vento.yaml"
check "the dashboards load from /usr/share/vento/grafana/dashboards" \
	grep -Eq '^ *path: /usr/share/vento/grafana/dashboards$' "$prov/dashboards/vento.yaml"

# The dashboards' files: JSON, uids, every panel and target on vento-pg.
lint() {
	python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ds = {"type": "postgres", "uid": "vento-pg"}
bad = []
for p in d.get("panels", []):
    if p.get("type") == "row":
        continue
    t = p.get("title")
    if p.get("datasource") != ds:
        bad.append("%s: panel data source %s" % (t, p.get("datasource")))
    if not p.get("targets"):
        bad.append("%s: no targets" % t)
    for q in p.get("targets", []):
        if q.get("datasource") != ds:
            bad.append("%s: target data source %s" % (t, q.get("datasource")))
        if q.get("format") not in ("time_series", "table"):
            bad.append("%s: format %s" % (t, q.get("format")))
        if q.get("rawQuery") is not True or q.get("editorMode") != "code" or not q.get("rawSql"):
            bad.append("%s: not a raw SQL query in code mode" % t)
for v in d.get("templating", {}).get("list", []):
    if v.get("type") == "query" and v.get("datasource") != ds:
        bad.append("variable %s: data source %s" % (v.get("name"), v.get("datasource")))
# Every dashboard has the farm first: the other variables and the panels
# read it. Only the fleet's may name several farms.
vs = d.get("templating", {}).get("list", [])
if not vs or vs[0].get("name") != "farm" or vs[0].get("type") != "query" or vs[0].get("label") != "Farm":
    bad.append("no query variable farm (Farm) first")
elif bool(vs[0].get("multi")) != (d.get("uid") == "vento-fleet"):
    bad.append("variable farm: multi %s" % vs[0].get("multi"))
ids = [p.get("id") for p in d.get("panels", [])]
if len(set(ids)) != len(ids):
    bad.append("panel ids repeat")
print("; ".join(bad))
sys.exit(1 if bad else 0)
EOF
}
uids=""
for f in "$dashdir"/*.json; do
	name=$(basename "$f")
	if ! python3 -m json.tool "$f" >/dev/null 2>&1; then
		not_ok "$name parses as JSON"
		continue
	fi
	ok "$name parses as JSON"
	uid=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("uid", ""))' "$f")
	uids="$uids $uid"
	out=$(lint "$f")
	check_eq "$name: every panel on data source vento-pg, raw SQL" "" "$out"
done
check_eq "the dashboards' uids" \
	"vento-availability vento-farm vento-fleet vento-health vento-powercurve vento-production vento-turbine" \
	"$(echo "$uids" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')"

# The shape of a result. Arguments: format, result CSV, \gdesc CSV, a file
# for its columns (|-joined). Fails saying why when the shape is wrong.
cat >"$WORK/shape.py" <<'EOF'
import csv, sys
fmt, res, desc, cols = sys.argv[1:5]
rows = list(csv.reader(open(res)))
types = dict((r[0], r[1]) for r in list(csv.reader(open(desc)))[1:])
if not rows:
    sys.exit("no result")
head, data = rows[0], rows[1:]
open(cols, "w").write("|".join(head) + "\n")
if not data:
    sys.exit("no rows")
NUM = ("double precision", "numeric", "bigint", "integer", "smallint", "real")
if fmt == "time_series":
    if "time" not in head:
        sys.exit("no time column: %s" % head)
    ti = head.index("time")
    if ti != 0:
        sys.exit("time is not the first column")
    tt = types.get("time", "")
    if not (tt.startswith("timestamp") or tt == "date" or tt in NUM):
        sys.exit("time is %s" % tt)
    vals = [i for i, c in enumerate(head) if c != "time" and types.get(c) in NUM]
    if not vals:
        sys.exit("no numeric value column: %s" % types)
    if not any(r[i] != "" for r in data for i in vals):
        sys.exit("every value is NULL")
    key = (lambda s: float(s)) if tt in NUM else (lambda s: s)
    ts = [key(r[ti]) for r in data]
    if ts != sorted(ts):
        sys.exit("not sorted by time")
else:
    if not any(c != "" for r in data for c in r):
        sys.exit("every value is NULL")
EOF

# run_items DIR: runs what grafana-expand.py --split wrote to DIR, one TAP
# line per query; DIR/NNN.cols gets the columns of each.
run_items() {
	local dir=$1 n fmt title why
	while IFS=$'\t' read -r n _ _ fmt _ title; do
		if ! grafana_query "$dir/$n.sql" "$dir/$n"; then
			not_ok "$DASH: $title runs as vento_grafana ($(grep -m1 ERROR "$dir/$n.out"))"
			continue
		fi
		if why=$(python3 "$WORK/shape.py" "$fmt" "$dir/$n.csv" "$dir/$n.desc" "$dir/$n.cols" 2>&1); then
			ok "$DASH: $title runs as vento_grafana: $fmt, $(($(wc -l <"$dir/$n.csv") - 1)) rows"
		else
			not_ok "$DASH: $title runs as vento_grafana: $fmt ($why)"
		fi
	done <"$dir/index"
}

for f in "$dashdir"/*.json; do
	DASH=$(basename "$f" .json)
	# Variables first, in order: each query variable's first value stands
	# for it in those after it.
	vars=()
	for name in $(grafana_var_names "$f"); do
		vdir=$WORK/$DASH.var-$name
		grafana_var_sql "$f" "$name" "$vdir" "${vars[@]}" >"$vdir.index"
		mkdir -p "$vdir"
		mv "$vdir.index" "$vdir/index"
		run_items "$vdir"
		n=$(cut -f1 "$vdir/index")
		# At a farm's database the farm is its own, FARM when vento.conf
		# names none.
		if [ "$name" = farm ]; then check_eq "$DASH: the farm variable offers the farm's own code" FARM \
			"$(grafana_values "$vdir/$n.csv" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"; fi
		vars+=(--var "$name=$(grafana_values "$vdir/$n.csv" 2>/dev/null | head -1)")
	done

	pdir=$WORK/$DASH.panels
	range=$(python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))["time"]; print(t["from"], "to", t["to"])' "$f")
	if $GRAFANA_EXPAND "${vars[@]}" --split "$pdir" "$f" >"$pdir.index" 2>"$pdir.err"; then
		ok "$DASH: the panels expand (time range $range)"
	else
		# What failed to expand runs as "SELECT macro_error()" and fails.
		not_ok "$DASH: the panels expand ($(head -1 "$pdir.err"))"
	fi
	grep -P '^\d+\tpanel\t' "$pdir.index" >"$pdir/index"
	run_items "$pdir"
	# The columns each panel's configuration names come from its queries.
	for pid in $(cut -f3 "$pdir/index" | sort -un); do
		expect=$(awk -F'\t' -v p="$pid" '$3 == p { print $5; exit }' "$pdir/index")
		title=$(awk -F'\t' -v p="$pid" '$3 == p { sub(/ \[[A-Z]\]$/, "", $6); print $6; exit }' "$pdir/index")
		if [ -z "$expect" ] || [ "$expect" = - ]; then continue; fi
		have="|$(awk -F'\t' -v p="$pid" '$3 == p { print $1 }' "$pdir/index" |
			while read -r n; do cat "$pdir/$n.cols" 2>/dev/null; done | tr '\n' '|')"
		missing=""
		IFS='|' read -ra cols <<<"$expect"
		for c in "${cols[@]}"; do
			case "$have" in *"|$c|"*) ;; *) missing="$missing '$c'" ;; esac
		done
		check_eq "$DASH: $title has the columns its panel names" "" "$missing"
	done
done
tap_done

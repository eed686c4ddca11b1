# grafana.sh - a dashboard's queries run as Grafana runs them (sourced after
# common.sh): expanded by tests/lib/grafana-expand.py, sent as one
# statement each by the data source's log-in role vento_grafana, to the
# PostgreSQL of $PGHOST.

# grafana PSQL-ARGS...: psql as vento_grafana.
grafana() { PGOPTIONS="-c statement_timeout=120s" vento_psql -U vento_grafana "$@"; }

# grafana_query SQL OUT: runs the query in file SQL; its result goes to
# OUT.csv (with its header), its columns' types to OUT.desc (\gdesc),
# psql's messages to OUT.out. Fails as the query does.
grafana_query() {
	{
		echo "\\pset format csv"
		echo "\\pset tuples_only off"
		echo "\\o $2.csv"
		cat "$1"
		echo ";"
		echo "\\o $2.desc"
		echo "\\gdesc"
	} >"$2.run"
	grafana -f "$2.run" >"$2.out" 2>&1
}

# grafana_values CSV: a variable query's values, a line each: its __value
# column, else its first (as Grafana takes them).
grafana_values() {
	python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
if rows:
    i = rows[0].index("__value") if "__value" in rows[0] else 0
    for r in rows[1:]:
        print(r[i])' "$1"
}

# grafana_var_names DASHBOARD: its query variables, in the order Grafana
# refreshes them (the dashboard's).
grafana_var_names() {
	python3 -c '
import json, sys
for v in json.load(open(sys.argv[1])).get("templating", {}).get("list", []):
    if v.get("type") == "query":
        print(v["name"])' "$1"
}

# grafana_var_sql DASHBOARD NAME DIR ARGS...: expands the dashboard with
# ARGS (--var NAME=VALUE ..., as for grafana-expand.py) into DIR, and
# prints the line of variable NAME (NNN kind id format columns title);
# its SQL is DIR/NNN.sql.
grafana_var_sql() {
	local f=$1 name=$2 dir=$3
	shift 3
	$GRAFANA_EXPAND "$@" --split "$dir" "$f" 2>/dev/null |
		awk -F'\t' -v t="variable $name" '$2 == "variable" && $6 == t'
}

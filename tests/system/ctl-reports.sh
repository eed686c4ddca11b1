#!/bin/bash
# ctl-reports: ventoctl's reports and monitoring checks against a
# populated database (a generated year). Exit codes exactly at and around
# each threshold; the perfdata parsed by a parser of the monitoring-plugins
# format; --json parsed; the numbers of production equal the yearly check.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_year_farm
q() { vento_psql -c "$1"; }
ctl() { "$BIN/ventoctl" -c "$WORK/vento.conf" "$@"; }

# A parser of plugin output: "TEXT | 'label'=value[UOM];warn;crit;min;max ...".
# Prints label=value lines, or fails on anything malformed.
perfparse() {
	python3 -c '
import re, sys
line = sys.stdin.read()
assert line.count("\n") == 1, "one line"
text, _, perf = line.rstrip("\n").partition(" | ")
perf = perf.split(" ") if perf else []
assert re.match(r"^VENTO (OK|WARNING|CRITICAL|UNKNOWN) - ", text), text
assert len(text) <= 80, "text over 80 characters: %d" % len(text)
rng = r"(@?(~|-?[0-9.]+)?(:(-?[0-9.]+)?)?)?"
item = re.compile(r"^\x27([^\x27=]+)\x27=(-?[0-9.]+(e[-+]?[0-9]+)?)([a-zA-Z%]*);" + rng + ";" + rng + ";(-?[0-9.]*);(-?[0-9.]*)$")
for p in perf:
    m = item.match(p)
    assert m, "bad perfdata item: " + p
    print("%s=%s" % (m.group(1), m.group(2)))
'
}
# run_check EXPECTED_EXIT DESCRIPTION ARGS...: the exit code and the
# output's format.
run_check() {
	local want=$1 what=$2 rc
	shift 2
	ctl check "$@" >"$WORK/check.out" 2>/dev/null
	rc=$?
	check_eq "$what: exit $want" "$want" "$rc"
	perfparse <"$WORK/check.out" >"$WORK/perf.out" 2>"$WORK/perf.err" ||
		{ not_ok "$what: output parses ($(cat "$WORK/perf.err" | tail -1))"; return; }
}

# yearly, judged as of 1 September 2025.
at='2025-09-01 00:00-03'
f=$(q "SELECT round((forecast_ratio * 100)::numeric, 3) FROM vento_yearly_check(2025, '$at')")
up=$(awk -v f="$f" 'BEGIN { printf "%.3f", f + 0.01 }')
down=$(awk -v f="$f" 'BEGIN { printf "%.3f", f - 0.01 }')
run_check 2 "yearly at $f% with defaults (-c 90:)" yearly --at "$at"
check "yearly perfdata carries the forecast" grep -q "^forecast=$f" "$WORK/perf.out"
run_check 0 "yearly just above -w ($down:)" yearly --at "$at" -w "$down:" -c 50:
run_check 1 "yearly just below -w ($up:)" yearly --at "$at" -w "$up:" -c 50:
run_check 0 "yearly exactly at -w ($f:)" yearly --at "$at" -w "$f:" -c 50:
run_check 2 "yearly just below -c ($up:)" yearly --at "$at" -w 99: -c "$up:"
run_check 1 "yearly inside @-range" yearly --at "$at" -w "@$down:$up" -c 0:
run_check 3 "yearly with too little data (2026)" yearly --at '2026-01-15 00:00-03'
check "says why" grep -q 'data only 0.0% complete' "$WORK/check.out"
# --at a date alone is local midnight in the projection's time zone (the
# session's is UTC here, where 2026-01-01 00:00 is still 2025 in Bahia).
run_check 3 "yearly --at 2026-01-01 judges 2026, not 2025" yearly --at 2026-01-01
check "says 2026 has no data" grep -q 'data only 0.0% complete' "$WORK/check.out"
ctl check yearly --at 2025-09-01 >"$WORK/date.out"
ctl check yearly --at "$at" >"$WORK/time.out"
check_eq "--at 2025-09-01 is --at '2025-09-01 00:00-03'" "$(cat "$WORK/time.out")" "$(cat "$WORK/date.out")"
# -w and -c apply to the forecast alone: the completeness perfdata has none.
run_check 0 "yearly with -w and -c" yearly --at "$at" -w "$down:" -c 50:
check "the forecast's perfdata carries them" grep -q "'forecast'=$f%;$down:;50:;0;" "$WORK/check.out"
check "the completeness's carries no thresholds" grep -q "'completeness'=100%;;;0;100" "$WORK/check.out"

# comm: 3 of the 40 turbines silent.
q "SELECT vento_ensure_partitions(now(), now())" >/dev/null
q "INSERT INTO raw_sample (time, device_id, quality, wtur_w)
   SELECT now() - interval '5 seconds', id, 0, 1000 FROM device WHERE id <= 37" >/dev/null
run_check 1 "comm 3 silent, defaults (-w 0 -c 4)" comm
check "comm perfdata counts them" grep -qx "silent=3" "$WORK/perf.out"
check "comm names them" grep -q "silent for 60 s: T38, T39, T40 |" "$WORK/check.out"
q "DELETE FROM raw_sample" >/dev/null
run_check 2 "comm 40 silent" comm
check "comm names as many as fit, then counts the rest" \
	grep -q "silent for 60 s: T01, T02, T03, T04 +36 more |" "$WORK/check.out"
q "INSERT INTO raw_sample (time, device_id, quality, wtur_w)
   SELECT now() - interval '5 seconds', id, 0, 1000 FROM device WHERE id <= 37" >/dev/null
run_check 0 "comm -w 3" comm -w 3 -c 10
run_check 1 "comm -w 2" comm -w 2 -c 10
run_check 2 "comm -c 2" comm -w 1 -c 2
run_check 0 "comm -c 3" comm -w 5 -c 3
run_check 1 "comm -w 4: (alert below 4)" comm -w 4: -c 0:
run_check 0 "comm -w 3: (alert below 3)" comm -w 3: -c 0:
run_check 1 "comm -w ~:2" comm -w '~:2' -c 10
run_check 1 "comm -w @3:3 (alert inside)" comm -w @3:3 -c 10
run_check 0 "comm -w @4:9" comm -w @4:9 -c 10

# freshness: the newest row is seconds old.
q "INSERT INTO raw_sample (time, device_id, quality) VALUES (now() - interval '2 seconds', 1, 0)" >/dev/null
run_check 0 "freshness of a row 2 s old" freshness
run_check 1 "freshness -w 1" freshness -w 1 -c 100

# spool, from the health file ventod writes.
mkdir -p "$WORK/state"
health() {
	printf 'updated=%s\npid=%s\nspool_backlog=%s\nnewest_ms=%s\nspool_dropped=%s\ndb_up=1\n' \
		"$(date +%s)" "$1" "$2" "$3" "$4" >"$WORK/state/health"
}
now_ms=$(($(date +%s) * 1000))
health 4242 0 "$now_ms" 0
run_check 0 "spool empty" spool
health 4242 120 $((now_ms - 120000)) 0
run_check 1 "spool 120 s behind (-w 60)" spool
health 4242 700 $((now_ms - 700000)) 0
run_check 2 "spool 700 s behind (-c 600)" spool
health 4242 0 "$now_ms" 3
run_check 1 "spool dropped batches: a loss is a WARNING" spool
check "says so" grep -q 'spool: LOST 3 batches dropped at the bound' "$WORK/check.out"
health 4242 0 "$now_ms" 61
run_check 2 "spool dropped batches past 60: CRITICAL" spool
health 0 0 "$now_ms" 0
run_check 2 "ventod stopped" spool
rm "$WORK/state/health"
run_check 3 "no health file" spool

# all: the worst of them. The rows comm and freshness judge were written
# a dozen checks ago; on a loaded machine those took over 55 s, the rows
# fell out of comm's 60 s window (40 silent: CRITICAL, exit 2) and out of
# freshness's. So the same 37 devices answer again just now, and the
# health file is new: comm 3 silent (WARNING), freshness, spool OK, yearly
# UNKNOWN (2026 has no data) which ranks below WARNING.
q "DELETE FROM raw_sample" >/dev/null
q "INSERT INTO raw_sample (time, device_id, quality, wtur_w)
   SELECT now(), id, 0, 1000 FROM device WHERE id <= 37" >/dev/null
health 4242 0 "$(($(date +%s) * 1000))" 0
run_check 1 "all: comm's warning is the worst" all
check "all: names comm's warning" grep -q 'comm: 3 of 40 silent\|comm WARNING' "$WORK/check.out"

# The database unreachable: UNKNOWN.
PGHOST=$WORK/nowhere run_check 3 "yearly with the database unreachable" yearly
check "says so" grep -q 'VENTO UNKNOWN - database unreachable' "$WORK/check.out"

# Reports: --json parsed, numbers equal the yearly check.
ctl --json production --year 2025 >"$WORK/prod.json"
check_eq "production --json parses, 12 months" 12 \
	"$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["months"]))' "$WORK/prod.json")"
check_eq "its months add up to the year" \
	"$(q "SELECT round((actual_kwh / 1000)::numeric, 0) FROM vento_yearly_check(2025, '2026-06-01')")" \
	"$(python3 -c 'import json,sys; print(round(sum(m["actual_mwh"] for m in json.load(open(sys.argv[1]))["months"])))' "$WORK/prod.json")"
ctl --json production --year 2025 --by turbine >"$WORK/turb.json"
check_eq "production --by turbine --json: 40 turbines" 40 \
	"$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["turbines"]))' "$WORK/turb.json")"
ctl production --year 2025 >"$WORK/prod.txt"
check "production prints the yearly check" grep -q '^YEAR  ACTUAL_GWH' "$WORK/prod.txt"
check_eq "production --json has the same year summary as the table (forecast, projection, data %)" \
	"$(awk '/^YEAR  ACTUAL_GWH/ { getline; print $4 "|" $5 "|" $7 }' "$WORK/prod.txt")" \
	"$(python3 -c 'import json,sys; y = json.load(open(sys.argv[1]))["year"]; print("%.2f|%.2f|%.1f" % (y["forecast_gwh"], y["projection_gwh"], y["data_pct"]))' "$WORK/prod.json")"
check_eq "and with --by turbine too" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["year"])' "$WORK/prod.json")" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["year"])' "$WORK/turb.json")"
ctl production --year 2025 --by day >"$WORK/day.txt"
check_eq "production --by day: a line per local day" 365 "$(grep -c '^2025-' "$WORK/day.txt")"
ctl --json availability --year 2025 >"$WORK/avail.json"
check_eq "availability --json: 100% for all 40, and for the farm" "40|100" \
	"$(python3 -c 'import json,sys; a = json.load(open(sys.argv[1])); print("%d|%g" % (sum(1 for d in a["turbines"] if d["availability_pct"] == 100), a["farm"]["availability_pct"]))' "$WORK/avail.json")"
ctl --json powercurve T07 --year 2025 >"$WORK/pc.json"
check "powercurve --json has bins from 3 to 10 m/s" python3 -c '
import json, sys
bins = [b["wind_ms"] for b in json.load(open(sys.argv[1]))]
assert min(bins) <= 3.5 and max(bins) >= 9.5, bins' "$WORK/pc.json"
ctl plan --json T01 >"$WORK/plan.json"
check "plan --json: the device named, with its reads" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert [d["device"] for d in p] == ["T01"], p
assert p[0]["reads"] and all(r["signals"] and r["count"] > 0 for r in p[0]["reads"]), p' "$WORK/plan.json"
check_eq "--json before the command is the same" "$(cat "$WORK/plan.json")" \
	"$(ctl --json plan T01)"
check "plan --json NOSUCH: an error, no document" sh -c \
	"! '$BIN/ventoctl' -c '$WORK/vento.conf' plan --json NOSUCH 2>/dev/null | grep -q ."
for cmd in status check production availability powercurve plan read migrate import; do
	check "ventoctl $cmd --help" sh -c "'$BIN/ventoctl' $cmd --help | grep -q usage"
done
tap_done

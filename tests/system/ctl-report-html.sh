#!/bin/bash
# ctl-report-html: `ventoctl report` writes a self-contained page for a
# month of a generated year: no script, nothing fetched; every chart has a
# title and axes with units; budget against actual for the month and the
# year to date, the farm's availability and each turbine's performance;
# no month after the report's; its numbers equal `ventoctl production
# --json`; and headless Chromium renders it to a PNG without errors.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
vento_year_farm
ctl() { "$BIN/ventoctl" -c "$WORK/vento.conf" "$@"; }

check "ventoctl report writes the page" ctl report --month 2025-08 -o "$WORK/report.html"
check "it is HTML with SVG charts" grep -q '<svg width=' "$WORK/report.html"
check_eq "no script in it" 0 "$(grep -ci '<script' "$WORK/report.html")"
check_eq "nothing fetched: no external reference" 0 \
	"$(grep -Eci '(src|href)=\"?(https?:|//)' "$WORK/report.html")"
check_eq "a power curve per turbine" 40 "$(grep -c 'aria-label="power curve"' "$WORK/report.html")"
ctl --json production --year 2025 >"$WORK/prod.json"
check "its monthly numbers equal production --json" python3 - "$WORK/report.html" "$WORK/prod.json" <<'PY'
import html.parser, json, sys

class Monthly(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside, self.cell, self.rows, self.row = False, None, [], []
    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("id", "monthly") in attrs:
            self.inside = True
        elif self.inside and tag == "td":
            self.cell = ""
    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag == "td":
            self.row.append(self.cell); self.cell = None
        elif self.inside and tag == "tr" and self.row:
            self.rows.append(self.row); self.row = []
    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

p = Monthly()
p.feed(open(sys.argv[1]).read())
page = {int(r[0]): (float(r[1]), float(r[2])) for r in p.rows}
cli = {m["month"]: (m["actual_mwh"], m["budget_mwh"]) for m in json.load(open(sys.argv[2]))["months"]}
cli = {m: v for m, v in cli.items() if m <= 8}
assert len(page) == 8 and page == cli, (page, cli)
PY
check "every chart has a title and axes with their units" python3 - "$WORK/report.html" <<'PY'
import re, sys
page = open(sys.argv[1]).read()
svgs = re.findall(r"<svg.*?</svg>", page, re.S)
assert len(svgs) == 3 + 40, len(svgs)
for svg in svgs:
    label = re.search(r'aria-label="([^"]*)"', svg).group(1)
    assert re.search(r"<title>[^<]+</title>", svg), label
    units = {"monthly production": ["energy (MWh)", "month"],
             "cumulative energy": ["cumulative energy (GWh)", "date"],
             "availability": ["time-based availability (%)"],
             "power curve": ["power (kW)", "wind (m/s)"]}[label]
    for u in units:
        assert ">" + u + "<" in svg, (label, u)
    # ticks: at least three numbered labels on an axis
    assert len(re.findall(r'text-anchor="(end|middle)">[0-9.e+]+</text>', svg)) >= 3, label
PY
check_eq "no NaN or infinity anywhere on the page" 0 "$(grep -ci 'nan\b\|inf\b' "$WORK/report.html")"
check "budget against actual, the month's and the year to date's, as production has them" \
	python3 - "$WORK/report.html" "$WORK/prod.json" <<'PY'
import json, re, sys
page = open(sys.argv[1]).read()
table = re.search(r'<table id="budget">(.*?)</table>', page, re.S).group(1)
rows = re.findall(r"<tr><th>([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", table)
months = {m["month"]: m for m in json.load(open(sys.argv[2]))["months"]}
aug, ytd = rows
assert aug[0] == "Aug 2025" and float(aug[1]) == months[8]["actual_mwh"] and float(aug[2]) == months[8]["budget_mwh"], aug
assert ytd[0].startswith("year to date"), ytd
assert abs(float(ytd[1]) - sum(months[m]["actual_mwh"] for m in range(1, 9))) < 0.5, ytd
assert abs(float(ytd[2]) - sum(months[m]["budget_mwh"] for m in range(1, 9))) < 0.5, ytd
PY
farm=$(vento_psql -c "SELECT turbines || '|' || round((availability * 100)::numeric, 2) FROM vento_farm_availability('2025-08-01 00:00-03', '2025-09-01 00:00-03')")
check_eq "the farm's availability of the month, as vento_farm_availability has it" "$farm" \
	"$(sed -n '/<table id="farm">/,/<\/table>/p' "$WORK/report.html" | sed -n 's|^<tr><th>Aug 2025</th><td>\([^<]*\)</td><td>\([^<]*\)</td>.*|\1\|\2|p')"
check_eq "a row per turbine with its performance of the year" 40 \
	"$(sed -n '/<table id="turbines">/,/<\/table>/p' "$WORK/report.html" | grep -c '^<tr><td>T[0-9]*</td><td>[0-9.]*</td><td>[0-9.]*</td><td>[0-9.]*</td><td[^>]*>[0-9.]*</td></tr>')"
check "each power curve says its performance and periods" test \
	"$(grep -c 'performance [0-9.]* %[^,]*, [0-9]* periods' "$WORK/report.html")" -eq 40
check "a June report" ctl report --month 2025-06 -o "$WORK/june.html"
check_eq "lists only the months up to June" "1 2 3 4 5 6" \
	"$(sed -n '/<table id="monthly">/,/<\/table>/p' "$WORK/june.html" | sed -n 's|^<tr><td>\([0-9]*\)</td>.*|\1|p' | tr '\n' ' ' | sed 's/ $//')"
check_eq "and draws no month after it" "Jan Feb Mar Apr May Jun" \
	"$(sed -n '/aria-label="monthly production"/,/<\/svg>/p' "$WORK/june.html" | sed -n 's|.*text-anchor="middle">\([A-Z][a-z][a-z]\)</text>|\1|p' | tr '\n' ' ' | sed 's/ $//')"
if command -v chromium >/dev/null; then
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$WORK/chromium" --window-size=1200,3000 \
		--screenshot="$WORK/report.png" "file://$WORK/report.html" >"$WORK/chromium.log" 2>&1
	check_eq "headless Chromium renders it" 0 "$?"
	check "to a PNG of substance" test "$(stat -c %s "$WORK/report.png" 2>/dev/null || echo 0)" -gt 20000
	[ -n "${VENTO_KEEP:-}" ] && echo "# screenshot $WORK/report.png"
else
	not_ok "headless Chromium (package chromium) is not installed"
fi
tap_done

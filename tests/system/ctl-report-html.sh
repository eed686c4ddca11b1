#!/bin/bash
# ctl-report-html: `ventoctl report` writes a self-contained page for a
# month of a generated year: no script, nothing fetched; its numbers equal
# `ventoctl production --json`; and headless Chromium renders it to a PNG
# without errors.
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
assert len(page) == 12 and page == cli, (page, cli)
PY
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

#!/usr/bin/env python3
"""grafana-expand.py - expands the SQL of a Grafana dashboard's panels as
Grafana's PostgreSQL data source does, so that the tests can run it.

  grafana-expand.py [options] DASHBOARD.json

Two stages, as in Grafana:

1. The browser (templateSrv) replaces template variables: $name, ${name},
   ${name:format}, [[name]] for the dashboard's variables (values from
   --var, else the variable's saved current value) and the built-in
   $__interval, $__interval_ms, $__from, $__to, $__range, $__range_s,
   $__range_ms. A single value of a variable that is neither multi nor
   include-all goes in as it is with ' doubled; several values are quoted
   and joined with commas. $__interval is the panel's: the time range over
   its maxDataPoints (--width when it has none), rounded as Grafana's
   rangeutil.roundInterval rounds, and no less than the panel's "interval"
   (else --min-interval, the data source's timeInterval).

2. The server (pkg/tsdb/sqleng and the postgres macro engine) replaces
   $__interval_ms, $__interval, $__unixEpochFrom(), $__unixEpochTo(), then
   every $__name(args):
     $__time(c)             c AS "time"
     $__timeEpoch(c)        extract(epoch from c) as "time"
     $__timeFilter(c)       c BETWEEN 'FROM' AND 'TO'
     $__timeFrom()          'FROM'
     $__timeTo()            'TO'
     $__timeGroup(c, i[, fill])        floor(extract(epoch from c)/S)*S
     $__timeGroupAlias(c, i[, fill])   the same AS "time"
     $__unixEpochFilter(c)  c >= F AND c <= T
     $__unixEpochNanoFilter(c), $__unixEpochNanoFrom(), $__unixEpochNanoTo()
     $__unixEpochGroup(c, i[, fill])   floor((c)/S)*S, and ...Alias
   FROM and TO are RFC 3339 in UTC with Go's nanosecond layout (no trailing
   zeros in the fraction, "Z"); F and T are Unix seconds; S is the interval
   in seconds printed as Go's %v prints a float64. A $__timeGroup directly
   followed by a comma becomes $__timeGroupAlias (Grafana's compatibility
   with 5.2). Any other $name(...) is an error, as in Grafana.

The time range is the dashboard's own ("now-15m", "now/y" ...) unless
--from/--to say otherwise, in the dashboard's time zone ("timezone": an
IANA name, "utc", or "browser" for this machine's); --now pins "now".

Output: for every panel target (and every query variable) its dashboard,
panel title, refId, format and SQL. With --split DIR each SQL goes to
DIR/NNN.sql and one tab-separated line is printed per item:
  NNN  kind  panel-id  format  expected-columns  title
where kind is "panel" or "variable" and expected-columns are the column
names the panel's configuration names (field overrides by name, the bar
chart's x field, the XY chart's fields, the table's sort), joined with |
("-" for none).
"""
import argparse
import calendar
import datetime as dt
import json
import os
import re
import sys
from decimal import Decimal

try:
    from zoneinfo import ZoneInfo
except ImportError:  # pragma: no cover
    ZoneInfo = None

UTC = dt.timezone.utc


# ---------------------------------------------------------------- time range

def _zone(name):
    if not name or name == "browser":
        return dt.datetime.now().astimezone().tzinfo
    if name.lower() == "utc":
        return UTC
    return ZoneInfo(name)


def _add_months(t, n):
    y, m = divmod(t.month - 1 + n, 12)
    y += t.year
    # Go's AddDate and moment both go from the same day of the month; moment
    # clamps to the month's end (Grafana's date math is moment's).
    d = min(t.day, calendar.monthrange(y, m + 1)[1])
    return t.replace(year=y, month=m + 1, day=d)


def _start_of(t, unit, week_start=6):
    if unit == "y":
        return t.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "M":
        return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit in ("w", "d"):
        t = t.replace(hour=0, minute=0, second=0, microsecond=0)
        if unit == "w":  # moment's "en" locale: weeks start on Sunday
            t -= dt.timedelta(days=(t.weekday() - week_start) % 7)
        return t
    if unit == "h":
        return t.replace(minute=0, second=0, microsecond=0)
    if unit == "m":
        return t.replace(second=0, microsecond=0)
    if unit == "s":
        return t.replace(microsecond=0)
    raise ValueError("unknown unit " + unit)


def _add(t, n, unit):
    if unit == "y":
        return _add_months(t, 12 * n)
    if unit == "M":
        return _add_months(t, n)
    secs = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    if unit in ("w", "d"):
        # calendar days in the zone, as moment adds them
        naive = t.replace(tzinfo=None) + dt.timedelta(days=n * (7 if unit == "w" else 1))
        return naive.replace(tzinfo=t.tzinfo)
    if unit == "ms":
        return t + dt.timedelta(milliseconds=n)
    return (t.astimezone(UTC) + dt.timedelta(seconds=n * secs[unit])).astimezone(t.tzinfo)


def parse_time(text, now, zone, round_up):
    """Grafana's dateMath.parse: now[+-N unit][/unit]..., or an absolute
    time (ISO 8601, or epoch milliseconds)."""
    text = text.strip()
    if not text.startswith("now"):
        if re.fullmatch(r"\d+", text):
            return dt.datetime.fromtimestamp(int(text) / 1000, UTC)
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return t if t.tzinfo else t.replace(tzinfo=zone)
    t = now.astimezone(zone)
    rest = text[3:]
    while rest:
        m = re.match(r"/(ms|[smhdwMy])", rest)
        if m:
            unit = m.group(1)
            t = _start_of(t, unit)
            if round_up:
                t = _add(t, 1, unit) - dt.timedelta(milliseconds=1)
            rest = rest[m.end():]
            continue
        m = re.match(r"([+-])(\d*)(ms|[smhdwMy])", rest)
        if not m:
            raise ValueError("cannot parse time " + text)
        n = int(m.group(2) or 1)
        t = _add(t, -n if m.group(1) == "-" else n, m.group(3))
        rest = rest[m.end():]
    return t


def to_ms(t):
    return int(round(t.timestamp() * 1000))


# ---------------------------------------------------------------- intervals

def round_interval(ms):
    """@grafana/data rangeutil.roundInterval."""
    steps = [(10, 1), (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500),
             (1500, 1000), (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000),
             (25000, 20000), (45000, 30000), (90000, 60000), (210000, 120000),
             (450000, 300000), (750000, 600000), (1050000, 900000), (1500000, 1200000),
             (2700000, 1800000), (5400000, 3600000), (9000000, 7200000),
             (16200000, 10800000), (32400000, 21600000), (86400000, 43200000),
             (604800000, 86400000), (1814400000, 604800000), (3628800000, 2592000000)]
    for limit, value in steps:
        if ms < limit:
            return value
    return 31536000000


def interval_to_ms(text):
    """rangeutil.intervalToMs (a bare number is seconds)."""
    text = text.strip().lstrip("<>")
    secs = {"y": 31536000, "M": 2592000, "w": 604800, "d": 86400, "h": 3600, "m": 60,
            "s": 1, "ms": 0.001}
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return int(float(text) * 1000)
    m = re.search(r"(-?\d+(?:\.\d+)?)(ms|[Mwdhmsy])", text)
    if not m:
        raise ValueError("bad interval " + text)
    return int(int(float(m.group(1))) * secs[m.group(2)] * 1000)


def seconds_to_hms(seconds):
    """rangeutil.secondsToHms: the text of $__interval."""
    n = int(seconds // 31536000)
    if n:
        return "%dy" % n
    n = int((seconds % 31536000) // 86400)
    if n:
        return "%dd" % n
    n = int(((seconds % 31536000) % 86400) // 3600)
    if n:
        return "%dh" % n
    n = int((((seconds % 31536000) % 86400) % 3600) // 60)
    if n:
        return "%dm" % n
    n = int((((seconds % 31536000) % 86400) % 3600) % 60)
    if n:
        return "%ds" % n
    n = int(seconds * 1000)
    if n:
        return "%dms" % n
    return "less than a millisecond"


def format_interval(ms):
    """gtime.FormatInterval (the server's $__interval)."""
    for size, unit in ((31536000000, "y"), (86400000, "d"), (3600000, "h"), (60000, "m"),
                       (1000, "s"), (1, "ms")):
        if ms >= size:
            return "%d%s" % (ms // size, unit)
    return "1ms"


_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0,
             "m": 60.0, "h": 3600.0}


def go_parse_interval(text, now_utc):
    """gtime.ParseInterval, in seconds: N followed by d, w, M or y is
    calendar time from now (UTC); else Go's time.ParseDuration."""
    m = re.fullmatch(r"(\d+)([dwMy])", text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if unit in ("d", "w"):
            return float(n * (7 if unit == "w" else 1) * 86400)
        months = n if unit == "M" else 12 * n
        y, mo = divmod(now_utc.month - 1 + months, 12)
        # Go's AddDate normalises an overflowing day into the next month.
        later = dt.datetime(now_utc.year + y, mo + 1, 1, tzinfo=UTC) + \
            dt.timedelta(days=now_utc.day - 1, hours=now_utc.hour, minutes=now_utc.minute,
                         seconds=now_utc.second, microseconds=now_utc.microsecond)
        return (later - now_utc).total_seconds()
    s = text
    sign = 1.0
    if s[:1] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise ValueError("invalid duration %r" % text)
    total = 0.0
    while s:
        m = re.match(r"(\d*\.?\d*)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)", s)
        if not m or m.group(1) in ("", "."):
            raise ValueError("invalid duration %r" % text)
        total += float(m.group(1)) * _GO_UNITS[m.group(2)]
        s = s[m.end():]
    return sign * total


def go_float(x):
    """A float64 as Go's fmt %v prints it (strconv 'g', shortest, with the
    exponent form from 1e+06 up or below 1e-04)."""
    if x == 0:
        return "0"
    d = Decimal(repr(float(x))).normalize()
    sign, digits, exp = d.as_tuple()
    e10 = len(digits) - 1 + exp
    neg = "-" if sign else ""
    if e10 < -4 or e10 >= 6:
        mant = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
        return "%s%se%s%02d" % (neg, mant, "-" if e10 < 0 else "+", abs(e10))
    return neg + format(abs(d), "f")


def rfc3339nano(t):
    """Go's time.RFC3339Nano of a UTC time."""
    t = t.astimezone(UTC)
    frac = ("%06d" % t.microsecond).rstrip("0")
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ("." + frac if frac else "") + "Z"


# ------------------------------------------------------- stage 1: variables

_VAR_RE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}")


def _sql_quote(v):
    return "'" + str(v).replace("'", "''") + "'"


def replace_variables(sql, values, multi, builtins):
    def one(m):
        name = m.group(1) or m.group(2) or m.group(4)
        fmt = m.group(3) or m.group(6)
        if name in builtins:
            return str(builtins[name])
        if name not in values:
            return m.group(0)
        vals = values[name]
        if fmt == "raw":
            return ",".join(vals)
        if fmt == "csv":
            return ",".join(vals)
        if fmt == "singlequote":
            return ",".join("'" + v.replace("'", "\\'") + "'" for v in vals)
        if fmt == "doublequote":
            return ",".join('"' + v.replace('"', '\\"') + '"' for v in vals)
        if fmt == "sqlstring":
            return ",".join(_sql_quote(v) for v in vals)
        # The SQL data sources' interpolateVariable.
        if len(vals) == 1 and not multi.get(name):
            return vals[0].replace("'", "''")
        return ",".join(_sql_quote(v) for v in vals)
    return _VAR_RE.sub(one, sql)


# ----------------------------------------------------- stage 2: the server

_MACRO_RE = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")


class MacroError(Exception):
    pass


def expand_macros(sql, t_from, t_to, interval_ms, now_utc):
    # sqleng.Interpolate
    sql = sql.replace("$__interval_ms", str(interval_ms))
    sql = sql.replace("$__interval", format_interval(interval_ms))
    sql = sql.replace("$__unixEpochFrom()", str(int(t_from.timestamp())))
    sql = sql.replace("$__unixEpochTo()", str(int(t_to.timestamp())))
    original = sql
    f, t = rfc3339nano(t_from), rfc3339nano(t_to)

    def group(args, name, epoch):
        if len(args) < 2:
            raise MacroError("macro %s needs time column and interval and optional fill value" % name)
        try:
            secs = go_parse_interval(args[1].strip("'"), now_utc)
        except ValueError:
            raise MacroError("error parsing interval %s" % args[1])
        s = go_float(secs)
        if epoch:
            return "floor((%s)/%s)*%s" % (args[0], s, s)
        return "floor(extract(epoch from %s)/%s)*%s" % (args[0], s, s)

    def one(m):
        name, whole = m.group(1), m.group(0)
        if name == "__timeGroup":
            i = original.find(whole)
            if i >= 0 and len(original) > i + len(whole) and original[i + len(whole)] == ",":
                name = "__timeGroupAlias"
        args = [a.strip(" ") for a in m.group(2).split(",")]
        if name == "__time":
            return '%s AS "time"' % args[0]
        if name == "__timeEpoch":
            return 'extract(epoch from %s) as "time"' % args[0]
        if name == "__timeFilter":
            return "%s BETWEEN '%s' AND '%s'" % (args[0], f, t)
        if name == "__timeFrom":
            return "'%s'" % f
        if name == "__timeTo":
            return "'%s'" % t
        if name == "__timeGroup":
            return group(args, name, False)
        if name == "__timeGroupAlias":
            return group(args, "__timeGroup", False) + ' AS "time"'
        if name == "__unixEpochFilter":
            return "%s >= %d AND %s <= %d" % (args[0], int(t_from.timestamp()), args[0],
                                             int(t_to.timestamp()))
        if name == "__unixEpochNanoFilter":
            return "%s >= %d AND %s <= %d" % (args[0], to_ms(t_from) * 1000000, args[0],
                                             to_ms(t_to) * 1000000)
        if name == "__unixEpochNanoFrom":
            return "%d" % (to_ms(t_from) * 1000000)
        if name == "__unixEpochNanoTo":
            return "%d" % (to_ms(t_to) * 1000000)
        if name == "__unixEpochGroup":
            return group(args, name, True)
        if name == "__unixEpochGroupAlias":
            return group(args, "__unixEpochGroup", True) + ' AS "time"'
        raise MacroError('unknown macro "%s"' % name)

    return _MACRO_RE.sub(one, sql)


# ------------------------------------------------------------ the dashboard

def expected_columns(panel):
    """Column names the panel's configuration refers to."""
    names = []

    def add(n):
        if isinstance(n, str) and n and n not in names:
            names.append(n)
    for o in panel.get("fieldConfig", {}).get("overrides", []):
        m = o.get("matcher", {})
        if m.get("id") == "byName":
            add(m.get("options"))
    opts = panel.get("options", {})
    add(opts.get("xField"))
    for s in opts.get("series", []) or []:
        for dim in ("x", "y", "color", "size"):
            m = (s.get(dim) or {}).get("matcher", {}) if isinstance(s.get(dim), dict) else {}
            if m.get("id") == "byName":
                add(m.get("options"))
    for s in opts.get("sortBy", []) or []:
        add(s.get("displayName"))
    return names


def panels_of(dash):
    for p in dash.get("panels", []):
        yield p
        for q in p.get("panels", []) or []:  # collapsed rows
            yield q


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dashboard")
    ap.add_argument("--from", dest="t_from")
    ap.add_argument("--to", dest="t_to")
    ap.add_argument("--now", help="the time of 'now' (ISO 8601); default the clock")
    ap.add_argument("--tz", help="the time zone for date math; default the dashboard's")
    ap.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                    help="a template variable's value; repeat for several values")
    ap.add_argument("--width", type=int, default=1000,
                    help="max data points of a panel that sets none (its width in px)")
    ap.add_argument("--min-interval", default="",
                    help="the data source's minimum interval (jsonData.timeInterval)")
    ap.add_argument("--split", metavar="DIR")
    a = ap.parse_args()

    with open(a.dashboard) as fh:
        dash = json.load(fh)
    now = dt.datetime.fromisoformat(a.now.replace("Z", "+00:00")) if a.now \
        else dt.datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    now = now.astimezone(UTC)
    zone = _zone(a.tz or dash.get("timezone", ""))
    trange = dash.get("time", {"from": "now-6h", "to": "now"})
    t_from = parse_time(a.t_from or trange["from"], now, zone, False)
    t_to = parse_time(a.t_to or trange["to"], now, zone, True)
    from_ms, to_ms_ = to_ms(t_from), to_ms(t_to)
    # Grafana works in milliseconds.
    t_from = dt.datetime.fromtimestamp(from_ms / 1000, UTC)
    t_to = dt.datetime.fromtimestamp(to_ms_ / 1000, UTC)

    values, multi = {}, {}
    for v in dash.get("templating", {}).get("list", []):
        multi[v["name"]] = bool(v.get("multi") or v.get("includeAll"))
        cur = (v.get("current") or {}).get("value")
        if cur not in (None, "", []):
            values[v["name"]] = cur if isinstance(cur, list) else [str(cur)]
    given = {}
    for kv in a.var:
        k, _, val = kv.partition("=")
        given.setdefault(k, []).append(val)
    values.update(given)

    items = []
    rng = to_ms_ - from_ms
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("rawSql") or q.get("query") if isinstance(q, dict) else q
        imsec = max(round_interval(rng / a.width),
                    interval_to_ms(a.min_interval) if a.min_interval else 1)
        items.append(("variable", 0, "table", [], "variable " + v["name"], "A",
                      q, imsec))
    for p in panels_of(dash):
        if p.get("type") == "row" or not p.get("targets"):
            continue
        low = p.get("interval") or a.min_interval
        imsec = round_interval(rng / (p.get("maxDataPoints") or a.width))
        if low:
            imsec = max(imsec, interval_to_ms(replace_variables(low, values, multi, {})))
        for tg in p["targets"]:
            items.append(("panel", p.get("id", 0), tg.get("format", "time_series"),
                          expected_columns(p), p.get("title", ""), tg.get("refId", "A"),
                          tg.get("rawSql", ""), imsec))

    if a.split:
        os.makedirs(a.split, exist_ok=True)
    rc = 0
    for n, (kind, pid, fmt, expect, title, ref, sql, imsec) in enumerate(items, 1):
        builtins = {"__interval": seconds_to_hms(imsec / 1000), "__interval_ms": imsec,
                    "__from": from_ms, "__to": to_ms_, "__range_ms": rng,
                    "__range_s": rng // 1000, "__range": seconds_to_hms(rng / 1000)}
        text = replace_variables(sql, values, multi, builtins)
        missing = sorted(set(n for n in (m.group(1) or m.group(2) or m.group(4)
                                         for m in _VAR_RE.finditer(text))
                             if not n.startswith("__")))
        try:
            text = expand_macros(text, t_from, t_to, imsec, now)
        except MacroError as e:
            print("%s: %s [%s]: %s" % (a.dashboard, title, ref, e), file=sys.stderr)
            text, rc = "SELECT macro_error()", 1
        if missing:
            print("%s: %s [%s]: no value for $%s" % (a.dashboard, title, ref, missing[0]),
                  file=sys.stderr)
            rc = 1
        text = text.strip().rstrip(";").rstrip()
        label = "%s [%s]" % (title, ref) if kind == "panel" else title
        if a.split:
            with open(os.path.join(a.split, "%03d.sql" % n), "w") as fh:
                fh.write(text + "\n")
            print("\t".join(["%03d" % n, kind, str(pid), fmt, "|".join(expect) or "-",
                             label.replace("\t", " ")]))
        else:
            print("-- %s: %s (%s)" % (dash.get("uid", ""), label, fmt))
            print(text + ";\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())

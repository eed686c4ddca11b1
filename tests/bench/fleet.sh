#!/bin/bash
# tests/bench/fleet.sh - the fleet's figures (tests/bench/run calls it; it
# runs alone too, after `make`):
#
#   fleet_lag_p99              steady state, two farms of 40 turbines, each
#                              with ventosim and ventod, replicating to one
#                              fleet: now() at the fleet less the farm's
#                              stored_at as received, sampled twice a second
#                              for BENCH_SECONDS, 99th percentile (s); it
#                              includes the second between a farm's batches
#   fleet_catchup_rows_per_s   a farm's subscription disabled while 30 days
#                              of 10-minute statistics of 40 turbines
#                              (172,800 rows, more than an hour of raw
#                              samples of 40 turbines) are written there;
#                              rows the fleet applies per second once it is
#                              enabled again, to the last row
#   fleet_yearly_check_10_farms  vento_fleet_yearly_check at a fleet holding
#                              a year of 10 farms of 40 turbines (the daily
#                              sums the check reads: 146,000 rows), median
#                              of five (ms)
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
RUN=${BENCH_SECONDS:-30}
N=40

bench() { echo "bench: $1 $2 $3"; }
. "$VENTO_ROOT/tests/lib/fleet.sh"

fleet_farm_up A FA 21 $N
fleet_farm_up B FB 22 $N
fleet_up
ctl -c /dev/null migrate --fleet >/dev/null 2>&1 || exit 1
ctl -c /dev/null fleet add FA "host=$WORK/A dbname=vento user=vento" >/dev/null 2>&1 || exit 1
ctl -c /dev/null fleet add FB "host=$WORK/B dbname=vento user=vento" >/dev/null 2>&1 || exit 1
# Past the initial copy: both farms' stored_at received.
for _ in $(seq 1 60); do
	[ "$(at F "SELECT count(*) FROM farm WHERE stored_at > now() - interval '5 s'")" = 2 ] && break
	sleep 1
done
for _ in $(seq 1 $((RUN * 2))); do
	at F "SELECT extract(epoch FROM now() - stored_at) FROM farm"
	sleep 0.5
done >"$WORK/lag"
bench fleet_lag_p99 "$(sort -g "$WORK/lag" | awk '{ v[NR] = $1 } END {
	if (NR) printf "%.2f", v[int(NR * 0.99 + 0.99)] }')" s

# Catch-up: a backlog written while the fleet does not take it.
at F "ALTER SUBSCRIPTION vento_farm_fa DISABLE" >/dev/null
at A "INSERT INTO stat_10min (device_id, period, n, valid, energy_kwh, wtur_w_mean)
      SELECT d.id, p, 600, true, 500, 3000 FROM device d,
             generate_series(date_trunc('day', now()) - interval '60 days',
                             date_trunc('day', now()) - interval '30 days' - interval '10 minutes',
                             interval '10 minutes') p" >/dev/null
want=$(at A "SELECT count(*) FROM stat_10min")
t0=$(date +%s%N)
at F "ALTER SUBSCRIPTION vento_farm_fa ENABLE" >/dev/null
for _ in $(seq 1 600); do
	[ "$(at F "SELECT count(*) FROM stat_10min WHERE farm = 'FA'")" -ge "$want" ] && break
	sleep 0.2
done
t1=$(date +%s%N)
bench fleet_catchup_rows_per_s "$(awk -v n=172800 -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')" rows/s

# The yearly check of 10 farms, each a year of 40 turbines' daily sums.
# The farms' processes stop first: their collectors would compete.
vento_stop_all
mkdir -p "$WORK/Y"
chmod 755 "$WORK/Y"
pg_start "$WORK/Y" || exit 1
export PGHOST=$WORK/Y
ctl -c /dev/null migrate --fleet >/dev/null 2>&1 || exit 1
vento_psql >/dev/null <<'EOF'
INSERT INTO farm (code, name) SELECT 'F' || lpad(f::text, 2, '0'), '' FROM generate_series(1, 10) f;
INSERT INTO projection (farm, id, annual_kwh, monthly_share, time_zone)
SELECT code, true, 720e6, ARRAY[6.8,5.3,5.1,5.5,7.6,9.1,10.8,11.9,11.3,10.4,8.6,7.6], 'America/Bahia' FROM farm;
INSERT INTO device (farm, id, name, kind, profile, rated_kw)
SELECT code, i, 'T' || lpad(i::text, 2, '0'), 'turbine', 'vento-sim-4500', 4500
FROM farm, generate_series(1, 40) i;
INSERT INTO stat_day (farm, device_id, day, periods, valid_periods, flagged_periods, energy_kwh,
                      t_available, t_unavailable, t_excluded, t_unknown, lost_kwh)
SELECT d.farm, d.id, day::date, 144, 144, 0, (abs(hashtext(d.farm || d.id || day::text)) % 100000) / 1.0,
       86400, 0, 0, 0, 0
FROM device d, generate_series(date '2025-01-01', date '2025-12-31', interval '1 day') day;
VACUUM ANALYZE;
EOF
median_ms() {
	local sql=$1
	for _ in 1 2 3 4 5; do
		vento_psql -c "SET ROLE vento_reader" -c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) $sql" |
			sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p'
	done | sort -n | sed -n 3p
}
bench fleet_yearly_check_10_farms "$(median_ms "SELECT * FROM vento_fleet_yearly_check(2025, '2025-09-01 00:00-03')")" ms

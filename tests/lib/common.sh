# common.sh - what the system tests and the demo share (sourced): a private
# work directory, processes started in the background and stopped by pid,
# and generated configurations. Everything started here is stopped and
# removed on exit, also on Ctrl-C and on a failing test.

VENTO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$VENTO_ROOT/tests/lib/pg.sh"

: "${BIN:=$VENTO_ROOT/build}"
BIN=$(cd "$BIN" && pwd) # configurations name paths under it
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

WORK=""
VENTO_PIDS=""

# vento_stop_all: every process started here, TERM, then KILL after 10 s.
vento_stop_all() {
	local pid
	for pid in $VENTO_PIDS; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $VENTO_PIDS; do
		vento_wait_pid "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
	done
	VENTO_PIDS=""
}

vento_cleanup() {
	vento_stop_all
	for lock in "${TMPDIR:-/tmp}"/vento-ports.*; do
		[ "$(cat "$lock/pid" 2>/dev/null)" = $$ ] && rm -rf "$lock"
	done
	if [ -n "$WORK" ]; then
		pg_stop "$WORK"
		if [ -n "${VENTO_KEEP:-}" ]; then
			echo "# kept $WORK" >&2
		else
			rm -rf "$WORK"
		fi
	fi
}

# vento_setup: makes $WORK and arranges the clean-up.
vento_setup() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/vento.XXXXXX")
	chmod 755 "$WORK"
	trap vento_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# vento_wait_pid PID SECONDS: waits for a process to end. Returns 1 if it
# is still there after SECONDS.
vento_wait_pid() {
	local pid=$1 n=$(($2 * 10))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$n" -le 0 ] && return 1
		n=$((n - 1))
		sleep 0.1
	done
	return 0
}

# vento_bg NAME CMD...: starts CMD in the background with its output in
# $WORK/NAME.log; the pid is in $LAST_PID.
vento_bg() {
	local name=$1
	shift
	"$@" >"$WORK/$name.log" 2>&1 &
	LAST_PID=$!
	VENTO_PIDS="$VENTO_PIDS $LAST_PID"
}

# vento_stop PID: SIGTERM, then waits for it; returns its exit status.
vento_stop() {
	local pid=$1 rc=0
	kill -TERM "$pid" 2>/dev/null || return 1
	wait "$pid" || rc=$?
	VENTO_PIDS=$(echo "$VENTO_PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
	return $rc
}

# vento_wait_file FILE SECONDS
vento_wait_file() {
	local n=$(($2 * 10))
	while [ ! -s "$1" ]; do
		[ "$n" -le 0 ] && return 1
		n=$((n - 1))
		sleep 0.1
	done
}

# vento_write_conf FILE N BASE_PORT: a configuration of N simulated turbines
# on 127.0.0.1, ports BASE_PORT+1.., with the spool in $WORK/state.
vento_write_conf() {
	local file=$1 n=$2 base=$3 i sep
	mkdir -p "$WORK/state"
	{
		echo 'database = { conninfo = "dbname=vento"; };'
		echo "state_dir = \"$WORK/state\";"
		[ -n "${SPOOL_MAX_MB:-}" ] && echo "spool_max_mb = $SPOOL_MAX_MB;"
		echo "profile_dir = \"$VENTO_ROOT/etc/profiles\";"
		echo "plugin_dir = \"$BIN/plugins\";"
		echo 'poll = { interval = 1.0; timeout = 0.5; };'
		echo 'devices = ( { kind = "turbine"; profile = "vento-sim-4500"; list = ('
		for i in $(seq 1 "$n"); do
			sep=","
			[ "$i" -eq "$n" ] && sep=""
			printf '  ("T%02d", "127.0.0.1", %d, 1)%s\n' "$i" $((base + i)) "$sep"
		done
		echo '); } );'
	} >"$file"
}

# vento_free_base N: a base port with N free ports after it. Ports are
# below Linux's ephemeral range (32768 up), where client sockets could take
# them, in blocks of 100; every block the range touches is claimed with a
# lock directory while this test runs, so that scenarios running side by
# side never share a port.
vento_free_base() {
	local n=$1 base i busy blocks first claimed
	blocks=$(((n + 1 + 99) / 100))
	for _ in $(seq 1 50); do
		first=$((200 + RANDOM % (127 - blocks)))
		claimed=""
		busy=0
		for ((i = first; i < first + blocks; i++)); do
			if vento_claim_block "$i"; then
				claimed="$claimed $i"
			else
				busy=1
				break
			fi
		done
		base=$((first * 100))
		if [ "$busy" -eq 0 ]; then
			for i in $(seq 1 "$n"); do
				if (echo >/dev/tcp/127.0.0.1/$((base + i))) 2>/dev/null; then
					busy=1
					break
				fi
			done
		fi
		if [ "$busy" -eq 0 ]; then
			echo "$base"
			return 0
		fi
		for i in $claimed; do
			rm -rf "${TMPDIR:-/tmp}/vento-ports.$((i * 100))"
		done
	done
	return 1
}

# vento_claim_block B: claims ports B*100 .. B*100+99 for this test; a
# claim whose test is gone may be taken over.
vento_claim_block() {
	local lock=${TMPDIR:-/tmp}/vento-ports.$(($1 * 100))
	if ! mkdir "$lock" 2>/dev/null; then
		kill -0 "$(cat "$lock/pid" 2>/dev/null)" 2>/dev/null && return 1
		rm -rf "$lock"
		mkdir "$lock" 2>/dev/null || return 1
	fi
	echo $$ >"$lock/pid"
}

# psql with the settings scripts want: no psqlrc, stop on error, bare output.
vento_psql() {
	psql -X -q -v ON_ERROR_STOP=1 -At "$@"
}

# TAP helpers for scenario scripts.
TAP_N=0
TAP_FAILED=0
ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}
not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}
# skip DESCRIPTION REASON: a check that could not be made in this run, in
# TAP's form ("ok N - DESCRIPTION # SKIP REASON"); tests/run counts it as
# skipped, never as passed.
skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}
# check DESCRIPTION CMD...: ok when CMD succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1 (expected '$2', got '$3')"
	fi
}
tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

# vento_compare SERVED_CSV: loads what ventosim served and what the
# database holds, and sets
#   SERVED  (device, second) pairs served
#   STORED  rows stored
#   MISSING pairs served but not stored
#   EXTRA   rows stored that were never served
#   DUPS    (device, second) pairs stored more than once
#   WRONG   stored values that differ from the served ones (integers
#           exactly, floats after rounding to float32)
# Signals never on the wire (derived by a plugin) are left out of the
# comparison. The tables served, stored and missing stay for further
# questions.
vento_compare() {
	vento_psql -c "SET client_min_messages = warning" \
		-c "DROP TABLE IF EXISTS served, stored, missing" \
		-c "CREATE TABLE served (second bigint, device text, signal text, value text, raw text)" \
		-c "\\copy served FROM '$1' CSV" \
		-c "CREATE TABLE stored AS
		    SELECT d.name AS device, extract(epoch FROM r.time)::bigint AS second,
		           kv.key AS signal, kv.value
		    FROM raw_sample r JOIN device d ON d.id = r.device_id,
		         jsonb_each_text(to_jsonb(r) - 'time' - 'device_id' - 'quality') kv
		    WHERE r.quality = 0 AND kv.value IS NOT NULL" \
		-c "DELETE FROM stored s WHERE NOT EXISTS (
		      SELECT 1 FROM served v WHERE v.device = s.device AND v.signal = s.signal)" \
		-c "CREATE TABLE missing AS
		    SELECT DISTINCT device, second FROM served
		    EXCEPT SELECT d.name, extract(epoch FROM r.time)::bigint FROM raw_sample r
		           JOIN device d ON d.id = r.device_id"
	SERVED=$(vento_psql -c "SELECT count(*) FROM (SELECT DISTINCT device, second FROM served) s")
	STORED=$(vento_psql -c "SELECT count(*) FROM raw_sample")
	MISSING=$(vento_psql -c "SELECT count(*) FROM missing")
	EXTRA=$(vento_psql -c "SELECT count(*) FROM (SELECT DISTINCT device, second FROM stored
	                        EXCEPT SELECT DISTINCT device, second FROM served) x")
	DUPS=$(vento_psql -c "SELECT count(*) FROM (SELECT 1 FROM raw_sample
	                       GROUP BY device_id, time HAVING count(*) > 1) d")
	WRONG=$(vento_psql -c "SELECT count(*) FROM stored s LEFT JOIN served v USING (device, second, signal)
	        WHERE v.value IS NULL
	           OR (signal IN ('wtur_totwh', 'wtur_turst') AND s.value::numeric <> v.value::numeric)
	           OR (signal NOT IN ('wtur_totwh', 'wtur_turst') AND s.value::real <> v.value::real)")
	echo "# served $SERVED, stored $STORED, missing $MISSING, extra $EXTRA, duplicates $DUPS, wrong $WRONG"
}

# check_clean LOG...: no sanitizer report in the logs of the programs.
check_clean() {
	if grep -q 'Sanitizer\|runtime error' "$@"; then
		not_ok "no sanitizer reports"
		grep -h -A20 'Sanitizer\|runtime error' "$@" | head -60 | sed 's/^/# /'
	else
		ok "no sanitizer reports"
	fi
}

# check_stored_as_served: after vento_compare, nothing stored that was not
# served, nothing twice, every value as served.
check_stored_as_served() {
	check_eq "nothing stored that was not served" 0 "$EXTRA"
	check_eq "nothing stored twice" 0 "$DUPS"
	check_eq "every value as served" 0 "$WRONG"
}

# vento_health KEY: a value from ventod's health file.
vento_health() {
	sed -n "s/^$1=//p" "$WORK/state/health" 2>/dev/null
}

# vento_wait_drained SECONDS: waits until a running ventod has stored its
# whole spool with the database up.
vento_wait_drained() {
	local n=$(($1 * 10))
	while [ "$(vento_health db_up)" != 1 ] || [ "$(vento_health spool_backlog)" != 0 ] ||
		[ "$(vento_health pid)" = 0 ]; do
		[ "$n" -le 0 ] && return 1
		n=$((n - 1))
		sleep 0.1
	done
}

# vento_hold_writer: opens a transaction that locks spool_position, so that
# ventod's writer, having copied its rows, waits on the lock with its
# transaction open: the moment a crash must not lose or double. Waits
# until the writer is there (its transaction has written) and sets
# HOLDER_PID; returns 1 if it never got there.
vento_hold_writer() {
	psql -X -q -c "BEGIN; LOCK TABLE spool_position IN EXCLUSIVE MODE; SELECT pg_sleep(120);" \
		>/dev/null 2>&1 &
	HOLDER_PID=$!
	VENTO_PIDS="$VENTO_PIDS $HOLDER_PID"
	local n=150
	while [ "$n" -gt 0 ]; do
		[ "$(vento_psql -c "SELECT count(*) FROM pg_stat_activity
		     WHERE application_name = 'ventod' AND wait_event_type = 'Lock'
		       AND backend_xid IS NOT NULL")" = 1 ] && return 0
		n=$((n - 1))
		sleep 0.1
	done
	return 1
}


# vento_release_writer: ends the transaction vento_hold_writer opened.
# (psql's own end would not do: a backend in pg_sleep does not notice its
# client leaving.)
vento_release_writer() {
	vento_psql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	               WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$HOLDER_PID" 2>/dev/null
	return 0
}

# vento_farm N: N simulated turbines in $WORK/vento.conf (SPOOL_MAX_MB in
# the environment bounds the spool), a private PostgreSQL with the schema.
vento_farm() {
	local base
	base=$(vento_free_base "$1") || { echo "Bail out! no free ports"; exit 1; }
	vento_write_conf "$WORK/vento.conf" "$1" "$base"
	pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
	"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate >/dev/null ||
		{ echo "Bail out! the schema did not apply"; exit 1; }
}

# vento_year_farm: vento_farm 1 with the generated year of
# tests/lib/gen-year.sql loaded (40 turbines, 2.1 million rows). Under
# tests/run ($VENTO_CACHE set) the first scenario to ask generates it and
# keeps a copy of the stopped cluster; the others copy that (seconds, not
# the half minute generating takes on a loaded machine). The copy is the
# same database: the year's devices and statistics do not depend on the
# ports of the configuration.
vento_year_farm() {
	local base lock
	base=$(vento_free_base 1) || { echo "Bail out! no free ports"; exit 1; }
	vento_write_conf "$WORK/vento.conf" 1 "$base"
	if [ -z "${VENTO_CACHE:-}" ]; then
		vento_year_make
		return
	fi
	exec {lock}>"$VENTO_CACHE/year.lock"
	flock "$lock"
	if [ -d "$VENTO_CACHE/year.pgdata" ]; then
		[ "$(id -u)" -eq 0 ] && chown postgres "$WORK"
		cp -a "$VENTO_CACHE/year.pgdata" "$WORK/pgdata"
		pg_resume "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
		pg_env "$WORK"
	else
		vento_year_make
		pg_stop "$WORK"
		cp -a "$WORK/pgdata" "$VENTO_CACHE/year.pgdata.new" &&
			mv "$VENTO_CACHE/year.pgdata.new" "$VENTO_CACHE/year.pgdata"
		pg_resume "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
	fi
	exec {lock}>&-
}

# vento_year_prefetch: makes the year of vento_year_farm in $VENTO_CACHE
# ahead of the scenarios that use it (tests/run starts it beside them).
vento_year_prefetch() {
	vento_setup
	vento_year_farm
}

# vento_year_make: a private PostgreSQL with the schema and the year.
vento_year_make() {
	pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
	"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate >/dev/null ||
		{ echo "Bail out! the schema did not apply"; exit 1; }
	vento_psql -f "$VENTO_ROOT/tests/lib/gen-year.sql" >/dev/null ||
		{ echo "Bail out! gen-year.sql failed"; exit 1; }
}

# vento_start_sim SEED [ARGS...]: ventosim for $WORK/vento.conf, recording
# what it serves in $WORK/served.csv; waits until it listens. Pid in $SIM.
vento_start_sim() {
	local seed=$1
	shift
	vento_bg sim "$BIN/ventosim" -c "$WORK/vento.conf" --seed "$seed" \
		--served "$WORK/served.csv" --ready "$WORK/sim.ready" "$@"
	SIM=$LAST_PID
	vento_wait_file "$WORK/sim.ready" 20 ||
		{ cat "$WORK/sim.log"; echo "Bail out! ventosim not ready"; exit 1; }
}

# vento_start_ventod [NAME]: ventod for $WORK/vento.conf, its log in
# $WORK/NAME.log (default ventod). Pid in $VENTOD. The health file of an
# earlier run goes first, so that waits look at this one.
vento_start_ventod() {
	rm -f "$WORK/state/health"
	vento_bg "${1:-ventod}" "$BIN/ventod" -c "$WORK/vento.conf"
	VENTOD=$LAST_PID
}

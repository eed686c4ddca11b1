#!/bin/bash
# db-roles: ventod runs as a member of vento_writer and stores rows;
# ventoctl status runs as a member of vento_reader; neither can do more
# than its role allows. Housekeeping counts the rows by minute and
# quality, and drops raw partitions past the retention with their counts.
# (The devices here do not answer, which ventod must store as rows of
# quality "link".)
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

vento_farm 3
vento_psql -c "CREATE ROLE ventod LOGIN IN ROLE vento_writer" \
	-c "CREATE ROLE grafana LOGIN IN ROLE vento_reader" \
	-c "SELECT vento_ensure_partitions(now() - interval '100 days', now() - interval '100 days')" \
	-c "SELECT vento_register_device('T01', 'turbine', 'vento-sim-4500')" \
	-c "INSERT INTO raw_sample (time, device_id, quality) VALUES (now() - interval '100 days', 1, 0)" \
	-c "SELECT vento_rollup_minutes(now() - interval '100 days', now() - interval '100 days' + interval '1 second')" >/dev/null
old=$(vento_psql -c "SELECT 'raw_sample_' || to_char(now() - interval '100 days', 'YYYYMMDD')")
sed -e 's/conninfo = "dbname=vento"/conninfo = "dbname=vento user=ventod"/' "$WORK/vento.conf" >"$WORK/writer.conf"
sed -e 's/conninfo = "dbname=vento"/conninfo = "dbname=vento user=grafana"; ctl_conninfo = "dbname=vento user=grafana"/' \
	"$WORK/vento.conf" >"$WORK/reader.conf"

vento_bg ventod "$BIN/ventod" -c "$WORK/writer.conf"
ventod=$LAST_PID
check "ventod as vento_writer stores rows" vento_wait_drained 30
sleep 2
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
check "rows of the unanswering devices say 'link'" \
	test "$(vento_psql -c "SELECT count(*) FROM raw_sample WHERE quality = 4")" -ge 6
check_eq "the partition past the retention is gone" t \
	"$(vento_psql -c "SELECT to_regclass('$old') IS NULL")"
check "the log says so" grep -q 'dropped 1 daily partitions older than 90 days' "$WORK/ventod.log"
check_eq "and its rows' count" 0 "$(vento_psql -c "SELECT count(*) FROM raw_minute WHERE minute < now() - interval '99 days'")"
by_quality() {
	vento_psql -c "SELECT string_agg(quality || ':' || n, ' ' ORDER BY quality) FROM ($1) x"
}
check_eq "the rows stored are counted by minute and quality" \
	"$(by_quality "SELECT quality, count(*) AS n FROM raw_sample WHERE time > now() - interval '1 day' GROUP BY 1")" \
	"$(by_quality "SELECT quality, sum(samples) AS n FROM raw_minute WHERE minute > now() - interval '1 day' GROUP BY 1")"
check_eq "newer partitions stay" 1 \
	"$(vento_psql -c "SELECT count(*) FROM pg_class WHERE relname = 'raw_sample_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD')")"

"$BIN/ventoctl" -c "$WORK/reader.conf" status >"$WORK/status.txt" 2>&1
check_eq "ventoctl status works as vento_reader" 0 "$?"
check "and lists the devices" grep -q '^T03 ' "$WORK/status.txt"
deny() { ! vento_psql -U "$1" -c "$2" >/dev/null 2>&1; }
check "the reader cannot insert" deny grafana "INSERT INTO raw_sample (time, device_id, quality) VALUES (now(), 1, 0)"
check "the reader cannot delete" deny grafana "DELETE FROM raw_sample"
check "the writer cannot read samples" deny ventod "SELECT count(*) FROM raw_sample"
check "the writer cannot delete samples" deny ventod "DELETE FROM raw_sample"
check "the writer cannot drop the table" deny ventod "DROP TABLE raw_sample"
check "the writer cannot change devices directly" deny ventod "UPDATE device SET name = 'X'"
check_eq "the reader reads the devices" 3 "$(vento_psql -U grafana -c "SELECT count(*) FROM device")"
tap_done

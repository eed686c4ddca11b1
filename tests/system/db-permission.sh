#!/bin/bash
# db-permission: the writer's INSERT on raw_sample is revoked for 20 s. A
# permission error is not bad data: ventod keeps the rows in its spool and
# retries, nothing is set aside, and once the grant is back every served
# tick is stored once.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=10
vento_farm $N
vento_psql -c "CREATE ROLE ventod LOGIN IN ROLE vento_writer" >/dev/null
sed -i 's/conninfo = "dbname=vento"/conninfo = "dbname=vento user=ventod"/' "$WORK/vento.conf"
vento_start_sim 31
sim=$SIM
vento_start_ventod
ventod=$VENTOD
check "the first rows are stored" vento_wait_drained 30

vento_psql -c "REVOKE INSERT ON raw_sample FROM vento_writer"
sleep 20
backlog=$(vento_health spool_backlog)
check "with INSERT revoked the batches wait in the spool ($backlog)" test "${backlog:-0}" -ge 10
check "ventod says why" grep -q 'permission denied for table raw_sample' "$WORK/ventod.log"
vento_psql -c "GRANT INSERT ON raw_sample TO vento_writer"
check "the backlog drains once the grant is back" vento_wait_drained 60
sleep 2
vento_stop "$ventod"
check_eq "ventod exits 0" 0 "$?"
vento_stop "$sim" >/dev/null || true
check "nothing was set aside" test ! -e "$WORK/state/quarantine"
check_eq "the health file counts no quarantined batch" 0 "$(vento_health quarantined)"
vento_compare "$WORK/served.csv"
check_eq "every served tick is stored" 0 "$MISSING"
check_stored_as_served
check_clean "$WORK/ventod.log"
tap_done

#!/bin/bash
# db-tls: ventod reaches PostgreSQL over TCP with TLS, checking the
# server's certificate against the farm's CA (sslmode=verify-full), and logs
# in with a SCRAM password read from a pgpass file, as the systemd unit
# hands it (PGPASSFILE, no other PG* variable). The server takes nothing
# else: no connection without TLS. Then the server comes back with a
# certificate from another CA: ventod refuses it, says so in its log, and
# keeps every row in its spool until the trusted server returns; then every
# served row is stored exactly once.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

N=3
base=$(vento_free_base $((N + 1))) || { echo "Bail out! no free ports"; exit 1; }
port=$((base + N + 1))
vento_write_conf "$WORK/vento.conf" $N "$base"
PG_EXTRA="-c log_connections=on"
pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
"$BIN/ventoctl" -c "$WORK/vento.conf" --schema-dir "$VENTO_ROOT/schema" migrate >/dev/null ||
	{ echo "Bail out! the schema did not apply"; exit 1; }
vento_psql -c "CREATE ROLE ventod LOGIN PASSWORD 'wind-secret' IN ROLE vento_writer" >/dev/null
check_eq "the password is kept as SCRAM" t \
	"$(vento_psql -c "SELECT rolpassword LIKE 'SCRAM-SHA-256\$%' FROM pg_authid WHERE rolname = 'ventod'")"

# The farm's CA and the server's certificate for 127.0.0.1; another CA and
# a certificate of it for the same address, which ventod must not trust.
tls=$WORK/tls
mkdir -p "$tls"
cert() { # NAME CA: a key and a certificate for 127.0.0.1 signed by CA
	openssl req -new -newkey rsa:2048 -nodes -keyout "$tls/$1.key" -subj "/CN=127.0.0.1" \
		-out "$tls/$1.csr" 2>/dev/null &&
		printf 'subjectAltName=IP:127.0.0.1\n' >"$tls/$1.ext" &&
		openssl x509 -req -in "$tls/$1.csr" -CA "$tls/$2.crt" -CAkey "$tls/$2.key" \
			-CAcreateserial -days 2 -extfile "$tls/$1.ext" -out "$tls/$1.crt" 2>/dev/null
}
for ca in ca rogue-ca; do
	openssl req -x509 -new -newkey rsa:2048 -nodes -days 2 -subj "/CN=vento test $ca" \
		-keyout "$tls/$ca.key" -out "$tls/$ca.crt" 2>/dev/null
done
check "openssl makes a CA and a server certificate" cert server ca
check "and another CA's certificate for the same address" cert rogue rogue-ca
check "the server certificate verifies against the CA" \
	eval 'openssl verify -CAfile "$tls/ca.crt" "$tls/server.crt" >/dev/null'

# serve NAME: PostgreSQL on 127.0.0.1:$port with TLS, certificate NAME,
# SCRAM passwords, and no connection without TLS (the socket stays, for
# the test's own psql).
serve() {
	pg_stop "$WORK"
	cp "$tls/$1.crt" "$WORK/pgdata/server.crt"
	cp "$tls/$1.key" "$WORK/pgdata/server.key"
	chmod 600 "$WORK/pgdata/server.key"
	[ "$(id -u)" -eq 0 ] && chown postgres "$WORK/pgdata/server.crt" "$WORK/pgdata/server.key"
	printf 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n' >"$WORK/pgdata/pg_hba.conf"
	PG_EXTRA="-c log_connections=on -c listen_addresses=127.0.0.1 -c port=$port -c ssl=on" \
		pg_resume "$WORK"
}
serve server || { echo "Bail out! PostgreSQL with TLS did not start"; exit 1; }
export PGPORT=$port

out=$(psql -X -At "host=127.0.0.1 port=$port dbname=vento user=ventod sslmode=disable" -c "SELECT 1" 2>&1)
check "without TLS the server refuses" eval '[[ $out == *"no encryption"* ]]'

# ventod as the unit runs it: its password from a pgpass file named by
# PGPASSFILE (the credential), no other PG* variable.
mkdir -p "$WORK/credentials"
printf '127.0.0.1:%s:vento:ventod:wind-secret\n' "$port" >"$WORK/credentials/pgpass"
chmod 600 "$WORK/credentials/pgpass"
sed -i "s|conninfo = \"dbname=vento\"|conninfo = \"host=127.0.0.1 port=$port dbname=vento user=ventod sslmode=verify-full sslrootcert=$tls/ca.crt\"|" \
	"$WORK/vento.conf"
vento_start_sim 5
rm -f "$WORK/state/health"
vento_bg ventod env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGSERVICEFILE \
	PGPASSFILE="$WORK/credentials/pgpass" "$BIN/ventod" -c "$WORK/vento.conf"
VENTOD=$LAST_PID
check "ventod stores over TLS" vento_wait_drained 30
check_eq "its session is encrypted" t \
	"$(vento_psql -c "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'ventod'")"
check "and logged in with SCRAM" \
	grep -q 'connection authenticated: identity="ventod" method=scram-sha-256' "$WORK/postgresql.log"

# A server whose certificate the CA did not sign.
logins() { grep -c 'connection authenticated: identity="ventod"' "$WORK/postgresql.log"; }
serve rogue || { echo "Bail out! PostgreSQL did not start again"; exit 1; }
stored=$(vento_psql -c "SELECT count(*) FROM raw_sample")
before=$(logins)
untrusted_from=$(date +%s)
sleep 8
untrusted_to=$(date +%s)
check "ventod refuses the untrusted server, saying why" \
	grep -q 'cannot connect to the database: .*certificate verify failed' "$WORK/ventod.log"
check_eq "it stores nothing there" "$stored" "$(vento_psql -c "SELECT count(*) FROM raw_sample")"
check_eq "and says the database is down" 0 "$(vento_health db_up)"
check "its spool keeps the rows" test "$(vento_health spool_backlog)" -ge 5
check "the server saw the client refuse its certificate" grep -q 'tlsv1 alert unknown ca' "$WORK/postgresql.log"
check_eq "and no login reached it" "$before" "$(logins)"
check "the log line says what to check" grep -q 'certificate verify failed.*sslrootcert' "$WORK/ventod.log"

# The trusted server back: the backlog drains, every row once.
serve server || { echo "Bail out! PostgreSQL did not start again"; exit 1; }
check "the trusted server back, the backlog drains" vento_wait_drained 60
vento_stop "$SIM"
sleep 1.5
vento_wait_drained 10
vento_stop "$VENTOD"
check_eq "ventod exits 0" 0 "$?"
vento_compare "$WORK/served.csv"
# The seconds the untrusted server was up, by the clock, not by how long
# the rest of the run happened to take.
untrusted=$(vento_psql -c "SELECT count(DISTINCT second) FROM served
	WHERE second BETWEEN $untrusted_from AND $untrusted_to")
check "rows were served while the server was untrusted ($untrusted s)" test "$untrusted" -ge 6
check_eq "and every one of them was stored once the trusted server was back" 0 \
	"$(vento_psql -c "SELECT count(*) FROM missing WHERE second BETWEEN $untrusted_from AND $untrusted_to")"
check_eq "every served row stored" 0 "$MISSING"
check_stored_as_served
check_clean "$WORK/ventod.log" "$WORK/sim.log"
tap_done

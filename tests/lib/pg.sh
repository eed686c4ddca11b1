# pg.sh - a private PostgreSQL for the demo and the tests (sourced). The
# cluster lives in a temporary directory, listens on a Unix socket there
# only (no TCP), and belongs to an unprivileged user when run as root,
# since PostgreSQL refuses to run as root.

pg_bindir() {
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Runs a command as the cluster's owner.
pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_start DIR: makes a cluster in DIR/pgdata with a superuser "vento", a
# database "vento", and exports its environment (pg_env).
pg_start() {
	local dir=$1 bin
	bin=$(pg_bindir)
	if [ -z "$bin" ]; then
		echo "pg.sh: no PostgreSQL server found (package postgresql)" >&2
		return 1
	fi
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
	pg_as_owner "$bin/initdb" -D "$dir/pgdata" -U vento -A trust \
		-E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		return 1
	}
	pg_resume "$dir" || {
		cat "$dir/postgresql.log" >&2
		return 1
	}
	pg_env "$dir"
	psql -q -X -d postgres -c 'CREATE DATABASE vento' >/dev/null
}

# pg_env DIR: the environment for the cluster in DIR: PGHOST, PGPORT,
# PGUSER (the superuser), PGDATABASE, and PGSERVICEFILE with the service
# vento-reader, ventoctl's default connection, on this cluster.
pg_env() {
	local dir=$1
	printf '[vento-reader]\nhost=%s\nport=5432\ndbname=vento\n' "$dir" >"$dir/pg_service.conf"
	export PGHOST=$dir PGPORT=5432 PGUSER=vento PGDATABASE=vento PGSERVICEFILE=$dir/pg_service.conf
}

# pg_stop DIR: stops the cluster (fast shutdown) if it runs.
pg_stop() {
	local dir=$1
	[ -f "$dir/pgdata/postmaster.pid" ] || return 0
	pg_as_owner "$(pg_bindir)/pg_ctl" -D "$dir/pgdata" -m fast -w stop \
		>/dev/null 2>&1 || true
}

# pg_resume DIR: starts the cluster in DIR (again, after pg_stop). On its
# socket only; fsync off, since the tests stop PostgreSQL, never the
# machine. PG_EXTRA adds server options.
pg_resume() {
	local dir=$1
	pg_as_owner "$(pg_bindir)/pg_ctl" -D "$dir/pgdata" -l "$dir/postgresql.log" -w \
		-o "-k $dir -c listen_addresses='' -p 5432 -c fsync=off -c timezone=UTC ${PG_EXTRA:-}" \
		start >/dev/null
}

# pg_crash DIR: stops the cluster the hard way (immediate mode): every
# session is cut and open transactions are lost, as in a crash.
pg_crash() {
	local dir=$1
	pg_as_owner "$(pg_bindir)/pg_ctl" -D "$dir/pgdata" -m immediate -w stop \
		>/dev/null 2>&1 || true
}

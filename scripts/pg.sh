#!/usr/bin/env bash
# Start or stop a private PostgreSQL cluster for the test suite: scripts/pg.sh start|stop DIR PORT
set -euo pipefail
action=$1; dir=$2; port=$3
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
dir=$(realpath -m "$dir")
# PostgreSQL refuses to run as root: the cluster belongs to the postgres user when we are root.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi
case "$action" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_pg "$bindir/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      as_pg "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
    fi
    psql() { as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt "$@"; }
    psql -c "select 1 from pg_roles where rolname='yongke'" | grep -q 1 || psql -c "create role yongke login createdb"
    psql -c "select 1 from pg_database where datname='yongke'" | grep -q 1 || psql -c "create database yongke owner yongke"
    echo "PostgreSQL ready on 127.0.0.1:$port"
    ;;
  stop)
    [ -f "$dir/PG_VERSION" ] && as_pg "$bindir/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop DIR PORT" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for tests and benchmarks: initdb into a fresh temporary folder, pg_ctl start on a free
# 127.0.0.1 port with the unix socket in that folder, trust authentication, superuser `postgres`.
# PostgreSQL refuses to run as root: when run as root, the server runs as the `postgres` system user (runuser) in a
# folder it owns.
#
#   pg_test_server.sh start            -> prints two lines: the folder, then the URI (postgresql://postgres@/postgres?...)
#   pg_test_server.sh createdb DIR DB  -> creates database DB, prints its URI
#   pg_test_server.sh stop DIR         -> stops the server (immediate) and removes the folder
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_TEST_SERVER_OPTS (extra postgres -c options).
set -euo pipefail
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cd /  # the server user may not be able to read the caller's folder

as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

uri() {  # DIR DB
  echo "postgresql://postgres@/$2?host=$1&port=$(cat "$1/port")"
}

. "$(dirname "$0")/ports.sh"  # free_port

case "${1:-}" in
  start)
    [ -x "$BIN/initdb" ] || { echo "pg_test_server: no PostgreSQL binaries in $BIN" >&2; exit 2; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/didban-pg.XXXXXX")
    chmod 755 "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    if ! as_server "$BIN/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 >"$dir/initdb.log" 2>&1; then
      echo "pg_test_server: initdb failed:" >&2; cat "$dir/initdb.log" >&2; exit 1
    fi
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      as_server sh -c "echo $port > '$dir/port'"
      if as_server "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
          -o "-p $port -k $dir -c listen_addresses=127.0.0.1 ${PG_TEST_SERVER_OPTS:-}" start >/dev/null 2>&1; then
        echo "$dir"
        uri "$dir" postgres
        exit 0
      fi
    done
    echo "pg_test_server: pg_ctl start failed:" >&2; cat "$dir/server.log" >&2; exit 1
    ;;
  createdb)
    dir=$2
    as_server "$BIN/createdb" -h "$dir" -p "$(cat "$dir/port")" -U postgres "$3"
    uri "$dir" "$3"
    ;;
  stop)
    dir=$2
    [ -d "$dir/data" ] && as_server "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | createdb DIR DB | stop DIR" >&2; exit 2
    ;;
esac

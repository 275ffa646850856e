#!/usr/bin/env bash
# A throwaway PostgreSQL for the warehouse (docs/engines.md): a data folder under the project
# (.pg/, git-ignored), a Unix socket in it and a TCP port on localhost.
#   scripts/postgres.sh start   initialise .pg/data if needed, create the database, start
#   scripts/postgres.sh stop    stop it (the data folder stays; `rm -rf .pg` to reset)
#   scripts/postgres.sh status  print host, port and database, exit 1 when not running
# CIP_PG_PORT (default 55432), CIP_PG_DATABASE (default customs_cip) and CIP_PG_DIR
# (default <project>/.pg) match the profile's `postgres` target in profiles.yml.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_DIR=${CIP_PG_DIR:-$PWD/.pg}
PORT=${CIP_PG_PORT:-55432}
DB=${CIP_PG_DATABASE:-customs_cip}
USER_NAME=${CIP_PG_USER:-cip}

find_bin() {
  for d in "${CIP_PG_BIN:-}" /usr/lib/postgresql/*/bin /usr/local/bin /usr/bin; do
    [ -n "$d" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  echo "postgres.sh: no PostgreSQL binaries found (pg_ctl, initdb); install Debian's postgresql" >&2
  exit 2
}
BIN=$(find_bin)
# As root, the server runs as user postgres, which must reach the data folder. A project
# cloned under a private folder (mktemp -d makes it 0700) keeps its data folder in /tmp,
# named after the project path, instead of .pg/ (CIP_PG_DIR still wins).
if [ "$(id -u)" = 0 ] && [ -z "${CIP_PG_DIR:-}" ]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  if ! su postgres -s /bin/sh -c "test -x '$PWD'" 2>/dev/null; then
    PG_DIR=/tmp/cip-pg-$(printf '%s' "$PWD" | cksum | cut -d' ' -f1)
  fi
fi
PGDATA=$PG_DIR/data
SOCK=$PG_DIR/socket
LOG=$PG_DIR/postgres.log

# initdb and postgres refuse to run as root: run them as the owner of the data folder
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown -R postgres "$PG_DIR"
    (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
  else
    "$@"
  fi
}

running() { [ -f "$PGDATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

case "${1:-}" in
  start)
    mkdir -p "$PG_DIR" "$SOCK"
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      as_owner "$BIN/initdb" -D "$PGDATA" -U "$USER_NAME" --auth=trust -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
    fi
    if ! running; then
      # throwaway settings: no fsync (a rebuild is the recovery), enough memory for the marts
      as_owner "$BIN/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 start -o \
        "-p $PORT -k $SOCK -c listen_addresses=localhost -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c work_mem=64MB -c shared_buffers=256MB -c max_connections=50" \
        >/dev/null || { tail -20 "$LOG" >&2; exit 1; }
    fi
    if ! "$BIN/psql" -h "$SOCK" -p "$PORT" -U "$USER_NAME" -d postgres -tAc "select 1 from pg_database where datname='$DB'" | grep -q 1; then
      "$BIN/createdb" -h "$SOCK" -p "$PORT" -U "$USER_NAME" "$DB"
    fi
    echo "postgres running: host=$SOCK port=$PORT user=$USER_NAME database=$DB"
    ;;
  stop)
    if running; then as_owner "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null; fi
    echo "postgres stopped"
    ;;
  status)
    running && echo "postgres running: host=$SOCK port=$PORT user=$USER_NAME database=$DB" || { echo "postgres not running"; exit 1; }
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

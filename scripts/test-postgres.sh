#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store's PostgreSQL tests: a new cluster in a temporary
# folder, on a free local port, trusting local connections; nothing of the machine's own servers
# is touched.
#
#   eval "$(scripts/test-postgres.sh start)"   # exports TEST_DATABASE_URL and TEST_POSTGRES_DIR
#   npm test
#   scripts/test-postgres.sh stop "$TEST_POSTGRES_DIR"   # stops the server and removes its folder
#
# Needs Debian's `postgresql` package (initdb, pg_ctl). As root, the server runs as the `postgres`
# user, since PostgreSQL refuses to run as root.
set -euo pipefail

bindir() {
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    dirname "$(command -v pg_ctl)"
    return
  fi
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [[ -z "$found" ]]; then
    echo "PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get install postgresql)" >&2
    exit 1
  fi
  echo "$found"
}

# Runs a server binary as the cluster's owner.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin dir port
  bin="$(bindir)"
  dir="$(mktemp -d "${TMPDIR:-/tmp}/test-postgres.XXXXXX")"
  if [[ "$(id -u)" == 0 ]]; then chown postgres: "$dir"; fi
  # The kernel picks a free port; the server binds it right after.
  port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # Durability is of no use to a throwaway cluster: without fsync, creating a database per test is fast.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2 || { cat "$dir/server.log" >&2; exit 1; }
  echo "export TEST_POSTGRES_DIR='$dir'"
  echo "export TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$port/postgres'"
}

stop() {
  local dir="${1:?usage: $0 stop DIR}"
  if [[ -d "$dir/data" ]]; then as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true; fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac

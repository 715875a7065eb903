#!/usr/bin/env bash
# Runs the test suite on PostgreSQL: starts a throwaway server (its own data
# directory in /tmp, loopback only, a free port), runs `vitest run` with
# BATON_TEST_PG_URL pointing at it, and stops and deletes it afterwards.
#
#   npm run test:pg                      # the whole suite
#   npm run test:pg -- src/foo.test.ts   # some files (arguments go to vitest)
#
# Needs Debian's `postgresql` package (or any PostgreSQL whose initdb and
# pg_ctl are on PATH or in /usr/lib/postgresql/*/bin). As root, the server runs
# as the `postgres` user (PostgreSQL refuses to run as root); otherwise as you.
# If BATON_TEST_PG_URL is already set, that server is used and none is started.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${BATON_TEST_PG_URL:-}" ]; then
  echo "== tests on PostgreSQL at $BATON_TEST_PG_URL"
  exec npx vitest run "$@"
fi

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ]; then
  pg_bin=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
fi
if [ ! -x "$pg_bin/initdb" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
  echo "test-pg: PostgreSQL's initdb and pg_ctl were not found; install PostgreSQL (Debian: apt-get install postgresql)" >&2
  exit 1
fi

pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/baton-pg.XXXXXX")
if [ "$(id -u)" = 0 ]; then
  chown postgres "$pg_dir"
  as_pg() { su postgres -s /bin/sh -c "$1"; }
else
  as_pg() { sh -c "$1"; }
fi
# A free loopback port unless PGPORT names one.
pg_port=${PGPORT:-$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}

stop_pg() {
  as_pg "'$pg_bin/pg_ctl' -D '$pg_dir/data' -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_pg EXIT

as_pg "'$pg_bin/initdb' -D '$pg_dir/data' -A trust -U postgres --no-sync" >/dev/null
# fsync off: the data is thrown away. max_connections: tests open several pools at once.
if ! as_pg "'$pg_bin/pg_ctl' -D '$pg_dir/data' -l '$pg_dir/log' -w -o \"-p $pg_port -k '$pg_dir' -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >/dev/null; then
  echo "test-pg: PostgreSQL did not start; its log:" >&2
  cat "$pg_dir/log" >&2 || true
  exit 1
fi

export BATON_TEST_PG_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "== tests on PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') at $BATON_TEST_PG_URL"
npx vitest run "$@"

#!/usr/bin/env bash
# TEST HELPER, not for production: start a throwaway PostgreSQL on loopback for the
# tests, and print its URI. Its data lives in /tmp, it runs with fsync=off and trusts
# every loopback connection (the password in the URI is never checked). For a server,
# use scripts/production_postgres.sh (deploy/README.md).
#
# Idempotent: installs PostgreSQL from apt only if no server binaries are found,
# creates the cluster only if its data folder is empty, starts it only if it is
# not answering, and creates the role and database only if missing. Runs as root
# (the server itself runs as the 'postgres' user) or as an ordinary user who owns
# the data folder. Only stdout's last line is the URI, so callers can do:
#
#     export POSTGRES_URI="$(bash scripts/start_postgres.sh | tail -n 1)"
#
# Settings (environment): PGTEST_PORT (54329), PGTEST_DATA (/tmp/recurrentgpt-pg),
# PGTEST_USER / PGTEST_PASSWORD / PGTEST_DB (recurrentgpt).
set -euo pipefail

port="${PGTEST_PORT:-54329}"
data="${PGTEST_DATA:-/tmp/recurrentgpt-pg}"
user="${PGTEST_USER:-recurrentgpt}"
password="${PGTEST_PASSWORD:-recurrentgpt}"
db="${PGTEST_DB:-recurrentgpt}"

server_bin() {
  # Debian keeps server binaries out of PATH, one folder per major version.
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

if [ -z "$(server_bin)" ]; then
  echo "installing postgresql from apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q postgresql >&2 || { apt-get update -q >&2 && apt-get install -y -q postgresql >&2; }
fi
bin="$(server_bin)"

as_owner() {
  # initdb and postgres refuse to run as root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$data"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
chmod 700 "$data"

if [ ! -s "$data/PG_VERSION" ]; then
  as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 >&2
fi

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off" start >&2
fi

psql_admin() {
  as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"
}
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != 1 ]; then
  psql_admin -c "CREATE ROLE \"$user\" LOGIN PASSWORD '$password'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE \"$db\" OWNER \"$user\"" >&2
fi

echo "postgresql://$user:$password@127.0.0.1:$port/$db"

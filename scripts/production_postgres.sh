#!/usr/bin/env bash
# Set up PostgreSQL for a production server on this machine (Debian/Ubuntu, apt), and
# print the DATABASE_URI on the last line of stdout:
#
#     export DATABASE_URI="$(sudo bash scripts/production_postgres.sh | tail -n 1)"
#
# Unlike scripts/start_postgres.sh (a throwaway for tests: data in /tmp, fsync off,
# trust auth), this uses the distribution's cluster under /var/lib/postgresql, started
# by pg_ctlcluster (systemd keeps it running across reboots where there is one), and:
#   - refuses to go on if fsync, synchronous_commit or full_page_writes is off;
#   - refuses to go on if any TCP line of pg_hba.conf trusts without a password;
#   - creates the role with a password (PGPROD_PASSWORD, or a random one kept in
#     PGPROD_SECRET, mode 600) and a database it owns; listens on loopback only.
# Idempotent: run it again to print the URI (the kept password is reused).
#
# Settings (environment): PGPROD_CLUSTER (main), PGPROD_USER / PGPROD_DB (recurrentgpt),
# PGPROD_PASSWORD, PGPROD_SECRET (/etc/recurrentgpt/postgres-password).
set -euo pipefail

cluster="${PGPROD_CLUSTER:-main}"
user="${PGPROD_USER:-recurrentgpt}"
db="${PGPROD_DB:-recurrentgpt}"
secret="${PGPROD_SECRET:-/etc/recurrentgpt/postgres-password}"

[ "$(id -u)" = 0 ] || { echo "run as root (it installs packages and manages the cluster)" >&2; exit 1; }
if ! command -v pg_lsclusters >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q postgresql >&2 || { apt-get update -q >&2 && apt-get install -y -q postgresql >&2; }
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {found=1} END {exit !found}'; then
  pg_createcluster "$version" "$cluster" --encoding=UTF8 >&2
fi
port="$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')"
hba="/etc/postgresql/$version/$cluster/pg_hba.conf"
if grep -Ev '^[[:space:]]*(#|$)' "$hba" | awk '$1 ~ /^host/ && $NF == "trust" {bad=1} END {exit !bad}'; then
  echo "refusing: $hba trusts TCP connections without a password; use scram-sha-256" >&2
  exit 1
fi
pg_ctlcluster "$version" "$cluster" status >/dev/null 2>&1 || pg_ctlcluster "$version" "$cluster" start >&2

psql_admin() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA "$@"; }
for setting in fsync synchronous_commit full_page_writes; do
  if [ "$(psql_admin -c "SHOW $setting")" != on ]; then
    echo "refusing: $setting is off in cluster $version/$cluster (data would not survive a crash)" >&2
    exit 1
  fi
done
[ "$(psql_admin -c "SHOW listen_addresses")" = localhost ] ||
  echo "note: listen_addresses is not 'localhost'; check pg_hba.conf and the firewall" >&2

password="${PGPROD_PASSWORD:-}"
if [ -z "$password" ] && [ -s "$secret" ]; then password="$(cat "$secret")"; fi
if [ -z "$password" ]; then
  password="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
fi
mkdir -p "$(dirname "$secret")"
(umask 077 && printf '%s\n' "$password" >"$secret")

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != 1 ]; then
  psql_admin -c "CREATE ROLE \"$user\" LOGIN" >&2
fi
# Set on every run, so the kept (or given) password is the one that works.
psql_admin -c "ALTER ROLE \"$user\" PASSWORD '$password'" >&2
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE \"$db\" OWNER \"$user\"" >&2
fi

echo "postgresql://$user:$password@127.0.0.1:$port/$db"

#!/usr/bin/env bash
# Makes sure a PostgreSQL server accepts connections on 127.0.0.1:5432 as
# user postgres: starts an installed cluster that is down, or installs one
# with apt (trust authentication on localhost for the test user). Idempotent.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && psql -h 127.0.0.1 -U postgres -Atc 'select 1' >/dev/null 2>&1; }

# The role of the backend document's configuration example (user mdm_user,
# password mdm_pass), which its tests use as written.
# The team tests' roles: two users who may create databases, a group role
# with the second as member, and a user allowed one connection at a time
# (a server out of connections, as mdm needs two).
document_role() {
  psql -h 127.0.0.1 -U postgres -Atqc "SET client_min_messages = warning; DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mdm_user') THEN
      CREATE ROLE mdm_user LOGIN CREATEDB PASSWORD 'mdm_pass';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mdm_alice') THEN
      CREATE ROLE mdm_alice LOGIN CREATEDB;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mdm_bob') THEN
      CREATE ROLE mdm_bob LOGIN CREATEDB;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mdm_team') THEN
      CREATE ROLE mdm_team NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mdm_limited') THEN
      CREATE ROLE mdm_limited LOGIN CREATEDB CONNECTION LIMIT 1;
    END IF;
    -- Registrants who may create roles give each dataset an owners role,
    -- so that a write grant covers replacing its tables.
    ALTER ROLE mdm_alice CREATEROLE;
    ALTER ROLE mdm_bob CREATEROLE;
    GRANT mdm_team TO mdm_bob;
    END \$\$" >/dev/null
}

# A role that must give its password (SCRAM) from 127.0.0.1: the tests of
# PGPASSWORD and ~/.pgpass with an mdm.yaml that holds none.
password_role() {
  psql -h 127.0.0.1 -U postgres -Atqc "SET client_min_messages = warning; DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mdm_secret') THEN
      CREATE ROLE mdm_secret LOGIN CREATEDB CREATEROLE;
    END IF;
    END \$\$; SET password_encryption = 'scram-sha-256'; ALTER ROLE mdm_secret PASSWORD 'mdm_secret_pw'" >/dev/null
  local hba; hba=$(psql -h 127.0.0.1 -U postgres -Atqc 'show hba_file')
  if ! $SUDO grep -q '^host all mdm_secret 127.0.0.1/32 scram-sha-256' "$hba"; then
    $SUDO sed -i '1i host all mdm_secret 127.0.0.1/32 scram-sha-256' "$hba"
    psql -h 127.0.0.1 -U postgres -Atqc 'select pg_reload_conf()' >/dev/null
  fi
}

# The document's example connects with sslmode: require.
ensure_ssl() {
  [ "$(psql -h 127.0.0.1 -U postgres -Atqc 'show ssl')" = on ] && return 0
  local version; version=$(ls /etc/postgresql | sort -V | tail -1)
  if [ -f /etc/ssl/certs/ssl-cert-snakeoil.pem ]; then
    psql -h 127.0.0.1 -U postgres -Atqc "ALTER SYSTEM SET ssl_cert_file = '/etc/ssl/certs/ssl-cert-snakeoil.pem'; ALTER SYSTEM SET ssl_key_file = '/etc/ssl/private/ssl-cert-snakeoil.key'; ALTER SYSTEM SET ssl = on" >/dev/null
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload >/dev/null 2>&1 || true
  else
    echo "ensure-postgres.sh: the server has ssl off and no snakeoil certificate (install ssl-cert)" >&2
  fi
}

if command -v pg_isready >/dev/null && ready; then
  document_role
  password_role
  ensure_ssl
  exit 0
fi

if ! command -v pg_lsclusters >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  echo "ensure-postgres.sh: installing PostgreSQL" >&2
  if [ ! -f /tmp/.mdm-apt-updated ]; then $SUDO apt-get update -qq && touch /tmp/.mdm-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -1)
hba=/etc/postgresql/$version/main/pg_hba.conf
if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
  # Local test server: trust connections from this machine only.
  $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
fi
$SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
  || $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
for _ in $(seq 1 30); do
  if ready; then
    document_role
    password_role
    ensure_ssl
    exit 0
  fi
  sleep 1
done
echo "ensure-postgres.sh: PostgreSQL did not come up on 127.0.0.1:5432" >&2
exit 1

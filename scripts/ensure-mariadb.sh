#!/usr/bin/env bash
# Makes sure a MariaDB server accepts connections on 127.0.0.1:3306 as root
# with an empty password and has a `test` database: the source of the
# `register --odbc` tests (tests/cli/odbc_source.rs creates their user
# `mdm_src` with its password). Installs mariadb-server with apt when
# missing and starts a server that is down. Idempotent.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

ready() { mysql -uroot -h127.0.0.1 -e 'select 1' >/dev/null 2>&1; }

if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
  echo "ensure-mariadb.sh: installing mariadb-server" >&2
  [ -f /tmp/.mdm-apt-updated ] || { $SUDO apt-get update -qq && touch /tmp/.mdm-apt-updated; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mariadb-server mariadb-client >/dev/null
fi
if ! ready; then
  $SUDO mkdir -p /run/mysqld && $SUDO chown mysql:mysql /run/mysqld 2>/dev/null || true
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  for _ in $(seq 1 60); do ready && break; sleep 0.5; done
fi
ready || { echo "ensure-mariadb.sh: MariaDB does not answer on 127.0.0.1:3306 as root" >&2; exit 1; }
mysql -uroot -h127.0.0.1 -e 'CREATE DATABASE IF NOT EXISTS test' >/dev/null

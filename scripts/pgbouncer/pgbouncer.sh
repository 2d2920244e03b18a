#!/usr/bin/env bash
# A private PgBouncer in transaction pooling mode in front of a PostgreSQL server, for tests and
# benchmarks (docs/scaling.md, docs/adr/0038-pgbouncer-transaction-pooling.md). Never touches a
# system PgBouncer: its config, socket, log and pid file live in its own directory.
#
#   scripts/pgbouncer/pgbouncer.sh start <dir> <port> [server-host] [server-port]   prints postgres://postgres@127.0.0.1:<port>
#   scripts/pgbouncer/pgbouncer.sh stop <dir>
#
# Every database name is forwarded to the server (`* =` entry), so databases created directly on the
# server are reachable through it at once, as PGBOUNCER_SERVER_USER (postgres), with
# PGBOUNCER_SERVER_PASSWORD when the server asks for one (the embedded test server). Auth `any`:
# local use only.
set -euo pipefail

command=${1:?start|stop}
dir=${2:?directory}

case $command in
  start)
    port=${3:?port}
    server_host=${4:-127.0.0.1}
    server_port=${5:-5432}
    command -v pgbouncer >/dev/null || { echo "pgbouncer is not installed (Debian: apt-get install pgbouncer)" >&2; exit 1; }
    mkdir -p "$dir"
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$server_host port=$server_port user=${PGBOUNCER_SERVER_USER:-postgres}${PGBOUNCER_SERVER_PASSWORD:+ password=$PGBOUNCER_SERVER_PASSWORD}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = any
pool_mode = transaction
max_client_conn = 2000
; Server connections per database, and for all databases together (the shared server's
; max_connections is the budget: docs/scaling.md). Idle ones close soon: tests come and go.
default_pool_size = ${PGBOUNCER_POOL_SIZE:-10}
max_user_connections = ${PGBOUNCER_MAX_SERVER_CONNECTIONS:-24}
server_idle_timeout = 10
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
    # pgbouncer refuses to run as root; the postgres account exists wherever the server package is.
    if [[ $EUID -eq 0 ]]; then
      chown -R postgres "$dir"
      runuser -u postgres -- pgbouncer -d "$dir/pgbouncer.ini"
    else
      pgbouncer -d "$dir/pgbouncer.ini"
    fi
    for _ in $(seq 1 50); do
      if pg_isready -q -h 127.0.0.1 -p "$port" -d postgres; then
        echo "postgres://postgres@127.0.0.1:$port"
        exit 0
      fi
      sleep 0.1
    done
    echo "pgbouncer did not answer on port $port (log: $dir/pgbouncer.log)" >&2
    exit 1
    ;;
  stop)
    if [[ -f $dir/pgbouncer.pid ]]; then
      pid=$(cat "$dir/pgbouncer.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    ;;
  *)
    echo "usage: $0 start <dir> <port> [server-host] [server-port] | stop <dir>" >&2
    exit 2
    ;;
esac

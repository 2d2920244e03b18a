#!/usr/bin/env bash
# A private Redis Sentinel setup: one master, one replica and three sentinels monitoring it as
# "debts-hub", for tests (docs/scaling.md, docs/adr/0040-redis-cluster-and-sentinel.md). Never touches
# the machine's Redis: every process's config, pid file and log live in its own directory; nothing is
# saved to disk. The sentinels take a master down after 1 s without an answer (a quorum of 2).
#
#   scripts/redis-sentinel/sentinel.sh start <dir> <master-port> <replica-port> <sentinel-port>...
#       prints 127.0.0.1:<sentinel-port>,... (REDIS_SENTINELS; REDIS_SENTINEL_NAME=debts-hub)
#   scripts/redis-sentinel/sentinel.sh kill <dir> <port>    SIGKILLs one process (a master, say)
#   scripts/redis-sentinel/sentinel.sh master <dir>         prints the master's address the sentinels agree on
#   scripts/redis-sentinel/sentinel.sh stop <dir>           stops every process
set -euo pipefail

command=${1:?start|kill|master|stop}
dir=${2:?directory}
NAME=debts-hub

# shellcheck source=../redis-cluster/processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/../redis-cluster/processes.sh"

start_sentinel() {
  local port=$1 master=$2
  mkdir -p "$dir/$port"
  echo "$port" >>"$dir/ports"
  # The sentinel rewrites its config file as it learns the topology: one file each.
  cat >"$dir/$port/sentinel.conf" <<CONF
port $port
bind 127.0.0.1
daemonize yes
dir $dir/$port
pidfile $dir/$port/redis.pid
logfile $dir/$port/sentinel.log
sentinel monitor $NAME 127.0.0.1 $master 2
sentinel down-after-milliseconds $NAME 1000
sentinel failover-timeout $NAME 5000
sentinel parallel-syncs $NAME 1
CONF
  redis-server "$dir/$port/sentinel.conf" --sentinel
  wait_until answers "$port" || { echo "sentinel did not answer on port $port (log: $dir/$port/sentinel.log)" >&2; exit 1; }
}

replica_in_sync() { cli "$1" info replication | grep -q '^master_link_status:up'; }
sentinels_see() { cli "$1" sentinel replicas "$NAME" | grep -q "$2" && [[ $(cli "$1" sentinel sentinels "$NAME" | grep -c '^name$') -ge $3 ]]; }

case $command in
  start)
    master=${3:?master port}
    replica=${4:?replica port}
    shift 4
    (($# >= 3)) || { echo "usage: $0 start <dir> <master-port> <replica-port> <sentinel-port> <sentinel-port> <sentinel-port>..." >&2; exit 2; }
    require_redis
    mkdir -p "$dir"
    start_redis "$master"
    start_redis "$replica" --replicaof 127.0.0.1 "$master"
    wait_until replica_in_sync "$replica" || { echo "replica on port $replica did not sync" >&2; exit 1; }
    sentinels=()
    for port in "$@"; do
      start_sentinel "$port" "$master"
      sentinels+=("127.0.0.1:$port")
    done
    # Ready for a failover: each sentinel knows the replica and the other sentinels (hello
    # messages every 2 s: allow 30 s).
    for port in "$@"; do
      WAIT_TRIES=300 wait_until sentinels_see "$port" "$replica" $(($# - 1)) ||
        { echo "sentinel on port $port does not see the replica and the other sentinels" >&2; exit 1; }
    done
    (IFS=,; echo "${sentinels[*]}")
    ;;
  kill)
    kill_process "${3:?port}"
    ;;
  master)
    port=$(head -n 3 "$dir/ports" | tail -n 1)
    cli "$port" sentinel get-master-addr-by-name "$NAME" | paste -sd:
    ;;
  stop)
    stop_all
    ;;
  *)
    echo "usage: $0 start <dir> <master-port> <replica-port> <sentinel-port>... | kill <dir> <port> | master <dir> | stop <dir>" >&2
    exit 2
    ;;
esac

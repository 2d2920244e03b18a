#!/usr/bin/env bash
# A private Redis Cluster of masters only (3 by default), for tests and benchmarks (docs/scaling.md,
# docs/adr/0040-redis-cluster-and-sentinel.md). Never touches the machine's Redis: each node's
# config, pid file and log live in its own directory, nothing is saved to disk (keys a killed node
# held are lost when it restarts, as after a master's disk is gone).
#
#   scripts/redis-cluster/cluster.sh start <dir> <port>...   prints 127.0.0.1:<port>,... (the seed list)
#   scripts/redis-cluster/cluster.sh kill <dir> <port>       SIGKILLs one node
#   scripts/redis-cluster/cluster.sh restart <dir> <port>    starts a killed node again, empty, same slots
#   scripts/redis-cluster/cluster.sh stop <dir>              stops every node
#
# cluster-require-full-coverage no: while one master is away, the lanes on the others keep working.
set -euo pipefail

command=${1:?start|kill|restart|stop}
dir=${2:?directory}

# shellcheck source=processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/processes.sh"

start_node() {
  start_redis "$1" --cluster-enabled yes --cluster-config-file "$dir/$1/nodes.conf" --cluster-node-timeout 2000 \
    --cluster-require-full-coverage no
}

cluster_ok() { cli "$1" cluster info | grep -q '^cluster_state:ok'; }

case $command in
  start)
    shift 2
    (($# > 0)) || { echo "usage: $0 start <dir> <port>..." >&2; exit 2; }
    require_redis
    mkdir -p "$dir"
    nodes=()
    for port in "$@"; do
      start_node "$port"
      nodes+=("127.0.0.1:$port")
    done
    cli "$1" --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 ||
      { cat "$dir/create.log" >&2; exit 1; }
    for port in "$@"; do
      wait_until cluster_ok "$port" || { echo "cluster not ok on port $port" >&2; exit 1; }
    done
    (IFS=,; echo "${nodes[*]}")
    ;;
  kill)
    kill_process "${3:?port}"
    ;;
  restart)
    port=${3:?port}
    start_node "$port"
    wait_until cluster_ok "$port" || { echo "cluster not ok on port $port after restart" >&2; exit 1; }
    ;;
  stop)
    stop_all
    ;;
  *)
    echo "usage: $0 start <dir> <port>... | kill <dir> <port> | restart <dir> <port> | stop <dir>" >&2
    exit 2
    ;;
esac

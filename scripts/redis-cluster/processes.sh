# Functions shared by scripts/redis-cluster/cluster.sh and scripts/redis-sentinel/sentinel.sh, which
# source this file after setting $dir: each process's pid file is $dir/<port>/redis.pid and every port
# started is listed in $dir/ports.

cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }

# Waits (up to WAIT_TRIES tenths of a second, 10 s by default) until "$@" succeeds.
wait_until() {
  for _ in $(seq 1 "${WAIT_TRIES:-100}"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

answers() { test "$(cli "$1" ping 2>/dev/null)" = PONG; }

require_redis() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    { echo "redis-server and redis-cli are needed (Debian: apt-get install redis-server redis-tools)" >&2; exit 1; }
}

# Starts a redis-server on port $1 that keeps nothing on disk, with the extra arguments given.
start_redis() {
  local port=$1
  mkdir -p "$dir/$port"
  grep -qx "$port" "$dir/ports" 2>/dev/null || echo "$port" >>"$dir/ports"
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes "${@:2}" \
    --save '' --appendonly no --maxmemory-policy noeviction \
    --dir "$dir/$port" --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log"
  wait_until answers "$port" || { echo "redis-server did not answer on port $port (log: $dir/$port/redis.log)" >&2; exit 1; }
}

# SIGKILLs the process on port $1 and waits until it is gone.
kill_process() {
  local pidfile=$dir/$1/redis.pid pid
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  rm -f "$pidfile"
  kill -9 "$pid" 2>/dev/null || return 0
  wait_until bash -c "! kill -0 $pid" || true
}

stop_all() {
  [[ -f $dir/ports ]] || return 0
  local port
  for port in $(cat "$dir/ports"); do kill_process "$port"; done
}

#!/usr/bin/env bash
# `npm run test:cluster [jest args]`: e2e suites with every Redis connection of the app on a private
# 3-master Redis Cluster (TEST_REDIS_CLUSTER_NODES -> REDIS_CLUSTER_NODES, test/support/test-env.ts).
# Needs redis-server and redis-cli (.ci/run installs them). Without arguments: the outbox, flow and
# health suites.
#
# Left out, because they talk to a single Redis of their own (TEST_REDIS_URL, a private
# redis-server or Sentinel), which a Cluster run does not replace: the Redis chaos suites (redis-*; their
# Cluster counterpart, redis-cluster-master-loss, starts a cluster of its own and runs in both),
# forged-jobs, rate-limit, batched-throttler-storage, redis-eviction-policy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

dir=$(mktemp -d /tmp/debts-hub-redis-cluster.XXXXXX)
trap 'scripts/redis-cluster/cluster.sh stop "$dir"; rm -rf "$dir"' EXIT
# shellcheck disable=SC2046 # one port per word
TEST_REDIS_CLUSTER_NODES=$(scripts/redis-cluster/cluster.sh start "$dir" $(node scripts/redis-cluster/free-ports.cjs 3))
export TEST_REDIS_CLUSTER_NODES
echo "Redis Cluster (3 masters) at $TEST_REDIS_CLUSTER_NODES"
(($# > 0)) || set -- test/outbox test/flows test/platform/health
npm run build:test
# Path patterns first: an array option (--selectProjects, --testPathIgnorePatterns) swallows the
# arguments that follow it.
node node_modules/jest/bin/jest.js "$@" --selectProjects e2e \
  --testPathIgnorePatterns='chaos/redis-(flushall|restart|off-accepting-path|sentinel-failover)' forged-jobs rate-limit \
  batched-throttler-storage redis-eviction-policy

#!/usr/bin/env bash
# `npm run test:pgbouncer [jest args]`: the e2e suites with every app connection going through a
# private PgBouncer in transaction pooling mode (DATABASE_URL), DATABASE_DIRECT_URL for sessions
# (test/support/test-env.ts). Needs Debian's pgbouncer (.ci/run installs it).
#
# Left out, because what they test is the direct connection itself:
#   connection-defaults: the READ COMMITTED startup parameter, which no pooler carries (the pooled
#   case is the startup check, covered in test/platform/pgbouncer.e2e-spec.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

dir=$(mktemp -d /tmp/debts-hub-pgbouncer.XXXXXX)
port=${PGBOUNCER_PORT:-$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}
trap 'scripts/pgbouncer/pgbouncer.sh stop "$dir"; rm -rf "$dir"' EXIT
TEST_PGBOUNCER_URL=$(scripts/pgbouncer/pgbouncer.sh start "$dir" "$port")
export TEST_PGBOUNCER_URL
echo "PgBouncer (transaction pooling) at $TEST_PGBOUNCER_URL"
npm run build:test
# Path patterns first: an array option (--selectProjects, --testPathIgnorePatterns) swallows the
# arguments that follow it.
node node_modules/jest/bin/jest.js "$@" --selectProjects e2e --testPathIgnorePatterns=connection-defaults

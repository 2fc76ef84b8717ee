#!/usr/bin/env bash
# The test command: installs what the browser tests need (Debian chromium, when missing and when we may),
# then runs every test of every module. Benchmarks are not part of it (see load-tests/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x scripts/install-test-deps.sh ]; then
  scripts/install-test-deps.sh
fi
exec mvn -B verify "$@"

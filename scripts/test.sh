#!/usr/bin/env bash
# The test command: installs what the browser and media tests need (Debian chromium, coturn, libpulse0, …;
# only what is missing; the Node ws relay peer of the load smoke test from npm), then runs every test of every module. Benchmarks are not part of it (see load-tests/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
for deps in scripts/install-test-deps.sh scripts/install-media-deps.sh load-tests/peers-node/install.sh; do
  if [ -x "$deps" ]; then
    "$deps"
  fi
done
exec mvn -B verify "$@"

#!/bin/sh
# Installs the Node ws relay peer (target node-ws of bench.sh): Node.js and npm from Debian when missing, then the
# exact versions in package-lock.json (npm ci) into peers-node/node_modules. Idempotent: does nothing when ws is
# already installed at the locked version.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "peers-node/install.sh: node and npm are missing; run as root to apt-get install nodejs npm" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm
fi
locked=$(node -p "require('$HERE/package-lock.json').packages['node_modules/ws'].version")
have=$(node -p "try { require('$HERE/node_modules/ws/package.json').version } catch (e) { '' }")
if [ "$have" = "$locked" ]; then
    echo "peers-node: ws $have already installed (node $(node --version))"
    exit 0
fi
cd "$HERE"
npm ci --no-audit --no-fund --omit=dev --loglevel=error
echo "peers-node: installed ws $locked (node $(node --version))"

#!/bin/sh
# Installs what the browser tests of the web client need (Debian/Ubuntu, as root): Chromium and its
# chromedriver at /usr/bin, coturn (the relay test) and iproute2 (the tests put Chromium into its own network
# namespace), nats-server (the cluster tests start a 3-node JetStream cluster on loopback); then axe-core from
# npm (the accessibility check of the browser tests loads it into the pages under test; it is never served by the
# server), pinned in server/src/test/a11y/package-lock.json.
# Idempotent and non-interactive; does nothing when everything is already there.
set -eu

need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
[ -x /usr/bin/chromedriver ] || need="$need chromium-driver"
[ -x /usr/bin/turnserver ] || need="$need coturn"
command -v ip >/dev/null 2>&1 || need="$need iproute2"
command -v nats-server >/dev/null 2>&1 || need="$need nats-server"

a11y_dir="$(cd "$(dirname "$0")/.." && pwd)/server/src/test/a11y"
install_axe() {
    if [ -f "$a11y_dir/node_modules/axe-core/axe.min.js" ]; then
        echo "install-test-deps: axe-core is present"
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        # Debian's npm brings Node.js with it
        if [ "$(id -u)" -ne 0 ]; then
            echo "install-test-deps: run as root to install npm (for axe-core)" >&2
            exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq npm
    fi
    (cd "$a11y_dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "install-test-deps: installed axe-core"
}

if [ -z "$need" ]; then
    echo "install-test-deps: chromium, chromium-driver, coturn, iproute2 and nats-server are present"
    install_axe
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: run as root to install:$need" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $need
echo "install-test-deps: installed$need"
install_axe

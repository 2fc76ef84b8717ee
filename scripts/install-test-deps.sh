#!/bin/sh
# Installs what the browser tests of the web client need (Debian/Ubuntu, as root): Chromium and its
# chromedriver at /usr/bin, coturn (the relay test) and iproute2 (the tests put Chromium into its own network
# namespace).
# Idempotent and non-interactive; does nothing when everything is already there.
set -eu

need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
[ -x /usr/bin/chromedriver ] || need="$need chromium-driver"
[ -x /usr/bin/turnserver ] || need="$need coturn"
command -v ip >/dev/null 2>&1 || need="$need iproute2"

if [ -z "$need" ]; then
    echo "install-test-deps: chromium, chromium-driver and iproute2 are present"
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

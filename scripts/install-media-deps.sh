#!/bin/sh
# Installs what the media recorder and its tests need on Debian: libpulse0 (webrtc-java's native library links
# against it) and iproute2 (the end-to-end test creates a network namespace). Idempotent and non-interactive.
set -eu
missing=""
for pkg in libpulse0 iproute2; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
if [ -z "$missing" ]; then
    echo "media dependencies already installed"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing

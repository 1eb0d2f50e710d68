#!/usr/bin/env bash
# Install Debian's Chromium for the site check (scripts/screenshot.py), if missing.
# Idempotent: does nothing when a chromium binary is already on PATH. Needs root (apt-get).
set -euo pipefail

for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null 2>&1; then
        echo "chromium already installed: $(command -v "$candidate")"
        exit 0
    fi
done

if [ "$(id -u)" -ne 0 ]; then
    echo "install-chromium.sh: run as root (it uses apt-get)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
echo "chromium installed: $(command -v chromium)"

#!/usr/bin/env bash
# Install headless Chromium for the report's browser test (tests/python/test_report.py).
# Debian/Ubuntu only: uses apt-get non-interactively; runs as root (CI) or through sudo.
# Quiet no-op when a chromium binary is already on the PATH.
set -euo pipefail

for candidate in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$candidate" >/dev/null 2>&1; then
        exit 0
    fi
done

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_chromium.sh: apt-get not found; install chromium yourself to run the browser test" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "install_chromium.sh: need root or passwordless sudo to apt-get install chromium" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install_chromium.sh: installing chromium with apt-get (used by the report's browser test)"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null 2>&1
echo "install_chromium.sh: $(chromium --version 2>/dev/null || echo chromium installed)"

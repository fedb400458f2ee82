#!/usr/bin/env bash
# The browser tests (tests/web/browser) drive Debian's Chromium through Playwright. Install it
# from Debian's packages when missing; Playwright's own browser download is never used.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
echo "Chromium missing: installing Debian's chromium package for the browser tests"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
        || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core; }
else
    echo "run as root: apt-get install -y chromium (or set DRESSKIT_CHROMIUM to a Chromium binary)" >&2
    exit 1
fi

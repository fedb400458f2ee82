#!/usr/bin/env bash
# WeasyPrint (the PDF report) needs Pango, HarfBuzz (with its subsetter) and a font from the
# system. Install them from Debian's packages when a fresh machine lacks them; say what to do
# when this user cannot install.
set -euo pipefail
missing=()
for library in libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0 libfontconfig.so.1; do
    ldconfig -p | grep -q "$library" || missing+=("$library")
done
command -v fc-list >/dev/null && [ -n "$(fc-list 2>/dev/null | head -1)" ] || missing+=("a font")
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libfontconfig1 fontconfig fonts-dejavu-core"
echo "system libraries for PDF reports missing: ${missing[*]}; installing: $packages"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages \
        || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages; }
else
    echo "run as root: apt-get install -y $packages" >&2
    exit 1
fi

#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 for the registry tests (CI runs them
# on both SQLite and PostgreSQL). Start the installed cluster if it is down; install it from
# Debian's packages if the machine has none (as root), trusting local TCP connections, as the
# test machines do.
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if command -v pg_isready >/dev/null && ready; then
    exit 0
fi
if [ ! -d /etc/postgresql ] || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "PostgreSQL is not installed and cannot be installed here (needs root and apt-get)" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql \
        || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; }
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    echo "host all all 127.0.0.1/32 trust" > "/etc/postgresql/$version/main/pg_hba.conf.dresskit"
    cat "/etc/postgresql/$version/main/pg_hba.conf" >> "/etc/postgresql/$version/main/pg_hba.conf.dresskit"
    mv "/etc/postgresql/$version/main/pg_hba.conf.dresskit" "/etc/postgresql/$version/main/pg_hba.conf"
fi
version="$(ls /etc/postgresql | sort -V | tail -1)"
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
    ready && exit 0
    sleep 1
done
echo "PostgreSQL did not start on 127.0.0.1:5432" >&2
exit 1

#!/usr/bin/env bash
# The demo registry of `make run`: a new SQLite file with two sites, the two example bundles
# (Sim 2022 at "north", Shen 2024 at "south") and an admin whose random password is printed
# once. Usage: scripts/demo-registry.sh DRESSKIT-COMMAND DATABASE-FILE
set -euo pipefail
dresskit="$1"
db="$2"
rm -f "$db"
mkdir -p "$(dirname "$db")"
export DRESSKIT_USER=make-run
"$dresskit" db init --db "$db" >/dev/null
"$dresskit" site add north --title "North University Hospital (Sim et al. 2022 cohort)" --db "$db" >/dev/null
"$dresskit" site add south --title "South General Hospital (Shen et al. 2024 case)" --db "$db" >/dev/null
"$dresskit" import examples/sim2022 --site north --db "$db" >/dev/null
"$dresskit" import examples/shen2024 --site south --db "$db" >/dev/null
echo "Demo registry: $db (sites north and south, 19 patients)"
"$dresskit" user add demo-admin --role admin --random-password --db "$db"
echo "Sign in as demo-admin with the password above; create more accounts under Accounts."

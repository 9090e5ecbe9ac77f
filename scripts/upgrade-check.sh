#!/usr/bin/env bash
# See a breaking release before it reaches the lock: compile the newest versions the inputs
# allow into a scratch folder, print which packages would change, install them into a scratch
# virtual environment and run the unit and policy tests there. The lock and .venv stay as they
# are; `make lock UPGRADE="name ..."` then takes the upgrades you want, deliberately.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${UPGRADE_DIR:-.upgrade-check}"
rm -rf "$scratch"
mkdir -p "$scratch/requirements"
LOCK_DIR="$scratch/requirements" IMAGE_LOCK="$scratch/workspace-requirements.txt" \
  scripts/lock.sh --all

python3 - requirements/dev.txt "$scratch/requirements/dev.txt" <<'PY'
import re, sys
pin = re.compile(r"^([A-Za-z0-9_.\-]+)==([^ ;\\]+)(?: ; (.*?))?\s*\\?$")
def read(path):
    found = {}
    for line in open(path, encoding="utf-8"):
        m = pin.match(line.strip())
        if m:
            found[(m.group(1).lower(), m.group(3) or "")] = m.group(2)
    return found
old, new = read(sys.argv[1]), read(sys.argv[2])
changes = sorted(set(old) | set(new))
rows = [(n, m, old.get((n, m), "-"), new.get((n, m), "-")) for n, m in changes
        if old.get((n, m)) != new.get((n, m))]
print(f"{len(rows)} package(s) would change:" if rows else "Every package is at its newest allowed release.")
for name, marker, before, after in rows:
    print(f"  {name:32} {before:>12} -> {after:<12} {('; ' + marker) if marker else ''}")
PY

python3 -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --require-hashes --no-deps -r "$scratch/requirements/dev.txt"
"$scratch/venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
"$scratch/venv/bin/python" -m pip check
echo "Running the unit and policy tests with the upgraded set..."
"$scratch/venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit policies \
  --deselect tests/unit/test_locks.py::test_this_environment_is_the_lock

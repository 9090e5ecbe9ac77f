#!/usr/bin/env bash
# Compile the locks (exact versions and hashes) from their inputs, with uv from the project's
# own lock:
#   requirements/dev.txt            runtime + dev + bench extras + install tools (what make installs)
#   requirements/runtime.txt        runtime only, same versions (a deployment's install)
#   images/workspace/requirements.txt   the workspace image, for its Python (3.11.2)
# Versions already in a lock are kept; pass package names to upgrade just those, or --all:
#   scripts/lock.sh                  re-resolve after an input changed, keeping pins
#   scripts/lock.sh babel duckdb     upgrade these to the newest allowed releases
#   scripts/lock.sh --all            upgrade everything
set -euo pipefail
cd "$(dirname "$0")/.."
uv="${UV:-.venv/bin/uv}"
out="${LOCK_DIR:-requirements}"
image_out="${IMAGE_LOCK:-images/workspace/requirements.txt}"
upgrade=()
if [ "${1:-}" = "--all" ]; then
  upgrade=(--upgrade)
else
  for package in "$@"; do upgrade+=(--upgrade-package "$package"); done
fi
compile() {
  "$uv" pip compile --quiet --native-tls --generate-hashes \
    --custom-compile-command "make lock" "${upgrade[@]}" "$@"
}
mkdir -p "$out"
# The host's locks hold for any Python from 3.11 on (markers where versions differ).
compile --universal pyproject.toml requirements/tools.in --extra dev --extra bench \
  --python-version 3.11 -o "$out/dev.txt"
compile --universal pyproject.toml -c "$out/dev.txt" --python-version 3.11 -o "$out/runtime.txt"
# The image's lock is resolved for its one interpreter (no markers to evaluate at build time);
# hashes cover every wheel of each version, so other architectures install from it too.
compile images/workspace/requirements.in -c "$out/dev.txt" --python-version 3.11.2 \
  --python-platform x86_64-manylinux_2_36 --only-binary :all: -o "$image_out"

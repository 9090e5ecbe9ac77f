#!/usr/bin/env bash
# Make sure the Python given (default python3) is >= 3.11 and can create virtual environments.
# On a fresh Debian/Ubuntu machine this installs python3-venv when run as root.
set -euo pipefail
py=${1:-python3}
if ! command -v "$py" >/dev/null; then
  echo "Python 3.11+ is needed: apt-get install python3 python3-venv" >&2; exit 1
fi
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is needed (found $("$py" --version))." >&2; exit 1
fi
if ! "$py" -c 'import ensurepip, venv' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv
  else
    echo "The venv module is missing: sudo apt-get install python3-venv" >&2; exit 1
  fi
fi

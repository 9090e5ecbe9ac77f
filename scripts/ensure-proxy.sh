#!/usr/bin/env bash
# Install the HTTP proxy in front of JupyterHub: the Node configurable-http-proxy, exactly as
# locked in deploy/local/proxy/package-lock.json (`npm ci`: the lock is the only source).
# Used by `make install` (so `make up` and CI too). Needs Node.js 20 or newer; as root on
# Debian/Ubuntu without Node.js, installs the distribution's nodejs and npm.
set -euo pipefail
cd "$(dirname "$0")/../deploy/local/proxy"
min_major=20

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Node.js (nodejs, npm) for the hub's proxy..." >&2
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
fi
if ! command -v node >/dev/null || [ "$(node_major)" -lt "$min_major" ]; then
  cat >&2 <<MSG
The hub's proxy (configurable-http-proxy) needs Node.js $min_major or newer and npm; found: $(node --version 2>/dev/null || echo none).
Install Node.js $min_major+ as your system documents, then run \`make install\` again.
MSG
  exit 1
fi
# Reinstall only when the lock changed since the last install.
stamp=node_modules/.tre-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -x node_modules/.bin/configurable-http-proxy ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"

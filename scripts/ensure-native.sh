#!/usr/bin/env bash
# The lake and extract builds hash with a small native DuckDB extension (tre/native), built
# with the C compiler against OpenSSL. On a fresh Debian/Ubuntu machine this installs them when
# run as root; otherwise it says what is missing (the TRE then hashes in SQL, more slowly).
set -euo pipefail
if command -v cc >/dev/null && [ -f /usr/include/openssl/sha.h ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq gcc libc6-dev libssl-dev >/dev/null
else
  echo "Note: no C compiler or OpenSSL headers (sudo apt-get install gcc libssl-dev);" \
    "pseudonyms will be hashed in SQL, about five times more slowly." >&2
fi

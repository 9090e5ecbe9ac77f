#!/usr/bin/env bash
# PyICU (Unicode TR39 confusable skeletons for the names of airlock files) is built from
# source against the system's ICU: it needs a C++ compiler, pkg-config and ICU's headers.
# On a fresh Debian/Ubuntu machine this installs them when run as root; otherwise it says
# what is missing, before pip fails on it.
set -euo pipefail
if command -v c++ >/dev/null && command -v pkg-config >/dev/null \
  && pkg-config --exists icu-i18n 2>/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq g++ pkg-config libicu-dev >/dev/null
else
  echo "PyICU needs a C++ compiler, pkg-config and ICU's headers:" \
    "sudo apt-get install g++ pkg-config libicu-dev" >&2
  exit 1
fi

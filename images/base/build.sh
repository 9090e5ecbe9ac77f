#!/usr/bin/env bash
# Build the workspace base image from Debian packages, without any container registry.
#
#   images/base/build.sh [IMAGE]        (default IMAGE: tre-base:bookworm)
#
# Environment:
#   TRE_BASE_MIRROR   Debian mirror (default: the first Debian URI in this machine's apt sources)
#   TRE_BASE_SUITE    Debian suite (default: bookworm; its python3 is what the wheelhouse targets)
#   TRE_BASE_FORCE=1  rebuild even when IMAGE already exists
#
# This is the air-gapped path: the root filesystem comes from the distribution mirror (which an
# air-gapped site mirrors anyway), is imported with `docker import`, and the workspace image builds
# FROM it. Needs root, debootstrap and a running Docker engine. The rootfs is built in a temporary
# directory and removed afterwards; it never belongs in the repository.
set -euo pipefail

image="${1:-tre-base:bookworm}"
suite="${TRE_BASE_SUITE:-bookworm}"
docker_bin="${DOCKER:-/usr/bin/docker}"
[ -x "$docker_bin" ] || docker_bin="$(command -v docker)"

die() { printf 'images/base: %s\n' "$*" >&2; exit 1; }

if [ "${TRE_BASE_FORCE:-0}" != "1" ] && "$docker_bin" image inspect "$image" >/dev/null 2>&1; then
  printf 'images/base: %s already exists (TRE_BASE_FORCE=1 rebuilds it)\n' "$image"
  exit 0
fi

[ "$(id -u)" = "0" ] || die "debootstrap needs root; run as root (or build where you are root)."
command -v debootstrap >/dev/null || die "debootstrap is not installed: apt-get install -y debootstrap"
"$docker_bin" info >/dev/null 2>&1 || die "no Docker engine answers: install docker.io and start dockerd"

mirror_from_apt() {
  # deb822 sources first (Debian 12), then the one-line format.
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  fi
  printf '%s' "${uri:-http://deb.debian.org/debian}"
}
mirror="${TRE_BASE_MIRROR:-$(mirror_from_apt)}"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/tre-base.XXXXXX")"
cleanup() { rm -rf --one-file-system "$workdir"; }
trap cleanup EXIT
rootfs="$workdir/rootfs"

printf 'images/base: debootstrap %s from %s\n' "$suite" "$mirror"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  "$suite" "$rootfs" "$mirror" >"$workdir/debootstrap.log" 2>&1 \
  || { tail -n 30 "$workdir/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

# Lean: package caches, lists, docs and man pages are of no use inside a workspace.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old
# The mirror the image was built from, so `apt-get` inside a derived build uses it too.
printf 'deb %s %s main\n' "$mirror" "$suite" >"$rootfs/etc/apt/sources.list"

printf 'images/base: importing as %s\n' "$image"
tar --numeric-owner -C "$rootfs" -c . | "$docker_bin" import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' \
  --message "tre base: debootstrap $suite minbase + python3" \
  - "$image" >/dev/null
"$docker_bin" run --rm "$image" python3 -c 'import sys, venv, ssl; print("images/base: python", sys.version.split()[0])'

#!/usr/bin/env bash
# Make sure a Docker engine answers, for workspaces. Used by `make up` and `.ci/run`.
#
# - An engine already answers: nothing is installed, started or changed.
# - Root on Debian/Ubuntu: installs docker.io, iptables and debootstrap (the offline base image
#   is built from Debian packages), starts dockerd (systemd when it runs the machine, otherwise
#   in the background with its log in /var/log/tre-dockerd.log) and waits for `docker info`.
# - Otherwise: prints the exact commands once and exits 1; `make up` then starts the hub and the
#   portal without workspaces.
set -euo pipefail
docker_bin=/usr/bin/docker
[ -x "$docker_bin" ] || docker_bin="$(command -v docker || echo /usr/bin/docker)"
answers() { "$docker_bin" info >/dev/null 2>&1; }
if answers; then exit 0; fi

debian_like() {
  [ -r /etc/os-release ] && grep -qiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release
}
if [ "$(id -u)" != 0 ] || ! debian_like || ! command -v apt-get >/dev/null; then
  cat >&2 <<'MSG'
Workspaces need a Docker engine, and none answers. On Debian/Ubuntu, as root:
    apt-get install -y docker.io iptables debootstrap
    systemctl start docker        # or, without systemd:  setsid dockerd >/var/log/tre-dockerd.log 2>&1 &
    docker info                   # then run `make up` again
If an engine runs but this account may not use it: usermod -aG docker "$USER", then log in again.
Elsewhere, install Docker Engine as your system documents. The hub and the portal start without it.
MSG
  exit 1
fi

echo "Installing Docker (docker.io, iptables, debootstrap) for workspaces..." >&2
export DEBIAN_FRONTEND=noninteractive
missing=()
for package in docker.io iptables debootstrap; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
docker_bin=/usr/bin/docker
if answers; then exit 0; fi  # the package's own service may have started it

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  systemctl start docker
else
  echo "Starting dockerd in the background (log: /var/log/tre-dockerd.log)..." >&2
  setsid dockerd >/var/log/tre-dockerd.log 2>&1 < /dev/null &
fi
for _ in $(seq 60); do answers && exit 0; sleep 1; done
echo "dockerd did not answer within 60 s; its log: /var/log/tre-dockerd.log" >&2
exit 1

#!/usr/bin/env bash
# Make sure a Docker engine is installed and answering, for the test suite.
#
# Idempotent: installs Debian's docker.io (20.10, BuildKit-capable) and
# debootstrap only when missing, starts dockerd only when it is not answering.
# Always talks to the engine through /usr/bin/docker: /usr/local/bin/docker
# (if present) is a newer client without the buildx plugin, which breaks
# DOCKER_BUILDKIT=1 builds.
set -euo pipefail

DOCKER=/usr/bin/docker
DOCKERD=/usr/sbin/dockerd
LOG=/tmp/dockerd.log
WAIT_SECONDS=60

say() { printf 'docker-engine: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root"

# --- packages -------------------------------------------------------------
# Only what is missing: naming an installed package to apt-get install would
# upgrade it. Recommends are skipped (apparmor, needrestart: useless here);
# the keyring debootstrap needs is listed explicitly.
packages=()
[[ -x $DOCKER && -x $DOCKERD ]] || packages+=(docker.io)
command -v debootstrap >/dev/null || packages+=(debootstrap)
[[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] || packages+=(debian-archive-keyring)
command -v strip >/dev/null || packages+=(binutils)  # used by stand-in-images.sh
if ((${#packages[@]})); then
  say "installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

# --- daemon ---------------------------------------------------------------
if "$DOCKER" info >/dev/null 2>&1; then
  say "dockerd already running ($("$DOCKER" info --format '{{.Driver}}') storage driver)"
  exit 0
fi

# dockerd picks overlay2 by itself when the kernel and the backing filesystem
# support it, and falls back to vfs (slow, no layer sharing) otherwise.
# DOCKERD_STORAGE_DRIVER overrides the choice.
args=()
[[ -n ${DOCKERD_STORAGE_DRIVER:-} ]] && args+=(--storage-driver "$DOCKERD_STORAGE_DRIVER")

say "starting dockerd (log: $LOG)"
# setsid + nohup: the daemon must outlive this script and its session.
setsid nohup "$DOCKERD" "${args[@]}" >>"$LOG" 2>&1 </dev/null &

for ((i = 0; i < WAIT_SECONDS; i++)); do
  if "$DOCKER" info >/dev/null 2>&1; then
    driver=$("$DOCKER" info --format '{{.Driver}}')
    say "dockerd is up after ${i}s ($driver storage driver)"
    [[ $driver == vfs ]] && say "WARNING: vfs storage driver: builds are slow and use much disk"
    exit 0
  fi
  sleep 1
done
tail -n 30 "$LOG" >&2 || true
die "dockerd did not answer within ${WAIT_SECONDS}s; see $LOG"

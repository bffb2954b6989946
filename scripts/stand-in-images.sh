#!/usr/bin/env bash
# Build local stand-ins for the official python:X.Y-slim and python:X.Y
# images, for machines that cannot pull from an image registry.
#
#   scripts/stand-in-images.sh            python:3.12-slim and python:3.12
#   scripts/stand-in-images.sh 3.9 3.12   the same for each version given
#
#   python:X.Y-slim   debootstrap'ed bookworm (minbase) slimmed the way
#                     debian:bookworm-slim is, plus the runtime libraries and
#                     this machine's CPython X.Y build (pyenv, newest X.Y.*),
#                     laid out like the official python slim image
#                     (/usr/local). Before 3.12 the official images also ship
#                     setuptools and wheel; so do these.
#   python:X.Y        the slim stand-in plus the buildpack-deps:bookworm
#                     package set, without the slim dpkg excludes.
#
# DOCKOPT_STANDIN_PYTHON=/path/to/prefix picks the CPython build when one
# version is asked for. The Debian release is always bookworm.
#
# Each image carries a dockopt.recipe label: a hash of this script and of
# every host file it reads. Images are rebuilt only when missing or when that
# hash changes, so a second run is a no-op. Needs root, dockerd running and
# debootstrap installed: run scripts/docker-engine.sh first.
set -euo pipefail

DOCKER=/usr/bin/docker  # 20.10 client; /usr/local/bin/docker lacks buildx
PYENV_VERSIONS=/root/.pyenv/versions
DEFAULT_VERSION=3.12
SUITE=bookworm
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
LOCAL_CA_DIR=/usr/local/share/ca-certificates
ROOT_PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin

# debuerreotype's slimify lists (what makes debian:*-slim "slim").
SLIM_EXCLUDES=(
  '/usr/share/doc/*' '/usr/share/groff/*' '/usr/share/info/*'
  '/usr/share/linda/*' '/usr/share/lintian/overrides/*'
  '/usr/share/locale/*' '/usr/share/man/*'
)
SLIM_INCLUDES=(
  '/usr/share/doc/*/copyright' '/usr/share/doc/kde/HTML/C/*'
  '/usr/share/gnome/help/*/C/*' '/usr/share/locale/all_languages'
  '/usr/share/locale/currency/*' '/usr/share/locale/l10n/*'
  '/usr/share/locale/languages' '/usr/share/locale/locale.alias'
  '/usr/share/omf/*/*-C.emf'
)

# buildpack-deps:bookworm (curl + scm + full layers), then the extra -dev
# packages the official python:3.12 Dockerfile installs on top of it.
FULL_PACKAGES=(
  ca-certificates curl dirmngr gnupg netbase wget
  git mercurial openssh-client procps subversion
  autoconf automake bzip2 default-libmysqlclient-dev dpkg-dev file g++ gcc
  imagemagick libbz2-dev libc6-dev libcurl4-openssl-dev libdb-dev
  libevent-dev libffi-dev libgdbm-dev libglib2.0-dev libgmp-dev libjpeg-dev
  libkrb5-dev liblzma-dev libmagickcore-dev libmagickwand-dev
  libmaxminddb-dev libncurses5-dev libncursesw5-dev libpng-dev libpq-dev
  libreadline-dev libsqlite3-dev libssl-dev libtool libwebp-dev libxml2-dev
  libxslt-dev libyaml-dev make patch pkg-config unzip xz-utils zlib1g-dev
  libbluetooth-dev tk-dev uuid-dev
)

say() { printf 'stand-in-images: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# Run a noisy command with its output in a log; show the log tail on failure.
quietly() {
  local log=$WORK/step.log
  "$@" >"$log" 2>&1 || { tail -n 40 "$log" >&2; die "failed: $*"; }
}

# Run a command inside the rootfs with a clean environment.
in_root() {
  chroot "$ROOT" /usr/bin/env -i PATH="$ROOT_PATH" HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

cleanup() {
  [[ -n ${WORK:-} && -d $WORK ]] || return 0
  # Unmount whatever is still mounted below the work dir, deepest first,
  # before deleting it.
  awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m"; done
  rm -rf --one-file-system "$WORK"
}

apt_sources() {  # the host's Debian apt sources that exist
  local f
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    [[ -s $f ]] && printf '%s\n' "$f"
  done
  return 0
}

pip_configs() {  # pip config files, in pip's own precedence order
  local f
  for f in /etc/xdg/pip/pip.conf /etc/pip.conf "$HOME/.pip/pip.conf" \
    "$HOME/.config/pip/pip.conf"; do
    [[ -f $f ]] && printf '%s\n' "$f"
  done
  return 0
}

# The Debian mirror this host uses for $SUITE, read from its apt sources
# (deb822 .sources or one-line sources.list format).
debian_mirror() {
  local f
  while read -r f; do
    if [[ $f == *.sources ]]; then
      awk -v suite="$SUITE" '
        function check() {
          if (!found && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ")) {
            print uri; found = 1; exit
          }
          types = suites = uri = ""
        }
        /^[[:space:]]*$/ { check(); next }
        /^Types:/  { sub(/^Types:[[:space:]]*/, ""); types = $0 }
        /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
        /^URIs:/   { uri = $2 }
        END { check() }' "$f"
    else
      awk -v suite="$SUITE" '$1 == "deb" {
          i = 2
          if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
          if ($(i + 1) == suite) { print $i; exit }
        }' "$f"
    fi
  done < <(apt_sources) | head -n 1
}

# A pip.conf holding only the host's package-index settings that make sense
# inside a container (http(s) indexes, trusted hosts, proxy); local paths
# such as find-links, file:// indexes or constraint files are left out.
# Prints nothing when the host uses the default index.
container_pip_conf() {
  local -a configs
  mapfile -t configs < <(pip_configs)
  "$PYTHON_SRC/bin/python3" - "${configs[@]}" <<'EOF'
import configparser, os, sys

keys = ("index-url", "extra-index-url", "trusted-host", "proxy")
cfg = configparser.RawConfigParser()
cfg.read(sys.argv[1:])  # later files override earlier ones, as in pip
found = {}
for section in ("global", "install"):
    for key in keys:
        if cfg.has_option(section, key):
            found[key] = cfg.get(section, key)
for key in keys:
    value = os.environ.get("PIP_" + key.upper().replace("-", "_"))
    if value:
        found[key] = value
for key in ("index-url", "extra-index-url"):
    urls = [u for u in found.pop(key, "").split() if u.startswith(("http://", "https://"))]
    if urls:
        found[key] = " ".join(urls)
if found:
    print("[global]")
    for key, value in found.items():
        print(f"{key} = {value}")
EOF
}

recipe_hash() {
  local -a inputs
  mapfile -t inputs < <(apt_sources; pip_configs)
  inputs+=("${BASH_SOURCE[0]}" "$CA_BUNDLE")
  if [[ -d $LOCAL_CA_DIR ]]; then
    mapfile -t -O "${#inputs[@]}" inputs < <(find "$LOCAL_CA_DIR" -type f | sort)
  fi
  {
    cat "${inputs[@]}"
    printf '%s\n' "$PYTHON_SRC" "$PYTHON_VERSION"
    env | grep -E '^PIP_(INDEX_URL|EXTRA_INDEX_URL|TRUSTED_HOST|PROXY)=' || true
  } | sha256sum | cut -d' ' -f1
}

image_id() {  # image_id IMAGE -> ID, empty if missing
  "$DOCKER" image inspect -f '{{.Id}}' "$1" 2>/dev/null || true
}

label_of() {  # label_of IMAGE KEY -> value, empty if image or label missing
  "$DOCKER" image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true
}

# Debian packages providing the shared libraries the CPython build links
# against, found the way the official python Dockerfile does it (ldd on
# every executable under the prefix, tkinter excluded).
python_runtime_packages() {
  find "$PYTHON_SRC" -type f -executable -not -name '*tkinter*' \
    -not -path '*/site-packages/*' -exec ldd '{}' ';' 2>/dev/null |
    awk -v p="$PYTHON_SRC/" '/=>/ { so = $(NF-1); if (index(so, p) == 1) next
         gsub("^/(usr/)?", "", so); printf "*%s\n", so }' |
    sort -u | xargs -r dpkg-query --search |
    awk 'sub(":$", "", $1) { sub(":.*", "", $1); print $1 }' | sort -u
}

build_slim() {
  local mirror f pip_conf id
  local -a libs
  ROOT=$WORK/rootfs
  mirror=$(debian_mirror)
  [[ -n $mirror ]] || die "no $SUITE mirror found in the host's apt sources"
  mapfile -t libs < <(python_runtime_packages)
  ((${#libs[@]})) || die "could not work out the runtime libraries of $PYTHON_SRC"

  say "debootstrap $SUITE (minbase) from $mirror"
  quietly debootstrap --variant=minbase "$SUITE" "$ROOT" "$mirror"

  # --- debian:bookworm-slim make-up (debuerreotype minimizing-config + slimify)
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
  echo 'force-unsafe-io' >"$ROOT/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
  cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<EOF
DPkg::Post-Invoke { $clean };
APT::Update::Post-Invoke { $clean };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$ROOT/etc/apt/apt.conf.d/docker-autoremove-suggests"
  echo 'Acquire::GzipIndexes "true";' >"$ROOT/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Acquire::Languages "none";' >"$ROOT/etc/apt/apt.conf.d/docker-no-languages"
  {
    echo '# This is the "slim" variant of the Debian base image.'
    printf 'path-exclude %s\n' "${SLIM_EXCLUDES[@]}"
    printf 'path-include %s\n' "${SLIM_INCLUDES[@]}"
  } >"$ROOT/etc/dpkg/dpkg.cfg.d/docker"
  # Drop what debootstrap unpacked before the excludes existed: first the
  # files not matching an include, then (repeatedly) empty dirs and dangling
  # symlinks. Runs in the chroot so absolute symlinks resolve correctly.
  local -a keep=()
  for f in "${SLIM_INCLUDES[@]}"; do keep+=(-o -path "$f"); done
  keep=('(' "${keep[@]:1}" ')')
  for f in "${SLIM_EXCLUDES[@]}"; do
    [[ -d $ROOT${f%/\*} ]] || continue
    in_root find "${f%/\*}" -depth -mindepth 1 -not "${keep[@]}" \
      -not '(' -type d -o -type l ')' -exec rm -f '{}' +
    while [[ -n $(in_root find "${f%/\*}" -depth -mindepth 1 \
      '(' -empty -o -xtype l ')' -exec rm -rf '{}' ';' -print) ]]; do :; done
  done

  # --- apt sources and CAs of the host, so apt and pip work in containers
  rm -f "$ROOT/etc/apt/sources.list"
  while read -r f; do cp "$f" "$ROOT$f"; done < <(apt_sources)
  # Locally added CAs (e.g. a TLS-intercepting proxy's) go where
  # update-ca-certificates picks them up, so they survive any later
  # regeneration of the bundle in derived images.
  if [[ -d $LOCAL_CA_DIR ]]; then
    mkdir -p "$ROOT$LOCAL_CA_DIR"
    cp -rL "$LOCAL_CA_DIR/." "$ROOT$LOCAL_CA_DIR/"
  fi

  # --- python:X.Y-slim runtime packages
  mount -t proc proc "$ROOT/proc"
  say "installing runtime packages: ca-certificates netbase tzdata ${libs[*]}"
  quietly in_root apt-get update
  quietly in_root apt-get install -y --no-install-recommends \
    ca-certificates netbase tzdata "${libs[@]}"
  # The host's bundle, as is: exactly the trust the host has.
  cp "$CA_BUNDLE" "$ROOT$CA_BUNDLE"

  # --- CPython in /usr/local, trimmed like the official image
  say "installing CPython $PYTHON_VERSION from $PYTHON_SRC"
  tar -C "$PYTHON_SRC" -cf - bin include lib share | tar -C "$ROOT/usr/local" -xf -
  local py=$ROOT/usr/local
  # Host-installed packages (and pip's copy) go; ensurepip reinstalls pip.
  find "$py/lib/python$PYMM/site-packages" -mindepth 1 -maxdepth 1 \
    -not -name README.txt -exec rm -rf '{}' +
  rm -f "$py"/bin/pip* "$py/bin/python$PYMM-gdb.py"
  find "$py" -depth \
    '(' '(' -type d -a '(' -name test -o -name tests -o -name idle_test ')' ')' \
    -o '(' -type f -a '(' -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' ')' ')' ')' \
    -exec rm -rf '{}' +
  # Relocate: scripts' shebangs, sysconfig data, Makefile, .pc files.
  grep -rlIF "$PYTHON_SRC" "$py" | xargs -r sed -i "s|$PYTHON_SRC|/usr/local|g"
  find "$py" -type f '(' -name '*.so' -o -name '*.so.*' -o -path "*/bin/python$PYMM" ')' \
    -exec strip --strip-unneeded '{}' +
  in_root ldconfig
  quietly in_root "python$PYMM" -m ensurepip
  for f in idle3 pip3 pydoc3 python3 python3-config; do
    ln -sfnT "$f" "$py/bin/${f%3*}${f#*3}"
  done
  find "$py" -type d -name __pycache__ -prune -exec rm -rf '{}' +

  pip_conf=$(container_pip_conf)
  [[ -z $pip_conf ]] || printf '%s\n' "$pip_conf" >"$ROOT/etc/pip.conf"
  if ((PYMINOR < 12)); then
    # The official images before 3.12 install wheel next to setuptools.
    say "installing wheel (python:$PYMM images ship it)"
    quietly in_root env SSL_CERT_FILE="$CA_BUNDLE" PIP_CERT="$CA_BUNDLE" \
      "python$PYMM" -m pip install --no-cache-dir --disable-pip-version-check wheel
    find "$py" -type d -name __pycache__ -prune -exec rm -rf '{}' +
  fi

  # --- debuerreotype fixup / tar excludes
  umount "$ROOT/proc"
  rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/* \
    "$ROOT"/var/cache/ldconfig/aux-cache "$ROOT"/var/log/apt/*.log \
    "$ROOT"/var/log/{dpkg,bootstrap,alternatives}.log \
    "$ROOT/etc/apt/apt.conf.d/01autoremove-kernels" \
    "$ROOT/etc/resolv.conf" "$ROOT/etc/hostname"

  say "importing $SLIM"
  id=$(tar -C "$ROOT" --numeric-owner --exclude='./dev/*' -cf - . |
    "$DOCKER" import \
      --change "ENV PATH=$ROOT_PATH" \
      --change 'ENV LANG=C.UTF-8' \
      --change "ENV PYTHON_VERSION=$PYTHON_VERSION" \
      --change "ENV SSL_CERT_FILE=$CA_BUNDLE" \
      --change "ENV REQUESTS_CA_BUNDLE=$CA_BUNDLE" \
      --change "ENV PIP_CERT=$CA_BUNDLE" \
      --change "LABEL dockopt.recipe=$RECIPE" \
      --change 'CMD ["python3"]' \
      -)
  rm -rf --one-file-system "$ROOT"

  # Tag only once it works, or a broken image would pass as up to date.
  local modules="ssl, sqlite3, ctypes, lzma, bz2, readline, uuid, zlib, zoneinfo"
  ((PYMINOR >= 9)) || modules=${modules%, zoneinfo}  # zoneinfo is new in 3.9
  "$DOCKER" run --rm "$id" sh -ec "
    python3 -c 'import $modules'
    pip --version" >&2 || die "the new $SLIM image ($id) does not work"
  "$DOCKER" tag "$id" "$SLIM"
}

build_full() {
  local ctx=$WORK/full base
  mkdir -p "$ctx"
  # FROM a name unique to this slim build: BuildKit shares a FROM step with
  # concurrent builds naming the same image, so "FROM python:X.Y-slim"
  # while other builds use it can resolve to the slim image just replaced.
  base=dockopt-stand-in-base:${SLIM_ID#sha256:}
  "$DOCKER" tag "$SLIM_ID" "$base"
  # The official full image sits on debian:bookworm, which has no slim
  # dpkg excludes, hence the rm before installing.
  cat >"$ctx/Dockerfile" <<EOF
FROM $base
RUN set -eux; \\
    rm /etc/dpkg/dpkg.cfg.d/docker; \\
    apt-get update; \\
    apt-get install -y --no-install-recommends ${FULL_PACKAGES[*]}; \\
    rm -rf /var/lib/apt/lists/*
EOF
  say "building $FULL (${#FULL_PACKAGES[@]} packages)"
  DOCKER_BUILDKIT=1 quietly "$DOCKER" build --progress=plain \
    --label "dockopt.recipe=$RECIPE" --label "dockopt.base=$SLIM_ID" \
    -t "$FULL" "$ctx"
  "$DOCKER" image rm "$base" >/dev/null
  [[ $("$DOCKER" image inspect -f '{{index .RootFS.Layers 0}}' "$FULL") == \
    $("$DOCKER" image inspect -f '{{index .RootFS.Layers 0}}' "$SLIM_ID") ]] ||
    die "$FULL was not built on the current $SLIM"
}

tag_aliases() {  # tag_aliases IMAGE ALIAS...
  local image=$1 id alias
  shift
  id=$(image_id "$image")
  for alias in "$@"; do
    [[ $(image_id "$alias") == "$id" ]] ||
      "$DOCKER" tag "$image" "$alias"
  done
}

# The CPython build for version X.Y: DOCKOPT_STANDIN_PYTHON, or the newest
# X.Y.* under $PYENV_VERSIONS.
python_prefix() {  # python_prefix X.Y -> path
  local want=$1 found
  if [[ -n ${DOCKOPT_STANDIN_PYTHON:-} ]]; then
    printf '%s\n' "$DOCKOPT_STANDIN_PYTHON"
    return
  fi
  found=$(find "$PYENV_VERSIONS" -mindepth 1 -maxdepth 1 -name "$want.*" -printf '%f\n' 2>/dev/null |
    grep -E "^${want//./\\.}\.[0-9]+$" | sort -t. -k3,3n | tail -n 1)
  [[ -n $found ]] || die "no CPython $want under $PYENV_VERSIONS"
  printf '%s\n' "$PYENV_VERSIONS/$found"
}

build_version() {  # build_version X.Y
  PYMM=$1
  PYMINOR=${PYMM#*.}
  SLIM=python:$PYMM-slim
  FULL=python:$PYMM
  PYTHON_SRC=$(python_prefix "$PYMM")
  [[ -x $PYTHON_SRC/bin/python3 ]] || die "no CPython at $PYTHON_SRC"
  PYTHON_VERSION=$(sed -n 's/^#define PY_VERSION[[:space:]]*"\(.*\)"/\1/p' \
    "$PYTHON_SRC/include/python$PYMM/patchlevel.h")
  [[ $PYTHON_VERSION == "$PYMM".* ]] || die "$PYTHON_SRC is CPython '$PYTHON_VERSION', not $PYMM"

  local start=$SECONDS
  RECIPE=$(recipe_hash)
  WORK=$(mktemp -d /var/tmp/dockopt-stand-in.XXXXXX)

  local old_slim old_full
  old_slim=$(image_id "$SLIM")
  old_full=$(image_id "$FULL")
  [[ $(label_of "$SLIM" dockopt.recipe) == "$RECIPE" ]] || build_slim
  SLIM_ID=$(image_id "$SLIM")
  [[ $(label_of "$FULL" dockopt.recipe) == "$RECIPE" &&
    $(label_of "$FULL" dockopt.base) == "$SLIM_ID" ]] || build_full

  local v=$PYTHON_VERSION
  tag_aliases "$SLIM" "python:$PYMM-slim-bookworm" "python:$v-slim" "python:$v-slim-bookworm"
  tag_aliases "$FULL" "python:$PYMM-bookworm" "python:$v" "python:$v-bookworm"
  if [[ $PYMM == "$DEFAULT_VERSION" ]]; then
    # The floating tags, as the registry had them when 3.12 was the newest Python: a file built FROM
    # python (latest) is rewritten onto python:slim, and both must be the same interpreter.
    tag_aliases "$SLIM" python:slim python:3-slim python:slim-bookworm
    tag_aliases "$FULL" python:latest python:3 python:bookworm
  fi

  # Drop replaced builds, now untagged (full first: it is the slim one's
  # child). Docker refuses while a container or a derived image still uses
  # one; that is fine, it stays.
  local new_full old
  new_full=$(image_id "$FULL")
  for old in "$old_full" "$old_slim"; do
    if [[ -n $old && $old != "$new_full" && $old != "$SLIM_ID" ]]; then
      "$DOCKER" image rm "$old" >/dev/null 2>&1 || true
    fi
  done

  "$DOCKER" image ls --filter "reference=python:$PYMM*" \
    --format 'table {{.Repository}}:{{.Tag}}\t{{.ID}}\t{{.Size}}'
  printf '%s: %s bytes\n' "$SLIM" "$("$DOCKER" image inspect -f '{{.Size}}' "$SLIM")" \
    "$FULL" "$("$DOCKER" image inspect -f '{{.Size}}' "$FULL")"
  cleanup
  say "python:$PYMM done in $((SECONDS - start))s"
}

main() {
  [[ $EUID -eq 0 ]] || die "must run as root"
  "$DOCKER" info >/dev/null 2>&1 || die "dockerd not answering; run scripts/docker-engine.sh first"
  command -v debootstrap >/dev/null || die "debootstrap missing; run scripts/docker-engine.sh first"
  local -a versions=("$@")
  ((${#versions[@]})) || versions=("$DEFAULT_VERSION")
  local version
  for version in "${versions[@]}"; do
    [[ $version =~ ^3\.[0-9]+$ ]] || die "not a Python version (X.Y): $version"
  done
  if [[ -n ${DOCKOPT_STANDIN_PYTHON:-} ]] && ((${#versions[@]} > 1)); then
    die "DOCKOPT_STANDIN_PYTHON names one CPython build; ask for one version"
  fi

  # One build at a time.
  exec 9>/tmp/dockopt-stand-in-images.lock
  flock 9
  trap cleanup EXIT

  for version in "${versions[@]}"; do
    build_version "$version"
  done
}

main "$@"

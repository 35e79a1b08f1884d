#!/usr/bin/env bash
# Makes the Node.js base image the image tests build on, where no registry serves node:24-bookworm-slim:
# Debian bookworm (debootstrap minbase, from the mirror apt uses here) plus the Node.js on PATH
# (node, npm and the headers, laid out like the official image under /usr/local), the user
# "node" (1000:1000) and the CA file Node trusts here (NODE_EXTRA_CA_CERTS), so `npm ci` in the
# build stage reaches the registry. Like the official slim image it has no compiler: the
# Dockerfile's build must not need one.
#
#   docker/make-test-base.sh IMAGE_TAG CACHE_DIR
#
# The root filesystem tarball is kept in CACHE_DIR under a name that changes with the Debian
# suite, the Node.js version, the CA file and this script, so a second run only imports it.
# Needs root, debootstrap, and DOCKER_HOST pointing at a running engine.
set -euo pipefail

TAG=$1
CACHE_DIR=$2
SUITE=bookworm
DOCKER="${DOCKER:-docker}"

node_bin="$(readlink -f "$(command -v node)")"
node_home="$(dirname "$(dirname "$node_bin")")"
node_version="$(node -v)"
[[ -d "$node_home/include/node" && -f "$node_home/lib/node_modules/npm/bin/npm-cli.js" ]] || {
  echo "make-test-base: $node_home (from node on PATH) has no include/node or lib/node_modules/npm; install Node with .ci/install-node.sh" >&2
  exit 2
}
ca_file="${NODE_EXTRA_CA_CERTS:-}"

# The Debian mirror apt is configured with (deb822 or one-line sources), else Debian's own.
mirror="$(sed -n 's/^URIs: *\(\S*debian\/*\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)"
[[ -n "$mirror" ]] || mirror="$(sed -n "s/^deb \+\(\[[^]]*\] \+\)\?\(\S*\) \+${SUITE} .*/\2/p" /etc/apt/sources.list 2>/dev/null | head -n 1)"
mirror="${mirror:-http://deb.debian.org/debian}"

key="$( { echo "$SUITE $node_version"; cat "$0"; [[ -n "$ca_file" ]] && cat "$ca_file"; } | sha256sum | cut -c1-16)"
tarball="$CACHE_DIR/base-${SUITE}-node${node_version#v}-${key}.tar"

if [[ ! -f "$tarball" ]]; then
  echo "make-test-base: debootstrap ${SUITE} from ${mirror} (cached afterwards as ${tarball})"
  mkdir -p "$CACHE_DIR"
  rootfs="$(mktemp -d -p "$CACHE_DIR" rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs" "$tarball.tmp"' EXIT
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
    tail -n 30 "$rootfs.log" >&2
    echo "make-test-base: debootstrap failed (log above)" >&2
    exit 1
  }
  rm -f "$rootfs.log"
  # What a container does not need: apt's lists and caches, docs, man pages, locales.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/locale/*
  # Node.js where the official image has it.
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/include" "$rootfs/usr/local/lib/node_modules"
  cp "$node_bin" "$rootfs/usr/local/bin/node"
  cp -a "$node_home/include/node" "$rootfs/usr/local/include/"
  cp -a "$node_home/lib/node_modules/npm" "$rootfs/usr/local/lib/node_modules/"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  if [[ -n "$ca_file" ]]; then
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    cp "$ca_file" "$rootfs/usr/local/share/ca-certificates/node-extra-ca.crt"
  fi
  # The official image's user "node", 1000:1000.
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
  trap - EXIT
fi

changes=(
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  -c "ENV NODE_VERSION=${node_version#v}"
  # Where node-gyp finds the headers, should a dependency build an addon.
  -c 'ENV npm_config_nodedir=/usr/local'
  -c 'CMD ["node"]'
)
[[ -n "$ca_file" ]] && changes+=(-c 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/node-extra-ca.crt')
"$DOCKER" import "${changes[@]}" "$tarball" "$TAG" >/dev/null
echo "make-test-base: $TAG from $(basename "$tarball") (Node ${node_version}, $(du -m "$tarball" | cut -f1) MB)"

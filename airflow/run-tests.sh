#!/usr/bin/env bash
# The Python suites `npm test` runs after jest:
#   docker/tests   packaging checks (Dockerfile lint, compose and Kubernetes schemas, image entrypoints)
#   tests/lake-readers  the lake's Parquet as pyarrow, DuckDB and Spark read it (DECIMAL, DATE, revenue to the cent)
#   tests/calendar      the independent recomputation from the landing files, unit-tested
#   airflow/tests  the DAG under real Airflow 3, then under real Airflow 2
# Needs the venvs made by `bash airflow/setup-venvs.sh`, the build output (`npm run build`), and
# PostgreSQL for Airflow 3's metadata database (AIRFLOW_TEST_PG_URL, default
# postgresql://postgres@127.0.0.1:5432/test). With SALESFLOW_TEST_REPORTS set, each suite writes a
# JUnit XML file there.
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()
for venv in .venv-packaging .venv-airflow3 .venv-airflow2 .venv-lakecheck; do
  [[ -x "$venv/bin/pytest" ]] || missing+=("$venv")
done
if ((${#missing[@]} > 0)); then
  echo "airflow/run-tests.sh: missing Python venv(s): ${missing[*]}. Create them with: bash airflow/setup-venvs.sh (and .venv-lakecheck: python3 -m venv .venv-lakecheck && .venv-lakecheck/bin/pip install -r tests/lake-readers/requirements.txt)" >&2
  exit 2
fi

reports="${SALESFLOW_TEST_REPORTS:-}"
failed=()
run_suite() {
  local name=$1 venv=$2 dir=$3
  echo "== pytest: $name"
  local junit=()
  [[ -n "$reports" ]] && junit=(--junitxml="$reports/pytest-$name.xml")
  if ! (cd "$dir" && "$venv/bin/python" -m pytest -q "${junit[@]}"); then
    failed+=("$name")
  fi
}
root="$PWD"
run_suite packaging "$root/.venv-packaging" docker
run_suite lake-readers "$root/.venv-lakecheck" tests/lake-readers
run_suite calendar-recompute "$root/.venv-lakecheck" tests/calendar
run_suite airflow3 "$root/.venv-airflow3" airflow
run_suite airflow2 "$root/.venv-airflow2" airflow

if ((${#failed[@]} > 0)); then
  echo "airflow/run-tests.sh: failed suites: ${failed[*]}" >&2
  exit 1
fi

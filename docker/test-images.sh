#!/usr/bin/env bash
# The step images under a real Docker engine (CI: .ci/run calls it). As root, it
#   1. installs Debian's docker.io and debootstrap if missing,
#   2. starts its own dockerd (no iptables, no bridge: containers use the host's network) with its
#      state in a temporary folder,
#   3. makes the Node.js base image (docker/make-test-base.sh; no registry serves node:24 here),
#   4. builds every target of docker/Dockerfile on it (docker/build-images.sh) and prints each
#      image's size and what it adds over the base,
#   5. runs docker/tests/images: the whole pipeline, one container per step, on the embedded
#      default, PostgreSQL, MariaDB and S3, checked against the local runner; then `airflow dags
#      test` with the Docker runner (DockerOperator) under Airflow 3 and Airflow 2,
# then stops the engine and removes its folder. Where no engine can start it says why and fails.
#
#   docker/test-images.sh
#
# Needs node 24 on PATH (.ci/install-node.sh), the build output (`npm run build`), the packaging
# and Airflow venvs (airflow/setup-venvs.sh), and the servers of the tests (LAKE_TEST_S3_ENDPOINT,
# WAREHOUSE_TEST_PG_URL, WAREHOUSE_TEST_MYSQL_URL; defaults as in tests/integration).
# SALESFLOW_IMAGE_CACHE (default /var/cache/salesflow-images) keeps the base's root filesystem.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE_DIR="${SALESFLOW_IMAGE_CACHE:-/var/cache/salesflow-images}"
BASE_IMAGE=salesflow-test-base:node24
export SALESFLOW_TEST_IMAGE_PREFIX=salesflow-test
export SALESFLOW_TEST_IMAGE_TAG=ci

fail() {
  echo "test-images: $*" >&2
  exit 1
}
((EUID == 0)) || fail "needs root (dockerd and debootstrap)"
[[ "$(node -v)" == v24.* ]] || fail "needs Node.js 24 on PATH, found $(node -v 2>&1); install it with .ci/install-node.sh"
for venv in .venv-packaging .venv-airflow3 .venv-airflow2; do
  [[ -x "$venv/bin/python" ]] || fail "no $venv: bash airflow/setup-venvs.sh"
done

# Times of the parts, printed as one line at the end.
TIMES=()
mark() { TIMES+=("$1 $((SECONDS - PART_STARTED)) s"); PART_STARTED=$SECONDS; }
PART_STARTED=$SECONDS

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v docker-compose >/dev/null || missing+=(docker-compose)
if ((${#missing[@]} > 0)); then
  echo "test-images: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's client, the same version as its dockerd (another docker on PATH may lack the builder).
export DOCKER=/usr/bin/docker
[[ -x "$DOCKER" ]] || DOCKER="$(command -v docker)" || fail "docker.io installed no docker client"

# A short folder: containerd's socket paths under the exec root must stay under 108 bytes.
WORK="$(mktemp -d /tmp/sf-docker.XXXXXX)"
DOCKERD_PID=
cleanup() {
  local status=$?
  if [[ -n "$DOCKERD_PID" ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
  fi
  # Mounts dockerd may have left under its folder (deepest first), then the folder.
  awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n 1 umount -l 2>/dev/null || true
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DOCKER_HOST="unix://$WORK/docker.sock"
dockerd --iptables=false --ip-masq=false --bridge=none \
  --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
  -H "$DOCKER_HOST" >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
deadline=$((SECONDS + 60))
until "$DOCKER" info >/dev/null 2>&1; do
  if ! kill -0 "$DOCKERD_PID" 2>/dev/null || ((SECONDS >= deadline)); then
    tail -n 30 "$WORK/dockerd.log" >&2
    fail "no Docker engine could start here (dockerd log above); the image tests cannot run"
  fi
  sleep 0.5
done
echo "test-images: dockerd $("$DOCKER" info --format '{{.ServerVersion}}, storage {{.Driver}}') on $DOCKER_HOST"
mark engine

bash docker/make-test-base.sh "$BASE_IMAGE" "$CACHE_DIR"
mark base

# BuildKit builds only the stages a target needs; the build's RUN uses the host's network (npm ci).
if ! DOCKER_BUILDKIT=1 IMAGE_PREFIX="$SALESFLOW_TEST_IMAGE_PREFIX" \
  DOCKER_BUILD_FLAGS="--network host --build-arg NODE_IMAGE=$BASE_IMAGE" \
  bash docker/build-images.sh "$SALESFLOW_TEST_IMAGE_TAG" >"$WORK/build.log" 2>&1; then
  tail -n 60 "$WORK/build.log" >&2
  fail "docker/build-images.sh failed (last lines above)"
fi
tail -n 1 "$WORK/build.log"
mark build

# The real Compose tool on docker-compose.yml. Debian has Compose v1 only, which predates the
# top-level `name:` of today's Compose specification; the rest of the file it checks in full
# (the specification's JSON schema checks all of it: docker/tests/test_packaging.py).
sed '/^name: /d' docker-compose.yml >"$WORK/compose.yml"
docker-compose -f "$WORK/compose.yml" --project-directory . --env-file .env.example config -q ||
  fail "docker-compose config rejects docker-compose.yml (above)"
echo "test-images: docker-compose $(docker-compose version --short) config accepts docker-compose.yml (less its top-level name)"

base_bytes="$("$DOCKER" image inspect --format '{{.Size}}' "$BASE_IMAGE")"
printf 'test-images: %-40s %8s %10s\n' image "size MB" "added MB"
printf 'test-images: %-40s %8d %10s\n' "$BASE_IMAGE" $((base_bytes / 1000000)) -
mapfile -t TARGETS < <(sed -n 's/^FROM runtime AS \([a-z-]*\)$/\1/p' docker/Dockerfile)
for target in "${TARGETS[@]}"; do
  image="${SALESFLOW_TEST_IMAGE_PREFIX}-${target}:${SALESFLOW_TEST_IMAGE_TAG}"
  bytes="$("$DOCKER" image inspect --format '{{.Size}}' "$image")"
  printf 'test-images: %-40s %8d %10d\n' "$image" $((bytes / 1000000)) $(((bytes - base_bytes) / 1000000))
done

# junit NAME: where pytest writes its report for .ci/run's summary, when SALESFLOW_TEST_REPORTS is set.
junit() { [[ -n "${SALESFLOW_TEST_REPORTS:-}" ]] && echo "--junitxml=$SALESFLOW_TEST_REPORTS/pytest-$1.xml" || echo "-q"; }
failed=()
(cd docker && ../.venv-packaging/bin/python -m pytest -q "$(junit images)" tests/images/test_step_images.py) || failed+=(step-images)
mark run
# DockerOperator under real Airflow: `airflow dags test` with the Docker runner on this engine.
for airflow in airflow3 airflow2; do
  echo "test-images: airflow dags test with the Docker runner (.venv-$airflow)"
  (cd docker && PYTHONPATH=../airflow/tests "../.venv-$airflow/bin/python" -m pytest -q -p conftest "$(junit "images-$airflow")" \
    tests/images/test_docker_operator.py) || failed+=("docker-operator-$airflow")
done
mark airflow
((${#failed[@]} == 0)) || fail "failed: ${failed[*]} (${TIMES[*]})"

echo "test-images: passed (${TIMES[*]})"

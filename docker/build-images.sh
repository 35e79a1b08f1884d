#!/usr/bin/env bash
# Builds one image per pipeline step (every "FROM runtime AS <target>" in docker/Dockerfile) as
# <prefix>-<target>:<version> and :latest, labelled with the version and the git revision.
#
#   docker/build-images.sh [VERSION]      VERSION defaults to package.json's version
#
# IMAGE_PREFIX (default salesflow, e.g. registry.example.com/data/salesflow) names the images;
# PUSH=1 pushes them after the build. DOCKER_BUILD_FLAGS adds flags to each `docker build` (e.g.
# "--build-arg NODE_IMAGE=my-node:24 --network host"); DOCKER names the client (default docker). The DAG finds them through SALESFLOW_IMAGE_PREFIX and
# SALESFLOW_IMAGE_TAG.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${1:-$(node -p "require('./package.json').version")}"
REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
PREFIX="${IMAGE_PREFIX:-salesflow}"
DOCKER="${DOCKER:-docker}"
read -r -a EXTRA_FLAGS <<<"${DOCKER_BUILD_FLAGS:-}"
mapfile -t TARGETS < <(sed -n 's/^FROM runtime AS \([a-z-]*\)$/\1/p' docker/Dockerfile)
if ((${#TARGETS[@]} == 0)); then
  echo "build-images: no 'FROM runtime AS <target>' line in docker/Dockerfile" >&2
  exit 2
fi

for target in "${TARGETS[@]}"; do
  echo "== ${PREFIX}-${target}:${VERSION}"
  "$DOCKER" build -f docker/Dockerfile --target "$target" \
    --build-arg "VERSION=${VERSION}" --build-arg "REVISION=${REVISION}" \
    -t "${PREFIX}-${target}:${VERSION}" -t "${PREFIX}-${target}:latest" "${EXTRA_FLAGS[@]}" .
  if [[ "${PUSH:-0}" == 1 ]]; then
    "$DOCKER" push "${PREFIX}-${target}:${VERSION}"
    "$DOCKER" push "${PREFIX}-${target}:latest"
  fi
done
echo "built ${#TARGETS[@]} images: ${TARGETS[*]} (version ${VERSION}, revision ${REVISION})"

"""Packaging checks without a Docker engine: the Dockerfile lints (hadolint), docker-compose.yml
validates against the Compose specification's JSON schema (check-jsonschema), the Kubernetes
manifests validate against the Kubernetes schemas (kubernetes-validate), and every step image's
entrypoint runs, as the exact command the image runs, from the same build output.

Runs in the packaging venv (.venv-packaging, made by airflow/setup-venvs.sh); needs `npm run build`."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STEPS = ["setup", "ingest", "standardize", "mask", "build-star-schema", "check-quality", "load-warehouse", "catalog"]


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300, **kwargs)


def dockerfile_stages() -> dict[str, dict]:
    """Each `FROM base AS name` stage with its base, ENTRYPOINT, WORKDIR and USER (as written)."""
    stages: dict[str, dict] = {}
    current: dict | None = None
    text = (REPO / "docker" / "Dockerfile").read_text()
    for line in re.sub(r"\\\n", " ", text).splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        instruction = words[0].upper()
        if instruction == "FROM":
            current = {"base": words[1], "entrypoint": None, "workdir": None, "user": None, "labels": ""}
            stages[words[3] if len(words) > 3 else words[1]] = current
        elif current is not None and instruction == "ENTRYPOINT":
            current["entrypoint"] = json.loads(line.split(None, 1)[1])
        elif current is not None and instruction in ("WORKDIR", "USER"):
            current[instruction.lower()] = words[1]
        elif current is not None and instruction == "LABEL":
            current["labels"] += line
    return stages


def inherited(stages: dict[str, dict], name: str, key: str):
    while name in stages:
        if stages[name][key]:
            return stages[name][key]
        name = stages[name]["base"]
    return None


# ---- Dockerfile ----


def test_dockerfile_passes_hadolint():
    result = run([str(BIN / "hadolint"), "docker/Dockerfile"], cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_flag_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM node\nRUN cd /app && npm install\n")
    result = run([str(BIN / "hadolint"), str(bad)])
    assert result.returncode != 0 and "DL3003" in result.stdout


def test_one_image_per_step_with_node_as_entrypoint_non_root_and_labels():
    stages = dockerfile_stages()
    images = [name for name, stage in stages.items() if stage["base"] == "runtime"]
    assert images == [*STEPS, "run-pipeline", "tools"]
    for step in [*STEPS, "run-pipeline"]:
        assert stages[step]["entrypoint"] == ["node", f"tasks/{step}/dist/main.js"]
        assert f'title="salesflow-{step}"' in stages[step]["labels"]
    assert stages["tools"]["entrypoint"] == ["node"]
    # Multi-stage: the runtime stage starts from the base image again and copies the pruned build.
    assert stages["runtime"]["base"] == stages["build"]["base"] == "${NODE_IMAGE}"
    text = (REPO / "docker" / "Dockerfile").read_text()
    assert "npm prune --omit=dev" in text and "COPY --from=build /app ./" in text
    assert 'org.opencontainers.image.version="${VERSION}"' in text and 'org.opencontainers.image.revision="${REVISION}"' in text
    for name in images:
        assert inherited(stages, name, "workdir") == "/app"
        user = inherited(stages, name, "user")
        assert user is not None and user.split(":")[0] not in ("0", "root")


def test_build_script_builds_every_image_with_the_version_and_revision(tmp_path):
    # A stand-in `docker` on PATH records the calls; the script's own logic is what is tested.
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "docker"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}", "IMAGE_PREFIX": "reg.example/salesflow"}
    result = run(["bash", "docker/build-images.sh", "1.4.2"], cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr
    builds = calls.read_text().splitlines()
    revision = run(["git", "rev-parse", "HEAD"], cwd=REPO).stdout.strip() or "unknown"
    targets = [*STEPS, "run-pipeline", "tools"]
    assert len(builds) == len(targets)
    for target, line in zip(targets, builds):
        assert f"--target {target} " in line
        assert f"-t reg.example/salesflow-{target}:1.4.2 -t reg.example/salesflow-{target}:latest" in line
        assert "--build-arg VERSION=1.4.2" in line and f"--build-arg REVISION={revision}" in line


def test_each_step_image_entrypoint_runs_the_pipeline(tmp_path):
    """Runs, in DAG order, exactly what each image runs: its ENTRYPOINT plus the DAG's arguments,
    in the image's WORKDIR layout (the repository root is /app's layout: libs/, tasks/*/dist,
    sql/, config/), on the embedded default."""
    stages = dockerfile_stages()
    for step in STEPS + ["sample-data"]:
        assert (REPO / "tasks" / step / "dist" / "main.js").exists(), "run `npm run build` first"
    ds = "2026-11-26"
    env = {**os.environ, "LAKE_ROOT": str(tmp_path / "lake"), "LANDING_PATH": str(tmp_path / "landing"), "WAREHOUSE_SQLITE": str(tmp_path / "w.sqlite"), "LOG_LEVEL": "warn"}
    landed = run(["node", "tasks/sample-data/dist/main.js", "--out", str(tmp_path / "landing" / f"dt={ds}"), "--ds", ds, "--seed", "42", "--scale", "0.2"], cwd=REPO, env=env)
    assert landed.returncode == 0, landed.stderr
    for step in STEPS:
        args = ["--config", "config/demo_config.yaml", "--ds", ds, "--run-id", f"scheduled__{ds}T02:00:00+00:00"]
        if step == "ingest":
            args += ["--source", "landing"]
        result = run([*stages[step]["entrypoint"], *args], cwd=REPO, env=env)
        assert result.returncode == 0, f"{step}: exit {result.returncode}\n{result.stderr[-3000:]}"
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        assert summary["step"] == step and summary["status"] == "success", summary
    with sqlite3.connect(tmp_path / "w.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM fact_sales WHERE batch_ds = ?", (ds,)).fetchone()[0] > 1000


# ---- docker-compose.yml ----


def validate_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)])


def test_compose_file_follows_the_compose_specification():
    result = validate_compose(REPO / "docker-compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_validation_rejects_a_broken_file(tmp_path):
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    compose["services"]["warehouse"]["restart_policy"] = "always"
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(compose))
    result = validate_compose(broken)
    assert result.returncode != 0
    assert "restart_policy" in result.stdout


def test_compose_wiring():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"minio", "minio-init", "source-postgres", "seed-postgres", "source-mysql", "seed-mysql", "sample-api", "warehouse", "airflow-db", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"} <= set(services)
    assert services["seed-postgres"]["command"][:3] == ["tasks/sample-data/dist/seed-main.js", "--client", "postgres"]
    assert services["seed-mysql"]["command"][:3] == ["tasks/sample-data/dist/seed-main.js", "--client", "mysql"]
    assert services["sample-api"]["command"] == ["tasks/sample-api/dist/main.js"]
    assert set(services["sample-api"]["environment"]) == {"PORT", "HOST", "SAMPLE_API_TOKEN"}
    for name in ("seed-postgres", "seed-mysql", "sample-api", "demo", "landing-files"):
        assert services[name]["build"]["target"] == "tools"  # entrypoint node: `node <command>`
    assert (REPO / services["demo"]["command"][0]).exists()
    assert services["airflow-apiserver"]["ports"] == ["8080:8080"]
    env = services["airflow-scheduler"]["environment"]
    assert env["SALESFLOW_RUNNER"] == "docker"
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "false"
    # The step containers join the compose network and mount the landing volume by their names.
    assert env["SALESFLOW_DOCKER_NETWORK"] == compose["networks"]["default"]["name"]
    volume = env["SALESFLOW_DOCKER_MOUNTS"].split(":")[0]
    assert volume in {v.get("name") for v in compose["volumes"].values() if v}
    for name in env["SALESFLOW_STEP_ENV"].split(","):
        assert name in env, f"SALESFLOW_STEP_ENV names {name}, which the Airflow services do not set"
    assert "./airflow/dags:/opt/airflow/dags:ro" in services["airflow-scheduler"]["volumes"]


def test_env_example_lists_every_variable_compose_reads():
    text = "\n".join(line for line in (REPO / "docker-compose.yml").read_text().splitlines() if not line.lstrip().startswith("#"))
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", text))
    listed = set(re.findall(r"^([A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M))
    assert used and used <= listed, f"missing from .env.example: {sorted(used - listed)}"


# ---- Kubernetes ----

MANIFESTS = ["namespace.yaml", "rbac.yaml", "limits.yaml", "secrets.example.yaml", "ingest-follow.yaml"]


def test_kubernetes_manifests_validate_against_the_kubernetes_schemas():
    result = run([str(BIN / "kubernetes-validate"), "--strict", *MANIFESTS], cwd=REPO / "k8s")
    assert result.returncode == 0, result.stdout + result.stderr
    # 12 service accounts (one per step role), a Role and its binding, the namespace, the 2 of
    # limits.yaml, 6 secrets: the lake's, mask's, the warehouse's, and one per source (3), and the
    # follower's service account and Deployment (ingest-follow.yaml).
    assert result.stdout.count("passed") == 25


def test_kubernetes_validation_rejects_a_wrong_manifest(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {A: b}\nimmutible: true\n")
    assert run([str(BIN / "kubernetes-validate"), "--strict", str(bad)]).returncode != 0


def test_the_follower_runs_ingest_follow_and_stops_on_sigterm():
    follow = [d for d in yaml.safe_load_all((REPO / "k8s" / "ingest-follow.yaml").read_text()) if d["kind"] == "Deployment"][0]
    pod = follow["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"].startswith("salesflow-ingest:")
    assert container["args"][:1] == ["--follow"] and "--ds" not in container["args"]
    assert pod["serviceAccountName"] == "salesflow-ingest-orders-stream" and pod["terminationGracePeriodSeconds"] >= 30
    # A manual apply, not part of `kubectl apply -k k8s/`: the sample config has no kafka source.
    assert "ingest-follow.yaml" not in yaml.safe_load((REPO / "k8s" / "kustomization.yaml").read_text())["resources"]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    service = compose["ingest-follow"]
    assert service["profiles"] == ["stream"] and service["command"][0] == "--follow"
    assert service["stop_signal"] == "SIGTERM" and service["image"].startswith("salesflow-ingest:")
    # `docker compose up` of the batch pipeline starts no follower.
    assert [name for name, s in compose.items() if "--follow" in (s.get("command") or [])] == ["ingest-follow"]


def test_helm_values_and_manifests_agree_with_the_dag_settings():
    values = yaml.safe_load((REPO / "k8s" / "airflow-values.yaml").read_text())
    env = {item["name"]: item["value"] for item in values["env"]}
    settings_read = set(re.findall(r'"(SALESFLOW_[A-Z0-9_]+)"', (REPO / "airflow" / "dags" / "salesflow_steps.py").read_text()))
    assert set(env) <= settings_read, f"the DAG reads none of {sorted(set(env) - settings_read)}"
    assert env["SALESFLOW_RUNNER"] == "kubernetes"
    docs = [doc for name in MANIFESTS for doc in yaml.safe_load_all((REPO / "k8s" / name).read_text())]
    secrets = sorted(d["metadata"]["name"] for d in docs if d["kind"] == "Secret")
    # Every step gets SALESFLOW_K8S_SECRETS; the others are the steps' own (K8S_STEP_SECRETS, and
    # salesflow-source-<source> for an ingest), never handed to every step.
    steps = (REPO / "airflow" / "dags" / "salesflow_steps.py").read_text()
    own = set(re.findall(r'"(salesflow-[a-z-]+)"', steps.split("K8S_STEP_SECRETS", 1)[1].split("\n", 1)[0]))
    assert env["SALESFLOW_K8S_SECRETS"].split(",") == ["salesflow-s3"]
    assert set(secrets) == {"salesflow-s3", *own} | {s for s in secrets if s.startswith("salesflow-source-")}
    assert {"salesflow-mask", "salesflow-warehouse"} <= own and len([s for s in secrets if s.startswith("salesflow-source-")]) == 3
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"} == {env["SALESFLOW_K8S_NAMESPACE"]}
    # One service account per step role, named as the DAG names it (service_account_for), each
    # bound to the IAM role of its own name (IRSA) and without a Kubernetes API token.
    prefix = env["SALESFLOW_K8S_SERVICE_ACCOUNT_PREFIX"]
    accounts = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ServiceAccount"}
    sources = [s["name"] for s in yaml.safe_load((REPO / "config" / "pipeline_config.yaml").read_text())["sources"]]
    # (The DAG's own names for them are checked against this file in airflow/tests/test_dag_structure.py.)
    steps_roles = {f"{prefix}-{step}" for step in ("setup", "standardize", "mask", "build-star-schema", "check-quality", "load-warehouse", "detokenize", "forget")}
    # The streaming follower of k8s/ingest-follow.yaml has its own, for a kafka source the sample config does not have.
    wanted = steps_roles | {f"{prefix}-ingest-{source.lower().replace('_', '-')}" for source in sources} | {f"{prefix}-ingest-orders-stream"}
    assert set(accounts) == wanted
    for name, account in accounts.items():
        assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(f":role/{name}")
        assert account["automountServiceAccountToken"] is False
    mount = values["volumeMounts"][0]["mountPath"]
    assert env["SALESFLOW_CONFIG"].startswith(mount + "/")
    kustomization = yaml.safe_load((REPO / "k8s" / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (REPO / "k8s" / resource).exists() or (REPO / "k8s" / resource.replace(".yaml", ".example.yaml")).exists()

"""The DAG's Docker runner for real: `airflow dags test` with SALESFLOW_RUNNER=docker, so each task
is a DockerOperator that starts a step image on the engine docker/test-images.sh runs.

Runs under an Airflow venv with airflow/tests/conftest.py loaded as a plugin (its metadata
database, `airflow` CLI and sample-data helpers), as docker/test-images.sh does for Airflow 3 and 2:
    PYTHONPATH=airflow/tests .venv-airflow3/bin/python -m pytest -p conftest docker/tests/images/test_docker_operator.py
Needs DOCKER_HOST, SALESFLOW_TEST_IMAGE_PREFIX and SALESFLOW_TEST_IMAGE_TAG (set by the script)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import DAG_ID, land_sample_data, list_runs, run_airflow, task_states

TASKS = ["setup", "ingest_landing", "standardize", "mask", "build_star_schema", "check_quality", "load_warehouse"]
# Each test is a manual run for this one day (the README's one-day command: conf {"ds": ...}).
DS = "2026-11-26"


@pytest.fixture
def docker_env(tmp_path: Path, built_steps: Path) -> dict[str, str]:
    """The Docker runner's settings: the test's folder mounted at /case in every step container,
    which finds its lake, landing files and SQLite warehouse there (passed as private env)."""
    if not os.environ.get("DOCKER_HOST"):
        pytest.fail("DOCKER_HOST is not set: run these tests through docker/test-images.sh, which starts a Docker engine")
    case = tmp_path / "case"
    case.mkdir()
    os.chown(case, 1000, 1000)  # the images run as node (1000:1000)
    return {
        "SALESFLOW_RUNNER": "docker",
        # One retry allowed: a config error must still fail at once (ExitCodePolicy).
        "SALESFLOW_RETRIES": "1",
        "SALESFLOW_CONFIG": str(built_steps / "config" / "demo_config.yaml"),
        "SALESFLOW_STEP_CONFIG": "/app/config/demo_config.yaml",
        "SALESFLOW_IMAGE_PREFIX": os.environ["SALESFLOW_TEST_IMAGE_PREFIX"],
        "SALESFLOW_IMAGE_TAG": os.environ["SALESFLOW_TEST_IMAGE_TAG"],
        "SALESFLOW_DOCKER_URL": os.environ["DOCKER_HOST"],
        "SALESFLOW_DOCKER_NETWORK": "host",
        "SALESFLOW_DOCKER_MOUNTS": f"{case}:/case",
        "SALESFLOW_STEP_ENV": "LAKE_ROOT,LANDING_PATH,WAREHOUSE_SQLITE,LOG_LEVEL",
        "LAKE_ROOT": "/case/lake",
        "LANDING_PATH": "/case/landing",
        "WAREHOUSE_SQLITE": "/case/warehouse.sqlite",
        "LOG_LEVEL": "warn",
        "SALESFLOW_ALERT_WEBHOOK_URL": "",
    }


def test_dags_test_runs_every_step_as_its_image(tmp_path, docker_env, metadata_db):
    env = {**docker_env, **metadata_db}
    case = tmp_path / "case"
    land_sample_data(case / "landing", DS)
    run_airflow(["dags", "reserialize"], env)

    run_airflow(["dags", "test", DAG_ID, "-c", json.dumps({"ds": DS})], env, timeout=900)

    [run] = list_runs(env)
    assert run["state"] == "success"
    assert task_states(run["run_id"], env) == {task: "success" for task in TASKS}
    with sqlite3.connect(case / "warehouse.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM fact_sales WHERE batch_ds = ?", (DS,)).fetchone()[0] > 1000
    assert (case / "lake" / "quality" / f"dt={DS}" / "report.json").exists()


def test_a_config_error_in_a_step_image_fails_its_task_without_retry(tmp_path, docker_env, metadata_db):
    env = {**docker_env, **metadata_db, "SALESFLOW_STEP_CONFIG": "/app/config/missing.yaml"}
    run_airflow(["dags", "reserialize"], env)

    result = run_airflow(["dags", "test", DAG_ID, "-c", json.dumps({"ds": DS})], env, timeout=900, check=False)

    [run] = list_runs(env)
    assert run["state"] == "failed"
    states = task_states(run["run_id"], env)
    # Exit 2 (usage or config error) fails at once: "failed", not "up_for_retry".
    assert states["setup"] == "failed", states
    assert {states[t] for t in TASKS[1:]} == {"upstream_failed"}, states
    assert "exited 2" in result.stdout + result.stderr

"""The DAG as Airflow parses it: graph, schedule, retries, and the arguments each runner renders."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from conftest import AIRFLOW_MAJOR, DAG_ID, REPO_ROOT, load_dag

DS = "2026-11-26"
RUN_ID = "scheduled__2026-11-26T02:00:00+00:00"
CHAIN = ["standardize", "mask", "build_star_schema", "check_quality", "load_warehouse"]


@pytest.fixture
def three_sources(tmp_path: Path) -> Path:
    """A config whose sources are of three kinds; the DAG reads only their names."""
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "sources:\n"
        "  - { name: shop_db, kind: database, client: postgres, url: '${SHOP_DB_URL}' }\n"
        "  - { name: crm-api, kind: api, url: 'http://api:8080' }\n"
        "  - { name: landing, kind: files, path: /data/landing }\n"
        "lake: { root: '${LAKE_ROOT}' }\n"
    )
    return config


def render(task, full_refresh: bool = False) -> None:
    context = {"ds": DS, "run_id": RUN_ID, "params": {"full_refresh": full_refresh}}
    task.render_template_fields(context, jinja_env=task.dag.get_template_env())


@pytest.mark.parametrize("runner", ["docker", "kubernetes", "local"])
def test_dag_bag_loads_without_import_errors(monkeypatch, runner):
    monkeypatch.setenv("SALESFLOW_RUNNER", runner)
    dag = load_dag()
    assert dag.dag_id == DAG_ID
    operator = {"docker": "DockerOperator", "kubernetes": "KubernetesPodOperator", "local": "LocalStepOperator"}[runner]
    assert {type(t).__name__ for t in dag.tasks} == {operator}


def test_graph_has_one_parallel_ingest_per_source(monkeypatch, three_sources):
    monkeypatch.setenv("SALESFLOW_RUNNER", "docker")
    monkeypatch.setenv("SALESFLOW_CONFIG", str(three_sources))
    dag = load_dag()
    ingests = {"ingest_shop_db", "ingest_crm-api", "ingest_landing"}
    assert set(dag.task_ids) == {"setup", *ingests, *CHAIN}
    assert dag.get_task("setup").downstream_task_ids == ingests
    for task_id in ingests:
        assert dag.get_task(task_id).upstream_task_ids == {"setup"}
        assert dag.get_task(task_id).downstream_task_ids == {"standardize"}
    for upstream, downstream in zip(CHAIN, CHAIN[1:]):
        assert dag.get_task(upstream).downstream_task_ids == {downstream}
    assert dag.get_task("load_warehouse").downstream_task_ids == set()
    # The source name reaches the step; no other field of the config matters to the DAG.
    assert dag.get_task("ingest_crm-api").command[-3:-1] == ["--source", "crm-api"]


def test_schedule_catchup_retries_and_timeouts(monkeypatch):
    monkeypatch.setenv("SALESFLOW_RUNNER", "local")
    monkeypatch.setenv("SALESFLOW_MAX_ACTIVE_RUNS", "7")
    dag = load_dag()
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"
    expression = getattr(dag.timetable, "expression", None) or dag.timetable.summary
    assert expression == "0 2 * * *"
    assert dag.catchup is True
    assert dag.start_date.isoformat() == "2026-01-01T00:00:00+00:00"
    assert dag.max_active_runs == 7
    assert "salesflow" in dag.tags and dag.owner == "data-platform"
    assert "setup >> ingest_<source>" in dag.doc_md
    for task in dag.tasks:
        assert task.retries == 3
        assert task.retry_exponential_backoff
        assert task.retry_delay == timedelta(minutes=2)
        assert task.max_retry_delay == timedelta(minutes=30)
        assert task.execution_timeout is not None and task.execution_timeout <= timedelta(hours=2)
        # Only the SCD2 star schema waits for the previous day.
        assert task.depends_on_past is (task.task_id == "build_star_schema")
    assert dag.get_task("standardize").trigger_rule == "none_failed"
    assert dag.get_task("mask").trigger_rule == "all_success"


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SALESFLOW_RUNNER", "local")
    monkeypatch.setenv("SALESFLOW_RETRIES", "0")
    monkeypatch.setenv("SALESFLOW_START_DATE", "2026-06-01")
    dag = load_dag()
    assert dag.start_date.isoformat() == "2026-06-01T00:00:00+00:00"
    assert {t.retries for t in dag.tasks} == {0}


def test_runner_as_airflow_variable_from_the_environment(monkeypatch):
    monkeypatch.delenv("SALESFLOW_RUNNER", raising=False)
    monkeypatch.setenv("AIRFLOW_VAR_SALESFLOW_RUNNER", "kubernetes")
    assert type(load_dag().get_task("setup")).__name__ == "KubernetesPodOperator"


def test_rendered_docker_arguments(monkeypatch):
    monkeypatch.setenv("SALESFLOW_RUNNER", "docker")
    monkeypatch.setenv("SALESFLOW_IMAGE_TAG", "1.2.3")
    monkeypatch.setenv("SALESFLOW_DOCKER_NETWORK", "salesflow_net")
    monkeypatch.setenv("WAREHOUSE_PASSWORD", "s3cr3t-for-test")
    monkeypatch.setenv("SALESFLOW_STEP_ENV", "WAREHOUSE_PASSWORD,NOT_SET_ANYWHERE")
    monkeypatch.setenv("SALESFLOW_DOCKER_MOUNTS", "salesflow_landing:/landing:ro, /srv/lake:/data")
    dag = load_dag()
    ingest = dag.get_task("ingest_landing")
    render(ingest)
    assert ingest.image == "salesflow-ingest:1.2.3"
    assert ingest.command == ["--config", "/app/config/pipeline_config.yaml", "--ds", DS, "--run-id", RUN_ID, "--source", "landing", "--no-full-refresh"]
    assert ingest.network_mode == "salesflow_net"
    assert ingest.auto_remove == "success"
    assert ingest.mount_tmp_dir is False
    assert ingest.do_xcom_push is True
    assert [(m["Type"], m["Source"], m["Target"], m["ReadOnly"]) for m in ingest.mounts] == [("volume", "salesflow_landing", "/landing", True), ("bind", "/srv/lake", "/data", False)]
    # Secrets go through private_environment: not templated, not rendered into the UI.
    assert ingest._private_environment == {"WAREHOUSE_PASSWORD": "s3cr3t-for-test"}
    assert "WAREHOUSE_PASSWORD" not in ingest.environment
    assert "private_environment" not in ingest.template_fields
    assert 99 in ingest.skip_on_exit_code and 1 not in ingest.skip_on_exit_code
    star = dag.get_task("build_star_schema")
    render(star)
    assert star.image == "salesflow-build-star-schema:1.2.3"
    assert star.command == ["--config", "/app/config/pipeline_config.yaml", "--ds", DS, "--run-id", RUN_ID]


def test_rendered_kubernetes_pod(monkeypatch, airflow_db, tmp_path):
    # Building the pod spec loads a kube config; this one names a cluster that is never contacted.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
        "clusters: [{name: t, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "contexts: [{name: t, context: {cluster: t, user: t}}]\nusers: [{name: t, user: {token: x}}]\n"
    )
    monkeypatch.setenv("SALESFLOW_RUNNER", "kubernetes")
    monkeypatch.setenv("SALESFLOW_IMAGE_PREFIX", "registry.example.com/data/salesflow")
    monkeypatch.setenv("SALESFLOW_IMAGE_TAG", "1.2.3")
    monkeypatch.setenv("SALESFLOW_STEP_CONFIG", "/etc/salesflow/pipeline_config.yaml")
    monkeypatch.setenv("SALESFLOW_K8S_CONFIG_MAP", "salesflow-config")
    dag = load_dag()
    task = dag.get_task("ingest_landing")
    render(task)
    assert task.arguments == ["--config", "/etc/salesflow/pipeline_config.yaml", "--ds", DS, "--run-id", RUN_ID, "--source", "landing", "--no-full-refresh"]
    assert task.on_finish_action.value == "delete_succeeded_pod"
    task.config_file = str(kubeconfig)
    pod = task.build_pod_request_obj(None)
    assert pod.metadata.namespace == "salesflow"
    assert pod.spec.service_account_name == "salesflow-steps"
    base = next(c for c in pod.spec.containers if c.name == "base")
    assert base.image == "registry.example.com/data/salesflow-ingest:1.2.3"
    assert base.args == task.arguments
    assert base.command in (None, [])  # the image's entrypoint (node tasks/ingest/dist/main.js) runs
    assert sorted(e.secret_ref.name for e in base.env_from) == ["salesflow-mask", "salesflow-s3", "salesflow-sources", "salesflow-warehouse"]
    assert base.resources.requests == {"cpu": "500m", "memory": "512Mi"} and base.resources.limits == {"memory": "1Gi"}
    assert [(m.name, m.mount_path) for m in base.volume_mounts if m.name == "pipeline-config"] == [("pipeline-config", "/etc/salesflow")]
    assert [v.config_map.name for v in pod.spec.volumes if v.name == "pipeline-config"] == ["salesflow-config"]
    # do_xcom_push adds the sidecar that reads /airflow/xcom/return.json.
    assert any(c.name == "airflow-xcom-sidecar" for c in pod.spec.containers)
    assert 99 in task.skip_on_exit_code


@pytest.mark.parametrize("runner", ["docker", "kubernetes", "local"])
def test_every_runner_passes_the_same_step_arguments(monkeypatch, runner):
    monkeypatch.setenv("SALESFLOW_RUNNER", runner)
    monkeypatch.setenv("SALESFLOW_STEP_CONFIG", "/cfg/p.yaml")
    dag = load_dag()
    for task in dag.tasks:
        render(task)
        args = {"docker": lambda t: t.command, "kubernetes": lambda t: t.arguments, "local": lambda t: t.arguments}[runner](task)
        expected = ["--config", "/cfg/p.yaml", "--ds", DS, "--run-id", RUN_ID]
        if task.task_id.startswith("ingest_"):
            expected += ["--source", task.task_id.removeprefix("ingest_"), "--no-full-refresh"]
        assert args == expected, task.task_id


@pytest.mark.parametrize("runner", ["docker", "kubernetes", "local"])
def test_full_refresh_param_reaches_the_ingest_steps(monkeypatch, runner):
    monkeypatch.setenv("SALESFLOW_RUNNER", runner)
    dag = load_dag()
    assert dag.params["full_refresh"] is False
    ingest = dag.get_task("ingest_landing")
    render(ingest, full_refresh=True)
    args = ingest.command if runner == "docker" else ingest.arguments
    assert args[-3:] == ["--source", "landing", "--full-refresh"]


def test_local_runner_defaults_to_the_embedded_config(monkeypatch):
    monkeypatch.setenv("SALESFLOW_RUNNER", "local")
    monkeypatch.delenv("SALESFLOW_CONFIG", raising=False)
    monkeypatch.delenv("SALESFLOW_STEP_CONFIG", raising=False)
    task = load_dag().get_task("setup")
    assert task.command[:4] == ["node", "tasks/setup/dist/main.js", "--config", str(REPO_ROOT / "config" / "demo_config.yaml")]
    assert task.home == str(REPO_ROOT)


def test_bad_settings_are_import_errors_that_name_the_fix(monkeypatch, tmp_path):
    if AIRFLOW_MAJOR >= 3:
        from airflow.dag_processing.dagbag import BundleDagBag as Bag

        make = lambda: Bag(dag_folder=Path(__file__).parents[1] / "dags", bundle_path=Path(__file__).parents[1] / "dags")  # noqa: E731
    else:
        from airflow.models import DagBag as Bag

        make = lambda: Bag(dag_folder=str(Path(__file__).parents[1] / "dags"), include_examples=False)  # noqa: E731
    monkeypatch.setenv("SALESFLOW_RUNNER", "local")
    monkeypatch.setenv("SALESFLOW_CONFIG", str(tmp_path / "missing.yaml"))
    errors = "\n".join(make().import_errors.values())
    assert "missing.yaml" in errors and "set SALESFLOW_CONFIG" in errors
    monkeypatch.setenv("SALESFLOW_RUNNER", "podman")
    errors = "\n".join(make().import_errors.values())
    assert "SALESFLOW_RUNNER='podman'" in errors and "docker, kubernetes, local" in errors

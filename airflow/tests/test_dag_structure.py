"""The DAG as Airflow parses it: graph, schedule, retries, and the arguments each runner renders."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from conftest import AIRFLOW_MAJOR, DAG_ID, REPO_ROOT, load_dag

DS = "2026-11-26"
RUN_ID = "scheduled__2026-11-26T02:00:00+00:00"
# The interval of ds 2026-11-26, as every step receives it.
INTERVAL = ["--data-interval-start", "2026-11-26T02:00:00Z", "--data-interval-end", "2026-11-27T02:00:00Z"]
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


class Run:
    """The fields of a DAG run the arguments' templates read."""

    def __init__(self, run_after: datetime) -> None:
        self.run_after = run_after


def render(task, full_refresh: bool = False, ds: str | None = None, interval: tuple[datetime, datetime] | None = (datetime(2026, 11, 26, 2, tzinfo=timezone.utc), datetime(2026, 11, 27, 2, tzinfo=timezone.utc)), run_after: datetime = datetime(2026, 11, 27, 2, 0, 5, tzinfo=timezone.utc)) -> None:
    """Renders a task's templates with a run's context: by default the scheduled run of ds 2026-11-26;
    interval=None is a run without a logical date (no ds, no data interval, as Airflow 3 gives it)."""
    context = {"run_id": RUN_ID, "params": {"full_refresh": full_refresh, "ds": ds}, "dag_run": Run(run_after)}
    if interval is not None:
        context.update({"ds": interval[0].date().isoformat(), "data_interval_start": interval[0], "data_interval_end": interval[1]})
    task.render_template_fields(context, jinja_env=task.dag.get_template_env())


def step_args(task) -> list[str]:
    return task.command if type(task).__name__ == "StepDockerOperator" else task.arguments


@pytest.mark.parametrize("runner", ["docker", "kubernetes", "local"])
def test_dag_bag_loads_without_import_errors(monkeypatch, runner):
    monkeypatch.setenv("SALESFLOW_RUNNER", runner)
    dag = load_dag()
    assert dag.dag_id == DAG_ID
    operator = {"docker": "StepDockerOperator", "kubernetes": "StepPodOperator", "local": "LocalStepOperator"}[runner]
    assert {type(t).__name__ for t in dag.tasks} == {operator}
    base = {"docker": "DockerOperator", "kubernetes": "KubernetesPodOperator", "local": "BaseOperator"}[runner]
    assert all(base in {c.__name__ for c in type(t).__mro__} for t in dag.tasks)
    # Every task has its docs in the UI.
    assert all(t.doc_md for t in dag.tasks)


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


def test_the_catalog_step_runs_after_the_load_when_the_config_enables_it(monkeypatch, three_sources):
    three_sources.write_text(three_sources.read_text() + "catalog:\n  enabled: true\n")
    monkeypatch.setenv("SALESFLOW_RUNNER", "docker")
    monkeypatch.setenv("SALESFLOW_CONFIG", str(three_sources))
    dag = load_dag()
    catalog = dag.get_task("catalog")
    assert catalog.upstream_task_ids == {"load_warehouse"}
    assert catalog.downstream_task_ids == set()
    assert catalog.execution_timeout == timedelta(minutes=15)
    render(catalog)
    assert step_args(catalog)[:4] == ["--config", step_args(dag.get_task("check_quality"))[1], "--ds", "2026-11-26"]


def test_a_catalog_enabled_that_is_not_a_boolean_names_the_key(monkeypatch, tmp_path, three_sources):
    from salesflow_steps import StepSettingsError, read_catalog_enabled

    assert read_catalog_enabled(three_sources) is False
    bad = tmp_path / "bad.yaml"
    bad.write_text(three_sources.read_text() + "catalog:\n  enabled: sometimes\n")
    with pytest.raises(StepSettingsError, match="catalog.enabled must be true or false"):
        read_catalog_enabled(bad)


def test_schedule_catchup_retries_and_timeouts(monkeypatch):
    monkeypatch.setenv("SALESFLOW_RUNNER", "local")
    monkeypatch.setenv("SALESFLOW_MAX_ACTIVE_RUNS", "7")
    dag = load_dag()
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"
    expression = getattr(dag.timetable, "expression", None) or dag.timetable.summary
    assert expression == "0 2 * * *"
    # Catch-up is off unless configured (a first deploy must not start a run per day since 2026-01-01).
    assert dag.catchup is False
    assert dag.dagrun_timeout == timedelta(hours=8)
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
    monkeypatch.setenv("SALESFLOW_CATCHUP", "true")
    monkeypatch.setenv("SALESFLOW_DAGRUN_TIMEOUT_MINUTES", "90")
    dag = load_dag()
    assert dag.catchup is True and dag.dagrun_timeout == timedelta(minutes=90)


def test_runner_as_airflow_variable_from_the_environment(monkeypatch):
    monkeypatch.delenv("SALESFLOW_RUNNER", raising=False)
    monkeypatch.setenv("AIRFLOW_VAR_SALESFLOW_RUNNER", "kubernetes")
    assert type(load_dag().get_task("setup")).__name__ == "StepPodOperator"


def test_rendered_docker_arguments(monkeypatch):
    monkeypatch.setenv("SALESFLOW_RUNNER", "docker")
    monkeypatch.setenv("SALESFLOW_IMAGE_TAG", "1.2.3")
    monkeypatch.setenv("SALESFLOW_DOCKER_NETWORK", "salesflow_net")
    monkeypatch.setenv("WAREHOUSE_PASSWORD", "s3cr3t-for-test")
    monkeypatch.setenv("MASK_TOKENIZE_KEY", "9f1c7e2ab4d86035e1f7c9a2b3d4e5f60718293a4b5c6d7e")
    monkeypatch.setenv("WAREHOUSE_HOST", "warehouse.test")
    monkeypatch.setenv("SALESFLOW_STEP_ENV", "WAREHOUSE_PASSWORD,WAREHOUSE_HOST,MASK_TOKENIZE_KEY,NOT_SET_ANYWHERE")
    monkeypatch.setenv("SALESFLOW_DOCKER_MOUNTS", "salesflow_landing:/landing:ro, /srv/lake:/data")
    dag = load_dag()
    ingest = dag.get_task("ingest_landing")
    render(ingest)
    assert ingest.image == "salesflow-ingest:1.2.3"
    assert ingest.command == ["--config", "/app/config/pipeline_config.yaml", "--ds", DS, "--run-id", RUN_ID, *INTERVAL, "--source", "landing", "--no-full-refresh"]
    assert ingest.network_mode == "salesflow_net"
    assert ingest.auto_remove == "success"
    assert ingest.mount_tmp_dir is False
    assert ingest.do_xcom_push is True
    # Memory limits from STEP_RESOURCES, as for the pods (ingest: 1Gi).
    assert ingest.mem_limit == 1024**3
    assert [(m["Type"], m["Source"], m["Target"], m["ReadOnly"]) for m in ingest.mounts] == [("volume", "salesflow_landing", "/landing", True), ("bind", "/srv/lake", "/data", False)]
    # Secrets go through private_environment: not templated, not rendered into the UI. Each step
    # gets only the secrets its work reads (docs/security.md): ingest none of these, the load its password.
    assert ingest._private_environment == {"WAREHOUSE_HOST": "warehouse.test"}
    assert dag.get_task("load_warehouse")._private_environment == {"WAREHOUSE_PASSWORD": "s3cr3t-for-test", "WAREHOUSE_HOST": "warehouse.test"}
    assert dag.get_task("mask")._private_environment == {"MASK_TOKENIZE_KEY": "9f1c7e2ab4d86035e1f7c9a2b3d4e5f60718293a4b5c6d7e", "WAREHOUSE_HOST": "warehouse.test"}
    assert "WAREHOUSE_PASSWORD" not in ingest.environment
    assert "private_environment" not in ingest.template_fields
    assert list(ingest.skip_on_exit_code) == [99]
    star = dag.get_task("build_star_schema")
    render(star)
    assert star.image == "salesflow-build-star-schema:1.2.3"
    assert star.command == ["--config", "/app/config/pipeline_config.yaml", "--ds", DS, "--run-id", RUN_ID, *INTERVAL]
    assert star.mem_limit == 4 * 1024**3


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
    monkeypatch.setenv("SALESFLOW_K8S_XCOM_SIDECAR_IMAGE", "registry.example.com/mirror/alpine:3.21")
    dag = load_dag()
    task = dag.get_task("ingest_landing")
    render(task)
    assert task.arguments == ["--config", "/etc/salesflow/pipeline_config.yaml", "--ds", DS, "--run-id", RUN_ID, *INTERVAL, "--source", "landing", "--no-full-refresh"]
    assert task.on_finish_action.value == "delete_succeeded_pod"
    assert task.deferrable is True and task.startup_timeout_seconds == 600
    task.config_file = str(kubeconfig)
    pod = task.build_pod_request_obj(None)
    assert pod.metadata.namespace == "salesflow"
    # Its own service account (IRSA: the IAM role of the same name, k8s/rbac.yaml).
    assert pod.spec.service_account_name == "salesflow-ingest-landing"
    accounts = {}
    for task_id in ("setup", "ingest_sales_db", "standardize", "mask", "build_star_schema", "check_quality", "load_warehouse"):
        other = dag.get_task(task_id)
        other.config_file = str(kubeconfig)
        accounts[task_id] = other.build_pod_request_obj(None).spec.service_account_name
    assert accounts == {
        "setup": "salesflow-setup",
        "ingest_sales_db": "salesflow-ingest-sales-db",
        "standardize": "salesflow-standardize",
        "mask": "salesflow-mask",
        "build_star_schema": "salesflow-build-star-schema",
        "check_quality": "salesflow-check-quality",
        "load_warehouse": "salesflow-load-warehouse",
    }
    declared = {d["metadata"]["name"] for d in yaml.safe_load_all((REPO_ROOT / "k8s" / "rbac.yaml").read_text()) if d["kind"] == "ServiceAccount"}
    every_task = {t.task_id: t for t in dag.tasks if hasattr(t, "build_pod_request_obj")}
    for t in every_task.values():
        t.config_file = str(kubeconfig)
    assert {t.build_pod_request_obj(None).spec.service_account_name for t in every_task.values()} <= declared
    base = next(c for c in pod.spec.containers if c.name == "base")
    assert base.image == "registry.example.com/data/salesflow-ingest:1.2.3"
    assert base.args == task.arguments
    assert base.command in (None, [])  # the image's entrypoint (node tasks/ingest/dist/main.js) runs
    # The lake's Secret, and the source's own (optional: a files source has none); no mask or warehouse keys.
    assert sorted((e.secret_ref.name, bool(e.secret_ref.optional)) for e in base.env_from) == [("salesflow-s3", False), ("salesflow-source-landing", True)]
    assert base.resources.requests == {"cpu": "500m", "memory": "512Mi"} and base.resources.limits == {"memory": "1Gi"}
    assert [(m.name, m.mount_path) for m in base.volume_mounts if m.name == "pipeline-config"] == [("pipeline-config", "/etc/salesflow")]
    assert [v.config_map.name for v in pod.spec.volumes if v.name == "pipeline-config"] == ["salesflow-config"]
    # do_xcom_push adds the sidecar that reads /airflow/xcom/return.json, from the configured image.
    [sidecar] = [c for c in pod.spec.containers if c.name == "airflow-xcom-sidecar"]
    assert sidecar.image == "registry.example.com/mirror/alpine:3.21"
    assert list(task.skip_on_exit_code) == [99]
    # Kubernetes' "restricted" profile: non-root, read-only root filesystem (an emptyDir for /tmp),
    # no capabilities, no privilege escalation, the runtime's seccomp profile.
    assert pod.spec.security_context.run_as_non_root is True and pod.spec.security_context.run_as_user == 1000
    assert pod.spec.security_context.seccomp_profile.type == "RuntimeDefault"
    for container in (base, sidecar):
        security = container.security_context
        assert security.read_only_root_filesystem is True and security.allow_privilege_escalation is False
        assert security.capabilities.drop == ["ALL"]
    assert ("tmp", "/tmp") in [(m.name, m.mount_path) for m in base.volume_mounts]
    # The step's last log lines (its summary) become the termination message of a failed pod.
    assert base.termination_message_policy == "FallbackToLogsOnError"
    assert pod.metadata.labels["salesflow/source"] == "landing"


@pytest.mark.parametrize("runner", ["docker", "kubernetes", "local"])
def test_every_runner_passes_the_same_step_arguments(monkeypatch, runner):
    monkeypatch.setenv("SALESFLOW_RUNNER", runner)
    monkeypatch.setenv("SALESFLOW_STEP_CONFIG", "/cfg/p.yaml")
    dag = load_dag()
    for task in dag.tasks:
        render(task)
        args = step_args(task)
        expected = ["--config", "/cfg/p.yaml", "--ds", DS, "--run-id", RUN_ID, *INTERVAL]
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
    args = step_args(ingest)
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


# ---- the day a run processes ----


@pytest.mark.parametrize("runner", ["docker", "kubernetes", "local"])
def test_the_day_comes_from_the_data_interval_not_the_trigger_time(monkeypatch, runner):
    """A manual run triggered at 2026-12-07 10:00 has the interval 12-06 02:00 .. 12-07 02:00 (and
    the logical date 12-07 10:00, which {{ ds }} would have given): its steps process 12-06."""
    monkeypatch.setenv("SALESFLOW_RUNNER", runner)
    task = load_dag().get_task("ingest_landing")
    render(task, interval=(datetime(2026, 12, 6, 2, tzinfo=timezone.utc), datetime(2026, 12, 7, 2, tzinfo=timezone.utc)), run_after=datetime(2026, 12, 7, 10, tzinfo=timezone.utc))
    args = step_args(task)
    assert args[args.index("--ds") + 1] == "2026-12-06"
    assert args[args.index("--data-interval-start") + 1] == "2026-12-06T02:00:00Z"
    assert args[args.index("--data-interval-end") + 1] == "2026-12-07T02:00:00Z"


def test_a_run_without_a_logical_date_processes_the_last_complete_interval(monkeypatch):
    monkeypatch.setenv("SALESFLOW_RUNNER", "local")
    task = load_dag().get_task("setup")
    render(task, interval=None, run_after=datetime(2026, 12, 7, 1, 30, tzinfo=timezone.utc))
    # At 01:30 on 12-07 the 12-06 02:00 interval is not over: the last complete one is 12-05's.
    assert task.arguments[task.arguments.index("--ds") + 1] == "2026-12-05"


def test_the_ds_param_picks_the_day_of_a_manual_run(monkeypatch):
    monkeypatch.setenv("SALESFLOW_RUNNER", "local")
    dag = load_dag()
    assert dag.params["ds"] is None
    task = dag.get_task("setup")
    render(task, ds="2026-11-20", interval=None)
    args = task.arguments
    assert args[args.index("--ds") + 1] == "2026-11-20"
    assert args[args.index("--data-interval-start") + 1] == "2026-11-20T02:00:00Z"
    assert args[args.index("--data-interval-end") + 1] == "2026-11-21T02:00:00Z"
    with pytest.raises(Exception, match="not a calendar date"):
        render(load_dag().get_task("setup"), ds="2026-02-30")


def test_interval_arguments_can_be_left_out_for_older_step_images(monkeypatch):
    """Step images older than --data-interval-start/--data-interval-end reject unknown arguments:
    SALESFLOW_STEP_INTERVAL_ARGS=false leaves the interval's instants out."""
    monkeypatch.setenv("SALESFLOW_RUNNER", "local")
    monkeypatch.setenv("SALESFLOW_STEP_INTERVAL_ARGS", "false")
    task = load_dag().get_task("setup")
    render(task)
    assert task.arguments == ["--config", str(REPO_ROOT / "config" / "demo_config.yaml"), "--ds", DS, "--run-id", RUN_ID]


# ---- pools, alerts, deadline, assets ----


def test_pools_per_source_and_for_the_warehouse(monkeypatch, three_sources):
    from salesflow_pools import pool_definitions

    monkeypatch.setenv("SALESFLOW_RUNNER", "local")
    monkeypatch.setenv("SALESFLOW_CONFIG", str(three_sources))
    dag = load_dag()
    pools = {t.task_id: t.pool for t in dag.tasks}
    assert pools["ingest_shop_db"] == "salesflow_source_shop_db"
    assert pools["ingest_crm-api"] == "salesflow_source_crm-api"
    assert pools["load_warehouse"] == "salesflow_warehouse"
    assert {pools[t] for t in ("setup", *CHAIN[:-1])} == {"default_pool"}
    defined = pool_definitions(["shop_db", "crm-api", "landing"], {})
    assert set(defined) == {p for p in pools.values() if p != "default_pool"}
    assert {p["slots"] for p in defined.values()} == {1}
    assert pool_definitions(["a"], {"SALESFLOW_SOURCE_POOL_SLOTS": "2"})["salesflow_source_a"]["slots"] == 2


def test_the_deploys_create_the_pools_of_the_production_config():
    """docker-compose.yml's airflow-init imports what salesflow_pools.py prints for the config it
    mounts; the Helm values create the same pools for config/pipeline_config.yaml."""
    import yaml

    from salesflow_pools import pool_definitions
    from salesflow_steps import read_source_names

    expected = set(pool_definitions(read_source_names(REPO_ROOT / "config" / "pipeline_config.yaml"), {}))
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    init = " ".join(compose["services"]["airflow-init"]["command"])
    assert "salesflow_pools.py" in init and "airflow pools import" in init and "db migrate" in init
    values = yaml.safe_load((REPO_ROOT / "k8s" / "airflow-values.yaml").read_text())
    script = " ".join(values["migrateDatabaseJob"]["args"])
    created = set(__import__("re").findall(r"airflow pools set (\S+) ", script))
    assert created == expected, f"k8s/airflow-values.yaml creates {sorted(created)}, the DAG uses {sorted(expected)}"


def test_failures_retries_timeouts_and_the_load_deadline_alert(monkeypatch):
    from salesflow_alerts import SalesflowAlert

    monkeypatch.setenv("SALESFLOW_RUNNER", "local")
    dag = load_dag()
    for task in dag.tasks:
        [on_failure] = task.on_failure_callback if isinstance(task.on_failure_callback, list) else [task.on_failure_callback]
        [on_retry] = task.on_retry_callback if isinstance(task.on_retry_callback, list) else [task.on_retry_callback]
        assert isinstance(on_failure, SalesflowAlert) and on_failure.event == "task_failed"
        assert isinstance(on_retry, SalesflowAlert) and on_retry.event == "task_retry"
    [on_run_failure] = dag.on_failure_callback if isinstance(dag.on_failure_callback, list) else [dag.on_failure_callback]
    assert on_run_failure.event == "dag_run_failed"
    load = dag.get_task("load_warehouse")
    if AIRFLOW_MAJOR >= 3:
        [deadline] = dag.deadline if isinstance(dag.deadline, list) else [dag.deadline]
        # Queued at the 02:00 tick, due by 03:00 (SALESFLOW_LOAD_DEADLINE's default).
        assert type(deadline.reference).__name__ == "DagRunQueuedAtDeadline"
        assert deadline.interval == timedelta(hours=1)
        assert deadline.callback.path == "salesflow_alerts.notify_deadline_missed"
    else:
        assert load.sla == timedelta(hours=1)
        assert dag.sla_miss_callback.__name__ == "notify_sla_missed"
    assert [a.uri for a in load.outlets] == ["salesflow://warehouse/star_schema"]
    monkeypatch.setenv("SALESFLOW_LOAD_DEADLINE", "05:30")
    load = load_dag().get_task("load_warehouse")
    if AIRFLOW_MAJOR < 3:
        assert load.sla == timedelta(hours=3, minutes=30)


def test_names_of_a_source_with_a_dot(monkeypatch, tmp_path, airflow_db):
    config = tmp_path / "p.yaml"
    config.write_text("sources:\n  - { name: Shop.DB, kind: database }\n")
    monkeypatch.setenv("SALESFLOW_RUNNER", "kubernetes")
    monkeypatch.setenv("SALESFLOW_CONFIG", str(config))
    dag = load_dag()
    task = dag.get_task("ingest_Shop_DB")
    assert task.name == "salesflow-ingest-shop-db"
    assert task.pool == "salesflow_source_Shop.DB"
    assert task.labels["salesflow/source"] == "Shop.DB"


def test_images_must_be_pinned_outside_the_local_runner(monkeypatch, tmp_path):
    from salesflow_steps import StepSettings, StepSettingsError

    for tag in ("", "latest"):
        with pytest.raises(StepSettingsError, match="SALESFLOW_IMAGE_TAG.*released version"):
            StepSettings.from_env({"SALESFLOW_RUNNER": "docker", "SALESFLOW_IMAGE_TAG": tag})
    assert StepSettings.from_env({"SALESFLOW_RUNNER": "local"}).runner == "local"
    digest = "sha256:" + "a" * 64
    every = ",".join(f"{step}={digest}" for step in ("setup", "ingest", "standardize", "mask", "build-star-schema", "check-quality", "load-warehouse"))
    settings = StepSettings.from_env({"SALESFLOW_RUNNER": "kubernetes", "SALESFLOW_IMAGE_DIGESTS": every})
    assert settings.image("ingest") == f"salesflow-ingest@{digest}"
    settings = StepSettings.from_env({"SALESFLOW_RUNNER": "docker", "SALESFLOW_IMAGE_TAG": "0.1.0", "SALESFLOW_IMAGE_DIGESTS": f"mask={digest}"})
    assert settings.image("mask") == f"salesflow-mask:0.1.0@{digest}" and settings.image("setup") == "salesflow-setup:0.1.0"
    with pytest.raises(StepSettingsError, match="SALESFLOW_IMAGE_DIGESTS entry"):
        StepSettings.from_env({"SALESFLOW_RUNNER": "docker", "SALESFLOW_IMAGE_DIGESTS": "mask=latest"})
    with pytest.raises(StepSettingsError, match="SALESFLOW_LOAD_DEADLINE"):
        StepSettings.from_env({"SALESFLOW_RUNNER": "local", "SALESFLOW_LOAD_DEADLINE": "3pm"})
    # The catalog's image must be pinned too once the config turns the catalog on.
    settings = StepSettings.from_env({"SALESFLOW_RUNNER": "kubernetes", "SALESFLOW_IMAGE_DIGESTS": every})
    with pytest.raises(StepSettingsError, match="SALESFLOW_IMAGE_DIGESTS for catalog$"):
        settings.check_images(optional=("catalog",))
    StepSettings.from_env({"SALESFLOW_RUNNER": "kubernetes", "SALESFLOW_IMAGE_DIGESTS": f"{every},catalog={digest}"}).check_images(optional=("catalog",))


def test_each_step_gets_only_the_secrets_its_work_reads():
    from salesflow_steps import DEFAULT_STEP_ENV, k8s_secret_names, step_env_names

    names = list(DEFAULT_STEP_ENV)
    secrets = {"MASK_HMAC_KEY", "MASK_TOKENIZE_KEY", "VAULT_KEY", "WAREHOUSE_PASSWORD", "SALES_DB_PASSWORD", "STORES_DB_PASSWORD", "INVENTORY_API_TOKEN"}
    held = {(step, source): secrets & set(step_env_names(step, source, names)) for step, source in [("setup", None), ("ingest", "sales_db"), ("ingest", "inventory_api"), ("ingest", "landing"), ("standardize", None), ("mask", None), ("build-star-schema", None), ("check-quality", None), ("load-warehouse", None)]}
    assert held == {
        ("setup", None): set(),
        ("ingest", "sales_db"): {"SALES_DB_PASSWORD"},
        ("ingest", "inventory_api"): {"INVENTORY_API_TOKEN"},
        ("ingest", "landing"): set(),
        ("standardize", None): set(),
        ("mask", None): {"MASK_HMAC_KEY", "MASK_TOKENIZE_KEY", "VAULT_KEY"},
        ("build-star-schema", None): set(),
        ("check-quality", None): set(),
        ("load-warehouse", None): {"WAREHOUSE_PASSWORD"},
    }
    # The lake's credentials and every non-secret setting reach every step.
    assert {"AWS_SECRET_ACCESS_KEY", "LAKE_BUCKET", "WAREHOUSE_HOST", "MASK_KEY_ID"} <= set(step_env_names("standardize", None, names))
    # Rotated keys and mounted secret files go where their secret goes; key ids go everywhere.
    rotated = ["MASK_HMAC_KEY_V1", "VAULT_KEY_V1", "VAULT_KEY_FILE", "WAREHOUSE_PASSWORD_FILE", "SALES_DB_PASSWORD_FILE", "MASK_TOKENIZE_KEY_ID"]
    assert step_env_names("standardize", None, rotated) == ["MASK_TOKENIZE_KEY_ID"]
    assert step_env_names("mask", None, rotated) == ["MASK_HMAC_KEY_V1", "VAULT_KEY_V1", "VAULT_KEY_FILE", "MASK_TOKENIZE_KEY_ID"]
    assert step_env_names("load-warehouse", None, rotated) == ["WAREHOUSE_PASSWORD_FILE", "MASK_TOKENIZE_KEY_ID"]
    assert step_env_names("ingest", "sales_db", rotated) == ["SALES_DB_PASSWORD_FILE", "MASK_TOKENIZE_KEY_ID"]
    assert k8s_secret_names("mask", None, ["salesflow-s3"]) == (["salesflow-s3", "salesflow-mask"], [])
    assert k8s_secret_names("ingest", "sales_db", ["salesflow-s3"]) == (["salesflow-s3"], ["salesflow-source-sales-db"])


def test_an_ingest_with_at_ingest_rules_gets_the_mask_keys_it_reads(tmp_path):
    """A source whose entity masks at ingest (mask.entities.<e>.<col>.at_ingest) needs MASK_HMAC_KEY,
    and the tokenize and vault keys when the rule tokenizes; other ingests still get none of them."""
    from salesflow_steps import DEFAULT_STEP_ENV, StepSettings, k8s_secret_names, pipeline_step, read_at_ingest_secrets, step_env_names

    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "sources:\n"
        "  - {name: shop, kind: database, entities: [{name: customers}, {name: orders}]}\n"
        "  - {name: crm, kind: api, entities: [{name: leads}]}\n"
        "  - {name: landing, kind: files, entities: [{name: products}]}\n"
        "mask:\n"
        "  entities:\n"
        "    customers: {email: {method: hmac, at_ingest: true}, first_name: {method: tokenize}}\n"
        "    leads: {name: {method: tokenize, at_ingest: true}}\n"
        "    products: {supplier: {method: hmac}}\n"
    )
    secrets = read_at_ingest_secrets(config)
    assert secrets == {"shop": frozenset({"MASK_HMAC_KEY"}), "crm": frozenset({"MASK_HMAC_KEY", "MASK_TOKENIZE_KEY", "VAULT_KEY"})}
    names = list(DEFAULT_STEP_ENV)
    mask_keys = {"MASK_HMAC_KEY", "MASK_TOKENIZE_KEY", "VAULT_KEY"}
    assert mask_keys & set(step_env_names("ingest", "shop", names, secrets["shop"])) == {"MASK_HMAC_KEY"}
    assert mask_keys & set(step_env_names("ingest", "crm", names, secrets["crm"])) == mask_keys
    assert mask_keys & set(step_env_names("ingest", "landing", names, secrets.get("landing", frozenset()))) == set()
    assert k8s_secret_names("ingest", "crm", ["salesflow-s3"], secrets["crm"]) == (["salesflow-s3", "salesflow-mask"], ["salesflow-source-crm"])
    # The operators carry it: the local runner's child gets MASK_HMAC_KEY for shop, not for landing.
    settings = StepSettings.from_env({"SALESFLOW_RUNNER": "local", "SALESFLOW_CONFIG": str(config)})
    from datetime import timedelta

    shop = pipeline_step("ingest", settings, source="shop", execution_timeout=timedelta(minutes=5))
    landing = pipeline_step("ingest", settings, source="landing", execution_timeout=timedelta(minutes=5))
    assert shop.extra_secrets == ("MASK_HMAC_KEY",) and landing.extra_secrets == ()

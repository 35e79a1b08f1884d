"""Step operators for the salesflow DAG: one description of a pipeline step, three ways to run it.

``pipeline_step(step, settings, ...)`` returns, for the runner that ``settings.runner`` names:

- ``docker``: a DockerOperator that starts the step's image (``<image_prefix>-<step>:<tag>``);
- ``kubernetes``: a KubernetesPodOperator that runs the same image as a pod;
- ``local``: a LocalStepOperator that runs ``node tasks/<step>/dist/main.js`` as a child process,
  for machines without Docker (and the tests).

Every runner passes the step contract's arguments (``--config``, ``--ds {{ ds }}``,
``--run-id {{ run_id }}``, ``--source NAME`` and ``--[no-]full-refresh`` for ingest) and reads the exit code the same way:
99 marks the task skipped, 2 (usage or config error) fails it without retries, any other
non-zero code fails it and Airflow retries. Provider modules are imported only for the runner in
use, so parsing the DAG stays cheap.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

try:  # Airflow 3
    from airflow.sdk import BaseOperator
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
except ImportError:  # Airflow 2.9+
    from airflow.exceptions import AirflowFailException, AirflowSkipException
    from airflow.models.baseoperator import BaseOperator

from airflow.exceptions import AirflowException

RUNNERS = ("docker", "kubernetes", "local")

# Exit codes of the step contract (DESIGN.md, libs/errors/src/exit-codes.ts).
EXIT_USAGE = 2
EXIT_NOTHING_TO_DO = 99

# The DAG param full_refresh (a run's conf) as the ingest step's flag.
FULL_REFRESH_ARGUMENT = "{{ '--full-refresh' if params.full_refresh else '--no-full-refresh' }}"

# The repository this file lives in (airflow/dags/ -> repository root): the local runner's home.
REPO_ROOT = Path(__file__).resolve().parents[2]

# Variables the pipeline config reads (${NAME}), handed from Airflow's environment to each step
# container by the docker runner. SALESFLOW_STEP_ENV replaces the list (comma-separated names).
DEFAULT_STEP_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL_S3",
    "S3_ENDPOINT",
    "S3_SSE",
    "LAKE_BUCKET",
    "LAKE_PREFIX",
    "LANDING_URI",
    "MASK_HMAC_KEY",
    "MASK_KEY_ID",
    "VAULT_KEY",
    "VAULT_KEY_ID",
    "SALES_DB_HOST",
    "SALES_DB_PORT",
    "SALES_DB_USER",
    "SALES_DB_PASSWORD",
    "SALES_DB_NAME",
    "STORES_DB_HOST",
    "STORES_DB_PORT",
    "STORES_DB_USER",
    "STORES_DB_PASSWORD",
    "STORES_DB_NAME",
    "INVENTORY_API_URL",
    "INVENTORY_API_TOKEN",
    "OPENLINEAGE_URL",
    "OPENLINEAGE_API_KEY",
    "WAREHOUSE_HOST",
    "WAREHOUSE_PORT",
    "WAREHOUSE_USER",
    "WAREHOUSE_PASSWORD",
    "WAREHOUSE_DATABASE",
    "LOG_LEVEL",
)

# Requests and limits per step for the kubernetes runner. Each step streams record batches, so
# memory stays flat as data grows; the star schema holds dimensions whole and gets the most.
STEP_RESOURCES: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "setup": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
    "ingest": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
    "standardize": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
    "mask": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
    "build-star-schema": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
    "check-quality": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
    "load-warehouse": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
}


class StepSettingsError(ValueError):
    """A SALESFLOW_* setting has a value the DAG cannot use; the message names it and the fix."""


@dataclass(frozen=True)
class StepSettings:
    """How the DAG runs its steps. Built from the environment by ``StepSettings.from_env``."""

    runner: str
    # The config file the DAG reads at parse time to learn the sources.
    config_path: Path
    # The --config argument each step receives, as the step sees it (inside the image for docker).
    step_config: str
    image_prefix: str = "salesflow"
    image_tag: str = "latest"
    docker_url: str = "unix://var/run/docker.sock"
    docker_network: str = "salesflow"
    # Volumes for the step containers, "source:target[:ro]" (a named volume, or an absolute host path).
    docker_mounts: Sequence[str] = ()
    step_env: Sequence[str] = DEFAULT_STEP_ENV
    k8s_namespace: str = "salesflow"
    k8s_service_account: str = "salesflow-steps"
    k8s_secrets: Sequence[str] = ("salesflow-s3", "salesflow-warehouse", "salesflow-mask", "salesflow-sources")
    k8s_config_map: str = ""
    node: str = "node"
    home: Path = REPO_ROOT
    retries: int = 3
    max_active_runs: int = 4
    # The first logical date the schedule covers (catchup runs every day from there).
    start_date: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc)

    @staticmethod
    def from_env(env: Mapping[str, str] = os.environ) -> "StepSettings":
        """Reads the SALESFLOW_* variables. The runner may also come as the Airflow Variable
        ``salesflow_runner`` given through the environment (AIRFLOW_VAR_SALESFLOW_RUNNER); a
        Variable stored in the metadata database is not read, since that is I/O at parse time."""
        runner = (env.get("SALESFLOW_RUNNER") or env.get("AIRFLOW_VAR_SALESFLOW_RUNNER") or "docker").strip()
        if runner not in RUNNERS:
            raise StepSettingsError(f"SALESFLOW_RUNNER={runner!r} is not a runner: set it to one of {', '.join(RUNNERS)}")
        home = Path(env.get("SALESFLOW_HOME") or REPO_ROOT)
        default_config = home / "config" / "demo_config.yaml" if runner == "local" else home / "config" / "pipeline_config.yaml"
        config_path = Path(env.get("SALESFLOW_CONFIG") or default_config)
        default_step_config = str(config_path) if runner == "local" else "/app/config/pipeline_config.yaml"
        return StepSettings(
            runner=runner,
            config_path=config_path,
            step_config=env.get("SALESFLOW_STEP_CONFIG") or default_step_config,
            image_prefix=env.get("SALESFLOW_IMAGE_PREFIX") or "salesflow",
            image_tag=env.get("SALESFLOW_IMAGE_TAG") or "latest",
            docker_url=env.get("SALESFLOW_DOCKER_URL") or "unix://var/run/docker.sock",
            docker_network=env.get("SALESFLOW_DOCKER_NETWORK") or "salesflow",
            docker_mounts=_names(env.get("SALESFLOW_DOCKER_MOUNTS"), ()),
            step_env=_names(env.get("SALESFLOW_STEP_ENV"), DEFAULT_STEP_ENV),
            k8s_namespace=env.get("SALESFLOW_K8S_NAMESPACE") or "salesflow",
            k8s_service_account=env.get("SALESFLOW_K8S_SERVICE_ACCOUNT") or "salesflow-steps",
            k8s_secrets=_names(env.get("SALESFLOW_K8S_SECRETS"), ("salesflow-s3", "salesflow-warehouse", "salesflow-mask", "salesflow-sources")),
            k8s_config_map=env.get("SALESFLOW_K8S_CONFIG_MAP") or "",
            node=env.get("SALESFLOW_NODE") or "node",
            home=home,
            retries=_int(env, "SALESFLOW_RETRIES", 3),
            max_active_runs=_int(env, "SALESFLOW_MAX_ACTIVE_RUNS", 4),
            start_date=_date(env, "SALESFLOW_START_DATE", datetime(2026, 1, 1, tzinfo=timezone.utc)),
        )


def _names(value: str | None, default: Sequence[str]) -> Sequence[str]:
    if value is None:
        return tuple(default)
    return tuple(n.strip() for n in value.split(",") if n.strip())


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise StepSettingsError(f"{name}={value!r} is not a whole number: set it to e.g. {default}") from None
    if number < 0:
        raise StepSettingsError(f"{name}={value!r} must be 0 or more")
    return number


def _date(env: Mapping[str, str], name: str, default: datetime) -> datetime:
    value = env.get(name)
    if value is None or value == "":
        return default
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise StepSettingsError(f"{name}={value!r} is not a date: write it as YYYY-MM-DD") from None


def read_source_names(config_path: Path) -> list[str]:
    """The ``name`` of each entry under ``sources`` in the pipeline YAML: the only thing the DAG
    needs from the config (one ingest task per source). Everything else is the steps' business."""
    import yaml  # Airflow depends on PyYAML; imported here so the module loads without it.

    try:
        text = config_path.read_text(encoding="utf-8")
    except OSError as error:
        raise StepSettingsError(
            f"cannot read the pipeline config {config_path}: {error.strerror}; set SALESFLOW_CONFIG to the YAML file the DAG should read"
        ) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StepSettingsError(f"{config_path} is not valid YAML: {error}") from None
    sources = document.get("sources") if isinstance(document, dict) else None
    if not isinstance(sources, list) or not sources:
        raise StepSettingsError(f"{config_path}: sources must be a non-empty list of sources, each with a name")
    names: list[str] = []
    for index, source in enumerate(sources):
        name = source.get("name") if isinstance(source, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise StepSettingsError(f"{config_path}: sources.{index}.name is missing; give every source a name")
        if name in names:
            raise StepSettingsError(f"{config_path}: sources.{index}.name {name!r} is used twice; source names must be unique")
        names.append(name)
    return names


def task_id_for(step: str, source: str | None = None) -> str:
    """Airflow task ids use snake_case: build-star-schema -> build_star_schema, ingest -> ingest_<source>."""
    base = step.replace("-", "_")
    if source is None:
        return base
    safe = "".join(c if c.isalnum() or c in "_-." else "_" for c in source)
    return f"{base}_{safe}"


def step_arguments(step: str, settings: StepSettings, source: str | None = None) -> list[str]:
    """The step contract's arguments (templated): what follows ``node tasks/<step>/dist/main.js``."""
    arguments = ["--config", settings.step_config, "--ds", "{{ ds }}", "--run-id", "{{ run_id }}"]
    if source is not None:
        # Incremental state belongs to the sources: a run triggered with {"full_refresh": true}
        # makes each ingest re-read everything. Always one argument, so lists stay lists.
        arguments += ["--source", source, FULL_REFRESH_ARGUMENT]
    return arguments


class ExitCodePolicy(Sequence[int]):
    """The exit codes that mark a task skipped, given as ``skip_on_exit_code`` to every operator.

    Docker and Kubernetes operators test ``exit_code in skip_on_exit_code`` before they treat a
    non-zero code as a failure. Being asked about the usage code (2) raises AirflowFailException
    there, which fails the task without retries: a config error stays wrong on the next try.
    """

    def __init__(self, skip: int = EXIT_NOTHING_TO_DO, fail_fast: int = EXIT_USAGE) -> None:
        self._skip = (skip,)
        self._fail_fast = fail_fast

    def __contains__(self, code: object) -> bool:
        if code == self._fail_fast:
            raise AirflowFailException(f"the step exited {code} (usage or config error): not retried, fix the config or arguments")
        return code in self._skip

    def __getitem__(self, index):  # type: ignore[override]
        return self._skip[index]

    def __len__(self) -> int:
        return len(self._skip)

    def __iter__(self) -> Iterator[int]:
        return iter(self._skip)

    def __repr__(self) -> str:
        return f"ExitCodePolicy(skip={self._skip[0]}, fail_fast={self._fail_fast})"


class LocalStepOperator(BaseOperator):
    """Runs a step as a local process: ``<node> tasks/<step>/dist/main.js <arguments>`` in the
    repository. Its logs (stderr) stream into the task log; the last stdout line, the step's
    summary JSON, is the task's return value (XCom), as with the Docker and Kubernetes runners."""

    template_fields: Sequence[str] = ("arguments",)
    ui_color = "#d5e8d4"

    def __init__(self, *, step: str, arguments: Sequence[str], home: str, node: str = "node", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.arguments = list(arguments)
        self.home = home
        self.node = node
        self._process: subprocess.Popen[str] | None = None

    @property
    def command(self) -> list[str]:
        return [self.node, f"tasks/{self.step}/dist/main.js", *self.arguments]

    def execute(self, context: Any) -> Any:
        command = self.command
        self.log.info("running %s (in %s)", shlex.join(command), self.home)
        self._process = subprocess.Popen(command, cwd=self.home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        relay = threading.Thread(target=self._relay_stderr, args=(self._process.stderr,), daemon=True)
        relay.start()
        assert self._process.stdout is not None
        out = self._process.stdout.read()
        code = self._process.wait()
        relay.join()
        summary = _last_json_line(out)
        if code == EXIT_NOTHING_TO_DO:
            raise AirflowSkipException(f"{self.step} exited {code}: nothing to do for this date")
        if code == EXIT_USAGE:
            raise AirflowFailException(f"{self.step} exited {code} (usage or config error): not retried, fix the config or arguments")
        if code != 0:
            raise AirflowException(f"{self.step} exited {code}: {summary.get('error') if isinstance(summary, dict) else 'see the log above'}")
        return summary

    def _relay_stderr(self, stream: Any) -> None:
        for line in stream:
            self.log.info("%s", line.rstrip("\n"))

    def on_kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()


def _last_json_line(out: str) -> Any:
    lines = [line for line in out.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        return json.loads(lines[-1])
    except ValueError:
        return lines[-1]


def _docker_mount(spec: str) -> Any:
    from docker.types import Mount

    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/") or (len(parts) == 3 and parts[2] != "ro"):
        raise StepSettingsError(f"SALESFLOW_DOCKER_MOUNTS entry {spec!r} is not source:/target[:ro] (e.g. salesflow_landing:/landing:ro)")
    kind = "bind" if parts[0].startswith("/") else "volume"
    return Mount(target=parts[1], source=parts[0], type=kind, read_only=len(parts) == 3)


def pipeline_step(step: str, settings: StepSettings, *, source: str | None = None, execution_timeout: timedelta, **task_args: Any) -> BaseOperator:
    """One Airflow task for one step run, made by the runner ``settings.runner`` names."""
    task_id = task_id_for(step, source)
    arguments = step_arguments(step, settings, source)
    common: dict[str, Any] = {"task_id": task_id, "execution_timeout": execution_timeout, **task_args}
    if settings.runner == "local":
        return LocalStepOperator(step=step, arguments=arguments, home=str(settings.home), node=settings.node, **common)
    image = f"{settings.image_prefix}-{step}:{settings.image_tag}"
    if settings.runner == "docker":
        from airflow.providers.docker.operators.docker import DockerOperator

        return DockerOperator(
            mounts=[_docker_mount(spec) for spec in settings.docker_mounts],
            image=image,
            # The image's entrypoint is `node tasks/<step>/dist/main.js`; the command is its arguments.
            command=arguments,
            # Read from Airflow's environment when the task starts; never rendered or stored.
            private_environment={name: os.environ[name] for name in settings.step_env if name in os.environ},
            environment={"LOG_FORMAT": "json"},
            docker_url=settings.docker_url,
            network_mode=settings.docker_network,
            auto_remove="success",
            mount_tmp_dir=False,
            tty=False,
            do_xcom_push=True,
            skip_on_exit_code=ExitCodePolicy(),
            **common,
        )
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from airflow.providers.cncf.kubernetes.secret import Secret
    from kubernetes.client import models as k8s

    resources = STEP_RESOURCES.get(step, STEP_RESOURCES["ingest"])
    volumes, mounts = [], []
    if settings.k8s_config_map:
        volumes.append(k8s.V1Volume(name="pipeline-config", config_map=k8s.V1ConfigMapVolumeSource(name=settings.k8s_config_map)))
        mounts.append(k8s.V1VolumeMount(name="pipeline-config", mount_path=str(Path(settings.step_config).parent), read_only=True))
    return KubernetesPodOperator(
        name=f"salesflow-{task_id.replace('_', '-')}"[:63],
        namespace=settings.k8s_namespace,
        service_account_name=settings.k8s_service_account,
        image=image,
        image_pull_policy="IfNotPresent",
        arguments=arguments,
        env_vars={"LOG_FORMAT": "json"},
        # Each Kubernetes secret's keys become environment variables of the step (envFrom).
        secrets=[Secret("env", None, name) for name in settings.k8s_secrets],
        container_resources=k8s.V1ResourceRequirements(requests=dict(resources["requests"]), limits=dict(resources["limits"])),
        volumes=volumes,
        volume_mounts=mounts,
        labels={"app.kubernetes.io/part-of": "salesflow", "salesflow/step": step},
        # The step writes its summary to /airflow/xcom/return.json; the sidecar hands it to XCom.
        do_xcom_push=True,
        get_logs=True,
        on_finish_action="delete_succeeded_pod",
        skip_on_exit_code=ExitCodePolicy(),
        **common,
    )

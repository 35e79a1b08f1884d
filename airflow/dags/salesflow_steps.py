"""Step operators for the salesflow DAG: one description of a pipeline step, three ways to run it.

``pipeline_step(step, settings, ...)`` returns, for the runner that ``settings.runner`` names:

- ``docker``: a StepDockerOperator (DockerOperator) that starts the step's image
  (``<image_prefix>-<step>:<tag>[@digest]``) with the step's memory limit;
- ``kubernetes``: a StepPodOperator (KubernetesPodOperator, deferrable) that runs the same image as
  a pod with the step's requests and limits and a restricted security context;
- ``local``: a LocalStepOperator that runs ``node tasks/<step>/dist/main.js`` as a child process,
  for machines without Docker (and the tests).

Every runner passes the step contract's arguments (``--config``, ``--ds`` of the run's data
interval, ``--run-id {{ run_id }}``, ``--source NAME`` and ``--[no-]full-refresh`` for ingest, and
``--data-interval-start/--data-interval-end``, unless ``SALESFLOW_STEP_INTERVAL_ARGS=false``), returns
the step's summary as parsed JSON (the task's XCom), and maps the exit code the same way: 99 marks
the task skipped; 2 (usage or config), 3 (quality failed) and 4 (bad input beyond tolerance) fail
it without retries (AirflowFailException); any other code fails it with retries and backoff. The
failure's message is the step's own error line (its summary's ``error``). Provider modules are
imported only for the runner in use, so parsing the DAG stays cheap.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import threading
from dataclasses import dataclass, field
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

# Exit codes of the step contract (DESIGN.md, libs/errors/src/exit-codes.ts) and what they mean
# for Airflow: a retry can help only a transient failure (1, or a crash without a summary).
EXIT_NOTHING_TO_DO = 99
NOT_RETRIED = {
    2: "usage or config error",
    3: "data quality failed",
    4: "bad input beyond the configured tolerance",
}
STEPS = ("setup", "ingest", "standardize", "mask", "build-star-schema", "check-quality", "load-warehouse", "catalog")
# Steps the DAG runs only when the config asks (catalog.enabled): their images must be pinned only then.
OPTIONAL_STEPS = ("catalog",)

# The DAG param full_refresh (a run's conf) as the ingest step's flag.
FULL_REFRESH_ARGUMENT = "{{ '--full-refresh' if params.full_refresh else '--no-full-refresh' }}"

# The run's data interval (salesflow_interval.step_interval, the DAG's macro salesflow_interval).
_INTERVAL = "salesflow_interval(params, dag_run, data_interval_start | default(none), data_interval_end | default(none))"
DS_ARGUMENT = "{{ " + _INTERVAL + ".ds }}"
INTERVAL_START_ARGUMENT = "{{ " + _INTERVAL + ".start_iso }}"
INTERVAL_END_ARGUMENT = "{{ " + _INTERVAL + ".end_iso }}"

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
    "MASK_TOKENIZE_KEY",
    "MASK_TOKENIZE_KEY_ID",
    "VAULT_KEY",
    "VAULT_KEY_ID",
    "SALES_DB_TLS_MODE",
    "SALES_DB_TLS_CA_FILE",
    "STORES_DB_TLS_MODE",
    "STORES_DB_TLS_CA_FILE",
    "WAREHOUSE_TLS_MODE",
    "WAREHOUSE_TLS_CA_FILE",
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
    "LOG_FORMAT",
    # The embedded default (config/demo_config.yaml) reads these.
    "LAKE_ROOT",
    "LANDING_PATH",
    "WAREHOUSE_SQLITE",
    "FISCAL_YEAR_START_MONTH",
)

# What any process needs to run, handed to a local runner's child besides its step's variables:
# nothing of Airflow's own environment (its connections, Fernet key, other steps' secrets) leaks.
PROCESS_ENV = ("PATH", "HOME", "USER", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "NODE_OPTIONS", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR")

# Least privilege (docs/security.md): a variable whose name says secret reaches only the steps
# whose work reads it. The lake's credentials and the lineage key go to every step; an ingest
# gets the secrets named after its source (sales_db: SALES_DB_PASSWORD); everything else that is
# not a secret (hosts, users, key ids, TLS modes) goes to all.
SECRET_ENV_NAME = re.compile(r"(PASSWORD|_KEY|TOKEN|SECRET)$")
# Also a secret: a rotated one (MASK_HMAC_KEY_V1, VAULT_KEY_2025) or a mounted file's path
# (VAULT_KEY_FILE); it goes where the secret it is named after goes. Key ids (..._KEY_ID) are not.
DERIVED_SECRET_ENV_NAME = re.compile(r"(PASSWORD|_KEY|TOKEN|SECRET)_[A-Z0-9]+$")
EVERY_STEP_SECRETS = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "OPENLINEAGE_API_KEY"})
STEP_SECRETS: Mapping[str, frozenset[str]] = {
    "mask": frozenset({"MASK_HMAC_KEY", "MASK_TOKENIZE_KEY", "VAULT_KEY"}),
    "load-warehouse": frozenset({"WAREHOUSE_PASSWORD"}),
}
# Kubernetes Secrets (envFrom) per step, besides SALESFLOW_K8S_SECRETS (the ones every step gets).
K8S_STEP_SECRETS: Mapping[str, tuple[str, ...]] = {"mask": ("salesflow-mask",), "load-warehouse": ("salesflow-warehouse",)}


def step_env_names(step: str, source: str | None, names: Sequence[str], extra: frozenset[str] = frozenset()) -> list[str]:
    """The names of ``names`` handed to one step run: secrets only where its work reads them.
    ``extra``: secrets this run needs beyond its step's (an ingest's mask keys for at_ingest rules)."""
    own = STEP_SECRETS.get(step, frozenset()) | extra
    prefix = f"{source.upper()}_" if step == "ingest" and source else None

    def is_secret(n: str) -> bool:
        return bool(SECRET_ENV_NAME.search(n)) or (bool(DERIVED_SECRET_ENV_NAME.search(n)) and not n.endswith("_ID"))

    def held(n: str) -> bool:
        return n in EVERY_STEP_SECRETS or n in own or any(n.startswith(f"{o}_") for o in own) or (prefix is not None and n.startswith(prefix))

    return [n for n in names if not is_secret(n) or held(n)]


def step_environment(step: str, source: str | None, names: Sequence[str], env: Mapping[str, str] = os.environ, extra: frozenset[str] = frozenset()) -> dict[str, str]:
    """The variables (name: value) of ``env`` one step run gets: those of ``names`` its work
    reads (step_env_names), read when the task starts, never rendered or stored."""
    return {name: env[name] for name in step_env_names(step, source, names, extra) if name in env}


def k8s_secret_names(step: str, source: str | None, common: Sequence[str], extra: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """The Kubernetes Secrets of one step run: (required, optional). A source's own Secret,
    salesflow-source-<source>, is optional, since a files source has none."""
    required = [*common, *K8S_STEP_SECRETS.get(step, ())]
    # An ingest masking at_ingest reads the mask keys, which live in the mask step's Secret.
    if step != "mask" and extra & STEP_SECRETS["mask"]:
        required.append(K8S_STEP_SECRETS["mask"][0])
    optional = [f"salesflow-source-{source.replace('_', '-').lower()}"] if step == "ingest" and source else []
    return required, optional

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
    # A released version: docker and kubernetes refuse "latest" (what runs must be known).
    image_tag: str = ""
    # step -> "sha256:..." pins an image by digest (SALESFLOW_IMAGE_DIGESTS="ingest=sha256:...,...").
    image_digests: Mapping[str, str] = field(default_factory=dict)
    docker_url: str = "unix://var/run/docker.sock"
    docker_network: str = "salesflow"
    # Volumes for the step containers, "source:target[:ro]" (a named volume, or an absolute host path).
    docker_mounts: Sequence[str] = ()
    step_env: Sequence[str] = DEFAULT_STEP_ENV
    k8s_namespace: str = "salesflow"
    # Each step's pods run as its own service account, <prefix>-<step> (<prefix>-ingest-<source>),
    # bound to the IAM role of the same name (k8s/rbac.yaml, npm run iam-policies).
    k8s_service_account_prefix: str = "salesflow"
    # The Kubernetes Secrets every step gets; each step's own come from K8S_STEP_SECRETS.
    k8s_secrets: Sequence[str] = ("salesflow-s3",)
    k8s_config_map: str = ""
    # Pods run deferred (the worker slot is freed while the pod runs; the triggerer watches it).
    k8s_deferrable: bool = True
    # How long a pod may take to be scheduled and start (image pull included) before the try fails.
    k8s_startup_timeout_s: int = 600
    # The image of the sidecar that hands /airflow/xcom/return.json to Airflow ("" = the provider's).
    k8s_xcom_sidecar_image: str = ""
    node: str = "node"
    home: Path = REPO_ROOT
    retries: int = 3
    max_active_runs: int = 4
    # Catch-up creates a run for every interval since start_date; off unless asked for.
    catchup: bool = False
    # The first logical date the schedule covers (catchup runs every day from there).
    start_date: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc)
    # Also pass --data-interval-start/--data-interval-end (ISO instants) to every step; off only for
    # step images older than those arguments (they reject unknown arguments).
    step_interval_args: bool = True
    # A DAG run longer than this fails (and alerts): a stuck run does not hold max_active_runs forever.
    dagrun_timeout: timedelta = timedelta(hours=8)
    # "HH:MM" (UTC): load_warehouse must have finished by then, the day after the interval's day;
    # or a duration after the run is queued ("90m", "30s"); "" for no deadline.
    load_deadline: str = "03:00"

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
        settings = StepSettings(
            runner=runner,
            config_path=config_path,
            step_config=env.get("SALESFLOW_STEP_CONFIG") or default_step_config,
            image_prefix=env.get("SALESFLOW_IMAGE_PREFIX") or "salesflow",
            image_tag=(env.get("SALESFLOW_IMAGE_TAG") or "").strip(),
            image_digests=_digests(env.get("SALESFLOW_IMAGE_DIGESTS")),
            docker_url=env.get("SALESFLOW_DOCKER_URL") or "unix://var/run/docker.sock",
            docker_network=env.get("SALESFLOW_DOCKER_NETWORK") or "salesflow",
            docker_mounts=_names(env.get("SALESFLOW_DOCKER_MOUNTS"), ()),
            step_env=_names(env.get("SALESFLOW_STEP_ENV"), DEFAULT_STEP_ENV),
            k8s_namespace=env.get("SALESFLOW_K8S_NAMESPACE") or "salesflow",
            k8s_service_account_prefix=env.get("SALESFLOW_K8S_SERVICE_ACCOUNT_PREFIX") or "salesflow",
            k8s_secrets=_names(env.get("SALESFLOW_K8S_SECRETS"), ("salesflow-s3",)),
            k8s_config_map=env.get("SALESFLOW_K8S_CONFIG_MAP") or "",
            k8s_deferrable=_bool(env, "SALESFLOW_K8S_DEFERRABLE", True),
            k8s_startup_timeout_s=_int(env, "SALESFLOW_K8S_STARTUP_TIMEOUT", 600),
            k8s_xcom_sidecar_image=env.get("SALESFLOW_K8S_XCOM_SIDECAR_IMAGE") or "",
            node=env.get("SALESFLOW_NODE") or "node",
            home=home,
            retries=_int(env, "SALESFLOW_RETRIES", 3),
            max_active_runs=_int(env, "SALESFLOW_MAX_ACTIVE_RUNS", 4),
            catchup=_bool(env, "SALESFLOW_CATCHUP", False),
            start_date=_date(env, "SALESFLOW_START_DATE", datetime(2026, 1, 1, tzinfo=timezone.utc)),
            step_interval_args=_bool(env, "SALESFLOW_STEP_INTERVAL_ARGS", True),
            dagrun_timeout=timedelta(minutes=_int(env, "SALESFLOW_DAGRUN_TIMEOUT_MINUTES", 480)),
            load_deadline=(env.get("SALESFLOW_LOAD_DEADLINE", "03:00")).strip(),
        )
        settings.check_images()
        parse_deadline(settings.load_deadline)
        return settings

    def check_images(self, optional: Sequence[str] = ()) -> None:
        """Outside the local runner, every step image the DAG runs is pinned: by a version tag, or by
        digest. ``optional`` names the optional steps the config turned on."""
        if self.runner == "local":
            return
        unpinned = [step for step in STEPS if step not in self.image_digests and (step not in OPTIONAL_STEPS or step in optional)]
        if unpinned and self.image_tag in ("", "latest"):
            raise StepSettingsError(
                f"SALESFLOW_IMAGE_TAG={self.image_tag!r}: the {self.runner} runner needs pinned images; set SALESFLOW_IMAGE_TAG "
                f"to a released version (e.g. 0.1.0, as docker/build-images.sh tags them) or give SALESFLOW_IMAGE_DIGESTS for {', '.join(unpinned)}"
            )

    def image(self, step: str) -> str:
        """The step's image reference: ``<prefix>-<step>:<tag>``, ``@<digest>`` when pinned so."""
        name = f"{self.image_prefix}-{step}"
        if self.image_tag and self.image_tag != "latest":
            name += f":{self.image_tag}"
        digest = self.image_digests.get(step)
        return f"{name}@{digest}" if digest else name


def parse_deadline(value: str) -> tuple[str, timedelta] | None:
    """SALESFLOW_LOAD_DEADLINE as ("clock", time after midnight UTC) or ("after_queued", duration)."""
    if value == "":
        return None
    clock = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if clock and int(clock[1]) < 24 and int(clock[2]) < 60:
        return ("clock", timedelta(hours=int(clock[1]), minutes=int(clock[2])))
    duration = re.fullmatch(r"(\d+)(s|m|h)", value)
    if duration:
        unit = {"s": "seconds", "m": "minutes", "h": "hours"}[duration[2]]
        return ("after_queued", timedelta(**{unit: int(duration[1])}))
    raise StepSettingsError(f"SALESFLOW_LOAD_DEADLINE={value!r} is neither a time HH:MM (UTC) nor a duration like 90m or 30s; set it to e.g. 03:00, or to '' for no deadline")


def _digests(value: str | None) -> Mapping[str, str]:
    digests: dict[str, str] = {}
    for entry in _names(value, ()):
        step, _, digest = entry.partition("=")
        if step not in STEPS or not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            raise StepSettingsError(f"SALESFLOW_IMAGE_DIGESTS entry {entry!r} is not <step>=sha256:<64 hex digits> with a step of {', '.join(STEPS)}")
        digests[step] = digest
    return digests


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = (env.get(name) or "").strip().lower()
    if value == "":
        return default
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise StepSettingsError(f"{name}={env.get(name)!r} is not a boolean: set it to true or false")


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


def _read_config_document(config_path: Path):
    import yaml  # Airflow depends on PyYAML; imported here so the module loads without it.

    try:
        text = config_path.read_text(encoding="utf-8")
    except OSError as error:
        raise StepSettingsError(
            f"cannot read the pipeline config {config_path}: {error.strerror}; set SALESFLOW_CONFIG to the YAML file the DAG should read"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StepSettingsError(f"{config_path} is not valid YAML: {error}") from None


def read_catalog_enabled(config_path: Path) -> bool:
    """``catalog.enabled`` of the pipeline YAML (default false): whether the DAG runs the catalog
    step after load_warehouse. Read at parse time like the source names, from the same file."""
    document = _read_config_document(config_path)
    catalog = document.get("catalog") if isinstance(document, dict) else None
    enabled = catalog.get("enabled", False) if isinstance(catalog, dict) else False
    if not isinstance(enabled, bool):
        raise StepSettingsError(f"{config_path}: catalog.enabled must be true or false, not {enabled!r}")
    return enabled


def read_at_ingest_secrets(config_path: Path) -> dict[str, frozenset[str]]:
    """Per source, the mask secrets its ingest reads because a rule of one of its entities says
    ``at_ingest: true`` (mask.entities.<entity>.<column>): MASK_HMAC_KEY, and MASK_TOKENIZE_KEY
    and VAULT_KEY too when such a rule tokenizes. Sources without such rules are left out."""
    document = _read_config_document(config_path)
    mask = document.get("mask") if isinstance(document, dict) else None
    rules = mask.get("entities") if isinstance(mask, dict) else None
    rules = rules if isinstance(rules, dict) else {}
    out: dict[str, frozenset[str]] = {}
    sources = document.get("sources") if isinstance(document, dict) else None
    for source in sources if isinstance(sources, list) else []:
        if not isinstance(source, dict):
            continue
        needs: set[str] = set()
        for entity in source.get("entities") or []:
            columns = rules.get(entity.get("name")) if isinstance(entity, dict) else None
            for rule in (columns or {}).values() if isinstance(columns, dict) else []:
                if isinstance(rule, dict) and rule.get("at_ingest") is True:
                    needs.add("MASK_HMAC_KEY")
                    if rule.get("method") == "tokenize":
                        needs |= {"MASK_TOKENIZE_KEY", "VAULT_KEY"}
        if needs and isinstance(source.get("name"), str):
            out[source["name"]] = frozenset(needs)
    return out


def read_source_names(config_path: Path) -> list[str]:
    """The ``name`` of each entry under ``sources`` in the pipeline YAML: with ``catalog.enabled``,
    the only things the DAG needs from the config (one ingest task per source). Everything else is
    the steps' business."""
    document = _read_config_document(config_path)
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
    """Airflow task ids use snake_case: build-star-schema -> build_star_schema, ingest -> ingest_<source>
    (a source name keeps letters, digits, '_' and '-'; anything else, such as '.', becomes '_')."""
    base = step.replace("-", "_")
    if source is None:
        return base
    return f"{base}_{re.sub(r'[^A-Za-z0-9_-]', '_', source)}"


def pod_name_for(task_id: str) -> str:
    """A DNS-1123 pod name (lowercase letters, digits and '-', starting and ending with one), short
    enough for the operator's random suffix: ingest_Shop.DB -> salesflow-ingest-shop-db."""
    name = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", f"salesflow-{task_id}".lower())).strip("-")
    return name[:50].rstrip("-")


def service_account_for(step: str, source: str | None, prefix: str = "salesflow") -> str:
    """The service account (and IAM role) of one step run: mask -> salesflow-mask, ingest of
    sales_db -> salesflow-ingest-sales-db. The same rule names the roles of npm run iam-policies."""
    role = f"ingest-{source}" if step == "ingest" and source else step
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", f"{prefix}-{role}".lower())).strip("-")[:63].rstrip("-")


def label_value_for(value: str) -> str:
    """A Kubernetes label value: at most 63 of letters, digits, '-', '_', '.', alphanumeric at both ends."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", value)[:63].strip("_.-") or "none"


def step_arguments(step: str, settings: StepSettings, source: str | None = None) -> list[str]:
    """The step contract's arguments (templated): what follows ``node tasks/<step>/dist/main.js``."""
    arguments = ["--config", settings.step_config, "--ds", DS_ARGUMENT, "--run-id", "{{ run_id }}"]
    if settings.step_interval_args:
        arguments += ["--data-interval-start", INTERVAL_START_ARGUMENT, "--data-interval-end", INTERVAL_END_ARGUMENT]
    if source is not None:
        # Incremental state belongs to the sources: a run triggered with {"full_refresh": true}
        # makes each ingest re-read everything. Always one argument, so lists stay lists.
        arguments += ["--source", source, FULL_REFRESH_ARGUMENT]
    return arguments


class StepFailedError(AirflowException):
    """A step exited non-zero with a code a retry may help (1, or a crash without a summary)."""


def _lines(output: Any) -> list[str]:
    if isinstance(output, bytes):
        output = output.decode("utf-8", "replace")
    if isinstance(output, str):
        return output.splitlines()
    return [line.decode("utf-8", "replace") if isinstance(line, bytes) else str(line) for line in output or []]


def _last_json_object(lines: list[str], has_exit_code: bool = False) -> dict | None:
    for line in reversed(lines):
        text = line.strip()
        start = text.find("{")
        if start < 0 or (start > 0 and not has_exit_code):
            continue
        try:
            found = json.loads(text[start:])
        except ValueError:
            continue
        if isinstance(found, dict) and (not has_exit_code or "exit_code" in found):
            return found
    return None


def parse_summary(output: Any) -> dict | None:
    """The step's summary as parsed JSON, whatever a runner hands back: the local runner's stdout
    and DockerOperator's last line (text), or the pod's return.json (already parsed). None when
    the step printed no JSON summary."""
    if output is None or isinstance(output, dict):
        return output
    return _last_json_object(_lines(output))


def _failure_summary(output: Any) -> dict:
    """The step's summary among a failure's output (Docker's log lines, or the pod's termination
    message inside the operator's error): the last JSON object that carries an exit code."""
    return _last_json_object(_lines(output), has_exit_code=True) or {}


def step_failure(step: str, code: int | None, summary: Any, fallback: str = "see the log above") -> Exception:
    """The exception a failed step raises: AirflowFailException (no retries) for 2, 3 and 4, a
    StepFailedError (retried with backoff) otherwise. The message is the step's own error line."""
    error = summary.get("error") if isinstance(summary, dict) and summary.get("error") else fallback
    if code in NOT_RETRIED:
        return AirflowFailException(f"{step} exited {code} ({NOT_RETRIED[code]}), not retried: {error}")
    shown = code if code is not None else "without a summary"
    return StepFailedError(f"{step} exited {shown} (retried if tries are left): {error}")


class LocalStepOperator(BaseOperator):
    """Runs a step as a local process: ``<node> tasks/<step>/dist/main.js <arguments>`` in the
    repository. Its logs (stderr) stream into the task log; the last stdout line, the step's
    summary JSON, is the task's return value (XCom), as with the Docker and Kubernetes runners."""

    template_fields: Sequence[str] = ("arguments",)
    ui_color = "#d5e8d4"

    def __init__(
        self,
        *,
        step: str,
        arguments: Sequence[str],
        home: str,
        node: str = "node",
        source: str | None = None,
        step_env: Sequence[str] = DEFAULT_STEP_ENV,
        extra_secrets: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.arguments = list(arguments)
        self.home = home
        self.node = node
        self.source = source
        self.step_env = tuple(step_env)
        self.extra_secrets = tuple(sorted(extra_secrets))
        self._process: subprocess.Popen[str] | None = None

    @property
    def command(self) -> list[str]:
        return [self.node, f"tasks/{self.step}/dist/main.js", *self.arguments]

    def execute(self, context: Any) -> Any:
        command = self.command
        self.log.info("running %s (in %s)", shlex.join(command), self.home)
        # The child gets what a process needs and its step's variables, as a container would (the
        # docker runner's step_environment), not Airflow's whole environment.
        env = {**{n: os.environ[n] for n in PROCESS_ENV if n in os.environ}, **step_environment(self.step, self.source, self.step_env, extra=frozenset(self.extra_secrets))}
        self._process = subprocess.Popen(command, cwd=self.home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        relay = threading.Thread(target=self._relay_stderr, args=(self._process.stderr,), daemon=True)
        relay.start()
        assert self._process.stdout is not None
        out = self._process.stdout.read()
        code = self._process.wait()
        relay.join()
        summary = parse_summary(out)
        if code == EXIT_NOTHING_TO_DO:
            raise AirflowSkipException(f"{self.step} exited {code}: nothing to do for this date")
        if code != 0:
            failure = step_failure(self.step, code, summary)
            self.log.error("%s", failure)
            raise failure
        return summary

    def _relay_stderr(self, stream: Any) -> None:
        for line in stream:
            self.log.info("%s", line.rstrip("\n"))

    def on_kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()


def _docker_mount(spec: str) -> Any:
    from docker.types import Mount

    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/") or (len(parts) == 3 and parts[2] != "ro"):
        raise StepSettingsError(f"SALESFLOW_DOCKER_MOUNTS entry {spec!r} is not source:/target[:ro] (e.g. salesflow_landing:/landing:ro)")
    kind = "bind" if parts[0].startswith("/") else "volume"
    return Mount(target=parts[1], source=parts[0], type=kind, read_only=len(parts) == 3)


def memory_bytes(quantity: str) -> int:
    """A Kubernetes memory quantity (STEP_RESOURCES: 512Mi, 1Gi) in bytes, for Docker's mem_limit."""
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi)?", quantity)
    if not match:
        raise StepSettingsError(f"STEP_RESOURCES memory {quantity!r} is not <n>[Ki|Mi|Gi]")
    return int(match[1]) * {None: 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}[match[2]]


def _docker_operator_class() -> type:
    from airflow.providers.docker.exceptions import DockerContainerFailedException
    from airflow.providers.docker.operators.docker import DockerOperator

    class StepDockerOperator(DockerOperator):
        """DockerOperator that returns the step's parsed summary and fails by the step's exit code
        (read from the summary line in the container's output, the step contract)."""

        def __init__(self, *, step: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.step = step

        def execute(self, context: Any) -> Any:
            try:
                return parse_summary(super().execute(context))
            except DockerContainerFailedException as failed:
                summary = _failure_summary(failed.logs)
                failure = step_failure(self.step, summary.get("exit_code"), summary, fallback=str(failed))
                self.log.error("%s", failure)
                raise failure from None

    return StepDockerOperator


def _pod_operator_class() -> type:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from airflow.providers.cncf.kubernetes.utils.xcom_sidecar import PodDefaults

    class StepPodOperator(KubernetesPodOperator):
        """KubernetesPodOperator that returns the step's parsed summary, fails by the step's exit code
        (its summary line, which Kubernetes keeps as the termination message: FallbackToLogsOnError),
        and runs the XCom sidecar from a configured image."""

        def __init__(self, *, step: str, xcom_sidecar_image: str = "", **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.step = step
            self.xcom_sidecar_image = xcom_sidecar_image

        def build_pod_request_obj(self, context: Any = None) -> Any:
            pod = super().build_pod_request_obj(context)
            if self.xcom_sidecar_image:
                for container in pod.spec.containers:
                    if container.name == PodDefaults.SIDECAR_CONTAINER_NAME:
                        container.image = self.xcom_sidecar_image
            return pod

        def _step_result(self, run: Any) -> Any:
            try:
                return parse_summary(run())
            except AirflowException as failed:
                if isinstance(failed, (AirflowSkipException, AirflowFailException)):
                    raise
                summary = _failure_summary(str(failed))
                failure = step_failure(self.step, summary.get("exit_code"), summary, fallback=str(failed).splitlines()[0])
                self.log.error("%s", failure)
                raise failure from None

        def execute(self, context: Any) -> Any:
            return self._step_result(lambda: super(StepPodOperator, self).execute(context))

        def trigger_reentry(self, context: Any, event: dict[str, Any]) -> Any:
            return self._step_result(lambda: super(StepPodOperator, self).trigger_reentry(context, event))

    return StepPodOperator


def _restricted_security(k8s: Any) -> tuple[Any, Any]:
    """The pod and container security contexts of Kubernetes' "restricted" profile: non-root (the
    images' user node, uid 1000), read-only root filesystem, no capabilities, no privilege escalation."""
    pod = k8s.V1PodSecurityContext(run_as_non_root=True, run_as_user=1000, run_as_group=1000, fs_group=1000, seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"))
    container = k8s.V1SecurityContext(
        run_as_non_root=True,
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        capabilities=k8s.V1Capabilities(drop=["ALL"]),
        seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
    )
    return pod, container


def pipeline_step(step: str, settings: StepSettings, *, source: str | None = None, execution_timeout: timedelta, **task_args: Any) -> BaseOperator:
    """One Airflow task for one step run, made by the runner ``settings.runner`` names."""
    task_id = task_id_for(step, source)
    arguments = step_arguments(step, settings, source)
    common: dict[str, Any] = {"task_id": task_id, "execution_timeout": execution_timeout, **task_args}
    extra = read_at_ingest_secrets(settings.config_path).get(source, frozenset()) if step == "ingest" and source else frozenset()
    if settings.runner == "local":
        return LocalStepOperator(step=step, arguments=arguments, home=str(settings.home), node=settings.node, source=source, step_env=settings.step_env, extra_secrets=extra, **common)
    image = settings.image(step)
    resources = STEP_RESOURCES.get(step, STEP_RESOURCES["ingest"])
    if settings.runner == "docker":
        return _docker_operator_class()(
            step=step,
            mounts=[_docker_mount(spec) for spec in settings.docker_mounts],
            image=image,
            # The image's entrypoint is `node tasks/<step>/dist/main.js`; the command is its arguments.
            command=arguments,
            # Read from Airflow's environment when the task starts; never rendered or stored.
            # Only the secrets this step's work reads (step_env_names).
            private_environment=step_environment(step, source, settings.step_env, extra=extra),
            environment={"LOG_FORMAT": "json"},
            docker_url=settings.docker_url,
            network_mode=settings.docker_network,
            mem_limit=memory_bytes(resources["limits"]["memory"]),
            auto_remove="success",
            mount_tmp_dir=False,
            tty=False,
            do_xcom_push=True,
            skip_on_exit_code=[EXIT_NOTHING_TO_DO],
            **common,
        )
    from airflow.providers.cncf.kubernetes.secret import Secret
    from kubernetes.client import models as k8s

    # The root filesystem is read-only: the step's temporary files go to an emptyDir at /tmp.
    volumes = [k8s.V1Volume(name="tmp", empty_dir=k8s.V1EmptyDirVolumeSource())]
    mounts = [k8s.V1VolumeMount(name="tmp", mount_path="/tmp")]
    if settings.k8s_config_map:
        volumes.append(k8s.V1Volume(name="pipeline-config", config_map=k8s.V1ConfigMapVolumeSource(name=settings.k8s_config_map)))
        mounts.append(k8s.V1VolumeMount(name="pipeline-config", mount_path=str(Path(settings.step_config).parent), read_only=True))
    pod_security, container_security = _restricted_security(k8s)
    labels = {"app.kubernetes.io/part-of": "salesflow", "salesflow/step": step}
    if source is not None:
        labels["salesflow/source"] = label_value_for(source)
    return _pod_operator_class()(
        step=step,
        name=pod_name_for(task_id),
        namespace=settings.k8s_namespace,
        service_account_name=service_account_for(step, source, settings.k8s_service_account_prefix),
        image=image,
        image_pull_policy="IfNotPresent",
        arguments=arguments,
        env_vars={"LOG_FORMAT": "json"},
        # Each Kubernetes secret's keys become environment variables of the step (envFrom): the
        # common ones and this step's own (k8s_secret_names).
        secrets=[Secret("env", None, name) for name in k8s_secret_names(step, source, settings.k8s_secrets, extra)[0]],
        env_from=[k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name=name, optional=True)) for name in k8s_secret_names(step, source, settings.k8s_secrets, extra)[1]],
        container_resources=k8s.V1ResourceRequirements(requests=dict(resources["requests"]), limits=dict(resources["limits"])),
        volumes=volumes,
        volume_mounts=mounts,
        labels=labels,
        security_context=pod_security,
        container_security_context=container_security,
        xcom_sidecar_container_security_context=container_security,
        xcom_sidecar_image=settings.k8s_xcom_sidecar_image,
        # A failed step's last log lines (its summary) become the termination message the
        # operator reports: the exit code and error line reach Airflow without reading the pod's logs.
        termination_message_policy="FallbackToLogsOnError",
        deferrable=settings.k8s_deferrable,
        startup_timeout_seconds=settings.k8s_startup_timeout_s,
        # The step writes its summary to /airflow/xcom/return.json; the sidecar hands it to XCom.
        do_xcom_push=True,
        get_logs=True,
        on_finish_action="delete_succeeded_pod",
        skip_on_exit_code=[EXIT_NOTHING_TO_DO],
        **common,
    )

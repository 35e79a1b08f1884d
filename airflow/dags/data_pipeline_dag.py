"""
# salesflow: the nightly sales pipeline

Runs every day at 02:00 UTC for the previous day's data: the run at 02:00 on D has `ds` = D-1.

`setup >> ingest_<source> (one per configured source, in parallel) >> standardize >> mask
>> build_star_schema >> check_quality >> load_warehouse`

Each task runs one step program with the step contract's arguments
(`--config ... --ds {{ ds }} --run-id {{ run_id }} [--source NAME]`), as a Docker container,
a Kubernetes pod or a local process, chosen by `SALESFLOW_RUNNER` (`docker`, `kubernetes`, `local`).
Exit 99 marks a task skipped; exit 2 (config error) fails it without retries; other failures retry
with exponential backoff. `build_star_schema` waits for the previous day's run of itself
(customer history, SCD type 2, needs ds-1 first); every other step of a date is independent of
other dates, so backfill dates run in parallel up to `max_active_runs`.

Trigger with the conf `{"full_refresh": true}` to make the ingest tasks ignore incremental state.
The DAG reads the pipeline YAML (`SALESFLOW_CONFIG`) only for the source names.
"""

from __future__ import annotations

from datetime import timedelta

from salesflow_steps import StepSettings, pipeline_step, read_source_names

try:  # Airflow 3
    from airflow.sdk import DAG, CronDataIntervalTimetable, Param
except ImportError:  # Airflow 2.9+
    from airflow import DAG
    from airflow.models.param import Param
    from airflow.timetables.interval import CronDataIntervalTimetable

DAG_ID = "data_pipeline_dag"
SCHEDULE = "0 2 * * *"
TAGS = ["salesflow", "etl", "daily"]
OWNER = "data-platform"

# Longest a step may run before Airflow stops it (each retry gets the full time again).
EXECUTION_TIMEOUTS = {
    "setup": timedelta(minutes=10),
    "ingest": timedelta(hours=2),
    "standardize": timedelta(hours=1),
    "mask": timedelta(hours=1),
    "build-star-schema": timedelta(hours=1),
    "check-quality": timedelta(minutes=30),
    "load-warehouse": timedelta(hours=1),
}

SETTINGS = StepSettings.from_env()
SOURCES = read_source_names(SETTINGS.config_path)

default_args = {
    "owner": OWNER,
    "depends_on_past": False,
    "retries": SETTINGS.retries,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
}

with DAG(
    dag_id=DAG_ID,
    description="Sources -> lake (raw, processed, curated) -> star schema -> quality -> warehouse",
    doc_md=__doc__,
    # A data interval per day: the run at 02:00 on D processes ds = D-1, on Airflow 2 and 3 alike
    # (a bare cron string means that on 2, but on 3 a run whose ds is the day that just began).
    schedule=CronDataIntervalTimetable(SCHEDULE, timezone="UTC"),
    start_date=SETTINGS.start_date,
    catchup=True,
    max_active_runs=SETTINGS.max_active_runs,
    default_args=default_args,
    tags=TAGS,
    params={"full_refresh": Param(False, type="boolean", description="Ingest ignores incremental state (watermarks, files already ingested) and re-reads everything")},
) as dag:

    def step(name: str, **kwargs):
        return pipeline_step(name, SETTINGS, execution_timeout=EXECUTION_TIMEOUTS[name], **kwargs)

    setup = step("setup")
    ingests = [step("ingest", source=source) for source in SOURCES]
    # A source with nothing to ingest for the day (exit 99, skipped) must not skip the rest.
    standardize = step("standardize", trigger_rule="none_failed")
    mask = step("mask")
    # SCD type 2 history for ds builds on ds-1's dimension.
    build_star_schema = step("build-star-schema", depends_on_past=True)
    check_quality = step("check-quality")
    load_warehouse = step("load-warehouse")

    setup >> ingests >> standardize >> mask >> build_star_schema >> check_quality >> load_warehouse

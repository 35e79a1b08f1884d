"""The real DAG under real Airflow with the local runner: every step runs as the child process
`node tasks/<step>/dist/main.js ...` on the embedded default (config/demo_config.yaml), with the
lake, landing files and SQLite warehouse in the test's temp folder.

Each test has its own metadata database (fixture metadata_db). The Airflow 3 backfill test also
starts an API server and a scheduler on free ports, and stops them at the end."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from conftest import AIRFLOW_BIN, AIRFLOW_MAJOR, DAG_ID, REPO_ROOT, free_port, land_sample_data, list_runs, run_airflow, task_states

TASKS = ["setup", "ingest_landing", "standardize", "mask", "build_star_schema", "check_quality", "load_warehouse"]


def run_ds(run: dict) -> str:
    return (run.get("logical_date") or run.get("execution_date"))[:10]


def committed_partitions(lake: Path) -> dict[str, set[str]]:
    """Every dataset in the lake (raw/..., processed/..., curated/...) -> the ds of its committed
    partitions (those with a _manifest.json)."""
    found: dict[str, set[str]] = {}
    for manifest in lake.rglob("_manifest.json"):
        partition = manifest.parent
        if partition.name.startswith("dt="):
            found.setdefault(partition.parent.relative_to(lake).as_posix(), set()).add(partition.name[3:])
    return found


def fact_rows_in_lake(lake: Path, ds: str) -> int:
    return json.loads((lake / "curated" / "fact_sales" / f"dt={ds}" / "_manifest.json").read_text())["rows"]


def fact_rows_in_warehouse(warehouse: str) -> dict[str, int]:
    with sqlite3.connect(warehouse) as db:
        return dict(db.execute("SELECT batch_ds, COUNT(*) FROM fact_sales GROUP BY batch_ds").fetchall())


def assert_every_zone_has(lake: Path, dates: set[str]) -> None:
    partitions = committed_partitions(lake)
    for zone in ("raw/files/landing/", "processed/", "processed/masked/", "curated/"):
        datasets = {name: ds for name, ds in partitions.items() if name.startswith(zone)}
        assert datasets, f"no committed dataset under {zone}"
        for name, ds in datasets.items():
            assert ds == dates, f"{name}: partitions {sorted(ds)}, expected {sorted(dates)}"
    for table in ("fact_sales", "dim_customer", "dim_product", "dim_location", "dim_date"):
        assert partitions[f"curated/{table}"] == dates


def metadata_rows(env: dict[str, str], sql: str) -> list[tuple]:
    """Rows of a query on the test's metadata database (what the CLI's listings leave out)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    try:
        with engine.connect() as db:
            return [tuple(row) for row in db.execute(text(sql), {"dag": DAG_ID}).fetchall()]
    finally:
        engine.dispose()


def run_intervals(env: dict[str, str]) -> dict[str, tuple[str | None, str | None]]:
    """run_id -> its data interval as Airflow recorded it (ISO text, UTC; None when it has none)."""
    def iso(value) -> str | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M")

    rows = metadata_rows(env, "SELECT run_id, data_interval_start, data_interval_end FROM dag_run WHERE dag_id = :dag")
    return {run_id: (iso(start), iso(end)) for run_id, start, end in rows}


def incremental_config(tmp_path: Path) -> Path:
    """The demo config with its sales transactions read incrementally (files already ingested are
    remembered in the source's state, _state/landing/sales_transactions/dt=<ds>.json)."""
    text = (REPO_ROOT / "config" / "demo_config.yaml").read_text()
    line = '      - { name: sales_transactions, pattern: "sales_transactions*.csv", format: csv }'
    assert line in text, "config/demo_config.yaml changed: update incremental_config"
    config = tmp_path / "incremental_config.yaml"
    config.write_text(text.replace(line, line[:-2] + ", new_files_only: true }"))
    return config


def landed_transactions(landing: Path, ds: str) -> int:
    return sum(len(csv.read_text().splitlines()) - 1 for csv in (landing / f"dt={ds}").glob("sales_transactions*.csv"))


def raw_rows(lake: Path, entity: str, ds: str) -> int:
    return json.loads((lake / "raw" / "files" / "landing" / entity / f"dt={ds}" / "_manifest.json").read_text())["rows"]


def test_a_manual_run_with_a_date_processes_its_data_interval(tmp_path, pipeline_env, metadata_db):
    """`airflow dags test` with a logical date is a manual run: a run at 2026-11-26 10:00 covers the
    last complete interval, 11-25 02:00 .. 11-26 02:00, so every step processes ds 2026-11-25."""
    env = {**pipeline_env, **metadata_db}
    land_sample_data(Path(env["LANDING_PATH"]), "2026-11-25")
    run_airflow(["dags", "reserialize"], env)

    run_airflow(["dags", "test", DAG_ID, "2026-11-26T10:00:00+00:00"], env, timeout=900)

    [run] = list_runs(env)
    assert run["state"] == "success"
    assert run_intervals(env)[run["run_id"]] == ("2026-11-25T02:00", "2026-11-26T02:00")
    assert task_states(run["run_id"], env) == {task: "success" for task in TASKS}
    lake = Path(env["LAKE_ROOT"])
    assert_every_zone_has(lake, {"2026-11-25"})
    rows = fact_rows_in_lake(lake, "2026-11-25")
    assert rows > 1000
    assert fact_rows_in_warehouse(env["WAREHOUSE_SQLITE"]) == {"2026-11-25": rows}


def test_a_failing_step_alerts_once_and_stops_the_rest(tmp_path, pipeline_env, metadata_db, alert_recorder):
    """The README's one-day command with a day that has no landing files: ingest exits 4 (bad
    input), which fails at once although 3 retries are configured, and the notifier posts the
    step's own error line to the team's hook (our local HTTP server)."""
    env = {**pipeline_env, **metadata_db, "SALESFLOW_RETRIES": "3", "SALESFLOW_ALERT_WEBHOOK_URL": alert_recorder.url}
    ds = "2026-11-20"
    run_airflow(["dags", "reserialize"], env)

    run_airflow(["dags", "test", DAG_ID, "-c", json.dumps({"ds": ds})], env, timeout=900, check=False)

    [run] = list_runs(env)
    assert run["state"] == "failed"
    states = task_states(run["run_id"], env)
    assert states["setup"] == "success"
    assert states["ingest_landing"] == "failed"
    assert {states[t] for t in TASKS[2:]} == {"upstream_failed"}
    assert not (Path(env["LAKE_ROOT"]) / "processed" / "customers" / f"dt={ds}").exists()
    assert not Path(env["WAREHOUSE_SQLITE"]).exists() or fact_rows_in_warehouse(env["WAREHOUSE_SQLITE"]) == {}
    failures = [body for body in alert_recorder.bodies if body["event"] == "task_failed"]
    assert "task_retry" not in alert_recorder.events()
    [alert] = failures
    assert alert["task_id"] == "ingest_landing" and alert["ds"] == ds and alert["run_id"] == run["run_id"]
    assert alert["error"].startswith("ingest exited 4 (bad input beyond the configured tolerance), not retried: ")
    assert f"dt={ds}" in alert["error"]


def test_triggers_as_the_readme_writes_them(tmp_path, pipeline_env, metadata_db):
    """`airflow dags trigger` without a date (on Airflow 3: no logical date at all) and with a date:
    the setup task of each run (run with `airflow tasks test`) records the day it processed in the
    lake's _runs/dt=<ds>/. (The conf {"ds": ...} is run as the README writes it by
    test_a_failing_step_alerts_once_and_stops_the_rest.)"""
    from salesflow_interval import last_complete_interval

    env = {**pipeline_env, **metadata_db}
    run_airflow(["dags", "reserialize"], env)
    date_flag = "-l" if AIRFLOW_MAJOR >= 3 else "-e"
    triggers = {
        "no date": ["dags", "trigger", DAG_ID],
        "with a date": ["dags", "trigger", DAG_ID, date_flag, "2026-12-01T10:00:00+00:00"],
    }
    before = datetime.now(timezone.utc)
    for args in triggers.values():
        run_airflow(args, env)
    after = datetime.now(timezone.utc)
    runs = {r["run_id"]: r for r in list_runs(env)}
    assert len(runs) == 2
    lake = Path(env["LAKE_ROOT"])
    for run_id in runs:
        run_airflow(["tasks", "test", DAG_ID, "setup", run_id], env, timeout=300)
    processed = {p.name[3:] for p in (lake / "_runs").glob("dt=*") if (p / "setup.json").exists()}
    # No date: the last interval complete at the trigger. Airflow 3 leaves the run without a logical
    # date and data interval; Airflow 2 gives it the trigger time and the interval before it.
    no_date = {last_complete_interval("0 2 * * *", moment).ds for moment in (before, after)}
    intervals = run_intervals(env)
    [with_date] = [intervals[run_id][0][:10] for run_id, r in runs.items() if (r.get("logical_date") or r.get("execution_date") or "").startswith("2026-12-01")]
    with_date = {with_date}
    assert with_date <= processed and no_date & processed
    assert len(processed) <= 2


def test_two_days_backfilled_in_parallel(tmp_path, pipeline_env, metadata_db, alert_recorder):
    """Two days of one incremental source, backfilled with the README's command. Each day lands
    exactly its own rows and keeps its own state, and the pools keep the ingests of the source and
    the loads from overlapping. On Airflow 3 the
    scheduler runs the days at the same time, and a load deadline of 1 s is missed and alerted."""
    config = incremental_config(tmp_path)
    env = {**pipeline_env, **metadata_db, "SALESFLOW_CONFIG": str(config), "SALESFLOW_ALERT_WEBHOOK_URL": alert_recorder.url}
    dates = ["2026-11-23", "2026-11-24"]
    landing = Path(env["LANDING_PATH"])
    for ds in dates:
        land_sample_data(landing, ds)

    # Logical dates are 02:00 (one data interval per day), so the window 23rd..25th 00:00 holds
    # exactly the runs for ds 23 and 24.
    if AIRFLOW_MAJOR >= 3:
        runs = backfill_with_scheduler(tmp_path, {**env, "SALESFLOW_LOAD_DEADLINE": "1s"}, "2026-11-23", "2026-11-25", expected_runs=2)
    else:
        run_airflow(["dags", "reserialize"], env)
        run_airflow(["dags", "backfill", "-s", "2026-11-23", "-e", "2026-11-25", DAG_ID], env, timeout=1800)
        runs = list_runs(env)

    assert sorted(run_ds(r) for r in runs) == dates
    assert {r["state"] for r in runs} == {"success"}
    for run in runs:
        assert task_states(run["run_id"], env) == {task: "success" for task in TASKS}
    lake = Path(env["LAKE_ROOT"])
    assert_every_zone_has(lake, set(dates))
    for ds in dates:
        assert raw_rows(lake, "sales_transactions", ds) == landed_transactions(landing, ds)
    expected = {ds: fact_rows_in_lake(lake, ds) for ds in dates}
    assert all(rows > 1000 for rows in expected.values())
    assert fact_rows_in_warehouse(env["WAREHOUSE_SQLITE"]) == expected
    # Each day keeps its own state document, naming the files it ingested.
    for ds in dates:
        state = (lake / "_state" / "landing" / "sales_transactions" / f"dt={ds}.json").read_text()
        assert f"dt={ds}" in state, state

    spans = task_spans(env)
    for task_id in ("ingest_landing", "load_warehouse"):
        first, second = sorted(spans[task_id])
        assert first[1] <= second[0], f"{task_id} of two days overlapped: {first} and {second}"
    if AIRFLOW_MAJOR >= 3:
        # The days did run side by side: the second day's setup started before the first day's load ended.
        setups, loads = sorted(spans["setup"]), sorted(spans["load_warehouse"])
        assert setups[1][0] < loads[0][1], f"the two days ran one after the other: {spans}"
        missed = [body for body in alert_recorder.bodies if body["event"] == "deadline_missed"]
        assert sorted(body["ds"] for body in missed) == dates, alert_recorder.bodies
    assert "task_failed" not in alert_recorder.events()


def task_spans(env: dict[str, str]) -> dict[str, list[tuple]]:
    """task_id -> [(start, end)] of every try, from the run's metadata database."""
    rows = metadata_rows(env, "SELECT task_id, start_date, end_date FROM task_instance WHERE dag_id = :dag")
    spans: dict[str, list[tuple]] = {}
    for task_id, start, end in rows:
        spans.setdefault(task_id, []).append((start, end))
    return spans


def backfill_with_scheduler(tmp_path: Path, env: dict[str, str], start: str, end: str, expected_runs: int) -> list[dict]:
    """Airflow 3's backfill: `airflow backfill create` queues the runs, the scheduler runs them,
    and tasks report to the API server. The DAG must be unpaused for the scheduler to run its
    tasks; its start date is moved past today so unpausing schedules no runs of its own."""
    api_port = free_port()
    env = {
        **env,
        "SALESFLOW_START_DATE": "2099-01-01",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(tmp_path / "logs"),
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
    }
    run_airflow(["dags", "reserialize"], env)
    run_airflow(["dags", "unpause", DAG_ID], env)
    services: list[tuple[str, subprocess.Popen, Path]] = []
    try:
        for name, args in (("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(api_port)]), ("scheduler", ["scheduler"])):
            log = tmp_path / f"{name}.log"
            process = subprocess.Popen([AIRFLOW_BIN, *args], env={**os.environ, **env}, stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            services.append((name, process, log))
        wait_for_http(f"http://127.0.0.1:{api_port}/api/v2/monitor/health", services, 180)
        run_airflow(["backfill", "create", "--dag-id", DAG_ID, "--from-date", start, "--to-date", end, "--reprocess-behavior", "completed"], env)
        # About a minute a day on top: the 30-day soak of test_calendar.py runs here too.
        deadline = time.monotonic() + 1200 + 60 * expected_runs
        while True:
            runs = list_runs(env)
            if len(runs) >= expected_runs and all(r["state"] in ("success", "failed") for r in runs):
                return runs
            for name, process, log in services:
                assert process.poll() is None, f"{name} exited {process.returncode}:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"backfill not done in time: {[(r['run_id'], r['state']) for r in runs]}"
            time.sleep(5)
    finally:
        for _, process, _ in services:
            stop(process)


def wait_for_http(url: str, services, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        for name, process, log in services:
            assert process.poll() is None, f"{name} exited {process.returncode}:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{url} did not answer within {seconds} s"
        time.sleep(1)


def stop(process: subprocess.Popen) -> None:
    """Stops a service this test started, with the workers it spawned (its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

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
from pathlib import Path

from conftest import AIRFLOW_BIN, AIRFLOW_MAJOR, DAG_ID, free_port, land_sample_data, list_runs, run_airflow, task_states

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


def test_dags_test_runs_the_whole_pipeline(tmp_path, pipeline_env, metadata_db):
    env = {**pipeline_env, **metadata_db}
    ds = "2026-11-26"
    land_sample_data(Path(env["LANDING_PATH"]), ds)
    run_airflow(["dags", "reserialize"], env)

    run_airflow(["dags", "test", DAG_ID, ds], env, timeout=900)

    [run] = list_runs(env)
    assert run_ds(run) == ds and run["state"] == "success"
    assert task_states(run["run_id"], env) == {task: "success" for task in TASKS}
    lake = Path(env["LAKE_ROOT"])
    assert_every_zone_has(lake, {ds})
    rows = fact_rows_in_lake(lake, ds)
    assert rows > 1000
    assert fact_rows_in_warehouse(env["WAREHOUSE_SQLITE"]) == {ds: rows}


def test_a_failing_step_fails_its_task_and_stops_the_rest(tmp_path, pipeline_env, metadata_db):
    env = {**pipeline_env, **metadata_db}
    ds = "2026-11-20"  # nothing landed for this day: ingest exits 4
    run_airflow(["dags", "reserialize"], env)

    run_airflow(["dags", "test", DAG_ID, ds], env, timeout=900, check=False)

    [run] = list_runs(env)
    assert run["state"] == "failed"
    states = task_states(run["run_id"], env)
    assert states["setup"] == "success"
    assert states["ingest_landing"] == "failed"
    assert {states[t] for t in TASKS[2:]} == {"upstream_failed"}
    assert not (Path(env["LAKE_ROOT"]) / "processed" / "customers" / f"dt={ds}").exists()
    assert not Path(env["WAREHOUSE_SQLITE"]).exists() or fact_rows_in_warehouse(env["WAREHOUSE_SQLITE"]) == {}


def test_backfill_of_three_dates(tmp_path, pipeline_env, metadata_db):
    env = {**pipeline_env, **metadata_db}
    dates = ["2026-11-23", "2026-11-24", "2026-11-25"]
    for ds in dates:
        land_sample_data(Path(env["LANDING_PATH"]), ds)

    # Logical dates are 02:00 (one data interval per day), so the window 23rd..26th 00:00 holds
    # exactly the runs for ds 23, 24 and 25.
    if AIRFLOW_MAJOR >= 3:
        runs = backfill_with_scheduler(tmp_path, env, "2026-11-23", "2026-11-26", expected_runs=3)
    else:
        run_airflow(["dags", "reserialize"], env)
        run_airflow(["dags", "backfill", "-s", "2026-11-23", "-e", "2026-11-26", DAG_ID], env, timeout=1800)
        runs = list_runs(env)

    assert sorted(run_ds(r) for r in runs) == dates
    assert {r["state"] for r in runs} == {"success"}
    for run in runs:
        assert task_states(run["run_id"], env) == {task: "success" for task in TASKS}
    lake = Path(env["LAKE_ROOT"])
    assert_every_zone_has(lake, set(dates))
    expected = {ds: fact_rows_in_lake(lake, ds) for ds in dates}
    assert all(rows > 1000 for rows in expected.values())
    assert fact_rows_in_warehouse(env["WAREHOUSE_SQLITE"]) == expected


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
        "AIRFLOW__CORE__PARALLELISM": "2",
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
        deadline = time.monotonic() + 1200
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

"""The calendar through the real DAG under real Airflow (local runner, embedded default): the
sample data's nightly deliveries of consecutive days (the day's sales, late ones, corrections of
earlier days, customers who move) are backfilled as the scheduler runs catch-up, then some of
those days are run again out of order as manual runs with the `ds` param. Every run must succeed,
and the SQLite warehouse must equal what tests/calendar/expected_from_landing.py recomputes from
the landing files on its own: the row count, revenue per transaction date to the cent, the latest
version of every corrected transaction, every fact row; no transaction id twice; and the re-runs
change nothing.

CI runs a compact form (Airflow 3: 6 days and 3 re-runs; Airflow 2: 4 days and 2). The soak of the
issue, 30 days and 5 re-runs, is the same test with SALESFLOW_CALENDAR_DAYS=30
SALESFLOW_CALENDAR_RERUNS=5."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from conftest import AIRFLOW_MAJOR, DAG_ID, REPO_ROOT, list_runs, run_airflow, task_states
from test_pipeline_runs import TASKS, backfill_with_scheduler, run_ds

FIRST = date(2026, 10, 1)
DAYS = int(os.environ.get("SALESFLOW_CALENDAR_DAYS", "6" if AIRFLOW_MAJOR >= 3 else "4"))
RERUNS = int(os.environ.get("SALESFLOW_CALENDAR_RERUNS", "3" if AIRFLOW_MAJOR >= 3 else "2"))
SCALE = "0.1"


def land_daily(landing: Path, ds: str) -> None:
    """The nightly delivery of ds, as `npm run demo` lands it (tasks/sample-data --daily)."""
    subprocess.run(
        ["node", "tasks/sample-data/dist/main.js", "--out", str(landing / f"dt={ds}"), "--ds", ds, "--seed", "42", "--scale", SCALE, "--daily"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )


def expected(landing: Path, first: str, last: str) -> dict:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tests" / "calendar" / "expected_from_landing.py"), "--landing", str(landing), "--from", first, "--to", last, "--facts"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout)


def warehouse_facts(path: str) -> dict[str, tuple]:
    """transaction_id -> (batch_ds, quantity, total in cents) of every fact row; asserts no id is there twice."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT transaction_id, batch_ds, quantity, total_amount FROM fact_sales").fetchall()
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), "a transaction id is in fact_sales twice"
    return {r[0]: (r[1], r[2], round(Decimal(str(r[3])) * 100)) for r in rows}


def revenue_by_date(path: str) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT d.full_date, SUM(ROUND(f.total_amount * 100)) FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key GROUP BY d.full_date"
        ).fetchall()
    return {day: int(cents) for day, cents in rows}


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def test_nightly_days_then_reruns_out_of_order_equal_the_landing_files(tmp_path, pipeline_env, metadata_db):
    env = {**pipeline_env, **metadata_db, "SALESFLOW_RETRIES": "0"}
    landing = Path(env["LANDING_PATH"])
    days = [(FIRST + timedelta(days=i)).isoformat() for i in range(DAYS)]
    for ds in days:
        land_daily(landing, ds)

    # Nightly: the days run as catch-up does, the scheduler's backfill (Airflow 3) or `dags backfill` (2).
    end = (FIRST + timedelta(days=DAYS)).isoformat()
    if AIRFLOW_MAJOR >= 3:
        runs = backfill_with_scheduler(tmp_path, env, days[0], end, expected_runs=DAYS)
    else:
        run_airflow(["dags", "reserialize"], env)
        run_airflow(["dags", "backfill", "-s", days[0], "-e", end, DAG_ID], env, timeout=3600)
        runs = list_runs(env)
    assert sorted(run_ds(r) for r in runs) == days
    for run in runs:
        assert task_states(run["run_id"], env) == {task: "success" for task in TASKS}, run["run_id"]

    want = expected(landing, days[0], days[-1])
    assert want["failing_days"] == []
    warehouse = env["WAREHOUSE_SQLITE"]
    facts = warehouse_facts(warehouse)
    assert len(facts) == want["row_count"]
    assert facts == {tid: (f["ds"], f["quantity"], cents(f["total_amount"])) for tid, f in want["facts"].items()}
    assert revenue_by_date(warehouse) == {d: cents(s) for d, s in want["revenue_by_date"].items()}
    assert sum(revenue_by_date(warehouse).values()) == cents(want["revenue_total"])
    assert want["corrected"], "the range holds no corrected transaction: the test proves nothing about them"
    for tid, latest in want["corrected"].items():
        assert facts[tid][:2] == (latest["ds"], latest["quantity"]), tid

    # Re-runs out of order (manual runs with the ds param): every one succeeds and changes nothing.
    order = [days[i] for i in (DAYS - 2, 1, DAYS - 1, 0, DAYS // 2)][:RERUNS]
    for ds in order:
        run_airflow(["dags", "test", DAG_ID, "-c", json.dumps({"ds": ds})], env, timeout=1200)
    reruns = [r for r in list_runs(env) if r["run_id"] not in {x["run_id"] for x in runs}]
    assert len(reruns) == len(order)
    for run in reruns:
        assert run["state"] == "success", run
        assert task_states(run["run_id"], env) == {task: "success" for task in TASKS}, run["run_id"]
    assert warehouse_facts(warehouse) == facts

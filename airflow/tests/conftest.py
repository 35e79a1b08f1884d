"""Shared fixtures for the DAG's tests under real Airflow (2.x or 3.x, whichever this venv has).

What they start, per pytest session:
- a temporary AIRFLOW_HOME (logs, config) with the DAG folder pointing at airflow/dags;
- metadata databases (fixtures airflow_db, per session, and metadata_db, per test): SQLite on
  Airflow 2; on Airflow 3 a PostgreSQL database with a random name on AIRFLOW_TEST_PG_URL's server
  (default postgres@127.0.0.1:5432/test), because its scheduler, API server and CLI write at the
  same time; each migrated with `airflow db migrate` and dropped afterwards.
The pipeline tests add a temporary lake, landing folder and SQLite warehouse per test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Iterator, Mapping

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO_ROOT / "airflow" / "dags"
DAG_ID = "data_pipeline_dag"

# Airflow reads its settings when first imported: set them before anything imports airflow.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="salesflow-airflow-")
_PG_ADMIN_URL = os.environ.get("AIRFLOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
os.environ.update(
    {
        "AIRFLOW_HOME": _AIRFLOW_HOME,
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # The tests' own secrets, so no process generates a different one.
        "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex + uuid.uuid4().hex,
        "AIRFLOW__API__SECRET_KEY": uuid.uuid4().hex,
        "AIRFLOW__WEBSERVER__SECRET_KEY": uuid.uuid4().hex,
        # Airflow 2's default (seconds) is deprecated; Airflow 3 always does this.
        "AIRFLOW__METRICS__TIMER_UNIT_CONSISTENCY": "True",
        # The Docker and Kubernetes runners need a pinned image tag; the tests render this one.
        "SALESFLOW_IMAGE_TAG": os.environ.get("SALESFLOW_IMAGE_TAG", "0.1.0"),
    }
)

import airflow  # noqa: E402

AIRFLOW_MAJOR = int(airflow.__version__.split(".")[0])
# SQLite until a test asks for a database; Airflow 2 runs a backfill's tasks one at a time on it.
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"
os.environ["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor" if AIRFLOW_MAJOR >= 3 else "SequentialExecutor"

AIRFLOW_BIN = str(Path(sys.executable).parent / "airflow")
# Executors start `airflow tasks run ...` by name: this venv's airflow must come first on PATH.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
# As the DAG processor does for the bundle: modules beside the DAG file are importable.
if str(DAGS_FOLDER) not in sys.path:
    sys.path.append(str(DAGS_FOLDER))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_airflow(args: list[str], env: Mapping[str, str] | None = None, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs the `airflow` CLI of this venv; on failure the assertion shows the output's end."""
    result = subprocess.run(
        [AIRFLOW_BIN, *args],
        env={**os.environ, **(env or {})},
        cwd=_AIRFLOW_HOME,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"airflow {' '.join(args)} exited {result.returncode}\n--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}")
    return result


def json_output(result: subprocess.CompletedProcess[str]) -> list[dict]:
    """The JSON table a `-o json` CLI command printed (Airflow's log lines may come before it)."""
    for line in reversed(result.stdout.splitlines()):
        if line.startswith("["):
            return json.loads(line)
    raise AssertionError(f"no JSON in the output:\n{result.stdout[-3000:]}")


def list_runs(env: Mapping[str, str] | None = None) -> list[dict]:
    args = ["dags", "list-runs", DAG_ID, "-o", "json"] if AIRFLOW_MAJOR >= 3 else ["dags", "list-runs", "-d", DAG_ID, "-o", "json"]
    result = run_airflow(args, env)
    if "No data found" in result.stdout:
        return []
    return json_output(result)


def task_states(run_id: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    rows = json_output(run_airflow(["tasks", "states-for-dag-run", DAG_ID, run_id, "-o", "json"], env))
    return {row["task_id"]: row["state"] for row in rows}


def load_dag():
    """Parses the DAG folder the way the DAG processor does; fails on any import error."""
    if AIRFLOW_MAJOR >= 3:
        from airflow.dag_processing.dagbag import BundleDagBag

        bag = BundleDagBag(dag_folder=DAGS_FOLDER, bundle_path=DAGS_FOLDER)
    else:
        from airflow.models import DagBag

        bag = DagBag(dag_folder=str(DAGS_FOLDER), include_examples=False)
    assert bag.import_errors == {}, bag.import_errors
    return bag.dags[DAG_ID]


class MetadataDatabase:
    """One Airflow metadata database: SQLite on Airflow 2, a PostgreSQL database on Airflow 3."""

    def __init__(self, folder: str) -> None:
        self.name = f"salesflow_airflow_{uuid.uuid4().hex[:12]}"
        self._admin = None
        if AIRFLOW_MAJOR >= 3:
            import psycopg2

            self._admin = psycopg2.connect(_PG_ADMIN_URL)
            self._admin.autocommit = True
            with self._admin.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{self.name}"')
            base = _PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://", 1)
            self.env = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"{base}/{self.name}"}
        else:
            self.env = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{folder}/{self.name}.db"}

    def migrate(self) -> None:
        run_airflow(["db", "migrate"], self.env, timeout=600)

    def create_pools(self, env: Mapping[str, str]) -> None:
        """The DAG's pools, created as the deploy creates them (salesflow_pools.py, then
        `airflow pools import`), for the config ``env`` selects."""
        pools = Path(tempfile.mkdtemp(prefix="salesflow-pools-")) / "pools.json"
        written = subprocess.run([sys.executable, str(DAGS_FOLDER / "salesflow_pools.py")], env={**os.environ, **env}, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
        pools.write_text(written.stdout)
        run_airflow(["pools", "import", str(pools)], {**env, **self.env})
        shutil.rmtree(pools.parent, ignore_errors=True)

    def drop(self) -> None:
        if self._admin is not None:
            with self._admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._admin.close()


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """The metadata database this process reads (SQLite in AIRFLOW_HOME), migrated, for in-process
    tests that look up connections."""
    run_airflow(["db", "migrate"], timeout=600)


@pytest.fixture
def metadata_db(tmp_path: Path, pipeline_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A fresh migrated metadata database for one test's `airflow` commands, with the DAG's pools
    for the pipeline's config: runs of other tests (and their depends_on_past history) stay out of
    it. Yields the environment that selects it."""
    db = MetadataDatabase(str(tmp_path))
    try:
        db.migrate()
        db.create_pools(pipeline_env)
        yield db.env
    finally:
        db.drop()


@pytest.fixture(scope="session", autouse=True)
def _remove_airflow_home() -> Iterator[None]:
    yield
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def built_steps() -> Path:
    """The steps' build output that the local runner and the images run."""
    missing = [step for step in ("setup", "ingest", "standardize", "mask", "build-star-schema", "check-quality", "load-warehouse", "sample-data") if not (REPO_ROOT / "tasks" / step / "dist" / "main.js").exists()]
    if missing:
        raise AssertionError(f"tasks/{{{','.join(missing)}}}/dist/main.js missing: run `npm run build` first")
    return REPO_ROOT


def land_sample_data(landing: Path, ds: str) -> Path:
    """The day's landing files, made by tasks/sample-data as `npm run demo` makes them (smaller).

    The generator numbers transactions from TXN00000001 whatever the date, and the warehouse keys
    fact_sales by transaction_id, so each day's ids are moved into a range of their own
    (day of year x 100,000 + n), as a real source's would differ from day to day. They keep the
    8 digits the demo config's regex check expects."""
    folder = landing / f"dt={ds}"
    subprocess.run(
        ["node", "tasks/sample-data/dist/main.js", "--out", str(folder), "--ds", ds, "--seed", "42", "--scale", "0.2"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    for csv in folder.glob("sales_transactions*.csv"):
        day = date.fromisoformat(ds).timetuple().tm_yday
        csv.write_text(re.sub(r"\bTXN(\d+)", lambda m: f"TXN{day * 100_000 + int(m.group(1)):08d}", csv.read_text()))
    return folder


@pytest.fixture
def pipeline_env(tmp_path: Path, built_steps: Path) -> dict[str, str]:
    """Environment of a DAG run with the local runner on the embedded default (demo_config.yaml),
    its lake, landing folder and SQLite warehouse in this test's temp folder."""
    return {
        "SALESFLOW_RUNNER": "local",
        "SALESFLOW_RETRIES": "0",
        "LAKE_ROOT": str(tmp_path / "lake"),
        "LANDING_PATH": str(tmp_path / "landing"),
        "WAREHOUSE_SQLITE": str(tmp_path / "warehouse.sqlite"),
        "LOG_LEVEL": "warn",
        # Alerts go nowhere unless a test points them at its recorder.
        "SALESFLOW_ALERT_WEBHOOK_URL": "",
    }


class AlertRecorder:
    """A local HTTP server that records every JSON body POSTed to it: the alert webhook's far end."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.bodies: list[dict] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                recorder.bodies.append(json.loads(self.rfile.read(length) or b"null"))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def events(self) -> list[str]:
        return [body.get("event") if isinstance(body, dict) else None for body in self.bodies]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def alert_recorder() -> Iterator[AlertRecorder]:
    recorder = AlertRecorder()
    try:
        yield recorder
    finally:
        recorder.close()

"""Exit codes to task outcomes: the local runner (a real child process), and the translation the
Docker and Kubernetes operators apply to a failed step's output (here the output of a real step
program, since no Docker engine or cluster runs in the tests)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import AIRFLOW_MAJOR, REPO_ROOT
from salesflow_steps import LocalStepOperator, StepFailedError, _failure_summary, parse_summary, step_failure

if AIRFLOW_MAJOR >= 3:
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
else:
    from airflow.exceptions import AirflowFailException, AirflowSkipException


def fake_step(home: Path, body: str) -> LocalStepOperator:
    """A step program in a temp home, run exactly as the local runner runs a real one."""
    main = home / "tasks" / "fake" / "dist" / "main.js"
    main.parent.mkdir(parents=True)
    main.write_text(body)
    return LocalStepOperator(task_id="fake", step="fake", arguments=["--ds", "2026-11-26"], home=str(home))


def test_the_local_runner_hands_a_step_only_its_own_environment(tmp_path, monkeypatch):
    """As a container would get it (the docker runner's step_environment): mask's keys never reach
    standardize, Airflow's own settings reach no step, and what a process needs (PATH, HOME...) does."""
    monkeypatch.setenv("MASK_TOKENIZE_KEY", "tokenize-key-only-for-mask")
    monkeypatch.setenv("VAULT_KEY", "vault-key-only-for-mask")
    monkeypatch.setenv("WAREHOUSE_PASSWORD", "only-for-load-warehouse")
    monkeypatch.setenv("SALES_DB_PASSWORD", "only-for-ingest-sales-db")
    monkeypatch.setenv("WAREHOUSE_HOST", "warehouse.test")
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", "airflow-own-secret")
    monkeypatch.setenv("TZ", "UTC")
    dump = "process.stdout.write(JSON.stringify(process.env) + '\\n');"
    for step in ("standardize", "mask", "ingest"):
        main = tmp_path / "tasks" / step / "dist" / "main.js"
        main.parent.mkdir(parents=True)
        main.write_text(dump)

    def env_of(step: str, source: str | None = None) -> dict:
        return LocalStepOperator(task_id=step, step=step, source=source, arguments=[], home=str(tmp_path)).execute({})

    standardize = env_of("standardize")
    assert not {"MASK_TOKENIZE_KEY", "VAULT_KEY", "WAREHOUSE_PASSWORD", "SALES_DB_PASSWORD", "AIRFLOW__CORE__FERNET_KEY"} & set(standardize)
    assert "tokenize-key-only-for-mask" not in json.dumps(standardize)
    assert standardize["WAREHOUSE_HOST"] == "warehouse.test"
    assert standardize["PATH"] == os.environ["PATH"] and standardize["HOME"] == os.environ["HOME"] and standardize["TZ"] == "UTC"
    mask = env_of("mask")
    assert (mask["MASK_TOKENIZE_KEY"], mask["VAULT_KEY"]) == ("tokenize-key-only-for-mask", "vault-key-only-for-mask")
    assert not {"WAREHOUSE_PASSWORD", "SALES_DB_PASSWORD", "AIRFLOW__CORE__FERNET_KEY"} & set(mask)
    ingest = env_of("ingest", "sales_db")
    assert ingest["SALES_DB_PASSWORD"] == "only-for-ingest-sales-db"
    assert not {"MASK_TOKENIZE_KEY", "VAULT_KEY", "WAREHOUSE_PASSWORD", "AIRFLOW__CORE__FERNET_KEY"} & set(ingest)


def failing(code: int, error: str) -> str:
    return (
        f"process.stderr.write(JSON.stringify({{level:'error', msg:'fake failed: {error}'}}) + '\\n');"
        f"process.stdout.write(JSON.stringify({{step:'fake', status:'failed', exit_code:{code}, error:'{error}'}}) + '\\n'); process.exitCode = {code};"
    )


def test_success_returns_the_summary_line(tmp_path):
    op = fake_step(
        tmp_path,
        "process.stderr.write(JSON.stringify({level:'info', msg:'working'}) + '\\n');"
        "process.stdout.write('not the summary\\n' + JSON.stringify({step:'fake', args: process.argv.slice(2), cwd: process.cwd()}) + '\\n');",
    )
    assert op.execute({}) == {"step": "fake", "args": ["--ds", "2026-11-26"], "cwd": str(tmp_path)}


def test_exit_99_skips(tmp_path):
    with pytest.raises(AirflowSkipException, match="exited 99"):
        fake_step(tmp_path, "process.exitCode = 99;").execute({})


@pytest.mark.parametrize(("code", "meaning"), [(2, "usage or config error"), (3, "data quality failed"), (4, "bad input beyond the configured tolerance")])
def test_exits_2_3_and_4_fail_without_retries_with_the_steps_error_line(tmp_path, code, meaning, caplog, capsys):
    op = fake_step(tmp_path, failing(code, f"rule amount_positive failed on 12 rows {code}"))
    with pytest.raises(AirflowFailException) as raised:
        op.execute({})
    assert str(raised.value) == f"fake exited {code} ({meaning}), not retried: rule amount_positive failed on 12 rows {code}"
    # The task log shows the step's own error line, not only a traceback.
    # (Airflow 2 logs through logging, Airflow 3 through structlog to stdout.)
    logged = caplog.text + capsys.readouterr().out
    assert f"[error" in logged.replace("ERROR", "[error") and f"not retried: rule amount_positive failed on 12 rows {code}" in logged


def test_exit_1_fails_and_is_retried(tmp_path):
    op = fake_step(tmp_path, failing(1, "connect ECONNREFUSED 127.0.0.1:5432"))
    with pytest.raises(StepFailedError, match=r"fake exited 1 \(retried if tries are left\): connect ECONNREFUSED") as raised:
        op.execute({})
    assert not isinstance(raised.value, (AirflowFailException, AirflowSkipException))


def test_a_crash_without_a_summary_is_retried(tmp_path):
    with pytest.raises(StepFailedError, match="exited 137"):
        fake_step(tmp_path, "process.exitCode = 137;").execute({})


def test_docker_and_kubernetes_failures_are_read_from_the_steps_own_output(built_steps):
    """What DockerOperator's DockerContainerFailedException carries (the container's log lines) and
    what the pod operator's error holds (the termination message, the log's end under
    FallbackToLogsOnError), made from a real step that fails on its config (exit 2)."""
    result = subprocess.run(
        ["node", "tasks/ingest/dist/main.js", "--config", "/nonexistent/pipeline.yaml", "--ds", "2026-11-26", "--source", "landing"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    docker_logs = [line.encode() for line in (result.stderr + result.stdout).splitlines()]
    summary = _failure_summary(docker_logs)
    assert summary["exit_code"] == 2 and "/nonexistent/pipeline.yaml" in summary["error"]
    failure = step_failure("ingest", summary["exit_code"], summary)
    assert isinstance(failure, AirflowFailException) and "not retried" in str(failure) and "/nonexistent/pipeline.yaml" in str(failure)
    pod_error = "Pod salesflow-ingest-landing-x1y2 returned a failure.\n" + "\n".join((result.stderr + result.stdout).splitlines()[-80:])
    assert _failure_summary(pod_error) == summary
    # A transient failure keeps its retries.
    assert isinstance(step_failure("ingest", 1, {"error": "ECONNRESET"}), StepFailedError)
    assert step_failure("ingest", None, {}, fallback="Docker container failed: {'StatusCode': 137}").args[0].endswith("{'StatusCode': 137}")


def test_one_summary_type_from_every_runner():
    summary = {"step": "mask", "rows_out": 10}
    docker_last_line = '{"step": "mask", "rows_out": 10}'
    assert parse_summary(docker_last_line) == summary  # DockerOperator: the last line, text
    assert parse_summary(docker_last_line.encode()) == summary
    assert parse_summary(summary) == summary  # the pod's return.json, parsed by the operator
    assert parse_summary('{"level":"info"}\nnot json\n') == {"level": "info"}
    assert parse_summary("no summary") is None and parse_summary(None) is None

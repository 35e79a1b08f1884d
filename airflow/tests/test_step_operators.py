"""Exit codes to task outcomes, for the local runner (a real child process) and the policy the
Docker and Kubernetes operators are given."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import AIRFLOW_MAJOR  # noqa: F401  (sets Airflow's environment before the import below)
from salesflow_steps import ExitCodePolicy, LocalStepOperator

if AIRFLOW_MAJOR >= 3:
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
else:
    from airflow.exceptions import AirflowFailException, AirflowSkipException
from airflow.exceptions import AirflowException


def fake_step(home: Path, body: str) -> LocalStepOperator:
    """A step program in a temp home, run exactly as the local runner runs a real one."""
    main = home / "tasks" / "fake" / "dist" / "main.js"
    main.parent.mkdir(parents=True)
    main.write_text(body)
    return LocalStepOperator(task_id="fake", step="fake", arguments=["--ds", "2026-11-26"], home=str(home))


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


def test_exit_2_fails_without_retries(tmp_path):
    with pytest.raises(AirflowFailException, match="exited 2"):
        fake_step(tmp_path, "process.exitCode = 2;").execute({})


@pytest.mark.parametrize("code", [1, 3, 4])
def test_other_codes_fail_and_may_retry(tmp_path, code):
    op = fake_step(tmp_path, f"process.stdout.write(JSON.stringify({{status:'failed', error:'boom {code}'}}) + '\\n'); process.exitCode = {code};")
    with pytest.raises(AirflowException, match=f"exited {code}: boom {code}") as raised:
        op.execute({})
    assert not isinstance(raised.value, (AirflowFailException, AirflowSkipException))


def test_exit_code_policy_for_docker_and_kubernetes():
    policy = ExitCodePolicy()
    assert 99 in policy
    assert 0 not in policy and 1 not in policy and 3 not in policy
    assert list(policy) == [99] and len(policy) == 1 and bool(policy)
    with pytest.raises(AirflowFailException, match="exited 2"):
        2 in policy  # noqa: B015  (the operators ask exactly this)

"""The day a run processes: its data interval, as the step contract's ``--ds`` and interval arguments.

A step takes its day from the run's data interval, never from the trigger's clock:

- a scheduled run or a backfill run: its own interval (the run at 02:00 on D covers
  D-1 02:00 .. D 02:00, so ``ds`` = D-1);
- a manual run with a logical date: the interval Airflow gave it (on Airflow 3 the last complete
  interval before the trigger; a trigger at 12-07 10:00 covers 12-06 02:00 .. 12-07 02:00, ds 12-06);
- a manual run without a logical date (Airflow 3 ``airflow dags trigger`` without ``-l``): the last
  interval complete when the run was created;
- the param ``ds`` (a run's conf ``{"ds": "YYYY-MM-DD"}``) overrides all of these: the interval that
  starts on that day.

``step_interval`` is a Jinja macro of the DAG (``salesflow_interval``); it is pure apart from the
run's own fields, so it gives the same answer on every retry of a task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping

from croniter import croniter

_DS = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StepIntervalError(ValueError):
    """The run's day cannot be decided; the message says which setting to fix."""


@dataclass(frozen=True)
class StepInterval:
    """One data interval [start, end) and the day (``ds``) it stands for: start's date in UTC."""

    start: datetime
    end: datetime

    @property
    def ds(self) -> str:
        return self.start.astimezone(timezone.utc).date().isoformat()

    @property
    def start_iso(self) -> str:
        return _iso(self.start)

    @property
    def end_iso(self) -> str:
        return _iso(self.end)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def interval_starting_on(schedule: str, ds: str) -> StepInterval:
    """The schedule's interval whose start falls on the day ``ds`` (UTC)."""
    if not isinstance(ds, str) or not _DS.match(ds):
        raise StepIntervalError(f"param ds={ds!r} is not a date: trigger with the conf {{\"ds\": \"YYYY-MM-DD\"}}, or leave ds out to use the run's data interval")
    try:
        day = date.fromisoformat(ds)
    except ValueError:
        raise StepIntervalError(f"param ds={ds!r} is not a calendar date: trigger with the conf {{\"ds\": \"YYYY-MM-DD\"}}") from None
    midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    start = croniter(schedule, midnight - timedelta(microseconds=1)).get_next(datetime)
    end = croniter(schedule, start).get_next(datetime)
    return StepInterval(start, end)


def last_complete_interval(schedule: str, moment: datetime) -> StepInterval:
    """The schedule's latest interval that ended at or before ``moment``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    # croniter's get_prev is strictly before: a moment exactly on the schedule ends that interval.
    end = croniter(schedule, moment + timedelta(microseconds=1)).get_prev(datetime)
    start = croniter(schedule, end).get_prev(datetime)
    return StepInterval(start, end)


def step_interval(schedule: str, params: Mapping[str, Any] | None, dag_run: Any, data_interval_start: Any, data_interval_end: Any) -> StepInterval:
    """The interval a task of this run processes (see the module's docstring for the rules)."""
    ds = (params or {}).get("ds")
    if ds not in (None, ""):
        return interval_starting_on(schedule, ds)
    if isinstance(data_interval_start, datetime) and isinstance(data_interval_end, datetime):
        return StepInterval(data_interval_start, data_interval_end)
    run_after = getattr(dag_run, "run_after", None)
    if isinstance(run_after, datetime):
        return last_complete_interval(schedule, run_after)
    raise StepIntervalError(
        "this run has neither a data interval nor a run_after time: trigger it with a logical date "
        "(airflow dags trigger -l YYYY-MM-DDTHH:MM:SS+00:00) or with the conf {\"ds\": \"YYYY-MM-DD\"}"
    )

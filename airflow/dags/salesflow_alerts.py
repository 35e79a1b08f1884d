"""Alerts of the salesflow DAG: one notifier, the channels a team configures.

``SalesflowAlert(event)`` is an Airflow notifier: the DAG gives it as the tasks'
``on_failure_callback`` (event ``task_failed``) and ``on_retry_callback`` (``task_retry``) and as
the DAG run's ``on_failure_callback`` (``dag_run_failed``, which includes a ``dagrun_timeout``).
``notify_deadline_missed`` is the Airflow 3 deadline alert's callback (``deadline_missed``) and
``notify_sla_missed`` the Airflow 2 ``sla_miss_callback`` (``sla_missed``).

Channels, each off unless set (read when an alert is sent, in the worker, never at parse time):

- ``SALESFLOW_ALERT_WEBHOOK_URL``: a generic HTTP hook; the alert is POSTed as JSON
  (``{"event", "dag_id", "run_id", "task_id", "ds", "try_number", "error", "log_url"}``);
- ``SALESFLOW_ALERT_SLACK_WEBHOOK_URL``: a Slack incoming webhook (``{"text": ...}``);
- ``SALESFLOW_ALERT_EMAIL_TO`` (comma-separated) with ``SALESFLOW_ALERT_SMTP_HOST``,
  ``SALESFLOW_ALERT_SMTP_PORT`` (587), ``SALESFLOW_ALERT_SMTP_USER``,
  ``SALESFLOW_ALERT_SMTP_PASSWORD``, ``SALESFLOW_ALERT_SMTP_STARTTLS`` (true),
  ``SALESFLOW_ALERT_EMAIL_FROM`` (salesflow@localhost).

Each URL and the SMTP password may instead be a mounted file: ``<NAME>_FILE`` holds its path.
Webhook URLs carry their token, so no log line prints them.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.request
from email.message import EmailMessage
from typing import Any, Mapping

try:  # Airflow 3
    from airflow.sdk import BaseNotifier
except ImportError:  # Airflow 2.9+
    from airflow.notifications.basenotifier import BaseNotifier

log = logging.getLogger(__name__)

EVENTS = ("task_failed", "task_retry", "dag_run_failed", "deadline_missed", "sla_missed")
HTTP_TIMEOUT_S = 10


class AlertConfigError(ValueError):
    """An alert setting cannot be used; the message names it and the fix."""


def _setting(env: Mapping[str, str], name: str) -> str:
    """``name`` from the environment, or the content of the file ``<name>_FILE`` names."""
    value = env.get(name, "").strip()
    if value:
        return value
    path = env.get(f"{name}_FILE", "").strip()
    if not path:
        return ""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as error:
        raise AlertConfigError(f"{name}_FILE={path!r} cannot be read ({error.strerror}): mount the secret there or unset {name}_FILE") from None


def _text(alert: Mapping[str, Any]) -> str:
    where = alert["dag_id"] + (f".{alert['task_id']}" if alert.get("task_id") else "")
    line = f"salesflow {alert['event']}: {where} ds={alert.get('ds') or '?'} run={alert.get('run_id') or '?'}"
    if alert.get("try_number"):
        line += f" try={alert['try_number']}"
    if alert.get("error"):
        line += f"\n{alert['error']}"
    if alert.get("log_url"):
        line += f"\nlog: {alert['log_url']}"
    return line


def _post_json(url: str, body: Mapping[str, Any], channel: str) -> None:
    request = urllib.request.Request(url, data=json.dumps(body, default=str).encode(), headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            response.read()
    except OSError as error:
        # The URL holds the hook's token: name the channel, never the URL.
        raise AlertConfigError(f"the {channel} alert could not be sent ({error}); check {channel}") from None


def _send_email(env: Mapping[str, str], recipients: list[str], alert: Mapping[str, Any]) -> None:
    host = _setting(env, "SALESFLOW_ALERT_SMTP_HOST")
    if not host:
        raise AlertConfigError("SALESFLOW_ALERT_EMAIL_TO is set but SALESFLOW_ALERT_SMTP_HOST is not: set the SMTP server to send through")
    port = int(env.get("SALESFLOW_ALERT_SMTP_PORT") or 587)
    message = EmailMessage()
    message["From"] = env.get("SALESFLOW_ALERT_EMAIL_FROM") or "salesflow@localhost"
    message["To"] = ", ".join(recipients)
    message["Subject"] = _text(alert).splitlines()[0]
    message.set_content(_text(alert))
    with smtplib.SMTP(host, port, timeout=HTTP_TIMEOUT_S) as smtp:
        if (env.get("SALESFLOW_ALERT_SMTP_STARTTLS") or "true").lower() == "true":
            smtp.starttls()
        user = _setting(env, "SALESFLOW_ALERT_SMTP_USER")
        if user:
            smtp.login(user, _setting(env, "SALESFLOW_ALERT_SMTP_PASSWORD"))
        smtp.send_message(message)


def send_alert(alert: Mapping[str, Any], env: Mapping[str, str] | None = None) -> list[str]:
    """Sends ``alert`` to every configured channel; returns the channels it went to."""
    env = os.environ if env is None else env
    sent: list[str] = []
    webhook = _setting(env, "SALESFLOW_ALERT_WEBHOOK_URL")
    if webhook:
        _post_json(webhook, alert, "SALESFLOW_ALERT_WEBHOOK_URL")
        sent.append("webhook")
    slack = _setting(env, "SALESFLOW_ALERT_SLACK_WEBHOOK_URL")
    if slack:
        _post_json(slack, {"text": _text(alert)}, "SALESFLOW_ALERT_SLACK_WEBHOOK_URL")
        sent.append("slack")
    recipients = [r.strip() for r in (env.get("SALESFLOW_ALERT_EMAIL_TO") or "").split(",") if r.strip()]
    if recipients:
        _send_email(env, recipients, alert)
        sent.append("email")
    if not sent:
        log.warning(
            "salesflow alert %s not sent: no channel configured (set SALESFLOW_ALERT_WEBHOOK_URL, SALESFLOW_ALERT_SLACK_WEBHOOK_URL or SALESFLOW_ALERT_EMAIL_TO)",
            alert["event"],
        )
    return sent


def _run_ds(context: Mapping[str, Any]) -> str | None:
    """The step day of the run, as the tasks received it (the rendered ``--ds``), when known."""
    task = context.get("task")
    for argument_list in (getattr(task, "arguments", None), getattr(task, "command", None)):
        if isinstance(argument_list, list) and "--ds" in argument_list:
            index = argument_list.index("--ds") + 1
            if index < len(argument_list) and not str(argument_list[index]).startswith("{{"):
                return str(argument_list[index])
    interval_start = context.get("data_interval_start")
    return interval_start.date().isoformat() if hasattr(interval_start, "date") else None


class SalesflowAlert(BaseNotifier):
    """Sends one ``event`` (see EVENTS) for the task or run in the callback's context."""

    template_fields = ()

    def __init__(self, event: str) -> None:
        super().__init__()
        if event not in EVENTS:
            raise AlertConfigError(f"alert event {event!r} is not one of {', '.join(EVENTS)}")
        self.event = event

    def notify(self, context: Mapping[str, Any]) -> None:
        ti = context.get("ti") or context.get("task_instance")
        dag_run = context.get("dag_run")
        dag = context.get("dag")
        error = context.get("exception") or context.get("reason")
        alert = {
            "event": self.event,
            "dag_id": getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", None) or "?",
            "run_id": getattr(dag_run, "run_id", None) or context.get("run_id"),
            "task_id": getattr(ti, "task_id", None) if self.event.startswith("task_") else None,
            "ds": _run_ds(context),
            "try_number": getattr(ti, "try_number", None) if self.event.startswith("task_") else None,
            "error": str(error)[:2000] if error else None,
            "log_url": getattr(ti, "log_url", None) if self.event.startswith("task_") else None,
        }
        send_alert(alert)


def notify_deadline_missed(context: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """Airflow 3 deadline alert callback (runs in the executor): the load did not finish in time."""
    dag_run = (context or {}).get("dag_run") or {}
    deadline = (context or {}).get("deadline") or {}
    interval_start = dag_run.get("data_interval_start") or dag_run.get("logical_date") or ""
    send_alert(
        {
            "event": "deadline_missed",
            "dag_id": dag_run.get("dag_id") or kwargs.get("dag_id") or "?",
            "run_id": dag_run.get("dag_run_id") or dag_run.get("run_id"),
            "task_id": None,
            "ds": str(interval_start)[:10] or None,
            "try_number": None,
            "error": f"load_warehouse had not finished by {deadline.get('deadline_time')} ({kwargs.get('deadline_label', 'the load deadline')})",
            "log_url": None,
        }
    )


def notify_sla_missed(dag: Any, task_list: str, blocking_task_list: str, slas: Any, blocking_tis: Any) -> None:
    """Airflow 2 ``sla_miss_callback`` (runs in the DAG processor)."""
    send_alert(
        {
            "event": "sla_missed",
            "dag_id": getattr(dag, "dag_id", "?"),
            "run_id": None,
            "task_id": None,
            "ds": None,
            "try_number": None,
            "error": f"SLA missed by: {task_list.strip()}; blocking: {blocking_task_list.strip() or 'none'}",
            "log_url": None,
        }
    )

"""The alert channels, each against a local server of ours: the generic HTTP hook and the Slack
webhook (an HTTP server that records the bodies), email (a minimal SMTP server that records the
message). The DAG's callbacks are exercised under real Airflow in test_pipeline_runs.py."""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading

import pytest

from conftest import AlertRecorder
from salesflow_alerts import AlertConfigError, send_alert

ALERT = {"event": "task_failed", "dag_id": "data_pipeline_dag", "run_id": "scheduled__2026-11-26T02:00:00+00:00", "task_id": "check_quality", "ds": "2026-11-26", "try_number": 1, "error": "check-quality exited 3 (data quality failed), not retried: rule amount_positive failed on 12 rows", "log_url": None}


class SmtpSink:
    """Just enough SMTP (no TLS, no auth) to receive one message: records the DATA section."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 sink\r\n")
                while line := self.rfile.readline():
                    command = line.decode().strip().upper()
                    if command == "DATA":
                        self.wfile.write(b"354 go\r\n")
                        body = []
                        while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                            body.append(data)
                        sink.messages.append("".join(body))
                        self.wfile.write(b"250 ok\r\n")
                    elif command == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    elif command.startswith(("EHLO", "HELO")):
                        self.wfile.write(b"250 sink\r\n")
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def recorder():
    recorder = AlertRecorder()
    yield recorder
    recorder.close()


def test_generic_hook_and_slack_get_the_alert(recorder, tmp_path):
    slack_url = tmp_path / "slack-url"
    slack_url.write_text(recorder.url + "/slack\n")
    sent = send_alert(ALERT, {"SALESFLOW_ALERT_WEBHOOK_URL": recorder.url, "SALESFLOW_ALERT_SLACK_WEBHOOK_URL_FILE": str(slack_url)})
    assert sent == ["webhook", "slack"]
    hook, slack = recorder.bodies
    assert hook == ALERT
    assert slack["text"].startswith("salesflow task_failed: data_pipeline_dag.check_quality ds=2026-11-26 run=scheduled__2026-11-26T02:00:00+00:00 try=1\n")
    assert "rule amount_positive failed on 12 rows" in slack["text"]


def test_email_goes_through_the_configured_smtp_server():
    sink = SmtpSink()
    try:
        sent = send_alert(ALERT, {"SALESFLOW_ALERT_EMAIL_TO": "oncall@example.com, data@example.com", "SALESFLOW_ALERT_SMTP_HOST": "127.0.0.1", "SALESFLOW_ALERT_SMTP_PORT": str(sink.port), "SALESFLOW_ALERT_SMTP_STARTTLS": "false"})
    finally:
        sink.close()
    assert sent == ["email"]
    [raw] = sink.messages
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["To"] == "oncall@example.com, data@example.com"
    assert message["Subject"].startswith("salesflow task_failed: data_pipeline_dag.check_quality ds=2026-11-26")
    assert "rule amount_positive failed on 12 rows" in message.get_content()


def test_no_channel_sends_nothing_and_says_which_settings_to_set(caplog):
    assert send_alert(ALERT, {}) == []
    assert "SALESFLOW_ALERT_WEBHOOK_URL" in caplog.text


def test_an_unreachable_hook_names_the_setting_never_the_url():
    secret_url = "http://127.0.0.1:9/services/T000/B000/secret-token"
    with pytest.raises(AlertConfigError) as raised:
        send_alert(ALERT, {"SALESFLOW_ALERT_SLACK_WEBHOOK_URL": secret_url})
    assert "SALESFLOW_ALERT_SLACK_WEBHOOK_URL" in str(raised.value) and "secret-token" not in str(raised.value)
    with pytest.raises(AlertConfigError, match="SALESFLOW_ALERT_SMTP_HOST"):
        send_alert(ALERT, {"SALESFLOW_ALERT_EMAIL_TO": "oncall@example.com"})
    with pytest.raises(AlertConfigError, match="SALESFLOW_ALERT_WEBHOOK_URL_FILE"):
        send_alert(ALERT, {"SALESFLOW_ALERT_WEBHOOK_URL_FILE": "/nonexistent/hook"})

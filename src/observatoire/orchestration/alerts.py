"""Failure alerts for every DAG (DESIGN.md §6: failures "raise an alert and are visible in the UI").

The callback always logs an ``ALERT`` line (collected with the task's logs and by any log shipper).
It also sends an e-mail when the deployment has configured mail and given recipients in
``OBSERVATOIRE_ALERT_EMAILS`` (comma-separated):

- with an ``smtp_default`` connection (e.g. ``AIRFLOW_CONN_SMTP_DEFAULT``), through the SMTP provider's
  ``SmtpNotifier``;
- otherwise with Airflow's ``[smtp]`` settings (``AIRFLOW__SMTP__SMTP_HOST`` …) through ``send_email``.

An alert must never hide the original failure: any error while e-mailing is logged and swallowed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("observatoire.alerts")

RECIPIENTS_ENV = "OBSERVATOIRE_ALERT_EMAILS"


def recipients() -> list[str]:
    return [a.strip() for a in os.environ.get(RECIPIENTS_ENV, "").split(",") if a.strip()]


def describe(context: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and body of the alert for a task or DAG-run failure context."""
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    dag_id = getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", "?")
    task_id = getattr(ti, "task_id", None)
    run_id = getattr(ti, "run_id", None) or getattr(dag_run, "run_id", "?")
    error = context.get("exception") or context.get("reason") or "unknown error"
    what = f"{dag_id}.{task_id}" if task_id else str(dag_id)
    subject = f"[Observatoire] failure: {what} (run {run_id})"
    body = (
        f"DAG: {dag_id}\nTask: {task_id or '-'}\nRun: {run_id}\n"
        f"Try: {getattr(ti, 'try_number', '-')}\nError: {error}\n"
        "Open the Airflow UI for the logs. A failed publication leaves the previous published file in place."
    )
    return subject, body


def _smtp_connection_defined() -> bool:
    return bool(os.environ.get("AIRFLOW_CONN_SMTP_DEFAULT"))


def _smtp_settings_defined() -> bool:
    return bool(os.environ.get("AIRFLOW__SMTP__SMTP_HOST"))


def send_alert_email(subject: str, body: str, to: list[str]) -> str | None:
    """E-mail the alert if mail is configured; returns the channel used, or None."""
    if not to:
        return None
    html = "<pre>" + body.replace("&", "&amp;").replace("<", "&lt;") + "</pre>"
    if _smtp_connection_defined():
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        SmtpNotifier(to=to, subject=subject, html_content=html).notify({})
        return "smtp_default connection"
    if _smtp_settings_defined():
        from airflow.utils.email import send_email  # noqa: AIR301 - [smtp] settings path, still supported

        send_email(to=to, subject=subject, html_content=html)
        return "[smtp] settings"
    return None


def on_failure(context: Mapping[str, Any]) -> None:
    """``on_failure_callback`` of every Observatoire task and DAG."""
    subject, body = describe(context)
    log.error("ALERT %s\n%s", subject, body)
    try:
        channel = send_alert_email(subject, body, recipients())
        if channel:
            log.info("alert e-mailed to %s via %s", ", ".join(recipients()), channel)
    except Exception:  # noqa: BLE001 - the alert must not mask the failure it reports
        log.exception("could not e-mail the alert")

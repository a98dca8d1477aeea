"""A small client of Airflow 3's public REST API (v2) with a JWT from ``/auth/token``.

Only what the production check needs: health, DAGs, pausing, triggering, runs and task instances.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

TERMINAL_RUN_STATES = frozenset({"success", "failed"})


class ApiError(RuntimeError):
    pass


class AirflowClient:
    def __init__(self, base_url: str, username: str, password: str, timeout_s: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.timeout_s = timeout_s
        self.session = requests.Session()
        self._token: str | None = None

    def login(self) -> str:
        """A JWT for the configured user (FAB auth manager's ``POST /auth/token``)."""
        response = self.session.post(
            f"{self.base_url}/auth/token",
            json={"username": self.username, "password": self.password},
            timeout=self.timeout_s,
        )
        if response.status_code >= 400:
            raise ApiError(f"login as {self.username!r} refused: HTTP {response.status_code} {response.text[:200]}")
        token = response.json().get("access_token")
        if not token:
            raise ApiError(f"no access_token in the /auth/token answer: {response.text[:200]}")
        self._token = str(token)
        return self._token

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._token is None:
            self.login()
        for attempt in (1, 2):
            response = self.session.request(
                method,
                f"{self.base_url}{path}",
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=self.timeout_s,
                **kwargs,
            )
            if response.status_code == 401 and attempt == 1:
                self.login()  # the token expired: log in again once
                continue
            if response.status_code >= 400:
                raise ApiError(f"{method} {path}: HTTP {response.status_code} {response.text[:300]}")
            return response.json() if response.content else None
        raise ApiError(f"{method} {path}: unauthorised")

    def unauthenticated_status(self, path: str) -> int:
        return self.session.get(f"{self.base_url}{path}", timeout=self.timeout_s).status_code

    # ---- DAGs and runs ------------------------------------------------------------------------------

    def dag_ids(self) -> set[str]:
        payload = self.request("GET", "/api/v2/dags", params={"limit": 1000})
        return {dag["dag_id"] for dag in payload.get("dags", [])}

    def wait_for_dags(self, dag_ids: set[str], timeout_s: float, progress: Callable[[str], None]) -> None:
        """Until the dag-processor has serialised every DAG in ``dag_ids``."""
        deadline = time.monotonic() + timeout_s
        seen: set[str] = set()
        while time.monotonic() < deadline:
            seen = self.dag_ids()
            if dag_ids <= seen:
                return
            time.sleep(3)
        errors = self.request("GET", "/api/v2/importErrors", params={"limit": 100})
        raise ApiError(
            f"DAGs not parsed within {timeout_s:.0f} s: missing {sorted(dag_ids - seen)}; "
            f"import errors: {[e.get('filename') + ': ' + e.get('stack_trace', '')[-300:] for e in errors.get('import_errors', [])]}"
        )

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.request("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": paused})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        payload = self.request("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return str(payload["dag_run_id"])

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}"))

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        payload = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 100})
        return list(payload.get("dag_runs", []))

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        payload = self.request(
            "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000}
        )
        return list(payload.get("task_instances", []))

    def wait_runs(
        self,
        runs: list[tuple[str, str]],
        timeout_s: float,
        progress: Callable[[str], None],
        alive: Callable[[], None] = lambda: None,
    ) -> dict[tuple[str, str], str]:
        """Poll until every (dag_id, run_id) is finished; returns their states."""
        deadline = time.monotonic() + timeout_s
        states: dict[tuple[str, str], str] = {}
        last_report = 0.0
        while time.monotonic() < deadline:
            alive()
            states = {key: str(self.run(*key).get("state")) for key in runs}
            if all(state in TERMINAL_RUN_STATES for state in states.values()):
                return states
            if time.monotonic() - last_report > 15:
                progress("[prod]   " + ", ".join(f"{dag}={state}" for (dag, _), state in sorted(states.items())))
                last_report = time.monotonic()
            time.sleep(3)
        raise ApiError(f"runs not finished within {timeout_s:.0f} s: {states}")

    def wait_quiet(
        self,
        dag_ids: list[str],
        timeout_s: float,
        progress: Callable[[str], None],
        alive: Callable[[], None] = lambda: None,
    ) -> None:
        """Until no run of these DAGs is running (queued runs of a paused DAG never start)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            alive()
            running = [
                f"{dag_id}/{run['dag_run_id']}"
                for dag_id in dag_ids
                for run in self.runs(dag_id)
                if run.get("state") == "running"
            ]
            if not running:
                return
            progress(f"[prod]   waiting for {', '.join(running)}")
            time.sleep(5)
        raise ApiError(f"runs still running after {timeout_s:.0f} s")

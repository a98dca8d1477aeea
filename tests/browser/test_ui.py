"""The operators' UI: Airflow's api-server with the Observatoire plugin, driven by headless Chromium.

Starts ``airflow api-server`` on an ephemeral loopback port over a home built by the real pipeline,
logs in through Airflow's login page, opens "Similar events", submits the form and checks the
neighbours, forecast and risk; a screenshot is kept under ``test-artifacts/``. A request without an
Airflow session is refused.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.orchestration.support import (  # shared demo home, built once
    REPO,
    built_demo_home,
    observatoire_env,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home, _ = built_demo_home(tmp_path_factory.getbasetemp())
    port = _free_port()
    # The same embedded configuration `observatoire airflow-ui` uses, on this port.
    env = observatoire_env(home)
    setup = (
        "import json, sys\n"
        "from observatoire.config import paths\n"
        "from observatoire.orchestration import environment as e\n"
        f"env = e.airflow_environment(paths(), api_port={port})\n"
        "print(json.dumps({**env, 'PASSWORD': e.admin_password(e.airflow_home(paths()))}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", setup], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    import json

    airflow_env = json.loads(out.stdout.strip().splitlines()[-1])
    password = airflow_env.pop("PASSWORD")
    env.update(airflow_env)
    log = (home / "api-server.log").open("w")
    airflow = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"
    server = subprocess.Popen(
        [airflow, "api-server", "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise AssertionError(f"api-server exited: {(home / 'api-server.log').read_text()[-4000:]}")
            try:
                if requests.get(f"{base}/api/v2/monitor/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(2)
        else:
            raise AssertionError(f"api-server did not start: {(home / 'api-server.log').read_text()[-4000:]}")
        yield {"base": base, "user": "admin", "password": password, "home": str(home)}
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.mark.slow
@pytest.mark.parametrize("page", ["/observatoire/", "/observatoire/similar", "/observatoire/dbt-docs/",
                                  "/observatoire/data-docs/", "/observatoire/transparency/"])
def test_plugin_pages_refuse_requests_without_a_session(ui: dict[str, str], page: str) -> None:
    answer = requests.get(ui["base"] + page, allow_redirects=False, timeout=30)
    assert answer.status_code in (401, 403), answer.text[:300]
    forged = requests.get(ui["base"] + page, headers={"Authorization": "Bearer not-a-token"}, timeout=30)
    assert forged.status_code in (401, 403)
    # A browser is sent to Airflow's login page instead, and back afterwards.
    browser = requests.get(ui["base"] + page, headers={"Accept": "text/html"}, allow_redirects=False, timeout=30)
    assert browser.status_code in (302, 303, 307) and "/auth/login" in browser.headers["location"]


@pytest.mark.slow
def test_plugin_pages_with_a_token(ui: dict[str, str]) -> None:
    token = requests.post(
        ui["base"] + "/auth/token", json={"username": ui["user"], "password": ui["password"]}, timeout=30
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for page in ("/observatoire/", "/observatoire/dbt-docs/", "/observatoire/data-docs/", "/observatoire/transparency/"):
        answer = requests.get(ui["base"] + page, headers=headers, timeout=60)
        assert answer.status_code == 200, (page, answer.text[:300])
    plugins = requests.get(ui["base"] + "/api/v2/plugins", headers=headers, timeout=30).json()["plugins"]
    ours = next(p for p in plugins if p["name"] == "observatoire")
    assert {v["name"] for v in ours["external_views"]} >= {"Similar events", "dbt docs", "Data Docs", "Transparency notice"}
    # Path traversal stays inside the docs folder.
    assert requests.get(ui["base"] + "/observatoire/dbt-docs/%2E%2E/%2E%2E/airflow/airflow.db", headers=headers,
                        timeout=30).status_code == 404


@pytest.mark.slow
@pytest.mark.browser
def test_similar_events_page_in_chromium(ui: dict[str, str]) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make install-browser)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            # Unauthenticated: the plugin page sends the browser to Airflow's login page.
            page.goto(ui["base"] + "/observatoire/similar")
            page.wait_for_url("**/auth/login**")
            page.fill("input[name=username]", ui["user"])
            page.fill("input[name=password]", ui["password"])
            page.click("button[type=submit]")
            page.wait_for_url("**/observatoire/similar**")
            page.screenshot(path=str(ARTIFACTS / "observatoire-similar-form.png"), full_page=True)

            page.select_option("select[name=nature]", "match_football")
            page.select_option("select[name=venue]", "Orange Vélodrome")
            page.fill("input[name=participants]", "55000")
            page.fill("input[name=duration_hours]", "3")
            page.fill("input[name=k]", "5")
            page.click("button[type=submit]")
            page.wait_for_selector("#results")
            rows = page.locator("#neighbours tr.neighbour")
            assert rows.count() == 5
            assert "/ 10" in page.inner_text("#risk-score")
            assert page.locator("#forecast tr").count() > 1
            assert "share" in page.inner_text("#neighbours").lower() or "%" in page.inner_text("#neighbours")
            page.screenshot(path=str(ARTIFACTS / "observatoire-similar-results.png"), full_page=True)

            # The same page inside the Airflow UI's navigation (external view in an iframe).
            page.goto(ui["base"] + "/plugin/observatoire-similar-events")
            page.wait_for_timeout(3000)
            page.screenshot(path=str(ARTIFACTS / "observatoire-airflow-nav.png"), full_page=True)
        finally:
            browser.close()

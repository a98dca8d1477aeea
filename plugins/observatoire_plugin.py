"""Airflow UI plugin: the Observatoire pages, behind Airflow's own login.

The FastAPI app (``observatoire.orchestration.ui.app``) is mounted at ``/observatoire`` and checks the
Airflow session itself: Airflow 3 does not authenticate plugin apps. The external views add the pages
to the UI's navigation (shown in an iframe, same origin, so the session cookie goes along).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from observatoire.orchestration.ui.app import app

_CATEGORY = "Observatoire"


class ObservatoirePlugin(AirflowPlugin):
    name = "observatoire"
    fastapi_apps = [{"app": app, "url_prefix": "/observatoire", "name": "Observatoire pages"}]
    external_views = [
        {
            "name": "Similar events",
            "href": "observatoire/similar",
            "destination": "nav",
            "category": _CATEGORY,
            "url_route": "observatoire-similar-events",
        },
        {
            "name": "dbt docs",
            "href": "observatoire/dbt-docs/",
            "destination": "nav",
            "category": _CATEGORY,
            "url_route": "observatoire-dbt-docs",
        },
        {
            "name": "Data Docs",
            "href": "observatoire/data-docs/",
            "destination": "nav",
            "category": _CATEGORY,
            "url_route": "observatoire-data-docs",
        },
        {
            "name": "Transparency notice",
            "href": "observatoire/transparency/",
            "destination": "nav",
            "category": _CATEGORY,
            "url_route": "observatoire-transparency",
        },
    ]

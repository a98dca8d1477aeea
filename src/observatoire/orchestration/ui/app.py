"""The Observatoire pages inside the Airflow UI (mounted by ``plugins/observatoire_plugin.py``).

- ``/observatoire/``                the index of the pages below
- ``/observatoire/dbt-docs/``       dbt docs (lineage, column descriptions, personal-data classification)
- ``/observatoire/data-docs/``      Great Expectations Data Docs (evidence of every gate run)
- ``/observatoire/transparency/``   the algorithm transparency notice
- ``/observatoire/similar``         "Similar events": a planned event on the eight axes → neighbours,
                                    forecast, risk score and per-axis explanations

Everything is read from ``OBSERVATOIRE_HOME`` at request time (the published file, never the
warehouse), and every route requires an Airflow session (see ``auth.py``).
"""

from __future__ import annotations

import mimetypes
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from ...config import paths
from ...errors import ObservatoireError
from . import similar
from .auth import LoginRequired, login_url, require_user

_templates = Environment(
    loader=PackageLoader("observatoire.orchestration.ui", "templates"),
    autoescape=select_autoescape(["html"]),
)

DOC_SITES: dict[str, tuple[str, str]] = {
    # url segment: (directory under OBSERVATOIRE_HOME/docs, title)
    "dbt-docs": ("dbt", "dbt docs"),
    "data-docs": ("data_docs", "Data Docs (Great Expectations)"),
    "transparency": ("transparency", "Transparency notice"),
}
_INDEX_CANDIDATES = ("index.html", "static_index.html", "notice.html")


def _render(name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(name).render(**values), status_code=status_code)


def _safe_file(root: Path, relative: str) -> Path:
    """The file ``relative`` under ``root``; 404 for anything outside it or missing."""
    root = root.resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise HTTPException(404, "not found")
    if target.is_dir():
        for candidate in _INDEX_CANDIDATES:
            if (target / candidate).is_file():
                return target / candidate
        htmls = sorted(target.glob("*.html"))
        if htmls:
            return htmls[0]
        raise HTTPException(404, "not found")
    if not target.is_file():
        raise HTTPException(404, "not found")
    return target


def create_app() -> FastAPI:
    app = FastAPI(
        title="Observatoire",
        description="Observatoire pages of the Airflow UI (dbt docs, Data Docs, notice, similar events).",
        dependencies=[Depends(require_user)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, error: LoginRequired) -> Response:
        return RedirectResponse(login_url(error.next_url), status_code=303)

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        docs = paths().docs
        sites = [
            {"url": f"{segment}/", "title": title, "available": (docs / directory).is_dir()}
            for segment, (directory, title) in DOC_SITES.items()
        ]
        return _render("index.html", sites=sites, published=paths().published.exists())

    def serve(segment: str, relative: str) -> Response:
        directory, title = DOC_SITES[segment]
        root = paths().docs / directory
        if not root.is_dir():
            return _render("missing.html", status_code=404, title=title, directory=str(root))
        target = _safe_file(root, relative)
        media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return FileResponse(target, media_type=media_type)

    @app.get("/dbt-docs/{relative:path}")
    def dbt_docs(relative: str = "") -> Response:
        return serve("dbt-docs", relative)

    @app.get("/data-docs/{relative:path}")
    def data_docs(relative: str = "") -> Response:
        return serve("data-docs", relative)

    @app.get("/transparency/{relative:path}")
    def transparency(relative: str = "") -> Response:
        return serve("transparency", relative)

    @app.get("/similar", response_class=HTMLResponse)
    def similar_events(request: Request) -> HTMLResponse:
        params = dict(request.query_params)
        form = similar.default_form(_next_saturday())
        form.update({k: v for k, v in params.items() if v != ""})
        published = paths().published
        result = None
        error = None
        if params.get("submit"):
            try:
                result = similar.query(published, similar.planned_event_from_form(form))
            except ObservatoireError as failure:
                error = str(failure)
        return _render(
            "similar.html",
            form=form,
            choices=similar.form_choices(),
            result=result,
            error=error,
            published=published.exists(),
        )

    return app


def _next_saturday() -> datetime:
    today = date.today()
    days = (5 - today.weekday()) % 7 or 7
    return datetime.combine(today + timedelta(days=days), time(21, 0))


app = create_app()

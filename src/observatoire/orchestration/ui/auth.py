"""Airflow's own authentication for the Observatoire pages.

Airflow 3 mounts plugin FastAPI apps without any authentication: each app must check the caller itself.
We reuse the api-server's dependency ``airflow.api_fastapi.core_api.security.get_user``, which accepts
an ``Authorization: Bearer <JWT>`` header or the UI's ``_token`` session cookie and validates it with
the configured auth manager; then we ask the auth manager whether that user may see a custom view.

A browser without a session is redirected to Airflow's login page (and back here afterwards); any
other client gets the 401/403 of ``get_user``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

RESOURCE_NAME = "Observatoire"

_bearer = HTTPBearer(auto_error=False)


class LoginRequired(Exception):
    """Raised for a browser request without a valid session; turned into a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.method == "GET" and "text/html" in accept


async def require_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Any:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.core_api.security import get_user

    try:
        user = await get_user(request, None, credentials)
    except HTTPException:
        if _wants_html(request) and credentials is None:
            raise LoginRequired(str(request.url)) from None
        raise
    if not get_auth_manager().is_authorized_custom_view(method="GET", resource_name=RESOURCE_NAME, user=user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed to see the Observatoire pages")
    return user


def login_url(next_url: str) -> str:
    from airflow.api_fastapi.app import get_auth_manager

    return str(get_auth_manager().get_url_login(next_url=next_url))

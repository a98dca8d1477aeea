"""HTTP client for partner APIs: timeouts, retries with capped exponential backoff, completeness checks.

Retried: timeouts, connection errors, bodies shorter than announced, HTTP 5xx and 429 (honouring
``Retry-After``, capped), and any response a caller's ``validate`` hook declares incomplete. Never
retried: 401/403 (credentials — retrying cannot help) and other 4xx.

Transport: urllib3 (what ``requests`` uses underneath) with one keep-alive connection pool per partner,
called directly: a ten-year pull is thousands of small requests, and ``requests``' per-request work cost
more CPU than the partner's answer. Same behaviour: proxies from the environment (``HTTPS_PROXY``,
``NO_PROXY``… as ``requests`` reads them), certificates verified against ``REQUESTS_CA_BUNDLE`` /
``CURL_CA_BUNDLE`` or certifi's bundle, redirects followed, gzip/deflate bodies decoded.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError, ProtocolError, TimeoutError

from ..errors import ObservatoireError

log = logging.getLogger(__name__)
USER_AGENT = "observatoire-ingestion"
MAX_REDIRECTS = 30


class PartnerUnavailable(ObservatoireError):
    """The partner kept failing (or answering incompletely) after every retry."""


class PartnerRefusedCredentials(ObservatoireError):
    """HTTP 401/403: the token or key in the Airflow connection is missing, wrong or expired."""


class PartnerRequestError(ObservatoireError):
    """A 4xx other than 401/403/404/429: our request is wrong (a bug or a changed partner API)."""


class IncompleteResponse(Exception):
    """A response that arrived cut short; the request is retried."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 60.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 120.0

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based): exponential, capped, with ±20 % jitter."""
        base = min(self.backoff_max_s, self.backoff_s * (2 ** (attempt - 1)))
        return base * random.uniform(0.8, 1.2)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (either delta-seconds or an HTTP date); ``None`` if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class HttpResponse:
    """A complete answer: status, headers (case-insensitive), the whole body."""

    status_code: int
    reason: str
    headers: Mapping[str, str]
    content: bytes
    url: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def _check_length(response: HttpResponse) -> None:
    announced = response.headers.get("Content-Length")
    if announced and announced.isdigit() and "Content-Encoding" not in response.headers:
        if len(response.content) != int(announced):
            raise IncompleteResponse(
                f"body has {len(response.content)} bytes but Content-Length announced {announced}"
            )


def _pool_for(base_url: str) -> urllib3.PoolManager:
    """Connections to the partner: through the environment's proxy for its URL, if any."""
    from requests.utils import get_environ_proxies

    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if not bundle:
        import certifi

        bundle = certifi.where()
    options: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED", "ca_certs": bundle, "maxsize": 1}
    scheme = base_url.split("://", 1)[0].lower()
    proxies = get_environ_proxies(base_url)
    proxy = proxies.get(scheme) or proxies.get("all")
    if proxy:
        return urllib3.ProxyManager(proxy, **options)
    return urllib3.PoolManager(**options)


class PartnerHttpClient:
    """GET requests to one partner, with its authentication headers and the retry policy."""

    def __init__(
        self,
        partner: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        conn_id: str | None = None,
        pool: urllib3.PoolManager | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.partner = partner
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.conn_id = conn_id
        self._pool = pool or _pool_for(self.base_url)
        self._headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate", "Accept": "*/*",
                         **dict(headers or {})}
        self._timeout = urllib3.Timeout(connect=self.policy.connect_timeout_s, read=self.policy.read_timeout_s)
        # Only redirects are followed by urllib3; every other retry is ours (backoff, messages).
        self._retries = urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=MAX_REDIRECTS,
                                      raise_on_redirect=True, raise_on_status=False)
        self._sleep = sleep
        self.requests_made = 0
        self.retries = 0

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def close(self) -> None:
        self._pool.clear()

    def __enter__(self) -> PartnerHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fetch(self, url: str) -> HttpResponse:
        answer = self._pool.request("GET", url, headers=self._headers, timeout=self._timeout,
                                    retries=self._retries, preload_content=True, decode_content=True)
        return HttpResponse(answer.status, answer.reason or "", answer.headers, answer.data,
                            answer.geturl() or url)

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        validate: Callable[[HttpResponse], None] | None = None,
        allow_not_found: bool = False,
    ) -> HttpResponse | None:
        """The complete response to ``GET path``; ``None`` for a 404 when ``allow_not_found``.

        ``validate`` may raise :class:`IncompleteResponse` to have the request retried.
        """
        url = self.url(path)
        full = f"{url}{'&' if '?' in url else '?'}{urlencode(params, doseq=True)}" if params else url
        policy = self.policy
        problem = "no attempt made"
        for attempt in range(1, policy.attempts + 1):
            delay: float | None = None
            try:
                self.requests_made += 1
                response = self._fetch(full)
                status = response.status_code
                if status in (401, 403):
                    raise PartnerRefusedCredentials(self._credentials_message(status, response))
                if status == 404 and allow_not_found:
                    return None
                if status == 429 or status >= 500:
                    problem = f"HTTP {status} {response.reason}"
                    if status == 429:
                        wait = retry_after_seconds(response.headers.get("Retry-After"))
                        if wait is not None:
                            delay = min(wait, policy.retry_after_max_s)
                elif status >= 400:
                    raise PartnerRequestError(
                        f"{self.partner} answered HTTP {status} to {response.url}: {_short(response.text)}"
                    )
                else:
                    _check_length(response)
                    if validate is not None:
                        validate(response)
                    return response
            except MaxRetryError as error:
                cause = error.reason
                if isinstance(cause, NewConnectionError):  # (a ConnectTimeoutError subclass in urllib3)
                    problem = f"ConnectionError: {cause}"
                elif isinstance(cause, TimeoutError):
                    problem = f"Timeout: {cause}"
                elif cause is not None and "redirect" in str(cause).lower():
                    problem = f"too many redirects ({cause})"
                else:
                    problem = f"ConnectionError: {cause or error}"
            except TimeoutError as error:
                problem = f"Timeout: {error}"
            except ProtocolError as error:
                problem = f"body cut short ({error})"
            except HTTPError as error:
                problem = f"ConnectionError: {error}"
            except IncompleteResponse as error:
                problem = f"incomplete response ({error})"
            if attempt == policy.attempts:
                break
            if delay is None:
                delay = policy.backoff(attempt)
            self.retries += 1
            log.warning(
                "%s: attempt %d/%d for %s failed (%s); retrying in %.1f s",
                self.partner, attempt, policy.attempts, url, problem, delay,
            )
            self._sleep(delay)
        raise PartnerUnavailable(
            f"{self.partner} did not give a complete answer to {url} after {policy.attempts} attempts "
            f"(last problem: {problem}); nothing was landed — the pull can be retried safely"
        )

    def _credentials_message(self, status: int, response: HttpResponse) -> str:
        where = f"the password of the Airflow connection {self.conn_id!r}" if self.conn_id else "the token"
        return (
            f"{self.partner} refused our credentials (HTTP {status}: {_short(response.text)}); "
            f"check {where} — nothing was landed"
        )


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

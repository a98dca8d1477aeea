"""The partner HTTP client on its own: keep-alive, redirects, proxies from the environment, retries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3

from observatoire.ingestion.http import (
    PartnerHttpClient,
    PartnerRequestError,
    PartnerUnavailable,
    RetryPolicy,
)

QUICK = RetryPolicy(attempts=3, backoff_s=0.001, backoff_max_s=0.001, connect_timeout_s=2, read_timeout_s=2)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: set[tuple[str, int]] = set()
    calls: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        Handler.connections.add(self.client_address)
        Handler.calls.append(self.path)
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", "/data?x=1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/flaky") and Handler.calls.count(self.path) < 2:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/missing"):
            body = b"no such thing"
            self.send_response(400)
        else:
            body = f"{self.path} {self.headers.get('X-API-Key')}".encode()
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.connections, Handler.calls = set(), []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_one_connection_for_many_requests_and_params_encoded(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with PartnerHttpClient("test", server, {"X-API-Key": "k"}, QUICK) as client:
        for day in range(20):
            response = client.get(f"day/{day}.csv")
            assert response is not None and response.content == f"/day/{day}.csv k".encode()
        where = client.get("q", {"where": "debut >= date'2025-01-01'", "limit": 0})
    assert where is not None and where.content.startswith(b"/q?where=debut+%3E%3D+date%272025-01-01%27&limit=0")
    assert len(Handler.connections) == 1  # keep-alive


def test_redirects_are_followed_and_errors_are_clear(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with PartnerHttpClient("test", server, policy=QUICK) as client:
        moved = client.get("moved")
        assert moved is not None and moved.content.startswith(b"/data?x=1") and moved.url.endswith("/data?x=1")
        flaky = client.get("flaky")
        assert flaky is not None and client.retries == 1
        with pytest.raises(PartnerRequestError, match="HTTP 400 .*no such thing"):
            client.get("missing")
    closed = PartnerHttpClient("test", "http://127.0.0.1:9", policy=QUICK)
    with pytest.raises(PartnerUnavailable, match="after 3 attempts .*ConnectionError"):
        closed.get("x")


def test_proxies_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxied = PartnerHttpClient("test", "https://partner.example/api")
    assert isinstance(proxied._pool, urllib3.ProxyManager)
    assert proxied._pool.proxy is not None and proxied._pool.proxy.host == "proxy.example"
    monkeypatch.setenv("NO_PROXY", "partner.example")
    direct = PartnerHttpClient("test", "https://partner.example/api")
    assert not isinstance(direct._pool, urllib3.ProxyManager)

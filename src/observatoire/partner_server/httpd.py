"""The HTTP machinery: a threading server on loopback and its request handler."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from .app import Outcome, PartnerApp
from .messages import Request, error_response

log = logging.getLogger("observatoire.partner_server.access")
_SECRET_PARAMS = re.compile(r"((?:api_?key|token|key|password|secret)=)[^&]*", re.IGNORECASE)
_CHUNK = 1 << 16


class PartnerHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], app: PartnerApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, PartnerRequestHandler)

    def track(self, connection: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Close idle keep-alive connections so that handler threads end at shutdown."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class PartnerRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ObservatoireSimulatedPartners/1.0"
    timeout = 60
    disable_nagle_algorithm = True
    """Small JSON answers go out at once instead of waiting for the client's delayed ACK."""
    server: PartnerHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests are logged once complete, by ``_serve``."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        log.warning("%s %s", self.address_string(), format % args)

    def _serve(self) -> None:
        started = time.perf_counter()
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = Request(
            method=self.command,
            path=unquote(url.path),
            query=parse_qs(url.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            base_url=self.server.app.base_url,
        )
        try:
            outcome = self.server.app.dispatch(request)
        except Exception:
            logging.getLogger(__name__).exception("error while serving %s %s", self.command, url.path)
            outcome = Outcome(
                error_response(500, "internal_error", "unexpected error in the simulated partner")
            )
        sent = self._write(outcome)
        elapsed_ms = (time.perf_counter() - started) * 1000
        target = url.path + ("?" + _SECRET_PARAMS.sub(r"\1***", url.query) if url.query else "")
        fault = f" fault={outcome.fault}" if outcome.fault != "none" else ""
        log.info(
            "%s %s %d %dB %.1fms%s", self.command, target, outcome.response.status, sent, elapsed_ms, fault
        )

    def _write(self, outcome: Outcome) -> int:
        response = outcome.response
        full = response.length
        to_send = full // 2 if outcome.truncate else full
        declared = to_send if outcome.truncate == "cut" else full
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(declared))
            for name, value in response.headers.items():
                self.send_header(name, value)
            if outcome.truncate == "content_length":
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if response.file is None:
                self.wfile.write(response.body[:to_send])
            else:
                self._stream(response.file, to_send)
            self.wfile.flush()
            if outcome.truncate == "content_length":
                self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError, OSError) as error:
            self.close_connection = True
            logging.getLogger(__name__).debug("client went away: %s", error)
        return to_send

    def _stream(self, path: Path, remaining: int) -> None:
        with path.open("rb") as handle:
            while remaining > 0:
                chunk = handle.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)

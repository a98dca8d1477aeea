"""Requests and responses as the partner handlers see them, independent of the HTTP machinery."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    base_url: str

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    file: Path | None = None
    """Streamed from disk instead of ``body``."""
    file_size: int = 0

    @property
    def length(self) -> int:
        return self.file_size if self.file is not None else len(self.body)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, headers=dict(headers or {}))


def raw_json_response(status: int, text: str) -> Response:
    return Response(status, text.encode("utf-8"))


def error_response(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"error": error, "message": message, "status": status}, headers)


def file_response(path: Path, content_type: str) -> Response:
    return Response(200, content_type=content_type, file=path, file_size=path.stat().st_size)

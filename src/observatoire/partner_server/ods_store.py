"""Métropole (Opendatasoft) datasets held in memory, with typed columns for where/refine/order_by."""

from __future__ import annotations

import json
import operator
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..contracts import Contract
from .odsql import Comparison, OdsqlError
from .timeparse import parse_instant

ODS_TYPES = {
    "string": "text",
    "integer": "int",
    "float": "double",
    "timestamp": "datetime",
    "boolean": "boolean",
}
PERSONAL_COLUMNS = {
    "point_de_contact": "Point de contact (nom de la personne ou de l'organisme) — donnée personnelle.",
    "telephone": "Téléphone du point de contact — donnée personnelle.",
    "email": "Courriel du point de contact — donnée personnelle.",
}
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
Query = tuple[tuple[Comparison, ...], tuple[tuple[str, str], ...], tuple[tuple[str, bool], ...]]


def _typed(value: Any, ods_type: str) -> Any:
    """A record value as compared by ODSQL: epoch for dates, float for numbers, text otherwise."""
    if value is None or value == "":
        return None
    try:
        if ods_type in ("datetime", "date"):
            return parse_instant(str(value))
        if ods_type in ("int", "double"):
            return float(value)
    except (TypeError, ValueError):
        return None
    return str(value)


class OdsDataset:
    """One dataset of the portal, read from ``partners/metropole/<dataset>.jsonl``."""

    def __init__(self, contract: Contract, path: Path) -> None:
        assert contract.source_id is not None
        self.contract = contract
        self.dataset_id = contract.source_id
        self.path = path
        self.records: list[dict[str, Any]] = []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        self.records.append(json.loads(line))
                    except ValueError as error:
                        raise ValueError(f"{path}:{number}: unreadable record ({error})") from error
        self.field_types: dict[str, str] = {f.name: ODS_TYPES[f.type] for f in contract.fields}
        for record in self.records:
            for name in record:
                self.field_types.setdefault(name, "text")
        self.modified = self._modified()
        self._columns: dict[str, list[Any]] = {}
        self._lock = threading.Lock()
        self._cache: OrderedDict[Query, list[int]] = OrderedDict()

    def _modified(self) -> str | None:
        updated = self.contract.updated_field
        if not updated:
            return None
        values = [str(r[updated]) for r in self.records if r.get(updated)]
        return max(values, key=parse_instant) if values else None

    def column(self, name: str) -> list[Any]:
        with self._lock:
            if name not in self._columns:
                ods_type = self.field_types[name]
                self._columns[name] = [_typed(r.get(name), ods_type) for r in self.records]
            return self._columns[name]

    def check_fields(self, names: list[str]) -> None:
        for name in names:
            if name != "*" and name not in self.field_types:
                raise OdsqlError(f"Unknown field: {name}")

    def _literal(self, comparison: Comparison) -> Any:
        ods_type = self.field_types[comparison.field]
        text = comparison.value.text
        try:
            if ods_type in ("datetime", "date"):
                return parse_instant(text)
            if ods_type in ("int", "double"):
                return float(text)
        except ValueError as error:
            raise OdsqlError(
                f"cannot compare {comparison.field} ({ods_type}) with {text!r}: {error}"
            ) from error
        return text

    def _refine(self, name: str, value: str) -> Callable[[int], bool]:
        ods_type = self.field_types[name]
        raw = [r.get(name) for r in self.records]
        if ods_type in ("datetime", "date"):
            prefix = value.replace("/", "-")
            return lambda i: raw[i] is not None and str(raw[i]).startswith(prefix)
        if ods_type in ("int", "double"):
            try:
                number = float(value)
            except ValueError as error:
                raise OdsqlError(f"cannot refine numeric field {name} on {value!r}") from error
            column = self.column(name)
            return lambda i: column[i] == number
        return lambda i: raw[i] is not None and str(raw[i]) == value

    def select_indices(self, query: Query) -> list[int]:
        """Indices of the records matching ``(comparisons, refines, order_by)``, cached per query."""
        with self._lock:
            if query in self._cache:
                self._cache.move_to_end(query)
                return self._cache[query]
        comparisons, refines, order_by = query
        self.check_fields([c.field for c in comparisons] + [n for n, _ in refines] + [n for n, _ in order_by])
        indices = list(range(len(self.records)))
        for comparison in comparisons:
            column = self.column(comparison.field)
            literal = self._literal(comparison)
            compare = _OPERATORS[comparison.operator]
            indices = [i for i in indices if column[i] is not None and compare(column[i], literal)]
        for name, value in refines:
            keep = self._refine(name, value)
            indices = [i for i in indices if keep(i)]
        for name, descending in reversed(order_by):
            column = self.column(name)
            present = [i for i in indices if column[i] is not None]
            missing = [i for i in indices if column[i] is None]
            present.sort(key=column.__getitem__, reverse=descending)
            indices = present + missing
        with self._lock:
            self._cache[query] = indices
            if len(self._cache) > 64:
                self._cache.popitem(last=False)
        return indices

    def project(self, index: int, select: list[str] | None) -> dict[str, Any]:
        record = self.records[index]
        if not select or select == ["*"]:
            return record
        projected: dict[str, Any] = {}
        for name in select:
            if name == "*":
                projected.update(record)
            else:
                projected[name] = record.get(name)
        return projected

    def metadata(self) -> dict[str, Any]:
        """The dataset as ``GET /catalog/datasets/{id}`` describes it on a real portal."""
        descriptions = {f.name: f.description for f in self.contract.fields}
        descriptions.update(PERSONAL_COLUMNS)
        return {
            "dataset_id": self.dataset_id,
            "dataset_uid": f"da_{zlib.crc32(self.dataset_id.encode()) % 10**6:06d}",
            "has_records": bool(self.records),
            "features": ["analyze", "timeserie"] if self.contract.start_field else ["analyze"],
            "metas": {
                "default": {
                    "title": self.contract.title,
                    "description": self.contract.description,
                    "publisher": "Aix-Marseille-Provence Métropole",
                    "records_count": len(self.records),
                    "modified": self.modified,
                    "license": "Licence Ouverte v2.0 (Etalab)",
                }
            },
            "fields": [
                {
                    "name": name,
                    "label": name.replace("_", " ").capitalize(),
                    "type": ods_type,
                    "description": descriptions.get(name),
                    "annotations": {},
                }
                for name, ods_type in self.field_types.items()
            ],
        }

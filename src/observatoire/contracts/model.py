"""The shape of a partner data contract.

A contract says what one partner dataset looks like *on the wire* (file format, encoding, separator,
decimal mark, how timestamps are written) and what each field means once parsed (type, unit, allowed
values, nullability). It is the single source for the simulated partners, the connectors' parsers,
the raw tables, the dbt sources and the privacy gate's allowed column sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal["string", "integer", "float", "timestamp", "boolean"]
WireFormat = Literal["json", "csv"]
Mechanism = Literal["rest_api", "opendatasoft", "https_files", "file_drop"]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    description: str
    nullable: bool = False
    unit: str | None = None
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    """A regular expression the whole (string) value must match."""
    max_length: int | None = None

    @property
    def duckdb_type(self) -> str:
        return {
            "string": "VARCHAR",
            "integer": "BIGINT",
            "float": "DOUBLE",
            "timestamp": "TIMESTAMPTZ",
            "boolean": "BOOLEAN",
        }[self.type]


@dataclass(frozen=True)
class WireSpec:
    """How a delivery is written by the partner."""

    format: WireFormat
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    timestamp_format: str | None = None
    """``None`` means ISO 8601; otherwise a ``strptime`` format for naive local times."""
    timestamp_timezone: str = "UTC"
    """Zone of naive timestamps (those without an offset)."""


@dataclass(frozen=True)
class Contract:
    partner: str
    dataset: str
    """Short dataset name used in paths and table names (``raw.<partner>__<dataset>``)."""
    title: str
    description: str
    mechanism: Mechanism
    wire: WireSpec
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    """Fields that identify a record: re-deliveries replace the row with the same key."""
    version: str = "1.0"
    source_id: str | None = None
    """The partner's own identifier of the dataset (e.g. an Opendatasoft dataset id)."""
    updated_field: str | None = None
    """Field that orders versions of the same record (the latest wins)."""
    start_field: str | None = None
    end_field: str | None = None
    """When both are set, a row whose end is before its start breaks the contract."""
    event_filter: dict[str, str] = field(default_factory=dict)
    """Records of interest when a dataset mixes kinds (e.g. DataTourisme's events among POIs)."""

    @property
    def table(self) -> str:
        return f"{self.partner}__{self.dataset}"

    @property
    def qualified_table(self) -> str:
        return f"raw.{self.table}"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def get_field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{self.table} has no field {name!r}")

"""The privacy rules as data: loads the reviewable YAML files of ``expectations/``.

The rules live outside the code so that a data-protection officer can read and review them; this
module only parses them into typed objects (cached: the files are read once per process).
``OBSERVATOIRE_EXPECTATIONS`` points at another rules folder (tests, a city's own rules).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..config import REPO_ROOT
from ..errors import BadInput

COLUMN_RULES_FILE = "personal_data_columns.yml"
VALUE_RULES_FILE = "value_patterns.yml"
PUBLISHED_TABLES_FILE = "published_tables.yml"
DELIVERY_RULES_FILE = "delivery_rules.yml"


def rules_dir() -> Path:
    """Folder holding the rule files: ``$OBSERVATOIRE_EXPECTATIONS`` or ``<repo>/expectations``."""
    return Path(os.environ.get("OBSERVATOIRE_EXPECTATIONS", REPO_ROOT / "expectations")).resolve()


def _load_yaml(name: str) -> dict[str, Any]:
    path = rules_dir() / name
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError as error:
        raise BadInput(f"privacy rule file {path} is missing") from error
    except yaml.YAMLError as error:
        raise BadInput(f"privacy rule file {path} is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise BadInput(f"privacy rule file {path} must hold a mapping")
    return data


@dataclass(frozen=True)
class ColumnNameRules:
    stopwords: frozenset[str]
    strong_words: frozenset[str]
    phrases: tuple[tuple[str, ...], ...]
    weak_words: frozenset[str]
    object_words: frozenset[str]


@dataclass(frozen=True)
class ValueRule:
    id: str
    title: str
    description: str
    regex: re.Pattern[str]
    check: str | None
    mask: str
    allowed_phrases: tuple[str, ...] = ()
    examples_found: tuple[str, ...] = ()
    examples_not_found: tuple[str, ...] = ()

    @property
    def pure_regex(self) -> bool:
        """True when the pattern alone decides (Great Expectations can then run it as it is)."""
        return self.check is None


@dataclass(frozen=True)
class PublishedTable:
    name: str
    description: str
    columns: tuple[str, ...]
    column_patterns: tuple[str, ...] = ()

    def allows(self, column: str) -> bool:
        return column in self.columns or any(_pattern_matches(p, column) for p in self.column_patterns)


@dataclass(frozen=True)
class PublishedRules:
    k: int
    small_cell_patterns: tuple[str, ...]
    tables: dict[str, PublishedTable] = field(default_factory=dict)

    def is_small_cell_column(self, column: str) -> bool:
        if column.endswith("_suppressed"):
            return False
        return any(_pattern_matches(p, column) for p in self.small_cell_patterns)


@dataclass(frozen=True)
class AggregatedDataset:
    """A dataset aggregated at the source: no column may locate an individual fact."""

    table: str
    cell_column: str
    cell_pattern: re.Pattern[str]
    location_words: frozenset[str]


@dataclass(frozen=True)
class DeliveryRules:
    aggregated: dict[str, AggregatedDataset]
    address_regex: re.Pattern[str]
    coordinates_regex: re.Pattern[str]
    latitude_range: tuple[float, float]
    longitude_range: tuple[float, float]


def _pattern_matches(pattern: str, name: str) -> bool:
    # fnmatch's "*" also matches dots and spaces: restrict to identifier characters.
    regex = fnmatch.translate(pattern).replace(".*", "[A-Za-z0-9_]*")
    return re.fullmatch(regex, name) is not None


@lru_cache(maxsize=4)
def _column_rules(directory: str) -> ColumnNameRules:
    data = _load_yaml(COLUMN_RULES_FILE)
    return ColumnNameRules(
        stopwords=frozenset(data.get("stopwords", [])),
        strong_words=frozenset(data.get("strong_words", [])),
        phrases=tuple(tuple(str(w) for w in phrase) for phrase in data.get("phrases", [])),
        weak_words=frozenset(data.get("weak_words", [])),
        object_words=frozenset(data.get("object_words", [])),
    )


@lru_cache(maxsize=4)
def _value_rules(directory: str) -> tuple[ValueRule, ...]:
    data = _load_yaml(VALUE_RULES_FILE)
    rules = []
    for raw in data.get("rules", []):
        examples = raw.get("examples") or {}
        try:
            regex = re.compile(raw["regex"])
        except re.error as error:
            raise BadInput(f"value rule {raw.get('id')!r}: bad regular expression: {error}") from error
        rules.append(
            ValueRule(
                id=str(raw["id"]),
                title=str(raw.get("title", raw["id"])),
                description=str(raw.get("description", "")),
                regex=regex,
                check=raw.get("check"),
                mask=str(raw.get("mask", "generic")),
                allowed_phrases=tuple(raw.get("allowed_phrases", [])),
                examples_found=tuple(examples.get("found", [])),
                examples_not_found=tuple(examples.get("not_found", [])),
            )
        )
    return tuple(rules)


@lru_cache(maxsize=4)
def _published_rules(directory: str) -> PublishedRules:
    data = _load_yaml(PUBLISHED_TABLES_FILE)
    small = data.get("small_cells") or {}
    tables = {
        name: PublishedTable(
            name=name,
            description=str(spec.get("description", "")),
            columns=tuple(spec.get("columns", [])),
            column_patterns=tuple(spec.get("column_patterns", [])),
        )
        for name, spec in (data.get("tables") or {}).items()
    }
    return PublishedRules(
        k=int(small.get("k", 5)),
        small_cell_patterns=tuple(small.get("column_patterns", [])),
        tables=tables,
    )


@lru_cache(maxsize=4)
def _delivery_rules(directory: str) -> DeliveryRules:
    data = _load_yaml(DELIVERY_RULES_FILE)
    aggregated = {
        table: AggregatedDataset(
            table=table,
            cell_column=str(spec["cell_column"]),
            cell_pattern=re.compile(spec["cell_pattern"]),
            location_words=frozenset(spec.get("location_words", [])),
        )
        for table, spec in (data.get("aggregated_datasets") or {}).items()
    }
    bbox = data.get("coordinate_range") or {}
    return DeliveryRules(
        aggregated=aggregated,
        address_regex=re.compile(data["address_regex"], re.IGNORECASE),
        coordinates_regex=re.compile(data["coordinates_regex"]),
        latitude_range=tuple(bbox.get("latitude", (41.0, 51.5))),  # type: ignore[arg-type]
        longitude_range=tuple(bbox.get("longitude", (-5.5, 10.0))),  # type: ignore[arg-type]
    )


def column_rules() -> ColumnNameRules:
    return _column_rules(str(rules_dir()))


def value_rules() -> tuple[ValueRule, ...]:
    return _value_rules(str(rules_dir()))


def published_rules() -> PublishedRules:
    return _published_rules(str(rules_dir()))


def delivery_rules() -> DeliveryRules:
    return _delivery_rules(str(rules_dir()))

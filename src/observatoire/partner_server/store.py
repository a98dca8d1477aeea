"""What the simulated partners hold: the ``partners/`` store written by ``observatoire generate``.

- ``ville/<dataset>.jsonl`` (city API), ``metropole/<dataset>.jsonl`` (Opendatasoft; the file may also
  be named after the portal's dataset id), loaded into memory once;
- daily files ``ville/activite_police_municipale/``, ``prefecture/<dataset>/``, ``smtpc/<dataset>/``
  named ``YYYY-MM-DD.csv``, indexed by day and streamed from disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..contracts import CONTRACTS, Contract
from .ods_store import OdsDataset
from .ville_store import CityDataset

_DAY_FILE = re.compile(r"(\d{4}-\d{2}-\d{2})\.csv")


@dataclass(frozen=True)
class DailyFiles:
    contract: Contract
    directory: Path
    days: dict[date, Path]

    @classmethod
    def scan(cls, contract: Contract, directory: Path) -> DailyFiles:
        days: dict[date, Path] = {}
        if directory.is_dir():
            for path in directory.iterdir():
                match = _DAY_FILE.fullmatch(path.name)
                if match and path.is_file():
                    try:
                        days[date.fromisoformat(match.group(1))] = path
                    except ValueError:
                        continue
        return cls(contract, directory, dict(sorted(days.items())))

    def span(self) -> str:
        if not self.days:
            return "no days"
        first, last = next(iter(self.days)), next(reversed(self.days))
        count = len(self.days)
        return f"{count} day{'s' if count > 1 else ''} {first}..{last}"


@dataclass
class PartnerStore:
    root: Path
    city: dict[str, CityDataset] = field(default_factory=dict)
    """By dataset name (``evenements``, ``arretes_circulation``)."""
    metropole: dict[str, OdsDataset] = field(default_factory=dict)
    """By the portal's dataset id (the contract's ``source_id``)."""
    smtpc: dict[str, DailyFiles] = field(default_factory=dict)
    drop: dict[str, DailyFiles] = field(default_factory=dict)
    """File-drop datasets by contract table (``prefecture__manifestations``…)."""

    @classmethod
    def load(cls, root: Path) -> PartnerStore:
        store = cls(root)
        for contract in CONTRACTS.values():
            partner_dir = root / contract.partner
            if contract.mechanism == "rest_api":
                path = partner_dir / f"{contract.dataset}.jsonl"
                if path.is_file():
                    store.city[contract.dataset] = CityDataset(contract, path)
            elif contract.mechanism == "opendatasoft":
                assert contract.source_id is not None
                for name in (contract.dataset, contract.source_id):
                    path = partner_dir / f"{name}.jsonl"
                    if path.is_file():
                        store.metropole[contract.source_id] = OdsDataset(contract, path)
                        break
            elif contract.mechanism == "https_files":
                store.smtpc[contract.dataset] = DailyFiles.scan(contract, partner_dir / contract.dataset)
            elif contract.mechanism == "file_drop":
                store.drop[contract.table] = DailyFiles.scan(contract, partner_dir / contract.dataset)
        return store

    @property
    def is_empty(self) -> bool:
        return not (
            self.city
            or self.metropole
            or any(f.days for f in self.smtpc.values())
            or any(f.days for f in self.drop.values())
        )

    def summary(self) -> dict[str, Any]:
        return {
            "ville": {
                name: {"records": d.current_count, "versions": d.version_count}
                for name, d in self.city.items()
            },
            "metropole": {name: {"records": len(d.records)} for name, d in self.metropole.items()},
            "smtpc": {name: f.span() for name, f in self.smtpc.items()},
            "drop": {name: f.span() for name, f in self.drop.items()},
        }

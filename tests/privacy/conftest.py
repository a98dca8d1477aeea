"""Clean, realistic sample data built from the contracts, full of false-positive traps."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatoire.contracts import CONTRACTS, Contract, Field

# Real Marseille texts that look a bit like personal data but are not.
TRAP_TEXTS = [
    "Rue Paradis", "Boulevard Baille", "Avenue du Maréchal Foch", "Place du Général de Gaulle",
    "Rue de la République", "Square Monseigneur Bonnet", "Boulevard du Docteur Rostan",
    "Rue du Docteur Escat", "Orange Vélodrome", "Palais du Pharo", "Marseille-Cassis",
    "Run in Marseille", "Feu d'artifice du 14/07/2025 22:00", "Départ 2025-07-14T20:00:00Z",
    "13001 Marseille", "13016", "Fête de la Musique – Cours Julien", "Marché du Prado",
    "Brocante Boulevard Baille", "Concert au Dôme (12 500 places)", "Ligne M1", "Bus B21",
    "Arrêté 2025-01234", "Carreau CRS3035RES200mN2246000E3934000", "Madame Butterfly à l'Opéra",
    "Hommage aux victimes – Place du Général de Gaulle", "Match OM-PSG", "Stade Pierre Delort",
    "Vieux-Port", "Tunnel Prado-Carénage", "Jardin du Pharo 4,5 km", "Parc Borély – 10 KM 13e édition",
]  # fmt: skip

ARRONDISSEMENTS = list(range(1, 17))


def _text_values(field: Field, n: int) -> list[str]:
    name = field.name.lower()
    if field.allowed:
        return [field.allowed[i % len(field.allowed)] for i in range(n)]
    if name == "carreau":
        return [
            f"CRS3035RES200mN{2240000 + 200 * (i % 40):07d}E{3930000 + 200 * (i % 37):07d}" for i in range(n)
        ]
    if name == "code_postal":
        return [f"130{(i % 16) + 1:02d}" for i in range(n)]
    if name == "codeinsee":
        return [f"132{(i % 16) + 1:02d}" for i in range(n)]
    if name == "numero_arrete":
        return [f"2025-{i:05d}" for i in range(n)]
    if name == "ligne":
        return [["M1", "M2", "T2", "B21", "83"][i % 5] for i in range(n)]
    if name in ("id", "objectid", "evenement_id") or name.startswith("id_") or name == "evenement_lie":
        return [f"{field.name[:3].upper()}-2025-{i:06d}" for i in range(n)]
    if name == "commune":
        return ["Marseille"] * n
    if name in ("niv1_categorie",):
        return ["Fête et manifestation"] * n
    return [TRAP_TEXTS[i % len(TRAP_TEXTS)][: field.max_length or 200] for i in range(n)]


def clean_frame(contract: Contract, n: int = 64) -> pd.DataFrame:
    """A clean delivery as a parser would hand it over (typed columns)."""
    data: dict[str, object] = {}
    start = pd.Timestamp("2025-07-14 18:00", tz="UTC")
    for field in contract.fields:
        if field.type == "string":
            data[field.name] = _text_values(field, n)
        elif field.type == "integer":
            low = int(field.minimum or 0)
            high = int(field.maximum) if field.maximum is not None else low + 5000
            data[field.name] = np.array([low + (i * 7) % (high - low + 1) for i in range(n)], dtype=np.int64)
        elif field.type == "float":
            low = float(field.minimum or 0.0)
            high = float(field.maximum) if field.maximum is not None else low + 1000.0
            data[field.name] = np.linspace(low, high, n)
        elif field.type == "timestamp":
            data[field.name] = pd.date_range(start, periods=n, freq="h")
        else:
            data[field.name] = [bool(i % 2) for i in range(n)]
    return pd.DataFrame(data)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(home))
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "False")
    yield home


ALL_CONTRACTS = list(CONTRACTS.values())
_ids = itertools.count()

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from observatoire.simulation.generator import Summary, generate

# A week around the spring daylight-saving change (Sunday 31 March 2024) and Easter Monday.
SPRING = {"start": date(2024, 3, 27), "end": date(2024, 4, 3), "seed": 11, "scale": 0.6}
# The autumn change (Sunday 27 October 2024) and the Marseille-Cassis race the same day.
AUTUMN = {"start": date(2024, 10, 26), "end": date(2024, 10, 28), "seed": 5, "scale": 1.0}


@pytest.fixture(scope="session")
def spring_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Summary]:
    out = tmp_path_factory.mktemp("spring") / "partners"
    return out, generate(out=out, **SPRING)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def autumn_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Summary]:
    out = tmp_path_factory.mktemp("autumn") / "partners"
    return out, generate(out=out, **AUTUMN)  # type: ignore[arg-type]

from __future__ import annotations

from pathlib import Path

import pytest

from observatoire.similarity.build import BuildResult, build_similarity_index
from observatoire.similarity.config import SimilarityConfig, load_config

from .synthetic import synthetic_frame, write_warehouse


@pytest.fixture(scope="session")
def config() -> SimilarityConfig:
    return load_config()


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    """A warehouse of 2,000 synthetic events with the index built (shared: building takes seconds)."""
    folder = tmp_path_factory.mktemp("similarity")
    warehouse = write_warehouse(folder / "warehouse.duckdb", synthetic_frame(2000, seed=11))
    return warehouse, build_similarity_index(warehouse)

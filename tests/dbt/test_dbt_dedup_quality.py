"""Precision and recall of the deduplication against ground truth (must stay >= 0.95).

- On the small fixture (always): the known stories must be matched exactly.
- On generated data (slow): ``observatoire generate`` writes a world with its truth; the store is loaded
  into ``raw.*`` (tests/dbt/dbt_partners_store.py) and the whole project is built with ``dbt build``. Set
  ``OBSERVATOIRE_TEST_PARTNERS`` to an existing store to skip the generation. The same build serves the
  plausibility test of fct_event (tests/dbt/test_dbt_plausibility.py).
"""

from __future__ import annotations

import pytest

try:  # tests/ is a package (tests.dbt), or tests/dbt is on sys.path
    from .dbt_dedup_quality import measure
except ImportError:  # pragma: no cover
    from dbt_dedup_quality import measure  # type: ignore[no-redef]
try:  # tests/ is a package (tests.dbt), or tests/dbt is on sys.path
    from .dbt_raw_fixture import write_fixture_truth
except ImportError:  # pragma: no cover
    from dbt_raw_fixture import write_fixture_truth  # type: ignore[no-redef]

THRESHOLD = 0.95


def test_fixture_dedup_is_exact(dbt_build, tmp_path):
    quality = measure(dbt_build.warehouse, write_fixture_truth(tmp_path / "records.parquet"))
    assert quality.true_pairs == 11  # T1: 3, T4: 1, T5: 1, T7: 6
    assert (quality.precision, quality.recall) == (1.0, 1.0), quality


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_generated_dedup_precision_and_recall(generated_build):
    quality = measure(generated_build.warehouse, generated_build.partners / "truth" / "records.parquet")
    print(f"dedup on generated data: {quality} precision={quality.precision:.4f} recall={quality.recall:.4f}")
    assert quality.precision >= THRESHOLD, quality
    assert quality.recall >= THRESHOLD, quality

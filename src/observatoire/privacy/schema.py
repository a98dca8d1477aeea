"""Schema rules: the exact allowed column set, and column names that denote personal data."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .findings import Finding
from .names import name_words, personal_name_reason
from .rules import AggregatedDataset


def check_columns(
    table: str,
    columns: Sequence[str],
    rows: int,
    *,
    allowed: Callable[[str], bool] | None,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    aggregated: AggregatedDataset | None = None,
    examples: Callable[[str], tuple[str, ...]] = lambda column: (),
) -> list[Finding]:
    """Findings for the column names of one table.

    ``allowed(column)`` says whether the column is in the table's allowed set (``None``: no set is
    known, e.g. a table of an arbitrary file, and only the denylist applies). A column in the allowed
    set is never refused for its name: the contract or the published-table review documented it.
    """
    findings: list[Finding] = []
    for column in columns:
        if allowed is not None and allowed(column):
            continue
        reason = personal_name_reason(column)
        if aggregated is not None and set(name_words(column)) & aggregated.location_words:
            findings.append(
                Finding(
                    table,
                    column,
                    "individual_location",
                    rows,
                    examples(column),
                    detail=f"this dataset must only locate facts by {aggregated.cell_column} (200 m cells)",
                )
            )
        elif reason is not None:
            findings.append(
                Finding(table, column, "personal_column_name", rows, examples(column), detail=reason)
            )
        elif allowed is not None:
            findings.append(
                Finding(
                    table,
                    column,
                    "unexpected_column",
                    rows,
                    examples(column),
                    detail="not in the allowed set",
                )
            )
    present = set(columns)
    for column in required:
        if column not in present:
            findings.append(Finding(table, column, "missing_column", 0, detail="required by the contract"))
    for column in optional:
        if column not in present:
            findings.append(
                Finding(table, column, "missing_column", 0, detail="optional field absent", severity="note")
            )
    return findings

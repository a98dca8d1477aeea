"""Rows that break the contract: ``quarantine/<partner>/<dataset>/<delivery_id>/rows.csv`` + ``reason.json``.

(Deliveries rejected whole are moved there by :func:`observatoire.ingestion.landing.reject_whole`.)
Writing is idempotent: the same delivery always produces the same rows file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from ..contracts import Contract
from .landing import MANIFEST, REASON, delivery_dir, now_utc, write_json_atomically

ROWS_FILE = "rows.csv"
EXAMPLES = 20


def write_rejected_rows(
    contract: Contract, delivery_id: str, rejected: pd.DataFrame, rows_total: int, *, keep_same: bool = False
) -> Path | None:
    """Keep the rejected rows of a delivery, each with its reason; ``None`` when there are none.

    ``keep_same`` (reloads): leave the files as they are when the rows file already holds these rows.
    """
    if rejected.empty:
        return None
    folder = delivery_dir("quarantine", contract, delivery_id)
    if keep_same and (folder / REASON).is_file():
        try:
            same = (folder / ROWS_FILE).read_text(encoding="utf-8") == rejected.to_csv(index=False)
        except OSError:
            same = False
        if same:
            return folder
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{ROWS_FILE}.", dir=folder)
    os.close(fd)
    try:
        rejected.to_csv(temporary, index=False, encoding="utf-8")
        os.replace(temporary, folder / ROWS_FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    reason: dict[str, Any] = {
        "delivery_id": delivery_id,
        "kind": "rows",
        "table": contract.qualified_table,
        "contract_version": contract.version,
        "message": (
            f"{len(rejected)} of {rows_total} rows break the contract {contract.partner}/{contract.dataset} "
            f"v{contract.version}; they are in {ROWS_FILE} with a reason each, the other rows were loaded"
        ),
        "rows_total": rows_total,
        "rows_quarantined": len(rejected),
        "rows_file": ROWS_FILE,
        "examples": rejected["reason"].head(EXAMPLES).tolist(),
        "at": now_utc(),
    }
    write_json_atomically(folder / REASON, reason)
    return folder


def remove_rejected_rows(contract: Contract, delivery_id: str) -> None:
    """Remove the rows file of a landed delivery none of whose rows is rejected any more (reloads after a
    contract change); a delivery quarantined whole (its folder holds a manifest) is left alone."""
    folder = delivery_dir("quarantine", contract, delivery_id)
    if not (folder / ROWS_FILE).is_file() or (folder / MANIFEST).is_file():
        return
    (folder / ROWS_FILE).unlink(missing_ok=True)
    (folder / REASON).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass

"""The delivery gate: runs on every partner delivery BEFORE anything of it is loaded.

Input: the parsed delivery with ALL the columns present in the file (not only the contract's) and
the file's raw header (columns a parser may have dropped are still refused). See the package
docstring for how ingestion calls it.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..contracts import CONTRACTS, Contract
from ..errors import BadInput
from .findings import Finding, GateResult, TableCheck
from .masking import mask_generic
from .rules import AggregatedDataset, delivery_rules, value_rules
from .schema import check_columns
from .values import (
    MAX_EXAMPLES,
    distinct_counts,
    is_integer,
    is_text,
    keeping_scanned,
    scan_big_integers,
    scan_distinct,
)

log = logging.getLogger(__name__)


def resolve_contract(contract: Contract | str) -> Contract:
    """A ``Contract``, or its table name ``partner__dataset`` (``BadInput`` when unknown)."""
    if isinstance(contract, Contract):
        return contract
    if contract in CONTRACTS:
        return CONTRACTS[contract]
    raise BadInput(f"unknown dataset {contract!r}; known datasets: {', '.join(sorted(CONTRACTS))}")


def read_delivery(contract: Contract, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Reads a delivery file as the partner wrote it: every column, every value as text."""
    try:
        if contract.wire.format == "csv":
            frame = pd.read_csv(
                path,
                sep=contract.wire.delimiter,
                encoding=contract.wire.encoding,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
            )
            return frame, [str(c) for c in frame.columns]
        text = path.read_text(encoding=contract.wire.encoding)
        stripped = text.lstrip()
        if stripped.startswith("["):
            records = json.loads(text)
        elif stripped.startswith("{") and '"results"' in stripped[:2000] and "\n{" not in stripped:
            records = json.loads(text).get("results", [])
        else:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as error:
        raise BadInput(f"cannot read delivery {path}: {error}") from error
    header: list[str] = []
    for record in records:
        for key in record:
            if key not in header:
                header.append(key)
    return pd.DataFrame.from_records(records, columns=header), header


def _generic_examples(frame: pd.DataFrame, column: str) -> tuple[str, ...]:
    if column not in frame.columns:
        return ()
    values = frame[column].dropna().astype(str).unique()[:MAX_EXAMPLES]
    return tuple(mask_generic(v) for v in values)


def _location_findings(
    table: str, frame: pd.DataFrame, contract: Contract, spec: AggregatedDataset
) -> list[Finding]:
    """An aggregated dataset must not locate an individual fact: cells only, no address, no coordinates."""
    rules = delivery_rules()
    findings: list[Finding] = []
    if spec.cell_column in frame.columns:
        values, counts = distinct_counts(frame[spec.cell_column])
        bad = ~values.str.match(spec.cell_pattern).to_numpy(dtype=bool)
        if bad.any():
            findings.append(
                Finding(
                    table,
                    spec.cell_column,
                    "individual_location",
                    int(counts[bad].sum()),
                    tuple(mask_generic(v) for v in values[bad].head(MAX_EXAMPLES)),
                    detail="values are not 200 m INSPIRE cell ids",
                )
            )
    for column in frame.columns:
        series = frame[column]
        if is_text(series):
            values, counts = distinct_counts(series)
            hit = (
                values.str.contains(rules.address_regex) | values.str.contains(rules.coordinates_regex)
            ).to_numpy(dtype=bool)
            if hit.any() and column != spec.cell_column:
                findings.append(
                    Finding(
                        table,
                        column,
                        "individual_location",
                        int(counts[hit].sum()),
                        tuple(mask_generic(v) for v in values[hit].head(MAX_EXAMPLES)),
                        detail="addresses or coordinates in an aggregated dataset",
                    )
                )
        if column in contract.field_names:
            continue
        numbers = pd.to_numeric(series, errors="coerce")
        numbers = numbers.dropna()
        if numbers.empty or numbers.nunique() < 2 or (numbers == numbers.round()).all():
            continue
        low, high = float(numbers.min()), float(numbers.max())
        lat, lon = rules.latitude_range, rules.longitude_range
        if (lat[0] <= low and high <= lat[1]) or (lon[0] <= low and high <= lon[1]):
            findings.append(
                Finding(
                    table,
                    column,
                    "individual_location",
                    int(len(numbers)),
                    (),
                    detail="decimal values in the range of latitudes/longitudes: coordinates of individual facts",
                )
            )
    return findings


def scan_delivery_frame(
    contract: Contract, frame: pd.DataFrame, raw_header: Sequence[str] | None = None
) -> tuple[list[Finding], TableCheck]:
    """All the delivery rules on one parsed delivery, without Great Expectations (pure and fast)."""
    table = contract.table
    columns = [str(c) for c in frame.columns]
    for name in raw_header or ():
        if str(name) not in columns:
            columns.append(str(name))
    rows = len(frame)
    spec = delivery_rules().aggregated.get(table)
    fields = set(contract.field_names)
    findings = check_columns(
        table,
        columns,
        rows,
        allowed=fields.__contains__,
        required=[f.name for f in contract.fields if not f.nullable],
        optional=[f.name for f in contract.fields if f.nullable],
        aggregated=spec,
        examples=lambda column: _generic_examples(frame, column),
    )
    rules = value_rules()
    text_columns: list[str] = []
    for column in frame.columns:
        series = frame[column]
        if is_text(series):
            text_columns.append(str(column))
            values, counts = distinct_counts(series)
            findings.extend(scan_distinct(table, str(column), values, counts, rules))
        elif is_integer(series):
            counts_series = series.value_counts(dropna=True, sort=False)
            findings.extend(
                scan_big_integers(
                    table, str(column), counts_series.index.to_numpy(dtype=np.int64), counts_series.to_numpy()
                )
            )
    if spec is not None:
        findings.extend(_location_findings(table, frame, contract, spec))
    check = TableCheck(
        table=table,
        rows=rows,
        columns=tuple(columns),
        text_columns=tuple(text_columns),
        allowed_columns=contract.field_names,
        rules=tuple(r.id for r in rules),
    )
    return findings, check


def check_delivery(
    contract: Contract | str,
    delivery: pd.DataFrame | str | Path,
    *,
    raw_header: Sequence[str] | None = None,
    delivery_id: str | None = None,
    evidence: bool = True,
) -> GateResult:
    """Checks one delivery before it is loaded; see the package docstring.

    ``result.timing`` says what the call cost (CPU and wall seconds: the whole call, the rules
    engine, and with ``evidence`` the GX import, validation and Data Docs).
    """
    started, started_cpu = time.perf_counter(), time.process_time()
    contract = resolve_contract(contract)
    if isinstance(delivery, (str, Path)):
        frame, header = read_delivery(contract, Path(delivery))
        raw_header = list(raw_header or ()) + [h for h in header if h not in (raw_header or ())]
    else:
        frame = delivery
    subject = f"{contract.partner}/{contract.dataset}" + (f" delivery {delivery_id}" if delivery_id else "")
    with keeping_scanned() as scanned:  # what the engine reads, for the evidence not to read it again
        findings, check = scan_delivery_frame(contract, frame, raw_header)
    result = GateResult(gate="delivery", subject=subject, findings=findings, checks=[check])
    result.timing["engine_cpu_s"] = time.process_time() - started_cpu
    result.timing["engine_wall_s"] = time.perf_counter() - started
    if evidence:
        from .evidence import delivery_evidence, record_evidence

        record_evidence(result, [delivery_evidence(contract, frame, check, findings, scanned)])
    result.duration_s = time.perf_counter() - started
    result.timing["cpu_s"] = time.process_time() - started_cpu
    result.timing["wall_s"] = result.duration_s
    log.log(logging.INFO if result.passed else logging.WARNING, "%s", result.message)
    return result


def quarantine_delivery(
    result: GateResult,
    quarantine_dir: Path,
    files: Iterable[Path] = (),
    *,
    move: bool = False,
) -> Path:
    """Writes ``reason.json`` (``result.to_dict()``) into ``quarantine_dir`` and copies (or moves) the files.

    ``quarantine_dir`` is the delivery's folder, ``quarantine/<partner>/<dataset>/<delivery_id>/``.
    The reason is written last through a temporary file, so its presence means a complete quarantine.
    """
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    for source in files:
        target = quarantine_dir / Path(source).name
        if move:
            shutil.move(str(source), target)
        else:
            shutil.copy2(source, target)
    reason = quarantine_dir / "reason.json"
    tmp = reason.with_suffix(".json.tmp")
    tmp.write_text(result.to_json(), encoding="utf-8")
    tmp.replace(reason)
    return reason

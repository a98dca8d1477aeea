"""``observatoire ingest PARTNER DATASET FILE``: a manual delivery (the real platform also took data by hand)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..contracts import CONTRACTS

EPILOG = """\
The file is landed unchanged under landing/<partner>/<dataset>/<delivery_id>/ with a manifest, checked by
the privacy delivery gate, parsed against the dataset's contract and loaded into raw.<partner>__<dataset>
(rows that break the contract go to quarantine/<partner>/<dataset>/<delivery_id>/rows.csv with a reason
each). Ingesting the same file again changes nothing.

Exit codes:
  0  loaded (prints the rows loaded and the rows quarantined)
  2  unreadable file or structure that does not match the contract (wrong encoding, not CSV/JSON,
     missing columns, unknown dataset): nothing loaded, file kept in quarantine with reason.json
  3  refused by the privacy delivery gate: nothing loaded, file kept in quarantine with the gate's reason

Datasets: """ + ", ".join(f"{c.partner} {c.dataset}" for c in CONTRACTS.values())


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="land, check and load one partner file delivered by hand",
        description="Ingest a manual delivery: land, gate, validate and load one file.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("partner", metavar="PARTNER", help="ville, prefecture, smtpc or metropole")
    parser.add_argument("dataset", metavar="DATASET", help="dataset name, e.g. manifestations")
    parser.add_argument("file", metavar="FILE", type=Path, help="the delivered file (CSV or JSON per the contract)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from .service import ingest_file

    report = ingest_file(args.partner, args.dataset, args.file)
    delivery = report.pulled[0] if report.pulled else "?"
    already = "" if report.new else " (already ingested: nothing changed)"
    print(
        f"{report.table}: delivery {delivery}{already}: {report.rows_loaded} rows loaded, "
        f"{report.rows_quarantined} rows quarantined"
    )
    if report.rows_quarantined:
        print(f"  reasons: quarantine/{args.partner}/{args.dataset}/{delivery}/rows.csv")
    return 0

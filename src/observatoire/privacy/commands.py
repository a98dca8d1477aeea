"""``observatoire privacy-scan FILE.duckdb``: scan any DuckDB file for personal data.

Exit codes: 0 nothing found; 3 findings (personal data or forbidden columns); 2 unreadable file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "privacy-scan",
        help="scan a DuckDB file for personal data (exit 0 clean, 3 findings, 2 unreadable)",
        description=(
            "Scan every table of every schema of a DuckDB file, every column, with the privacy rules of "
            "expectations/: allowed column sets, personal-data column names (FR + EN), personal values "
            "in text (e-mails, phones, plates, NIR, IBAN, cards, IP addresses, titles with names), small "
            "cells. Prints a report a data-protection officer can read; examples are masked."
        ),
    )
    parser.add_argument("file", type=Path, help="the DuckDB file to scan (opened read-only)")
    parser.add_argument("--json", action="store_true", help="print the machine-readable result instead")
    parser.add_argument("--report", type=Path, metavar="PATH", help="also write the Markdown report to PATH")
    parser.add_argument("--k", type=int, default=None, help="small-cell threshold (default: expectations/)")
    parser.set_defaults(handler=run_privacy_scan)


def run_privacy_scan(args: argparse.Namespace) -> int:
    from .file_scan import scan_file
    from .report import render_report

    result = scan_file(args.file, k=args.k)  # BadInput (exit 2) when unreadable
    report = render_report(result)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(report, encoding="utf-8")
    sys.stdout.write(result.to_json() + "\n" if args.json else report)
    return 0 if result.passed else 3

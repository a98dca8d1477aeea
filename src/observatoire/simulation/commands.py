"""CLI: ``observatoire generate --start YYYY-MM-DD --end YYYY-MM-DD --seed N --scale F [--out DIR]``."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from .. import config
from ..errors import BadInput


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="generate the simulated partners' data (all datasets, wire formats, ground truth)",
        description=(
            "Draw a realistic Marseille (events, baselines, outcomes) for a period and write every partner "
            "dataset in its delivery format into the partners' store, with a manifest and the ground truth. "
            "The output is byte-identical for the same arguments."
        ),
    )
    parser.add_argument("--start", type=_iso_date, required=True, help="first day (YYYY-MM-DD, Europe/Paris)")
    parser.add_argument("--end", type=_iso_date, required=True, help="last day, inclusive (YYYY-MM-DD)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="volume multiplier; 1.0 ≈ 10,000 event records a year"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="store directory (default $OBSERVATOIRE_HOME/partners)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress, no summary")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from .generator import Progress, generate, summary_text

    out = args.out if args.out is not None else config.paths().partners
    if args.seed < 0:
        raise BadInput("--seed must be a non-negative integer")
    summary = generate(args.start, args.end, args.seed, args.scale, out, progress=Progress(not args.quiet))
    if not args.quiet:
        print(summary_text(summary), file=sys.stderr)
        print(f"partners' store: {Path(out).resolve()}", file=sys.stderr)
    return 0

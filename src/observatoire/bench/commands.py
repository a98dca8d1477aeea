"""``observatoire bench``: the cost of every stage at full scale, and how it grows (issue 9)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import BadInput

QUICK_DAYS = 30
QUICK_SCALE = 0.2
QUICK_EVENTS = 5_000
QUICK_QUERIES = 20


def _years(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole years: {text!r}") from None
    if not values or any(v < 1 or v > 30 for v in values):
        raise argparse.ArgumentTypeError("years must be between 1 and 30")
    return values


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmark every stage (generation … publication, queries) at 1, 3 and 10 years, plus one new day",
        description=(
            "Generate N years of the simulated city in a benchmark home, then run and measure every stage in its "
            "own process (a fork of one warm worker that preloaded Great Expectations once, as the platform's "
            "worker processes do; --cold-stages: a fresh interpreter each) — generation, ingestion per partner, the physical reference (DuckDB reading the landed "
            "files), dbt build, publish gate, similarity index, publication, and 200 planned-event queries in one "
            "warm process — at each history length of --growth; then one new day of deliveries on top of the "
            "longest, through publication. Writes <date>.json, <date>.md and latest.md into --out, prints "
            "met/missed per target. A benchmark, not a test: the exit code does not depend on speed."
        ),
    )
    parser.add_argument(
        "--years", type=int, default=None, help="longest history in years (default 10; added to --growth)"
    )
    parser.add_argument(
        "--scale", type=float, default=None, help="generator volume (default 1.0; --quick 0.2)"
    )
    parser.add_argument(
        "--growth", type=_years, default=None, help="history lengths in years (default 1,3,10)"
    )
    parser.add_argument("--queries", type=int, default=None, help="planned-event queries (default 200)")
    parser.add_argument(
        "--out", type=Path, default=Path("bench/results"), help="results directory (default bench/results)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path("var/bench"),
        help="benchmark homes (default var/bench; each history gets its own OBSERVATOIRE_HOME)",
    )
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=date(2025, 12, 31),
        help="last day of the history (default 2025-12-31; the increment is the day after)",
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument(
        "--synthetic-events",
        type=int,
        default=None,
        help="events of the synthetic similarity-index run (default 100000)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_DAYS} days at scale {QUICK_SCALE}, {QUICK_QUERIES} queries, "
        f"{QUICK_EVENTS:,} synthetic events",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile pass")
    parser.add_argument(
        "--keep", action="store_true", help="keep every benchmark home (default: only the longest)"
    )
    parser.add_argument(
        "--stage-timeout", type=float, default=None, help="kill a stage after this many seconds"
    )
    parser.add_argument(
        "--cold-stages",
        action="store_true",
        help="run every stage in a fresh interpreter (each pays its imports) instead of a fork of the warm "
        "worker that preloaded once, as the platform's worker processes do",
    )
    parser.set_defaults(handler=run)


def options_from(args: argparse.Namespace) -> Any:
    from .runner import Options

    growth = list(args.growth) if args.growth else ([1, 3, 10] if args.years is None else [args.years])
    if args.years is not None and args.years not in growth:
        growth.append(args.years)
    if args.years is not None:
        growth = [y for y in growth if y <= args.years]
    scale = args.scale if args.scale is not None else (QUICK_SCALE if args.quick else 1.0)
    if not 0 < scale <= 20:
        raise BadInput("--scale must be in (0, 20]")
    queries = args.queries if args.queries is not None else (QUICK_QUERIES if args.quick else 200)
    if queries < 1:
        raise BadInput("--queries must be at least 1")
    events = (
        args.synthetic_events
        if args.synthetic_events is not None
        else (QUICK_EVENTS if args.quick else 100_000)
    )
    return Options(
        years=sorted(set(growth)),
        scale=scale,
        queries=queries,
        seed=args.seed,
        end=args.end,
        workdir=args.workdir,
        quick_days=QUICK_DAYS if args.quick else None,
        synthetic_events=events,
        profile=not args.no_profile,
        keep=args.keep,
        stage_timeout_s=args.stage_timeout,
        cold_stages=args.cold_stages,
    )


def run(args: argparse.Namespace) -> int:
    from .report import summarise, summary_lines, write
    from .runner import Bench

    options = options_from(args)

    def checkpoint(partial: dict[str, Any]) -> None:
        json_path, _ = write(partial, args.out)
        print(f"[bench] partial results written to {json_path}", file=sys.stderr, flush=True)

    results = Bench(options).run(checkpoint=checkpoint)
    json_path, md_path = write(results, args.out)
    for line in summary_lines(summarise(results)):
        print(line)
    print(f"\nresults: {json_path} and {md_path}", file=sys.stderr)
    return 0

"""CLI: ``observatoire similar`` (query a planned event) and ``observatoire transparency`` (the notice)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .. import config as platform_config
from ..errors import BadInput


def register(subparsers: Any) -> None:
    similar = subparsers.add_parser(
        "similar",
        help="find the past events most similar to a planned event, with a forecast and a 0-10 risk score",
        description=(
            "Find the k past events most similar to a planned event (DESIGN §5), show what happened at them, "
            "a similarity-weighted forecast of the outcomes and a 0-10 risk score. Reads the published file "
            "read-only. Exit codes: 0 success, 2 bad input (unknown place or nature, unreadable value)."
        ),
    )
    where = similar.add_mutually_exclusive_group(required=True)
    where.add_argument("--place", help='a known venue name, e.g. "Orange Vélodrome"')
    where.add_argument("--lat", type=float, help="latitude (WGS84); requires --lon")
    similar.add_argument("--lon", type=float, help="longitude (WGS84)")
    similar.add_argument(
        "--sector", type=int, help="city sector 1-8 (default: the place's, or the nearest venue's)"
    )
    similar.add_argument("--nature", required=True, help="nature code or label, e.g. match_football")
    similar.add_argument("--participants", required=True, type=float, help="expected participants")
    similar.add_argument("--start", required=True, help='start, Paris time: "YYYY-MM-DD HH:MM"')
    similar.add_argument("--duration", required=True, type=float, help="duration in hours")
    similar.add_argument("--emprise", type=float, help="footprint on public space in m² (default: imputed)")
    similar.add_argument("--k", type=int, help="number of neighbours (default: the configuration's k)")
    similar.add_argument("--json", action="store_true", help="print the result as JSON")
    similar.add_argument("--lang", choices=("fr", "en"), default="en", help="language of the explanations")
    similar.add_argument("--db", type=Path, help="DuckDB file (default: the published file)")
    similar.set_defaults(handler=run_similar)

    notice = subparsers.add_parser(
        "transparency",
        help="write the algorithm transparency notice (French and English, Markdown and HTML)",
        description=(
            "Write the transparency notice of the similarity index (CRPA L311-3-1, R311-3-1-2) from the live "
            "configuration and the published data: purpose, data and sources, parameters and weights, "
            "operations, evaluation, privacy guarantees."
        ),
    )
    notice.add_argument("--db", type=Path, help="DuckDB file (default: the published file)")
    notice.add_argument(
        "--out", type=Path, help="output folder (default: $OBSERVATOIRE_HOME/docs/transparency)"
    )
    notice.set_defaults(handler=run_transparency)


def run_similar(args: argparse.Namespace) -> int:
    from .query import PlannedEvent, query_planned_event
    from .report import format_result

    if args.lat is not None and args.lon is None:
        raise BadInput("--lat needs --lon")
    if args.lon is not None and args.lat is None:
        raise BadInput("--lon needs --lat")
    planned = PlannedEvent(
        nature=args.nature,
        starts_at=args.start,
        duration_hours=args.duration,
        participants=args.participants,
        place=args.place,
        latitude=args.lat,
        longitude=args.lon,
        emprise_m2=args.emprise,
        sector=args.sector,
        k=args.k,
    )
    result = query_planned_event(args.db or platform_config.paths().published, planned)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_result(result, args.lang))
    return 0


def run_transparency(args: argparse.Namespace) -> int:
    from ..transparency.notice import write_notice

    written = write_notice(args.db, args.out)
    for path in written:
        print(path)
    return 0

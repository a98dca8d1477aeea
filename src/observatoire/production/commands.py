"""``observatoire prod-check``: prove the production configuration natively (no Docker engine needed)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "prod-check",
        help="run the docker-compose configuration natively on PostgreSQL + Redis + Celery and check it",
        description=(
            "Starts Airflow's api-server, scheduler, dag-processor, triggerer and Celery workers as "
            "processes with docker-compose.yml's settings, on the local PostgreSQL (a database of its own, "
            "dropped at the end) and Redis (an empty database index); serves the simulated partners; "
            "triggers the pipeline through the authenticated REST API; checks the published file and "
            "the DuckDB writer pool; stops everything."
        ),
        epilog=(
            "PostgreSQL and Redis: $OBSERVATOIRE_PROD_POSTGRES (default "
            "postgresql://postgres@127.0.0.1:5432/postgres, a role allowed to CREATE DATABASE) and "
            "$OBSERVATOIRE_PROD_REDIS (default redis://127.0.0.1:6379). Exit code 0 when every check "
            "passed, 1 otherwise."
        ),
    )
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=2, help="task slots per worker (default 2)")
    parser.add_argument("--days", type=int, default=30, help="days of generated partner data (default 30)")
    parser.add_argument("--scale", type=float, default=0.2, help="volume scale of the generated data (default 0.2)")
    parser.add_argument(
        "--with-schedules",
        action="store_true",
        help="let the scheduler create timetable and asset-triggered runs (build_warehouse then starts from "
        "its assets); by default the check triggers every run itself",
    )
    parser.add_argument("--probe-only", action="store_true", help="only the writer-pool probe, not the pipeline")
    parser.add_argument("--work-dir", type=Path, help="keep Airflow's home, data and logs here (default: temporary)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory and the database afterwards")
    parser.set_defaults(handler=prod_check)


def prod_check(args: argparse.Namespace) -> int:
    from ..errors import BadInput
    from .check import CheckSettings, ProductionCheck
    from .stack import StackSettings

    if args.workers < 1 or args.concurrency < 1:
        raise BadInput("--workers and --concurrency must be at least 1")
    settings = CheckSettings(
        stack=StackSettings(
            workers=args.workers,
            worker_concurrency=args.concurrency,
            demo_days=args.days,
            demo_scale=args.scale,
            work_dir=args.work_dir.resolve() if args.work_dir else None,
            keep=args.keep,
            partners=not args.probe_only,
            job_schedule=args.with_schedules,
        ),
        pipeline=not args.probe_only,
    )
    report = ProductionCheck(settings).run()
    print(report.summary())
    return 0 if report.ok else 1

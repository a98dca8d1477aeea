"""Sub-commands ``demo``, ``run`` and ``airflow-ui``."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

from ..config import paths
from ..errors import BadInput


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = subparsers.add_parser(
        "demo",
        help="the whole job: generate 3 years, serve the partners, run every DAG through Airflow, publish, query",
        description=(
            "On a fresh machine: generate three years of the simulated city (ending yesterday), start the "
            "simulated partners on loopback, set up the embedded Airflow home under $OBSERVATOIRE_HOME/airflow, "
            "run every ingestion DAG over the whole history and then build_warehouse with dag.test(), and "
            "print what was built and the similar past events of a planned OM match at the Vélodrome."
        ),
    )
    demo.add_argument("--years", type=int, default=3, help="years of history (default 3)")
    demo.add_argument("--days", type=int, default=None, help="history length in days instead of --years (tests)")
    demo.add_argument("--scale", type=float, default=1.0, help="volume of random events (default 1.0)")
    demo.add_argument("--seed", type=int, default=2017, help="generator seed (default 2017)")
    demo.add_argument("--end", type=date.fromisoformat, default=None, help="last day (default yesterday)")
    demo.set_defaults(handler=_demo)

    run = subparsers.add_parser(
        "run",
        help="run the pipeline (ingestion DAGs, then build_warehouse) on what partners delivered since the last run",
        description=(
            "Run every ingestion DAG from its watermark, then build_warehouse, through Airflow (dag.test()) in the "
            "embedded home. Partners are those of the AIRFLOW_CONN_OBSERVATOIRE_* variables, else the simulated "
            "partners of `observatoire serve-partners` on 127.0.0.1:8765."
        ),
    )
    run.add_argument(
        "--serve-partners", action="store_true", help="start the simulated partners in this process for the run"
    )
    run.add_argument(
        "--dag",
        action="append",
        dest="dags",
        metavar="DAG_ID",
        help="run only this DAG (repeatable), e.g. --dag build_warehouse to rebuild and republish",
    )
    run.set_defaults(handler=_run)

    rebuild = subparsers.add_parser(
        "rebuild",
        help="rebuild the warehouse from the landed deliveries (no Airflow) and republish",
        description=(
            "Reload every raw table from the immutable landing (landing/ and quarantine/ under $OBSERVATOIRE_HOME), "
            "then dbt build with a full refresh, the publish gate, the whole similarity index and the atomic "
            "publication, without Airflow. For after a contract, privacy rule or model change, or to recover a "
            "lost warehouse. Nothing is published if a step fails (exit 1; 3 if the publish gate refuses). Do not "
            "run it while Airflow's warehouse tasks run: DuckDB accepts one writer."
        ),
    )
    rebuild.add_argument("--no-docs", action="store_true", help="skip the notice, dbt docs and Data Docs")
    rebuild.set_defaults(handler=_rebuild)

    ui = subparsers.add_parser(
        "airflow-ui",
        help="start Airflow standalone on the embedded home (login printed): DAGs, assets, Observatoire pages",
        description=(
            "Start `airflow standalone` (api-server, scheduler, dag-processor, triggerer; SQLite, LocalExecutor) "
            "with the embedded home under $OBSERVATOIRE_HOME/airflow. The login is printed. Stop with Ctrl-C."
        ),
    )
    ui.add_argument("--port", type=int, default=8080, help="port of the UI on 127.0.0.1 (default 8080)")
    ui.add_argument(
        "--serve-partners",
        action="store_true",
        help="also serve the simulated partners (so scheduled ingestion runs can reach them)",
    )
    ui.set_defaults(handler=_airflow_ui)


def _demo(args: argparse.Namespace) -> int:
    from .pipeline import demo

    if args.years < 1:
        raise BadInput("--years must be at least 1")
    if args.scale <= 0:
        raise BadInput("--scale must be positive")
    if args.days is not None and args.days < 1:
        raise BadInput("--days must be at least 1")
    report = demo(
        paths(), years=args.years, days=args.days, scale=args.scale, seed=args.seed, end=args.end, verbose=args.verbose
    )
    return 0 if report.ok else 1


def _run(args: argparse.Namespace) -> int:
    from .pipeline import run

    report = run(paths(), serve_partners=args.serve_partners, only=args.dags, verbose=args.verbose)
    return 0 if report.ok else 1


def _rebuild(args: argparse.Namespace) -> int:
    from .pipeline import Progress
    from .rebuild import rebuild

    paths().ensure()
    progress = Progress()
    report = rebuild(docs=not args.no_docs, say=progress)
    slowest = max(report.steps, key=lambda s: s[1])
    progress(
        f"rebuilt and published in {report.seconds:.1f} s ({len(report.steps)} steps; slowest: {slowest[0]}, "
        f"{slowest[1]:.1f} s): {paths().published}"
    )
    return 0


def airflow_executable() -> str:
    candidate = Path(sys.executable).parent / "airflow"
    return str(candidate) if candidate.exists() else (shutil.which("airflow") or "airflow")


def _airflow_ui(args: argparse.Namespace) -> int:
    from . import environment

    p = paths().ensure()
    server = None
    partner_port = None
    if args.serve_partners:
        from ..partner_server.server import PartnerServer
        from ..partner_server.settings import ServerSettings

        server = PartnerServer(ServerSettings(home=p.home, port=0)).start()
        partner_port = server.port
    env = environment.airflow_environment(p, partner_port=partner_port, api_port=args.port)
    environment.activate(env)
    home = environment.airflow_home(p)
    env_file = environment.write_env_file(home, env)
    environment.prepare_metadata_database()
    password = environment.admin_password(home)
    print(
        f"Airflow UI: http://127.0.0.1:{args.port}\n"
        f"  login: {environment.ADMIN_USER} / {password}   (stored in {home.passwords_file})\n"
        f"  Observatoire pages: http://127.0.0.1:{args.port}/observatoire/  (also in the UI's navigation)\n"
        f"  Airflow home: {home.path} — `source {env_file}` to use the airflow CLI on it\n"
        "Stop with Ctrl-C.",
        flush=True,
    )
    process = subprocess.Popen([airflow_executable(), "standalone"], env=dict(os.environ))
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        try:
            return process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            return 130
    finally:
        if server is not None:
            server.stop()

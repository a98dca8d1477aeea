"""``observatoire serve-partners``: run every simulated partner on 127.0.0.1 until interrupted."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from datetime import date
from typing import TYPE_CHECKING, Any

from .. import config
from ..errors import BadInput
from .clock import ClockSettings
from .faults import FaultSettings
from .settings import (
    CITY_CONNECTION_ENV,
    CITY_TOKEN_ENV,
    DEFAULT_CITY_TOKEN,
    DEFAULT_PORT,
    DEFAULT_SMTPC_KEY,
    SMTPC_CONNECTION_ENV,
    SMTPC_KEY_ENV,
    ServerSettings,
    credential_source,
)

if TYPE_CHECKING:
    from .server import PartnerServer

log = logging.getLogger(__name__)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from error


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a rate is between 0 and 1")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve-partners",
        help="run the simulated partners (city API, SMTPC, Métropole portal, file drop) on 127.0.0.1",
        description=(
            "Serve $OBSERVATOIRE_HOME/partners (written by `observatoire generate`) as the partners would: "
            "the city REST API, SMTPC daily CSV files, the Métropole's Opendatasoft Explore v2.1 API, and "
            "the Préfecture and police-activity files released day by day into $OBSERVATOIRE_HOME/drop. "
            "Listens on 127.0.0.1 unless --host says otherwise. Test controls: GET /_control/health, GET|POST /_control/faults, "
            "GET|POST /_control/clock."
        ),
        epilog=(
            f"Credentials: --city-token, else ${CITY_TOKEN_ENV}, else the password of ${CITY_CONNECTION_ENV}, "
            f"else the demo default {DEFAULT_CITY_TOKEN!r}; --smtpc-key, else ${SMTPC_KEY_ENV}, else the password "
            f"of ${SMTPC_CONNECTION_ENV}, else {DEFAULT_SMTPC_KEY!r}. They are never logged. "
            "Without a clock option every day is available at once (--release-all)."
        ),
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="bind address (default 127.0.0.1; the compose demo service binds 0.0.0.0 on its private network)",
    )
    parser.add_argument("--city-token", help="bearer token of the city API (see below)")
    parser.add_argument("--smtpc-key", help="SMTPC API key (see below)")
    clock = parser.add_argument_group("simulated clock (days are released when they are over)")
    exclusive = clock.add_mutually_exclusive_group()
    exclusive.add_argument("--release-all", action="store_true", help="every day available now (default)")
    exclusive.add_argument("--release-until", type=_day, metavar="YYYY-MM-DD", help="days up to this one")
    exclusive.add_argument("--clock-start", type=_day, metavar="YYYY-MM-DD", help="start a running clock")
    clock.add_argument(
        "--days-per-second", type=float, default=1.0, help="speed of a running clock (default 1)"
    )
    clock.add_argument("--no-drop", action="store_true", help="do not fill the drop directory")
    faults = parser.add_argument_group("fault switches (also POST /_control/faults)")
    faults.add_argument("--latency-ms", type=int, default=0, help="added latency per partner response")
    faults.add_argument("--error-rate", type=_rate, default=0.0, help="share of 5xx answers")
    faults.add_argument("--error-status", type=int, default=503, help="the 5xx status (default 503)")
    faults.add_argument("--rate-limit-rate", type=_rate, default=0.0, help="share of 429 answers")
    faults.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds of a 429 (default 1)")
    faults.add_argument("--truncate-rate", type=_rate, default=0.0, help="share of truncated bodies")
    faults.add_argument(
        "--truncate-mode",
        choices=("content_length", "cut"),
        default="content_length",
        help="how bodies are cut",
    )
    faults.add_argument("--bad-tokens", action="store_true", help="reject every token and API key")
    faults.add_argument("--fault-seed", type=int, default=0, help="seed of the fault draws (default 0)")
    parser.set_defaults(handler=serve_partners)


def settings_from_args(args: argparse.Namespace) -> ServerSettings:
    if not 0 <= args.port <= 65535:
        raise BadInput(f"--port must be between 0 and 65535, got {args.port}")
    if args.clock_start:
        clock = ClockSettings(mode="running", start=args.clock_start, days_per_second=args.days_per_second)
    elif args.release_until:
        clock = ClockSettings(mode="until", until=args.release_until)
    else:
        clock = ClockSettings()
    try:
        faults = FaultSettings(
            latency_ms=args.latency_ms,
            error_rate=args.error_rate,
            error_status=args.error_status,
            rate_limit_rate=args.rate_limit_rate,
            retry_after_s=args.retry_after,
            truncate_rate=args.truncate_rate,
            truncate_mode=args.truncate_mode,
            bad_tokens=args.bad_tokens,
            seed=args.fault_seed,
        )
    except ValueError as error:
        raise BadInput(str(error)) from error
    changes: dict[str, Any] = {}
    if args.city_token:
        changes["city_token"] = args.city_token
    if args.smtpc_key:
        changes["smtpc_key"] = args.smtpc_key
    return ServerSettings(
        home=config.home(),
        port=args.port,
        host=args.host,
        clock=clock,
        faults=faults,
        release_drop=not args.no_drop,
        **changes,
    )


def _credential_source(flag: str | None, env: str, connection_env: str) -> str:
    if flag:
        return "from the command line"
    return credential_source(env, connection_env)[1]


def describe_faults(settings: FaultSettings) -> str:
    default = FaultSettings()
    changed = [
        f"{name}={value}" for name, value in settings.to_json().items() if value != default.to_json()[name]
    ]
    return ", ".join(changed) if changed else "none"


def log_summary(server: PartnerServer, args: argparse.Namespace) -> None:
    from .metropole_api import PREFIX as METROPOLE_PREFIX

    base = server.base_url
    store = server.store
    lines = [f"simulated partners listening on {base} (loopback only), serving {store.root}"]
    city_source = _credential_source(args.city_token, CITY_TOKEN_ENV, CITY_CONNECTION_ENV)
    lines.append(f"  ville     {base}/ville/api/v1/<dataset> (bearer token {city_source})")
    for name, dataset in store.city.items():
        lines.append(
            f"            {name}: {dataset.current_count} records ({dataset.version_count} versions)"
        )
    smtpc_source = _credential_source(args.smtpc_key, SMTPC_KEY_ENV, SMTPC_CONNECTION_ENV)
    lines.append(f"  smtpc     {base}/smtpc/<dataset>/YYYY-MM-DD.csv (X-API-Key {smtpc_source})")
    for name, files in store.smtpc.items():
        lines.append(f"            {name}: {files.span()}")
    lines.append(f"  metropole {base}{METROPOLE_PREFIX}/<dataset_id>/records | /exports/json")
    for dataset_id, ods in store.metropole.items():
        lines.append(f"            {dataset_id}: {len(ods.records)} records")
    drop_state = "released day by day" if server.releaser else "not released (--no-drop)"
    lines.append(f"  drop      {server.settings.drop_dir} ({drop_state})")
    for table, files in store.drop.items():
        lines.append(f"            {table}: {files.span()}")
    clock = server.clock.describe()
    lines.append(f"  clock     {clock['mode']}" + (f", now {clock['now']}" if clock["now"] else ""))
    lines.append(f"  controls  {base}/_control/health | faults | clock")
    lines.append(f"  faults    {describe_faults(server.faults.settings)}")
    if store.is_empty:
        lines.append("  warning: the partner store is empty; run `observatoire generate` first")
    log.info("\n".join(lines))


def serve_partners(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    from .server import PartnerServer  # imported here: it loads pandas, and --help must stay fast

    server = PartnerServer(settings)
    stopping = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stopping.set()

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous: dict[signal.Signals, Any] = {}
    if in_main_thread:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _stop)
    try:
        with server:
            log_summary(server, args)
            while not stopping.wait(0.5):
                pass
            log.info("stopping the simulated partners")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0

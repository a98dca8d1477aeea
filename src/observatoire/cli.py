"""The ``observatoire`` command: one entry point, one sub-command per job.

Each area of the package contributes its sub-commands through a ``commands`` module exposing
``register(subparsers)``; the modules are imported lazily so that ``observatoire --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from . import __version__
from .errors import ObservatoireError

# Order is the order shown in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "observatoire.ingestion.commands",
    "observatoire.simulation.commands",
    "observatoire.privacy.commands",
    "observatoire.orchestration.commands",
    "observatoire.partner_server.commands",
    "observatoire.similarity.commands",
    "observatoire.production.commands",
    "observatoire.bench.commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="observatoire",
        description=(
            "Observatoire de la tranquillité publique: pull partner data, build the event warehouse, "
            "prove that no personal data enters or leaves, and find similar past events."
        ),
        epilog=(
            "Exit codes: 0 success; 1 unexpected failure; 2 bad input (unreadable or invalid file, "
            "unknown name); 3 refused by a privacy rule. Data lives under $OBSERVATOIRE_HOME (default ./var)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"observatoire {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logs")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.handler(args) or 0)
    except ObservatoireError as error:
        print(f"observatoire {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

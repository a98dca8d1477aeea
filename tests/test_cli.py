"""The single entry point: help, sub-commands and the documented exit codes."""

from __future__ import annotations

import argparse

import pytest

from observatoire import cli
from observatoire.errors import BadInput, PrivacyRefusal


def test_help_lists_every_registered_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "Exit codes" in out
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert "generate" in subparsers.choices
    for name in subparsers.choices:
        assert name in out


@pytest.mark.parametrize(("error", "code"), [(BadInput("bad file"), 2), (PrivacyRefusal("email found"), 3)])
def test_expected_errors_map_to_documented_exit_codes(monkeypatch, capsys, error, code):
    def failing_handler(args):
        raise error

    original = cli.build_parser

    def parser_with_failing_command():
        parser = original()
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        subparsers.add_parser("explode").set_defaults(handler=failing_handler)
        return parser

    monkeypatch.setattr(cli, "build_parser", parser_with_failing_command)
    assert cli.main(["explode"]) == code
    assert str(error) in capsys.readouterr().err


def test_help_does_not_import_the_heavy_libraries():
    """`observatoire --help` imports every command module: they must defer pandas, GX, Airflow, dbt."""
    import subprocess
    import sys

    probe = (
        "import sys, observatoire.cli as c; c.build_parser(); "
        "print(','.join(m for m in ('pandas', 'great_expectations', 'airflow', 'dbt', 'sklearn') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""

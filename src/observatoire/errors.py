"""Errors that reach a person, each with the CLI exit code documented in the README.

Exit codes: 0 success; 1 unexpected failure (a bug: please report it); 2 bad input (unreadable file,
structure that breaks the contract, unknown name or option); 3 refused by a privacy rule (a delivery
refused by the gate, findings of ``privacy-scan``).
"""

from __future__ import annotations


class ObservatoireError(Exception):
    """An expected failure with a message written for the person who caused or must fix it."""

    exit_code = 1


class BadInput(ObservatoireError):
    exit_code = 2


class PrivacyRefusal(ObservatoireError):
    exit_code = 3

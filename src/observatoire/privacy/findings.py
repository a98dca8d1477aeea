"""What a gate answers: findings (column, rule, how many values, masked examples) and a verdict."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Severity = Literal["refuse", "note"]

RULE_TITLES: dict[str, str] = {
    "unexpected_column": "column not in the allowed set",
    "missing_column": "required column missing",
    "personal_column_name": "column name denotes personal data",
    "individual_location": "location of an individual fact instead of a 200 m cell",
    "unknown_table": "table not declared for publication",
    "missing_table": "table to check is missing",
    "small_cell": "count of offences against persons below the small-cell threshold",
    "unreadable": "data could not be read",
    "evidence_unavailable": "Great Expectations evidence could not be recorded",
    "gx_expectation_failed": "a Great Expectations expectation failed",
}


@dataclass(frozen=True)
class Finding:
    table: str
    column: str | None
    rule: str
    count: int
    """Rows concerned (for a schema rule: rows of the table)."""
    examples: tuple[str, ...] = ()
    """Masked examples, never the values themselves."""
    detail: str = ""
    severity: Severity = "refuse"

    def describe(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        title = RULE_TITLES.get(self.rule)
        detail = self.detail
        if title is None:  # value rules: the detail is the rule's title
            title, detail = (self.detail or self.rule.replace("_", " ")), ""
        text = f"{where}: {title}"
        if self.count:
            text += f" ({self.count} value{'s' if self.count != 1 else ''})"
        if detail:
            text += f" — {detail}"
        if self.examples:
            text += f"; e.g. {', '.join(self.examples)}"
        return text

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["examples"] = list(self.examples)
        return data


@dataclass(frozen=True)
class TableCheck:
    """What was checked in one table or delivery (the evidence that the check happened)."""

    table: str
    rows: int
    columns: tuple[str, ...]
    text_columns: tuple[str, ...]
    allowed_columns: tuple[str, ...] | None
    rules: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("columns", "text_columns", "rules"):
            data[key] = list(data[key])
        data["allowed_columns"] = list(self.allowed_columns) if self.allowed_columns is not None else None
        return data


@dataclass
class GateResult:
    """Verdict of a gate. ``passed`` is False as soon as one finding has severity ``refuse``."""

    gate: Literal["delivery", "publish", "scan"]
    subject: str
    findings: list[Finding] = field(default_factory=list)
    checks: list[TableCheck] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration_s: float = 0.0
    timing: dict[str, float] = field(default_factory=dict)
    """CPU and wall seconds of the gate call and of its parts (``cpu_s``, ``wall_s``, ``engine_*``,
    ``gx_import_*``, ``gx_context_*``, ``gx_batches_*``, ``gx_validate_*``, ``data_docs_*``): what the
    gates cost in a run."""

    @property
    def passed(self) -> bool:
        return not any(f.severity == "refuse" for f in self.findings)

    @property
    def refusals(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "refuse"]

    @property
    def message(self) -> str:
        """One paragraph an operator understands."""
        rows = sum(c.rows for c in self.checks)
        tables = len(self.checks)
        scope = f"{tables} table{'s' if tables != 1 else ''}, {rows} rows"
        if self.passed:
            return (
                f"Privacy {self.gate} gate passed for {self.subject}: {scope} checked against the "
                "allowed columns, the personal-data column names and the value patterns "
                "(e-mails, phones, plates, NIR, IBAN, cards, IP addresses, titles with names); nothing found."
            )
        refusals = self.refusals
        shown = "; ".join(f.describe() for f in refusals[:5])
        more = f"; and {len(refusals) - 5} more" if len(refusals) > 5 else ""
        action = {
            "delivery": "The delivery was refused and quarantined: nothing of it was loaded. Ask the "
            "partner to deliver again without these columns or values.",
            "publish": "Publication is blocked and the previously published file stays in place. Fix "
            "the marts (or, if a new column is legitimate, declare it in expectations/published_tables.yml "
            "after review) and run again.",
            "scan": "The file holds personal data or columns that are not allowed.",
        }[self.gate]
        return (
            f"Privacy {self.gate} gate FAILED for {self.subject} ({scope} checked): "
            f"{len(refusals)} finding{'s' if len(refusals) != 1 else ''}: {shown}{more}. {action}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Machine-readable reason (e.g. ``quarantine/…/reason.json``, asset metadata, publish log)."""
        return {
            "gate": self.gate,
            "subject": self.subject,
            "passed": self.passed,
            "checked_at": self.checked_at.isoformat(),
            "duration_s": round(self.duration_s, 3),
            "timing": self.rounded_timing(),
            "message": self.message,
            "findings": [f.to_dict() for f in self.findings],
            "checks": [c.to_dict() for c in self.checks],
            "evidence": self.evidence,
        }

    @property
    def summary(self) -> dict[str, Any]:
        """Compact JSON-able summary (what ``observatoire.publish.GateOutcome.summary`` expects)."""
        return {
            "gate": self.gate,
            "passed": self.passed,
            "tables": len(self.checks),
            "rows": sum(c.rows for c in self.checks),
            "findings": [f.to_dict() for f in self.findings],
            "data_docs": self.evidence.get("data_docs_index"),
            "duration_s": round(self.duration_s, 3),
            "timing": self.rounded_timing(),
        }

    def rounded_timing(self) -> dict[str, float]:
        return {name: round(seconds, 3) for name, seconds in sorted(self.timing.items())}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str)

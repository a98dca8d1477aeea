"""Plain-words report of a gate run or a file scan, for a data-protection officer (Markdown)."""

from __future__ import annotations

from collections import defaultdict

from .findings import RULE_TITLES, GateResult
from .rules import value_rules


def render_report(result: GateResult) -> str:
    lines = [f"# Personal-data check of {result.subject}", ""]
    verdict = "NOTHING PERSONAL FOUND" if result.passed else "PERSONAL DATA OR FORBIDDEN COLUMNS FOUND"
    lines += [
        f"**Verdict: {verdict}.**",
        "",
        f"Checked on {result.checked_at:%Y-%m-%d %H:%M} UTC in {result.duration_s:.1f} s.",
        "",
    ]
    lines += ["## What was checked", ""]
    rows = sum(c.rows for c in result.checks)
    lines.append(
        f"- {len(result.checks)} table(s), {rows} row(s) in total; every value of every text column was read (no sampling)."
    )
    lines.append(
        "- Column names: the allowed column set where one is declared (partner contracts, published tables), "
        "and a French + English list of words that denote personal data (name, e-mail, phone, address, birth date, …)."
    )
    lines.append(
        "- Values of every text column, for: " + "; ".join(f"{r.title.lower()}" for r in value_rules()) + "."
    )
    lines.append(
        "- Numbers of 13 digits or more, for card numbers and social-security numbers stored as numbers."
    )
    lines.append("- Counts of offences against persons: no published value between 1 and k-1 (small cells).")
    lines.append("")
    lines += ["| table | rows | columns | text columns scanned |", "| --- | ---: | ---: | ---: |"]
    for check in result.checks:
        lines.append(f"| {check.table} | {check.rows} | {len(check.columns)} | {len(check.text_columns)} |")
    lines.append("")
    lines += ["## What was found", ""]
    refusals = result.refusals
    if not refusals:
        lines.append(
            "Nothing. No column outside the allowed sets, no personal-data column name, no personal value."
        )
    else:
        by_table: dict[str, list[str]] = defaultdict(list)
        for finding in refusals:
            title = RULE_TITLES.get(finding.rule) or finding.detail or finding.rule
            where = f"column `{finding.column}`" if finding.column else "the table itself"
            text = f"- {where}: {title}"
            if finding.count:
                text += f", {finding.count} value(s)"
            if finding.rule in RULE_TITLES and finding.detail:
                text += f" ({finding.detail})"
            if finding.examples:
                text += "; masked examples: " + ", ".join(f"`{e}`" for e in finding.examples)
            by_table[finding.table].append(text)
        for table, items in by_table.items():
            lines += [f"### {table}", "", *items, ""]
    notes = [f for f in result.findings if f.severity == "note"]
    if notes:
        lines += ["## Notes (not blocking)", ""] + [f"- {n.describe()}" for n in notes] + [""]
    if result.evidence.get("data_docs_index"):
        lines += [
            "## Evidence",
            "",
            f"Great Expectations Data Docs: {result.evidence['data_docs_index']}",
            "",
        ]
    lines.append("Examples are masked: they show the kind of data found, never the data itself.")
    return "\n".join(lines) + "\n"

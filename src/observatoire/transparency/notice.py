"""Rendering the transparency notice: French (reference) and English, Markdown and HTML."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import markdown  # type: ignore[import-untyped]

from .. import config as platform_config
from .facts import NoticeFacts, collect_facts

LANGS: tuple[str, ...] = ("fr", "en")

AXIS_LABELS = {
    "fr": {
        "location": "Lieu",
        "participants": "Participants",
        "nature": "Nature",
        "sector": "Secteur",
        "weekend": "Semaine / week-end",
        "summer": "Hiver / été",
        "emprise": "Emprise (surface occupée)",
        "duration": "Durée",
    },
    "en": {
        "location": "Location",
        "participants": "Participants",
        "nature": "Nature",
        "sector": "Sector",
        "weekend": "Weekday / weekend",
        "summer": "Winter / summer",
        "emprise": "Footprint",
        "duration": "Duration",
    },
}
METHOD_LABELS = {
    "fr": {
        "similarity_index": "Événements similaires (l'outil)",
        "same_nature_mean": "Moyenne de la même nature",
        "global_mean": "Moyenne générale",
    },
    "en": {
        "similarity_index": "Similar events (the tool)",
        "same_nature_mean": "Mean of the same nature",
        "global_mean": "Overall mean",
    },
}
OUTCOME_LABELS = {
    "fr": {
        "offences_total": "infractions (total)",
        "offences_atteinte_biens": "atteintes aux biens",
        "offences_atteinte_personnes": "atteintes aux personnes",
        "offences_tranquillite": "atteintes à la tranquillité",
        "offences_circulation": "infractions de circulation",
        "offences_stationnement": "infractions de stationnement",
        "offences_environnement": "atteintes à l'environnement",
        "interventions_total": "interventions",
        "agents_municipal": "agents de police municipale",
        "agents_prefecture": "effectifs de la Préfecture",
        "agents_total": "effectifs totaux",
        "tunnel_traffic_deviation_pct": "écart de trafic du tunnel (%)",
        "tunnel_incidents": "incidents du tunnel",
        "tunnel_closures": "fermetures du tunnel",
        "rtm_disruptions": "perturbations RTM",
        "conflict_count": "conflits (travaux, autres événements)",
    },
    "en": {
        "offences_total": "offences (total)",
        "offences_atteinte_biens": "offences against property",
        "offences_atteinte_personnes": "offences against persons",
        "offences_tranquillite": "public-tranquillity offences",
        "offences_circulation": "traffic offences",
        "offences_stationnement": "parking offences",
        "offences_environnement": "environmental offences",
        "interventions_total": "interventions",
        "agents_municipal": "municipal police agents",
        "agents_prefecture": "Préfecture staff",
        "agents_total": "total staff",
        "tunnel_traffic_deviation_pct": "tunnel traffic deviation (%)",
        "tunnel_incidents": "tunnel incidents",
        "tunnel_closures": "tunnel closures",
        "rtm_disruptions": "RTM disruptions",
        "conflict_count": "conflicts (works, other events)",
    },
}
PARTNER_LABELS = {
    "ville": "Ville de Marseille",
    "prefecture": "Préfecture de police des Bouches-du-Rhône",
    "smtpc": "SMTPC (tunnel Prado-Carénage)",
    "metropole": "Métropole Aix-Marseille-Provence",
}


def format_number(value: Any, digits: int = 0, lang: str = "en") -> str:
    """A figure as people read it in ``lang``; "—" when it does not exist."""
    if value is None:
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number != number:  # NaN
        return "—"
    if digits == 0 or number.is_integer() and digits <= 1:
        text = f"{number:,.0f}" if digits == 0 or number.is_integer() else f"{number:,.{digits}f}"
    else:
        text = f"{number:,.{digits}f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",").replace("-", "\u2212")
    return text


MONTHS = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def format_when(value: Any, lang: str, time: bool = True) -> str:
    """A local time "YYYY-MM-DD HH:MM" as people write it: "1er mars 2026 à 6 h 05", "1 March 2026, 06:05"."""
    if not value:
        return "—"
    try:
        stamp = datetime.strptime(str(value)[:16], "%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)
    month = MONTHS[lang][stamp.month - 1]
    if lang == "fr":
        day = "1er" if stamp.day == 1 else str(stamp.day)
        text = f"{day} {month} {stamp.year}"
        return f"{text} à {stamp.hour} h {stamp.minute:02d}" if time else text
    text = f"{stamp.day} {month} {stamp.year}"
    return f"{text}, {stamp.hour:02d}:{stamp.minute:02d}" if time else text


def plural(count: Any, one: str, many: str, lang: str) -> str:
    """``one`` or ``many`` after ``count`` (French: 0 and 1 take the singular)."""
    number = float(count or 0)
    return one if (number <= 1 if lang == "fr" else number == 1) else many


UNIT_GAPS = {
    "fr": {
        "nature": "familles de natures différentes",
        "sector": "secteurs différents",
        "weekend": "l'un en semaine, l'autre le week-end",
        "summer": "l'un en été, l'autre en hiver",
    },
    "en": {
        "nature": "natures of different families",
        "sector": "different sectors",
        "weekend": "one on a weekday, the other at the weekend",
        "summer": "one in summer, the other in winter",
    },
}


def unit_gap(parameter: dict[str, Any], lang: str) -> str:
    """What makes a gap of 1 on an axis, from its scale: "1 km", "a ratio of 3.2", "different sectors"."""
    axis = parameter["axis"]
    if axis == "location":
        return f"{_short(parameter['scale'], 2, lang)} km"
    if parameter.get("factor") is not None:
        ratio = _short(parameter["factor"], 1, lang)
        return (
            f"un rapport de {ratio} entre les deux" if lang == "fr" else f"a ratio of {ratio} between the two"
        )
    return UNIT_GAPS[lang].get(axis, "—")


def _short(value: float, digits: int, lang: str) -> str:
    """A figure rounded to ``digits`` decimals, without trailing zeros (1 km, 3,2, 2)."""
    rounded = round(float(value), digits)
    places = next((d for d in range(digits + 1) if round(rounded, d) == rounded), digits)
    return format_number(rounded, places, lang)


GATE_WORDS = {
    "fr": {
        "tables_checked": "tables contrôlées",
        "rows_checked": "lignes contrôlées",
        "findings": "anomalies",
    },
    "en": {"tables_checked": "tables checked", "rows_checked": "rows checked", "findings": "findings"},
}


def _json_text(value: Any) -> str:
    """A value stored in a form the words below do not know, as JSON (no "|": it would split a table cell)."""
    return json.dumps(value, ensure_ascii=False, default=str).replace("|", "/")


def gate_words(summary: Any, lang: str) -> str:
    """The publication check's summary in words (its counts), else as it was stored."""
    if isinstance(summary, dict):
        words = GATE_WORDS[lang]
        parts = [
            f"{format_number(summary[key], 0, lang)} {label}"
            for key, label in words.items()
            if key in summary
        ]
        if parts:
            return ", ".join(parts)
    return _json_text(summary)


def suppressed_words(cells: Any, lang: str) -> str:
    """Cells masked per table, in words: "3 dans fct_event"."""
    if isinstance(cells, dict):
        joiner = " dans " if lang == "fr" else " in "
        return ", ".join(f"{format_number(count, 0, lang)}{joiner}{table}" for table, count in cells.items())
    return _json_text(cells)


def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("observatoire.transparency", "templates"),
        autoescape=False,  # Markdown output; the HTML page escapes through the markdown converter
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    outcome_label = OUTCOME_LABELS[lang]
    env.globals.update(
        n=lambda value, digits=0: format_number(value, digits, lang),
        pct=lambda value: format_number(100 * value, 0, lang) + ("\u202f%" if lang == "fr" else "%"),
        axis_label=lambda axis: AXIS_LABELS[lang].get(axis, axis),
        method_label=lambda method: METHOD_LABELS[lang].get(method, method),
        outcome_label=lambda outcome: outcome_label.get(outcome, outcome),
        partner_label=lambda partner: PARTNER_LABELS.get(partner, partner),
        when=lambda value, time=True: format_when(value, lang, time),
        plural=lambda count, one, many: plural(count, one, many, lang),
        unit_gap=lambda parameter: unit_gap(parameter, lang),
        gate_words=lambda summary: gate_words(summary, lang),
        suppressed_words=lambda cells: suppressed_words(cells, lang),
    )
    env.filters["outcome_label"] = lambda outcome: outcome_label.get(outcome, outcome)
    return env


def render_markdown(facts: NoticeFacts, lang: str) -> str:
    return _environment(lang).get_template(f"notice_{lang}.md.j2").render(f=facts)


def render_html(markdown_text: str, lang: str) -> str:
    body = markdown.markdown(markdown_text, extensions=["tables"], output_format="html")
    title = markdown_text.splitlines()[0].lstrip("# ").strip()
    return _environment(lang).get_template("page.html.j2").render(body=body, lang=lang, title=title)


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def write_notice(db: Path | str | None = None, out: Path | str | None = None) -> list[Path]:
    """Write notice_{fr,en}.{md,html} (and index.html, the French page) into ``out``; return the paths."""
    paths = platform_config.paths()
    database = Path(db) if db is not None else paths.published
    folder = Path(out) if out is not None else paths.docs / "transparency"
    folder.mkdir(parents=True, exist_ok=True)
    facts = collect_facts(database)
    written: list[Path] = []
    for lang in LANGS:
        text = render_markdown(facts, lang)
        html = render_html(text, lang)
        for suffix, content in (("md", text), ("html", html)):
            target = folder / f"notice_{lang}.{suffix}"
            _write(target, content)
            written.append(target)
        if lang == "fr":
            _write(folder / "index.html", html)
            written.append(folder / "index.html")
    return written

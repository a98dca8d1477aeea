"""Rendering the transparency notice: French (reference) and English, Markdown and HTML."""

from __future__ import annotations

import json
import os
import tempfile
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
        "emprise": "Emprise",
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
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


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
        fmt_json=lambda value: json.dumps(value, ensure_ascii=False, default=str).replace("|", "/"),
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

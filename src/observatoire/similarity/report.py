"""Human-readable rendering of a query result for the terminal."""

from __future__ import annotations

from .query import QueryResult

_HEADLINE_OUTCOMES = (
    "offences_total",
    "interventions_total",
    "agents_total",
    "rtm_disruptions",
    "conflict_count",
)

_TEXT = {
    "en": {
        "planned": "Planned event",
        "imputed": "imputed",
        "neighbours": "Most similar past events",
        "none": "No past event to compare with.",
        "forecast": "Similarity-weighted forecast",
        "risk": "Risk score",
        "risk_help": "decile of the forecast {outcome} among {n} past events ({share:.0%} of them had less)",
        "why": "why",
        "note": "Note",
        "support": "This tool supports a human decision; it decides nothing by itself.",
    },
    "fr": {
        "planned": "Événement prévu",
        "imputed": "imputée",
        "neighbours": "Événements passés les plus similaires",
        "none": "Aucun événement passé à comparer.",
        "forecast": "Prévision pondérée par la similarité",
        "risk": "Score de risque",
        "risk_help": "décile de la prévision de {outcome} parmi {n} événements passés ({share:.0%} en ont eu moins)",
        "why": "pourquoi",
        "note": "Remarque",
        "support": "Cet outil aide une décision humaine ; il ne décide de rien par lui-même.",
    },
}


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else (f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}")


def format_result(result: QueryResult, lang: str = "en") -> str:
    t = _TEXT[lang]
    p = result.planned
    where = p.place_name or f"{p.latitude:.5f}, {p.longitude:.5f}"
    emprise = f"{p.emprise_m2:.0f} m²" + (f" ({t['imputed']})" if p.emprise_imputed else "")
    lines = [
        f"{t['planned']}: {p.nature} — {where} (sector {p.sector}) — {p.starts_at_local} Europe/Paris, "
        f"{p.duration_hours:g} h, {p.participants:.0f} participants, {emprise}",
        "",
    ]
    if not result.neighbours:
        lines.append(t["none"])
    else:
        lines.append(f"{t['neighbours']} (k={result.k}):")
        for n in result.neighbours:
            outcomes = ", ".join(
                f"{o}={_fmt(n.outcomes.get(o))}" for o in _HEADLINE_OUTCOMES if o in n.outcomes
            )
            lines.append(
                f"{n.rank:>3}. {n.similarity:.3f}  {n.starts_at_local}  {n.nature:<16} {n.place_name or '-'}  "
                f"[{n.event_id}]"
            )
            lines.append(f"       {outcomes}")
            ranked = sorted(n.axes, key=lambda a: -a.share_of_d2)
            words = "; ".join(
                f"{(a.words_fr if lang == 'fr' else a.words_en)} ({a.share_of_d2:.0%})"
                for a in ranked
                if a.share_of_d2 > 0.005
            ) or ("identique sur tous les axes" if lang == "fr" else "identical on every axis")
            lines.append(f"       {t['why']}: {words}")
        lines.append("")
        lines.append(f"{t['forecast']}:")
        for outcome, value in result.forecast.items():
            lines.append(f"    {outcome:<30} {_fmt(value)}")
    if result.risk_score is not None and result.risk_share_below is not None:
        help_text = t["risk_help"].format(
            outcome=result.risk_outcome, n=result.past_events, share=result.risk_share_below
        )
        lines += ["", f"{t['risk']}: {result.risk_score}/10 — {help_text}"]
    for note in result.notes:
        lines.append(f"{t['note']}: {note}")
    lines += [
        "",
        t["support"],
        f"config {result.config_fingerprint[:19]}…, data {str(result.data_snapshot_id)[:19]}…",
    ]
    return "\n".join(lines)

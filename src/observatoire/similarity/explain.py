"""Plain-word explanations of why a past event is similar to another (French and English)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AxisValues:
    """What one event looks like on the eight axes, for the sentences below."""

    nature: str
    family: str
    sector: int
    weekend: bool
    summer: bool
    participants: float
    emprise_m2: float
    duration_hours: float


def _n(value: float, lang: str) -> str:
    text = f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.1f}"
    return text.replace(",", "\u202f").replace(".", ",") if lang == "fr" else text


def _sector(value: int, lang: str) -> str:
    if lang == "fr":
        return "1er secteur" if value == 1 else f"{value}e secteur"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(value, "th")
    return f"{value}{suffix} sector"


def axis_sentence(axis: str, planned: AxisValues, past: AxisValues, distance_km: float, lang: str) -> str:
    fr = lang == "fr"
    if axis == "location":
        return f"à {_n(distance_km, lang)} km" if fr else f"{_n(distance_km, lang)} km away"
    if axis == "participants":
        return (
            f"{_n(past.participants, lang)} participants (contre {_n(planned.participants, lang)})"
            if fr
            else f"{_n(past.participants, lang)} participants (vs {_n(planned.participants, lang)})"
        )
    if axis == "emprise":
        return (
            f"emprise {_n(past.emprise_m2, lang)} m² (contre {_n(planned.emprise_m2, lang)})"
            if fr
            else f"footprint {_n(past.emprise_m2, lang)} m² (vs {_n(planned.emprise_m2, lang)})"
        )
    if axis == "duration":
        return (
            f"durée {_n(past.duration_hours, lang)} h (contre {_n(planned.duration_hours, lang)})"
            if fr
            else f"lasted {_n(past.duration_hours, lang)} h (vs {_n(planned.duration_hours, lang)})"
        )
    if axis == "nature":
        if past.nature == planned.nature:
            return "même nature" if fr else "same nature"
        if past.family == planned.family:
            return (
                f"nature voisine ({past.nature}, même famille {past.family})"
                if fr
                else f"related nature ({past.nature}, same family {past.family})"
            )
        return f"autre nature ({past.nature})" if fr else f"different nature ({past.nature})"
    if axis == "sector":
        if past.sector == planned.sector:
            return (
                f"même secteur ({_sector(past.sector, lang)})" if fr else f"same {_sector(past.sector, lang)}"
            )
        return (
            f"autre secteur ({_sector(past.sector, lang)})"
            if fr
            else f"other sector ({_sector(past.sector, lang)})"
        )
    if axis == "weekend":
        label = (
            ("week-end" if past.weekend else "semaine") if fr else ("weekend" if past.weekend else "weekday")
        )
        same = past.weekend == planned.weekend
        return (
            f"{'également' if same else 'mais'} en {label}"
            if fr
            else f"{'also' if same else 'but'} on a {label}"
        )
    if axis == "summer":
        label = ("été" if past.summer else "hiver") if fr else ("summer" if past.summer else "winter")
        same = past.summer == planned.summer
        return (
            f"{'également' if same else 'mais'} en {label}"
            if fr
            else f"{'also' if same else 'but'} in {label}"
        )
    raise ValueError(axis)

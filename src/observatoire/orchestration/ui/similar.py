"""The "Similar events" page: from the form's eight axes to a planned event, and the query.

The page asks for what a planner knows about an upcoming event; the eight axes of DESIGN §5 follow:
location (venue or coordinates), participants, nature, sector (from the arrondissement), weekday or
weekend and winter or summer (from the start, in Europe/Paris), footprint (emprise) and duration.
The query itself is the similarity package's, run on the published file (consumers never open the
warehouse).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ...contracts.registry import CITY_NATURES
from ...errors import BadInput
from ...geography import VENUES, sector_of, venue

DEFAULT_VENUE = "Orange Vélodrome"


def default_form(starts: datetime) -> dict[str, str]:
    """An OM match at the Vélodrome: the example planners know best."""
    return {
        "nature": "match_football",
        "venue": DEFAULT_VENUE,
        "latitude": "",
        "longitude": "",
        "arrondissement": "",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "duration_hours": "3",
        "participants": "60000",
        "emprise_m2": "",
        "k": "10",
    }


def form_choices() -> dict[str, Any]:
    return {"natures": list(CITY_NATURES), "venues": [v.name for v in VENUES], "arrondissements": list(range(1, 17))}


def _number(form: dict[str, str], name: str, *, integer: bool = False, required: bool = True) -> float | None:
    raw = form.get(name, "").strip().replace(",", ".")
    if not raw:
        if required:
            raise BadInput(f"{name.replace('_', ' ')} is required")
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadInput(f"{name.replace('_', ' ')} must be a number, not {raw!r}") from None
    if value < 0:
        raise BadInput(f"{name.replace('_', ' ')} must not be negative")
    return float(int(value)) if integer else value


def planned_event_from_form(form: dict[str, str]) -> Any:
    """The form as the similarity package's ``PlannedEvent``; ``BadInput`` with a readable message."""
    from ...similarity import PlannedEvent

    nature = form.get("nature", "")
    if nature not in CITY_NATURES:
        raise BadInput(f"unknown nature {nature!r}")
    latitude = _number(form, "latitude", required=False)
    longitude = _number(form, "longitude", required=False)
    if (latitude is None) != (longitude is None):
        raise BadInput("give both latitude and longitude, or neither (the venue is then used)")
    arrondissement = _number(form, "arrondissement", integer=True, required=False)
    if arrondissement is not None and not 1 <= arrondissement <= 16:
        raise BadInput("arrondissement must be between 1 and 16")
    place = None
    if latitude is None:
        place = form.get("venue", "")
        try:
            venue(place)
        except (KeyError, ValueError):
            raise BadInput(f"unknown venue {place!r}: choose one or give latitude and longitude") from None
    starts = form.get("starts_at", "").replace("T", " ")
    try:
        datetime.fromisoformat(starts)
    except ValueError:
        raise BadInput("start must be a date and time (YYYY-MM-DD HH:MM, Paris time)") from None
    k = int(_number(form, "k", integer=True, required=False) or 10)
    return PlannedEvent(
        nature=nature,
        starts_at=starts,
        duration_hours=float(_number(form, "duration_hours") or 0),
        participants=float(_number(form, "participants") or 0),
        place=place,
        latitude=latitude,
        longitude=longitude,
        emprise_m2=_number(form, "emprise_m2", required=False),
        sector=sector_of(int(arrondissement)) if arrondissement is not None else None,
        k=max(1, min(k, 50)),
    )


def query(published: Path, planned: Any) -> dict[str, Any]:
    """Neighbours, forecast, risk and explanations of ``planned`` among the published past events."""
    if not published.exists():
        raise BadInput(f"nothing is published yet ({published}): run `observatoire demo` or the build_warehouse DAG")
    from ...similarity import query_planned_event

    result: dict[str, Any] = query_planned_event(published, planned).to_dict()
    return result

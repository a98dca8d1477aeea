"""The "Similar events" page: from the form's eight axes to a planned event, and the query.

The page asks for what a planner knows about an upcoming event; the eight axes of DESIGN §5 follow:
location (venue or coordinates), participants, nature, sector (from the arrondissement), weekday or
weekend and winter or summer (from the start, in Europe/Paris), footprint (emprise) and duration.
The query itself is the similarity package's, run on the published file (consumers never open the
warehouse).
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ...config import TIMEZONE
from ...contracts.registry import CITY_NATURES
from ...errors import BadInput
from ...geography import VENUES, venue

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


def planned_event_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The planned event as the similarity query takes it; ``BadInput`` with a readable message."""
    nature = form.get("nature", "")
    if nature not in CITY_NATURES:
        raise BadInput(f"unknown nature {nature!r}")
    latitude = _number(form, "latitude", required=False)
    longitude = _number(form, "longitude", required=False)
    arrondissement = _number(form, "arrondissement", integer=True, required=False)
    place_name = None
    if latitude is None or longitude is None:
        try:
            place = venue(form.get("venue", ""))
        except (KeyError, ValueError):
            raise BadInput("choose a venue or give latitude and longitude") from None
        latitude, longitude, place_name = place.latitude, place.longitude, place.name
        arrondissement = arrondissement or float(place.arrondissement)
    if arrondissement is None or not 1 <= arrondissement <= 16:
        raise BadInput("arrondissement must be between 1 and 16")
    try:
        local_start = datetime.fromisoformat(form.get("starts_at", ""))
    except ValueError:
        raise BadInput("start must be a date and time (YYYY-MM-DDTHH:MM)") from None
    if local_start.tzinfo is None:
        local_start = local_start.replace(tzinfo=ZoneInfo(TIMEZONE))
    k = int(_number(form, "k", integer=True, required=False) or 10)
    return {
        "nature": nature,
        "place_name": place_name,
        "latitude": latitude,
        "longitude": longitude,
        "arrondissement": int(arrondissement),
        "starts_at": local_start,
        "duration_hours": _number(form, "duration_hours"),
        "participants": _number(form, "participants", integer=True, required=False),
        "emprise_m2": _number(form, "emprise_m2", required=False),
        "k": max(1, min(k, 50)),
    }


def _plain(value: Any) -> Any:
    """Dataclasses, frames and numpy values to plain Python for the template."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if hasattr(value, "to_dict") and hasattr(value, "columns"):
        return [_plain(r) for r in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def query(published: Path, event: dict[str, Any]) -> dict[str, Any]:
    """Neighbours, forecast, risk and explanations of ``event`` among the published past events."""
    if not published.exists():
        raise BadInput(f"nothing is published yet ({published}): run `observatoire demo` or the build_warehouse DAG")
    from ...similarity.query import query_planned_event

    k = int(event.pop("k", 10))
    return dict(_plain(query_planned_event(published, event, k=k)))

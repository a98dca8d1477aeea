"""How partners report the real events: their own ids, titles, roundings, delays and omissions.

One real event becomes, as in reality, several partner records: a city event with its traffic orders, a
DataTourisme record with a slightly different title and times, a Préfecture cortège exported when
declared and again after the event, a linked Préfecture operation, RTM disruptions, a Métropole tunnel
closure. Every record id is written to the ground truth with the real event's id.

Records are kept as dictionaries of Python values (aware datetimes for timestamps); ``writers.py``
turns them into each partner's wire format.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..geography import MARSEILLE_INSEE_CODE, postcode_of
from .calendar import PARIS
from .outcomes import Latent
from .places import METROPOLE_TUNNELS, STREETS, Street, nearest_stops, nearest_streets
from .randomness import Draws
from .world import CANCELLED, FORBIDDEN, HAPPENED, REFUSED, RealEvent

Record = dict[str, Any]

DATATOURISME_NIV2: dict[str, str] = {
    "concert": "Concert",
    "festival": "Festival",
    "spectacle": "Spectacle",
    "fete_populaire": "Fête et bal",
    "feu_artifice": "Spectacle pyrotechnique",
    "match_football": "Manifestation sportive",
    "match_autre": "Manifestation sportive",
    "course": "Manifestation sportive",
    "marche": "Marché",
    "foire": "Foire ou salon",
    "brocante": "Vide-grenier et brocante",
    "exposition": "Exposition",
    "ceremonie": "Commémoration",
    "manifestation": "Manifestation culturelle",
}
EVENT_CATEGORY = "Fête et manifestation"


@dataclass
class Deliveries:
    """Everything the partners hold, plus the ground-truth links."""

    city_events: list[Record] = field(default_factory=list)
    traffic_orders: list[Record] = field(default_factory=list)
    prefecture: dict[str, list[tuple[date, Record]]] = field(
        default_factory=lambda: {
            "manifestations": [],
            "visites_officielles": [],
            "operations_programmees": [],
        }
    )
    rtm: list[Record] = field(default_factory=list)
    datatourisme: list[Record] = field(default_factory=list)
    closures: list[Record] = field(default_factory=list)
    tunnel_incidents: list[Record] = field(default_factory=list)
    truth_links: list[Record] = field(default_factory=list)

    def link(self, true_id: str | None, partner: str, dataset: str, record_id: str, role: str) -> None:
        self.truth_links.append(
            {
                "true_event_id": true_id,
                "partner": partner,
                "dataset": dataset,
                "record_id": record_id,
                "role": role,
            }
        )


class IdMaker:
    """Sequential ids per prefix and year, in generation order (hence deterministic)."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, int], int] = defaultdict(int)

    def next(self, prefix: str, year: int) -> int:
        self._counters[(prefix, year)] += 1
        return self._counters[(prefix, year)]


def _round_to(value: float, step: int) -> int:
    return int(max(step, round(value / step) * step)) if value >= step else int(round(value))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(ch if ch.isalnum() else " " for ch in ascii_text).split()
    return "-".join(words[:3]) or "evenement"


def round_minutes(moment: datetime, step: int) -> datetime:
    """Round to a multiple of ``step`` minutes (partners' systems hold minutes, not seconds)."""
    seconds = step * 60
    stamp = moment.timestamp()
    return datetime.fromtimestamp(round(stamp / seconds) * seconds, tz=UTC)


def _clip(moment: datetime, latest: datetime) -> datetime:
    return min(moment, latest)


@dataclass
class Reporter:
    period_start: date
    period_end: date
    draws: Draws
    deliveries: Deliveries = field(default_factory=Deliveries)
    ids: IdMaker = field(default_factory=IdMaker)

    @property
    def now(self) -> datetime:
        """End of the simulated period: nothing is updated after it."""
        return datetime(
            self.period_end.year, self.period_end.month, self.period_end.day, 23, 59, tzinfo=PARIS
        ).astimezone(UTC)

    def _export_day(self, moment: datetime) -> date | None:
        """The Préfecture daily export holding a record created/updated at ``moment`` (None: after the period)."""
        day = moment.astimezone(PARIS).date()
        if day > self.period_end:
            return None
        return max(day, self.period_start)

    # -- one event ----------------------------------------------------------------------------------

    def report(self, event: RealEvent, latent: Latent) -> None:
        city_id = self._city_event(event) if event.city else None
        cortege_id = self._cortege(event, latent) if event.prefecture else None
        if event.visit_level is not None:
            self._visit(event, latent)
        if event.datatourisme:
            self._datatourisme(event)
        if event.status == HAPPENED or (event.status == CANCELLED and self.draws.chance(0.3)):
            self._traffic_orders(event, city_id)
        if event.status == HAPPENED:
            if event.linked_operation or event.nature == "operation":
                self._operation(event, latent, city_id or cortege_id)
            self._rtm_for_event(event, latent)
            if event.metropole_closure:
                self._closure_for_event(event)

    def _city_event(self, event: RealEvent) -> str:
        draws = self.draws
        year = event.local_start.year
        record_id = f"VDM-EVT-{year}-{self.ids.next('EVT', year):05d}"
        lead_days = draws.uniform(3, 20) if event.nature == "tournage" else draws.uniform(15, 120)
        created = event.start - timedelta(days=lead_days)
        if event.status == REFUSED:
            status, updated = "refuse", created + timedelta(days=draws.uniform(5, 20))
        elif event.status == CANCELLED:
            status, updated = "annule", event.start - timedelta(days=draws.uniform(0, min(7, lead_days)))
        elif event.end + timedelta(days=3) <= self.now:
            status, updated = "termine", event.end + timedelta(hours=draws.uniform(12, 72))
        elif event.start - self.now < timedelta(days=10) and draws.chance(0.3):
            status, updated = "demande", created
        else:
            status, updated = "autorise", created + timedelta(days=draws.uniform(2, 15))
        jauge: int | None = _round_to(
            event.participants * draws.lognormal_factor(0.15), 100 if event.participants > 2000 else 10
        )
        if draws.chance(0.5 if event.nature == "tournage" else 0.08):
            jauge = None
        emprise: float | None = round(event.emprise_m2 * draws.lognormal_factor(0.1), 0)
        if draws.chance(0.12):
            emprise = None
        self.deliveries.city_events.append(
            {
                "id": record_id,
                "intitule": event.title[:200],
                "nature": event.nature,
                "lieu": event.place[:120],
                "arrondissement": event.arrondissement,
                "latitude": round(event.latitude, 6),
                "longitude": round(event.longitude, 6),
                "debut": event.start,
                "fin": event.end,
                "jauge": jauge,
                "emprise_m2": emprise,
                "organisateur_type": event.organiser,
                "statut": status,
                "maj": _clip(updated, self.now),
            }
        )
        self.deliveries.link(event.true_id, "ville", "evenements", record_id, "event")
        return record_id

    def _order(
        self, true_id: str | None, motif: str, city_id: str | None, street: Street, start: datetime, end: datetime,
        measure: str, updated: datetime, role: str,
    ) -> None:  # fmt: skip
        year = start.astimezone(PARIS).year
        number = self.ids.next("ARR", year)
        record_id = f"VDM-ARR-{year}-{number:05d}"
        self.deliveries.traffic_orders.append(
            {
                "id": record_id,
                "numero_arrete": f"{year}_{number:05d}_VDM",
                "motif": motif,
                "evenement_id": city_id,
                "voie": street.name,
                "arrondissement": street.arrondissement,
                "latitude": street.latitude,
                "longitude": street.longitude,
                "debut": round_minutes(start, 15),
                "fin": round_minutes(end, 15),
                "mesure": measure,
                "maj": _clip(updated, self.now),
            }
        )
        self.deliveries.link(true_id, "ville", "arretes_circulation", record_id, role)

    def _traffic_orders(self, event: RealEvent, city_id: str | None) -> None:
        draws = self.draws
        participants = event.participants
        measures: tuple[str, ...]
        if event.nature == "tournage":
            count, motif, measures = 1, "tournage", ("stationnement_interdit",)
        elif event.nature == "marche":
            return  # markets run under one standing order a year (see baselines)
        elif event.nature == "match_football":
            count, motif, measures = 3, "evenement", ("stationnement_interdit", "fermeture_voie", "deviation")
        elif event.demo_form == "CORTEGE" and event.prefecture and not event.city:
            if participants < 1000 or event.status != HAPPENED:
                return
            count, motif, measures = (
                len(event.route_streets) or 1,
                "evenement",
                ("fermeture_voie", "deviation"),
            )
        elif event.visit_level in ("CHEF_ETAT", "CHEF_GOUVERNEMENT"):
            count, motif, measures = 1, "autre", ("stationnement_interdit",)
        elif not event.city:
            return
        elif participants >= 5000:
            count, motif, measures = 2, "evenement", ("fermeture_voie", "stationnement_interdit", "deviation")
        elif participants >= 1000 or event.nature in ("brocante", "course"):
            count, motif, measures = 1, "evenement", ("stationnement_interdit", "fermeture_voie")
        else:
            if not draws.chance(0.15):
                return
            count, motif, measures = 1, "evenement", ("stationnement_interdit",)
        streets = list(event.route_streets) or nearest_streets(event.latitude, event.longitude, count)
        if len(streets) < count:
            streets += nearest_streets(event.latitude, event.longitude, count)[len(streets) :]
        created = event.start - timedelta(days=draws.uniform(2, 20))
        for index, street in enumerate(streets[:count]):
            measure = measures[index % len(measures)]
            before = timedelta(
                hours=draws.uniform(3, 8) if measure == "stationnement_interdit" else draws.uniform(0.5, 2)
            )
            self._order(
                event.true_id, motif, city_id, street, event.start - before,
                event.end + timedelta(hours=draws.uniform(0.5, 2)), measure, created, "event",
            )  # fmt: skip

    def _cortege(self, event: RealEvent, latent: Latent) -> str:
        draws = self.draws
        year = event.local_start.year
        record_id = f"CRT-{year}-{self.ids.next('CRT', year):05d}"
        static = event.demo_form == "RASSEMBLEMENT_STATIQUE"
        declared_at = event.start - timedelta(days=draws.uniform(1, 5) if static else draws.uniform(3, 15))
        declared: int | None = _round_to(event.participants * draws.lognormal_factor(0.3) * 1.3, 50)
        if draws.chance(0.05):
            declared = None
        planned_staff = round(
            (10 + 3 * math.sqrt(declared or event.participants)) * draws.lognormal_factor(0.15)
        )
        arrival = None if static else event.arrival
        base: Record = {
            "ID_CORTEGE": record_id,
            "DATE_DEBUT": event.start,
            "DATE_FIN": event.end,
            "TYPE": event.demo_type or "REVENDICATIVE",
            "THEME": (event.theme or event.title)[:120],
            "FORME": event.demo_form or "CORTEGE",
            "LIEU_DEPART": event.place[:120],
            "ARRONDISSEMENT_DEPART": event.arrondissement,
            "LAT_DEPART": round(event.latitude, 5),
            "LON_DEPART": round(event.longitude, 5),
            "LIEU_ARRIVEE": arrival[0] if arrival else None,
            "LAT_ARRIVEE": round(arrival[1], 5) if arrival else None,
            "LON_ARRIVEE": round(arrival[2], 5) if arrival else None,
            "PARTICIPANTS_DECLARES": declared,
            "PARTICIPANTS_CONSTATES": None,
            "EFFECTIFS_FDO": planned_staff,
            "STATUT": "DECLAREE",
        }
        exports = self.deliveries.prefecture["manifestations"]
        first_day = self._export_day(declared_at)
        changes: Record
        if event.status == FORBIDDEN:
            update_at, changes = event.start - timedelta(days=draws.uniform(0.5, 3)), {"STATUT": "INTERDITE"}
        elif event.status == CANCELLED:
            update_at, changes = event.start - timedelta(days=draws.uniform(0, 2)), {"STATUT": "ANNULEE"}
        else:
            # The after-action report fills the counted participants and the staff actually deployed.
            update_at = event.end + timedelta(hours=draws.uniform(10, 60))
            counted = _round_to(
                event.participants * draws.lognormal_factor(0.1), 50 if event.participants > 500 else 10
            )
            changes = {
                "STATUT": "TERMINEE",
                "PARTICIPANTS_CONSTATES": counted,
                "EFFECTIFS_FDO": latent.prefecture_staff,
            }
        update_day = self._export_day(max(update_at, declared_at))
        # A daily export holds each record once, in its state at the end of that day.
        if first_day is not None and first_day != update_day:
            exports.append((first_day, dict(base)))
        if update_day is not None:
            exports.append((update_day, {**base, **changes}))
        self.deliveries.link(event.true_id, "prefecture", "manifestations", record_id, "event")
        return record_id

    def _visit(self, event: RealEvent, latent: Latent) -> None:
        draws = self.draws
        year = event.local_start.year
        record_id = f"VIS-{year}-{self.ids.next('VIS', year):05d}"
        perimeter = {"CHEF_ETAT": 800, "CHEF_GOUVERNEMENT": 500, "DELEGATION_ETRANGERE": 300}.get(
            event.visit_level or "", 150
        )
        record = {
            "ID_VISITE": record_id,
            "DATE_DEBUT": event.start,
            "DATE_FIN": event.end,
            "NIVEAU": event.visit_level,
            "LIEU": event.place[:120],
            "ARRONDISSEMENT": event.arrondissement,
            "LAT": round(event.latitude, 5),
            "LON": round(event.longitude, 5),
            "PERIMETRE_SECURITE_M": _round_to(perimeter * draws.uniform(0.7, 1.3), 50),
            "EFFECTIFS_FDO": latent.prefecture_staff or round(VISIT_FALLBACK_STAFF * draws.uniform(0.8, 1.2)),
        }
        export_day = self._export_day(event.start - timedelta(days=draws.uniform(0, 5)))
        if export_day is not None:
            self.deliveries.prefecture["visites_officielles"].append((export_day, record))
        self.deliveries.link(event.true_id, "prefecture", "visites_officielles", record_id, "event")

    def _operation(self, event: RealEvent, latent: Latent, linked_id: str | None) -> None:
        draws = self.draws
        year = event.local_start.year
        record_id = f"OPS-{year}-{self.ids.next('OPS', year):05d}"
        long_event = event.duration_hours > 24
        start = event.start - timedelta(hours=draws.uniform(1, 3))
        end = (
            start + timedelta(hours=draws.uniform(8, 12))
            if long_event
            else event.end + timedelta(hours=draws.uniform(0.5, 2))
        )
        record = {
            "ID_OPERATION": record_id,
            "DATE_DEBUT": round_minutes(start, 15),
            "DATE_FIN": round_minutes(end, 15),
            "TYPE_OPERATION": event.operation_type or "SECURISATION_EVENEMENT",
            "ARRONDISSEMENT": event.arrondissement,
            "LAT": round(event.latitude, 5),
            "LON": round(event.longitude, 5),
            "EFFECTIFS": max(5, latent.prefecture_staff),
            "EVENEMENT_LIE": linked_id,
        }
        export_day = self._export_day(event.start - timedelta(days=draws.uniform(0.5, 7)))
        if export_day is not None:
            self.deliveries.prefecture["operations_programmees"].append((export_day, record))
        self.deliveries.link(event.true_id, "prefecture", "operations_programmees", record_id, "event")

    def _rtm_for_event(self, event: RealEvent, latent: Latent) -> None:
        if latent.rtm_disruptions <= 0:
            return
        draws = self.draws
        cause = "manifestation" if event.nature in ("manifestation", "rassemblement") else "evenement"
        stops = nearest_stops(event.latitude, event.longitude, 4, within_km=1.5)
        if event.arrival is not None:
            stops += nearest_stops(event.arrival[1], event.arrival[2], 2, within_km=1.0)
        for index in range(latent.rtm_disruptions):
            stop = stops[index % len(stops)]
            line, mode = stop.lines[index % len(stop.lines)]
            if mode == "bus":
                kind = draws.pick(("deviation", "arret_non_desservi"))
            elif mode == "tram":
                kind = "interruption" if cause == "manifestation" else draws.pick(("interruption", "retard"))
            else:
                kind = draws.pick(("retard", "arret_non_desservi"))
            self.add_rtm(
                event.true_id, line, mode, event.start - timedelta(minutes=draws.uniform(15, 45)),
                event.end + timedelta(minutes=draws.uniform(20, 90)), kind, cause, stop.name, stop.latitude, stop.longitude,
                "event",
            )  # fmt: skip

    def add_rtm(
        self, true_id: str | None, line: str, mode: str, start: datetime, end: datetime, kind: str, cause: str,
        stop: str, latitude: float, longitude: float, role: str,
    ) -> None:  # fmt: skip
        year = start.astimezone(PARIS).year
        record_id = f"RTM-{year}-{self.ids.next('RTM', year):06d}"
        self.deliveries.rtm.append(
            {
                "id": record_id,
                "ligne": line,
                "mode": mode,
                "debut": round_minutes(start, 1),
                "fin": max(round_minutes(end, 1), round_minutes(start, 1) + timedelta(minutes=5)),
                "type": kind,
                "cause": cause,
                "arret": stop,
                "latitude": latitude,
                "longitude": longitude,
            }
        )
        self.deliveries.link(true_id, "metropole", "perturbations_rtm", record_id, role)

    def _closure_for_event(self, event: RealEvent) -> None:
        tunnel = event.metropole_closure or ""
        directions = dict(METROPOLE_TUNNELS).get(tunnel, ("Sens unique", "Sens unique"))
        for direction in directions:
            record = {
                "tunnel": tunnel,
                "sens": direction,
                "date_de_debut": event.start - timedelta(hours=2),
                "date_de_fin": event.end + timedelta(hours=2),
                "type": "Programmée",
                "nom": f"Fermeture {tunnel} – {direction}",
                "titrecalendrier": f"{tunnel} fermé : {event.title}"[:200],
                "nature": "Manifestation",
            }
            self.deliveries.closures.append(record)
            self.deliveries.link(
                event.true_id, "metropole", "fermetures_tunnels", closure_key(record), "event"
            )

    def _datatourisme(self, event: RealEvent) -> None:
        draws = self.draws
        if event.status == REFUSED and not draws.chance(0.1):
            return
        if event.status == CANCELLED and not draws.chance(0.4):
            return
        record_id = f"FMAPAC013V5{self.ids.next('DT', 0):05X}"
        title = event.title
        variant = draws.integer(0, 4)
        if variant == 1:
            title = title.upper()
        elif variant == 2:
            title = f"{title} – {event.place.split(' (')[0]}"
        elif variant == 3:
            title = f"{title} à Marseille"
        elif variant == 4:
            title = title.replace("–", "-").replace("« ", '"').replace(" »", '"')
        shift = timedelta(minutes=draws.pick((-60, -30, 0, 0, 30)))
        start = event.start + shift
        end = event.end + timedelta(minutes=draws.pick((0, 0, 30, 60)))
        if event.duration_hours > 20 and draws.chance(0.5):
            # Multi-day events are often listed by whole days.
            start = datetime.combine(event.local_start.date(), datetime.min.time(), PARIS).astimezone(UTC)
            local_end = event.end.astimezone(PARIS).date()
            end = datetime.combine(local_end, datetime.max.time().replace(microsecond=0), PARIS).astimezone(
                UTC
            )
        updated = _clip(event.start - timedelta(days=draws.uniform(5, 60)), self.now)
        self.deliveries.datatourisme.append(
            {
                "objectid": record_id,
                "nom_poi": title[:200],
                "niv1_categorie": EVENT_CATEGORY,
                "niv2_categorie": DATATOURISME_NIV2.get(event.nature),
                "code_postal": postcode_of(event.arrondissement),
                "commune": "Marseille",
                "codeinsee": MARSEILLE_INSEE_CODE,
                "date_debut": start,
                "date_fin": end,
                "latitude": round(event.latitude + draws.normal(0, 0.0002), 6),
                "longitude": round(event.longitude + draws.normal(0, 0.0003), 6),
                "date_mise_a_jour": updated,
                **self._contact(event.title),
            }
        )
        self.deliveries.link(event.true_id, "metropole", "datatourisme_poi", record_id, "event")

    def _contact(self, label: str) -> Record:
        """The contact columns the real DataTourisme dataset carries: filled (fake values) for a slice."""
        draws = self.draws
        if not draws.chance(0.15):
            return {"point_de_contact": None, "telephone": None, "email": None}
        slug = _slug(label)
        phone = f"04 91 {draws.integer(10, 99)} {draws.integer(10, 99)} {draws.integer(10, 99)}"
        contact = draws.pick(
            (
                "Billetterie",
                "Accueil du public",
                "Office de tourisme de Marseille",
                "Mme Exemple-Fictif",
                "M. Martin-Fictif",
            )
        )
        return {"point_de_contact": contact, "telephone": phone, "email": f"contact@{slug}-exemple.fr"}

    # -- records that are not events --------------------------------------------------------------------

    def datatourisme_places(self, count: int) -> None:
        """Points of interest that are not events (museums, restaurants, hotels, beaches…)."""
        from ..geography import VENUES

        draws = self.draws
        kinds = (
            ("Lieu de visite", "Musée", ("Musée d'histoire de Marseille", "Musée Cantini", "Musée des Beaux-Arts",
                                         "Muséum d'histoire naturelle", "Musée des Docks romains", "Musée Regards de Provence")),
            ("Restauration", "Restaurant", ("Restaurant Le Vallon", "Brasserie du Port", "La Table du Panier", "Chez Fonfon",
                                            "Pizzeria de la Plaine", "Le Bistrot des Pêcheurs")),
            ("Hébergement", "Hôtel", ("Hôtel du Vieux-Port", "Hôtel de la Gare", "Résidence Castellane", "Hôtel des Calanques")),
            ("Site naturel", "Plage", ("Plage du Prophète", "Plage des Catalans", "Plage de la Pointe Rouge", "Calanque de Sormiou")),
            ("Commerce", "Boutique", ("Savonnerie du Panier", "Fabrique de navettes", "Atelier de santons", "Cave à vins")),
        )  # fmt: skip
        for _ in range(count):
            category, subcategory, names = draws.pick(kinds)
            place = draws.pick(VENUES)
            name = draws.pick(names)
            if draws.chance(0.5):
                name = f"{name} – {place.name.split(' (')[0]}"
            record_id = f"FMAPAC013V5{self.ids.next('DT', 0):05X}"
            self.deliveries.datatourisme.append(
                {
                    "objectid": record_id,
                    "nom_poi": name,
                    "niv1_categorie": category,
                    "niv2_categorie": subcategory,
                    "code_postal": postcode_of(place.arrondissement),
                    "commune": "Marseille",
                    "codeinsee": MARSEILLE_INSEE_CODE,
                    "date_debut": None,
                    "date_fin": None,
                    "latitude": round(place.latitude + draws.normal(0, 0.001), 6),
                    "longitude": round(place.longitude + draws.normal(0, 0.0013), 6),
                    "date_mise_a_jour": self.now - timedelta(days=draws.uniform(0, 700)),
                    **self._contact(name),
                }
            )
            self.deliveries.link(None, "metropole", "datatourisme_poi", record_id, "not_an_event")

    def works_orders(self, yearly: float, scale: float) -> None:
        """Traffic orders for road works and other reasons, unrelated to events."""
        draws = self.draws
        for year in range(self.period_start.year, self.period_end.year + 1):
            first, last = max(self.period_start, date(year, 1, 1)), min(self.period_end, date(year, 12, 31))
            span = (last - first).days + 1
            for _ in range(draws.poisson(yearly * scale * span / 365.0)):
                day = first + timedelta(days=draws.integer(0, span - 1))
                street = draws.pick(STREETS)
                night = draws.chance(0.3)
                start = datetime(day.year, day.month, day.day, 21 if night else 7, tzinfo=PARIS).astimezone(
                    UTC
                )
                length = timedelta(hours=9) if night else timedelta(days=draws.pick((1, 2, 5, 10, 30, 60)))
                motif = "chantier" if draws.chance(0.85) else "autre"
                measure = draws.pick(
                    ("stationnement_interdit", "circulation_alternee", "fermeture_voie", "deviation")
                )
                self._order(
                    None, motif, None, street, start, start + length, measure,
                    start - timedelta(days=draws.uniform(3, 30)), "not_an_event",
                )  # fmt: skip
        # One standing order a year per weekly market.
        from .world import MARKETS

        for year in range(self.period_start.year, self.period_end.year + 1):
            begin = datetime(year, 1, 1, 5, tzinfo=PARIS).astimezone(UTC)
            if not (
                self.period_start <= date(year, 1, 1) <= self.period_end or year == self.period_start.year
            ):
                continue
            for _title, place_name, _weekdays, _first, _last in MARKETS:
                from ..geography import venue

                place = venue(place_name)
                street = nearest_streets(place.latitude, place.longitude, 1)[0]
                self._order(
                    None, "marche", None, street, begin, datetime(year, 12, 31, 15, tzinfo=PARIS).astimezone(UTC),
                    "stationnement_interdit", begin - timedelta(days=30), "not_an_event",
                )  # fmt: skip


VISIT_FALLBACK_STAFF = 60


def closure_key(record: Record) -> str:
    """Métropole closures have no id: their contract key (tunnel, sens, start) identifies them."""
    start = record["date_de_debut"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{record['tunnel']}|{record['sens']}|{start}"

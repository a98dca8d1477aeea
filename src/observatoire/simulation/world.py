"""The real-world events of the simulated city: what actually happens, before any partner reports it.

Each :class:`RealEvent` is one event of the ground truth (a match, a cortège, a shoot, a visit…) with its
true place, times and attendance. Partner records are derived from it later (see ``reporting.py``) with
the partners' own ids, titles, rounding and errors, and its effects on the city (police activity, tunnel
traffic, transit disruptions) are drawn by the outcome model (``outcomes.py``).

Volumes: the calendar's fixtures (OM home matches, 14 July, Fête de la musique, Marseille-Cassis, the
marathon, Pride, the santons fair, ceremonies, named festivals, national mobilisation days) happen once
whatever ``scale``; everything drawn at random (shoots, concerts, markets, flea markets, gatherings,
visits, operations…) has its yearly count multiplied by ``scale``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from ..geography import VENUES, Venue, venue
from .calendar import (
    PARIS,
    days_between,
    easter_sunday,
    is_public_holiday,
    is_school_holiday,
    last_sunday,
    local_datetime,
)
from .places import STREETS, Street
from .randomness import Draws

# Outcome statuses of a real event.
HAPPENED = "happened"
CANCELLED = "cancelled"  # withdrawn by its organiser
REFUSED = "refused"  # refused by the city
FORBIDDEN = "forbidden"  # forbidden by the Préfecture


@dataclass
class RealEvent:
    true_id: str
    kind: str
    """Fine-grained generator kind (``om_match``, ``cortege``, ``shoot``…)."""
    nature: str
    """A city nature code, or ``manifestation``, ``rassemblement``, ``visite_officielle``,
    ``operation``, ``exposition`` for what the city does not file."""
    title: str
    place: str
    latitude: float
    longitude: float
    arrondissement: int
    start: datetime
    """UTC."""
    end: datetime
    participants: int
    emprise_m2: float
    organiser: str
    status: str = HAPPENED
    # What partners will report (decided with the event so that it stays deterministic).
    city: bool = False
    datatourisme: bool = False
    prefecture: bool = False
    visit_level: str | None = None
    demo_type: str | None = None
    demo_form: str | None = None
    theme: str | None = None
    arrival: tuple[str, float, float] | None = None
    """Arrival (name, lat, lon) of a cortège."""
    linked_operation: bool = False
    operation_type: str | None = None
    metropole_closure: str | None = None
    """Name of a Métropole tunnel closed for the event."""
    route_streets: list[Street] = field(default_factory=list)

    @property
    def duration_hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600.0

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(PARIS)


OM_OPPONENTS = (
    "Paris Saint-Germain", "Olympique lyonnais", "AS Monaco", "LOSC Lille", "OGC Nice", "Stade rennais",
    "RC Lens", "Stade de Reims", "FC Nantes", "Montpellier HSC", "RC Strasbourg Alsace", "Toulouse FC",
    "Stade brestois", "AJ Auxerre", "Angers SCO", "Le Havre AC", "AS Saint-Étienne", "FC Lorient",
)  # fmt: skip

DEMONSTRATION_WAVES = (
    "Réforme des retraites",
    "Salaires et pouvoir d'achat",
    "Défense de l'hôpital public",
    "Moyens pour l'école publique",
    "Services publics et fonction publique",
    "Assurance chômage",
)
GATHERING_THEMES = (
    "Logement digne pour tous", "Soutien aux sans-papiers", "Paix au Proche-Orient", "Solidarité avec l'Ukraine",
    "Climat : marche pour l'urgence écologique", "Contre les violences faites aux femmes", "Défense des services d'urgence",
    "Taxis : réglementation des VTC", "Agriculteurs : revenus et normes", "Dockers et port de Marseille",
    "Enseignants des quartiers nord", "Transports : fréquence des bus", "Contre la fermeture d'une maternité",
    "Soutien au peuple arménien", "Cause animale", "Éboueurs : conditions de travail", "Étudiants : précarité",
    "Sécurité routière : zone 30 sur le boulevard Baille", "Riverains de la rue de la République",
    "Pêcheurs artisanaux du Vieux-Port", "Commerçants de Noailles", "Personnels de l'AP-HM",
)  # fmt: skip

CONCERT_TITLES = (
    "Soirée électro", "Concert rap marseillais", "Nuit du reggae", "Concert de musique baroque",
    "Gala de jazz", "Concert symphonique de l'Orchestre philharmonique de Marseille", "Tournée des 20 ans",
    "Concert pop-rock", "Nuit de la chanson française", "Concert de musiques du monde", "Soirée hip-hop",
    "Concert de rentrée", "Récital d'orgue", "Soirée flamenco", "Concert de musique corse",
    "Festival de fanfares", "Concert de gospel", "Soirée métal", "Nuit de la soul", "Concert techno",
)  # fmt: skip
SHOW_TITLES = (
    "Spectacle de cirque contemporain", "Théâtre en plein air", "Ballet national de Marseille",
    "Spectacle de danse hip-hop", "Pastorale provençale", "Spectacle de marionnettes", "One-man-show",
    "Comédie musicale", "Spectacle pour enfants", "Opérette marseillaise", "Théâtre de rue", "Spectacle équestre",
)  # fmt: skip
SHOOT_TITLES = (
    "Tournage série télévisée « Quai des Suds »", "Tournage long métrage « Les Calanques »",
    "Tournage série « Bonne Mère »", "Tournage publicité automobile", "Tournage clip musical",
    "Tournage documentaire sur le port", "Tournage téléfilm policier", "Tournage court métrage étudiant",
    "Tournage émission culinaire", "Tournage série « Quartiers sud »", "Tournage publicité agroalimentaire",
    "Tournage long métrage « La Traversée »", "Tournage séance photo de mode",
)  # fmt: skip
FESTIVALS = (
    # (title, venue, month, day, days, participants per day)
    ("Delta Festival", "Plages du Prado (Escale Borély)", 8, 28, 3, 40000),
    ("Marsatac", "Parc Borély", 6, 14, 3, 15000),
    ("Fiesta des Suds", "Dock des Suds", 10, 17, 3, 6000),
    ("Marseille Jazz des cinq continents", "Palais Longchamp", 7, 17, 10, 4000),
    ("Festival de Marseille", "Friche la Belle de Mai", 6, 18, 20, 2000),
    ("FIDMarseille, festival international de cinéma", "Esplanade du J4 (MuCEM)", 7, 8, 6, 3000),
    ("Festival Oh les beaux jours !", "Friche la Belle de Mai", 5, 20, 6, 2500),
    ("Les Nuits du Pharo", "Palais du Pharo", 7, 3, 4, 6000),
)
MARKETS = (
    # (title, venue, weekdays, start hour, end hour)
    ("Marché paysan du Cours Julien", "Cours Julien", (2,), 8, 13),
    ("Marché de la Plaine", "Place Jean-Jaurès (La Plaine)", (1, 3, 5), 7, 13),
    ("Marché de l'avenue du Prado", "Marché du Prado", (5,), 7, 13),
    ("Marché aux puces des Arnavaux", "Marché aux puces (Arnavaux)", (6,), 7, 14),
    ("Marché aux poissons du quai des Belges", "Vieux-Port (Quai des Belges)", (6,), 7, 12),
)
FLEA_MARKET_STREETS = (
    "Rue Paradis", "Boulevard Baille", "Avenue du Prado", "Rue de la République", "Cours Lieutaud",
    "Boulevard Michelet", "Rue Saint-Ferréol", "Quai de Rive-Neuve", "Boulevard Jean-Moulin",
    "Avenue Jules-Cantini", "Boulevard Mireille-Lauze", "Rue Sainte", "Avenue des Caillols",
    "Boulevard de Sainte-Marthe", "Chemin du Littoral", "Avenue de Mazargues",
)  # fmt: skip
NEIGHBOURHOOD_VENUES = (
    "Place de Lenche (Le Panier)", "Cours Julien", "Saint-Barnabé (Place Caire)", "Château-Gombert (Place des Héros)",
    "L'Estaque (port)", "Vallon des Auffes", "Pointe Rouge", "Les Goudes", "Parc de la Moline (Sainte-Marthe)",
    "Obélisque de Mazargues", "Cinq-Avenues", "Place Jean-Jaurès (La Plaine)",
)  # fmt: skip
STATIC_GATHERING_PLACES = (
    ("Préfecture (Place Félix-Baret)", 0.55),
    ("Hôtel de Ville", 0.15),
    ("Vieux-Port (Quai des Belges)", 0.15),
    ("Palais de Justice (Place Monthyon)", 0.05),
    ("Gare Saint-Charles", 0.05),
    ("Réformés (Église Saint-Vincent-de-Paul)", 0.05),
)
SMALL_CORTEGE_ROUTES = (
    ("Réformés (Église Saint-Vincent-de-Paul)", "Préfecture (Place Félix-Baret)"),
    ("Place Castellane", "Préfecture (Place Félix-Baret)"),
    ("Vieux-Port (Quai des Belges)", "Préfecture (Place Félix-Baret)"),
    ("Gare Saint-Charles", "Vieux-Port (Quai des Belges)"),
    ("Porte d'Aix (Place Jules-Guesde)", "Vieux-Port (Quai des Belges)"),
    ("Cours Julien", "Hôtel de Ville"),
)
VISIT_PLACES = (
    "Préfecture (Place Félix-Baret)", "Hôtel de Ville", "Palais du Pharo", "Esplanade du J4 (MuCEM)",
    "Gare Saint-Charles", "Hôpital de la Timone", "Campus de Luminy", "Technopôle de Château-Gombert",
    "Palais de Justice (Place Monthyon)", "Friche la Belle de Mai", "Place de la Joliette",
)  # fmt: skip
EXHIBITION_TITLES = (
    "Exposition « Méditerranées »", "Exposition photographique sur le port", "Exposition d'art contemporain",
    "Exposition « Marseille et la mer »", "Exposition de santons anciens", "Exposition « Cités antiques »",
    "Exposition de street-art", "Exposition « Le Corbusier et la Cité radieuse »", "Exposition de céramique",
)  # fmt: skip
EXHIBITION_VENUES = (
    "Esplanade du J4 (MuCEM)", "Friche la Belle de Mai", "Palais Longchamp", "Fort Saint-Jean", "Cité radieuse",
    "Abbaye Saint-Victor",
)  # fmt: skip


@dataclass
class WorldBuilder:
    """Draws the real events of a period. ``events`` is filled by :meth:`build`."""

    start: date
    end: date
    scale: float
    draws: Draws
    events: list[RealEvent] = field(default_factory=list)
    _counter: int = 0
    _day_cache: dict[tuple[int, tuple[int, ...] | None, tuple[int, ...] | None], list[date]] = field(
        default_factory=dict
    )

    # -- helpers ------------------------------------------------------------------------------------

    def _in_period(self, day: date) -> bool:
        return self.start <= day <= self.end

    def _year_fraction(self, year: int) -> float:
        first, last = max(self.start, date(year, 1, 1)), min(self.end, date(year, 12, 31))
        return max(0, (last - first).days + 1) / 365.0

    def _random_day(
        self, year: int, months: tuple[int, ...] | None = None, weekdays: tuple[int, ...] | None = None
    ) -> date | None:
        key = (year, months, weekdays)
        if key not in self._day_cache:
            first, last = max(self.start, date(year, 1, 1)), min(self.end, date(year, 12, 31))
            self._day_cache[key] = [
                d
                for d in (days_between(first, last) if first <= last else [])
                if (months is None or d.month in months) and (weekdays is None or d.weekday() in weekdays)
            ]
        candidates = self._day_cache[key]
        return self.draws.pick(candidates) if candidates else None

    def _add(
        self,
        kind: str,
        nature: str,
        title: str,
        place: Venue | Street,
        start: datetime,
        hours: float,
        participants: int,
        emprise_m2: float,
        organiser: str,
        **flags: object,
    ) -> RealEvent | None:
        if not self._in_period(start.astimezone(PARIS).date()):
            return None
        self._counter += 1
        event = RealEvent(
            true_id=f"T{start.astimezone(PARIS).year}-{self._counter:06d}",
            kind=kind,
            nature=nature,
            title=title,
            place=place.name,
            latitude=place.latitude,
            longitude=place.longitude,
            arrondissement=place.arrondissement,
            start=start,
            # Partners hold times to the minute: events end on a multiple of 5 minutes.
            end=start + timedelta(minutes=max(5, round(hours * 12) * 5)),
            participants=max(1, int(participants)),
            emprise_m2=float(emprise_m2),
            organiser=organiser,
        )
        for name, value in flags.items():
            setattr(event, name, value)
        self.events.append(event)
        return event

    def _attendance(self, place: Venue, low: float, high: float) -> int:
        return int(place.capacity * self.draws.uniform(low, high))

    def _city_status(self, event: RealEvent | None, refuse: float = 0.03, cancel: float = 0.03) -> None:
        if event is None:
            return
        roll = self.draws.uniform(0, 1)
        if roll < refuse:
            event.status = REFUSED
        elif roll < refuse + cancel:
            event.status = CANCELLED

    # -- the calendar ---------------------------------------------------------------------------------

    def build(self) -> list[RealEvent]:
        for year in range(self.start.year, self.end.year + 1):
            self._om_season_part(year)
            self._other_matches(year)
            self._fixtures(year)
            self._festivals(year)
            self._concerts(year)
            self._shows(year)
            self._neighbourhood_fetes(year)
            self._markets(year)
            self._flea_markets(year)
            self._shoots(year)
            self._races(year)
            self._ceremonies(year)
            self._demonstrations(year)
            self._visits(year)
            self._zone_operations(year)
            self._exhibitions(year)
        self.events.sort(key=lambda e: (e.start, e.true_id))
        return self.events

    def _om_season_part(self, year: int) -> None:
        """OM home matches: every other weekend from mid-August to May, Saturday or Sunday evening."""
        for season_start in (year - 1, year):
            first = date(season_start, 8, 8)
            last = date(season_start + 1, 5, 25)
            saturdays = [d for d in days_between(first, last) if d.weekday() == 5]
            playable = [
                d
                for d in saturdays
                # winter break and the international breaks of September, October, November and March
                if not (d.month == 12 and d.day >= 20 or d.month == 1 and d.day <= 4)
                and not (d.month in (9, 10) and 8 <= d.day <= 14)
                and not (d.month in (11, 3) and 15 <= d.day <= 21)
            ]
            # The season's randomness is drawn from its own seed so that both calendar years agree on it.
            season_draws = Draws(_season_generator(self.draws, season_start))
            home = season_draws.chance(0.5)
            opponents = list(OM_OPPONENTS)
            season_draws.shuffle(opponents)
            games = 0
            for saturday in playable:
                home = not home if season_draws.chance(0.9) else home
                if not home or games >= len(opponents) - 1:
                    continue
                slot = season_draws.pick_weighted(
                    [(0, 21, 0), (1, 20, 45), (1, 17, 15), (0, 17, 0)], [0.4, 0.4, 0.15, 0.05]
                )
                day = saturday + timedelta(days=slot[0])
                participants = int(season_draws.uniform(50000, 65000))
                opponent = opponents[games]
                games += 1
                if day.year != year:
                    continue
                title = f"Olympique de Marseille – {opponent} (Ligue 1)"
                event = self._add(
                    "om_match", "match_football", title, venue("Orange Vélodrome"),
                    local_datetime(day, slot[1], slot[2]), 2.0, participants, 42000, "entreprise",
                    city=True, linked_operation=True, operation_type="SECURISATION_EVENEMENT",
                )  # fmt: skip
                if event is not None and opponent == "Paris Saint-Germain":
                    event.participants = 66000

    def _other_matches(self, year: int) -> None:
        fraction = self._year_fraction(year)
        specs = (
            ("Palais des Sports", "Match de handball de Nationale", 14, (19, 20), 2.0, (0.3, 0.8)),
            ("Palais des Sports", "Match de basket-ball de Pro B", 10, (19, 20), 2.0, (0.4, 0.9)),
            ("Stade Pierre-Delort", "Match de rugby de Nationale", 12, (15, 18), 2.0, (0.3, 0.8)),
            ("Stade Vallier", "Match de volley-ball féminin", 12, (18, 20), 2.0, (0.1, 0.4)),
            ("Orange Vélodrome", "Match de rugby du Top 14", 1.5, (21, 21), 2.0, (0.5, 0.9)),
        )
        for place_name, title, yearly, hours, duration, fill in specs:
            place = venue(place_name)
            for _ in range(self.draws.scaled_count(yearly, self.scale, fraction)):
                day = self._random_day(year, (1, 2, 3, 4, 5, 9, 10, 11, 12), (4, 5, 6))
                if day is None:
                    continue
                hour = self.draws.integer(hours[0], hours[1])
                event = self._add(
                    "match", "match_autre", title, place, local_datetime(day, hour), duration,
                    self._attendance(place, *fill), place.capacity * 0.6, "association",
                    city=True, datatourisme=self.draws.chance(0.3),
                    linked_operation=place.capacity > 20000, operation_type="SECURISATION_EVENEMENT",
                )  # fmt: skip
                self._city_status(event, 0.0, 0.02)
        # The Open 13 tennis tournament, a week in February at the Palais des Sports.
        day = date(year, 2, 1) + timedelta(days=(0 - date(year, 2, 1).weekday()) % 7 + 14)
        self._add(
            "tournament", "match_autre", f"Open 13 Provence {year}", venue("Palais des Sports"),
            local_datetime(day, 11), 24 * 6 + 11, 5500, 3000, "entreprise", city=True, datatourisme=True,
        )  # fmt: skip

    def _fixtures(self, year: int) -> None:
        draws = self.draws
        # Fête de la musique: several stages in the city on 21 June.
        music_day = date(year, 6, 21)
        for place_name, crowd in (
            ("Vieux-Port (Quai des Belges)", 25000), ("Cours Julien", 6000), ("Place Jean-Jaurès (La Plaine)", 5000),
            ("La Canebière", 8000), ("Place de Lenche (Le Panier)", 1500), ("Parc Borély", 6000),
        ):  # fmt: skip
            place = venue(place_name)
            self._add(
                "fete_musique", "fete_populaire", f"Fête de la musique – scène {place.name.split(' (')[0]}",
                place, local_datetime(music_day, 18), 6.0, int(crowd * draws.uniform(0.8, 1.2)),
                min(place.capacity, crowd) * 0.8, "collectivite", city=True, datatourisme=draws.chance(0.7),
                linked_operation=crowd >= 5000, operation_type="SECURISATION_EVENEMENT",
            )  # fmt: skip
        # 14 July: fireworks at the Vieux-Port (the Métropole closes the Vieux-Port tunnel), ball on the 13th.
        self._add(
            "fireworks_14_july", "feu_artifice", "Feu d'artifice du 14 juillet au Vieux-Port",
            venue("Vieux-Port (Quai des Belges)"), local_datetime(date(year, 7, 14), 22), 1.0,
            int(draws.uniform(80000, 120000)), 60000, "collectivite", city=True, datatourisme=True,
            linked_operation=True, operation_type="SECURISATION_EVENEMENT", metropole_closure="Tunnel du Vieux-Port",
        )  # fmt: skip
        self._add(
            "ball_13_july", "fete_populaire", "Bal des pompiers du 13 juillet", venue("Place Jean-Jaurès (La Plaine)"),
            local_datetime(date(year, 7, 13), 20), 5.0, int(draws.uniform(2000, 4000)), 4000, "association",
            city=True, datatourisme=True,
        )  # fmt: skip
        for title, place_name, month, crowd in (
            ("Feu d'artifice de la fête de l'Estaque", "L'Estaque (port)", 8, 4000),
            ("Feu d'artifice de la Pointe Rouge", "Pointe Rouge", 7, 5000),
        ):
            day = self._random_day(year, (month,), (5,))
            if day is not None:
                self._add(
                    "fireworks", "feu_artifice", title, venue(place_name), local_datetime(day, 22), 0.75,
                    int(crowd * draws.uniform(0.7, 1.3)), 3000, "association", city=True, datatourisme=draws.chance(0.6),
                )  # fmt: skip
        # Pride: a festive cortège (Préfecture) and the city's event for its village.
        pride_day = date(year, 7, 1) + timedelta(days=(5 - date(year, 7, 1).weekday()) % 7)
        self._add(
            "pride", "fete_populaire", "Marche des fiertés de Marseille", venue("Vieux-Port (Quai des Belges)"),
            local_datetime(pride_day, 14), 5.0, int(draws.uniform(8000, 15000)), 12000, "association",
            city=True, prefecture=True, datatourisme=True, demo_type="FESTIVE", demo_form="CORTEGE",
            theme="Marche des fiertés", arrival=_arrival("Parc du 26e Centenaire"),
            linked_operation=True, operation_type="SECURISATION_EVENEMENT",
        )  # fmt: skip
        # Carnival (a Saturday of spring), Fête du Panier (June), Saint-Pierre at the Vallon des Auffes.
        carnival_day = easter_sunday(year) - timedelta(days=50)
        self._add(
            "carnival", "fete_populaire", "Carnaval de Marseille", venue("La Canebière"),
            local_datetime(carnival_day, 14), 4.0, int(draws.uniform(10000, 20000)), 15000, "collectivite",
            city=True, datatourisme=True, linked_operation=True, operation_type="SECURISATION_EVENEMENT",
        )  # fmt: skip
        panier_day = date(year, 6, 7) + timedelta(days=(5 - date(year, 6, 7).weekday()) % 7)
        self._add(
            "fete_panier", "fete_populaire", "Fête du Panier", venue("Place de Lenche (Le Panier)"),
            local_datetime(panier_day, 11), 11.0, int(draws.uniform(3000, 6000)), 2500, "association",
            city=True, datatourisme=True,
        )  # fmt: skip
        self._add(
            "saint_pierre", "fete_populaire", "Fête de la Saint-Pierre des pêcheurs", venue("Vallon des Auffes"),
            local_datetime(last_sunday(year, 6), 10), 8.0, int(draws.uniform(1500, 3000)), 1200, "association",
            city=True, datatourisme=draws.chance(0.5),
        )  # fmt: skip
        # Foire de Marseille at the Parc Chanot: from the last Friday of September, 11 days.
        fair_start = last_sunday(year, 9) - timedelta(days=2)
        self._add(
            "foire_marseille", "foire", f"Foire internationale de Marseille {year}", venue("Parc Chanot"),
            local_datetime(fair_start, 10), 24 * 10 + 10, int(draws.uniform(250000, 320000)), 110000, "entreprise",
            city=True, datatourisme=True, linked_operation=True, operation_type="SECURISATION_ZONE",
        )  # fmt: skip
        # Christmas santons fair on the Canebière / Vieux-Port: from mid-November to 31 December.
        santons_start = date(year, 11, 15) + timedelta(days=(5 - date(year, 11, 15).weekday()) % 7)
        self._add(
            "santons_fair", "foire", f"Foire aux santons {year}", venue("La Canebière"),
            local_datetime(santons_start, 10), (date(year, 12, 31) - santons_start).days * 24 + 9,
            int(draws.uniform(150000, 250000)), 2500, "collectivite", city=True, datatourisme=True,
        )  # fmt: skip
        # Chandeleur: procession from the Quai de Rive-Neuve to the Abbaye Saint-Victor (2 February).
        self._add(
            "chandeleur", "ceremonie", "Procession de la Chandeleur", venue("Abbaye Saint-Victor"),
            local_datetime(date(year, 2, 2), 6), 3.0, int(draws.uniform(1500, 3000)), 1500, "association",
            city=True, prefecture=True, demo_type="RELIGIEUSE", demo_form="CORTEGE", theme="Procession de la Chandeleur",
            arrival=_arrival("Abbaye Saint-Victor"),
        )  # fmt: skip

    def _festivals(self, year: int) -> None:
        draws = self.draws
        for title, place_name, month, day_of_month, days, crowd in FESTIVALS:
            first = date(year, month, day_of_month)
            first -= timedelta(days=(first.weekday() - 4) % 7)  # move to the Friday on or before
            place = venue(place_name)
            participants = int(crowd * draws.uniform(0.8, 1.2))
            event = self._add(
                "festival", "festival", f"{title} {year}", place, local_datetime(first, 18), 24 * (days - 1) + 8,
                participants, min(place.capacity, crowd) * 1.2, "association", city=True, datatourisme=True,
                linked_operation=crowd >= 10000, operation_type="SECURISATION_EVENEMENT",
            )  # fmt: skip
            self._city_status(event, 0.0, 0.02)
        for _ in range(self.draws.scaled_count(15, self.scale, self._year_fraction(year))):
            day = self._random_day(year, (5, 6, 7, 8, 9, 10), (4, 5))
            if day is None:
                continue
            place = venue(draws.pick(("Parc Borély", "Friche la Belle de Mai", "Esplanade du J4 (MuCEM)", "Palais Longchamp",
                                      "Parc du 26e Centenaire", "Hippodrome Borély", "L'Estaque (port)")))  # fmt: skip
            theme = draws.pick(("des musiques électroniques", "du film court", "de la BD", "des cultures urbaines",
                                "du conte", "des arts de la rue", "du cirque", "de la musique classique"))  # fmt: skip
            event = self._add(
                "festival", "festival", f"Festival {theme}", place, local_datetime(day, 16), 24 + 8,
                self._attendance(place, 0.05, 0.3), place.capacity * 0.2, draws.pick(("association", "entreprise")),
                city=True, datatourisme=draws.chance(0.8),
            )  # fmt: skip
            self._city_status(event)

    def _concerts(self, year: int) -> None:
        draws = self.draws
        fraction = self._year_fraction(year)
        indoor = (
            ("Le Dôme", 60, 0.9), ("Le Silo", 80, 0.9), ("Palais des Sports", 12, 0.9),
            ("Espace Julien", 90, 0.25), ("Dock des Suds", 30, 0.3), ("Friche la Belle de Mai", 20, 0.4),
            ("Opéra de Marseille", 25, 0.2),
        )  # fmt: skip
        for place_name, yearly, city_share in indoor:
            place = venue(place_name)
            for _ in range(draws.scaled_count(yearly, self.scale, fraction)):
                day = self._random_day(year, (1, 2, 3, 4, 5, 6, 9, 10, 11, 12), (1, 2, 3, 4, 5, 5, 5, 4))
                if day is None:
                    continue
                city = draws.chance(city_share)
                event = self._add(
                    "concert_indoor", "concert", f"{draws.pick(CONCERT_TITLES)} – {place.name}", place,
                    local_datetime(day, 20, draws.pick((0, 30))), draws.uniform(2.5, 3.5),
                    self._attendance(place, 0.4, 1.0), draws.uniform(100, 400), draws.pick(("entreprise", "association")),
                    city=city, datatourisme=not city or draws.chance(0.6),
                )  # fmt: skip
                if city:
                    self._city_status(event, 0.01, 0.03)
        outdoor = (
            ("Parc Borély", 6), ("Palais du Pharo", 8), ("Esplanade du J4 (MuCEM)", 6), ("Vieux-Port (Quai des Belges)", 3),
            ("Théâtre Silvain", 20), ("Orange Vélodrome", 3), ("Hippodrome Borély", 2), ("Plages du Prado (Escale Borély)", 2),
        )  # fmt: skip
        for place_name, yearly in outdoor:
            place = venue(place_name)
            for _ in range(draws.scaled_count(yearly, self.scale, fraction)):
                months = (6, 7) if place.kind == "stade" else (6, 7, 8, 9)
                day = self._random_day(year, months)
                if day is None:
                    continue
                low, high = (0.8, 1.0) if place.kind == "stade" else (0.3, 0.9)
                event = self._add(
                    "concert_outdoor", "concert", f"{draws.pick(CONCERT_TITLES)} – concert d'été", place,
                    local_datetime(day, 21), draws.uniform(2.5, 3.5), self._attendance(place, low, high),
                    place.capacity * 0.5, draws.pick(("entreprise", "association", "collectivite")),
                    city=True, datatourisme=draws.chance(0.8),
                    linked_operation=place.capacity > 20000, operation_type="SECURISATION_EVENEMENT",
                )  # fmt: skip
                self._city_status(event, 0.01, 0.03)

    def _shows(self, year: int) -> None:
        draws = self.draws
        places = ("Théâtre Silvain", "Esplanade du J4 (MuCEM)", "Cours Julien", "Parc Borély", "Parc Chanot",
                  "Théâtre de la Criée", "Palais Longchamp", "Vieux-Port (Quai des Belges)", "Parc du 26e Centenaire")  # fmt: skip
        for _ in range(draws.scaled_count(60, self.scale, self._year_fraction(year))):
            day = self._random_day(year)
            if day is None:
                continue
            place = venue(draws.pick(places))
            outdoor = place.kind != "culture" or place.name == "Théâtre Silvain"
            event = self._add(
                "show", "spectacle", draws.pick(SHOW_TITLES), place, local_datetime(day, draws.pick((15, 19, 20, 21))),
                draws.uniform(1.5, 3.0), self._attendance(place, 0.02, 0.3) if outdoor else self._attendance(place, 0.5, 1.0),
                draws.uniform(200, 2000) if outdoor else 0.0, draws.pick(("association", "entreprise", "collectivite")),
                city=outdoor or draws.chance(0.3), datatourisme=draws.chance(0.6),
            )  # fmt: skip
            self._city_status(event)

    def _neighbourhood_fetes(self, year: int) -> None:
        draws = self.draws
        for _ in range(draws.scaled_count(50, self.scale, self._year_fraction(year))):
            day = self._random_day(year, (4, 5, 6, 7, 8, 9, 10), (5, 6))
            if day is None:
                continue
            place = venue(draws.pick(NEIGHBOURHOOD_VENUES))
            label = place.name.split(" (")[0]
            title = draws.pick((f"Fête de quartier – {label}", f"Fête votive – {label}", f"Fête des associations – {label}",
                                f"Bal populaire – {label}", f"Fête des voisins – {label}"))  # fmt: skip
            event = self._add(
                "neighbourhood_fete", "fete_populaire", title, place, local_datetime(day, draws.pick((10, 14, 17))),
                draws.uniform(4, 9), int(draws.uniform(200, 3000)), draws.uniform(300, 3000),
                draws.pick(("association", "association", "collectivite", "particulier")), city=True,
                datatourisme=draws.chance(0.3),
            )  # fmt: skip
            self._city_status(event, 0.05, 0.04)

    def _markets(self, year: int) -> None:
        draws = self.draws
        # Each weekly occurrence is a city event; scale thins them (one market day in ten at scale 0.1).
        for title, place_name, weekdays, first_hour, last_hour in MARKETS:
            place = venue(place_name)
            first, last = max(self.start, date(year, 1, 1)), min(self.end, date(year, 12, 31))
            for market_day in days_between(first, last) if first <= last else []:
                if (
                    market_day.weekday() not in weekdays
                    or is_public_holiday(market_day)
                    or not draws.chance(min(1.0, self.scale))
                ):
                    continue
                self._add(
                    "market", "marche", title, place, local_datetime(market_day, first_hour), last_hour - first_hour,
                    int(place.capacity * draws.uniform(0.3, 0.7)), place.capacity * 0.5, "collectivite", city=True,
                )  # fmt: skip
        # Summer night markets at the Vieux-Port.
        for _ in range(draws.scaled_count(12, self.scale, self._year_fraction(year))):
            day = self._random_day(year, (6, 7, 8), (4,))
            if day is not None:
                self._add(
                    "night_market", "marche", "Marché nocturne des créateurs du Vieux-Port",
                    venue("Vieux-Port (Quai des Belges)"), local_datetime(day, 18), 6.0, int(draws.uniform(2000, 6000)),
                    2500, "association", city=True, datatourisme=draws.chance(0.5),
                )  # fmt: skip

    def _flea_markets(self, year: int) -> None:
        draws = self.draws
        streets = [s for s in STREETS if s.name in FLEA_MARKET_STREETS]
        for _ in range(draws.scaled_count(90, self.scale, self._year_fraction(year))):
            day = self._random_day(year, (3, 4, 5, 6, 7, 8, 9, 10, 11), (5, 6))
            if day is None:
                continue
            street = draws.pick(streets)
            article = "du" if street.name.startswith(("Boulevard", "Cours", "Quai", "Chemin")) else "de la"
            if street.name.startswith("Avenue"):
                article = "de l'"
            noun = street.name[0].lower() + street.name[1:]
            title = (
                draws.pick(("Vide-grenier", "Brocante", "Braderie"))
                + f" {article}{'' if article.endswith(chr(39)) else ' '}{noun}"
            )
            event = self._add(
                "flea_market", "brocante", title, street, local_datetime(day, 7), 11.0, int(draws.uniform(300, 3000)),
                draws.uniform(800, 4000), draws.pick(("association", "association", "particulier")), city=True,
                datatourisme=draws.chance(0.2), route_streets=[street],
            )  # fmt: skip
            self._city_status(event, 0.04, 0.05)

    def _shoots(self, year: int) -> None:
        draws = self.draws
        for _ in range(draws.scaled_count(950, self.scale, self._year_fraction(year))):
            day = self._random_day(year, None, (0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5))
            if day is None:
                continue
            place: Venue | Street
            if draws.chance(0.6):
                place = draws.pick(STREETS)
            else:
                place = draws.pick(VENUES)
            days = draws.pick_weighted((1, 2, 3), (0.7, 0.2, 0.1))
            event = self._add(
                "shoot", "tournage", draws.pick(SHOOT_TITLES), place, local_datetime(day, draws.pick((6, 7, 8, 14))),
                24 * (days - 1) + draws.uniform(6, 12), int(draws.uniform(15, 90)), draws.uniform(40, 600), "entreprise",
                city=True, route_streets=[place] if isinstance(place, Street) else [],
            )  # fmt: skip
            self._city_status(event, 0.02, 0.04)

    def _races(self, year: int) -> None:
        draws = self.draws
        # Marathon: a Sunday of late March / early April, from the Vélodrome through the centre.
        marathon_day = date(year, 3, 20) + timedelta(days=(6 - date(year, 3, 20).weekday()) % 7)
        if marathon_day == easter_sunday(year):
            marathon_day += timedelta(days=7)
        self._add(
            "marathon", "course", f"Run in Marseille – marathon {year}", venue("Rond-Point du Prado"),
            local_datetime(marathon_day, 8), 6.0, int(draws.uniform(12000, 18000)), 80000, "entreprise",
            city=True, datatourisme=True, linked_operation=True, operation_type="REGULATION_CIRCULATION",
            metropole_closure="Tunnel du Vieux-Port",
            route_streets=[s for s in STREETS if s.name in ("Avenue du Prado", "Corniche Président-John-Fitzgerald-Kennedy", "Quai de Rive-Neuve")],
        )  # fmt: skip
        # Marseille-Cassis: last Sunday of October, start Boulevard Michelet near the Vélodrome.
        self._add(
            "marseille_cassis", "course", f"Marseille-Cassis {year}", venue("Orange Vélodrome"),
            local_datetime(last_sunday(year, 10), 9), 4.0, int(draws.uniform(14000, 20000)), 30000, "association",
            city=True, datatourisme=True, linked_operation=True, operation_type="REGULATION_CIRCULATION",
            route_streets=[s for s in STREETS if s.name in ("Boulevard Michelet", "Avenue de Mazargues")],
        )  # fmt: skip
        women_day = date(year, 9, 1) + timedelta(days=(6 - date(year, 9, 1).weekday()) % 7 + 21)
        self._add(
            "women_race", "course", "La Marseillaise des femmes", venue("Parc Borély"), local_datetime(women_day, 9), 3.0,
            int(draws.uniform(6000, 9000)), 15000, "association", city=True, datatourisme=True,
            route_streets=[s for s in STREETS if s.name == "Avenue Pierre-Mendès-France"],
        )  # fmt: skip
        places = ("Parc Borély", "Palais Longchamp", "Parc du 26e Centenaire", "Les Goudes", "Notre-Dame de la Garde",
                  "Vieux-Port (Quai des Belges)", "L'Estaque (port)", "Campus de Luminy")  # fmt: skip
        for _ in range(draws.scaled_count(9, self.scale, self._year_fraction(year))):
            day = self._random_day(year, None, (6,))
            if day is None:
                continue
            place = venue(draws.pick(places))
            name = draws.pick(("Corrida de Noël", "Foulées du Panier", "Trail des Calanques", "Course de la Bonne Mère",
                               "10 km de la Corniche", "Course des collines", "Relais solidaire"))  # fmt: skip
            event = self._add(
                "race", "course", name, place, local_datetime(day, 9), draws.uniform(2, 4), int(draws.uniform(500, 4000)),
                draws.uniform(3000, 15000), "association", city=True, datatourisme=draws.chance(0.5),
            )  # fmt: skip
            self._city_status(event, 0.02, 0.03)

    def _ceremonies(self, year: int) -> None:
        draws = self.draws
        memorial = venue("Monument aux morts de l'Armée d'Orient (Corniche)")
        for ceremony_day, title, place, hour in (
            (date(year, 5, 8), "Cérémonie commémorative de la Victoire du 8 mai 1945", memorial, 10),
            (date(year, 11, 11), "Cérémonie commémorative de l'Armistice du 11 novembre 1918", memorial, 10),
            (
                date(year, 7, 14),
                "Prise d'armes et défilé du 14 juillet",
                venue("Vieux-Port (Quai des Belges)"),
                10,
            ),
            (date(year, 8, 15), "Procession de l'Assomption", venue("Notre-Dame de la Garde"), 17),
            (
                date(year, 8, 28),
                "Cérémonie de la Libération de Marseille",
                venue("Notre-Dame de la Garde"),
                11,
            ),
            (date(year, 6, 18), "Commémoration de l'Appel du 18 juin", memorial, 18),
            (date(year, 4, 24), "Commémoration du génocide arménien", venue("Place Castellane"), 11),
        ):
            crowd = (
                int(draws.uniform(300, 3000))
                if place.name != "Vieux-Port (Quai des Belges)"
                else int(draws.uniform(5000, 15000))
            )
            religious = title.startswith("Procession")
            self._add(
                "ceremony", "ceremonie", title, place, local_datetime(ceremony_day, hour), 2.0, crowd, min(place.capacity, crowd),
                "etat" if not religious else "association", city=True,
                prefecture=religious or draws.chance(0.5), demo_type="RELIGIEUSE" if religious else "COMMEMORATIVE",
                demo_form="CORTEGE" if religious else "RASSEMBLEMENT_STATIQUE", theme=title[:120],
                arrival=_arrival("Notre-Dame de la Garde") if religious else None,
            )  # fmt: skip
        # 5 November: silent march in memory of the collapse of rue d'Aubagne (2018).
        if year >= 2019:
            self._add(
                "marche_blanche", "manifestation", "Marche blanche de la rue d'Aubagne",
                venue("Noailles (Marché des Capucins)"), local_datetime(date(year, 11, 5), 17), 2.0,
                int(draws.uniform(1500, 5000)), 3000, "association", prefecture=True, demo_type="COMMEMORATIVE",
                demo_form="CORTEGE", theme="Hommage aux victimes de la rue d'Aubagne", arrival=_arrival("Hôtel de Ville"),
            )  # fmt: skip
        for _ in range(draws.scaled_count(10, self.scale, self._year_fraction(year))):
            day = self._random_day(year, None, (0, 1, 2, 3, 4))
            if day is None:
                continue
            place = venue(draws.pick(("Hôtel de Ville", "Monument aux morts de l'Armée d'Orient (Corniche)", "Place Castellane",
                                      "Préfecture (Place Félix-Baret)", "Cathédrale de la Major")))  # fmt: skip
            self._add(
                "ceremony", "ceremonie", draws.pick(("Cérémonie d'hommage", "Inauguration d'une plaque commémorative",
                                                     "Cérémonie des sapeurs-pompiers", "Journée nationale d'hommage")),
                place, local_datetime(day, draws.pick((10, 11, 18))), 1.5, int(draws.uniform(100, 800)), 500,
                draws.pick(("etat", "collectivite")), city=True,
            )  # fmt: skip

    def _demonstrations(self, year: int) -> None:
        draws = self.draws
        fraction = self._year_fraction(year)
        # National mobilisation waves: 1-3 movements a year, each with 3-9 days (mostly Tuesdays and Thursdays).
        for _ in range(draws.integer(1, 3)):
            theme = draws.pick(DEMONSTRATION_WAVES)
            wave_start = date(year, draws.pick((1, 2, 3, 5, 9, 10, 11)), draws.integer(1, 28))
            peak = draws.uniform(15000, 50000)
            wave_day = wave_start
            for index in range(draws.integer(3, 9)):
                wave_day += timedelta(days=draws.integer(6, 16))
                wave_day += timedelta(days=(draws.pick((1, 3)) - wave_day.weekday()) % 7)
                if wave_day.year != year:
                    break
                crowd = peak * (0.6 + 0.4 * draws.uniform(0, 1)) * (1.0 if index < 3 else 0.7 ** (index - 2))
                self._cortege(
                    "wave",
                    f"{theme} – journée nationale de mobilisation",
                    "REVENDICATIVE",
                    wave_day,
                    10,
                    30,
                    crowd,
                    "Vieux-Port (Quai des Belges)",
                    "Porte d'Aix (Place Jules-Guesde)",
                )
        self._cortege(
            "may_day",
            "Fête du travail – 1er mai",
            "REVENDICATIVE",
            date(year, 5, 1),
            10,
            30,
            draws.uniform(5000, 15000),
            "Vieux-Port (Quai des Belges)",
            "Porte d'Aix (Place Jules-Guesde)",
        )
        self._cortege(
            "march_8",
            "Journée internationale des droits des femmes",
            "REVENDICATIVE",
            date(year, 3, 8),
            17,
            0,
            draws.uniform(2000, 6000),
            "Réformés (Église Saint-Vincent-de-Paul)",
            "Vieux-Port (Quai des Belges)",
        )
        if draws.chance(0.5):
            day = self._random_day(year, (9, 10, 3, 4), (5,))
            if day is not None:
                self._cortege(
                    "climate",
                    "Marche pour le climat",
                    "REVENDICATIVE",
                    day,
                    14,
                    0,
                    draws.uniform(2000, 8000),
                    "Vieux-Port (Quai des Belges)",
                    "Parc du 26e Centenaire",
                )
        for _ in range(draws.scaled_count(70, self.scale, fraction)):
            day = self._random_day(year, None, (0, 1, 2, 3, 4, 5, 5))
            if day is not None:
                departure, arrival = draws.pick(SMALL_CORTEGE_ROUTES)
                self._cortege(
                    "small_cortege",
                    draws.pick(GATHERING_THEMES),
                    "REVENDICATIVE",
                    day,
                    draws.pick((11, 14, 17)),
                    0,
                    draws.uniform(150, 4000),
                    departure,
                    arrival,
                )
        names = [name for name, _ in STATIC_GATHERING_PLACES]
        weights = [weight for _, weight in STATIC_GATHERING_PLACES]
        for _ in range(draws.scaled_count(220, self.scale, fraction)):
            day = self._random_day(year, None, (0, 1, 2, 3, 4, 5))
            if day is None:
                continue
            place = venue(draws.pick_weighted(names, weights))
            crowd = int(min(8000, 30 * draws.lognormal_factor(1.2) * 4))
            event = self._add(
                "gathering", "rassemblement", draws.pick(GATHERING_THEMES), place,
                local_datetime(day, draws.pick((12, 17, 18)), draws.pick((0, 30))), draws.uniform(1.0, 2.5), crowd,
                min(place.capacity, crowd) * 1.5, "association", prefecture=True, demo_type="REVENDICATIVE",
                demo_form="RASSEMBLEMENT_STATIQUE", theme=None,
            )  # fmt: skip
            if event is not None:
                event.theme = event.title
                self._demo_status(event)

    def _cortege(
        self, kind: str, theme: str, demo_type: str, day: date, hour: int, minute: int, crowd: float,
        departure: str, arrival: str,
    ) -> None:  # fmt: skip
        place = venue(departure)
        big = crowd >= 3000
        event = self._add(
            kind, "manifestation", theme, place, local_datetime(day, hour, minute), self.draws.uniform(2.0, 4.0),
            int(crowd), 0.0, "association", prefecture=True, demo_type=demo_type, demo_form="CORTEGE", theme=theme,
            arrival=_arrival(arrival), linked_operation=big or self.draws.chance(0.2),
            operation_type="SECURISATION_EVENEMENT",
            route_streets=_route_streets(departure, arrival),
        )  # fmt: skip
        if event is not None:
            # A cortège occupies its route: ~15 m wide over the distance walked.
            from ..geography import distance_km

            end_place = venue(arrival)
            length_m = max(
                300.0,
                1000 * distance_km(place.latitude, place.longitude, end_place.latitude, end_place.longitude),
            )
            event.emprise_m2 = 15.0 * length_m * 1.3
            self._demo_status(event)

    def _demo_status(self, event: RealEvent) -> None:
        roll = self.draws.uniform(0, 1)
        if roll < 0.03:
            event.status = FORBIDDEN
        elif roll < 0.07:
            event.status = CANCELLED

    def _visits(self, year: int) -> None:
        draws = self.draws
        for _ in range(draws.scaled_count(35, self.scale, self._year_fraction(year))):
            day = self._random_day(year, None, (0, 1, 2, 3, 4))
            if day is None:
                continue
            level = draws.pick_weighted(
                ("MINISTRE", "CHEF_GOUVERNEMENT", "CHEF_ETAT", "DELEGATION_ETRANGERE", "AUTRE"),
                (0.6, 0.1, 0.06, 0.14, 0.1),
            )
            place = venue(draws.pick(VISIT_PLACES))
            self._add(
                "visit", "visite_officielle", "Visite officielle", place, local_datetime(day, draws.integer(9, 15)),
                draws.uniform(1.5, 6.0), {"CHEF_ETAT": 1500, "CHEF_GOUVERNEMENT": 800}.get(level, 200),
                0.0, "etat", visit_level=level,
            )  # fmt: skip

    def _zone_operations(self, year: int) -> None:
        draws = self.draws
        zones = ("Cours Julien", "Vieux-Port (Quai des Belges)", "Plages du Prado (Escale Borély)", "Noailles (Marché des Capucins)",
                 "Porte d'Aix (Place Jules-Guesde)", "Gare Saint-Charles", "Place Castellane")  # fmt: skip
        for _ in range(draws.scaled_count(90, self.scale, self._year_fraction(year))):
            day = self._random_day(year, (5, 6, 7, 8, 9, 12), (4, 5))
            if day is None:
                continue
            place = venue(draws.pick(zones))
            self._add(
                "zone_operation", "operation", "Sécurisation de zone", place, local_datetime(day, 21), draws.uniform(4, 7),
                0, 0.0, "etat", operation_type="SECURISATION_ZONE",
            )  # fmt: skip
        # New Year's Eve at the Vieux-Port.
        if self._in_period(date(year, 12, 31)):
            self._add(
                "zone_operation", "operation", "Sécurisation de la Saint-Sylvestre", venue("Vieux-Port (Quai des Belges)"),
                local_datetime(date(year, 12, 31), 20), 7.0, 0, 0.0, "etat", operation_type="SECURISATION_ZONE",
            )  # fmt: skip

    def _exhibitions(self, year: int) -> None:
        draws = self.draws
        for _ in range(draws.scaled_count(80, self.scale, self._year_fraction(year))):
            day = self._random_day(year)
            if day is None:
                continue
            place = venue(draws.pick(EXHIBITION_VENUES))
            self._add(
                "exhibition", "exposition", draws.pick(EXHIBITION_TITLES), place, local_datetime(day, 10),
                24 * draws.integer(20, 110) + 8, int(draws.uniform(3000, 60000)), 0.0, "collectivite", datatourisme=True,
            )  # fmt: skip


def _arrival(name: str) -> tuple[str, float, float]:
    place = venue(name)
    return place.name, place.latitude, place.longitude


def _route_streets(departure: str, arrival: str) -> list[Street]:
    """Streets a cortège walks: the known Vieux-Port → Porte d'Aix route, or the streets nearest both ends."""
    from .places import nearest_streets

    known = {
        ("Vieux-Port (Quai des Belges)", "Porte d'Aix (Place Jules-Guesde)"): (
            "La Canebière",
            "Cours Belsunce",
            "Quai des Belges",
        ),
        ("Réformés (Église Saint-Vincent-de-Paul)", "Vieux-Port (Quai des Belges)"): (
            "La Canebière",
            "Quai des Belges",
        ),
    }
    if (departure, arrival) in known:
        return [s for s in STREETS if s.name in known[(departure, arrival)]]
    start, end = venue(departure), venue(arrival)
    streets = nearest_streets(start.latitude, start.longitude, 1) + nearest_streets(
        end.latitude, end.longitude, 1
    )
    unique: dict[str, Street] = {s.name: s for s in streets}
    return list(unique.values())


def _season_generator(draws: Draws, season_start: int) -> np.random.Generator:
    # Derived from the run's seed entropy plus the season, so both calendar years see the same season.
    entropy = draws.generator.bit_generator.seed_seq.entropy  # type: ignore[attr-defined]
    return np.random.default_rng(np.random.SeedSequence([int(entropy), 7919, season_start]))


def is_weekend_or_holiday(day: date) -> bool:
    return day.weekday() >= 5 or is_public_holiday(day)


__all__ = [
    "CANCELLED",
    "FORBIDDEN",
    "HAPPENED",
    "REFUSED",
    "RealEvent",
    "WorldBuilder",
    "is_school_holiday",
    "is_weekend_or_holiday",
]

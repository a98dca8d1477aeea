"""Streets, transit stops and tunnels of Marseille used by the world generator.

Many street names honour people (Rue Paradis, Boulevard Baille, Cours Lieutaud, Boulevard Jean-Moulin…):
they are public place names, not personal data, and the privacy gate must let them through; the
generator uses them on purpose in titles and traffic orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..geography import distance_km


@dataclass(frozen=True)
class Street:
    name: str
    arrondissement: int
    latitude: float
    longitude: float


STREETS: tuple[Street, ...] = (
    Street("La Canebière", 1, 43.2975, 5.3800),
    Street("Quai des Belges", 1, 43.2951, 5.3743),
    Street("Rue Saint-Ferréol", 1, 43.2930, 5.3785),
    Street("Rue d'Aubagne", 1, 43.2950, 5.3822),
    Street("Cours Belsunce", 1, 43.2993, 5.3772),
    Street("Boulevard Longchamp", 1, 43.3025, 5.3900),
    Street("Rue Henri-Barbusse", 1, 43.2985, 5.3748),
    Street("Quai du Port", 2, 43.2967, 5.3695),
    Street("Rue de la République", 2, 43.3010, 5.3705),
    Street("Boulevard des Dames", 2, 43.3050, 5.3695),
    Street("Rue de l'Évêché", 2, 43.2990, 5.3670),
    Street("Avenue Camille-Pelletan", 3, 43.3040, 5.3760),
    Street("Boulevard National", 3, 43.3080, 5.3850),
    Street("Rue Jobin", 3, 43.3100, 5.3900),
    Street("Avenue Roger-Salengro", 3, 43.3150, 5.3760),
    Street("Boulevard Françoise-Duparc", 4, 43.3000, 5.3960),
    Street("Avenue de Saint-Just", 4, 43.3140, 5.4040),
    Street("Boulevard de la Libération", 4, 43.3020, 5.3920),
    Street("Boulevard Baille", 5, 43.2880, 5.3930),
    Street("Boulevard Jean-Moulin", 5, 43.2920, 5.4000),
    Street("Boulevard Sakakini", 5, 43.2960, 5.4020),
    Street("Rue Paradis", 6, 43.2880, 5.3790),
    Street("Rue de Rome", 6, 43.2920, 5.3810),
    Street("Cours Lieutaud", 6, 43.2920, 5.3840),
    Street("Boulevard Notre-Dame", 6, 43.2880, 5.3740),
    Street("Avenue Jules-Cantini", 6, 43.2800, 5.3900),
    Street("Quai de Rive-Neuve", 7, 43.2925, 5.3705),
    Street("Rue Sainte", 7, 43.2920, 5.3700),
    Street("Boulevard Charles-Livon", 7, 43.2925, 5.3620),
    Street("Corniche Président-John-Fitzgerald-Kennedy", 7, 43.2820, 5.3530),
    Street("Avenue de la Corse", 7, 43.2905, 5.3650),
    Street("Boulevard de la Corderie", 7, 43.2905, 5.3710),
    Street("Avenue du Prado", 8, 43.2790, 5.3880),
    Street("Boulevard Michelet", 8, 43.2685, 5.3945),
    Street("Boulevard Rabatau", 8, 43.2745, 5.3990),
    Street("Avenue Pierre-Mendès-France", 8, 43.2600, 5.3780),
    Street("Avenue de Mazargues", 8, 43.2600, 5.3960),
    Street("Avenue de la Pointe-Rouge", 8, 43.2445, 5.3760),
    Street("Route des Goudes", 8, 43.2210, 5.3500),
    Street("Boulevard Gustave-Ganay", 9, 43.2690, 5.4040),
    Street("Boulevard de Sainte-Marguerite", 9, 43.2620, 5.4030),
    Street("Boulevard Mireille-Lauze", 10, 43.2860, 5.4000),
    Street("Avenue de Toulon", 10, 43.2840, 5.3950),
    Street("Route de la Valentine", 11, 43.2960, 5.4750),
    Street("Avenue des Caillols", 12, 43.3020, 5.4270),
    Street("Chemin de Château-Gombert", 13, 43.3500, 5.4350),
    Street("Avenue de Frais-Vallon", 13, 43.3260, 5.4100),
    Street("Boulevard de Sainte-Marthe", 14, 43.3330, 5.3940),
    Street("Rue de Lyon", 15, 43.3300, 5.3680),
    Street("Chemin de la Madrague-Ville", 15, 43.3360, 5.3620),
    Street("Chemin du Littoral", 16, 43.3480, 5.3440),
)


@dataclass(frozen=True)
class TransitStop:
    name: str
    lines: tuple[tuple[str, str], ...]
    """(line, mode) pairs serving the stop."""
    latitude: float
    longitude: float


TRANSIT_STOPS: tuple[TransitStop, ...] = (
    TransitStop("Vieux-Port", (("M1", "metro"), ("83", "bus")), 43.2966, 5.3759),
    TransitStop("Noailles", (("M2", "metro"), ("T1", "tram"), ("T2", "tram")), 43.2975, 5.3812),
    TransitStop("Réformés-Canebière", (("M2", "metro"), ("T2", "tram")), 43.2994, 5.3855),
    TransitStop("Canebière-Garibaldi", (("T2", "tram"),), 43.2980, 5.3802),
    TransitStop("Belsunce-Alcazar", (("T2", "tram"),), 43.2997, 5.3773),
    TransitStop("Sadi-Carnot", (("T2", "tram"),), 43.2998, 5.3725),
    TransitStop("Colbert", (("M1", "metro"),), 43.2996, 5.3770),
    TransitStop("Saint-Charles", (("M1", "metro"), ("M2", "metro")), 43.3028, 5.3813),
    TransitStop("Joliette", (("M2", "metro"), ("T2", "tram"), ("T3", "tram")), 43.3047, 5.3666),
    TransitStop(
        "Castellane", (("M1", "metro"), ("M2", "metro"), ("T3", "tram"), ("21", "bus")), 43.2854, 5.3837
    ),
    TransitStop("Estrangin-Préfecture", (("M1", "metro"),), 43.2893, 5.3786),
    TransitStop("Rome-Davso", (("T3", "tram"),), 43.2927, 5.3807),
    TransitStop("Périer", (("M2", "metro"),), 43.2785, 5.3870),
    TransitStop("Rond-Point du Prado", (("M2", "metro"), ("19", "bus"), ("83", "bus")), 43.2712, 5.3915),
    TransitStop("Stade Vélodrome", (("21", "bus"), ("22", "bus")), 43.2705, 5.3940),
    TransitStop("Sainte-Marguerite Dromel", (("M2", "metro"), ("22", "bus")), 43.2617, 5.4022),
    TransitStop("La Timone", (("M1", "metro"),), 43.2887, 5.4020),
    TransitStop("Cinq Avenues-Longchamp", (("M1", "metro"), ("T2", "tram")), 43.3052, 5.3976),
    TransitStop("Saint-Just", (("M1", "metro"),), 43.3132, 5.4032),
    TransitStop("Vallon des Auffes", (("83", "bus"),), 43.2857, 5.3505),
    TransitStop("Plage du Prophète", (("83", "bus"),), 43.2784, 5.3577),
    TransitStop("David", (("83", "bus"), ("19", "bus")), 43.2620, 5.3740),
    TransitStop("Pointe Rouge Port", (("19", "bus"),), 43.2445, 5.3728),
    TransitStop("Pharo", (("82", "bus"),), 43.2925, 5.3625),
    TransitStop("Belle de Mai La Friche", (("49", "bus"),), 43.3093, 5.3900),
    TransitStop("Arenc Le Silo", (("T2", "tram"), ("T3", "tram")), 43.3115, 5.3680),
    TransitStop("Estaque Gare", (("35", "bus"),), 43.3620, 5.3150),
    TransitStop("La Valentine", (("12", "bus"),), 43.2960, 5.4810),
    TransitStop("Saint-Barnabé", (("T1", "tram"), ("M1", "metro")), 43.3040, 5.4160),
    TransitStop("Capitaine Gèze", (("M2", "metro"), ("B2", "bus")), 43.3340, 5.3690),
    TransitStop("Château-Gombert", (("B3", "bus"),), 43.3560, 5.4420),
    TransitStop("Obélisque", (("21", "bus"), ("22", "bus")), 43.2494, 5.4000),
)

# Portals of the Prado-Carénage tunnel (SMTPC): Carénage on the Vieux-Port side, Prado near the
# Rond-Point du Prado. The tunnel reacts to events near either portal or along its axis.
TUNNEL_PORTALS: tuple[tuple[float, float], ...] = ((43.2915, 5.3655), (43.2745, 5.3960))

METROPOLE_TUNNELS: tuple[tuple[str, tuple[str, str]], ...] = (
    ("Tunnel du Vieux-Port", ("Sens Nord-Sud", "Sens Sud-Nord")),
    ("Tunnel Saint-Charles", ("Sens Est-Ouest", "Sens Ouest-Est")),
    ("Tunnel de la Major", ("Sens Nord-Sud", "Sens Sud-Nord")),
    ("Tunnel Louis-Rège", ("Sens Est-Ouest", "Sens Ouest-Est")),
    ("Tunnel des Aygalades", ("Sens Nord-Sud", "Sens Sud-Nord")),
    ("Tunnel Schloesing", ("Sens Est-Ouest", "Sens Ouest-Est")),
)


def tunnel_distance_km(latitude: float, longitude: float) -> float:
    """Distance to the nearest Prado-Carénage portal."""
    return min(distance_km(latitude, longitude, lat, lon) for lat, lon in TUNNEL_PORTALS)


def nearest_streets(latitude: float, longitude: float, count: int) -> list[Street]:
    return list(_nearest_streets(latitude, longitude)[:count])


def nearest_stops(latitude: float, longitude: float, count: int, within_km: float = 2.0) -> list[TransitStop]:
    ranked = _nearest_stops(latitude, longitude)
    close = [stop for distance, stop in ranked if distance <= within_km]
    return (close or [ranked[0][1]])[:count]


# Events happen again and again at the same places: rank once per place.
@lru_cache(maxsize=4096)
def _nearest_streets(latitude: float, longitude: float) -> tuple[Street, ...]:
    ranked = sorted(
        STREETS, key=lambda s: (distance_km(latitude, longitude, s.latitude, s.longitude), s.name)
    )
    return tuple(ranked)


@lru_cache(maxsize=4096)
def _nearest_stops(latitude: float, longitude: float) -> tuple[tuple[float, TransitStop], ...]:
    ranked = sorted(
        ((distance_km(latitude, longitude, s.latitude, s.longitude), s) for s in TRANSIT_STOPS),
        key=lambda pair: (pair[0], pair[1].name),
    )
    return tuple(ranked)

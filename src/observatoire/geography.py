"""Marseille's geography as the platform needs it.

- the 16 arrondissements and the 8 municipal sectors (DESIGN §4: 1st = 1er+7e, 2nd = 2e+3e, …);
- real venues and public spaces with their WGS84 coordinates (to about 100 m), arrondissement, kind and
  a usual capacity (persons), used by the world generator and by anyone who needs a named place;
- a coarse outline of the commune (land part, islands left out) to check that a point is in Marseille;
- the INSPIRE 200 m grid in EPSG:3035 as INSEE writes its cell ids (``CRS3035RES200mN{northing}E{easting}``,
  the coordinates of the cell's lower-left corner), to aggregate anything located to cells.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt
from pyproj import Transformer

ARRONDISSEMENTS: tuple[int, ...] = tuple(range(1, 17))

SECTOR_OF_ARRONDISSEMENT: dict[int, int] = {
    1: 1, 7: 1,
    2: 2, 3: 2,
    4: 3, 5: 3,
    6: 4, 8: 4,
    9: 5, 10: 5,
    11: 6, 12: 6,
    13: 7, 14: 7,
    15: 8, 16: 8,
}  # fmt: skip


def sector_of(arrondissement: int) -> int:
    """Municipal sector (1-8) of an arrondissement (1-16)."""
    try:
        return SECTOR_OF_ARRONDISSEMENT[int(arrondissement)]
    except KeyError:
        raise ValueError(f"Marseille has arrondissements 1 to 16, not {arrondissement!r}") from None


def postcode_of(arrondissement: int) -> str:
    """La Poste postcode of an arrondissement: 13001 … 13016."""
    sector_of(arrondissement)  # validates
    return f"130{arrondissement:02d}"


MARSEILLE_INSEE_CODE = "13055"

VenueKind = Literal[
    "stade",
    "salle",
    "parc",
    "place",
    "voie",
    "plage",
    "port",
    "monument",
    "institution",
    "culture",
    "marche",
    "quartier",
    "gare",
    "commerce",
    "expositions",
]


@dataclass(frozen=True)
class Venue:
    name: str
    latitude: float
    longitude: float
    arrondissement: int
    kind: VenueKind
    capacity: int
    """Usual maximum attendance for an event there (persons)."""

    @property
    def sector(self) -> int:
        return sector_of(self.arrondissement)


# Coordinates are WGS84 (EPSG:4326) of the venue's centre or main entrance, to about 100 m.
VENUES: tuple[Venue, ...] = (
    Venue("Orange Vélodrome", 43.2698, 5.3959, 8, "stade", 67394),
    Venue("Stade Pierre-Delort", 43.2676, 5.3928, 8, "stade", 5000),
    Venue("Palais des Sports", 43.2655, 5.3988, 9, "salle", 7200),
    Venue("Parc Chanot", 43.2713, 5.3925, 8, "expositions", 25000),
    Venue("Rond-Point du Prado", 43.2721, 5.3918, 8, "place", 15000),
    Venue("Le Dôme", 43.3153, 5.4044, 4, "salle", 8500),
    Venue("Le Silo", 43.3122, 5.3664, 2, "salle", 2000),
    Venue("Dock des Suds", 43.3187, 5.3650, 2, "salle", 5000),
    Venue("Espace Julien", 43.2937, 5.3843, 6, "salle", 1000),
    Venue("Friche la Belle de Mai", 43.3101, 5.3903, 3, "culture", 8000),
    Venue("Esplanade du J4 (MuCEM)", 43.2967, 5.3606, 2, "culture", 15000),
    Venue("Fort Saint-Jean", 43.2959, 5.3620, 2, "monument", 3000),
    Venue("Palais du Pharo", 43.2930, 5.3610, 7, "parc", 10000),
    Venue("Théâtre Silvain", 43.2814, 5.3540, 7, "culture", 1300),
    Venue("Théâtre de la Criée", 43.2925, 5.3681, 7, "culture", 800),
    Venue("Opéra de Marseille", 43.2947, 5.3755, 1, "culture", 1800),
    Venue("Vieux-Port (Quai des Belges)", 43.2951, 5.3745, 1, "port", 50000),
    Venue("La Canebière", 43.2973, 5.3790, 1, "voie", 30000),
    Venue("Cours Belsunce", 43.2993, 5.3772, 1, "voie", 5000),
    Venue("Noailles (Marché des Capucins)", 43.2958, 5.3810, 1, "marche", 2000),
    Venue("Réformés (Église Saint-Vincent-de-Paul)", 43.2993, 5.3852, 1, "place", 5000),
    Venue("Gare Saint-Charles", 43.3027, 5.3805, 1, "gare", 5000),
    Venue("Hôtel de Ville", 43.2962, 5.3697, 2, "institution", 3000),
    Venue("Place de Lenche (Le Panier)", 43.2981, 5.3661, 2, "place", 1500),
    Venue("Cathédrale de la Major", 43.2996, 5.3641, 2, "monument", 3000),
    Venue("Place de la Joliette", 43.3040, 5.3662, 2, "place", 5000),
    Venue("Porte d'Aix (Place Jules-Guesde)", 43.3036, 5.3735, 3, "place", 20000),
    Venue("Cours Julien", 43.2943, 5.3834, 6, "place", 3000),
    Venue("Place Jean-Jaurès (La Plaine)", 43.2942, 5.3866, 5, "marche", 5000),
    Venue("Place Castellane", 43.2856, 5.3837, 6, "place", 8000),
    Venue("Préfecture (Place Félix-Baret)", 43.2889, 5.3792, 6, "institution", 10000),
    Venue("Palais de Justice (Place Monthyon)", 43.2912, 5.3780, 6, "institution", 2000),
    Venue("Marché du Prado", 43.2825, 5.3860, 6, "marche", 5000),
    Venue("Notre-Dame de la Garde", 43.2840, 5.3713, 6, "monument", 3000),
    Venue("Abbaye Saint-Victor", 43.2905, 5.3657, 7, "monument", 2000),
    Venue("Monument aux morts de l'Armée d'Orient (Corniche)", 43.2850, 5.3510, 7, "monument", 3000),
    Venue("Vallon des Auffes", 43.2857, 5.3502, 7, "port", 1500),
    Venue("Corniche Kennedy (Plage des Catalans)", 43.2905, 5.3530, 7, "plage", 20000),
    Venue("Plages du Prado (Escale Borély)", 43.2597, 5.3747, 8, "plage", 40000),
    Venue("Parc Borély", 43.2594, 5.3820, 8, "parc", 30000),
    Venue("Hippodrome Borély", 43.2575, 5.3813, 8, "parc", 10000),
    Venue("Pointe Rouge", 43.2428, 5.3713, 8, "port", 5000),
    Venue("Les Goudes", 43.2170, 5.3470, 8, "port", 2000),
    Venue("Cité radieuse", 43.2613, 5.3965, 8, "monument", 500),
    Venue("Obélisque de Mazargues", 43.2494, 5.4000, 9, "place", 5000),
    Venue("Campus de Luminy", 43.2315, 5.4380, 9, "institution", 5000),
    Venue("Parc du 26e Centenaire", 43.2853, 5.3968, 10, "parc", 15000),
    Venue("Hôpital de la Timone", 43.2893, 5.4019, 5, "institution", 1000),
    Venue("Palais Longchamp", 43.3048, 5.3946, 4, "parc", 8000),
    Venue("Stade Vallier", 43.3003, 5.4000, 4, "stade", 4000),
    Venue("Cinq-Avenues", 43.3049, 5.3985, 4, "place", 3000),
    Venue("La Valentine (centre commercial)", 43.2966, 5.4818, 11, "commerce", 5000),
    Venue("Saint-Barnabé (Place Caire)", 43.3030, 5.4180, 12, "quartier", 2000),
    Venue("Château-Gombert (Place des Héros)", 43.3560, 5.4435, 13, "quartier", 2000),
    Venue("Technopôle de Château-Gombert", 43.3420, 5.4390, 13, "institution", 2000),
    Venue("Marché aux puces (Arnavaux)", 43.3352, 5.3646, 15, "marche", 8000),
    Venue("Grand Littoral (centre commercial)", 43.3627, 5.3545, 15, "commerce", 5000),
    Venue("Parc de la Moline (Sainte-Marthe)", 43.3310, 5.3990, 14, "parc", 3000),
    Venue("L'Estaque (port)", 43.3614, 5.3125, 16, "port", 5000),
)

_VENUES_BY_NAME = {venue.name: venue for venue in VENUES}


def venue(name: str) -> Venue:
    """The venue called ``name`` (exact name as in :data:`VENUES`)."""
    try:
        return _VENUES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown venue {name!r}") from None


# A coarse outline of the land part of the commune (lat, lon), clockwise from Les Goudes. It only has to
# separate "in Marseille" from "in the sea or in a neighbouring commune" to a few hundred metres.
MARSEILLE_OUTLINE: tuple[tuple[float, float], ...] = (
    (43.2120, 5.3380),
    (43.2330, 5.3600),
    (43.2420, 5.3680),
    (43.2570, 5.3700),
    (43.2700, 5.3590),
    (43.2790, 5.3480),
    (43.2880, 5.3460),
    (43.2940, 5.3540),
    (43.3000, 5.3590),
    (43.3150, 5.3570),
    (43.3350, 5.3440),
    (43.3560, 5.3180),
    (43.3600, 5.2900),
    (43.3760, 5.2980),
    (43.3920, 5.3400),
    (43.3960, 5.3800),
    (43.3900, 5.4300),
    (43.3750, 5.4700),
    (43.3450, 5.4950),
    (43.3150, 5.5150),
    (43.2950, 5.5350),
    (43.2700, 5.5300),
    (43.2400, 5.5100),
    (43.2100, 5.4800),
    (43.2030, 5.4300),
    (43.2080, 5.3900),
)


def in_marseille(latitude: float | npt.ArrayLike, longitude: float | npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Whether points fall inside :data:`MARSEILLE_OUTLINE` (ray casting, vectorised)."""
    lat = np.atleast_1d(np.asarray(latitude, dtype=float))
    lon = np.atleast_1d(np.asarray(longitude, dtype=float))
    inside = np.zeros(lat.shape, dtype=bool)
    outline = MARSEILLE_OUTLINE
    for index, (lat_a, lon_a) in enumerate(outline):
        lat_b, lon_b = outline[index - 1]
        crosses = (lat_a > lat) != (lat_b > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            lon_cross = lon_a + (lat - lat_a) * (lon_b - lon_a) / (lat_b - lat_a)
        inside ^= crosses & (lon < lon_cross)
    return inside


def distance_km(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    phi_a, phi_b = math.radians(lat_a), math.radians(lat_b)
    d_phi = phi_b - phi_a
    d_lambda = math.radians(lon_b - lon_a)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi_a) * math.cos(phi_b) * math.sin(d_lambda / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


# --- INSPIRE 200 m grid (EPSG:3035, ETRS89-LAEA) -------------------------------------------------------

GRID_RESOLUTION_M = 200
CELL_ID_PATTERN = re.compile(r"CRS3035RES200mN(?P<northing>[0-9]{7})E(?P<easting>[0-9]{7})")


@lru_cache(maxsize=1)
def _to_laea() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)


@lru_cache(maxsize=1)
def _from_laea() -> Transformer:
    return Transformer.from_crs("EPSG:3035", "EPSG:4326", always_xy=True)


def cell_corners(
    latitude: npt.ArrayLike, longitude: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Lower-left corners (northing, easting in metres, EPSG:3035) of the 200 m cells holding the points."""
    easting, northing = _to_laea().transform(
        np.asarray(longitude, dtype=float), np.asarray(latitude, dtype=float)
    )
    step = GRID_RESOLUTION_M
    corner_n = (np.floor(np.asarray(northing) / step) * step).astype(np.int64)
    corner_e = (np.floor(np.asarray(easting) / step) * step).astype(np.int64)
    return np.atleast_1d(corner_n), np.atleast_1d(corner_e)


def format_cell_id(northing: int, easting: int) -> str:
    return f"CRS3035RES200mN{int(northing):07d}E{int(easting):07d}"


def cell_id(latitude: float, longitude: float) -> str:
    """INSEE id of the 200 m INSPIRE cell holding a WGS84 point, e.g. ``CRS3035RES200mN2254400E3944800``."""
    northing, easting = cell_corners(latitude, longitude)
    return format_cell_id(int(northing[0]), int(easting[0]))


def cell_ids(latitude: npt.ArrayLike, longitude: npt.ArrayLike) -> list[str]:
    """Vectorised :func:`cell_id`."""
    northing, easting = cell_corners(latitude, longitude)
    return [format_cell_id(n, e) for n, e in zip(northing.tolist(), easting.tolist(), strict=True)]


def parse_cell_id(cell: str) -> tuple[int, int]:
    """(northing, easting) of the lower-left corner of a cell id; ``ValueError`` if malformed."""
    match = CELL_ID_PATTERN.fullmatch(cell)
    if match is None:
        raise ValueError(f"not an INSPIRE 200 m cell id: {cell!r}")
    northing, easting = int(match["northing"]), int(match["easting"])
    if northing % GRID_RESOLUTION_M or easting % GRID_RESOLUTION_M:
        raise ValueError(f"cell id corner is not on the 200 m grid: {cell!r}")
    return northing, easting


def cell_centre(cell: str) -> tuple[float, float]:
    """(latitude, longitude) WGS84 of the centre of a cell."""
    northing, easting = parse_cell_id(cell)
    half = GRID_RESOLUTION_M / 2
    longitude, latitude = _from_laea().transform(easting + half, northing + half)
    return float(latitude), float(longitude)


def cell_centres(
    northing: npt.ArrayLike, easting: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Vectorised centres (latitude, longitude) of cells given by their lower-left corners."""
    half = GRID_RESOLUTION_M / 2
    longitude, latitude = _from_laea().transform(
        np.asarray(easting, dtype=float) + half, np.asarray(northing, dtype=float) + half
    )
    return np.asarray(latitude, dtype=float), np.asarray(longitude, dtype=float)


@dataclass(frozen=True)
class CellGrid:
    """The 200 m cells whose centre lies in :data:`MARSEILLE_OUTLINE`, in a stable order."""

    cell_ids: tuple[str, ...]
    northing: npt.NDArray[np.int64]
    easting: npt.NDArray[np.int64]
    latitude: npt.NDArray[np.float64]
    longitude: npt.NDArray[np.float64]


@lru_cache(maxsize=1)
def marseille_cells() -> CellGrid:
    """Every 200 m INSPIRE cell covering the land part of Marseille (about 6,000 cells)."""
    lats = [lat for lat, _ in MARSEILLE_OUTLINE]
    lons = [lon for _, lon in MARSEILLE_OUTLINE]
    corners_n, corners_e = cell_corners(
        [min(lats), max(lats), min(lats), max(lats)], [min(lons), min(lons), max(lons), max(lons)]
    )
    step = GRID_RESOLUTION_M
    northings = np.arange(corners_n.min() - step, corners_n.max() + 2 * step, step, dtype=np.int64)
    eastings = np.arange(corners_e.min() - step, corners_e.max() + 2 * step, step, dtype=np.int64)
    mesh_n, mesh_e = np.meshgrid(northings, eastings, indexing="ij")
    all_n: npt.NDArray[np.int64] = mesh_n.ravel()
    all_e: npt.NDArray[np.int64] = mesh_e.ravel()
    latitude, longitude = cell_centres(all_n, all_e)
    keep = in_marseille(latitude, longitude)
    kept_n, kept_e = all_n[keep], all_e[keep]
    ids = tuple(format_cell_id(int(n), int(e)) for n, e in zip(kept_n.tolist(), kept_e.tolist(), strict=True))
    return CellGrid(ids, kept_n, kept_e, latitude[keep], longitude[keep])

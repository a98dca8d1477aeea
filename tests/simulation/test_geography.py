from __future__ import annotations

import re

import pytest
from pyproj import Transformer

from observatoire.contracts.registry import INSPIRE_CELL_PATTERN
from observatoire.geography import (
    SECTOR_OF_ARRONDISSEMENT,
    VENUES,
    cell_centre,
    cell_id,
    cell_ids,
    distance_km,
    in_marseille,
    marseille_cells,
    parse_cell_id,
    sector_of,
    venue,
)


def test_sectors_follow_the_municipal_split() -> None:
    expected = {1: (1, 7), 2: (2, 3), 3: (4, 5), 4: (6, 8), 5: (9, 10), 6: (11, 12), 7: (13, 14), 8: (15, 16)}
    for sector, arrondissements in expected.items():
        for arrondissement in arrondissements:
            assert sector_of(arrondissement) == sector
    assert sorted(SECTOR_OF_ARRONDISSEMENT) == list(range(1, 17))
    with pytest.raises(ValueError):
        sector_of(17)


def test_venues_are_real_places_inside_marseille() -> None:
    assert len(VENUES) >= 40
    names = [v.name for v in VENUES]
    assert len(set(names)) == len(names)
    for required in ("Orange Vélodrome", "Le Dôme", "Palais des Sports", "Parc Chanot", "La Canebière", "Le Silo",
                     "Friche la Belle de Mai", "Palais du Pharo", "Cours Julien", "Parc Borély", "Stade Pierre-Delort"):  # fmt: skip
        venue(required)
    assert all(in_marseille(v.latitude, v.longitude)[0] for v in VENUES), [
        v.name for v in VENUES if not in_marseille(v.latitude, v.longitude)[0]
    ]
    assert {v.arrondissement for v in VENUES} == set(range(1, 17))
    assert all(v.capacity > 0 for v in VENUES)
    # A few distances any Marseillais knows.
    velodrome, vieux_port = venue("Orange Vélodrome"), venue("Vieux-Port (Quai des Belges)")
    assert (
        3.0
        < distance_km(velodrome.latitude, velodrome.longitude, vieux_port.latitude, vieux_port.longitude)
        < 3.6
    )
    assert venue("Orange Vélodrome").capacity == 67394


def test_points_outside_marseille_are_rejected() -> None:
    sea, aix, aubagne = (43.25, 5.30), (43.529, 5.447), (43.292, 5.571)
    assert not in_marseille(*sea)[0]
    assert not in_marseille(*aix)[0]
    assert not in_marseille(*aubagne)[0]


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(43.2951, 5.3745), (43.2698, 5.3959), (43.3614, 5.3125), (43.2170, 5.3470), (43.3153, 5.4044)],
)
def test_cell_id_matches_an_independent_projection(latitude: float, longitude: float) -> None:
    transformer = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
    easting, northing = transformer.transform(longitude, latitude)
    expected = f"CRS3035RES200mN{int(northing // 200 * 200)}E{int(easting // 200 * 200)}"
    assert cell_id(latitude, longitude) == expected
    assert re.fullmatch(INSPIRE_CELL_PATTERN, expected)
    centre_lat, centre_lon = cell_centre(expected)
    assert distance_km(latitude, longitude, centre_lat, centre_lon) < 0.15
    assert cell_id(centre_lat, centre_lon) == expected


def test_known_cell_of_the_vieux_port() -> None:
    # EPSG:3035 of (43.2951 N, 5.3745 E) is E 3944889, N 2254593 (pyproj 3.7): lower-left corner of its cell.
    assert cell_id(43.2951, 5.3745) == "CRS3035RES200mN2254400E3944800"
    assert parse_cell_id("CRS3035RES200mN2254400E3944800") == (2254400, 3944800)
    with pytest.raises(ValueError):
        parse_cell_id("CRS3035RES200mN2254450E3944800")
    assert cell_ids([43.2951, 43.2698], [5.3745, 5.3959])[0] == "CRS3035RES200mN2254400E3944800"


def test_marseille_grid_covers_the_commune() -> None:
    grid = marseille_cells()
    # The land part of Marseille is about 240 km², i.e. about 6,000 cells of 4 hectares.
    assert 4500 < len(grid.cell_ids) < 7500
    assert cell_id(43.2951, 5.3745) in set(grid.cell_ids)
    assert len(set(grid.cell_ids)) == len(grid.cell_ids)

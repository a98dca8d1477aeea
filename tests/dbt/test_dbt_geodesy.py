"""The SQL geodesy macros (dbt_project/macros/geo.sql) against pyproj, run directly in DuckDB."""

from __future__ import annotations

import math
import random

import duckdb
import jinja2
import pytest
from pyproj import Transformer

from observatoire.config import dbt_project_dir


@pytest.fixture(scope="module")
def geo():
    source = (dbt_project_dir() / "macros" / "geo.sql").read_text(encoding="utf-8")
    return jinja2.Environment().from_string(source).module


@pytest.fixture(scope="module")
def points():
    rng = random.Random(3035)
    # Marseille and its surroundings, plus far corners of the grid's domain
    pts = [(rng.uniform(43.15, 43.45), rng.uniform(5.20, 5.60)) for _ in range(300)]
    pts += [(52.0, 10.0 + 1e-6), (35.0, -10.0), (70.0, 30.0), (48.85, 2.35)]
    return pts


def _run(sql: str, rows: list[tuple]) -> list[tuple]:
    con = duckdb.connect()
    con.execute("create table p (i integer, a double, b double)")
    con.executemany("insert into p values (?, ?, ?)", [(i, a, b) for i, (a, b) in enumerate(rows)])
    return con.execute(sql + " from p order by i").fetchall()


def test_inverse_laea_matches_pyproj(geo, points):
    to_laea = Transformer.from_crs(4326, 3035, always_xy=True)
    to_wgs = Transformer.from_crs(3035, 4326, always_xy=True)
    grid = [to_laea.transform(lon, lat) for lat, lon in points]  # (easting, northing)
    sql = f"select {geo.epsg3035_to_latitude('a', 'b')}, {geo.epsg3035_to_longitude('a', 'b')}"
    got = _run(sql, grid)
    for (easting, northing), (lat, lon) in zip(grid, got, strict=True):
        ref_lon, ref_lat = to_wgs.transform(easting, northing)
        assert lat == pytest.approx(ref_lat, abs=1e-9)
        assert lon == pytest.approx(ref_lon, abs=1e-9)


def test_forward_laea_matches_pyproj(geo, points):
    to_laea = Transformer.from_crs(4326, 3035, always_xy=True)
    sql = f"select {geo.wgs84_to_epsg3035_easting('a', 'b')}, {geo.wgs84_to_epsg3035_northing('a', 'b')}"
    got = _run(sql, points)
    for (lat, lon), (easting, northing) in zip(points, got, strict=True):
        ref_e, ref_n = to_laea.transform(lon, lat)
        assert easting == pytest.approx(ref_e, abs=1e-3)
        assert northing == pytest.approx(ref_n, abs=1e-3)


def test_cell_centres_of_insee_ids(geo):
    """A cell id's centre is its lower-left corner + 100 m, converted."""
    to_wgs = Transformer.from_crs(3035, 4326, always_xy=True)
    cells = [(2254400, 3944800), (2250600, 3945200), (2263000, 3937000)]
    sql = f"select {geo.epsg3035_to_latitude('b + 100.0', 'a + 100.0')}, {geo.epsg3035_to_longitude('b + 100.0', 'a + 100.0')}"
    got = _run(sql, [(float(n), float(e)) for n, e in cells])
    for (northing, easting), (lat, lon) in zip(cells, got, strict=True):
        ref_lon, ref_lat = to_wgs.transform(easting + 100, northing + 100)
        assert (lat, lon) == (pytest.approx(ref_lat, abs=1e-9), pytest.approx(ref_lon, abs=1e-9))


def test_haversine_distance(geo):
    got = _run(f"select {geo.distance_m('a', 'b', 'a + 0.01', 'b')}", [(43.29, 5.37)])[0][0]
    assert got == pytest.approx(6371008.8 * math.radians(0.01), rel=1e-9)


def test_distance_to_segment(geo):
    sql = f"select {geo.distance_to_segment_m('a', 'b', '43.29', '5.36', '43.29', '5.38')}"
    # 0.001 degree of latitude north of the middle of an east-west segment: 111 m
    got = _run(sql, [(43.291, 5.37), (43.29, 5.39)])
    assert got[0][0] == pytest.approx(111.2, abs=0.5)
    assert got[1][0] == pytest.approx(0.01 * 111195.08 * math.cos(math.radians(43.29)), rel=1e-6)

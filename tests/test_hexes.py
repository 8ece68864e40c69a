"""The hexagons' areas: the compiled measure against h3ronpy's, and a run's hexagons as the plain functions make them."""

from __future__ import annotations

import h3ronpy
import numpy as np
import pytest
import shapely

from accessibility.stages import hexes

# (lon, lat, resolution): Chinese cities, other continents, the far north, a pentagon's neighbourhood
PLACES = [(120.2, 30.3, 9), (116.4, 39.9, 9), (108.9, 34.3, 10), (-74.0, 40.7, 9), (151.2, -33.9, 8), (25.0, 75.0, 9), (10.5, 64.7, 3), (120.0, 30.0, 12)]


def cells_around(lon: float, lat: float, resolution: int, n: int = 30_000) -> np.ndarray:
    rng = np.random.default_rng(resolution)
    cells = np.unique(hexes.cells_of_points(rng.uniform(lon - 0.5, lon + 0.5, n), rng.uniform(lat - 0.5, lat + 0.5, n), resolution))
    return np.resize(cells, max(len(cells), hexes._COMPILED_MIN_CELLS))  # enough to take the compiled measure


@pytest.mark.parametrize(("lon", "lat", "resolution"), PLACES)
def test_compiled_cell_areas_are_h3s(lon, lat, resolution):
    """The compiled measure is h3ronpy's within 1e-10 (relative): the same formula, on coordinates that may round otherwise."""
    cells = cells_around(lon, lat, resolution)
    assert len(cells) >= hexes._COMPILED_MIN_CELLS
    np.testing.assert_allclose(hexes.cell_areas_km2(cells), np.asarray(h3ronpy.cells_area_km2(cells), float), rtol=1e-10, atol=0)


def test_hangzhou_cell_areas_to_the_bit():
    """Where h3o's coordinates are the ones it writes out (Hangzhou's cells), the same numbers to the last bit: the formula is H3's, operation for operation."""
    cells = cells_around(120.2, 30.3, 9)
    np.testing.assert_array_equal(hexes.cell_areas_km2(cells), np.asarray(h3ronpy.cells_area_km2(cells), float))


def test_a_runs_hexagons_are_the_plain_ones():
    """The cells laid out for a run, their polygons and areas made later, give the frame :func:`hexes.hexagons` gives (few cells: h3ronpy's areas; many: the compiled ones)."""
    rng = np.random.default_rng(3)
    for n in (500, 60_000):
        lon, lat = rng.uniform(120.0, 120.6, n), rng.uniform(30.0, 30.5, n)
        pop, older = rng.uniform(0, 5, n), rng.uniform(0, 1, n)
        area = shapely.box(120.0, 30.0, 120.6, 30.5)
        laid = hexes.hex_cells(lon, lat, pop, older, area, resolution=9)
        assert laid.polygons is None
        frame = laid.with_polygons().frame()
        plain = hexes.hexagons(laid.cells)
        assert frame["h3"].tolist() == plain["h3"].tolist()
        assert shapely.equals_exact(frame.geometry.to_numpy(), plain.geometry.to_numpy(), tolerance=0).all()
        np.testing.assert_array_equal(frame["area_km2"].to_numpy(), plain["area_km2"].to_numpy())
        np.testing.assert_array_equal(frame["density_per_km2"].to_numpy(), frame["pop"].to_numpy() / frame["area_km2"].to_numpy())
        np.testing.assert_allclose(frame["pop"].sum(), pop.sum())

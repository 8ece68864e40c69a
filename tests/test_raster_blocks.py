"""Pixel centres inside the study area, tested block by block (:func:`accessibility.readers.rasters._centres_inside`), equal a test of every centre."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility.readers import rasters


def _grid(x0: float, y0: float, a: float, e: float, col0: int = 0, row0: int = 0):
    def centres(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cc, rr = cols + (col0 + 0.5), rows + (row0 + 0.5)
        return np.asarray(a * cc + 0.0 * rr + x0, np.float64), np.asarray(0.0 * cc + e * rr + y0, np.float64)

    return centres


def _every(area, h, w, centres) -> np.ndarray:
    rows, cols = np.divmod(np.arange(h * w), w)
    return shapely.contains_xy(area, *centres(rows, cols))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)), min_size=3, max_size=12),
    st.integers(1, 300), st.integers(1, 300), st.sampled_from([1 / 1200, 1 / 120, 0.01]), st.booleans(),
)
def test_blocks_equal_every_centre(points, h, w, step, hole):
    area = shapely.convex_hull(shapely.multipoints(np.asarray(points) * (step * max(h, w)) + [120.0, 30.0]))
    if hole and area.area > 0:
        area = area.difference(shapely.buffer(shapely.centroid(area), np.sqrt(area.area) / 6))
    centres = _grid(120.0, 30.0 + step * h, step, -step)  # north-up, as WorldPop's grids are
    got = rasters._centres_inside(area, h, w, centres, straight=True)
    assert np.array_equal(got, _every(area, h, w, centres))


def test_centres_on_the_edge_and_a_box_area():
    """A box whose edges run through pixel centres: those centres are on the boundary, not inside; blocks inside are whole."""
    step = 0.01
    h, w = 200, 260
    centres = _grid(0.0, 0.0, step, step)
    area = shapely.box(10.5 * step, 20.5 * step, 190.5 * step, 150.5 * step)  # through the centres of columns 10 and 190
    got = rasters._centres_inside(area, h, w, centres, straight=True)
    assert np.array_equal(got, _every(area, h, w, centres))
    assert got.sum() == (190 - 10 - 1) * (150 - 20 - 1)
    assert np.array_equal(rasters._centres_inside(area, h, w, centres, straight=False), got)


"""The compiled barrier search (network/barriergrid.py) against shapely and GEOS, to the last bit."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility.core import parallel
from accessibility.network import barriergrid, crossing, segmentgrid, snapping
from accessibility.network.linetree import LineTree


@pytest.fixture(scope="module")
def streets(hangzhou_walk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lines = hangzhou_walk.edge_coords()
    xy = snapping.Projection(hangzhou_walk.metric_crs).metric_xy(lines.xy[:, 0], lines.xy[:, 1])
    return xy, lines.offsets, parallel.build_geometries("line", xy, lines.counts)


def test_points_along_streets_equal_shapely(streets) -> None:
    """A walk's end on its street: ``line_interpolate_point(normalized=True)``, at the ends, inside and at vertices."""
    xy, offsets, geoms = streets
    rng = np.random.default_rng(5)
    line = rng.integers(0, len(geoms), 6_000)
    t = rng.uniform(0, 1, len(line))
    t[:500], t[500:1000] = 0.0, 1.0
    # exactly at a vertex: the length before it over the whole
    lo, hi = offsets[line[1000:2000]], offsets[line[1000:2000] + 1]
    seg = np.sqrt((np.diff(xy, axis=0) ** 2).sum(axis=1))
    inner = np.minimum(lo + 1, hi - 1)
    t[1000:2000] = np.array([seg[a:b].sum() for a, b in zip(lo, inner, strict=True)]) / shapely.length(geoms[line[1000:2000]])
    # where snapping puts a point: its position from the grid
    grid = segmentgrid.SegmentGrid.from_lines(xy, offsets)
    px, py = xy[offsets[line[2000:]], 0] + rng.normal(0, 20, len(line) - 2000), xy[offsets[line[2000:]], 1] + rng.normal(0, 20, len(line) - 2000)
    t[2000:] = grid.locate(line[2000:], px, py)
    want = shapely.get_coordinates(shapely.line_interpolate_point(geoms[line], t, normalized=True))
    got = np.array([barriergrid._interpolate(xy, offsets[i], offsets[i + 1], v) for i, v in zip(line, t, strict=True)])
    bad = np.flatnonzero((got != want).any(axis=1))
    assert not len(bad), f"{len(bad)} points differ, e.g. t={t[bad[:3]]}: {got[bad[:3]]} != {want[bad[:3]]}"


def closest_by_shapely(xy: np.ndarray, offsets: np.ndarray, line: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    geoms = parallel.build_geometries("line", xy, np.diff(offsets))
    return shapely.get_coordinates(shapely.shortest_line(shapely.points(px, py), geoms[line])).reshape(-1, 2, 2)[:, 1]


def test_closest_points_equal_shapely(streets) -> None:
    """A walk to a candidate street ends at ``shortest_line``'s end: near, far, on vertices and on the street."""
    xy, offsets, geoms = streets
    rng = np.random.default_rng(8)
    line = rng.integers(0, len(geoms), 8_000)
    at = offsets[line] + rng.integers(0, 2, len(line))
    px, py = xy[at, 0] + rng.normal(0, 30, len(line)), xy[at, 1] + rng.normal(0, 30, len(line))
    px[:1000], py[:1000] = xy[at[:1000], 0], xy[at[:1000], 1]  # on a vertex
    px[1000:2000] = (xy[at[1000:2000], 0] + xy[at[1000:2000] + 1, 0]) / 2  # halfway along a segment
    py[1000:2000] = (xy[at[1000:2000], 1] + xy[at[1000:2000] + 1, 1]) / 2
    got = np.array([barriergrid._closest(xy, offsets[i], offsets[i + 1], a, b) for i, a, b in zip(line, px, py, strict=True)])
    want = closest_by_shapely(xy, offsets, line, px, py)
    bad = np.flatnonzero((got != want).any(axis=1))
    assert not len(bad), f"{len(bad)} points differ, e.g. {got[bad[:3]]} != {want[bad[:3]]}"


coordinate = st.integers(-8, 8).map(float)
lattice_line = st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=6)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(lattice_line, min_size=1, max_size=6), points=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=20), scale=st.sampled_from([1.0, 7.3, 0.01]))
def test_closest_points_on_a_lattice(lines: list, points: list, scale: float) -> None:
    """Points as near two segments of a line, on its vertices, zero-length segments: the same segment and point as GEOS."""
    xy = np.array([c for ln in lines for c in ln]) * scale
    offsets = np.r_[0, np.cumsum([len(ln) for ln in lines])]
    p = np.array(points) * scale + np.array([0.5, 0.0]) * scale * (np.arange(len(points))[:, None] % 3 == 0)
    for i in range(len(lines)):
        got = np.array([barriergrid._closest(xy, offsets[i], offsets[i + 1], a, b) for a, b in p])
        want = closest_by_shapely(xy, offsets, np.full(len(p), i), p[:, 0], p[:, 1])
        np.testing.assert_array_equal(got, want)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.lists(st.tuples(st.integers(-6, 6), st.integers(-6, 6)), min_size=2, max_size=12), min_size=1, max_size=4),
    pairs=st.lists(st.tuples(st.tuples(st.integers(-6, 6), st.integers(-6, 6)), st.tuples(st.integers(-6, 6), st.integers(-6, 6))), min_size=1, max_size=30),
)
def test_crossing_as_the_barrier_index(lines: list, pairs: list) -> None:
    """Walks through, along, touching and ending on barriers (a lattice): crossing as BarrierIndex decides it (itself GEOS's ``crosses``)."""
    xy = np.concatenate([np.asarray(c, float) for c in lines])
    index = crossing.BarrierIndex(xy, np.repeat(np.arange(len(lines)), [len(c) for c in lines]))
    grid = index.grid
    args = barriergrid._barrier_args(grid)
    walks = np.asarray(pairs, float)
    got = [barriergrid._crosses(*args, w[0, 0], w[0, 1], w[1, 0], w[1, 1]) for w in walks]
    want = index.crossing(shapely.linestrings(walks))
    assert got == want.tolist()
    # every segment of the lines is on the grid, once a line's runs are cut apart
    assert len(grid.offsets) - 1 == len(lines) and sum(len(c) - 1 for c in lines) == len(index)


@pytest.fixture(scope="module")
def walled(hangzhou_run):
    """The Hangzhou run's walking network, its walls, water and rail kept for snapping."""
    net = hangzhou_run[0].modes["walk"].net
    assert net.barriers is not None and len(net.barriers)
    return net


def test_points_around_barriers_as_geos(walled, monkeypatch) -> None:
    """Points near walls and water join the streets they reach without crossing, as GEOS's search joins them (edge, position, walk, status)."""
    geos_index = snapping.EdgeIndex(walled)
    monkeypatch.setattr(snapping, "FEW_STREETS", 0)
    grid_index = snapping.EdgeIndex(walled)
    assert isinstance(geos_index.grid, LineTree) and isinstance(grid_index.grid, segmentgrid.SegmentGrid)
    bxy = grid_index.barriers.xy
    rng = np.random.default_rng(1)
    rows = rng.integers(0, len(bxy), 30_000)
    lo, hi = bxy.min(axis=0), bxy.max(axis=0)
    x = np.r_[rng.uniform(lo[0], hi[0], 10_000), bxy[rows, 0] + rng.normal(0, 15, len(rows))]
    y = np.r_[rng.uniform(lo[1], hi[1], 10_000), bxy[rows, 1] + rng.normal(0, 15, len(rows))]
    want, got = geos_index.snap_xy(x, y), grid_index.snap_xy(x, y)
    for f in ("edge", "t", "snap_dist_m", "barrier"):
        a, b = getattr(got, f), getattr(want, f)
        bad = np.flatnonzero((a != b) & ~(np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a != b)
        assert not len(bad), f"{f} differs at {len(bad)} points, e.g. {bad[:3]}"
    counts = np.bincount(got.barrier, minlength=3)
    assert counts[snapping.AROUND] > 1_000 and counts[snapping.ACROSS] > 1_000  # the search was exercised both ways
    assert "tree" not in grid_index.barriers.__dict__  # the compiled search never built GEOS's tree of the barriers
    # a point without coordinates joins nothing, and crosses nothing (GEOS's tree would raise on it)
    nowhere = grid_index.snap_xy(np.r_[x[:3], np.nan], np.r_[y[:3], np.nan])
    assert nowhere.edge[-1] == -1 and nowhere.barrier[-1] == snapping.DIRECT and (nowhere.edge[:3] == got.edge[:3]).all()


def test_no_barrier_near() -> None:
    """Points with no street (-1), no position, or far from every barrier are not blocked; an empty barrier grid blocks nothing."""
    streets = segmentgrid.SegmentGrid.from_lines(np.array([[0.0, 0.0], [100.0, 0.0]]), np.array([0, 2]))
    wall = crossing.BarrierIndex(np.array([[50.0, -5.0], [50.0, 5.0]]), np.zeros(2, np.int64)).grid
    edge, t, dist = np.array([0, 0, -1, 0]), np.array([0.5, 0.5, 0.0, 0.5]), np.array([10.0, 10.0, np.inf, 1.0])
    x, y = np.array([50.0, 20.0, 50.0, 80.0]), np.array([10.0, 10.0, 10.0, 1.0])
    assert barriergrid.blocked(streets, wall, edge, t, dist, x, y).tolist() == [False, False, False, False]
    # a point behind the wall's end: its walk to the street's middle crosses it
    assert barriergrid.blocked(streets, wall, np.array([0]), np.array([0.5]), np.array([3.0]), np.array([47.0]), np.array([3.0])).tolist() == [False]
    assert barriergrid.blocked(streets, wall, np.array([0]), np.array([0.55]), np.array([3.0]), np.array([47.0]), np.array([3.0])).tolist() == [True]
    d, at = barriergrid.links(streets, wall, np.array([47.0, 53.0]), np.array([3.0, 3.0]), np.array([0, 0]))
    assert d.tolist() == [3.0, 3.0] and at.tolist() == [0.47, 0.53]
    empty = crossing.BarrierIndex(np.zeros((0, 2)), np.zeros(0, np.int64)).grid
    assert not barriergrid.blocked(streets, empty, np.array([0]), np.array([0.9]), np.array([3.0]), np.array([47.0]), np.array([3.0])).any()

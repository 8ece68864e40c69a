"""The compiled nearest-street grid against GEOS (shapely), to the last bit: edge, distance, position."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility.core import parallel
from accessibility.network import segmentgrid, snapping


def geos_nearest(xy: np.ndarray, offsets: np.ndarray, px: np.ndarray, py: np.ndarray, edge_ids: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """What snapping did before the grid: the tree's nearest (lowest of equally near), shapely's distance and position."""
    geoms = parallel.build_geometries("line", xy, np.diff(offsets))
    ids = np.arange(len(geoms)) if edge_ids is None else edge_ids
    pts = shapely.points(px, py)
    line, dist = snapping._nearest(shapely.STRtree(geoms, node_capacity=4), pts)
    found = line >= 0
    along = shapely.line_locate_point(geoms[line[found]], pts[found])
    length = shapely.length(geoms[line[found]])
    t = np.zeros(len(px))
    with np.errstate(invalid="ignore", divide="ignore"):
        t[found] = np.clip(np.where(length > 0, along / length, 0.0), 0.0, 1.0)
    edge = np.where(found, ids[np.maximum(line, 0)], -1)
    return edge, dist, t


def assert_same(got: tuple[np.ndarray, ...], want: tuple[np.ndarray, ...]) -> None:
    for name, a, b in zip(("edge", "distance", "position"), got, want, strict=True):
        diff = np.flatnonzero(a != b)
        assert not len(diff), f"{name} differs at {len(diff)} points, e.g. {diff[:3]}: {a[diff[:3]]} != {b[diff[:3]]}"


@pytest.fixture(scope="module")
def streets(hangzhou_walk) -> tuple[np.ndarray, np.ndarray]:
    lines = hangzhou_walk.edge_coords()
    return snapping.Projection(hangzhou_walk.metric_crs)._metric_xy(lines.xy[:, 0], lines.xy[:, 1]), lines.offsets


def test_real_streets_equal_geos(streets) -> None:
    xy, offsets = streets
    rng = np.random.default_rng(7)
    lo, hi = xy.min(axis=0) - 400, xy.max(axis=0) + 400
    n = 20_000
    rows = rng.integers(0, len(xy) - 1, n)
    nxt = np.minimum(rows + 1, len(xy) - 1)
    # anywhere around the streets, on their vertices, halfway along their segments, and a few metres off them
    px = np.r_[rng.uniform(lo[0], hi[0], n), xy[rows, 0], (xy[rows, 0] + xy[nxt, 0]) / 2, xy[rows, 0] + rng.normal(0, 5, n)]
    py = np.r_[rng.uniform(lo[1], hi[1], n), xy[rows, 1], (xy[rows, 1] + xy[nxt, 1]) / 2, xy[rows, 1] + rng.normal(0, 5, n)]
    grid = segmentgrid.SegmentGrid.from_lines(xy, offsets)
    assert_same(grid.nearest(px, py), geos_nearest(xy, offsets, px, py))


def test_some_edges_only(streets) -> None:
    """An index of a few places' streets: the others are not found, the kept keep their numbers."""
    xy, offsets = streets
    n_lines = len(offsets) - 1
    keep = np.arange(0, n_lines, 3)
    rows = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in keep])
    sub_offsets = np.r_[0, np.cumsum(np.diff(offsets)[keep])]
    rng = np.random.default_rng(3)
    px, py = rng.uniform(xy[:, 0].min(), xy[:, 0].max(), 5_000), rng.uniform(xy[:, 1].min(), xy[:, 1].max(), 5_000)
    grid = segmentgrid.SegmentGrid.from_lines(xy[rows], sub_offsets, edge_ids=keep)
    got = grid.nearest(px, py)
    assert np.isin(got[0], keep).all()
    assert_same(got, geos_nearest(xy[rows], sub_offsets, px, py, edge_ids=keep))


def test_far_points_and_no_point() -> None:
    """Points far outside the grid find what GEOS finds (ties at a shared end: the lower edge); NaN or infinite ones none."""
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    offsets = np.array([0, 2, 4])
    grid = segmentgrid.SegmentGrid.from_lines(xy, offsets)
    px, py = np.array([1e7, -1e7, 5.0, 3e5]), np.array([0.0, 5.0, -2e6, 3e5])
    got = grid.nearest(px, py)
    assert got[0].tolist() == [0, 0, 0, 1]
    assert_same(got, geos_nearest(xy, offsets, px, py))
    edge, dist, _ = grid.nearest(np.array([np.nan, 5.0]), np.array([0.0, np.inf]))
    assert edge.tolist() == [-1, -1] and np.isinf(dist).all()
    empty = segmentgrid.SegmentGrid.from_lines(np.zeros((0, 2)), np.array([0]))
    edge, dist, _ = empty.nearest(np.array([1.0]), np.array([2.0]))
    assert edge.tolist() == [-1] and np.isinf(dist).all()


def test_wrong_edge_ids() -> None:
    with pytest.raises(ValueError, match="increasing"):
        segmentgrid.SegmentGrid.from_lines(np.zeros((4, 2)), np.array([0, 2, 4]), edge_ids=np.array([3, 1]))


coordinate = st.integers(-40, 40).map(float)
line = st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=6)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(line, min_size=1, max_size=25), points=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=40), scale=st.sampled_from([1.0, 7.3, 0.01]))
def test_random_lines_with_ties(lines: list, points: list, scale: float) -> None:
    """Lines on a lattice (shared vertices, overlapping and zero-length segments): many points are exactly as near two edges."""
    xy = np.array([c for ln in lines for c in ln]) * scale
    offsets = np.r_[0, np.cumsum([len(ln) for ln in lines])]
    p = np.array(points) * scale + np.array([0.5, 0.0]) * scale * (np.arange(len(points))[:, None] % 3 == 0)
    grid = segmentgrid.SegmentGrid.from_lines(xy, offsets)
    assert_same(grid.nearest(p[:, 0], p[:, 1]), geos_nearest(xy, offsets, p[:, 0], p[:, 1]))


def test_edge_index_snaps_as_before(hangzhou_walk) -> None:
    """``EdgeIndex.snap_metric`` (the grid) and ``nearest_edges`` give GEOS's answer, and the lines are built only when asked for."""
    index = snapping.EdgeIndex(hangzhou_walk)
    assert index.geos.built is None
    rng = np.random.default_rng(11)
    lines = hangzhou_walk.edge_coords()
    lon = rng.uniform(lines.xy[:, 0].min(), lines.xy[:, 0].max(), 3_000)
    lat = rng.uniform(lines.xy[:, 1].min(), lines.xy[:, 1].max(), 3_000)
    pts = index.points(lon, lat)
    got = index.snap_metric(pts)
    edge, dist = snapping._nearest(index.tree, pts)
    assert (got.edge == edge).all() and (got.snap_dist_m == dist).all()
    assert (got.t == index.fraction(edge, pts)).all()
    assert all((a == b).all() for a, b in zip(index.nearest_edges(pts), (edge, dist), strict=True))

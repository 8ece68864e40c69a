"""The compiled nearest-street grid against GEOS (shapely), to the last bit: edge, distance, position.

Each test runs on the grid and on its GEOS twin for a few streets (:class:`~accessibility.network.linetree.LineTree`).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility.core import parallel
from accessibility.network import segmentgrid, snapping
from accessibility.network.linetree import LineTree

KINDS = pytest.mark.parametrize("kind", [segmentgrid.SegmentGrid, LineTree], ids=["grid", "geos"])


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
    return snapping.Projection(hangzhou_walk.metric_crs).metric_xy(lines.xy[:, 0], lines.xy[:, 1]), lines.offsets


@KINDS
def test_real_streets_equal_geos(kind, streets) -> None:
    xy, offsets = streets
    rng = np.random.default_rng(7)
    lo, hi = xy.min(axis=0) - 400, xy.max(axis=0) + 400
    n = 20_000
    rows = rng.integers(0, len(xy) - 1, n)
    nxt = np.minimum(rows + 1, len(xy) - 1)
    # anywhere around the streets, on their vertices, halfway along their segments, and a few metres off them
    px = np.r_[rng.uniform(lo[0], hi[0], n), xy[rows, 0], (xy[rows, 0] + xy[nxt, 0]) / 2, xy[rows, 0] + rng.normal(0, 5, n)]
    py = np.r_[rng.uniform(lo[1], hi[1], n), xy[rows, 1], (xy[rows, 1] + xy[nxt, 1]) / 2, xy[rows, 1] + rng.normal(0, 5, n)]
    grid = kind.from_lines(xy, offsets)
    assert_same(grid.nearest(px, py), geos_nearest(xy, offsets, px, py))


@KINDS
def test_some_edges_only(kind, streets) -> None:
    """An index of a few places' streets: the others are not found, the kept keep their numbers."""
    xy, offsets = streets
    n_lines = len(offsets) - 1
    keep = np.arange(0, n_lines, 3)
    rows = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in keep])
    sub_offsets = np.r_[0, np.cumsum(np.diff(offsets)[keep])]
    rng = np.random.default_rng(3)
    px, py = rng.uniform(xy[:, 0].min(), xy[:, 0].max(), 5_000), rng.uniform(xy[:, 1].min(), xy[:, 1].max(), 5_000)
    grid = kind.from_lines(xy[rows], sub_offsets, edge_ids=keep)
    got = grid.nearest(px, py)
    assert np.isin(got[0], keep).all()
    assert_same(got, geos_nearest(xy[rows], sub_offsets, px, py, edge_ids=keep))


@KINDS
def test_far_points_and_no_point(kind) -> None:
    """Points far outside the grid find what GEOS finds (ties at a shared end: the lower edge); NaN or infinite ones none."""
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    offsets = np.array([0, 2, 4])
    grid = kind.from_lines(xy, offsets)
    px, py = np.array([1e7, -1e7, 5.0, 3e5]), np.array([0.0, 5.0, -2e6, 3e5])
    got = grid.nearest(px, py)
    assert got[0].tolist() == [0, 0, 0, 1]
    assert_same(got, geos_nearest(xy, offsets, px, py))
    edge, dist, _ = grid.nearest(np.array([np.nan, 5.0]), np.array([0.0, np.inf]))
    assert edge.tolist() == [-1, -1] and np.isinf(dist).all()
    empty = kind.from_lines(np.zeros((0, 2)), np.array([0]))
    edge, dist, _ = empty.nearest(np.array([1.0]), np.array([2.0]))
    assert edge.tolist() == [-1] and np.isinf(dist).all()


@KINDS
def test_wrong_edge_ids(kind) -> None:
    with pytest.raises(ValueError, match="increasing"):
        kind.from_lines(np.zeros((4, 2)), np.array([0, 2, 4]), edge_ids=np.array([3, 1]))


coordinate = st.integers(-40, 40).map(float)
line = st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=6)


@KINDS
@settings(max_examples=150, deadline=None)
@given(lines=st.lists(line, min_size=1, max_size=25), points=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=40), scale=st.sampled_from([1.0, 7.3, 0.01]))
def test_random_lines_with_ties(kind, lines: list, points: list, scale: float) -> None:
    """Lines on a lattice (shared vertices, overlapping and zero-length segments): many points are exactly as near two edges."""
    xy = np.array([c for ln in lines for c in ln]) * scale
    offsets = np.r_[0, np.cumsum([len(ln) for ln in lines])]
    p = np.array(points) * scale + np.array([0.5, 0.0]) * scale * (np.arange(len(points))[:, None] % 3 == 0)
    grid = kind.from_lines(xy, offsets)
    assert_same(grid.nearest(p[:, 0], p[:, 1]), geos_nearest(xy, offsets, p[:, 0], p[:, 1]))


def test_edge_index_snaps_as_before(hangzhou_walk, index_kind) -> None:
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


def geos_within(xy: np.ndarray, offsets: np.ndarray, px: np.ndarray, py: np.ndarray, radius: float) -> tuple[np.ndarray, ...]:
    """What the barrier search asked of the tree: every (point, line) ``dwithin``, with shapely's distance, by point then line."""
    geoms = parallel.build_geometries("line", xy, np.diff(offsets))
    pts = shapely.points(px, py)
    pi, li = shapely.STRtree(geoms, node_capacity=4).query(pts, predicate="dwithin", distance=radius)
    order = np.lexsort((li, pi))
    pi, li = pi[order], li[order]
    return pi, li, shapely.distance(pts[pi], geoms[li])


@KINDS
def test_within_equals_dwithin(kind, streets) -> None:
    xy, offsets = streets
    rng = np.random.default_rng(5)
    rows = rng.integers(0, len(xy), 3_000)
    # around the streets, and on their vertices (within 0 m)
    px = np.r_[xy[rows, 0] + rng.normal(0, 60, len(rows)), xy[rows[:300], 0]]
    py = np.r_[xy[rows, 1] + rng.normal(0, 60, len(rows)), xy[rows[:300], 1]]
    grid = kind.from_lines(xy, offsets)
    for radius in (0.0, 30.0, 100.0, 300.0):
        got, want = grid.within(px, py, radius), geos_within(xy, offsets, px, py, radius)
        assert len(got[0]) == len(want[0]) and len(want[0]) >= (300 if radius == 0 else len(px))
        for a, b in zip(got, want, strict=True):
            assert (a == b).all()


@KINDS
@settings(max_examples=80, deadline=None)
@given(lines=st.lists(line, min_size=1, max_size=20), points=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=30), radius=st.sampled_from([0.0, 1.0, 5.0, 12.5, 40.0]))
def test_within_on_a_lattice(kind, lines: list, points: list, radius: float) -> None:
    """Points and lines on a lattice: many distances exactly at the radius."""
    xy = np.array([c for ln in lines for c in ln])
    offsets = np.r_[0, np.cumsum([len(ln) for ln in lines])]
    p = np.array(points)
    got, want = kind.from_lines(xy, offsets).within(p[:, 0], p[:, 1], radius), geos_within(xy, offsets, p[:, 0], p[:, 1], radius)
    for a, b in zip(got, want, strict=True):
        assert a.tolist() == b.tolist()


@KINDS
def test_locate_on_any_edge(kind, streets) -> None:
    """A point's position on a given edge (not its nearest) is shapely's."""
    xy, offsets = streets
    rng = np.random.default_rng(9)
    n_lines = len(offsets) - 1
    edge = rng.integers(0, n_lines, 5_000)
    at = offsets[edge] + rng.integers(0, 1_000, len(edge)) % np.diff(offsets)[edge]
    px, py = xy[at, 0] + rng.normal(0, 20, len(edge)), xy[at, 1] + rng.normal(0, 20, len(edge))
    geoms = parallel.build_geometries("line", xy, np.diff(offsets))
    pts = shapely.points(px, py)
    length = shapely.length(geoms[edge])
    with np.errstate(invalid="ignore", divide="ignore"):
        want = np.clip(np.where(length > 0, shapely.line_locate_point(geoms[edge], pts) / length, 0.0), 0.0, 1.0)
    assert (kind.from_lines(xy, offsets).locate(edge, px, py) == want).all()
    with pytest.raises(ValueError, match="not in the grid"):
        kind.from_lines(xy, offsets).locate(np.array([n_lines]), px[:1], py[:1])


@KINDS
def test_edges_near_holds_every_street_that_near(kind, streets) -> None:
    xy, offsets = streets
    rng = np.random.default_rng(2)
    centre = xy[rng.integers(0, len(xy), 50)]
    size = rng.uniform(0, 200, (50, 2))
    boxes = np.column_stack([centre, centre + size])
    within = rng.uniform(0, 80, 50)
    geoms = parallel.build_geometries("line", xy, np.diff(offsets))
    bi, li = shapely.STRtree(geoms).query(shapely.box(*boxes.T), predicate="dwithin", distance=within.max())
    near = shapely.distance(shapely.box(*boxes.T)[bi], geoms[li]) <= within[bi]
    got = kind.from_lines(xy, offsets).edges_near(boxes, within)
    assert np.isin(np.unique(li[near]), got).all()
    assert len(got) < 0.5 * len(geoms)  # and not every street


@pytest.fixture(params=["grid", "geos"])
def index_kind(request, monkeypatch) -> str:
    """Indexes of the real extract's streets on the compiled grid, or in GEOS's tree (a few streets: the default here)."""
    if request.param == "grid":
        monkeypatch.setattr(snapping, "FEW_STREETS", 0)
    return request.param


def test_index_kind_follows_the_streets_count(hangzhou_walk, index_kind) -> None:
    index = snapping.EdgeIndex(hangzhou_walk)
    assert isinstance(index.grid, segmentgrid.SegmentGrid if index_kind == "grid" else LineTree)


def test_areas_entered_as_with_every_line(hangzhou_walk, index_kind) -> None:
    """Areas' access points from GEOS's lines of the streets near them (:meth:`EdgeIndex.around`) equal those from all of them.

    Some areas lie far from every street (the lake's middle): their nearest is found beyond the streets around them.
    """
    lines = hangzhou_walk.edge_coords()
    rng = np.random.default_rng(4)
    lo, hi = lines.xy.min(axis=0), lines.xy.max(axis=0)
    centres = shapely.points(rng.uniform(lo[0], hi[0], 400), rng.uniform(lo[1], hi[1], 400))
    areas = shapely.buffer(centres, rng.uniform(1e-4, 1e-3, 400), quad_segs=3)
    near_only, every = snapping.EdgeIndex(hangzhou_walk), snapping.EdgeIndex(hangzhou_walk)
    assert len(every.geoms) == hangzhou_walk.n_edges  # all GEOS lines built: access_points uses them
    owner, got = near_only.access_points(areas, reach_m=30.0)
    assert near_only.geos.built is None  # the areas' view built its own lines, of some streets
    owner_all, want = every.access_points(areas, reach_m=30.0)
    assert (owner == owner_all).all() and len(owner) > len(areas)
    for f in ("edge", "t", "snap_dist_m"):
        assert (getattr(got, f) == getattr(want, f)).all(), f
    assert (want.snap_dist_m > 200).any()  # some areas found their street beyond the streets around them


def test_ieee_kernels_divide_by_zero_as_c_does() -> None:
    """The grid's kernels follow GEOS's arithmetic: a float divided by zero is an infinity or NaN, not an exception."""
    from accessibility.core.compiled import compiled

    def ratio(a: float, b: float) -> float:
        return a / b

    def python_ratio(a: float, b: float) -> float:  # another function: numba's cache keys a kernel by its function
        return a / b

    assert compiled(ieee=True)(ratio)(1.0, 0.0) == np.inf
    assert np.isnan(compiled(ieee=True)(ratio)(0.0, 0.0))
    with pytest.raises(ZeroDivisionError):
        compiled(python_ratio)(1.0, 0.0)


def test_a_run_on_the_grid_equals_a_run_on_geos(hangzhou_pbf, hangzhou_run, monkeypatch) -> None:
    """The whole Hangzhou run with its streets on the compiled grid (residents, facilities, areas, barriers, hexagons'
    centres) gives the default run's numbers to the bit: every trip cost, every goal share."""
    from accessibility.run import pipeline
    from accessibility.run.inputs import RunOptions

    monkeypatch.setattr(snapping, "FEW_STREETS", 0)
    got = pipeline.run(hangzhou_pbf, options=RunOptions(cache=False))
    assert isinstance(got.modes["walk"].index.grid, segmentgrid.SegmentGrid)
    want = hangzhou_run[0]  # the default run, on GEOS's tree (the extract's few streets)
    numeric = [c for c in want.point_costs.columns if want.point_costs[c].dtype.kind in "fiub"]
    assert len(numeric) > 10
    for c in numeric:
        a, b = got.point_costs[c].to_numpy(), want.point_costs[c].to_numpy()
        assert ((a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else (a == b)).all(), c
    assert [g.share for g in got.goals] == [g.share for g in want.goals]


@settings(max_examples=80, deadline=None)
@given(counts=st.lists(st.integers(1, 6), min_size=1, max_size=30), seed=st.integers(0, 2**32 - 1), nan=st.booleans())
def test_line_bounds_equal_numpys_reductions(counts, seed, nan):
    """The compiled boxes of lines are numpy's ``minimum/maximum.reduceat`` of their rows, NaN included."""
    rng = np.random.default_rng(seed)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
    xy = np.round(rng.normal(size=(int(offsets[-1]), 2)), 1)  # repeated values and ties
    if nan:
        xy[rng.random(xy.shape) < 0.1] = np.nan
    expected = np.column_stack([np.minimum.reduceat(xy, offsets[:-1], axis=0), np.maximum.reduceat(xy, offsets[:-1], axis=0)])
    np.testing.assert_array_equal(segmentgrid.line_bounds(xy, offsets), expected)

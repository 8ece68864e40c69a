"""The numpy crossing test of walks against barrier lines (network/crossing.py), against GEOS's ``crosses`` as the oracle."""

from __future__ import annotations

import itertools

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility.network import crossing


def index_of(*lines):
    """A BarrierIndex of metric polylines given as coordinate lists."""
    xy = np.concatenate([np.asarray(c, float) for c in lines])
    line = np.repeat(np.arange(len(lines)), [len(c) for c in lines])
    return crossing.BarrierIndex(xy, line)


def walks(*pairs):
    return shapely.linestrings(np.asarray(pairs, float))


def test_hand_cases():
    # a wall along x = 0 from y = -10 to y = 10, with a vertex at y = 0
    idx = index_of([(0, -10), (0, 0), (0, 10)])
    got = idx.crossing(walks(
        [(-5, 5), (5, 5)],  # through the wall
        [(-5, 5), (-1, 5)],  # short of it
        [(-5, 5), (0, 5)],  # ends on it: touching is not crossing (a gate node shared with a street)
        [(-5, 20), (5, 20)],  # past its end
        [(0, -20), (0, 20)],  # along it
        [(-5, -5), (5, 5)],  # through its middle vertex: touches both segments' ends, as GEOS per segment
    ))
    assert got.tolist() == [True, False, False, False, False, False]


def test_long_lines_are_cut_into_chains_and_every_segment_is_tested():
    # a lake's outline as one line of 100 segments: its chains' boxes hug it
    angle = np.linspace(0, 2 * np.pi, 101)
    ring = np.column_stack([100 * np.cos(angle), 100 * np.sin(angle)])
    idx = index_of(ring)
    assert len(idx) == 100 and len(idx.chains) == -(-100 // crossing.CHAIN)
    assert np.isclose(shapely.length(idx.chains).sum(), shapely.length(shapely.LineString(ring)))
    # from the centre to every direction, out of the lake: one crossing each; inside: none
    out = np.column_stack([150 * np.cos(angle[:-1] + 0.01), 150 * np.sin(angle[:-1] + 0.01)])
    assert idx.crossing(walks(*[[(0, 0), tuple(p)] for p in out])).all()
    assert not idx.crossing(walks(*[[(0, 0), tuple(p / 2)] for p in out])).any()


def test_no_barriers_and_no_walks():
    assert index_of([(0, 0), (1, 1)]).crossing(np.array([], dtype=object)).shape == (0,)
    empty = crossing.BarrierIndex(np.zeros((0, 2)), np.zeros(0, np.int64))
    assert len(empty) == 0 and not empty.crossing(walks([(0, 0), (1, 1)])).any()


coord = st.integers(-6, 6)  # small integers: many touching, collinear and through-vertex cases
point = st.tuples(coord, coord)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.lists(point, min_size=2, max_size=12), min_size=1, max_size=4),
    pairs=st.lists(st.tuples(point, point), min_size=1, max_size=30),
)
def test_same_as_geos_crosses_on_each_segment(lines, pairs):
    idx = index_of(*lines)
    links = walks(*pairs)
    segments = shapely.linestrings([[a, b] for c in lines for a, b in itertools.pairwise(c)])
    expected = np.array([bool(shapely.crosses(link, segments).any()) for link in links])
    np.testing.assert_array_equal(idx.crossing(links), expected)


@settings(max_examples=100, deadline=None)
@given(
    # a line of one repeated point has no length: it is nowhere, for GEOS as here
    lines=st.lists(st.lists(point, min_size=2, max_size=12).filter(lambda c: len(set(c)) > 1), min_size=1, max_size=4),
    pts=st.lists(point, min_size=1, max_size=20),
    dist=st.floats(0, 5),
)
def test_near_is_within_the_distance_of_a_barrier(lines, pts, dist):
    idx = index_of(*lines)
    p = shapely.points(np.asarray(pts, float))
    barrier = shapely.union_all([shapely.LineString(c) for c in lines])
    gap = shapely.distance(p, barrier)
    near = np.zeros(len(p), bool)
    near[idx.near(p, np.full(len(p), dist))] = True
    clear = np.abs(gap - dist) > 1e-9  # exactly at the distance, rounding decides
    np.testing.assert_array_equal(near[clear], (gap <= dist)[clear])

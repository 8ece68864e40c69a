"""The streets around a few places answer as the whole network's index does (:meth:`EdgeIndex.near`, :mod:`accessibility.network.ondemand`)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility import network
from accessibility.network import barriers, ondemand, snapping
from accessibility.readers import osm


@pytest.fixture(scope="module")
def walled(hangzhou_pbf):
    """Hangzhou's walking network with its walls, water and rail, its entrances, and its whole index."""
    feat = osm.read_features(hangzhou_pbf, (*barriers.BARRIER_KEYS, "leisure", "amenity"))
    net = barriers.apply_barriers(network.graph_from_file(hangzhou_pbf), feat.frame)
    return net, barriers.entrance_points(feat.frame), feat.frame, snapping.EdgeIndex(net)


def _same(got: tuple, want: tuple) -> None:
    np.testing.assert_array_equal(got[0], want[0])
    for name in ("edge", "t", "snap_dist_m", "barrier"):
        a, b = getattr(got[1], name), getattr(want[1], name)
        assert (a is None and b is None) or np.array_equal(a, b), name


def test_the_streets_around_a_few_places_give_the_whole_index_s_access_points(walled):
    """Points (many beside walls and water, where the barrier search runs), parks with and without entrances: the same arrays, ties included."""
    net, entrances, frame, whole = walled
    rng = np.random.default_rng(11)
    wall_xy = shapely.get_coordinates(net.barriers.geometry.to_numpy())
    beside = wall_xy[rng.choice(len(wall_xy), 60)] + rng.normal(0, 0.0002, (60, 2))  # ~20 m from a barrier
    w, s, e, n = net.bounds()
    anywhere = np.column_stack([rng.uniform(w, e, 60), rng.uniform(s, n, 60)])
    parks = np.array(["leisure" in t for t in frame["tags"]], dtype=bool)
    areas = frame.geometry.to_numpy()[(shapely.get_type_id(frame.geometry.to_numpy()) >= 3) & parks]
    assert len(areas) > 20
    on_junction = net.nodes[["lon", "lat"]].to_numpy()[rng.choice(len(net.nodes), 20)]  # equally near several streets
    places = shapely.points(np.concatenate([beside, anywhere, on_junction]))
    statuses, answered = [], 0
    for group in np.array_split(rng.permutation(len(places)), 35):
        geoms = np.concatenate([places[group], rng.choice(areas, 2)])
        near = snapping.EdgeIndex.near(net, geoms, max_share=1.0)
        assert near is not None and np.count_nonzero(shapely.is_missing(near.geoms)) > 0  # some streets left out
        try:
            got = near.access_points(geoms, reach_m=30.0, entrances=entrances)
        except snapping.NotCovered:  # a place in a lake, farther than the streets indexed around it: and so it is
            assert (whole.access_points(geoms, reach_m=30.0, entrances=entrances)[1].snap_dist_m > near.complete_within_m).any()
            continue
        want = whole.access_points(geoms, reach_m=30.0, entrances=entrances)
        _same(got, want)
        statuses.append(want[1].barrier)
        answered += 1
    assert answered >= 25
    found = np.concatenate(statuses)
    assert (found == snapping.AROUND).sum() >= 3  # the barrier search ran, and found what the whole index found


def test_a_place_far_from_the_streets_is_answered_by_the_whole_index(walled):
    net, _, _, whole = walled
    w, s, e, n = net.bounds()
    lon, lat = np.array([(w + e) / 2, e + 0.05]), np.array([(s + n) / 2, n + 0.05])  # the second ~5 km beyond the extract
    with ThreadPoolExecutor(1) as background:
        lazy = ondemand.EdgeIndexOnDemand(net, background)
        got = lazy.snap_points(lon[:1], lat[:1])
        assert lazy.used == "near"  # one place in the middle: its streets only
        far = lazy.snap_points(lon, lat)
        assert lazy.used == "whole"
    for a, b in ((got, whole.snap_points(lon[:1], lat[:1])), (far, whole.snap_points(lon, lat))):
        np.testing.assert_array_equal(a.edge, b.edge)
        np.testing.assert_array_equal(a.snap_dist_m, b.snap_dist_m)
    assert far.snap_dist_m[1] > 4_000


def test_no_places_need_no_index(walled):
    net = walled[0]
    lazy = ondemand.EdgeIndexOnDemand(net, None)
    owner, snapped = lazy.access_points(np.array([], dtype=object))
    assert len(owner) == len(snapped) == 0 and lazy.used == "none"


def test_places_spread_over_the_network_wait_for_the_whole_index(walled):
    net, _, _, whole = walled
    w, s, e, n = net.bounds()
    grid = shapely.points(*(a.ravel() for a in np.meshgrid(np.linspace(w, e, 12), np.linspace(s, n, 12))))
    assert snapping.EdgeIndex.near(net, grid) is None
    lazy = ondemand.EdgeIndexOnDemand(net, None)
    _same(lazy.access_points(grid), whole.access_points(grid))
    assert lazy.used == "whole"


def test_of_equally_near_streets_the_lowest_numbered_is_taken():
    """A point on a junction is as near every street there: both indexes take the lowest edge number, whatever their trees' shapes."""
    m = 1 / 111_000
    lon = [120.0, 120.0 + 100 * m, 120.0 - 100 * m, 120.0, 120.0]
    lat = [30.0, 30.0, 30.0, 30.0 + 100 * m, 30.0 - 100 * m]
    net = network.graph_from_arrays(lon, lat, [3, 0, 0, 0], [0, 1, 2, 4])
    at = np.array([120.0]), np.array([30.0])
    for index in (snapping.EdgeIndex(net), snapping.EdgeIndex.near(net, shapely.points(*at), max_share=1.0)):
        assert index is not None
        s = index.snap_points(*at)
        assert s.snap_dist_m[0] == 0.0 and s.edge[0] == 0


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(73.0, 135.0), lat=st.floats(18.0, 53.0), margin=st.floats(10.0, 2_000.0),
    bearing=st.floats(0.0, 360.0), share=st.floats(0.0, 1.0), size=st.floats(0.0, 3_000.0),
)
def test_a_box_within_the_margin_always_meets_the_grid(lon, lat, margin, bearing, share, size):
    """Whatever the latitude: a street passing within ``margin`` metres of a place (measured on the ellipsoid) is a candidate."""
    geod = pyproj.Geod(ellps="WGS84")
    x, y, _ = geod.fwd(lon, lat, bearing, share * margin)  # a point of the street, within the margin
    x2, y2, _ = geod.fwd(x, y, bearing + 90.0, size)  # the street runs on from there
    place = np.array([[lon, lat, lon, lat]])
    street = np.array([[min(x, x2), min(y, y2), max(x, x2), max(y, y2)]])
    grid = network.graph.BoxGrid(place, snapping.metres_to_degrees(margin, place))
    assert grid.meets(street)[0]


def test_places_far_from_every_barrier_are_found_direct_as_by_the_whole_index():
    """A network with walls has barrier statuses near a few places too, when no wall is near them: all direct, not missing."""
    import geopandas as gpd

    m = 1 / 111_000
    lon = [120.0 + i * 100 * m for i in range(40)]
    net = network.graph_from_arrays(lon, [30.0] * 40, list(range(39)), list(range(1, 40)))
    wall = shapely.LineString([(lon[-1], 30.0 + 20 * m), (lon[-1] + 50 * m, 30.0 + 20 * m)])  # ~3.9 km east of the place
    net.barriers = gpd.GeoDataFrame({"kind": ["wall"]}, geometry=[wall], crs="EPSG:4326")
    place = shapely.points([lon[2] + 30 * m], [30.0 + 15 * m])
    near = snapping.EdgeIndex.near(net, place)
    assert near is not None and near.barriers is not None and len(near.barriers) == 0
    got, want = near.access_points(place), snapping.EdgeIndex(net).access_points(place)
    _same(got, want)
    assert want[1].barrier is not None and (want[1].barrier == snapping.DIRECT).all()

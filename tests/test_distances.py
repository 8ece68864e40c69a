"""Network distances to the nearest facility: hand-computed toys, a networkx oracle, properties."""

from __future__ import annotations

import itertools
from collections import defaultdict

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from accessibility import config, network
from accessibility.network import distances, snapping
from accessibility.network.snapping import Snapped
from accessibility.stages import facilities, goals

INF = np.inf


def snapped(edge, t, d):
    return Snapped(np.asarray(edge, np.int64), np.asarray(t, float), np.asarray(d, float))


def solve(net, fac_rows, fac_snap, points=None, mask=None, weight=None):
    graph = distances.build_access_graph(net, np.asarray(fac_rows, np.int64), fac_snap, weight=weight)
    res = distances.nearest_facilities(graph, mask)
    if points is None:
        return graph, res
    cost, fac = distances.costs_at_points(graph, res, points)
    return graph, res, cost, fac


# --------------------------------------------------------------------------- toy graphs, hand-computed


def line_net(mode="walk", forward=None, backward=None):
    """0 --100-- 1 --200-- 2 --300-- 3 (explicit lengths)."""
    return network.graph_from_arrays(
        [120.0, 120.001, 120.003, 120.006], [30.0] * 4, [0, 1, 2], [1, 2, 3], [100.0, 200.0, 300.0],
        forward=forward, backward=backward, mode=mode,
    )


def test_line_node_costs_with_facility_along_an_edge():
    net = line_net()
    # facility 10 m off edge 1-2, a quarter of the way from node 1
    graph, res = solve(net, [0], snapped([1], [0.25], [10.0]))
    np.testing.assert_allclose(res.cost[:4], [160.0, 60.0, 160.0, 460.0])
    np.testing.assert_array_equal(res.facility[:4], [0, 0, 0, 0])
    assert graph.n_base == 4


def test_line_point_costs_include_walk_to_street_and_same_edge():
    net = line_net()
    pts = snapped([0, 1, 1, 2, 1], [0.5, 0.75, 0.1, 1.0, 0.25], [5.0, 3.0, 3.0, 0.0, 7.0])
    _, _, cost, fac = solve(net, [0], snapped([1], [0.25], [10.0]), pts)
    # 5 + 50 + 60 | same edge behind: 3 + 0.5*200 + 10 | same edge ahead: 3 + 0.15*200 + 10
    # at node 3: 460 | exactly at the access point: 7 + 0 + 10
    np.testing.assert_allclose(cost, [115.0, 113.0, 43.0, 460.0, 17.0])
    np.testing.assert_array_equal(fac, [0, 0, 0, 0, 0])


def test_two_facilities_on_one_edge_nearest_wins():
    net = line_net()
    # facility 0 at t=0.2 but 50 m off the street, facility 1 at t=0.8 on the street
    fac_snap = snapped([1, 1], [0.2, 0.8], [50.0, 0.0])
    pts = snapped([1, 1, 0], [0.5, 0.3, 0.0], [0.0, 0.0, 0.0])
    _, res, cost, fac = solve(net, [0, 1], fac_snap, pts)
    # point t=0.5: left 0.3*200+50=110, right 0.3*200=60 -> facility 1
    # point t=0.3: left 0.1*200+50=70, right 0.5*200=100 -> facility 0
    # node 0: 100 + min(0.2*200+50, 0.8*200) = 190 -> facility 0
    np.testing.assert_allclose(cost, [60.0, 70.0, 190.0])
    np.testing.assert_array_equal(fac, [1, 0, 0])
    np.testing.assert_allclose(res.cost[:4], [190.0, 90.0, 40.0, 340.0])
    np.testing.assert_array_equal(res.facility[:4], [0, 0, 1, 1])


def test_facility_mask_selects_a_subset():
    net = line_net()
    fac_snap = snapped([0, 2], [0.0, 1.0], [0.0, 0.0])  # at node 0 and at node 3
    graph = distances.build_access_graph(net, np.array([0, 1]), fac_snap)
    only_first = distances.nearest_facilities(graph, np.array([True, False]))
    only_second = distances.nearest_facilities(graph, np.array([False, True]))
    none = distances.nearest_facilities(graph, np.array([False, False]))
    np.testing.assert_allclose(only_first.cost[:4], [0.0, 100.0, 300.0, 600.0])
    np.testing.assert_allclose(only_second.cost[:4], [600.0, 500.0, 300.0, 0.0])
    assert np.isinf(none.cost).all() and (none.facility == -1).all()


def test_facility_at_a_node_with_zero_offset_is_distance_zero():
    net = line_net()
    _graph, res, cost, _fac = solve(net, [0], snapped([1], [0.0], [0.0]), snapped([0, 2], [1.0, 0.5], [0.0, 2.0]))
    np.testing.assert_allclose(res.cost[:4], [100.0, 0.0, 200.0, 500.0])
    np.testing.assert_allclose(cost, [0.0, 2.0 + 150.0 + 200.0])


def test_limit_leaves_far_nodes_unreached():
    net = line_net()
    graph = distances.build_access_graph(net, np.array([0]), snapped([0], [0.0], [0.0]))
    res = distances.nearest_facilities(graph, limit=250.0)
    np.testing.assert_allclose(res.cost[:3], [0.0, 100.0, INF])
    assert res.facility[2] == -1 and res.facility[1] == 0


def square_net(mode="bike"):
    """Square 0-1-2-3-0, sides 100 m; side 0->1 is one-way forward."""
    return network.graph_from_arrays(
        [120.0, 120.001, 120.001, 120.0], [30.0, 30.0, 30.001, 30.001], [0, 1, 2, 3], [1, 2, 3, 0], [100.0] * 4,
        forward=[True, True, True, True], backward=[False, True, True, True], mode=mode,
    )


def test_one_way_edge_node_costs():
    net = square_net()
    _, res = solve(net, [0], snapped([0], [0.5], [0.0]))
    # node 0 drives forward to the facility (50); node 1 cannot go back along 0->1:
    # 1 -> 2 -> 3 -> 0 -> facility = 350
    np.testing.assert_allclose(res.cost[:4], [50.0, 350.0, 250.0, 150.0])


def test_one_way_edge_point_costs():
    net = square_net()
    pts = snapped([0, 0, 2], [0.75, 0.25, 0.5], [0.0, 0.0, 0.0])
    _, _, cost, _ = solve(net, [0], snapped([0], [0.5], [0.0]), pts)
    # past the facility on the one-way side: 25 to node 1, then 350
    # before it: 25 forward | on 2->3 halfway: 50 to node 3 + 150
    np.testing.assert_allclose(cost, [375.0, 25.0, 200.0])
    # the same square both-ways (walk): 25, 25, 200
    walk = network.graph_from_arrays(net.nodes["lon"], net.nodes["lat"], [0, 1, 2, 3], [1, 2, 3, 0], [100.0] * 4, mode="walk")
    _, _, cost_w, _ = solve(walk, [0], snapped([0], [0.5], [0.0]), pts)
    np.testing.assert_allclose(cost_w, [25.0, 25.0, 200.0])


def test_point_at_facility_access_point_on_one_way_edge():
    """A resident standing where a facility meets a one-way street is 0 m along the street from it."""
    net = line_net(mode="bike", forward=[True, True, True], backward=[False, False, False])
    fac_snap = snapped([0], [0.5], [4.0])
    _, res, cost, fac = solve(net, [0], fac_snap, snapped([0, 0], [0.5, 0.25], [3.0, 3.0]))
    np.testing.assert_allclose(res.cost[:4], [54.0, INF, INF, INF])
    # same position: 3 m to the street + 0 m along it + 4 m to the facility
    np.testing.assert_allclose(cost, [7.0, 3.0 + 25.0 + 4.0])
    np.testing.assert_array_equal(fac, [0, 0])


def one_way_loop():
    """One-way loop 0 -> 1 -> 2 -> 3 -> 0 around a block, 100 m a side."""
    return network.graph_from_arrays(
        [120.0, 120.001, 120.001, 120.0], [30.0, 30.0, 30.001, 30.001], [0, 1, 2, 3], [1, 2, 3, 0], [100.0] * 4,
        forward=[True] * 4, backward=[False] * 4, mode="drive",
    )


def test_facility_at_a_junction_of_one_way_streets():
    """A facility exactly at junction 1 serves junction 1 at 0 m, whichever street it was snapped to."""
    net = one_way_loop()
    idx = snapping.EdgeIndex(net)
    fac_snap = idx.snap_points(np.array([120.001]), np.array([30.0]))  # node 1's position
    assert fac_snap.snap_dist_m[0] == pytest.approx(0.0, abs=1e-6)
    _, res = solve(net, [0], fac_snap, weight="length")
    np.testing.assert_allclose(res.cost[:4], [100.0, 0.0, 300.0, 200.0], atol=1e-6)
    # the answer must not depend on which of the two streets meeting there was picked
    for edge, t in ((0, 1.0), (1, 0.0)):
        _, res_e = solve(net, [0], snapped([edge], [t], [0.0]), weight="length")
        np.testing.assert_allclose(res_e.cost[:4], [100.0, 0.0, 300.0, 200.0], atol=1e-6)


def test_point_at_a_junction_of_one_way_streets():
    """A resident at a junction costs what the junction costs, whichever street the point was snapped to."""
    # 4 --100 (two-way)-- 0 --100 (one-way 0 -> 1)--> 1 (dead end); facility at node 4
    net = network.graph_from_arrays(
        [120.001, 120.002, 120.0], [30.0, 30.0, 30.0], [0, 2], [1, 0], [100.0, 100.0],
        forward=[True, True], backward=[False, True], mode="drive",
    )
    idx = snapping.EdgeIndex(net)
    fac_snap = idx.snap_points(np.array([120.0]), np.array([30.0]))
    _, res = solve(net, [0], fac_snap, weight="length")
    np.testing.assert_allclose(res.cost[:3], [100.0, INF, 0.0], atol=1e-6)
    # a resident exactly at junction 0 (snapped to the start of the one-way street, the lower edge index)
    pt = idx.snap_points(np.array([120.001]), np.array([30.0]))
    assert (pt.edge[0], pt.t[0]) == (0, 0.0)
    _, _, cost, _ = solve(net, [0], fac_snap, pt, weight="length")
    np.testing.assert_allclose(cost, [100.0], atol=1e-6)
    for edge, t in ((0, 0.0), (1, 1.0)):  # node 0 is the start of 0 -> 1 and the end of 4 - 0
        _, _, cost, _ = solve(net, [0], fac_snap, snapped([edge], [t], [2.0]), weight="length")
        np.testing.assert_allclose(cost, [2.0 + 100.0], atol=1e-6)


def test_backward_only_edge():
    # edge 0-1 may only be travelled 1 -> 0 (oneway=-1)
    net = network.graph_from_arrays(
        [0.0, 0.001], [0.0, 0.0], [0], [1], [100.0], forward=[False], backward=[True], mode="bike"
    )
    _, res, cost, _ = solve(net, [0], snapped([0], [0.4], [0.0]), snapped([0, 0], [0.9, 0.1], [0.0, 0.0]))
    # node 1 travels backward 60 m; node 0 cannot reach it at all
    np.testing.assert_allclose(res.cost[:2], [INF, 60.0])
    np.testing.assert_allclose(cost, [50.0, INF])


def test_drive_time_weights_on_one_way_square():
    net = square_net(mode="drive")
    speed = net.mode.speed_m_s  # toy edges have no highway class: the recipe's default speed
    # facility 20 m from the street; the walk to the street is at 1 m/s
    _, res, cost, _ = solve(net, [0], snapped([0], [0.5], [20.0]), snapped([0], [0.75], [3.0]))
    np.testing.assert_allclose(res.cost[:4], np.array([50.0, 350.0, 250.0, 150.0]) / speed + 20.0)
    np.testing.assert_allclose(cost, [3.0 + 375.0 / speed + 20.0])
    # with length weights the same one-way rules apply
    _, res_len = solve(net, [0], snapped([0], [0.5], [20.0]), weight="length")
    np.testing.assert_allclose(res_len.cost[:4], [70.0, 370.0, 270.0, 170.0])


def test_parallel_edges_keep_shortest_in_access_graph():
    # 0 ==(100 m, 50 m)== 1 --10-- 2, facility at node 2
    net = network.graph_from_arrays([0.0, 0.001, 0.002], [0.0, 0.0, 0.0], [0, 0, 1], [1, 1, 2], [100.0, 50.0, 10.0])
    _, res = solve(net, [0], snapped([2], [1.0], [0.0]))
    np.testing.assert_allclose(res.cost[:3], [60.0, 10.0, 0.0])
    # with the facility on the long parallel edge, points on it use its own length
    _, res2, cost, _ = solve(net, [0], snapped([0], [0.5], [0.0]), snapped([1, 0], [0.5, 0.9], [0.0, 0.0]))
    np.testing.assert_allclose(res2.cost[:3], [50.0, 50.0, 60.0])
    # point halfway along the 50 m street: 25 to node 0 or 1, then 50
    np.testing.assert_allclose(cost, [75.0, 40.0])


def test_polygon_facility_reached_at_its_nearest_access_point():
    """A park in two parts (a MultiPolygon), each pointing at the street: one access point per part.

    Each tip is 11 m from the street, whose stretch within 30 m of it is 56 m
    long: shorter than ``entrances.STRETCH_MIN_M``, so the closest point alone.
    """
    import shapely

    # street 0-1-2 along 30 N, two edges of ~481 m
    net = network.graph_from_arrays([120.0, 120.005, 120.01], [30.0, 30.0, 30.0], [0, 1], [1, 2])
    idx = snapping.EdgeIndex(net)
    left = shapely.Polygon([(120.002, 30.0001), (120.0025, 30.001), (120.0015, 30.001)])
    right = shapely.Polygon([(120.008, 30.0001), (120.0085, 30.001), (120.0075, 30.001)])
    park = shapely.MultiPolygon([left, right])
    owner, s = idx.access_points(np.array([park], dtype=object), reach_m=30.0)
    assert owner.tolist() == [0, 0]
    order = np.argsort(s.edge)
    assert s.edge[order].tolist() == [0, 1]
    np.testing.assert_allclose(s.t[order], [0.4, 0.6], atol=2e-3)
    np.testing.assert_allclose(s.snap_dist_m, [11.09, 11.09], rtol=5e-3)
    graph = distances.build_access_graph(net, owner, s)
    res = distances.nearest_facilities(graph)
    l0, l1 = net.edges["length_m"].to_numpy()
    t0, t1 = s.t[order]
    d0, d1 = s.snap_dist_m[order]
    expected = [t0 * l0 + d0, min((1 - t0) * l0 + d0, t1 * l1 + d1), (1 - t1) * l1 + d1]
    np.testing.assert_allclose(res.cost[:3], expected, rtol=0, atol=1e-6)
    assert (res.facility[:3] == 0).all()


def test_a_long_pitch_is_entered_along_its_whole_side():
    """A 150 m pitch 10 m beside a street: people from either end enter at its near corner, not its middle (issue 18)."""
    import shapely

    m = 1 / 111_320
    net = network.graph_from_arrays([120.0, 120.01], [30.0, 30.0], [0], [1])
    mid = 120.005
    half = 75 / (111_320 * np.cos(np.radians(30)))
    pitch = shapely.box(mid - half, 30.0 + 10 * m, mid + half, 30.0 + 60 * m)
    owner, s = snapping.EdgeIndex(net).access_points(np.array([pitch], dtype=object), reach_m=30.0)
    res = distances.nearest_facilities(distances.build_access_graph(net, owner, s))
    length = float(net.edges["length_m"].iloc[0])
    one_point = length / 2 + 10.0  # the former single access point at the pitch's middle
    # from node 0: to the pitch's west corner, ~75 m before its middle (within the 25 m spacing)
    assert one_point - res.cost[0] > 75 - 25
    assert one_point - res.cost[1] > 75 - 25


def street_grid(spacing_m: float) -> tuple[snapping.EdgeIndex, float, float]:
    """The index of a 4 x 4 grid of streets ``spacing_m`` apart at 30 N, and its south-west corner in its metric CRS."""
    import shapely

    m = 1 / 111_320
    xs = 120.0 + np.arange(4) * spacing_m * m / np.cos(np.radians(30))
    ys = 30.0 + np.arange(4) * spacing_m * m
    lon, lat = np.meshgrid(xs, ys)
    node = np.arange(16).reshape(4, 4)
    u = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    v = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    idx = snapping.EdgeIndex(network.graph_from_arrays(lon.ravel(), lat.ravel(), u, v))
    origin = idx.points(np.array([xs[0]]), np.array([ys[0]]))[0]
    return idx, float(shapely.get_x(origin)), float(shapely.get_y(origin))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 12), st.integers(1, 12)), min_size=1, max_size=12),
    st.sampled_from([5.0, 30.0, 80.0]),
)
def test_an_areas_nearest_street_is_taken_from_the_streets_within_reach_as_the_tree_finds_it(boxes, reach_m):
    """The nearest street of an area near one is picked among the pairs within reach: the same edge (ties: the lowest) and point as the tree's query.

    A grid of streets 50 m apart and boxes on a 12.5 m lattice: many boxes are
    exactly as near to two streets, and some are farther than the reach from all.
    """
    import shapely

    from accessibility.network import entrances

    idx, x0, y0 = street_grid(50.0)
    areas = np.array([shapely.box(x0 + 3.125 * x, y0 + 3.125 * y, x0 + 3.125 * (x + w), y0 + 3.125 * (y + h)) for x, y, w, h in boxes], dtype=object)
    rows = np.arange(len(areas))
    ai, ei, dist = entrances._pairs_within(idx, areas, reach_m)
    # the pairs GEOS's prepared dwithin test finds, in the same order (many exactly at the reach on this lattice)
    qi, qe = idx.tree.query(areas, predicate="dwithin", distance=reach_m)
    np.testing.assert_array_equal(ai, qi)
    np.testing.assert_array_equal(ei, qe)
    np.testing.assert_array_equal(dist, shapely.distance(idx.geoms[ei], areas[ai]))
    within = (ai, ei, entrances._closest(idx, areas, rows[ai], ei), dist)
    fast = entrances._nearest(idx, areas, rows, within=within, reach_m=reach_m)
    queried = entrances._nearest(idx, areas, rows)
    for a, b in zip(fast, queried, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-4, 40), st.integers(-4, 40), st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=12),
    st.sampled_from([5.0, 30.0, 45.0]),
)
def test_streets_kept_out_of_the_stretch_overlays_could_give_no_stretch(boxes, reach_m):
    """The box test that spares ``_stretches`` its overlays: the same access points as overlaying every pair (areas on a lattice, on, beside and far from a street grid)."""
    import shapely

    from accessibility.network import entrances

    idx, x0, y0 = street_grid(120.0)
    areas = np.array([shapely.box(x0 + 10 * x, y0 + 10 * y, x0 + 10 * x + 5 * w + 1, y0 + 10 * y + 5 * h + 1) for x, y, w, h in boxes], dtype=object)
    got = entrances.area_access(idx, areas, None, reach_m=reach_m)
    every = entrances._length_in_boxes
    try:
        entrances._length_in_boxes = lambda lines, _: np.full(len(lines), np.inf)  # every pair overlaid
        expected = entrances.area_access(idx, areas, None, reach_m=reach_m)
    finally:
        entrances._length_in_boxes = every
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(-6, 6), st.integers(-6, 6)), min_size=2, max_size=6), st.tuples(st.integers(-5, 0), st.integers(-5, 0), st.integers(1, 5), st.integers(1, 5)))
def test_length_of_lines_in_boxes_is_their_overlay_with_the_box(points, box):
    """Lines on a lattice (along a box's sides, through its corners, back over themselves): each segment's overlay with the (closed) box, summed.

    Never less than the line's overlay (which counts a stretch walked twice once): what the stretches' box test relies on.
    """
    import shapely

    from accessibility.network import entrances

    xy = np.asarray(points, float)
    line, square = shapely.LineString(xy), shapely.box(*box)
    got = entrances._length_in_boxes(np.array([line], dtype=object), np.array([box], float))[0]
    segments = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
    assert got == pytest.approx(shapely.length(shapely.intersection(segments, square)).sum(), abs=1e-12)
    assert got >= shapely.length(shapely.intersection(line, square)) - 1e-12


# --------------------------------------------------------------------------- the networkx oracle


def oracle(net, fac_rows, fac_snap, pt_snap, weight, costs=None):
    """Independent answer: split edges at facility and query points, Dijkstra in networkx.

    The graph is *explicitly layered* (issue 18): every place exists in three
    layers, ``s`` (a trip's start: private ways), ``p`` (public ways) and ``e``
    (a trip's end: private ways), with free moves s → p → e and s → e at
    every place. Trips start in ``s`` on a private way and in ``p`` otherwise,
    and reach a facility from ``e`` or ``p``, so a path is private* public*
    private*, built here with networkx rather than the package's role arrays.

    ``costs``: per-direction edge costs (forward u→v, backward v→u), as a walker's.

    Returns (node cost, point cost, per-facility point cost function).
    """
    cost_e, cost_b = (net.edge_weight(weight),) * 2 if costs is None else costs
    snap_div = 1.0  # the walk to the street is at 1 m/s for time weights, metres otherwise
    u = net.edges["u"].to_numpy()
    v = net.edges["v"].to_numpy()
    fw = net.edges["forward"].to_numpy(bool)
    bw = net.edges["backward"].to_numpy(bool)
    private = net.edges["private"].to_numpy(bool) if "private" in net.edges.columns else np.zeros(len(u), bool)
    inserts = defaultdict(list)
    for i, (e, t) in enumerate(zip(fac_snap.edge, fac_snap.t, strict=True)):
        inserts[int(e)].append((float(t), ("f", i)))
    for j, (e, t) in enumerate(zip(pt_snap.edge, pt_snap.t, strict=True)):
        inserts[int(e)].append((float(t), ("q", j)))
    g = nx.DiGraph()
    places = set(range(net.n_nodes))

    def add(a, b, w):
        # DiGraph.add_edge would overwrite a parallel arc: keep the cheapest
        if g.has_edge(a, b):
            g[a][b]["w"] = min(g[a][b]["w"], w)
        else:
            g.add_edge(a, b, w=w)

    for e in range(len(u)):
        pts = sorted(inserts.get(e, []), key=lambda p: p[0])
        chain = [(0.0, int(u[e]))] + pts + [(1.0, int(v[e]))]
        layers = ("s", "e") if private[e] else ("p",)
        for (t0, a), (t1, b) in itertools.pairwise(chain):
            places.update((a, b))
            w, w_back = (t1 - t0) * cost_e[e], (t1 - t0) * cost_b[e]
            for layer in layers:
                # Two places at the same position on an edge are one place: moving 0 m is
                # allowed whatever the one-way rule (a facility at a junction serves it).
                if fw[e] or t1 == t0:
                    add((layer, a), (layer, b), w)
                if bw[e] or t1 == t0:
                    add((layer, b), (layer, a), w_back)
    for x in places:
        add(("s", x), ("p", x), 0.0)
        add(("p", x), ("e", x), 0.0)
        add(("s", x), ("e", x), 0.0)
    for i, d in enumerate(fac_snap.snap_dist_m):
        add(("e", ("f", i)), ("F", i), float(d) / snap_div)
    rev = g.reverse(copy=True)

    def from_facilities(rows):
        srcs = {("F", i) for i in range(len(fac_rows)) if fac_rows[i] in rows}
        return nx.multi_source_dijkstra_path_length(rev, srcs, weight="w") if srcs else {}

    q_layer = ["s" if private[e] else "p" for e in pt_snap.edge]

    def answer(dist):
        node = np.array([dist.get(("s", n), INF) for n in range(net.n_nodes)])
        pt = np.array([pt_snap.snap_dist_m[j] / snap_div + dist.get((q_layer[j], ("q", j)), INF) for j in range(len(pt_snap))])
        return node, pt

    all_rows = set(np.unique(fac_rows).tolist())
    node, pt = answer(from_facilities(all_rows))
    return node, pt, lambda row: answer(from_facilities({row}))


def _random_points(net, n, rng, pad=0.002):
    minx, miny, maxx, maxy = net.bounds()
    return rng.uniform(minx + pad, maxx - pad, n), rng.uniform(miny + pad, maxy - pad, n)


def _check_against_oracle(net, fac_rows, fac_snap, q_snap, weight, costs=None):
    graph = distances.build_access_graph(net, fac_rows, fac_snap, weight=weight, costs=costs)
    res = distances.nearest_facilities(graph)
    cost, fac = distances.costs_at_points(graph, res, q_snap)
    o_node, o_pt, per_fac = oracle(net, fac_rows, fac_snap, q_snap, weight, costs=costs)
    np.testing.assert_allclose(res.cost[: net.n_nodes], o_node, rtol=0, atol=1e-6)
    np.testing.assert_allclose(cost, o_pt, rtol=0, atol=1e-6)
    # the reported facility is one at that cost
    for row in np.unique(fac[np.isfinite(cost)])[:6]:
        node_r, pt_r = per_fac(int(row))
        sel = fac == row
        np.testing.assert_allclose(pt_r[sel], cost[sel], rtol=0, atol=1e-6)
        nsel = res.facility[: net.n_nodes] == row
        np.testing.assert_allclose(node_r[nsel], res.cost[: net.n_nodes][nsel], rtol=0, atol=1e-6)
    return res, cost


def test_oracle_hangzhou_walk_random_point_facilities(hangzhou_walk):
    net = hangzhou_walk
    rng = np.random.default_rng(20150201)
    idx = snapping.EdgeIndex(net)
    flon, flat = _random_points(net, 25, rng)
    fac_snap = idx.snap_points(flon, flat)
    qlon, qlat = _random_points(net, 400, rng)
    q_snap = idx.snap_points(qlon, qlat)
    res, cost = _check_against_oracle(net, np.arange(25), fac_snap, q_snap, "length")
    assert np.isfinite(res.cost[: net.n_nodes]).all()  # one connected walking network
    # a point's trip is never shorter than its walk to the street
    assert (cost >= q_snap.snap_dist_m - 1e-9).all()


def test_oracle_hangzhou_walk_direction_dependent_costs(hangzhou_walk):
    """Per-direction costs (a walker on slopes): each edge dearer one way than the other, at random."""
    net = hangzhou_walk
    rng = np.random.default_rng(18)
    length = net.edges["length_m"].to_numpy(np.float64)
    costs = (length * rng.uniform(0.85, 3.0, len(length)), length * rng.uniform(0.85, 3.0, len(length)))
    idx = snapping.EdgeIndex(net)
    flon, flat = _random_points(net, 20, rng)
    fac_snap = idx.snap_points(flon, flat)
    qlon, qlat = _random_points(net, 300, rng)
    q_snap = idx.snap_points(qlon, qlat)
    _, cost = _check_against_oracle(net, np.arange(20), fac_snap, q_snap, "walker:test", costs=costs)
    # the direction matters: the same search on the costs swapped gives other answers
    swapped = distances.build_access_graph(net, np.arange(20), fac_snap, weight="walker:test", costs=costs[::-1])
    other, _ = distances.costs_at_points(swapped, distances.nearest_facilities(swapped), q_snap)
    assert np.abs(other - cost).max() > 1.0


def test_direction_dependent_costs_on_a_line_by_hand():
    """0 --100-- 1: forward costs 300, backward 50; facility at node 0, a point at the middle, another facility at 1."""
    net = line_net()
    costs = (np.array([300.0, 200.0, 300.0]), np.array([50.0, 200.0, 300.0]))
    graph = distances.build_access_graph(net, np.array([0]), snapped([0], [0.0], [0.0]), weight="walker:x", costs=costs)
    res = distances.nearest_facilities(graph)
    assert res.cost[1] == pytest.approx(50.0)  # node 1 walks edge 0 backward to the facility
    cost, _ = distances.costs_at_points(graph, res, snapped([0], [0.5], [2.0]))
    assert cost[0] == pytest.approx(2.0 + 25.0)  # toward u is backward: half of 50
    # a facility at node 1: the point walks forward, half of 300
    graph = distances.build_access_graph(net, np.array([0]), snapped([0], [1.0], [0.0]), weight="walker:x", costs=costs)
    cost, _ = distances.costs_at_points(graph, distances.nearest_facilities(graph), snapped([0], [0.5], [2.0]))
    assert cost[0] == pytest.approx(2.0 + 150.0)
    assert graph.edge_cost_back is not None and graph.edge_cost_back[0] == 50.0


def test_oracle_hangzhou_walk_real_polygon_facilities(hangzhou_walk, hangzhou_pbf):
    """Parks and sports grounds of the extract: several access points per facility."""
    net = hangzhou_walk
    fac = facilities.layer_from_osm(hangzhou_pbf)
    fac = fac[fac["service"].isin(["park", "sports_fitness"])].reset_index(drop=True)
    assert len(fac) > 20
    idx = snapping.EdgeIndex(net)
    owner, ap = idx.access_points(fac.geometry.to_numpy(), reach_m=30.0)
    assert len(ap) > len(fac)  # polygons got more than one access point
    rng = np.random.default_rng(7)
    qlon, qlat = _random_points(net, 300, rng)
    _check_against_oracle(net, owner, ap, idx.snap_points(qlon, qlat), "length")


@pytest.mark.parametrize("weight", ["length", "time"])
def test_oracle_hangzhou_drive_one_way(hangzhou_drive, weight):
    net = hangzhou_drive
    assert (net.edges["forward"] != net.edges["backward"]).any()
    rng = np.random.default_rng(99)
    idx = snapping.EdgeIndex(net)
    flon, flat = _random_points(net, 12, rng)
    fac_snap = idx.snap_points(flon, flat)
    qlon, qlat = _random_points(net, 300, rng)
    q_snap = idx.snap_points(qlon, qlat)
    res, _cost = _check_against_oracle(net, np.arange(12), fac_snap, q_snap, weight)
    assert np.isfinite(res.cost[: net.n_nodes]).all()  # strongly connected part kept


def test_oracle_points_on_one_way_facility_edges(hangzhou_drive):
    """Query points sharing a one-way edge with a facility, ahead of and behind it."""
    net = hangzhou_drive
    one_way = np.flatnonzero((net.edges["forward"] != net.edges["backward"]).to_numpy())[:40]
    fac_snap = snapped(one_way, np.full(len(one_way), 0.5), np.full(len(one_way), 5.0))
    q_edges = np.repeat(one_way, 3)
    q_t = np.tile([0.1, 0.5, 0.9], len(one_way))
    q_snap = snapped(q_edges, q_t, np.full(len(q_edges), 2.0))
    _check_against_oracle(net, np.arange(len(one_way)), fac_snap, q_snap, "length")


def test_facilities_at_real_junctions_serve_them_at_zero(hangzhou_drive):
    """Facilities placed exactly on junctions of the Hangzhou drive network (one-way streets)."""
    net = hangzhou_drive
    rng = np.random.default_rng(5)
    nodes = rng.choice(net.n_nodes, 40, replace=False)
    idx = snapping.EdgeIndex(net)
    fac_snap = idx.snap_points(net.nodes["lon"].to_numpy()[nodes], net.nodes["lat"].to_numpy()[nodes])
    assert np.allclose(fac_snap.snap_dist_m, 0.0, atol=1e-6)
    _, res = solve(net, np.arange(len(nodes)), fac_snap, weight="length")
    bad = nodes[res.cost[nodes] > 1e-6]
    assert len(bad) == 0, f"{len(bad)} of {len(nodes)} junctions holding a facility get a positive distance, e.g. {res.cost[bad[:5]]}"


def test_query_at_facility_location_on_drive_network(hangzhou_drive):
    """A point at a facility's own position is at most its walk to the street and back."""
    net = hangzhou_drive
    rng = np.random.default_rng(11)
    lon, lat = _random_points(net, 60, rng)
    idx = snapping.EdgeIndex(net)
    s = idx.snap_points(lon, lat)
    _, _, cost, _ = solve(net, np.arange(len(lon)), s, s, weight="length")
    too_far = cost > 2 * s.snap_dist_m + 1e-6
    one_way = (net.edges["forward"] != net.edges["backward"]).to_numpy()[s.edge]
    assert not too_far.any(), (
        f"{too_far.sum()} of {len(lon)} points standing at a facility get more than twice their snap distance "
        f"({(too_far & one_way).sum()} of them on one-way streets)"
    )


# --------------------------------------------------------------------------- property tests


@st.composite
def toy_problem(draw):
    """A small random graph (plain lists, so a failing example prints readably).

    ``edges`` are (u, v, length, forward, backward); access points and query
    points are (edge, t, walk to the street).
    """
    n = draw(st.integers(2, 7))
    m = draw(st.integers(1, 12))
    direction = st.sampled_from([(True, True), (True, False), (False, True)])
    edge = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(1.0, 500.0), direction).map(
        lambda e: (e[0], e[1], e[2], e[3][0], e[3][1])
    )
    edges = draw(st.lists(edge, min_size=m, max_size=m))
    # positions to 1e-9 of an edge (micrometres); ties at 0, 0.5 and 1 are drawn on purpose
    t = st.one_of(st.floats(0.0, 1.0).map(lambda x: round(x, 9)), st.sampled_from([0.0, 0.5, 1.0]))
    ap = st.tuples(st.integers(0, m - 1), t, st.floats(0.0, 200.0))
    return {
        "n": n,
        "edges": edges,
        "facilities": draw(st.lists(ap, min_size=1, max_size=5)),
        "extra": draw(ap),
        "points": draw(st.lists(ap, min_size=1, max_size=8)),
    }


def toy_net(problem):
    n, edges = problem["n"], problem["edges"]
    return network.graph_from_arrays(
        120.0 + 0.001 * np.arange(n), np.full(n, 30.0),
        [e[0] for e in edges], [e[1] for e in edges], [e[2] for e in edges],
        forward=[e[3] for e in edges], backward=[e[4] for e in edges], mode="bike",
    )


def _unpack(problem):
    return toy_net(problem), problem["facilities"], problem["extra"], problem["points"]


def _sn(items):
    return snapped([i[0] for i in items], [i[1] for i in items], [i[2] for i in items])


# no shrinking phase: keeps a failing run fast (each test well under 10 s)
PROPS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)

# A facility and a resident at the same place on a one-way street (found by this test).
CO_LOCATED = {"n": 2, "edges": [(0, 1, 100.0, True, False)], "facilities": [(0, 0.5, 4.0)], "extra": (0, 0.0, 0.0), "points": [(0, 0.5, 3.0)]}


@PROPS
@given(toy_problem())
@example(CO_LOCATED)
def test_property_matches_oracle_on_random_graphs(problem):
    net, facs, _, pts = _unpack(problem)
    _check_against_oracle(net, np.arange(len(facs)), _sn(facs), _sn(pts), "length")


@PROPS
@given(toy_problem(), st.lists(st.floats(0.5, 4.0), min_size=24, max_size=24))
def test_property_direction_dependent_costs_match_oracle(problem, factors):
    net, facs, _, pts = _unpack(problem)
    length = net.edges["length_m"].to_numpy(np.float64)
    m = len(length)
    costs = (length * np.array(factors[:m]), length * np.array(factors[12 : 12 + m]))
    _check_against_oracle(net, np.arange(len(facs)), _sn(facs), _sn(pts), "walker:test", costs=costs)


@PROPS
@given(toy_problem())
def test_property_adding_a_facility_never_lengthens_a_trip(problem):
    net, facs, extra, pts = _unpack(problem)
    q = _sn(pts)
    _, res1, cost1, _ = solve(net, np.arange(len(facs)), _sn(facs), q)
    _, res2, cost2, _ = solve(net, np.arange(len(facs) + 1), _sn(facs + [extra]), q)
    n = net.n_nodes
    assert (res2.cost[:n] <= res1.cost[:n] + 1e-9).all()
    assert (cost2 <= cost1 + 1e-9).all()


@PROPS
@given(toy_problem())
def test_property_cost_at_least_walk_to_street(problem):
    net, facs, _, pts = _unpack(problem)
    q = _sn(pts)
    _, res, cost, fac = solve(net, np.arange(len(facs)), _sn(facs), q)
    assert (cost >= q.snap_dist_m - 1e-9).all()
    # nodes are at least as far as the nearest facility's own walk to its street
    assert (res.cost[: net.n_nodes] >= min(f[2] for f in facs) - 1e-9).all()
    # unreachable points carry no facility, reachable ones a valid row
    assert ((fac == -1) == ~np.isfinite(cost)).all()
    assert ((fac >= -1) & (fac < len(facs))).all()


@PROPS
@given(
    costs=st.lists(st.one_of(st.floats(0, 3000), st.just(float("inf"))), min_size=1, max_size=30),
    data=st.data(),
)
def test_property_goal_share_never_falls_as_threshold_grows(costs, data):
    n = len(costs)
    weights = np.array(data.draw(st.lists(st.floats(0, 100), min_size=n, max_size=n)))
    t1 = data.draw(st.floats(1, 2000))
    t2 = data.draw(st.floats(t1, 4000))
    c = np.array(costs)
    shares = []
    for t in (t1, t2):
        goal = config.Goal(id="g", name_zh="g", name_en="g", services=("park",), max_dist_m=t)
        res, _covered = goals.evaluate_goal(
            goal, goals.GoalPoints({"park": c}, weights, np.ones(n, bool), np.array(["h"] * n, dtype=object)), speed_m_s=1.0,
        )
        shares.append(res.share)
        # independent count of the covered population
        assert res.covered_pop == pytest.approx(weights[c <= t].sum())
        assert res.eligible_pop == pytest.approx(weights.sum())
    if weights.sum() > 0:
        assert shares[1] >= shares[0] - 1e-12
        assert 0.0 <= shares[0] <= 1.0 and 0.0 <= shares[1] <= 1.0
    else:
        assert shares == [None, None]


@PROPS
@given(toy_problem(), st.floats(10, 2000), st.floats(0, 2000))
def test_property_point_coverage_monotone_in_threshold(problem, t1, dt):
    net, facs, _, pts = _unpack(problem)
    _, _, cost, _ = solve(net, np.arange(len(facs)), _sn(facs), _sn(pts))
    w = np.arange(1, len(cost) + 1, dtype=float)
    assert w[cost <= t1].sum() <= w[cost <= t1 + dt].sum()


# --------------------------------------------------------------------------- threads


def test_map_chunks_keeps_order_and_respects_the_thread_cap(monkeypatch):
    from accessibility.core import parallel

    seen = []

    def record(a, b):
        seen.append(len(a))
        return a + b

    x = np.arange(100_000)
    monkeypatch.setenv(parallel.THREADS_ENV, "3")
    parts = parallel.map_chunks(record, x, 2 * x, min_chunk=10)
    assert len(parts) == min(3, parallel.thread_count()) == len(seen)
    np.testing.assert_array_equal(np.concatenate(parts), 3 * x)
    monkeypatch.setenv(parallel.THREADS_ENV, "1")
    assert len(parallel.map_chunks(record, x, x, min_chunk=10)) == 1
    monkeypatch.setenv(parallel.THREADS_ENV, "many")
    with pytest.raises(ValueError, match="ACCESSIBILITY_THREADS"):
        parallel.thread_count()


@pytest.mark.shared
def test_threaded_snapping_equals_one_thread(hangzhou_walk, monkeypatch):
    from accessibility.core import parallel

    monkeypatch.setattr(parallel, "thread_count", lambda: 4)  # 4 chunks even on a 2-core machine
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = hangzhou_walk.bounds()
    lon, lat = rng.uniform(x0, x1, 90_000), rng.uniform(y0, y1, 90_000)
    index = snapping.EdgeIndex(hangzhou_walk)
    threaded = index.snap_points(lon, lat)
    monkeypatch.setattr(parallel, "thread_count", lambda: 1)
    single = index.snap_points(lon, lat)
    np.testing.assert_array_equal(threaded.snap_dist_m, single.snap_dist_m)
    np.testing.assert_array_equal(threaded.t, single.t)
    np.testing.assert_array_equal(threaded.edge, single.edge)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 1.0, 2.5, 3.0, 7.0, np.nan]) | st.floats(0, 100, allow_nan=False), min_size=0, max_size=60), st.integers(1, 12))
def test_the_largest_hexes_equal_a_stable_sort(values, k):
    """The worst hexagons of a goal: the k largest, ties in position order, as a stable sort of all gives."""
    v = np.asarray(values, dtype=np.float64)
    v = np.where(np.isnan(v), 0.0, v)  # uncovered people are never NaN
    assert np.array_equal(goals._largest(v, k), np.argsort(-v, kind="stable")[:k])

"""Private ways (compounds, grounds, driveways) walked only at a trip's start or end (issue 18, part 1).

Hand-computed toy graphs for each rule, property tests of the layered graph
against the same network without its private ways, and the networkx oracle
(an explicitly layered graph, tests/test_distances.py) on the Hangzhou extract.
"""

from __future__ import annotations

import numpy as np
import pytest
import synthetic
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility import network
from accessibility.network import distances, snapping

# ---------------------------------------------------------------- a compound beside a street
#
#   7 --100-- 0 ---------1000 (public)--------- 1 --50-- 6
#             |                                 |
#             10 (private, a gate)              10 (private, a gate)
#             |                                 |
#             4 ----------100 (private)-------- 5
#
# The compound's ways (0-4, 4-5, 5-1) cost 120 m between 0 and 1; the public street 1000 m.

LON = [120.000, 120.010, 0, 0, 120.000, 120.010, 120.0105, 119.999]
LAT = [30.0, 30.0, 0, 0, 29.9999, 29.9999, 30.0, 30.0]
U = [7, 0, 1, 0, 4, 5]
V = [0, 1, 6, 4, 5, 1]
LENGTH = [100.0, 1000.0, 50.0, 10.0, 100.0, 10.0]
PRIVATE = [False, False, False, True, True, True]
E_70, E_01, E_16, E_04, E_45, E_51 = range(6)


def arrays_net(lon, lat, u, v, length, *, private=None):
    net = network.graph_from_arrays(lon, lat, u, v, length)
    if private is not None:
        net.edges["private"] = np.asarray(private, bool)
    return net


def compound(private=PRIVATE):
    lon, lat = list(LON), list(LAT)
    lon[2] = lon[3] = 120.02  # unused nodes, kept out of the way
    lat[2], lat[3] = 30.01, 30.011
    return arrays_net(lon, lat, U, V, LENGTH, private=private)


def at(edge, t, d=0.0):
    n = len(np.atleast_1d(edge))
    return snapping.Snapped(np.atleast_1d(edge).astype(np.int64), np.broadcast_to(np.asarray(t, float), n).copy(), np.full(n, d))


def trip(net, fac, pts):
    graph = distances.build_access_graph(net, np.arange(len(fac)), fac)
    res = distances.nearest_facilities(graph)
    return graph, res, distances.costs_at_points(graph, res, pts)[0]


def test_nobody_cuts_through_a_compound():
    net = compound()
    # a facility at node 1 (on the public street 1-6), a resident halfway along 7-0
    _, _, cost = trip(net, at(E_16, 0.0), at(E_70, 0.5))
    assert cost[0] == pytest.approx(50 + 1000)  # round by the street, not 50 + 120 through the compound
    # the same ways all public: the short cut is taken
    _, _, cost = trip(compound(private=[False] * 6), at(E_16, 0.0), at(E_70, 0.5))
    assert cost[0] == pytest.approx(50 + 120)


def test_a_resident_inside_walks_out_through_the_compound():
    net = compound()
    graph, res, cost = trip(net, at(E_16, 0.0), at([E_45, E_45], [0.5, 0.2]))
    np.testing.assert_allclose(cost, [50 + 10, 80 + 10])
    # a trip starting at a node inside (node 4) may use the compound; node 0 on the public street may not
    assert res.cost[4] == pytest.approx(110)
    assert res.cost[0] == pytest.approx(120)  # node 0 is the gate: a trip starting there may walk through
    assert res.cost[graph.layers.public[0]] == pytest.approx(1000)  # arriving on the street, it may not


def test_a_facility_inside_is_reached_through_the_compound():
    net = compound()
    # a care station halfway along the compound's way 4-5, residents on both public streets
    _, _, cost = trip(net, at(E_45, 0.5, d=5.0), at([E_70, E_16], [0.5, 1.0]))
    np.testing.assert_allclose(cost, [50 + 10 + 50 + 5, 50 + 10 + 50 + 5])


def test_from_one_compound_to_another_through_the_street():
    # a second compound way hanging off node 6 (private 6-2), a facility on it
    lon, lat = list(LON), list(LAT)
    lon[2], lat[2] = 120.0105, 29.9999
    lon[3], lat[3] = 120.03, 30.01
    net = arrays_net(lon, lat, [*U, 6], [*V, 2], [*LENGTH, 40.0], private=[*PRIVATE, True])
    _, _, cost = trip(net, at(6, 0.5), at(E_45, 0.5))
    assert cost[0] == pytest.approx(50 + 10 + 50 + 20)  # private, public, private: allowed


def test_matrix_ends_use_the_trip_roles():
    """Origins join at their start role, destinations at their end role (tools.matrix)."""
    net = compound()
    graph = distances.build_access_graph(net, np.arange(1), at(E_16, 0.0))
    pub = at(E_70, 0.5)
    left, _, right, _, _ = distances.point_neighbours(graph, pub)
    assert (left, right) == (graph.layers.public[7], graph.layers.public[0])
    inside = at(E_45, 0.5)
    assert distances.point_neighbours(graph, inside)[0][0] == 4
    assert distances.point_neighbours(graph, inside, role="end")[0][0] == graph.layers.end[4]
    assert distances.point_neighbours(graph, inside, role="street")[0][0] == 4


def test_no_private_ways_no_copies():
    net = compound(private=[False] * 6)
    graph = distances.build_access_graph(net, np.arange(1), at(E_16, 0.0))
    assert graph.n_nodes == net.n_nodes + 2  # the split and stub nodes only
    assert len(graph.layers.on_private) == 0


# ---------------------------------------------------------------- properties


@st.composite
def grid_with_private_ways(draw):
    """A random grid of streets, some of them private, with facilities and points on public streets."""
    k = draw(st.integers(3, 5))
    n = k * k
    lon, lat, u, v = synthetic.grid_arrays(k)
    m = len(u)
    length = draw(st.lists(st.floats(10, 500), min_size=m, max_size=m))
    private = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    public = [e for e in range(m) if not private[e]]
    if len(public) < 2:
        private = [False] * m
        public = list(range(m))
    fac_edges = draw(st.lists(st.sampled_from(public), min_size=1, max_size=3))
    pt_edges = draw(st.lists(st.sampled_from(public), min_size=1, max_size=8))
    ts = st.floats(0, 1)
    fac_t = draw(st.lists(ts, min_size=len(fac_edges), max_size=len(fac_edges)))
    pt_t = draw(st.lists(ts, min_size=len(pt_edges), max_size=len(pt_edges)))
    return n, lon, lat, u, v, length, private, (fac_edges, fac_t), (pt_edges, pt_t)


@settings(max_examples=60, deadline=None)
@given(grid_with_private_ways())
def test_trips_between_public_places_never_use_private_ways(case):
    """Public point to public facility: the same cost as on the network without its private ways.

    So adding private ways never shortens such a trip, and no trip goes public → private → public.
    """
    _n, lon, lat, u, v, length, private, (fe, ft), (pe, pt) = case
    with_private = arrays_net(lon, lat, u, v, length, private=private)
    keep = ~np.asarray(private)
    public_only = arrays_net(lon, lat, np.asarray(u)[keep], np.asarray(v)[keep], np.asarray(length)[keep])
    new_id = np.cumsum(keep) - 1  # edges renumbered in the public-only network
    _, _, a = trip(with_private, at(fe, ft), at(pe, pt))
    _, _, b = trip(public_only, at(new_id[fe], ft), at(new_id[pe], pt))
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(grid_with_private_ways(), st.integers(0, 10_000))
def test_adding_a_private_way_never_lengthens_a_trip(case, pick):
    """Every trip allowed without a private way is allowed with it (points on public and private ways)."""
    _n, lon, lat, u, v, length, private, (fe, ft), (pe, pt) = case
    priv = np.flatnonzero(private)
    if len(priv) < 2:
        return
    drop = priv[pick % len(priv)]
    keep = np.arange(len(u)) != drop
    new_id = np.cumsum(keep) - 1
    others = priv[priv != drop]
    pts_e, pts_t = np.r_[pe, others], np.r_[pt, np.full(len(others), 0.5)]  # points on public and private ways
    _, _, with_way = trip(arrays_net(lon, lat, u, v, length, private=private), at(fe, ft), at(pts_e, pts_t))
    without = arrays_net(
        lon, lat, np.asarray(u)[keep], np.asarray(v)[keep], np.asarray(length)[keep], private=np.asarray(private)[keep]
    )
    _, _, without_way = trip(without, at(new_id[fe], ft), at(new_id[pts_e], pts_t))
    assert (with_way <= without_way + 1e-9).all()


def test_oracle_on_hangzhou_with_many_private_ways(hangzhou_walk):
    """The networkx oracle (an explicitly layered graph, tests/test_distances.py) on the real extract with a fifth of its ways private."""
    from test_distances import _check_against_oracle, _random_points

    net = network.Network(nodes=hangzhou_walk.nodes, edges=hangzhou_walk.edges.copy(), mode=hangzhou_walk.mode, info=dict(hangzhou_walk.info))
    rng = np.random.default_rng(18)
    net.edges["private"] = rng.random(len(net.edges)) < 0.2
    idx = snapping.EdgeIndex(net)
    fac = idx.snap_points(*_random_points(net, 20, rng))
    pts = idx.snap_points(*_random_points(net, 300, rng))
    assert net.edges["private"].to_numpy()[pts.edge].any() and net.edges["private"].to_numpy()[fac.edge].any()
    _, cost = _check_against_oracle(net, np.arange(20), fac, pts, "length")
    # the same trips with every way public are never longer: the private rule only removes short cuts
    public = network.Network(nodes=net.nodes, edges=net.edges.assign(private=False), mode=net.mode)
    _, _, cost_public = trip(public, fac, pts)
    assert (cost_public <= cost + 1e-9).all() and (cost_public < cost - 1).any()


def test_no_trip_passes_through_another_facilitys_door():
    """A care station inside the compound is a destination, not a way through it.

    The per-facility searches of the tools (catchments, siting, isochrones, matrices)
    run on the access graph; a trip that arrived at the station (the end of a trip,
    through the compound) must not leave it as a new trip and cut through to the other side.
    """
    net = compound()
    fac = at([E_16, E_45], [0.0, 0.5], d=5.0)  # A on the public street at node 1, B inside the compound
    fac.snap_dist_m[0] = 0.0
    graph = distances.build_access_graph(net, np.arange(2), fac)
    pairs = distances.point_facility_costs(graph, at(E_70, 0.5), np.arange(2), limit=5_000.0)
    cost = dict(zip(pairs["facility"], pairs["cost"], strict=True))
    assert cost[1] == pytest.approx(50 + 10 + 50 + 5)  # B: through the compound's gate
    assert cost[0] == pytest.approx(50 + 1000)  # A: round by the street, not 50 + 10 + 50 + 5 + 5 + 50 + 10 through B
    # the nearest of both agrees (its searches never had the door)
    res = distances.nearest_facilities(graph)
    assert distances.costs_at_points(graph, res, at(E_70, 0.5))[0][0] == pytest.approx(cost[1])

"""A facility set's search on the streets and its own access points (network/trees.py).

Oracle: a direct multi-source Dijkstra on the access graph, whose edges are split
at every access point of every set (the graph the tools search). Property: a set's
costs do not change, to the last bit, when another set's facilities move.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import synthetic
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.sparse import csgraph

from accessibility import network
from accessibility.network import distances
from accessibility.network.snapping import Snapped

#: the masks over the four facilities of :func:`streets_and_two_sets`: set A, set B, both
SETS = (np.array([True, True, False, False]), np.array([False, False, True, True]), np.ones(4, bool))


def _grid(k, length, private, forward, backward):
    lon, lat, u, v = synthetic.grid_arrays(k)
    m = len(u)
    net = network.graph_from_arrays(lon, lat, u, v, np.asarray(length[:m]), forward=np.asarray(forward[:m]), backward=np.asarray(backward[:m]))
    net.edges["private"] = np.asarray(private[:m], bool)
    return net


@st.composite
def streets_and_two_sets(draw):
    """A grid with private and one-way streets, uphill/downhill costs, and the access points of two sets (several per edge, some at nodes)."""
    k = draw(st.integers(2, 4))
    m = 2 * k * (k - 1)
    length = draw(st.lists(st.floats(5, 500), min_size=m, max_size=m))
    private = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    one_way = draw(st.lists(st.sampled_from(["both", "both", "forward", "backward"]), min_size=m, max_size=m))
    slope = draw(st.lists(st.floats(0.5, 2.0), min_size=m, max_size=m))
    n_aps = draw(st.integers(1, 8))
    edge = draw(st.lists(st.integers(0, m - 1), min_size=n_aps, max_size=n_aps))
    t = draw(st.lists(st.sampled_from([0.0, 1.0, 0.5]) | st.floats(0, 1), min_size=n_aps, max_size=n_aps))
    walk = draw(st.lists(st.floats(0, 80), min_size=n_aps, max_size=n_aps))
    owner = draw(st.lists(st.integers(0, 3), min_size=n_aps, max_size=n_aps))  # facilities 0-1: set A, 2-3: set B
    forward = [w != "backward" for w in one_way]
    backward = [w != "forward" for w in one_way]
    net = _grid(k, length, private, forward, backward)
    costs = (np.asarray(length) * np.asarray(slope), np.asarray(length) / np.asarray(slope))
    order = np.argsort(owner, kind="stable")  # access points sorted by owner, as the facilities stage gives them
    aps = Snapped(np.asarray(edge)[order], np.asarray(t)[order], np.asarray(walk)[order])
    return net, np.asarray(owner)[order], aps, costs


def _split_graph_search(graph, mask):
    """The oracle: one Dijkstra on the access graph (every edge split at every access point) from the set's stubs.

    The access graph has no arc leaving a facility (a trip's start at it): through one a
    trip could arrive at another facility at its end and leave it as a new trip, from a
    compound's end layer back to its start layer, which no resident walks.
    """
    use = np.asarray(mask, bool)[graph.ap_facility]
    if not use.any():
        return np.full(graph.n_nodes, np.inf)
    m = graph.reverse_csr.tocoo()
    stub = np.zeros(graph.n_nodes, bool)
    stub[graph.stub_node] = True
    assert not stub[m.col].any()  # reversed, an arc that leaves a stub enters it
    return csgraph.dijkstra(graph.reverse_csr, directed=True, indices=graph.stub_node[use], min_only=True)


@settings(max_examples=80, deadline=None)
@given(streets_and_two_sets())
def test_a_set_costs_what_a_search_of_the_split_graph_gives(case):
    net, owner, aps, costs = case
    graph = distances.build_access_graph(net, owner, aps, weight="length", costs=costs)
    for mask in SETS:
        got = distances.nearest_facilities(graph, mask)
        want = _split_graph_search(graph, mask)
        street = np.ones(graph.n_nodes, bool)
        street[graph.stub_node] = False  # a stub is a facility's door: the trip from it starts at its access point
        np.testing.assert_allclose(got.cost[street], want[street], rtol=1e-9, atol=1e-9)
        others = graph.stub_node[~np.asarray(mask, bool)[graph.ap_facility]]
        split_of = graph.ap_split_node[graph.stub_node - graph.n_base - len(graph.ap_edge)]
        np.testing.assert_allclose(got.cost[others], (graph.ap_stub_cost[graph.stub_node - graph.n_base - len(graph.ap_edge)] + got.cost[split_of])[~np.asarray(mask, bool)[graph.ap_facility]])
        reached = np.isfinite(got.cost)
        assert (got.facility[reached] >= 0).all() and (got.facility[~reached] == -1).all()
        assert mask[got.facility[reached]].all()


@settings(max_examples=60, deadline=None)
@given(streets_and_two_sets(), st.floats(0, 1), st.floats(0, 50))
def test_moving_another_sets_facility_leaves_a_set_bit_for_bit(case, new_t, new_walk):
    """Set A's tree, and its costs at the street nodes, are the same bits whatever set B's access points are."""
    net, owner, aps, costs = case
    b = np.flatnonzero(owner >= 2)
    if len(b) == 0:
        return
    moved = Snapped(aps.edge.copy(), aps.t.copy(), aps.snap_dist_m.copy())
    moved.t[b[0]], moved.snap_dist_m[b[0]] = new_t, new_walk
    mask = np.array([True, True, False, False])
    before = distances.build_access_graph(net, owner, aps, weight="length", costs=costs)
    after = distances.build_access_graph(net, owner, moved, weight="length", costs=costs)
    ta, tb = distances.grow_tree(before, mask), distances.grow_tree(after, mask)
    assert ta.cost.tobytes() == tb.cost.tobytes() and ta.source.tobytes() == tb.source.tobytes()
    ra, rb = distances.nearest_facilities(before, mask), distances.nearest_facilities(after, mask)
    n = net.n_nodes
    assert ra.cost[:n].tobytes() == rb.cost[:n].tobytes() and ra.facility[:n].tobytes() == rb.facility[:n].tobytes()


@settings(max_examples=80, deadline=None)
@given(streets_and_two_sets(), st.lists(st.tuples(st.integers(0, 23), st.sampled_from([0.0, 1.0, 0.5]) | st.floats(0, 1), st.floats(0, 60)), min_size=1, max_size=12))
def test_residents_costed_from_a_tree_pay_what_the_access_graph_gives(case, points):
    """A resident's trip from the set's tree and own access points alone (how a run costs them) is its trip on the access graph.

    The access graph joins a resident to the nearest inserted node on its edge, which may be
    another set's access point: the same trip, summed in other pieces (equal to rounding).
    The facility named reaches the resident at that cost by its own search, and the costs
    do not change, to the last bit, when another set's facility moves.
    """
    net, owner, aps, costs = case
    m = len(net.edges)
    where = Snapped(np.array([e % m for e, _, _ in points]), np.array([t for _, t, _ in points]), np.array([w for _, _, w in points]))
    # the access graph orders the points of an edge by one float key per (edge, position): a point and an access point
    # closer than its resolution (~1e-16 of the edge here, ~1e-10 at a million edges) are one place for it, even on a
    # one-way edge, and not for the tree; real points that close were snapped to the same spot, where both agree
    gap = np.abs(where.t[:, None] - aps.t[None, :])[where.edge[:, None] == aps.edge[None, :]]
    assume(not ((gap > 0) & (gap < 1e-9)).any())
    graph = distances.build_access_graph(net, owner, aps, weight="length", costs=costs)
    joined = distances.point_sides(graph, where)
    for mask in SETS:
        cost, source = distances.costs_from_tree(graph, distances.grow_tree(graph, mask), mask, joined)
        facility = distances.facility_rows(graph, mask, source)
        want, _ = distances.costs_at_points(graph, distances.nearest_facilities(graph, mask), where)
        np.testing.assert_allclose(cost, want, rtol=1e-12, atol=1e-9)
        reached = np.isfinite(cost)
        assert (facility[reached] >= 0).all() and (facility[~reached] == -1).all() and mask[facility[reached]].all()
        for f in np.unique(facility[reached]):
            alone = np.arange(4) == f
            own, _ = distances.costs_from_tree(graph, distances.grow_tree(graph, alone), alone, joined)
            np.testing.assert_allclose(own[facility == f], cost[facility == f], rtol=1e-12)
    b = np.flatnonzero(owner >= 2)
    if len(b):
        moved = Snapped(aps.edge.copy(), aps.t.copy(), aps.snap_dist_m.copy())
        moved.t[b[0]] = 1.0 - moved.t[b[0]]
        other = distances.build_access_graph(net, owner, moved, weight="length", costs=costs)
        mask = np.array([True, True, False, False])
        before = distances.costs_from_tree(graph, distances.grow_tree(graph, mask), mask, joined)
        after = distances.costs_from_tree(other, distances.grow_tree(other, mask), mask, distances.point_sides(other, where))
        assert before[0].tobytes() == after[0].tobytes() and before[1].tobytes() == after[1].tobytes()


@settings(max_examples=60, deadline=None)
@given(streets_and_two_sets())
def test_a_few_sources_searched_on_their_own_rows_give_the_search_on_every_stub(case):
    """A planner's few sites are searched on the streets plus their own stubs' rows: the same bits as on the matrix of every stub."""
    from accessibility.network import trees

    net, owner, aps, costs = case
    graph = distances.build_access_graph(net, owner, aps, weight="length", costs=costs)
    for mask in SETS:
        sources = graph.set_sources(mask)
        if len(sources) == 0:
            continue
        assert len(sources) <= trees.FEW_SOURCES
        few = trees.grow(graph.stubs, sources)
        n = graph.stubs.first_stub
        dist, _, src = csgraph.dijkstra(graph.stubs.csr, directed=True, indices=n + sources, min_only=True, return_predecessors=True)
        local = np.full(graph.stubs.n_stubs, -1)
        local[sources] = np.arange(len(sources))
        assert few.cost.tobytes() == dist[:n].tobytes()
        np.testing.assert_array_equal(few.source, np.where(src[:n] >= n, local[np.maximum(src[:n] - n, 0)], -1))


@settings(max_examples=60, deadline=None)
@given(streets_and_two_sets())
def test_many_sources_are_searched_by_the_compiled_search_with_scipys_costs(case):
    """A set of more than FEW_SOURCES (every OSM set of a real run) is searched by heapsearch: scipy's costs, and a named source that reaches each node at that cost."""
    from accessibility.network import trees

    net, owner, aps, costs = case
    graph = distances.build_access_graph(net, owner, aps, weight="length", costs=costs)
    n = graph.stubs.first_stub
    for mask in SETS:
        sources = graph.set_sources(mask)
        if len(sources) == 0:
            continue
        with mock.patch.object(trees, "FEW_SOURCES", 0), mock.patch.object(csgraph, "dijkstra", side_effect=AssertionError("scipy searched")):
            tree = trees.grow(graph.stubs, sources)
        dist = csgraph.dijkstra(graph.stubs.csr, directed=True, indices=n + sources, min_only=True)
        assert tree.cost.tobytes() == dist[:n].tobytes()
        reached = np.flatnonzero(np.isfinite(tree.cost))
        assert (tree.source[reached] >= 0).all() and (tree.source[np.isinf(tree.cost)] == -1).all()
        own = csgraph.dijkstra(graph.stubs.csr, directed=True, indices=n + sources[tree.source[reached]])
        np.testing.assert_array_equal(own[np.arange(len(reached)), reached], tree.cost[reached])


def test_a_point_between_two_stubs_of_its_edge_by_hand():
    """0 --100-- 1: stubs of one set at t=0.2 (walk 5 m) and t=0.9 (walk 30 m); the access graph's split nodes cost the cheaper along the edge."""
    net = network.graph_from_arrays([120.0, 120.001], [30.0, 30.0], [0], [1], [100.0])
    aps = Snapped(np.array([0, 0, 0]), np.array([0.2, 0.9, 0.5]), np.array([5.0, 30.0, 0.0]))
    graph = distances.build_access_graph(net, np.array([0, 1, 2]), aps)
    res = distances.nearest_facilities(graph, np.array([True, True, False]))
    np.testing.assert_allclose(res.cost[:2], [25.0, 40.0])  # node 0: 20 + 5; node 1: 10 + 30
    split = graph.ap_split_node  # sorted by t: 0.2, 0.5, 0.9
    np.testing.assert_allclose(res.cost[split], [5.0, 35.0, 30.0])  # the point at 0.5: 30 m back to 0.2, + 5; or 40 + 30
    assert list(res.facility[split]) == [0, 0, 1]
    stub_of_third = graph.stub_node[2]  # facility 2 (not in the set): its walk, then from its access point
    assert res.cost[stub_of_third] == 35.0


def test_a_one_way_edge_of_no_length_stays_one_way_whoever_sits_on_it():
    """0 -> 1 costs nothing and is one-way; another set's facility on it must not open it backward (a piece is two-way only where it has no extent)."""
    from accessibility import network

    net = network.graph_from_arrays([120, 120.0001, 120.0002], [30, 30, 30], [0, 0], [1, 2], [0.0, 10.0], forward=[True, True], backward=[False, True])
    mask = np.array([True, False])  # set A: the facility on 0 -- 2; set B's moves
    for b_edge, b_t in ((1, 0.9), (0, 0.5)):
        aps = Snapped(np.array([1, b_edge]), np.array([0.5, b_t]), np.array([0.0, 0.0]))
        graph = distances.build_access_graph(net, np.array([0, 1]), aps, weight="length")
        got = distances.nearest_facilities(graph, mask).cost
        street = np.ones(graph.n_nodes, bool)
        street[graph.stub_node] = False  # (a stub costs the trip from its door: not a node of the tools' searches)
        np.testing.assert_array_equal(got[street], _split_graph_search(graph, mask)[street])  # the tools' graph agrees
        assert got[0] == 5.0 and np.isinf(got[1])  # node 1 cannot walk 1 -> 0 against the one-way


@settings(max_examples=80, deadline=None)
@given(streets_and_two_sets())
def test_the_roles_found_from_the_private_edges_are_those_of_the_laid_arcs(case):
    """The access graph and the stub graph find their private nodes without laying their arcs: the very roles the arcs give."""
    from accessibility.network import private

    net, owner, aps, costs = case
    graph = distances.build_access_graph(net, owner, aps, weight="length", costs=costs)
    ends, ways, cost = graph.edge_arrays()
    arcs = distances._split_arcs(ends, ways, cost, graph.ap_edge, graph.ap_t, graph.n_base)
    want = private.layered(arcs.src, arcs.dst, arcs.private, graph.layers.n_base)
    for name in ("on_private", "public", "end"):
        np.testing.assert_array_equal(getattr(graph.layers, name), getattr(want, name))
    (u, v), (fw, bw, priv) = ends, ways
    streets = private.layered(np.concatenate([u[fw], v[bw]]), np.concatenate([v[fw], u[bw]]), np.concatenate([priv[fw], priv[bw]]), graph.n_base)
    for name in ("on_private", "public", "end"):
        np.testing.assert_array_equal(getattr(graph.stubs.layers, name), getattr(streets, name))


@settings(max_examples=80, deadline=None)
@given(streets_and_two_sets())
def test_a_set_searched_in_parts_costs_what_one_search_gives_to_the_last_bit(case):
    """A set searched per list (facilities 0-1 and 2-3 apart) and merged: the same costs, bit for bit; each node names a source that costs that."""
    from accessibility.network import trees

    net, owner, aps, costs = case
    graph = distances.build_access_graph(net, owner, aps, weight="length", costs=costs)
    whole = np.ones(4, bool)
    parts = [np.array([True, True, False, False]), np.array([False, False, True, True])]
    merged = trees.merge([distances.grow_tree(graph, p) for p in parts], [graph.set_sources(p) for p in parts], graph.set_sources(whole))
    one = distances.grow_tree(graph, whole)
    assert merged.cost.tobytes() == one.cost.tobytes()
    reached = np.isfinite(merged.cost)
    assert (merged.source[reached] >= 0).all() and (merged.source[~reached] == -1).all()
    # the named source reaches the node at that cost: its own search (from that one access point) says so
    sources = graph.set_sources(whole)
    for j in np.unique(merged.source[reached]):
        own = trees.grow(graph.stubs, sources[[j]])  # from that access point's stub alone
        at = reached & (merged.source == j)
        assert own.cost[at].tobytes() == merged.cost[at].tobytes()

"""Street networks: CSR construction, components, OSM parsing rules, snapping, real extracts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csgraph

from accessibility import errors, network
from accessibility.network import haversine_m, snapping

# --------------------------------------------------------------------------- csr_from_arcs


def test_csr_keeps_cheapest_parallel_arc_not_sum():
    m = network.csr_from_arcs(np.array([0, 0]), np.array([1, 1]), np.array([100.0, 50.0]), 2)
    assert m.nnz == 1
    assert m[0, 1] == 50.0


def test_csr_parallel_arcs_any_order_and_mixed_rows():
    src = np.array([2, 0, 1, 0, 2, 0])
    dst = np.array([0, 1, 2, 1, 0, 1])
    cost = np.array([7.0, 30.0, 5.0, 10.0, 3.0, 20.0])
    m = network.csr_from_arcs(src, dst, cost, 3)
    dense = m.toarray()
    expected = np.zeros((3, 3))
    expected[0, 1] = 10.0
    expected[1, 2] = 5.0
    expected[2, 0] = 3.0
    np.testing.assert_array_equal(dense, expected)
    # reverse direction stays separate: 1 -> 0 was never given
    assert m[1, 0] == 0 and m.nnz == 3


def test_csr_zero_cost_arc_is_an_arc():
    m = network.csr_from_arcs(np.array([0, 1]), np.array([1, 2]), np.array([0.0, 5.0]), 3)
    dist = csgraph.dijkstra(m, directed=True, indices=0)
    np.testing.assert_array_equal(dist, [0.0, 0.0, 5.0])


def test_csr_shortest_path_uses_cheaper_parallel_edge():
    # two parallel streets 0-1 of 100 m and 50 m, then 1-2 of 10 m
    net = network.graph_from_arrays(
        lon=[120.0, 120.001, 120.002], lat=[30.0, 30.0, 30.0], u=[0, 0, 1], v=[1, 1, 2], length_m=[100.0, 50.0, 10.0]
    )
    src, dst, w = net.directed_arrays(net.edge_weight("length"))
    m = network.csr_from_arcs(src, dst, w, net.n_nodes)
    dist = csgraph.dijkstra(m, directed=True, indices=0)
    np.testing.assert_allclose(dist, [0.0, 50.0, 60.0])
    dist_back = csgraph.dijkstra(m, directed=True, indices=2)
    np.testing.assert_allclose(dist_back, [60.0, 10.0, 0.0])


# --------------------------------------------------------------------------- graph_from_arrays / directions


def test_graph_from_arrays_default_length_is_great_circle():
    lon = np.array([120.0, 120.01, 120.01])
    lat = np.array([30.0, 30.0, 30.01])
    net = network.graph_from_arrays(lon, lat, [0, 1], [1, 2])
    # 0.01 deg of longitude at 30 N and 0.01 deg of latitude, on a 6371.0088 km sphere
    r = 6_371_008.8
    expected = [r * np.radians(0.01) * np.cos(np.radians(30.0)), r * np.radians(0.01)]
    np.testing.assert_allclose(net.edges["length_m"], expected, rtol=1e-6)
    assert net.edges["forward"].all() and net.edges["backward"].all()
    assert list(net.nodes.columns[:3]) == ["osmid", "lon", "lat"]


def test_directed_arrays_respect_flags():
    net = network.graph_from_arrays(
        [0.0, 0.001, 0.002],
        [0.0, 0.0, 0.0],
        [0, 1],
        [1, 2],
        [10.0, 20.0],
        forward=[True, False],
        backward=[False, True],
        mode="bike",
    )
    src, dst, w = net.directed_arrays(net.edge_weight("length"))
    arcs = sorted(zip(src.tolist(), dst.tolist(), w.tolist(), strict=True))
    assert arcs == [(0, 1, 10.0), (2, 1, 20.0)]


def test_time_weight_uses_speed():
    net = network.graph_from_arrays([0.0, 0.001], [0.0, 0.0], [0], [1], [100.0], mode="drive")
    speed = net.mode.speed_m_s
    np.testing.assert_allclose(net.edge_weight("time"), [100.0 / speed])
    with pytest.raises(ValueError):
        net.edge_weight("minutes")


# --------------------------------------------------------------------------- largest component


def _two_part_graph(mode="walk", **kw):
    # square 0-1-2-3 (4 edges of ~111 m at the equator) + separate pair 4-5
    lon = [0.0, 0.001, 0.001, 0.0, 0.01, 0.011]
    lat = [0.0, 0.0, 0.001, 0.001, 0.01, 0.01]
    u = [0, 1, 2, 3, 4]
    v = [1, 2, 3, 0, 5]
    length = [100.0, 100.0, 100.0, 100.0, 250.0]
    return network.graph_from_arrays(lon, lat, u, v, length, mode=mode, **kw)


def test_largest_component_keeps_big_part_and_reports_drops():
    net = network.keep_largest_component(_two_part_graph())
    assert net.n_nodes == 4
    assert len(net.edges) == 4
    np.testing.assert_array_equal(np.sort(net.nodes["osmid"].to_numpy()), [0, 1, 2, 3])
    info = net.info
    assert info["components"] == 2
    assert info["nodes_dropped"] == 2
    assert info["edges_dropped"] == 1
    assert info["km_dropped"] == pytest.approx(0.25)
    assert info["share_length_dropped"] == pytest.approx(250 / 650, abs=1e-4)
    # edges were renumbered onto the kept nodes
    assert net.edges["u"].max() < net.n_nodes and net.edges["v"].max() < net.n_nodes
    assert net.edges["length_m"].sum() == pytest.approx(400.0)


def test_largest_component_flag_in_graph_from_arrays():
    net = _two_part_graph(largest_component=True)
    assert net.n_nodes == 4 and net.info["nodes_dropped"] == 2
    full = _two_part_graph()
    assert full.n_nodes == 6


def test_largest_component_renumbering_keeps_coordinates():
    # the big part listed *after* the small one, so node positions must shift
    lon = [5.0, 5.001, 0.0, 0.001, 0.001]
    lat = [5.0, 5.0, 0.0, 0.0, 0.001]
    net = network.graph_from_arrays(lon, lat, [0, 2, 3, 4], [1, 3, 4, 2], [9.0, 1.0, 2.0, 3.0], largest_component=True)
    assert net.n_nodes == 3
    for _, e in net.edges.iterrows():
        a = net.nodes.iloc[e["u"]]
        b = net.nodes.iloc[e["v"]]
        x0, y0 = e.geometry.coords[0]
        x1, y1 = e.geometry.coords[-1]
        assert (a["lon"], a["lat"]) == (x0, y0)
        assert (b["lon"], b["lat"]) == (x1, y1)
    assert sorted(net.edges["length_m"]) == [1.0, 2.0, 3.0]


def test_largest_component_one_way_uses_strong_connectivity():
    # directed cycle 0->1->2->0 plus a one-way spur 2->3 that cannot return
    lon = [0.0, 0.001, 0.001, 0.002]
    lat = [0.0, 0.0, 0.001, 0.001]
    u, v = [0, 1, 2, 2], [1, 2, 0, 3]
    fw = [True, True, True, True]
    bw = [False, False, False, False]
    net = network.graph_from_arrays(lon, lat, u, v, [1.0, 1.0, 1.0, 5.0], forward=fw, backward=bw, mode="drive", largest_component=True)
    assert net.info["component_connection"] == "strong"
    assert net.n_nodes == 3
    assert net.info["nodes_dropped"] == 1 and net.info["edges_dropped"] == 1
    # walking ignores direction when finding the part: weakly connected, nothing dropped
    walk = network.graph_from_arrays(lon, lat, u, v, [1.0, 1.0, 1.0, 5.0], forward=fw, backward=bw, mode="walk", largest_component=True)
    assert walk.info["component_connection"] == "weak"
    assert walk.n_nodes == 4 and walk.info["nodes_dropped"] == 0


# --------------------------------------------------------------------------- OSM parsing rules on a hand-written file

# node id -> (lon, lat); node 8 is an interior (non-junction) vertex of way 100
_NODES = {
    1: (120.000, 30.000),
    8: (120.0005, 30.0002),
    2: (120.001, 30.000),
    3: (120.002, 30.000),
    4: (120.001, 30.001),
    5: (120.002, 30.001),
    6: (120.003, 30.000),
    7: (120.003, 30.002),
    9: (120.004, 30.000),
}
_WAYS = [
    (100, [1, 8, 2, 3], {"highway": "residential", "name": "一号路"}),
    (101, [2, 4], {"highway": "residential", "oneway": "yes"}),
    (102, [3, 5], {"highway": "residential", "oneway": "-1"}),
    (103, [4, 5], {"highway": "footway"}),
    (104, [5, 7], {"highway": "residential", "access": "private"}),
    (105, [3, 6], {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}),
    (106, [6, 9], {"highway": "tertiary", "junction": "roundabout"}),
    (107, [9, 6], {"highway": "building_passage_not_a_highway_value"}),
    (108, [1, 8], {"waterway": "stream"}),  # not a highway: never read
]


def write_osm_xml(path: Path, nodes=_NODES, ways=_WAYS) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _edge_table(net):
    """{(osm u, osm v): (forward, backward, length, way id)} with OSM node ids."""
    ids = net.nodes["osmid"].to_numpy()
    out = {}
    for _, e in net.edges.iterrows():
        out[(int(ids[e["u"]]), int(ids[e["v"]]))] = (bool(e["forward"]), bool(e["backward"]), float(e["length_m"]), int(e["osm_way_id"]))
    return out


def _hav(a, b):
    (lo1, la1), (lo2, la2) = _NODES[a], _NODES[b]
    return float(haversine_m(np.array(lo1), np.array(la1), np.array(lo2), np.array(la2)))


@pytest.fixture
def toy_osm(tmp_path):
    return write_osm_xml(tmp_path / "toy.osm")


def test_walk_network_from_osm_xml(toy_osm):
    net = network.graph_from_file(toy_osm, mode="walk", largest_component=False)
    edges = _edge_table(net)
    assert set(edges) == {(1, 2), (2, 3), (2, 4), (3, 5), (4, 5), (3, 6), (6, 9), (5, 7)}
    # the access=private way is walkable, as a private way (only at a trip's start or end)
    private = dict(zip(net.edges["osm_way_id"], net.edges["private"], strict=True))
    assert private[104] and not any(flag for way, flag in private.items() if way != 104)
    # walking ignores one-way rules
    assert all(fw and bw for fw, bw, _, _ in edges.values())
    # interior vertex 8 is not a node; the edge's length follows the way through it
    assert 8 not in set(net.nodes["osmid"])
    assert edges[(1, 2)][2] == pytest.approx(_hav(1, 8) + _hav(8, 2), rel=1e-9)
    assert edges[(2, 3)][2] == pytest.approx(_hav(2, 3), rel=1e-9)
    assert edges[(1, 2)][3] == 100 and edges[(2, 3)][3] == 100
    # geometry keeps the interior vertex
    e12 = net.edges[net.edges["osm_way_id"] == 100].sort_values("length_m").iloc[-1]
    assert len(e12.geometry.coords) == 3
    # the unknown highway value is not walkable
    assert set(net.nodes["osmid"]) == {1, 2, 3, 4, 5, 6, 7, 9}
    # node coordinates come from the file
    row = net.nodes.set_index("osmid").loc[4]
    assert (row["lon"], row["lat"]) == pytest.approx(_NODES[4])


def test_drive_network_one_way_rules(toy_osm):
    net = network.graph_from_file(toy_osm, mode="drive", largest_component=False)
    edges = _edge_table(net)
    # footway 4-5 is not drivable
    assert (4, 5) not in edges
    assert edges[(1, 2)][:2] == (True, True)
    assert edges[(2, 4)][:2] == (True, False)  # oneway=yes
    assert edges[(3, 5)][:2] == (False, True)  # oneway=-1
    assert edges[(3, 6)][:2] == (True, False)  # oneway:bicycle=no does not help cars
    assert edges[(6, 9)][:2] == (True, False)  # roundabout implies one-way
    # per-class speeds (residential 20 km/h, tertiary 30 km/h)
    by_way = net.edges.set_index("osm_way_id")["speed_m_s"]
    assert by_way.loc[101] == pytest.approx(20 / 3.6)
    assert by_way.loc[106] == pytest.approx(30 / 3.6)
    t = net.edge_weight("time")
    np.testing.assert_allclose(t, net.edges["length_m"] / net.edges["speed_m_s"])


def test_bike_network_contraflow_exemption(toy_osm):
    net = network.graph_from_file(toy_osm, mode="bike", largest_component=False)
    edges = _edge_table(net)
    assert edges[(3, 6)][:2] == (True, True)  # oneway:bicycle=no
    assert edges[(2, 4)][:2] == (True, False)
    assert (4, 5) not in edges  # footway is not in the bike recipe


def test_drive_largest_strong_component_of_osm_xml(toy_osm):
    net = network.graph_from_file(toy_osm, mode="drive")
    # only 1-2-3 is strongly connected (every other drivable street is one-way out)
    assert set(net.nodes["osmid"]) == {1, 2, 3}
    assert net.info["nodes_dropped"] == 4
    assert net.info["mode"] == "drive"


def test_no_usable_way_is_osm_data_error(tmp_path):
    path = write_osm_xml(tmp_path / "foot.osm", ways=[(1, [1, 2], {"highway": "footway"})])
    with pytest.raises(errors.OSMDataError, match="drive"):
        network.graph_from_file(path, mode="drive")


def test_no_highway_at_all_is_osm_data_error(tmp_path):
    path = write_osm_xml(tmp_path / "river.osm", ways=[(1, [1, 2], {"waterway": "river"})])
    with pytest.raises(errors.OSMDataError, match="no highway"):
        network.graph_from_file(path)


def test_way_cut_at_extract_edge_is_split_not_bridged(tmp_path):
    # way 1-2-X-3 where node X is missing from the file: no straight edge 2-3 may appear
    nodes = {1: (120.0, 30.0), 2: (120.001, 30.0), 3: (120.003, 30.0), 4: (120.004, 30.0)}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    lines.append('<way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="99"/><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/></way>')
    lines.append("</osm>")
    path = tmp_path / "cut.osm"
    path.write_text("\n".join(lines), encoding="utf-8")
    net = network.graph_from_file(path, largest_component=False)
    edges = _edge_table(net)
    assert set(edges) == {(1, 2), (3, 4)}
    assert net.info["missing_node_refs"] == 1


# --------------------------------------------------------------------------- snapping


def _line_net():
    # east-west street at 30 N from 120.000 to 120.010 (about 963 m)
    return network.graph_from_arrays([120.0, 120.01], [30.0, 30.0], [0], [1])


def test_snap_point_to_middle_of_edge():
    net = _line_net()
    idx = snapping.EdgeIndex(net)
    s = idx.snap_points(np.array([120.0025, 120.0075]), np.array([30.0001, 29.9998]))
    np.testing.assert_array_equal(s.edge, [0, 0])
    np.testing.assert_allclose(s.t, [0.25, 0.75], atol=2e-3)
    # 0.0001 deg of latitude is ~11.09 m, 0.0002 deg ~22.18 m
    np.testing.assert_allclose(s.snap_dist_m, [11.09, 22.18], rtol=5e-3)


def test_snap_beyond_edge_end_clamps_t_and_counts_full_distance():
    net = _line_net()
    idx = snapping.EdgeIndex(net)
    s = idx.snap_points(np.array([120.011]), np.array([30.0]))
    assert s.t[0] == pytest.approx(1.0)
    expected = float(haversine_m(np.array(120.011), np.array(30.0), np.array(120.01), np.array(30.0)))
    assert s.snap_dist_m[0] == pytest.approx(expected, rel=5e-3)


def test_snap_picks_nearest_of_several_edges():
    # two parallel streets 30.000 and 30.002; a point at 30.0015 is nearer the second
    net = network.graph_from_arrays([120.0, 120.01, 120.0, 120.01], [30.0, 30.0, 30.002, 30.002], [0, 2], [1, 3])
    idx = snapping.EdgeIndex(net)
    s = idx.snap_points(np.array([120.005, 120.005]), np.array([30.0015, 30.0004]))
    np.testing.assert_array_equal(s.edge, [1, 0])
    np.testing.assert_allclose(s.snap_dist_m, [55.4, 44.4], rtol=1e-2)


def test_snap_empty_input():
    idx = snapping.EdgeIndex(_line_net())
    s = idx.snap_points(np.array([]), np.array([]))
    assert len(s) == 0


def test_access_points_polygon_gets_every_edge_within_reach():
    # three parallel streets 0 m, ~111 m and ~222 m north; a park polygon between the first two
    lat = [30.0, 30.0, 30.001, 30.001, 30.002, 30.002]
    lon = [120.0, 120.01, 120.0, 120.01, 120.0, 120.01]
    net = network.graph_from_arrays(lon, lat, [0, 2, 4], [1, 3, 5])
    idx = snapping.EdgeIndex(net)
    # park from 30.0001 to 30.0009 (~11 m from both of the first two streets)
    park = shapely.box(120.004, 30.0001, 120.006, 30.0009)
    point = shapely.Point(120.005, 30.00195)  # 5.5 m from street 2, 105 m from street 1
    owner, s = idx.access_points(np.array([park, point], dtype=object), reach_m=30.0)
    assert set(s.edge[owner == 0].tolist()) == {0, 1}
    # along the stretch of each street within 30 m of the park (its 193 m side plus ~28 m each way): its ends,
    # points at most 100 m apart between them, and the closest point
    for e in (0, 1):
        on = (owner == 0) & (s.edge == e)
        assert on.sum() >= 4
        assert s.snap_dist_m[on].min() == pytest.approx(11.1, abs=0.3) and (s.snap_dist_m[on] <= 30.0 + 1e-6).all()
        assert s.t[on].min() < 0.4 and s.t[on].max() > 0.6
    # a point gets exactly one access point, on its nearest street
    assert s.edge[owner == 1].tolist() == [2]
    # with reach 0 the polygon gets only the nearest street
    _owner0, s0 = idx.access_points(np.array([park], dtype=object), reach_m=0.0)
    assert len(s0) == 1


# --------------------------------------------------------------------------- real extracts


def test_hangzhou_walk_network_facts(hangzhou_walk):
    net = hangzhou_walk
    info = net.info
    assert info["mode"] == "walk"
    assert info["missing_node_refs"] == 0  # SOURCES.md: the extract is referentially complete
    # 1,253 highway ways in the file (SOURCES.md); most are walkable
    assert 1000 < info["ways_used"] <= 1253
    # largest component kept, detached pieces reported
    assert info["components"] > 1 and info["nodes_dropped"] > 0
    assert 0 < info["share_length_dropped"] < 0.2
    # bbox of the extract: lon 120.100-120.185, lat 30.230-30.296
    minx, miny, maxx, maxy = net.bounds()
    assert minx >= 120.09 and maxx <= 120.19 and miny >= 30.22 and maxy <= 30.30
    # everything is walkable both ways
    assert net.edges["forward"].all() and net.edges["backward"].all()
    u, v = net.edges["u"].to_numpy(), net.edges["v"].to_numpy()
    assert u.min() >= 0 and max(u.max(), v.max()) < net.n_nodes
    assert (u != v).all()
    assert (net.edges["length_m"] > 0).all()
    # one weakly connected part
    src, dst, w = net.directed_arrays(net.edge_weight())
    n_comp, _ = csgraph.connected_components(network.csr_from_arcs(src, dst, w, net.n_nodes), directed=True, connection="weak")
    assert n_comp == 1


def test_hangzhou_edge_lengths_match_their_geometry(hangzhou_walk):
    edges = hangzhou_walk.edges
    coords, owner = shapely.get_coordinates(edges.geometry.to_numpy(), return_index=True)
    same = owner[1:] == owner[:-1]
    seg = haversine_m(coords[:-1, 0][same], coords[:-1, 1][same], coords[1:, 0][same], coords[1:, 1][same])
    per_edge = np.bincount(owner[1:][same], weights=seg, minlength=len(edges))
    np.testing.assert_allclose(per_edge, edges["length_m"].to_numpy(), rtol=1e-9, atol=1e-6)
    # and each edge's geometry runs from its u node to its v node
    nodes = hangzhou_walk.nodes
    first = shapely.get_point(edges.geometry.to_numpy(), 0)
    last = shapely.get_point(edges.geometry.to_numpy(), -1)
    np.testing.assert_allclose(shapely.get_x(first), nodes["lon"].to_numpy()[edges["u"]], atol=1e-9)
    np.testing.assert_allclose(shapely.get_y(last), nodes["lat"].to_numpy()[edges["v"]], atol=1e-9)
    # great-circle length is a lower bound of the street length
    straight = haversine_m(
        nodes["lon"].to_numpy()[edges["u"]], nodes["lat"].to_numpy()[edges["u"]],
        nodes["lon"].to_numpy()[edges["v"]], nodes["lat"].to_numpy()[edges["v"]],
    )
    assert (edges["length_m"].to_numpy() >= straight - 1e-6).all()


def test_pbf_and_xml_bz2_give_the_same_network(hangzhou_walk, hangzhou_bz2):
    other = network.graph_from_file(hangzhou_bz2, mode="walk")
    assert other.n_nodes == hangzhou_walk.n_nodes
    assert len(other.edges) == len(hangzhou_walk.edges)
    np.testing.assert_array_equal(other.nodes["osmid"].to_numpy(), hangzhou_walk.nodes["osmid"].to_numpy())
    assert other.edges["length_m"].sum() == pytest.approx(hangzhou_walk.edges["length_m"].sum(), rel=1e-9)


def test_hangzhou_drive_network_has_one_way_streets(hangzhou_drive, hangzhou_walk):
    d = hangzhou_drive
    assert d.info["component_connection"] == "strong"
    one_way = (d.edges["forward"] != d.edges["backward"]).sum()
    assert one_way > 50
    # no drive edge is a footway, and the drive network is smaller than the walk network
    assert not d.edges["highway"].isin(["footway", "pedestrian", "steps", "path", "cycleway"]).any()
    assert d.edges["length_m"].sum() < hangzhou_walk.edges["length_m"].sum()
    # strongly connected: every node reaches every other
    src, dst, w = d.directed_arrays(d.edge_weight())
    n_comp, _ = csgraph.connected_components(network.csr_from_arcs(src, dst, w, d.n_nodes), directed=True, connection="strong")
    assert n_comp == 1


def test_beijing_xml_network(beijing_bz2):
    net = network.graph_from_file(beijing_bz2, mode="walk")
    assert net.n_nodes > 300
    assert net.info["missing_node_refs"] == 0
    assert set(net.edges["highway"]) >= {"footway", "service", "residential"}


def test_tag_rules_run_once_per_distinct_tag_set():
    from accessibility.readers.tagsets import TagSets

    gate, wall = {"barrier": "gate"}, {"barrier": "wall"}
    rows = [gate, wall, gate, {"barrier": "gate"}, wall]  # the fourth equals the first but is its own dict
    ts = TagSets.of(rows)
    assert ts.sets == [gate, wall, {"barrier": "gate"}] and ts.code.tolist() == [0, 1, 0, 2, 1]
    calls = []
    is_gate = ts.each(lambda t: calls.append(t) or t["barrier"] == "gate", bool)
    assert is_gate.tolist() == [True, False, True, True, False] and len(calls) == 3
    pairs = ts.each(lambda t: (t["barrier"], 1))  # tuples stay one object per row, not a second dimension
    assert pairs.shape == (5,) and pairs[1] == ("wall", 1)
    empty = TagSets.of([])
    assert empty.each(bool, bool).shape == (0,) and empty.each(str).shape == (0,)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(-(2**62), 2**62) | st.integers(0, 20), max_size=300))
def test_unique_counts_equal_numpy(values) -> None:
    """The graph's one-sort unique: numpy's distinct values, inverse and counts (repeats, negatives, none)."""
    from accessibility.network import graph

    a = np.asarray(values, dtype=np.int64)
    want = np.unique(a, return_inverse=True, return_counts=True)
    for got, expected in zip(graph._unique_counts(a), want, strict=True):
        np.testing.assert_array_equal(got, expected)

"""networkx / osmnx graphs in and out: toy graphs by hand, Hangzhou against the OSM reader, run exports.

The acceptance test reads the shared Hangzhou extract twice: with :func:`network.graph_from_file`
and, converted to OSM XML, with osmnx's ``graph_from_xml`` then :func:`network.graph_from_networkx`.
Both sides see the same ways: osmnx reads every way of the XML (no network-type filter) and keeps
the tags the walk recipe looks at (``ox.settings.useful_tags_way``), and ``graph_from_networkx``
applies the recipe's filter to them. The street-node distances must then agree to rounding, once
osmnx's Earth radius (6,371,009 m) is scaled to ours (6,371,008.8 m). networkx's own Dijkstra is
the independent oracle for the filtered osmnx graph and for the exported graph.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox  # the test extra's (pyproject), also the `online` extra's
import pandas as pd
import pytest
import shapely
from scipy.sparse import csgraph

from accessibility import errors, network
from accessibility.network import haversine_m
from accessibility.run import pipeline
from accessibility.run.read import read_run
from accessibility.tools.export import run_to_networkx

#: osmnx's great-circle lengths use a 6,371,009 m Earth, ours 6,371,008.8 m
OX_TO_OURS = 6_371_008.8 / 6_371_009
#: every tag a recipe rule reads, kept by osmnx as an edge attribute
RECIPE_TAGS = ["highway", "name", "oneway", "junction", "foot", "access", "service", "area", "bicycle", "motor_vehicle", "motorcar"]

LON0, LAT0 = 120.15, 30.25


def toy_graph(edges, *, nodes=4, graph=nx.MultiDiGraph):
    """An osmnx-shaped graph: nodes 1..n along a parallel with ``x``/``y``; edges ``(u, v, attrs)``."""
    G = graph(crs="epsg:4326")
    for i in range(1, nodes + 1):
        G.add_node(i, x=LON0 + 0.001 * i, y=LAT0)
    for u, v, attrs in edges:
        G.add_edge(u, v, **{"highway": "residential", **attrs})
    return G


def two_way(u, v, length, **attrs):
    """osmnx lists a two-way street twice: as drawn, and reversed."""
    return [(u, v, {"length": length, "reversed": False, "oneway": False, **attrs}), (v, u, {"length": length, "reversed": True, "oneway": False, **attrs})]


def dist(net, osm_from, osm_to=None) -> np.ndarray | float:
    """Network distances (metres) from one node, by OSM id (to all nodes, or to one)."""
    src, dst, w = net.directed_arrays(net.edge_weight("length"))
    m = network.csr_from_arcs(src, dst, w, net.n_nodes)
    ids = net.nodes["osmid"].to_numpy()
    d = csgraph.dijkstra(m, directed=True, indices=int(np.flatnonzero(ids == osm_from)[0]))
    return d if osm_to is None else float(d[np.flatnonzero(ids == osm_to)[0]])


def shortest_arcs(net) -> dict:
    """{(osm from, osm to): length of the shortest arc}, over every allowed direction of every edge."""
    ids = net.nodes["osmid"].to_numpy()
    arcs = pd.DataFrame(dict(zip(("a", "b", "length"), net.directed_arrays(net.edge_weight("length")), strict=True)))
    best = arcs.groupby(["a", "b"])["length"].min()
    return {(int(ids[a]), int(ids[b])): float(length) for (a, b), length in best.items()}


def edge_rows(net) -> dict:
    """{(osm u, osm v): (forward, backward, length)}."""
    ids = net.nodes["osmid"].to_numpy()
    e = net.edges
    return {
        (int(ids[a]), int(ids[b])): (bool(f), bool(bw), float(length))
        for a, b, f, bw, length in zip(e["u"], e["v"], e["forward"], e["backward"], e["length_m"], strict=True)
    }


# ------------------------------------------------------------------------------------ toy graphs


def test_two_way_pairs_fold_into_one_edge_each():
    G = toy_graph(two_way(1, 2, 100.0, osmid=11, name="湖滨路") + two_way(2, 3, 50.0, osmid=12) + two_way(3, 4, 25.0, osmid=13))
    net = network.graph_from_networkx(G, mode="walk")
    assert edge_rows(net) == {(1, 2): (True, True, 100.0), (2, 3): (True, True, 50.0), (3, 4): (True, True, 25.0)}
    assert net.nodes["osmid"].tolist() == [1, 2, 3, 4]
    assert sorted(net.edges["osm_way_id"]) == [11, 12, 13]
    assert net.edges.loc[net.edges["osm_way_id"] == 11, "name"].item() == "湖滨路"
    assert net.info["arcs_folded"] == 3 and net.info["graph_edges"] == 6
    assert dist(net, 1, 4) == 175.0 and dist(net, 4, 1) == 175.0


def test_one_way_arcs_count_for_one_way_modes_only():
    # 1 -> 2 one-way (100 m), 2 <-> 3 two-way (50 m)
    G = toy_graph([(1, 2, {"length": 100.0, "oneway": True, "reversed": False}), *two_way(2, 3, 50.0)], nodes=3)
    bike = network.graph_from_networkx(G, mode="bike", largest_component=False)
    assert edge_rows(bike) == {(1, 2): (True, False, 100.0), (2, 3): (True, True, 50.0)}
    assert dist(bike, 1, 3) == 150.0
    assert dist(bike, 3, 1) == np.inf
    # walking ignores one-way streets, as the OSM reader does
    walk = network.graph_from_networkx(G, mode="walk")
    assert dist(walk, 3, 1) == 150.0
    # the bike network's largest strongly connected part leaves node 1 out
    assert network.graph_from_networkx(G, mode="bike").nodes["osmid"].tolist() == [2, 3]


def test_parallel_edges_keep_the_shortest_in_each_direction():
    G = toy_graph([*two_way(1, 2, 100.0, osmid=1), *two_way(1, 2, 60.0, osmid=2), *two_way(2, 3, 10.0, osmid=3)], nodes=3)
    net = network.graph_from_networkx(G, mode="walk")
    assert edge_rows(net) == {(1, 2): (True, True, 60.0), (2, 3): (True, True, 10.0)}
    assert net.edges["osm_way_id"].tolist().count(2) == 1
    # a one-way shortcut 1 -> 2 (60 m) beside a two-way street (100 m): each direction keeps its shortest
    G = toy_graph([*two_way(1, 2, 100.0, osmid=1), (1, 2, {"length": 60.0, "osmid": 2}), *two_way(2, 3, 10.0)], nodes=3)
    bike = network.graph_from_networkx(G, mode="bike", largest_component=False)
    assert dist(bike, 1, 3) == 70.0 and dist(bike, 3, 1) == 110.0
    assert sorted(v for k, v in edge_rows(bike).items() if k in ((1, 2), (2, 1))) == [(True, False, 60.0), (True, False, 100.0)]
    assert dist(network.graph_from_networkx(G, mode="walk"), 3, 1) == 70.0


def test_plain_undirected_graph_with_tuple_labels_and_no_lengths():
    G = nx.grid_2d_graph(3, 2)  # nodes (i, j), no attributes at all
    for i, j in G.nodes:
        G.nodes[i, j].update(x=LON0 + 0.001 * i, y=LAT0 + 0.001 * j)
    net = network.graph_from_networkx(G, mode="drive")  # undirected edges are two-way, even when driving
    assert net.n_nodes == 6 and len(net.edges) == 7
    assert net.edges["forward"].all() and net.edges["backward"].all()
    assert "not integers" in net.info["node_ids"]
    assert net.nodes["osmid"].tolist() == list(range(6))  # the graph's node order: (0,0), (0,1), (1,0)...
    north = float(haversine_m(np.array(LON0), np.array(LAT0), np.array(LON0), np.array(LAT0 + 0.001)))
    east_up = float(haversine_m(np.array(LON0), np.array(LAT0 + 0.001), np.array(LON0 + 0.001), np.array(LAT0 + 0.001)))
    # (0,0) is node 0, (2,1) node 5: north first, then two steps east on the shorter, northern parallel
    assert dist(net, 0, 5) == pytest.approx(north + 2 * east_up, rel=1e-9)  # (0.001 * i is not exactly i steps of 0.001)
    assert (shapely.length(net.edges.geometry.to_numpy()) > 0).all()


def test_recipe_filter_reads_highway_lists_and_tags():
    G = toy_graph(
        [
            *two_way(1, 2, 10.0, osmid=1),
            *two_way(2, 3, 10.0, osmid=2, highway="motorway"),  # not walkable
            *two_way(2, 4, 10.0, osmid=3, highway=["footway", "motorway"]),  # merged by osmnx: partly not walkable
            *two_way(1, 3, 30.0, osmid=4, highway=["footway", "residential"]),  # merged: walkable throughout
            *two_way(3, 4, 10.0, osmid=5, access="private"),
            *two_way(1, 4, 50.0, osmid=6, access="private", foot="yes"),  # allowed on foot
        ]
    )
    G.add_edge(1, 2, length=1.0)  # no highway in a graph that has them: a building or river, not a street
    net = network.graph_from_networkx(G, mode="walk")
    assert sorted(net.edges["osm_way_id"]) == [1, 4, 5, 6]
    # the access=private way is kept as a private way (walked only at a trip's start or end); foot=yes makes way 6 public
    assert dict(zip(net.edges["osm_way_id"], net.edges["private"], strict=True)) == {1: False, 4: False, 5: True, 6: False}
    assert net.edges.loc[net.edges["osm_way_id"] == 4, "highway"].item() == "footway;residential"
    assert dist(net, 1, 2) == 10.0  # the 1 m edge without highway is not used
    assert net.info["edges_filtered_out"] == 5  # the motorway pieces and the edge without highway
    with pytest.raises(errors.InputError, match="none of the graph's 2 edges is usable for mode 'walk'"):
        network.graph_from_networkx(toy_graph(two_way(1, 2, 10.0, highway="motorway"), nodes=2))


def test_time_weighted_mode_takes_the_slowest_class_of_a_merged_edge():
    G = toy_graph([*two_way(1, 2, 100.0, highway=["primary", "residential"]), *two_way(2, 3, 100.0, highway="primary")], nodes=3)
    drive = network.graph_from_networkx(G, mode="drive")
    speed = dict(zip(drive.edges["highway"], drive.edges["speed_m_s"], strict=True))
    assert speed == {"primary;residential": pytest.approx(20 / 3.6), "primary": pytest.approx(40 / 3.6)}


def test_geometry_is_kept_and_oriented_from_u_to_v():
    bend = shapely.LineString([(LON0 + 0.001, LAT0), (LON0 + 0.0015, LAT0 + 0.001), (LON0 + 0.002, LAT0)])
    G = toy_graph([(1, 2, {"length": 250.0, "geometry": bend}), (2, 3, {"geometry": bend.reverse()})], nodes=3, graph=nx.Graph)
    net = network.graph_from_networkx(G)
    g12, g23 = net.edges.geometry.to_numpy()
    assert g12.equals(bend)
    assert shapely.get_coordinates(g23)[0] == pytest.approx([LON0 + 0.002, LAT0])  # drawn 3 -> 2 in the graph: turned round
    c = shapely.get_coordinates(bend)
    along = haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1]).sum()
    assert net.edges["length_m"].tolist() == [250.0, pytest.approx(along, rel=1e-12)]


def test_projected_osmnx_graph_is_projected_back():
    bend = shapely.LineString([(LON0 + 0.001, LAT0), (LON0 + 0.0015, LAT0 + 0.001), (LON0 + 0.002, LAT0)])
    edges = [*two_way(1, 2, 180.0, osmid=1), *two_way(2, 3, 200.0, osmid=2), *two_way(3, 4, 90.0, osmid=3)]
    G = toy_graph(edges)
    G.edges[1, 2, 0]["geometry"] = bend
    G.edges[2, 1, 0]["geometry"] = bend.reverse()
    plain = network.graph_from_networkx(G)
    projected = ox.project_graph(G)
    assert projected.graph["crs"] != "epsg:4326"
    net = network.graph_from_networkx(projected)
    np.testing.assert_allclose(net.nodes[["lon", "lat"]].to_numpy(), plain.nodes[["lon", "lat"]].to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(net.edges["length_m"], plain.edges["length_m"])
    assert shapely.equals_exact(net.edges.geometry.to_numpy(), plain.edges.geometry.to_numpy(), tolerance=1e-9).all()


def _one_node_without_y():
    G = toy_graph(two_way(1, 2, 5.0), nodes=2)
    del G.nodes[2]["y"]
    return G


@pytest.mark.parametrize(
    ("graph", "says"),
    [
        ({"not": "a graph"}, "expected a networkx graph"),
        (nx.MultiDiGraph(), "has no nodes"),
        (toy_graph([], nodes=2), "no edges"),
        (nx.path_graph(3), "3 of the graph's 3 nodes have no coordinates, e.g. node 0"),
        (_one_node_without_y(), "1 of the graph's 2 nodes have no coordinates, e.g. node 2"),
    ],
)
def test_bad_graphs_get_a_message(graph, says):
    with pytest.raises(errors.InputError, match=says):
        network.graph_from_networkx(graph)


def test_projected_coordinates_without_crs_and_bad_lengths_are_refused():
    G = toy_graph(two_way(1, 2, 5.0), nodes=2)
    G.graph.pop("crs")
    G.nodes[1]["x"] = 222_000.0
    with pytest.raises(errors.InputError, match=r"not longitude/latitude \(e.g. x=222000"):
        network.graph_from_networkx(G)
    G = toy_graph([(1, 2, {"length": -3.0})], nodes=2)
    with pytest.raises(errors.InputError, match=r"e\.g\. edge 1 -> 2: -3\.0;"):
        network.graph_from_networkx(G)
    G.graph["crs"] = "EPSG:999999"
    with pytest.raises(errors.InputError, match="EPSG:999999"):
        network.graph_from_networkx(G)


# ---------------------------------------------------------------------- graph_from_place (offline)


def test_graph_from_place_builds_on_graph_from_networkx(monkeypatch):
    calls = []

    def fake_graph_from_place(query, **kw):
        calls.append((query, kw))
        return toy_graph([*two_way(1, 2, 100.0), *two_way(2, 3, 50.0)], nodes=3)

    monkeypatch.setattr(ox, "graph_from_place", fake_graph_from_place)
    net = network.graph_from_place("湖滨街道, 杭州市", mode="bike")
    assert calls == [("湖滨街道, 杭州市", {"network_type": "bike", "simplify": True})]
    assert edge_rows(net) == {(1, 2): (True, True, 100.0), (2, 3): (True, True, 50.0)}
    assert "湖滨街道" in net.info["source"] and net.mode.id == "bike"


def test_graph_from_place_without_osmnx_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "osmnx", None)  # import osmnx raises ImportError
    with pytest.raises(errors.AccessibilityError, match=r"pip install 'accessibility\[online\]'"):
        network.graph_from_place("Hangzhou")


# ------------------------------------------------------------------------- Hangzhou: the acceptance


@pytest.fixture(scope="module")
def hangzhou_xml(hangzhou_pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extract's highway ways and their nodes as OSM XML (what osmnx reads), written by pyosmium."""
    import osmium

    out = tmp_path_factory.mktemp("hz_xml") / "hangzhou_highways.osm"
    with osmium.BackReferenceWriter(str(out), str(hangzhou_pbf)) as writer:
        for way in osmium.FileProcessor(str(hangzhou_pbf), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway")):
            writer.add(way)
    return out


@pytest.fixture(scope="module")
def osmnx_graphs(hangzhou_xml: Path) -> dict[str, nx.MultiDiGraph]:
    """osmnx's graphs of the XML, keeping the tags the walk recipe reads: unsimplified, and as osmnx simplifies it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ox.settings, "useful_tags_way", RECIPE_TAGS)
        return {
            "raw": ox.graph_from_xml(hangzhou_xml, simplify=False, retain_all=True),
            "simplified": ox.graph_from_xml(hangzhou_xml, simplify=True, retain_all=True),
        }


def common_distances(a, b, *, n_sources: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Distances between nodes of ``a`` that ``b`` has too (same OSM id), from evenly spread sources, on both networks."""
    at_b = pd.Index(b.nodes["osmid"]).get_indexer(a.nodes["osmid"])
    in_a = np.flatnonzero(at_b >= 0)
    sources = in_a[np.linspace(0, len(in_a) - 1, min(n_sources, len(in_a))).astype(int)]

    def matrix(net):
        src, dst, w = net.directed_arrays(net.edge_weight("length"))
        return network.csr_from_arcs(src, dst, w, net.n_nodes)

    da = csgraph.dijkstra(matrix(a), indices=sources)[:, in_a]
    db = csgraph.dijkstra(matrix(b), indices=at_b[sources])[:, at_b[in_a]]
    return da, db


@pytest.mark.shared
def test_osmnx_graph_of_hangzhou_gives_the_osm_readers_distances(hangzhou_xml, hangzhou_walk, osmnx_graphs):
    from_file = network.graph_from_file(hangzhou_xml, mode="walk")
    assert edge_rows(from_file) == edge_rows(hangzhou_walk)  # the XML holds the PBF's streets
    from_osmnx = network.graph_from_networkx(osmnx_graphs["raw"], mode="walk")
    # every junction of the reader is a node of osmnx's unsimplified graph (which has every OSM node)
    assert set(from_file.nodes["osmid"]) <= set(from_osmnx.nodes["osmid"])
    assert from_file.n_nodes > 2000
    d_file, d_osmnx = common_distances(from_file, from_osmnx)
    assert np.isfinite(d_file).all() and d_file.max() > 3000
    np.testing.assert_array_equal(np.isfinite(d_osmnx), True)
    np.testing.assert_allclose(d_osmnx * OX_TO_OURS, d_file, rtol=1e-12, atol=1e-9)


@pytest.mark.shared
def test_osmnx_simplified_graph_of_hangzhou_gives_the_same_distances(hangzhou_walk, osmnx_graphs):
    """osmnx merges streets through nodes of degree two (also where two ways meet): fewer common nodes, same distances."""
    from_osmnx = network.graph_from_networkx(osmnx_graphs["simplified"], mode="walk")
    assert 1800 < from_osmnx.n_nodes < hangzhou_walk.n_nodes
    # two-way streets were folded: one edge per street, not one per direction
    # (osmnx lists one-way streets once: walking takes them both ways, there is nothing to fold)
    assert from_osmnx.edges["backward"].all() and from_osmnx.info["arcs_folded"] > 1900
    d_file, d_osmnx = common_distances(hangzhou_walk, from_osmnx)
    assert d_file.shape[1] > 1800
    np.testing.assert_allclose(d_osmnx * OX_TO_OURS, d_file, rtol=1e-12, atol=1e-9)


def walkable(attrs: dict) -> bool:
    """The walk recipe (networks/walk.toml), written out independently for the oracle."""
    highway = attrs.get("highway")
    include = {"trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
               "unclassified", "residential", "living_street", "service", "pedestrian", "footway", "path", "steps", "track",
               "road", "cycleway", "bridleway", "corridor", "elevator"}  # fmt: skip
    excluded = (
        attrs.get("foot") in ("no", "private") or attrs.get("access") in ("no", "private") or attrs.get("service") == "private" or attrs.get("area") == "yes"
    )
    return highway in include and (not excluded or attrs.get("foot") in ("yes", "designated", "permissive"))


@pytest.mark.shared
def test_networkx_dijkstra_on_osmnx_graph_agrees(osmnx_graphs):
    G = osmnx_graphs["raw"]
    streets = nx.Graph()  # walking: undirected, shortest of parallel edges
    for u, v, d in G.edges(data=True):
        if u != v and walkable(d) and d["length"] < streets.get_edge_data(u, v, {"length": np.inf})["length"]:
            streets.add_edge(u, v, length=d["length"])
    net = network.graph_from_networkx(G, mode="walk", largest_component=False)
    assert net.n_nodes == streets.number_of_nodes()
    ids = net.nodes["osmid"].to_numpy()
    for source in ids[:: len(ids) // 5][:5]:
        oracle = nx.single_source_dijkstra_path_length(streets, int(source), weight="length")
        ours = dist(net, source)
        reached = np.isfinite(ours)
        assert reached.sum() == len(oracle) > 1
        np.testing.assert_allclose(ours[reached], [oracle[int(i)] for i in ids[reached]], rtol=1e-12)


# ------------------------------------------------------------------------------- to_networkx


@pytest.mark.shared
@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_to_networkx_round_trip(mode, hangzhou_walk, hangzhou_drive):
    net = {"walk": hangzhou_walk, "drive": hangzhou_drive}[mode]
    G = network.to_networkx(net)
    assert G.graph["crs"] == "EPSG:4326" and G.graph["simplified"] is True
    assert G.number_of_nodes() == net.n_nodes
    assert G.number_of_edges() == int(net.edges["forward"].sum() + net.edges["backward"].sum())
    one_way = int((~(net.edges["forward"] & net.edges["backward"])).sum())
    assert (one_way > 50) == (mode == "drive")
    # osmnx reads it: edges as a GeoDataFrame, the geometry of every arc starts at its first node
    nodes, edges = ox.graph_to_gdfs(G)
    start = shapely.get_coordinates(shapely.get_point(edges.geometry.to_numpy(), 0))
    first = nodes.loc[edges.index.get_level_values("u"), ["x", "y"]].to_numpy()
    np.testing.assert_allclose(start, first, rtol=0, atol=1e-9)
    assert edges["oneway"].sum() == one_way
    back = network.graph_from_networkx(G, mode=mode)
    assert back.n_nodes == net.n_nodes
    # the same streets, but of parallel streets between two junctions only the shortest in each direction
    assert len({frozenset(k) for k in edge_rows(net)}) <= len(back.edges) < len(net.edges)
    assert shortest_arcs(back) == shortest_arcs(net)
    d_net, d_back = common_distances(net, back, n_sources=100)
    np.testing.assert_array_equal(d_back, d_net)
    # networkx's Dijkstra and osmnx's shortest path on the exported graph
    source, target = int(net.nodes["osmid"].iloc[0]), int(net.nodes["osmid"].iloc[-1])
    oracle = nx.single_source_dijkstra_path_length(G, source, weight="length")
    ours = dist(net, source)
    reached = np.isfinite(ours)
    assert len(oracle) == reached.sum()
    np.testing.assert_allclose([oracle[int(i)] for i in net.nodes["osmid"].to_numpy()[reached]], ours[reached], rtol=1e-12)
    route = ox.shortest_path(G, source, target, weight="length")
    assert route[0] == source and route[-1] == target
    assert sum(min(d["length"] for d in G[a][b].values()) for a, b in itertools.pairwise(route)) == pytest.approx(oracle[target])


def test_to_networkx_attaches_node_values_and_checks_them():
    G = toy_graph([*two_way(1, 2, 100.0, name="湖滨路"), (2, 3, {"length": 40.0})], nodes=3)
    net = network.graph_from_networkx(G, mode="bike", largest_component=False)
    values = pd.DataFrame({"park_dist_m": [10.0, 20.0, np.inf], "park_facility": ["p1", "p1", None]})
    G = network.to_networkx(net, node_values=values)
    assert dict(G.nodes[3]) == {"x": LON0 + 0.003, "y": LAT0, "street_count": 1, "park_dist_m": np.inf, "park_facility": None}
    assert G.nodes[2]["street_count"] == 2
    assert sorted((u, v, d["reversed"], d["oneway"], d.get("name")) for u, v, d in G.edges(data=True)) == [
        (1, 2, False, False, "湖滨路"),
        (2, 1, True, False, "湖滨路"),
        (2, 3, False, True, None),  # osmnx leaves out a tag the way does not have
    ]
    assert G.edges[2, 3, 0]["travel_time"] == pytest.approx(40.0 / net.mode.speed_m_s)
    with pytest.raises(errors.InputError, match="one row per network node"):
        network.to_networkx(net, node_values=values.iloc[:2])
    with pytest.raises(errors.InputError, match=r"\['x'\]"):
        network.to_networkx(net, node_values=values.rename(columns={"park_dist_m": "x"}))


# ------------------------------------------------------------------------------- a run, exported


@pytest.fixture(scope="module")
def small_run(small_data: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("nx_run") / "run"
    result = pipeline.run(small_data / "hangzhou_hubin.osm.pbf", goals=["park_10min"], options=pipeline.RunOptions(cache=False), out=out)
    return result, out


def test_run_export_carries_the_run_distances(small_run):
    result, out = small_run
    G = run_to_networkx(out)
    table = result.node_table("walk")
    net = result.modes["walk"].net
    assert G.number_of_nodes() == net.n_nodes and "park" in result.services
    for service in result.services:
        got = np.array([G.nodes[int(i)][f"{service}_dist_m"] for i in table["osmid"]])
        np.testing.assert_array_equal(got, table[f"{service}_dist_m"].to_numpy())
        ids = table[f"{service}_facility"]
        assert [G.nodes[int(i)][f"{service}_facility"] for i in table["osmid"]] == ids.astype(object).where(ids.notna(), None).tolist()
    park = np.array([G.nodes[int(i)]["park_dist_m"] for i in table["osmid"]])
    assert np.isfinite(park).mean() > 0.9
    used = set(result.facilities.loc[result.facility_mask("park"), "facility_id"])
    assert {G.nodes[n]["park_facility"] for n in G.nodes} - {None} <= used
    # a distance to the nearest park changes by at most the street's length from one end to the other
    for u, v, d in G.edges(data=True):
        du, dv = G.nodes[u]["park_dist_m"], G.nodes[v]["park_dist_m"]
        if np.isfinite(du):
            assert abs(du - dv) <= d["length"] + 1e-6
    # the in-memory result and the folder read back give the same graph
    again = run_to_networkx(read_run(out))
    assert nx.utils.graphs_equal(nx.Graph(G), nx.Graph(again))
    assert all(G.nodes[n]["park_dist_m"] == again.nodes[n]["park_dist_m"] for n in G.nodes)
    with pytest.raises(errors.InputError, match="no 'drive' network; its modes are \\['walk'\\]"):
        run_to_networkx(result, mode="drive")

"""Walls, water and rail that a walk to the street cannot cross; walled compounds; locked gates (issue 18, parts 1, 2 and 5)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility import network
from accessibility.network import barriers, distances, snapping
from accessibility.readers import osm

M = 1 / 111_320  # about a metre of latitude, in degrees
LON0, LAT0 = 120.0, 30.0


def feature_frame(rows):
    """A features frame as the OSM reader gives it: (osm_type, osm_id, tags, geometry)."""
    return pd.DataFrame(rows, columns=["osm_type", "osm_id", "tags", "geometry"])


def two_streets():
    """Street A 20 m north of the origin, street B 40 m south, both 200 m long (west-east)."""
    lon = [LON0 - 100 * M, LON0 + 100 * M, LON0 - 100 * M, LON0 + 100 * M, LON0 + 100 * M]
    lat = [LAT0 + 20 * M, LAT0 + 20 * M, LAT0 - 40 * M, LAT0 - 40 * M, LAT0 - 10 * M]
    # a connector 0-?: keep the two streets one network through a street along the east side
    return network.graph_from_arrays(lon, lat, [0, 2, 1], [1, 3, 3])


def wall(*coords, tags=None):
    return ("way", 1, tags or {"barrier": "wall"}, shapely.LineString(coords))


def test_a_resident_behind_a_wall_joins_the_street_on_its_side():
    net = two_streets()
    plain = snapping.EdgeIndex(net).snap_points(np.array([LON0]), np.array([LAT0]))
    assert plain.edge[0] == 0 and plain.snap_dist_m[0] == pytest.approx(20, abs=0.5)
    # a wall 10 m north of the resident, between it and street A
    walled = barriers.apply_barriers(net, feature_frame([wall((LON0 - 150 * M, LAT0 + 10 * M), (LON0 + 150 * M, LAT0 + 10 * M))]))
    s = snapping.EdgeIndex(walled).snap_points(np.array([LON0]), np.array([LAT0]))
    assert s.edge[0] == 1 and s.snap_dist_m[0] == pytest.approx(40, abs=0.5)
    assert s.barrier.tolist() == [snapping.AROUND]
    assert walled.info["quality"]["barrier_lines"] == {"wall": 1}


@pytest.mark.parametrize(
    "tags",
    [{"natural": "water"}, {"waterway": "canal"}, {"railway": "rail"}, {"barrier": "fence"}, {"barrier": "city_wall"}],
)
def test_water_rail_and_fences_block_too(tags):
    net = two_streets()
    walled = barriers.apply_barriers(net, feature_frame([wall((LON0 - 150 * M, LAT0 + 10 * M), (LON0 + 150 * M, LAT0 + 10 * M), tags=tags)]))
    assert snapping.EdgeIndex(walled).snap_points(np.array([LON0]), np.array([LAT0])).edge[0] == 1


@pytest.mark.parametrize("tags", [{"railway": "rail", "bridge": "yes"}, {"waterway": "canal", "tunnel": "culvert"}, {"barrier": "bollard"}])
def test_bridges_culverts_and_bollards_do_not_block(tags):
    net = two_streets()
    walled = barriers.apply_barriers(net, feature_frame([wall((LON0 - 150 * M, LAT0 + 10 * M), (LON0 + 150 * M, LAT0 + 10 * M), tags=tags)]))
    assert snapping.EdgeIndex(walled).snap_points(np.array([LON0]), np.array([LAT0])).edge[0] == 0


def test_walled_in_on_every_side_keeps_the_nearest_street_and_says_so():
    net = two_streets()
    ring = shapely.Point(LON0, LAT0).buffer(5 * M).exterior
    walled = barriers.apply_barriers(net, feature_frame([("way", 1, {"barrier": "wall"}, shapely.LineString(ring.coords))]))
    s = snapping.EdgeIndex(walled).snap_points(np.array([LON0]), np.array([LAT0]))
    assert s.edge[0] == 0 and s.barrier.tolist() == [snapping.ACROSS]


def test_a_point_facility_behind_a_wall_is_reached_from_its_side():
    net = two_streets()
    walled = barriers.apply_barriers(net, feature_frame([wall((LON0 - 150 * M, LAT0 + 10 * M), (LON0 + 150 * M, LAT0 + 10 * M))]))
    owner, s = snapping.EdgeIndex(walled).access_points(np.array([shapely.Point(LON0, LAT0)], dtype=object))
    assert owner.tolist() == [0] and s.edge.tolist() == [1]


# ---------------------------------------------------------------- compounds and gates


def compound_net():
    """A public street (0-1) along the south side of a 100 m square compound with an internal way 2-3 through a gate at 2."""
    lon = [LON0, LON0 + 100 * M, LON0 + 50 * M, LON0 + 50 * M]
    lat = [LAT0, LAT0, LAT0 + 5 * M, LAT0 + 80 * M]
    net = network.graph_from_arrays([*lon, LON0 + 50 * M], [*lat, LAT0], [0, 4, 4, 2], [4, 1, 2, 3])
    net.edges["highway"] = ["residential", "residential", "service", "service"]
    return net


SQUARE = shapely.box(LON0, LAT0 + 4 * M, LON0 + 100 * M, LAT0 + 104 * M)


@pytest.mark.parametrize(("share", "walled"), [(0.9, True), (0.6, True), (0.3, False)])
def test_a_residential_area_enclosed_by_walls_is_a_compound(share, walled):
    net = compound_net()
    outline = np.asarray(SQUARE.exterior.coords)
    along = shapely.LineString(outline).interpolate(np.linspace(0, share, 40), normalized=True)
    rows = [("way", 10, {"landuse": "residential"}, SQUARE), ("way", 11, {"barrier": "wall"}, shapely.LineString(along))]
    out = barriers.apply_barriers(net, feature_frame(rows))
    # the internal way 2-3 (its middle inside the square) is private when the area is walled; the street never
    assert out.edges["private"].tolist() == [False, False, False, walled]
    assert out.info["quality"]["walled_compounds"] == int(walled)


@pytest.mark.parametrize(("at", "access", "into"), [((50, 5), None, 1), ((50, 5), "private", 0), ((50, 60), None, 0)])
def test_the_gates_the_walk_passes_into_compounds_are_counted(at, access, into):
    """A passable gate where the compound's way meets the public one counts; a locked one, or one inside the compound, does not."""
    net = compound_net()
    outline = np.asarray(SQUARE.exterior.coords)
    along = shapely.LineString(outline).interpolate(np.linspace(0, 0.9, 40), normalized=True)
    gate = ("node", 20, {"barrier": "gate"} | ({"access": access} if access else {}), shapely.Point(LON0 + at[0] * M, LAT0 + at[1] * M))
    rows = [("way", 10, {"landuse": "residential"}, SQUARE), ("way", 11, {"barrier": "wall"}, shapely.LineString(along)), gate]
    q = barriers.apply_barriers(net, feature_frame(rows)).info["quality"]
    assert q["walled_compounds"] == 1 and q["gates_on_streets"] == 1
    assert q["gates_into_compounds"] == into


def test_a_closed_wall_way_is_itself_a_compound():
    net = compound_net()
    out = barriers.apply_barriers(net, feature_frame([("way", 12, {"barrier": "wall"}, SQUARE)]))
    assert out.edges["private"].tolist() == [False, False, False, True]


@pytest.mark.parametrize(("access", "cut"), [(None, False), ("yes", False), ("private", True), ("no", True)])
def test_locked_gates_are_not_passable(access, cut):
    net = compound_net()
    tags = {"barrier": "gate"} | ({"access": access} if access else {})
    gate = ("node", 20, tags, shapely.Point(LON0 + 50 * M, LAT0 + 40 * M))  # on the internal way 2-3
    out = barriers.apply_barriers(net, feature_frame([gate]))
    q = out.info["quality"]
    assert q["gates_on_streets"] == 1 and q["gates_locked"] == int(cut)
    assert len(out.edges) == (3 if cut else 4)
    if cut:  # the way beyond the gate is detached from the network and dropped
        assert q["nodes_detached_by_locked_gates"] == 1


def test_quality_facts_dead_ends_and_unmapped_sidewalks():
    net = compound_net()
    net.edges["sidewalk"] = np.array([network.graph.SIDEWALK_SEPARATE, 0, 0, 0], dtype=np.int8)
    q = barriers.apply_barriers(net, feature_frame([])).info["quality"]
    assert q["dead_ends"] == 3  # nodes 0, 1 and 3
    assert q["sidewalk_separate_streets"] == 1 and q["sidewalk_separate_unmapped"] == 1
    assert q["sidewalk_separate_unmapped_km"] == pytest.approx(0.05 * np.cos(np.radians(LAT0)), abs=0.002)  # 50 m of longitude


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(2, 4), st.sampled_from(["no", "private", "yes"])), min_size=1, max_size=4))
def test_unlocking_a_gate_never_lengthens_a_trip(gates):
    """Gates at random on the streets of a ring (not beside the facility's); unlocking one can only shorten trips to it."""
    k = 6
    ang = np.linspace(0, 2 * np.pi, k, endpoint=False)
    lon, lat = LON0 + 100 * M * np.cos(ang), LAT0 + 100 * M * np.sin(ang)
    net = network.graph_from_arrays(lon, lat, np.arange(k), (np.arange(k) + 1) % k)

    def node_costs(gate_list):
        rows = [("node", i, {"barrier": "gate", "access": a}, shapely.Point((lon[e] + lon[(e + 1) % k]) / 2, (lat[e] + lat[(e + 1) % k]) / 2))
                for i, (e, a) in enumerate(gate_list)]
        out = barriers.apply_barriers(net, feature_frame(rows))
        res = distances.nearest_facilities(distances.build_access_graph(out, np.array([0]), _edge_0_1(out)))
        cost = pd.Series(res.cost[: out.n_nodes], index=out.nodes["osmid"].to_numpy())
        return cost.reindex(range(k), fill_value=np.inf).to_numpy()

    locked = [i for i, (_, a) in enumerate(gates) if a != "yes"]
    if not locked:
        return
    before = node_costs(gates)
    opened = list(gates)
    opened[locked[0]] = (gates[locked[0]][0], "yes")
    after = node_costs(opened)
    assert (after <= before + 1e-9).all()


def _edge_0_1(out):
    """A facility halfway along the ring's street between its nodes 0 and 1 (never cut: no gate on it)."""
    osm_id = out.nodes["osmid"].to_numpy()
    ends = {tuple(sorted(p)) for p in zip(osm_id[out.edges["u"]], osm_id[out.edges["v"]], strict=True)}
    assert (0, 1) in ends
    e = int(np.flatnonzero(osm_id[out.edges["u"]] + osm_id[out.edges["v"]] == 1)[0])
    return snapping.Snapped(np.array([e]), np.array([0.5]), np.array([0.0]))


# ---------------------------------------------------------------- real data


def test_hangzhou_barriers_move_few_residents_and_keep_the_run_fast(hangzhou_pbf):
    net = network.graph_from_file(hangzhou_pbf)
    feat = osm.read_features(hangzhou_pbf, barriers.BARRIER_KEYS)
    out = barriers.apply_barriers(net, feat.frame)
    q = out.info["quality"]
    assert q["barrier_lines"].get("water", 0) > 30 and q["gates_on_streets"] > 5
    index = snapping.EdgeIndex(out)
    lon, lat = np.random.default_rng(3).uniform(*out.bounds()[::2], 3000), np.random.default_rng(4).uniform(*out.bounds()[1::2], 3000)
    s = index.snap_points(lon, lat)
    plain = snapping.EdgeIndex(net).snap_points(lon, lat)
    moved = s.edge != plain.edge
    # points whose link crossed something moved, and only those; none got nearer
    assert (s.barrier[moved] != snapping.DIRECT).all()
    assert (s.snap_dist_m >= plain.snap_dist_m - 1e-6).all()
    links = shapely.shortest_line(index.points(lon, lat), shapely.line_interpolate_point(index.geoms[s.edge], s.t, normalized=True))
    # the oracle: GEOS's crosses against every straight segment of the barrier lines
    lines = shapely.get_parts(index.project(out.barriers.geometry.to_numpy()))
    segments = shapely.linestrings([pair for g in lines for pair in itertools.pairwise(shapely.get_coordinates(g).tolist())])
    crossing = np.zeros(len(links), dtype=bool)
    crossing[shapely.STRtree(segments).query(links, predicate="crosses")[0]] = True
    assert not crossing[s.barrier != snapping.ACROSS].any()
    assert crossing[s.barrier == snapping.ACROSS].all()
    np.testing.assert_array_equal(index.barriers.crossing(links), crossing)


# ---------------------------------------------------------------- entrances (part 3)


def campus_streets():
    """A 100 m square campus between a street 10 m north of it (edge 0) and one 10 m south (edge 1), and a path into it from the south (edge 2)."""
    lon = [LON0 - 100 * M, LON0 + 200 * M, LON0 - 100 * M, LON0 + 200 * M, LON0 + 80 * M, LON0 + 80 * M]
    lat = [LAT0 + 110 * M, LAT0 + 110 * M, LAT0 - 10 * M, LAT0 - 10 * M, LAT0 - 10 * M, LAT0 + 30 * M]
    return network.graph_from_arrays(lon, lat, [0, 2, 4, 4], [1, 4, 5, 3])


CAMPUS = shapely.box(LON0, LAT0, LON0 + 100 * M, LAT0 + 100 * M)


def test_an_area_with_entrances_is_entered_only_there_and_where_paths_cross_its_outline():
    net = campus_streets()
    idx = snapping.EdgeIndex(net)
    _, s = idx.access_points(np.array([CAMPUS], dtype=object), reach_m=30.0)
    assert set(s.edge.tolist()) >= {0, 1}  # without entrances: along both streets
    gate = np.array([shapely.Point(LON0 + 30 * M, LAT0)], dtype=object)  # on the south side
    _, s = idx.access_points(np.array([CAMPUS], dtype=object), reach_m=30.0, entrances=gate)
    assert 0 not in s.edge.tolist()  # never from the north street, beyond the wall of the campus
    at_gate = s.edge == 1
    assert at_gate.sum() == 1 and s.snap_dist_m[at_gate][0] == pytest.approx(10, abs=0.5)
    on_path = s.edge == 2  # the path crossing the outline: entered where it crosses, with no walk
    assert on_path.sum() == 1 and s.snap_dist_m[on_path][0] == 0.0


def test_run_entrances_are_the_passable_gates():
    rows = [
        ("node", 1, {"barrier": "gate"}, shapely.Point(0, 0)),
        ("node", 2, {"barrier": "gate", "access": "private"}, shapely.Point(1, 1)),
        ("node", 3, {"entrance": "main"}, shapely.Point(2, 2)),
        ("way", 4, {"barrier": "gate"}, shapely.LineString([(0, 0), (1, 0)])),
    ]
    pts = barriers.entrance_points(feature_frame(rows))
    assert [(p.x, p.y) for p in pts] == [(0, 0), (2, 2)]


# ---------------------------------------------------------------- roads pedestrians may not use


def _osm_xml(path, motorway_tags):
    """Street A (way 1) 20 m north of the origin, an expressway (way 3) 10 m north, street B (way 2) 40 m south."""
    nodes = {1: (LON0 - 100 * M, LAT0 + 20 * M), 2: (LON0 + 100 * M, LAT0 + 20 * M), 3: (LON0 - 100 * M, LAT0 - 40 * M),
             4: (LON0 + 100 * M, LAT0 - 40 * M), 5: (LON0 - 150 * M, LAT0 + 10 * M), 6: (LON0 + 150 * M, LAT0 + 10 * M)}
    ways = {1: ([1, 2], {"highway": "residential"}), 2: ([3, 4], {"highway": "residential"}), 4: ([2, 4], {"highway": "residential"}),
            3: ([5, 6], {"highway": "motorway", **motorway_tags})}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [f'<node id="{i}" version="1" lat="{la:.9f}" lon="{lo:.9f}"/>' for i, (lo, la) in nodes.items()]
    for i, (refs, tags) in ways.items():
        lines.append(f'<way id="{i}" version="1">' + "".join(f'<nd ref="{r}"/>' for r in refs) + "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()) + "</way>")
    path.write_text("\n".join([*lines, "</osm>"]), encoding="utf-8")
    return path


@pytest.mark.parametrize(("tags", "blocked"), [({}, True), ({"bridge": "yes", "layer": "1"}, False)])
def test_a_ground_level_expressway_is_a_barrier(tmp_path, tags, blocked):
    net = network.graph_from_file(_osm_xml(tmp_path / "x.osm", tags))
    assert (net.barriers["kind"] == "road").sum() == int(blocked)
    out = barriers.apply_barriers(net, feature_frame([]))
    s = snapping.EdgeIndex(out).snap_points(np.array([LON0]), np.array([LAT0]))
    street = out.edges["osm_way_id"].to_numpy()[s.edge[0]]
    assert street == (2 if blocked else 1)

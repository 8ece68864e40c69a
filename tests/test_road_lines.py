"""Street networks from road line layers (Shapefile/GeoPackage/GeoDataFrame): a toy layer by hand, Xi'an against OSM."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from conftest import missing
from scipy.sparse import csgraph

from accessibility import errors
from accessibility.coords import chinacoords
from accessibility.coords.geodesy import haversine_m
from accessibility.network import RoadLayerInput, csr_from_arcs, graph_from_file, graph_from_lines
from accessibility.readers import roads

XIAN_ROADS = "xian_osm_roads_2017_geofabrik/rode_project.zip"
X0, Y0 = 300_000.0, 3_800_000.0  # EPSG:32649 (UTM 49N), near Xi'an: lon 108.8, lat 34.3

# --------------------------------------------------------------------------- the toy layer
#
#   (0,100) F2 (100,100)          G (unknown class, oneway T)
#      |F1        |B                 |
#   (0,0)---A----(100,0)----A----(200,0)----E (oneway F)----(300,0)
#            |C (crosses A)   |D bridge, layer 1       |K layer -1 (crosses E)
#
# metres from (X0, Y0); A has vertices at x = 0, 100, 200 only, so C crosses it between vertices.

TOY = [
    # fclass, name, oneway, bridge, layer, geometry
    ("residential", "甲路", "B", "F", 0, [(0, 0), (100, 0), (200, 0)]),
    ("residential", "乙路", "B", "F", 0, [(100, 0), (100, 100)]),
    ("residential", "丙路", "B", "F", 0, [(50, -50), (50, 50)]),
    ("primary", "丁桥", "B", "T", 1, [(150, -50), (150, 50)]),
    ("secondary", "戊路", "F", "F", 0, [(200, 0), (300, 0)]),
    ("footway", "", "B", "F", 0, [[(0, 0), (0, 100)], [(0, 100), (100, 100)]]),
    ("景观路", "", "T", "F", 0, [(200, 0), (200, 100)]),
    ("residential", "", "B", "F", -1, [(250, -50), (250, 50)]),
    ("residential", "", "B", "F", 0, None),  # empty geometry
    ("residential", "", "B", "F", 0, [(300, 100), (300, 100)]),  # no length
    ("residential", "", "B", "F", 0, "point"),  # not a line
]


def _geom(spec, x0: float = X0, y0: float = Y0):
    if spec is None:
        return shapely.LineString()
    if spec == "point":
        return shapely.Point(x0, y0)
    if isinstance(spec[0][0], tuple):
        return shapely.MultiLineString([[(x0 + x, y0 + y) for x, y in part] for part in spec])
    return shapely.LineString([(x0 + x, y0 + y) for x, y in spec])


def toy_frame(x0: float = X0, crs: str | None = "EPSG:32649") -> gpd.GeoDataFrame:
    cols = ["fclass", "name", "oneway", "bridge", "layer"]
    frame = pd.DataFrame([row[:5] for row in TOY], columns=cols)
    return gpd.GeoDataFrame(frame, geometry=[_geom(row[5], x0) for row in TOY], crs=crs)


@pytest.fixture(scope="module")
def toy_gpkg(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("roads") / "toy.gpkg"
    toy_frame().to_file(path, driver="GPKG")
    return path


def expected_length_m(coords: list[tuple[float, float]]) -> float:
    """Great-circle length of a toy line through its WGS-84 vertices on the 1e-7 degree grid (as the reader measures)."""
    tr = pyproj.Transformer.from_crs("EPSG:32649", "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(np.array([X0 + x for x, _ in coords]), np.array([Y0 + y for _, y in coords]))
    lon, lat = np.round(np.asarray(lon) * 1e7) / 1e7, np.round(np.asarray(lat) * 1e7) / 1e7
    return float(haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum())


def by_name(net, name: str) -> pd.DataFrame:
    return net.edges[net.edges["name"] == name]


# --------------------------------------------------------------------------- toy: counts and lengths by hand


def test_toy_shared_vertices_only(toy_gpkg):
    net = graph_from_lines(toy_gpkg, largest_component=False)
    # A splits at its shared vertex (100,0): 2; B, C, D, E, G, K: 1 each; F's two parts: 2
    assert len(net.edges) == 10
    assert len(by_name(net, "甲路")) == 2
    assert len(by_name(net, "丙路")) == 1  # crosses A between vertices: not joined
    assert sorted(by_name(net, "甲路")["length_m"]) == pytest.approx(
        sorted([expected_length_m([(0, 0), (100, 0)]), expected_length_m([(100, 0), (200, 0)])]), rel=1e-9
    )
    assert by_name(net, "甲路")["length_m"].to_numpy() == pytest.approx(100.0, rel=5e-3)  # and about 100 m
    lines = [part for *_, g in TOY[:8] for part in (g if isinstance(g[0][0], tuple) else [g])]
    assert net.edges["length_m"].sum() == pytest.approx(sum(expected_length_m(c) for c in lines), rel=1e-9)
    # the unknown class is walked as unclassified
    assert set(net.edges["highway"]) == {"residential", "primary", "secondary", "footway", "unclassified"}
    # (0,0) (100,0) (200,0) (300,0) (0,100) (100,100) (200,100) on the main part, 2 ends of each island C, D, K
    assert net.n_nodes == 7 + 3 * 2
    main = graph_from_lines(toy_gpkg)
    assert len(main.edges) == 7  # A 2, B 1, E 1, F 2, G 1; C, D, K are islands
    assert main.info["edges_dropped"] == 3
    assert main.info["source"] == "lines"


def test_toy_node_crossings(toy_gpkg):
    net = graph_from_lines(toy_gpkg, largest_component=False, node_crossings=True)
    # C crosses A at (50,0): A 3 pieces, C 2; D (bridge) and K (layer -1) cross without joining
    assert len(net.edges) == 12
    assert len(by_name(net, "甲路")) == 3
    assert len(by_name(net, "丙路")) == 2
    assert len(by_name(net, "丁桥")) == 1
    facts = net.info["road_layer"]
    assert (facts["crossings_noded"], facts["crossings_apart"]) == (1, 2)
    assert by_name(net, "甲路")["length_m"].sum() == pytest.approx(expected_length_m([(0, 0), (200, 0)]), rel=1e-6)
    main = graph_from_lines(toy_gpkg, node_crossings=True)
    assert len(main.edges) == 10  # C joined the main part; D and K stay islands
    assert any("joined at 1 crossing" in n and "2 crossings" in n for n in main.info["notes"])


def test_toy_one_way_and_drive(toy_gpkg):
    walk = graph_from_lines(toy_gpkg, largest_component=False)
    assert by_name(walk, "戊路")[["forward", "backward"]].to_numpy().tolist() == [[True, True]]
    drive = graph_from_lines(toy_gpkg, mode="drive", largest_component=False)
    assert "footway" not in set(drive.edges["highway"])
    e = by_name(drive, "戊路").iloc[0]
    assert (bool(e["forward"]), bool(e["backward"])) == (True, False)  # F: along the line only
    lon_u, lon_v = drive.nodes["lon"].to_numpy()[[e["u"], e["v"]]]
    assert lon_u < lon_v  # drawn west to east
    g = drive.edges[drive.edges["highway"] == "unclassified"].iloc[0]
    assert (bool(g["forward"]), bool(g["backward"])) == (False, True)  # Geofabrik T: against the line
    assert e["speed_m_s"] == pytest.approx(35 / 3.6)  # drive recipe: secondary 35 km/h


def test_toy_notes_count_what_was_left_out(toy_gpkg):
    ways, facts = roads.read_roads_report(RoadLayerInput(toy_gpkg))
    notes = " | ".join(ways.notes)
    assert "1 row without geometry left out (row 9)" in notes
    assert "1 row not lines (1 Point) left out (row 11)" in notes
    assert "1 row with no length" in notes and "(row 10)" in notes
    assert "'景观路' (1)" in notes and "taken as 'unclassified'" in notes
    assert facts["rows_left_out"] == {"not_lines_or_empty": 2, "not_placed": 0, "no_length": 1}
    assert facts["columns"]["class"] == "fclass"
    assert len(ways) == 9  # 8 lines, F in two parts
    # way ids are row numbers (no osm_id); F's parts share row 6; tags carry the source row
    assert ways.way_id.tolist() == [1, 2, 3, 4, 5, 6, 6, 7, 8]
    assert ways.tags[3] == {"highway": "primary", "name": "丁桥", "bridge": "yes", "layer": "1", "source_row": "4"}
    assert ways.tags[7] == {"highway": "unclassified", "oneway": "-1", "source_row": "7"}
    assert ways.tags[4]["oneway"] == "yes"
    # left out instead: no travel mode uses the class
    left = graph_from_lines(toy_gpkg, largest_component=False, unmapped_class=None)
    assert len(left.edges) == 9 and "unclassified" not in set(left.edges["highway"])


def test_toy_osm_ids_and_class_map(toy_gpkg):
    frame = toy_frame()
    frame["osm_id"] = [str(100 + i) for i in range(len(frame))]
    ways = roads.read_roads(RoadLayerInput(frame, class_map={"景观路": "residential"}))
    assert ways.way_id[:3].tolist() == [100, 101, 102]
    assert ways.tags[7]["highway"] == "residential"
    assert not any("class map" in n for n in ways.notes)
    frame["osm_id"] = "5"
    ways = roads.read_roads(RoadLayerInput(frame))
    assert ways.way_id[:3].tolist() == [1, 2, 3]
    assert any("'osm_id' does not hold unique" in n for n in ways.notes)


def test_planning_layer_with_chinese_columns():
    """A planning institute's layer: CGCS2000 lon/lat, class, one-way, speed and bridge columns named in Chinese."""
    lon0, lat0, d = 120.15, 30.25, 0.001
    frame = gpd.GeoDataFrame(
        {
            "道路名称": ["环城快速路", "延安路", "学院路", "小河支路", "河坊街", "滨河绿道", "景区路"],
            "道路等级": ["快速路", "主干路", "次干路", "支路", "步行街", "绿道", " 景区道路 "],
            "单行": ["否", "是", "", "反向", "否", "否", "否"],
            "限速": ["80km/h", "60", "", "30 公里/小时", "0", "", "fast"],
            "桥梁": ["是", "否", "否", "否", "否", "否", "否"],
        },
        geometry=[shapely.LineString([(lon0 + i * d, lat0), (lon0 + (i + 1) * d, lat0)]) for i in range(7)],
        crs="EPSG:4490",
    )
    ways, facts = roads.read_roads_report(RoadLayerInput(frame))
    assert facts["columns"] == {"class": "道路等级", "id": None, "name": "道路名称", "oneway": "单行", "speed": "限速", "bridge": "桥梁", "tunnel": None, "layer": None}
    assert [t["highway"] for t in ways.tags] == ["trunk", "primary", "secondary", "tertiary", "pedestrian", "path", "unclassified"]
    assert [t.get("oneway") for t in ways.tags] == [None, "yes", None, "-1", None, None, None]
    assert [t.get("maxspeed") for t in ways.tags] == ["80", "60", None, "30", None, None, None]
    assert ways.tags[0]["bridge"] == "yes" and "bridge" not in ways.tags[1]
    assert ways.tags[0]["name"] == "环城快速路"
    notes = " | ".join(ways.notes)
    assert "'景区道路' (1)" in notes and "'fast' (1)" in notes
    assert ways.lon[0] == pytest.approx(lon0) and ways.lat[0] == pytest.approx(lat0)  # CGCS2000 taken as WGS-84
    # all seven share end vertices: one street of 7 edges; the class map puts the scenic road among residential streets
    net = graph_from_lines(frame, class_map={"景区道路": "residential"})
    assert len(net.edges) == 7 and "unclassified" not in set(net.edges["highway"])
    # a Geofabrik layer (fclass) with only F and T one-ways: T is backward, not "true"
    geofabrik = gpd.GeoDataFrame({"fclass": ["primary"], "oneway": ["T"]}, geometry=[shapely.LineString([(lon0, lat0), (lon0 + d, lat0)])], crs="EPSG:4326")
    assert roads.read_roads(RoadLayerInput(geofabrik)).tags[0]["oneway"] == "-1"


def test_geodataframe_gives_the_same_network_as_the_file(toy_gpkg):
    a = graph_from_lines(toy_gpkg, node_crossings=True)
    b = graph_from_lines(toy_frame(), node_crossings=True)
    cols = ["u", "v", "length_m", "forward", "backward", "highway", "name", "osm_way_id"]
    pd.testing.assert_frame_equal(a.edges[cols], b.edges[cols])
    pd.testing.assert_frame_equal(a.nodes, b.nodes)
    assert a.info["path"].endswith("toy.gpkg") and "GeoDataFrame" in b.info["path"]


def test_gcj02_declared_layer_is_converted():
    wgs = toy_frame().to_crs("EPSG:4326")
    shifted = shapely.transform(wgs.geometry.to_numpy(), lambda xy: np.column_stack(chinacoords.wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    gcj = wgs.set_geometry(shifted)  # claims EPSG:4326, as AMap exports do
    a = graph_from_lines(wgs, largest_component=False)
    naive = graph_from_lines(gcj, largest_component=False)
    b = graph_from_lines(gcj, crs="gcj02", largest_component=False)
    assert len(a.nodes) == len(b.nodes) and len(a.edges) == len(b.edges)
    shift_m = haversine_m(a.nodes["lon"], a.nodes["lat"], b.nodes["lon"], b.nodes["lat"])
    assert shift_m.max() < 0.05  # the grid (1 cm), far within 1 m
    assert haversine_m(a.nodes["lon"], a.nodes["lat"], naive.nodes["lon"], naive.nodes["lat"]).min() > 100  # undeclared: off by the offset
    assert any("GCJ-02 and converted" in n for n in b.info["notes"])


# --------------------------------------------------------------------------- bad input


def test_bad_layers_get_clear_errors(tmp_path, toy_gpkg):
    with pytest.raises(errors.InputFileNotFoundError, match="road layer file not found"):
        graph_from_lines(tmp_path / "nothing.shp")
    points = gpd.GeoDataFrame({"fclass": ["primary"]}, geometry=[shapely.Point(X0, Y0)], crs="EPSG:32649")
    with pytest.raises(errors.InputError, match=r"holds no lines: its 1 feature are 1 Point"):
        graph_from_lines(points)
    with pytest.raises(errors.InputError, match=r"no coordinate reference system.*declare it"):
        graph_from_lines(toy_frame(crs=None))
    assert len(graph_from_lines(toy_frame(crs=None), crs=32649).edges) == 7  # declared as an EPSG number
    with pytest.raises(errors.InputError, match="unknown coordinate system 'mars'"):
        graph_from_lines(toy_gpkg, crs="mars")
    with pytest.raises(errors.InputError, match=r"not longitude/latitude, but WGS-84 was declared"):
        graph_from_lines(toy_frame(crs=None), crs="wgs84")
    europe = gpd.GeoDataFrame({"fclass": ["primary"]}, geometry=[shapely.LineString([(10, 50), (10.01, 50)])], crs="EPSG:4326")
    with pytest.raises(errors.InputError, match="no line of the road layer lies in mainland China"):
        graph_from_lines(europe, crs="gcj02")
    far_east = toy_frame(x0=900_000.0, crs=None)  # 400 km east of 114 E: not in CGCS2000 / 3-degree GK CM 114E's zone
    with pytest.raises(errors.InputError, match="outside the area where that CRS is used"):
        graph_from_lines(far_east, crs="EPSG:4547")
    with pytest.raises(errors.InputError, match=r"no column '道路等级' for the road class; its columns are \['fclass', 'name'"):
        graph_from_lines(toy_gpkg, class_column="道路等级")
    with pytest.raises(errors.InputError, match="cannot find the road-class column"):
        graph_from_lines(toy_frame().rename(columns={"fclass": "zzz"}))
    with pytest.raises(errors.InputError, match="must map to OSM highway values"):
        graph_from_lines(toy_gpkg, class_map={"景观路": "primay"})
    with pytest.raises(errors.InputError, match="unknown option"):
        graph_from_lines(toy_gpkg, clas_column="fclass")
    dots = gpd.GeoDataFrame({"fclass": ["primary"]}, geometry=[shapely.LineString([(X0, Y0), (X0 + 0.001, Y0)])], crs="EPSG:32649")
    with pytest.raises(errors.InputError, match="no line of the road layer has any length"):
        graph_from_lines(dots)
    footways = toy_frame().assign(fclass="footway")
    with pytest.raises(errors.InputError, match=r"usable for mode 'drive'.*class_map"):
        graph_from_lines(footways, mode="drive")


def test_content_key(toy_gpkg, tmp_path):
    key = roads.road_layer_key(RoadLayerInput(toy_gpkg))
    assert key == roads.road_layer_key(RoadLayerInput(str(toy_gpkg)))
    assert key != roads.road_layer_key(RoadLayerInput(toy_gpkg, node_crossings=True))
    copy = tmp_path / "renamed.gpkg"
    copy.write_bytes(toy_gpkg.read_bytes())
    assert key == roads.road_layer_key(RoadLayerInput(copy))  # content, not name
    assert roads.road_layer_key(RoadLayerInput(toy_frame())) == roads.road_layer_key(RoadLayerInput(toy_frame()))


# --------------------------------------------------------------------------- Xi'an: the Geofabrik shapefile against OSM


@pytest.fixture(scope="module")
def xian_zip(shared_data) -> Path:
    path = shared_data / XIAN_ROADS
    if not path.exists():
        missing(str(path))
    return path


@pytest.fixture(scope="module")
def xian_frame(xian_zip, tmp_path_factory) -> gpd.GeoDataFrame:
    """The layer read independently of the reader: pyogrio with the encoding SOURCES.md gives (GBK; the zip has no .shx)."""
    folder = tmp_path_factory.mktemp("xian")
    with zipfile.ZipFile(xian_zip) as zf:
        zf.extractall(folder)
    pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": "YES"})
    try:
        return pyogrio.read_dataframe(folder / "rode_project.shp", encoding="gbk")
    finally:
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})


def write_reference_osm(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """The same roads as an OSM file, written one vertex at a time (a reference independent of the reader).

    Nodes at the distinct vertices (WGS-84 rounded to 1e-7 degrees, the PBF precision), one way
    per line part with the Geofabrik class mapped to ``highway`` and B/F/T to ``oneway``.
    """
    wgs = frame.to_crs("EPSG:4326")
    highway = {**{f"track_grade{i}": "track" for i in range(1, 6)}, "unknown": "road"}
    oneway = {"F": "yes", "T": "-1"}
    ids: dict[tuple[int, int], int] = {}
    ways = []
    for geom, fclass, ow, name in zip(wgs.geometry, wgs["fclass"], wgs["oneway"], wgs["name"], strict=True):
        tags = {"highway": highway.get(fclass, fclass), **({"oneway": oneway[ow]} if ow in oneway else {}), **({"name": name} if isinstance(name, str) and name else {})}
        for part in getattr(geom, "geoms", [geom]):
            refs = [ids.setdefault((round(x * 1e7), round(y * 1e7)), len(ids) + 1) for x, y in part.coords]
            ways.append((refs, tags))
    with osmium.SimpleWriter(str(path)) as w:
        for (qx, qy), i in ids.items():
            w.add_node(osmium.osm.mutable.Node(id=i, location=(qx / 1e7, qy / 1e7), version=1))
        for j, (refs, tags) in enumerate(ways, start=1):
            w.add_way(osmium.osm.mutable.Way(id=j, nodes=refs, tags=tags, version=1))
    return path


@pytest.fixture(scope="module")
def xian_osm(xian_frame, tmp_path_factory) -> Path:
    return write_reference_osm(xian_frame, tmp_path_factory.mktemp("xian_osm") / "xian.osm.pbf")


def distances_from(net, sources: np.ndarray) -> np.ndarray:
    w = net.edge_weight("time" if net.mode.weight == "time" else "length")
    src, dst, cost = net.directed_arrays(w)
    return csgraph.dijkstra(csr_from_arcs(src, dst, cost, net.n_nodes), indices=sources)


@pytest.mark.shared
@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_xian_lines_match_the_same_roads_as_osm(xian_zip, xian_osm, mode):
    """The issue's acceptance test: the shapefile read as lines and the same roads as an OSM file give the same network."""
    lines = graph_from_lines(xian_zip, mode=mode)
    ref = graph_from_file(xian_osm, mode=mode)
    assert lines.info["road_layer"]["rows"] == 21_203
    assert lines.n_nodes == ref.n_nodes and len(lines.edges) == len(ref.edges)
    # ways in the same order give the edges in the same order
    np.testing.assert_allclose(lines.edges["length_m"], ref.edges["length_m"], rtol=1e-9)
    assert (lines.edges[["forward", "backward", "highway"]].to_numpy() == ref.edges[["forward", "backward", "highway"]].to_numpy()).all()
    # nodes are numbered differently (by position vs first use): match them by their coordinates
    key = lambda n: (np.round(n["lon"].to_numpy() * 1e7).astype(np.int64) << 32) + np.round(n["lat"].to_numpy() * 1e7).astype(np.int64)  # noqa: E731
    order = pd.Series(np.arange(ref.n_nodes), index=key(ref.nodes))
    to_ref = order.loc[key(lines.nodes)].to_numpy()
    sources = np.linspace(0, lines.n_nodes - 1, 5).astype(int)
    d_lines = distances_from(lines, sources)
    d_ref = distances_from(ref, to_ref[sources])[:, to_ref]
    assert np.array_equal(np.isfinite(d_lines), np.isfinite(d_ref))
    np.testing.assert_allclose(d_lines[np.isfinite(d_lines)], d_ref[np.isfinite(d_ref)], rtol=1e-6)
    assert np.isfinite(d_lines).all()  # the largest part: every node reached from every source


@pytest.mark.shared
def test_xian_gbk_names_and_geodataframe(xian_zip, xian_frame):
    net = graph_from_lines(xian_zip)
    names = set(net.edges["name"])
    assert "太白南路 / Taibai Nan Lu" in names
    assert sum("路" in n for n in names) > 500
    assert any("decoded as GBK" in n for n in net.info["notes"])
    facts = net.info["road_layer"]
    assert facts["crs"] == "EPSG:32649" and facts["unmapped_classes"] == {} and facts["oneway_convention"] == "geofabrik B/F/T"
    assert facts["ways"] == 21_203 + 5  # 5 MultiLineStrings of two parts
    same = graph_from_lines(xian_frame)
    pd.testing.assert_frame_equal(net.edges[["u", "v", "length_m", "name"]], same.edges[["u", "v", "length_m", "name"]])


@pytest.mark.shared
def test_xian_old_town_declared_gcj02(xian_frame):
    wgs = xian_frame.to_crs("EPSG:4326").cx[108.92:108.99, 34.24:34.29]
    assert len(wgs) > 1000
    gcj = wgs.set_geometry(shapely.transform(wgs.geometry.to_numpy(), lambda xy: np.column_stack(chinacoords.wgs84_to_gcj02(xy[:, 0], xy[:, 1]))))
    a = graph_from_lines(wgs)
    b = graph_from_lines(gcj, crs="gcj02")
    assert a.n_nodes == b.n_nodes and len(a.edges) == len(b.edges)
    assert haversine_m(a.nodes["lon"], a.nodes["lat"], b.nodes["lon"], b.nodes["lat"]).max() < 1.0
    np.testing.assert_allclose(a.edges["length_m"], b.edges["length_m"], rtol=1e-3, atol=0.05)


@pytest.mark.shared
def test_xian_node_crossings_join_only_at_grade(xian_zip):
    plain = graph_from_lines(xian_zip, mode="walk", largest_component=False)
    noded = graph_from_lines(xian_zip, mode="walk", largest_component=False, node_crossings=True)
    facts = noded.info["road_layer"]
    assert facts["crossings_noded"] > 0 and facts["crossings_apart"] > 100  # the motorway bridges
    assert len(noded.edges) > len(plain.edges)
    assert noded.edges["length_m"].sum() == pytest.approx(plain.edges["length_m"].sum(), rel=1e-6)

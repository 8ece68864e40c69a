"""The network cache, and the fast OSM reader and extract it is built from.

The reader tests compare ``osm.read_highways`` (libosmium writes OPL, pyarrow
parses it in bulk) with ``osmref.read_highways_loop`` (the per-node pyosmium
reference) array by array on real extracts and on a hand-made file with the
awkward cases: ways cut at the extract's edge, escaped tag text, ways
without nodes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import osmium
import osmref
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility import cli, config, errors, network

# --------------------------------------------------------------------------- the reader
from accessibility.network import cache
from accessibility.readers import extract, opl, osm, waytable
from accessibility.run import pipeline
from accessibility.run.inputs import RunOptions


def assert_way_tables_equal(a: osm.WayTable, b: osm.WayTable) -> None:
    assert len(a) == len(b)
    np.testing.assert_array_equal(a.way_id, b.way_id)
    assert a.tags == b.tags
    for name in ("offsets", "refs", "lon", "lat"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)  # exact: the same float64 values
    assert a.missing_nodes == b.missing_nodes


@pytest.mark.shared
@pytest.mark.parametrize("fixture", ["hangzhou_pbf", "hangzhou_bz2", "beijing_bz2"])
def test_fast_reader_equals_reference_reader(fixture, request):
    path = request.getfixturevalue(fixture)
    fast = osm.read_highways(path)
    assert len(fast) > 500
    assert_way_tables_equal(fast, osmref.read_highways_loop(path))


@settings(max_examples=100, deadline=None)
@given(counts=st.lists(st.integers(0, 4), min_size=1, max_size=40).filter(lambda c: max(c) >= 2))
def test_ways_with_every_location_are_kept_whole(counts):
    """A file whose nodes all have a location: its ways as read, those of fewer than two nodes left out, as the general split leaves them."""
    counts = np.asarray(counts, np.int64)
    n = int(counts.sum())
    rng = np.random.default_rng(len(counts))
    args = (Path("x.osm.pbf"), np.arange(10, 10 + len(counts)), [{"highway": str(i)} for i in range(len(counts))], counts,
            rng.integers(1, 50, n), rng.uniform(-180, 180, n), rng.uniform(-90, 90, n))
    whole = waytable._whole_ways(*args, ())
    assert_way_tables_equal(whole, waytable._way_pieces(*args, np.ones(n, bool), ()))
    assert whole.tags == [t for t, c in zip(args[2], counts, strict=True) if c >= 2]


@settings(max_examples=100, deadline=None)
@given(
    counts=st.lists(st.integers(0, 4), min_size=1, max_size=40),
    keep_seed=st.integers(0, 2**32 - 1),
    missing=st.sampled_from([0.0, 0.0, 0.1, 1.0]),
)
def test_street_ways_of_the_parsed_ways_as_the_split_makes_them(counts, keep_seed, missing):
    """:func:`waytable.way_table` (one gather when every location is valid) makes the table the general split makes from the kept ways, or raises as it does."""
    counts = np.asarray(counts, np.int64)
    n = int(counts.sum())
    rng = np.random.default_rng(keep_seed)
    lon, lat = rng.uniform(-180, 180, n), rng.uniform(-90, 90, n)
    lon[rng.random(n) < missing] = np.nan  # references without a location
    parsed = (np.arange(10, 10 + len(counts)), [{"highway": str(i)} for i in range(len(counts))], counts, rng.integers(1, 50, n), lon, lat)
    keep = rng.random(len(counts)) < 0.7
    try:
        way_ids, tags, kept_counts, refs, kept_lon, kept_lat = waytable.ways_subset(parsed, keep)
        expected = waytable._way_pieces(Path("x.osm.pbf"), way_ids, tags, kept_counts, refs, kept_lon, kept_lat, opl.valid_location(kept_lon, kept_lat), ())
    except errors.OSMDataError as exc:
        with pytest.raises(errors.OSMDataError, match=re.escape(str(exc))):
            waytable.way_table(Path("x.osm.pbf"), parsed, keep)
        return
    assert_way_tables_equal(waytable.way_table(Path("x.osm.pbf"), parsed, keep), expected)


_EDGE_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" version="1" lat="30.0" lon="120.0"/>
  <node id="2" version="1" lat="30.0000001" lon="120.001"/>
  <node id="3" version="1" lat="-30.5" lon="120.003"/>
  <node id="4" version="1" lat="30.0" lon="-120.004"/>
  <node id="6" version="1" lat="30.0" lon="179.9999999"/>
  <node id="7" version="1" lat="30.1" lon="120.1"><tag k="amenity" v="kindergarten"/></node>
  <way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="99"/><nd ref="3"/><nd ref="4"/><nd ref="98"/><nd ref="6"/>
    <tag k="highway" v="residential"/><tag k="name" v="西湖 路, a=b %x &quot;q&quot; é"/></way>
  <way id="2" version="1"><nd ref="97"/><nd ref="1"/><nd ref="4"/><nd ref="96"/><tag k="highway" v="footway"/><tag k="we ird=k,ey" v=""/></way>
  <way id="3" version="1"><tag k="highway" v="footway"/></way>
  <way id="4" version="1"><nd ref="95"/><tag k="highway" v="path"/></way>
  <way id="5" version="1"><nd ref="1"/><nd ref="1"/><tag k="highway" v="path"/></way>
  <way id="6" version="1"><nd ref="2"/><nd ref="3"/><tag k="waterway" v="river"/></way>
  <way id="7" version="1"><nd ref="2"/><nd ref="3"/><nd ref="2"/><tag k="highway" v="service"/></way>
</osm>
"""


_FEATURE_KEYS = ("amenity", "leisure", "healthcare", "social_facility", "building", "landuse", "natural")


def _assert_features_match_reference(fast: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    """Same features, tags and geometries as the libosmium-assembled reference; returns the extras."""
    key = ["osm_type", "osm_id"]
    assert not fast.duplicated(key).any()
    both = fast.merge(ref, on=key, how="outer", suffixes=("", "_ref"), indicator=True)
    assert (both["_merge"] != "right_only").all(), both.loc[both["_merge"] == "right_only", key]
    same = both[both["_merge"] == "both"]
    assert [dict(t) for t in same["tags"]] == [dict(t) for t in same["tags_ref"]]
    assert shapely.equals(same["geometry"].to_numpy(), same["geometry_ref"].to_numpy()).all()
    return both[both["_merge"] == "left_only"]


@pytest.mark.shared
@pytest.mark.parametrize("fixture", ["hangzhou_pbf", "beijing_bz2"])
def test_bulk_feature_reader_equals_reference_reader(fixture, request):
    path = request.getfixturevalue(fixture)
    fast = osm.read_features(path, _FEATURE_KEYS).frame
    assert len(fast) > 700
    if fixture == "beijing_bz2":  # Hangzhou's only keyed multipolygon is incomplete in the extract
        assert (fast["osm_type"] == "relation").sum() == 3
    extra = _assert_features_match_reference(fast, osmref.read_features_loop(path, _FEATURE_KEYS).frame)
    # the only extras are footprints whose rings libosmium rejects; they are repaired, not dropped
    assert len(extra) <= 3
    assert shapely.is_valid(extra["geometry"].to_numpy()).all()
    assert shapely.get_type_id(extra["geometry"].to_numpy()).tolist() == [6] * len(extra)  # MultiPolygon


_FEATURE_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" version="1" lat="30.000" lon="120.000"/>
  <node id="2" version="1" lat="30.000" lon="120.010"/>
  <node id="3" version="1" lat="30.010" lon="120.010"/>
  <node id="4" version="1" lat="30.010" lon="120.000"/>
  <node id="5" version="1" lat="30.004" lon="120.004"/>
  <node id="6" version="1" lat="30.004" lon="120.006"/>
  <node id="7" version="1" lat="30.006" lon="120.006"/>
  <node id="8" version="1" lat="30.006" lon="120.004"/>
  <node id="9" version="1" lat="30.02" lon="120.02"><tag k="amenity" v="clinic"/><tag k="name" v="社区 卫生, 服务=站"/></node>
  <node id="10" version="1" lat="30.03" lon="120.03"><tag k="shop" v="bakery"/></node>
  <way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/></way>
  <way id="2" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="5"/></way>
  <way id="3" version="1"><nd ref="1"/><nd ref="3"/><nd ref="2"/><nd ref="4"/><nd ref="1"/><tag k="building" v="yes"/></way>
  <way id="4" version="1"><nd ref="5"/><nd ref="6"/><nd ref="99"/><nd ref="5"/><tag k="building" v="house"/></way>
  <way id="5" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/><tag k="leisure" v="track"/></way>
  <way id="6" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="5"/><tag k="leisure" v="track"/><tag k="area" v="no"/></way>
  <way id="7" version="1"><nd ref="5"/><nd ref="5"/><tag k="building" v="yes"/></way>
  <way id="8" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
  <relation id="1" version="1"><member type="way" ref="1" role="outer"/><member type="way" ref="2" role="inner"/>
    <tag k="type" v="multipolygon"/><tag k="leisure" v="park"/></relation>
  <relation id="2" version="1"><member type="way" ref="1" role="outer"/><member type="way" ref="77" role="outer"/>
    <tag k="type" v="multipolygon"/><tag k="landuse" v="residential"/></relation>
  <relation id="3" version="1"><member type="way" ref="8" role=""/><tag k="type" v="route"/><tag k="amenity" v="x"/></relation>
  <relation id="4" version="1"><member type="way" ref="4" role="outer"/><tag k="type" v="multipolygon"/><tag k="amenity" v="school"/></relation>
</osm>
"""


def test_bulk_feature_reader_awkward_cases(tmp_path, caplog):
    path = tmp_path / "features.osm"
    path.write_text(_FEATURE_OSM, encoding="utf-8")
    with caplog.at_level("INFO", logger="accessibility.readers.osm"):
        f = osm.read_features(path, ("amenity", "leisure", "building", "landuse")).frame
    got = {(t, i): g for t, i, g in zip(f["osm_type"], f["osm_id"], f["geometry"], strict=True)}
    # point with escaped tags; open way -> line; area=no closed way -> line; park with a hole
    assert f.loc[f["osm_id"] == 9, "tags"].iloc[0]["name"] == "社区 卫生, 服务=站"
    assert got[("way", 5)].geom_type == "LineString" and got[("way", 6)].geom_type == "LineString"
    park = got[("relation", 1)]
    assert park.geom_type == "MultiPolygon" and len(park.geoms[0].interiors) == 1
    assert park.area == pytest.approx(0.01 * 0.01 - 0.002 * 0.002)
    # the bow-tie footprint is repaired (two triangles), not dropped
    assert got[("way", 3)].is_valid and got[("way", 3)].area == pytest.approx(0.5 * 0.01 * 0.01)
    # skipped and counted: a way with a node outside the extract, a one-point "line",
    # multipolygons with a missing member or a member's node missing; a route relation is no area; untagged/unkeyed objects are not features
    assert set(got) == {("node", 9), ("way", 3), ("way", 5), ("way", 6), ("relation", 1)}
    assert "4 features with missing nodes or broken geometry skipped" in caplog.text
    assert "1 polygons with invalid rings repaired" in caplog.text
    assert _assert_features_match_reference(f, osmref.read_features_loop(path, ("amenity", "leisure", "building", "landuse")).frame)["osm_id"].tolist() == [3]


def test_feature_reader_accepts_objects_out_of_file_order(tmp_path, caplog):
    """Tagged nodes after the ways and a relation before them (hand-edited exports) read as in a sorted file."""
    lines = _FEATURE_OSM.splitlines(keepends=True)
    tagged_nodes = [line for line in lines if '<node id="9"' in line or '<node id="10"' in line]
    rest = [line for line in lines if line not in tagged_nodes]
    first_way = next(i for i, line in enumerate(rest) if "<way " in line)
    last_way = max(i for i, line in enumerate(rest) if "<way " in line)
    rest[last_way + 1 : last_way + 1] = tagged_nodes  # nodes 9 and 10 after the ways
    shuffled = tmp_path / "shuffled.osm"
    shuffled.write_text("".join(rest[:first_way] + [('  <relation id="5" version="1"><member type="way" ref="2" role="outer"/>'
                                  '<tag k="type" v="multipolygon"/><tag k="leisure" v="garden"/></relation>\n')] + rest[first_way:]), encoding="utf-8")
    ordered = tmp_path / "ordered.osm"
    ordered.write_text(_FEATURE_OSM.replace("</osm>", '  <relation id="5" version="1"><member type="way" ref="2" role="outer"/>'
                                             '<tag k="type" v="multipolygon"/><tag k="leisure" v="garden"/></relation>\n</osm>'), encoding="utf-8")
    keys = ("amenity", "leisure", "building", "landuse", "shop")
    with caplog.at_level("INFO", logger="accessibility.readers.osm"):
        ways, got = osm.read_osm(shuffled, keys)
    assert "not in file order" in caplog.text  # read again, lines split by type
    caplog.clear()
    with caplog.at_level("INFO", logger="accessibility.readers.osm"):
        ways_sorted, want = osm.read_osm(ordered, keys)
    assert "not in file order" not in caplog.text
    assert_way_tables_equal(ways, ways_sorted)
    key = ["osm_type", "osm_id"]
    a, b = got.frame.sort_values(key, ignore_index=True), want.frame.sort_values(key, ignore_index=True)
    assert a[key].equals(b[key]) and a["tags"].tolist() == b["tags"].tolist()
    assert shapely.equals(a["geometry"].to_numpy(), b["geometry"].to_numpy()).all()
    assert {("node", 9), ("node", 10), ("relation", 5)} <= set(zip(a["osm_type"], a["osm_id"], strict=True))


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        (b"n1 T x1 y1\nn2 T x1 y1\nw1 T N\nw2 T N\nr1 T M\n", (22, 36)),
        (b"w1 T N\nr1 T M\n", (0, 7)),
        (b"n1 T x1 y1\nr1 T M\n", (11, 11)),
        (b"n1 T x1 y1\n", (11, 11)),
        (b"r1 T M\nr2 T M\n", (0, 0)),
        (b"", (0, 0)),
    ],
)
def test_opl_sections_are_found_across_read_blocks(tmp_path, text, bounds):
    path = tmp_path / "x.opl"
    path.write_bytes(text)
    for block in (1, 2, 3, 5, 1 << 20):  # a line start split between blocks is still found
        assert opl.section_starts(path, block=block) == bounds
    nodes, ways, relations = opl.sections(path)
    with ways:
        assert (nodes, relations) == (text[: bounds[0]], text[bounds[1] :])
        assert len(opl.parse_ways(ways)[0]) == text.count(b"w")


@pytest.mark.parametrize(
    "text",
    [
        b"n1 T x1 y1\nw1 T N\nn2 T x1 y1\n",  # a node after the ways
        b"w1 T N\nr1 T M\nw2 T N\n",  # a relation between ways
        b"r1 T M\nn1 T x1 y1\nw1 T N\n",  # a relation first
        b"n1 T x1 y1\nr1 T M\nn2 T x1 y1\n",
    ],
)
def test_opl_lines_out_of_order_are_detected_and_split_by_line(tmp_path, text):
    path = tmp_path / "x.opl"
    path.write_bytes(text)

    def read_in_file_order() -> None:  # the order is found out when splitting or when parsing
        _, ways, _ = opl.sections(path)
        with ways:
            opl.parse_ways(ways)

    with pytest.raises(opl.OutOfOrderError):
        read_in_file_order()
    path.write_bytes(text)
    nodes, ways, relations = opl.sections(path, by_line=True)
    lines = text.splitlines(keepends=True)
    assert nodes == b"".join(x for x in lines if x.startswith(b"n")) and relations == b"".join(x for x in lines if x.startswith(b"r"))
    with ways:
        assert len(opl.parse_ways(ways)[0]) == text.count(b"w")


def test_opl_ways_parsed_only_with_the_keys_and_every_block_seen(tmp_path):
    """``keys`` keeps the ways having any of them (a key at the start of the tags or after a comma, never a value
    or a longer key); ``each_block`` sees every line first. A key OPL escapes (a space) is tested on the decoded tags."""
    path = tmp_path / "w.opl"
    path.write_text(
        "w1 Tbuilding=yes Nn1x1.5y2.5,n2x1.6y2.6\n"
        "w2 Tname=building,rebuilding=yes,note=x%3d%building Nn1x1.5y2.5,n3x1.7y2.7\n"  # a value, a longer key, after an escaped "="
        "w3 T Nn4x1y1,n5x2y2\n"  # untagged
        "w4 Tbuilding:levels=3,highway=path Nn6xy,n7x1y1\n"
        "w5 Tmy%20%key=1 Nn8x1y1,n9x2y2\n"
        "w6 Tbuilding:levels=2 Nn8x1y1,n9x2y2\n",
        encoding="utf-8",
    )
    seen = []
    way_id, tags, counts, refs, lon, lat = opl.parse_ways(path, keys=("building", "highway"), each_block=lambda b: seen.extend(b.column("w").to_pylist()))
    assert way_id.tolist() == [1, 4] and tags[1] == {"building:levels": "3", "highway": "path"}
    assert counts.tolist() == [2, 2] and refs.tolist() == [1, 2, 6, 7] and np.isnan(lon[2]) and lat[3] == 1.0
    assert seen == ["w1", "w2", "w3", "w4", "w5", "w6"]
    assert opl.parse_ways(path, keys=("my key", "building:levels"))[0].tolist() == [4, 5, 6]
    assert len(opl.parse_ways(path, keys=())[0]) == 0 and len(opl.parse_ways(path)[0]) == 6


@pytest.fixture
def edge_osm(tmp_path) -> Path:
    path = tmp_path / "edge.osm"
    path.write_text(_EDGE_OSM, encoding="utf-8")
    return path


def test_fast_reader_awkward_cases(edge_osm):
    fast = osm.read_highways(edge_osm)
    assert_way_tables_equal(fast, osmref.read_highways_loop(edge_osm))
    # way 1 is cut twice: pieces 1-2 and 3-4 kept, the lone node 6 dropped
    assert fast.way_id.tolist() == [1, 1, 2, 5, 7]
    assert fast.refs[: fast.offsets[2]].tolist() == [1, 2, 3, 4]
    assert fast.tags[0]["name"] == '西湖 路, a=b %x "q" é'
    assert fast.tags[2] == {"highway": "footway", "we ird=k,ey": ""}
    assert fast.missing_nodes == 5
    assert fast.lon[fast.refs == 4][0] == -120.004 and fast.lat[1] == 30.0000001


def test_fast_reader_errors(tmp_path):
    river = tmp_path / "river.osm"
    river.write_text('<?xml version="1.0"?><osm version="0.6"><node id="1" version="1" lat="1" lon="1"/></osm>', encoding="utf-8")
    with pytest.raises(osm.errors.OSMDataError, match="no highway"):
        osm.read_highways(river)
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(np.random.default_rng(1).bytes(3000))
    with pytest.raises(osm.errors.OSMDataError, match=re.escape("bad.osm.pbf")):
        osm.read_highways(bad)


# --------------------------------------------------------------------------- extract


def _objects(path: Path) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {"n": set(), "w": set(), "r": set()}
    for o in osmium.FileProcessor(str(path)):
        out[o.type_str()].add(o.id)
    return out


@pytest.mark.shared
def test_extract_bbox_keeps_whole_ways_and_multipolygons(hangzhou_pbf, tmp_path):
    everything = tmp_path / "all.osm.pbf"
    counts = extract.extract_bbox(hangzhou_pbf, (100, 0, 140, 50), everything)
    # a box around the whole extract keeps every way and relation, and the same network
    src = _objects(hangzhou_pbf)
    got = _objects(everything)
    assert got["w"] == src["w"] and got["r"] == src["r"] and counts["ways"] == len(src["w"])
    b = osm.read_highways(hangzhou_pbf)
    assert_way_tables_equal(osm.read_highways(everything), b)

    box = (120.14, 30.25, 120.16, 30.27)
    part = tmp_path / "part.osm.pbf"
    extract.extract_bbox(hangzhou_pbf, box, part)
    ways = osm.read_highways(part)
    assert 0 < len(ways) < len(b)
    assert ways.missing_nodes == 0  # whole ways: every node of a kept way is kept
    inside = (ways.lon >= box[0]) & (ways.lon <= box[2]) & (ways.lat >= box[1]) & (ways.lat <= box[3])
    way_of = np.repeat(np.arange(len(ways)), np.diff(ways.offsets))
    assert np.bincount(way_of, weights=inside, minlength=len(ways)).min() >= 1  # each touches the box
    # every highway of the source touching the box is kept
    src_inside = (b.lon >= box[0]) & (b.lon <= box[2]) & (b.lat >= box[1]) & (b.lat <= box[3])
    src_way_of = np.repeat(np.arange(len(b)), np.diff(b.offsets))
    assert set(b.way_id[np.unique(src_way_of[src_inside])]) <= set(ways.way_id)
    # kept multipolygons keep all their member ways (so parks stay closed)
    rels = {}
    for o in osmium.FileProcessor(str(part), osmium.osm.RELATION):
        if o.tags.get("type") == "multipolygon":
            rels[o.id] = [m.ref for m in o.members if m.type == "w"]
    kept_ways = _objects(part)["w"]
    assert all(set(m) <= kept_ways for m in rels.values())
    assert not list(tmp_path.glob(".*part*"))  # written atomically


def test_boxes_selected_in_one_read_give_the_same_extracts(hangzhou_pbf, tmp_path):
    boxes = [(120.14, 30.25, 120.16, 30.27), (120.10, 30.23, 120.13, 30.26), (0, 0, 1, 1), (100, 0, 140, 50)]
    chosen = extract.select_boxes(hangzhou_pbf, boxes)
    assert chosen is not None and len(chosen) == len(boxes)
    for i, (box, ids) in enumerate(zip(boxes, chosen, strict=True)):
        alone, together = tmp_path / f"alone{i}.osm.pbf", tmp_path / f"together{i}.osm.pbf"
        assert extract.extract_bbox(hangzhou_pbf, box, alone) == extract.extract_selection(hangzhou_pbf, ids, box, together)
        assert alone.read_bytes() == together.read_bytes()
    assert len(chosen[2][1]) == 0 and len(chosen[3][1]) == len(_objects(hangzhou_pbf)["w"])


def test_extract_bbox_outside_everything_is_empty(edge_osm, tmp_path):
    out = tmp_path / "none.osm.pbf"
    counts = extract.extract_bbox(edge_osm, (0, 0, 1, 1), out)
    assert counts == {"nodes": 0, "ways": 0, "relations": 0}
    assert out.is_file()


# --------------------------------------------------------------------------- the cache


def assert_networks_equal(a: network.Network, b: network.Network) -> None:
    pd.testing.assert_frame_equal(a.nodes, b.nodes)
    ea = pd.DataFrame(a.edges.drop(columns="geometry"))
    eb = pd.DataFrame(b.edges.drop(columns="geometry"))
    pd.testing.assert_frame_equal(ea, eb)
    assert a.edges.crs == b.edges.crs
    assert shapely.equals_exact(a.edges.geometry.to_numpy(), b.edges.geometry.to_numpy(), tolerance=0).all()
    assert a.mode == b.mode
    assert (a.barriers is None) == (b.barriers is None)
    if a.barriers is not None:
        pd.testing.assert_frame_equal(pd.DataFrame(a.barriers.drop(columns="geometry")), pd.DataFrame(b.barriers.drop(columns="geometry")))
        assert shapely.equals_exact(a.barriers.geometry.to_numpy(), b.barriers.geometry.to_numpy(), tolerance=0).all()


@pytest.mark.shared
@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_cache_round_trip_equals_fresh_build(hangzhou_pbf, tmp_path, mode):
    fresh = network.graph_from_file(hangzhou_pbf, mode=mode)
    cold = cache.load_or_build(hangzhou_pbf, mode, cache_dir=tmp_path)
    warm = cache.load_or_build(hangzhou_pbf, mode, cache_dir=tmp_path)
    assert cold.info["cache"] == "stored" and warm.info["cache"] == "hit"
    # the boxes stored for a rerun's index around a few places are those of the coordinates
    assert "_bounds" in warm.edge_coords().__dict__
    assert np.array_equal(warm.edge_coords().bounds(), fresh.edge_coords().bounds(), equal_nan=True)
    assert_networks_equal(cold, fresh)
    assert_networks_equal(warm, fresh)
    info = {k: v for k, v in warm.info.items() if not k.startswith("cache")}
    assert info == fresh.info
    entry = Path(warm.info["cache_entry"])
    walls = ["barriers.parquet"] if mode == "walk" else []  # roads a pedestrian may not use, for the walk network
    assert sorted(p.name for p in entry.iterdir()) == [*walls, "edge_bounds.npy", "edge_coords.npy", "edge_offsets.npy", "edges.parquet", "meta.json", "nodes.parquet"]
    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    assert meta["parts"]["osm_sha256"] == cache.file_sha256(hangzhou_pbf)
    assert meta["parts"]["recipe"]["id"] == mode and meta["parts"]["largest_component"] is True
    assert not [p for p in entry.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left


def _toy_osm(path: Path, shift: float = 0.0) -> Path:
    nodes = {1: (120.0, 30.0), 2: (120.001, 30.0), 3: (120.002, 30.001), 4: (120.01, 30.01), 5: (120.011, 30.01)}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    lines += [f'<node id="{i}" version="1" lat="{la}" lon="{lo + shift}"/>' for i, (lo, la) in nodes.items()]
    lines.append('<way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>')
    lines.append('<way id="2" version="1"><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_cache_key_follows_content_not_name(tmp_path):
    d = tmp_path / "cache"
    a = _toy_osm(tmp_path / "a.osm")
    same = _toy_osm(tmp_path / "copy_of_a.osm")
    moved = _toy_osm(tmp_path / "b.osm", shift=0.5)
    assert cache.network_key(a) == cache.network_key(same)
    assert cache.network_key(a) != cache.network_key(moved)
    assert cache.network_key(a) != cache.network_key(a, largest_component=False)
    assert cache.network_key(a, "walk") != cache.network_key(a, "bike")
    first = cache.load_or_build(a, cache_dir=d)
    again = cache.load_or_build(same, cache_dir=d)  # same bytes, other name: a hit
    assert first.info["cache"] == "stored" and again.info["cache"] == "hit"
    assert again.info["source"] == str(same)
    other = cache.load_or_build(moved, cache_dir=d)
    assert other.info["cache"] == "stored"
    assert other.nodes["lon"].min() == pytest.approx(120.5)
    small = cache.load_or_build(a, cache_dir=d, largest_component=False)
    assert small.info["cache"] == "stored" and small.n_nodes == 4 and first.n_nodes == 2


def test_cache_key_follows_recipe_content(tmp_path):
    a = _toy_osm(tmp_path / "a.osm")
    walk = config.load_mode("walk")
    text = Path(walk.source).read_text(encoding="utf-8")
    edited = tmp_path / "walk.toml"
    assert "speed_m_s = 1.0" in text
    edited.write_text(text.replace("speed_m_s = 1.0", "speed_m_s = 1.1", 1), encoding="utf-8")
    slower = config.load_mode(edited)
    assert slower != walk
    assert cache.network_key(a, walk) != cache.network_key(a, slower)
    # the same recipe content from another path is the same key
    copy = tmp_path / "copy" / "walk.toml"
    copy.parent.mkdir()
    copy.write_text(text, encoding="utf-8")
    assert cache.network_key(a, config.load_mode(copy)) == cache.network_key(a, walk)


def test_cache_off_and_damaged_entry(tmp_path):
    a = _toy_osm(tmp_path / "a.osm")
    d = tmp_path / "cache"
    off = cache.load_or_build(a, cache_dir=False)
    assert off.info["cache"] == "off" and not d.exists()
    built = cache.load_or_build(a, cache_dir=d)
    entry = Path(built.info["cache_entry"])
    (entry / "edges.parquet").write_bytes(b"not parquet")
    rebuilt = cache.load_or_build(a, cache_dir=d)
    assert rebuilt.info["cache"] == "stored"
    assert_networks_equal(rebuilt, built)
    assert cache.load_or_build(a, cache_dir=d).info["cache"] == "hit"


def test_cache_store_twice_keeps_one_entry(tmp_path):
    a = _toy_osm(tmp_path / "a.osm")
    net = cache.load_or_build(a, cache_dir=False)
    c = cache.NetworkCache(tmp_path / "cache")
    key = cache.network_key(a)
    parts = cache.key_parts(cache.file_sha256(a), net.mode, True)
    first = c.store(key, net, parts)
    second = c.store(key, net, parts)  # a concurrent writer finishing second: no error, one entry
    assert first == second and (first / "meta.json").is_file()
    assert [p.name for p in first.parent.iterdir()] == [key]


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "mine"))
    assert cache.default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(cache.CACHE_ENV)
    # in a source checkout: networks/cache (git-ignored)
    assert cache.default_cache_dir() == Path(cache.__file__).resolve().parents[2] / "networks" / "cache"


@pytest.mark.shared
def test_feature_cache_equals_fresh_read(hangzhou_pbf, tmp_path):
    keys = ("amenity", "leisure", "building", "landuse")
    fresh = osm.read_features(hangzhou_pbf, keys).frame
    for _ in range(2):  # stored, then loaded
        got = cache.load_or_read_features(hangzhou_pbf, keys, cache_dir=tmp_path).frame
        assert list(got.columns) == list(fresh.columns) and got.dtypes.to_dict() == fresh.dtypes.to_dict()
        np.testing.assert_array_equal(got["osm_type"].to_numpy(), fresh["osm_type"].to_numpy())
        np.testing.assert_array_equal(got["osm_id"].to_numpy(), fresh["osm_id"].to_numpy())
        assert list(got["tags"]) == list(fresh["tags"])
        # rows with the same tags share one dict, read from the file or from the cache
        assert len({id(t) for t in got["tags"]}) == len({id(t) for t in fresh["tags"]}) < len(fresh) / 2
        assert shapely.equals_exact(got["geometry"].to_numpy(), fresh["geometry"].to_numpy(), tolerance=0).all()
    entries = list(tmp_path.glob("*/features-*"))
    assert len(entries) == 1 and (entries[0] / "features.parquet").is_file()
    # other keys: another entry; the key order does not matter
    cache.load_or_read_features(hangzhou_pbf, ("leisure", "amenity"), cache_dir=tmp_path)
    cache.load_or_read_features(hangzhou_pbf, ("amenity", "leisure"), cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*/features-*"))) == 2


@pytest.mark.shared
def test_pipeline_reuses_cached_network(hangzhou_pbf, tmp_path):
    d = tmp_path / "cache"
    first = pipeline.run(hangzhou_pbf, options=RunOptions(cache=d), goals=["park_10min"])
    second = pipeline.run(hangzhou_pbf, options=RunOptions(cache=d), goals=["park_10min"])
    assert first.manifest["modes"]["walk"]["cache"] == "stored"
    assert second.manifest["modes"]["walk"]["cache"] == "hit"
    assert list(d.glob("*/features-*/features.parquet"))  # the OSM features were cached too
    assert first.goal("park_10min").to_dict() == second.goal("park_10min").to_dict()
    assert_networks_equal(first.modes["walk"].net, second.modes["walk"].net)
    off = pipeline.run(hangzhou_pbf, options=RunOptions(cache=False), goals=["park_10min"])
    assert off.manifest["modes"]["walk"]["cache"] == "off"
    assert off.goal("park_10min").share == first.goal("park_10min").share


def test_failed_background_cache_write_is_logged_not_raised(hangzhou_pbf, tmp_path, monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cache, "_store_features", broken)
    with caplog.at_level("ERROR", logger="accessibility.network.cache"):
        res = pipeline.run(hangzhou_pbf, options=RunOptions(cache=tmp_path), goals=["park_10min"])
    assert res.goal("park_10min").share is not None
    assert "writing the cache failed" in caplog.text and "disk on fire" in caplog.text
    assert res.manifest["modes"]["walk"]["cache"] == "stored"  # the network entry was still written
    assert not list(tmp_path.glob("*/features-*/features.parquet"))


def test_cli_cache_options():
    parser = cli.parser()
    args = parser.parse_args(["run", "--osm", "x.osm.pbf", "--out", "o", "--cache", "/tmp/c"])
    assert cli.commands.cache_arg(args) == "/tmp/c"
    args = parser.parse_args(["run", "--osm", "x.osm.pbf", "--out", "o", "--no-cache"])
    assert cli.commands.cache_arg(args) is False
    args = parser.parse_args(["run", "--osm", "x.osm.pbf", "--out", "o"])
    assert cli.commands.cache_arg(args) is None
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--osm", "x", "--out", "o", "--cache", "d", "--no-cache"])


def test_cache_env_var_is_honoured_by_pipeline_default(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "envcache"))
    a = _toy_osm(tmp_path / "a.osm")
    net = cache.load_or_build(a)
    assert Path(net.info["cache_entry"]).is_relative_to(tmp_path / "envcache")
    assert any((tmp_path / "envcache").iterdir())


@pytest.mark.shared
def test_one_pass_reader_equals_separate_readers(hangzhou_pbf):
    keys = ("amenity", "leisure", "building", "highway")  # a key shared with the streets, too
    ways, features = osm.read_osm(hangzhou_pbf, keys)
    assert_way_tables_equal(ways, osm.read_highways(hangzhou_pbf))
    alone = osm.read_features(hangzhou_pbf, keys).frame
    assert features.frame[["osm_type", "osm_id"]].equals(alone[["osm_type", "osm_id"]])
    assert features.frame["tags"].tolist() == alone["tags"].tolist()
    assert shapely.equals(features.frame["geometry"].to_numpy(), alone["geometry"].to_numpy()).all()
    assert (features.frame["tags"].map(lambda t: "highway" in t)).any()


@pytest.mark.shared
def test_cold_run_reads_the_file_once_then_uses_the_cache(hangzhou_pbf, tmp_path, monkeypatch):
    calls = []
    real = osm.read_osm_deferred
    monkeypatch.setattr(osm, "read_osm_deferred", lambda *a, **k: calls.append(k) or real(*a, **k))
    keys = ("amenity", "building")
    _nets, features = cache.load_or_read(hangzhou_pbf, ["walk", "drive"], keys, footprint_keys=("building",), cache_dir=tmp_path)
    assert calls == [{"highways": True, "footprint_keys": ("building",)}] and len(features.footprints) > 1000
    again, cached = cache.load_or_read(hangzhou_pbf, ["walk", "drive"], keys, footprint_keys=("building",), cache_dir=tmp_path)
    assert len(calls) == 1 and again["walk"].info["cache"] == "hit"
    assert cached.frame["osm_id"].tolist() == features.frame["osm_id"].tolist()
    pd.testing.assert_frame_equal(cached.footprints.to_frame(), features.footprints.to_frame())
    # only the features missing: the streets are not parsed again
    cache.load_or_read(hangzhou_pbf, ["walk"], ("leisure",), cache_dir=tmp_path)
    assert calls[-1] == {"highways": False, "footprint_keys": ()}
    pipeline.run(hangzhou_pbf, options=RunOptions(cache=False))
    assert calls[-1] == {"highways": True, "footprint_keys": ("building",)} and len(calls) == 3

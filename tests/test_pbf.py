"""The compiled PBF reader (:mod:`accessibility.readers.pbf`) reads exactly what libosmium reads.

Every comparison is against the libosmium pass the package used before
(``osm._one_pass``: libosmium writes OPL text, pyarrow parses it), on real
extracts, on files written block by block by ``tests/pbfwrite.py`` (mixed
blocks, plain nodes, raw blocks, other granularities), and on random small
datasets (hypothesis). Files it leaves to libosmium (unsorted, negative ids,
impossible locations, history, damage) give None, and the readers still read
them as before.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pbfwrite import write_pbf

from accessibility import errors
from accessibility.readers import opl, osm, pbf
from accessibility.readers import pbfdecode as dec

TESTS = Path(__file__).resolve().parent
FEATURE_KEYS = ("amenity", "leisure", "healthcare", "building", "landuse")
WAY_KEYS = ("highway", *FEATURE_KEYS)


@pytest.fixture(autouse=True)
def _compiled_reader_for_every_size(monkeypatch):
    """The readers leave files under 8 MB to libosmium (faster there); these tests read small files with the compiled reader."""
    monkeypatch.setattr(osm, "COMPILED_MIN_BYTES", 0)


def same_pass(path: Path, keys: tuple[str, ...] = FEATURE_KEYS, way_keys: tuple[str, ...] = WAY_KEYS) -> tuple:
    """Read ``path`` both ways; assert the compiled reader took it and gave libosmium's results to the last bit."""
    fast = osm._fast_pass(path, keys, way_keys)
    assert fast is not None, f"{path} was left to libosmium"
    slow = osm._one_pass(path, keys, way_keys)
    for i, (a, b) in enumerate(zip(fast[2], slow[2], strict=True)):
        if i == 1:
            assert a == b  # tag dicts, in order
        else:
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)  # NaN (no location) equal to NaN
    for part_fast, part_slow in zip(fast[:2], slow[:2], strict=True):
        assert (part_fast is None) == (part_slow is None)
        if part_fast is None:
            continue
        assert part_fast.keys() == part_slow.keys()
        for name, value in part_fast.items():
            if name == "geometry":
                assert len(value) == len(part_slow[name])
                assert shapely.equals_exact(value, part_slow[name], tolerance=0).all()
            elif isinstance(value, np.ndarray):
                np.testing.assert_array_equal(value, part_slow[name])
            elif name == "lonlat":  # the tagged nodes' coordinates, to the bit
                for a, b in zip(value, part_slow[name], strict=True):
                    np.testing.assert_array_equal(a, b)
            else:
                assert value == part_slow[name], name
    return fast


def test_real_extracts_read_as_libosmium_reads_them(hangzhou_pbf):
    """The small Hubin clip (libosmium's blocks) and the shared Hangzhou extract (mixed blocks: nodes, ways, relations in one)."""
    for path in (TESTS / "data" / "hangzhou_hubin.osm.pbf", hangzhou_pbf):
        nodes, _, ways = same_pass(path)
        assert len(ways[0]) > 300 and len(nodes["id"]) > 50
        same_pass(path, (), ("highway",))


def test_the_readers_take_the_compiled_path_for_pbf_files(monkeypatch):
    """read_osm reads a PBF file without libosmium's pass (which would fail here), to the same streets and features."""
    path = TESTS / "data" / "hangzhou_hubin.osm.pbf"
    ways_slow, features_slow = osm.read_osm(path, ["amenity", "leisure"])

    def no_libosmium(*args):
        raise AssertionError("libosmium's pass was used")

    monkeypatch.setattr(osm, "_one_pass", no_libosmium)
    ways, features = osm.read_osm(path, ["amenity", "leisure"])
    for name in ("way_id", "offsets", "refs", "lon", "lat"):
        np.testing.assert_array_equal(getattr(ways, name), getattr(ways_slow, name))
    assert ways.tags == ways_slow.tags
    assert features.frame["osm_id"].tolist() == features_slow.frame["osm_id"].tolist()
    assert features.frame["tags"].tolist() == features_slow.frame["tags"].tolist()


def test_small_files_are_left_to_libosmium(monkeypatch):
    monkeypatch.setattr(osm, "COMPILED_MIN_BYTES", 8 << 20)
    assert osm._fast_pass(TESTS / "data" / "hangzhou_hubin.osm.pbf", ("amenity",), ("highway", "amenity")) is None


def test_text_libosmium_could_not_carry(tmp_path):
    """A NUL in a tag (libosmium's text pass crashes the process) and code points above U+FFFFF (it writes them wrongly) are read as written."""
    tags = {"amenity": "clinic", "name": "a\x00b", "note": "\U0010ffff\U00100000"}
    blocks = [[("dense", [(1, 10, 10, tags), (2, 20, 20, {})])], [("ways", [(5, {"highway": "x", "name": "\x00"}, [1, 2])])]]
    result = pbf.one_pass(write_pbf(tmp_path / "odd.osm.pbf", blocks), ("amenity",), ("highway", "amenity"))
    assert result is not None
    assert result.nodes["tags"] == [tags] and result.ways[1] == [{"highway": "x", "name": "\x00"}]


def test_haidian_relations_become_the_same_areas(beijing_bz2, tmp_path):
    """Haidian, written as PBF by libosmium: a multipolygon relation is assembled from the same member ways."""
    path = tmp_path / "haidian.osm.pbf"
    opl.write(beijing_bz2, path, osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION, format="pbf")
    _, areas, _ = same_pass(path)
    assert len(areas["id"]) >= 1


def _park(ident: int, *, mixed: bool, ring_tags: dict | None = None) -> list:
    """Blocks of a small map: streets, a tagged node, and a park relation whose outer ring is an untagged way."""
    nodes = [(i, 1_201_000_000 + 1000 * i, 301_000_000 + 700 * (i * i % 7), {"amenity": "clinic"} if i == 3 else {}) for i in range(1, 9)]
    ring = (40, ring_tags or {}, [1, 2, 5, 6, 1])
    ways = [(30, {"highway": "footway", "name": "湖滨 路, A=B @50%"}, [1, 2, 3, 4, 99]), ring, (41, {"building": "yes"}, [5, 6, 7, 5])]
    relation = (ident, {"type": "multipolygon", "leisure": "park", "name": "公园 \n tab\t%"}, [("w", 40, "outer"), ("n", 3, "label")])
    if mixed:
        return [[("dense", nodes[:4])], [("dense", nodes[4:]), ("ways", ways), ("relations", [relation])]]
    return [[("dense", nodes)], [("ways", ways[:1])], [("ways", ways[1:])], [("relations", [relation])]]


@pytest.mark.parametrize("mixed", [False, True])
@pytest.mark.parametrize("layout", ["zlib", "raw", "plain nodes", "granularity"])
def test_every_block_layout_reads_as_libosmium_reads_it(tmp_path, mixed, layout):
    blocks = _park(900, mixed=mixed)
    options = {"compress": layout != "raw"}
    if layout == "plain nodes":
        blocks = [[("nodes" if kind == "dense" else kind, items) for kind, items in b] for b in blocks]
    if layout == "granularity":
        options.update(granularity=1000, lat_offset=-3_000_000_000, lon_offset=1_234_500)
    nodes, areas, ways = same_pass(write_pbf(tmp_path / "map.osm.pbf", blocks, **options))
    assert ways[0].tolist() == [30, 41] and nodes["id"].tolist() == [3]
    assert np.isnan(ways[4][4])  # node 99 is not in the file
    assert areas["id"].tolist() == [900]  # the park, from its untagged ring
    assert areas["tags"][0]["name"] == "公园 \n tab\t%"


def test_streets_only_read_no_nodes_nor_relations(tmp_path):
    path = write_pbf(tmp_path / "map.osm.pbf", _park(900, mixed=True))
    nodes, areas, ways = same_pass(path, (), ("highway",))
    assert nodes is None and areas is None and ways[0].tolist() == [30]


def _unsorted(tmp_path: Path, name: str, blocks) -> Path:
    return write_pbf(tmp_path / f"{name}.osm.pbf", blocks)


@pytest.mark.parametrize(
    ("case", "blocks"),
    [
        ("ways before nodes", [[("ways", [(30, {"highway": "path"}, [1, 2])])], [("dense", [(1, 10, 10, {}), (2, 20, 20, {})])]]),
        ("node ids decreasing", [[("dense", [(2, 10, 10, {}), (1, 20, 20, {})])], [("ways", [(30, {"highway": "path"}, [1, 2])])]]),
        ("negative node ids", [[("dense", [(-2, 10, 10, {}), (-1, 20, 20, {})])], [("ways", [(30, {"highway": "path"}, [-2, -1])])]]),
        ("impossible latitude", [[("dense", [(1, 10, 950_000_000, {}), (2, 20, 20, {}), (3, 30, 30, {})])], [("ways", [(30, {"highway": "path"}, [1, 2, 3])])]]),
    ],
)
def test_files_libosmium_must_repair_are_left_to_it(tmp_path, case, blocks):
    """The compiled reader declines; the readers then read the file as they always did (a sorted, repaired copy)."""
    path = _unsorted(tmp_path, case.replace(" ", "_"), blocks)
    assert pbf.one_pass(path, FEATURE_KEYS, WAY_KEYS) is None
    ways, _ = osm.read_osm(path, ["amenity"])
    assert ways is not None


def test_history_files_and_damage_are_left_to_libosmium(tmp_path):
    history = write_pbf(tmp_path / "history.osm.pbf", _park(900, mixed=False), features=("OsmSchema-V0.6", "HistoricalInformation"))
    assert pbf.one_pass(history, FEATURE_KEYS, WAY_KEYS) is None
    other_compression = write_pbf(tmp_path / "lz4.osm.pbf", _park(900, mixed=False), lz4_field=True)
    assert pbf.one_pass(other_compression, FEATURE_KEYS, WAY_KEYS) is None
    good = write_pbf(tmp_path / "good.osm.pbf", _park(900, mixed=False))
    data = good.read_bytes()
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(data[: len(data) - 7])
    assert pbf.one_pass(cut, FEATURE_KEYS, WAY_KEYS) is None
    with pytest.raises(errors.OSMDataError, match=r"cut\.osm\.pbf"):
        osm.read_osm(cut, ["amenity"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_decoder(data):
    """Whatever a damaged block holds, decoding reads nothing outside it: a status, never a crash."""
    out = dec.decode_block(np.frombuffer(data, np.uint8))
    assert out[0][8] in (dec.OK, dec.BAD_BLOCK, dec.BAD_LOCATION)


# libosmium's text path crashes on a NUL and writes code points above U+FFFFF wrongly (test_text_libosmium_could_not_carry)
_TEXT = st.text(st.characters(max_codepoint=0xFFFFF, exclude_categories=("Cs",), exclude_characters="\x00"), max_size=6)
_TAGS = st.dictionaries(st.sampled_from(["highway", "amenity", "building", "name", "type", "leisure", "x y", "a=b"]), _TEXT, max_size=3)


@st.composite
def maps(draw):
    """A random small map: sorted nodes, ways (some untagged, some using missing nodes), relations; cut into random blocks."""
    n = draw(st.integers(1, 25))
    ids = sorted(draw(st.sets(st.integers(1, 10**12), min_size=n, max_size=n)))
    nodes = [(i, draw(st.integers(-1_800_000_000, 1_800_000_000)), draw(st.integers(-900_000_000, 900_000_000)), draw(_TAGS)) for i in ids]
    refs = st.lists(st.sampled_from([*ids, 10**13]), max_size=6)
    ways = [(w, draw(_TAGS), draw(refs)) for w in sorted(draw(st.lists(st.integers(1, 10**10), max_size=8, unique=True)))]
    member = st.tuples(st.sampled_from("nwr"), st.integers(1, 10**10) | st.sampled_from([w[0] for w in ways] or [1]), _TEXT)
    relations = [(r, draw(_TAGS | st.just({"type": "multipolygon", "amenity": "x"})), draw(st.lists(member, max_size=4))) for r in sorted(draw(st.lists(st.integers(1, 10**9), max_size=3, unique=True)))]
    objects = [("dense", x) for x in nodes] + [("ways", x) for x in ways] + [("relations", x) for x in relations]
    blocks, block = [], []
    for kind, x in objects:  # file order, cut anywhere; consecutive objects of a kind share a group
        if block and draw(st.booleans()) and draw(st.booleans()):
            blocks.append(block)
            block = []
        if block and block[-1][0] == kind:
            block[-1][1].append(x)
        else:
            block.append((kind, [x]))
    return [*blocks, block]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(blocks=maps(), compress=st.booleans())
def test_random_maps_read_as_libosmium_reads_them(tmp_path, blocks, compress):
    path = write_pbf(tmp_path / "random.osm.pbf", blocks, compress=compress)
    same_pass(path, ("amenity", "building"), ("highway", "amenity", "building"))
    same_pass(path, (), ("highway",))


@settings(max_examples=80, deadline=None)
@given(
    ids=st.lists(st.integers(1, 60), unique=True, max_size=40).map(sorted),
    refs=st.lists(st.integers(-3, 65), max_size=60),
)
def test_locate_finds_what_a_binary_search_finds(ids, refs):
    """The galloping search gives each reference the location ``np.searchsorted`` finds (NaN where the id is not there), in any order of references."""
    ids_a, refs_a = np.asarray(ids, np.int64), np.asarray(refs, np.int64)
    lon, lat = (ids_a * 7 - 3).astype(np.int32), (ids_a * -5 + 11).astype(np.int32)
    out_lon, out_lat = np.empty(len(refs_a)), np.empty(len(refs_a))
    dec.locate(ids_a, lon, lat, refs_a, out_lon, out_lat)
    at = np.minimum(np.searchsorted(ids_a, refs_a), max(len(ids_a) - 1, 0))
    found = (ids_a[at] == refs_a) if len(ids_a) else np.zeros(len(refs_a), bool)
    np.testing.assert_array_equal(out_lon, np.where(found, lon[at] / 1e7 if len(ids_a) else np.nan, np.nan))
    np.testing.assert_array_equal(out_lat, np.where(found, lat[at] / 1e7 if len(ids_a) else np.nan, np.nan))

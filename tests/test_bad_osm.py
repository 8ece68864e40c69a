"""Bad OSM input: every broken file gives a clear error or is read with a note, never a traceback or an abort.

Tiny OSM XML files are written by hand (:func:`osm_xml`). The cases that once
aborted the whole Python process (a node at latitude 95 made libosmium's
writer fail, and pyosmium's writer then threw from its C++ destructor) run in
a child process, so a regression fails one test instead of killing the suite;
so does the hypothesis property test over random small documents.
"""

from __future__ import annotations

import bz2
import contextlib
import gc
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility import errors, network
from accessibility.network import distances
from accessibility.readers import extract, opl, osm
from accessibility.run import pipeline

TESTS = Path(__file__).resolve().parent
HW = {"highway": "residential"}


def osm_xml(nodes=(), ways=(), relations=(), *, ways_first: bool = False) -> str:
    """An OSM XML document: ``nodes`` as ``(id, lon, lat[, tags])``, ``ways`` as ``(id, refs, tags)``,
    ``relations`` as ``(id, [(type, ref, role)], tags)``; coordinates are written as given (str or number)."""

    def tags(t):
        return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in (t or {}).items())

    node_lines = [f'  <node id="{n[0]}" version="1" lat="{n[2]}" lon="{n[1]}">{tags(n[3] if len(n) > 3 else None)}</node>' for n in nodes]
    way_lines = [f'  <way id="{i}" version="1">' + "".join(f'<nd ref="{r}"/>' for r in refs) + tags(t) + "</way>" for i, refs, t in ways]
    rel_lines = [
        f'  <relation id="{i}" version="1">' + "".join(f'<member type="{m}" ref="{r}" role="{role}"/>' for m, r, role in members) + tags(t) + "</relation>"
        for i, members, t in relations
    ]
    body = (way_lines + node_lines if ways_first else node_lines + way_lines) + rel_lines
    return '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="tests">\n' + "\n".join(body) + "\n</osm>\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


#: a street 1-2-3-4-5 going east at 30.2 N, and a side street 3-6
STREET_NODES = [(1, 120.100, 30.200), (2, 120.101, 30.200), (3, 120.102, 30.200), (4, 120.103, 30.200), (5, 120.104, 30.200), (6, 120.102, 30.201)]
STREET_WAYS = [(10, [1, 2, 3, 4, 5], HW), (11, [3, 6], {"highway": "footway"})]


def edges_by_osm_id(net: network.Network) -> set[tuple[int, int]]:
    ids = net.nodes["osmid"].to_numpy()
    return {tuple(sorted((int(ids[u]), int(ids[v])))) for u, v in zip(net.edges["u"], net.edges["v"], strict=True)}


def run_child(code: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    """Run Python code in a fresh interpreter (warnings are errors there too)."""
    return subprocess.run([sys.executable, "-W", "error", "-c", code], check=False, cwd=cwd, capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------- impossible coordinates


def test_out_of_range_coordinates_never_abort_the_process(tmp_path):
    """lat 95 / lon 200 once aborted Python ("terminate called"): the nodes are now left out with a note."""
    cases = {}
    for name, node in (("lat95", (4, 120.103, 95)), ("lon200", (4, 200, 30.2)), ("lat_below", (4, 120.103, -90.0000001))):
        nodes = [n if n[0] != node[0] else node for n in STREET_NODES] + [(7, 120.105, 30.2, {"amenity": "school"}), (8, 120.1, 91, {"amenity": "clinic"})]
        cases[name] = str(write(tmp_path / f"{name}.osm", osm_xml(nodes, STREET_WAYS)))
    code = textwrap.dedent(
        f"""
        import gc, json
        from pathlib import Path
        import osmium
        from accessibility import network
        from accessibility.readers import extract
        from accessibility.readers import opl
        from accessibility.readers import osm
        out = {{}}
        for name, path in {cases!r}.items():
            net = network.graph_from_file(path, largest_component=False)
            ways, features = osm.read_osm(path, ("amenity",))
            extract.extract_bbox(path, (120, 30, 121, 31), Path(path).with_suffix(".cut.osm.pbf"))
            cut = osm.read_highways(Path(path).with_suffix(".cut.osm.pbf"))
            try:  # the writer itself: a clear error, and the failed writer is never destroyed
                opl.write(Path(path), Path(path).with_suffix(".opl"), osmium.osm.NODE | osmium.osm.WAY, locations=True)
                writer = "no error"
            except opl.InvalidLocationError as exc:
                writer = str(exc)
            gc.collect()
            ids = net.nodes["osmid"].tolist()
            edges = sorted(sorted((ids[u], ids[v])) for u, v in zip(net.edges["u"], net.edges["v"]))
            out[name] = dict(edges=edges, notes=net.info.get("notes", []), features=sorted(features.frame["osm_id"].tolist()),
                             feature_notes=list(features.notes), refs=ways.refs.tolist(), cut_refs=cut.refs.tolist(), writer=writer)
        print(json.dumps(out))
        """
    )
    child = run_child(code, tmp_path)
    assert child.returncode == 0, child.stderr[-3000:]
    got = json.loads(child.stdout.strip().splitlines()[-1])
    for name, path in cases.items():
        r = got[name]
        # node 4 is left out: the street is cut there (1-2-3 kept, the lone 5 dropped), the side street stays
        assert r["edges"] == [[1, 3], [3, 6]], name
        assert r["refs"] == r["cut_refs"] == [1, 2, 3, 3, 6], name
        assert any(path in n and "node 4" in n and "Correct these coordinates" in n for n in r["notes"]), r["notes"]
        assert r["features"] == [7], name  # the clinic at lat 91 is left out too
        assert any("node 8" in n for n in r["feature_notes"]), r["feature_notes"]
        assert "outside lon -180..180 / lat -90..90" in r["writer"], r["writer"]


@pytest.mark.parametrize("value", ["300", "1e12", "abc"])
def test_coordinate_libosmium_cannot_parse_is_a_clear_error(tmp_path, value):
    nodes = [*STREET_NODES[:3], (4, value, 30.2)]
    path = write(tmp_path / "typo.osm", osm_xml(nodes, [(10, [1, 2, 3, 4], HW)]))
    with pytest.raises(errors.OSMDataError) as err:
        network.graph_from_file(path)
    assert str(path) in str(err.value) and value in str(err.value)
    assert "correct or delete that node" in str(err.value) or "download it again" in str(err.value)


# --------------------------------------------------------------------------- degenerate ways


def test_one_node_ways_and_self_loops_are_skipped(tmp_path):
    ways = [*STREET_WAYS, (20, [5], HW), (21, [6, 6], HW), (22, [1, 1], {"highway": "footway"}), (23, [], HW)]
    path = write(tmp_path / "degenerate.osm", osm_xml(STREET_NODES, ways))
    plain = network.graph_from_file(write(tmp_path / "plain.osm", osm_xml(STREET_NODES, STREET_WAYS)))
    net = network.graph_from_file(path)
    assert edges_by_osm_id(net) == edges_by_osm_id(plain) == {(1, 3), (3, 5), (3, 6)}
    assert (net.edges["length_m"] > 0).all()


@pytest.mark.parametrize(
    ("ways", "match"),
    [
        ([(21, [6, 6], HW)], "two distinct nodes"),
        ([(21, [6, 6, 6], HW), (22, [1, 1], HW)], "two distinct nodes"),
        ([(20, [5], HW)], "no highway ways with node locations"),
        ([(23, [], HW)], "no highway ways with node locations"),
        ([(24, [1, 2, 3, 1], HW)], "closed loops"),
    ],
)
def test_only_degenerate_ways_is_a_clear_error(tmp_path, ways, match):
    path = write(tmp_path / "only.osm", osm_xml(STREET_NODES, ways))
    with pytest.raises(errors.OSMDataError, match=match) as err:
        network.graph_from_file(path)
    assert str(path) in str(err.value) and ("complete extract" in str(err.value))


# --------------------------------------------------------------------------- object order and JOSM ids


def test_ways_before_nodes_read_like_a_sorted_file(tmp_path, caplog):
    nodes = [*STREET_NODES, (7, 120.105, 30.2, {"amenity": "school"})]
    unsorted = write(tmp_path / "ways_first.osm", osm_xml(nodes, STREET_WAYS, ways_first=True))
    ordered = write(tmp_path / "ordered.osm", osm_xml(nodes, STREET_WAYS))
    with caplog.at_level("INFO", logger="accessibility.readers.osm"):
        net = network.graph_from_file(unsorted)
    assert edges_by_osm_id(net) == edges_by_osm_id(network.graph_from_file(ordered))
    assert any("osmium sort" in n and str(unsorted) in n for n in net.info["notes"])
    ways, features = osm.read_osm(unsorted, ("amenity",))
    assert features.frame["osm_id"].tolist() == [7] and len(ways) == 2
    cut = tmp_path / "cut.osm.pbf"
    assert extract.extract_bbox(unsorted, (120, 30, 121, 31), cut)["ways"] == 2
    assert extract.select_boxes(unsorted, [(120, 30, 121, 31)]) is None  # a batch leaves each area to cut its own sorted copy
    assert edges_by_osm_id(network.graph_from_file(cut)) == edges_by_osm_id(net)


def test_josm_negative_ids_are_read(tmp_path):
    """New objects of a JOSM file have negative ids, alone or mixed with downloaded (positive) ones."""
    neg = {1: -1, 2: -2, 3: 3, 4: -4, 5: -50, 6: 6}
    nodes = [(neg[i], x, y) for i, x, y in STREET_NODES] + [(-7, 120.105, 30.2, {"amenity": "school"})]
    ways = [(-10, [neg[r] for r in STREET_WAYS[0][1]], HW), (11, [neg[3], neg[6]], {"highway": "footway"})]
    path = write(tmp_path / "josm.osm", osm_xml(nodes, ways, [(-1, [("way", -10, "outer")], {"type": "route"})]))
    net = network.graph_from_file(path)
    plain = network.graph_from_file(write(tmp_path / "plain.osm", osm_xml(STREET_NODES, STREET_WAYS)))
    assert edges_by_osm_id(net) == {tuple(sorted((neg[a], neg[b]))) for a, b in edges_by_osm_id(plain)}
    np.testing.assert_allclose(np.sort(net.edges["length_m"]), np.sort(plain.edges["length_m"]))
    assert sorted(net.edges["osm_way_id"].unique().tolist()) == [-10, 11]
    assert any("negative ids" in n for n in net.info["notes"])
    _, features = osm.read_osm(path, ("amenity",))
    assert features.frame["osm_id"].tolist() == [-7]
    cut = tmp_path / "cut.osm.pbf"  # renumbered in the extract (libosmium's id filters take no negative ids)
    assert extract.extract_bbox(path, (120, 30, 121, 31), cut)["ways"] == 2
    assert len(network.graph_from_file(cut).edges) == 3


def test_sorted_copy_renumbers_negative_ids_above_every_id_and_reference(tmp_path):
    """``-k`` becomes ``top + k``, where ``top`` is the largest id or reference (here a node missing from the file)."""
    nodes = [(-1, 120.1, 30.2), (-2, 120.101, 30.2), (5, 120.102, 30.2)]
    path = write(tmp_path / "josm.osm", osm_xml(nodes, [(-3, [-1, -2, 5, 40, -9], HW)], [(-4, [("way", -3, "a b"), ("node", -1, "")], {"type": "x"})]))
    copy = opl.sorted_copy(path, tmp_path)
    assert copy.top == 40 and copy.negative == 4
    assert copy.path.read_text().splitlines() == [
        "n41 T x120.1 y30.2", "n42 T x120.101 y30.2", "n5 T x120.102 y30.2", "w43 Thighway=residential Nn41,n42,n5,n40,n49", "r44 Ttype=x Mw43@a%20%b,n41@",
    ]
    assert copy.original_ids(np.array([41, 5, 40, 43, 49])).tolist() == [-1, 5, 40, -3, -9]


def test_clipped_extract_keeps_working_without_a_second_read(tmp_path, caplog):
    """Ways using nodes missing from the file (an extract cut at its edge) are split there, as before."""
    nodes = [*STREET_NODES, *((100 + i, 120.11 + i * 1e-3, 30.21) for i in range(20))]
    ways = [(10, [1, 2, 99, 3, 4, 5], HW), (11, [3, 6, 98], {"highway": "footway"}), (12, list(range(100, 120)), HW)]
    path = write(tmp_path / "clipped.osm", osm_xml(nodes, ways))
    with caplog.at_level("INFO", logger="accessibility.readers.osm"):
        net = network.graph_from_file(path, largest_component=False)
    assert {(1, 2), (3, 5), (3, 6)} <= edges_by_osm_id(net)
    assert net.info["missing_node_refs"] == 2 and "notes" not in net.info
    assert "sorted copy" not in caplog.text


# --------------------------------------------------------------------------- unreadable files


def _truncated_xml(tmp_path: Path) -> Path:
    text = osm_xml(STREET_NODES, STREET_WAYS)
    return write(tmp_path / "truncated.osm", text[: len(text) * 2 // 3])


def _truncated_bz2(tmp_path: Path) -> Path:
    data = bz2.compress(osm_xml(STREET_NODES, STREET_WAYS).encode())
    path = tmp_path / "truncated.osm.bz2"
    path.write_bytes(data[: len(data) // 2])
    return path


def _random_pbf(tmp_path: Path) -> Path:
    path = tmp_path / "random.osm.pbf"
    path.write_bytes(np.random.default_rng(7).bytes(4000))
    return path


def _unclosed(tmp_path: Path) -> Path:
    return write(tmp_path / "unclosed.osm", osm_xml(STREET_NODES, STREET_WAYS).replace("</way>", "").replace("</osm>", ""))


def _html(tmp_path: Path) -> Path:
    return write(tmp_path / "hangzhou.osm", "<!DOCTYPE html>\n<html><head><title>429 Too Many Requests</title></head><body>rate limited</body></html>\n")


def _xml_named_pbf(tmp_path: Path) -> Path:
    return write(tmp_path / "export.osm.pbf", osm_xml(STREET_NODES, STREET_WAYS))


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_truncated_xml, "download it again"),
        (_truncated_bz2, "download it again"),
        (_random_pbf, "download it again"),
        (_unclosed, "osmium fileinfo -e"),
        (_html, "HTML web page"),
        (_xml_named_pbf, "rename it to end in '.osm'"),
        (lambda p: write(p / "empty.osm.pbf", ""), "download the extract again"),
    ],
)
def test_unreadable_files_name_the_file_and_the_fix(tmp_path, make, says):
    path = make(tmp_path)
    for read in (network.graph_from_file, lambda p: osm.read_osm(p, ("amenity",)), lambda p: extract.extract_bbox(p, (0, 0, 1, 1), tmp_path / "x.osm.pbf")):
        with pytest.raises(errors.OSMDataError) as err:
            read(path)
        assert str(path) in str(err.value) and says in str(err.value)


def test_truncated_real_pbf(hangzhou_pbf, tmp_path):
    data = hangzhou_pbf.read_bytes()
    path = tmp_path / "hangzhou_cut.osm.pbf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(errors.OSMDataError, match="truncated") as err:
        network.graph_from_file(path)
    assert str(path) in str(err.value) and f"osmium fileinfo -e {path}" in str(err.value)


# --------------------------------------------------------------------------- a run without facilities


def test_node_table_without_facilities():
    net = network.graph_from_arrays([120.0, 120.01], [30.0, 30.0], [0], [1])
    graph = distances.build_access_graph(net, np.zeros(0, np.int64), distances.snapping.Snapped(np.zeros(0, np.int64), np.zeros(0), np.zeros(0)))
    table = distances.node_table(graph, {"school": distances.nearest_facilities(graph)}, np.array([], dtype=object))
    assert np.isinf(table.filter(like="dist_m").to_numpy()).all() and table.filter(like="facility").isna().all().all()


def test_run_without_any_facility_completes(tmp_path):
    """Streets and homes but no facility of any service: the run completes, every distance is inf."""
    nodes, ways = [], []
    grid = {(i, j): 1 + 8 * i + j for i in range(8) for j in range(8)}
    nodes += [(n, f"{120.15 + i * 1e-3:.7f}", f"{30.25 + j * 1e-3:.7f}") for (i, j), n in grid.items()]
    ways += [(1000 + i, [grid[i, j] for j in range(8)], HW) for i in range(8)]
    ways += [(2000 + j, [grid[i, j] for i in range(8)], HW) for j in range(8)]
    nid = 100
    for i in range(7):
        for j in range(7):
            corner = [(0, 0), (2e-4, 0), (2e-4, 2e-4), (0, 2e-4)]
            ring = list(range(nid, nid + 4))
            nodes += [(nid + k, f"{120.1503 + i * 1e-3 + dx:.7f}", f"{30.2503 + j * 1e-3 + dy:.7f}") for k, (dx, dy) in enumerate(corner)]
            ways.append((3000 + nid, ring + ring[:1], {"building": "residential"}))
            nid += 4
    path = write(tmp_path / "no_facilities.osm", osm_xml(nodes, ways))
    out = tmp_path / "run"
    result = pipeline.run(path, out=out)
    table = result.node_table("walk")
    assert len(table) == 64 and np.isinf(table.filter(like="dist_m").to_numpy()).all()
    assert table.filter(like="_facility").isna().all().all()
    assert (out / "nodes_walk.parquet").is_file() and (out / "goals.json").is_file()


# --------------------------------------------------------------------------- random documents

_NEAR = st.floats(-0.01, 0.01, allow_nan=False)
_SPECIAL = st.sampled_from(["95", "-90.5", "200", "-180.0000001", "214.7", "90", "-90", "180", "-180", "0"])
_LON = st.one_of(*[_NEAR.map(lambda x: f"{120.1 + x:.7f}")] * 9, _SPECIAL)  # one in ten values special
_LAT = st.one_of(*[_NEAR.map(lambda x: f"{30.2 + x:.7f}")] * 9, _SPECIAL)
_WAY_TAGS = st.sampled_from([HW, HW, {"highway": "footway"}, {"highway": "motorway"}, {"highway": "path", "access": "private"}, {"building": "yes"}, {}])


@st.composite
def osm_documents(draw) -> str:
    """Small OSM XML documents: ids negative or repeated, coordinates out of range, ways of 0, 1 or many
    nodes (self-loops, missing nodes), tags usable or not, sometimes the ways first, rarely an unreadable
    number; half of them added to a good street network."""
    ids = draw(st.lists(st.integers(-6, 12), max_size=12))
    nodes = [(i, draw(_LON), draw(_LAT), draw(st.sampled_from([None, None, {"amenity": "school"}]))) for i in ids]
    if nodes and draw(st.integers(0, 19)) == 0:  # a number libosmium cannot read at all
        nodes[0] = (nodes[0][0], draw(st.sampled_from(["1e12", "12345678901", "abc"])), nodes[0][2])
    pool = ids * 4 + [-7, 13, 99]  # mostly the file's nodes, some not in it
    ways = draw(st.lists(st.tuples(st.integers(-6, 12), st.lists(st.sampled_from(pool), max_size=7), _WAY_TAGS), max_size=6))
    if draw(st.booleans()):  # on a good street network, whose ids the random objects may repeat
        nodes, ways = [*STREET_NODES, *nodes], [*STREET_WAYS, *ways]
    return osm_xml(nodes, ways, ways_first=draw(st.booleans()))


#: what each document of :func:`check_random_documents` gave ("network" or the error class)
OUTCOMES: list[str] = []


# derandomize: the same 40 documents on every run (a reproducible suite); change the strategy to explore others
@settings(max_examples=40, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(document=osm_documents())
def check_random_documents(document: str) -> None:
    """The property: a Network, or an AccessibilityError; nothing else (run in a child process by the test below).

    ``gc.collect()`` after each document destroys anything left in reference cycles, so a libosmium
    writer that failed would be destroyed (and abort) here, not at some later, random moment.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "random.osm", document)
        try:
            net = network.graph_from_file(path, mode="walk")
            assert isinstance(net, network.Network) and len(net.edges) > 0 and np.isfinite(net.edges["length_m"]).all()
            outcome = "network"
        except errors.AccessibilityError as exc:
            outcome = type(exc).__name__
        with contextlib.suppress(errors.AccessibilityError):
            osm.read_osm(path, ("amenity", "building"), footprint_keys=("building",))
    gc.collect()
    OUTCOMES.append(outcome)


def test_random_osm_documents_read_or_raise_a_clear_error(tmp_path):
    code = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import test_bad_osm as t; t.check_random_documents(); print(sorted(t.OUTCOMES))"
    child = run_child(code, tmp_path, timeout=300)
    assert child.returncode == 0, f"exit {child.returncode}\n{child.stdout[-2000:]}\n{child.stderr[-4000:]}"
    outcomes = child.stdout.strip().splitlines()[-1]
    assert "network" in outcomes and "OSMDataError" in outcomes  # both kinds of documents were tried

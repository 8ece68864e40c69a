"""run --place: a place's streets, facilities, buildings and boundary through osmnx, tested offline.

osmnx's download functions are replaced by its own readers of an OSM XML file of the Hubin clip
(tests/data), so the test needs no internet: what the package does with osmnx's answers is what
is tested. The run agrees with a run on the same clip as an OSM file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import accessibility as acc
from accessibility import cli, errors
from accessibility.network import Place
from accessibility.run.inputs import AreaInput, RunOptions

ox = pytest.importorskip("osmnx")

DATA = Path(__file__).parent / "data"
PBF = DATA / "hangzhou_hubin.osm.pbf"
POP = DATA / "hangzhou_hubin_pop_3arcsec.tif"
PLACE = shapely.box(120.150, 30.248, 120.178, 30.282)  # the "geocoded" boundary of 湖滨街道 (a box inside the clip)
GOALS = ["park_10min", "fitness_10min"]


@pytest.fixture(scope="module")
def hubin_xml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clip as OSM XML (what osmnx reads), written by pyosmium."""
    import osmium

    out = tmp_path_factory.mktemp("place") / "hubin.osm"
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(PBF)):
            writer.add(obj)
    return out


@pytest.fixture
def offline_osmnx(monkeypatch: pytest.MonkeyPatch, hubin_xml: Path) -> list[str]:
    calls: list[str] = []

    def geocode_to_gdf(query, **_):
        calls.append(f"geocode {query}")
        return gpd.GeoDataFrame({"display_name": [query]}, geometry=[PLACE], crs="EPSG:4326")

    def graph_from_polygon(polygon, network_type="all", simplify=True, **_):
        calls.append(f"graph {network_type}")
        return ox.truncate.truncate_graph_polygon(ox.graph_from_xml(hubin_xml, simplify=simplify, retain_all=True), polygon)

    def features_from_polygon(polygon, tags):
        calls.append("features " + ",".join(sorted(tags)))
        return ox.features_from_xml(hubin_xml, polygon=polygon, tags=tags)

    monkeypatch.setattr(ox, "geocode_to_gdf", geocode_to_gdf)
    monkeypatch.setattr(ox, "graph_from_polygon", graph_from_polygon)
    monkeypatch.setattr(ox, "features_from_polygon", features_from_polygon)
    return calls


def test_place_run_agrees_with_the_same_data_as_a_file(offline_osmnx: list[str], tmp_path: Path) -> None:
    placed = acc.run(network=Place("湖滨街道, 杭州市"), population=POP, goals=GOALS, options=RunOptions(cache=False), out=tmp_path / "place")
    filed = acc.run(PBF, population=POP, goals=GOALS, areas=AreaInput(boundary=PLACE), options=RunOptions(cache=False))
    assert offline_osmnx[0] == "geocode 湖滨街道, 杭州市" and "graph walk" in offline_osmnx
    assert any(c.startswith("features ") and "leisure" in c for c in offline_osmnx)
    # the place's boundary is the study area
    assert placed.study_area.equals(PLACE)
    assert placed.manifest["place"] == "湖滨街道, 杭州市" and placed.manifest["osm"] is None
    # the same facilities and (nearly) the same verdicts: osmnx keeps the shortest of parallel streets
    for service in ("park", "sports_fitness"):
        n_place = int(((placed.facilities["service"] == service) & (placed.facilities["status"] == "used")).sum())
        n_file = int(((filed.facilities["service"] == service) & (filed.facilities["status"] == "used")).sum())
        assert n_place == pytest.approx(n_file, abs=max(1, 0.1 * n_file)) and n_file > 0
    for goal in GOALS:
        assert placed.goal(goal).share == pytest.approx(filed.goal(goal).share, abs=0.03)
    assert placed.demand.total == pytest.approx(filed.demand.total, rel=1e-6)  # the raster's people in the same box


def test_cli_place(offline_osmnx: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["-q", "run", "--place", "湖滨街道, 杭州市", "--population", str(POP), "--goal", "park_10min", "--out", str(tmp_path / "r"), "--no-briefing"])
    assert code == 0, capsys.readouterr().err
    assert "park_10min" in capsys.readouterr().out
    code = cli.main(["-q", "run", "--place", "x", "--osm", str(PBF), "--out", str(tmp_path / "r2"), "--no-briefing"])
    assert code == 2 and "without --osm" in capsys.readouterr().err


def test_place_errors_are_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(query, **_):
        raise ValueError(f"Nominatim could not geocode query {query!r}")

    monkeypatch.setattr(ox, "geocode_to_gdf", fails)
    with pytest.raises(errors.AccessibilityError, match=r"--place 'nowhere'.*Nominatim could not geocode"):
        acc.run(network=Place("nowhere"), population=POP, goals=GOALS, options=RunOptions(cache=False))
    monkeypatch.setitem(sys.modules, "osmnx", None)  # not installed
    with pytest.raises(errors.AccessibilityError, match=r"accessibility\[online\]"):
        acc.run(network=Place("湖滨街道"), population=POP, goals=GOALS, options=RunOptions(cache=False))

"""A verdict on an area the data covers only in part says so in every output, and passes or fails nothing.

The case of the issue: the 2015 OSM extract of central Hangzhou run on the
whole of 西湖区 (DataV boundary, GCJ-02), 311.7 km² of which the extract holds
about a tenth. Every output that shows a verdict (console, goals.json,
goals.md, the reports in both languages, the map) must say INCOMPLETE DATA and
the share covered; no goal may be passed or failed; districts beyond the data
must say so. The default study area (the network's hull) is the data's own
outline and is not withheld; the small Hubin clip checks the main urban area
and the share of people where a raster places them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from test_small_data import ok

from accessibility import errors
from accessibility.briefing import i18n
from accessibility.run import pipeline
from accessibility.run.inputs import AreaInput, PopulationInput, RunOptions

DATAV = "zhejiang_admin_boundaries_datav/330100_full.json"


@pytest.fixture(scope="module")
def xihu(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """西湖区's DataV boundary (GCJ-02) as its own file."""
    frame = gpd.read_file(shared_data / DATAV)
    out = tmp_path_factory.mktemp("xihu") / "xihu_gcj02.geojson"
    frame[frame["name"] == "西湖区"].to_file(out, driver="GeoJSON")
    return out


@pytest.fixture(scope="module")
def xihu_run(hangzhou_pbf: Path, xihu: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch_module):
    out = tmp_path_factory.mktemp("xihu_run") / "run"
    res = ok("run", "--osm", hangzhou_pbf, "--boundary", xihu, "--boundary-crs", "gcj02",
             "--districts", shared_data / DATAV, "--districts-crs", "gcj02", "--out", out)
    return res, out


@pytest.fixture(scope="module")
def monkeypatch_module(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("cov_env")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACCESSIBILITY_LOG_DIR", str(base / "logs"))
        mp.setenv("ACCESSIBILITY_CACHE", str(base / "cache"))
        yield mp


def test_a_district_the_extract_cuts_gets_no_verdict_in_any_output(xihu_run):
    res, out = xihu_run
    doc = json.loads((out / "goals.json").read_text(encoding="utf-8"))
    cover = doc["coverage"]["study_area"]
    assert cover["share"] == pytest.approx(0.106, abs=0.01) and cover["scope"] == "partial"
    assert set(cover["limited_by"]) == {"osm_bounds", "streets"}
    assert doc["goals"]
    for g in doc["goals"]:
        assert g["status"] == "incomplete_data" and g["passed"] is None, g["id"]
        assert all(t["met"] is None for t in g["targets"])
        assert g["data_coverage"] == pytest.approx(cover["share"], abs=1e-3)
        assert g["main_caveat"]["code"] == "data.partial" and "11%" in g["main_caveat"]["en"]
        assert g["warnings"][0]["message"].startswith("the data covers 10.6% of the study area (33.1 of 311.7 km²)")
    # console: every verdict line INCOMPLETE with its caveat, none PASS or FAIL
    lines = [ln for ln in res.out.splitlines() if any(ln.split()[1:2] == [g["id"]] for g in doc["goals"] if len(ln.split()) > 1)]
    assert len(lines) == len(doc["goals"])
    assert all(ln.split()[0] == "INCOMPLETE" and "data covers 11% of the area" in ln for ln in lines)
    assert not re.search(r"^\s*(PASS|FAIL)\b", res.out, re.MULTILINE)
    assert "the data covers 10.6% of the study area" in res.out
    # goals.md
    md = (out / "goals.md").read_text(encoding="utf-8")
    assert "> **INCOMPLETE DATA:** the data covers 10.6% of the study area" in md
    assert "| PASS |" not in md and "| FAIL |" not in md and md.count("| INCOMPLETE DATA |") == len(doc["goals"])
    # the reports, both languages
    for lang, banner in (("en", "INCOMPLETE DATA: the data covers 10.6% of the study area"), ("zh", "数据不完整：数据覆盖研究区域面积的10.6%")):
        text = (out / f"report_{lang}.html").read_text(encoding="utf-8")
        assert banner in text
        for word in ("pass", "fail"):
            assert f">{i18n.text(word, lang)}<" not in text and f">{i18n.text(word, lang)} (" not in text
    # the map: the legend gives the status, the districts say how much of them the data covers
    html = (out / "map_en.html").read_text(encoding="utf-8")
    assert "data covers 11% of the area" in html and "上城区 · partial data (38.5%)" in html and "滨江区 · outside the data" in html


def test_districts_beyond_the_data_say_so(xihu_run):
    _, out = xihu_run
    doc = json.loads((out / "goals.json").read_text(encoding="utf-8"))
    scope = {d["district_name"]: d["scope"] for d in doc["coverage"]["districts"]}
    assert scope["西湖区"] == scope["上城区"] == "partial" and scope["滨江区"] == scope["淳安县"] == "outside"
    assert not any(s == "complete" for s in scope.values())  # the extract holds no whole district
    for g in doc["goals"]:
        rows = {r["district_name"]: r for r in g["by_district"]}
        assert rows["西湖区"]["scope"] == "partial" and rows["西湖区"]["data_coverage"] == pytest.approx(0.106, abs=0.01)
        assert rows["滨江区"]["scope"] == "outside" and rows["滨江区"]["eligible_pop"] == 0
    md = (out / "goals.md").read_text(encoding="utf-8")
    assert "| 西湖区 |" in md and "| partial data (11%) |" in md and "Outside the data (no verdict): 滨江区" in md
    layer = gpd.read_file(out / "results.gpkg", layer="districts")
    assert dict(zip(layer["district_name"], layer["data_scope"], strict=True))["滨江区"] == "outside"
    notes = [n for n in doc["notes"] if n["code"] == "data.partial_districts"]
    assert len(notes) == 1 and "13 of 13 districts" in notes[0]["message"]


def test_the_default_study_area_is_the_datas_own_outline(hangzhou_run):
    result, out = hangzhou_run
    doc = json.loads((out / "goals.json").read_text(encoding="utf-8"))
    cover = doc["coverage"]
    assert cover["study_area_given"] is False and cover["study_area"]["scope"] == "complete"
    assert cover["study_area"]["share"] == pytest.approx(0.977, abs=0.01)
    assert {g.status for g in result.goals} <= {"pass", "fail", "undefined"}
    assert all(g.data_coverage is None for g in result.goals)  # the hull decides nothing without independent population


def test_hubin_hull_lake_is_no_missing_data_and_the_raster_people_are_all_covered(small_data: Path, tmp_path: Path):
    osm = small_data / "hangzhou_hubin.osm.pbf"
    est = pipeline.run(osm, goals=["park_10min"])
    cover = est.manifest["coverage"]["study_area"]
    assert cover["share"] == pytest.approx(0.803, abs=0.01) and cover["people_share"] is None
    assert est.goals[0].status in ("pass", "fail") and est.goals[0].data_coverage is None
    hull_note = [n for n in est.notes if n.code == "data.hull"]
    assert len(hull_note) == 1 and hull_note[0].severity == "info" and "nobody is missing" in hull_note[0].message
    with_raster = pipeline.run(osm, population=PopulationInput(raster=small_data / "hangzhou_hubin_pop_3arcsec.tif"), goals=["park_10min"])
    c = with_raster.manifest["coverage"]["study_area"]
    assert c["people_share"] == pytest.approx(1.0, abs=0.005) and c["scope"] == "complete"
    assert with_raster.goals[0].data_coverage == pytest.approx(1.0, abs=0.005) and with_raster.goals[0].status in ("pass", "fail")
    assert not [n for n in with_raster.notes if n.code in ("data.hull", "data.partial")]


def test_a_main_urban_area_half_beyond_the_data_withholds_only_its_goals(small_data: Path, tmp_path: Path):
    osm = small_data / "hangzhou_hubin.osm.pbf"
    base = pipeline.run(osm, goals=["park_10min"])
    x0, y0, x1, y1 = shapely.bounds(base.study_area)
    mua = tmp_path / "mua.geojson"  # the eastern half of the clip and as much land east of it, beyond the data
    gpd.GeoDataFrame(geometry=[shapely.box((x0 + x1) / 2, y0, x1 + (x1 - x0) / 2, y1)], crs="EPSG:4326").to_file(mua, driver="GeoJSON")
    res = pipeline.run(osm, areas=AreaInput(main_urban_area=mua), goals=["park_10min", "elderly_care_1km"])
    by_id = {g.id: g for g in res.goals}
    assert by_id["elderly_care_1km"].status == "incomplete_data" and by_id["elderly_care_1km"].passed is None
    assert by_id["elderly_care_1km"].data_coverage < 0.6
    assert "main urban area" in by_id["elderly_care_1km"].warnings[0].message
    assert by_id["park_10min"].status != "incomplete_data"  # on the study area (the hull): nothing withheld
    assert res.manifest["coverage"]["main_urban_area"]["scope"] == "partial"



def test_a_boundary_inside_the_data_gets_its_verdicts_and_the_threshold_is_the_runs(hangzhou_pbf: Path, hangzhou_run, xihu: Path, tmp_path: Path):
    result, _ = hangzhou_run
    c = shapely.centroid(result.study_area)
    inner = tmp_path / "inner.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(c.x - 0.01, c.y - 0.01, c.x + 0.01, c.y + 0.01)], crs="EPSG:4326").to_file(inner, driver="GeoJSON")
    res = pipeline.run(hangzhou_pbf, areas=AreaInput(boundary=inner), goals=["park_10min", "fitness_10min"])
    assert res.manifest["coverage"]["study_area"]["scope"] == "complete"
    for g in res.goals:
        assert g.status in ("pass", "fail") and g.data_coverage is not None and g.data_coverage >= 0.95
        assert not [w for w in g.warnings if w.code == "data.partial"]
    # the run's threshold: 10% of 西湖区 is enough when the user says so, and the record says which threshold was used
    lax = pipeline.run(hangzhou_pbf, areas=AreaInput(boundary=xihu, crs="gcj02"), goals=["park_10min"], options=RunOptions(complete_share=0.10))
    assert lax.goals[0].status in ("pass", "fail") and lax.manifest["coverage"]["threshold"] == 0.10
    assert lax.manifest["options"]["complete_share"] == 0.10
    with pytest.raises(errors.InputError, match="complete_share"):
        RunOptions(complete_share=1.5)

"""Comparing runs, and `suggest --apply`: the scenario with the suggested sites, compared resident by resident, district and hexagon."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from cli_support import run_cli

from accessibility import errors
from accessibility.core.textsafe import md_escape
from accessibility.readers.facility_files import FacilityInput
from accessibility.run import folder as runfolder
from accessibility.run import pipeline, specs
from accessibility.run.inputs import AreaInput, DistrictInput, PopulationInput, RunOptions
from accessibility.run.read import read_run
from accessibility.tools import compare

GOALS = ("elderly_care_1km", "park_10min")
DATAV_HANGZHOU = "zhejiang_admin_boundaries_datav/330100_full.json"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    """Crash logs and the network cache in a temporary folder."""
    base = tmp_path_factory.mktemp("compare_env")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACCESSIBILITY_LOG_DIR", str(base / "logs"))
        mp.setenv("ACCESSIBILITY_CACHE", str(base / "cache"))
        yield base


@pytest.fixture(scope="module")
def before(env, small_data, shared_data, tmp_path_factory) -> Path:
    """A Hubin run (raster population, Hangzhou's DataV districts in GCJ-02, no care homes) from copies of its inputs."""
    tmp = tmp_path_factory.mktemp("compare_inputs")
    for name in ("hangzhou_hubin.osm.pbf", "hangzhou_hubin_pop_3arcsec.tif"):
        shutil.copy(small_data / name, tmp / name)
    out = tmp / "hubin"
    code, _, err = run_cli("-q", "run", "--osm", tmp / "hangzhou_hubin.osm.pbf", "--population", tmp / "hangzhou_hubin_pop_3arcsec.tif",
                           "--districts", shared_data / DATAV_HANGZHOU, "--districts-crs", "gcj02", *[a for g in GOALS for a in ("--goal", g)],
                           "--no-briefing", "--out", out)
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def applied(before) -> tuple[Path, str]:
    code, out, err = run_cli("-q", "suggest", before, "--goal", "elderly_care_1km", "--k", "2", "--apply")
    assert code == 0, err
    return runfolder.scenario(before, "elderly_care_1km"), out


def _demand(run: Path) -> pd.DataFrame:
    return pd.read_parquet(run / "demand_points.parquet").sort_values(["lon", "lat"]).reset_index(drop=True)


def test_apply_runs_the_scenario_with_the_sites(before, applied):
    scenario, out = applied
    manifest = json.loads((scenario / "manifest.json").read_text(encoding="utf-8"))
    added = manifest["specs"]["facilities"][-1]
    assert manifest["residents_cache"]["cache"] == "hit"  # the planner's loop: the run's residents and hexagons, from the cache
    assert Path(added["path"]) == (before / "suggestions_elderly_care_1km.csv").absolute()
    assert (added["service"], added["tier"], added["crs"]) == ("elderly_care", "care_home", "wgs84")  # the goal counts care homes only
    fac = pd.read_parquet(scenario / "facilities.parquet")
    new = fac[fac["facility_id"].str.startswith("user:suggestions_elderly_care_1km:")]
    assert len(new) == 2 and (new["status"] == "used").all() and set(new["tier"]) == {"care_home"}
    # the scenario read the very inputs of the run: same people, same districts
    before_goals = {g["id"]: g for g in json.loads((before / "goals.json").read_text(encoding="utf-8"))["goals"]}
    after_goals = {g["id"]: g for g in json.loads((scenario / "goals.json").read_text(encoding="utf-8"))["goals"]}
    assert after_goals["park_10min"]["covered_pop"] == pytest.approx(before_goals["park_10min"]["covered_pop"], rel=1e-12)
    assert [r["district_name"] for r in after_goals["park_10min"]["by_district"]] == [r["district_name"] for r in before_goals["park_10min"]["by_district"]]
    assert "elderly_care_1km" in out and "gained" in out


def test_comparison_counts_each_resident(before, applied):
    scenario, _ = applied
    doc = json.loads((scenario / "compare.json").read_text(encoding="utf-8"))
    assert doc["matched"] == "residents" and doc["before"]["folder"] == str(before)
    goals = {g["goal"]: g for g in doc["goals"]}
    care, park = goals["elderly_care_1km"], goals["park_10min"]
    # independently: the residents (same points in both runs) whose coverage flipped
    a, b = _demand(before), _demand(scenario)
    np.testing.assert_array_equal(a[["lon", "lat", "older"]].to_numpy(), b[["lon", "lat", "older"]].to_numpy())
    flipped = b["elderly_care_1km_covered"] & ~a["elderly_care_1km_covered"]
    assert care["gained"] == pytest.approx(float(a.loc[flipped, "older"].sum()), rel=1e-12) and care["gained"] > 100
    assert care["lost"] == 0.0 and care["covered_after"] - care["covered_before"] == pytest.approx(care["gained"], rel=1e-9)
    assert care["share_after"] > care["share_before"] and care["change"] == pytest.approx(care["share_after"] - care["share_before"])
    assert (park["gained"], park["lost"], park["change"]) == (0.0, 0.0, 0.0)  # the new care homes are no parks
    # the suggestion promised what the scenario delivers (its file rounds people to whole people)
    promised = json.loads((before / "suggestions_elderly_care_1km.json").read_text(encoding="utf-8"))
    assert care["gained"] == pytest.approx(promised["covered_after"] - promised["covered_before"], abs=1.0)


def test_comparison_by_district_and_hexagon(applied):
    scenario, _ = applied
    doc = json.loads((scenario / "compare.json").read_text(encoding="utf-8"))
    rows = [d for d in doc["districts"] if d["goal"] == "elderly_care_1km" and d["change"] is not None]
    assert rows and {d["district_name"] for d in rows} <= {"上城区", "下城区", "拱墅区", "西湖区", "江干区"}
    assert all(d["change"] >= 0 for d in rows) and any(d["change"] > 0 for d in rows)
    gained = sum(d["covered_after"] - d["covered_before"] for d in doc["districts"] if d["goal"] == "elderly_care_1km" and d["covered_after"] == d["covered_after"])
    care = next(g for g in doc["goals"] if g["goal"] == "elderly_care_1km")
    assert gained == pytest.approx(care["gained"], rel=1e-9)
    hexes = pyogrio.read_dataframe(scenario / "compare.gpkg", layer="hexes_changed")
    assert set(hexes["goal"]) == {"elderly_care_1km"} and doc["hexes_changed"] == {"elderly_care_1km": len(hexes)}
    assert (hexes["change"] > 0).all() and hexes.geometry.is_valid.all() and hexes.crs.to_epsg() == 4326
    assert (hexes["covered_after"] - hexes["covered_before"]).sum() == pytest.approx(care["gained"], rel=1e-9)
    files = runfolder.open_run(scenario).files  # recorded in the scenario's manifest, and the folder still opens
    assert {files[n]["written_by"] for n in ("compare.json", "compare.md", "compare.gpkg")} == {"compare"}
    assert "| elderly_care_1km" in (scenario / "compare.md").read_text(encoding="utf-8")
    # every share carries its run's main caveat (estimate, partial data, missing facilities) in the JSON, the Markdown and the console table
    text = (scenario / "compare.md").read_text(encoding="utf-8")
    expected = {g.id: (g.main_caveat().caveat("en") if g.main_caveat() is not None else "") for g in read_run(scenario).goals}
    assert any(expected.values())
    for g in doc["goals"]:
        assert g["caveat_after"] == expected[g["goal"]]
        assert md_escape(g["caveat_after"]) in text


def test_compare_command_writes_elsewhere(before, applied, tmp_path):
    scenario, _ = applied
    manifest = (scenario / "manifest.json").read_bytes()
    code, out, err = run_cli("compare", before, scenario, "--out", tmp_path / "cmp")
    assert code == 0, err
    assert {p.name for p in (tmp_path / "cmp").iterdir()} == {"compare.json", "compare.md", "compare.gpkg"}
    assert (scenario / "manifest.json").read_bytes() == manifest  # another folder: the run is left as it was
    assert out.splitlines()[0].split() == ["goal", "before", "after", "change", "gained", "lost"]
    code, _, err = run_cli("compare", before, tmp_path / "nowhere")
    assert code == 2 and "nowhere" in err and "Traceback" not in err


def test_different_demand_is_compared_per_hexagon(before, small_data):
    estimate = pipeline.run(small_data / "hangzhou_hubin.osm.pbf", goals=list(GOALS), options=RunOptions(cache=False))
    c = compare.compare_runs(estimate, before)
    assert c.matched == "hexagons" and any("demand points differ" in n for n in c.notes)
    assert c.districts is None and any("only one of the runs has districts" in n for n in c.notes)
    for g in c.goals.itertuples():
        assert g.gained - g.lost == pytest.approx(g.covered_after - g.covered_before, abs=1e-6)


def test_specs_are_recorded_and_read_back(before, shared_data):
    manifest = runfolder.open_run(before).manifest
    got = specs.load(manifest, run_dir=before)
    assert got["areas"].districts == DistrictInput(str(shared_data / DATAV_HANGZHOU), crs="gcj02")
    assert got["population"] == PopulationInput(raster=str(before.parent / "hangzhou_hubin_pop_3arcsec.tif"))
    assert [g.id for g in got["goals"].goals] == list(GOALS) and got["options"] == RunOptions()
    spec = FacilityInput("x.csv", service="park", crs="bd09", lon_col="经度", capacity_cols={"area_m2": "面积"})
    rec = specs.record(population=PopulationInput(), areas=AreaInput(crs="gcj02"), goals=got["goals"], facilities=[spec], options=RunOptions())
    doc = {**manifest, "specs": json.loads(json.dumps(rec)), "inputs": {}}
    back = specs.load(doc, run_dir=before)
    assert back["facilities"] == [spec] and back["areas"] == AreaInput(crs="gcj02")


def test_apply_refuses_a_moved_input_or_a_run_without_specs(before, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(before, run)
    raster = before.parent / "hangzhou_hubin_pop_3arcsec.tif"
    moved = tmp_path / raster.name
    shutil.move(raster, moved)
    try:
        code, _, err = run_cli("-q", "suggest", run, "--goal", "elderly_care_1km", "--k", "1", "--apply")
    finally:
        shutil.move(moved, raster)
    assert code == 2 and str(raster) in err and "no longer there" in err and "Traceback" not in err
    m = run / "manifest.json"
    doc = json.loads(m.read_text(encoding="utf-8"))
    doc.pop("specs")
    m.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(errors.RunDirectoryError, match="does not record how its inputs were read"):
        specs.load(runfolder.open_run(run).manifest, run_dir=run)

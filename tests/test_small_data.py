"""End to end on the small real data committed in tests/data: nothing outside the repository.

The data (see tests/data/SOURCES.md) is a 2015 OSM clip of Hubin, Hangzhou (© OpenStreetMap
contributors, ODbL), a WorldPop-style population grid derived from its buildings (not census
data), an older-population grid, an invented elderly-care list in GCJ-02 with deliberate faults,
and a few query points. Every command is driven through ``accessibility.cli.main`` (the stable
interface) and checked through the files of the run folder: goals.json, hexes.parquet,
demand_points.parquet, facilities.parquet, the CSVs and manifest.json.

Two runs (module-scoped) are shared by the tests: one with the rasters and the spreadsheet, one
with the building estimate. The commands that add files to the run folder (isochrones,
provision, suggest, map, report) only add files, so the order of the tests does not matter.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely

from accessibility import cli

OSM = "hangzhou_hubin.osm.pbf"
POP = "hangzhou_hubin_pop_3arcsec.tif"
OLDER = "hangzhou_hubin_older_3arcsec.tif"
XLSX = "hubin_elderly_care_gcj02.xlsx"
POINTS = "hubin_points.csv"

GOAL_IDS = {"service_circle_15min", "elderly_care_1km", "fitness_10min", "fitness_10min_1km", "park_10min", "culture_15min"}
# the invented list: 10 rows; HB-006 beds '待定', HB-007 lon/lat swapped, HB-008 no coordinates
BEDS = {"HB-001": 120, "HB-002": 80, "HB-003": 60, "HB-004": 20, "HB-005": 10, "HB-007": 90, "HB-009": 150, "HB-010": 25}
USED = set(BEDS) | {"HB-006"}


@dataclass
class Cli:
    code: int
    out: str
    err: str


def run_cli(*argv: str) -> Cli:
    """``accessibility.cli.main(argv)`` with its printed output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in argv])
    return Cli(code, out.getvalue(), err.getvalue())


def ok(*argv: str) -> Cli:
    res = run_cli(*argv)
    assert res.code == 0, f"accessibility {' '.join(map(str, argv))} exited {res.code}:\n{res.err}\n{res.out}"
    return res


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory):
    """Crash logs and the network cache in a temporary folder, never in the checkout or ~/.cache."""
    base = tmp_path_factory.mktemp("small_env")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACCESSIBILITY_LOG_DIR", str(base / "logs"))
        mp.setenv("ACCESSIBILITY_CACHE", str(base / "cache"))
        yield base


@pytest.fixture(scope="module")
def raster_run(cli_env: Path, small_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Cli]:
    """One run with the population rasters and the GCJ-02 spreadsheet of elderly-care homes."""
    out = tmp_path_factory.mktemp("small_raster") / "run"
    res = ok(
        "run", "--osm", small_data / OSM,
        "--population", small_data / POP, "--older-population", small_data / OLDER,
        "--facilities", small_data / XLSX, "--service", "elderly_care", "--facilities-crs", "gcj02",
        "--no-briefing", "--out", out,
    )
    return out, res


@pytest.fixture(scope="module")
def estimate_run(cli_env: Path, small_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Cli]:
    """One run on the OSM clip alone (population estimated from its buildings), as a user runs it:
    with the briefing (map and report in Chinese and English) and the isochrones."""
    out = tmp_path_factory.mktemp("small_estimate") / "run"
    res = ok("run", "--osm", small_data / OSM, "--isochrones", "--out", out)
    return out, res


def goals_of(run: Path) -> dict:
    return json.loads((run / "goals.json").read_text(encoding="utf-8"))


def goal_map(run: Path) -> dict[str, dict]:
    return {g["id"]: g for g in goals_of(run)["goals"]}


def raster_sum_inside(path: Path, area: shapely.Geometry) -> float:
    """People of a raster whose pixel centres lie inside ``area`` (computed here, independently of the package)."""
    with rasterio.open(path) as src:
        data = src.read(1, masked=True)
        t = src.transform
    rows, cols = np.nonzero(~np.ma.getmaskarray(data))
    x = t.c + (cols + 0.5) * t.a
    y = t.f + (rows + 0.5) * t.e
    inside = shapely.contains_xy(area, x, y)
    return float(np.ma.getdata(data)[rows[inside], cols[inside]].astype(np.float64).sum())


def study_area(run: Path) -> shapely.Geometry:
    frame = pyogrio.read_dataframe(run / "results.gpkg", layer="study_area")
    assert frame.crs.to_epsg() == 4326
    return shapely.union_all(frame.geometry.to_numpy())


# ------------------------------------------------------------------------------------------- run


def test_raster_run_gives_a_verdict_per_goal(raster_run):
    run, res = raster_run
    assert "Traceback" not in res.err
    data = goals_of(run)
    assert data["population_is_estimate"] is False
    assert POP in data["population_source"] and OLDER in data["older_population_source"]
    goals = goal_map(run)
    assert set(goals) == GOAL_IDS
    for g in goals.values():
        assert 0.0 <= g["share"] <= 1.0, g["id"]
        assert g["eligible_pop"] > 0
        assert g["covered_pop"] + g["uncovered_pop"] == pytest.approx(g["eligible_pop"], rel=1e-9)
        assert g["share"] == pytest.approx(g["covered_pop"] / g["eligible_pop"], rel=1e-9)
        assert isinstance(g["passed"], bool) and g["targets"]
        assert all(t["met"] == (g["share"] >= t["share"] - 1e-12) for t in g["targets"])
        assert all(0.0 <= s <= 1.0 for s in g["per_service_share"].values())
    care = goals["elderly_care_1km"]
    assert care["population"] == "older"
    # the care homes of the list cover part of Hubin, not all of it (42% with this data)
    assert 0.2 < care["share"] < 0.8
    # a straight line is never longer than the network trip
    assert care["straight_line"]["covered_pop"] >= care["covered_pop"] - 1e-6
    # the 2015 clip has no kindergarten: nobody is inside the 15-minute circle, and a warning says why
    circle = goals["service_circle_15min"]
    assert circle["share"] == 0.0 and circle["per_service_share"]["preschool"] == 0.0
    assert "preschool" in json.dumps(circle["warnings"], ensure_ascii=False)

    hexes = pd.read_parquet(run / "hexes.parquet")
    assert len(hexes) > 50 and (hexes["pop"] >= 0).all()
    assert (hexes["older_pop"] <= hexes["pop"] * (1 + 1e-6) + 1e-9).all()
    for gid in GOAL_IDS:
        share = hexes[f"{gid}_share"].dropna()
        assert len(share) and share.between(0.0, 1.0).all(), gid
        assert hexes[f"{gid}_covered_pop"].sum() == pytest.approx(goals[gid]["covered_pop"], rel=1e-6, abs=1e-6)


def test_raster_population_is_the_rasters_sum_inside_the_study_area(raster_run, small_data):
    run, _ = raster_run
    area = study_area(run)
    total = raster_sum_inside(small_data / POP, area)
    older = raster_sum_inside(small_data / OLDER, area)
    assert total > 20_000 and older == pytest.approx(0.187 * total, rel=1e-5)
    hexes = pd.read_parquet(run / "hexes.parquet", columns=["pop", "older_pop"])
    demand = pd.read_parquet(run / "demand_points.parquet", columns=["pop", "older"])
    assert hexes["pop"].sum() == pytest.approx(total, rel=1e-6)
    assert hexes["older_pop"].sum() == pytest.approx(older, rel=1e-6)
    assert demand["pop"].sum() == pytest.approx(total, rel=1e-6)
    assert demand["older"].sum() == pytest.approx(older, rel=1e-6)
    goals = goal_map(run)
    for gid in ("service_circle_15min", "fitness_10min", "park_10min"):  # whole study area, everyone
        assert goals[gid]["eligible_pop"] == pytest.approx(total, rel=1e-6)
    # no --main-urban-area: the elderly-care goal takes the whole study area, its older people
    assert goals["elderly_care_1km"]["eligible_pop"] == pytest.approx(older, rel=1e-6)


def test_coverage_is_decided_per_resident(raster_run):
    """A goal's covered people are the residents whose own network trip is within its threshold."""
    run, _ = raster_run
    goals = goal_map(run)
    demand = pd.read_parquet(run / "demand_points.parquet")
    for gid, service in (("park_10min", "park"), ("fitness_10min", "sports_fitness")):
        g = goals[gid]
        assert g["threshold_m"] == pytest.approx(600.0)  # 10 minutes at 1.0 m/s
        within = demand[f"{service}_dist_m"] <= g["threshold_m"]
        assert demand.loc[within, "pop"].sum() == pytest.approx(g["covered_pop"], rel=1e-9, abs=1e-6)
    # every tier of elderly care (day care too) reaches at least the people the care homes do
    care = goals["elderly_care_1km"]
    any_tier = demand.loc[demand["elderly_care_dist_m"] <= care["threshold_m"], "older"].sum()
    assert any_tier >= care["covered_pop"] - 1e-6


def test_spreadsheet_rows_are_used_fixed_or_rejected(raster_run):
    run, _ = raster_run
    rejects = pd.read_csv(run / "rejects_elderly_care.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    by_id = rejects.set_index("编号")
    assert set(by_id.index) == {"HB-006", "HB-007", "HB-008"}
    assert by_id.loc["HB-008", "action"] == "rejected" and "coordinates" in by_id.loc["HB-008", "reason"]
    assert by_id.loc["HB-007", "action"] == "used_with_fix" and "swapped" in by_id.loc["HB-007", "reason"]
    assert by_id.loc["HB-006", "action"] == "used_without_value" and by_id.loc["HB-006", "床位"] == "待定"
    # Excel row numbers as a planner sees them: a title row, the header, then HB-001 on row 3
    assert by_id.loc["HB-008", "source_row"] == "10" and set(rejects["source_file"]) == {XLSX}
    assert list(rejects.columns[-6:]) == ["编号", "机构名称", "类型", "经度", "纬度", "床位"]  # the original columns

    (imp,) = goals_of(run)["facility_imports"]
    assert (imp["rows"], imp["used"], imp["rejected"], imp["fixed"], imp["values_left_empty"]) == (10, 9, 1, 1, 1)
    assert imp["tiers"] == {"care_home": 6, "day_care": 3}

    fac = pd.read_parquet(run / "facilities.parquet")
    user = fac[fac["facility_id"].str.startswith("user:")]
    ids = {fid.rsplit(":", 1)[1] for fid in user["facility_id"]}
    assert ids == USED and set(user["service"]) == {"elderly_care"}
    beds = dict(zip(user["facility_id"].str.rsplit(":", n=1).str[1], user["beds"], strict=True))
    assert math.isnan(beds.pop("HB-006"))
    assert beds == pytest.approx({k: float(v) for k, v in BEDS.items()})
    # names with 日间照料/居家养老 are day care, the rest care homes
    tiers = dict(zip(user["name"], user["tier"], strict=True))
    assert tiers["湖滨街道日间照料中心"] == "day_care" and tiers["平海路居家养老服务中心"] == "day_care"
    assert tiers["武林街道养老院"] == "care_home" and tiers["凤起路护理院"] == "care_home"


def test_gcj02_list_lands_beside_the_streets(raster_run):
    """Converted from GCJ-02, every home is back beside its street (read as WGS-84 it would be ~520 m off)."""
    run, _ = raster_run
    fac = pd.read_parquet(run / "facilities.parquet")
    user = fac[fac["facility_id"].str.startswith("user:")]
    assert (user["status"] == "used").all()
    assert user["snap_dist_m"].max() < 20.0  # placed 15.6 m from a street junction
    merges = pd.read_csv(run / "merges.csv", encoding="utf-8-sig")
    assert merges.empty  # OSM (2015) has no elderly care here to merge with


def test_building_estimate_run(estimate_run, small_data):
    run, res = estimate_run
    assert "Traceback" not in res.err
    data = goals_of(run)
    assert data["population_is_estimate"] is True
    assert "estimate" in data["population_source"]
    goals = goal_map(run)
    assert set(goals) == GOAL_IDS
    for g in goals.values():
        assert 0.0 <= g["share"] <= 1.0
        assert g["population_is_estimate"] is True
    # the committed raster is this estimate summed into WorldPop's grid (tests/data/SOURCES.md)
    with rasterio.open(small_data / POP) as src:
        raster_total = float(src.read(1, masked=True).astype(np.float64).sum())
    hexes = pd.read_parquet(run / "hexes.parquet", columns=["pop", "older_pop"])
    assert hexes["pop"].sum() == pytest.approx(raster_total, rel=1e-6)
    assert hexes["older_pop"].sum() == pytest.approx(0.187 * hexes["pop"].sum(), rel=1e-9)
    assert goals["park_10min"]["eligible_pop"] == pytest.approx(raster_total, rel=1e-6)
    # the OSM clip's own facilities: 5 hospitals, 2 parks (one far off any street, not used), 1 pitch
    fac = pd.read_parquet(run / "facilities.parquet")
    used = fac[fac["status"] == "used"]
    assert used.groupby("service").size().to_dict() == {"culture": 1, "park": 1, "public_health": 5, "sports_fitness": 1}
    assert (fac["status"] != "used").sum() == 1 and fac.loc[fac["status"] != "used", "service"].tolist() == ["park"]
    assert goals["elderly_care_1km"]["share"] == 0.0 and goals["elderly_care_1km"]["warnings"]
    assert not list(run.glob("rejects_*.csv"))


def test_run_writes_briefing_and_isochrones(estimate_run):
    """A plain ``run`` writes the map and report in both languages, and ``--isochrones`` the 5/10/15-minute areas."""
    run, _ = estimate_run
    goals = goal_map(run)
    for lang, key in (("zh", "name_zh"), ("en", "name_en")):
        for page in (f"map_{lang}.html", f"report_{lang}.html"):
            html = (run / page).read_text(encoding="utf-8")
            assert len(html) > 10_000, page
            for g in goals.values():
                assert g[key] in html, (page, g["id"])
        assert (run / f"report_{lang}.md").stat().st_size > 0
        assert (run / f"map_{lang}.png").stat().st_size > 0
    layers = dict(pyogrio.list_layers(run / "isochrones.gpkg"))
    assert {f"{s}_dissolved" for s in ("park", "public_health", "sports_fitness")} <= set(layers)
    assert not any(name.startswith(("preschool", "elderly_care")) for name in layers)  # no facility, no isochrone
    parks = pyogrio.read_dataframe(run / "isochrones.gpkg", layer="park_dissolved")
    assert sorted(parks.loc[parks["kind"] == "cumulative", "cutoff_min"]) == [5.0, 10.0, 15.0]


# ----------------------------------------------------------------------------------------- tools


def test_query_points(raster_run, small_data, tmp_path):
    run, _ = raster_run
    answers = tmp_path / "answers.csv"
    ok("query", run, "--points", small_data / POINTS, "--out", answers)
    got = pd.read_csv(answers, encoding="utf-8-sig")
    given = pd.read_csv(small_data / POINTS, encoding="utf-8")
    assert len(got) == len(given) and list(got.columns[:3]) == ["名称", "经度", "纬度"]
    assert got["名称"].tolist() == given["名称"].tolist()
    inside, outside = got.iloc[:4], got.iloc[4]
    assert (inside["query_status"] == "ok").all()
    for service in ("elderly_care", "park", "public_health", "sports_fitness"):
        d = inside[f"{service}_dist_m"]
        assert d.notna().all() and (d > 0).all() and (d < 5000).all(), service
        np.testing.assert_allclose(inside[f"{service}_time_min"], d / 60.0, rtol=1e-6)  # 1.0 m/s
    assert inside["elderly_care_facility"].str.startswith("user:hubin_elderly_care_gcj02:").all()
    assert inside["preschool_dist_m"].isna().all()  # no kindergarten in the data
    assert outside["query_status"] != "ok" and "outside" in outside["query_status"]
    assert math.isnan(outside["elderly_care_dist_m"])


def test_isochrones(raster_run):
    run, _ = raster_run
    ok("isochrones", run, "--service", "elderly_care", "--cutoffs-m", "300", "500", "1000", "--how", "dissolved", "catchments")
    layers = dict(pyogrio.list_layers(run / "isochrones.gpkg"))
    assert {"elderly_care_dissolved", "elderly_care_catchments"} <= set(layers)
    assert (run / "isochrones_elderly_care_dissolved.geojson").stat().st_size > 0
    dissolved = pyogrio.read_dataframe(run / "isochrones.gpkg", layer="elderly_care_dissolved")
    catch = pyogrio.read_dataframe(run / "isochrones.gpkg", layer="elderly_care_catchments")
    cum = dissolved[dissolved["kind"] == "cumulative"].sort_values("cutoff_m")
    assert cum["cutoff_m"].tolist() == [300.0, 500.0, 1000.0]
    assert np.all(np.diff(cum["pop"]) >= -1e-9) and np.all(np.diff(cum["area_km2"]) >= -1e-9)
    assert cum.geometry.is_valid.all() and (cum["area_km2"] > 0).all()
    # the people of a band are those whose own trip (demand_points) is within it
    demand = pd.read_parquet(run / "demand_points.parquet", columns=["pop", "older", "elderly_care_dist_m"])
    for row in cum.itertuples():
        within = demand["elderly_care_dist_m"] <= row.cutoff_m
        assert row.pop == pytest.approx(demand.loc[within, "pop"].sum(), rel=1e-6, abs=1e-6)
        assert row.older_pop == pytest.approx(demand.loc[within, "older"].sum(), rel=1e-6, abs=1e-6)
    # catchments share out the people reached, facility by facility
    for cutoff, grp in catch[catch["kind"] == "cumulative"].groupby("cutoff_m"):
        assert grp["pop"].sum() == pytest.approx(cum.loc[cum["cutoff_m"] == cutoff, "pop"].iloc[0], rel=1e-6, abs=1e-6)
    care = goal_map(run)["elderly_care_1km"]  # care homes only; the isochrones count day care too
    assert cum.loc[cum["cutoff_m"] == 1000.0, "older_pop"].iloc[0] >= care["covered_pop"] - 1e-6


def test_provision_beds_per_older_people(raster_run):
    run, _ = raster_run
    ok("provision", run, "--indicator", "elderly_beds_per_10k")
    p = json.loads((run / "provision_elderly_beds_per_10k.json").read_text(encoding="utf-8"))
    older = goal_map(run)["elderly_care_1km"]["eligible_pop"]
    assert p["service"] == "elderly_care" and p["supply_column"] == "beds"
    assert p["total_supply"] == pytest.approx(sum(BEDS.values()))  # 555: HB-006 '待定' and HB-008 left out
    assert (p["facilities_with_supply"], p["facilities_without_supply"]) == (8, 1)
    assert p["total_population"] == pytest.approx(older, rel=1e-6)
    assert p["overall_ratio"] == pytest.approx(sum(BEDS.values()) / older * 10_000, rel=1e-6)
    shares = p["class_share"]
    assert set(shares) == {"adequate", "over_subscribed", "not_covered"}
    assert all(0.0 <= v <= 1.0 for v in shares.values()) and sum(shares.values()) == pytest.approx(1.0)
    per_fac = pd.read_csv(run / "provision_elderly_beds_per_10k_facilities.csv", encoding="utf-8-sig")
    assert set(per_fac["facility_id"].str.rsplit(":", n=1).str[1]) == set(BEDS)
    assert per_fac["supply"].sum() == pytest.approx(sum(BEDS.values()))
    ratios = per_fac["ratio_2sfca"].dropna()
    assert len(ratios) and (ratios > 0).all()
    assert (run / "provision_elderly_beds_per_10k_hexes.parquet").stat().st_size > 0


def test_suggest_two_sites(raster_run):
    run, _ = raster_run
    ok("suggest", run, "--goal", "elderly_care_1km", "--k", "2")
    s = json.loads((run / "suggestions_elderly_care_1km.json").read_text(encoding="utf-8"))
    care = goal_map(run)["elderly_care_1km"]
    assert s["k"] == 2 and s["goal"] == "elderly_care_1km"
    assert s["share_before"] == pytest.approx(care["share"], rel=1e-9)
    assert care["share"] < s["share_after"] <= 1.0
    assert [c["k"] for c in s["curve"]] == [0, 1, 2]
    assert np.all(np.diff([c["covered"] for c in s["curve"]]) >= 0)
    sites = pd.read_csv(run / "suggestions_elderly_care_1km.csv", encoding="utf-8-sig")
    assert sites["rank"].tolist() == [1, 2]
    gains = sites["marginal_gain"].to_numpy()
    assert (gains > 0).all() and gains[0] >= gains[1]  # greedy: the best site first
    assert sum(gains) == pytest.approx(s["covered_after"] - s["covered_before"], rel=1e-6)
    area = study_area(run)
    assert shapely.contains_xy(area, sites["lon"].to_numpy(), sites["lat"].to_numpy()).all()
    layers = pyogrio.list_layers(run / "suggestions_elderly_care_1km.gpkg")
    assert any(pyogrio.read_info(run / "suggestions_elderly_care_1km.gpkg", layer=name)["features"] == 2 for name, _ in layers)


def test_map_and_report(raster_run):
    run, _ = raster_run
    goals = goal_map(run)
    ok("map", run, "--lang", "en", "--basemap", "none")
    html = (run / "map_en.html").read_text(encoding="utf-8")
    assert len(html) > 10_000
    for g in goals.values():
        assert g["name_en"] in html, g["id"]
    assert "OpenStreetMap contributors" in html
    assert (run / "map_en.png").stat().st_size > 0 and "map_en.html" in (run / "map_en_embed.html").read_text(encoding="utf-8")

    ok("report", run, "--lang", "zh")
    report = (run / "report_zh.html").read_text(encoding="utf-8")
    assert len(report) > 10_000
    for g in goals.values():
        assert g["name_zh"] in report, g["id"]
    assert "OpenStreetMap" in report
    md = (run / "report_zh.md").read_text(encoding="utf-8")
    assert goals["elderly_care_1km"]["name_zh"] in md


def test_manifest_records_inputs_and_files(raster_run, small_data):
    """Runs after the tools above (file order): the manifest lists what every command wrote."""
    run, _ = raster_run
    m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    text = json.dumps(m, ensure_ascii=False)
    for name in (OSM, POP, OLDER, XLSX):
        assert sha256(small_data / name) in text, name
    files = m["files"]
    assert {"goals.json", "hexes.parquet", "rejects_elderly_care.csv"} <= set(files)
    for name, entry in files.items():
        path = run / name
        assert path.is_file(), name
        assert entry["bytes"] == path.stat().st_size and entry["sha256"] == sha256(path), name
    on_disk = {p.name for p in run.iterdir() if p.is_file() and p.name != "manifest.json"}
    assert on_disk <= set(files), on_disk - set(files)


# ------------------------------------------------------------------------------------------ data


def test_committed_data_is_small_and_as_documented(small_data):
    """tests/data/SOURCES.md lists the sha256 of every file; the data stays small."""
    sources = (small_data / "SOURCES.md").read_text(encoding="utf-8")
    listed = {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", sources, flags=re.MULTILINE)}
    assert set(listed) == {OSM, POP, OLDER, XLSX, POINTS}
    for name, digest in listed.items():
        assert sha256(small_data / name) == digest, f"{name} differs from SOURCES.md; regenerate with make_small_data.py"
    assert "© OpenStreetMap contributors" in sources
    total = sum(p.stat().st_size for p in small_data.iterdir() if p.is_file())
    assert total < 300_000
    with rasterio.open(small_data / POP) as src:
        assert (src.count, src.dtypes[0], src.crs.to_epsg(), src.nodata is not None) == (1, "float32", 4326, True)
        assert src.res == pytest.approx((1 / 1200, 1 / 1200))

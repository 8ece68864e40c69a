"""End to end on the real Hangzhou extract: run folder, goals, bad inputs, point queries, CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from affine import Affine

from accessibility import cli, config, errors
from accessibility.run import folder as runfolder
from accessibility.run import pipeline
from accessibility.run import write as outputs
from accessibility.run.inputs import AreaInput, PopulationInput, RunOptions
from accessibility.stages import hexes
from accessibility.tools import query

WUHAN_BOX = shapely.box(114.2, 30.5, 114.4, 30.65)
PART_OF_HANGZHOU = shapely.box(120.13, 30.24, 120.17, 30.28)

# Counts of matching tags in the Hangzhou extract (shared/data/SOURCES.md, verified with pyosmium):
# hospital 13 + clinic 1; park 20; track 17 + pitch 5 + stadium 3 + sports_centre 2; no kindergarten
# or elderly-care tags.
EXPECTED_FACILITIES = {"public_health": 14, "park": 20, "sports_fitness": 27, "preschool": 0, "elderly_care": 0}


def write_boundary(path: Path, geom: shapely.Geometry, crs: str = "EPSG:4326") -> Path:
    frame = gpd.GeoDataFrame({"name": ["area"]}, geometry=[geom], crs="EPSG:4326")
    if crs != "EPSG:4326":
        frame = frame.to_crs(crs)
    frame.to_file(path, driver="GeoJSON")
    return path


# --------------------------------------------------------------------------- run folder


def test_run_writes_every_run_file(hangzhou_run):
    _result, run_dir = hangzhou_run
    for name in outputs.RUN_FILES:
        path = run_dir / name
        assert path.is_file(), f"{name} missing from the run folder"
        assert path.stat().st_size > 0, f"{name} is empty"
    # no temporary file left behind by the atomic writes
    assert not [p.name for p in run_dir.iterdir() if p.name.startswith(".")]
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == set(outputs.RUN_FILES)
    for name, rec in manifest["files"].items():
        assert rec["bytes"] == (run_dir / name).stat().st_size
        assert rec["written_by"] == "run"
    assert manifest["format"] == runfolder.FORMAT
    assert set(manifest["timings_s"]) >= {"network", "facilities", "population", "distances", "goals"}
    osm = manifest["inputs"]["osm"]
    assert osm["sha256"] == "db79f6b77063edd28cf256232e5c115c65d6cfa50ac898a475587c96d8fe6ce3"  # SOURCES.md
    assert manifest["population"]["is_estimate"] is True


def test_results_gpkg_layers(hangzhou_run):
    result, run_dir = hangzhou_run
    gpkg = run_dir / "results.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"hexes", "facilities_points", "facilities_areas", "study_area"} <= layers
    hexes = gpd.read_file(gpkg, layer="hexes")
    assert len(hexes) == len(result.hexes)
    assert hexes.crs.to_epsg() == 4326
    assert hexes["pop"].sum() == pytest.approx(result.hexes["pop"].sum(), rel=1e-9)
    fac = [gpd.read_file(gpkg, layer=f"facilities_{k}") for k in ("points", "areas")]
    assert sum(map(len, fac)) == int((result.facilities["status"] == "used").sum())
    study = gpd.read_file(gpkg, layer="study_area")
    assert len(study) == 1
    assert study.geometry.iloc[0].equals_exact(result.study_area, 1e-9)


def test_results_gpkg_opens_with_ogrinfo(hangzhou_run, ogrinfo):
    result, run_dir = hangzhou_run
    gpkg = str(run_dir / "results.gpkg")
    listing = subprocess.run([ogrinfo, "-ro", "-q", gpkg], capture_output=True, text=True, timeout=60, check=False)
    assert listing.returncode == 0, listing.stderr
    for layer in ("hexes", "facilities", "study_area"):
        assert layer in listing.stdout
    summary = subprocess.run([ogrinfo, "-ro", "-so", gpkg, "hexes"], capture_output=True, text=True, timeout=60, check=False)
    assert summary.returncode == 0, summary.stderr
    assert f"Feature Count: {len(result.hexes)}" in summary.stdout


def test_hex_population_equals_demand_total(hangzhou_run):
    result, run_dir = hangzhou_run
    assert result.demand.total > 10_000
    assert result.hexes["pop"].sum() == pytest.approx(result.demand.total, rel=1e-3)
    assert result.hexes["older_pop"].sum() == pytest.approx(result.demand.total_older, rel=1e-3)
    parquet = gpd.read_parquet(run_dir / "hexes.parquet")
    assert parquet["pop"].sum() == pytest.approx(result.demand.total, rel=1e-3)
    # every hex id is a distinct H3 cell of the chosen resolution
    assert result.hexes["h3"].is_unique
    import h3

    assert {h3.get_resolution(h) for h in result.hexes["h3"]} == {pipeline.RunOptions().resolution}


def test_goal_results_are_consistent(hangzhou_run):
    result, _ = hangzhou_run
    ids = [g.id for g in result.goals]
    assert set(config.GOAL_IDS) <= set(ids)  # the stable ids are all evaluated by default
    for g in result.goals:
        assert g.share is not None and 0.0 <= g.share <= 1.0
        assert 0.0 <= g.covered_pop <= g.eligible_pop + 1e-6
        assert g.uncovered_pop == pytest.approx(g.eligible_pop - g.covered_pop)
        assert g.share == pytest.approx(g.covered_pop / g.eligible_pop)
        for s in g.per_service_share.values():
            assert s is not None and 0.0 <= s <= 1.0
        # "all" goals cannot cover more than their worst service
        if g.combine == "all":
            assert g.share <= min(g.per_service_share.values()) + 1e-12
        assert g.passed == (g.share >= g.targets[0]["share"] - 1e-12)
        for h in g.worst_hexes:
            assert h["uncovered_pop"] > 0
    older = result.goal("elderly_care_1km")
    assert older.eligible_pop == pytest.approx(result.demand.total_older, rel=1e-9)
    assert result.goal("park_10min").eligible_pop == pytest.approx(result.demand.total, rel=1e-9)


def test_goal_coverage_recomputed_from_point_costs(hangzhou_run):
    """Covered population, recounted from each resident's trip cost and the goal's threshold."""
    result, _ = hangzhou_run
    pc = result.point_costs
    goal_defs = {g.id: g for g in config.load_goals()}
    for g in result.goals:
        d = goal_defs[g.id]
        thr = d.max_dist_m if d.max_dist_m is not None else d.max_time_s * d.speed_m_s
        ok = []
        for s in d.services:
            tiers = d.tiers_for(s)
            col = f"{s}[{'+'.join(tiers)}]_dist_m" if tiers else f"{s}_dist_m"
            ok.append(pc[col].to_numpy() <= thr)
        covered = np.logical_and.reduce(ok) if d.combine == "all" else np.logical_or.reduce(ok)
        w = pc["older" if d.population == "older" else "pop"].to_numpy()
        assert g.covered_pop == pytest.approx(w[covered].sum(), rel=1e-9, abs=1e-6), g.id
    # the fitness and park goals are neither empty nor complete on this extract
    assert 0 < result.goal("fitness_10min").share < 1
    assert 0 < result.goal("park_10min").share < 1


def test_per_hex_goal_columns_add_up(hangzhou_run):
    result, _ = hangzhou_run
    for g in result.goals:
        assert result.hexes[f"{g.id}_eligible_pop"].sum() == pytest.approx(g.eligible_pop, rel=1e-6)
        assert result.hexes[f"{g.id}_covered_pop"].sum() == pytest.approx(g.covered_pop, rel=1e-6, abs=1e-6)


def test_facility_counts_match_the_extract(hangzhou_run):
    result, _ = hangzhou_run
    counts = result.facilities["service"].value_counts().to_dict()
    for service, n in EXPECTED_FACILITIES.items():
        assert counts.get(service, 0) == n, service
    assert (result.facilities["status"] == "used").all()  # every facility is within 300 m of a street
    assert result.facilities["facility_id"].is_unique


def test_services_without_facilities_warn_not_silent(hangzhou_run):
    result, run_dir = hangzhou_run
    circle = result.goal("service_circle_15min")
    assert circle.share == 0.0 and circle.covered_pop == 0.0
    assert circle.per_service_share["preschool"] == 0.0
    assert circle.per_service_share["elderly_care"] == 0.0
    assert any("preschool" in w for w in circle.warnings)
    assert any("elderly_care" in w for w in circle.warnings)
    # services that do have facilities get no such warning
    assert not any("'public_health'" in w or "'sports_fitness'" in w for w in circle.warnings)
    elderly = result.goal("elderly_care_1km")
    assert elderly.share == 0.0
    assert any("elderly_care" in w and "no usable" in w for w in elderly.warnings)
    # written out, too
    data = json.loads((run_dir / "goals.json").read_text(encoding="utf-8"))
    by_id = {g["id"]: g for g in data["goals"]}
    assert any("preschool" in w["message"] for w in by_id["service_circle_15min"]["warnings"])
    assert by_id["elderly_care_1km"]["share"] == 0.0
    md = (run_dir / "goals.md").read_text(encoding="utf-8")
    assert "**Warning:** no usable 'preschool' facility" in md


def test_estimate_is_labelled(hangzhou_run):
    result, run_dir = hangzhou_run
    assert result.demand.is_estimate
    md = (run_dir / "goals.md").read_text(encoding="utf-8")
    assert "Population is an estimate" in md
    data = json.loads((run_dir / "goals.json").read_text(encoding="utf-8"))
    assert data["population_is_estimate"] is True
    assert "estimate" in data["population_source"]
    for g in data["goals"]:
        assert g["population_is_estimate"] is True
        assert any("ESTIMATE" in w["message"] and w["code"] == "population.estimate" for w in g["warnings"])


def test_run_notes_report_dropped_pieces_and_default_area(hangzhou_run):
    result, run_dir = hangzhou_run
    assert any("kept the largest connected part" in n for n in result.notes)
    assert any("convex hull" in n for n in result.notes)
    assert any("main urban area: not given" in w for w in result.goal("elderly_care_1km").warnings)
    data = json.loads((run_dir / "goals.json").read_text(encoding="utf-8"))
    assert data["notes"] == result.notes.to_list()


def test_node_table_written_and_plausible(hangzhou_run, hangzhou_walk):
    result, run_dir = hangzhou_run
    nodes = pd.read_parquet(run_dir / "nodes_walk.parquet").drop(columns="geometry")  # GeoParquet: the nodes' points
    pd.testing.assert_frame_equal(nodes, result.node_table("walk"), check_dtype=False)
    assert len(nodes) == hangzhou_walk.n_nodes
    assert np.isinf(nodes["preschool_dist_m"]).all() and nodes["preschool_facility"].isna().all()
    assert np.isfinite(nodes["park_dist_m"]).all()
    ids = set(result.facilities.loc[result.facilities["service"] == "park", "facility_id"])
    assert set(nodes["park_facility"]) <= ids


def test_hexes_tile_the_study_area(hangzhou_run):
    result, _ = hangzhou_run
    tiles = shapely.union_all(result.hexes.geometry.to_numpy())
    assert shapely.covers(shapely.buffer(tiles, 1e-9), result.study_area)
    # and each demand point lies in the hexagon it was counted in
    pc = result.point_costs.sample(n=300, random_state=2)
    geom = result.hexes.set_index("h3").geometry
    assert all(shapely.intersects(geom[h], shapely.Point(x, y)) for h, x, y in zip(pc["h3"], pc["lon"], pc["lat"], strict=True))


def test_hex_mean_distance_is_population_weighted(hangzhou_run):
    result, _ = hangzhou_run
    pc = result.point_costs
    finite = np.isfinite(pc["park_dist_m"])
    w = pc["pop"].where(finite, 0.0)
    num = (w * pc["park_dist_m"].where(finite, 0.0)).groupby(pc["h3"]).sum()
    den = w.groupby(pc["h3"]).sum()
    expected = (num / den)[den > 0]
    got = result.hexes.set_index("h3")["park_dist_m"].reindex(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(
        result.hexes["park_mean_time_min"], result.hexes["park_dist_m"] / 60.0, rtol=1e-12
    )


def test_hexes_without_residents_get_the_distance_from_their_centre(hangzhou_run):
    """Their value is computed in the background while the Dijkstra runs; a point query at the centre agrees."""
    result, run_dir = hangzhou_run
    empty = result.hexes[result.hexes["pop"] <= 0].sample(n=40, random_state=3)
    assert len(empty) == 40
    lon, lat = hexes.cell_centres(np.array([h3.str_to_int(h) for h in empty["h3"]], dtype=np.uint64))
    ans = query.query_points(run_dir, lon, lat)
    for s in config.load_services():
        np.testing.assert_allclose(empty[f"{s}_dist_m"].to_numpy(), ans[f"{s}_dist_m"].to_numpy(), rtol=0, atol=1e-6, equal_nan=True)


def test_pbf_and_xml_runs_agree(hangzhou_bz2, hangzhou_run):
    full, _ = hangzhou_run
    other = pipeline.run(hangzhou_bz2)
    assert len(other.facilities) == len(full.facilities)
    assert other.demand.total == pytest.approx(full.demand.total, rel=1e-9)
    for a, b in zip(other.goals, full.goals, strict=True):
        assert a.id == b.id and a.share == pytest.approx(b.share, abs=1e-12)


def test_beijing_run_finds_its_kindergarten(beijing_bz2):
    """The Haidian extract has one kindergarten, two hospitals and 12 leisure=park (SOURCES.md)."""
    result = pipeline.run(beijing_bz2)
    fac = result.facilities
    pre = fac[fac["service"] == "preschool"]
    assert pre["facility_id"].tolist() == ["osm:way/226628792:preschool"]
    assert pre["name"].tolist() == ["清华大学附属幼儿园"]
    assert pre["status"].tolist() == ["used"]
    assert int((fac["tier"] == "hospital").sum()) == 2
    assert int(((fac["service"] == "park") & (fac["tier"] == "park")).sum()) == 12
    circle = result.goal("service_circle_15min")
    assert 0 < circle.per_service_share["preschool"] < 1
    assert not any("'preschool'" in w for w in circle.warnings)
    assert any("'elderly_care'" in w for w in circle.warnings)


def test_straight_line_comparison_is_never_below_network_share(hangzhou_pbf):
    goal = config.Goal(id="park_500m", name_zh="公园500米", name_en="Park 500 m", services=("park",), max_dist_m=500.0, straight_line=True)
    result = pipeline.run(hangzhou_pbf, goals=[goal])
    g = result.goal("park_500m")
    assert g.straight_line is not None
    assert g.straight_line["share"] >= g.share - 1e-3
    assert g.straight_line["share"] > 0


# --------------------------------------------------------------------------- other inputs


def test_progress_reports_every_stage(hangzhou_pbf, tmp_path):
    seen = []
    result = pipeline.run(hangzhou_pbf, goals=["park_10min"], out=tmp_path / "r", progress=lambda s, i, n: seen.append((s, i, n)))
    assert [s for s, _, _ in seen] == list(pipeline.STAGES)
    assert all(n == len(pipeline.STAGES) for _, _, n in seen)
    # the run folder is written without the streets' index, and its node table keeps no per-node costs
    walk = result.modes["walk"]
    assert walk._index is None and walk.results == {}
    # a tool that asks for them afterwards gets them, the same as before
    again = walk.index.snap_points(result.demand.lon[:50], result.demand.lat[:50])
    np.testing.assert_array_equal(again.edge, walk.residents.edge[:50])
    np.testing.assert_array_equal(again.t, walk.residents.t[:50])


def test_only_goals(hangzhou_pbf):
    result = pipeline.run(hangzhou_pbf, goals=["park_10min"])
    assert [g.id for g in result.goals] == ["park_10min"]
    with pytest.raises(errors.ConfigError, match="no_such_goal"):
        pipeline.run(hangzhou_pbf, goals=["no_such_goal"])


def test_boundary_in_web_mercator_is_reprojected(hangzhou_pbf, hangzhou_run, tmp_path):
    full, _ = hangzhou_run
    path = write_boundary(tmp_path / "part_3857.geojson", PART_OF_HANGZHOU, "EPSG:3857")
    result = pipeline.run(hangzhou_pbf, areas=path, goals=["park_10min"])
    assert any("reprojected" in n and "3857" in n for n in result.notes)
    # the study area is the box again, in WGS-84
    assert shapely.hausdorff_distance(result.study_area, PART_OF_HANGZHOU) < 1e-6
    assert shapely.contains_xy(shapely.buffer(PART_OF_HANGZHOU, 1e-9), result.demand.lon, result.demand.lat).all()
    assert 0 < result.demand.total < full.demand.total
    # estimate inside the box = the full run's demand points inside the box (same buildings)
    inside = shapely.contains_xy(PART_OF_HANGZHOU, full.demand.lon, full.demand.lat)
    assert result.demand.total == pytest.approx(full.demand.pop[inside].sum(), rel=1e-6)


def test_boundary_without_overlap(hangzhou_pbf, tmp_path):
    path = write_boundary(tmp_path / "wuhan.geojson", WUHAN_BOX)
    with pytest.raises(errors.NoOverlapError, match=re.escape("wuhan.geojson")):
        pipeline.run(hangzhou_pbf, areas=path)


def test_boundary_errors(hangzhou_pbf, tmp_path):
    with pytest.raises(errors.InputFileNotFoundError, match=re.escape("nowhere.geojson")):
        pipeline.run(hangzhou_pbf, areas=tmp_path / "nowhere.geojson")
    no_crs = tmp_path / "nocrs.geojson"
    feature = {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(PART_OF_HANGZHOU)}
    no_crs.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    # a GeoJSON without a crs member is WGS-84 by definition: accepted
    result = pipeline.run(hangzhou_pbf, areas=no_crs, goals=["park_10min"])
    assert result.demand.total > 0
    shp = tmp_path / "no_prj.shp"
    with pytest.warns(UserWarning, match="crs"):  # geopandas warns when writing without a CRS
        gpd.GeoDataFrame({"name": ["a"]}, geometry=[PART_OF_HANGZHOU], crs=None).to_file(shp)
    assert not shp.with_suffix(".prj").exists()
    with pytest.raises(errors.InputError, match="coordinate reference system"):
        pipeline.run(hangzhou_pbf, areas=shp)
    lines = tmp_path / "lines.geojson"
    gpd.GeoDataFrame(geometry=[shapely.LineString([(120.13, 30.24), (120.17, 30.28)])], crs="EPSG:4326").to_file(lines, driver="GeoJSON")
    with pytest.raises(errors.InputError, match="polygon"):
        pipeline.run(hangzhou_pbf, areas=lines)


def test_main_urban_area_restricts_the_elderly_goal(hangzhou_pbf, tmp_path):
    mua = shapely.Polygon([(120.14, 30.25), (120.18, 30.25), (120.18, 30.29), (120.14, 30.27)])
    path = write_boundary(tmp_path / "mua.gpkg", mua)
    result = pipeline.run(hangzhou_pbf, areas=AreaInput(main_urban_area=path), goals=["elderly_care_1km", "park_10min"])
    d = result.demand
    inside = shapely.contains_xy(mua, d.lon, d.lat)
    assert 0 < inside.sum() < len(d)
    assert result.goal("elderly_care_1km").eligible_pop == pytest.approx(d.older[inside].sum(), rel=1e-9)
    assert result.goal("park_10min").eligible_pop == pytest.approx(d.total, rel=1e-9)  # study-area goal


def test_wuhan_raster_does_not_overlap_hangzhou(hangzhou_pbf, wuhan_f, wuhan_m):
    with pytest.raises(errors.NoOverlapError, match=re.escape("pop_65_f_wuhan.tif")):
        pipeline.run(hangzhou_pbf, population=wuhan_f)
    with pytest.raises(errors.NoOverlapError):
        pipeline.run(hangzhou_pbf, population=PopulationInput(older=(wuhan_f, wuhan_m)))


def test_run_with_a_population_raster(hangzhou_pbf, tmp_path):
    """A synthetic 100 m UTM 51N raster over the whole extract: not an estimate, totals conserved."""
    import rasterio

    utm = pyproj.CRS.from_epsg(32651)
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4326", utm, always_xy=True).transform(120.09, 30.31)
    rng = np.random.default_rng(3)
    data = rng.uniform(0, 40, (110, 110)).astype("float32")
    path = tmp_path / "pop_utm51.tif"
    with rasterio.open(path, "w", driver="GTiff", width=110, height=110, count=1, dtype="float32", crs=utm,
                       transform=Affine(100.0, 0.0, round(x0), 0.0, -100.0, round(y0)), nodata=-1.0) as dst:
        dst.write(data, 1)
    result = pipeline.run(hangzhou_pbf, population=path, goals=["park_10min"], out=tmp_path / "run")
    assert not result.demand.is_estimate
    assert result.demand.source == "raster: pop_utm51.tif"
    # independent total: pixel centres (UTM) inside the study area (WGS-84)
    cols, rows = np.meshgrid(np.arange(110) + 0.5, np.arange(110) + 0.5)
    px, py = round(x0) + cols * 100.0, round(y0) - rows * 100.0
    lon, lat = pyproj.Transformer.from_crs(utm, "EPSG:4326", always_xy=True).transform(px.ravel(), py.ravel())
    inside = shapely.contains_xy(result.study_area, lon, lat)
    assert result.demand.total == pytest.approx(float(data.ravel()[inside].sum()), rel=1e-6)
    assert result.hexes["pop"].sum() == pytest.approx(result.demand.total, rel=1e-3)
    md = (tmp_path / "run" / "goals.md").read_text(encoding="utf-8")
    assert "Population is an estimate" not in md


def test_run_with_older_raster_only(hangzhou_pbf, tmp_path):
    """Only an older-age raster: the total is estimated, older people come from the raster."""
    import rasterio

    data = np.full((80, 100), 0.5, dtype="float32")  # 0.5 older people per 0.001 deg pixel
    path = tmp_path / "older.tif"
    with rasterio.open(path, "w", driver="GTiff", width=100, height=80, count=1, dtype="float32", crs="EPSG:4326",
                       transform=Affine(0.001, 0.0, 120.09, 0.0, -0.001, 30.31), nodata=-1.0) as dst:
        dst.write(data, 1)
    result = pipeline.run(hangzhou_pbf, population=PopulationInput(older=(path,)), goals=["elderly_care_1km", "park_10min"])
    d = result.demand
    assert d.is_estimate and "estimate" in d.source
    assert "older.tif" in d.older_source
    cols, rows = np.meshgrid(np.arange(100) + 0.5, np.arange(80) + 0.5)
    inside = shapely.contains_xy(result.study_area, 120.09 + cols.ravel() * 0.001, 30.31 - rows.ravel() * 0.001)
    assert d.total_older == pytest.approx(0.5 * inside.sum(), rel=1e-6)
    assert result.goal("elderly_care_1km").eligible_pop == pytest.approx(d.total_older, rel=1e-9)
    assert result.goal("park_10min").eligible_pop == pytest.approx(d.total, rel=1e-9)
    assert result.hexes["older_pop"].sum() == pytest.approx(d.total_older, rel=1e-6)


def test_drive_time_goal_matches_networkx_oracle(hangzhou_pbf):
    """A 5-minute drive goal: coverage recounted from networkx drive times (one-way streets, per-class speeds)."""
    from test_distances import oracle

    goal = config.Goal(id="health_drive_5min", name_zh="x", name_en="x", services=("public_health",), max_time_s=300.0, mode="drive")
    result = pipeline.run(hangzhou_pbf, goals=[goal])
    state = result.modes["drive"]
    assert state.net.info["mode"] == "drive" and state.net.mode.weight == "time"
    d = result.demand
    q = state.index.snap_points(d.lon, d.lat)
    rows = state.access.facility
    is_health = (result.facilities["service"].to_numpy() == "public_health")[rows]
    sub = type(state.access.snapped)(state.access.snapped.edge[is_health], state.access.snapped.t[is_health], state.access.snapped.snap_dist_m[is_health])
    _, seconds, _ = oracle(state.net, rows[is_health], sub, q, "time")
    g = result.goal("health_drive_5min")
    assert g.mode == "drive" and g.threshold_m is None
    assert g.covered_pop == pytest.approx(d.pop[seconds <= 300.0].sum(), rel=1e-9, abs=1e-6)
    assert 0 < g.share < 1


# --------------------------------------------------------------------------- bad input


def test_missing_osm_file(tmp_path):
    missing = tmp_path / "no_such_city.osm.pbf"
    with pytest.raises(errors.InputFileNotFoundError, match=re.escape("no_such_city.osm.pbf")) as exc:
        pipeline.run(missing)
    assert isinstance(exc.value, FileNotFoundError)


def test_corrupt_osm_file(tmp_path):
    bad = tmp_path / "x.osm.pbf"
    bad.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(errors.OSMDataError, match=re.escape("x.osm.pbf")):
        pipeline.run(bad)


def test_truncated_osm_file(tmp_path, hangzhou_pbf):
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(hangzhou_pbf.read_bytes()[:50_000])
    with pytest.raises(errors.OSMDataError, match=re.escape("cut.osm.pbf")):
        pipeline.run(cut)


def test_empty_osm_file(tmp_path):
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(errors.OSMDataError, match="empty"):
        pipeline.run(empty)


def test_osm_path_is_a_folder_or_wrong_type(tmp_path):
    folder = tmp_path / "dir.osm.pbf"
    folder.mkdir()
    with pytest.raises(errors.OSMDataError, match="folder"):
        pipeline.run(folder)
    csv = tmp_path / "roads.csv"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(errors.OSMDataError, match=re.escape("roads.csv")):
        pipeline.run(csv)


def test_goals_file_naming_unknown_service(hangzhou_pbf, tmp_path):
    goals_toml = tmp_path / "goals.toml"
    goals_toml.write_text(
        '[[goal]]\nid = "library_15min"\nservices = ["library"]\nmax_time_min = 15\n', encoding="utf-8"
    )
    with pytest.raises(errors.ConfigError, match="library") as exc:
        pipeline.run(hangzhou_pbf, goals=goals_toml)
    assert "goals.toml" in str(exc.value)
    goal = config.Goal(id="g", name_zh="g", name_en="g", services=("library",), max_dist_m=500.0)
    with pytest.raises(errors.ConfigError, match="library"):
        pipeline.run(hangzhou_pbf, goals=[goal])


def test_custom_goal_objects(hangzhou_pbf, hangzhou_run):
    full, _ = hangzhou_run
    near = config.Goal(id="park_300m", name_zh="公园300米", name_en="Park 300 m", services=("park",), max_dist_m=300.0)
    far = config.Goal(id="park_3km", name_zh="公园3公里", name_en="Park 3 km", services=("park",), max_dist_m=3000.0)
    either = config.Goal(id="park_or_health", name_zh="x", name_en="x", services=("park", "public_health"), combine="any", max_dist_m=300.0)
    result = pipeline.run(hangzhou_pbf, goals=[near, far, either])
    s_near, s_far, s_any = (result.goal(i).share for i in ("park_300m", "park_3km", "park_or_health"))
    assert 0 < s_near < full.goal("park_10min").share < s_far <= 1.0
    assert s_any >= s_near


def test_run_options_are_validated():
    with pytest.raises(errors.InputError):
        pipeline.RunOptions(resolution=16)
    with pytest.raises(errors.InputError):
        pipeline.RunOptions(max_snap_m=0)
    with pytest.raises(errors.InputError):
        pipeline.RunOptions(older_share=1.5)


# --------------------------------------------------------------------------- point queries


def test_query_points_agree_with_the_run(hangzhou_run):
    result, run_dir = hangzhou_run
    pc = result.point_costs
    sample = pc.sample(n=min(400, len(pc)), random_state=1)
    ans = query.query_points(run_dir, sample["lon"].to_numpy(), sample["lat"].to_numpy())
    for s in config.load_services():
        want = sample[f"{s}_dist_m"].to_numpy()
        got = ans[f"{s}_dist_m"].to_numpy()
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=0, atol=1e-6)
        assert np.isnan(got[~finite]).all()  # unreachable is empty, not inf
        np.testing.assert_allclose(ans[f"{s}_time_min"].to_numpy()[finite], want[finite] / 1.0 / 60.0, rtol=1e-12)
        same = sample[f"{s}_facility"].to_numpy()[finite] == ans[f"{s}_facility"].to_numpy()[finite]
        assert same.all(), s


def test_query_points_walk_speed_and_unknown_service(hangzhou_run):
    _, run_dir = hangzhou_run
    ans = query.query_points(run_dir, [120.16], [30.26], services=["park"], walk_speed_m_s=0.8)
    assert list(ans.columns) == ["snap_dist_m", "park_dist_m", "park_time_min", "park_facility"]
    assert ans["park_time_min"].iloc[0] == pytest.approx(ans["park_dist_m"].iloc[0] / 0.8 / 60)
    with pytest.raises(errors.InputError, match="library"):
        query.query_points(run_dir, [120.16], [30.26], services=["library"])


def test_query_csv_round_trip(hangzhou_run, tmp_path):
    _result, run_dir = hangzhou_run
    rows = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6, 7, 8],
            "name": ["湖滨", "武林", "缺坐标", "文字", "颠倒", "远方", "黄龙", "西湖中"],
            "lon": ["120.165", "120.170", "", "abc", "30.26", "0.0", "120.145", "120.14"],
            "lat": ["30.255", "30.272", "30.26", "30.26", "120.16", "0.0", "30.270", "30.245"],
            "note": ["a", "b", "c", "d", "e", "f", "g", "h"],
        }
    )
    src = tmp_path / "points.csv"
    rows.to_csv(src, index=False, encoding="utf-8")
    out = tmp_path / "answers.csv"
    frame = query.query_csv(run_dir, src, out)
    back = pd.read_csv(out, encoding="utf-8-sig", dtype={"lon": str, "lat": str}, keep_default_na=False)
    services = list(config.load_services())
    # input columns kept, in order, then the answers
    assert list(back.columns[:5]) == ["id", "name", "lon", "lat", "note"]
    for s in services:
        for kind in ("dist_m", "time_min", "facility"):
            assert f"{s}_{kind}" in back.columns
    assert "query_status" in back.columns
    assert back["name"].tolist() == rows["name"].tolist()
    assert back["note"].tolist() == rows["note"].tolist()
    status = back["query_status"].tolist()
    assert status[0] == "ok" and status[1] == "ok" and status[6] == "ok"
    assert "invalid" in status[2] and "invalid" in status[3]
    assert "out of range" in status[4] and "swapped" in status[4]
    assert "outside" in status[5]
    # in the middle of West Lake, ~580 m from any street: answered and flagged
    assert status[7].startswith("far from the street network")
    assert np.isfinite(float(frame.loc[7, "park_dist_m"])) and float(frame.loc[7, "snap_dist_m"]) > 300
    # bad rows have no answer, good rows the same answer as query_points
    assert np.isnan(frame.loc[[2, 3, 4, 5], "park_dist_m"].astype(float)).all()
    good = [0, 1, 6]
    direct = query.query_points(run_dir, [120.165, 120.170, 120.145], [30.255, 30.272, 30.270])
    np.testing.assert_allclose(frame.loc[good, "park_dist_m"].astype(float), direct["park_dist_m"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(back.loc[good, "park_dist_m"].astype(float), direct["park_dist_m"], rtol=1e-9)
    assert back.loc[good, "park_facility"].tolist() == direct["park_facility"].tolist()


def test_query_csv_gbk_chinese_columns(hangzhou_run, tmp_path):
    _, run_dir = hangzhou_run
    src = tmp_path / "社区.csv"
    pd.DataFrame({"社区": ["湖滨街道"], "经度": [120.165], "纬度": [30.255]}).to_csv(src, index=False, encoding="gbk")
    frame = query.query_csv(run_dir, src, tmp_path / "out.csv")
    assert frame["query_status"].tolist() == ["ok"]
    assert frame["社区"].tolist() == ["湖滨街道"]
    assert np.isfinite(frame["park_dist_m"].astype(float)).all()


def test_query_csv_missing_columns_and_files(hangzhou_run, tmp_path):
    _, run_dir = hangzhou_run
    src = tmp_path / "p.csv"
    pd.DataFrame({"a": [1], "b": [2]}).to_csv(src, index=False)
    with pytest.raises(errors.InputError, match="longitude"):
        query.query_csv(run_dir, src, tmp_path / "o.csv")
    with pytest.raises(errors.InputFileNotFoundError):
        query.query_csv(run_dir, tmp_path / "none.csv", tmp_path / "o.csv")


def test_query_needs_a_complete_run_folder(hangzhou_run, tmp_path):
    _, run_dir = hangzhou_run
    with pytest.raises(errors.RunDirectoryError):
        query.query_points(tmp_path / "no_run", [120.16], [30.26])
    partial = tmp_path / "partial"
    shutil.copytree(run_dir, partial)
    (partial / "access_points_walk.parquet").unlink()
    with pytest.raises(errors.RunDirectoryError, match=re.escape("access_points_walk.parquet")):
        query.query_points(partial, [120.16], [30.26])


# --------------------------------------------------------------------------- command line


def test_cli_run(hangzhou_pbf, tmp_path, capsys):
    out = tmp_path / "cli_run"
    code = cli.main(["-q", "run", "--osm", str(hangzhou_pbf), "--out", str(out), "--goal", "park_10min"])
    assert code == 0
    captured = capsys.readouterr()
    assert "park_10min" in captured.out
    for name in outputs.RUN_FILES:
        assert (out / name).is_file(), name
    data = json.loads((out / "goals.json").read_text(encoding="utf-8"))
    assert [g["id"] for g in data["goals"]] == ["park_10min"]


def test_cli_demo(tmp_path, capsys):
    out = tmp_path / "demo"
    assert cli.main(["-q", "demo", "--out", str(out)]) == 0
    data = json.loads((out / "goals.json").read_text(encoding="utf-8"))
    assert set(config.GOAL_IDS) <= {g["id"] for g in data["goals"]}
    for g in data["goals"]:
        assert g["share"] is None or 0.0 <= g["share"] <= 1.0
    assert "Helsinki" in capsys.readouterr().err


def test_cli_missing_file_exit_code_2(tmp_path, capsys):
    missing = tmp_path / "missing.osm.pbf"
    code = cli.main(["run", "--osm", str(missing), "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "error:" in err and str(missing) in err
    assert not (tmp_path / "o").exists()


def test_cli_raster_of_another_city_exit_code_2(hangzhou_pbf, wuhan_f, tmp_path, capsys):
    code = cli.main(["-q", "run", "--osm", str(hangzhou_pbf), "--population", str(wuhan_f), "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "pop_65_f_wuhan.tif" in err and "does not overlap" in err


def test_cli_bad_goals_exit_code_2(hangzhou_pbf, tmp_path, capsys):
    bad = tmp_path / "goals.toml"
    bad.write_text("[[goal]\nid = 1\n", encoding="utf-8")
    assert cli.main(["-q", "run", "--osm", str(hangzhou_pbf), "--goals", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "goals.toml" in capsys.readouterr().err


def test_cli_query(hangzhou_run, tmp_path, capsys):
    _, run_dir = hangzhou_run
    pts = tmp_path / "p.csv"
    pd.DataFrame({"lng": [120.165, 999.0], "lat": [30.255, 30.0]}).to_csv(pts, index=False)
    out = tmp_path / "answers.csv"
    assert cli.main(["query", str(run_dir), "--points", str(pts), "--out", str(out), "--service", "park"]) == 0
    assert "answered 1 of 2" in capsys.readouterr().out
    back = pd.read_csv(out, encoding="utf-8-sig")
    assert list(back.columns) == ["lng", "lat", "snap_dist_m", "park_dist_m", "park_time_min", "park_facility", "query_status"]


def test_cli_runs_as_a_program(tmp_path):
    """The installed console script reports errors on stderr with exit code 2."""
    exe = shutil.which("accessibility", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert exe is not None, "the `accessibility` console script is not installed (pip install -e .)"
    bad = subprocess.run([exe, "run", "--osm", str(tmp_path / "nope.osm.pbf"), "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "nope.osm.pbf" in bad.stderr


def test_run_leaves_the_garbage_collector_as_it_found_it(hangzhou_pbf, monkeypatch):
    import gc

    frozen, unfrozen, real_freeze, real_unfreeze = [], [], gc.freeze, gc.unfreeze
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1) or real_freeze())
    monkeypatch.setattr(gc, "unfreeze", lambda: unfrozen.append(1) or real_unfreeze())
    pipeline.run(hangzhou_pbf, options=RunOptions(cache=False))
    assert len(frozen) == len(unfrozen) == 1 and gc.get_freeze_count() == 0  # frozen during the run, released after it
    # a process that froze its own objects (before forking workers) keeps them frozen, untouched
    real_freeze()
    try:
        pipeline.run(hangzhou_pbf, options=RunOptions(cache=False))
        assert len(frozen) == len(unfrozen) == 1 and gc.get_freeze_count() > 0
    finally:
        real_unfreeze()

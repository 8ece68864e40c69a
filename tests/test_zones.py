"""Districts (DataV boundaries in GCJ-02) and population zones (census counts spread to demand points)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import rasterio
import shapely

from accessibility import cli, errors
from accessibility.coords import chinacoords as cc
from accessibility.readers import osm, rasters, zones
from accessibility.run import pipeline
from accessibility.run.inputs import PopulationInput
from accessibility.stages import districts as districts_stage
from accessibility.stages import population

GEOD = pyproj.Geod(ellps="WGS84")
WEST_LAKE_CENTRE = (120.14, 30.245)  # WGS-84
INNER = shapely.box(120.12, 30.24, 120.17, 30.29)  # well inside the Hangzhou extract's streets


@pytest.fixture(scope="module")
def hangzhou_districts(shared_data) -> Path:
    path = shared_data / "zhejiang_admin_boundaries_datav" / "330100_full.json"
    if not path.exists():
        pytest.skip(f"{path} missing")  # pragma: no cover - conftest's shared_data fails in CI first
    return path


def to_metric(geom):
    tr = pyproj.Transformer.from_crs(4326, 32650, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


# --------------------------------------------------------------------------- DataV districts line up with OSM


@pytest.mark.shared
def test_datav_districts_line_up_with_osm_after_conversion(hangzhou_districts, hangzhou_pbf):
    converted, notes = zones.districts_from_file(hangzhou_districts, crs="gcj02")
    raw, _ = zones.districts_from_file(hangzhou_districts)  # as the file claims: WGS-84
    assert any("GCJ-02" in n for n in notes)
    assert len(converted) == 13 and converted["district_id"].iloc[4] == "330106"
    west = converted.set_index("district_id").loc["330106"]
    assert west["district_name"] == "西湖区"
    west_raw = raw.set_index("district_id").loc["330106"].geometry
    assert west.geometry.contains(shapely.Point(*WEST_LAKE_CENTRE))
    features = osm.read_features(hangzhou_pbf, ("natural", "leisure")).frame
    lake = features[features["osm_id"] == 4317769].geometry.iloc[0]  # 西湖 / West Lake, natural=water
    assert shapely.area(shapely.intersection(west.geometry, lake)) / lake.area > 0.99
    # OSM water and parks whose centre is in the converted West Lake district are there by design
    named = features[[("natural" in t or "leisure" in t) for t in features["tags"]]]
    inside = shapely.contains_xy(west.geometry, *np.transpose([(p.x, p.y) for p in shapely.point_on_surface(named.geometry.to_numpy())]))
    assert inside.sum() >= 5
    # The district's east edge follows the lake's east shore: with the conversion the boundary
    # vertices near the shore lie on it (median ~7 m); read as WGS-84 they are ~350 m off.
    shore = to_metric(lake).boundary
    for geom, lo, hi in ((west.geometry, 0, 50), (west_raw, 250, 600)):
        d = shapely.distance(shapely.points(shapely.get_coordinates(to_metric(geom))), shore)
        near = d < 800
        assert near.sum() >= 5
        assert lo <= np.median(d[near]) < hi
    # the whole boundary moves by the GCJ-02 offset, ~0.5 km here
    lon, lat = shapely.get_coordinates(west_raw).T
    w_lon, w_lat = cc.gcj02_to_wgs84(lon, lat)
    shift = GEOD.inv(lon, lat, w_lon, w_lat)[2]
    assert 400 < np.median(shift) < 700


def test_boundary_crs_is_declared_not_guessed(tmp_path):
    lon, lat = cc.wgs84_to_gcj02([120.12, 120.17, 120.17, 120.12], [30.24, 30.24, 30.29, 30.29])
    poly = shapely.Polygon(np.column_stack([lon, lat]))
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[poly], crs=4326).to_file(tmp_path / "b.geojson")
    from accessibility.readers import areas

    as_is, _ = areas.area_from_file(tmp_path / "b.geojson")
    conv, notes = areas.area_from_file(tmp_path / "b.geojson", crs="gcj02")
    assert conv.equals_exact(shapely.box(120.12, 30.24, 120.17, 30.29).normalize(), 1e-7) or conv.normalize().equals_exact(
        shapely.box(120.12, 30.24, 120.17, 30.29).normalize(), 1e-7
    )
    assert not as_is.equals_exact(conv, 1e-4) and any("GCJ-02" in n for n in notes)
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[to_metric(poly)], crs=32650).to_file(tmp_path / "m.gpkg")
    with pytest.raises(errors.InputError, match="projected metres"):
        areas.area_from_file(tmp_path / "m.gpkg", crs="gcj02")


def test_goal_by_district_adds_up_with_an_outside_row():
    districts = gpd.GeoDataFrame({"district_id": ["1", "2"], "district_name": ["甲", "乙"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
    lon, lat = np.array([0.5, 1.5, 1.0, 3.0]), np.array([0.5, 0.5, 0.5, 3.0])  # the third is on the shared edge
    idx = districts_stage.district_of_points(districts, lon, lat)
    assert list(idx) == [0, 1, 0, -1]
    w = np.array([10.0, 20.0, 5.0, 7.0])
    rows = districts_stage.goal_by_district(idx, districts, w, np.array([True, False, True, True]))
    assert [r["district_name"] for r in rows] == ["甲", "乙", districts_stage.OUTSIDE[1]]
    assert sum(r["eligible_pop"] for r in rows) == pytest.approx(w.sum())
    assert rows[0]["share"] == 1.0 and rows[1]["share"] == 0.0 and rows[2]["covered_pop"] == 7.0


# --------------------------------------------------------------------------- end to end: user list + districts


@pytest.fixture(scope="module")
def hangzhou_user_run(hangzhou_pbf, hangzhou_walk, hangzhou_districts, tmp_path_factory):
    """The CLI on Hangzhou with a GCJ-02 elderly-care CSV and the DataV districts (GCJ-02)."""
    tmp = tmp_path_factory.mktemp("hz_user")
    xy = hangzhou_walk.nodes[["lon", "lat"]].to_numpy()
    targets = [(120.125, 30.255), (120.145, 30.275), (120.165, 30.265), (120.155, 30.285), (120.115, 30.275)]
    wgs = np.array([xy[np.argmin(((xy - t) ** 2).sum(axis=1))] for t in targets])
    g_lon, g_lat = cc.wgs84_to_gcj02(wgs[:, 0], wgs[:, 1])
    homes = pd.DataFrame({"名称": [f"养老院{i}" for i in range(5)], "lng": g_lon, "lat": g_lat, "床位": [100, 60, 80, 120, 50]})
    homes.to_csv(tmp / "homes.csv", index=False, encoding="utf-8-sig")
    out = tmp / "run"
    rc = cli.main([
        "-q", "run", "--osm", str(hangzhou_pbf), "--out", str(out),
        "--facilities", str(tmp / "homes.csv"), "--service", "elderly_care", "--facilities-crs", "gcj02",
        "--districts", str(hangzhou_districts), "--districts-crs", "gcj02",
    ])
    assert rc == 0
    return out, wgs


@pytest.mark.shared
def test_elderly_care_goal_with_user_list_has_district_results(hangzhou_user_run):
    out, _wgs = hangzhou_user_run
    goals = json.loads((out / "goals.json").read_text(encoding="utf-8"))
    by_id = {g["id"]: g for g in goals["goals"]}
    elderly = by_id["elderly_care_1km"]
    assert elderly["share"] > 0.05  # 0% with OSM alone: the extract has no elderly-care tags
    for g in goals["goals"]:
        rows = g["by_district"]
        assert sum(r["eligible_pop"] for r in rows) == pytest.approx(g["eligible_pop"], rel=1e-9)
        assert sum(r["covered_pop"] for r in rows) == pytest.approx(g["covered_pop"], rel=1e-9, abs=1e-6)
    names = {r["district_name"]: r for r in elderly["by_district"]}
    assert names["西湖区"]["eligible_pop"] > 0 and names["西湖区"]["covered_pop"] > 0
    layer = gpd.read_file(out / "results.gpkg", layer="districts")
    assert {"district_id", "district_name", "pop", "older_pop", "elderly_care_1km_share", "elderly_care_1km_eligible_pop"} <= set(layer.columns)
    assert layer["elderly_care_1km_eligible_pop"].sum() == pytest.approx(elderly["eligible_pop"], rel=1e-9, abs=1e-6) or any(
        r["district_id"] == "" for r in elderly["by_district"]
    )
    md = (out / "goals.md").read_text(encoding="utf-8")
    assert "By district:" in md and "西湖区" in md
    fac = gpd.read_file(out / "results.gpkg", layer="facilities_points")
    user = fac[fac["source"] == "user:homes.csv"]
    assert len(user) == 5 and sorted(user["beds"]) == [50, 60, 80, 100, 120]
    assert (out / "rejects_elderly_care.csv").is_file()
    assert pd.read_csv(out / "rejects_elderly_care.csv", encoding="utf-8-sig").empty


# --------------------------------------------------------------------------- population zones


def _grid_zones(box: shapely.Polygon, nx: int = 3, ny: int = 2) -> list[shapely.Polygon]:
    x0, y0, x1, y1 = box.bounds
    xs, ys = np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1)
    return [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for j in range(ny) for i in range(nx)]


@pytest.fixture(scope="module")
def zone_files(tmp_path_factory):
    """Six street zones in GCJ-02 (9-digit codes) and a census table (12-digit codes, one stray row)."""
    tmp = tmp_path_factory.mktemp("zones")
    polys = _grid_zones(INNER)
    gcj = [shapely.transform(p, lambda xy: np.column_stack(cc.wgs84_to_gcj02(xy[:, 0], xy[:, 1]))) for p in polys]
    codes = [f"3301060{i:02d}" for i in range(1, 7)]
    gpd.GeoDataFrame({"街道代码": codes, "街道": [f"街道{i}" for i in range(1, 7)]}, geometry=gcj, crs=4326).to_file(tmp / "streets.geojson")
    census = pd.DataFrame(
        {
            "统计用区划代码": [c + "000" for c in codes[:5]] + ["330199999000"],  # zone 6 has no row; one row has no zone
            "常住人口": [12000, 8000, "15,000", 9000, 20000, 5000],
            "老龄化率": ["20.5%", "18%", "25%", "", "19%", "30%"],
        }
    )
    census.to_csv(tmp / "census.csv", index=False, encoding="gbk")
    return tmp, polys


@pytest.mark.shared
@pytest.mark.parametrize("spread", ["area", "buildings"])
def test_zone_totals_are_conserved(zone_files, hangzhou_pbf, spread, tmp_path):
    tmp, polys = zone_files
    gpd.GeoDataFrame({"name": ["inner"]}, geometry=[INNER], crs=4326).to_file(tmp_path / "area.geojson")
    zi = zones.ZoneInput(tmp / "streets.geojson", crs="gcj02", table=tmp / "census.csv", spread=spread)
    result = pipeline.run(hangzhou_pbf, areas=tmp_path / "area.geojson", population=PopulationInput(zones=zi), out=tmp_path / "run")
    zone_total = 12000 + 8000 + 15000 + 9000 + 20000
    assert result.demand.total == pytest.approx(zone_total, rel=1e-3)  # the 0.1%; in fact ~1e-12
    assert result.demand.total == pytest.approx(zone_total, rel=1e-9)
    older = 12000 * 0.205 + 8000 * 0.18 + 15000 * 0.25 + 9000 * population.ZHEJIANG_OLDER_SHARE_2020 + 20000 * 0.19
    assert result.demand.total_older == pytest.approx(older, rel=1e-9)
    assert result.hexes["pop"].sum() == pytest.approx(zone_total, rel=1e-9)
    assert not result.demand.is_estimate and result.demand.source == "zones: census.csv"
    # each zone's people are inside it (converted from GCJ-02)
    for k, p in enumerate(polys[:5]):
        inside = shapely.contains_xy(p.buffer(1e-9), result.demand.lon, result.demand.lat)
        assert result.demand.pop[inside].sum() == pytest.approx([12000, 8000, 15000, 9000, 20000][k], rel=1e-6)
    rejects = pd.read_csv(tmp_path / "run" / "rejects_zones.csv", encoding="utf-8-sig", dtype=str)
    assert set(rejects["action"]) == {"rejected", "no_count"}
    assert "330199999000" in set(rejects["统计用区划代码"].dropna())
    assert "330106006" in set(rejects["街道代码"].dropna())
    if spread == "buildings":
        assert any("residential buildings" in n for n in result.notes)


@pytest.mark.shared
def test_zones_partly_outside_the_study_area_are_reported(zone_files, hangzhou_pbf, tmp_path):
    tmp, _polys = zone_files
    half = shapely.box(120.12, 30.24, 120.145, 30.29)  # the western half of the zones
    gpd.GeoDataFrame({"name": ["half"]}, geometry=[half], crs=4326).to_file(tmp_path / "half.geojson")
    zi = zones.ZoneInput(tmp / "streets.geojson", crs="gcj02", table=tmp / "census.csv", table_key="统计用区划代码")
    result = pipeline.run(hangzhou_pbf, areas=tmp_path / "half.geojson", population=PopulationInput(zones=zi), goals=["park_10min"])
    frame, _, _ = zones.zones_from_file(tmp / "streets.geojson", crs="gcj02", table=tmp / "census.csv")
    geoms = frame.geometry.to_numpy()  # shares of each zone's area (lon/lat, where the edges are straight)
    inside_share = shapely.area(shapely.intersection(geoms, half)) / shapely.area(geoms)
    expected = float((frame["pop"].to_numpy() * inside_share).sum())
    assert result.demand.total == pytest.approx(expected, rel=1e-6)
    assert any("outside the study area" in n for n in result.notes)


def test_zones_with_counts_in_the_polygons_and_bad_values(tmp_path):
    polys = _grid_zones(INNER, 2, 1)
    gpd.GeoDataFrame({"name": ["a", "b"], "pop": [1000, "n/a"], "older": [300, 10]}, geometry=polys, crs=4326).to_file(tmp_path / "z.gpkg")
    frame, rejects, _ = zones.zones_from_file(tmp_path / "z.gpkg")
    assert list(frame["pop"]) == [1000, 0] and list(rejects["action"]) == ["rejected", "no_count"]
    d = population.demand_from_zones(frame, INNER, cell_m=200)
    assert d.total == pytest.approx(1000, rel=1e-9) and d.total_older == pytest.approx(300, rel=1e-9)
    with pytest.raises(errors.InputError, match="no column '人口' for the population"):
        zones.zones_from_file(tmp_path / "z.gpkg", pop_col="人口")


# --------------------------------------------------------------------------- several age-band rasters


@pytest.mark.shared
def test_wuhan_age_bands_summed_then_zones_conserve(wuhan_f, wuhan_m):
    """WorldPop 65-69 female + male bands: summed exactly, and zone totals survive the round trip."""
    with rasterio.open(wuhan_f) as src:
        b = src.bounds
    footprint = shapely.box(b.left, b.bottom, b.right, b.top).buffer(-0.01)
    d = population.demand_from_rasters(footprint, population=None, older=[wuhan_f, wuhan_m])
    f = rasters.raster_points(wuhan_f, footprint)[2].sum()
    m = rasters.raster_points(wuhan_m, footprint)[2].sum()
    assert d.total_older == pytest.approx(f + m, rel=1e-12) and f > 1000 and m > 1000
    # aggregate to 4 zones, spread back by area: the zone totals are conserved to < 0.1%
    polys = _grid_zones(footprint, 2, 2)
    idx = districts_stage.district_of_points(gpd.GeoDataFrame(geometry=polys, crs=4326), d.lon, d.lat)
    counts = np.bincount(idx, weights=d.older, minlength=4)
    zf = gpd.GeoDataFrame({"zone_id": list("abcd"), "zone_name": list("abcd"), "pop": counts, "older": counts}, geometry=polys, crs=4326)
    back = population.demand_from_zones(zf, footprint, cell_m=500)
    assert back.total == pytest.approx(counts.sum(), rel=1e-3)
    assert back.total_older == pytest.approx(f + m, rel=1e-9)


@pytest.mark.shared
def test_zones_and_rasters_are_exclusive(hangzhou_pbf, wuhan_f, zone_files):
    tmp, _ = zone_files
    with pytest.raises(errors.InputError, match="either as zones"):
        PopulationInput(raster=wuhan_f, zones=zones.ZoneInput(tmp / "streets.geojson", table=tmp / "census.csv"))


@pytest.mark.shared
def test_results_gpkg_districts_layer_opens(hangzhou_user_run):
    out, _ = hangzhou_user_run
    assert "districts" in {name for name, _ in pyogrio.list_layers(out / "results.gpkg")}

"""Results in the planner's own coordinates: query points in GCJ-02/BD-09 or as GeoDataFrames, answers and
provision per facility carrying the web-map coordinates the run's inputs were declared in.

On the small Hubin data (tests/data): the elderly-care list is in GCJ-02, so the run's planner
system is GCJ-02.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import accessibility as acc
from accessibility import cli
from accessibility.coords import chinacoords
from accessibility.coords.geodesy import haversine_m
from accessibility.run.inputs import FacilityInput, RunOptions
from accessibility.tools import provision, query

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> acc.RunResult:
    return acc.run(
        DATA / "hangzhou_hubin.osm.pbf", population=DATA / "hangzhou_hubin_pop_3arcsec.tif", goals=["elderly_care_1km"],
        facilities=[FacilityInput(DATA / "hubin_elderly_care_gcj02.xlsx", service="elderly_care", crs="gcj02")],
        options=RunOptions(cache=False), out=tmp_path_factory.mktemp("planner") / "run",
    )


@pytest.fixture(scope="module")
def points() -> pd.DataFrame:
    return pd.read_csv(DATA / "hubin_points.csv")


def test_gcj02_and_bd09_points_get_the_answers_of_their_wgs84_places(run: acc.RunResult, points: pd.DataFrame, tmp_path: Path) -> None:
    wgs = query.query_csv(run, DATA / "hubin_points.csv", tmp_path / "wgs.csv")
    for system, convert in (("gcj02", chinacoords.wgs84_to_gcj02), ("bd09", chinacoords.wgs84_to_bd09)):
        x, y = convert(points["经度"].to_numpy(), points["纬度"].to_numpy())
        shifted = points.assign(经度=np.round(x, 7), 纬度=np.round(y, 7))
        path = tmp_path / f"{system}.csv"
        shifted.to_csv(path, index=False, encoding="gbk")  # as WPS saves it
        got = query.query_csv(run, path, tmp_path / f"{system}_answers.csv", crs=system)
        # placed where the WGS-84 points are (the exact inverse, to centimetres), so the same answers
        assert haversine_m(got["lon"].to_numpy(), got["lat"].to_numpy(), points["经度"].to_numpy(), points["纬度"].to_numpy()).max() < 0.05
        np.testing.assert_allclose(got["elderly_care_dist_m"], wgs["elderly_care_dist_m"], atol=0.5)
        assert got["elderly_care_facility"].tolist() == wgs["elderly_care_facility"].tolist()
    # unconverted, BD-09 points land about a kilometre away: the answers differ
    wrong = query.query_csv(run, path, tmp_path / "wrong.csv")
    assert not np.allclose(wrong["elderly_care_dist_m"], wgs["elderly_care_dist_m"], atol=50)


def test_answers_carry_the_runs_planner_coordinates(run: acc.RunResult, points: pd.DataFrame, tmp_path: Path) -> None:
    got = query.query_csv(run, DATA / "hubin_points.csv", tmp_path / "answers.csv")
    assert {"lon_gcj02", "lat_gcj02"} <= set(got.columns)
    lon, lat = chinacoords.gcj02_to_wgs84(got["lon_gcj02"].to_numpy(), got["lat_gcj02"].to_numpy())
    assert haversine_m(lon, lat, points["经度"].to_numpy(), points["纬度"].to_numpy()).max() < 1.0
    written = pd.read_csv(tmp_path / "answers.csv", encoding="utf-8-sig")
    assert list(written.columns[:3]) == list(points.columns)  # the planner's own columns first, unchanged


def test_geodataframe_points_in_a_projected_crs(run: acc.RunResult, points: pd.DataFrame, tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(points[["名称"]], geometry=gpd.points_from_xy(points["经度"], points["纬度"]), crs="EPSG:4326").to_crs("EPSG:32650")
    got = query.query_csv(run, gdf, tmp_path / "gdf.csv")
    wgs = query.query_csv(run, DATA / "hubin_points.csv", tmp_path / "wgs.csv")
    np.testing.assert_allclose(got["elderly_care_dist_m"], wgs["elderly_care_dist_m"], atol=0.5)
    assert got["名称"].tolist() == points["名称"].tolist()


def test_cli_points_crs(run: acc.RunResult, points: pd.DataFrame, tmp_path: Path) -> None:
    x, y = chinacoords.wgs84_to_gcj02(points["经度"].to_numpy(), points["纬度"].to_numpy())
    points.assign(经度=x, 纬度=y).to_csv(tmp_path / "g.csv", index=False)
    assert run.folder is not None
    assert cli.main(["-q", "query", str(run.folder), "--points", str(tmp_path / "g.csv"), "--points-crs", "gcj02", "--out", str(tmp_path / "a.csv")]) == 0
    answers = pd.read_csv(tmp_path / "a.csv", encoding="utf-8-sig")
    assert haversine_m(answers["lon"].to_numpy(), answers["lat"].to_numpy(), points["经度"].to_numpy(), points["纬度"].to_numpy()).max() < 0.05
    assert cli.main(["-q", "query", str(run.folder), "--points", str(tmp_path / "g.csv"), "--points-crs", "EPSG:32650", "--out", str(tmp_path / "b.csv")]) == 2


def test_provision_per_facility_in_planner_coordinates(run: acc.RunResult) -> None:
    res = provision.provision_from_run(run, "elderly_beds_per_10k")
    fac = res.facilities
    assert {"name", "lon", "lat", "lon_gcj02", "lat_gcj02"} <= set(fac.columns)
    lon, lat = chinacoords.gcj02_to_wgs84(fac["lon_gcj02"].to_numpy(), fac["lat_gcj02"].to_numpy())
    assert haversine_m(lon, lat, fac["lon"].to_numpy(), fac["lat"].to_numpy()).max() < 1.0
    # the planner's own homes come back at the coordinates of their list
    table = pd.read_excel(DATA / "hubin_elderly_care_gcj02.xlsx", header=1, dtype={"经度": float, "纬度": float})
    mine = fac.merge(table, left_on="name", right_on="机构名称")
    mine = mine[mine["经度"] > 90]  # HB-007's lon/lat are swapped in the list (the reader swaps them back)
    assert len(mine) >= 5
    assert haversine_m(mine["lon_gcj02"].to_numpy(), mine["lat_gcj02"].to_numpy(), mine["经度"].to_numpy(), mine["纬度"].to_numpy()).max() < 1.0

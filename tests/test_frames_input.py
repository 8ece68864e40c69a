"""Every argument that takes a file also takes the data itself: (Geo)DataFrames and shapely polygons.

On the small Hubin data (tests/data): the same run from files and from frames gives the same
verdicts, the same rejects and the same district rows; frames are validated as files are
(a GeoDataFrame without CRS is refused, a table without geometry is not a boundary) and the
manifest records their content digest.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import accessibility as acc
from accessibility import errors
from accessibility.readers import sources
from accessibility.run.inputs import AreaInput, CensusInput, DistrictInput, FacilityInput, PopulationInput, RunOptions

DATA = Path(__file__).parent / "data"
OSM = DATA / "hangzhou_hubin.osm.pbf"
POP = DATA / "hangzhou_hubin_pop_3arcsec.tif"
XLSX = DATA / "hubin_elderly_care_gcj02.xlsx"
GOALS = ["elderly_care_1km", "park_10min"]

BOX = shapely.box(120.150, 30.250, 120.175, 30.280)
WEST, EAST = shapely.box(120.150, 30.250, 120.1625, 30.280), shapely.box(120.1625, 30.250, 120.175, 30.280)


def _districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": ["330102", "330103"], "name": ["西片", "东片"]}, geometry=[WEST, EAST], crs="EPSG:4326")


def _census() -> pd.DataFrame:
    return pd.DataFrame({"区划代码": ["330102", "330103"], "名称": ["西片", "东片"], "常住人口": [30000, 20000]})


def _care_list() -> pd.DataFrame:
    """The spreadsheet as a notebook user would have it: read with pandas, header on the second row."""
    return pd.read_excel(XLSX, header=1, dtype=object)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[acc.RunResult, acc.RunResult]:
    tmp = tmp_path_factory.mktemp("frames")
    boundary, districts, census = tmp / "boundary.geojson", tmp / "districts.geojson", tmp / "census.csv"
    gpd.GeoDataFrame({"name": ["box"]}, geometry=[BOX], crs="EPSG:4326").to_file(boundary)
    _districts().to_file(districts)
    _census().to_csv(census, index=False, encoding="utf-8-sig")
    opts = RunOptions(cache=False)
    from_files = acc.run(
        OSM, population=PopulationInput(raster=POP, census=CensusInput(census)), goals=GOALS, options=opts, out=tmp / "files",
        areas=AreaInput(boundary=boundary, districts=DistrictInput(districts)),
        facilities=[FacilityInput(XLSX, service="elderly_care", crs="gcj02")],
    )
    from_frames = acc.run(
        OSM, population=PopulationInput(raster=POP, census=CensusInput(_census())), goals=GOALS, options=opts, out=tmp / "frames",
        areas=AreaInput(boundary=gpd.GeoDataFrame(geometry=[BOX], crs="EPSG:4326"), districts=DistrictInput(_districts())),
        facilities=[FacilityInput(_care_list(), service="elderly_care", crs="gcj02")],
    )
    return from_files, from_frames


def test_frames_give_the_same_run_as_files(runs: tuple[acc.RunResult, acc.RunResult]) -> None:
    files, frames = runs
    assert [(g.id, g.status, g.covered_pop, g.share) for g in files.goals] == [(g.id, g.status, g.covered_pop, g.share) for g in frames.goals]
    assert frames.study_area.equals(files.study_area)
    # the same rows used and rejected, for the same reasons
    rej_f, rej_m = files.tables["rejects_elderly_care.csv"], frames.tables["rejects_elderly_care.csv"]
    assert len(rej_f) == len(rej_m) > 0
    assert rej_f["reason"].tolist() == rej_m["reason"].tolist()
    assert files.imports[0]["used"] == frames.imports[0]["used"] == 9
    # districts calibrated to the census frame as to the census file
    rows = [[(r["district_name"], round(r["eligible_pop"]), r["share"]) for r in run.by_district["park_10min"]] for run in (files, frames)]
    assert rows[0] == rows[1]
    assert {name for name, *_ in rows[1]} >= {"西片", "东片"}
    assert frames.manifest["population"]["total"] == pytest.approx(50000 * BOX.intersection(WEST.union(EAST)).area / WEST.union(EAST).area, rel=0.02)


def test_manifest_records_in_memory_inputs(runs: tuple[acc.RunResult, acc.RunResult]) -> None:
    _, frames = runs
    assert frames.folder is not None
    inputs = json.loads((frames.folder / "manifest.json").read_text(encoding="utf-8"))["inputs"]
    assert inputs["boundary"]["in_memory"] is True
    assert inputs["boundary"]["path"] == "<boundary GeoDataFrame, 1 row>"
    assert inputs["facility_files"][0]["rows"] == 10
    assert len(inputs["districts"]["sha256"]) == 64
    # the digest is of the content: the same frame gives the same digest, a changed cell another
    care = _care_list()
    assert sources.digest(care) == inputs["facility_files"][0]["sha256"]
    care.iloc[0, 1] = "改名"
    assert sources.digest(care) != inputs["facility_files"][0]["sha256"]


def test_shapely_polygon_boundary(tmp_path: Path) -> None:
    res = acc.run(OSM, population=POP, goals=["park_10min"], areas=BOX, options=RunOptions(cache=False))
    assert res.study_area.equals(BOX)
    assert res.manifest["population"]["total"] > 0


def test_frames_are_validated_like_files() -> None:
    no_crs = gpd.GeoDataFrame(geometry=[BOX])
    with pytest.raises(errors.InputError, match=r"<boundary GeoDataFrame, 1 row>"):
        acc.run(OSM, population=POP, goals=["park_10min"], areas=no_crs, options=RunOptions(cache=False))
    table = pd.DataFrame({"name": ["a"], "value": [1]})
    with pytest.raises(errors.InputError, match=r"<boundary DataFrame, 1 row>.*no geometry"):
        acc.run(OSM, population=POP, goals=["park_10min"], areas=table, options=RunOptions(cache=False))
    far = gpd.GeoDataFrame(geometry=[shapely.box(116.3, 39.9, 116.4, 40.0)], crs="EPSG:4326")
    with pytest.raises(errors.NoOverlapError, match=r"<boundary GeoDataFrame, 1 row>"):
        acc.run(OSM, population=POP, goals=["park_10min"], areas=far, options=RunOptions(cache=False))
    no_coords = pd.DataFrame({"名称": ["某养老院"], "床位": [10]})
    with pytest.raises(errors.InputError, match=r"<facilities DataFrame, 1 row>"):
        acc.run(OSM, population=POP, goals=["elderly_care_1km"], facilities=[FacilityInput(no_coords, service="elderly_care")], options=RunOptions(cache=False))


def test_frame_is_copied_not_changed() -> None:
    care = _care_list()
    before = care.copy()
    acc.run(OSM, population=POP, goals=["elderly_care_1km"], facilities=[FacilityInput(care, service="elderly_care", crs="gcj02")], options=RunOptions(cache=False))
    pd.testing.assert_frame_equal(care, before)

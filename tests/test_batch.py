"""Batch runs on Dask: Hangzhou's districts (DataV, GCJ-02) over the Hangzhou West Lake extract.

One batch on a 2-worker LocalCluster with real worker processes runs every
district that intersects the extract plus a deliberately broken area (a
district moved 5 degrees east, far from any street). Its per-district
verdicts must equal separate single-area ``pipeline.run`` calls on the whole
file; the broken area must be retried, reported as failed and not stop the
others; a rerun must reuse the finished districts.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from accessibility import cli, errors
from accessibility.readers import areas
from accessibility.run import batch, pipeline
from accessibility.run.inputs import AreaInput, RunOptions

pytestmark = pytest.mark.shared

EXTRACT_BOX = shapely.box(120.100, 30.230, 120.185, 30.296)  # the extract's bbox (lon, lat)
FAR = "far_away"


@pytest.fixture(scope="module")
def districts_file(shared_data: Path, tmp_path_factory) -> Path:
    src = shared_data / "zhejiang_admin_boundaries_datav" / "330100_full.json"
    if not src.exists():
        pytest.skip(f"{src} missing")
    wgs, _ = areas.polygons_from_file(src, crs="gcj02")
    names = wgs.loc[wgs.intersects(EXTRACT_BOX), "name"].tolist()
    assert len(names) >= 3, names
    raw = gpd.read_file(src)[["name", "adcode", "geometry"]]  # still GCJ-02, as DataV ships it
    raw = raw[raw["name"].isin(names)].reset_index(drop=True)
    far = raw.iloc[[0]].copy()
    far["name"] = FAR
    far["geometry"] = far.geometry.translate(5.0, 0.0)
    out = tmp_path_factory.mktemp("areas") / "hangzhou_districts_gcj02.geojson"
    pd.concat([raw, far]).pipe(gpd.GeoDataFrame, crs=raw.crs).to_file(out, driver="GeoJSON")
    return out


@pytest.fixture(scope="module")
def first_batch(districts_file, hangzhou_pbf, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "hz"
    cache_dir = tmp_path_factory.mktemp("netcache")
    res = batch.run_batch(
        districts_file,
        hangzhou_pbf,
        out,
        options=batch.BatchOptions(areas_crs="gcj02", workers=2, processes=True, retries=1, cache=cache_dir),  # real worker processes
    )
    return res, out, cache_dir


def test_batch_runs_every_district_and_reports_the_broken_one(first_batch, districts_file):
    res, out, _ = first_batch
    names = gpd.read_file(districts_file)["name"].tolist()
    st = res.status.set_index("area")
    assert list(st.index) == names
    assert st.loc[FAR, "status"] == "failed"
    assert st.loc[FAR, "attempts"] == 2  # first try + one retry
    assert "NoOverlapError" in st.loc[FAR, "error"] and FAR in st.loc[FAR, "error"]
    ok = [n for n in names if n != FAR]
    assert (st.loc[ok, "status"] == "done").all()
    assert res.failed == [FAR]
    # the file was read once for every area's cut; each task only wrote its own
    for n in ok:
        assert json.loads((Path(st.loc[n, "folder"]) / "task.json").read_text(encoding="utf-8"))["clip"]["selected_by_batch"] is True
    # one table, one report, one map layer
    table = pd.read_csv(out / "batch_results.csv")
    assert list(table.columns) == batch.RESULT_COLUMNS
    assert sorted(set(table["area"])) == sorted(ok)
    assert len(table) == len(ok) * table["goal"].nunique()
    pd.testing.assert_frame_equal(pd.read_parquet(out / "batch_results.parquet"), res.table)
    report = (out / "batch_report.md").read_text(encoding="utf-8")
    assert "## Failed areas" in report and FAR in report and "NoOverlapError" in report
    for n in ok:
        assert f"| {n} |" in report
    # the extract covers a corner of each district: no district passes or fails, each says how much is covered
    assert (table["status"] == "incomplete_data").all() and table["passed"].isna().all()
    cover = table.groupby("area")["data_coverage"].first()
    assert cover.loc["西湖区"] == pytest.approx(0.106, abs=0.01) and (cover < 0.95).all()
    assert table["caveat"].str.startswith("data covers").all()
    layer = gpd.read_file(out / "batch_areas.gpkg", layer="areas")
    assert len(layer) == len(names) and layer.crs.to_epsg() == 4326
    assert {f"share_{g}" for g in table["goal"]} <= set(layer.columns)
    # converted from GCJ-02: the layer sits on the WGS-84 network, not ~500 m off
    west_lake = layer[layer["area"] == "西湖区"]
    if len(west_lake):
        assert west_lake.geometry.iloc[0].contains(shapely.Point(120.145, 30.245))  # the lake's west shore area
    # the failure left a readable trace and no completion marker
    far_dir = Path(st.loc[FAR, "folder"])
    assert "NoOverlapError" in (far_dir / "error.txt").read_text(encoding="utf-8")
    assert not batch.is_complete(far_dir)


def test_batch_numbers_equal_single_area_runs(first_batch, districts_file, hangzhou_pbf, tmp_path):
    res, _, cache_dir = first_batch
    raw = gpd.read_file(districts_file)
    checked = 0
    for row in raw.itertuples():
        if row.name == FAR:
            continue
        one = tmp_path / f"{row.adcode}.geojson"
        gpd.GeoDataFrame({"name": [row.name]}, geometry=[row.geometry], crs=raw.crs).to_file(one, driver="GeoJSON")
        single = pipeline.run(hangzhou_pbf, areas=AreaInput(boundary=one, crs="gcj02"), options=RunOptions(cache=cache_dir))
        got = res.table[res.table["area"] == row.name].set_index("goal")
        assert sorted(got.index) == sorted(g.id for g in single.goals)
        for g in single.goals:
            r = got.loc[g.id]
            assert r["eligible"] == pytest.approx(g.eligible_pop, rel=1e-9, abs=1e-9), (row.name, g.id)
            assert r["covered"] == pytest.approx(g.covered_pop, rel=1e-9, abs=1e-9), (row.name, g.id)
            if g.share is None:
                assert pd.isna(r["share"])
            else:
                assert r["share"] == pytest.approx(g.share, rel=1e-9)
            assert (pd.isna(r["passed"]) and g.passed is None) or bool(r["passed"]) == g.passed
        checked += 1
    assert checked >= 3
    assert (res.table["eligible"] > 0).any() and (res.table["covered"] > 0).any()


def test_rerun_reuses_finished_areas(first_batch, districts_file, hangzhou_pbf):
    res, out, cache_dir = first_batch
    st = res.status.set_index("area")
    done = [a for a in st.index if a != FAR]
    stamps = {a: (Path(st.loc[a, "folder"]) / "run" / "manifest.json").stat().st_mtime_ns for a in done}
    again = batch.run_batch(districts_file, hangzhou_pbf, out, options=batch.BatchOptions(areas_crs="gcj02", workers=1, processes=False, retries=0, cache=cache_dir))
    st2 = again.status.set_index("area")
    assert (st2.loc[done, "status"] == "reused").all()
    assert st2.loc[FAR, "status"] == "failed"  # not complete, so tried again
    assert {a: (Path(st.loc[a, "folder"]) / "run" / "manifest.json").stat().st_mtime_ns for a in done} == stamps
    pd.testing.assert_frame_equal(again.table, res.table)
    # only the named areas, all finished: no cluster needed, through the command line
    rc = cli.main(
        ["-q", "batch", "--areas", str(districts_file), "--osm", str(hangzhou_pbf), "--out", str(out), "--areas-crs", "gcj02",
         "--cache", str(cache_dir), "--area", done[0], "--area", done[1]]
    )
    assert rc == 0
    assert len(pd.read_csv(out / "batch_status.csv")) == 2


def test_changed_parameters_are_not_reused(first_batch):
    res, _, _ = first_batch
    folder = Path(res.status.set_index("area").loc["西湖区" if "西湖区" in set(res.status["area"]) else res.status["area"][0], "folder"])
    task = json.loads((folder / "task.json").read_text(encoding="utf-8"))
    assert batch.is_complete(folder)
    assert task["digest"]
    # a different buffer (or OSM file, options, area shape) is a different task
    fake = {"area": "x", "folder": str(folder), "buffer_m": 1.0}
    assert not batch.is_complete(folder, fake)


def test_read_areas_names_and_errors(districts_file, tmp_path):
    frame = batch.read_areas(districts_file, crs="gcj02")
    assert frame["area"].is_unique and frame["folder"].is_unique
    by_code = batch.read_areas(districts_file, crs="gcj02", name_field="adcode")
    assert by_code["area"].iloc[:-1].str.fullmatch(r"\d{6}").all()
    assert by_code["area"].iloc[-1] == by_code["area"].iloc[0] + "_2"  # the moved copy keeps its adcode
    with pytest.raises(errors.InputError, match="no attribute 'nope'"):
        batch.read_areas(districts_file, crs="gcj02", name_field="nope")
    twice = tmp_path / "twice.geojson"
    g = gpd.read_file(districts_file).iloc[[0, 0]]
    g.to_file(twice, driver="GeoJSON")
    names = batch.read_areas(twice, crs="gcj02")["area"].tolist()
    assert names[1] == names[0] + "_2"


def test_buffered_bbox_grows_by_metres():
    box = batch.buffered_bbox(shapely.box(120.0, 30.0, 120.1, 30.1), 2000)
    assert box[1] == pytest.approx(30.0 - 2000 / 110574.0)
    assert 120.0 - box[0] >= 2000 / (111320.0 * 0.866)  # at least 2 km east-west at 30 deg


def test_local_workers_share_the_cores(monkeypatch):
    import os

    from accessibility.core import parallel

    monkeypatch.setattr(parallel, "thread_count", lambda: 4)
    client, cluster = batch._client(None, 2, True)
    try:
        got = client.run(lambda: os.environ.get("ACCESSIBILITY_THREADS"))
    finally:
        client.close()
        cluster.close()
    assert sorted(got.values()) == ["2", "2"]

"""Runs on your own streets: a road line layer (run --network) or a networkx graph instead of the OSM file's.

The issue's acceptance test: the shared Xi'an road shapefile (UTM 49N, GBK) with the shared
Baidu (BD-09) care homes runs end to end, and its verdicts and per-resident distances equal those
of a run on the same roads written as an OSM file.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from test_road_lines import XIAN_ROADS, write_reference_osm

import accessibility as acc
from accessibility import cli, errors
from accessibility.network import RoadLayerInput, graph_from_file, to_networkx
from accessibility.run.inputs import AreaInput, FacilityInput, RunOptions

pytestmark = pytest.mark.shared

OLD_TOWN = shapely.box(108.925, 34.252, 108.985, 34.290)  # inside and around the City Wall (WGS-84)
CARE = "xian_baidu_poi_2017/poiXianOldTown"
ELDERLY = "养老院|敬老院|老年公寓|福利院|护理院|居家养老"


@pytest.fixture(scope="module")
def xian(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The old town's roads (a 2 km margin) as a GeoPackage in UTM 49N and as an OSM file; its care homes as Baidu JSON (BD-09)."""
    tmp = tmp_path_factory.mktemp("xian_run")
    # the clip is read independently of the package's reader (pyogrio with the encoding SOURCES.md gives)
    with zipfile.ZipFile(shared_data / XIAN_ROADS) as zf:
        zf.extractall(tmp)
    pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": "YES"})  # the zip has no .shx
    try:
        frame = pyogrio.read_dataframe(tmp / "rode_project.shp", encoding="gbk")
    finally:
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})
    margin = gpd.GeoSeries([OLD_TOWN], crs="EPSG:4326").to_crs(frame.crs).buffer(2000).iloc[0]
    clip = frame[frame.intersects(margin)].reset_index(drop=True)
    clip.to_file(tmp / "old_town_roads.gpkg", engine="pyogrio")
    write_reference_osm(clip, tmp / "old_town.osm.pbf")
    records = []
    for name in ("poi_16_government.json.gz", "poi_3_lifeService.json.gz"):
        with gzip.open(shared_data / CARE / name, "rt", encoding="utf-8") as f:
            records += [r for r in json.load(f) if pd.Series([r["name"]]).str.contains(ELDERLY).iloc[0]]
    assert len(records) >= 10
    (tmp / "care_homes_bd09.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return {"gpkg": tmp / "old_town_roads.gpkg", "osm": tmp / "old_town.osm.pbf", "care": tmp / "care_homes_bd09.json", "tmp": tmp}


def _run(tmp: Path, name: str, **kw) -> acc.RunResult:
    return acc.run(
        goals=["elderly_care_1km"], areas=AreaInput(boundary=OLD_TOWN), options=RunOptions(cache=False), out=tmp / name,
        facilities=[FacilityInput(kw.pop("care"), service="elderly_care", crs="bd09")], **kw,
    )


def test_road_layer_run_equals_the_same_roads_as_osm(xian: dict[str, Path]) -> None:
    lines = _run(xian["tmp"], "lines", network=RoadLayerInput(xian["gpkg"]), care=xian["care"])
    osm = _run(xian["tmp"], "osm", osm_path=xian["osm"], care=xian["care"])
    assert lines.manifest["streets"] == "lines" and lines.manifest["osm"] is None
    assert lines.manifest["inputs"]["network"]["sha256"]
    assert lines.modes["walk"].net.n_nodes == osm.modes["walk"].net.n_nodes
    # the same residents (the street estimate on the same residential roads) and the same care homes
    assert lines.demand.total == pytest.approx(osm.demand.total, rel=1e-9)
    assert (lines.facilities["status"] == "used").sum() == (osm.facilities["status"] == "used").sum() >= 10
    a, b = lines.point_costs["elderly_care_dist_m"].to_numpy(), osm.point_costs["elderly_care_dist_m"].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-3)
    ga, gb = lines.goal("elderly_care_1km"), osm.goal("elderly_care_1km")
    assert ga.share == pytest.approx(gb.share, abs=1e-9)
    assert 0.05 < ga.share < 0.95
    # every number says the population is an estimate from streets
    assert lines.demand.is_estimate and "street" in lines.demand.source


def test_cli_network_without_osm(xian: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = xian["tmp"] / "cli"
    code = cli.main([
        "-q", "run", "--network", str(xian["gpkg"]), "--facilities", str(xian["care"]), "--service", "elderly_care", "--facilities-crs", "bd09",
        "--goal", "elderly_care_1km", "--out", str(out), "--no-briefing", "--no-cache",
    ])
    assert code == 0
    assert "elderly_care_1km" in capsys.readouterr().out
    doc = json.loads((out / "goals.json").read_text(encoding="utf-8"))
    assert [g["id"] for g in doc["goals"]] == ["elderly_care_1km"]
    # no streets at all: a clear error, not a traceback
    code = cli.main(["-q", "run", "--out", str(xian["tmp"] / "none"), "--no-briefing"])
    err = capsys.readouterr().err
    assert code != 0 and "--network" in err and "Traceback" not in err


def test_networkx_graph_as_the_network(xian: dict[str, Path]) -> None:
    net = graph_from_file(xian["osm"])
    g = to_networkx(net)
    from_graph = _run(xian["tmp"], "nx", network=g, care=xian["care"])
    from_osm = _run(xian["tmp"], "osm2", osm_path=xian["osm"], care=xian["care"])
    assert from_graph.manifest["streets"] == "networkx"
    # networkx keeps only the shortest of parallel streets between two junctions (graph_from_networkx), so a few
    # residents and homes join a neighbouring street and the street estimate differs a little
    assert from_graph.demand.total == pytest.approx(from_osm.demand.total, rel=0.01)
    assert from_graph.goal("elderly_care_1km").share == pytest.approx(from_osm.goal("elderly_care_1km").share, abs=0.005)


def test_a_single_mode_network_is_refused_for_other_modes(xian: dict[str, Path]) -> None:
    walk = graph_from_file(xian["osm"])
    goal = next(g for g in acc.load_goals() if g.id == "elderly_care_1km")
    by_car = dataclasses.replace(goal, id="care_by_car", mode="drive")
    with pytest.raises(errors.InputError, match="a walk network, but the goals also travel by"):
        acc.run(network=walk, goals=[by_car], options=RunOptions(cache=False), areas=AreaInput(boundary=OLD_TOWN))

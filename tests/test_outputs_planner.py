"""The run's outputs in the planner's own tools: GeoParquet, styled single-type GeoPackages, the XLSX workbook.

One run of the small committed data (tests/data: the Hubin OSM clip, its population rasters, the
GCJ-02 list of care homes with deliberate faults, and two districts drawn here, one of them a
multipolygon), then ``suggest``, ``provision`` and ``isochrones`` on its folder, all through the
command line. Every file of the folder is checked as the planner's tool would open it.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3
import subprocess
import time
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely

from accessibility import cli, config, errors
from accessibility.coords.geodesy import utm_crs_for
from accessibility.core import palette
from accessibility.network.graph import Network
from accessibility.network.snapping import Snapped
from accessibility.run import folder as runfolder
from accessibility.run import geoparquet, gpkgstyle, workbook, write
from accessibility.run.read import read_run

REPO = Path(__file__).resolve().parents[1]
SINGLE_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
SPLIT_LON = 120.163  # the two districts: west and east of this meridian


def cli_ok(*argv: object) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in argv])
    assert code == 0, f"accessibility {' '.join(map(str, argv))} exited {code}:\n{err.getvalue()}"
    return out.getvalue()


@pytest.fixture(scope="module")
def run(small_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """The run folder after run + suggest + provision + isochrones, and the bytes of every file the run itself wrote."""
    base = tmp_path_factory.mktemp("planner")
    west = shapely.box(120.10, 30.22, SPLIT_LON, 30.31)
    east = shapely.MultiPolygon([shapely.box(SPLIT_LON, 30.22, 120.20, 30.2649), shapely.box(SPLIT_LON, 30.2651, 120.20, 30.31)])  # two parts
    districts = base / "districts.geojson"
    gpd.GeoDataFrame({"name": ["湖滨西", "湖滨东"], "adcode": ["330102001", "330102002"]}, geometry=[west, east], crs="EPSG:4326").to_file(districts)
    out, again = base / "run", base / "again"
    args = (
        "run", "--osm", small_data / "hangzhou_hubin.osm.pbf",
        "--population", small_data / "hangzhou_hubin_pop_3arcsec.tif", "--older-population", small_data / "hangzhou_hubin_older_3arcsec.tif",
        "--facilities", small_data / "hubin_elderly_care_gcj02.xlsx", "--service", "elderly_care", "--facilities-crs", "gcj02",
        "--districts", districts, "--no-briefing",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACCESSIBILITY_LOG_DIR", str(base / "logs"))
        mp.setenv("ACCESSIBILITY_CACHE", str(base / "cache"))
        cli_ok(*args, "--out", out)
        written = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != runfolder.MANIFEST}
        cli_ok("suggest", out, "--goal", "elderly_care_1km", "--k", "2")
        cli_ok("provision", out, "--indicator", "elderly_beds_per_10k")
        cli_ok("isochrones", out, "--service", "elderly_care", "--cutoffs-m", "300", "600", "--how", "dissolved", "per_facility")
        time.sleep(2.0)  # zip dates have 2-second steps: the rerun is at another time
        cli_ok(*args, "--out", again)
    return out, written, again


def goals_of(out: Path) -> dict:
    return json.loads((out / "goals.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------- GeoParquet


def test_every_parquet_of_the_run_is_geoparquet(run):
    out, _, _ = run
    files = sorted(out.glob("*.parquet"))
    names = {p.name for p in files}
    assert {"network_walk_nodes.parquet", "access_points_walk.parquet", "nodes_walk.parquet", "demand_points.parquet",
            "provision_elderly_beds_per_10k_hexes.parquet"} <= names
    for path in files:
        frame = gpd.read_parquet(path)
        assert frame.crs is not None and frame.crs.to_epsg() == 4326, path.name
        assert len(frame) > 0 and frame.geometry.notna().all() and not frame.geometry.is_empty.any(), path.name
        assert set(frame.geom_type) <= SINGLE_TYPES, path.name
    # the point tables keep their columns; the geometry is their lon/lat, exactly
    for name in ("network_walk_nodes.parquet", "nodes_walk.parquet", "demand_points.parquet"):
        frame = gpd.read_parquet(out / name)
        assert {"lon", "lat"} <= set(frame.columns) and set(frame.geom_type) == {"Point"}, name
        np.testing.assert_array_equal(frame.geometry.x.to_numpy(), frame["lon"].to_numpy(), err_msg=name)
        np.testing.assert_array_equal(frame.geometry.y.to_numpy(), frame["lat"].to_numpy(), err_msg=name)
    hexes = gpd.read_parquet(out / "provision_elderly_beds_per_10k_hexes.parquet")
    assert set(hexes.geom_type) == {"Polygon"}
    assert all(shapely.contains_xy(g, *_h3_centre(h)) for g, h in zip(hexes.geometry, hexes["h3"], strict=True))


def _h3_centre(cell: str) -> tuple[float, float]:
    lat, lon = h3.cell_to_latlng(cell)
    return lon, lat


def test_access_points_lie_on_their_edge_at_t(run):
    out, _, _ = run
    ap = gpd.read_parquet(out / "access_points_walk.parquet")
    assert {"facility_row", "facility_id", "edge", "t", "snap_dist_m"} <= set(ap.columns)
    edges = gpd.read_parquet(out / "network_walk_edges.parquet")
    nodes = pd.read_parquet(out / "network_walk_nodes.parquet", columns=["lon", "lat"])
    crs = utm_crs_for(float(nodes["lon"].median()), float(nodes["lat"].median()))  # the network's metric CRS
    lines = gpd.GeoSeries(edges.geometry.to_numpy()[ap["edge"].to_numpy()], crs=4326).to_crs(crs)
    pts = ap.geometry.to_crs(crs)
    assert float(lines.distance(pts, align=False).max()) < 1e-3  # on the street, to the millimetre
    along = shapely.line_locate_point(lines.to_numpy(), pts.to_numpy(), normalized=True)
    np.testing.assert_allclose(along, ap["t"].to_numpy(), atol=1e-6)


def test_access_point_on_a_bent_edge_is_measured_in_metres():
    """An L-shaped edge, 100 m east then 100 m north: half way along it is the corner (in degrees it would be ~7 m short)."""
    lon0, lat0 = 120.15, 30.26
    to_utm = pyproj.Transformer.from_crs(4326, 32651, always_xy=True)
    x0, y0 = to_utm.transform(lon0, lat0)
    xs, ys = [x0, x0 + 100.0, x0 + 100.0], [y0, y0, y0 + 100.0]
    lon, lat = to_utm.transform(xs, ys, direction="INVERSE")
    nodes = pd.DataFrame({"osmid": [1, 2], "lon": [lon[0], lon[2]], "lat": [lat[0], lat[2]]})
    edges = gpd.GeoDataFrame({"u": [0], "v": [1], "length_m": [200.0]}, geometry=[shapely.LineString(np.column_stack([lon, lat]))], crs=4326)
    net = Network(nodes=nodes, edges=edges, mode=config.load_mode("walk"))
    assert net.metric_crs.to_epsg() == 32651
    pts = geoparquet.snapped_points(net, Snapped(np.array([0, 0, 0]), np.array([0.5, 0.25, 1.0]), np.zeros(3)))
    got = np.column_stack(to_utm.transform(shapely.get_x(pts), shapely.get_y(pts)))
    np.testing.assert_allclose(got, [[x0 + 100.0, y0], [x0 + 50.0, y0], [x0 + 100.0, y0 + 100.0]], atol=1e-4)


def test_the_folder_reads_back_without_the_added_geometry(run):
    out, _, _ = run
    result = read_run(out)
    assert "geometry" not in result.point_costs.columns
    assert "geometry" not in result.modes["walk"].net.nodes.columns
    assert list(result.modes["walk"].net.nodes.columns) == ["osmid", "lon", "lat"]


def test_a_rerun_writes_identical_files(run):
    """The same run again gives byte-identical files: GeoParquet, the GeoPackage with its styles, the workbook."""
    _, written, again = run
    files = {p.name for p in again.iterdir() if p.is_file() and p.name != runfolder.MANIFEST}
    assert files == set(written) and {"results.gpkg", "results.xlsx", "demand_points.parquet"} <= files
    for name in sorted(files):
        assert (again / name).read_bytes() == written[name], name


# ------------------------------------------------------------------------------------- GeoPackages


def _spatial_layers(path: Path) -> dict[str, str]:
    return {str(n): str(t) for n, t in pyogrio.list_layers(path) if t is not None}


def _default_styles(path: Path) -> dict[str, str]:
    """The default QML per layer, as QGIS finds it: table layer_styles, read with sqlite3."""
    with contextlib.closing(sqlite3.connect(path)) as con:
        rows = con.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault = 1 AND f_table_schema = '' ORDER BY id").fetchall()
    return dict(rows)


def _fields_in(qml: str) -> set[str]:
    """Attribute names a QML names: the classified field, quoted names in rule filters and the order, label fields."""
    root = ET.fromstring(qml)
    names = {r.get("attr") for r in root.iter("renderer-v2") if r.get("attr")}
    for text in [r.get("filter") or "" for r in root.iter("rule")] + [c.text or "" for c in root.iter("orderByClause")]:
        names |= set(re.findall(r'"([^"]+)"', text))
    names |= {t.get("fieldName") for t in root.iter("text-style") if t.get("fieldName")}
    return {str(n) for n in names}


def test_every_gpkg_layer_has_one_geometry_type_and_a_default_style(run):
    out, _, _ = run
    gpkgs = sorted(out.glob("*.gpkg"))
    assert {p.name for p in gpkgs} == {"results.gpkg", "isochrones.gpkg", "suggestions_elderly_care_1km.gpkg"}
    for path in gpkgs:
        layers = _spatial_layers(path)
        styles = _default_styles(path)
        assert set(styles) == set(layers), path.name
        assert styles == gpkgstyle.read_styles(path)
        for name in layers:
            info = pyogrio.read_info(path, layer=name)
            assert info["geometry_type"] in SINGLE_TYPES, (path.name, name, info["geometry_type"])
            if info["features"]:
                types = set(pyogrio.read_dataframe(path, layer=name, columns=[]).geom_type)
                assert len(types) == 1 and types <= SINGLE_TYPES, (path.name, name, types)
            root = ET.fromstring(styles[name])
            assert root.tag == "qgis" and root.find("renderer-v2") is not None and root.find(".//symbol") is not None, name
            named = _fields_in(styles[name])
            assert named == gpkgstyle.fields_named(styles[name])
            assert named <= set(info["fields"]), (path.name, name, named - set(info["fields"]))
            assert named or name in ("study_area", "main_urban_area"), (path.name, name)  # the others classify, filter or label by a field


def test_results_gpkg_splits_facilities_and_promotes_districts(run):
    out, _, _ = run
    gpkg = out / "results.gpkg"
    layers = _spatial_layers(gpkg)
    assert set(layers) == {"hexes", "facilities_points", "facilities_areas", "facilities_rejected_points", "facilities_rejected_areas",
                           "study_area", "districts"}
    assert layers["facilities_points"] == "Point" and layers["facilities_rejected_points"] == "Point"
    assert layers["facilities_areas"] in ("Polygon", "MultiPolygon") and layers["districts"] == "MultiPolygon"  # a Polygon and a MultiPolygon
    fac = gpd.read_parquet(out / "facilities.parquet")
    used = fac[fac["status"] == "used"]
    points, areas = (pyogrio.read_dataframe(gpkg, layer=f"facilities_{k}") for k in ("points", "areas"))
    assert len(points) + len(areas) == len(used)
    assert set(points["facility_id"]) == set(used.loc[used.geom_type == "Point", "facility_id"])
    assert set(areas["facility_id"]) == set(used.loc[used.geom_type.isin(["Polygon", "MultiPolygon"]), "facility_id"])
    assert {"HB-001", "HB-009"} <= {f.rsplit(":", 1)[1] for f in points["facility_id"]}  # the care homes of the list are points
    rejected = sum(pyogrio.read_info(gpkg, layer=f"facilities_rejected_{k}")["features"] for k in ("points", "areas"))
    assert rejected == int((fac["status"] != "used").sum())


def test_styles_use_the_maps_palette_and_the_first_goal(run):
    out, _, _ = run
    styles = gpkgstyle.read_styles(out / "results.gpkg")
    first = goals_of(out)["goals"][0]
    hexes = ET.fromstring(styles["hexes"])
    filters = [r.get("filter") for r in hexes.iter("rule") if r.get("filter")]
    assert filters[0] == f'"{first["id"]}_share" >= {first["targets"][0]["share"]:g}'
    assert any(first["name_zh"] in (r.get("label") or "") for r in hexes.iter("rule"))
    colors = [o.get("value") for o in hexes.iter("Option") if o.get("name") == "color"]
    assert colors[0] == "26,152,80,220"  # GOAL_MET_COLOR #1a9850, the template's transparency
    fac = ET.fromstring(styles["facilities_points"])
    assert fac.find("renderer-v2").get("attr") == "service"
    cats = {c.get("value"): c.get("symbol") for c in fac.iter("category")}
    symbols = {s.get("name"): s for s in fac.find("renderer-v2/symbols")}
    care = next(o.get("value") for o in symbols[cats["elderly_care"]].iter("Option") if o.get("name") == "color")
    assert care == "118,42,131,255" and palette.FACILITY_COLORS["elderly_care"] == "#762a83"
    rejected = ET.fromstring(styles["facilities_rejected_points"])
    assert {o.get("value") for o in rejected.iter("Option") if o.get("name") == "name"} == {"cross2"}
    iso = gpkgstyle.read_styles(out / "isochrones.gpkg")
    rules = [r for r in ET.fromstring(iso["elderly_care_dissolved"]).iter("rule") if r.get("filter")]
    assert [r.get("label") for r in rules] == ["0–300 米 / m", "300–600 米 / m"]  # the rings, in the unit asked for
    symbols = ET.fromstring(iso["elderly_care_dissolved"]).find("renderer-v2/symbols")
    fills = [next(o.get("value") for o in s.iter("Option") if o.get("name") == "color") for s in symbols]
    assert [f.rsplit(",", 1)[0] for f in fills] == ["26,152,80", "145,207,96"]  # 5 and 10 minutes at 1 m/s: the map's minute colours
    sites = ET.fromstring(gpkgstyle.read_styles(out / "suggestions_elderly_care_1km.gpkg")["sites"])
    marker = {o.get("name"): o.get("value") for o in sites.find("renderer-v2/symbols/symbol/layer/Option")}
    assert (marker["name"], marker["color"]) == ("star", "216,27,96,255")  # SUGGESTION_COLOR #d81b60, as on the map
    assert sites.find("labeling/settings/text-style").get("fieldName") == "rank"
    with contextlib.closing(sqlite3.connect(out / "results.gpkg")) as con:
        rows = con.execute("SELECT f_geometry_column, useAsDefault, update_time FROM layer_styles").fetchall()
        contents = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchall()
    assert {r[0] for r in rows} == {"geom"} and {r[1] for r in rows} == {1} and {r[2] for r in rows} == {gpkgstyle.STYLE_DATE}
    assert contents == [("attributes",)]


def test_gpkgs_open_with_ogrinfo(run, ogrinfo):
    out, _, _ = run
    for path in sorted(out.glob("*.gpkg")):
        listing = subprocess.run([ogrinfo, "-ro", "-q", str(path)], capture_output=True, text=True, timeout=60, check=False)
        assert listing.returncode == 0, listing.stderr
        for name in _spatial_layers(path):
            assert name in listing.stdout, (path.name, name)
        assert "layer_styles" in listing.stdout


def test_the_templates_are_qml_and_ship_in_the_wheel():
    assert gpkgstyle.qml_dir() == REPO / "maps" / "qgis"  # a checkout (editable install) reads the top-level folder
    assert {p.stem for p in gpkgstyle.qml_dir().glob("*.qml")} == set(gpkgstyle.KINDS)
    for path in gpkgstyle.qml_dir().glob("*.qml"):
        root = ET.parse(path).getroot()
        assert root.tag == "qgis" and root.find("renderer-v2/symbols/symbol/layer") is not None, path.name
    wheel = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "maps" in wheel["only-include"] and wheel["sources"]["maps"] == "accessibility/_maps"


# --------------------------------------------------------------------------------------- workbook


def test_the_workbook_has_its_sheets_and_headers(run):
    out, written, _ = run
    wb = openpyxl.load_workbook(out / "results.xlsx")
    s = workbook.SHEETS
    assert wb.sheetnames == [s["verdicts"], s["notes"], s["districts"], s["worst"], s["facilities"], s["not_used"], s["rejects"],
                             s["suggestions"], s["provision"]]
    assert all(len(name) <= 31 for name in wb.sheetnames)
    ws = wb[s["verdicts"]]
    assert ws.freeze_panes == "B2"
    assert [c.value for c in ws[1]][:9] == ["目标编号 / goal id", "目标 / goal (Chinese)", "目标（英文） / goal", "判定 / verdict", "覆盖率 / covered share",
                                            "目标值 / target", "已覆盖人口 / covered people", "未覆盖人口 / uncovered people", "应覆盖人口 / eligible people"]
    assert all(" / " in str(c.value) for c in ws[1])
    # the workbook the run wrote had no suggestions or provision sheets: suggest and provision added them
    first = openpyxl.load_workbook(io.BytesIO(written["results.xlsx"]))
    assert s["suggestions"] not in first.sheetnames and s["provision"] not in first.sheetnames and s["rejects"] in first.sheetnames
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert files["results.xlsx"]["written_by"] == "provision"
    runfolder.open_run(out).file("results.xlsx")  # recorded with its sha256


def test_a_verdict_row_equals_goals_json(run):
    out, _, _ = run
    ws = openpyxl.load_workbook(out / "results.xlsx")[workbook.SHEETS["verdicts"]]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    goals = goals_of(out)["goals"]
    assert list(rows) == [g["id"] for g in goals]
    for g in goals:
        r = dict(zip([c.value.split(" / ")[1] for c in ws[1]], rows[g["id"]], strict=True))
        assert r["verdict"].value == workbook.STATUS_LABELS[g["status"]]
        assert r["covered share"].value == pytest.approx(g["share"], rel=1e-12) and r["covered share"].number_format == "0.0%"
        assert r["target"].value == g["targets"][0]["share"]
        for key in ("covered", "uncovered", "eligible"):
            assert r[f"{key} people"].value == pytest.approx(g[f"{key}_pop"], rel=1e-12)
            assert r[f"{key} people"].number_format == "#,##0"
        caveat = g["main_caveat"] or {}
        assert (r["main caveat"].value, r["main caveat (Chinese)"].value) == (caveat.get("en"), caveat.get("zh"))
    assert rows["service_circle_15min"][0].value == "service_circle_15min" and "Preschool" in str(rows["service_circle_15min"][13].value)


def test_every_caveat_is_on_the_notes_sheet(run):
    out, _, _ = run
    wb = openpyxl.load_workbook(out / "results.xlsx")
    notes = [[c.value for c in r] for r in wb[workbook.SHEETS["notes"]].iter_rows(min_row=2)]
    english = {r[4] for r in notes}
    doc = goals_of(out)
    for g in doc["goals"]:
        for w in g["warnings"]:
            assert w["message"] in english, (g["id"], w["message"])
            assert [g["id"], w["code"]] in [[r[0], r[2]] for r in notes]
    for n in doc["notes"]:
        assert n["message"] in english
    provision = json.loads((out / "provision_elderly_beds_per_10k.json").read_text(encoding="utf-8"))
    assert all(text in english for text in provision["notes"])  # "1 of 9 elderly_care facilities have no 'beds' value..."
    sheet = wb[workbook.SHEETS["provision"]]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    # a distance catchment: its metres, no minutes, no walker (a walker's catchment would say "flat-equivalent")
    assert row["服务半径（米；有步行者时为折合平地米） / catchment (m; with a walker, flat-equivalent m)"] == 1000
    assert row["服务范围（分钟） / catchment (min)"] is None and row["步行者 / walker"] is None
    assert any(r[0] == "人口 / population" and "hangzhou_hubin_pop_3arcsec.tif" in r[4] for r in notes)


def test_the_other_sheets_hold_the_runs_tables(run):
    out, _, _ = run
    wb = openpyxl.load_workbook(out / "results.xlsx")
    s = workbook.SHEETS
    rejects = pd.read_csv(out / "rejects_elderly_care.csv", encoding="utf-8-sig", dtype=str)
    sheet = wb[s["rejects"]]
    assert sheet.max_row - 1 == len(rejects) == 3  # HB-006 '待定' beds, HB-007 swapped, HB-008 without coordinates
    assert [c.value for c in sheet[1]][:5] == ["剔除记录文件 / rejects_file", "来源文件 / source_file", "原表行号 / source_row", "原因 / reason", "处理 / action"]
    assert {sheet.cell(row=i, column=6).value for i in range(2, sheet.max_row + 1)} == {"HB-006", "HB-007", "HB-008"}
    fac = pd.read_parquet(out / "facilities.parquet", columns=["status"])
    assert wb[s["facilities"]].max_row - 1 == int((fac["status"] == "used").sum())
    assert wb[s["not_used"]].max_row - 1 == int((fac["status"] != "used").sum())
    districts = wb[s["districts"]]
    by_district = [(g["id"], r["district_name"]) for g in goals_of(out)["goals"] for r in g["by_district"]]
    assert [(r[0].value, r[2].value) for r in districts.iter_rows(min_row=2)] == by_district
    worst = wb[s["worst"]]
    first = goals_of(out)["goals"][0]["worst_hexes"][0]
    row = [c.value for c in worst[2]]
    assert row[2] == first["h3"] and row[5] == pytest.approx(first["uncovered_pop"])
    assert shapely.contains_xy(shapely.Polygon([(x, y) for y, x in h3.cell_to_boundary(row[2])]), row[3], row[4])
    sites = pd.read_csv(out / "suggestions_elderly_care_1km.csv", encoding="utf-8-sig")
    sug = [[c.value for c in r] for r in wb[s["suggestions"]].iter_rows(min_row=2)]
    assert [r[1] for r in sug] == sites["rank"].tolist() == [1, 2]
    assert [r[4] for r in sug] == sites["marginal_gain"].tolist()
    provision = json.loads((out / "provision_elderly_beds_per_10k.json").read_text(encoding="utf-8"))
    prow = [c.value for c in wb[s["provision"]][2]]
    assert prow[0] == "elderly_beds_per_10k" and prow[4] == pytest.approx(provision["overall_ratio"], rel=1e-12)


def test_text_never_becomes_a_formula(run, tmp_path):
    """A facility named '=HYPERLINK(...)' and a rejected cell '@SUM(A1)' stay text (no <f> element), shown as written."""
    out, _, _ = run
    for name in ("goals.json", "facilities.parquet", "rejects_elderly_care.csv"):
        (tmp_path / name).write_bytes((out / name).read_bytes())
    fac = gpd.read_parquet(tmp_path / "facilities.parquet")
    fac.loc[fac.index[0], "name"] = '=HYPERLINK("http://evil.example","click")'
    fac.loc[fac.index[1], "name"] = "-1+2"
    fac.to_parquet(tmp_path / "facilities.parquet")
    rejects = pd.read_csv(tmp_path / "rejects_elderly_care.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    rejects.loc[0, "机构名称"] = "@SUM(A1)"
    rejects.to_csv(tmp_path / "rejects_elderly_care.csv", index=False, encoding="utf-8-sig")
    data = workbook.workbook_bytes({p.name: p for p in tmp_path.iterdir()})
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not any(re.search(rb"<f[ >]", z.read(n)) for n in z.namelist() if n.startswith("xl/worksheets/"))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    names = {c.value: c for c in wb[workbook.SHEETS["facilities"]]["D"]}
    cell = names['=HYPERLINK("http://evil.example","click")']
    assert cell.data_type == "s" and cell.quotePrefix
    assert names["-1+2"].data_type == "s"
    assert "@SUM(A1)" in {c.value for c in wb[workbook.SHEETS["rejects"]]["G"]}


def test_the_workbook_bytes_do_not_depend_on_the_clock(run, monkeypatch):
    out, _, _ = run
    paths = {p.name: p for p in out.iterdir() if p.is_file()}
    first = workbook.workbook_bytes(paths)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 400 * 86400.0)  # zip entries would carry a date 400 days on
    assert workbook.workbook_bytes(paths) == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
    props = openpyxl.load_workbook(io.BytesIO(first)).properties
    assert props.created == props.modified and props.created.year == 2000
    assert (out / "results.xlsx").read_bytes() == first  # what provision wrote last is what the folder's files give now


def test_facilities_are_split_by_geometry_and_a_mixed_layer_is_refused(tmp_path):
    """Points (and facilities without a geometry), lines and areas go to their own layers; a collection keeps its polygons."""
    square = shapely.box(0.0, 0.0, 0.001, 0.001)
    geoms = [shapely.Point(0, 0), None, square, shapely.MultiPolygon([square, shapely.box(0.002, 0, 0.003, 0.001)]),
             shapely.LineString([(0, 0), (0.001, 0.001)]), shapely.GeometryCollection([shapely.box(0.004, 0, 0.005, 0.001), shapely.LineString([(0, 0), (1, 1)])])]
    fac = gpd.GeoDataFrame({"facility_id": list("abcdef"), "service": "park"}, geometry=geoms, crs="EPSG:4326")
    layers = write.facility_layers(fac, "facilities")
    assert {k: list(v["facility_id"]) for k, v in layers.items()} == {
        "facilities_points": ["a", "b"], "facilities_lines": ["e"], "facilities_areas": ["c", "d", "f"],
    }
    assert layers["facilities_areas"].geometry.iloc[2].equals(shapely.MultiPolygon([shapely.box(0.004, 0, 0.005, 0.001)]))
    assert set(write.facility_layers(fac.iloc[:1], "x")) == {"x_points", "x_areas"}  # no line: no lines layer; areas always (empty)
    path = tmp_path / "f.gpkg"
    write.write_gpkg_layers(path, {**layers, "empty_areas": fac.iloc[:0]}, empty_types={"empty_areas": "MultiPolygon"})
    types = {str(n): str(t) for n, t in pyogrio.list_layers(path)}
    assert types == {"facilities_points": "Point", "facilities_lines": "LineString", "facilities_areas": "MultiPolygon",
                     "empty_areas": "MultiPolygon"}  # no style recognised: no layer_styles table
    with pytest.raises(errors.InputError, match="would mix geometry types"):
        write.write_gpkg_layers(tmp_path / "mixed.gpkg", {"facilities": fac})

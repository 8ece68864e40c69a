"""Planners' own facility lists: formats, coordinate systems, validation that loses nothing, merging with OSM."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyproj
import pytest
import shapely

from accessibility import cli, errors
from accessibility.coords import chinacoords as cc
from accessibility.readers import facility_files as userdata
from accessibility.run import pipeline
from accessibility.stages import facilities, merging

GEOD = pyproj.Geod(ellps="WGS84")
HANGZHOU = shapely.box(120.10, 30.23, 120.185, 30.296)  # the extract's street network


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    args = [np.atleast_1d(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)]
    return np.asarray(GEOD.inv(*args)[2])


def street_nodes(net, targets) -> np.ndarray:
    """WGS-84 lon/lat of the street nodes nearest to target points (facilities that snap at 0 m)."""
    xy = net.nodes[["lon", "lat"]].to_numpy()
    return np.array([xy[np.argmin(((xy - t) ** 2).sum(axis=1))] for t in targets])


# --------------------------------------------------------------------------- a spreadsheet with bad rows

TARGETS = [(120.130, 30.250), (120.150, 30.270), (120.170, 30.262), (120.120, 30.280), (120.160, 30.285)]
HEADER = ["编号", "机构名称", "类型", "经度", "纬度", "床位(张)", "建筑面积(m²)"]


def spreadsheet_rows(net) -> tuple[list[list[object]], dict]:
    """Rows in GCJ-02 (as picked on AMap): five good ones, then one of each kind of bad row."""
    wgs = street_nodes(net, TARGETS + [(120.140, 30.290), (120.110, 30.262)])
    g_lon, g_lat = cc.wgs84_to_gcj02(wgs[:, 0], wgs[:, 1])
    r = [round(float(v), 7) for v in g_lon], [round(float(v), 7) for v in g_lat]
    rows = [
        ["E1", "西湖区翠苑敬老院", "养老院", r[0][0], r[1][0], 120, 3500],
        ["E2", "北山街道日间照料中心", "日间照料中心", r[0][1], r[1][1], 20, ""],
        ["E3", "杭州市第一社会福利院", "福利院", r[0][2], r[1][2], "1,200张", 18000],
        ["E4", "文新老年公寓", "", r[0][3], r[1][3], 80, 2400.5],
        ["E5", "湖滨护理院", "护理院", "１２０．" + str(r[0][4]).split(".")[1], r[1][4], 60, ""],  # full-width digits (IME)
        ["E6", "坐标缺失养老院", "养老院", "", "", 50, ""],  # missing coordinates
        ["E7", "文字坐标养老院", "养老院", "东经120度", "北纬30度", 40, ""],  # text in coordinates
        ["E8", "经纬度颠倒养老院", "养老院", r[1][5], r[0][5], 45, ""],  # lat/lon swapped: fixed and used
        ["E9", "上海某养老院", "养老院", 121.4737, 31.2304, 200, ""],  # outside the study area
        ["E1", "重复编号养老院", "养老院", r[0][6], r[1][6], 30, ""],  # duplicate id
        ["E11", "床位不详养老院", "养老院", r[0][6], r[1][6], "约50张", ""],  # non-numeric capacity: used, beds empty
        ["E12", "社区食堂", "食堂", r[0][6], r[1][6], "", ""],  # not an elderly-care tier
    ]
    expected = {
        "used": {"E1": 120.0, "E2": 20.0, "E3": 1200.0, "E4": 80.0, "E5": 60.0, "E8": 45.0, "E11": None},
        "rejected": {"E6": "missing coordinates", "E7": "not numbers", "E9": "outside the study area", "E1": "duplicate id", "E12": "not a tier"},
        "fixed": {"E8": "swapped"},
        "left_empty": {"E11": "beds"},
        "wgs": wgs,
    }
    return rows, expected


def write_csv(path: Path, rows) -> dict[str, int]:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return {"first_data_row": 2}


def write_xlsx(path: Path, rows) -> dict[str, int]:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "养老机构"
    ws.append(["西湖区养老机构名单（2024年，高德坐标）"])  # a title row above the header, as planners do
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return {"first_data_row": 3}


@pytest.fixture(scope="module", params=["csv", "xlsx"])
def spreadsheet_run(request, hangzhou_pbf, hangzhou_walk, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"sheet_{request.param}")
    rows, expected = spreadsheet_rows(hangzhou_walk)
    path = tmp / f"homes.{request.param}"
    layout = (write_csv if request.param == "csv" else write_xlsx)(path, rows)
    spec = userdata.FacilityInput(path, service="elderly_care", crs="gcj02", sheet="养老机构" if request.param == "xlsx" else None)
    result = pipeline.run(hangzhou_pbf, facilities=[spec], out=tmp / "run")
    return result, tmp / "run", rows, expected, layout


@pytest.mark.shared
def test_rejects_file_names_every_bad_row_and_why(spreadsheet_run):
    _result, run_dir, rows, expected, layout = spreadsheet_run
    rejects = pd.read_csv(run_dir / "rejects_elderly_care.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(rejects.columns[:4]) == list(userdata.REJECT_COLUMNS)
    assert list(rejects.columns[4:]) == HEADER  # the row's original columns, as given
    first = layout["first_data_row"]
    by_row = {int(r.source_row): r for r in rejects.itertuples()}
    # every rejected row is there, with its reason; the duplicate-id row is the second 'E1'
    for i, r in enumerate(rows):
        sid, src = r[0], first + i
        if sid == "E1":  # the first is used, the second is the duplicate
            if i == 0:
                assert src not in by_row
            else:
                assert by_row[src].action == "rejected" and f"duplicate id 'E1' (row {first} has it" in by_row[src].reason
        elif sid in expected["rejected"]:
            assert by_row[src].action == "rejected", sid
            assert expected["rejected"][sid] in by_row[src].reason, (sid, by_row[src].reason)
        elif sid in expected["fixed"]:
            assert by_row[src].action == "used_with_fix" and "swapped" in by_row[src].reason
        elif sid in expected["left_empty"]:
            assert by_row[src].action == "used_without_value" and "约50张" in by_row[src].reason
        else:
            assert src not in by_row, f"good row {sid} listed as a reject"
    # original values kept as text (the text coordinates, the swapped pair)
    assert by_row[first + 6].经度 == "东经120度"
    assert len(rejects) == 5 + 1 + 1
    assert "outside the study area" in by_row[first + 8].reason and "km beyond" in by_row[first + 8].reason


@pytest.mark.shared
def test_good_rows_are_all_used_with_capacities(spreadsheet_run):
    _result, run_dir, _rows, expected, _ = spreadsheet_run
    fac = gpd.read_file(run_dir / "results.gpkg", layer="facilities_points")
    user = fac[fac["source"].str.startswith("user:")]
    ids = {fid.rsplit(":", 1)[1]: r for fid, r in zip(user["facility_id"], user.itertuples(), strict=True)}
    assert set(ids) == set(expected["used"])
    for sid, beds in expected["used"].items():
        got = ids[sid].beds
        assert (np.isnan(got) if beds is None else got == beds), sid
    assert ids["E1"].floor_area_m2 == 3500 and ids["E4"].floor_area_m2 == 2400.5
    assert ids["E2"].tier == "day_care" and ids["E1"].tier == "care_home" and ids["E3"].tier == "care_home"
    assert ids["E4"].tier == "care_home"  # empty type: the service's first tier
    assert "swapped" in ids["E8"].import_note
    # converted from GCJ-02 with the exact inverse: on the street nodes they were made from
    wgs = expected["wgs"]
    for k, sid in enumerate(["E1", "E2", "E3", "E4", "E5"]):
        p = ids[sid].geometry
        assert metres(p.x, p.y, wgs[k, 0], wgs[k, 1])[0] < 0.05, sid
    assert metres(ids["E8"].geometry.x, ids["E8"].geometry.y, wgs[5, 0], wgs[5, 1])[0] < 0.05
    assert (user["status"] == "used").all()
    # parquet carries the same columns
    parquet = gpd.read_parquet(run_dir / "facilities.parquet")
    assert {"beds", "floor_area_m2", "source_row", "import_note", "osm_ref"} <= set(parquet.columns)


@pytest.mark.shared
def test_run_summary_counts_used_and_rejected(spreadsheet_run):
    result, run_dir, *_ = spreadsheet_run
    goals = json.loads((run_dir / "goals.json").read_text(encoding="utf-8"))
    imp = goals["facility_imports"][0]
    assert (imp["rows"], imp["used"], imp["rejected"], imp["fixed"], imp["values_left_empty"]) == (12, 7, 5, 1, 1)
    assert any("7 used, 5 rejected" in n["message"] for n in goals["notes"])
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["facility_imports"][0]["used"] == 7
    assert "rejects_elderly_care.csv" in manifest["files"] and "merges.csv" in manifest["files"]
    assert manifest["inputs"]["facility_files"][0]["sha256"]
    md = (run_dir / "goals.md").read_text(encoding="utf-8")
    assert "7 of 12 rows used, 5 rejected" in md
    # the goal is no longer 0% (there is no elderly-care facility in the OSM extract)
    assert result.goal("elderly_care_1km").share > 0


# --------------------------------------------------------------------------- formats and coordinate systems


def test_column_detection_and_coordinate_systems(tmp_path):
    lon, lat = np.array([120.15, 120.16]), np.array([30.25, 30.26])
    g_lon, g_lat = cc.wgs84_to_gcj02(lon, lat)
    b_lon, b_lat = cc.wgs84_to_bd09(lon, lat)
    # one "lon,lat" column (AMap style), GCJ-02
    pd.DataFrame({"名称": ["a", "b"], "经纬度": [f"{x:.8f},{y:.8f}" for x, y in zip(g_lon, g_lat, strict=True)]}).to_csv(tmp_path / "pair.csv", index=False)
    f, r = userdata.layer_from_file(tmp_path / "pair.csv", service="park", crs="gcj02")
    assert metres(f.geometry.x, f.geometry.y, lon, lat).max() < 0.01 and set(r["action"]) <= {"used_unverified"}  # 'a', 'b': not park names
    # GBK-encoded CSV with lng/lat, BD-09 (Baidu)
    pd.DataFrame({"name": ["公园甲", "公园乙"], "lng": b_lon, "lat": b_lat}).to_csv(tmp_path / "gbk.csv", index=False, encoding="gbk")
    f, _ = userdata.layer_from_file(tmp_path / "gbk.csv", service="park", crs="BD-09")
    assert list(f["name"]) == ["公园甲", "公园乙"]
    assert metres(f.geometry.x, f.geometry.y, lon, lat).max() < 0.01
    # projected x/y in CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4547), named by the user
    x, y = pyproj.Transformer.from_crs(4326, 4547, always_xy=True).transform(lon, lat)
    pd.DataFrame({"东坐标": x, "北坐标": y}).to_csv(tmp_path / "gk.csv", index=False)
    f, _ = userdata.layer_from_file(tmp_path / "gk.csv", service="park", crs="EPSG:4547", lon_col="东坐标", lat_col="北坐标")
    assert metres(f.geometry.x, f.geometry.y, lon, lat).max() < 0.01
    # a column that cannot be found is named in the error, with the columns there are
    with pytest.raises(errors.InputError, match="cannot find the longitude/latitude column"):
        userdata.layer_from_file(tmp_path / "gk.csv", service="park")
    with pytest.raises(errors.InputError, match="no column '经度'"):
        userdata.layer_from_file(tmp_path / "gk.csv", service="park", lon_col="经度")
    with pytest.raises(errors.ConfigError, match="unknown service"):
        userdata.layer_from_file(tmp_path / "gk.csv", service="hospitals")
    with pytest.raises(errors.InputError, match="unknown coordinate system"):
        userdata.layer_from_file(tmp_path / "pair.csv", service="park", crs="mars")


def test_every_row_bad_is_an_error_naming_the_reasons(tmp_path):
    pd.DataFrame({"lon": [121.47, 121.48], "lat": [31.23, 31.24]}).to_csv(tmp_path / "sh.csv", index=False)
    with pytest.raises(errors.EmptyLayerError, match=r"none of its 2 rows.*outside the study area"):
        userdata.layer_from_file(tmp_path / "sh.csv", service="park", area=HANGZHOU)


def test_gis_layer_with_geometry_and_projected_crs(tmp_path):
    lon, lat = np.array([120.15, 120.16]), np.array([30.25, 30.26])
    frame = gpd.GeoDataFrame({"名称": ["甲幼儿园", "乙托育中心"], "托位": [120, "x"]}, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    frame.to_crs(32650).to_file(tmp_path / "kids.gpkg", layer="幼儿园", driver="GPKG")
    f, r = userdata.layer_from_file(tmp_path / "kids.gpkg", service="preschool")
    assert metres(f.geometry.x, f.geometry.y, lon, lat).max() < 0.01  # its own CRS (UTM 50N), not 'wgs84'
    assert list(f["tier"]) == ["kindergarten", "childcare"]  # from the names
    assert f["places"].iloc[0] == 120 and np.isnan(f["places"].iloc[1])
    assert list(r["action"]) == ["used_without_value"] and "geometry_wkt" in r.columns
    # GeoJSON in GCJ-02 (claims WGS-84, as AMap/DataV exports do)
    g_lon, g_lat = cc.wgs84_to_gcj02(lon, lat)
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=gpd.points_from_xy(g_lon, g_lat), crs=4326).to_file(tmp_path / "g.geojson")
    f, _ = userdata.layer_from_file(tmp_path / "g.geojson", service="park", crs="gcj02")
    assert metres(f.geometry.x, f.geometry.y, lon, lat).max() < 0.01


@pytest.mark.shared
def test_gbk_shapefile_without_cpg_or_shx(shared_data, tmp_path):
    """The Xi'an Geofabrik roads: GBK attribute table, no .cpg, no .shx, UTM 49N."""
    roads = shared_data / "xian_osm_roads_2017_geofabrik" / "rode_project.zip"
    raw, notes = userdata.read_table(roads)
    assert len(raw) == 21203 and raw.crs.to_epsg() == 32649
    assert "太白南路 / Taibai Nan Lu" in set(raw["name"])
    assert any("GBK" in n for n in notes) and any(".shx" in n for n in notes)
    # lines are not facilities: every row is refused, and the error says why
    with pytest.raises(errors.EmptyLayerError, match="LineString geometry"):
        userdata.layer_from_file(roads, service="sports_fitness")
    # named roads' midpoints as a GBK point Shapefile without .cpg
    named = raw[raw["name"].notna()].head(50)
    pts = gpd.GeoDataFrame({"name": named["name"].to_numpy()}, geometry=shapely.line_interpolate_point(named.geometry.to_numpy(), 0.5, normalized=True), crs=32649)
    pts.to_file(tmp_path / "pts.shp", encoding="gbk")
    (tmp_path / "pts.cpg").unlink(missing_ok=True)
    f, r = userdata.layer_from_file(tmp_path / "pts.shp", service="sports_fitness")
    assert list(f["name"]) == list(named["name"]) and set(r["action"]) <= {"used_unverified"}  # road names: not sports grounds
    expect = pts.to_crs(4326)
    assert metres(f.geometry.x, f.geometry.y, expect.geometry.x, expect.geometry.y).max() < 0.01


# --------------------------------------------------------------------------- Baidu API output (BD-09)


def _author_wgs84(csv_gz: Path) -> dict[str, tuple[float, float]]:
    """The collector's WGS-84 columns (one-step approximate inverse), by uid."""
    out = {}
    for row in csv.reader(io.StringIO(gzip.decompress(csv_gz.read_bytes()).decode("gbk"))):
        if len(row) >= 4:
            out[row[3]] = (float(row[1]), float(row[2]))
    return out


@pytest.mark.shared
@pytest.mark.parametrize("stem", ["poiXianOldTown/poi_16_government", "poiXianOldTown/poi_7_sports", "xianPOI_36/poi_7_sports"])
def test_baidu_poi_json_imports_with_exact_bd09_inverse(shared_data, stem, record_property):
    folder = shared_data / "xian_baidu_poi_2017"
    path = folder / f"{stem}.json.gz"
    records = json.loads(gzip.decompress(path.read_bytes()))
    imp = userdata.read_facilities(userdata.FacilityInput(path, service="sports_fitness" if "sports" in stem else "elderly_care", crs="bd09"))
    f, rejects = imp.facilities, imp.rejects
    # every record is used or rejected (only as a repeated uid: the API tiles overlap)
    assert imp.summary["used"] + imp.summary["rejected"] == len(records)
    assert set(rejects["action"]) <= {"rejected", "used_unverified"}  # names not of the service are used and listed
    assert rejects.loc[rejects["action"] == "rejected", "reason"].str.startswith("duplicate id").all()
    assert imp.summary["used"] == len({r["uid"] for r in records})
    # the coordinates are the exact inverse of Baidu's BD-09
    src = pd.json_normalize(records).drop_duplicates("uid").set_index("uid")
    uid = f["facility_id"].str.rsplit(":", n=1).str[1].to_numpy()
    e_lon, e_lat = cc.bd09_to_wgs84(src.loc[uid, "location.lng"].to_numpy(), src.loc[uid, "location.lat"].to_numpy())
    assert np.abs(f.geometry.x.to_numpy() - e_lon).max() < 1e-9 and np.abs(f.geometry.y.to_numpy() - e_lat).max() < 1e-9
    # ... and 0.15-2.5 m from the collector's WGS-84 columns, which are the one-step approximation
    author = _author_wgs84(folder / f"{stem}.csv.gz") if (folder / f"{stem}.csv.gz").exists() else {}
    if author:
        both = np.array([u in author for u in uid])
        a = np.array([author[u] for u in uid[both]])
        d = metres(f.geometry.x.to_numpy()[both], f.geometry.y.to_numpy()[both], a[:, 0], a[:, 1])
        record_property("ours_vs_author_m", {"n": int(both.sum()), "median": float(np.median(d)), "max": float(d.max())})
        assert both.sum() > 0.95 * len(f)
        assert 0.1 < np.median(d) < 2.5 and d.max() < 3.0


@pytest.mark.shared
def test_baidu_elderly_care_tiers_from_names(shared_data):
    path = shared_data / "xian_baidu_poi_2017" / "poiXianOldTown" / "poi_16_government.json.gz"
    f, _ = userdata.layer_from_file(path, service="elderly_care", crs="bd09")
    tier = dict(zip(f["name"], f["tier"], strict=True))
    assert tier["长乐宫居家养老服务中心"] == "day_care"
    assert tier["西安市阳光养老院"] == "care_home" and tier["西安福星老年公寓"] == "care_home"
    # Baidu's 'area' is a district name, not square metres: not taken as a capacity
    assert "area_m2" not in f.columns or f["area_m2"].isna().all()


# --------------------------------------------------------------------------- merging with OSM


def test_normalise_name():
    assert list(merging.normalise_name(["杭州 西湖区（翠苑）敬老院有限公司", "Hangzhou No.6 Hospital", None])) == [
        "杭州西湖区翠苑敬老院",
        "hangzhouno6hospital",
        "",
    ]


@pytest.mark.shared
def test_complement_merges_likely_duplicates(hangzhou_pbf, tmp_path):
    osm = facilities.layer_from_osm(hangzhou_pbf)
    health = osm[osm["service"] == "public_health"]
    by_name = {n: g for n, g in zip(health["name"], health.geometry, strict=True) if n}
    prov, first = by_name["浙江省人民医院"].centroid, by_name["杭州市第一人民医院"].centroid
    rows = [
        ("H1", "浙江省人民医院（朝晖院区）有限公司", prov.x + 0.0003, prov.y),  # ~30 m away, same hospital
        ("H2", "杭州市第三人民医院", first.x + 0.0002, first.y),  # close to 第一, but another hospital
        ("H3", "西湖区社区卫生服务中心", 120.1400, 30.2600),  # new
    ]
    pd.DataFrame(rows, columns=["id", "name", "lon", "lat"]).to_csv(tmp_path / "h.csv", index=False)
    user, _ = userdata.layer_from_file(tmp_path / "h.csv", service="public_health")
    merged, merges = merging.merge_layers(osm, user, service="public_health")
    assert list(merges["action"]) == ["merged"]
    m = merges.iloc[0]
    assert m["user_facility_id"] == "user:h:H1" and m["osm_name"] == "浙江省人民医院" and m["distance_m"] < 60
    assert m["name_similarity"] >= 80
    row = merged[merged["facility_id"] == "user:h:H1"].iloc[0]
    assert row["osm_ref"] == m["osm_facility_id"] and row["osm_id"] == health[health["name"] == "浙江省人民医院"]["osm_id"].iloc[0]
    assert m["osm_facility_id"] not in set(merged["facility_id"])  # the OSM copy is gone
    assert len(merged) == len(osm) + 3 - 1
    assert merged["tier"].loc[merged["facility_id"] == "user:h:H3"].iloc[0] == "clinic"
    # replace: every OSM public-health facility goes, each listed
    replaced, rep = merging.merge_layers(osm, user, service="public_health", mode="replace")
    assert (rep["action"] == "replaced").sum() == len(health)
    assert set(replaced[replaced["service"] == "public_health"]["facility_id"]) == set(user["facility_id"])
    assert len(replaced) == len(osm) - len(health) + 3


# --------------------------------------------------------------------------- command line


def test_cli_pairs_each_facilities_file_with_its_options(tmp_path, monkeypatch):
    calls = {}
    monkeypatch.setattr(pipeline, "run", lambda _osm_path, **kw: calls.update(kw) or (_ for _ in ()).throw(errors.InputError("stop")))
    rc = cli.main([
        "-q", "run", "--osm", "x.osm.pbf", "--out", str(tmp_path),
        "--facilities", "homes.xlsx", "--service", "elderly_care", "--facilities-crs", "gcj02", "--facilities-sheet", "养老",
        "--facilities-capacity-col", "beds=核定床位",
        "--facilities", "kids.csv", "--facilities-mode", "replace", "--service", "preschool",
        "--districts", "d.json", "--districts-crs", "gcj02", "--boundary-crs", "gcj02",
    ])
    assert rc == 2  # the stub stops the run
    homes, kids = calls["facilities"]
    assert (homes.path, homes.service, homes.crs, homes.sheet, dict(homes.capacity_cols), homes.mode) == (
        "homes.xlsx", "elderly_care", "gcj02", "养老", {"beds": "核定床位"}, "complement")
    assert (kids.path, kids.service, kids.crs, kids.mode) == ("kids.csv", "preschool", "wgs84", "replace")
    assert calls["areas"].districts.crs == "gcj02" and calls["areas"].crs == "gcj02"
    with pytest.raises(SystemExit):
        cli.main(["run", "--osm", "x", "--out", "y", "--service", "elderly_care", "--facilities", "a.csv"])
    assert cli.main(["-q", "run", "--osm", "x", "--out", "y", "--facilities", "a.csv"]) == 2  # no --service: an error naming the fix

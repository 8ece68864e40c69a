"""Hostile planners' files: encodings, ragged and empty tables, coordinate text, workbooks, broken polygon files.

Every case must end in an :class:`accessibility.errors.AccessibilityError`
naming the file, the row or value and the fix, or in rows reported with the
reason (rejects, ``query_status``, notes): never a traceback, never a row
silently dropped.
"""

from __future__ import annotations

import contextlib
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility import config, errors
from accessibility.readers import areas, tabletext, zones
from accessibility.readers import facility_files as userdata
from accessibility.tools import query

HEADER = ["编号", "名称", "经度", "纬度", "床位"]
ROWS = [["P1", "西湖公园", "120.15", "30.25", "10"], ["P2", "湖滨花园", "120.16", "30.26", ""]]


@pytest.fixture(scope="module")
def services():
    return config.load_services()


def write_text_table(path: Path, rows: list[list[str]], *, encoding: str, sep: str = ",") -> Path:
    text = "\r\n".join(sep.join(r) for r in [HEADER, *rows]) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- 1. encodings


@pytest.mark.parametrize(
    ("encoding", "bom", "sep", "said"),
    [
        ("utf-16-le", True, "\t", "read as UTF-16 LE (Excel 'Unicode Text'), tab-separated"),  # Excel's "Unicode Text"
        ("utf-16-be", True, ",", "read as UTF-16 BE, comma-separated"),
        ("utf-16-le", False, ",", "read as UTF-16-LE (no byte-order mark)"),  # found by the NUL bytes
        ("gbk", False, ",", "not UTF-8; decoded as GBK (GB18030)"),
        ("gb18030", False, ";", "not UTF-8; decoded as GBK (GB18030)"),
        ("utf-8", True, ",", None),
        ("utf-8", False, "|", None),
    ],
)
def test_every_table_reader_detects_the_encoding(tmp_path, services, encoding, bom, sep, said):
    data = ("\ufeff" if bom else "") + "\r\n".join(sep.join(r) for r in [HEADER, *ROWS]) + "\r\n"
    path = tmp_path / "parks.csv"
    path.write_bytes(data.encode(encoding))
    # facility lists
    imp = userdata.read_facilities(userdata.FacilityInput(path, service="park"), services=services)
    assert list(imp.facilities["name"]) == ["西湖公园", "湖滨花园"] and imp.rejects.empty
    # query points and candidate sites
    frame, lon, _lat, status = query.read_points(path, what="candidate sites")
    assert list(frame["名称"]) == ["西湖公园", "湖滨花园"] and list(status) == ["ok", "ok"]
    np.testing.assert_allclose(lon, [120.15, 120.16])
    # census tables and other users of read_table
    raw, notes = areas.read_table(path)
    assert list(raw.columns) == HEADER and list(raw.index) == [2, 3]
    if said:  # a note says which encoding was used when it was not UTF-8
        assert any(said in n for n in notes) and any(said in n for n in frame.attrs["notes"]) and any(said in n for n in imp.notes), notes
    else:
        assert not notes


def test_a_wrong_declared_encoding_names_the_file_and_the_fix(tmp_path, services):
    path = write_text_table(tmp_path / "homes.csv", ROWS, encoding="utf-16")
    with pytest.raises(errors.InputError, match=r"homes\.csv: cannot decode as gbk .*pass the file's encoding"):
        userdata.read_facilities(userdata.FacilityInput(path, service="park", encoding="gbk"), services=services)


# --------------------------------------------------------------------------- 2. empty, ragged, headerless, binary


def test_empty_ragged_and_binary_point_files(tmp_path):
    cases = {
        "empty.csv": (b"", errors.EmptyLayerError, r"empty\.csv: the file is empty \(0 bytes\); export the table again"),
        "blank.csv": (b"\r\n \r\n", errors.EmptyLayerError, r"blank\.csv: the file is empty"),
        "header.csv": (b"lon,lat\n", errors.InputError, r"header\.csv: the points file has a header \(lon, lat\) but no rows"),
        "noheader.csv": (b"120.15,30.25\n120.16,30.26\n", errors.InputError, r"noheader\.csv: line 1 \(120\.15, 30\.25\) holds numbers, not column names.*Add a first line naming the columns, e\.g\. lon,lat"),
        "renamed.csv": (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), errors.InputError, r"renamed\.csv: this is a zip archive \(an Excel \.xlsx workbook.*rename it to \.xlsx"),
        "old.csv": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), errors.InputError, r"old\.csv: this is an old Excel \.xls workbook.*save as \.xlsx or CSV UTF-8"),
        "binary.csv": (bytes(range(256)) * 4, errors.InputError, r"binary\.csv: not a text table .*export it as CSV"),
        "quote.csv": (b'lon,lat,name\n120.1,30.2,"unclosed\n120.2,30.3,b\n', errors.InputError, r"quote\.csv: line 2: the file's quoting is broken.*double quotes"),
        "text.csv": (b"x,y,name\nabc,def,a\n", errors.InputError, r"text\.csv: column 'x' \(longitude\) holds no coordinates \(e\.g\. 'abc'\); name the longitude column with --lon-col"),
    }
    for name, (data, kind, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(kind, match=message):
            query.read_points(tmp_path / name)


def test_ragged_rows_are_flagged_in_the_query_status(tmp_path, monkeypatch):
    src = tmp_path / "points.csv"
    src.write_text("id,lon,lat,note\n1,120.15,30.25,a\n2,西湖区,120.16,30.26,b\n3,120.17,30.27\n4,120.18\n5,东经120°09′00″,北纬30°15′00″,c\n", encoding="utf-8")
    calls = {}

    def fake_query_points(run_dir, lon, lat, *, services=None, walk_speed_m_s=None, walker=None):
        calls["lon"] = np.asarray(lon)
        return pd.DataFrame({"snap_dist_m": np.zeros(len(lon)), "park_dist_m": np.full(len(lon), 100.0)})

    monkeypatch.setattr(query, "query_points", fake_query_points)
    out = query.query_csv(tmp_path, src, tmp_path / "answers.csv", max_snap_m=500.0)
    status = out["query_status"].tolist()
    assert status[0] == "ok"
    assert status[1].startswith("line 3 has 5 fields but the header has 4") and "double quotes" in status[1]
    assert status[2] == "ok (line 4 has 3 of the header's 4 fields; the missing ones are taken as empty)"
    assert status[3].startswith("invalid coordinates: missing (lon '120.18', lat '')") and "line 5 has 2 of the header's 4 fields" in status[3]
    assert status[4] == "ok"
    np.testing.assert_allclose(calls["lon"], [120.15, 120.17, 120.15])  # every row kept, only usable ones asked
    assert np.isnan(out.loc[[1, 3], "park_dist_m"].astype(float)).all()
    back = pd.read_csv(tmp_path / "answers.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(back) == 5 and back.loc[1, "column_5"] == "b"  # the extra value is kept, not dropped


def test_ragged_facility_rows_are_rejected_or_fixed(tmp_path, services):
    path = tmp_path / "homes.csv"
    path.write_text("编号,名称,经度,纬度,床位\nE1,甲,120.15,30.25,10\nE2,西湖区,乙,120.16,30.26,20\nE3,丙,120.17,30.27\n", encoding="utf-8")
    imp = userdata.read_facilities(userdata.FacilityInput(path, service="elderly_care"), services=services)
    by_row = imp.rejects.set_index("source_row")
    assert by_row.loc[3, "action"] == "rejected" and "line 3 has 6 fields but the header has 5" in by_row.loc[3, "reason"]
    assert by_row.loc[4, "action"] == "used_with_fix" and "line 4 has 4 of the header's 5 fields" in by_row.loc[4, "reason"]
    assert sorted(imp.facilities["source_row"]) == [2, 4]
    assert any("1 row has more fields than the header's 5 (lines 3)" in n for n in imp.notes)


# --------------------------------------------------------------------------- 3. coordinates written as text


def test_coordinate_text_forms_are_parsed_or_refused_with_the_reason(tmp_path, services):
    forms = {
        "东经120.15": 120.15, "北纬30.25": 30.25, "120.15°E": 120.15, "E120.15": 120.15, "30.25N": 30.25,
        "120°09′00″": 120.15, "120°09'00\"": 120.15, "120度09分00秒": 120.15, "120°9.0′": 120.15, "120:09:00": 120.15,
        "１２０．１５": 120.15, "東經120.15": 120.15, "经度：120.15": 120.15, "西经75.5": -75.5, "南纬33.9": -33.9,
    }
    d = tabletext.parse_degrees(pd.Series(list(forms), dtype=object))
    np.testing.assert_allclose(d.value, list(forms.values()), atol=1e-12)
    assert (d.status == 0).all()
    refused = {
        "东经120度": "whole degrees only", "120°75′": "below 60", "120.5°30′": "decimals before minutes", "-120.15W": "minus sign and a hemisphere",
        "120 09 00": "not a coordinate", "#N/A": "Excel error", "东经120.15N": "two different hemisphere marks",
    }
    d = tabletext.parse_degrees(pd.Series(list(refused), dtype=object))
    assert (d.status == 2).all() and all(why in r for why, r in zip(refused.values(), d.reason, strict=True)), list(d.reason)
    # candidates, facility lists and query points read them the same way
    cand = tmp_path / "candidates.csv"
    rows = [["C1", "东经120.15", "北纬30.25"], ["C2", "120°09′36″E", "30°15′36″N"], ["C3", "北纬30.26", "东经120.16"], ["C4", "东经120度", "北纬30度"], ["C5", "１２０．１７", "３０．２７"]]
    pd.DataFrame(rows, columns=["id", "lon", "lat"]).to_csv(cand, index=False)
    frame, lon, lat, status = query.read_points(cand, what="candidate sites")
    np.testing.assert_allclose(lon, [120.15, 120.16, 120.16, np.nan, 120.17])
    np.testing.assert_allclose(lat, [30.25, 30.26, 30.26, np.nan, 30.27])
    assert "swapped back" in status[2] and status[2].startswith("ok")
    assert status[3] == "invalid coordinates (lon '东经120度', lat '北纬30度'): whole degrees only (±50 km); give decimals such as 120.1536, or degrees, minutes and seconds"
    amap = tmp_path / "amap.csv"  # one column of "lon,lat" as AMap copies them, in any of the forms
    pd.DataFrame({"名称": ["甲", "乙", "丙"], "经纬度": ["120.15,30.25", "东经120.16， 北纬30.26", "120°10′12″E 30°16′12″N"]}).to_csv(amap, index=False)
    frame, lon, lat, status = query.read_points(amap)
    np.testing.assert_allclose(lon, [120.15, 120.16, 120.17]) and np.testing.assert_allclose(lat, [30.25, 30.26, 30.27])
    assert any("coordinates read from the column '经纬度'" in n for n in frame.attrs["notes"])
    imp = userdata.read_facilities(userdata.FacilityInput(cand, service="park"), services=services)
    assert sorted(imp.facilities["source_row"]) == [2, 3, 4, 6]
    r = imp.rejects.set_index("source_row")
    assert r.loc[5, "action"] == "rejected" and "whole degrees only" in r.loc[5, "reason"] and "'东经120度'" in r.loc[5, "reason"]
    assert r.loc[4, "action"] == "used_with_fix" and "marked the other way round" in r.loc[4, "reason"]
    assert any("give coordinates as text" in n and "东经120.15" in n for n in imp.notes)


# --------------------------------------------------------------------------- 4./5. workbooks: a notes sheet first, formulas without values


def _workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "说明"
    notes.append(["本表为西湖区养老机构名单，坐标为高德坐标"])
    notes.append(["填表人：张三"])
    homes = wb.create_sheet("养老机构")
    homes.append(["编号", "名称", "经度", "纬度", "床位"])
    homes.append(["E1", "甲敬老院", 120.15, 30.25, 100])
    homes.append(["E2", "乙敬老院", "=C2+0.01", "=D2+0.01", 50])  # written by a program: no cached values
    homes.append(["E3", "丙敬老院", 120.17, 30.27, "=E2*2"])
    wb.create_sheet("汇总").append(["合计", 3])
    wb.save(path)
    return path


def test_a_notes_sheet_first_lists_the_sheets_and_names_the_option(tmp_path, services):
    path = _workbook(tmp_path / "homes.xlsx")
    with pytest.raises(errors.InputError) as exc:
        userdata.read_facilities(userdata.FacilityInput(path, service="elderly_care"), services=services)
    msg = str(exc.value)
    assert str(path) in msg and "(read sheet '说明')" in msg
    assert "'说明' (2 rows; no lon/lat-like column" in msg and "'养老机构' (4 rows; lon/lat-like columns '经度', '纬度' in row 1)" in msg
    assert "'汇总' (1 row; no lon/lat-like column" in msg
    assert "--facilities-sheet 养老机构" in msg and "sheet='养老机构'" in msg
    with pytest.raises(errors.InputError, match=r"'养老机构' \(4 rows; lon/lat-like.*sheet='养老机构' in Python"):
        query.read_points(path)
    with pytest.raises(errors.InputError, match=r"no worksheet '养老'; sheets are \['说明', '养老机构', '汇总'\]"):
        userdata.read_facilities(userdata.FacilityInput(path, service="elderly_care", sheet="养老"), services=services)
    with pytest.raises(errors.InputError, match=r"no sheet number 7 \(0-based\)"):
        areas.read_table(path, sheet=7)


def test_formulas_without_saved_values_are_named_by_cell(tmp_path, services):
    path = _workbook(tmp_path / "homes.xlsx")
    imp = userdata.read_facilities(userdata.FacilityInput(path, service="elderly_care", sheet="养老机构"), services=services)
    r = imp.rejects.set_index("source_row")
    assert r.loc[3, "action"] == "rejected"
    assert r.loc[3, "reason"] == "missing coordinates: cells C3, D3 hold formulas with no saved value; open and save the file in Excel/WPS, or paste values"
    assert r.loc[4, "action"] == "used_without_value"
    assert r.loc[4, "reason"] == "beds (床位): cell E4 holds a formula with no saved value; left empty (open and save the file in Excel/WPS, or paste values)"
    assert any("3 cells hold a formula with no saved value (C3, D3, E4)" in n for n in imp.notes)
    _, lon, _, status = query.read_points(path, sheet="养老机构")
    assert np.isnan(lon[1]) and "cells C3, D3 hold formulas with no saved value" in status[1]


# --------------------------------------------------------------------------- 6. polygons repaired with a note


BOWTIE = shapely.Polygon([(120.10, 30.23), (120.18, 30.29), (120.18, 30.23), (120.10, 30.29), (120.10, 30.23)])


def test_self_intersecting_polygons_are_repaired_and_reported(tmp_path):
    gpd.GeoDataFrame({"name": ["蝴蝶区"]}, geometry=[BOWTIE], crs=4326).to_file(tmp_path / "bowtie.geojson")
    area, notes = areas.area_from_file(tmp_path / "bowtie.geojson")
    assert area.is_valid and area.area > 0.9 * 0.08 * 0.06 / 2
    (note,) = notes
    assert note.startswith("boundary bowtie.geojson: feature 1 ('蝴蝶区') was not a valid polygon (self-intersection at 120.14000, 30.26000)")
    assert "repaired (make_valid): area 0.000 km² as drawn -> 25.6" in note
    # a district layer with one invalid district among valid ones
    d = gpd.GeoDataFrame({"adcode": ["1", "2"], "name": ["好区", "坏区"]}, geometry=[shapely.box(120.0, 30.0, 120.1, 30.1), BOWTIE], crs=4326)
    d.to_file(tmp_path / "districts.geojson")
    out, notes = zones.districts_from_file(tmp_path / "districts.geojson")
    assert list(out["district_name"]) == ["好区", "坏区"] and out.geometry.is_valid.all()
    assert any("feature 2 ('坏区') was not a valid polygon" in n and "km²" in n for n in notes)


@pytest.mark.shared
def test_datav_province_boundary_repairs_are_reported(shared_data):
    """The real DataV Zhejiang file: two city outlines (宁波市, 舟山市) self-intersect along the coast."""
    frame, notes = areas.polygons_from_file(shared_data / "zhejiang_admin_boundaries_datav" / "330000_full.json", crs="gcj02", what="districts")
    assert len(frame) == 11 and frame.geometry.is_valid.all()
    repaired = [n for n in notes if "was not a valid polygon" in n]
    assert len(repaired) == 2 and "('宁波市')" in repaired[0] and "('舟山市')" in repaired[1]
    assert all("as drawn ->" in n and "m²" in n for n in repaired)


# --------------------------------------------------------------------------- 7. broken polygon files and odd columns


def test_broken_polygon_files_give_clear_errors_or_notes(tmp_path, services):
    box = shapely.box(120.1, 30.2, 120.2, 30.3)
    (tmp_path / "cut.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Feat', encoding="utf-8")
    with pytest.raises(errors.InputError, match=r"cut\.geojson: not valid JSON \(.* at line 1, column \d+; the file is cut short"):
        areas.area_from_file(tmp_path / "cut.geojson")
    # Shapefile without .dbf (a note), without .shp (an error naming what is there)
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[box], crs=4326).to_file(tmp_path / "area.shp")
    (tmp_path / "area.dbf").rename(tmp_path / "area.dbf.bak")
    _, notes = areas.area_from_file(tmp_path / "area.shp")
    assert any("has no .dbf attribute table" in n for n in notes)
    (tmp_path / "area.dbf.bak").rename(tmp_path / "area.dbf")
    (tmp_path / "area.shp").rename(tmp_path / "area.shp.bak")
    with pytest.raises(errors.InputFileNotFoundError, match=r"area\.dbf, area\.shx, area\.prj are there, but a Shapefile needs its \.shp"):
        areas.area_from_file(tmp_path / "area.shp")
    with pytest.raises(errors.InputError, match=r"area\.dbf: the boundary holds no geometry, only a table"):
        areas.area_from_file(tmp_path / "area.dbf")
    (tmp_path / "area.shp.bak").rename(tmp_path / "area.shp")
    # a zipped Shapefile with two layers; a GeoPackage with several
    gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(120.15, 30.25)], crs=4326).to_file(tmp_path / "pts.shp")
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as zf:
        for p in tmp_path.glob("*"):
            if p.stem in ("area", "pts") and p.suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                zf.write(p, p.name)
    with pytest.raises(errors.InputError, match=r"two\.zip: the zip holds 2 layers: 'area' \(Polygon, 1 feature\), 'pts' \(Point, 1 feature\); name the layer to read: layer='area'"):
        areas.area_from_file(tmp_path / "two.zip")
    assert areas.area_from_file(tmp_path / "two.zip", layer="area")[0].equals(box)
    gpkg = tmp_path / "layers.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[box], crs=4326).to_file(gpkg, layer="边界")
    gpd.GeoDataFrame({"name": ["p"]}, geometry=[shapely.Point(120.15, 30.25)], crs=4326).to_file(gpkg, layer="设施")
    with pytest.raises(errors.InputError, match=r"layers\.gpkg: the file holds 2 layers: '边界' \(Polygon.*'设施' \(Point.*--facilities-sheet NAME"):
        userdata.read_facilities(userdata.FacilityInput(gpkg, service="park"), services=services)
    assert len(userdata.read_facilities(userdata.FacilityInput(gpkg, service="park", sheet="设施"), services=services).facilities) == 1
    with pytest.raises(errors.InputError, match=r"boundary file holds 2 layers.*ogr2ogr -f GPKG one\.gpkg layers\.gpkg 边界"):
        areas.area_from_file(gpkg)
    # only points and lines; empty geometries and NaN coordinates among good polygons
    gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), shapely.LineString([(0, 0), (1, 1)])], crs=4326).to_file(tmp_path / "lines.geojson")
    with pytest.raises(errors.InputError, match=r"lines\.geojson: the boundary holds no polygon: its 2 features are 1 Point, 1 LineString"):
        areas.area_from_file(tmp_path / "lines.geojson")
    feats = [
        {"type": "Feature", "properties": {"name": "空"}, "geometry": None},
        {"type": "Feature", "properties": {"name": "坏"}, "geometry": {"type": "Polygon", "coordinates": [[[120.1, 30.2], [120.2, float("nan")], [120.2, 30.3], [120.1, 30.2]]]}},
        {"type": "Feature", "properties": {"name": "好"}, "geometry": json.loads(shapely.to_geojson(box))},
    ]
    (tmp_path / "mixed.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    frame, notes = areas.polygons_from_file(tmp_path / "mixed.geojson")
    assert len(frame) == 1
    assert "boundary mixed.geojson: 1 feature without geometry ignored: feature 1 ('空')" in notes
    assert "boundary mixed.geojson: 1 polygon with NaN or infinite coordinates ignored: feature 2 ('坏')" in notes
    # a column named like a longitude holding text: the real coordinate columns are used, and said
    pd.DataFrame({"x": ["东区", "西区"], "经度": [120.15, 120.16], "纬度": [30.25, 30.26]}).to_csv(tmp_path / "x.csv", index=False)
    imp = userdata.read_facilities(userdata.FacilityInput(tmp_path / "x.csv", service="park"), services=services)
    assert len(imp.facilities) == 2
    pd.DataFrame({"x": ["东区", "西区"], "y": ["a", "b"]}).to_csv(tmp_path / "xy.csv", index=False)
    with pytest.raises(errors.EmptyLayerError, match=r"xy\.csv: none of its 2 rows can be used \(2 x coordinates are not numbers; row 2: coordinates are not numbers \(lon '东区', lat 'a'\): not a coordinate\); coordinates were read from 'x', 'y'; check the coordinate columns"):
        userdata.read_facilities(userdata.FacilityInput(tmp_path / "xy.csv", service="park"), services=services)


def test_a_rejects_file_read_back_keeps_its_columns(tmp_path, services):
    """Re-importing a fixed rejects_<service>.csv: its source_file/reason/action columns do not clash."""
    pd.DataFrame({"source_file": ["a.csv"], "source_row": [3], "reason": ["x"], "action": ["rejected"], "lon": [120.15], "lat": ["北纬30"]}).to_csv(tmp_path / "r.csv", index=False)
    with pytest.raises(errors.EmptyLayerError, match="whole degrees only"):
        userdata.read_facilities(userdata.FacilityInput(tmp_path / "r.csv", service="park"), services=services)
    pd.DataFrame({"source_file": ["a.csv"] * 2, "reason": ["x", "y"], "lon": [120.15, "abc"], "lat": [30.25, 30.2]}).to_csv(tmp_path / "r2.csv", index=False)
    imp = userdata.read_facilities(userdata.FacilityInput(tmp_path / "r2.csv", service="park"), services=services)
    assert list(imp.rejects.columns[:4]) == list(userdata.REJECT_COLUMNS) and "reason (in file)" in imp.rejects.columns


# --------------------------------------------------------------------------- 8. fuzzing the table readers

_CELLS = st.one_of(
    st.text(alphabet=st.sampled_from(list("0123456789.,;|\t\"' -+°′″:东经北纬度分秒ENSWabcxy名称经纬lonat\r\n１２０．＃#=")), max_size=12),
    st.sampled_from(["lon", "lat", "经度", "纬度", "经纬度", "120.15", "30.25", "东经120.15", "120°09′00″", "", "source_row", "reason"]),
)
_ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be", "latin-1"])


def _read_all(path: Path, services) -> None:
    """Every table reader: must return, or raise an AccessibilityError."""
    for call in (
        lambda: areas.read_table(path),
        lambda: query.read_points(path),
        lambda: userdata.read_facilities(userdata.FacilityInput(path, service="park"), services=services),
    ):
        with contextlib.suppress(errors.AccessibilityError):
            call()


FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".txt", ".tsv", ".json", ".xlsx"]))
def test_fuzz_random_bytes(tmp_path, services, data, suffix):
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    _read_all(path, services)


@FUZZ
@given(
    header=st.lists(_CELLS, min_size=0, max_size=5),
    rows=st.lists(st.lists(_CELLS, max_size=6), max_size=6),
    sep=st.sampled_from([",", "\t", ";", "|"]),
    encoding=_ENCODINGS,
    bom=st.booleans(),
)
def test_fuzz_random_csv_text(tmp_path, services, header, rows, sep, encoding, bom):
    text = ("\ufeff" if bom else "") + "\n".join(sep.join(r) for r in [header, *rows])
    path = tmp_path / "fuzz.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    _read_all(path, services)

"""Regenerate the small committed test data of ``tests/data`` from ``../shared/data``.

    python tests/data/make_small_data.py [--shared ../shared/data] [--out tests/data]

The tests never run this script: they read the committed files. It documents how
each file was made and rebuilds them byte for byte (the sha256 values it prints are
those listed in ``tests/data/SOURCES.md``). It needs the real OSM extract of central
Hangzhou (``hangzhou_westlake_osm2015/hangzhou_china.osm.pbf``, ODbL, see
``../shared/data/SOURCES.md``) and the installed package; nothing is downloaded.

Files written:

``hangzhou_hubin.osm.pbf``
    The Hangzhou extract cut to :data:`BBOX` (West Lake's north-east shore, Hubin and
    the streets up to Wulin, about 2.2 km x 2.8 km) with
    ``accessibility.readers.extract.extract_bbox``: every way with a node in the box
    is kept whole, with all its nodes, so long roads reach out of the box.
``hangzhou_hubin_pop_3arcsec.tif``
    The package's own building-based population estimate of the clip (``accessibility
    run`` without a raster; residents at the footprints' centroids, from
    ``demand_points.parquet``) summed into WorldPop's 3 arc-second grid (pixel
    centres on multiples of 1/1200 degree, as in WorldPop's China rasters), float32,
    EPSG:4326, nodata -3.4e38 (WorldPop's value) where no residential building
    stands, like WorldPop's "constrained" products. NOT census data.
``hangzhou_hubin_older_3arcsec.tif``
    The same grid times 0.187 (Zhejiang's 60+ share in the 2020 census), float32.
``hubin_elderly_care_gcj02.xlsx``
    Ten INVENTED elderly-care facilities (养老院/护理院/敬老院/日间照料中心 ...) with
    beds, placed 10-15 m from real street nodes of the clip's walking network and
    written in GCJ-02 (``accessibility.coords.chinacoords.wgs84_to_gcj02``), as a
    planner's AMap-based list would be. A title row sits above the header. Deliberate
    faults: one row without coordinates (rejected), one with longitude and latitude
    swapped (used with a fix), one with the beds "待定" (used without a value).
``hubin_points.csv``
    Query points (WGS-84): the centroids of the four most populous residential
    buildings of the estimate, plus one point outside the study area (lon 120.21, lat 30.21).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHARED_DEFAULT = REPO.parent / "shared" / "data"
SOURCE = Path("hangzhou_westlake_osm2015") / "hangzhou_china.osm.pbf"
SOURCE_SHA256 = "db79f6b77063edd28cf256232e5c115c65d6cfa50ac898a475587c96d8fe6ce3"

#: (min_lon, min_lat, max_lon, max_lat), WGS-84: West Lake's north-east shore, Hubin, up to Wulin.
BBOX = (120.152, 30.253, 120.175, 30.278)

OSM_NAME = "hangzhou_hubin.osm.pbf"
POP_NAME = "hangzhou_hubin_pop_3arcsec.tif"
OLDER_NAME = "hangzhou_hubin_older_3arcsec.tif"
XLSX_NAME = "hubin_elderly_care_gcj02.xlsx"
POINTS_NAME = "hubin_points.csv"

RES = 1.0 / 1200.0  # WorldPop's 3 arc-seconds
NODATA = float(np.float32(-3.4e38))  # WorldPop's nodata value (-3.3999999521443642e+38 as float32)
OLDER_SHARE = 0.187  # Zhejiang 2020 census, 60+
FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # zip entry times and document properties of the XLSX

#: The invented facility list: (编号, 机构名称, 类型, target lon, target lat (WGS-84), 床位, fault).
#: Each lands on the street node of the clip's walking network nearest to its target, moved
#: 10 m east and 12 m north (beside the street, as a building would be). Care homes sit in the
#: north and east, day-care centres in Hubin, so the 1 km care-home goal leaves the south-west
#: of Hubin uncovered and ``suggest`` has work to do.
FACILITIES = [
    ("HB-001", "武林街道养老院", "养老院", 120.1630, 30.2745, 120, None),
    ("HB-002", "凤起路护理院", "护理院", 120.1690, 30.2640, 80, None),
    ("HB-003", "庆春路敬老院", "敬老院", 120.1720, 30.2580, 60, None),
    ("HB-004", "湖滨街道日间照料中心", "日间照料中心", 120.1600, 30.2590, 20, None),
    ("HB-005", "平海路居家养老服务中心", "居家养老服务中心", 120.1620, 30.2620, 10, None),
    ("HB-006", "长生路颐养院", "养老院", 120.1660, 30.2680, "待定", None),
    ("HB-007", "体育场路养老院", "养老院", 120.1650, 30.2720, 90, "swap"),
    ("HB-008", "东坡路日间照料中心", "日间照料中心", 120.1580, 30.2560, 15, "missing"),
    ("HB-009", "延安路老年公寓", "养老院", 120.1700, 30.2700, 150, None),
    ("HB-010", "中山北路日间照料中心", "日间照料中心", 120.1680, 30.2760, 25, None),
]
OFFSET_DEG = (10.0 / 96_200.0, 12.0 / 110_900.0)  # 10 m east, 12 m north at latitude 30.26


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cut_osm(src: Path, out: Path) -> None:
    from accessibility.readers.extract import extract_bbox

    counts = extract_bbox(src, BBOX, out)
    print(f"{out.name}: {counts} ({out.stat().st_size:,} B)")


def node_bounds(osm_path: Path) -> tuple[float, float, float, float]:
    import osmium

    lon, lat = [], []
    for obj in osmium.FileProcessor(str(osm_path), osmium.osm.NODE):
        if obj.location.valid():
            lon.append(obj.location.lon)
            lat.append(obj.location.lat)
    return min(lon), min(lat), max(lon), max(lat)


def estimate_run(osm_path: Path, work: Path) -> Path:
    """The package's own building estimate of the clip: a plain CLI run, no raster."""
    from accessibility import cli

    run = work / "estimate"
    code = cli.main(["-q", "run", "--osm", str(osm_path), "--out", str(run), "--no-briefing", "--no-cache"])
    if code != 0:
        sys.exit(f"accessibility run on {osm_path} failed with exit status {code}")
    return run


def write_rasters(osm_path: Path, run: Path, out: Path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    pts = pd.read_parquet(run / "demand_points.parquet", columns=["lon", "lat", "pop"])
    if not len(pts):
        sys.exit("the building estimate has no residents")
    minx, miny, maxx, maxy = node_bounds(osm_path)
    # WorldPop's grid: pixel centres on multiples of 1/1200 degree, edges half a pixel off them;
    # the raster covers every node of the clip (the study area is the street network's hull)
    c0, c1 = int(np.floor(minx / RES)), int(np.ceil(maxx / RES))
    r0, r1 = int(np.floor(miny / RES)), int(np.ceil(maxy / RES))
    west, north = (c0 - 0.5) * RES, (r1 + 0.5) * RES
    width, height = c1 - c0 + 1, r1 - r0 + 1
    col = np.rint(pts["lon"].to_numpy() / RES).astype(np.int64) - c0
    row = r1 - np.rint(pts["lat"].to_numpy() / RES).astype(np.int64)
    assert (col >= 0).all() and (col < width).all() and (row >= 0).all() and (row < height).all()
    flat = np.bincount(row * width + col, weights=pts["pop"].to_numpy(), minlength=width * height)
    people = flat.reshape(height, width)
    total = np.where(people > 0, people, NODATA).astype(np.float32)
    older = np.where(people > 0, total.astype(np.float64) * OLDER_SHARE, NODATA).astype(np.float32)
    profile = {
        "driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "float32", "crs": "EPSG:4326",
        "transform": from_origin(west, north, RES, RES), "nodata": NODATA, "compress": "deflate", "predictor": 1,
    }
    for name, grid, what in ((POP_NAME, total, "people"), (OLDER_NAME, older, "people aged 60+ (18.7% of the total)")):
        path = out / name
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(grid, 1)
            dst.update_tags(AREA_OR_POINT="Area", DESCRIPTION=f"{what} per 3 arc-second pixel, derived from OSM buildings (not census data)")
        valid = grid[grid > NODATA]
        print(f"{name}: {width} x {height} pixels, {len(valid)} populated, sum {valid.astype(np.float64).sum():,.3f}")
    print(f"  building estimate: {len(pts)} residential buildings, {pts['pop'].sum():,.3f} people")


def _deterministic_xlsx(data: bytes, out: Path) -> None:
    """Rewrite openpyxl's zip with fixed entry times and document dates, so the file is reproducible."""
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*FIXED_TIME)
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            body = zin.read(name)
            if name == "docProps/core.xml":
                text = body.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rf"\g<1>{stamp}\g<2>", text)
                body = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zout.writestr(info, body)


def write_facilities(run: Path, out: Path) -> None:
    import openpyxl

    from accessibility.coords.chinacoords import wgs84_to_gcj02

    # the run's walking network nodes (network_walk_nodes.parquet; network_nodes.parquet in run-folder format 2)
    found = sorted(run.glob("network*nodes.parquet"))
    if not found:
        sys.exit(f"no network nodes file in {run}")
    nodes = pd.read_parquet(found[-1], columns=["osmid", "lon", "lat"]).sort_values("osmid", kind="stable")
    nlon, nlat = nodes["lon"].to_numpy(), nodes["lat"].to_numpy()
    k = np.cos(np.radians(30.26))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "养老机构"
    ws.append(["上城区养老机构名录（测试数据：机构为虚构，位置取自OSM街道节点，坐标为GCJ-02）"])
    ws.append(["编号", "机构名称", "类型", "经度", "纬度", "床位"])
    print(f"{XLSX_NAME}:")
    for fid, name, kind, tlon, tlat, beds, fault in FACILITIES:
        i = int(np.argmin(((nlon - tlon) * k) ** 2 + (nlat - tlat) ** 2))
        wlon, wlat = nlon[i] + OFFSET_DEG[0], nlat[i] + OFFSET_DEG[1]
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        glon, glat = round(float(glon), 6), round(float(glat), 6)
        lon_cell, lat_cell = glon, glat
        if fault == "missing":
            lon_cell = lat_cell = None
        elif fault == "swap":
            lon_cell, lat_cell = glat, glon
        ws.append([fid, name, kind, lon_cell, lat_cell, beds])
        print(f"  {fid} node {int(nodes['osmid'].iloc[i])}: WGS-84 {wlon:.6f},{wlat:.6f} -> GCJ-02 {glon:.6f},{glat:.6f}" + (f" ({fault})" if fault else ""))
    for col, width in zip("ABCDEF", (10, 26, 18, 13, 12, 8), strict=True):
        ws.column_dimensions[col].width = width
    wb.properties.creator = "accessibility tests/data/make_small_data.py"
    buf = io.BytesIO()
    wb.save(buf)
    _deterministic_xlsx(buf.getvalue(), out / XLSX_NAME)


def write_points(run: Path, out: Path) -> None:
    pts = pd.read_parquet(run / "demand_points.parquet", columns=["lon", "lat", "pop"])
    top = pts.sort_values(["pop", "lon", "lat"], ascending=[False, True, True], kind="stable").head(4)
    rows = [(f"住宅{i + 1}", round(float(r.lon), 6), round(float(r.lat), 6)) for i, r in enumerate(top.itertuples())]
    rows.append(("研究区外", 120.21, 30.21))  # about 4 km south-east of the clip: outside the study area
    frame = pd.DataFrame(rows, columns=["名称", "经度", "纬度"])
    frame.to_csv(out / POINTS_NAME, index=False, lineterminator="\n", encoding="utf-8")
    print(f"{POINTS_NAME}: {len(frame)} points")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=SHARED_DEFAULT, help="the shared data folder (default ../shared/data)")
    ap.add_argument("--out", type=Path, default=HERE, help="where to write (default: this folder)")
    args = ap.parse_args(argv)
    src = args.shared / SOURCE
    if not src.is_file():
        sys.exit(f"{src} is missing: this script cuts the test data from the shared Hangzhou extract")
    if sha256(src) != SOURCE_SHA256:
        sys.exit(f"{src} is not the staged 2015 extract (sha256 differs from {SOURCE_SHA256})")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="accessibility-small-data-") as tmp:
        work = Path(tmp)
        osm_path = args.out / OSM_NAME
        cut_osm(src, osm_path)
        run = estimate_run(osm_path, work)
        write_rasters(osm_path, run, args.out)
        write_facilities(run, args.out)
        write_points(run, args.out)
        shutil.rmtree(run, ignore_errors=True)
    print("sha256:")
    for name in (OSM_NAME, POP_NAME, OLDER_NAME, XLSX_NAME, POINTS_NAME):
        p = args.out / name
        print(f"{sha256(p)}  {name}  ({p.stat().st_size:,} B)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

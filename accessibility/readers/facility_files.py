"""Planners' own facility lists: import and validation that loses nothing (merging with OSM: :mod:`accessibility.stages.merging`).

OSM in China is incomplete, and planners keep their own lists: spreadsheets
with coordinates picked on AMap/Gaode or Tencent (GCJ-02) or Baidu (BD-09),
Baidu/AMap API dumps, GIS layers. :func:`layer_from_file` reads them into the
facility table of :mod:`accessibility.stages.facilities` (same columns, plus
capacities), and every row of the file is either used or listed, with the
reason, in a rejects table:

* coordinates missing, not numbers, out of range, or in a system that
  cannot be transformed: **rejected** (coordinates written as text,
  ``东经120.15``, ``120°09′00″``, full-width digits, are read: see
  :func:`accessibility.readers.tabletext.parse_degrees`; an Excel formula with no
  saved value is named by its cell);
* longitude and latitude swapped (detectable in China: latitudes are 18-54
  and longitudes 73-135, which do not overlap; or marked 北纬/东经 the other
  way round): **fixed**, the row is used and listed with action
  ``used_with_fix``;
* a CSV line with more fields than the header (an unquoted comma shifts
  the values): **rejected**; with fewer: used, missing values empty,
  ``used_with_fix``;
* more than ``area_margin_m`` outside the study area: **rejected**;
* an id seen on an earlier used row, or a row identical to an earlier one:
  **rejected** (the reason names the earlier row);
* a tier the service does not have: **rejected**;
* a capacity (beds, places, area) that is not a non-negative number: the
  row is used, the value left empty, action ``used_without_value``;
* a name that holds none of the service's ``keywords``, or one of its
  ``exclude_keywords`` (``layers/<service>.toml``: a government-POI dump
  given as care homes, 村民委员会 and all): the row is used and listed with
  action ``used_unverified``, and a note counts them with examples; with
  ``strict_names`` (``--facilities-strict-names``) it is **rejected**. Rows
  without a name are not judged (see :func:`name_check`).

Row numbers are those a person sees: the line in a CSV, the row in Excel,
the feature or record number (from 1) in a GIS layer or JSON file.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import config, errors
from ..coords import chinacoords, geodesy
from ..core.notes import Note
from ..core.specs import number, option
from . import areas, footprints, sources, tablefiles, tabletext
from .areas import read_table
from .facility_names import NameCheck, keyword_pattern, name_check, name_warnings, yes_no

__all__ = [
    "CAPACITY_COLUMNS",
    "REJECT_COLUMNS",
    "TIER_WORDS",
    "FacilityImport",
    "FacilityInput",
    "NameCheck",
    "keyword_pattern",
    "layer_from_file",
    "name_check",
    "read_facilities",
    "read_table",
]

log = logging.getLogger(__name__)

#: capacity kind -> column names recognised (after normalisation: NFKC, lower case, no brackets or spaces)
CAPACITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "beds": ("beds", "bed", "床位", "床位数", "床位数量", "核定床位", "核定床位数", "设计床位", "床数", "养老床位", "nbeds"),
    "places": ("places", "place", "seats", "托位", "托位数", "学位", "学位数", "入托", "托育位", "capacity"),
    "area_m2": ("area_m2", "area", "site_area", "面积", "占地面积", "用地面积", "场地面积", "场地面积m2", "面积m2", "sqm"),
    "floor_area_m2": ("floor_area_m2", "floor_area", "gfa", "建筑面积", "使用面积", "建筑面积m2"),
}
LON_NAMES, LAT_NAMES, PAIR_NAMES = tabletext.LON_NAMES, tabletext.LAT_NAMES, tabletext.PAIR_NAMES
ID_NAMES = ("id", "facility_id", "uid", "编号", "编码", "序号", "代码", "机构编码", "code")
NAME_NAMES = ("name", "名称", "机构名称", "设施名称", "单位名称", "name_zh", "title", "名字")
TIER_NAMES = ("tier", "type", "类型", "类别", "机构类型", "设施类型", "等级", "性质", "category")

#: service -> tier -> words in a tier column (or a name) that mean it; tried in this order.
TIER_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "elderly_care": {
        "day_care": ("日间照料", "日照中心", "照料中心", "居家养老", "托老", "助老", "养老服务站", "社区养老", "day care", "daycare", "day_care"),
        "care_home": ("养老院", "敬老院", "护理院", "养护院", "福利院", "老年公寓", "养老公寓", "养老机构", "颐养院", "nursing", "care home", "care_home", "assisted"),
    },
    "preschool": {
        "childcare": ("托育", "托儿所", "托班", "婴幼儿照护", "早教", "childcare", "nursery"),
        "kindergarten": ("幼儿园", "学前", "kindergarten"),
    },
    "public_health": {
        "clinic": ("卫生服务", "卫生院", "卫生室", "卫生站", "诊所", "门诊", "clinic", "health centre", "health center"),
        "hospital": ("医院", "hospital"),
    },
    "sports_fitness": {
        "venue": ("体育馆", "体育场", "体育中心", "全民健身中心", "游泳馆", "stadium", "sports centre", "sports center", "venue"),
        "community": ("健身", "运动场", "球场", "步道", "fitness", "pitch", "community"),
    },
    "park": {"garden": ("游园", "花园", "小公园", "garden"), "park": ("公园", "绿地", "park")},
    "culture": {
        "community_culture": ("文化站", "文化礼堂", "文化家园", "文化驿站", "综合文化服务中心"),
        "museum": ("博物馆", "纪念馆", "美术馆", "陈列馆", "museum", "gallery"),
        "cultural_centre": ("文化馆", "文化中心", "文化宫", "群艺馆", "cultural centre", "arts centre"),
        "library": ("图书馆", "书房", "分馆", "library"),
    },
}

#: China: latitudes 18-54 N and longitudes 73-135 E do not overlap, so swaps are detectable.
CHINA_BOX = (73.0, 18.0, 135.0, 54.0)
REJECT_COLUMNS = ("source_file", "source_row", "reason", "action")
#: actions of the rejects table, the strongest first: a row listed for several problems takes the
#: first (its reason names them all); ``used_unverified`` marks rows whose only doubt is their name
_ACTIONS = ("rejected", "used_with_fix", "used_without_value", "used_unverified")
_NUMBER = re.compile(r"^([+-]?\d[\d,]*(?:\.\d+)?)\s*(?:张|床|个|人|位|座|处|所|平方米|平米|㎡|m2|m²|sqm)?$")


@dataclass(frozen=True)
class FacilityInput:
    """One facility file for one service: how to read it, and how it joins the OSM facilities.

    The same spec serves :func:`layer_from_file`, :func:`~accessibility.run.pipeline.run`
    (``facilities=[...]``) and the command line, whose ``--facilities FILE`` starts
    one and whose ``--service`` and ``--facilities-*`` options that follow fill it.

    Attributes
    ----------
    path
        The file: CSV/TXT, XLSX, JSON (Baidu/AMap API records), GeoJSON, GeoPackage,
        Shapefile or a zip of one (see :func:`~accessibility.readers.areas.read_table`).
    service
        Service id, e.g. ``"elderly_care"`` (a ``layers/<service>.toml``).
    crs
        Coordinate system of the coordinates: ``"wgs84"`` (GPS, OSM),
        ``"gcj02"`` (AMap/Gaode, Tencent), ``"bd09"`` (Baidu), ``"cgcs2000"``
        (Tianditu) or any EPSG code (projected x/y in metres too). A GIS layer
        in projected metres keeps its own CRS.
    mode
        ``"complement"`` (add to OSM, merging likely duplicates) or
        ``"replace"`` (drop the service's OSM facilities).
    lon_col, lat_col
        Default: found by name (lon/lng/x/经度, lat/y/纬度), or one
        经纬度/location column holding ``"lon,lat"``.
    id_col, name_col, tier_col
        Default: found by name (id/编号/uid, name/名称, type/类型/tier).
    tier
        Tier of rows without one. Default: from name keywords (日间照料 ->
        ``day_care``; see :data:`TIER_WORDS`), else the service's first tier.
    capacity_cols
        ``{"beds": "核定床位"}``; default: found by name (床位/beds ->
        ``beds``, 托位/places -> ``places``, 面积/area -> ``area_m2``,
        建筑面积 -> ``floor_area_m2``; see :data:`CAPACITY_COLUMNS`).
    sheet, encoding, header_row
        Excel sheet (or GeoPackage layer), text encoding, header row (1-based).
    tier_map
        Extra tier words, e.g. ``{"养老院": "care_home"}`` (Python only).
    merge_dist_m
        A user's facility this close to an OSM facility of the same service
        with a similar name is the same facility (``complement`` mode).
    area_margin_m
        Rows more than this outside the study area are rejected.
    strict_names
        Reject rows whose name holds none of the service's ``keywords`` (or
        one of its ``exclude_keywords``) instead of using them with action
        ``used_unverified`` (default).
    """

    path: sources.Source = option("--facilities", "facility list: CSV, XLSX, JSON (Baidu/AMap API), GeoJSON, GPKG, SHP (repeatable)",
                              metavar="FILE", required=True)
    service: str = option("--service", "its service, e.g. elderly_care (required per --facilities)", default="", metavar="ID")
    crs: str = option("--facilities-crs", "wgs84 (default), gcj02 (AMap/Gaode, Tencent), bd09 (Baidu), cgcs2000, EPSG:XXXX",
                      default="wgs84", metavar="CRS")
    mode: str = option("--facilities-mode", "add to OSM merging duplicates (default), or replace OSM", default="complement",
                       choices=("complement", "replace"))
    lon_col: str | None = option("--facilities-lon-col", "longitude column (default: found by name, e.g. 经度/lng)", metavar="COLUMN")
    lat_col: str | None = option("--facilities-lat-col", "latitude column (default: found by name, e.g. 纬度/lat)", metavar="COLUMN")
    id_col: str | None = option("--facilities-id-col", "id column (default: found by name, e.g. 编号/id)", metavar="COLUMN")
    name_col: str | None = option("--facilities-name-col", "name column (default: found by name, e.g. 名称/name)", metavar="COLUMN")
    tier_col: str | None = option("--facilities-tier-col", "tier/type column (default: found by name, e.g. 类型/type)", metavar="COLUMN")
    tier: str | None = option("--facilities-tier", "tier of rows without one (default: from name keywords, else the first tier)", metavar="TIER")
    capacity_cols: Mapping[str, str] | None = option(
        "--facilities-capacity-col", "e.g. beds=核定床位 (repeatable; kinds beds, places, area_m2, floor_area_m2)", metavar="KIND=COLUMN", pairs=True
    )
    sheet: str | int | None = option("--facilities-sheet", "Excel sheet or GeoPackage layer (default: the first)", metavar="SHEET")
    encoding: str | None = option("--facilities-encoding", "text encoding (default: detected; UTF-8, GBK, UTF-16)", metavar="ENCODING")
    header_row: int | None = option("--facilities-header-row", "row of the column names, 1-based (default: found)", metavar="ROW",
                                    parse=number(1, 1000, "a row number", integer=True))
    tier_map: Mapping[str, str] | None = None
    merge_dist_m: float = option("--facilities-merge-m", "an OSM facility this close with a similar name is the same (default 100 m)",
                                 default=100.0, metavar="M", parse=number(0, 5000, "metres"))
    area_margin_m: float = option("--facilities-margin-m", "rows farther than this outside the study area are rejected (default 1000 m)",
                                  default=1000.0, metavar="M", parse=number(0, 100_000, "metres"))
    strict_names: bool = option(
        "--facilities-strict-names",
        "yes: reject rows whose name is not of the service (no keyword of its layer, or e.g. 村民委员会); "
        "default no: used and listed as used_unverified",
        default=False, metavar="yes|no", parse=yes_no,
    )

    def __post_init__(self) -> None:
        file = sources.label(self.path, "facilities")
        if not self.service:
            raise errors.InputError(f"facility file {file}: name its service (--service SERVICE after --facilities {file})")
        if self.mode not in ("complement", "replace"):
            raise errors.InputError(f"facility file {file}: mode must be 'complement' or 'replace', got {self.mode!r}")
        for name in ("merge_dist_m", "area_margin_m"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise errors.InputError(f"facility file {file}: {name} is a distance in metres (0 or more), got {v!r}")
        if not isinstance(self.strict_names, (bool, np.bool_)):
            raise errors.InputError(f"facility file {file}: strict_names is True or False, got {self.strict_names!r}")


@dataclass
class FacilityImport:
    """What :func:`read_facilities` made of a file.

    ``warnings`` holds the structured form of the notes that qualify a number
    (``facilities.unverified_names``: rows whose names are not of the
    service), with their Chinese text; their English text is also in ``notes``.
    """

    facilities: gpd.GeoDataFrame
    rejects: pd.DataFrame
    summary: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)


# --------------------------------------------------------------------------- validation helpers


def pick_column(columns: Sequence[str], given: str | None, candidates: Sequence[str], *, what: str, path: Path, required: bool = False) -> str | None:
    """The column ``given`` (exactly, else by its normalised name), else the first named like one of ``candidates``; None if none is."""
    norm = {c: areas.normalise_column(c) for c in columns}
    if given is not None:
        hits = [c for c in columns if c == given] or [c for c in columns if norm[c] == areas.normalise_column(given)]
        if not hits:
            raise errors.InputError(f"{path}: no column {given!r} for the {what}; columns are {list(columns)}")
        return hits[0]
    for cand in candidates:
        c_n = areas.normalise_column(cand)
        for c in columns:
            if norm[c] == c_n:
                return c
    if required:
        raise errors.InputError(
            f"{path}: cannot find the {what} column among {list(columns)}; name it (e.g. --facilities-lon-col 经度 "
            "--facilities-lat-col 纬度, or lon_col=/lat_col= in Python)"
        )
    return None


_text = tabletext.cell_text


def _sheet_hint(path: Path, info: tablefiles.TableInfo | None) -> str:
    """For a workbook: its sheets, what each holds, and the option naming one ('' for other files)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return ""
    try:
        text, good = tablefiles.describe_sheets(path, lon_names=LON_NAMES, lat_names=LAT_NAMES)
    except errors.InputError:
        return ""
    read = f" (read sheet {info.sheet!r})" if info is not None and info.sheet else ""
    example = good[0] if good else "NAME"
    return f"{read}. The workbook's {text}. Choose the sheet: --facilities-sheet {example} (Python: sheet={example!r})"


def _pick_coordinate(raw: pd.DataFrame, cols: Sequence[str], given: str | None, names: Sequence[str], what: str, path: Path, notes: list[str]) -> str | None:
    """A coordinate column: the one named, else the first named like one that holds a coordinate (columns such as 'x' may hold text)."""
    if given is not None:
        return pick_column(cols, given, names, what=what, path=path)
    norm = {c: areas.normalise_column(c) for c in cols}
    hits = [c for n in dict.fromkeys(areas.normalise_column(x) for x in names) for c in cols if norm[c] == n]
    for c in hits:
        if (tabletext.parse_degrees(raw[c].head(500)).status == 0).any() or (tabletext.parse_degrees(raw[c]).status == 0).any():
            if c != hits[0]:
                notes.append(f"{path.name}: column {hits[0]!r} is named like a {what} but holds no coordinates; used {c!r}")
            return c
    return hits[0] if hits else None


def parse_numbers(values: pd.Series, *, units: bool) -> tuple[np.ndarray, np.ndarray]:
    """Parse numbers; returns (value, status) with status 0 ok, 1 empty, 2 not a number."""
    text = _text(values).str.replace("°", "", regex=False)
    empty = (text == "").to_numpy()
    if units:
        text = text.str.lower().str.extract(_NUMBER, expand=False).str.replace(",", "", regex=False)
    num = pd.to_numeric(text.astype(object), errors="coerce").astype(np.float64).to_numpy()
    status = np.where(empty, 1, np.where(np.isfinite(num), 0, 2))
    return np.where(status == 0, num, np.nan), status


def _tiers(values: pd.Series, service: str, known: tuple[str, ...], tier_map: Mapping[str, str] | None) -> np.ndarray:
    """Map tier text to tier ids (None where nothing matches)."""
    text = _text(values).str.lower()
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    if tier_map:
        out = text.map({str(k).lower(): v for k, v in tier_map.items()}).astype(object).where(lambda s: s.notna(), None)
    exact = text.isin(known) & out.isna()
    out[exact] = text[exact]
    for tier, words in TIER_WORDS.get(service, {}).items():
        if tier in known:
            hit = out.isna() & text.str.contains("|".join(map(re.escape, words)), regex=True)
            out[hit] = tier
    return np.array(out.tolist(), dtype=object)


def _plausible_box(area: shapely.Geometry | None) -> tuple[float, float, float, float]:
    if area is None:
        return CHINA_BOX
    x0, y0, x1, y1 = area.bounds
    in_china = CHINA_BOX[0] <= x0 and x1 <= CHINA_BOX[2] and CHINA_BOX[1] <= y0 and y1 <= CHINA_BOX[3]
    return CHINA_BOX if in_china else (x0 - 1.0, y0 - 1.0, x1 + 1.0, y1 + 1.0)


def _in_box(x: np.ndarray, y: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])


# --------------------------------------------------------------------------- import


def read_facilities(
    spec: FacilityInput,
    *,
    area: shapely.Geometry | None = None,
    services: Mapping[str, config.ServiceLayer] | None = None,
) -> FacilityImport:
    """Read and validate a facility file: :func:`layer_from_file` with the summary and notes.

    Parameters
    ----------
    spec
        The file and how to read it.
    area
        Study area (WGS-84); rows more than ``spec.area_margin_m`` outside it are rejected.
    services
        Service layers (default: the shipped ``layers/``).

    Returns
    -------
    FacilityImport
    """
    path = sources.label(spec.path, "facilities")
    service, crs, tier, tier_map, capacity_cols = spec.service, spec.crs, spec.tier, spec.tier_map, spec.capacity_cols
    lon_col, lat_col, id_col, name_col, tier_col = spec.lon_col, spec.lat_col, spec.id_col, spec.name_col, spec.tier_col
    sheet, encoding, header_row, area_margin_m = spec.sheet, spec.encoding, spec.header_row, spec.area_margin_m
    strict_names = bool(spec.strict_names)
    services = services if services is not None else config.load_services()
    if service not in services:
        raise errors.ConfigError(f"{path}: unknown service {service!r}; services are {sorted(services)}")
    known = services[service].tiers
    declared = areas.parse_crs(crs)
    wanted = [c for c in (lon_col, lat_col, id_col, name_col, tier_col, *(capacity_cols or {}).values()) if c]
    try:
        raw, notes, info = areas.read_table_info(spec.path, sheet=sheet, encoding=encoding, header_row=header_row, wanted=wanted)
    except errors.EmptyLayerError as exc:
        raise errors.EmptyLayerError(f"{exc}{_sheet_hint(path, None)}") from exc
    n = len(raw)
    if n == 0:
        raise errors.EmptyLayerError(f"{path}: the file has a header but no rows{_sheet_hint(path, info)}")
    cols = [c for c in raw.columns if not (isinstance(raw, gpd.GeoDataFrame) and c == raw.geometry.name)]
    reasons: list[list[str]] = [[] for _ in range(n)]
    fixes: list[list[str]] = [[] for _ in range(n)]  # used, with a change: used_with_fix
    emptied: list[list[str]] = [[] for _ in range(n)]  # used, a value left empty: used_without_value
    rows = np.asarray(raw.index, dtype=np.int64)

    def flag(mask: np.ndarray, messages: Sequence[str] | str, target: list[list[str]] = reasons) -> None:
        idx = np.flatnonzero(mask)
        msgs = [messages] * len(idx) if isinstance(messages, str) else list(messages)
        for i, m in zip(idx, msgs, strict=True):
            target[i].append(m)

    # ---- geometry: a GIS layer's own, else coordinate columns
    geoms = np.full(n, None, dtype=object)
    has_geom = np.zeros(n, bool)
    vector = isinstance(raw, gpd.GeoDataFrame) and bool(raw.geometry.notna().any())
    if vector:
        trust_file = raw.crs is not None and declared.kind == "wgs84"
        frame, n2 = areas.frame_to_wgs84(raw, crs=None if trust_file else declared, path=path, what="facility file")
        notes += n2
        g = frame.geometry.to_numpy()
        has_geom = ~shapely.is_missing(g) & ~shapely.is_empty(g)
        xy, at = shapely.get_coordinates(g, return_index=True)
        nonfinite = np.zeros(n, bool)
        np.logical_or.at(nonfinite, at, ~np.isfinite(xy).all(axis=1))
        flag(has_geom & nonfinite, "the geometry has NaN or infinite coordinates")
        ok_type = np.isin(shapely.get_type_id(g), [shapely.GeometryType.POINT, shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
        wrong = has_geom & ~ok_type & ~nonfinite
        flag(wrong, [f"{x.geom_type} geometry; a facility must be a point or a polygon" for x in g[wrong]])
        geoms[has_geom & ok_type & ~nonfinite] = g[has_geom & ok_type & ~nonfinite]
    need = ~has_geom
    lon_c = _pick_coordinate(raw, cols, lon_col, LON_NAMES, "longitude", path, notes) if need.any() else None
    lat_c = _pick_coordinate(raw, cols, lat_col, LAT_NAMES, "latitude", path, notes) if need.any() else None
    pair_c = pick_column(cols, None, PAIR_NAMES, what="coordinates", path=path) if need.any() and (lon_c is None or lat_c is None) else None
    if vector and need.any() and pair_c is None and (lon_c is None or lat_c is None):
        flag(need, "no geometry")
        need[:] = False
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    coord_cols: list[str] = []
    long_rows = np.isin(rows, list(info.long_rows))
    flag(long_rows, [info.field_problem(r) for r in rows[long_rows]])
    short_rows = np.isin(rows, list(info.short_rows))
    flag(short_rows, [info.field_problem(r) for r in rows[short_rows]], fixes)
    if need.any():
        if pair_c is None:
            if lon_c is None or lat_c is None:
                try:
                    pick_column(cols, None, (), what="longitude/latitude", path=path, required=True)
                except errors.InputError as exc:
                    raise errors.InputError(f"{exc}{_sheet_hint(path, info)}") from exc
            assert lon_c is not None
            assert lat_c is not None
            coord_cols = [lon_c, lat_c]
            c = tabletext.coordinate_pairs(raw[lon_c], raw[lat_c])
        else:
            c = tabletext.coordinate_pairs(*tabletext.split_pair(raw[pair_c]))
            coord_cols = [pair_c]
            notes.append(f"{path.name}: coordinates read from the column {pair_c!r} as 'lon,lat'")
        x, y = c.x.copy(), c.y.copy()
        missing = need & (c.status == 1)
        cells = [[info.formulas[(r, k)] for k in coord_cols if (r, k) in info.formulas] for r in rows[missing]]
        flag(missing, [f"missing coordinates: {tablefiles.formula_text(f)}; {tablefiles.FORMULA_FIX}" if f else "missing coordinates" for f in cells])
        bad = need & (c.status == 2)
        flag(bad, [f"coordinates are not numbers (lon {a!r}, lat {b!r}): {w}" for a, b, w in zip(c.lon_text[bad], c.lat_text[bad], c.reason[bad], strict=True)])
        ok = need & (c.status == 0)
        flag(ok & c.swapped, "longitude and latitude were marked the other way round (北纬/东经, N/E); swapped back", fixes)
        notes += [t for t in [c.text_note(ok, path.name)] if t]
        if declared.is_lonlat:
            box = _plausible_box(area)
            swapped = ok & ~_in_box(x, y, box) & _in_box(y, x, box)
            if box[0] <= box[3] and box[1] <= box[2]:  # lon and lat ranges overlap: a swap is ambiguous
                swapped[:] = False
            x[swapped], y[swapped] = y[swapped], x[swapped]
            flag(swapped, "longitude and latitude were swapped; swapped back", fixes)
            with np.errstate(invalid="ignore"):
                out_range = ok & ((np.abs(x) > 180) | (np.abs(y) > 90))
            flag(out_range, [f"coordinates out of range (lon {a:g}, lat {b:g})" for a, b in zip(x[out_range], y[out_range], strict=True)])
            ok &= ~out_range
        lon = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        if ok.any():
            lon[ok], lat[ok] = areas.lonlat_to_wgs84(x[ok], y[ok], declared)
        failed = ok & ~(np.isfinite(lon) & np.isfinite(lat))
        flag(failed, f"coordinates cannot be transformed from {declared.label}; check the declared coordinate system")
        ok &= ~failed
        geoms[ok] = shapely.points(lon[ok], lat[ok])
        if declared.is_offset and ok.any():
            outside = ok & ~chinacoords.in_mainland_china(lon, lat)
            if outside.any():
                notes.append(f"{path.name}: {int(outside.sum())} rows lie outside mainland China, where {declared.label} has no offset; not shifted")
    located = ~shapely.is_missing(geoms) & np.array([not r for r in reasons])

    # ---- study area
    if area is not None and located.any():
        c = shapely.get_coordinates(shapely.centroid(area))[0]
        utm = geodesy.utm_crs_for(c[0], c[1])
        area_m = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(utm).iloc[0]
        pts_m = gpd.GeoSeries(geoms[located], crs="EPSG:4326").to_crs(utm).to_numpy()
        dist = np.zeros(n)
        dist[located] = shapely.distance(area_m, pts_m)
        far = located & (dist > area_margin_m)
        hint = f"; check the coordinate system (declared {declared.label})" if far.sum() > 0.5 * located.sum() else ""
        flag(far, [f"outside the study area ({d / 1000:.1f} km beyond its edge, more than the {area_margin_m:g} m margin){hint}" for d in dist[far]])

    # ---- tier
    tier_c = pick_column(cols, tier_col, TIER_NAMES, what="tier", path=path)
    if tier is not None and tier not in known:
        raise errors.ConfigError(f"{path}: tier {tier!r} is not a tier of {service}; tiers are {list(known)}")
    name_c = pick_column(cols, name_col, NAME_NAMES, what="name", path=path)
    names = _text(raw[name_c], nfkc=False).to_numpy(dtype=object) if name_c else np.full(n, "", dtype=object)
    default_tier = tier or known[0]
    if tier_c is not None:
        tiers = _tiers(raw[tier_c], service, known, tier_map)
        empty = (_text(raw[tier_c]) == "").to_numpy()
        tiers[empty] = default_tier
        unknown = pd.isna(tiers)
        words = "; ".join(f"{t}: {', '.join(w[:4])}" for t, w in TIER_WORDS.get(service, {}).items())
        flag(unknown, [f"tier {v!r} is not a tier of {service} ({', '.join(known)}{'; words: ' + words if words else ''})" for v in _text(raw[tier_c])[unknown]])
        tier_note = f"tiers from column {tier_c!r} (empty: {default_tier})"
    elif tier is not None:
        tiers = np.full(n, tier, dtype=object)
        tier_note = f"every row tier {tier}"
    else:
        tiers = _tiers(pd.Series(names), service, known, tier_map)
        inferred = int(pd.notna(tiers).sum())
        tiers[pd.isna(tiers)] = default_tier
        tier_note = f"tiers from name keywords for {inferred} rows, {default_tier} for the rest"

    # ---- names: is each row of the service at all? (strict: rejected; else used, listed: used_unverified)
    layer = services[service]
    unverified: list[list[str]] = [[] for _ in range(n)]
    check = name_check(pd.Series(names), layer, types=raw[tier_c] if tier_c is not None else None) if name_c else NameCheck.none(n)
    if not name_c and layer.keywords:
        notes.append(f"{path.name}: no name column, so the rows cannot be checked to be {layer.name_en.lower()}; name it with --facilities-name-col")
    located_before_names = np.array([not r for r in reasons])
    flag(check.unverified, [r + " (--facilities-strict-names)" * strict_names for r in check.reasons[check.unverified]], reasons if strict_names else unverified)

    # ---- ids and duplicates (among rows usable so far, earlier rows win)
    id_c = pick_column(cols, id_col, ID_NAMES, what="id", path=path)
    ids = _text(raw[id_c]).to_numpy(dtype=object) if id_c else np.full(n, "", dtype=object)
    ids = np.where(ids == "", np.char.add("row", rows.astype(str)).astype(object), ids)
    usable = np.array([not r for r in reasons])
    key = pd.Series(ids)[usable]
    dup = key.duplicated(keep="first")
    first_row = pd.Series(rows[usable], index=key.index).groupby(key.to_numpy()).transform("first")
    dup_mask = np.zeros(n, bool)
    dup_mask[key.index[dup]] = True
    flag(dup_mask, [f"duplicate id {i!r} (row {r} has it and is used)" for i, r in zip(ids[dup_mask], first_row[dup].to_numpy(), strict=True)])
    usable &= ~dup_mask
    as_text = pd.DataFrame(raw[cols]).astype(str).assign(_geom=shapely.to_wkb(geoms, hex=True))[usable]
    same = as_text.duplicated(keep="first")
    if same.any():
        first = as_text.reset_index(names="_row").groupby(list(as_text.columns), sort=False)["_row"].transform("first").to_numpy()
        m = np.zeros(n, bool)
        m[np.flatnonzero(usable)[same.to_numpy()]] = True
        flag(m, [f"same as row {r} in every column" for r in first[same.to_numpy()]])
        usable &= ~m

    # ---- capacities: a bad value empties the value, the facility is still used
    capacity: dict[str, np.ndarray] = {}
    given = dict(capacity_cols or {})
    for kind in list(CAPACITY_COLUMNS) + [k for k in given if k not in CAPACITY_COLUMNS]:
        col = pick_column(cols, given.get(kind), CAPACITY_COLUMNS.get(kind, ()), what=f"{kind} capacity", path=path)
        if col is None:
            continue
        val, status = parse_numbers(raw[col], units=True)
        if kind not in given and not (status == 0).any():
            notes.append(f"{path.name}: column {col!r} is named like a {kind} capacity but holds no numbers; ignored")
            continue
        neg = status == 0
        neg &= val < 0
        bad = (status == 2) | neg
        txt = _text(raw[col]).to_numpy()
        flag(bad & usable, [f"{kind} ({col}) {t!r} is not a non-negative number; left empty" for t in txt[bad & usable]], emptied)
        formula = np.isin(rows, [r for r, k in info.formulas if k == col]) & (status == 1) & usable
        flag(formula, [f"{kind} ({col}): {tablefiles.formula_text([info.formulas[(r, col)]])}; left empty ({tablefiles.FORMULA_FIX})" for r in rows[formula]], emptied)
        capacity[kind] = np.where(bad, np.nan, val)

    # ---- tables
    used = usable
    if not used.any():
        counts = pd.Series([r[0].split(" (")[0] for r in reasons if r]).value_counts().head(4)
        read = f"; coordinates were read from {', '.join(repr(k) for k in coord_cols)}" if coord_cols else ""
        first = next(i for i, r in enumerate(reasons) if r)
        if strict_names and (check.unverified & located_before_names).any():
            fix = (f"{int((check.unverified & located_before_names).sum())} rows have names that are not of {service} (--facilities-strict-names): "
                   f"check that this is a list of {layer.name_en.lower()} ({layer.name_zh}), or leave out --facilities-strict-names")
        else:
            fix = "check the coordinate columns (--facilities-lon-col/--facilities-lat-col) and the declared coordinate system"
        raise errors.EmptyLayerError(
            f"{path}: none of its {n} rows can be used ({'; '.join(f'{v} x {k}' for k, v in counts.items())}; row {rows[first]}: {reasons[first][0]}){read}; "
            f"{fix}{_sheet_hint(path, info) if not located.any() else ''}"
        )
    geom_used = geoms[used]
    fac = gpd.GeoDataFrame(
        {
            "facility_id": [f"user:{path.name.split('.')[0]}:{i}" for i in ids[used]],
            "service": service,
            "tier": tiers[used].astype(str),
            "name": names[used].astype(str),
            "source": f"user:{path.name}",
            "osm_type": "",
            "osm_id": pd.array([pd.NA] * int(used.sum()), dtype="Int64"),
            "area_m2": np.nan,
            "snap_dist_m": np.nan,
            "access_points": 0,
            "status": "",
        },
        geometry=list(geom_used),
        crs="EPSG:4326",
    )
    polygonal = shapely.get_type_id(geom_used) >= shapely.GeometryType.POLYGON
    if polygonal.any():
        fac.loc[polygonal, "area_m2"] = footprints.polygon_area_m2(geom_used[polygonal])
    for kind, val in capacity.items():
        fac[kind] = np.where(np.isfinite(val[used]), val[used], fac[kind].to_numpy() if kind in fac else np.nan)
    fac["source_row"] = rows[used]
    fac["osm_ref"] = ""
    fac["import_note"] = ["; ".join(f + e + v) for f, e, v, u in zip(fixes, emptied, unverified, used, strict=True) if u]
    fac = fac[[c for c in fac.columns if c != "geometry"] + ["geometry"]]

    has_fix = np.array([bool(f) for f in fixes])
    has_empty = np.array([bool(e) for e in emptied])
    has_unverified = np.array([bool(v) for v in unverified])
    listed = ~used | has_fix | has_empty | has_unverified
    original = pd.DataFrame(raw[cols]).copy()
    original.columns = [f"{c} (in file)" if c in (*REJECT_COLUMNS, "geometry_wkt") else c for c in original.columns]  # e.g. a rejects file read back
    if isinstance(raw, gpd.GeoDataFrame):
        original["geometry_wkt"] = shapely.to_wkt(raw.geometry.to_numpy(), rounding_precision=8)
    rejects = original[listed].reset_index()
    reason = np.array(["; ".join(r + f + e + v) for r, f, e, v in zip(reasons, fixes, emptied, unverified, strict=True)], dtype=object)[listed]
    action = np.select([~used, has_fix, has_empty], list(_ACTIONS[:3]), default=_ACTIONS[3])[listed]
    rejects.insert(0, "source_file", path.name)
    rejects.insert(2, "reason", reason)
    rejects.insert(3, "action", action)
    summary = {
        "path": str(path),
        "service": service,
        "crs": declared.label,
        "rows": n,
        "used": int(used.sum()),
        "rejected": int((~used).sum()),
        "fixed": int((used & has_fix).sum()),
        "values_left_empty": int((used & ~has_fix & has_empty).sum()),
        "names_checked": int(check.judged.sum()),
        "names_unverified": int((used & has_unverified).sum()),
        "names_rejected": int((check.unverified & located_before_names).sum()) if strict_names else 0,
        "strict_names": strict_names,
        "capacities": sorted(capacity),
        "tiers": pd.Series(tiers[used]).value_counts().to_dict(),
    }
    notes.append(tier_note)
    warnings = name_warnings(path, layer, check, located_before_names if strict_names else used, names, strict=strict_names)
    notes += [w.message for w in warnings]
    log.info("%s: %d of %d rows used, %d rejected", path, summary["used"], n, summary["rejected"])
    return FacilityImport(facilities=fac, rejects=rejects, summary=summary, notes=notes, warnings=warnings)


def layer_from_file(
    source: str | Path | FacilityInput,
    /,
    *,
    area: shapely.Geometry | None = None,
    services: Mapping[str, config.ServiceLayer] | None = None,
    **fields: Any,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read a planners' facility list (CSV, XLSX, JSON, GeoJSON, GeoPackage, Shapefile).

    >>> homes, rejects = layer_from_file("homes.xlsx", service="elderly_care", crs="gcj02")  # doctest: +SKIP

    Parameters
    ----------
    source
        The file, or a :class:`FacilityInput` (then ``fields`` must be empty).
    area
        Study area (WGS-84); rows more than ``area_margin_m`` outside it are rejected.
    services
        Service layers (default: the shipped ``layers/``).
    **fields
        With a file: the :class:`FacilityInput` fields (``service`` is required;
        ``crs``, ``lon_col``, ``capacity_cols``, ``sheet``...).

    Returns
    -------
    facilities, rejects
        ``facilities``: one row per used row, columns of
        :data:`accessibility.stages.facilities.FACILITY_COLUMNS` plus capacities,
        ``source_row``, ``osm_ref`` and ``import_note``; WGS-84.
        ``rejects``: every row not used or used with a change:
        ``source_file``, ``source_row``, ``reason``, ``action``
        (``rejected``, ``used_with_fix``, ``used_without_value``,
        ``used_unverified``: a name not of the service) and the row's
        original columns.
    """
    if isinstance(source, FacilityInput):
        if fields:
            raise TypeError(f"layer_from_file: give a FacilityInput or a file with its fields, not both ({sorted(fields)})")
        spec = source
    else:
        spec = FacilityInput(source, **fields)
    result = read_facilities(spec, area=area, services=services)
    return result.facilities, result.rejects

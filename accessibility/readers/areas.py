"""Reading planners' files (boundaries, tables, GIS layers) and declared coordinate systems.

Study areas, main urban areas, districts and population zones come from
polygon files (GeoJSON, GeoPackage, Shapefile, a zipped Shapefile) in any
CRS. Chinese web maps add a twist: files traced on AMap/Gaode or downloaded
from DataV are **GCJ-02** while claiming WGS-84 (GeoJSON has no other way to
say it), and Baidu's are **BD-09**. So every reader here takes a declared
``crs``:

``None``
    trust the file (a file without a CRS is refused);
``"wgs84"``, ``"cgcs2000"``
    lon/lat as given (CGCS2000 differs from WGS-84 by under a metre);
``"gcj02"``, ``"bd09"``
    lon/lat in the Chinese web-map systems, converted exactly with
    :mod:`accessibility.coords.chinacoords` (mainland China only);
``"EPSG:4547"``, ``4547``, a PROJ string or WKT
    any other system, reprojected with pyproj.

Shapefile attribute tables written on Chinese Windows are usually GBK
without a ``.cpg`` file; :func:`read_vector` (:mod:`accessibility.readers.vectorfiles`)
decodes them as UTF-8 when that works and as GB18030 (a superset of GBK)
otherwise, and says so. Tables (CSV/TXT in UTF-8, GBK or UTF-16, XLSX) are
read by :mod:`accessibility.readers.tablefiles`, text in them by
:mod:`accessibility.readers.tabletext`. Polygon layers lose nothing silently: features
dropped (no geometry, not polygons, NaN coordinates) and polygons repaired
(self-intersections) are named in the notes, with the area before and after.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import ConvexHull, QhullError

from .. import errors
from ..coords import chinacoords
from . import footprints, sources, tablefiles, tabletext
from .tabletext import normalise_column
from .vectorfiles import read_vector

__all__ = [
    "DeclaredCRS",
    "area_from_file",
    "check_overlap",
    "default_study_area",
    "geometries_to_wgs84",
    "lonlat_to_wgs84",
    "normalise_column",
    "parse_crs",
    "polygons_from_file",
    "read_table",
    "read_table_info",
    "read_vector",
]

log = logging.getLogger(__name__)

_CHINESE = {"wgs84", "gcj02", "bd09", "cgcs2000"}


@dataclass(frozen=True)
class DeclaredCRS:
    """A coordinate system as a user declared it.

    Attributes
    ----------
    kind
        ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"``, ``"bd09"`` or ``"proj"``
        (any pyproj CRS).
    crs
        The pyproj CRS for ``kind == "proj"``, else ``None``.
    label
        How notes and errors name it, e.g. ``"GCJ-02"`` or ``"EPSG:4547"``.
    """

    kind: str
    crs: pyproj.CRS | None = None
    label: str = ""

    @property
    def is_lonlat(self) -> bool:
        """Whether coordinates are longitude/latitude degrees (so lon/lat swaps are detectable)."""
        return self.kind != "proj" or bool(self.crs is not None and self.crs.is_geographic)

    @property
    def is_offset(self) -> bool:
        """GCJ-02 or BD-09: lon/lat with the Chinese web-map offset."""
        return self.kind in ("gcj02", "bd09")


_LABELS = {"wgs84": "WGS-84", "cgcs2000": "CGCS2000", "gcj02": "GCJ-02", "bd09": "BD-09"}


def parse_crs(crs: str | int | pyproj.CRS | DeclaredCRS) -> DeclaredCRS:
    """Read a declared coordinate system.

    Parameters
    ----------
    crs
        ``"wgs84"``, ``"gcj02"``, ``"bd09"``, ``"cgcs2000"`` (case, ``-`` and
        ``_`` ignored), an EPSG code (``"EPSG:4547"`` or ``4547``), a PROJ
        string, WKT or a :class:`pyproj.CRS`.

    Returns
    -------
    DeclaredCRS
        EPSG:4326 reads as ``wgs84``, EPSG:4490 as ``cgcs2000``, any other
        pyproj CRS as ``proj``.

    Raises
    ------
    InputError
        If the CRS is not understood (the message lists the accepted forms).
    """
    if isinstance(crs, DeclaredCRS):
        return crs
    if isinstance(crs, str):
        key = crs.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
        try:
            kind = chinacoords._normalise_crs(crs)  # noqa: SLF001 - one alias table for the package
        except errors.InputError:
            kind = None
        if kind is None and key == "epsg:4326":
            kind = "wgs84"
        if kind in _CHINESE:
            return DeclaredCRS(kind, None, _LABELS[kind])
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except (pyproj.exceptions.CRSError, TypeError) as exc:
        raise errors.InputError(
            f"unknown coordinate system {crs!r}; declare one of wgs84, gcj02 (AMap/Gaode, Tencent), bd09 (Baidu), "
            "cgcs2000 (Tianditu), or an EPSG code such as EPSG:4547"
        ) from exc
    epsg = parsed.to_epsg()
    if epsg == 4326:
        return DeclaredCRS("wgs84", None, "WGS-84")
    if epsg == 4490:
        return DeclaredCRS("cgcs2000", None, "CGCS2000")
    return DeclaredCRS("proj", parsed, f"EPSG:{epsg}" if epsg else parsed.name)


def lonlat_to_wgs84(x: np.ndarray, y: np.ndarray, crs: DeclaredCRS) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates in a declared system to WGS-84 lon/lat (vectorised; NaN stays NaN).

    Parameters
    ----------
    x, y
        Longitude and latitude, or projected x and y in the CRS's units.
    crs
        Their coordinate system (:func:`parse_crs`).

    Returns
    -------
    lon, lat
        WGS-84; NaN where a point cannot be transformed.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if crs.kind == "proj":
        assert crs.crs is not None
        tr = pyproj.Transformer.from_crs(crs.crs, "EPSG:4326", always_xy=True)
        lon, lat = tr.transform(x, y, errcheck=False)
        lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        bad = ~(np.isfinite(lon) & np.isfinite(lat))
        return np.where(bad, np.nan, lon), np.where(bad, np.nan, lat)
    return chinacoords.to_wgs84(x, y, crs=crs.kind)


def geometries_to_wgs84(geoms: np.ndarray, crs: DeclaredCRS) -> np.ndarray:
    """Convert shapely geometries in a declared system to WGS-84 (every vertex, vectorised)."""
    if crs.kind in ("wgs84", "cgcs2000"):
        return np.asarray(geoms, dtype=object)

    def fn(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(lonlat_to_wgs84(xy[:, 0], xy[:, 1], crs))

    return shapely.transform(np.asarray(geoms, dtype=object), fn)


# --------------------------------------------------------------------------- tables (CSV, XLSX, JSON records)


def _json_records(path: Path) -> object:
    data = path.read_bytes()
    try:
        if path.suffix.lower() == ".gz":
            data = gzip.decompress(data)
        return json.loads(tabletext.decode(data, name=str(path))[0])
    except (OSError, EOFError) as exc:
        raise errors.InputError(f"{path}: not a valid gzip file ({exc}); decompress it or pass the plain file") from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        raise errors.InputError(f"{path}: not valid JSON ({exc}); the file is cut short or not JSON: download or export it again") from exc


def read_table(
    path: sources.Source,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
    wanted: Sequence[str] = (),
    what: str = "file",
) -> tuple[pd.DataFrame, list[str]]:
    """Read a table or layer as it is: every column, every value, row numbers as the index.

    Parameters
    ----------
    path
        CSV/TXT/TSV (UTF-8 with or without BOM, GBK/GB18030, UTF-16 with
        BOM as Excel's "Unicode Text"; delimiter sniffed), XLSX, a JSON
        array of records (Baidu/AMap API output; an object with
        ``results``/``pois`` is unwrapped; nested fields become
        ``location.lng``...), GeoJSON, GeoPackage, Shapefile or a zip of
        one; ``.gz`` is decompressed.
    sheet
        Excel sheet name (or 0-based index), or GeoPackage layer.
    encoding
        Text or attribute-table encoding (default: detected; see
        :func:`accessibility.readers.tabletext.decode`).
    header_row
        Row number of the header in a CSV/XLSX (default: among the first
        20 rows, the first naming every ``wanted`` column, else the first
        with at least two text cells and no number, else the first row:
        title rows above the header are skipped).
    wanted
        Column names the header must contain (helps find it).

    Returns
    -------
    frame, notes
        ``frame`` (a GeoDataFrame for GIS layers) has the file's columns as
        read, and the source row numbers as its index (``source_row``).
        :func:`read_table_info` also returns what else was found (ragged
        rows, formulas without values).
    """
    frame, notes, _ = read_table_info(path, sheet=sheet, encoding=encoding, header_row=header_row, wanted=wanted, what=what)
    return frame, notes


def read_table_info(
    path: sources.Source,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
    wanted: Sequence[str] = (),
    what: str = "file",
) -> tuple[pd.DataFrame, list[str], tablefiles.TableInfo]:
    """:func:`read_table`, with a :class:`~accessibility.readers.tablefiles.TableInfo`: rows with too many or too few fields, formula cells without values."""
    if sources.is_frame(path):
        return sources.as_frame(path, what), [], tablefiles.TableInfo(kind="frame")
    path = Path(path)
    if not path.is_file():
        raise errors.InputFileNotFoundError(f"{what} not found: {path}")
    suffixes = [s.lower() for s in path.suffixes[-2:]] or [""]
    kind = suffixes[-2] if suffixes[-1] == ".gz" and len(suffixes) == 2 else suffixes[-1]
    wanted_n = {normalise_column(w) for w in wanted if w}
    if kind in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm"):
        return tablefiles.read_rows_table(path, kind, sheet=sheet, encoding=encoding, header_row=header_row, wanted=wanted_n)
    if kind == ".xls":
        raise errors.InputError(f"{path}: old .xls workbooks are not read; open it in Excel/WPS and save as .xlsx (or CSV)")
    if kind == ".json":
        data = _json_records(path)
        if isinstance(data, dict) and data.get("type") not in ("FeatureCollection", "Feature"):
            data = next((data[k] for k in ("results", "pois", "data", "records") if isinstance(data.get(k), list)), data)
            if isinstance(data, dict):
                raise errors.InputError(
                    f"{path}: a JSON object with keys {list(data)[:10]}, not a list of records (results/pois/data/records) or GeoJSON; "
                    "an API error response? Save the records themselves"
                )
        if not isinstance(data, (list, dict)):
            raise errors.InputError(f"{path}: the JSON holds a single {type(data).__name__}, not a list of records or GeoJSON")
        if isinstance(data, list):
            if not all(isinstance(r, dict) for r in data):
                raise errors.InputError(f"{path}: a JSON array of records (objects) was expected")
            frame = pd.json_normalize(data)
            frame.index = pd.RangeIndex(1, len(frame) + 1, name="source_row")
            return frame, [], tablefiles.TableInfo(kind="json")
    frame, notes = read_vector(path, layer=sheet if isinstance(sheet, str) else None, encoding=encoding, what=what)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="source_row")
    return frame, notes, tablefiles.TableInfo(kind="vector")


def frame_to_wgs84(frame: gpd.GeoDataFrame, *, crs: str | int | pyproj.CRS | DeclaredCRS | None, path: Path, what: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Bring a vector layer to WGS-84, honouring a declared CRS over the file's.

    Rules: with no declaration the file's CRS is used (none: refused). A
    declared GCJ-02/BD-09 needs lon/lat data (the file may claim WGS-84, as
    DataV and AMap files do). A declared WGS-84/CGCS2000 on a file in
    projected metres yields to the file's CRS. Any other declared CRS
    replaces the file's, with a note.

    Parameters
    ----------
    frame
        The layer as read, with the file's CRS (or none).
    crs
        The declared coordinate system, or ``None`` to use the file's.
    path, what
        The file and what it is, for notes and messages.

    Returns
    -------
    frame, notes
        The layer in WGS-84 (EPSG:4326), and notes on what was converted.

    Raises
    ------
    InputError
        When neither a declaration nor the file gives a coordinate system, or
        GCJ-02/BD-09 is declared for a file in projected metres.
    """
    notes: list[str] = []
    file_crs = frame.crs
    name = Path(path).name
    if crs is None:
        if file_crs is None:
            raise errors.InputError(
                f"{path}: the {what} has no coordinate reference system; declare it (e.g. --boundary-crs gcj02, or "
                "EPSG:4326) or add one (a .prj file, or ogr2ogr -a_srs EPSG:4326) so it is not misplaced"
            )
        if file_crs.to_epsg() != 4326:
            notes.append(f"{what} {name} reprojected from {file_crs.to_string()} to WGS-84")
            frame = frame.to_crs("EPSG:4326")
        return frame, notes
    declared = parse_crs(crs)
    if declared.kind == "proj" or (file_crs is not None and not file_crs.is_geographic and declared.kind in ("wgs84", "cgcs2000")):
        target = declared.crs if declared.kind == "proj" else file_crs
        if file_crs is not None and declared.kind != "proj":
            notes.append(f"{what} {name}: the file is in {file_crs.to_string()} (metres), so its own CRS is used, not {declared.label}")
        elif file_crs is not None and not file_crs.equals(target):
            notes.append(f"{what} {name}: declared {declared.label} used instead of the file's {file_crs.to_string()}")
        frame = frame.set_crs(target, allow_override=True).to_crs("EPSG:4326")
        return frame, notes
    if file_crs is not None and not file_crs.is_geographic:
        raise errors.InputError(
            f"{path}: the {what} is in {file_crs.to_string()} (projected metres), but {declared.label} was declared, "
            "which is a longitude/latitude system; declare the file's own CRS or re-export it as lon/lat"
        )
    geoms = geometries_to_wgs84(frame.geometry.to_numpy(), declared)
    if declared.is_offset:
        notes.append(f"{what} {name}: coordinates taken as {declared.label} and converted to WGS-84")
    out = gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=gpd.GeoSeries(geoms, index=frame.index), crs="EPSG:4326")
    return out, notes


_NAME_COLUMNS = ("name", "名称", "名字", "地名", "district", "区县", "街道", "社区", "mc", "adcode", "code")


def _feature_labels(frame: pd.DataFrame) -> np.ndarray:
    """'feature 3 ('西湖区')' per row: the feature number from 1 and its name when the layer has a name column."""
    norm = {normalise_column(c): c for c in frame.columns if c != getattr(frame, "_geometry_column_name", None)}
    col = next((norm[n] for n in _NAME_COLUMNS if n in norm), None)
    names = frame[col].astype(object).where(frame[col].notna(), "").astype(str).to_numpy() if col else np.full(len(frame), "")
    return np.array([f"feature {i} ({n!r})" if n else f"feature {i}" for i, n in zip(range(1, len(frame) + 1), names, strict=True)], dtype=object)


def _count(k: int, noun: str) -> str:
    """'1 feature', '3 features'."""
    return f"{k} {noun}" if k == 1 else f"{k} {noun}s"


def _some(labels: np.ndarray, k: int = 6) -> str:
    return ", ".join(labels[:k]) + (f" and {len(labels) - k} more" if len(labels) > k else "")


def _repair(geoms: np.ndarray, labels: np.ndarray, name: str, what: str) -> tuple[np.ndarray, list[str]]:
    """``make_valid`` every invalid polygon, with a note naming it and its area before and after."""
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms, []
    bad = geoms[invalid]
    why = [re.sub(r"\[(\S+) (\S+)\]", lambda m: f" at {float(m[1]):.5f}, {float(m[2]):.5f}", r).lower() for r in shapely.is_valid_reason(bad)]
    fixed = shapely.make_valid(bad, method="structure", keep_collapsed=False)
    lat = shapely.bounds(bad)[:, [1, 3]].mean(axis=1)
    before, after = footprints.polygon_area_m2(bad, lat=lat) / 1e6, footprints.polygon_area_m2(fixed, lat=lat) / 1e6
    notes = []
    for label, w, a0, a1 in list(zip(labels[invalid], why, before, after, strict=True))[:10]:
        d = (a1 - a0) * 1e6
        change = f"{d:+,.0f} m²" if abs(d) < 1e6 else f"{d / 1e6:+,.3f} km²"
        rel = f", {100 * (a1 - a0) / a0:+.2g}%" if a0 > 0 else ""
        notes.append(
            f"{what} {name}: {label} was not a valid polygon ({w}); repaired (make_valid): area {a0:,.3f} km² as drawn -> {a1:,.3f} km² ({change}{rel})"
        )
    if invalid.sum() > 10:
        notes.append(f"{what} {name}: {int(invalid.sum()) - 10} more invalid polygons repaired, area {before[10:].sum():,.3f} -> {after[10:].sum():,.3f} km² in all")
    out = geoms.copy()
    out[invalid] = fixed
    return out, notes


def polygons_from_file(
    path: sources.Source,
    *,
    crs: str | int | pyproj.CRS | DeclaredCRS | None = None,
    what: str = "boundary",
    layer: str | None = None,
    encoding: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a polygon layer with its attributes, in WGS-84.

    Features without geometry, with NaN or infinite coordinates, or that are
    not polygons are dropped with a note naming them; a layer without any
    usable polygon is refused, saying what it holds. Invalid polygons
    (self-intersections) are repaired with ``make_valid`` and each repair is
    noted with the feature and its area before and after.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile (or a zip of one).
    crs
        Declared coordinate system (see :func:`frame_to_wgs84`).
    what
        What the file is, for messages.
    layer
        The layer, in a file or zip holding several.
    encoding
        Attribute table encoding, when the file does not say (e.g. ``"gbk"``).

    Returns
    -------
    frame, notes
        ``frame`` keeps the file's attribute columns and row order.
    """
    source, path = path, sources.label(path, what)
    frame, notes = read_vector(source, layer=layer, encoding=encoding, what=what)
    if frame.empty:
        raise errors.InputError(f"{path}: the {what} layer has no features")
    if not isinstance(frame, gpd.GeoDataFrame):
        raise errors.InputError(
            f"{path}: the {what} holds no geometry, only a table; pass a polygon layer (GeoJSON, GeoPackage, or the Shapefile's .shp with its .shx, .dbf and .prj beside it)"
        )
    labels, name = _feature_labels(frame), path.name
    g = frame.geometry.to_numpy()
    absent = shapely.is_missing(g) | shapely.is_empty(g)
    polygonal = ~absent & np.isin(shapely.get_type_id(g), [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    other = ~absent & ~polygonal
    kinds = pd.Series([x.geom_type for x in g[other]] + ["without geometry"] * int(absent.sum()), dtype=object).value_counts()
    if not polygonal.any():
        raise errors.InputError(
            f"{path}: the {what} holds no polygon: its {_count(len(g), 'feature')} {'is' if len(g) == 1 else 'are'} {', '.join(f'{v} {k}' for k, v in kinds.items())}; "
            f"a {what} must be a polygon layer (draw the area as a polygon; lines that enclose it: QGIS Vector > Geometry Tools > Lines to Polygons)"
        )
    if absent.any():
        notes.append(f"{what} {name}: {_count(int(absent.sum()), 'feature')} without geometry ignored: {_some(labels[absent])}")
    if other.any():
        counts = ", ".join(f"{v} {k}" for k, v in kinds.items() if k != "without geometry")
        notes.append(f"{what} {name}: {_count(int(other.sum()), 'feature')} not polygons ({counts}) ignored: {_some(labels[other])}")
    frame, labels = frame[polygonal].copy(), labels[polygonal]
    frame, n2 = frame_to_wgs84(frame, crs=crs, path=path, what=what)
    notes += n2
    g = frame.geometry.to_numpy()
    xy, idx = shapely.get_coordinates(g, return_index=True)
    nonfinite = np.zeros(len(g), bool)
    np.logical_or.at(nonfinite, idx, ~np.isfinite(xy).all(axis=1))
    if nonfinite.all():
        raise errors.InputError(f"{path}: every polygon of the {what} has NaN or infinite coordinates ({_some(labels)}); export the layer again")
    if nonfinite.any():
        notes.append(f"{what} {name}: {_count(int(nonfinite.sum()), 'polygon')} with NaN or infinite coordinates ignored: {_some(labels[nonfinite])}")
        frame, labels, g = frame[~nonfinite].copy(), labels[~nonfinite], g[~nonfinite]
    g, n3 = _repair(g, labels, name, what)
    notes += n3
    collapsed = shapely.is_empty(g)
    if collapsed.all():
        raise errors.InputError(f"{path}: the {what}'s polygons have no area once repaired ({_some(labels)}); check the file")
    if collapsed.any():
        notes.append(f"{what} {name}: {_count(int(collapsed.sum()), 'polygon')} with no area once repaired ignored: {_some(labels[collapsed])}")
    frame = frame[~collapsed].copy()
    frame.geometry = g[~collapsed]
    return frame, notes


def area_from_file(
    path: sources.Source, *, what: str = "boundary", crs: str | int | pyproj.CRS | None = None, layer: str | None = None
) -> tuple[shapely.Geometry, list[str]]:
    """Read a polygon layer and dissolve it into one WGS-84 (multi)polygon.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile (or a zip of one).
    what
        What the file is, for messages.
    crs
        Declared coordinate system (see the module docstring), e.g.
        ``"gcj02"`` for a DataV boundary. Default: the file's own; a layer
        with none is refused, because guessing would misplace it.
    layer
        The layer, in a file or zip holding several.

    Returns
    -------
    geometry, notes
        ``notes`` include every feature dropped or repaired (see
        :func:`polygons_from_file`).
    """
    frame, notes = polygons_from_file(path, crs=crs, what=what, layer=layer)
    return shapely.union_all(frame.geometry.to_numpy()), notes


def default_study_area(lon: np.ndarray, lat: np.ndarray) -> shapely.Geometry:
    """The convex hull of the street network's nodes: the area the data covers.

    Parameters
    ----------
    lon, lat
        The nodes (WGS-84).

    Returns
    -------
    shapely.Geometry
        A polygon (a line or point when all nodes are in line).
    """
    pts = np.column_stack([lon, lat]).astype(np.float64)
    if len(pts) >= 3:
        try:  # qhull: 1M street nodes in ~0.1 s, where GEOS takes >1 s
            return shapely.Polygon(pts[ConvexHull(pts).vertices])
        except QhullError:  # all nodes on one line
            pass
    return shapely.convex_hull(shapely.multipoints(pts))


def check_overlap(area: shapely.Geometry, network_bounds: tuple[float, float, float, float], *, what: str, path: sources.Source | None) -> None:
    """Refuse a boundary that does not touch the network (wrong file or CRS).

    Parameters
    ----------
    area
        The boundary or other polygon (WGS-84).
    network_bounds
        ``(min lon, min lat, max lon, max lat)`` of the street network.
    what, path
        What the polygon is and its file, for the message.

    Raises
    ------
    NoOverlapError
        When ``area`` does not intersect the network's bounding box.
    """
    if not shapely.intersects(area, shapely.box(*network_bounds)):
        minx, miny, maxx, maxy = area.bounds
        raise errors.NoOverlapError(
            f"{what if path is None else sources.label(path, what)}: the {what} (lon {minx:.3f}-{maxx:.3f}, lat {miny:.3f}-{maxy:.3f}) does not overlap the "
            f"street network (lon {network_bounds[0]:.3f}-{network_bounds[2]:.3f}, lat {network_bounds[1]:.3f}-{network_bounds[3]:.3f}); "
            "check the file and its coordinate system"
        )

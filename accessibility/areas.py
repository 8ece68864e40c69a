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
    :mod:`accessibility.chinacoords` (mainland China only);
``"EPSG:4547"``, ``4547``, a PROJ string or WKT
    any other system, reprojected with pyproj.

Shapefile attribute tables written on Chinese Windows are usually GBK
without a ``.cpg`` file; :func:`read_vector` decodes them as UTF-8 when that
works and as GB18030 (a superset of GBK) otherwise, and says so.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import logging
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from scipy.spatial import ConvexHull, QhullError

from . import chinacoords, errors

__all__ = [
    "DeclaredCRS",
    "parse_crs",
    "lonlat_to_wgs84",
    "geometries_to_wgs84",
    "read_vector",
    "read_table",
    "normalise_column",
    "polygons_from_file",
    "area_from_file",
    "default_study_area",
    "check_overlap",
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
    """Convert coordinates in a declared system to WGS-84 lon/lat (vectorised; NaN stays NaN)."""
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


# --------------------------------------------------------------------------- reading


@contextlib.contextmanager
def _gdal_config(**options: str) -> Iterator[None]:
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(dict.fromkeys(options))


def _sidecar(shp: Path, suffix: str) -> Path | None:
    for s in (suffix, suffix.upper()):
        p = shp.with_suffix(s)
        if p.exists():
            return p
    return None


def _read_gdal(path: Path, source: Path, *, layer: str | None, encoding: str | None, what: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read ``source`` (the real file; ``path`` is what the user named, for messages)."""
    notes: list[str] = []
    kwargs: dict = {}
    if layer is not None:
        kwargs["layer"] = layer
    is_shp = source.suffix.lower() in (".shp", ".dbf")
    restore = is_shp and source.suffix.lower() == ".shp" and _sidecar(source, ".shx") is None
    if restore:
        notes.append(f"{what} {path.name}: the Shapefile has no .shx index; rebuilt it from the .shp")
    try:
        with _gdal_config(SHAPE_RESTORE_SHX="YES") if restore else contextlib.nullcontext():
            if encoding is not None:
                return pyogrio.read_dataframe(source, encoding=encoding, **kwargs), notes
            if is_shp and _sidecar(source, ".cpg") is None:
                try:
                    return pyogrio.read_dataframe(source, encoding="utf-8", **kwargs), notes
                except UnicodeDecodeError:
                    notes.append(
                        f"{what} {path.name}: the attribute table is not UTF-8 and has no .cpg file; decoded as GBK "
                        "(GB18030). Pass the encoding if names look wrong"
                    )
                    return pyogrio.read_dataframe(source, encoding="gb18030", **kwargs), notes
            return pyogrio.read_dataframe(source, **kwargs), notes
    except UnicodeDecodeError as exc:
        raise errors.InputError(f"{path}: cannot decode the attribute table as {encoding} ({exc}); pass the right encoding (e.g. gbk)") from exc
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, IndexError) as exc:
        if layer is not None:
            try:
                names = [str(n) for n in pyogrio.list_layers(source)[:, 0]]
            except Exception:  # noqa: BLE001 - only for the message
                names = []
            raise errors.InputError(f"{path}: cannot read layer {layer!r} of the {what} ({exc}); layers in the file: {names}") from exc
        raise errors.InputError(
            f"{path}: cannot read the {what} ({exc}); pass a GeoJSON, GeoPackage, Shapefile (with .dbf, .prj) or a zip of one"
        ) from exc


def read_vector(path: str | Path, *, layer: str | None = None, encoding: str | None = None, what: str = "layer") -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a vector file with its attributes, as GDAL sees it (no reprojection).

    Handles zipped Shapefiles/GeoPackages (extracted to a temporary folder),
    Shapefiles without ``.shx`` (rebuilt in a temporary copy, never beside
    the user's file) and GBK attribute tables without ``.cpg``.

    Parameters
    ----------
    path
        The file.
    layer
        Layer name (GeoPackage) when not the first.
    encoding
        Attribute-table encoding (e.g. ``"gbk"``); default: the file's
        ``.cpg``, else UTF-8, else GB18030.
    what
        What the file is, for messages.

    Returns
    -------
    frame, notes
    """
    path = Path(path)
    if not path.exists():
        raise errors.InputFileNotFoundError(f"{what} file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        with tempfile.TemporaryDirectory(prefix="accessibility-zip-") as tmp:
            try:
                with zipfile.ZipFile(path) as zf:
                    zf.extractall(tmp)
            except zipfile.BadZipFile as exc:
                raise errors.InputError(f"{path}: not a valid zip file ({exc})") from exc
            found = sorted(p for p in Path(tmp).rglob("*") if p.suffix.lower() in (".shp", ".gpkg", ".geojson", ".json", ".kml"))
            if not found:
                raise errors.InputError(f"{path}: the zip holds no .shp, .gpkg or .geojson file")
            if len(found) > 1 and layer is None:
                log.info("%s: %d vector files in the zip; reading %s", path, len(found), found[0].name)
            frame, notes = _read_gdal(path, found[0], layer=layer, encoding=encoding, what=what)
            return frame, notes
    if suffix == ".shp" and _sidecar(path, ".shx") is None:
        with tempfile.TemporaryDirectory(prefix="accessibility-shp-") as tmp:
            for side in (".shp", ".dbf", ".prj", ".cpg"):
                src = _sidecar(path, side)
                if src is not None:
                    shutil.copy(src, Path(tmp) / f"layer{side}")
            return _read_gdal(path, Path(tmp) / "layer.shp", layer=layer, encoding=encoding, what=what)
    source = Path("/vsigzip/" + str(path.resolve())) if suffix == ".gz" else path
    return _read_gdal(path, source, layer=layer, encoding=encoding, what=what)


# --------------------------------------------------------------------------- tables (CSV, XLSX, JSON records)


def normalise_column(name: object) -> str:
    """A column name for matching: NFKC, lower case, without bracketed units or notes, spaces, ``_-:/``.

    >>> normalise_column("床位（张）"), normalise_column(" Lon_WGS84 ")
    ('床位', 'lonwgs84')
    """
    s = unicodedata.normalize("NFKC", str(name)).strip().lower()
    s = re.sub(r"[\(\[（【].*?[\)\]）】]", "", s)  # units or notes in brackets: 床位(张), 经度（GCJ-02）
    return s if s in ("location.lng", "location.lat") else re.sub(r"[\s_\-:：/]+", "", s)


def _is_number(v: object) -> bool:
    try:
        float(str(v).replace(",", ""))
    except ValueError:
        return False
    return True


def _header_score(row: Sequence[object], wanted: set[str], width: int) -> int:
    """2: names every wanted column; 1: looks like a header (>= 2 cells, half the width, all text); 0: not."""
    cells = [v for v in row if v is not None and str(v).strip()]
    if wanted and wanted <= {normalise_column(v) for v in cells}:
        return 2
    return int(len(cells) >= 2 and len(cells) >= width / 2 and not any(_is_number(v) for v in cells))


def _frame_from_rows(rows: list[list[object]], numbers: list[int], header_row: int | None, wanted: set[str], path: Path) -> pd.DataFrame:
    """Pick the header (given, or the best of the first 20 rows) and build the table."""
    if not rows:
        raise errors.EmptyLayerError(f"{path}: the file has no rows")
    if header_row is not None:
        if header_row not in numbers:
            raise errors.InputError(f"{path}: header row {header_row} is empty or beyond the end of the file")
        h = numbers.index(header_row)
    else:
        width = max(len(r) for r in rows[:200])
        scores = [_header_score(r, wanted, width) for r in rows[:20]]
        h = int(np.argmax(scores)) if max(scores) > 0 else 0
    width = max(len(r) for r in rows)
    header: list[str] = []
    for i, v in enumerate(list(rows[h]) + [None] * (width - len(rows[h]))):
        name = str(v).strip() if v is not None and str(v).strip() else f"column_{i + 1}"
        while name in header:
            name += "_dup"
        header.append(name)
    body = [list(r) + [None] * (width - len(r)) for r in rows[h + 1 :]]
    frame = pd.DataFrame(body, columns=header, dtype=object, index=pd.Index(numbers[h + 1 :], name="source_row"))
    return frame


def _decode(data: bytes, encoding: str | None, path: Path, notes: list[str]) -> str:
    if encoding is not None:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise errors.InputError(f"{path}: cannot decode as {encoding} ({exc}); pass the file's encoding (utf-8, gbk)") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append(f"{path.name}: not UTF-8; decoded as GBK (GB18030), the usual encoding of Chinese Excel CSV exports")
        return data.decode("gb18030", errors="strict")


def _read_csv(path: Path, encoding: str | None, notes: list[str]) -> tuple[list[list[object]], list[int]]:
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        data = gzip.decompress(data)
    text = _decode(data, encoding, path, notes)
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows, numbers, line = [], [], 0
    for row in reader:
        start, line = line + 1, reader.line_num
        if any(c.strip() for c in row):
            rows.append(row)
            numbers.append(start)
    return rows, numbers


def _read_xlsx(path: Path, sheet: str | int | None) -> tuple[list[list[object]], list[int]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds
        raise errors.InputError(f"{path}: cannot open as an Excel workbook ({exc}); save it as .xlsx") from exc
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            ws = wb.worksheets[sheet]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise errors.InputError(f"{path}: no sheet {sheet!r}; sheets are {wb.sheetnames}")
        rows, numbers = [], []
        for i, row in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
            if any(v is not None and str(v).strip() for v in row):
                rows.append(list(row))
                numbers.append(i)
    finally:
        wb.close()
    return rows, numbers


def _json_records(path: Path) -> object:
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        data = gzip.decompress(data)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.InputError(f"{path}: not valid JSON ({exc})") from exc


def read_table(
    path: str | Path,
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
        CSV/TXT/TSV (UTF-8 or GBK, delimiter sniffed), XLSX, a JSON array of
        records (Baidu/AMap API output; an object with ``results``/``pois``
        is unwrapped; nested fields become ``location.lng``...), GeoJSON,
        GeoPackage, Shapefile or a zip of one; ``.gz`` is decompressed.
    sheet
        Excel sheet name (or 0-based index), or GeoPackage layer.
    encoding
        Text or attribute-table encoding (default: UTF-8, else GBK).
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
    """
    path = Path(path)
    if not path.is_file():
        raise errors.InputFileNotFoundError(f"{what} not found: {path}")
    notes: list[str] = []
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    kind = suffixes[-2] if suffixes[-1] == ".gz" and len(suffixes) == 2 else suffixes[-1]
    wanted_n = {normalise_column(w) for w in wanted if w}
    if kind in (".csv", ".txt", ".tsv"):
        rows, numbers = _read_csv(path, encoding, notes)
        return _frame_from_rows(rows, numbers, header_row, wanted_n, path), notes
    if kind in (".xlsx", ".xlsm"):
        rows, numbers = _read_xlsx(path, sheet)
        return _frame_from_rows(rows, numbers, header_row, wanted_n, path), notes
    if kind == ".xls":
        raise errors.InputError(f"{path}: old .xls workbooks are not read; open it in Excel/WPS and save as .xlsx (or CSV)")
    if kind == ".json":
        data = _json_records(path)
        if isinstance(data, dict) and data.get("type") not in ("FeatureCollection", "Feature"):
            data = next((data[k] for k in ("results", "pois", "data", "records") if isinstance(data.get(k), list)), data)
        if isinstance(data, list):
            if not all(isinstance(r, dict) for r in data):
                raise errors.InputError(f"{path}: a JSON array of records (objects) was expected")
            frame = pd.json_normalize(data)
            frame.index = pd.RangeIndex(1, len(frame) + 1, name="source_row")
            return frame, notes
    frame, n = read_vector(path, layer=sheet if isinstance(sheet, str) else None, encoding=encoding, what=what)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="source_row")
    return frame, notes + n


def frame_to_wgs84(frame: gpd.GeoDataFrame, *, crs: str | int | pyproj.CRS | DeclaredCRS | None, path: Path, what: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Bring a vector layer to WGS-84, honouring a declared CRS over the file's.

    Rules: with no declaration the file's CRS is used (none: refused). A
    declared GCJ-02/BD-09 needs lon/lat data (the file may claim WGS-84, as
    DataV and AMap files do). A declared WGS-84/CGCS2000 on a file in
    projected metres yields to the file's CRS. Any other declared CRS
    replaces the file's, with a note.
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


def polygons_from_file(
    path: str | Path,
    *,
    crs: str | int | pyproj.CRS | DeclaredCRS | None = None,
    what: str = "boundary",
    layer: str | None = None,
    encoding: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a polygon layer with its attributes, in WGS-84.

    Non-polygon features are dropped with a note; a layer without any polygon
    is refused. Invalid polygons are repaired (``make_valid``).

    Returns
    -------
    frame, notes
        ``frame`` keeps the file's attribute columns and row order.
    """
    path = Path(path)
    frame, notes = read_vector(path, layer=layer, encoding=encoding, what=what)
    if frame.empty:
        raise errors.InputError(f"{path}: the {what} layer has no features")
    frame, n2 = frame_to_wgs84(frame, crs=crs, path=path, what=what)
    notes += n2
    geoms = frame.geometry.to_numpy()
    polygonal = ~shapely.is_missing(geoms) & (shapely.get_type_id(geoms) >= shapely.GeometryType.POLYGON)
    if not polygonal.any():
        raise errors.InputError(f"{path}: the {what} holds no polygon; a boundary must be a polygon layer")
    if (~polygonal).any():
        notes.append(f"{what} {path.name}: {int((~polygonal).sum())} non-polygon features ignored")
    frame = frame[polygonal].copy()
    frame.geometry = shapely.make_valid(frame.geometry.to_numpy())
    return frame, notes


def area_from_file(path: str | Path, *, what: str = "boundary", crs: str | int | pyproj.CRS | None = None) -> tuple[shapely.Geometry, list[str]]:
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

    Returns
    -------
    geometry, notes
    """
    frame, notes = polygons_from_file(path, crs=crs, what=what)
    return shapely.union_all(frame.geometry.to_numpy()), notes


def default_study_area(lon: np.ndarray, lat: np.ndarray) -> shapely.Geometry:
    """The convex hull of the street network's nodes: the area the data covers."""
    pts = np.column_stack([lon, lat]).astype(np.float64)
    if len(pts) >= 3:
        try:  # qhull: 1M street nodes in ~0.1 s, where GEOS takes >1 s
            return shapely.Polygon(pts[ConvexHull(pts).vertices])
        except QhullError:  # all nodes on one line
            pass
    return shapely.convex_hull(shapely.multipoints(pts))


def check_overlap(area: shapely.Geometry, network_bounds: tuple[float, float, float, float], *, what: str, path: str | Path | None) -> None:
    """Refuse a boundary that does not touch the network (wrong file or CRS)."""
    if not shapely.intersects(area, shapely.box(*network_bounds)):
        minx, miny, maxx, maxy = area.bounds
        raise errors.NoOverlapError(
            f"{path or what}: the {what} (lon {minx:.3f}-{maxx:.3f}, lat {miny:.3f}-{maxy:.3f}) does not overlap the "
            f"street network (lon {network_bounds[0]:.3f}-{network_bounds[2]:.3f}, lat {network_bounds[1]:.3f}-{network_bounds[3]:.3f}); "
            "check the file and its coordinate system"
        )

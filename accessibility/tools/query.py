"""Point queries against a finished run: "how far is this community from the nearest care home?"

A run (in memory, or read from its folder) holds the walking network and the
facilities' access points, so a query snaps its points exactly as the run
snapped residents and runs the same multi-source search; answers agree with
the run's own numbers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import shapely

from .. import config, errors
from ..coords import chinacoords
from ..core import columns, fileio
from ..network import distances, snapping
from ..readers import areas, sources, tablefiles, tabletext
from ..run import walking
from ..run.read import as_result
from ..run.result import ModeState, RunResult

__all__ = ["find_lon_lat_columns", "geometry_lonlat", "query_csv", "query_points", "read_points"]

log = logging.getLogger(__name__)

#: points farther than this from every street are not answered (wrong place or swapped lon/lat)
OUTSIDE_M = 5000.0

_LON_NAMES = tabletext.LON_NAMES  # lon/lng/longitude/x/经度..., compared after tabletext.normalise_column
_LAT_NAMES = tabletext.LAT_NAMES


def query_points(
    run: RunResult | str | Path,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    services: list[str] | None = None,
    walk_speed_m_s: float | None = None,
    walker: str | None = None,
) -> pd.DataFrame:
    """Walking distance, time and nearest facility from WGS-84 points, per service.

    Parameters
    ----------
    run
        A run (:func:`accessibility.run`'s result) or the folder it wrote.
    lon, lat
        WGS-84 coordinates.
    services
        Services to report (default: every service of the run).
    walk_speed_m_s
        Speed for the times (default: the run's walking speed, its recipe's).
    walker
        A walker profile of the run's goals (``"older"``): also each service's time for that
        walker, on its own costs (its speed, the slopes of the run's DEM, steps, waits at
        crossings; :mod:`~accessibility.network.walkers`), to the facility nearest in that time.

    Returns
    -------
    DataFrame
        ``snap_dist_m`` and, per service, ``<service>_dist_m``,
        ``<service>_time_min`` and ``<service>_facility``; with ``walker``, also
        ``<service>_walk_<walker>_time_min`` and ``<service>_walk_<walker>_facility``.
    """
    result = as_result(run)
    walk = result.modes["walk"]
    fac = result.facilities
    speed = walk_speed_m_s or walk.speed_m_s
    run_services = result.services
    services = services or run_services
    unknown = [s for s in services if s not in run_services]
    if unknown:
        raise errors.InputError(f"unknown service(s) {unknown}; this run has {sorted(run_services)}")
    profile = _walker(walk, walker) if walker is not None else None
    lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    snapped = walk.index.snap_points(lon, lat)
    out = pd.DataFrame({"snap_dist_m": snapped.snap_dist_m})
    for s, cost, facility in _per_service(walk, fac, snapped, services):
        out[columns.name("dist_m", s)] = cost
        out[columns.name("time_min", s)] = cost / speed / 60.0
        out[columns.name("facility", s)] = facility
    if profile is not None:  # the walker's flat-equivalent metres at its speed, to the facility nearest in them
        for s, cost, facility in _per_service(walk, fac, snapped, services, weight=profile.weight):
            key = f"{s}_walk_{profile.id}"
            out[columns.name("time_min", key)] = cost / profile.speed_m_s / 60.0
            out[columns.name("facility", key)] = facility
        out.attrs["notes"] = [c for c in [walking.slope_caveat(walk.net, profile)] if c]
    return out


def _walker(walk: ModeState, walker_id: str) -> config.Walker:
    """A walker profile of the run's goals, or an error naming the run's walkers."""
    profile = walk.walkers.get(walker_id)
    if profile is None:
        known = ", ".join(sorted(walk.walkers)) or "none"
        raise errors.InputError(f"walker {walker_id!r} is not a walker of this run's goals (its walkers: {known}); walkers are set per goal in goals.toml ([walker.<id>])")
    return profile


def _per_service(
    walk: ModeState, fac: pd.DataFrame, snapped: snapping.Snapped, services: list[str], *, weight: str = "length"
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """Per service: each point's cost on ``weight`` to the nearest usable facility (NaN, not inf, when none is reachable) and its id."""
    used, ids, service = fac["status"].to_numpy() == "used", fac["facility_id"].to_numpy(), fac["service"].to_numpy()
    joined = distances.point_sides(walk.graphs[weight], snapped)  # as the run joins its residents
    for s in services:
        cost, nearest = walk.point_costs(s, used & (service == s), joined, weight=weight)
        facility = np.where(nearest >= 0, ids[np.maximum(nearest, 0)], None)
        yield s, np.where(np.isfinite(cost), cost, np.nan), cast("np.ndarray", facility)


def find_lon_lat_columns(frame: pd.DataFrame, *, lon_col: str | None = None, lat_col: str | None = None, source: str = "points") -> tuple[str, str]:
    """Find longitude/latitude columns: the ones named, else by common names (lon/lng/x/经度, lat/y/纬度; case, spaces, brackets ignored)."""
    norm = {c: tabletext.normalise_column(c) for c in frame.columns}

    def pick(given: str | None, names: tuple[str, ...], what: str) -> str:
        if given is not None:
            hits = [c for c in frame.columns if c == given] or [c for c in frame.columns if norm[c] == tabletext.normalise_column(given)]
            if not hits:
                raise errors.InputError(f"{source}: no column {given!r}; columns are {list(frame.columns)}")
            return hits[0]
        for n in dict.fromkeys(tabletext.normalise_column(x) for x in names):
            for c in frame.columns:
                if norm[c] == n:
                    return c
        raise errors.InputError(
            f"{source}: cannot find the {what} column (looked for {', '.join(names[:6])}...); columns are {list(frame.columns)}. "
            f"Name it with --{what[:3]}-col (Python: {what[:3]}_col=)"
        )

    return pick(lon_col, _LON_NAMES, "longitude"), pick(lat_col, _LAT_NAMES, "latitude")


_TABLES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
_GIS = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".kml", ".dbf")


def _no_columns(exc: errors.InputError, frame: pd.DataFrame, info: tablefiles.TableInfo, path: Path, what: str) -> errors.InputError:
    """A clearer error when the lon/lat columns are not found: a file without a header, or a workbook's other sheet."""
    head = [str(c) for c in frame.columns]
    numeric = tabletext.parse_degrees(pd.Series(head, dtype=object)).status == 0
    if numeric.sum() >= 2:
        where = f"line {info.header_row}" if info.kind == "csv" else f"row {info.header_row}"
        return errors.InputError(
            f"{path}: {where} ({', '.join(head[:4])}) holds numbers, not column names: the {what} file has no header. "
            "Add a first line naming the columns, e.g. lon,lat"
        )
    if info.kind == "xlsx":
        text, good = tablefiles.describe_sheets(path)
        example = good[0] if good else "NAME"
        return errors.InputError(f"{exc} (sheet {info.sheet!r}). The workbook's {text}. Choose the sheet: sheet={example!r} in Python")
    return exc


def read_points(
    path: sources.Source,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    what: str = "points",
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Read a table of WGS-84 points (query points, candidate sites), keeping every row.

    The file is read as :func:`accessibility.areas.read_table` reads tables
    (CSV/TXT in UTF-8, GBK or UTF-16 with the delimiter sniffed, or XLSX;
    title rows above the header skipped); coordinates may be written as text
    (``东经120.15``, ``120°09′00″``, full-width digits; see
    :func:`accessibility.tabletext.parse_degrees`).

    Parameters
    ----------
    path
        The table, or a DataFrame (lon/lat columns) or GeoDataFrame (any CRS;
        polygons by a point on their surface).
    lon_col, lat_col
        Default: found by name (lon/lng/x/经度, lat/y/纬度), else one
        经纬度/location column holding ``"lon,lat"`` (as AMap copies them).
    what
        What the points are, for messages (``"points"``, ``"candidate sites"``).
    sheet, encoding
        Excel sheet (name or 0-based index); text encoding (default: detected).

    Returns
    -------
    frame, lon, lat, status
        ``frame``: every column as given (text), the row numbers a person
        sees (CSV line, Excel row) as its index ``source_row``;
        ``frame.attrs["notes"]`` says how the file was read when that
        matters (encoding, rows with too many or too few fields, text
        coordinates). ``lon``, ``lat``: decimal degrees, NaN where the row
        cannot be used. ``status``: per row ``"ok"``, ``"ok (...)"`` for a
        usable row with a remark, else why the row is not used (missing or
        invalid coordinates, out of range, more fields than the header).

    Raises
    ------
    InputError
        An empty or binary file, a file without a header or without data
        rows, no lon/lat column, or a lon/lat column holding no coordinate
        at all; each message names the file and the fix.
    """
    if sources.is_frame(path):
        frame, lon_col, lat_col = _frame_points(path, what, lon_col, lat_col)
        notes: list[str] = []
        return _points_of(frame, notes, tablefiles.TableInfo(kind="frame"), sources.label(path, what), what, lon_col, lat_col)
    path = Path(path)
    if not path.is_file():
        raise errors.InputFileNotFoundError(f"{what} file not found: {path}")
    suffixes = [x.lower() for x in path.suffixes[-2:]] or [""]
    kind = suffixes[-2] if suffixes[-1] == ".gz" and len(suffixes) == 2 else suffixes[-1]
    if kind in _GIS:
        raise errors.InputError(
            f"{path}: the {what} must be a table (CSV, TXT or XLSX) with lon/lat columns; export the layer's coordinates "
            "(QGIS: Export > Save Features As, CSV, GEOMETRY=AS_XY)"
        )
    if kind == ".xls":
        raise errors.InputError(f"{path}: old .xls workbooks are not read; open it in Excel/WPS and save as .xlsx (or CSV)")
    wanted = {tabletext.normalise_column(c) for c in (lon_col, lat_col) if c}
    frame, notes, info = tablefiles.read_rows_table(path, kind if kind in _TABLES else ".csv", sheet=sheet, encoding=encoding, wanted=wanted)
    if frame.empty:
        if (tabletext.parse_degrees(pd.Series(list(frame.columns), dtype=object)).status == 0).sum() >= 2:
            raise errors.InputError(f"{path}: the {what} file has one line ({', '.join(map(str, frame.columns))}) and no header; add a first line naming the columns, e.g. lon,lat")
        raise errors.InputError(f"{path}: the {what} file has a header ({', '.join(map(str, frame.columns))}) but no rows")
    return _points_of(frame, notes, info, path, what, lon_col, lat_col)


def _manifest_of(run: RunResult | str | Path) -> dict:
    """A run's manifest, without reading the whole run folder (empty when it has none)."""
    if isinstance(run, RunResult):
        return run.manifest
    path = Path(run) / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _placed_at(frame: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, *, wgs84: bool, systems: list[str]) -> pd.DataFrame:
    """``frame`` with where each point was placed, in WGS-84 (when the table is not) and in each planner's system."""
    out = frame.copy()
    names = [c for c in ("lon", "lat") if c in out.columns]
    if wgs84:
        out["lon_wgs84" if names else "lon"], out["lat_wgs84" if names else "lat"] = np.round(lon, 7), np.round(lat, 7)
    ok = np.isfinite(lon) & np.isfinite(lat)
    for kind in systems:
        x, y = np.full(len(lon), np.nan), np.full(len(lat), np.nan)
        x[ok], y[ok] = chinacoords.wgs84_to_gcj02(lon[ok], lat[ok]) if kind == "gcj02" else chinacoords.wgs84_to_bd09(lon[ok], lat[ok])
        out[f"lon_{kind}"], out[f"lat_{kind}"] = np.round(x, 7), np.round(y, 7)
    return out


def geometry_lonlat(frame: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS-84 lon/lat of a GeoDataFrame's features (polygons by a point on their surface), and which have no geometry (NaN there).

    A GeoDataFrame without CRS is taken as WGS-84; callers that must refuse one check first.
    """
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    geoms = frame.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    pts = shapely.point_on_surface(geoms)  # a point keeps its place; missing and empty geometries give NaN
    lon = np.where(empty, np.nan, shapely.get_x(pts)).astype(np.float64)
    lat = np.where(empty, np.nan, shapely.get_y(pts)).astype(np.float64)
    return lon, lat, empty


def _frame_points(data: object, what: str, lon_col: str | None, lat_col: str | None) -> tuple[pd.DataFrame, str | None, str | None]:
    """A DataFrame's rows as a table read from a file; a GeoDataFrame's geometry as WGS-84 ``lon``/``lat`` columns."""
    import geopandas as gpd

    frame = sources.as_frame(data, what)
    if isinstance(frame, gpd.GeoDataFrame):
        if frame.crs is None:
            raise errors.InputError(f"{sources.label(data, what)}: the GeoDataFrame has no CRS; set one (gdf.set_crs(...)) or pass a DataFrame with lon/lat columns")
        lon, lat, _ = geometry_lonlat(frame)
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        frame["lon"], frame["lat"] = lon, lat
        lon_col, lat_col = "lon", "lat"
    if frame.empty:
        raise errors.InputError(f"{sources.label(data, what)}: the {what} table has no rows")
    return frame.astype(object), lon_col, lat_col


def _points_of(
    frame: pd.DataFrame, notes: list[str], info: tablefiles.TableInfo, path: Path, what: str, lon_col: str | None, lat_col: str | None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`read_points` once the table is read: the coordinates and each row's status."""
    pairs = {tabletext.normalise_column(x) for x in tabletext.PAIR_NAMES}
    pair_c = next((k for k in frame.columns if tabletext.normalise_column(k) in pairs), None) if lon_col is None and lat_col is None else None
    try:
        lon_c, lat_c = find_lon_lat_columns(frame, lon_col=lon_col, lat_col=lat_col, source=str(path))
    except errors.InputError as exc:
        if pair_c is None:
            raise _no_columns(exc, frame, info, path, what) from exc
        lon_c = lat_c = pair_c
        notes.append(f"{path.name}: coordinates read from the column {pair_c!r} as 'lon,lat'")
    c = tabletext.coordinate_pairs(*tabletext.split_pair(frame[pair_c])) if lon_c == lat_c == pair_c else tabletext.coordinate_pairs(frame[lon_c], frame[lat_c])
    if not (c.status == 0).any() and lon_c != lat_c:
        for col, name in ((lon_c, "longitude"), (lat_c, "latitude")):
            d = tabletext.parse_degrees(frame[col])
            if (d.status == 2).any() and not (d.status == 0).any():
                raise errors.InputError(
                    f"{path}: column {col!r} ({name}) holds no coordinates (e.g. {', '.join(map(repr, d.text[d.status == 2][:3]))}); "
                    f"name the {name} column with --{name[:3]}-col (Python: {name[:3]}_col=)"
                )
    rows = frame.index.to_numpy()
    lon, lat = c.x.copy(), c.y.copy()
    status = np.full(len(frame), "ok", dtype=object)
    missing = c.status == 1
    formula = [[info.formulas[(r, k)] for k in dict.fromkeys((lon_c, lat_c)) if (r, k) in info.formulas] for r in rows[missing]]
    status[missing] = [
        f"invalid coordinates: missing (lon {a!r}, lat {b!r})" + (f"; {tablefiles.formula_text(f)}: {tablefiles.FORMULA_FIX}" if f else "")
        for a, b, f in zip(c.lon_text[missing], c.lat_text[missing], formula, strict=True)
    ]
    bad = c.status == 2
    status[bad] = [f"invalid coordinates (lon {a!r}, lat {b!r}): {w}" for a, b, w in zip(c.lon_text[bad], c.lat_text[bad], c.reason[bad], strict=True)]
    with np.errstate(invalid="ignore"):
        out = (c.status == 0) & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    status[out] = [f"coordinates out of range (lon {a:g}, lat {b:g}; lon -180..180, lat -90..90); are lon and lat swapped?" for a, b in zip(lon[out], lat[out], strict=True)]
    status[(status == "ok") & c.swapped] = "ok (longitude and latitude were marked the other way round, 北纬/东经 or N/E; swapped back)"
    for r_set, short in ((info.long_rows, False), (info.short_rows, True)):
        for i in np.flatnonzero(np.isin(rows, list(r_set))):
            problem = info.field_problem(int(rows[i]))
            status[i] = (f"ok ({problem})" if status[i] == "ok" else f"{status[i]}; {problem}") if short else problem
    usable = pd.Series(status, dtype=object).str.startswith("ok").to_numpy(dtype=bool)
    lon[~usable], lat[~usable] = np.nan, np.nan
    notes += [t for t in [c.text_note(usable, path.name)] if t]
    for note in notes:
        log.info("%s", note)
    frame.attrs["notes"] = notes
    return frame, lon, lat, status


def query_csv(
    run: RunResult | str | Path,
    points_csv: sources.Source,
    out_csv: str | Path,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    crs: str = "wgs84",
    services: list[str] | None = None,
    max_snap_m: float | None = None,
    walker: str | None = None,
) -> pd.DataFrame:
    """Answer a table of points; keep its columns and add the per-service answers.

    Rows whose coordinates are missing or invalid stay in the output with an
    empty answer and the reason in ``query_status``; points farther than
    ``max_snap_m`` from a street are answered and flagged. Each answered row
    also says where it was placed: ``lon``/``lat`` in WGS-84 (when the table
    is in another system) and in every Chinese web-map system the run's
    inputs were declared in (``lon_gcj02``/``lat_gcj02``, ``lon_bd09``/``lat_bd09``).

    Parameters
    ----------
    run
        A run or its folder.
    points_csv
        CSV/TXT/XLSX with lon/lat columns, or a (Geo)DataFrame (see :func:`read_points`).
    out_csv
        The answers (CSV, UTF-8 with BOM for Excel/WPS).
    lon_col, lat_col
        Coordinate columns (default: found by name).
    crs
        Coordinate system of the table's lon/lat: ``wgs84`` (default),
        ``gcj02`` (AMap/Gaode, Tencent), ``bd09`` (Baidu), ``cgcs2000``.
    services
        Services to answer (default: all of the run's).
    max_snap_m
        Farther from a street: answered and flagged (default: the run's limit).
    walker
        Also each service's time for this walker profile of the run (:func:`query_points`).
    """
    from ..core.fileio import atomic_path
    from ..run import plannercrs

    frame, lon, lat, status = read_points(points_csv, lon_col=lon_col, lat_col=lat_col, what="points")
    frame = frame.reset_index(drop=True)  # the output keeps the file's columns only; row numbers are in the messages
    declared = areas.parse_crs(crs)
    if declared.kind not in ("wgs84", "cgcs2000"):
        if not declared.is_lonlat:
            raise errors.InputError(f"--points-crs {crs}: query points are longitude/latitude; give wgs84, gcj02, bd09 or cgcs2000")
        ok = np.isfinite(lon) & np.isfinite(lat)
        lon[ok], lat[ok] = areas.lonlat_to_wgs84(lon[ok], lat[ok], declared)
        frame.attrs.setdefault("notes", []).append(f"{sources.label(points_csv, 'points').name}: coordinates converted from {declared.label} to WGS-84")
    good = np.isfinite(lon) & np.isfinite(lat)
    if max_snap_m is None:  # the run's own limit: read the run once, for both
        run = as_result(run)
        max_snap_m = float(run.manifest["options"]["max_snap_m"])
    answers = query_points(run, lon[good], lat[good], services=services, walker=walker)
    snap = answers["snap_dist_m"].to_numpy()
    far = snap > max_snap_m
    outside = snap > OUTSIDE_M
    st = status[good]
    st[far] = [f"far from the street network ({d:.0f} m); answer includes that walk" for d in snap[far]]
    st[outside] = [
        f"outside the run's area ({d / 1000:.1f} km from the nearest street); check the coordinates and the lon/lat order"
        for d in snap[outside]
    ]
    caveats = answers.attrs.get("notes", [])
    if caveats:  # each answer carries what its number lacks, in the spreadsheet too
        text = "; ".join(caveats)
        st[~outside] = [f"{x} ({text})" if x == "ok" else f"{x}; {text}" for x in st[~outside].tolist()]
        frame.attrs.setdefault("notes", []).extend(caveats)
    status[good] = st
    answers.loc[outside, [c for c in answers.columns if c != "snap_dist_m"]] = None
    good_idx = np.flatnonzero(good)
    result = frame.copy()
    for col in answers.columns:
        numeric = pd.api.types.is_float_dtype(answers[col])
        values = np.full(len(frame), np.nan if numeric else None, dtype=float if numeric else object)
        values[good_idx] = answers[col].to_numpy()
        result[col] = values
    systems = [k for k in plannercrs.planner_crs(_manifest_of(run), declared=[crs]) if k != declared.kind]
    result = _placed_at(result, lon, lat, wgs84=declared.kind not in ("wgs84", "cgcs2000"), systems=systems)
    result["query_status"] = status
    if (~good).any():
        log.warning("%s: %d rows could not be answered (see query_status)", sources.label(points_csv, "points"), int((~good).sum()))
    with atomic_path(out_csv) as tmp:
        fileio.spreadsheet_safe(result).to_csv(tmp, index=False, encoding="utf-8-sig")
    return result

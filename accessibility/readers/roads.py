"""Road line layers (Shapefile, GeoPackage, GeoJSON, a zip of one, a GeoDataFrame) as OSM-like ways.

Planners have road layers rather than OSM files: Geofabrik's free shapefiles
(``gis_osm_roads_free_1``: ``fclass``, ``oneway`` B/F/T, ``maxspeed``,
``layer``, ``bridge``/``tunnel`` T/F, often a GBK attribute table without
``.cpg``), or planning institutes' layers in GCJ-02 or CGCS2000 with a road
class in Chinese (快速路, 主干路, ...). :func:`read_roads` turns one into the
:class:`~accessibility.readers.osm.WayTable` the OSM reader produces, so that
:func:`~accessibility.network.graph.graph_from_ways` simplifies it to
junctions, applies the mode recipe and keeps the largest component exactly
as it does for OSM (:func:`accessibility.network.lines.graph_from_lines`):

* every line, and every part of a MultiLineString, is a way; its vertices are
  its nodes, and lines join where they share a vertex: the same WGS-84
  coordinates once rounded to 1e-7 degrees, about 1 cm
  (:mod:`~accessibility.readers.linenodes`). With ``node_crossings=True`` they
  also join where they cross or where one ends on the other, unless one is a
  bridge or tunnel or their ``layer`` values differ;
* tags: ``highway`` (the class through the class map:
  :mod:`~accessibility.readers.roadtags`), ``name``, ``oneway`` (``yes``,
  ``-1`` or absent), ``maxspeed`` (km/h), ``bridge``, ``tunnel``, ``layer`` and
  ``source_row`` (the row number, from 1); the way id is ``osm_id`` when the
  layer has one that is unique, else the row number (parts of one row share it);
* coordinates: the file's CRS, or the declared ``crs`` (``gcj02``, ``bd09``,
  ``wgs84``, ``cgcs2000``, ``EPSG:...``) read as for boundaries
  (:func:`accessibility.readers.areas.frame_to_wgs84`).

Nothing is dropped silently: rows without geometry, rows that are not lines,
rows whose coordinates cannot be placed, rows with no length and class values
the map does not hold are counted in ``WayTable.notes`` with examples.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import errors
from ..coords import chinacoords
from ..core import fileio
from ..core.specs import option
from . import areas, linenodes, osm, roadtags, sources, vectorfiles
from .facility_names import yes_no
from .tabletext import normalise_column

__all__ = ["RoadLayerInput", "read_roads", "read_roads_report", "road_layer_key"]

log = logging.getLogger(__name__)

#: bumped when the reading rules change, so cached networks built from road layers are rebuilt
READER_VERSION = 1
_LINES = (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING, shapely.GeometryType.LINEARRING)
_AREA_MARGIN_DEG = 1.0  # coordinates this far outside a CRS's area of use still count as inside


@dataclass(frozen=True)
class RoadLayerInput:
    """A road line layer and how to read it as a street network.

    Attributes
    ----------
    path
        Shapefile, GeoPackage, GeoJSON, any format pyogrio reads, a zip of one,
        or a GeoDataFrame.
    crs
        Declared coordinate system: ``"gcj02"``, ``"bd09"``, ``"wgs84"``,
        ``"cgcs2000"``, ``"EPSG:4547"``...; None: the file's own (a layer
        without one is refused).
    layer
        The layer, in a file or zip holding several.
    encoding
        Attribute-table encoding; None: the ``.cpg``, else UTF-8, else GB18030 (GBK).
    class_column
        The road-class column; None: the first of
        :data:`~accessibility.readers.roadtags.CLASS_COLUMNS` (``fclass``,
        ``highway``, ``class``, ``道路等级``, ``等级``...).
    class_map
        Class value -> OSM ``highway``, on top of
        :data:`~accessibility.readers.roadtags.DEFAULT_CLASS_MAP`.
    unmapped_class
        ``highway`` of rows whose class is missing or not in the map
        (default ``"unclassified"``); None (or ``"none"``): left out of every network.
    oneway_column, speed_column, bridge_column, tunnel_column, layer_column, name_column
        None: found by name (``oneway``/``单行``, ``maxspeed``/``限速`` in km/h,
        ``bridge``/``桥梁``, ``tunnel``/``隧道``, ``layer``, ``name``/``名称``);
        absent columns are simply not used.
    node_crossings
        Also join lines where they cross (not only at shared vertices),
        except bridges, tunnels and lines on different ``layer`` values.
    """

    path: str | Path | gpd.GeoDataFrame = option("--network", "road line layer (SHP, GPKG, GeoJSON, a zip of one) instead of --osm",
                                                 metavar="FILE", required=True)
    crs: str | int | pyproj.CRS | None = option("--network-crs", "its CRS: gcj02, bd09, wgs84, cgcs2000, EPSG:XXXX (default: the file's .prj)", metavar="CRS")
    layer: str | None = option("--network-layer", "layer in a file or zip holding several", metavar="LAYER")
    encoding: str | None = option("--network-encoding", "attribute encoding (default: .cpg, else UTF-8, else GBK)", metavar="ENCODING")
    class_column: str | None = option("--network-class-col", "road-class column (default: fclass, highway, class, 道路等级, 等级...)", metavar="COLUMN")
    class_map: Mapping[str, str] | None = option("--network-class-map", "class value to OSM highway, e.g. 景观路=residential (repeatable)",
                                                 metavar="CLASS=HIGHWAY", pairs=True)
    unmapped_class: str | None = option("--network-unmapped-class", "highway of classes not in the map (default unclassified; none: left out)",
                                        default="unclassified", metavar="HIGHWAY")
    oneway_column: str | None = option("--network-oneway-col", "one-way column (default: oneway, 单行...; Geofabrik B/F/T)", metavar="COLUMN")
    speed_column: str | None = option("--network-speed-col", "speed limit column in km/h, kept as maxspeed (default: maxspeed, 限速...; speeds come from the class, as for OSM)", metavar="COLUMN")
    bridge_column: str | None = option("--network-bridge-col", "bridge column (default: bridge, 桥梁)", metavar="COLUMN")
    tunnel_column: str | None = option("--network-tunnel-col", "tunnel column (default: tunnel, 隧道)", metavar="COLUMN")
    layer_column: str | None = option("--network-level-col", "vertical layer column (default: layer)", metavar="COLUMN")
    name_column: str | None = option("--network-name-col", "street name column (default: name, 名称, 道路名称...)", metavar="COLUMN")
    node_crossings: bool = option("--network-node-crossings", "yes: also join lines where they cross (not bridges, tunnels, other layers)",
                                  default=False, metavar="yes|no", parse=yes_no)

    def __post_init__(self) -> None:
        if not isinstance(self.path, (str, Path, gpd.GeoDataFrame)):
            raise errors.InputError(f"road layer: path must be a file name or a GeoDataFrame, got {type(self.path).__name__}")
        if self.crs is not None:
            areas.parse_crs(self.crs)  # an unknown CRS is refused here, listing the accepted forms
        for name in ("layer", "encoding", "class_column", "oneway_column", "speed_column", "bridge_column", "tunnel_column",
                     "layer_column", "name_column"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and value.strip()):
                raise errors.InputError(f"road layer {self.label}: {name} must be a non-empty text or None, got {value!r}")
        if isinstance(self.unmapped_class, str) and self.unmapped_class.strip().lower() in ("none", "drop"):
            object.__setattr__(self, "unmapped_class", None)  # the command line's way of saying None
        targets = dict(self.class_map or {})
        if self.unmapped_class is not None:
            targets["unmapped_class"] = self.unmapped_class
        wrong = {k: v for k, v in targets.items() if v not in roadtags.OSM_HIGHWAY}
        if wrong:
            raise errors.InputError(
                f"road layer {self.label}: class_map must map to OSM highway values; {wrong} are not "
                f"(accepted: {', '.join(roadtags.OSM_HIGHWAY)})"
            )
        if not isinstance(self.node_crossings, (bool, np.bool_)):
            raise errors.InputError(f"road layer {self.label}: node_crossings is True or False, got {self.node_crossings!r}")

    @property
    def label(self) -> str:
        """How messages name the layer."""
        return str(sources.label(self.path, "road layer"))


# --------------------------------------------------------------------------- reading and columns


def _read_frame(spec: RoadLayerInput) -> tuple[gpd.GeoDataFrame, list[str], Path]:
    """The layer as read, rows in file order with a 0-based index, its notes and its name for messages."""
    label = sources.label(spec.path, "road layer")
    if sources.is_frame(spec.path):
        frame, notes = sources.as_frame(spec.path, "road layer"), list[str]()
    else:
        if label.name.lower().endswith(osm.OSM_SUFFIXES) and label.suffix.lower() != ".xml":
            raise errors.InputError(f"{label} is an OpenStreetMap file, not a road line layer; read it with graph_from_file (--osm)")
        frame, notes = vectorfiles.read_vector(label, layer=spec.layer, encoding=spec.encoding, what="road layer")
    if not isinstance(frame, gpd.GeoDataFrame):
        raise errors.InputError(f"{label}: the road layer holds no geometry, only a table; pass a line layer (a Shapefile with its .shp, GeoPackage, GeoJSON)")
    if frame.empty:
        raise errors.InputError(f"{label}: the road layer has no features")
    return frame.reset_index(drop=True), notes, label


def _pick(columns: Sequence[str], given: str | None, candidates: Sequence[str], *, what: str, label: Path) -> str | None:
    """The column ``given`` (exactly, else by normalised name), else the first named like a candidate; None if none is."""
    norm = {c: normalise_column(c) for c in columns}
    if given is not None:
        hits = [c for c in columns if c == given] or [c for c in columns if norm[c] == normalise_column(given)]
        if not hits:
            raise errors.InputError(f"{label}: the road layer has no column {given!r} for the {what}; its columns are {list(columns)}")
        return hits[0]
    wanted = [normalise_column(c) for c in candidates]
    return next((c for n in wanted for c in columns if norm[c] == n), None)


def _columns(frame: gpd.GeoDataFrame, spec: RoadLayerInput, label: Path) -> dict[str, str | None]:
    """The column of each role (``class``, ``id``, ``name``, ``oneway``, ``speed``, ``bridge``, ``tunnel``, ``layer``)."""
    cols = [str(c) for c in frame.columns if c != frame.geometry.name]
    found = _pick(cols, spec.class_column, roadtags.CLASS_COLUMNS, what="road class", label=label)
    if found is None:
        raise errors.InputError(
            f"{label}: cannot find the road-class column among {cols} (looked for {', '.join(roadtags.CLASS_COLUMNS)}); "
            "name it: class_column='道路等级' in Python, --network-class-col 道路等级 on the command line"
        )
    given = {"id": None, "name": spec.name_column, "oneway": spec.oneway_column, "speed": spec.speed_column,
             "bridge": spec.bridge_column, "tunnel": spec.tunnel_column, "layer": spec.layer_column}
    out: dict[str, str | None] = {"class": found}
    for role, names in roadtags.OPTIONAL_COLUMNS.items():
        out[role] = _pick(cols, given[role], names, what=role, label=label)
    return out


def _rows(positions: np.ndarray, k: int = 6) -> str:
    """'rows 3, 8, 12 and 4 more' (row numbers from 1)."""
    shown = ", ".join(str(int(p) + 1) for p in positions[:k])
    return f"row{'s' if len(positions) > 1 else ''} {shown}" + (f" and {len(positions) - k} more" if len(positions) > k else "")


def _count(k: int, noun: str = "row") -> str:
    return f"{k} {noun}" if k == 1 else f"{k} {noun}s"


# --------------------------------------------------------------------------- geometry and coordinates


def _line_rows(frame: gpd.GeoDataFrame, label: Path, notes: list[str]) -> np.ndarray:
    """Which rows are lines; rows without geometry or with other geometries are noted."""
    g = frame.geometry.to_numpy()
    absent = shapely.is_missing(g) | shapely.is_empty(g)
    line = ~absent & np.isin(shapely.get_type_id(g), _LINES)
    other = ~absent & ~line
    kinds = pd.Series([x.geom_type for x in g[other]], dtype=object).value_counts()
    if not line.any():
        held = ", ".join([f"{v} {k}" for k, v in kinds.items()] + ([f"{int(absent.sum())} without geometry"] if absent.any() else []))
        raise errors.InputError(
            f"{label}: the road layer holds no lines: its {_count(len(g), 'feature')} are {held}; "
            "pass the roads as a LineString/MultiLineString layer (polygons of road surfaces: use their centre lines)"
        )
    if absent.any():
        notes.append(f"road layer {label.name}: {_count(int(absent.sum()))} without geometry left out ({_rows(np.flatnonzero(absent))})")
    if other.any():
        what = ", ".join(f"{v} {k}" for k, v in kinds.items())
        notes.append(f"road layer {label.name}: {_count(int(other.sum()))} not lines ({what}) left out ({_rows(np.flatnonzero(other))})")
    return line


def _source_crs(file_crs: pyproj.CRS | None, declared: areas.DeclaredCRS | None) -> pyproj.CRS | None:
    """The pyproj CRS the coordinates are in, as frame_to_wgs84 decides (None: lon/lat of a Chinese kind)."""
    if declared is None:
        return file_crs
    if declared.kind == "proj":
        return declared.crs
    if declared.kind in ("wgs84", "cgcs2000") and file_crs is not None and not file_crs.is_geographic:
        return file_crs
    return None


def _bad_rows(g: np.ndarray, *, lonlat: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per row: a coordinate is not finite (or, for lon/lat, out of range); and the coordinates."""
    xy, at = shapely.get_coordinates(g, return_index=True)
    bad_xy = ~np.isfinite(xy).all(axis=1)
    if lonlat:
        with np.errstate(invalid="ignore"):
            bad_xy |= (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    bad = np.zeros(len(g), dtype=bool)
    np.logical_or.at(bad, at, bad_xy)
    return bad, xy


def _span(xy: np.ndarray) -> str:
    fin = xy[np.isfinite(xy).all(axis=1)]
    if not len(fin):
        return "no finite coordinates"
    lo, hi = fin.min(axis=0), fin.max(axis=0)
    return f"x {lo[0]:,.6g} to {hi[0]:,.6g}, y {lo[1]:,.6g} to {hi[1]:,.6g}"


def _check_lonlat(g: np.ndarray, declared: areas.DeclaredCRS | None, file_crs: pyproj.CRS | None, label: Path, notes: list[str]) -> np.ndarray:
    """Rows whose lon/lat input is usable; all unusable is an error (projected metres declared as lon/lat)."""
    bad, xy = _bad_rows(g, lonlat=True)
    said = declared.label if declared is not None else (file_crs.to_string() if file_crs is not None else "lon/lat")
    if bad.all():
        raise errors.InputError(
            f"{label}: the road layer's coordinates ({_span(xy)}) are not longitude/latitude, but {said} was "
            f"{'declared' if declared is not None else 'given by the file'}; they look like projected metres: declare the layer's "
            "own CRS (e.g. crs='EPSG:4547' / --network-crs EPSG:4547 for CGCS2000 3-degree Gauss-Kruger CM 114E)"
        )
    if bad.any():
        notes.append(f"road layer {label.name}: {_count(int(bad.sum()))} with coordinates that are not lon/lat in {said} left out ({_rows(np.flatnonzero(bad))})")
    return ~bad


def _check_mainland(g: np.ndarray, declared: areas.DeclaredCRS, label: Path, notes: list[str]) -> None:
    """GCJ-02/BD-09 exist only in mainland China: a layer wholly outside it was declared wrongly."""
    xy, at = shapely.get_coordinates(g, return_index=True)
    first = np.unique(at, return_index=True)[1]
    inside = chinacoords.in_mainland_china(xy[first, 0], xy[first, 1])
    if not inside.any():
        raise errors.InputError(
            f"{label}: {declared.label} was declared, but no line of the road layer lies in mainland China ({_span(xy)}), "
            f"the only place {declared.label} differs from WGS-84; check the declared CRS (--network-crs)"
        )
    if not inside.all():
        notes.append(f"road layer {label.name}: {_count(int((~inside).sum()))} outside mainland China, where {declared.label} has no offset; not shifted")


def _check_area_of_use(xy_wgs: np.ndarray, at: np.ndarray, crs: pyproj.CRS, label: Path, notes: list[str]) -> None:
    """Coordinates far outside the CRS's area of use mean a wrong CRS (e.g. the neighbouring Gauss-Kruger zone)."""
    area = crs.area_of_use
    if area is None or area.west > area.east:
        return
    first = np.unique(at, return_index=True)[1]
    lon, lat = xy_wgs[first, 0], xy_wgs[first, 1]
    m = _AREA_MARGIN_DEG
    inside = (lon >= area.west - m) & (lon <= area.east + m) & (lat >= area.south - m) & (lat <= area.north + m)
    where = f"lon {lon.min():.3f} to {lon.max():.3f}, lat {lat.min():.3f} to {lat.max():.3f}"
    use = f"lon {area.west:g} to {area.east:g}, lat {area.south:g} to {area.north:g}"
    if not inside.any():
        raise errors.InputError(
            f"{label}: in {crs.name} the road layer lies at {where}, outside the area where that CRS is used ({use}); "
            "the CRS is wrong (declare the right one: crs= / --network-crs, e.g. the right Gauss-Kruger zone)"
        )
    if not inside.all():
        notes.append(f"road layer {label.name}: {_count(int((~inside).sum()))} lie outside the area of use of {crs.name} ({use})")


def _to_wgs84(frame: gpd.GeoDataFrame, spec: RoadLayerInput, label: Path, notes: list[str]) -> tuple[np.ndarray, np.ndarray, str]:
    """The rows' lines in WGS-84, which rows were kept (positions in ``frame``), and the CRS's name."""
    if spec.crs is None and frame.crs is None:
        raise errors.InputError(
            f"{label}: the road layer has no coordinate reference system (no .prj beside the .shp, or a GeoDataFrame without crs), "
            "so its lines cannot be placed; declare it: crs='EPSG:4547' (--network-crs EPSG:4547), 'gcj02' for AMap/Gaode lon/lat, "
            "'wgs84' for GPS/OSM lon/lat; or add the .prj"
        )
    declared = areas.parse_crs(spec.crs) if spec.crs is not None else None
    source = _source_crs(frame.crs, declared)
    g = frame.geometry.to_numpy()
    if source is None or source.is_geographic:
        keep = _check_lonlat(g, declared, frame.crs, label, notes)
    else:
        bad = _bad_rows(g, lonlat=False)[0]
        if bad.any():
            notes.append(f"road layer {label.name}: {_count(int(bad.sum()))} with NaN or infinite coordinates left out ({_rows(np.flatnonzero(bad))})")
        keep = ~bad
        if bad.all():
            raise errors.InputError(f"{label}: every line of the road layer has NaN or infinite coordinates; export the layer again")
    if declared is not None and declared.is_offset:
        _check_mainland(g[keep], declared, label, notes)
    wgs, more = areas.frame_to_wgs84(frame[keep], crs=spec.crs, path=label, what="road layer")
    notes += more
    g_wgs = wgs.geometry.to_numpy()
    bad, xy = _bad_rows(g_wgs, lonlat=True)
    crs_name = declared.label if declared is not None else str(frame.crs.to_string() if frame.crs is not None else "")
    if bad.all():
        raise errors.InputError(f"{label}: no line of the road layer can be placed on the earth from {crs_name} ({_span(xy)}); check the declared CRS")
    if bad.any():
        notes.append(f"road layer {label.name}: {_count(int(bad.sum()))} cannot be transformed from {crs_name} and were left out ({_rows(np.flatnonzero(keep)[bad])})")
    kept = np.flatnonzero(keep)[~bad]
    if source is not None and not source.is_geographic:
        xy_ok, at_ok = shapely.get_coordinates(g_wgs[~bad], return_index=True)
        _check_area_of_use(xy_ok, at_ok, source, label, notes)
    return g_wgs[~bad], kept, crs_name


# --------------------------------------------------------------------------- attributes


def _column(frame: pd.DataFrame, col: str | None) -> pd.Series:
    return frame[col] if col is not None else pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _way_ids(frame: pd.DataFrame, col: str | None, source_row: np.ndarray, label: Path, notes: list[str]) -> np.ndarray:
    """``osm_id`` when it holds unique positive whole numbers, else the row numbers."""
    if col is None:
        return source_row
    num = pd.to_numeric(frame[col], errors="coerce").to_numpy(np.float64)
    with np.errstate(invalid="ignore"):
        ok = bool(np.isfinite(num).all() and (num > 0).all() and (num == np.round(num)).all())
    if ok and len(np.unique(num)) == len(num):
        return num.astype(np.int64)
    notes.append(f"road layer {label.name}: column {col!r} does not hold unique positive whole numbers, so ways are numbered by row (source_row)")
    return source_row


def _speed_text(speed_kmh: np.ndarray) -> np.ndarray:
    """``"60"`` per row (None where NaN), formatted once per distinct speed."""
    values, at = np.unique(speed_kmh, return_inverse=True)
    text = np.array([None if np.isnan(v) else f"{v:g}" for v in values], dtype=object)
    return text[at.ravel()]


def _attributes(frame: pd.DataFrame, cols: dict[str, str | None], spec: RoadLayerInput, label: Path, notes: list[str]) -> dict[str, Any]:
    """Tag columns (one value or None per row), ``level`` and ``separate`` (bridge or tunnel) per row, and facts."""
    name = label.name
    class_map = {**roadtags.DEFAULT_CLASS_MAP, **{roadtags.class_key(k): v for k, v in (spec.class_map or {}).items()}}
    highway, unmapped = roadtags.highway_values(_column(frame, cols["class"]), class_map, unmapped=spec.unmapped_class)
    if unmapped:
        fate = f"taken as {spec.unmapped_class!r}" if spec.unmapped_class is not None else "left out (no travel mode uses them)"
        example = next((v for v in unmapped if v), "景观路")
        notes.append(
            f"road layer {name}: {_count(sum(unmapped.values()))} with a class not in the class map (column {cols['class']!r}) {fate}: "
            f"{roadtags.examples(unmapped)}; map them, e.g. class_map={{{example!r}: 'residential'}} (--network-class-map {example}=residential)"
        )
    geofabrik_schema = normalise_column(cols["class"]) == "fclass"
    oneway, odd_oneway, geofabrik = roadtags.oneway_values(_column(frame, cols["oneway"]), geofabrik_schema=geofabrik_schema)
    if odd_oneway:
        notes.append(f"road layer {name}: one-way values not understood, taken as two-way: {roadtags.examples(odd_oneway)} (column {cols['oneway']!r})")
    speed, odd_speed = roadtags.speed_values(_column(frame, cols["speed"]))
    if odd_speed:
        notes.append(f"road layer {name}: speed values not read as km/h from 1 to 200, ignored: {roadtags.examples(odd_speed)} (column {cols['speed']!r})")
    level, odd_level = roadtags.level_values(_column(frame, cols["layer"]))
    if odd_level:
        notes.append(f"road layer {name}: layer values that are not whole numbers, taken as 0: {roadtags.examples(odd_level)} (column {cols['layer']!r})")
    bridge = roadtags.yes_values(_column(frame, cols["bridge"]))
    tunnel = roadtags.yes_values(_column(frame, cols["tunnel"]))
    name_at, name_text = roadtags.text_values(_column(frame, cols["name"]), nfkc=False)
    name_text[name_text == ""] = None
    layer_text = level.astype(str).astype(object)
    layer_text[level == 0] = None
    tags = {
        "highway": highway,
        "name": name_text[name_at],
        "oneway": oneway,
        "maxspeed": _speed_text(speed),
        "bridge": bridge,
        "tunnel": tunnel,
        "layer": layer_text,
    }
    separate = pd.notna(bridge) | pd.notna(tunnel)
    facts = {"unmapped_classes": unmapped, "oneway_convention": "geofabrik B/F/T" if geofabrik else "yes/no"}
    return {"tags": tags, "level": level, "separate": np.asarray(separate, bool), "facts": facts}


# --------------------------------------------------------------------------- the way table


def read_roads_report(spec: RoadLayerInput) -> tuple[osm.WayTable, dict[str, Any]]:
    """:func:`read_roads`, with facts about the reading (columns used, rows left out, crossings noded).

    Parameters
    ----------
    spec
        The layer and how to read it.

    Returns
    -------
    ways, facts
        ``facts`` holds ``rows``, ``ways``, ``columns`` (role -> column),
        ``crs``, ``rows_left_out`` (by reason), ``unmapped_classes`` (value ->
        rows), ``crossings_noded`` and ``crossings_apart``.
    """
    frame, notes, label = _read_frame(spec)
    cols = _columns(frame, spec, label)
    line = _line_rows(frame, label, notes)
    geoms, kept, crs_name = _to_wgs84(frame[line], spec, label, notes)
    rows = np.flatnonzero(line)[kept]  # positions in the layer of the rows with placed lines
    sub = frame.iloc[rows]
    attrs = _attributes(sub, cols, spec, label, notes)
    parts = linenodes.parts_on_grid(geoms, np.arange(len(rows)))
    empty = np.setdiff1d(np.arange(len(rows)), parts.part_row)
    if not len(parts):
        raise errors.InputError(f"{label}: no line of the road layer has any length (each one's vertices lie within about 1 cm); check the layer and its CRS")
    if len(empty):
        notes.append(f"road layer {label.name}: {_count(len(empty))} with no length (all vertices within about 1 cm) left out ({_rows(rows[empty])})")
    noded = apart = 0
    if spec.node_crossings:
        parts, noded, apart = linenodes.cross_nodes(parts, level=attrs["level"], separate=attrs["separate"])
        notes.append(
            f"road layer {label.name}: lines joined at {_count(noded, 'crossing')} without a shared vertex; "
            f"{_count(apart, 'crossing')} of bridges, tunnels or different layers left apart"
        )
    source_row = rows.astype(np.int64) + 1
    way_of_row = _way_ids(sub, cols["id"], source_row, label, notes)
    row_tags = roadtags.tag_dicts(attrs["tags"], source_row)
    lon, lat = parts.lonlat()
    ways = osm.WayTable(
        way_id=way_of_row[parts.part_row],
        tags=[row_tags[r] for r in parts.part_row.tolist()],
        offsets=parts.offsets,
        refs=linenodes.node_ids(parts.q),
        lon=lon,
        lat=lat,
        missing_nodes=0,
        source=label,
        notes=tuple(notes),
    )
    facts = {
        "rows": len(frame),
        "ways": len(ways),
        "columns": cols,
        "crs": crs_name,
        "rows_left_out": {"not_lines_or_empty": int((~line).sum()), "not_placed": int(line.sum() - len(rows)), "no_length": len(empty)},
        "crossings_noded": noded,
        "crossings_apart": apart,
        **attrs["facts"],
    }
    log.info("road layer %s: %d rows -> %d ways, %d distinct vertices", label.name, len(frame), len(ways), int(ways.refs.max()))
    return ways, facts


def read_roads(spec: RoadLayerInput) -> osm.WayTable:
    """Read a road line layer as the way table the OSM reader produces.

    Parameters
    ----------
    spec
        The layer and how to read it (see :class:`RoadLayerInput`).

    Returns
    -------
    WayTable
        One way per line (per part of a MultiLineString), nodes at the
        distinct vertices (WGS-84 on a 1e-7 degree grid), with notes on what
        was left out or assumed.

    Raises
    ------
    InputFileNotFoundError
        When the file does not exist.
    InputError
        When the layer holds no lines, has no CRS and none is declared, its
        coordinates do not fit the declared CRS, or a named column is missing.
    """
    return read_roads_report(spec)[0]


def _layer_files(path: Path) -> dict[str, Path]:
    """The files that make up a layer, by a name independent of the layer's: a Shapefile's sidecars, a folder's files, else the file."""
    if path.is_dir():
        return {str(p.relative_to(path)): p for p in sorted(path.rglob("*")) if p.is_file()}
    if path.suffix.lower() == ".shp":
        return {p.suffix.lower(): p for p in sorted(path.parent.iterdir()) if p.stem == path.stem and p.suffix.lower() in (".shp", ".shx", ".dbf", ".prj", ".cpg")}
    return {"file": path}


def road_layer_key(spec: RoadLayerInput) -> str:
    """A content key for caching networks built from a road layer.

    sha256 of the layer's bytes (a Shapefile's ``.shp``, ``.shx``, ``.dbf``,
    ``.prj`` and ``.cpg``; the data of a GeoDataFrame), of every reading
    option and of :data:`READER_VERSION`; not of the file's name or date.
    The mode recipe and the package version are the cache's to add.

    Parameters
    ----------
    spec
        The layer and how to read it.

    Returns
    -------
    str
        Hex digest.
    """
    if sources.is_frame(spec.path):
        content = {"frame": sources.digest(spec.path)}
    else:
        path = Path(spec.path)
        if not path.exists():
            raise errors.InputFileNotFoundError(f"road layer file not found: {path}")
        content = {name: fileio.sha256_file(p) for name, p in _layer_files(path).items()}
    options = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec) if f.name != "path"}
    options["class_map"] = sorted((spec.class_map or {}).items())
    parts = {"reader": READER_VERSION, "content": content, "options": options}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()

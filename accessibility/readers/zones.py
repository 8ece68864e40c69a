"""Population zones (street/community census counts) and districts for reporting.

Zones
    Polygons (街道/社区) with a population count, either in the polygon file
    or in a census table (CSV/XLSX) joined by code or name. Each zone's
    count is spread over demand points inside it, by area (a metric grid
    clipped to the zone) or by residential building floor area (OSM
    buildings, zones without any fall back to area). The weights of a zone
    sum to one, so zone totals are conserved exactly; the part of a zone
    outside the study area (by area share) is reported, not silently lost.
    Older people come from an older-count column, an older-share column
    (fraction or percent) or the run's default share. Zones must be a
    partition: zones overlapping by more than :data:`OVERLAP_MAX_SHARE` of
    the smaller one (streets and communities mixed, a zone twice) are
    refused, since their people would be counted twice; thinner slivers
    (digitising noise) are noted and belong to the zone earlier in the file.

Districts
    Any boundary layer (a DataV GeoJSON of a city's districts, a GIS layer
    of streets) splits every goal's eligible and covered population by
    district; people outside all districts form their own row, so the
    districts always add up to the goal's total. Overlapping districts are
    refused like zones (a point in two districts would be reported in one
    only); slivers belong to the district earlier in the file, and a point
    on a shared border to the district of the lower row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import errors
from ..core.specs import number, option
from . import areas, footprints, sources, tabletext
from . import facility_files as userdata

__all__ = [
    "OUTSIDE",
    "DistrictInput",
    "ZoneInput",
    "disjoint",
    "districts_from_file",
    "frame_labels",
    "zones_from_file",
]

log = logging.getLogger(__name__)

POP_NAMES = ("pop", "population", "人口", "常住人口", "总人口", "户籍人口", "人口数", "常住人口数", "总人口数", "pop_total")
OLDER_NAMES = ("older", "elderly", "pop_60", "pop60", "老年人口", "老年人口数", "60岁以上", "60岁及以上", "60岁以上人口", "60岁及以上人口",
               "65岁以上", "65岁及以上", "65岁以上人口", "65岁及以上人口")
SHARE_NAMES = ("older_share", "elderly_share", "老龄化率", "老年人口比例", "老年人口占比", "老年人口比重", "60岁以上占比", "60岁及以上占比")
CODE_NAMES = ("code", "adcode", "zone_code", "区划代码", "统计用区划代码", "行政区划代码", "代码", "编码", "街道代码", "社区代码", "gb", "pac")
NAME_NAMES = ("name", "zone_name", "名称", "街道", "社区", "乡镇", "街道名称", "社区名称", "乡镇街道", "区县", "区", "district")

#: district id/name of people outside every district polygon
OUTSIDE = ("", "(outside the districts)")

#: Zones or districts overlapping by more than this share of the smaller one (and more than
#: :data:`OVERLAP_NOISE_M2`) are refused; smaller overlaps are digitising slivers ...
OVERLAP_MAX_SHARE = 0.01
OVERLAP_NOISE_M2 = 100.0
#: ... unless they are a block drawn twice: at least this many m² and wider than
#: :data:`SLIVER_MAX_WIDTH_M` on average (2 x area / perimeter), whatever their share.
OVERLAP_BLOCK_M2 = 1e5
SLIVER_MAX_WIDTH_M = 100.0
_RESIDUE_M2 = 1e-3  # rounding of polygon overlay, not an overlap
ZONES_FIX = (
    "the people there would be counted twice: the zones file must be a partition, each place in one zone: e.g. street (街道) "
    "polygons, not streets and communities (社区) mixed, and no zone twice; keep one level or fix the boundaries"
)
DISTRICTS_FIX = (
    "the people there would be reported in one district only: districts must not overlap; use one level "
    "(e.g. the districts 区县 of one city, not a city and its districts mixed) or fix the boundaries"
)


@dataclass(frozen=True)
class ZoneInput:
    """Population zones with counts (see :func:`zones_from_file` and
    :func:`accessibility.stages.population.demand_from_zones`): the same spec serves
    the Python API and the command line's ``--zones`` options.

    Attributes
    ----------
    path
        Street or community polygons (any vector format), with counts or joined to ``table``.
    crs
        Declared coordinate system (``gcj02`` for AMap/DataV files); default the file's.
    pop_col, older_col, older_share_col, code_col, name_col
        Columns (default: found by name, e.g. 常住人口, 60岁及以上人口, 老龄化率, 区划代码, 名称).
    table, table_key
        A census table (CSV/XLSX) with the counts, and its join column (default: code, else name).
    spread
        ``"area"`` (a grid of ``cell_m`` clipped to each zone) or ``"buildings"``
        (residential OSM floor area; zones without buildings fall back to area).
    cell_m
        Grid cell of the area spread, metres.
    encoding
        Text encoding of the files (default: detected).
    """

    path: sources.Source = option("--zones", "population zones (street/community polygons) with counts, instead of rasters", metavar="FILE", required=True)
    crs: str | None = option("--zones-crs", "declared CRS of --zones", metavar="CRS")
    pop_col: str | None = option("--zone-pop-col", "population column (default: found by name, e.g. 常住人口)", metavar="COLUMN")
    older_col: str | None = option("--zone-older-col", "older-population column (e.g. 60岁及以上人口)", metavar="COLUMN")
    older_share_col: str | None = option("--zone-older-share-col", "older share column (fraction or percent, e.g. 老龄化率)", metavar="COLUMN")
    code_col: str | None = option("--zones-code-col", "zone code column (default: found by name, e.g. 区划代码)", metavar="COLUMN")
    name_col: str | None = option("--zones-name-col", "zone name column (default: found by name, e.g. 名称)", metavar="COLUMN")
    table: sources.Source | None = option("--zones-table", "census table (CSV/XLSX) with the counts, joined to the zones by code or name", metavar="FILE")
    table_key: str | None = option("--zones-key", "join column of --zones-table (default: code, else name)", metavar="COLUMN")
    spread: str = option("--zones-spread", "spread zone counts by area (default) or residential buildings", default="area", choices=("area", "buildings"))
    cell_m: float = option("--zones-cell-m", "grid cell of the area spread (default 100 m)", default=100.0, metavar="M", parse=number(10, 5000, "metres"))
    encoding: str | None = option("--zones-encoding", "text encoding of the zone files (default: detected)", metavar="ENCODING")

    def __post_init__(self) -> None:
        if self.spread not in ("area", "buildings"):
            raise errors.InputError(f"zones {sources.label(self.path, 'zones')}: spread must be 'area' or 'buildings', got {self.spread!r}")


@dataclass(frozen=True)
class DistrictInput:
    """A district layer for per-district results (see :func:`districts_from_file`).

    Attributes
    ----------
    path
        District polygons (any vector format, e.g. a DataV ``330100_full.json``).
    crs
        Declared coordinate system (DataV files: ``gcj02``); default the file's.
    name_col, code_col
        Name and code columns (default: found by name).
    encoding
        Text encoding (default: detected).
    """

    path: sources.Source = option("--districts", "district polygons for per-district results (e.g. DataV 330100_full.json)", metavar="FILE", required=True)
    crs: str | None = option("--districts-crs", "declared CRS of --districts (DataV files: gcj02)", metavar="CRS")
    name_col: str | None = option("--districts-name-col", "district name column (default: found by name)", metavar="COLUMN")
    code_col: str | None = option("--districts-code-col", "district code column (default: found by name)", metavar="COLUMN")
    encoding: str | None = option("--districts-encoding", "text encoding of the district file (default: detected)", metavar="ENCODING")


def _key(values: pd.Series) -> np.ndarray:
    """Join keys: NFKC text without spaces/punctuation; all-digit codes lose '.0' and padding zeros
    (9-digit street codes meet 12-digit statistical codes); names lose 办事处/居委会 suffixes."""
    s = tabletext.cell_text(values).str.replace(r"\.0$", "", regex=True).str.replace(r"[\W_]+", "", regex=True)
    digits = s.str.fullmatch(r"\d+").fillna(False)
    s = s.where(~digits, s.str.rstrip("0"))
    s = s.str.replace(r"(办事处|居民委员会|村民委员会|居委会|村委会)$", "", regex=True)
    return s.fillna("").to_numpy(dtype=object)


def _pick(cols: list[str], given: str | None, names: tuple[str, ...], what: str, path: str | Path) -> str | None:
    return userdata.pick_column(cols, given, names, what=what, path=Path(path))


def _m2(area: float) -> str:
    return f"{area / 1e6:,.2f} km²" if area >= 1e5 else f"{area:,.0f} m²"


def disjoint(geoms: np.ndarray, labels: np.ndarray, *, what: str, file: str, fix: str) -> tuple[np.ndarray, list[str]]:
    """Refuse overlapping polygons; return them made disjoint (the earlier polygon keeps each sliver) and a note.

    Candidate pairs come from an STRtree query (``overlaps``, and ``contains``
    for nested or repeated polygons); their overlaps are measured in m²
    (square degrees scaled at each overlap's latitude). An overlap above
    :data:`OVERLAP_MAX_SHARE` of the smaller polygon (and above
    :data:`OVERLAP_NOISE_M2`), or a compact one (:data:`OVERLAP_BLOCK_M2`,
    wider than :data:`SLIVER_MAX_WIDTH_M`), raises
    :class:`~accessibility.errors.InputError` naming the largest; the others
    are thin slivers, cut from the later polygon so that no place (and no
    person) belongs to two polygons.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 2:
        return geoms, []
    tree = shapely.STRtree(geoms)
    pairs = np.concatenate([tree.query(geoms, predicate=p) for p in ("overlaps", "contains")], axis=1)
    pairs = np.unique(np.sort(pairs[:, pairs[0] != pairs[1]], axis=0), axis=1)
    if not pairs.shape[1]:
        return geoms, []
    i, j = pairs
    inter = shapely.intersection(geoms[i], geoms[j])
    area = footprints.polygon_area_m2(inter)
    real = area > _RESIDUE_M2
    i, j, inter, area = i[real], j[real], inter[real], area[real]
    if not len(i):
        return geoms, []
    own = footprints.polygon_area_m2(geoms)
    share = area / np.maximum(np.minimum(own[i], own[j]), 1e-30)
    parts, owner = shapely.get_parts(inter, return_index=True)  # perimeter of the polygonal parts (not shared edges)
    polygonal = shapely.get_type_id(parts) >= shapely.GeometryType.POLYGON
    perimeter = np.bincount(owner[polygonal], weights=shapely.length(parts[polygonal]), minlength=len(inter))
    m_per_degree = np.sqrt(footprints.m2_per_square_degree(shapely.get_y(shapely.centroid(inter))))
    width = 2 * area / np.maximum(perimeter * m_per_degree, 1e-30)
    big = ((share > OVERLAP_MAX_SHARE) & (area > OVERLAP_NOISE_M2)) | ((area >= OVERLAP_BLOCK_M2) & (width > SLIVER_MAX_WIDTH_M))
    if big.any():
        k = np.flatnonzero(big)[np.argmax(area[big])]
        more = f" ({int(big.sum()) - 1:,} more pairs overlap)" if big.sum() > 1 else ""
        raise errors.InputError(
            f"{what}{' ' + file if file else ''}: {labels[i[k]]} and {labels[j[k]]} overlap by {_m2(area[k])}, "
            f"{min(share[k], 1):.{0 if share[k] >= 0.01 else 2}%} of the smaller{more}; {fix}"
        )
    order = np.argsort(j, kind="stable")
    later, start = np.unique(j[order], return_index=True)
    cut = [shapely.union_all(c) for c in np.split(inter[order], start[1:])]
    out = geoms.copy()
    out[later] = shapely.difference(geoms[later], np.array(cut, dtype=object))
    k = int(np.argmax(area))
    note = (
        f"{what}{' ' + file if file else ''}: {len(i):,} {'sliver' if len(i) == 1 else 'slivers'} where polygons overlap (digitising noise; "
        f"the largest {_m2(area[k])}, {labels[i[k]]} / {labels[j[k]]}); each belongs to the polygon earlier in the file"
    )
    log.info(note)
    return out, [note]


def _labels(kind: str, ids: np.ndarray, names: np.ndarray, rows: np.ndarray, row_word: str) -> np.ndarray:
    """'zone 330106001 北山街道 (row 3)' for messages; the name once when it is the id."""
    ids, names = np.asarray(ids, dtype=str), np.asarray(names, dtype=str)
    text = np.where(ids == names, ids, np.char.add(np.char.add(ids, " "), names))
    return np.array([f"{kind} {t} ({row_word} {r})" for t, r in zip(text, rows, strict=True)], dtype=object)


def zones_from_file(source: sources.Source | ZoneInput, /, **fields: Any) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[str]]:
    """Read population zones: polygons with counts, or polygons joined to a census table.

    >>> zones, rejects, notes = zones_from_file("streets.gpkg", table="census.xlsx", crs="gcj02")  # doctest: +SKIP

    Parameters
    ----------
    source
        Zone polygons (GeoJSON, GeoPackage, Shapefile, zip), any CRS, or a :class:`ZoneInput`
        (then ``fields`` must be empty).
    **fields
        With a file, the :class:`ZoneInput` fields: ``crs`` (declared CRS of the
        polygons, ``"gcj02"`` for DataV/AMap files); ``pop_col``, ``older_col``,
        ``older_share_col`` (population count, older count, older share as a
        fraction, or percent when any value exceeds 1; default found by name:
        人口/常住人口/pop, 60岁及以上人口/older, 老龄化率/older_share);
        ``code_col``, ``name_col`` (zone code and name, found by name:
        code/adcode/代码, name/名称/街道/社区); ``table`` and ``table_key`` (a
        census table, CSV/XLSX, holding the counts, joined to the zones by its
        code column when both have codes, else its name column); ``encoding``.

    Returns
    -------
    zones, rejects, notes
        ``zones``: ``zone_id``, ``zone_name``, ``pop``, ``older``,
        ``source_row`` and geometry (WGS-84), one row per polygon.
        ``rejects``: table rows matching no zone, rows with unusable counts,
        zones without a count (``source_file``, ``source_row``, ``reason``,
        ``action`` and the original columns).

    Raises
    ------
    InputError
        If zones with people overlap by more than a sliver (see
        :data:`OVERLAP_MAX_SHARE`); slivers are noted and cut from the later zone.
    """
    if isinstance(source, ZoneInput):
        if fields:
            raise TypeError(f"zones_from_file: give a ZoneInput or a file with its fields, not both ({sorted(fields)})")
        spec = source
    else:
        spec = ZoneInput(source, **fields)
    path = sources.label(spec.path, "zones")
    crs, pop_col, older_col, older_share_col, code_col, name_col = spec.crs, spec.pop_col, spec.older_col, spec.older_share_col, spec.code_col, spec.name_col
    table, table_key, encoding = spec.table, spec.table_key, spec.encoding
    poly, notes = areas.polygons_from_file(spec.path, crs=crs, what="zones", encoding=encoding)
    poly.index = pd.RangeIndex(1, len(poly) + 1, name="source_row")
    cols = [c for c in poly.columns if c != poly.geometry.name]
    code_c = _pick(cols, code_col, CODE_NAMES, "zone code", path)
    name_c = _pick(cols, name_col, NAME_NAMES, "zone name", path)
    ids = tabletext.cell_text(poly[code_c]).to_numpy(dtype=object) if code_c else np.char.add("zone", np.arange(1, len(poly) + 1).astype(str)).astype(object)
    names = tabletext.cell_text(poly[name_c]).to_numpy(dtype=object) if name_c else ids
    rejects: list[pd.DataFrame] = []
    if table is None:
        data, data_path = poly, path
        match = np.arange(len(poly))
    else:
        data_path = sources.label(table, "zones table")
        data, n2 = userdata.read_table(table, encoding=encoding, wanted=[c for c in (pop_col, table_key) if c])
        notes += n2
        tcols = list(data.columns)
        if table_key is not None:
            t_c = _pick(tcols, table_key, (), "join key", data_path)
            coded = bool(tabletext.cell_text(data[t_c]).str.fullmatch(r"\d+(\.0)?").all())
            z_c = (code_c or name_c) if coded else (name_c or code_c)
        else:
            t_code, t_name = _pick(tcols, None, CODE_NAMES, "code", data_path), _pick(tcols, None, NAME_NAMES, "name", data_path)
            t_c, z_c = (t_code, code_c) if t_code and code_c else (t_name, name_c)
        if t_c is None or z_c is None:
            raise errors.InputError(
                f"{data_path}: cannot join the census table to the zones {path.name}: no shared code or name column "
                f"(table columns {tcols}; zone columns {cols}); name them with table_key/code_col/name_col"
            )
        lookup = pd.Series(np.arange(len(poly)), index=_key(poly[z_c]))
        lookup = lookup[~lookup.index.duplicated()]
        match = lookup.reindex(_key(data[t_c])).to_numpy()
        unmatched = np.isnan(match)
        if unmatched.any():
            bad = data[unmatched].reset_index()
            bad.insert(0, "source_file", data_path.name)
            bad.insert(2, "reason", [f"no zone with {z_c} {v!r}" for v in tabletext.cell_text(data[t_c])[unmatched]])
            bad.insert(3, "action", "rejected")
            rejects.append(bad)
        data, match = data[~unmatched], match[~unmatched].astype(np.int64)
        notes.append(f"zones: census table {data_path.name} joined on {t_c!r} = {z_c!r}: {len(data)} rows matched, {int(unmatched.sum())} not")
    dcols = [c for c in data.columns if not (isinstance(data, gpd.GeoDataFrame) and c == data.geometry.name)]
    p_c = _pick(dcols, pop_col, POP_NAMES, "population", data_path)
    if p_c is None:
        raise errors.InputError(f"{data_path}: no population column among {dcols}; name it (--zone-pop-col)")
    pop, ps = userdata.parse_numbers(data[p_c], units=True)
    o_c = _pick(dcols, older_col, OLDER_NAMES, "older population", data_path)
    s_c = _pick(dcols, older_share_col, SHARE_NAMES, "older share", data_path) if o_c is None else None
    older = np.full(len(data), np.nan)
    if o_c is not None:
        older, os_ = userdata.parse_numbers(data[o_c], units=True)
    elif s_c is not None:
        share, os_ = userdata.parse_numbers(tabletext.cell_text(data[s_c]).str.rstrip("%"), units=False)
        older = pop * (share / 100.0 if np.nanmax(np.append(share, 0)) > 1 else share)
    else:
        os_ = np.ones(len(data), int)
    bad = (ps != 0) | (pop < 0) | ((os_ == 0) & ((older < 0) | (older > pop * (1 + 1e-9))))
    if bad.any():
        b = data[bad].reset_index()
        b = b.drop(columns=[c for c in b.columns if c == "geometry"])
        b.insert(0, "source_file", data_path.name)
        b.insert(2, "reason", [f"population {v!r} is not a non-negative number (or the older count exceeds it)" for v in tabletext.cell_text(data[p_c])[bad]])
        b.insert(3, "action", "rejected")
        rejects.append(b)
    ok = ~bad
    zone_pop = np.zeros(len(poly))
    has = np.zeros(len(poly), bool)
    np.add.at(zone_pop, match[ok], pop[ok])
    zone_older_sum = np.zeros(len(poly))
    np.add.at(zone_older_sum, match[ok], np.nan_to_num(older[ok]))
    known_older = np.zeros(len(poly), bool)
    known_older[match[ok & np.isfinite(older)]] = True
    zone_older = np.where(known_older, zone_older_sum, np.nan)
    has[match[ok]] = True
    if (~has).any():
        nz = poly[~has].drop(columns=poly.geometry.name).reset_index()
        nz.insert(0, "source_file", path.name)
        nz.insert(2, "reason", "zone without a population count: its people are missing from the run")
        nz.insert(3, "action", "no_count")
        rejects.append(nz)
        notes.append(f"zones: {int((~has).sum())} of {len(poly)} zones have no population count (rejects_zones.csv)")
    # zones with people must not overlap (their people would count twice); slivers go to the earlier zone
    geoms = poly.geometry.to_numpy().copy()
    counted = np.flatnonzero(zone_pop > 0)
    labels = _labels("zone", ids[counted], names[counted], np.asarray(poly.index)[counted], "row")
    geoms[counted], n_ = disjoint(geoms[counted], labels, what="zones", file=path.name, fix=ZONES_FIX)
    notes += n_
    zones = gpd.GeoDataFrame(
        {"zone_id": ids.astype(str), "zone_name": names.astype(str), "pop": zone_pop, "older": zone_older, "source_row": np.asarray(poly.index)},
        geometry=geoms,
        crs="EPSG:4326",
    )
    rej = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=list(userdata.REJECT_COLUMNS))
    return zones, rej, notes


# --------------------------------------------------------------------------- districts


def districts_from_file(
    path: sources.Source,
    *,
    crs: str | None = None,
    name_col: str | None = None,
    code_col: str | None = None,
    encoding: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read district polygons for per-district results.

    Parameters
    ----------
    path
        Any polygon layer: a DataV ``*_full.json`` (declare ``crs="gcj02"``:
        it says WGS-84 but is GCJ-02), a GeoPackage of streets, ...
    crs
        Declared CRS; default the file's.
    name_col, code_col
        Default: found by name (name/名称, adcode/code/代码).

    Returns
    -------
    districts, notes
        ``district_id`` (the code, else the name, else the feature number),
        ``district_name``, geometry (WGS-84), disjoint: a sliver where two
        districts overlap belongs to the one earlier in the file (noted).

    Raises
    ------
    InputError
        If districts overlap by more than a sliver (e.g. a city and its districts mixed).
    """
    source, path = path, sources.label(path, "districts")
    poly, notes = areas.polygons_from_file(source, crs=crs, what="districts", encoding=encoding)
    cols = [c for c in poly.columns if c != poly.geometry.name]
    code_c = _pick(cols, code_col, CODE_NAMES, "district code", path)
    name_c = _pick(cols, name_col, NAME_NAMES, "district name", path)
    n = len(poly)
    numbers = pd.Series(np.arange(1, n + 1).astype(str))
    ids = tabletext.cell_text(poly[code_c]).to_numpy(dtype=object) if code_c else None
    names = tabletext.cell_text(poly[name_c]).to_numpy(dtype=object) if name_c else None
    ids = ids if ids is not None else (names if names is not None else numbers.to_numpy(dtype=object))
    names = names if names is not None else ids
    out = gpd.GeoDataFrame(
        {"district_id": ids.astype(str), "district_name": names.astype(str), "row": np.arange(1, n + 1)}, geometry=poly.geometry.to_numpy(), crs="EPSG:4326"
    )
    if out["district_id"].duplicated().any():
        dissolved = out.dissolve("district_id", aggfunc="first", sort=False).reset_index()
        notes.append(f"districts {path.name}: features sharing an id were merged ({n} features, {len(dissolved)} districts)")
        out = dissolved[["district_id", "district_name", "row", "geometry"]]
    labels = _labels("district", out["district_id"].to_numpy(), out["district_name"].to_numpy(), out["row"].to_numpy(), "feature")
    geoms, n_ = disjoint(out.geometry.to_numpy(), labels, what="districts", file=path.name, fix=DISTRICTS_FIX)
    notes += n_
    return gpd.GeoDataFrame({"district_id": out["district_id"].to_numpy(), "district_name": out["district_name"].to_numpy()}, geometry=geoms, crs="EPSG:4326"), notes




def frame_labels(frame: pd.DataFrame, kind: str, id_col: str, name_col: str, row_col: str | None) -> np.ndarray:
    """Labels for messages from a frame's id/name/row columns (row numbers when missing)."""
    rows = frame[row_col].to_numpy() if row_col in frame.columns else np.arange(1, len(frame) + 1)
    ids = frame[id_col].astype(str).to_numpy() if id_col in frame.columns else np.asarray(rows, dtype=str)
    names = frame[name_col].astype(str).to_numpy() if name_col in frame.columns else ids
    return _labels(kind, ids, names, rows, "row")

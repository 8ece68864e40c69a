"""Where people live: demand points from population rasters, or an estimate.

A raster pixel is a demand point at its centre carrying the pixel's count,
so totals are conserved exactly and any CRS or resolution works without
resampling: only pixel centres are reprojected. A pixel belongs to the study
area when its centre does (rasterio's own rule for ``mask``).

Without a raster the population is *estimated* from residential buildings
(floor area / floor area per person) or, failing that, spread along
residential streets. Every output of such a run is labelled as an estimate.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import rasterio
import rasterio.errors
import rasterio.windows
import shapely
from rasterio.warp import transform_bounds

from . import errors, footprints, osm, parallel
from . import network as network_mod

__all__ = ["Demand", "EstimateAssumptions", "demand_from_rasters", "demand_from_buildings", "demand_from_streets", "raster_points"]

log = logging.getLogger(__name__)

#: 60+ share of Zhejiang's population in the 2020 census (18.70%), the default
#: when no older-age raster is given.
ZHEJIANG_OLDER_SHARE_2020 = 0.187


@dataclass
class Demand:
    """Demand points: residents (``pop``) and older residents (``older``) at WGS-84 points."""

    lon: np.ndarray
    lat: np.ndarray
    pop: np.ndarray
    older: np.ndarray
    source: str
    older_source: str
    is_estimate: bool
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lon)

    @property
    def total(self) -> float:
        return float(self.pop.sum())

    @property
    def total_older(self) -> float:
        return float(self.older.sum())

    @staticmethod
    def concat(parts: list[Demand], *, source: str, older_source: str, is_estimate: bool) -> Demand:
        return Demand(
            lon=np.concatenate([p.lon for p in parts]),
            lat=np.concatenate([p.lat for p in parts]),
            pop=np.concatenate([p.pop for p in parts]),
            older=np.concatenate([p.older for p in parts]),
            source=source,
            older_source=older_source,
            is_estimate=is_estimate,
            notes=[n for p in parts for n in p.notes],
        )


def raster_points(path: str | Path, area: shapely.Geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Pixel centres (WGS-84) and counts of a population raster inside ``area``.

    Only the window covering the area is read. Nodata, NaN and negative
    values count as zero people.

    Raises
    ------
    NoOverlapError
        If the raster does not overlap the study area.
    """
    path = Path(path)
    if not path.is_file():
        raise errors.InputFileNotFoundError(f"population raster not found: {path}")
    notes: list[str] = []
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise errors.InputError(f"{path}: cannot open as a raster ({exc}); pass a GeoTIFF such as a WorldPop grid") from exc
    with src:
        if src.crs is None:
            raise errors.InputError(f"{path}: the raster has no coordinate reference system; set one (e.g. gdal_edit.py -a_srs EPSG:4326)")
        minx, miny, maxx, maxy = area.bounds
        bounds = transform_bounds("EPSG:4326", src.crs, minx, miny, maxx, maxy, densify_pts=21)
        rb = src.bounds
        if bounds[0] >= rb.right or bounds[2] <= rb.left or bounds[1] >= rb.top or bounds[3] <= rb.bottom:
            raise errors.NoOverlapError(
                f"{path}: the raster (bounds {tuple(round(b, 4) for b in rb)} in {src.crs.to_string()}) does not overlap "
                f"the study area (lon {minx:.4f}-{maxx:.4f}, lat {miny:.4f}-{maxy:.4f}); use a raster of the same place"
            )
        col0, row0, col1, row1 = _pixel_range(src.transform, bounds, src.width, src.height)
        window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
        data = src.read(1, window=window, masked=True).astype(np.float64)
        values = np.where(np.ma.getmaskarray(data), 0.0, np.ma.getdata(data))
        values = np.where(np.isfinite(values) & (values > 0), values, 0.0)
        rows, cols = np.nonzero(values)
        counts = values[rows, cols]
        # pixel centres from the affine coefficients (x = a*col + b*row + c, y = d*col + e*row + f)
        t = src.transform
        cc, rr = cols + col0 + 0.5, rows + row0 + 0.5
        x = t.a * cc + t.b * rr + t.c
        y = t.d * cc + t.e * rr + t.f
        crs = src.crs
    if not crs.to_epsg() == 4326:
        to_wgs = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        x, y = to_wgs.transform(np.asarray(x), np.asarray(y))
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    inside = shapely.contains_xy(area, x, y)
    # Share of the study area the raster covers: pixels outside the raster
    # extent would silently read as empty land.
    raster_poly = shapely.box(*transform_bounds(crs, "EPSG:4326", *rb, densify_pts=21))
    covered = shapely.area(shapely.intersection(raster_poly, area)) / max(shapely.area(area), 1e-30)
    if covered < 0.99:
        msg = f"{path.name} covers only {covered:.0%} of the study area; people outside its extent are missing"
        warnings.warn(msg, errors.DataQualityWarning, stacklevel=2)
        notes.append(msg)
    if not inside.any():
        raise errors.NoOverlapError(f"{path}: no populated pixel lies inside the study area; check the raster and the boundary")
    return x[inside], y[inside], counts[inside], notes


def _pixel_range(t, bounds: tuple[float, float, float, float], width: int, height: int) -> tuple[int, int, int, int]:
    """Columns and rows (start inclusive, end exclusive) of the pixels covering ``bounds``, clipped to the raster."""
    minx, miny, maxx, maxy = bounds
    det = t.a * t.e - t.b * t.d
    xs = np.array([minx, maxx, minx, maxx]) - t.c
    ys = np.array([miny, miny, maxy, maxy]) - t.f
    cols = (t.e * xs - t.b * ys) / det
    rows = (-t.d * xs + t.a * ys) / det
    col0 = int(np.clip(np.floor(cols.min()), 0, width))
    col1 = int(np.clip(np.ceil(cols.max()), 0, width))
    row0 = int(np.clip(np.floor(rows.min()), 0, height))
    row1 = int(np.clip(np.ceil(rows.max()), 0, height))
    return col0, row0, col1, row1


def demand_from_rasters(
    area: shapely.Geometry,
    *,
    population: str | Path | None,
    older: list[str | Path] | tuple[str | Path, ...] = (),
    older_share: float | None = None,
) -> Demand:
    """Demand points from a total-population raster and/or older-age rasters.

    Parameters
    ----------
    area
        Study area (WGS-84 polygon).
    population
        Total-population raster (WorldPop style; any CRS and resolution).
    older
        Older-age rasters, summed (e.g. WorldPop 60-64, 65-69, ... bands, both sexes).
    older_share
        When no older raster is given: older people as a share of the total
        (default :data:`ZHEJIANG_OLDER_SHARE_2020`).
    """
    parts: list[Demand] = []
    notes: list[str] = []
    if population is not None:
        x, y, v, n = raster_points(population, area)
        share = ZHEJIANG_OLDER_SHARE_2020 if older_share is None else older_share
        parts.append(Demand(x, y, v, v * share if not older else np.zeros_like(v), "", "", False, n))
    for path in older:
        x, y, v, n = raster_points(path, area)
        parts.append(Demand(x, y, np.zeros_like(v), v, "", "", False, n))
    if not parts:
        raise errors.InputError("demand_from_rasters needs a population raster or at least one older-age raster")
    src = f"raster: {Path(population).name}" if population is not None else ""
    if older:
        older_src = "raster: " + " + ".join(Path(p).name for p in older)
    else:
        share = ZHEJIANG_OLDER_SHARE_2020 if older_share is None else older_share
        older_src = f"{share:.1%} of the total (Zhejiang 2020 census 60+ share)" if older_share is None else f"{share:.1%} of the total"
    d = Demand.concat(parts, source=src, older_source=older_src, is_estimate=False)
    d.notes.extend(notes)
    return d


@dataclass(frozen=True)
class EstimateAssumptions:
    """Assumptions of a population estimate without a raster (all reported)."""

    floor_area_per_person_m2: float = 40.0  # China urban housing floor area per person, ~40 m² (NBS, 2020)
    default_levels: float = 6.0  # typical walk-up residential block when building:levels is missing
    street_people_per_km: float = 500.0  # along residential streets, when no buildings are mapped
    older_share: float = ZHEJIANG_OLDER_SHARE_2020
    total: float | None = None  # scale the estimate to this total when known (census)


_RESIDENTIAL_BUILDINGS = {"residential", "apartments", "house", "detached", "semidetached_house", "terrace", "dormitory", "bungalow"}
_NON_RESIDENTIAL_LANDUSE = {"commercial", "industrial", "retail", "military", "railway", "religious", "education", "construction"}
_NON_RESIDENTIAL_KEYS = ("amenity", "shop", "office", "tourism", "leisure", "craft", "public_transport", "man_made")


def demand_from_buildings(features: osm.FeatureTable, area: shapely.Geometry, assumptions: EstimateAssumptions) -> Demand | None:
    """Estimate residents from residential building footprints.

    A building counts as residential when tagged so, or when it is
    ``building=yes`` without a non-residential use (shop, amenity, office...)
    and not inside commercial/industrial/... land use. Residents = footprint
    x levels / floor area per person. Residents are placed at the point on
    the surface of a building polygon, or at the area centroid of a plain
    footprint (``features.footprints``, see :mod:`accessibility.footprints`).
    Returns ``None`` if no building qualifies.
    """
    frame = features.frame
    plain = features.footprints
    if frame.empty and not len(plain):
        return None
    geoms = frame["geometry"].to_numpy()
    tags = frame["tags"].tolist()
    polygonal = shapely.get_type_id(geoms) >= shapely.GeometryType.POLYGON
    # hash look-ups (pandas isin), not numpy's sort-based isin over a million objects
    landuse = pd.Series([t.get("landuse", "") for t in tags], dtype=object)
    non_res_areas = geoms[polygonal & landuse.isin(_NON_RESIDENTIAL_LANDUSE).to_numpy()]
    building = np.array([t.get("building", "") for t in tags], dtype=object)
    b_idx = np.flatnonzero(polygonal & (building != "") & (building != "no"))
    # buildings with polygons (multipolygons, buildings also tagged as facilities), then plain footprints
    # rows with the same tags share one dict (osm.distinct_tags): the rules below run once per tag set
    tag_sets, tag_set = osm.distinct_tags([tags[i] for i in b_idx.tolist()] + plain.tags)
    b_value = np.array([t.get("building", "") for t in tag_sets], dtype=object)[tag_set]
    b_geoms = geoms[b_idx]
    centre = np.concatenate(parallel.map_chunks(shapely.point_on_surface, b_geoms)) if len(b_geoms) else np.array([], dtype=object)
    lon = np.concatenate([shapely.get_x(centre), plain.lon])
    lat = np.concatenate([shapely.get_y(centre), plain.lat])
    footprint = np.concatenate([footprints.polygon_area_m2(b_geoms, lat=lat[: len(b_idx)]), plain.area_m2])
    use = (b_value != "") & (b_value != "no")
    if not use.any():
        return None
    explicit = pd.Series(b_value, dtype=object).isin(_RESIDENTIAL_BUILDINGS).to_numpy()
    non_res_keys = frozenset(_NON_RESIDENTIAL_KEYS)
    other_use = np.array([not non_res_keys.isdisjoint(t) for t in tag_sets], dtype=bool)[tag_set]
    in_non_res = np.zeros(len(b_value), dtype=bool)
    if len(non_res_areas):
        tree = shapely.STRtree(non_res_areas)
        hit, _ = tree.query(shapely.points(lon, lat), predicate="within")
        in_non_res[hit] = True
    residential = use & (explicit | ((b_value == "yes") & ~other_use & ~in_non_res))
    residential &= shapely.contains_xy(area, lon, lat)
    if not residential.any():
        return None
    sel = np.flatnonzero(residential)
    levels = _levels_array([t.get("building:levels") for t in tag_sets], assumptions.default_levels)[tag_set[sel]]
    pop = footprint[sel] * levels / assumptions.floor_area_per_person_m2
    note = (
        f"population ESTIMATED from {len(sel)} residential building footprints x levels "
        f"(default {assumptions.default_levels:g} when untagged) / {assumptions.floor_area_per_person_m2:g} m² per person"
    )
    return _finish_estimate(lon[sel], lat[sel], pop, "estimate: residential buildings", note, assumptions)


def _levels_array(values: list[str | None], default: float) -> np.ndarray:
    """``building:levels`` values as numbers (first of "3;5"), ``default`` when missing or absurd."""
    out = np.full(len(values), float(default))
    tagged = [i for i, v in enumerate(values) if v is not None]  # most footprints have no levels
    if not tagged:
        return out
    first = pd.Series([values[i] for i in tagged], dtype="string").str.split(";").str[0]
    levels = pd.to_numeric(first, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    out[tagged] = np.where(np.isfinite(levels) & (levels > 0) & (levels < 200), levels, default)
    return out


def demand_from_streets(net: network_mod.Network, area: shapely.Geometry, assumptions: EstimateAssumptions, *, spacing_m: float = 50.0) -> Demand:
    """Estimate residents along residential streets (fallback when no buildings are mapped).

    Points every ``spacing_m`` along ``residential``/``living_street`` edges
    (all walkable edges if there are none), each carrying its share of
    ``street_people_per_km``.
    """
    edges = net.edges
    res = edges["highway"].isin(["residential", "living_street"]).to_numpy()
    if not res.any():
        res = np.ones(len(edges), dtype=bool)
    crs = net.metric_crs
    metric = edges.geometry[res].to_crs(crs).to_numpy()
    dense = shapely.segmentize(metric, spacing_m)
    # midpoints of the densified segments, each standing for its own length
    coords, owner = shapely.get_coordinates(dense, return_index=True)
    same = owner[1:] == owner[:-1]
    mid = (coords[1:][same] + coords[:-1][same]) / 2
    seg_len = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
    to_wgs = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(mid[:, 0], mid[:, 1])
    lon, lat = np.asarray(lon), np.asarray(lat)
    inside = shapely.contains_xy(area, lon, lat)
    pop = seg_len[inside] / 1000 * assumptions.street_people_per_km
    note = (
        f"population ESTIMATED along residential streets at {assumptions.street_people_per_km:g} people per km "
        "(no raster and no mapped residential buildings)"
    )
    return _finish_estimate(lon[inside], lat[inside], pop, "estimate: residential streets", note, assumptions)


def _finish_estimate(lon: np.ndarray, lat: np.ndarray, pop: np.ndarray, source: str, note: str, a: EstimateAssumptions) -> Demand:
    notes = [note]
    if a.total is not None and pop.sum() > 0:
        pop = pop * (a.total / pop.sum())
        notes.append(f"estimate scaled to the given total of {a.total:,.0f} people")
    return Demand(
        lon=np.asarray(lon, np.float64),
        lat=np.asarray(lat, np.float64),
        pop=np.asarray(pop, np.float64),
        older=np.asarray(pop, np.float64) * a.older_share,
        source=source,
        older_source=f"{a.older_share:.1%} of the estimated total",
        is_estimate=True,
        notes=notes,
    )

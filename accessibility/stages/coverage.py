"""How much of an area the data of a run covers: a verdict on a district the OSM extract cuts in a corner is not a verdict.

A goal's share ("44.6% of 181,272 people") describes the residents the data
holds; where the OSM extract or the population raster stops short of the area,
the people beyond are missing, not uncovered. This module measures the share of
each area (and, where a raster or census zones place people independently of
OSM, of its people) inside the data's extent: the intersection of up to three
footprints (:data:`LIMITS`). ``streets``: every place within :data:`REACH_M`
(300 m) of a street, holes filled (a lake or hill ringed by mapped streets is
inside the data). 300 m is the run's ``--max-snap-m``, beyond which residents
are flagged as far from any mapped street, a 4-minute walk, and enough to fill
a superblock (小区, 200-500 m across) from its bounding streets: a mapped city
has no gaps, land past the extract's edge stays out. ``osm_bounds``: the box
the OSM file declares (:func:`accessibility.readers.extract.osm_bounds`); extracts keep ways crossing their
edge whole, and the box cuts those tails off. ``population``: a raster's
outline (:func:`accessibility.readers.rasters.raster_footprint`; nodata inside a WorldPop grid means nobody
lives there) or the union of census zones; the estimates from buildings or
streets come from OSM and have none.

Method: street vertices (long segments sampled a pixel apart) are burnt into a
boolean grid on a fixed global lattice of 3 arc-seconds (WorldPop's; 93 × 80 m
at 30°N; coarsened by powers of two beyond :data:`MAX_PIXELS`, ~350 km across),
dilated by every pixel offset whose nearest points are within 300 m (per row: a
degree of longitude shrinks with latitude), so the mask holds every place
within 300 m of a vertex (293 m of a segment) and none beyond ~540 m (two pixel
diagonals more); holes are filled. Every step is monotone: more streets never
shrink it. The mask is traced into
polygons; an area's share is ``area(area ∩ extent) / area(area)`` by
:func:`area_km2`, exact for longitude/latitude-straight edges, so it never
exceeds 1, never falls as the extent grows, and cutting away parts of an area
outside the extent can only raise it. People are looked up in the mask. H3
cells touched by streets were slower: 3 s to convert a province's 5.4 million
street vertices in h3ronpy, 1 s more to link res-9 cells into polygons.

Measured (2015 OSM extract of central Hangzhou, walking network; DataV
districts, GCJ-02): (a) 西湖区, 311.7 km²: **10.6%** covered (33.1 km²), limited
by the OSM bounds (11.2% alone) and the streets (11.6%). (b) The network's
convex hull (the default study area), 58.6 km²: **97.7%**, complete. (c)
Touched: 上城区 38.5%, 下城区 38.0%, 西湖区 10.6%, 拱墅区 3.8%, 江干区 0.5%; the
other 8 districts 0%. (d) The Hubin clip (``tests/data``), its hull, 21.4 km²:
**80.3%** (long roads kept whole stretch the hull over the lake and land the
clip does not map; its own box is 100% covered); with its raster, 100% of the
people, complete. Time: 0.01 s for Hangzhou; for the 1M-node, 1.5M-edge tiled
benchmark 0.6-1.0 s (busy 2-core machine) for the extent, 0.04 s for the study
area with 396k raster pixels, 0.02 s for 13 districts: ~1% of its 66 s run.

A verdict needs :func:`is_complete` (``share >= COMPLETE_SHARE``, 0.95, the
threshold of :func:`accessibility.stages.goals.withhold`), on the people's
share where known, else the area's (:attr:`AreaCoverage.decisive_share`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage

from ..network.graph import EdgeLines, Network
from .goals import COMPLETE_SHARE

__all__ = [
    "COMPLETE_SHARE",
    "LIMITS",
    "MAX_PIXELS",
    "PIXEL_DEG",
    "REACH_M",
    "AreaCoverage",
    "DataExtent",
    "StreetMask",
    "area_coverage",
    "area_km2",
    "data_extent",
    "district_coverage",
    "is_complete",
    "people_shares",
    "scope",
    "street_mask",
]

log = logging.getLogger(__name__)

#: Distance from a street within which a place counts as covered by the street data, metres (the run's ``--max-snap-m``).
REACH_M = 300.0

#: Pixel of the street grid, degrees: 3 arc-seconds, WorldPop's grid (93 m north-south; 80 m east-west at 30°N).
PIXEL_DEG = 1.0 / 1200.0

#: The grid is coarsened by powers of two beyond this many pixels (16 MB of booleans).
MAX_PIXELS = 16_000_000

#: The footprints that can limit the data's extent, most basic first, with their names in English and Chinese.
LIMITS: dict[str, tuple[str, str]] = {
    "streets": ("the street network", "街道网络"),
    "osm_bounds": ("the OSM file's bounds", "OSM文件范围"),
    "population": ("the population data", "人口数据范围"),
}

#: A footprint is named as limiting an area when it alone leaves out at least this share of it.
LIMIT_MIN_SHARE = 0.005

_M_PER_DEG = 6_371_008.8 * math.pi / 180.0  # metres per degree of latitude (mean Earth radius)
_R_AUTHALIC_KM = 6_371.0072  # radius of the sphere with the WGS-84 ellipsoid's area
_CHUNK = 1 << 20  # street vertices burnt into the grid at a time (bounded memory)



@dataclass(frozen=True)
class _Grid:
    """The street mask on the global lattice: row ``r``, column ``c`` is the pixel ``floor(lat * scale) == gy_top - r``, ``floor(lon * scale) == gx0 + c``."""

    mask: np.ndarray  # bool (rows, cols), True inside the extent (dilated, holes filled)
    scale: float  # pixels per degree
    gx0: int
    gy_top: int

    def lookup(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Whether each point lies in a pixel of the mask (False outside the grid)."""
        with np.errstate(invalid="ignore"):
            col = np.floor(np.asarray(lon, np.float64) * self.scale) - self.gx0
            row = self.gy_top - np.floor(np.asarray(lat, np.float64) * self.scale)
        h, w = self.mask.shape
        ok = (row >= 0) & (row < h) & (col >= 0) & (col < w)
        out = np.zeros(len(col), bool)
        out[ok] = self.mask[row[ok].astype(np.int64), col[ok].astype(np.int64)]
        return out

    def polygons(self) -> shapely.Geometry:
        """The mask as (multi)polygons in WGS-84, along the pixels' edges."""
        from rasterio.transform import Affine

        from ..readers import rasters  # rasterio is imported when a mask is traced, not with the module

        d = 1.0 / self.scale
        transform = Affine(d, 0.0, self.gx0 / self.scale, 0.0, -d, (self.gy_top + 1) / self.scale)
        shapes = rasters.trace_shapes(self.mask.astype(np.uint8), mask=None, transform=transform)
        polys = [shapely.geometry.shape(g) for g, value in shapes if value == 1]
        if not polys:
            return shapely.Polygon()
        out = shapely.simplify(shapely.MultiPolygon(polys), 0.0)
        return out if shapely.is_valid(out) else shapely.make_valid(out)


def _line_coords(streets: Network | gpd.GeoSeries | np.ndarray | Sequence[shapely.Geometry]) -> tuple[np.ndarray, np.ndarray]:
    """The lines' coordinates and the count of each line's (a network's without building its lines; missing and empty lines have none)."""
    if isinstance(streets, Network):
        lines = streets.edge_coords()
    else:
        lines = EdgeLines.of(np.asarray(streets.to_numpy() if isinstance(streets, gpd.GeoSeries) else streets, dtype=object).ravel())
    return lines.xy, lines.counts


def _dilate(mask: np.ndarray, north: float, d: float, reach_m: float) -> np.ndarray:
    """Every pixel with a point within ``reach_m`` of a point of a marked pixel.

    Row offset ``i`` and column offset ``j`` are in the element when the nearest
    points of two pixels that far apart are within reach:
    ``((|i|-1)+ dy)² + ((|j|-1)+ dx)² <= reach²``, with ``dx`` the row's pixel
    width at the latitude farthest from the equator the element reaches.
    """
    h = mask.shape[0]
    dy_m = d * _M_PER_DEG
    ky = int(reach_m // dy_m) + 1
    lat = np.minimum(np.abs(north - (np.arange(h) + 0.5) * d) + (ky + 1) * d, 89.0)
    room = np.sqrt(np.maximum(reach_m**2 - (np.maximum(np.arange(ky + 1) - 1, 0) * dy_m) ** 2, 0.0))  # east-west room per row offset
    widths = (np.floor(room[:, None] / (dy_m * np.cos(np.radians(lat)))[None, :]) + 1).astype(np.int64)  # (ky + 1, rows)
    spread = {int(w): ndimage.maximum_filter1d(mask, size=2 * int(w) + 1, axis=1, mode="constant") for w in np.unique(widths)}
    out = np.zeros_like(mask)
    for i in range(-ky, ky + 1):
        lo, hi = max(0, -i), min(h, h - i)  # output rows whose source row (row + i) is in the grid
        if lo >= hi:
            continue
        w_rows = widths[abs(i), lo:hi]
        for w in np.unique(w_rows):
            src = spread[int(w)]
            if len(w_rows) and (w_rows == w).all():
                out[lo:hi] |= src[lo + i : hi + i]
            else:
                rows = np.flatnonzero(w_rows == w) + lo
                out[rows] |= src[rows + i]
    return out


def _burn(mask: np.ndarray, xy: np.ndarray, ends: np.ndarray, scale: float, gx0: int, gy_top: int) -> None:
    """Mark the pixel of every vertex, and of points a pixel apart along segments that skip pixels.

    ``xy`` are consecutive vertices; ``ends[i]`` is True where vertex ``i`` is the last of
    its line (no segment to the next). Pixel indices are global (``floor(lon * scale)``),
    so a point falls in the same pixel whatever grid holds it.
    """
    fx, fy = xy[:, 0] * scale, xy[:, 1] * scale
    gx, gy = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    w = mask.shape[1]
    flat = mask.reshape(-1)
    flat[(gy_top - gy) * w + (gx - gx0)] = 1
    n = np.maximum(np.abs(np.diff(gx)), np.abs(np.diff(gy)))
    n[ends[:-1]] = 0
    long = np.flatnonzero(n > 1)
    if not len(long):
        return
    n = n[long]  # subdivisions: samples at most a pixel apart
    seg = np.repeat(long, n - 1)
    t = (np.arange(len(seg)) - np.repeat(np.cumsum(n - 1) - (n - 1), n - 1) + 1) / np.repeat(n, n - 1)
    x = np.floor(fx[seg] + (fx[seg + 1] - fx[seg]) * t).astype(np.int64)
    y = np.floor(fy[seg] + (fy[seg + 1] - fy[seg]) * t).astype(np.int64)
    flat[(gy_top - y) * w + (x - gx0)] = 1


def _street_grid(xy: np.ndarray, counts: np.ndarray, reach_m: float) -> _Grid | None:
    """The street mask: pixels within ``reach_m`` of a street, holes filled; ``None`` without streets."""
    ends = np.zeros(len(xy), bool)
    ends[np.cumsum(counts[counts > 0]) - 1] = True
    if not np.isfinite(xy).all():
        finite = np.isfinite(xy[:, 0]) & np.isfinite(xy[:, 1])
        xy, ends = xy[finite], ends[finite]
    if not len(xy):
        return None
    x0, x1 = float(xy[:, 0].min()), float(xy[:, 0].max())  # column by column: numpy reduces (n, 2) along axis 0 slowly
    y0, y1 = float(xy[:, 1].min()), float(xy[:, 1].max())
    scale = 1.0 / PIXEL_DEG  # pixels per degree, halved while the grid is too large
    while True:
        d = 1.0 / scale
        ky = int(reach_m // (d * _M_PER_DEG)) + 1
        # the widest east-west reach, at the latitude farthest from the equator any element reaches (see _dilate)
        lat_far = min(max(abs(y0), abs(y1)) + (2 * ky + 4) * d, 89.0)
        kx = int(reach_m // (d * _M_PER_DEG * math.cos(math.radians(lat_far)))) + 1
        gx0 = math.floor(x0 * scale) - kx - 2  # global index of the first column
        gy_top = math.floor(y1 * scale) + ky + 2  # of the first (northernmost) row
        w = math.floor(x1 * scale) + kx + 3 - gx0
        h = gy_top - (math.floor(y0 * scale) - ky - 2) + 1
        if h * w <= MAX_PIXELS:
            break
        scale /= 2.0
    mask = np.zeros((h, w), np.uint8)
    for i in range(0, len(xy), _CHUNK):
        j = min(i + _CHUNK + 1, len(xy))  # one vertex of overlap: the segment across the cut
        _burn(mask, xy[i:j], ends[i:j], scale, gx0, gy_top)
    mask = _dilate(mask, (gy_top + 1) / scale, 1.0 / scale, reach_m)
    filled = ndimage.binary_fill_holes(mask.astype(bool))
    return _Grid(np.asarray(filled, bool), scale, gx0, gy_top)



@dataclass(frozen=True)
class DataExtent:
    """Where the data of a run is: its streets (within :data:`REACH_M`, holes filled), the OSM file's bounds, the population's footprint.

    Build it with :func:`data_extent`. Geometries are WGS-84; ``None``
    where the input gives no such footprint.
    """

    streets: shapely.Geometry
    osm_bounds: shapely.Geometry | None = None
    population: shapely.Geometry | None = None
    reach_m: float = REACH_M
    _grid: _Grid | None = field(default=None, repr=False, compare=False)

    def footprints(self) -> dict[str, shapely.Geometry]:
        """The footprints present, by name (see :data:`LIMITS`)."""
        return {k: v for k, v in zip(LIMITS, (self.streets, self.osm_bounds, self.population), strict=True) if v is not None}

    @cached_property
    def covered(self) -> shapely.Geometry:
        """The intersection of every footprint: the area the data covers (WGS-84)."""
        return shapely.intersection_all(list(self.footprints().values()))

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Whether each point lies within the streets' extent and the OSM bounds (one array lookup per point).

        The population footprint is not tested: demand points come from the
        population source, so they lie in its footprint.
        """
        lon, lat = np.asarray(lon, np.float64).ravel(), np.asarray(lat, np.float64).ravel()
        inside = self._grid.lookup(lon, lat) if self._grid is not None else np.zeros(len(lon), bool)
        b = self.osm_bounds
        if b is not None and inside.any():
            x0, y0, x1, y1 = b.bounds
            box = shapely.equals(b, shapely.box(x0, y0, x1, y1))
            inside &= ((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)) if box else shapely.intersects_xy(b, lon, lat)
        return inside


def data_extent(
    streets: StreetMask | Network | gpd.GeoSeries | np.ndarray | Sequence[shapely.Geometry],
    *,
    osm_bounds: shapely.Geometry | None = None,
    population: shapely.Geometry | None = None,
    reach_m: float = REACH_M,
) -> DataExtent:
    """The extent of the data a run read.

    Parameters
    ----------
    streets
        The street network (its edges' WGS-84 geometries), line geometries, or their :func:`street_mask`.
    osm_bounds
        The bounds the OSM file declares (:func:`accessibility.readers.extract.osm_bounds`), if any.
    population
        The footprint of a population source that does not come from OSM: a
        raster's outline (:func:`raster_footprint`) or the union of census
        zones; ``None`` for the estimate from buildings or streets.
    reach_m
        How far from a street the data counts as covering a place, metres (a :class:`StreetMask` keeps its own).

    Returns
    -------
    DataExtent
    """
    mask = streets if isinstance(streets, StreetMask) else street_mask(streets, reach_m=reach_m)
    grid = mask.grid
    traced = grid.polygons() if grid is not None else shapely.Polygon()
    pop = None if population is None or shapely.is_empty(population) else shapely.make_valid(population)
    return DataExtent(streets=traced, osm_bounds=osm_bounds, population=pop, reach_m=mask.reach_m, _grid=grid)


@dataclass(frozen=True)
class StreetMask:
    """The places within reach of a street, on the grid (:func:`street_mask`), before they are traced into polygons."""

    grid: _Grid | None  # None: no streets
    reach_m: float


def street_mask(streets: Network | gpd.GeoSeries | np.ndarray | Sequence[shapely.Geometry], *, reach_m: float = REACH_M) -> StreetMask:
    """The street part of :func:`data_extent`: numpy and scipy only, so it can run in a background thread.

    Parameters
    ----------
    streets
        The street network, or line geometries (WGS-84).
    reach_m
        How far from a street the data counts as covering a place, metres.

    Returns
    -------
    StreetMask
        For :func:`data_extent` (which traces it into polygons with rasterio).
    """
    if not (math.isfinite(reach_m) and reach_m > 0):
        raise ValueError(f"reach_m must be a positive number of metres, got {reach_m!r}")
    t0 = time.perf_counter()
    grid = _street_grid(*_line_coords(streets), float(reach_m))
    log.debug("street mask: %s pixels of %.0f m in %.2f s", None if grid is None else grid.mask.shape, _M_PER_DEG / (grid.scale if grid else 1 / PIXEL_DEG), time.perf_counter() - t0)
    return StreetMask(grid, float(reach_m))



@dataclass(frozen=True)
class AreaCoverage:
    """How much of one area the data covers.

    Attributes
    ----------
    name
        The area ("the study area", "the main urban area", a district's name).
    area_km2, covered_km2
        The area, and the part of it inside the data's extent.
    share
        ``covered_km2 / area_km2`` (0..1; 0 for an empty area).
    limits
        ``(footprint, share)`` pairs: the share each footprint alone leaves
        covered, most limiting first.
    limited_by
        The footprints that alone leave out at least :data:`LIMIT_MIN_SHARE` of the area, most limiting first.
    people_share
        Share of the area's people the data covers, where a raster or zones
        place people independently of OSM (``None`` otherwise): the share of
        the people read that live within the streets' extent, times the share
        of the area inside the population source's footprint (people beyond
        it are not known; they are taken at the same density).
    name_zh
        The area's name in Chinese (default ``name``).
    """

    name: str
    area_km2: float
    covered_km2: float
    share: float
    limits: tuple[tuple[str, float], ...] = ()
    limited_by: tuple[str, ...] = ()
    people_share: float | None = None
    name_zh: str | None = None

    @property
    def touched(self) -> bool:
        """Whether the data covers any of the area."""
        return self.covered_km2 > 0.0

    @property
    def decisive_share(self) -> float:
        """The share a verdict depends on: of the people where known, else of the area."""
        return self.share if self.people_share is None else self.people_share

    def is_complete(self, threshold: float = COMPLETE_SHARE) -> bool:
        """Whether the data covers enough of the area to pass or fail a goal on it (:func:`is_complete`)."""
        return is_complete(self.decisive_share, threshold)

    def message(self) -> tuple[str, str]:
        """A sentence on the cover, in English and Chinese (for a note)."""
        by_en = ", ".join(LIMITS[k][0] for k in self.limited_by) or "nothing"
        by_zh = "、".join(LIMITS[k][1] for k in self.limited_by) or "无"
        people_en = f", {self.people_share:.1%} of its people" if self.people_share is not None else ""
        people_zh = f"，人口的{self.people_share:.1%}" if self.people_share is not None else ""
        return (
            f"the data covers {self.share:.1%} of {self.name} ({self.covered_km2:,.1f} of {self.area_km2:,.1f} km²{people_en}); limited by {by_en}",
            f"数据覆盖{self.name_zh or self.name}面积的{self.share:.1%}（{self.area_km2:,.1f}平方公里中的{self.covered_km2:,.1f}平方公里{people_zh}）；受限于{by_zh}",
        )


def area_km2(geoms: np.ndarray) -> np.ndarray:
    """Area of WGS-84 polygons on the authalic sphere (within 0.5% of the ellipsoid's), km² each.

    Edges are straight in longitude/latitude, as everywhere in the package
    (``contains_xy``, intersections); the area is the exact integral of
    ``R² cos(lat)`` over that region, edge by edge (Green's theorem), so
    adding vertices along an edge changes nothing and a region inside
    another never has a larger area (no projection bends the edges).

    Parameters
    ----------
    geoms
        Polygons, multipolygons or collections (other parts count 0).

    Returns
    -------
    numpy.ndarray
        km² per geometry.
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    poly = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, owner = parts[poly], owner[poly]
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    out = np.zeros(len(geoms))
    if len(xy) < 2:
        return out
    lam, phi = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    same = ring_of[1:] == ring_of[:-1]
    dlam, dphi, mid = np.diff(lam), np.diff(phi), (phi[1:] + phi[:-1]) / 2.0
    ref = np.sin(phi)[np.searchsorted(ring_of, ring_of[:-1])]  # each ring's first latitude: the closed ring's sum of dlam * ref is 0
    term = np.where(same, dlam * (np.sin(mid) * np.sinc(dphi / (2.0 * np.pi)) - ref), 0.0)  # np.sinc(x) = sin(pi x) / (pi x)
    ring_area = np.abs(np.bincount(ring_of[:-1], weights=term, minlength=len(rings)))
    first = np.r_[True, part_of_ring[1:] != part_of_ring[:-1]]  # each polygon's exterior ring comes first
    part_area = np.bincount(part_of_ring, weights=np.where(first, ring_area, -ring_area), minlength=len(parts))
    out += np.bincount(owner, weights=np.maximum(part_area, 0.0), minlength=len(geoms))
    return out * (_R_AUTHALIC_KM**2)


def _shares(extent: DataExtent, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Area (km²), covered area (km²) and each footprint's own share, per polygon."""
    geoms = shapely.make_valid(np.where(shapely.is_missing(np.asarray(geoms, dtype=object)), shapely.Polygon(), geoms))
    area = area_km2(geoms)
    own: dict[str, np.ndarray] = {}
    covered = geoms
    for name, fp in extent.footprints().items():
        shapely.prepare(fp)
        own[name] = _ratio(area_km2(shapely.intersection(geoms, fp)), area)
        covered = shapely.intersection(covered, fp)
    return area, np.minimum(area_km2(covered), area), own


def _ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.clip(np.divide(part, whole, out=np.zeros(len(whole)), where=whole > 0), 0.0, 1.0)


def _limits(own: dict[str, np.ndarray], i: int) -> tuple[tuple[tuple[str, float], ...], tuple[str, ...]]:
    pairs = sorted(((k, float(v[i])) for k, v in own.items()), key=lambda kv: (kv[1], list(LIMITS).index(kv[0])))
    return tuple(pairs), tuple(k for k, s in pairs if s <= 1.0 - LIMIT_MIN_SHARE)


def people_shares(extent: DataExtent, lon: np.ndarray, lat: np.ndarray, weight: np.ndarray, group: np.ndarray | None = None, n_groups: int = 1) -> np.ndarray:
    """Share of people inside the data's extent, overall or per group.

    Parameters
    ----------
    extent
        The data's extent.
    lon, lat, weight
        Demand points and their people (from a raster or zones).
    group, n_groups
        Each point's group (a district's row; ``-1`` for none), ``None`` for one group; and the number of groups.

    Returns
    -------
    numpy.ndarray
        Per group, the share of its people inside the extent; NaN for a group without people.
    """
    weight = np.asarray(weight, np.float64)
    g = np.zeros(len(weight), np.int64) if group is None else np.asarray(group, np.int64)
    keep = g >= 0
    inside = extent.contains(np.asarray(lon)[keep], np.asarray(lat)[keep])
    total = np.bincount(g[keep], weights=weight[keep], minlength=n_groups)
    cov = np.bincount(g[keep], weights=np.where(inside, weight[keep], 0.0), minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.minimum(cov / total, 1.0), np.nan)


def _people_share(
    extent: DataExtent, own: dict[str, np.ndarray], people: tuple[np.ndarray, np.ndarray, np.ndarray], group: np.ndarray | None = None
) -> np.ndarray:
    """Per area: the people read within the streets' extent, times the area's share inside the population footprint."""
    n = len(next(iter(own.values())))
    read = people_shares(extent, *people, group=group, n_groups=n)[:n]
    return read * own.get("population", np.ones(n))


def area_coverage(
    extent: DataExtent,
    area: shapely.Geometry,
    *,
    name: str = "the study area",
    name_zh: str | None = None,
    people: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> AreaCoverage:
    """How much of one area (the study area, the main urban area) the data covers.

    Parameters
    ----------
    extent
        From :func:`data_extent`.
    area
        A WGS-84 polygon.
    name, name_zh
        The area, for messages (``name_zh`` defaults to ``name``, or 研究区域 for the study area).
    people
        ``(lon, lat, people)`` of the area's demand points when they come from
        a raster or zones (not from OSM), for :attr:`AreaCoverage.people_share`.

    Returns
    -------
    AreaCoverage
    """
    total, covered, own = _shares(extent, np.array([area], dtype=object))
    v = float(_people_share(extent, own, people)[0]) if people is not None else math.nan
    name_zh = name_zh or ("研究区域" if name == "the study area" else name)
    return AreaCoverage(name, float(total[0]), float(covered[0]), float(_ratio(covered, total)[0]), *_limits(own, 0), None if math.isnan(v) else v, name_zh)


def district_coverage(
    extent: DataExtent,
    districts: gpd.GeoDataFrame,
    *,
    people: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    district_of_point: np.ndarray | None = None,
    threshold: float = COMPLETE_SHARE,
) -> pd.DataFrame:
    """How much of every district the data covers, one row per district.

    Parameters
    ----------
    extent
        From :func:`data_extent`.
    districts
        ``district_id``, ``district_name`` and WGS-84 polygons
        (:func:`accessibility.readers.zones.districts_from_file`).
    people
        ``(lon, lat, people)`` of the demand points when they come from a raster or zones.
    district_of_point
        Each demand point's district row, -1 outside
        (:func:`accessibility.stages.districts.district_of_points`); computed when not given.
    threshold
        The least share for ``complete`` (:func:`is_complete`).

    Returns
    -------
    pandas.DataFrame
        In the districts' order: ``district_id``, ``district_name``,
        ``area_km2``, ``covered_km2``, ``share`` (0..1), ``touched`` (the data
        covers any of it), ``complete`` (``people_share`` where known, else
        ``share``, at least ``threshold``), ``limited_by`` (footprints,
        comma-separated, most limiting first), ``people_share`` (NaN when unknown).
    """
    area, covered, own = _shares(extent, districts.geometry.to_numpy())
    share = _ratio(covered, area)
    ps = np.full(len(districts), np.nan)
    if people is not None:
        if district_of_point is None:
            from . import districts as districts_stage

            district_of_point = districts_stage.district_of_points(districts, people[0], people[1])
        ps = _people_share(extent, own, people, district_of_point)
    decisive = np.where(np.isnan(ps), share, ps)
    return pd.DataFrame(
        {
            **{c: districts[c].to_numpy() if c in districts else np.arange(1, len(districts) + 1).astype(str) for c in ("district_id", "district_name")},
            "area_km2": area,
            "covered_km2": covered,
            "share": share,
            "touched": covered > 0.0,
            "complete": decisive >= _check_threshold(threshold),
            "limited_by": [",".join(_limits(own, i)[1]) for i in range(len(districts))],
            "people_share": ps,
        }
    )



def _check_threshold(threshold: float) -> float:
    if not (isinstance(threshold, (int, float)) and 0.0 < threshold <= 1.0):
        raise ValueError(f"the complete-cover threshold must be a share in (0, 1], got {threshold!r}")
    return float(threshold)


def is_complete(share: float | None, threshold: float = COMPLETE_SHARE) -> bool:
    """Whether data covering ``share`` of an area is enough to pass or fail a goal on it.

    Parameters
    ----------
    share
        Covered share (0..1); ``None`` (not measured) counts as complete, as runs did before cover was measured.
    threshold
        The least share for a verdict (default :data:`COMPLETE_SHARE`).

    Returns
    -------
    bool
    """
    return share is None or share >= _check_threshold(threshold)


def scope(share: float | None, threshold: float = COMPLETE_SHARE) -> Literal["complete", "partial", "outside"]:
    """What a verdict on an area can say: ``"complete"`` (pass or fail), ``"partial"`` (the covered part only), ``"outside"`` (no data there).

    Parameters
    ----------
    share, threshold
        As for :func:`is_complete`.

    Returns
    -------
    str
    """
    if is_complete(share, threshold):
        return "complete"
    return "partial" if share is not None and share > 0.0 else "outside"

"""Detect a wrongly declared datum (WGS-84, GCJ-02, BD-09) against the street network.

GCJ-02 points declared as WGS-84, or BD-09 declared as GCJ-02, raise no
error: every facility just moves 0.3-1.2 km. The offset shows against the
streets, though. Correctly placed facilities sit beside a street; misplaced
ones sit anywhere, and they fit far better once re-read in the right system.

Method
------
The given WGS-84 points are turned back into the declared system's raw
coordinates, which are then read in each other system (declared WGS-84 or
CGCS2000: maybe GCJ-02 or BD-09; GCJ-02: WGS-84 or BD-09; BD-09: GCJ-02 or
WGS-84), and every reading is measured against the nearest street. Only
points inside the streets' convex hull under every reading are compared (a
shift off the extract proves nothing). Another reading is reported when:

* at least :data:`MIN_POINTS` points are compared, all in mainland China;
* the per-point log ratio ``log((d_alt + 10) / (d_declared + 10))`` is
  negative by a one-sided Wilcoxon signed-rank test at :data:`ALPHA`;
* its geometric mean, and the ratio of the medians, are at most :data:`MAX_RATIO`;
* the alternative's median distance is at most :data:`MAX_LIKELY_MEDIAN_M`
  (points) or :data:`MAX_LIKELY_MEDIAN_POLYGON_M` (boundaries): the
  re-read points must look correctly placed.

If more than one alternative passes, the one with the smaller geometric mean
wins. Up to :data:`MAX_SAMPLE` points are used (a fixed-seed sample).

Calibration (measured on /work/shared/data)
-------------------------------------------
Median distance (m) to the nearest street, right reading vs. wrong ones, and
the geometric-mean ratio of the best wrong-to-right reading:

* Xi'an Baidu POIs (BD-09, 2017) vs. the Xi'an OSM roads (Geofabrik 2017):
  medical (4,097) 23 vs. 65 as GCJ-02 / 64 as WGS-84, ratio 0.54;
  government (5,646) 24 vs. 69/74, 0.51-0.53; sports (1,969) 31 vs. 52/50,
  0.74-0.76 (not flagged: stadium and gym centres sit inside blocks). In the
  old town's dense alleys (218-1,600 POIs) 18-22 vs. 23-28, 0.78-0.99:
  any point there is ~25 m from a street, so nothing can be told.
* Hangzhou 2015 OSM amenity/shop/tourism/office nodes (413 compared, walk
  network): 15 as they are vs. 40 shifted to GCJ-02, 59 to BD-09 (0.35-0.58).
* Points scattered uniformly: 46-50 m in Hangzhou and central Xi'an under
  every reading (ratios 0.88-1.13); 380-440 m over rural Xi'an.
* 300 random subsets per size: a wrong declaration is flagged in 2-6% of
  lists of 10 points, 14-43% of 20, 66-94% of 50 and 100% of 200; a right
  declaration never at 20 points or more, once in 2,700 lists of 10; uniform
  random points in 0.1-0.4%. Short lists are rarely judged: it keeps silent.
* DataV districts (GCJ-02) of Hangzhou inside the extract, boundary points
  every 200 m (113 compared): 7 m converted, 23 m read as WGS-84 (ratio
  0.62), 52 m as BD-09. City district boundaries follow streets. Moved by
  0.6-4 km (582 readings) they never came closer than a median 17 m (and
  none of 450 moved layers was flagged), yet a
  long line often runs along some other street, so a boundary is flagged
  only when the better reading is within 15 m. OSM park and pitch outlines
  (50 in Hangzhou) do not follow streets closely (31 vs. 35 m): not flagged.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyproj
import shapely

from .. import errors
from ..coords import chinacoords, geodesy, mainland
from ..readers import areas

__all__ = ["DatumFinding", "StreetIndex", "street_index", "suspect_datum", "suspect_datum_of_polygons"]

log = logging.getLogger(__name__)

MIN_POINTS: Final = 10  # fewer cannot reach ALPHA (10 of 10 better: p = 1/1024)
MAX_SAMPLE: Final = 2_000
ALPHA: Final = 0.001
MAX_RATIO: Final = 0.7
MAX_LIKELY_MEDIAN_M: Final = 60.0
MAX_LIKELY_MEDIAN_POLYGON_M: Final = 15.0
BOUNDARY_SPACING_M: Final = 200.0
_SOFT_M: Final = 10.0  # added to distances so that 1 m vs 3 m is no "3x better"
_SEED: Final = 20240601
_NEAR_DEG: Final = 0.02  # more than the largest BD-09 offset (~1.5 km)

_LABELS: Final = {"wgs84": "WGS-84", "cgcs2000": "CGCS2000", "gcj02": "GCJ-02", "bd09": "BD-09"}
_ALTERNATIVES: Final = {"wgs84": ("gcj02", "bd09"), "cgcs2000": ("gcj02", "bd09"), "gcj02": ("wgs84", "bd09"), "bd09": ("gcj02", "wgs84")}
# WGS-84 -> raw coordinates of a system, and raw -> WGS-84 (identity for wgs84/cgcs2000)
_TO_RAW: Final = {"gcj02": chinacoords.wgs84_to_gcj02, "bd09": chinacoords.wgs84_to_bd09}
_FROM_RAW: Final = {"gcj02": chinacoords.gcj02_to_wgs84, "bd09": chinacoords.bd09_to_wgs84}


@dataclass(frozen=True)
class DatumFinding:
    """The coordinates fit the streets far better in another system.

    Attributes
    ----------
    declared, likely
        ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"`` or ``"bd09"``.
    median_m_declared, median_m_likely
        Median distance (m) to the nearest street as declared and as ``likely``.
    n_points
        Points (or boundary points) compared.
    ratio
        Geometric mean of ``(d_likely + 10) / (d_declared + 10)``.
    p_value
        One-sided Wilcoxon signed-rank p-value of that improvement.
    message, message_zh
        The note for the run, in English and Chinese.
    """

    declared: str
    likely: str
    median_m_declared: float
    median_m_likely: float
    n_points: int
    ratio: float
    p_value: float
    message: str
    message_zh: str


class StreetIndex:
    """Distance (m) from WGS-84 points to the nearest street, and the streets' extent.

    Parameters
    ----------
    distance_m
        ``distance_m(lon, lat)`` -> metres, vectorised over WGS-84 arrays.
    coverage
        WGS-84 polygon the streets cover (their convex hull), or ``None``.
    """

    def __init__(self, distance_m: Callable[[np.ndarray, np.ndarray], np.ndarray], coverage: shapely.Geometry | None):
        self.distance_m = distance_m
        self.coverage = coverage

    @classmethod
    def from_edge_index(cls, index: Any) -> StreetIndex:
        """Wrap an :class:`accessibility.snapping.EdgeIndex` (anything with ``snap_points``)."""
        net = getattr(index, "net", None)
        coverage = None
        if net is not None and len(net.nodes):
            coverage = _hull(net.nodes["lon"].to_numpy(np.float64), net.nodes["lat"].to_numpy(np.float64))
        # a weak reference: this wrapper is kept per index in a weak-keyed table, which a strong one would pin for the process's life
        ref = weakref.ref(index)

        def distance_m(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
            found = ref()
            if found is None:
                raise RuntimeError("the edge index this street index wraps is gone")
            return np.asarray(found.snap_points(lon, lat).snap_dist_m, np.float64)

        return cls(distance_m, coverage)

    @classmethod
    def from_lines(cls, lines: Any) -> StreetIndex:
        """Index WGS-84 LineStrings (array, GeoSeries or GeoDataFrame) in their local UTM zone."""
        if hasattr(lines, "geometry") and hasattr(lines, "crs"):  # GeoSeries / GeoDataFrame
            if lines.crs is not None and lines.crs.to_epsg() != 4326:
                lines = lines.to_crs("EPSG:4326")
            lines = lines.geometry.to_numpy()
        geoms = _present(lines)
        if len(geoms) == 0:
            raise errors.InputError("no street lines were given to judge the coordinate system against")
        xy = shapely.get_coordinates(geoms)
        to_metric = pyproj.Transformer.from_crs(
            "EPSG:4326", geodesy.utm_crs_for(float(np.median(xy[:, 0])), float(np.median(xy[:, 1]))), always_xy=True
        )
        tree = shapely.STRtree(shapely.transform(geoms, lambda c: np.column_stack(to_metric.transform(c[:, 0], c[:, 1]))))

        def distance_m(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
            pts = shapely.points(*to_metric.transform(lon, lat))
            (pi, _), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
            out = np.full(len(pts), np.inf)
            out[pi] = dist
            return out

        return cls(distance_m, _hull(xy[:, 0], xy[:, 1]))


_EDGE_INDEXES: weakref.WeakKeyDictionary[Any, StreetIndex] = weakref.WeakKeyDictionary()


def street_index(streets: Any) -> StreetIndex:
    """A :class:`StreetIndex` for an EdgeIndex (cached per index), WGS-84 street lines or a StreetIndex.

    When ``streets`` are lines, build it once and pass it to every call.
    """
    if isinstance(streets, StreetIndex):
        return streets
    if not hasattr(streets, "snap_points"):
        return StreetIndex.from_lines(streets)
    found = _EDGE_INDEXES.get(streets)
    if found is None:
        found = _EDGE_INDEXES[streets] = StreetIndex.from_edge_index(streets)
    return found


def _present(geoms: Any) -> np.ndarray:
    geoms = np.asarray(geoms, dtype=object).reshape(-1)
    return geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]


def _hull(lon: np.ndarray, lat: np.ndarray) -> shapely.Geometry:
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([lon, lat])))
    shapely.prepare(hull)
    return hull


def _readings(lon: np.ndarray, lat: np.ndarray, declared: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """WGS-84 positions of the raw coordinates read in the declared and in each other system."""
    raw = _TO_RAW[declared](lon, lat) if declared in _TO_RAW else (lon, lat)
    out = {declared: (lon, lat)}
    for alt in _ALTERNATIVES[declared]:
        out[alt] = _FROM_RAW[alt](*raw) if alt in _FROM_RAW else raw
    return out


def _judge(lon: Any, lat: Any, *, declared: Any, streets: Any, max_likely_m: float, **say: Any) -> DatumFinding | None:
    crs = areas.parse_crs(declared)
    label = say["source"] or say["what"]
    if crs.kind == "proj":
        log.debug("%s: declared %s is not a lon/lat system; datum not judged", label, crs.label)
        return None
    lon, lat = (a.reshape(-1) for a in mainland.lonlat(lon, lat))
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    if len(lon) < MIN_POINTS or not chinacoords.in_mainland_china(lon, lat).all():
        log.debug("%s: %d points, too few or not all in mainland China; datum not judged", label, len(lon))
        return None
    index = street_index(streets)
    if index.coverage is not None and len(lon) > MAX_SAMPLE:  # sample among the points near the streets
        near = shapely.contains_xy(shapely.buffer(index.coverage, _NEAR_DEG), lon, lat)
        lon, lat = lon[near], lat[near]
    if len(lon) > MAX_SAMPLE:
        pick = np.sort(np.random.default_rng(_SEED).choice(len(lon), MAX_SAMPLE, replace=False))
        lon, lat = lon[pick], lat[pick]
    reads = _readings(lon, lat, crs.kind)
    if index.coverage is not None:  # a reading shifted off the extract proves nothing
        inside = np.logical_and.reduce([shapely.contains_xy(index.coverage, x, y) for x, y in reads.values()])
        reads = {k: (x[inside], y[inside]) for k, (x, y) in reads.items()}
    n = len(reads[crs.kind][0])
    if n < MIN_POINTS:
        log.debug("%s: %d points inside the streets' extent; datum not judged", label, n)
        return None
    names = list(reads)
    dist = index.distance_m(np.concatenate([reads[k][0] for k in names]), np.concatenate([reads[k][1] for k in names]))
    d = dict(zip(names, np.split(dist, len(names)), strict=True))
    m0 = float(np.median(d[crs.kind]))
    best: tuple[str, float, float, float] | None = None
    for alt in _ALTERNATIVES[crs.kind]:
        lr = np.log((d[alt] + _SOFT_M) / (d[crs.kind] + _SOFT_M))
        ratio, m1 = float(np.exp(lr.mean())), float(np.median(d[alt]))
        log.debug("%s: median %.0f m as %s, %.0f m as %s (ratio %.2f)", label, m0, crs.kind, m1, alt, ratio)
        if ratio > MAX_RATIO or m1 > MAX_RATIO * m0 or m1 > max_likely_m or np.count_nonzero(lr) < MIN_POINTS:
            continue
        from scipy import stats  # ~0.5 s to import, for the few lists whose distances look shifted

        p = float(stats.wilcoxon(lr, alternative="less").pvalue)
        if p <= ALPHA and (best is None or ratio < best[1]):
            best = (alt, ratio, m1, p)
    if best is None:
        return None
    alt, ratio, m1, p = best
    finding = DatumFinding(crs.kind, alt, m0, m1, n, ratio, p, *_messages(crs.kind, alt, m0, m1, n, **say))
    log.info("%s", finding.message)
    return finding


def _messages(
    declared: str, likely: str, m0: float, m1: float, n: int, *,
    what: str, what_zh: str | None, source: str | None, option: str | None, unit: tuple[str, str],
) -> tuple[str, str]:
    dec, lik = _LABELS[declared], _LABELS[likely]
    en = (
        f"{f'{source}: the' if source else 'The'} {what} look like {lik}, not {dec} as declared: median {m0:.0f} m "
        f"from the nearest street as declared, {m1:.0f} m if read as {lik} ({n} {unit[0]} compared); "
        f"declare the coordinate system {f'with {option} {likely}' if option else f'as {likely}'}"
    )
    zh = (
        f"{f'{source}：' if source else ''}{what_zh or '坐标'}看起来是{lik}，而非声明的{dec}：按声明的坐标系，"
        f"到最近道路的距离中位数为 {m0:.0f} 米，按{lik}解读则为 {m1:.0f} 米（比较了 {n} 个{unit[1]}）；"
        f"{f'请用 {option} {likely} 声明坐标系' if option else f'请将坐标系声明为 {likely}'}"
    )
    return en, zh


def suspect_datum(
    lon: Any, lat: Any, *, declared: Any, streets: Any, what: str = "points", what_zh: str | None = None,
    source: str | None = None, option: str | None = None,
) -> DatumFinding | None:
    """Tell whether points were declared in the wrong Chinese coordinate system.

    Parameters
    ----------
    lon, lat : array_like
        The points in WGS-84, already converted from ``declared``.
    declared
        What the user declared: ``"wgs84"``, ``"gcj02"``, ``"bd09"``,
        ``"cgcs2000"``, an EPSG string or an :class:`accessibility.areas.DeclaredCRS`.
        Projected systems are not judged (``None``).
    streets
        An :class:`accessibility.snapping.EdgeIndex`, a :class:`StreetIndex`,
        or WGS-84 street LineStrings (array, GeoSeries or GeoDataFrame).
    what, what_zh
        What the points are (e.g. ``"facilities"``, ``"设施"``), for the messages.
    source
        File name to start the messages with.
    option
        Option that declares the system (e.g. ``"--facilities-crs"``), named in the fix.

    Returns
    -------
    DatumFinding or None
        ``None`` when nothing is suspicious, or when the points cannot be
        judged: fewer than :data:`MIN_POINTS` inside the streets' extent,
        any outside mainland China, or a projected ``declared``.

    Raises
    ------
    accessibility.errors.InputError
        If ``declared`` is not understood, the coordinates are invalid, or
        ``streets`` holds no line.
    """
    return _judge(
        lon, lat, declared=declared, streets=streets, max_likely_m=MAX_LIKELY_MEDIAN_M,
        what=what, what_zh=what_zh, source=source, option=option, unit=("points", "点"),
    )


def suspect_datum_of_polygons(
    geoms: Any, *, declared: Any, streets: Any, what: str = "boundaries", what_zh: str | None = None,
    source: str | None = None, option: str | None = None, spacing_m: float = BOUNDARY_SPACING_M,
) -> DatumFinding | None:
    """Tell whether polygons (boundaries, districts) were declared in the wrong system.

    Points every ``spacing_m`` along the boundaries (with their vertices) are
    judged as in :func:`suspect_datum`, but the better reading must lie
    within :data:`MAX_LIKELY_MEDIAN_POLYGON_M` of the streets: boundaries that
    do not follow streets (countryside, water, parks) are never flagged.

    Parameters
    ----------
    geoms : array_like of shapely geometries, GeoSeries or GeoDataFrame
        The polygons in WGS-84, already converted from ``declared`` (lines
        and points are used as they are).
    declared, streets, what, what_zh, source, option
        As for :func:`suspect_datum`.
    spacing_m
        Spacing of the boundary points (m).

    Returns
    -------
    DatumFinding or None
    """
    geoms = _present(geoms.geometry.to_numpy() if hasattr(geoms, "geometry") else geoms)
    polygonal = shapely.get_type_id(geoms) >= shapely.GeometryType.POLYGON
    outline = np.where(polygonal, shapely.boundary(np.where(polygonal, geoms, None)), geoms)
    xy = shapely.get_coordinates(shapely.segmentize(outline, spacing_m / 111_320.0))
    xy = np.unique(np.round(xy, 7), axis=0)  # closed rings and shared borders
    return _judge(
        xy[:, 0], xy[:, 1], declared=declared, streets=streets, max_likely_m=MAX_LIKELY_MEDIAN_POLYGON_M,
        what=what, what_zh=what_zh, source=source, option=option, unit=("boundary points", "边界点"),
    )

"""Slope-aware walking times: Tobler's hiking function along street edges, and a penalty for steps.

A walker profile costs an edge ``length_m * factor / speed_m_s``. The factor of
walking an edge u→v (``forward``) or v→u (``backward``) is the length-weighted
mean, over sub-segments of about ``sample_m`` metres, of the time multiplier
``1 / tobler_speed_factor(grade)`` (:func:`edge_slope_factors`, heights from a
:class:`~accessibility.readers.elevation.Dem`); steps can be made slower on top
(:func:`apply_steps_penalty`).

A DEM gives the height of the *ground*: an edge on a bridge or in a tunnel
reads the valley or the hill it crosses, so its factor is too high. Capping
grades at :data:`MAX_GRADE` bounds that error, and the time factor of any edge
lies between :data:`MIN_TIME_FACTOR` and :data:`MAX_TIME_FACTOR`.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike

from .. import errors
from ..coords.geodesy import utm_crs_for
from ..readers.elevation import Dem

__all__ = ["MAX_GRADE", "MAX_TIME_FACTOR", "MIN_TIME_FACTOR", "SlopeFactors", "apply_steps_penalty", "edge_slope_factors", "tobler_speed_factor"]

log = logging.getLogger(__name__)

#: Grades (rise over run) are capped at ±50 %. The steepest streets on Earth are ~35 %; steeper
#: sub-segments of a street are the DEM's error (bridges, tunnels, cuttings, noise of a 30 m DEM
#: over 10 m), where Tobler's exponential would turn a metre of error into minutes.
MAX_GRADE = 0.5

_TOBLER_K = 3.5  # Tobler's exponent per unit grade
_TOBLER_OFFSET = 0.05  # fastest walking is 5 % downhill

#: Smallest time factor: walking 5 % downhill, Tobler's fastest, 1/1.19 of the flat time.
MIN_TIME_FACTOR = float(np.exp(-_TOBLER_K * _TOBLER_OFFSET))

#: Largest time factor: climbing at :data:`MAX_GRADE`, 5.75 times the flat time.
MAX_TIME_FACTOR = float(np.exp(_TOBLER_K * (MAX_GRADE + _TOBLER_OFFSET) - _TOBLER_K * _TOBLER_OFFSET))


class SlopeFactors(NamedTuple):
    """Per edge: time multipliers of walking it each way, and how much of it had no elevation."""

    forward: np.ndarray
    """Time factor of walking the edge u→v (along its geometry), relative to the flat; float64."""
    backward: np.ndarray
    """Time factor of walking it v→u."""
    missing_share: np.ndarray
    """Share of the edge's length without elevation (outside the DEM, nodata), counted as flat: 1.0 = none at all (factors 1.0)."""

    @property
    def n_without_elevation(self) -> int:
        """Edges with no elevation at all (factor 1.0 both ways)."""
        return int(np.count_nonzero(self.missing_share >= 1.0))

    @property
    def n_partial_elevation(self) -> int:
        """Edges with elevation on part of their length only (the rest counted as flat)."""
        return int(np.count_nonzero((self.missing_share > 0.0) & (self.missing_share < 1.0)))


def tobler_speed_factor(grade: ArrayLike) -> np.ndarray:
    """Walking speed on a grade relative to the flat, from Tobler's hiking function.

    Tobler's hiking function gives the speed ``6 exp(-3.5 |grade + 0.05|)`` km/h
    (5.04 km/h on the flat, fastest at 5 % downhill); this returns its ratio to
    the speed on the flat, ``exp(-3.5 |grade + 0.05|) / exp(-3.5 * 0.05)``, so a
    walker profile keeps its own flat speed. Tobler fitted it to hikers' speeds
    (Imhof's data); older walkers may slow down more on slopes, which a profile can
    express by scaling the resulting time factor.

    Parameters
    ----------
    grade
        Rise over run (0.1 = 10 % uphill, negative downhill). Capped at
        ±:data:`MAX_GRADE`; NaN stays NaN.

    Returns
    -------
    numpy.ndarray
        The speed factor, float64: 1.0 on the flat, 1.19 at 5 % downhill, 1.0 again at
        10 % downhill, 0.70 at 10 % uphill, 0.17 at the cap of 50 % uphill.

    References
    ----------
    W. Tobler (1993), "Three presentations on geographical analysis and modeling:
    non-isotropic geographic modeling; speculations on the geometry of geography;
    global spatial analysis", NCGIA Technical Report 93-1, University of California, Santa Barbara.
    """
    g = np.clip(np.asarray(grade, np.float64), -MAX_GRADE, MAX_GRADE)
    return np.exp(-_TOBLER_K * np.abs(g + _TOBLER_OFFSET) + _TOBLER_K * _TOBLER_OFFSET)


def edge_slope_factors(geoms_wgs84: ArrayLike, dem: Dem, *, sample_m: float = 10.0, metric_crs: pyproj.CRS | None = None) -> SlopeFactors:
    """Time factors of walking each edge both ways over the DEM's slopes, relative to the flat.

    Every line is cut into ``ceil(length / sample_m)`` equal sub-segments, the
    DEM is sampled (bilinearly) at their ends, and each sub-segment's grade
    ``dz / run`` (run along the line) gives a time factor ``1 / tobler_speed_factor(grade)``;
    an edge's factor is the length-weighted mean of its sub-segments' factors,
    with ``+grade`` forward (u→v, along the geometry) and ``-grade`` backward.
    Sub-segments with an end outside the DEM or on nodata count as flat (factor 1.0);
    their share of each edge is returned so the run can say how much was assumed flat.

    Parameters
    ----------
    geoms_wgs84
        LineStrings in WGS-84 (``Network.edges.geometry``), oriented u→v. None and empty
        geometries get factor 1.0 and a missing share of 1.
    dem
        The heights (:func:`~accessibility.readers.elevation.read_dem`, best read with the network's bounds).
    sample_m
        Sub-segment length in metres. Steps shorter than the DEM's pixel
        (:attr:`~accessibility.readers.elevation.Dem.pixel_size_m`) add its noise, not
        detail, and noise only slows walkers (the factor is convex in the grade): over flat
        ground with 2 m of independent noise per 30 m pixel the mean factor is 1.09 at 10 m
        steps, 1.05 at 30 m and 1.01 at 60 m. ``max(10, dem.pixel_size_m)`` is a sound choice.
    metric_crs
        The CRS the lines are measured in; by default the UTM zone of their centre.

    Returns
    -------
    SlopeFactors
        ``forward``, ``backward`` (float64, between :data:`MIN_TIME_FACTOR` and
        :data:`MAX_TIME_FACTOR`) and ``missing_share`` per edge.

    Raises
    ------
    InputError
        If ``sample_m`` is not a positive number.
    """
    if not (np.isfinite(sample_m) and sample_m > 0):
        raise errors.InputError(f"slope sampling step sample_m must be a positive number of metres, got {sample_m!r}; use e.g. 10 or the DEM's pixel size")
    geoms = np.asarray(geoms_wgs84, dtype=object)
    n = len(geoms)
    if not n:
        return SlopeFactors(np.ones(0), np.ones(0), np.zeros(0))
    if metric_crs is None:
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        metric_crs = utm_crs_for((minx + maxx) / 2, (miny + maxy) / 2) if np.isfinite(minx) else pyproj.CRS.from_epsg(3857)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    metric = shapely.transform(geoms, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1])))
    lines = np.isin(shapely.get_type_id(metric), (1, 2, 5)) & ~shapely.is_empty(metric)  # LineString, LinearRing, MultiLineString
    metric = np.where(lines, metric, None)  # anything else has no elevation (GEOS refuses points on empty lines)
    length = np.nan_to_num(shapely.length(metric))  # None -> NaN -> 0

    # equal sub-segments along each line: n_sub + 1 sample points per edge, at fractions k / n_sub of its length
    # (less 1e-6 steps: a 400 m edge measured 400.0000001 m after reprojection keeps 40 sub-segments of 10 m, not 41)
    n_sub = np.maximum(1, np.ceil(length / sample_m - 1e-6)).astype(np.int64)
    pt_edge = np.repeat(np.arange(n), n_sub + 1)
    first_pt = np.concatenate([[0], np.cumsum(n_sub + 1)[:-1]])
    k = np.arange(len(pt_edge)) - first_pt[pt_edge]
    points = shapely.line_interpolate_point(metric[pt_edge], k / n_sub[pt_edge], normalized=True)
    z = dem.sample(shapely.get_x(points), shapely.get_y(points), crs=metric_crs)  # None or empty -> NaN

    not_last = k < n_sub[pt_edge]
    sub_edge = pt_edge[not_last]
    z0, z1 = z[not_last], z[np.flatnonzero(not_last) + 1]
    run = (length / n_sub)[sub_edge]
    rise = z1 - z0  # NaN where an end has no elevation
    grade = np.divide(rise, run, out=np.where(np.isnan(rise), np.nan, 0.0), where=run > 0)  # a zero-length edge is flat
    known = ~np.isnan(grade)
    weight = np.where(length[sub_edge] > 0, run, 1.0)  # one sub-segment of weight 1 for zero-length edges
    total = np.bincount(sub_edge, weights=weight, minlength=n)

    def mean_factor(g: np.ndarray) -> np.ndarray:
        tf = np.where(known, 1.0 / tobler_speed_factor(np.where(known, g, 0.0)), 1.0)
        return np.bincount(sub_edge, weights=weight * tf, minlength=n) / total

    missing = np.bincount(sub_edge, weights=weight * ~known, minlength=n) / total
    result = SlopeFactors(mean_factor(grade), mean_factor(-grade), missing)
    log.info(
        "slope factors of %d edges from %d elevation samples (%.0f m apart): %d without elevation, %d partly",
        n, len(z), sample_m, result.n_without_elevation, result.n_partial_elevation,
    )
    return result


def apply_steps_penalty(factors: ArrayLike, highway: ArrayLike, *, steps_factor: float) -> np.ndarray:
    """Multiply the time factors of steps (``highway == "steps"``) by a walker profile's factor.

    The factor (e.g. 2.0 for older walkers) is a planning assumption of the profile,
    not a measured constant: published stair-walking speeds vary with the stairs'
    rise, the walker's age and the crowd. It multiplies the slope factor, so steps
    on a DEM slope pay both.

    Parameters
    ----------
    factors
        Time factors per edge (e.g. :attr:`SlopeFactors.forward`, or ones without a DEM).
    highway
        The edges' OSM ``highway`` values (``Network.edges["highway"]``).
    steps_factor
        Time multiplier for steps, at least 1 (1 leaves them as they are).

    Returns
    -------
    numpy.ndarray
        A new float64 array: ``factors`` with steps multiplied by ``steps_factor``.

    Raises
    ------
    ConfigError
        If ``steps_factor`` is not a finite number of at least 1.
    """
    if not (np.isfinite(steps_factor) and steps_factor >= 1):
        raise errors.ConfigError(
            f"the walker profile's steps factor must be a number of at least 1 (a time multiplier: 1 = steps as fast as the flat, 2 = twice as slow), "
            f"got {steps_factor!r}; fix it in the profile"
        )
    f = np.asarray(factors, np.float64)
    hw = np.asarray(highway, dtype=object)
    if f.shape != hw.shape:
        raise ValueError(f"factors and highway differ in shape: {f.shape} != {hw.shape}")
    return np.where(hw == "steps", f * steps_factor, f)

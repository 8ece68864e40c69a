"""Convert longitude/latitude between WGS-84, GCJ-02 and BD-09 in mainland China.

Chinese web maps do not publish WGS-84 coordinates:

* **GCJ-02** ("Mars coordinates") is used by AMap/Gaode, Tencent and Google
  Maps' China tiles. It is WGS-84 plus a smooth, position-dependent offset
  (20-700 m, median ~420 m over mainland China), applied inside mainland
  China.
* **BD-09** is used by Baidu. It is GCJ-02 plus a second distortion
  (0.77-0.98 km), so 0.7-1.5 km from WGS-84 in all.

Both offsets are given by the widely published forward formulas
(implemented in :mod:`accessibility.coords.marsformula`). Their inverses have no
closed form; they are inverted by fixed-point iteration to better than
``1e-10`` degrees (about 0.01 mm), far below the precision of any map data.

Where the offset applies
------------------------
The offset is applied only to points in **mainland China**. Hong Kong, Macao,
Taiwan (with Kinmen and Matsu) and all other countries are returned
unchanged. Whether a point is in mainland China is decided by
:func:`in_mainland_china` (from :mod:`accessibility.coords.mainland`), a
point-in-polygon test against an embedded, simplified mainland outline
derived from Natural Earth 1:10m, not the bounding box that most converters
use. The outline is accurate to a few hundred metres along the Hong Kong
border and ~0.5 km along other land borders, but counts parts of north-east
Hengqin (Zhuhai) up to ~3 km from the Macao shore as Macao; see
:mod:`accessibility.coords.mainland` for details.

For inverse conversions (GCJ-02 or BD-09 to WGS-84) the decision is made on
the WGS-84 position being solved for: a point is converted if that position
*or* the given position lies in mainland China. So every mainland point
round-trips exactly; a point outside mainland China within about 1 km of
its border (the size of the offset) may be converted although it was never
offset. That ambiguity is inherent in the obfuscation.

Why not a PyPI package
----------------------
The converters on PyPI (checked: coordtransform 0.2.1, eviltransform 0.1.1,
prcoords 1.0.2, pygcj 0.0.2, geocoordinates-rs 0.14.2) all decide "in China"
with a bounding box, which shifts Hong Kong, Macao, Taiwan and parts of
Vietnam, Korea, Mongolia and Russia too; and their GCJ-02 inverses are the
one-step approximation ``wgs ~ gcj - offset(gcj)`` (median 0.7 m, 95th
percentile 2.4 m, up to ~4 m over mainland China) or iterations that stop
at 1e-6 to 1e-5 degrees (0.1-1 m), mostly one point at a time in Python.
No PyPI package ships a mainland-China outline that excludes Hong Kong and
Macao except as part of Natural Earth's country boundaries, which the
embedded outline is derived from. ``mainland_only=False``
gives the bounding-box behaviour (box 73-135.5 E, 17-54.5 N) for data whose
provider applied the offset there too.

All functions accept scalars or array-likes of equal shape and return a
tuple ``(lon, lat)`` of ``float64`` arrays of that shape. NaN in either input
gives NaN in both outputs.
"""

from __future__ import annotations

import numbers
from typing import Final

import numpy as np
import numpy.typing as npt

from .. import errors
from . import mainland, marsformula

__all__ = [
    "ACCEPTED_CRS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_mainland_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
LonLat = tuple[FloatArray, FloatArray]

# Re-exported: the mainland test that decides where the offsets apply.
in_mainland_china = mainland.in_mainland_china

DEFAULT_TOL: Final = 1e-10  # degrees; ~0.01 mm
DEFAULT_MAX_ITER: Final = 30

ACCEPTED_CRS: Final = ("wgs84", "gcj02", "bd09", "cgcs2000")
_CRS_ALIASES: Final = {
    "wgs84": "wgs84",
    "epsg:4326": "wgs84",
    "gcj02": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "cgcs2000": "cgcs2000",
    "epsg:4490": "cgcs2000",
}


# ---------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------
def _check_iteration(tol: float, max_iter: int) -> None:
    if isinstance(tol, bool) or not (
        isinstance(tol, numbers.Real) and np.isfinite(tol) and tol > 0
    ):
        raise errors.InputError(f"tol must be a positive number of degrees; got {tol!r}.")
    if isinstance(max_iter, bool) or not (
        isinstance(max_iter, numbers.Integral) and max_iter >= 1
    ):
        raise errors.InputError(f"max_iter must be an integer >= 1; got {max_iter!r}.")


# ---------------------------------------------------------------------------
# Masked application
# ---------------------------------------------------------------------------
def _candidates(lon: FloatArray, lat: FloatArray) -> BoolArray:
    """Points that may need converting: finite and inside :data:`mainland.ENVELOPE`."""
    return np.isfinite(lon) & np.isfinite(lat) & mainland.near_china(lon, lat)


def _finish(
    lon: FloatArray,
    lat: FloatArray,
    sel: BoolArray,
    mask: BoolArray,
    new_lon: FloatArray,
    new_lat: FloatArray,
    shape: tuple[int, ...],
) -> LonLat:
    """Copy of the flat input with converted values where ``sel`` and ``mask``."""
    out_lon = lon.copy()
    out_lat = lat.copy()
    idx = np.flatnonzero(sel)[mask]
    out_lon[idx] = new_lon[mask]
    out_lat[idx] = new_lat[mask]
    nan = np.isnan(out_lon) | np.isnan(out_lat)
    out_lon[nan] = np.nan
    out_lat[nan] = np.nan
    return out_lon.reshape(shape), out_lat.reshape(shape)


def _from_wgs(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    mainland_only: bool,
    to_bd: bool,
) -> LonLat:
    lon_a, lat_a = mainland.lonlat(lon, lat)
    shape = lon_a.shape
    lon_a, lat_a = lon_a.reshape(-1), lat_a.reshape(-1)
    sel = _candidates(lon_a, lat_a)
    x, y = lon_a[sel], lat_a[sel]
    mask = mainland.inside(x, y) if mainland_only else np.ones(x.shape, dtype=bool)
    new_lon, new_lat = marsformula.wgs_to_gcj_raw(x, y)
    if to_bd:
        new_lon, new_lat = marsformula.gcj_to_bd_raw(new_lon, new_lat)
    return _finish(lon_a, lat_a, sel, mask, new_lon, new_lat, shape)


def _from_offset(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    source: str,
    target: str,
    mainland_only: bool,
    tol: float,
    max_iter: int,
) -> LonLat:
    """Convert from GCJ-02 or BD-09 (``source``) to ``target``.

    The mainland decision uses the given point and its solved WGS-84
    position (see the module docstring).
    """
    _check_iteration(tol, max_iter)
    lon_a, lat_a = mainland.lonlat(lon, lat)
    shape = lon_a.shape
    lon_a, lat_a = lon_a.reshape(-1), lat_a.reshape(-1)
    sel = _candidates(lon_a, lat_a)
    x, y = lon_a[sel], lat_a[sel]
    if source == "bd09":
        g_lon, g_lat = marsformula.bd_to_gcj_raw(x, y, tol, max_iter)
    else:
        g_lon, g_lat = x, y
    w_lon, w_lat = marsformula.gcj_to_wgs_raw(g_lon, g_lat, tol, max_iter)
    if mainland_only:
        mask = mainland.inside(x, y)
        rest = ~mask
        mask[rest] = mainland.inside(w_lon[rest], w_lat[rest])
    else:
        mask = np.ones(x.shape, dtype=bool)
    if target == "wgs84":
        new_lon, new_lat = w_lon, w_lat
    elif target == "gcj02":  # from bd09
        new_lon, new_lat = g_lon, g_lat
    else:  # "bd09" from gcj02
        new_lon, new_lat = marsformula.gcj_to_bd_raw(g_lon, g_lat)
    return _finish(lon_a, lat_a, sel, mask, new_lon, new_lat, shape)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------
def wgs84_to_gcj02(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, mainland_only: bool = True
) -> LonLat:
    """Convert WGS-84 to GCJ-02 (AMap/Gaode, Tencent).

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitude and latitude in degrees, of equal shape.
    mainland_only : bool, default True
        Apply the offset only inside mainland China (see
        :func:`in_mainland_china`); other points are returned unchanged.
        ``False`` applies it to every point in the box 73-135.5 E, 17-54.5 N,
        as most other converters do (Hong Kong, Macao, Taiwan and parts of
        neighbouring countries are then shifted too); points outside the
        box are always returned unchanged.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        GCJ-02 coordinates, same shape as the inputs.

    Raises
    ------
    accessibility.errors.InputError
        If the inputs are not numeric, differ in shape or are out of range.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.3975, 39.9087)
    >>> round(float(lon), 6), round(float(lat), 6)
    (116.403744, 39.910103)
    """
    return _from_wgs(lon, lat, mainland_only, to_bd=False)


def wgs84_to_bd09(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, mainland_only: bool = True
) -> LonLat:
    """Convert WGS-84 to BD-09 (Baidu), via GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitude and latitude in degrees, of equal shape.
    mainland_only : bool, default True
        Convert only points inside mainland China; others are returned
        unchanged. ``False`` converts every point in the box 73-135.5 E,
        17-54.5 N (see :func:`wgs84_to_gcj02`).

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        BD-09 coordinates, same shape as the inputs.

    Raises
    ------
    accessibility.errors.InputError
        If the inputs are not numeric, differ in shape or are out of range.
    """
    return _from_wgs(lon, lat, mainland_only, to_bd=True)


def gcj02_to_wgs84(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    mainland_only: bool = True,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
) -> LonLat:
    """Convert GCJ-02 (AMap/Gaode, Tencent) to WGS-84 by exact iterative inversion.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees, of equal shape.
    mainland_only : bool, default True
        Convert only points whose WGS-84 position (or the given position) is
        in mainland China; others are returned unchanged. ``False``
        converts every point in the box 73-135.5 E, 17-54.5 N (see
        :func:`wgs84_to_gcj02`).
    tol : float, default 1e-10
        Stop when the forward transform of the result reproduces the input
        to within ``tol`` degrees in both coordinates.
    max_iter : int, default 30
        Iteration limit (about 4 iterations are needed in practice).

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        WGS-84 coordinates, same shape as the inputs.

    Raises
    ------
    accessibility.errors.InputError
        If the inputs are invalid, or the iteration does not converge
        within ``max_iter`` (it needs about 4 at the default ``tol``).

    Notes
    -----
    The common one-step inverse ``gcj - offset(gcj)`` is wrong by up to ~4 m;
    this function iterates ``w <- w - (wgs84_to_gcj02(w) - gcj)`` from it.
    """
    return _from_offset(
        lon, lat, source="gcj02", target="wgs84",
        mainland_only=mainland_only, tol=tol, max_iter=max_iter,
    )


def gcj02_to_bd09(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    mainland_only: bool = True,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
) -> LonLat:
    """Convert GCJ-02 (AMap/Gaode, Tencent) to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees, of equal shape.
    mainland_only : bool, default True
        Convert only points in mainland China (decided, as for
        :func:`gcj02_to_wgs84`, on their WGS-84 position); others are
        returned unchanged. ``False``: every point in the box 73-135.5 E,
        17-54.5 N.
    tol, max_iter
        Passed to the GCJ-02 inversion that locates the point.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        BD-09 coordinates, same shape as the inputs.

    Raises
    ------
    accessibility.errors.InputError
        If the inputs are not numeric, differ in shape or are out of range.
    """
    return _from_offset(
        lon, lat, source="gcj02", target="bd09",
        mainland_only=mainland_only, tol=tol, max_iter=max_iter,
    )


def bd09_to_gcj02(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    mainland_only: bool = True,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
) -> LonLat:
    """Convert BD-09 (Baidu) to GCJ-02 by exact iterative inversion.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees, of equal shape.
    mainland_only : bool, default True
        Convert only points whose WGS-84 position (or the given position) is
        in mainland China; others are returned unchanged. ``False``: every
        point in the box 73-135.5 E, 17-54.5 N.
    tol : float, default 1e-10
        Convergence tolerance in degrees.
    max_iter : int, default 30
        Iteration limit.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        GCJ-02 coordinates, same shape as the inputs.

    Raises
    ------
    accessibility.errors.InputError
        If the inputs are invalid or the iteration does not converge.

    Notes
    -----
    The usual closed-form inverse (subtracting the distortion evaluated at
    the BD-09 point) is good to ~0.2 m; it is used as the starting point and
    refined to ``tol``.
    """
    return _from_offset(
        lon, lat, source="bd09", target="gcj02",
        mainland_only=mainland_only, tol=tol, max_iter=max_iter,
    )


def bd09_to_wgs84(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    mainland_only: bool = True,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
) -> LonLat:
    """Convert BD-09 (Baidu) to WGS-84 by exact iterative inversion.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees, of equal shape.
    mainland_only : bool, default True
        Convert only points whose WGS-84 position (or the given position) is
        in mainland China; others are returned unchanged. ``False``: every
        point in the box 73-135.5 E, 17-54.5 N.
    tol : float, default 1e-10
        Convergence tolerance in degrees (for each of the two inversions).
    max_iter : int, default 30
        Iteration limit.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        WGS-84 coordinates, same shape as the inputs.

    Raises
    ------
    accessibility.errors.InputError
        If the inputs are invalid or the iteration does not converge.

    Examples
    --------
    Baidu's position of a Xi'an POI (BD-09) to WGS-84:

    >>> lon, lat = bd09_to_wgs84(108.945365, 34.25656)
    >>> round(float(lon), 5), round(float(lat), 5)
    (108.93427, 34.25201)
    """
    return _from_offset(
        lon, lat, source="bd09", target="wgs84",
        mainland_only=mainland_only, tol=tol, max_iter=max_iter,
    )


def _normalise_crs(crs: object) -> str:
    if isinstance(crs, str):
        key = crs.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
        if key in _CRS_ALIASES:
            return _CRS_ALIASES[key]
    raise errors.InputError(
        f"unknown crs {crs!r}; accepted: {', '.join(repr(c) for c in ACCEPTED_CRS)} "
        "(case, '-' and '_' are ignored; 'EPSG:4326', 'EPSG:4490' and 'bd09ll' "
        "are also understood). Baidu Mercator metres (bd09mc) are not supported."
    )


def to_wgs84(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    crs: str,
    mainland_only: bool = True,
) -> LonLat:
    """Convert coordinates in a named Chinese web-map system to WGS-84.

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude in degrees, of equal shape.
    crs : {"wgs84", "gcj02", "bd09", "cgcs2000"}
        The system of the input: ``"gcj02"`` for AMap/Gaode and Tencent,
        ``"bd09"`` for Baidu, ``"wgs84"`` for GPS/OSM, ``"cgcs2000"`` for
        Chinese official (e.g. Tianditu) data. Case, ``-`` and ``_`` are
        ignored (``"GCJ-02"`` works).
    mainland_only : bool, default True
        See :func:`gcj02_to_wgs84`.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        WGS-84 coordinates (a copy for ``"wgs84"`` and ``"cgcs2000"``).

    Raises
    ------
    accessibility.errors.InputError
        If ``crs`` is not one of the accepted names, or the coordinates are
        invalid.
    """
    name = _normalise_crs(crs)
    if name == "gcj02":
        return gcj02_to_wgs84(lon, lat, mainland_only=mainland_only)
    if name == "bd09":
        return bd09_to_wgs84(lon, lat, mainland_only=mainland_only)
    # "wgs84", and "cgcs2000": CGCS2000 (China Geodetic Coordinate System
    # 2000, EPSG:4490) is a geocentric ITRF97 realisation at epoch 2000.0 on
    # an ellipsoid that differs from WGS-84's only by 0.1 mm in the semi-minor
    # axis. Current WGS-84 realisations are aligned with recent ITRFs, so the
    # two differ only by the plate motion since 2000 plus frame offsets:
    # decimetres to under a metre in China, below the accuracy of POI
    # and map data and far below the GCJ-02/BD-09 offsets. Like most GIS work
    # in China we therefore treat CGCS2000 longitude/latitude as WGS-84 and
    # return it unchanged.
    lon_a, lat_a = mainland.lonlat(lon, lat)
    return lon_a.copy(), lat_a.copy()

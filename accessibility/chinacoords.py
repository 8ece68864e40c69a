"""Convert longitude/latitude between WGS-84, GCJ-02 and BD-09 in mainland China.

Chinese web maps do not publish WGS-84 coordinates:

* **GCJ-02** ("Mars coordinates") is used by AMap/Gaode, Tencent and Google
  Maps' China tiles. It is WGS-84 plus a smooth, position-dependent offset
  (20-700 m, median ~420 m over mainland China), applied inside mainland
  China.
* **BD-09** is used by Baidu. It is GCJ-02 plus a second distortion
  (0.77-0.98 km), so 0.7-1.5 km from WGS-84 in all.

Both offsets are given by the widely published forward formulas implemented
below. Their inverses have no closed form; this module inverts them by
fixed-point iteration to better than ``1e-10`` degrees (about 0.01 mm), far
below the precision of any map data.

Where the offset applies
------------------------
The offset is applied only to points in **mainland China**. Hong Kong, Macao,
Taiwan (with Kinmen and Matsu) and all other countries are returned
unchanged. Whether a point is in mainland China is a point-in-polygon test
against an embedded, simplified mainland outline (``data/china_mainland.geojson``,
derived from public-domain Natural Earth 1:10m boundaries; see
``data/china_mainland_build.py``), not the bounding box that most converters
use. The outline includes a coastal strip of about 30 km (islands, reclaimed
land, ports) split with the neighbours along the equidistance line.

Accuracy of that outline: along the Shenzhen-Hong Kong border it follows
Natural Earth to ~30 m, and Natural Earth is there within ~200-300 m of the
real border (checked against OpenStreetMap-based boundaries). Near Macao
Natural Earth is coarse: its Hengqin island (Zhuhai) lacks the north-east,
so parts of north-east Hengqin up to ~3 km from the Macao shore count as
Macao and are left unconverted. Land borders with other countries follow
Natural Earth to ~0.5 km. Points that close to a border may be classified
wrongly.

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

import functools
import json
import numbers
from collections.abc import Callable
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely

from . import errors

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

# --- GCJ-02 constants (the published forward formula) -----------------------
# Semi-major axis and first eccentricity squared of the Krasovsky 1940
# ellipsoid, which the GCJ-02 formula uses to turn its metre offsets into
# degrees (it mixes this with WGS-84 input; that is part of the definition).
_GCJ_A: Final = 6378245.0
_GCJ_EE: Final = 0.00669342162296594323
# --- BD-09 constants ---------------------------------------------------------
_BD_X_PI: Final = np.pi * 3000.0 / 180.0
_BD_DLON: Final = 0.0065
_BD_DLAT: Final = 0.006

DEFAULT_TOL: Final = 1e-10  # degrees; ~0.01 mm
DEFAULT_MAX_ITER: Final = 30

_DATA_FILE: Final = Path(__file__).resolve().parent / "data" / "china_mainland.geojson"
# Box (lon0, lat0, lon1, lat1) around the mainland polygon with >= 0.5 degree
# to spare (checked in tests). Points outside it are never converted and skip
# all the work; with ``mainland_only=False`` every point inside it is
# converted (the bounding-box behaviour of other converters).
_ENVELOPE: Final = (73.0, 17.0, 135.5, 54.5)

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
def _as_float_array(value: npt.ArrayLike, name: str) -> FloatArray:
    raw = np.asarray(value)
    if raw.dtype.kind not in "iufO":
        raise errors.InputError(
            f"{name} must be real numbers (degrees); got an array of dtype "
            f"{raw.dtype} ({raw.dtype.kind!r})."
        )
    try:
        return np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise errors.InputError(f"{name} must be real numbers (degrees): {exc}") from exc


def _lonlat(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    """Validate and convert to float64 arrays of equal shape."""
    lon_a = _as_float_array(lon, "lon")
    lat_a = _as_float_array(lat, "lat")
    if lon_a.shape != lat_a.shape:
        raise errors.InputError(
            f"lon and lat must have the same shape; got lon {lon_a.shape} and "
            f"lat {lat_a.shape}."
        )
    if np.isinf(lon_a).any() or np.isinf(lat_a).any():
        raise errors.InputError("lon/lat contain infinite values; use NaN for missing points.")
    with np.errstate(invalid="ignore"):
        bad_lat = np.abs(lat_a) > 90.0
        bad_lon = np.abs(lon_a) > 180.0
    if bad_lat.any():
        first = lat_a[bad_lat].ravel()[0]
        raise errors.InputError(
            f"{int(bad_lat.sum())} latitude(s) outside [-90, 90] (e.g. {first!r}); "
            "arguments are (lon, lat): were they swapped?"
        )
    if bad_lon.any():
        first = lon_a[bad_lon].ravel()[0]
        raise errors.InputError(
            f"{int(bad_lon.sum())} longitude(s) outside [-180, 180] (e.g. {first!r})."
        )
    return lon_a, lat_a


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
# Mainland polygon
# ---------------------------------------------------------------------------
@functools.cache
def _mainland_polygon() -> shapely.Geometry:
    """Load (once, on first use) and prepare the mainland-China polygon."""
    try:
        collection = json.loads(_DATA_FILE.read_text(encoding="utf-8"))
        geometry = shapely.from_geojson(json.dumps(collection["features"][0]["geometry"]))
    except FileNotFoundError as exc:
        raise errors.InputFileNotFoundError(
            f"the embedded mainland-China boundary {_DATA_FILE} is missing; "
            "reinstall the package."
        ) from exc
    except (OSError, KeyError, IndexError, ValueError, shapely.errors.GEOSException) as exc:
        raise errors.InputError(
            f"cannot read the embedded mainland-China boundary {_DATA_FILE}: {exc}; "
            "reinstall the package."
        ) from exc
    shapely.prepare(geometry)
    return geometry


def _near_china(lon: FloatArray, lat: FloatArray) -> BoolArray:
    x0, y0, x1, y1 = _ENVELOPE
    with np.errstate(invalid="ignore"):
        return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def _inside(lon: FloatArray, lat: FloatArray) -> BoolArray:
    """Point-in-polygon test; NaN gives False."""
    out = _near_china(lon, lat)
    if out.any():
        out[out] = shapely.contains_xy(_mainland_polygon(), lon[out], lat[out])
    return out


def in_mainland_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> BoolArray:
    """Tell whether points lie in mainland China (where the offsets apply).

    Mainland China here excludes Hong Kong, Macao and Taiwan (including
    Kinmen and Matsu) and includes a coastal strip of about 30 km.

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude in degrees, of equal shape.

    Returns
    -------
    numpy.ndarray of bool
        Same shape as the inputs; ``False`` for NaN.

    Raises
    ------
    accessibility.errors.InputError
        If the inputs are not numeric, differ in shape or are out of range.

    Notes
    -----
    The test uses an embedded outline derived from Natural Earth 1:10m. It
    is accurate to a few hundred metres along the Hong Kong border and to
    about 0.5 km along other land borders; near Macao, parts of north-east
    Hengqin (Zhuhai) up to ~3 km from the Macao shore count as Macao. The
    inputs should be WGS-84; the offsets (< 2 km) only matter near borders.

    Examples
    --------
    >>> in_mainland_china([116.3975, 114.1694], [39.9087, 22.3193]).tolist()
    [True, False]
    """
    lon_a, lat_a = _lonlat(lon, lat)
    return _inside(lon_a.reshape(-1), lat_a.reshape(-1)).reshape(lon_a.shape)


# ---------------------------------------------------------------------------
# Raw (unmasked) transforms on float64 arrays
# ---------------------------------------------------------------------------
def _gcj_offset(lon: FloatArray, lat: FloatArray) -> LonLat:
    """GCJ-02 minus WGS-84, in degrees, at WGS-84 position (lon, lat).

    This is the published formula (``transformLat``/``transformLon`` with
    ``a = 6378245``, ``ee = 0.00669342162296594323``). To save a third of
    the sine evaluations, which dominate the cost, ``sin(pi x)``,
    ``sin(pi y)`` and ``sin(6 pi x)`` are computed from ``sin(pi x / 3)``,
    ``sin(pi y / 3)`` and ``sin(2 pi x)`` with ``sin 3t = 3 sin t - 4 sin^3 t``,
    and ``cos(lat)`` as ``sqrt(1 - sin^2(lat))``; results differ from the
    textbook code by at most ~1e-14 degrees (a nanometre).
    """
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi

    def sin3(s: FloatArray) -> FloatArray:  # sin(3t) from s = sin(t)
        return s * (3.0 - 4.0 * s * s)

    s_x3 = np.sin(x / 3.0 * pi)  # sin(pi x / 3)
    s_y3 = np.sin(y / 3.0 * pi)  # sin(pi y / 3)
    s_2x = np.sin(2.0 * x * pi)  # sin(2 pi x)
    sqrt_abs_x = np.sqrt(np.abs(x))
    # (20 sin(6 pi x) + 20 sin(2 pi x)) * 2/3, common to both offsets
    wave_x = (20.0 * sin3(s_2x) + 20.0 * s_2x) * 2.0 / 3.0
    dlat_m = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
        + wave_x
        + (20.0 * sin3(s_y3) + 40.0 * s_y3) * 2.0 / 3.0  # sin(pi y), sin(pi y / 3)
        + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    dlon_m = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
        + wave_x
        + (20.0 * sin3(s_x3) + 40.0 * s_x3) * 2.0 / 3.0  # sin(pi x), sin(pi x / 3)
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    sin_lat = np.sin(lat / 180.0 * pi)
    magic = 1.0 - _GCJ_EE * sin_lat * sin_lat
    sqrt_magic = np.sqrt(magic)
    cos_lat = np.sqrt(1.0 - sin_lat * sin_lat)  # |lat| <= 90 so cos(lat) >= 0
    dlat = (dlat_m * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon_m * 180.0) / (_GCJ_A / sqrt_magic * cos_lat * pi)
    return dlon, dlat


def _wgs_to_gcj_raw(lon: FloatArray, lat: FloatArray) -> LonLat:
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _gcj_to_bd_raw(lon: FloatArray, lat: FloatArray) -> LonLat:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_to_gcj_approx(lon: FloatArray, lat: FloatArray) -> LonLat:
    """The usual closed-form BD-09 -> GCJ-02 approximation (error <= ~0.2 m)."""
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[FloatArray, FloatArray], LonLat],
    target_lon: FloatArray,
    target_lat: FloatArray,
    start_lon: FloatArray,
    start_lat: FloatArray,
    tol: float,
    max_iter: int,
    what: str,
) -> LonLat:
    """Solve ``forward(p) == target`` by fixed-point iteration from ``start``.

    ``p <- p - (forward(p) - target)`` converges because both offsets vary
    slowly (their Jacobian differs from the identity by < 1e-2), each step
    gaining about three decimal digits. NaN targets stay NaN.
    """
    lon = start_lon.copy()
    lat = start_lat.copy()
    idx = np.arange(lon.size)  # points not yet converged
    for iteration in range(max_iter + 1):
        f_lon, f_lat = forward(lon[idx], lat[idx])
        r_lon = f_lon - target_lon[idx]
        r_lat = f_lat - target_lat[idx]
        # NaN residuals compare False and so count as converged.
        still = (np.abs(r_lon) > tol) | (np.abs(r_lat) > tol)
        idx, r_lon, r_lat = idx[still], r_lon[still], r_lat[still]
        if idx.size == 0:
            return lon, lat
        if iteration == max_iter:
            break
        lon[idx] -= r_lon
        lat[idx] -= r_lat
    worst = float(np.max(np.hypot(r_lon, r_lat)))
    raise errors.InputError(
        f"{what}: {idx.size} point(s) did not converge in {max_iter} "
        f"iterations (largest residual {worst:.3g} degrees); raise max_iter or tol."
    )


def _gcj_to_wgs_raw(lon: FloatArray, lat: FloatArray, tol: float, max_iter: int) -> LonLat:
    # One-step start (error up to ~4 m), then iterate to ``tol``.
    dlon, dlat = _gcj_offset(lon, lat)
    return _invert(
        _wgs_to_gcj_raw, lon, lat, lon - dlon, lat - dlat, tol, max_iter,
        "GCJ-02 -> WGS-84",
    )


def _bd_to_gcj_raw(lon: FloatArray, lat: FloatArray, tol: float, max_iter: int) -> LonLat:
    start_lon, start_lat = _bd_to_gcj_approx(lon, lat)
    return _invert(
        _gcj_to_bd_raw, lon, lat, start_lon, start_lat, tol, max_iter, "BD-09 -> GCJ-02"
    )


# ---------------------------------------------------------------------------
# Masked application
# ---------------------------------------------------------------------------
def _candidates(lon: FloatArray, lat: FloatArray) -> BoolArray:
    """Points that may need converting: finite and inside ``_ENVELOPE``."""
    return np.isfinite(lon) & np.isfinite(lat) & _near_china(lon, lat)


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
    lon_a, lat_a = _lonlat(lon, lat)
    shape = lon_a.shape
    lon_a, lat_a = lon_a.reshape(-1), lat_a.reshape(-1)
    sel = _candidates(lon_a, lat_a)
    x, y = lon_a[sel], lat_a[sel]
    mask = _inside(x, y) if mainland_only else np.ones(x.shape, dtype=bool)
    new_lon, new_lat = _wgs_to_gcj_raw(x, y)
    if to_bd:
        new_lon, new_lat = _gcj_to_bd_raw(new_lon, new_lat)
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
    lon_a, lat_a = _lonlat(lon, lat)
    shape = lon_a.shape
    lon_a, lat_a = lon_a.reshape(-1), lat_a.reshape(-1)
    sel = _candidates(lon_a, lat_a)
    x, y = lon_a[sel], lat_a[sel]
    if source == "bd09":
        g_lon, g_lat = _bd_to_gcj_raw(x, y, tol, max_iter)
    else:
        g_lon, g_lat = x, y
    w_lon, w_lat = _gcj_to_wgs_raw(g_lon, g_lat, tol, max_iter)
    if mainland_only:
        mask = _inside(x, y)
        rest = ~mask
        mask[rest] = _inside(w_lon[rest], w_lat[rest])
    else:
        mask = np.ones(x.shape, dtype=bool)
    if target == "wgs84":
        new_lon, new_lat = w_lon, w_lat
    elif target == "gcj02":  # from bd09
        new_lon, new_lat = g_lon, g_lat
    else:  # "bd09" from gcj02
        new_lon, new_lat = _gcj_to_bd_raw(g_lon, g_lat)
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
    lon_a, lat_a = _lonlat(lon, lat)
    return lon_a.copy(), lat_a.copy()

"""GCJ-02 and BD-09 forward formulas and their iterative inverses (unmasked).

Chinese web maps do not publish WGS-84 coordinates:

* **GCJ-02** ("Mars coordinates", AMap/Gaode, Tencent) is WGS-84 plus a
  smooth, position-dependent offset (20-700 m, median ~420 m over mainland
  China).
* **BD-09** (Baidu) is GCJ-02 plus a second distortion (0.77-0.98 km).

Both offsets are given by the widely published forward formulas implemented
here. Their inverses have no closed form; this module inverts them by
fixed-point iteration to better than ``1e-10`` degrees (about 0.01 mm) at
the default tolerance, far below the precision of any map data.

The functions work on flat ``float64`` arrays of already validated degrees
and apply the formulas to every point: deciding which points to convert
(mainland China only, see :mod:`accessibility.coords.mainland`), input validation,
shapes and NaN handling are left to the public API in
:mod:`accessibility.coords.chinacoords`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt

from .. import errors

__all__ = ["bd_to_gcj_raw", "gcj_to_bd_raw", "gcj_to_wgs_raw", "wgs_to_gcj_raw"]

FloatArray = npt.NDArray[np.float64]
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


def wgs_to_gcj_raw(lon: FloatArray, lat: FloatArray) -> LonLat:
    """WGS-84 -> GCJ-02 by the published formula, for every point."""
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj_to_bd_raw(lon: FloatArray, lat: FloatArray) -> LonLat:
    """GCJ-02 -> BD-09 by the published formula, for every point."""
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


def gcj_to_wgs_raw(lon: FloatArray, lat: FloatArray, tol: float, max_iter: int) -> LonLat:
    """GCJ-02 -> WGS-84 by iterative inversion to ``tol`` degrees, for every point.

    Raises :class:`accessibility.errors.InputError` if some point does not
    converge within ``max_iter`` iterations.
    """
    # One-step start (error up to ~4 m), then iterate to ``tol``.
    dlon, dlat = _gcj_offset(lon, lat)
    return _invert(
        wgs_to_gcj_raw, lon, lat, lon - dlon, lat - dlat, tol, max_iter,
        "GCJ-02 -> WGS-84",
    )


def bd_to_gcj_raw(lon: FloatArray, lat: FloatArray, tol: float, max_iter: int) -> LonLat:
    """BD-09 -> GCJ-02 by iterative inversion to ``tol`` degrees, for every point.

    Raises :class:`accessibility.errors.InputError` if some point does not
    converge within ``max_iter`` iterations.
    """
    start_lon, start_lat = _bd_to_gcj_approx(lon, lat)
    return _invert(
        gcj_to_bd_raw, lon, lat, start_lon, start_lat, tol, max_iter, "BD-09 -> GCJ-02"
    )

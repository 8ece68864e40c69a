"""Distances on the WGS-84 ellipsoid and the metric projection for a place."""

from __future__ import annotations

import numpy as np
import pyproj

__all__ = ["haversine_m", "path_steps_m", "utm_crs_for"]


_EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)

def haversine_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres, vectorised.

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        The two ends, in degrees (arrays broadcast together).

    Returns
    -------
    numpy.ndarray
        Distance on a sphere of the Earth's mean radius (6,371,008.8 m).
    """
    lon1, lat1, lon2, lat2 = (np.radians(a) for a in (lon1, lat1, lon2, lat2))
    return _haversine(lat2 - lat1, lon2 - lon1, np.cos(lat1), np.cos(lat2))


def path_steps_m(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """:func:`haversine_m` between consecutive points (``n - 1`` distances), equal to it to the bit.

    Each point's radians and cosine are computed once, not once for each step
    it ends (the steps of a million-node network's references: half the passes
    over their arrays, and no gathers of their ends).
    """
    lon, lat = np.radians(lon), np.radians(lat)
    cos_lat = np.cos(lat)
    return _haversine(lat[1:] - lat[:-1], lon[1:] - lon[:-1], cos_lat[:-1], cos_lat[1:])


def _haversine(dlat: np.ndarray, dlon: np.ndarray, cos_lat1: np.ndarray, cos_lat2: np.ndarray) -> np.ndarray:
    """Great-circle metres from the ends' differences (radians) and their latitudes' cosines."""
    a = np.sin(dlat / 2) ** 2 + cos_lat1 * cos_lat2 * np.sin(dlon / 2) ** 2
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def utm_crs_for(lon: float, lat: float) -> pyproj.CRS:
    """The WGS-84 UTM zone containing a point: the projected CRS for metric work.

    Parameters
    ----------
    lon, lat
        The point, in degrees.

    Returns
    -------
    pyproj.CRS
        EPSG:326xx north of the equator, EPSG:327xx south of it.
    """
    zone = int(np.floor((lon + 180) / 6)) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)

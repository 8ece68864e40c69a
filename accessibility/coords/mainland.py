"""Decide whether points lie in mainland China, where GCJ-02/BD-09 offsets apply.

The Chinese web-map offsets converted by :mod:`accessibility.coords.chinacoords`
are applied only to points in **mainland China**. Hong Kong, Macao, Taiwan
(with Kinmen and Matsu) and all other countries are left unchanged. Whether a
point is in mainland China is a point-in-polygon test against an embedded,
simplified mainland outline (``data/china_mainland.geojson``, derived from
public-domain Natural Earth 1:10m boundaries; see
``data/china_mainland_build.py``), not the bounding box that most converters
use. The outline includes a coastal strip of about 30 km (islands, reclaimed
land, ports) split with the neighbours along the equidistance line.

Accuracy of the outline
-----------------------
Along the Shenzhen-Hong Kong border it follows Natural Earth to ~30 m, and
Natural Earth is there within ~200-300 m of the real border (checked against
OpenStreetMap-based boundaries). Near Macao Natural Earth is coarse: its
Hengqin island (Zhuhai) lacks the north-east, so parts of north-east Hengqin
up to ~3 km from the Macao shore count as Macao and are left unconverted.
Land borders with other countries follow Natural Earth to ~0.5 km. Points
that close to a border may be classified wrongly.

The outline is read from the package data on first use and cached; importing
this module reads no file. Points outside :data:`ENVELOPE` skip the polygon
test. The module also holds the longitude/latitude input validation
(:func:`lonlat`) shared with :mod:`accessibility.coords.chinacoords`.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely

from .. import errors

__all__ = ["ENVELOPE", "in_mainland_china", "inside", "lonlat", "near_china"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
LonLat = tuple[FloatArray, FloatArray]

_DATA_FILE: Final = Path(__file__).resolve().parent / "data" / "china_mainland.geojson"
# Box (lon0, lat0, lon1, lat1) around the mainland polygon with >= 0.5 degree
# to spare (checked in tests). Points outside it are never converted and skip
# all the work; with ``mainland_only=False`` every point inside it is
# converted (the bounding-box behaviour of other converters).
ENVELOPE: Final = (73.0, 17.0, 135.5, 54.5)


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


def lonlat(lon: npt.ArrayLike, lat: npt.ArrayLike) -> LonLat:
    """Validate and convert to float64 arrays of equal shape.

    Parameters
    ----------
    lon, lat
        Degrees: numbers, sequences or arrays of the same shape.

    Returns
    -------
    lon, lat
        float64 arrays (NaN passes, for missing points).

    Raises
    ------
    InputError
        For non-numeric input, unequal shapes, infinities or out-of-range
        degrees (the message suggests swapped arguments for latitudes beyond 90).
    """
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


def near_china(lon: FloatArray, lat: FloatArray) -> BoolArray:
    """Whether points lie inside :data:`ENVELOPE` (flat float64 arrays; NaN gives False)."""
    x0, y0, x1, y1 = ENVELOPE
    with np.errstate(invalid="ignore"):
        return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def inside(lon: FloatArray, lat: FloatArray) -> BoolArray:
    """Point-in-polygon test on flat float64 arrays; NaN gives False."""
    out = near_china(lon, lat)
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
    lon_a, lat_a = lonlat(lon, lat)
    return inside(lon_a.reshape(-1), lat_a.reshape(-1)).reshape(lon_a.shape)

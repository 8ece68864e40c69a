"""Digital elevation models (DEM): a GeoTIFF of ground heights in metres, sampled at WGS-84 points.

:func:`read_dem` opens a one-band elevation raster in any CRS (SRTM and
Copernicus GLO-30 tiles in EPSG:4326, a planning bureau's DEM in a UTM or
CGCS2000 Gauss-Krüger projection...) and reads either the whole raster or only
the window covering the given WGS-84 bounds. :meth:`Dem.sample` interpolates
the heights bilinearly at points: NaN outside the raster (or the window read)
and on nodata.

Rasters that are not elevations in metres are refused before they can
mislead, each message naming the file and the fix: several bands, colour
pictures (RGB, palette, JPEG-compressed), complex numbers, no CRS, and values
no ground on Earth reaches (below :data:`MIN_ELEVATION_M` or above
:data:`MAX_ELEVATION_M`: an undeclared nodata value such as SRTM's -32768, or
units of feet or decimetres).
"""

from __future__ import annotations

import functools
import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import rasterio
import rasterio.errors
import rasterio.windows
from affine import Affine
from numpy.typing import ArrayLike
from rasterio.crs import CRS
from rasterio.enums import ColorInterp, Compression
from rasterio.warp import transform_bounds
from scipy import ndimage

from .. import errors
from ..coords.geodesy import haversine_m
from . import rasters

try:  # GDAL errors raised at read time (truncated strips, corrupt LZW) come as CPLE_* exceptions
    from rasterio._err import CPLE_BaseError
except ImportError:  # pragma: no cover - private module; RasterioError still catches what rasterio wraps
    CPLE_BaseError = rasterio.errors.RasterioError

__all__ = ["MAX_ELEVATION_M", "MIN_ELEVATION_M", "Dem", "read_dem"]

log = logging.getLogger(__name__)

#: Lowest ground on Earth is the Dead Sea shore, about -430 m: a lower pixel is not an elevation in metres.
MIN_ELEVATION_M = -500.0

#: Highest ground on Earth is Everest, 8,849 m: a higher pixel is not an elevation in metres.
MAX_ELEVATION_M = 9000.0

_RASTER_ERRORS = (rasterio.errors.RasterioError, CPLE_BaseError)

_PICTURE_BANDS = {ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.palette, ColorInterp.Y, ColorInterp.Cb, ColorInterp.Cr}

_MARGIN_PX = 2  # pixels read around the requested bounds, so bilinear sampling at their edge has its neighbours


@dataclass(frozen=True, eq=False)
class Dem:
    """Ground heights of one raster (or of the window of it that was read).

    Attributes
    ----------
    path
        The file read.
    data
        Heights in metres, ``float32`` of shape (rows, cols); NaN on nodata.
    transform
        The affine transform of ``data``'s pixels (the window's, when a window was read).
    crs
        The raster's CRS.
    nodata
        The raster's declared nodata value (None when it declares none).
    """

    path: Path
    data: np.ndarray
    transform: Affine
    crs: CRS
    nodata: float | None

    def sample(self, lon: ArrayLike, lat: ArrayLike, *, crs: str | pyproj.CRS = "EPSG:4326") -> np.ndarray:
        """Heights in metres at points, interpolated bilinearly between pixel centres.

        Parameters
        ----------
        lon, lat
            The points (arrays broadcast together), WGS-84 degrees unless ``crs`` says otherwise.
        crs
            The CRS of the points (e.g. a metric CRS the caller works in), so they are projected once.

        Returns
        -------
        numpy.ndarray
            float64 of the points' shape. NaN outside the raster (or the window read),
            and where the pixel holding the point is nodata. Next to nodata pixels the
            valid neighbours' weights are renormalised; between the outermost pixel
            centres and the raster's edge the edge pixels' values are extended.
        """
        x, y = np.broadcast_arrays(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
        shape = x.shape
        x, y = _transformer(pyproj.CRS.from_user_input(crs).to_wkt(), self.crs.to_wkt()).transform(x.ravel(), y.ravel())
        # fractional column and row of every point (pixel corners at integers, centres at +0.5)
        col, row = _apply(~self.transform, np.asarray(x, np.float64), np.asarray(y, np.float64))
        h, w = self.data.shape
        inside = (col >= 0) & (col <= w) & (row >= 0) & (row <= h)
        out = np.full(col.shape, np.nan)
        if not inside.any():
            return out.reshape(shape)
        col, row = col[inside], row[inside]
        own = self._valid[np.minimum(row.astype(np.int64), h - 1), np.minimum(col.astype(np.int64), w - 1)]
        # scipy's linear interpolation (map_coordinates at pixel-centre coordinates, edges extended) of the
        # heights with nodata as 0 and of the valid mask: their ratio is the bilinear height over valid neighbours
        at = np.vstack([row - 0.5, col - 0.5])
        num = ndimage.map_coordinates(self._filled, at, order=1, mode="nearest", output=np.float64)
        den = ndimage.map_coordinates(self._valid_f, at, order=1, mode="nearest", output=np.float64)
        out[np.flatnonzero(inside)[own]] = num[own] / den[own]  # den >= 0.25 where the point's own pixel is valid
        return out.reshape(shape)

    @property
    def pixel_size_m(self) -> float:
        """The larger side of a pixel in metres (approximate, at the raster's centre).

        A slope sampling step shorter than this adds no detail, only the DEM's noise.
        """
        t, (h, w) = self.transform, self.data.shape
        if self.crs.is_projected:
            return float(max(math.hypot(t.a, t.d), math.hypot(t.b, t.e)) * self.crs.linear_units_factor[1])
        cx, cy = _apply(t, w / 2, h / 2)
        # from the centre to its neighbours one column and one row away
        lon, lat = np.array([cx, cx + t.a, cx + t.b]), np.array([cy, cy + t.d, cy + t.e])
        return float(haversine_m(lon[:1], lat[:1], lon[1:], lat[1:]).max())

    @functools.cached_property
    def _valid(self) -> np.ndarray:
        return ~np.isnan(self.data)

    @functools.cached_property
    def _valid_f(self) -> np.ndarray:
        return self._valid.astype(np.float32)

    @functools.cached_property
    def _filled(self) -> np.ndarray:
        return np.where(self._valid, self.data, np.float32(0))


def _apply(t: Affine, x, y):
    """An affine transform applied to coordinate arrays (affine 3.1 deprecates ``t * (x, y)`` for ``@``, older versions lack it)."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


@functools.lru_cache(maxsize=16)
def _transformer(src_wkt: str, dst_wkt: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(pyproj.CRS.from_wkt(src_wkt), pyproj.CRS.from_wkt(dst_wkt), always_xy=True)


def read_dem(path: str | Path, *, bounds: tuple[float, float, float, float] | None = None) -> Dem:
    """Open a DEM (ground heights in metres), the whole raster or the window covering ``bounds``.

    Parameters
    ----------
    path
        A GeoTIFF (or other GDAL raster) with one band of heights in metres, in any CRS.
    bounds
        WGS-84 ``(min_lon, min_lat, max_lon, max_lat)`` (e.g. ``Network.bounds()``): only the
        pixels covering them (and two more on each side) are read, so a country-wide DEM
        costs the study area's memory. Points outside the window sample as NaN.

    Returns
    -------
    Dem
        The heights (NaN on nodata), their transform, the CRS and the nodata value.

    Raises
    ------
    InputFileNotFoundError
        If the file does not exist.
    InputError
        If the file is not a readable raster, has several bands, is a colour picture
        (RGB, palette, JPEG-compressed), holds complex numbers, has no CRS, or holds a
        value below :data:`MIN_ELEVATION_M` or above :data:`MAX_ELEVATION_M` (an undeclared
        nodata value, feet or decimetres).
    NoOverlapError
        If the raster does not overlap ``bounds``.
    """
    path = Path(path)
    if not path.is_file():
        raise errors.InputFileNotFoundError(f"elevation raster (DEM) not found: {path}; pass a GeoTIFF of ground heights in metres (e.g. an SRTM or Copernicus GLO-30 tile)")
    try:
        with warnings.catch_warnings():  # a file without georeferencing is refused below, with the fix
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            src = rasterio.open(path)
    except _RASTER_ERRORS as exc:
        msg = "pass a GeoTIFF of ground heights in metres (e.g. an SRTM or Copernicus GLO-30 tile), or download the file again if it was cut short"
        raise errors.InputError(f"{path}: not a readable raster ({rasters._gdal_message(exc)}); {msg}") from exc  # noqa: SLF001 - one reading of GDAL's messages
    with src:
        _check_elevation_grid(src, path)
        window = _window(src, path, bounds)
        try:
            band = src.read(1, window=window, masked=True)
        except _RASTER_ERRORS as exc:
            fix = f"download or export it again (gdalinfo -checksum {path.name} reads every pixel to check a file)"
            raise errors.InputError(f"{path}: the raster cannot be read ({rasters._gdal_message(exc)}): the file is truncated or corrupt; {fix}") from exc  # noqa: SLF001
        t = src.transform
        if window is not None:  # the window's transform (rasterio's window_transform warns under affine 3.1)
            t = Affine(t.a, t.b, _apply(t, window.col_off, window.row_off)[0], t.d, t.e, _apply(t, window.col_off, window.row_off)[1])
        dem = Dem(path, np.ma.filled(band.astype(np.float32), np.nan), t, src.crs, src.nodata)
    _refuse_implausible(dem)
    log.info("%s: read %d x %d elevation pixels (~%.0f m) in %s", path.name, dem.data.shape[1], dem.data.shape[0], dem.pixel_size_m, dem.crs.to_string())
    return dem


def _check_elevation_grid(src: rasterio.DatasetReader, path: Path) -> None:
    """Refuse rasters that are not one band of heights (metadata only, no pixel is read)."""
    interp = tuple(src.colorinterp)
    if src.count > 1:
        bands = ", ".join(i.name for i in interp)
        fix = (
            "it looks like a colour picture (a shaded relief or a map screenshot), not heights"
            if _PICTURE_BANDS & set(interp)
            else f"if the heights are one of the bands, extract it (gdal_translate -b 1 {path.name} dem.tif)"
        )
        raise errors.InputError(f"{path}: the raster has {src.count} bands ({bands}); a DEM has one band of ground heights in metres: {fix}")
    if interp[0] not in (ColorInterp.gray, ColorInterp.undefined):
        fix = f"if it really holds heights, reset the band's colour interpretation: gdal_edit.py -colorinterp_1 gray {path.name}"
        raise errors.InputError(f"{path}: band 1 is a {interp[0].name} colour band, a picture rather than ground heights; pass a DEM such as an SRTM or Copernicus GLO-30 tile ({fix})")
    if src.compression == Compression.jpeg:
        fix = f"export it again without JPEG (gdal_translate -co COMPRESS=DEFLATE {path.name} dem.tif)"
        raise errors.InputError(f"{path}: the raster is JPEG-compressed, a lossy picture format that changes the heights; {fix}")
    if np.dtype(src.dtypes[0]).kind == "c":
        raise errors.InputError(f"{path}: the raster holds complex numbers ({src.dtypes[0]}), not ground heights; pass a DEM of heights in metres")
    if src.crs is None:
        raise errors.InputError(f"{path}: the raster has no coordinate reference system; set one (e.g. gdal_edit.py -a_srs EPSG:4326 {path.name} for an SRTM tile)")


def _window(src: rasterio.DatasetReader, path: Path, bounds: tuple[float, float, float, float] | None) -> rasterio.windows.Window | None:
    """The window of pixels covering WGS-84 ``bounds`` plus a margin (None: read everything)."""
    if bounds is None or not src.transform.is_rectilinear:  # a rotated grid is read whole
        return None
    minx, miny, maxx, maxy = bounds
    box = transform_bounds("EPSG:4326", src.crs, minx, miny, maxx, maxy, densify_pts=21)
    win = rasterio.windows.from_bounds(*box, transform=src.transform)
    col0 = max(math.floor(win.col_off) - _MARGIN_PX, 0)
    row0 = max(math.floor(win.row_off) - _MARGIN_PX, 0)
    col1 = min(math.ceil(win.col_off + win.width) + _MARGIN_PX, src.width)
    row1 = min(math.ceil(win.row_off + win.height) + _MARGIN_PX, src.height)
    if col1 <= col0 or row1 <= row0:
        rb = src.bounds
        raise errors.NoOverlapError(
            f"{path}: the DEM (bounds {tuple(round(b, 4) for b in rb)} in {src.crs.to_string()}) does not overlap the area "
            f"(lon {minx:.4f}-{maxx:.4f}, lat {miny:.4f}-{maxy:.4f}); use a DEM tile of the same place"
        )
    return rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)


def _refuse_implausible(dem: Dem) -> None:
    """Raise for heights no ground on Earth has: undeclared nodata, feet, decimetres."""
    data = dem.data
    low = np.nanmin(data) if dem._valid.any() else np.nan  # noqa: SLF001 - the Dem's own cache
    high = np.nanmax(data) if dem._valid.any() else np.nan  # noqa: SLF001
    if not (low < MIN_ELEVATION_M or high > MAX_ELEVATION_M):
        return
    v = float(low if low < MIN_ELEVATION_M else high)
    row, col = np.argwhere(data == np.float32(v))[0]
    x, y = _apply(dem.transform, col + 0.5, row + 0.5)
    lon, lat = _transformer(dem.crs.to_wkt(), pyproj.CRS.from_epsg(4326).to_wkt()).transform(x, y)
    name, n = dem.path.name, int(np.count_nonzero(data == np.float32(v)))
    where = f"{n:,} pixel{'s' if n > 1 else ''} (e.g. at lon {lon:.5f}, lat {lat:.5f}) hold{'' if n > 1 else 's'} {v:.6g}"
    if v < MIN_ELEVATION_M:
        raise errors.InputError(
            f"{dem.path}: {where}, lower than any ground on Earth (the Dead Sea shore is about -430 m): the values are not heights in metres. "
            f"If {v:.9g} marks missing data (SRTM voids are -32768), declare it: gdal_edit.py -a_nodata {v:.9g} {name}; "
            f'if the units are decimetres or centimetres, convert to metres (gdal_calc.py -A {name} --outfile=dem_m.tif --calc="A/10")'
        )
    raise errors.InputError(
        f"{dem.path}: {where}, higher than any ground on Earth (Everest is 8,849 m): the values are not heights in metres. "
        f'Are the units feet or decimetres? Convert to metres (gdal_calc.py -A {name} --outfile=dem_m.tif --calc="A*0.3048" for feet, "A/10" for decimetres); '
        f"if {v:.9g} marks missing data, declare it: gdal_edit.py -a_nodata {v:.9g} {name}"
    )

"""Population rasters: pixel centres and counts inside a study area, refused when they are not population grids.

A raster pixel is a demand point at its centre carrying the pixel's count,
so totals are conserved exactly and any CRS or resolution works without
resampling: only pixel centres are reprojected. A pixel belongs to the study
area when its centre does (rasterio's own rule for ``mask``).

Bad rasters are refused before they can mislead (every message names the
file and the fix): more than one band, colour pictures (RGB, palette,
JPEG-compressed), truncated or corrupt files, +infinity, values no place on
Earth reaches per pixel (an undeclared nodata value such as 3.4e38, or
densities instead of counts), many varied negatives (logarithms?), and
areas where nearly every pixel is NaN or negative. Nodata, NaN, -infinity
and negative pixels inside the study area count as no people and are
*reported* in the notes with their counts.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import rasterio
import rasterio.errors
import rasterio.windows
import shapely
from rasterio.enums import ColorInterp, Compression
from rasterio.warp import transform_bounds

from .. import errors
from . import footprints

try:  # GDAL errors raised at read time (truncated strips, corrupt LZW) come as CPLE_* exceptions
    from rasterio._err import CPLE_BaseError
except ImportError:  # pragma: no cover - private module; RasterioError still catches what rasterio wraps
    CPLE_BaseError = rasterio.errors.RasterioError

__all__ = ["Pixels", "burn_shapes", "raster_footprint", "raster_points", "read_raster", "trace_shapes"]

log = logging.getLogger(__name__)

# pixel classes in the study area's window
_ZERO, _POS, _NODATA, _NAN, _PINF, _NINF, _NEG = range(7)


#: Negative pixel values above this are float noise of resampling: read as 0 without a note.
NEGATIVE_NOISE = -1e-6

#: People per km² no pixel can hold (the densest city blocks on Earth hold ~1e5):
#: a value above it is not a count of people (an undeclared nodata value, a density...).
MAX_PEOPLE_PER_KM2 = 1e7

#: A raster is refused when at least this share of the study area's pixels (and at least
#: :data:`_MIN_PIXELS_FOR_SHARE` of them) are NaN, -infinity or negative. Declared nodata
#: does not count: constrained rasters (WorldPop) leave unsettled land nodata, 99%+ in rural areas.
MAX_INVALID_SHARE = 0.99

_MIN_PIXELS_FOR_SHARE = 100

#: Varied negative values in more than this share of the pixels holding numbers: not counts.
MAX_NEGATIVE_SHARE = 0.05

_RASTER_ERRORS = (rasterio.errors.RasterioError, CPLE_BaseError)

_PICTURE_BANDS = {ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.palette, ColorInterp.Y, ColorInterp.Cb, ColorInterp.Cr}

_CHUNK = 1 << 21  # pixel centres tested against the area at a time (bounded memory)
_BLOCK = 64  # pixels a side of the blocks tested whole against the area (_centres_inside)

@dataclass
class Pixels:
    """Populated pixels of one raster inside the study area."""

    x: np.ndarray  # WGS-84 pixel centres
    y: np.ndarray
    counts: np.ndarray
    flat: np.ndarray  # row * width + col in the whole raster, ascending
    grid: tuple  # CRS, transform, width, height: rasters with equal grids share their pixels
    notes: list[str]

def raster_points(path: str | Path, area: shapely.Geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Pixel centres (WGS-84) and counts of a population raster inside ``area``.

    Only the metadata and the window covering the area are read. Nodata,
    NaN, -infinity and negative pixels inside the area count as zero people
    and are reported in ``notes`` (counts per class, the negatives' range);
    negatives above :data:`NEGATIVE_NOISE` are float noise, read as 0 silently.

    Parameters
    ----------
    path
        A GeoTIFF (or other GDAL raster) of people per pixel, in any CRS.
    area
        The study area (WGS-84).

    Returns
    -------
    lon, lat, counts, notes
        Per pixel inside ``area`` with people: its centre and count; and the
        notes on pixels read as zero.

    Raises
    ------
    InputError
        If the file is not a population grid (several bands, a colour picture,
        JPEG), is truncated or corrupt, has no CRS, holds +infinity or more than
        :data:`MAX_PEOPLE_PER_KM2` people per km² in a pixel, has
        :data:`MAX_INVALID_SHARE` of the area's pixels NaN or negative, or
        varied negatives in :data:`MAX_NEGATIVE_SHARE` of them.
    NoOverlapError
        If the raster does not overlap the area, or no pixel inside it holds people.
    """
    p = read_raster(path, area)
    return p.x, p.y, p.counts, p.notes

def _gdal_message(exc: BaseException) -> str:
    """GDAL's own words: rasterio's "Read failed. See previous exception" hides them in the cause."""
    cause = exc.__cause__ or exc.__context__
    return str(cause) if cause is not None and "previous exception" in str(exc) else str(exc)

def _open(path: Path) -> rasterio.DatasetReader:
    try:
        with warnings.catch_warnings():  # a file without georeferencing is refused below, with the fix
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            return rasterio.open(path)
    except _RASTER_ERRORS as exc:
        msg = "pass a GeoTIFF of people per pixel such as a WorldPop grid, or download the file again if it was cut short"
        raise errors.InputError(f"{path}: not a readable raster ({_gdal_message(exc)}); {msg}") from exc

def _check_population_grid(src: rasterio.DatasetReader, path: Path) -> None:
    """Refuse rasters that are not one band of people per pixel (metadata only, no pixel is read)."""
    interp = tuple(src.colorinterp)
    picture = bool(_PICTURE_BANDS & set(interp))
    if src.count > 1:
        bands = ", ".join(i.name for i in interp)
        fix = (
            "it looks like a colour picture (a photo or map screenshot), not population data; pass a population grid such as WorldPop's people per pixel"
            if picture
            else f"if it stacks age/sex groups, split out each band you need (e.g. gdal_translate -b 3 {path.name} band3.tif) "
            "and pass the bands as separate files (--older-population a.tif b.tif)"
        )
        raise errors.InputError(f"{path}: the raster has {src.count} bands ({bands}); a population raster has one band of people per pixel: {fix}")
    if interp[0] not in (ColorInterp.gray, ColorInterp.undefined):
        kind = "a colour palette (a paletted picture or a classified map)" if interp[0] == ColorInterp.palette else f"a {interp[0].name} image band"
        fix = f"if it really is one, reset the band's colour interpretation: gdal_edit.py -colorinterp_1 gray {path.name}"
        raise errors.InputError(f"{path}: band 1 is {kind}, not counts of people; pass a population grid such as WorldPop's people per pixel ({fix})")
    if src.compression == Compression.jpeg:
        fix = f"export it again without JPEG (gdal_translate -co COMPRESS=DEFLATE {path.name} fixed.tif)"
        raise errors.InputError(f"{path}: the raster is JPEG-compressed, a lossy picture format that changes the values; a population grid stores exact counts: {fix}")
    if np.dtype(src.dtypes[0]).kind == "c":
        raise errors.InputError(f"{path}: the raster holds complex numbers ({src.dtypes[0]}), not counts of people; pass a population grid")
    if src.crs is None:
        raise errors.InputError(f"{path}: the raster has no coordinate reference system; set one (e.g. gdal_edit.py -a_srs EPSG:4326)")

def _centres_inside(area: shapely.Geometry, h: int, w: int, centres: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]], *, straight: bool) -> np.ndarray:
    """Whether each pixel centre of an ``h`` x ``w`` window lies inside ``area`` (flat, row by row): ``shapely.contains_xy`` of every centre.

    On a grid whose rows and columns run along longitude and latitude
    (``straight``), the window is cut into blocks of :data:`_BLOCK` pixels a
    side; a block's box, spanned by its corner pixels' centres (the same
    arithmetic as every centre's, which is monotonic), holds all its centres. A
    box in the area's interior has every centre inside, a box apart from it none:
    only the centres of the blocks on the area's edge are tested (a province's
    3.9M pixels: ~0.3 s to a few hundredths). Otherwise every centre is tested.
    """
    inside = np.zeros(h * w, bool)
    if not straight or h * w <= _BLOCK * _BLOCK:
        _test_centres(area, np.arange(h * w), w, centres, inside)
        return inside
    r0, c0 = np.arange(0, h, _BLOCK), np.arange(0, w, _BLOCK)
    r1, c1 = np.minimum(r0 + _BLOCK, h) - 1, np.minimum(c0 + _BLOCK, w) - 1
    br0, bc0 = (a.ravel() for a in np.meshgrid(r0, c0, indexing="ij"))
    br1, bc1 = (a.ravel() for a in np.meshgrid(r1, c1, indexing="ij"))
    xa, ya = centres(br0, bc0)
    xb, yb = centres(br1, bc1)
    boxes = shapely.box(np.minimum(xa, xb), np.minimum(ya, yb), np.maximum(xa, xb), np.maximum(ya, yb))
    solid = (xa != xb) & (ya != yb)  # a block one pixel wide or high has no interior: its centres are tested
    area = shapely.from_wkb(shapely.to_wkb(area))  # a copy, prepared for a thousand boxes (the caller's is left as it is)
    shapely.prepare(area)
    full = solid & shapely.contains_properly(area, boxes)
    edge = ~full & (~solid | shapely.intersects(area, boxes))

    def spread(block: np.ndarray) -> np.ndarray:
        return np.repeat(np.repeat(block.reshape(len(r0), len(c0)), _BLOCK, axis=0), _BLOCK, axis=1)[:h, :w].ravel()

    inside[spread(full)] = True
    _test_centres(area, np.flatnonzero(spread(edge)), w, centres, inside)
    return inside


def _test_centres(area: shapely.Geometry, flat: np.ndarray, w: int, centres: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]], inside: np.ndarray) -> None:
    """``inside[flat]`` = whether those pixels' centres lie inside ``area``, in chunks of :data:`_CHUNK` (bounded memory)."""
    for a in range(0, len(flat), _CHUNK):
        part = flat[a : a + _CHUNK]
        rows, cols = np.divmod(part, max(w, 1))
        inside[part] = shapely.contains_xy(area, *centres(rows, cols))


def read_raster(path: str | Path, area: shapely.Geometry) -> Pixels:
    """:func:`raster_points` with each pixel's place in the raster (to compare rasters on one grid).

    Parameters
    ----------
    path, area
        As in :func:`raster_points`.

    Returns
    -------
    Pixels
        Centres, counts, flat pixel positions, the grid and the notes.
    """
    path = Path(path)
    if not path.is_file():
        raise errors.InputFileNotFoundError(f"population raster not found: {path}")
    src = _open(path)
    with src:
        _check_population_grid(src, path)
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
        try:
            data = src.read(1, window=window, masked=True)
        except _RASTER_ERRORS as exc:
            fix = f"download or export it again (gdalinfo -checksum {path.name} reads every pixel to check a file)"
            raise errors.InputError(f"{path}: the raster cannot be read ({_gdal_message(exc)}): the file is truncated or corrupt (an interrupted download or copy?); {fix}") from exc
        t, crs, width = src.transform, src.crs, src.width
        grid = (crs.to_wkt(), tuple(t)[:6], src.width, src.height)
        nodata = src.nodata
    cls, values = _classify(data)
    to_wgs = None if crs.to_epsg() == 4326 else pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    h, w = values.shape

    def centres(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # pixel centres from the affine coefficients (x = a*col + b*row + c, y = d*col + e*row + f)
        cc, rr = cols + (col0 + 0.5), rows + (row0 + 0.5)
        x, y = t.a * cc + t.b * rr + t.c, t.d * cc + t.e * rr + t.f
        if to_wgs is not None:
            x, y = to_wgs.transform(x, y)
        return np.asarray(x, np.float64), np.asarray(y, np.float64)

    # every pixel's centre is tested, so the notes can say how much of the area is missing
    cls_flat, val_flat = cls.ravel(), values.ravel()
    inside = _centres_inside(area, h, w, centres, straight=to_wgs is None and t.b == 0 and t.d == 0)
    by_class = np.bincount(cls_flat[inside], minlength=7)
    sel = np.flatnonzero(inside & (cls_flat == _POS))
    rows, cols = np.divmod(sel, max(w, 1))
    x, y = centres(rows, cols)
    counts = val_flat[sel]
    flat = (rows + row0).astype(np.int64) * width + (cols + col0)
    negatives = val_flat[inside & (cls_flat == _NEG)]
    _refuse_bad_values(path, by_class, negatives, x, y, counts, t, crs, nodata)
    notes: list[str] = []
    # Share of the study area the raster covers: pixels outside the raster extent would silently read as empty land.
    raster_poly = shapely.box(*transform_bounds(crs, "EPSG:4326", *rb, densify_pts=21))
    covered = shapely.area(shapely.intersection(raster_poly, area)) / max(shapely.area(area), 1e-30)
    if covered < 0.99:
        msg = f"{path.name} covers only {covered:.0%} of the study area; people outside its extent are missing"
        warnings.warn(msg, errors.DataQualityWarning, stacklevel=3)
        notes.append(msg)
    invalid_note = _invalid_note(path, by_class, negatives, nodata)
    if invalid_note:
        log.info(invalid_note)
        notes.append(invalid_note)
    return Pixels(x, y, counts, flat, grid, notes)

def _classify(data: np.ma.MaskedArray) -> tuple[np.ndarray, np.ndarray]:
    """Class of every pixel (:data:`_POS`, :data:`_NODATA`, ...) and the values as float64."""
    mask = np.ma.getmaskarray(data)
    v = np.ma.getdata(data).astype(np.float64)
    ok = ~mask
    cls = np.full(v.shape, _ZERO, np.uint8)
    cls[ok & (v > 0) & (v < np.inf)] = _POS
    cls[mask] = _NODATA
    cls[ok & np.isnan(v)] = _NAN
    cls[ok & (v == np.inf)] = _PINF
    cls[ok & (v == -np.inf)] = _NINF
    cls[ok & (v < NEGATIVE_NOISE) & (v > -np.inf)] = _NEG
    return cls, v

def _class_list(by_class: np.ndarray, negatives: np.ndarray, nodata: float | None) -> str:
    """'1,204 are nodata, 3 are NaN and 2 are negative (-5.1 to -0.2)' for the invalid classes present."""
    labels = {_NODATA: "nodata" + (f" ({nodata:.6g})" if nodata is not None else ""), _NAN: "NaN", _NINF: "-infinity"}
    if by_class[_NEG]:
        lo, hi = float(negatives.min()), float(negatives.max())
        labels[_NEG] = f"negative ({lo:.6g})" if lo == hi else f"negative ({lo:.6g} to {hi:.6g})"
    parts = [f"{by_class[k]:,} {'is' if by_class[k] == 1 else 'are'} {label}" for k, label in labels.items() if by_class[k]]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

def _invalid_note(path: Path, by_class: np.ndarray, negatives: np.ndarray, nodata: float | None) -> str | None:
    """Note on the nodata, NaN, -infinity and negative pixels inside the area (None when there are none)."""
    n_bad = int(by_class[[_NODATA, _NAN, _NINF, _NEG]].sum())
    if not n_bad:
        return None
    n_all = int(by_class.sum())
    text = _class_list(by_class, negatives, nodata).split(" ", 1)
    note = (
        f"{path.name}: {text[0]} {'pixel' if text[0] == '1' else 'pixels'} inside the study area {text[1]}; they count as no people "
        f"({n_bad / n_all:.1%} of the area's {n_all:,} pixels)"
    )
    if by_class[_NEG] > 1 and negatives.min() == negatives.max():
        v = float(negatives.min())
        note += f"; all negatives are {v:.9g}, probably an undeclared nodata value (declare it: gdal_edit.py -a_nodata {v:.9g} {path.name})"
    return note

def _refuse_bad_values(path, by_class, negatives, x, y, counts, t, crs, nodata) -> None:
    """Raise for +infinity, impossible densities, and areas (nearly) without valid pixels."""
    if by_class[_PINF]:
        raise errors.InputError(
            f"{path}: {by_class[_PINF]:,} {'pixel' if by_class[_PINF] == 1 else 'pixels'} inside the study area "
            f"{'is' if by_class[_PINF] == 1 else 'are'} +infinity; a count of people is finite (the raster is probably a division by zero or a broken export): "
            f"export it again, or set those pixels to nodata (gdal_calc.py -A {path.name} --outfile=fixed.tif "
            '--calc="where(isinf(A), -1, A)" --NoDataValue=-1)'
        )
    if len(counts) and (crs.is_geographic or crs.is_projected):
        det = abs(t.a * t.e - t.b * t.d)
        if crs.is_geographic:  # the smallest pixel (farthest from the equator) bounds the density; per pixel only when needed
            km2 = det * footprints.m2_per_square_degree(np.abs(y).max()) / 1e6
            if counts.max() > MAX_PEOPLE_PER_KM2 * km2:
                km2 = det * footprints.m2_per_square_degree(y) / 1e6
        else:
            km2 = det * crs.linear_units_factor[1] ** 2 / 1e6
        density = counts / np.maximum(km2, 1e-30)
        worst = int(np.argmax(density))
        if density[worst] > MAX_PEOPLE_PER_KM2:
            v = float(counts[worst])
            raise errors.InputError(
                f"{path}: the pixel at lon {x[worst]:.5f}, lat {y[worst]:.5f} holds {v:.6g} people, {density[worst]:.3g} per km², "
                f"more than any place on Earth (the densest blocks hold ~100,000 per km²): the values are not people per pixel. "
                f"If {v:.9g} marks missing data, declare it (gdal_edit.py -a_nodata {v:.9g} {path.name}); if they are densities, "
                "pass a count raster instead (e.g. WorldPop people per pixel, 'ppp')"
            )
    n_all, n_bad = int(by_class.sum()), int(by_class[[_NODATA, _NAN, _NINF, _NEG]].sum())
    if not len(counts):
        if n_bad:
            raise errors.NoOverlapError(
                f"{path}: no pixel inside the study area holds people: of its {n_all:,} pixels {_class_list(by_class, negatives, nodata)}. "
                "The raster has no data for this area; use a population raster of this place (or check its nodata value)"
            )
        raise errors.NoOverlapError(f"{path}: no populated pixel lies inside the study area; check the raster and the boundary")
    broken = int(by_class[[_NAN, _NINF, _NEG]].sum())  # declared nodata is no data, not broken data: never refused for its share
    if n_all >= _MIN_PIXELS_FOR_SHARE and broken >= MAX_INVALID_SHARE * n_all:
        raise errors.InputError(
            f"{path}: {broken / n_all:.1%} of the {n_all:,} pixels inside the study area hold no valid count ({_class_list(by_class, negatives, nodata)}) "
            f"and only {len(counts):,} {'holds' if len(counts) == 1 else 'hold'} people: the raster is broken here. If those values mark places "
            f"without data or people, declare them as nodata (gdal_edit.py -a_nodata nan {path.name}); else use a raster covering the study area"
        )
    n_numbers = int(by_class[[_ZERO, _POS, _NEG]].sum())
    if by_class[_NEG] >= 10 and by_class[_NEG] > MAX_NEGATIVE_SHARE * n_numbers and negatives.min() != negatives.max():
        raise errors.InputError(
            f"{path}: {by_class[_NEG] / n_numbers:.0%} of the pixels inside the study area hold negative numbers ({by_class[_NEG]:,} pixels, "
            f"{negatives.min():.6g} to {negatives.max():.6g}): the values are not counts of people (logarithms, differences, residuals?); "
            "pass a raster of people per pixel such as WorldPop's"
        )

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


def raster_footprint(path: str | Path, *, densify: int = 21) -> shapely.Polygon:
    """The outline of a raster in WGS-84 (read from its metadata only).

    Parameters
    ----------
    path
        A GeoTIFF or other GDAL raster with a CRS.
    densify
        Points per edge, so a projected raster's outline follows its curved edges in longitude/latitude.

    Returns
    -------
    shapely.Polygon
        The area the raster's pixels cover. Nodata pixels inside it count as
        covered: a constrained WorldPop grid leaves unsettled land nodata.
    """
    with rasterio.open(path) as src:
        left, bottom, right, top = src.bounds
        crs = src.crs
    outline = shapely.segmentize(shapely.box(left, bottom, right, top), max(right - left, top - bottom) / densify)
    if crs is not None and crs.to_epsg() != 4326:
        tr = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        outline = shapely.transform(outline, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    return shapely.make_valid(outline)


def burn_shapes(shapes: list[tuple[shapely.Geometry, int]], *, out_shape: tuple[int, int], transform: rasterio.Affine, all_touched: bool) -> np.ndarray:
    """``rasterio.features.rasterize`` into a zeroed uint8 grid, through a georeferenced band.

    For the reason given in :func:`trace_shapes`: a bare output array is wrapped
    in a dataset without georeferencing, and its warning can escape.
    """
    from rasterio import features
    from rasterio.io import MemoryFile

    h, w = out_shape
    with MemoryFile() as mem, mem.open(driver="MEM", width=w, height=h, count=1, dtype="uint8", transform=transform) as ds:
        ds.write(np.zeros(out_shape, np.uint8), 1)
        features.rasterize(shapes, dst_path=ds, transform=transform, all_touched=all_touched, dtype="uint8")
        return ds.read(1)


def trace_shapes(values: np.ndarray, *, mask: np.ndarray | None, transform: rasterio.Affine) -> list[tuple[dict, float]]:
    """GDAL's polygons of the 4-connected regions of equal value (``rasterio.features.shapes``).

    The arrays are traced from georeferenced in-memory bands: given bare arrays,
    rasterio wraps them in datasets without georeferencing and silences the
    warning that raises with :class:`warnings.catch_warnings`, which is not
    thread-safe (a cache written on another thread can undo it, and the
    warning escapes into the caller, an error in the tests).
    """
    from rasterio import features
    from rasterio.io import MemoryFile

    h, w = values.shape

    def band(mem: MemoryFile, array: np.ndarray) -> rasterio.io.DatasetWriter:
        ds = mem.open(driver="MEM", width=w, height=h, count=1, dtype=array.dtype.name, transform=transform)
        ds.write(array, 1)
        return ds

    with MemoryFile() as vmem, band(vmem, values) as vds:
        if mask is None:
            return list(features.shapes(rasterio.band(vds, 1), connectivity=4, transform=transform))
        with MemoryFile() as mmem, band(mmem, mask.astype(np.uint8)) as mds:
            return list(features.shapes(rasterio.band(vds, 1), mask=rasterio.band(mds, 1), connectivity=4, transform=transform))

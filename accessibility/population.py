"""Where people live: demand points from population rasters, or an estimate.

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

Without a raster the population is *estimated* from residential buildings
(floor area / floor area per person) or, failing that, spread along
residential streets. Every output of such a run is labelled as an estimate.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import rasterio
import rasterio.errors
import rasterio.windows
import shapely
from rasterio.enums import ColorInterp, Compression
from rasterio.warp import transform_bounds

from . import errors, footprints, osm, parallel
from . import network as network_mod

try:  # GDAL errors raised at read time (truncated strips, corrupt LZW) come as CPLE_* exceptions
    from rasterio._err import CPLE_BaseError
except ImportError:  # pragma: no cover - private module; RasterioError still catches what rasterio wraps
    CPLE_BaseError = rasterio.errors.RasterioError

__all__ = ["Demand", "EstimateAssumptions", "check_older_share", "demand_from_rasters", "demand_from_buildings", "demand_from_streets", "raster_points"]

log = logging.getLogger(__name__)

#: 60+ share of Zhejiang's population in the 2020 census (18.70%), the default
#: when no older-age raster is given.
ZHEJIANG_OLDER_SHARE_2020 = 0.187

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
#: The older-age rasters may exceed the total raster by this share (rounding of separate products).
OLDER_TOLERANCE = 0.01
#: Pixel-by-pixel, older people above the total of their pixel are refused when they are
#: more than this share of all older people (the rasters do not describe the same people).
OLDER_EXCESS_MAX_SHARE = 0.05

_RASTER_ERRORS = (rasterio.errors.RasterioError, CPLE_BaseError)
_PICTURE_BANDS = {ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.palette, ColorInterp.Y, ColorInterp.Cb, ColorInterp.Cr}
_CHUNK = 1 << 21  # pixel centres tested against the area at a time (bounded memory)
# pixel classes in the study area's window
_ZERO, _POS, _NODATA, _NAN, _PINF, _NINF, _NEG = range(7)


@dataclass
class Demand:
    """Demand points: residents (``pop``) and older residents (``older``) at WGS-84 points."""

    lon: np.ndarray
    lat: np.ndarray
    pop: np.ndarray
    older: np.ndarray
    source: str
    older_source: str
    is_estimate: bool
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lon)

    @property
    def total(self) -> float:
        return float(self.pop.sum())

    @property
    def total_older(self) -> float:
        return float(self.older.sum())

    @staticmethod
    def concat(parts: list[Demand], *, source: str, older_source: str, is_estimate: bool) -> Demand:
        return Demand(
            lon=np.concatenate([p.lon for p in parts]),
            lat=np.concatenate([p.lat for p in parts]),
            pop=np.concatenate([p.pop for p in parts]),
            older=np.concatenate([p.older for p in parts]),
            source=source,
            older_source=older_source,
            is_estimate=is_estimate,
            notes=[n for p in parts for n in p.notes],
        )


@dataclass
class _Pixels:
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
    p = _read_raster(path, area)
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


def _read_raster(path: str | Path, area: shapely.Geometry) -> _Pixels:
    """:func:`raster_points` with each pixel's place in the raster (to compare rasters on one grid)."""
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

    # every pixel's centre is tested (in blocks of rows), so the notes can say how much of the area is missing
    cls_flat, val_flat = cls.ravel(), values.ravel()
    inside = np.zeros(h * w, bool)
    step = max(1, _CHUNK // max(w, 1))
    for r in range(0, h, step):
        n = min(step, h - r)
        inside[r * w : (r + n) * w] = shapely.contains_xy(area, *centres(np.repeat(np.arange(r, r + n), w), np.tile(np.arange(w), n)))
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
    return _Pixels(x, y, counts, flat, grid, notes)


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


def _number(value: object, what: str, unit: str, lo: float, hi: float, *, lo_open: bool = False, fix: str = "") -> float:
    """``value`` as a float in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``), else an InputError naming it and its unit."""
    v = float(value) if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) else math.nan
    if not (math.isfinite(v) and (v > lo if lo_open else v >= lo) and v <= hi):
        bound = f"{'above' if lo_open else 'at least'} {lo:g} and at most {hi:g}"
        raise errors.InputError(f"{what} must be a finite number of {unit}, {bound}; got {value!r}{fix}")
    return v


def check_older_share(value: object, what: str = "older_share") -> float:
    """An older share as a fraction in [0, 1] (0.187 for 18.7%), else an InputError."""
    return _number(value, what, "older people per person (a fraction: 0.187 for 18.7%)", 0.0, 1.0)


def demand_from_rasters(
    area: shapely.Geometry,
    *,
    population: str | Path | None,
    older: list[str | Path] | tuple[str | Path, ...] = (),
    older_share: float | None = None,
) -> Demand:
    """Demand points from a total-population raster and/or older-age rasters.

    Parameters
    ----------
    area
        Study area (WGS-84 polygon).
    population
        Total-population raster (WorldPop style; any CRS and resolution).
    older
        Older-age rasters, summed (e.g. WorldPop 60-64, 65-69, ... bands, both sexes).
    older_share
        When no older raster is given: older people as a share of the total
        (default :data:`ZHEJIANG_OLDER_SHARE_2020`).

    Notes
    -----
    Older people are part of the total. The older rasters' sum inside the
    area may exceed the total raster's by :data:`OLDER_TOLERANCE` (1%,
    rounding of separate products); beyond that the run is refused, naming
    both files, their totals and the likely mistake (swapped files, a single
    age band given as the total). When all rasters share one grid (CRS,
    geotransform, size) each pixel is compared too: a few pixels with more
    older people than people are modelling noise, only noted; when the older
    people above their pixel's total exceed :data:`OLDER_EXCESS_MAX_SHARE`
    (5%) of all older people, the rasters do not describe the same people
    (other years, products or bands) and the run is refused: the share of
    older people covered would mean nothing. A file given twice is refused.
    """
    share = ZHEJIANG_OLDER_SHARE_2020 if older_share is None else check_older_share(older_share)
    given = ([population] if population is not None else []) + list(older)
    keys = [Path(p).resolve() for p in given]
    for k, p in enumerate(given):
        if keys[k] in keys[:k]:
            raise errors.InputError(
                f"{p}: the same raster is given twice (as the total and/or older-age population); pass each file once: "
                "the total-population raster as --population, the older-age bands as --older-population"
            )
    total = _read_raster(population, area) if population is not None else None
    olds = [_read_raster(p, area) for p in older]
    notes = _check_older_within_total(population, total, list(older), olds) if population is not None and total is not None and olds else []
    parts: list[Demand] = []
    if total is not None:
        v = total.counts
        parts.append(Demand(total.x, total.y, v, v * share if not olds else np.zeros_like(v), "", "", False, total.notes))
    for o in olds:
        parts.append(Demand(o.x, o.y, np.zeros_like(o.counts), o.counts, "", "", False, o.notes))
    if not parts:
        raise errors.InputError("demand_from_rasters needs a population raster or at least one older-age raster")
    src = f"raster: {Path(population).name}" if population is not None else ""
    if older:
        older_src = "raster: " + " + ".join(Path(p).name for p in older)
    else:
        older_src = f"{share:.1%} of the total (Zhejiang 2020 census 60+ share)" if older_share is None else f"{share:.1%} of the total"
    d = Demand.concat(parts, source=src, older_source=older_src, is_estimate=False)
    d.notes.extend(notes)
    return d


def _check_older_within_total(population: str | Path, total: _Pixels, older: list[str | Path], olds: list[_Pixels]) -> list[str]:
    """Refuse older-age rasters holding more people than the total raster (see :func:`demand_from_rasters`)."""
    t_name = Path(population).name
    t_sum = float(total.counts.sum())
    sums = [float(o.counts.sum()) for o in olds]
    o_sum = sum(sums)
    names = [Path(p).name for p in older]
    listing = " + ".join(f"{n} ({s:,.0f})" for n, s in zip(names, sums))
    if o_sum > t_sum * (1 + OLDER_TOLERANCE):
        alone = [n for n, s in zip(names, sums) if s > t_sum * (1 + OLDER_TOLERANCE)]
        if alone:
            hint = (
                f"{alone[0]}{' alone' if len(olds) > 1 else ''} holds more people than the total, so the two were probably swapped "
                f"(--population takes the all-ages raster, --older-population the older-age bands), or {t_name} is a single age/sex band"
            )
        else:
            hint = (
                f"the older-age rasters together exceed the total: {t_name} is probably not the all-ages population (a single "
                "age/sex band?), or an older band is the wrong band of a multi-band file"
            )
        which = f"older-age rasters {listing} hold" if len(olds) > 1 else f"older-age raster {names[0]} holds"
        raise errors.InputError(
            f"{which} {o_sum:,.0f} people inside the study area, more than the {t_sum:,.0f} of the total-population raster "
            f"{t_name}; older people are part of the total: {hint}"
        )
    notes = []
    if o_sum > 0.6 * t_sum:
        notes.append(
            f"older-age rasters {listing} hold {o_sum / t_sum:.0%} of the people of {t_name} inside the study area, far above "
            "China's 60+ share (18.7% in 2020); check that the total raster is the all-ages population"
        )
    if not all(o.grid == total.grid for o in olds):
        return notes
    keys = np.concatenate([o.flat for o in olds])
    uk, inv = np.unique(keys, return_inverse=True)
    o_px = np.bincount(inv, weights=np.concatenate([o.counts for o in olds]), minlength=len(uk))
    pos = np.minimum(np.searchsorted(total.flat, uk), max(len(total.flat) - 1, 0))
    t_px = np.where(total.flat[pos] == uk, total.counts[pos], 0.0) if len(total.flat) else np.zeros(len(uk))
    over = o_px > t_px * (1 + OLDER_TOLERANCE) + 0.01
    if not over.any():
        return notes
    excess = float((o_px - t_px)[over].sum())
    what = (
        f"{' + '.join(names)} (older) and {t_name} (total): on {int(over.sum()):,} of the {len(uk):,} pixels with older people there are "
        f"more older people than people ({excess:,.0f} older people above their pixel's total, {excess / max(o_sum, 1e-30):.1%} of them)"
    )
    if excess > OLDER_EXCESS_MAX_SHARE * o_sum:
        raise errors.InputError(
            f"{what}: the rasters do not describe the same people (other years, products or age bands?); use a total-population "
            "raster and older-age bands of the same release (e.g. WorldPop people per pixel and age/sex structures of one year)"
        )
    return notes + [f"{what}; kept as given (modelling noise of separately made rasters)"]


@dataclass(frozen=True)
class EstimateAssumptions:
    """Assumptions of a population estimate without a raster (all reported).

    Every field is checked when the object is made: a finite number in a
    plausible range, else :class:`~accessibility.errors.InputError`.
    """

    floor_area_per_person_m2: float = 40.0  # China urban housing floor area per person, ~40 m² (NBS, 2020)
    default_levels: float = 6.0  # typical walk-up residential block when building:levels is missing
    street_people_per_km: float = 500.0  # along residential streets, when no buildings are mapped
    older_share: float = ZHEJIANG_OLDER_SHARE_2020
    total: float | None = None  # scale the estimate to this total when known (census)

    def __post_init__(self) -> None:
        pre = "population estimate:"
        _number(self.floor_area_per_person_m2, f"{pre} floor_area_per_person_m2", "m² of housing floor area per person (China: ~40)", 5, 500)
        _number(self.default_levels, f"{pre} default_levels", "floors of a residential building without building:levels (e.g. 6)", 1, 200)
        _number(self.street_people_per_km, f"{pre} street_people_per_km", "residents per km of residential street (e.g. 500)", 0, 100_000, lo_open=True)
        check_older_share(self.older_share, f"{pre} older_share")
        if self.total is not None:
            _number(
                self.total, f"{pre} total (--population-total)", "people living in the study area (a census count)", 0, 1.5e9, lo_open=True,
                fix="; give the census population of the study area, or leave it out to keep the unscaled estimate",
            )


_RESIDENTIAL_BUILDINGS = {"residential", "apartments", "house", "detached", "semidetached_house", "terrace", "dormitory", "bungalow"}
_NON_RESIDENTIAL_LANDUSE = {"commercial", "industrial", "retail", "military", "railway", "religious", "education", "construction"}
_NON_RESIDENTIAL_KEYS = ("amenity", "shop", "office", "tourism", "leisure", "craft", "public_transport", "man_made")


def demand_from_buildings(features: osm.FeatureTable, area: shapely.Geometry, assumptions: EstimateAssumptions) -> Demand | None:
    """Estimate residents from residential building footprints.

    A building counts as residential when tagged so, or when it is
    ``building=yes`` without a non-residential use (shop, amenity, office...)
    and not inside commercial/industrial/... land use. Residents = footprint
    x levels / floor area per person. Residents are placed at the point on
    the surface of a building polygon, or at the area centroid of a plain
    footprint (``features.footprints``, see :mod:`accessibility.footprints`).
    Returns ``None`` if no building qualifies.
    """
    frame = features.frame
    plain = features.footprints
    if frame.empty and not len(plain):
        return None
    geoms = frame["geometry"].to_numpy()
    tags = frame["tags"].tolist()
    polygonal = shapely.get_type_id(geoms) >= shapely.GeometryType.POLYGON
    # hash look-ups (pandas isin), not numpy's sort-based isin over a million objects
    landuse = pd.Series([t.get("landuse", "") for t in tags], dtype=object)
    non_res_areas = geoms[polygonal & landuse.isin(_NON_RESIDENTIAL_LANDUSE).to_numpy()]
    building = np.array([t.get("building", "") for t in tags], dtype=object)
    b_idx = np.flatnonzero(polygonal & (building != "") & (building != "no"))
    # buildings with polygons (multipolygons, buildings also tagged as facilities), then plain footprints
    # rows with the same tags share one dict (osm.distinct_tags): the rules below run once per tag set
    tag_sets, tag_set = osm.distinct_tags([tags[i] for i in b_idx.tolist()] + plain.tags)
    b_value = np.array([t.get("building", "") for t in tag_sets], dtype=object)[tag_set]
    b_geoms = geoms[b_idx]
    centre = np.concatenate(parallel.map_chunks(shapely.point_on_surface, b_geoms)) if len(b_geoms) else np.array([], dtype=object)
    lon = np.concatenate([shapely.get_x(centre), plain.lon])
    lat = np.concatenate([shapely.get_y(centre), plain.lat])
    footprint = np.concatenate([footprints.polygon_area_m2(b_geoms, lat=lat[: len(b_idx)]), plain.area_m2])
    use = (b_value != "") & (b_value != "no")
    if not use.any():
        return None
    explicit = pd.Series(b_value, dtype=object).isin(_RESIDENTIAL_BUILDINGS).to_numpy()
    non_res_keys = frozenset(_NON_RESIDENTIAL_KEYS)
    other_use = np.array([not non_res_keys.isdisjoint(t) for t in tag_sets], dtype=bool)[tag_set]
    in_non_res = np.zeros(len(b_value), dtype=bool)
    if len(non_res_areas):
        tree = shapely.STRtree(non_res_areas)
        hit, _ = tree.query(shapely.points(lon, lat), predicate="within")
        in_non_res[hit] = True
    residential = use & (explicit | ((b_value == "yes") & ~other_use & ~in_non_res))
    residential &= shapely.contains_xy(area, lon, lat)
    if not residential.any():
        return None
    sel = np.flatnonzero(residential)
    levels = _levels_array([t.get("building:levels") for t in tag_sets], assumptions.default_levels)[tag_set[sel]]
    pop = footprint[sel] * levels / assumptions.floor_area_per_person_m2
    note = (
        f"population ESTIMATED from {len(sel)} residential building footprints x levels "
        f"(default {assumptions.default_levels:g} when untagged) / {assumptions.floor_area_per_person_m2:g} m² per person"
    )
    return _finish_estimate(lon[sel], lat[sel], pop, "estimate: residential buildings", note, assumptions)


def _levels_array(values: list[str | None], default: float) -> np.ndarray:
    """``building:levels`` values as numbers (first of "3;5"), ``default`` when missing or absurd."""
    out = np.full(len(values), float(default))
    tagged = [i for i, v in enumerate(values) if v is not None]  # most footprints have no levels
    if not tagged:
        return out
    first = pd.Series([values[i] for i in tagged], dtype="string").str.split(";").str[0]
    levels = pd.to_numeric(first, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    out[tagged] = np.where(np.isfinite(levels) & (levels > 0) & (levels < 200), levels, default)
    return out


def demand_from_streets(net: network_mod.Network, area: shapely.Geometry, assumptions: EstimateAssumptions, *, spacing_m: float = 50.0) -> Demand:
    """Estimate residents along residential streets (fallback when no buildings are mapped).

    Points every ``spacing_m`` along ``residential``/``living_street`` edges
    (all walkable edges if there are none), each carrying its share of
    ``street_people_per_km``.
    """
    edges = net.edges
    res = edges["highway"].isin(["residential", "living_street"]).to_numpy()
    if not res.any():
        res = np.ones(len(edges), dtype=bool)
    crs = net.metric_crs
    metric = edges.geometry[res].to_crs(crs).to_numpy()
    dense = shapely.segmentize(metric, spacing_m)
    # midpoints of the densified segments, each standing for its own length
    coords, owner = shapely.get_coordinates(dense, return_index=True)
    same = owner[1:] == owner[:-1]
    mid = (coords[1:][same] + coords[:-1][same]) / 2
    seg_len = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
    to_wgs = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(mid[:, 0], mid[:, 1])
    lon, lat = np.asarray(lon), np.asarray(lat)
    inside = shapely.contains_xy(area, lon, lat)
    pop = seg_len[inside] / 1000 * assumptions.street_people_per_km
    note = (
        f"population ESTIMATED along residential streets at {assumptions.street_people_per_km:g} people per km "
        "(no raster and no mapped residential buildings)"
    )
    return _finish_estimate(lon[inside], lat[inside], pop, "estimate: residential streets", note, assumptions)


def _finish_estimate(lon: np.ndarray, lat: np.ndarray, pop: np.ndarray, source: str, note: str, a: EstimateAssumptions) -> Demand:
    notes = [note]
    if a.total is not None and pop.sum() > 0:
        pop = pop * (a.total / pop.sum())
        notes.append(f"estimate scaled to the given total of {a.total:,.0f} people")
    return Demand(
        lon=np.asarray(lon, np.float64),
        lat=np.asarray(lat, np.float64),
        pop=np.asarray(pop, np.float64),
        older=np.asarray(pop, np.float64) * a.older_share,
        source=source,
        older_source=f"{a.older_share:.1%} of the estimated total",
        is_estimate=True,
        notes=notes,
    )

"""Locations of the isochrones: a grid of cells, each costed by the run's own point rule.

Whether a location lies inside an isochrone is decided as :mod:`accessibility.tools.query`
answers a point: :meth:`~accessibility.network.snapping.EdgeIndex.snap_points` joins it to
its street, :func:`~accessibility.network.distances.point_neighbours` to the graph, and
:func:`~accessibility.network.distances.costs_at_points` gives its trip. This module lays a
regular grid over the reached streets (cells of ``size_m`` on a lattice fixed in the
network's metric CRS, so reruns and separate calls see the same cells), keeps the cells that
may lie within ``width_m`` of a reached street, snaps and joins them through those public
functions (in chunks, to bound memory), and turns labelled cells into polygons with GDAL's
polygonizer (``rasterio.features.shapes``).

Notes
-----
Only cells whose centre is within ``width_m + size_m / sqrt(2)`` of a *reached* street piece
are snapped: a location whose own trip is within a cutoff joins a street point reached within
that cutoff (the trip goes through it) at most its snapping distance away, so no other cell can
be inside. The candidates are found on a raster (streets burnt in, then a Euclidean distance
transform), tile by tile, which costs far less than a nearest-street search per cell.
Metres throughout; no side effects at import.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj
import shapely
import shapely.geometry
from rasterio.transform import Affine
from scipy import ndimage

from ..network import distances, snapping
from ..readers import rasters

__all__ = ["Cells", "cumulative_polygons", "locate", "reuse"]

TILE_CELLS = 1024  # candidate search: tiles of this many cells a side (a 1 MB mask, 8 MB of distances)
CHUNK_POINTS = 1 << 18  # cells snapped and joined at once (bounds the shapely points and temporary arrays)


@dataclass(frozen=True)
class Cells:
    """Grid cells near the reached streets, joined to the graph as the run joins a point.

    The cell in lattice column ``col`` and row ``row`` (rows counted northwards) is the
    square ``[col, col + 1) x [row, row + 1)`` times ``size_m`` in the network's metric
    CRS; its centre stands for the whole cell.
    """

    size_m: float
    col: np.ndarray
    row: np.ndarray
    snapped: snapping.Snapped
    neighbours: tuple[np.ndarray, ...]  # distances.point_neighbours of ``snapped``

    def __len__(self) -> int:
        return len(self.col)

    def take(self, rows: np.ndarray) -> tuple[snapping.Snapped, tuple[np.ndarray, ...]]:
        """The snapped points and graph neighbours of some cells, for :func:`distances.costs_at_points`."""
        return _take_snapped(self.snapped, rows), tuple(a[rows] for a in self.neighbours)


def _take_snapped(snapped: snapping.Snapped, rows: np.ndarray | slice) -> snapping.Snapped:
    """Rows of a :class:`Snapped`, whatever per-point fields it carries."""
    fields = {f.name: getattr(snapped, f.name) for f in dataclasses.fields(snapped)}
    return snapping.Snapped(**{k: (v[rows] if isinstance(v, np.ndarray) else v) for k, v in fields.items()})


def _concat_snapped(parts: list[snapping.Snapped]) -> snapping.Snapped:
    """One :class:`Snapped` of several chunks' (an optional field only when every non-empty chunk has it)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return snapping.Snapped(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    out: dict[str, Any] = {}
    for f in dataclasses.fields(snapping.Snapped):
        vals = [getattr(p, f.name) for p in parts]
        out[f.name] = np.concatenate(vals) if all(isinstance(v, np.ndarray) for v in vals) else None
    return snapping.Snapped(**out)


def _candidates(lines: np.ndarray, size_m: float, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Lattice cells whose centre may be within ``radius_m`` of ``lines`` (a superset), tile by tile."""
    if len(lines) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # a centre within radius_m of a line is within radius_m + size_m / sqrt(2) of the centre of a
    # cell the line touches; the distance transform measures between centres, in cells
    reach = radius_m / size_m + math.sqrt(0.5)
    halo = math.ceil(reach) + 1
    x0, y0, x1, y1 = shapely.total_bounds(lines)
    ix0, ix1 = math.floor(x0 / size_m) - halo, math.floor(x1 / size_m) + halo
    iy0, iy1 = math.floor(y0 / size_m) - halo, math.floor(y1 / size_m) + halo
    tree = shapely.STRtree(lines)
    found_x, found_y = [], []
    for tx in range(ix0, ix1 + 1, TILE_CELLS):  # tiles bound memory on a city-wide grid
        for ty in range(iy0, iy1 + 1, TILE_CELLS):
            w, h = min(TILE_CELLS, ix1 + 1 - tx), min(TILE_CELLS, iy1 + 1 - ty)
            left, top = tx - halo, ty + h - 1 + halo  # the tile and its halo, as a raster: row 0 at the top
            shape = (h + 2 * halo, w + 2 * halo)
            box = shapely.box(left * size_m, (top + 1 - shape[0]) * size_m, (left + shape[1]) * size_m, (top + 1) * size_m)
            near = tree.query(box)
            if len(near) == 0:
                continue
            burnt = rasters.burn_shapes(
                [(g, 1) for g in lines[near]], out_shape=shape, transform=Affine(size_m, 0, left * size_m, 0, -size_m, (top + 1) * size_m), all_touched=True
            )
            if not burnt.any():  # the lines' boxes meet the tile, the lines do not
                continue
            dist = ndimage.distance_transform_edt(burnt == 0)[halo : halo + h, halo : halo + w]
            r, c = np.nonzero(dist <= reach)
            found_x.append(tx + c)
            found_y.append(ty + h - 1 - r)
    if not found_x:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(found_x).astype(np.int64), np.concatenate(found_y).astype(np.int64)


@dataclass(frozen=True)
class _Known:
    """Cells already snapped on one index (within a :func:`reuse` block), by lattice code."""

    code: np.ndarray  # sorted
    snapped: snapping.Snapped  # in code order, however far from a street


_REUSE: contextvars.ContextVar[dict[tuple[int, float], _Known] | None] = contextvars.ContextVar("isocells_reuse", default=None)


@contextlib.contextmanager
def reuse() -> Iterator[None]:
    """Within the block, :func:`locate` snaps each cell once and reuses it for every service and way of combining.

    The indexes must stay alive (and unchanged) for the whole block.
    """
    token = _REUSE.set({})
    try:
        yield
    finally:
        _REUSE.reset(token)


def _code(col: np.ndarray, row: np.ndarray) -> np.ndarray:
    """One int64 per lattice cell (rows within +-2**31)."""
    return (col.astype(np.int64) << 32) + (row.astype(np.int64) & 0xFFFFFFFF)


def _snap(index: snapping.EdgeIndex, col: np.ndarray, row: np.ndarray, size_m: float) -> snapping.Snapped:
    """Cell centres snapped as the run snaps a point, in chunks (bounded memory on a city-wide grid)."""
    to_wgs = pyproj.Transformer.from_crs(index.crs, "EPSG:4326", always_xy=True)
    parts = []
    for lo in range(0, len(col), CHUNK_POINTS):
        x, y = (col[lo : lo + CHUNK_POINTS] + 0.5) * size_m, (row[lo : lo + CHUNK_POINTS] + 0.5) * size_m
        lon, lat = to_wgs.transform(x, y)
        parts.append(index.snap_points(np.asarray(lon, np.float64), np.asarray(lat, np.float64), xy=(np.asarray(x, np.float64), np.asarray(y, np.float64))))
    return _concat_snapped(parts)


def _snapped_cells(index: snapping.EdgeIndex, col: np.ndarray, row: np.ndarray, size_m: float) -> snapping.Snapped:
    """:func:`_snap` of the cells, reusing those a :func:`reuse` block has already snapped."""
    store = _REUSE.get()
    if store is None:
        return _snap(index, col, row, size_m)
    key = (id(index), size_m)  # where a point snaps depends on the index alone
    code = _code(col, row)
    known = store.get(key, _Known(np.zeros(0, np.int64), _concat_snapped([])))
    new = ~np.isin(code, known.code)
    code_all = np.r_[known.code, code[new]]
    snapped_all = _concat_snapped([known.snapped, _snap(index, col[new], row[new], size_m)])
    order = np.argsort(code_all, kind="stable")
    known = store[key] = _Known(code_all[order], _take_snapped(snapped_all, order))
    return _take_snapped(known.snapped, np.searchsorted(known.code, code))


def locate(graph: distances.AccessGraph, index: snapping.EdgeIndex, lines: np.ndarray, *, width_m: float, size_m: float) -> Cells:
    """Cells that may be drawn within ``width_m`` of ``lines``, snapped and joined as the run joins a point.

    Parameters
    ----------
    graph
        The access graph the costs will be read on.
    index
        The network's edge index (its CRS is the grid's).
    lines
        Metric LineStrings: the reached streets.
    width_m
        Widest snapping distance drawn.
    size_m
        Cell size.

    Returns
    -------
    Cells
        The cells whose centre joins its street within ``width_m + size_m / sqrt(2)``
        (a cell partly within ``width_m`` is kept; the caller clips to the width).
    """
    keep_m = width_m + size_m * math.sqrt(0.5)
    col, row = _candidates(lines, size_m, keep_m)
    snapped = _snapped_cells(index, col, row, size_m)
    ok = np.flatnonzero(snapped.snap_dist_m <= keep_m)
    snapped = _take_snapped(snapped, ok)
    return Cells(size_m, col[ok], row[ok], snapped, _joined(graph, snapped))


def _joined(graph: distances.AccessGraph, snapped: snapping.Snapped) -> tuple[np.ndarray, ...]:
    """:func:`distances.point_neighbours`, in chunks: it holds a score of temporary arrays per point."""
    out: list[np.ndarray] = []
    for lo in range(0, len(snapped), CHUNK_POINTS):
        part = distances.point_neighbours(graph, _take_snapped(snapped, slice(lo, lo + CHUNK_POINTS)))
        out = out or [np.empty(len(snapped), a.dtype) for a in part]
        for whole, a in zip(out, part, strict=True):
            whole[lo : lo + len(a)] = a
    return tuple(out) if out else distances.point_neighbours(graph, snapped)


def _polygonize(raster: np.ndarray, transform: Affine) -> tuple[np.ndarray, np.ndarray]:
    """GDAL's polygons of the connected cells of equal value >= 0: geometries and values."""
    found = rasters.trace_shapes(raster, mask=raster >= 0, transform=transform)
    geoms = np.array([shapely.geometry.shape(g) for g, _ in found], dtype=object)
    return geoms, np.array([int(v) for _, v in found], dtype=np.int64)


def cumulative_polygons(col: np.ndarray, row: np.ndarray, group: np.ndarray, band: np.ndarray, n_groups: int, n_bands: int, size_m: float) -> np.ndarray:
    """Polygons of the cells of each group within each cumulative band: shape ``(n_groups, n_bands)``.

    Every cell belongs to one group (a cell may appear once); ``band`` is the first
    band the cell is in (cells of band ``b`` are in the areas of ``b`` and above).
    Areas are unions of whole cells, so they are nested exactly; missing where empty.
    """
    out = np.full((n_groups, n_bands), None, dtype=object)
    if len(col) == 0:
        return out
    left, top = int(col.min()), int(row.max())
    raster = np.full((top - int(row.min()) + 1, int(col.max()) - left + 1), -1, dtype=np.int32)
    transform = Affine(size_m, 0, left * size_m, 0, -size_m, (top + 1) * size_m)
    for b in range(n_bands):  # a handful of cutoffs: each adds its cells and is polygonized whole
        sel = band == b
        raster[top - row[sel], col[sel] - left] = group[sel]
        geoms, value = _polygonize(raster, transform)
        if len(geoms):
            order = np.argsort(value, kind="stable")
            # parts of one value touch at most at a corner: a valid MultiPolygon
            out[:, b] = shapely.multipolygons(geoms[order], indices=value[order], out=np.full(n_groups, None, dtype=object))
    return out

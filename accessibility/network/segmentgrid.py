"""The streets' segments on a uniform grid, for the nearest street of a million points off the GIL (numba).

Why not GEOS's tree (``shapely.STRtree.query_nearest``), which the rest of
:mod:`~accessibility.network.snapping` uses: on the 1M-node benchmark its
nearest queries for residents, facilities and hexagons' centres took ~6 s of
CPU, and the tree with its 1.5M line objects ~650 MB, the run's peak. Here the
segments' start rows sit in the cells of a grid (CSR arrays, ~85 MB) over the
coordinates already projected for the index; a point's nearest segment is
found ring by ring around its cell, stopping when no segment beyond the rings
searched can be as near.

The answers are GEOS's to the last bit, so snapping gives what it gave:

* the distance to a line is the least of GEOS's point-to-segment distances
  (``Distance::pointToSegment``: the projection factor ``r``, then the end's
  distance, or ``|s| * sqrt(len2)``), each computed with the same operations in
  the same order (numba does not contract them into fused multiply-adds, and
  divides by zero as C does);
* of equally near edges the lowest numbered is taken, as
  :func:`~accessibility.network.linetree.nearest_items` does with the tree's;
* the position along the line is GEOS's ``LengthIndexedLine.project``
  (``LengthIndexOfPoint``: the first segment at the least distance, its
  projection factor clamped, over the length summed in order) divided by the
  line's length (``Length::ofLine``), clipped to 0-1 as
  :meth:`~accessibility.network.snapping.EdgeIndex.fraction` does.

The grid also answers what the barrier search asked of the tree
(:meth:`SegmentGrid.within`: every street within a distance, as ``dwithin``
decides it: the boxes' distance, then the line's), positions on given edges
(:meth:`SegmentGrid.locate`) and which streets lie near some areas
(:meth:`SegmentGrid.edges_near`), so GEOS's lines are built only of those
(:meth:`EdgeIndex.around <accessibility.network.snapping.EdgeIndex.around>`).

``tests/test_segmentgrid.py`` checks every answer against shapely on real
streets and random lines. The kernels are compiled on first use and cached
on disk by numba.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..core import parallel
from ..core.compiled import compiled
from . import linetree

__all__ = ["SegmentGrid"]

#: cells per segment over the streets' box (measured on the 1M-node benchmark: 4 or 10 made the
#: queries slower, more empty cells to pass, and the grid larger)
_CELLS_PER_SEGMENT = 1.0
#: the finest cell side
_MIN_CELL_M = 25.0


@compiled(ieee=True)
def _point_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:  # pragma: no cover - compiled
    """GEOS's ``Distance::pointToSegment``, operation for operation."""
    if ax == bx and ay == by:
        dx, dy = px - ax, py - ay
        return math.sqrt(dx * dx + dy * dy)
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        dx, dy = px - ax, py - ay
        return math.sqrt(dx * dx + dy * dy)
    if r >= 1.0:
        dx, dy = px - bx, py - by
        return math.sqrt(dx * dx + dy * dy)
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / len2
    return abs(s) * math.sqrt(len2)


@compiled(ieee=True)
def _projection_factor(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:  # pragma: no cover - compiled
    """GEOS's ``LineSegment::projectionFactor`` of the point on the segment's line (0 at ``a``, 1 at ``b``)."""
    if px == ax and py == ay:
        return 0.0
    if px == bx and py == by:
        return 1.0
    dx, dy = bx - ax, by - ay
    return ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)


@compiled(ieee=True)
def _locate(xy: np.ndarray, lo: int, hi: int, px: float, py: float) -> float:  # pragma: no cover - compiled
    """Position 0-1 along the line ``lo:hi`` of GEOS's ``project`` over its length, clipped (``EdgeIndex.fraction``)."""
    min_d = math.inf
    measure = -1.0
    start = 0.0
    for j in range(lo, hi - 1):
        ax, ay, bx, by = xy[j, 0], xy[j, 1], xy[j + 1, 0], xy[j + 1, 1]
        d = _point_segment(px, py, ax, ay, bx, by)
        seg_len = math.sqrt((ax - bx) * (ax - bx) + (ay - by) * (ay - by))
        f = _projection_factor(px, py, ax, ay, bx, by)  # then segmentNearestMeasure
        if f <= 0.0:
            m = start
        elif f <= 1.0:
            m = start + f * seg_len
        else:
            m = start + seg_len
        if d < min_d and m > -1.0:
            measure, min_d = m, d
        start += seg_len
    # Length::ofLine sums the same segment lengths in the same order: ``start`` is the line's length
    t = measure / start if start > 0 else 0.0
    return min(max(t, 0.0), 1.0)


@compiled(ieee=True)
def _cell(v: float, origin: float, cell: float, n: int) -> int:  # pragma: no cover - compiled
    """The column (or row) of coordinate ``v``, clamped to the grid's ``n`` (no overflow for a far point)."""
    f = (v - origin) / cell
    if f < 1.0:
        return 0
    if f >= n - 1:
        return n - 1
    return int(f)


@compiled(ieee=True)
def _cells_of(x0: float, y0: float, x1: float, y1: float, gx: float, gy: float, cell: float, nx: int, ny: int, out: np.ndarray) -> int:  # pragma: no cover - compiled
    """The cells a segment passes through (column by column, a cell's margin around each): written to ``out``, their count returned.

    The segment is widened by a thousandth of a cell each way, so no cell it
    touches is missed to rounding; a spare cell only costs a test.
    """
    if x1 < x0:
        x0, y0, x1, y1 = x1, y1, x0, y0
    margin = 1e-3 * cell
    c0, c1 = _cell(x0 - margin, gx, cell, nx), _cell(x1 + margin, gx, cell, nx)
    k = 0
    for c in range(c0, c1 + 1):
        left, right = gx + c * cell, gx + (c + 1) * cell
        lo_x, hi_x = min(max(x0, left), x1), max(min(x1, right), x0)
        if x1 > x0:
            ya = y0 + (y1 - y0) * ((lo_x - x0) / (x1 - x0))
            yb = y0 + (y1 - y0) * ((hi_x - x0) / (x1 - x0))
        else:
            ya, yb = y0, y1
        lo_y, hi_y = min(ya, yb) - margin, max(ya, yb) + margin
        r0, r1 = _cell(lo_y, gy, cell, ny), _cell(hi_y, gy, cell, ny)
        for r in range(r0, r1 + 1):
            if k < len(out):
                out[k] = r * nx + c
            k += 1
    return k


@compiled(ieee=True)
def _visit(
    xy: np.ndarray, seg_rows: np.ndarray, gx: float, gy: float, cell: float, nx: int, ny: int, at: np.ndarray, rows: np.ndarray, write: bool,
) -> None:  # pragma: no cover - compiled
    """One pass over the segments' cells: count each in ``at[cell + 1]``, or (``write``) put the segment's row at ``at[cell]`` and move it on."""
    buf = np.empty(64, dtype=np.int64)
    for i in range(len(seg_rows)):
        j = seg_rows[i]
        k = _cells_of(xy[j, 0], xy[j, 1], xy[j + 1, 0], xy[j + 1, 1], gx, gy, cell, nx, ny, buf)
        if k > len(buf):
            buf = np.empty(2 * k, dtype=np.int64)
            k = _cells_of(xy[j, 0], xy[j, 1], xy[j + 1, 0], xy[j + 1, 1], gx, gy, cell, nx, ny, buf)
        for q in range(k):
            if write:
                rows[at[buf[q]]] = j
                at[buf[q]] += 1
            else:
                at[buf[q] + 1] += 1


def _fill(xy: np.ndarray, seg_rows: np.ndarray, gx: float, gy: float, cell: float, nx: int, ny: int) -> tuple[np.ndarray, np.ndarray]:
    """The grid's CSR arrays: per cell (row-major), the start rows of the segments passing through it, in row order.

    Chunks of segments are counted and placed on all cores: each chunk writes a cell's
    rows after those of the chunks before it, so a cell's rows stay in order.
    """
    bounds = parallel.chunk_bounds(len(seg_rows), min_chunk=500_000)
    counts = [np.zeros(nx * ny + 1, dtype=np.int64) for _ in bounds[1:]]
    none = np.empty(0, dtype=np.int32)
    parallel.over_chunks(lambda lo, hi: _visit(xy, seg_rows[lo:hi], gx, gy, cell, nx, ny, counts[bounds.index(lo)], none, False), len(seg_rows), min_chunk=500_000)
    # a cell's count sits at its index + 1: start[0] is 0
    start = np.cumsum(functools.reduce(np.add, counts))
    rows = np.empty(int(start[-1]), dtype=np.int32)  # coordinate rows: fewer than 2**31 (checked by from_lines)
    at = [start[:-1].copy()]  # where each chunk writes into each cell: after the chunks before it
    for c in counts[:-1]:
        at.append(at[-1] + c[1:])

    def place(lo: int, hi: int) -> None:
        _visit(xy, seg_rows[lo:hi], gx, gy, cell, nx, ny, at[bounds.index(lo)], rows, True)

    parallel.over_chunks(place, len(seg_rows), min_chunk=500_000)
    return start, rows


@compiled(ieee=True)
def _scan(
    xy: np.ndarray, row_line: np.ndarray, grid: tuple[np.ndarray, np.ndarray, float, float, float, int], c: int, r: int,
    px: float, py: float, best_d: float, best_e: int,
) -> tuple[float, int]:  # pragma: no cover - compiled
    """The nearer of (``best_d``, ``best_e``) and the segments of cell ``c``, ``r`` (of equally near edges, the lowest).

    A cell farther than ``best_d`` is skipped (one as far may hold an equally near, lower edge).
    """
    start, rows, gx, gy, cell, nx = grid
    dx = max(gx + c * cell - px, px - (gx + (c + 1) * cell), 0.0)
    dy = max(gy + r * cell - py, py - (gy + (r + 1) * cell), 0.0)
    if dx * dx + dy * dy > best_d * best_d:
        return best_d, best_e
    q = r * nx + c
    for k in range(start[q], start[q + 1]):
        j = rows[k]
        d = _point_segment(px, py, xy[j, 0], xy[j, 1], xy[j + 1, 0], xy[j + 1, 1])
        e = row_line[j]
        if d < best_d or (d == best_d and e < best_e):
            best_d, best_e = d, e
    return best_d, best_e


@compiled(ieee=True)
def _nearest(
    xy: np.ndarray, row_line: np.ndarray, offsets: np.ndarray, start: np.ndarray, rows: np.ndarray,
    gx: float, gy: float, cell: float, nx: int, ny: int, px: np.ndarray, py: np.ndarray,
    edge_out: np.ndarray, dist_out: np.ndarray, t_out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Per point: the nearest edge (the lowest of equally near), the distance and the position along it."""
    grid = (start, rows, gx, gy, cell, nx)
    for i in range(len(px)):
        p_x, p_y = px[i], py[i]
        best_d, best_e = math.inf, -1
        if math.isfinite(p_x) and math.isfinite(p_y) and len(rows):
            cx, cy = _cell(p_x, gx, cell, nx), _cell(p_y, gy, cell, ny)
            ring = 0
            while True:
                c0, c1, r0, r1 = cx - ring, cx + ring, cy - ring, cy + ring
                # the ring's cells in the grid: its bottom and top rows whole, its two side columns between
                for r in (r0, r1):
                    if 0 <= r < ny and (ring or r == r0):
                        for c in range(max(c0, 0), min(c1, nx - 1) + 1):
                            best_d, best_e = _scan(xy, row_line, grid, c, r, p_x, p_y, best_d, best_e)
                if ring:
                    for c in (c0, c1):
                        if 0 <= c < nx:
                            for r in range(max(r0 + 1, 0), min(r1 - 1, ny - 1) + 1):
                                best_d, best_e = _scan(xy, row_line, grid, c, r, p_x, p_y, best_d, best_e)
                # the least distance to a cell outside the block searched (sides at the grid's edge bound nothing)
                bound = math.inf
                if c0 > 0:
                    bound = min(bound, p_x - (gx + c0 * cell))
                if c1 < nx - 1:
                    bound = min(bound, gx + (c1 + 1) * cell - p_x)
                if r0 > 0:
                    bound = min(bound, p_y - (gy + r0 * cell))
                if r1 < ny - 1:
                    bound = min(bound, gy + (r1 + 1) * cell - p_y)
                if best_d < bound or bound == math.inf:
                    break
                ring += 1
        edge_out[i], dist_out[i] = best_e, best_d
        t_out[i] = _locate(xy, offsets[best_e], offsets[best_e + 1], p_x, p_y) if best_e >= 0 else 0.0


@compiled(ieee=True)
def _line_distance(xy: np.ndarray, lo: int, hi: int, px: float, py: float) -> float:  # pragma: no cover - compiled
    """GEOS's distance from a point to the line ``lo:hi``: the least of its segments' (``DistanceOp``)."""
    d = math.inf
    for j in range(lo, hi - 1):
        d = min(d, _point_segment(px, py, xy[j, 0], xy[j, 1], xy[j + 1, 0], xy[j + 1, 1]))
    return d


@compiled(ieee=True)
def _box_distance(xy: np.ndarray, lo: int, hi: int, px: float, py: float) -> float:  # pragma: no cover - compiled
    """GEOS's ``Envelope::distance`` from a point to the line ``lo:hi``'s box (its first test of ``dwithin``)."""
    x0, y0, x1, y1 = math.inf, math.inf, -math.inf, -math.inf
    for j in range(lo, hi):
        x0, y0, x1, y1 = min(x0, xy[j, 0]), min(y0, xy[j, 1]), max(x1, xy[j, 0]), max(y1, xy[j, 1])
    dx = x0 - px if px < x0 else px - x1 if px > x1 else 0.0
    dy = y0 - py if py < y0 else py - y1 if py > y1 else 0.0
    if dx == 0.0:
        return dy
    if dy == 0.0:
        return dx
    return math.sqrt(dx * dx + dy * dy)


@compiled(ieee=True)
def _within(
    xy: np.ndarray, row_line: np.ndarray, offsets: np.ndarray, start: np.ndarray, rows: np.ndarray,
    gx: float, gy: float, cell: float, nx: int, ny: int, px: np.ndarray, py: np.ndarray, radius: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Every (point, line) within ``radius`` as GEOS's ``dwithin`` decides (box, then distance), with the distance; by point, then line."""
    out_p, out_l, out_d = np.empty(64, np.int64), np.empty(64, np.int64), np.empty(64)
    n = 0
    seen = np.empty(64, np.int64)
    for i in range(len(px)):
        p_x, p_y = px[i], py[i]
        if not (math.isfinite(p_x) and math.isfinite(p_y)) or len(rows) == 0:
            continue
        c0, c1 = _cell(p_x - radius, gx, cell, nx), _cell(p_x + radius, gx, cell, nx)
        r0, r1 = _cell(p_y - radius, gy, cell, ny), _cell(p_y + radius, gy, cell, ny)
        k = 0
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                q = r * nx + c
                for m in range(start[q], start[q + 1]):
                    j = rows[m]
                    if _point_segment(p_x, p_y, xy[j, 0], xy[j, 1], xy[j + 1, 0], xy[j + 1, 1]) <= radius:
                        if k == len(seen):
                            seen = np.concatenate((seen, np.empty(k, np.int64)))
                        seen[k] = row_line[j]
                        k += 1
        lines = np.unique(seen[:k])
        for line in lines:
            lo, hi = offsets[line], offsets[line + 1]
            if _box_distance(xy, lo, hi, p_x, p_y) > radius:
                continue
            d = _line_distance(xy, lo, hi, p_x, p_y)
            if d <= radius:
                if n == len(out_p):  # doubled as the buffer of lines seen above
                    out_p = np.concatenate((out_p, np.empty(n, np.int64)))
                    out_l = np.concatenate((out_l, np.empty(n, np.int64)))
                    out_d = np.concatenate((out_d, np.empty(n)))
                out_p[n], out_l[n], out_d[n] = i, line, d
                n += 1
    return out_p[:n], out_l[:n], out_d[:n]


@compiled(ieee=True)
def _locate_all(xy: np.ndarray, offsets: np.ndarray, line: np.ndarray, px: np.ndarray, py: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """:func:`_locate` of each point on its line."""
    for i in range(len(line)):
        out[i] = _locate(xy, offsets[line[i]], offsets[line[i] + 1], px[i], py[i])


@compiled(ieee=True)
def _lines_near(
    row_line: np.ndarray, start: np.ndarray, rows: np.ndarray, gx: float, gy: float, cell: float, nx: int, ny: int,
    boxes: np.ndarray, within: np.ndarray, out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Mark in ``out`` the lines with a segment in a cell meeting a box grown by its ``within``."""
    for i in range(len(boxes)):
        w = within[i]
        if not (math.isfinite(boxes[i, 0]) and math.isfinite(boxes[i, 1]) and math.isfinite(boxes[i, 2]) and math.isfinite(boxes[i, 3]) and w >= 0):
            continue
        c0, c1 = _cell(boxes[i, 0] - w, gx, cell, nx), _cell(boxes[i, 2] + w, gx, cell, nx)
        r0, r1 = _cell(boxes[i, 1] - w, gy, cell, ny), _cell(boxes[i, 3] + w, gy, cell, ny)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                q = r * nx + c
                for m in range(start[q], start[q + 1]):
                    out[row_line[rows[m]]] = True


@compiled(ieee=True)
def _line_bounds(xy: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    for e in range(len(offsets) - 1):
        lo, hi = offsets[e], offsets[e + 1]
        x0 = x1 = xy[lo, 0]
        y0 = y1 = xy[lo, 1]
        for i in range(lo + 1, hi):
            x, y = xy[i, 0], xy[i, 1]
            # numpy's minimum and maximum, as its reduceat applies them: a NaN on either side wins
            x0 = x0 if (x0 <= x or math.isnan(x0)) else x
            y0 = y0 if (y0 <= y or math.isnan(y0)) else y
            x1 = x1 if (x1 >= x or math.isnan(x1)) else x
            y1 = y1 if (y1 >= y or math.isnan(y1)) else y
        out[e, 0], out[e, 1], out[e, 2], out[e, 3] = x0, y0, x1, y1


def line_bounds(xy: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``(minx, miny, maxx, maxy)`` of each line ``xy[offsets[i]:offsets[i + 1]]`` (every line with a point), one pass over the coordinates.

    What ``np.minimum.reduceat`` and ``np.maximum.reduceat`` give, to the bit: 1.5M streets'
    boxes in ~0.01 s instead of ~0.17 s.
    """
    out = np.empty((len(offsets) - 1, 4))
    _line_bounds(np.ascontiguousarray(xy, np.float64), np.asarray(offsets, np.int64), out)
    return out


@dataclass(frozen=True)
class SegmentGrid:
    """Segments of metric lines on a grid of square cells (CSR: the segments' start rows per cell).

    Line ``i`` runs through ``xy[offsets[i]:offsets[i + 1]]`` and is edge
    ``edge_ids[i]`` of the network; ``row_line`` names each coordinate row's line.
    """

    xy: np.ndarray
    offsets: np.ndarray
    edge_ids: np.ndarray
    row_line: np.ndarray
    start: np.ndarray
    rows: np.ndarray
    origin: tuple[float, float]
    cell_m: float
    shape: tuple[int, int]  # columns, rows

    @classmethod
    def from_lines(cls, xy: np.ndarray, offsets: np.ndarray, *, edge_ids: np.ndarray | None = None) -> SegmentGrid:
        """The grid of metric lines: line ``i`` is ``xy[offsets[i]:offsets[i + 1]]``, edge ``edge_ids[i]`` (increasing; default ``i``)."""
        xy = np.ascontiguousarray(xy, np.float64)
        offsets = np.asarray(offsets, np.int64)
        counts = np.diff(offsets)
        edge_ids = linetree.checked_edge_ids(edge_ids, len(counts))
        if len(xy) >= 2**31 - 1:
            raise ValueError("more than 2**31 coordinates: the grid numbers them in 32 bits")
        row_line = np.repeat(np.arange(len(counts), dtype=np.int32), counts)  # 32 bits: ~60 MB less at 1M nodes
        seg = np.ones(len(xy), dtype=bool)
        seg[offsets[1:][counts > 0] - 1] = False  # a line's last row starts no segment
        seg_rows = np.flatnonzero(seg)
        if len(seg_rows):
            lo, hi = (xy[:, 0].min(), xy[:, 1].min()), (xy[:, 0].max(), xy[:, 1].max())  # by column: 20x faster than axis=0
            (gx, gy), (w, h) = (float(lo[0]), float(lo[1])), (float(hi[0] - lo[0]), float(hi[1] - lo[1]))
        else:
            gx = gy = w = h = 0.0
        # about one cell per segment over the streets' box, never finer than _MIN_CELL_M
        cell = max(_MIN_CELL_M, math.sqrt(max(w * h, 1.0) / max(len(seg_rows) * _CELLS_PER_SEGMENT, 1.0)))
        nx, ny = int(w // cell) + 1, int(h // cell) + 1
        start, rows = _fill(xy, seg_rows, gx, gy, cell, nx, ny)
        if start[-1] < 2**31 - 1:  # the cells' starts in 32 bits too (~20 MB less at 1M nodes)
            start = start.astype(np.int32)
        return cls(xy, offsets, edge_ids, row_line, start, rows, (gx, gy), cell, (nx, ny))

    def nearest(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per point (metric): the nearest edge (``-1`` with none), the distance to it and the position along it (0-1 from ``u``)."""
        px, py = np.asarray(px, np.float64), np.asarray(py, np.float64)
        n = len(px)
        (gx, gy), (nx, ny) = self.origin, self.shape
        # queried block by block of 8 x 8 cells: neighbours then test the same segments (2x faster
        # than in the order given, measured); each thread writes its own rows of the sorted order
        with np.errstate(invalid="ignore"):
            cx = np.clip(np.nan_to_num((px - gx) / self.cell_m), 0, nx - 1).astype(np.int64)
            cy = np.clip(np.nan_to_num((py - gy) / self.cell_m), 0, ny - 1).astype(np.int64)
        order = np.argsort(((cy >> 3) * (nx // 8 + 1) + (cx >> 3)) * 64 + (cy & 7) * 8 + (cx & 7), kind="stable")
        sx, sy = px[order], py[order]
        line, dist, t = np.empty(n, np.int64), np.empty(n), np.empty(n)

        def chunk(qx: np.ndarray, qy: np.ndarray, e: np.ndarray, d: np.ndarray, tt: np.ndarray) -> None:
            _nearest(self.xy, self.row_line, self.offsets, self.start, self.rows, gx, gy, self.cell_m, nx, ny, qx, qy, e, d, tt)

        if n:
            parallel.map_chunks(chunk, sx, sy, line, dist, t, min_chunk=20_000)
        edge = np.full(n, -1, dtype=np.int64)
        found = line >= 0
        edge[order[found]] = self.edge_ids[line[found]]
        out_d, out_t = np.empty(n), np.empty(n)
        out_d[order], out_t[order] = dist, t
        return edge, out_d, out_t

    def line_of(self, edge: np.ndarray) -> np.ndarray:
        """The grid's lines (rows of :attr:`offsets`) of network edges."""
        return linetree.line_of(self.edge_ids, edge)

    def locate(self, edge: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """Position 0-1 from ``u`` along ``edge`` of the points' closest points on it (shapely's ``line_locate_point`` over the length, clipped)."""
        out = np.empty(len(edge))
        if len(edge):
            _locate_all(self.xy, self.offsets, self.line_of(edge), np.asarray(px, np.float64), np.asarray(py, np.float64), out)
        return out

    def within(self, px: np.ndarray, py: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (point, edge) pair within ``radius_m`` (shapely's ``dwithin`` query of the lines' tree) and its distance; by point, then edge."""
        (gx, gy), (nx, ny) = self.origin, self.shape

        def chunk(qx: np.ndarray, qy: np.ndarray) -> tuple[np.ndarray, ...]:
            return _within(self.xy, self.row_line, self.offsets, self.start, self.rows, gx, gy, self.cell_m, nx, ny, qx, qy, float(radius_m))

        # contiguous chunks of points, one per thread: the pairs stay by point, then edge
        pi, line, dist = parallel.query_chunks(chunk, np.asarray(px, np.float64), np.asarray(py, np.float64), min_chunk=5_000)
        return pi, self.edge_ids[line], dist

    def edges_near(self, boxes: np.ndarray, within_m: np.ndarray) -> np.ndarray:
        """The edges (sorted) with a point within ``within_m`` of one of ``boxes`` (``(minx, miny, maxx, maxy)`` rows, each its own distance), and some more."""
        out = np.zeros(len(self.edge_ids), dtype=bool)
        (gx, gy), (nx, ny) = self.origin, self.shape
        boxes = np.ascontiguousarray(boxes, np.float64).reshape(-1, 4)
        _lines_near(self.row_line, self.start, self.rows, gx, gy, self.cell_m, nx, ny, boxes, np.broadcast_to(np.asarray(within_m, np.float64), len(boxes)).copy(), out)
        return self.edge_ids[out]

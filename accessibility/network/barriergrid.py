"""The barrier search on compiled grids: which walks to a street cross a wall, water or rail, off the GIL (numba).

Why not shapely and GEOS's tree, which :meth:`EdgeIndex._around_barriers
<accessibility.network.snapping.EdgeIndex>` uses for an index of a few streets:
on the 1M-node benchmark, the walks of the residents and hexagons' centres near
a barrier (~200k) and of the points behind one to their candidate streets
(~400k) took ~3.6 s of CPU there (GEOS lines of the candidates, their shortest
lines, the tree's queries), holding the GIL between the vectorised calls. Here
the barriers' segments sit on a :class:`~accessibility.network.segmentgrid.SegmentGrid`
of their own and each walk is computed and tested in one compiled loop.

The answers are GEOS's to the last bit, so the search finds what it found:

* a point's walk to its nearest street ends where shapely's
  ``line_interpolate_point(line, t, normalized=True)`` puts it: GEOS's
  ``LengthIndexedLine::extractPoint`` at ``t`` times ``Length::ofLine``
  (``LengthLocationMap``'s walk along the segments, then
  ``LinearLocation::pointAlongSegmentByFraction``);
* a walk to a candidate street ends at shapely's ``shortest_line``'s end:
  GEOS's ``DistanceOp`` (the first segment at the least ``pointToSegment``
  distance, its ``LineSegment::closestPoint``); its length is ``Length::ofLine``;
* a walk crosses a barrier by :class:`~accessibility.network.crossing.BarrierIndex`'s
  test, operation for operation, over the barrier segments of the grid cells
  its box meets (a segment that crosses the walk meets it inside that box);
* only a point nearer a barrier than its street is tested, as there: a barrier
  segment within the street's distance (``pointToSegment``, as ``dwithin``
  measures it; GEOS first compares the distance to the chain's box, which can
  only leave out more points, whose walks cannot cross the barrier anyway).

``tests/test_barriergrid.py`` checks each against shapely. The kernels are
compiled on first use and cached on disk by numba.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import parallel
from ..core.compiled import compiled
from .segmentgrid import SegmentGrid, _cell, _locate, _point_segment, _projection_factor

__all__ = ["blocked", "links"]


@compiled(ieee=True)
def _interpolate(xy: np.ndarray, lo: int, hi: int, t: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """The point at ``t`` (0-1) along the line ``lo:hi``: GEOS's ``GEOSInterpolateNormalized``."""
    length = 0.0  # Length::ofLine
    for j in range(lo, hi - 1):
        dx, dy = xy[j + 1, 0] - xy[j, 0], xy[j + 1, 1] - xy[j, 1]
        length += math.sqrt(dx * dx + dy * dy)
    d = t * length
    if d <= 0.0:  # LengthLocationMap::getLocationForward: the start
        return xy[lo, 0], xy[lo, 1]
    total = 0.0
    for j in range(lo, hi - 1):
        dx, dy = xy[j + 1, 0] - xy[j, 0], xy[j + 1, 1] - xy[j, 1]
        seg = math.sqrt(dx * dx + dy * dy)
        if total + seg > d:  # the length falls in this segment
            frac = (d - total) / seg
            if frac <= 0.0:
                return xy[j, 0], xy[j, 1]
            if frac >= 1.0:
                return xy[j + 1, 0], xy[j + 1, 1]
            return (xy[j + 1, 0] - xy[j, 0]) * frac + xy[j, 0], (xy[j + 1, 1] - xy[j, 1]) * frac + xy[j, 1]
        total += seg
    return xy[hi - 1, 0], xy[hi - 1, 1]  # beyond the line: its end


@compiled(ieee=True)
def _closest(xy: np.ndarray, lo: int, hi: int, px: float, py: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """The line ``lo:hi``'s point closest to ``(px, py)``: GEOS's ``DistanceOp`` between a line and a point."""
    best = math.inf
    cx, cy = math.nan, math.nan
    for j in range(lo, hi - 1):
        ax, ay, bx, by = xy[j, 0], xy[j, 1], xy[j + 1, 0], xy[j + 1, 1]
        d = _point_segment(px, py, ax, ay, bx, by)
        if d < best:
            best = d
            # LineSegment::closestPoint: the projection inside the segment, else the nearer end
            f = _projection_factor(px, py, ax, ay, bx, by)
            if f > 0.0 and f < 1.0:
                cx, cy = ax + f * (bx - ax), ay + f * (by - ay)
            else:
                d0 = math.sqrt((ax - px) * (ax - px) + (ay - py) * (ay - py))
                d1 = math.sqrt((bx - px) * (bx - px) + (by - py) * (by - py))
                cx, cy = (ax, ay) if d0 < d1 else (bx, by)
        if best <= 0.0:
            break
    return cx, cy


@compiled(ieee=True)
def _crosses(
    bxy: np.ndarray, start: np.ndarray, rows: np.ndarray, gx: float, gy: float, cell: float, nx: int, ny: int,
    px: float, py: float, qx: float, qy: float,
) -> bool:  # pragma: no cover - compiled
    """The walk from p to q properly crosses a barrier segment (``BarrierIndex._cross``'s arithmetic)."""
    dx, dy = qx - px, qy - py
    margin = 1e-3 * cell  # no cell the walk meets is missed to rounding
    c0, c1 = _cell(min(px, qx) - margin, gx, cell, nx), _cell(max(px, qx) + margin, gx, cell, nx)
    r0, r1 = _cell(min(py, qy) - margin, gy, cell, ny), _cell(max(py, qy) + margin, gy, cell, ny)
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            q = r * nx + c
            for m in range(start[q], start[q + 1]):
                j = rows[m]
                # the segment's ends a, b relative to p: on opposite sides of the walk ...
                ax, ay, bx, by = bxy[j, 0] - px, bxy[j, 1] - py, bxy[j + 1, 0] - px, bxy[j + 1, 1] - py
                if (dx * ay - dy * ax) * (dx * by - dy * bx) < 0:
                    # ... and the walk's ends p, q on opposite sides of the segment
                    sx, sy = bx - ax, by - ay
                    side_p = sy * ax - sx * ay
                    if side_p * (side_p + sx * dy - sy * dx) < 0:
                        return True
    return False


@compiled(ieee=True)
def _near(
    bxy: np.ndarray, start: np.ndarray, rows: np.ndarray, gx: float, gy: float, cell: float, nx: int, ny: int, px: float, py: float, d: float,
) -> bool:  # pragma: no cover - compiled
    """A barrier segment lies within ``d`` of ``(px, py)``."""
    c0, c1 = _cell(px - d, gx, cell, nx), _cell(px + d, gx, cell, nx)
    r0, r1 = _cell(py - d, gy, cell, ny), _cell(py + d, gy, cell, ny)
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            q = r * nx + c
            for m in range(start[q], start[q + 1]):
                j = rows[m]
                if _point_segment(px, py, bxy[j, 0], bxy[j, 1], bxy[j + 1, 0], bxy[j + 1, 1]) <= d:
                    return True
    return False


@compiled(ieee=True)
def _blocked(
    sxy: np.ndarray, offsets: np.ndarray, line: np.ndarray, t: np.ndarray, dist: np.ndarray, px: np.ndarray, py: np.ndarray,
    bxy: np.ndarray, start: np.ndarray, rows: np.ndarray, gx: float, gy: float, cell: float, nx: int, ny: int, out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Per point: its walk to the point ``t`` along its street ``line`` crosses a barrier (points nearer a barrier than ``dist`` only)."""
    for i in range(len(px)):
        out[i] = False
        p_x, p_y, d = px[i], py[i], dist[i]
        if line[i] < 0 or not (math.isfinite(p_x) and math.isfinite(p_y) and d >= 0.0) or len(rows) == 0:
            continue
        if not _near(bxy, start, rows, gx, gy, cell, nx, ny, p_x, p_y, d):
            continue
        qx, qy = _interpolate(sxy, offsets[line[i]], offsets[line[i] + 1], t[i])
        out[i] = _crosses(bxy, start, rows, gx, gy, cell, nx, ny, p_x, p_y, qx, qy)


@compiled(ieee=True)
def _links(
    sxy: np.ndarray, offsets: np.ndarray, line: np.ndarray, px: np.ndarray, py: np.ndarray,
    bxy: np.ndarray, start: np.ndarray, rows: np.ndarray, gx: float, gy: float, cell: float, nx: int, ny: int,
    d_out: np.ndarray, t_out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Per (point, street) pair: the walk's length (``inf`` when it crosses a barrier) and its end's position along the street."""
    for k in range(len(px)):
        lo, hi = offsets[line[k]], offsets[line[k] + 1]
        cx, cy = _closest(sxy, lo, hi, px[k], py[k])
        dx, dy = cx - px[k], cy - py[k]
        crossed = len(rows) > 0 and _crosses(bxy, start, rows, gx, gy, cell, nx, ny, px[k], py[k], cx, cy)
        d_out[k] = math.inf if crossed else math.sqrt(dx * dx + dy * dy)
        t_out[k] = _locate(sxy, lo, hi, cx, cy)


def _barrier_args(barriers: SegmentGrid) -> tuple:
    (gx, gy), (nx, ny) = barriers.origin, barriers.shape
    return barriers.xy, barriers.start, barriers.rows, gx, gy, barriers.cell_m, nx, ny


def blocked(streets: SegmentGrid, barriers: SegmentGrid, edge: np.ndarray, t: np.ndarray, dist: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per metric point joined to ``edge`` at ``t`` (0-1) from ``dist`` away: its straight walk there crosses a barrier.

    ``edge`` -1 (no street) is never blocked.
    """
    n = len(x)
    line = np.full(n, -1, np.int64)
    has = np.asarray(edge) >= 0
    line[has] = streets.line_of(np.asarray(edge)[has])
    out = np.zeros(n, dtype=bool)
    args = _barrier_args(barriers)

    def chunk(li: np.ndarray, tt: np.ndarray, dd: np.ndarray, xx: np.ndarray, yy: np.ndarray, o: np.ndarray) -> None:
        _blocked(streets.xy, streets.offsets, li, tt, dd, xx, yy, *args, o)

    if n:
        parallel.map_chunks(chunk, line, np.asarray(t, np.float64), np.asarray(dist, np.float64), np.asarray(x, np.float64), np.asarray(y, np.float64), out, min_chunk=20_000)
    return out


def links(streets: SegmentGrid, barriers: SegmentGrid, x: np.ndarray, y: np.ndarray, edge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per metric point and street ``edge``: the walk to the street's closest point (``inf`` across a barrier) and that point's position (0-1) along it."""
    n = len(x)
    d, t = np.empty(n), np.empty(n)
    line = streets.line_of(edge)
    args = _barrier_args(barriers)

    def chunk(li: np.ndarray, xx: np.ndarray, yy: np.ndarray, dd: np.ndarray, tt: np.ndarray) -> None:
        _links(streets.xy, streets.offsets, li, xx, yy, *args, dd, tt)

    if n:
        parallel.map_chunks(chunk, line, np.asarray(x, np.float64), np.asarray(y, np.float64), d, t, min_chunk=20_000)
    return d, t

"""Does a straight walk cross a barrier? Barrier lines as short chains in an STRtree, crossings tested in numpy.

A lake's outline as one line has a box covering the lake, so the lines are
cut into chains of at most :data:`CHAIN` segments, whose boxes hug the
outline. A walk (a 2-point line) crosses a barrier when it *properly*
intersects one of its segments: each segment's ends lie strictly on
opposite sides of the walk and the walk's ends strictly on opposite sides of
the segment; touching a wall (a gate node shared with a street) is not
crossing it, as in GEOS's ``crosses``.

Why by hand: GEOS answers ``crosses`` one pair at a time through a full
DE-9IM relate, about 8 µs per 300 m walk on the 1M-node benchmark; here the
tree gives the candidate (walk, chain) pairs by their boxes and the four
orientation signs of every (walk, segment) pair are computed at once, in
chunks that bound the memory, on all cores.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING

import numpy as np
import shapely

from ..core import parallel

if TYPE_CHECKING:
    from .segmentgrid import SegmentGrid

__all__ = ["CHAIN", "BarrierIndex"]

#: segments per tree item: fewer items build faster (1.1M segments of a 1M-node city: 3.7 s as
#: one item each), more make each candidate pair test more segments
CHAIN = 8
_PAIRS = 100_000  # candidate (walk, chain) pairs tested at once per thread: bounds the memory (measured fastest)


class BarrierIndex:
    """Barrier lines in a metric CRS, for crossing tests.

    Parameters
    ----------
    xy
        The lines' metric coordinates, ``(n, 2)``.
    line
        Per coordinate, the line (or part) it belongs to, in order: consecutive
        coordinates of the same line are its segments.
    """

    def __init__(self, xy: np.ndarray, line: np.ndarray):
        self.xy = np.ascontiguousarray(xy, np.float64)
        line = np.asarray(line)
        #: the lines' (or parts') rows: ``xy[offsets[i]:offsets[i + 1]]``
        self.offsets = np.r_[0, np.flatnonzero(line[1:] != line[:-1]) + 1, len(line)].astype(np.int64) if len(line) else np.zeros(1, np.int64)
        self._lock = threading.Lock()

    @functools.cached_property
    def _start(self) -> np.ndarray:
        """Segment ``i`` runs from ``xy[_start[i]]`` to ``xy[_start[i] + 1]``."""
        last = np.zeros(len(self.xy), dtype=bool)
        last[self.offsets[1:] - 1] = True  # a line's last row starts no segment
        return np.flatnonzero(~last)

    @functools.cached_property
    def _segments(self) -> tuple[np.ndarray, ...]:
        """The segments' ends as contiguous columns (the crossing test gathers them by segment), and the chains' first segments and counts."""
        start = self._start
        a, b = self.xy[start], self.xy[start + 1]
        seg = np.arange(len(start))
        first_of_line = np.zeros(len(start), dtype=bool)
        first_of_line[np.searchsorted(start, self.offsets[:-1][np.diff(self.offsets) > 1])] = True
        rank = seg - np.maximum.accumulate(np.where(first_of_line, seg, 0))
        chain_first = np.flatnonzero(rank % CHAIN == 0)
        return (*(np.ascontiguousarray(c) for c in (a[:, 0], a[:, 1], b[:, 0], b[:, 1])), chain_first, np.diff(np.r_[chain_first, len(start)]))

    @functools.cached_property
    def chains(self) -> np.ndarray:
        """The barriers cut into lines of at most :data:`CHAIN` segments."""
        start = self._start
        if not len(start):
            return np.array([], dtype=object)
        chain_first, chain_count = self._segments[4:]
        # a chain's line: its segments' starts and its last segment's end
        chain_of_seg = np.repeat(np.arange(len(chain_first)), chain_count)
        last = chain_first + chain_count - 1
        coords = np.concatenate([self.xy[start], self.xy[start[last] + 1]])
        owner = np.concatenate([chain_of_seg, np.arange(len(last))])
        order = np.argsort(owner, kind="stable")
        return shapely.linestrings(coords[order], indices=owner[order])

    @functools.cached_property
    def tree(self) -> shapely.STRtree:
        """GEOS's tree of :attr:`chains` (built on first use: an index of many streets asks :attr:`grid`)."""
        return shapely.STRtree(self.chains)

    @property
    def grid(self) -> SegmentGrid:
        """The barriers' segments on a compiled grid (:mod:`~accessibility.network.barriergrid`), built on first use."""
        with self._lock:
            built = self.__dict__.get("_grid")
            if built is None:
                from .segmentgrid import SegmentGrid  # numba: imported by the indexes that use it

                built = self.__dict__["_grid"] = SegmentGrid.from_lines(self.xy, self.offsets)
            return built

    @classmethod
    def from_lines(cls, lines: np.ndarray, to_metric) -> BarrierIndex:
        """The index of WGS-84 ``lines`` (and multi-lines), projected by ``to_metric(lon, lat) -> (n, 2)``."""
        parts = shapely.get_parts(np.asarray(lines, dtype=object))
        lonlat, line = shapely.get_coordinates(parts, return_index=True)
        return cls(to_metric(lonlat[:, 0], lonlat[:, 1]) if len(lonlat) else np.zeros((0, 2)), line)

    def __len__(self) -> int:
        return len(self.xy) - (len(self.offsets) - 1)  # a line's rows less one

    def near(self, pts: np.ndarray, dist: np.ndarray) -> np.ndarray:
        """Positions of the metric points ``pts`` within ``dist[i]`` of a barrier (sorted)."""
        tree = self.tree
        hit = parallel.query_chunks(lambda part, d: tree.query(part, predicate="dwithin", distance=d), pts, dist, min_chunk=50_000)[0]
        return np.unique(hit)

    def crossing(self, links: np.ndarray) -> np.ndarray:
        """Per metric 2-point line: it properly crosses a barrier segment."""
        out = np.zeros(len(links), dtype=bool)
        if not len(links) or not len(self):
            return out
        ends = shapely.get_coordinates(links).reshape(-1, 2, 2)
        # per walk: its start p and its direction d = q - p, as contiguous columns
        walk = tuple(np.ascontiguousarray(c) for c in (ends[:, 0, 0], ends[:, 0, 1], ends[:, 1, 0] - ends[:, 0, 0], ends[:, 1, 1] - ends[:, 0, 1]))

        tree, _ = self.tree, self._segments  # built once, before the threads use them

        def chunk(part: np.ndarray, position: np.ndarray) -> np.ndarray:
            li, ci = tree.query(part)  # boxes that meet
            return np.concatenate([np.zeros(0, np.int64)] + [self._cross(walk, position[li[s]], ci[s]) for s in _slices(len(li), _PAIRS)])

        out[np.concatenate(parallel.map_chunks(chunk, links, np.arange(len(links)), min_chunk=10_000))] = True
        return out

    def _cross(self, walk: tuple[np.ndarray, ...], which: np.ndarray, chain: np.ndarray) -> np.ndarray:
        """The walks ``which[i]`` that properly cross a segment of ``chain[i]``."""
        seg_ax, seg_ay, seg_bx, seg_by, chain_first, chain_count = self._segments
        count = chain_count[chain]
        pair = np.repeat(which, count)
        seg = np.repeat(chain_first[chain] - np.cumsum(count) + count, count) + np.arange(len(pair))
        px, py, dx, dy = (c[pair] for c in walk)
        # the segment's ends a, b relative to p: on opposite sides of the walk ...
        ax, ay, bx, by = seg_ax[seg] - px, seg_ay[seg] - py, seg_bx[seg] - px, seg_by[seg] - py
        hit = (dx * ay - dy * ax) * (dx * by - dy * bx) < 0
        # ... and the walk's ends p, q = p + d on opposite sides of the segment
        sx, sy = bx - ax, by - ay
        side_p = sy * ax - sx * ay
        hit &= side_p * (side_p + sx * dy - sy * dx) < 0
        return np.unique(pair[hit])


def _slices(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]

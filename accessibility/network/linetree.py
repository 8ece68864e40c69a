"""GEOS's tree of a few streets: what :class:`~accessibility.network.segmentgrid.SegmentGrid` answers, from shapely.

An index of a district's streets, or of those around a planner's few new sites
(:meth:`EdgeIndex.near <accessibility.network.snapping.EdgeIndex.near>`), holds a few thousand
lines (up to :data:`~accessibility.network.snapping.FEW_STREETS`). Loading the compiled grid
there (numba's import and its kernels' cache, ~0.3 s a process; their compilation on first use
after installing, ~8 s) would cost more than the grid saves, so such an index asks GEOS
directly: the very answers the grid reproduces (``tests/test_segmentgrid.py`` runs its tests
on both).
"""

from __future__ import annotations

import numpy as np
import shapely

from ..core import parallel

__all__ = ["LineTree", "checked_edge_ids", "line_of", "nearest_items"]


def checked_edge_ids(edge_ids: np.ndarray | None, n_lines: int) -> np.ndarray:
    """The network edges of ``n_lines`` lines: ``edge_ids`` (increasing, one per line) or ``0..n_lines-1``."""
    ids = np.arange(n_lines, dtype=np.int64) if edge_ids is None else np.asarray(edge_ids, np.int64)
    if len(ids) != n_lines or (np.diff(ids) <= 0).any():
        raise ValueError("edge_ids must be increasing, one per line")
    return ids


def line_of(edge_ids: np.ndarray, edge: np.ndarray) -> np.ndarray:
    """The lines holding network edges ``edge``, of lines that are edges ``edge_ids`` (increasing)."""
    edge = np.asarray(edge, np.int64)
    local = np.minimum(np.searchsorted(edge_ids, edge), max(len(edge_ids) - 1, 0))
    if len(edge) and not (len(edge_ids) and (edge_ids[local] == edge).all()):
        raise ValueError("an edge not in the grid was asked for")
    return local


def nearest_items(tree: shapely.STRtree, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per geometry (that has one): its position, its nearest tree item and the distance.

    Of items equally near (a point at a junction, on both streets) the first in
    the tree's array is taken, whatever the tree's shape: an index of a few
    places' streets (:meth:`EdgeIndex.near <accessibility.network.snapping.EdgeIndex.near>`) then joins them where the whole
    network's index does.
    """
    (p, t), d = tree.query_nearest(geoms, return_distance=True, all_matches=True)
    order = np.lexsort((t, p))
    first = order[np.r_[True, p[order][1:] != p[order][:-1]]] if len(order) else order
    return p[first], t[first], d[first]


class LineTree:
    """Metric lines in GEOS's tree, with :class:`~accessibility.network.segmentgrid.SegmentGrid`'s methods.

    Line ``i`` runs through ``xy[offsets[i]:offsets[i + 1]]`` and is edge ``edge_ids[i]`` (increasing).
    """

    def __init__(self, xy: np.ndarray, offsets: np.ndarray, *, edge_ids: np.ndarray | None = None):
        self.xy = np.ascontiguousarray(xy, np.float64)
        self.offsets = np.asarray(offsets, np.int64)
        counts = np.diff(self.offsets)
        self.edge_ids = checked_edge_ids(edge_ids, len(counts))
        self.lines = parallel.build_geometries("line", self.xy, counts)
        self.length = shapely.length(self.lines)
        self.tree = shapely.STRtree(self.lines, node_capacity=4)

    @classmethod
    def from_lines(cls, xy: np.ndarray, offsets: np.ndarray, *, edge_ids: np.ndarray | None = None) -> LineTree:
        """As :meth:`SegmentGrid.from_lines <accessibility.network.segmentgrid.SegmentGrid.from_lines>`."""
        return cls(xy, offsets, edge_ids=edge_ids)

    def line_of(self, edge: np.ndarray) -> np.ndarray:
        """The lines (rows of :attr:`offsets`) of network edges."""
        return line_of(self.edge_ids, edge)

    def _positions(self, line: np.ndarray, pts: np.ndarray) -> np.ndarray:
        length = self.length[line]
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(length > 0, shapely.line_locate_point(self.lines[line], pts) / length, 0.0)
        return np.clip(t, 0.0, 1.0)

    def nearest(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per point: the nearest edge (the lowest of equally near; ``-1`` with none), the distance and the position along it."""
        pts = shapely.points(np.asarray(px, np.float64), np.asarray(py, np.float64))
        p, line, d = nearest_items(self.tree, pts)
        edge, dist, t = np.full(len(pts), -1, np.int64), np.full(len(pts), np.inf), np.zeros(len(pts))
        edge[p], dist[p], t[p] = self.edge_ids[line], d, self._positions(line, pts[p])
        return edge, dist, t

    def locate(self, edge: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """Position 0-1 along ``edge`` of the points' closest points on it."""
        return self._positions(self.line_of(edge), shapely.points(np.asarray(px, np.float64), np.asarray(py, np.float64)))

    def within(self, px: np.ndarray, py: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (point, edge) pair within ``radius_m`` and its distance; by point, then edge."""
        pts = shapely.points(np.asarray(px, np.float64), np.asarray(py, np.float64))
        pi, li = self.tree.query(pts, predicate="dwithin", distance=radius_m)
        order = np.lexsort((li, pi))
        pi, li = pi[order], li[order]
        return pi, self.edge_ids[li], np.asarray(shapely.distance(pts[pi], self.lines[li]), np.float64)

    def edges_near(self, boxes: np.ndarray, within_m: np.ndarray) -> np.ndarray:
        """The edges (sorted) within ``within_m`` of one of ``boxes`` (each its own distance)."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        ok = np.isfinite(boxes).all(axis=1)
        within = np.broadcast_to(np.asarray(within_m, np.float64), len(boxes))[ok]
        _, li = self.tree.query(shapely.box(*boxes[ok].T), predicate="dwithin", distance=within)
        return self.edge_ids[np.unique(li)]

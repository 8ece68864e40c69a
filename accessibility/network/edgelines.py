"""The edges of a network as coordinate arrays, their lines built on demand, and a grid to find boxes near a few others.

A network read from an OSM file or the cache holds its edges' coordinates
(:class:`EdgeLines`) and builds their shapely lines when a stage asks for
:attr:`Network.edges <accessibility.network.graph.Network.edges>`: 1.5M lines
take ~0.8 s on one core, holding the GIL, while most of a run needs their
coordinates only (their boxes, the street mask, the edge index's projection,
the few edges near gates, compounds or new sites).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core import parallel

__all__ = ["BoxGrid", "EdgeLines", "LazyEdges"]

#: from this many edges, their boxes are found by a compiled pass (numba's import and kernels
#: cost more than numpy's reductions on a small network; the segment grid's threshold too)
_COMPILED_MIN_EDGES = 100_000


@dataclass(frozen=True)
class EdgeLines:
    """Edges' WGS-84 coordinates as flat arrays: edge ``i`` runs through ``xy[offsets[i]:offsets[i + 1]]``."""

    xy: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def of(cls, geoms: np.ndarray) -> EdgeLines:
        """The coordinates of shapely lines."""
        counts = shapely.get_num_coordinates(geoms)
        return cls(shapely.get_coordinates(geoms), np.r_[0, np.cumsum(counts)].astype(np.int64))

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def take(self, rows: np.ndarray) -> EdgeLines:
        """The edges ``rows`` (integer positions or a boolean mask), in that order."""
        if np.asarray(rows).dtype == bool:
            # a mask: the rows' points by a mask of points (half the time of gathering 7M positions)
            mask = np.asarray(rows)
            counts = self.counts[mask]
            points: np.ndarray = np.repeat(mask, self.counts)
            rows = np.flatnonzero(mask)
        else:
            rows = np.asarray(rows, np.int64)
            counts = self.counts[rows]
            points = np.repeat(self.offsets[rows] - np.r_[0, np.cumsum(counts)][:-1], counts) + np.arange(int(counts.sum()))
        out = EdgeLines(parallel.take_rows(self.xy, points), np.r_[0, np.cumsum(counts)].astype(np.int64))
        known = self.__dict__.get("_bounds")
        if known is not None:  # the rows' boxes, when this one's are known
            out.with_bounds(known[rows])
        projected = self.__dict__.get("_projected")
        if projected is not None:  # the rows' projected points, when these are being projected
            out.__dict__["_projected"] = (projected[0], _Rows(projected[1], points))
        return out

    def project_later(self, crs: Any, submit: Callable[..., Future], project: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
        """Start projecting the coordinates to ``crs`` (``project(lon, lat)``, ``(n, 2)`` rows) on ``submit``'s thread: :meth:`projected` gives them.

        A new network's streets are projected for its edge index while the run
        decides its barriers (~1 s of the 1M-node run's other core); the edges
        that decision keeps (:meth:`take`) carry their rows of the projection.
        """
        self.__dict__["_projected"] = (crs, submit(project, self.xy[:, 0], self.xy[:, 1]))

    def projected(self, crs: Any) -> np.ndarray | None:
        """The coordinates projected to ``crs`` by :meth:`project_later` (waited for), or ``None``.

        Given once: the index that takes them holds them, and lets them go with itself (a run
        releases its index before writing its folder: ~100 MB at 1M nodes).
        """
        got = self.__dict__.pop("_projected", None)
        return None if got is None or got[0] != crs else got[1].result()

    def with_bounds(self, bounds: np.ndarray) -> EdgeLines:
        """Attach boxes computed before (:meth:`bounds` of the same coordinates, e.g. from the cache); returns ``self``."""
        bounds = np.asarray(bounds, np.float64)
        if bounds.shape != (len(self), 4):
            raise ValueError(f"{bounds.shape[0]} boxes for {len(self)} edges")
        bounds.flags.writeable = False
        self.__dict__["_bounds"] = bounds
        return self

    def bounds(self) -> np.ndarray:
        """``(minx, miny, maxx, maxy)`` per edge (NaN for an edge without coordinates), read-only; kept once computed, but a large network's.

        A large network's are found again when asked (one compiled pass, ~0.01 s at 1.5M
        edges) rather than held through the run (~46 MB at its peak).
        """
        found = self.__dict__.get("_bounds")
        if found is None:
            has = np.flatnonzero(self.counts > 0)
            if len(has) == len(self) >= _COMPILED_MIN_EDGES:  # a large network's: one compiled pass (loads numba)
                from . import segmentgrid

                found = segmentgrid.line_bounds(self.xy, self.offsets)
                found.flags.writeable = False
                return found
            if len(has) == len(self) > 0:  # a smaller network's, every edge with rows: both axes of each edge's rows at once
                found = np.hstack([np.minimum.reduceat(self.xy, self.offsets[:-1], axis=0), np.maximum.reduceat(self.xy, self.offsets[:-1], axis=0)])
            else:
                found = np.full((len(self), 4), np.nan)
                if len(has):
                    first = self.offsets[has]
                    for j, reduce in enumerate((np.minimum, np.minimum, np.maximum, np.maximum)):
                        found[has, j] = reduce.reduceat(np.ascontiguousarray(self.xy[:, j % 2]), first)
            found.flags.writeable = False
            self.__dict__["_bounds"] = found  # a frozen dataclass: its cache kept beside its fields
        return found

    def lines(self) -> np.ndarray:
        """shapely LineStrings (~0.55 µs each: GEOS holds the GIL while it builds them, so more threads do not help)."""
        return parallel.build_geometries("line", self.xy, self.counts)


_SLICE = 1 << 17  # boxes per slice in BoxGrid.meets


class BoxGrid:
    """Which of many boxes come within ``grow`` of a few: the few's grown boxes marked on a grid (at most ``max_cells`` a side).

    A box that meets a grown box meets a marked cell, so :meth:`meets` keeps every
    box within ``grow`` of one of the few (and a few more, by the cells' size): the
    candidates an exact test then decides. Boxes are ``(minx, miny, maxx, maxy)`` rows.

    Parameters
    ----------
    boxes
        The few boxes.
    grow
        How far around them, along x and along y.
    max_cells
        The grid's cells are at least ``grow`` wide, and at most this many a side.
    """

    def __init__(self, boxes: np.ndarray, grow: tuple[float, float], *, max_cells: int = 1024):
        boxes = boxes[np.isfinite(boxes).all(axis=1)]
        grown = np.column_stack([boxes[:, :2] - grow, boxes[:, 2:] + grow]) if len(boxes) else np.zeros((1, 4))
        lo_xy, hi_xy = grown[:, :2].min(axis=0), grown[:, 2:].max(axis=0)
        self.step = np.maximum(np.maximum(np.asarray(grow, np.float64), (hi_xy - lo_xy) / max_cells), 1e-12)
        self.origin = lo_xy - self.step
        lo, hi = self._cells(grown[:, :2]), self._cells(grown[:, 2:])
        self.shape = hi.max(axis=0) + 2
        # each grown box marked by its corners on a difference grid, summed twice into a count per cell
        marks = np.zeros((self.shape[0] + 1, self.shape[1] + 1), np.int32)
        if len(boxes):
            for i, j, sign in ((lo[:, 0], lo[:, 1], 1), (hi[:, 0] + 1, lo[:, 1], -1), (lo[:, 0], hi[:, 1] + 1, -1), (hi[:, 0] + 1, hi[:, 1] + 1, 1)):
                np.add.at(marks, (i, j), sign)
        marked = (marks.cumsum(axis=0).cumsum(axis=1) > 0)[: self.shape[0], : self.shape[1]]
        # counts of marked cells in every rectangle of cells, from a summed-area table
        self.area = np.zeros((self.shape[0] + 1, self.shape[1] + 1), np.int32)
        self.area[1:, 1:] = marked.cumsum(axis=0, dtype=np.int32).cumsum(axis=1, dtype=np.int32)

    def _cells(self, xy: np.ndarray) -> np.ndarray:
        return np.floor((xy - self.origin) / self.step).astype(np.int64)

    def meets(self, boxes: np.ndarray) -> np.ndarray:
        """Per box: does it meet a marked cell (``False`` for a box with a NaN)."""
        out = np.zeros(len(boxes), dtype=bool)
        origin, step = np.tile(self.origin, 2), np.tile(self.step, 2)
        last = np.tile(self.shape - 1, 2)
        a = self.area
        # in slices: a million boxes' temporaries, made once each, cost more than the arithmetic on this kind of machine
        for lo in range(0, len(boxes), _SLICE):
            c = np.floor((boxes[lo : lo + _SLICE] - origin) / step)
            inside = np.isfinite(c).all(axis=1) & (c[:, 2] >= 0) & (c[:, 3] >= 0) & (c[:, 0] <= last[0]) & (c[:, 1] <= last[1])
            k = np.clip(np.nan_to_num(c), 0, last).astype(np.int64)
            count = a[k[:, 2] + 1, k[:, 3] + 1] - a[k[:, 0], k[:, 3] + 1] - a[k[:, 2] + 1, k[:, 1]] + a[k[:, 0], k[:, 1]]
            out[lo : lo + _SLICE] = inside & (count > 0)
        return out


class _Rows:
    """Some rows of a projection being made (:meth:`EdgeLines.project_later`): a future's result, taken when asked."""

    def __init__(self, parent: Future | _Rows, points: np.ndarray):
        self._parent: Future | _Rows | None = parent
        self._points = points
        self._rows: np.ndarray | None = None
        self._lock = threading.Lock()

    def result(self) -> np.ndarray:
        with self._lock:
            if self._rows is None:
                assert self._parent is not None
                self._rows = self._parent.result()[self._points]
                self._parent = None  # the whole projection is not held for these rows
            return self._rows


class LazyEdges:
    """:attr:`Network.edges`: the edge table, its lines built on first access when the network holds only their coordinates."""

    def __get__(self, net: Any, owner: type | None = None) -> gpd.GeoDataFrame:
        if net is None:
            raise AttributeError("edges")  # no default value for the dataclass field
        with net.__dict__["_lock"]:
            lines = net.__dict__.get("lines")
            if lines is not None:
                net.__dict__["_edges"] = gpd.GeoDataFrame(net.__dict__["_edges"], geometry=lines.lines(), crs="EPSG:4326")
                net.__dict__["lines"] = None
            return net.__dict__["_edges"]

    def __set__(self, net: Any, edges: gpd.GeoDataFrame | pd.DataFrame) -> None:  # a Network (graph.py imports this module)
        """A new table (the constructor's): with a geometry column, or with the network's ``lines`` (checked by ``Network.__post_init__``)."""
        net.__dict__.setdefault("_lock", threading.Lock())
        net.__dict__["_edges"] = edges

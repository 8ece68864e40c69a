"""Join points and polygons to the street network at the nearest *edge*.

Snapping to the nearest node would move a resident in the middle of a 300 m
block to a corner, adding or removing up to 150 m; so every point joins the
nearest street at its closest point, and the straight walk from the point to
the street (``snap_dist_m``) is counted in its trip. Polygon facilities
(parks, sports grounds) get an access point on every street within
``reach_m`` of their boundary, plus the nearest street, so a park is reached
along its edge, never at a far centroid.

Points find their nearest street on a compiled grid of the streets' segments
(:mod:`~accessibility.network.segmentgrid`, GEOS's distances to the bit);
areas, barriers and the rest are shapely 2 vectorised operations on an
STRtree, all in the network's local UTM projection.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from ..core import parallel
from . import crossing as crossing_mod
from . import entrances as entrances_mod
from . import graph as network_mod
from .linetree import LineTree, nearest_items

if TYPE_CHECKING:
    from .segmentgrid import SegmentGrid

__all__ = ["ACROSS", "AROUND", "BARRIER_SEARCH_M", "DIRECT", "FEW_STREETS", "EdgeIndex", "NotCovered", "Projection", "Snapped", "nearest_items"]

log = logging.getLogger(__name__)

#: an index of at most this many streets asks GEOS's tree, not the compiled grid: loading the grid's kernels
#: (~0.3 s a process; compiling them, on first use after installing, ~8 s) costs more than it saves there
#: (GEOS's nearest query ~4 µs a point, the grid's ~0.5 µs: even at ~170k points)
FEW_STREETS = 100_000
#: how far a point behind a barrier looks for a street it can reach without crossing
#: (the run sets its ``max_snap_m`` in ``Network.info["barrier_search_m"]``)
BARRIER_SEARCH_M = 300.0
#: the rings of that search, the last one at the limit. Stopping at 100 m was measured: on the
#: Hangzhou extract it left 3,199 people joined across a barrier instead of 8, for ~10 s saved on
#: the 1M-node benchmark (places in lakes testing streets 300 m around): correctness first.
_RINGS_M = (30.0, 100.0, np.inf)
_CANDIDATES = 16  # streets tested per point behind a barrier, nearest first
_BATCHES = ((0, 4), (4, _CANDIDATES))  # ranks of the candidates tested together
_BARRIER_SLICE = 25_000  # points searched around barriers at a time
_POINT_SLICE = 200_000  # points measured to the nearest facility at a time
DIRECT, AROUND, ACROSS = 0, 1, 2  # Snapped.barrier


class NotCovered(LookupError):  # noqa: N818 - a signal between this module and its callers, not an error a user sees
    """An index of a few places' streets (:meth:`EdgeIndex.near`) cannot answer for sure: ask the whole network's."""


@dataclass(frozen=True)
class Snapped:
    """Where points join the network.

    ``edge`` indexes ``network.edges``; ``t`` is the position along the edge
    from ``u`` (0) to ``v`` (1); ``snap_dist_m`` the straight walk to it.
    """

    edge: np.ndarray
    t: np.ndarray
    snap_dist_m: np.ndarray
    #: per point, where barriers are known (:meth:`EdgeIndex.snap_points`): :data:`DIRECT` (its
    #: nearest street), :data:`AROUND` (a farther street, the nearest across a wall, water or
    #: rail) or :data:`ACROSS` (every street within the limit lies across one: the nearest is kept)
    barrier: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.edge)

    @classmethod
    def empty(cls) -> Snapped:
        """No point."""
        return cls(np.array([], np.int64), np.array([], float), np.array([], float))

    def take(self, rows: slice | np.ndarray) -> Snapped:
        """The points ``rows``."""
        return Snapped(self.edge[rows], self.t[rows], self.snap_dist_m[rows], None if self.barrier is None else self.barrier[rows])

    @classmethod
    def concat(cls, parts: Sequence[Snapped]) -> Snapped:
        """The points of ``parts``, in order (each with barriers known, or none)."""
        barrier = None if any(p.barrier is None for p in parts) else np.concatenate([p.barrier for p in parts if p.barrier is not None])
        edge, t, dist = (np.concatenate([getattr(p, f) for p in parts]) for f in ("edge", "t", "snap_dist_m"))
        return cls(edge, t, dist, barrier)


class Projection:
    """WGS-84 geometries and coordinates to a network's metric CRS, and straight-line distances there.

    Parameters
    ----------
    crs
        The metric CRS (:attr:`Network.metric_crs <accessibility.network.graph.Network.metric_crs>`).
    """

    def __init__(self, crs: pyproj.CRS):
        self.crs = crs

    def project(self, geoms: np.ndarray) -> np.ndarray:
        """WGS-84 shapely geometries to the metric CRS (vectorised, one chunk per core)."""

        def chunk(part: np.ndarray) -> np.ndarray:
            # a Transformer per thread: pyproj objects must not be shared between threads
            to_metric = pyproj.Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
            return shapely.transform(part, lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1])))

        geoms = np.asarray(geoms, dtype=object)
        if len(geoms) == 0:
            return geoms
        if (shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING).all():
            # streets: rebuilt from projected coordinates, which runs on all cores
            # (shapely.transform holds the GIL while it copies coordinates)
            return self.project_lines(network_mod.EdgeLines.of(geoms))
        return np.concatenate(parallel.map_chunks(chunk, geoms))

    def project_lines(self, lines: network_mod.EdgeLines) -> np.ndarray:
        """Metric LineStrings of WGS-84 line coordinates."""
        if not len(lines):
            return np.array([], dtype=object)
        return parallel.build_geometries("line", self.metric_xy(lines.xy[:, 0], lines.xy[:, 1]), lines.counts)

    def project_xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS-84 coordinates to the metric CRS."""
        xy = self.metric_xy(lon, lat)
        return xy[:, 0], xy[:, 1]

    def metric_xy(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """WGS-84 coordinates to metric ``(n, 2)`` coordinates (one chunk per core: pyproj releases the GIL)."""

        def chunk(lo: np.ndarray, la: np.ndarray, out: np.ndarray) -> None:
            # a Transformer per thread: pyproj objects must not be shared between threads
            to_metric = pyproj.Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
            out[:, 0], out[:, 1] = to_metric.transform(lo, la)

        lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        xy = np.empty((len(lon), 2))
        if len(lon):  # each thread writes its own rows (no stacking and concatenating of 1.5M lines' coordinates)
            parallel.map_chunks(chunk, lon, lat, xy, min_chunk=100_000)
        return xy

    def points(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Metric shapely points of WGS-84 coordinates."""
        x, y = self.project_xy(lon, lat)
        return np.concatenate(parallel.map_chunks(shapely.points, x, y)) if len(x) else shapely.points(x, y)

    def nearest_geometry_distance(
        self, targets: np.ndarray, lon: np.ndarray, lat: np.ndarray, *, xy: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Straight-line distance (m) from points to the nearest of ``targets`` (WGS-84 geometries).

        Parameters
        ----------
        targets
            The geometries to measure to (WGS-84).
        lon, lat
            The points (WGS-84).
        xy
            The same points already projected (:meth:`project_xy` of ``lon``, ``lat``):
            a million residents are projected once for all services.

        Returns
        -------
        distance, target
            Per point: the distance in metres and the index of the nearest
            target (``inf`` and ``-1`` when there is none).
        """
        if len(targets) == 0:
            return np.full(len(lon), np.inf), np.full(len(lon), -1, dtype=np.int64)
        tree = shapely.STRtree(self.project(np.asarray(targets, dtype=object)), node_capacity=4)
        x, y = self.project_xy(lon, lat) if xy is None else xy
        target, dist = np.empty(len(x), np.int64), np.empty(len(x))
        # in slices: a million residents' shapely points are never held at once (~180 MB)
        for lo in range(0, len(x), _POINT_SLICE):
            part = slice(lo, lo + _POINT_SLICE)
            target[part], dist[part] = _nearest(tree, shapely.points(x[part], y[part]))
        return dist, target


@dataclass
class GeosLines:
    """GEOS's metric lines of an index's streets (of ``edges`` only, if given), their lengths and tree, once built."""

    edges: np.ndarray | None = None
    built: tuple[np.ndarray, np.ndarray, shapely.STRtree] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class EdgeIndex(Projection):
    """Spatial index of a network's edges in its metric CRS.

    Points are answered by :attr:`grid` (the compiled segment grid, or GEOS's tree for at
    most :data:`FEW_STREETS` streets: the same answers); GEOS's lines and tree
    (:attr:`geoms`, :attr:`tree`) are built when asked for, of every street or of those
    :meth:`around` some areas.

    Parameters
    ----------
    net
        The network whose edges are indexed.
    edges, barrier_rows, complete_within_m
        Only these edges and barriers (rows of ``net.barriers``), which hold every
        street and barrier within ``complete_within_m`` of some places: see :meth:`near`.
    """

    def __init__(self, net: network_mod.Network, *, edges: np.ndarray | None = None, barrier_rows: np.ndarray | None = None, complete_within_m: float = np.inf):
        super().__init__(net.metric_crs)
        self.net = net
        # projected from the edges' coordinates (the WGS-84 lines are not built for it)
        lines = net.edge_coords()
        self._n_edges = len(lines)
        kept = lines if edges is None else lines.take(np.asarray(edges, np.int64))
        early = kept.projected(self.crs)  # projected while the run decided its barriers (EdgeLines.project_later)
        xy = self.metric_xy(kept.xy[:, 0], kept.xy[:, 1]) if early is None else early
        ids = None if edges is None else np.asarray(edges, np.int64)
        #: the streets' segments (:mod:`~accessibility.network.segmentgrid`): points' nearest streets, and those within a distance;
        #: a few streets (a district, a rerun's new sites) in GEOS's tree, the same answers without loading the compiled grid
        #: (:mod:`~accessibility.network.linetree`)
        self.grid: SegmentGrid | LineTree
        compiled = len(kept) > FEW_STREETS
        # a network with barriers has an index of them, if empty near a few places: their walks are then
        # tested, and found direct, as the whole network's index finds them (built beside the streets' grid)
        with ThreadPoolExecutor(1, thread_name_prefix="accessibility-barriers") as side:
            barriers = side.submit(self._barrier_index, net, barrier_rows, compiled) if net.barriers is not None and len(net.barriers) else None
            if not compiled:
                self.grid = LineTree.from_lines(xy, kept.offsets, edge_ids=ids)
            else:
                from . import segmentgrid  # numba: imported by the indexes that use it (~0.3 s a process with its kernels)

                self.grid = segmentgrid.SegmentGrid.from_lines(xy, kept.offsets, edge_ids=ids)
            self.barriers = barriers.result() if barriers is not None else None
        #: how far from the places it was built for this index holds every street (:meth:`near`); the grid's, and GEOS's lines'
        self.complete_within_m = float(complete_within_m)
        self._grid_within_m = self.complete_within_m
        #: GEOS's lines, built on first use: of every street, or of those :meth:`around` some places
        self.geos = GeosLines()
        self.barrier_search_m = float(net.info.get("barrier_search_m", BARRIER_SEARCH_M))

    def _barrier_index(self, net: network_mod.Network, rows: np.ndarray | None, compiled: bool) -> crossing_mod.BarrierIndex:
        """The index of the network's barriers (``rows`` of them), with their compiled grid when the streets have one (:mod:`.barriergrid`)."""
        assert net.barriers is not None
        kept = net.barriers if rows is None else net.barriers.iloc[rows]
        index = crossing_mod.BarrierIndex.from_lines(kept.geometry.to_numpy(), self.metric_xy)
        if compiled:
            index.grid  # noqa: B018 - built now, where the barrier search asks it
        return index

    def around(self, boxes: np.ndarray, within_m: float | np.ndarray) -> EdgeIndex:
        """This index, with GEOS's lines and tree (:attr:`geoms`, :attr:`tree`) of the streets within ``within_m`` of metric ``boxes`` only.

        For the areas' access points (:mod:`~accessibility.network.entrances`): their
        overlays need GEOS's lines, of the streets near them, not of the whole
        network (1.5M lines, ~650 MB and ~1.5 s of CPU at 1M nodes). Points and
        the barrier search still use the whole grid. A polygon's nearest street
        farther than ``within_m`` is found among the streets near it
        (:meth:`nearest_edges`).
        """
        view = copy.copy(self)
        view.geos = GeosLines(self.grid.edges_near(boxes, np.asarray(within_m, np.float64) + 1.0))  # a metre more: no rounding at the limit
        view.complete_within_m = min(self.complete_within_m, float(np.min(within_m, initial=np.inf)))
        return view

    def lines_of(self, edges: np.ndarray) -> np.ndarray:
        """The metric lines of ``edges`` (built for them only, unless all GEOS lines are)."""
        edges = np.asarray(edges, np.int64)
        built = self.geos.built
        got = built[0][edges] if built is not None else np.full(len(edges), None, dtype=object)
        missing = np.flatnonzero(shapely.is_missing(got))
        if len(missing):
            distinct, back = np.unique(edges[missing], return_inverse=True)
            got[missing] = self._build_lines(distinct)[back]
        return got

    def _build_lines(self, edges: np.ndarray) -> np.ndarray:
        """GEOS lines of ``edges`` (sorted, each once), from the grid's coordinates (GEOS's tree of a few streets has them)."""
        grid = self.grid
        local = grid.line_of(edges)
        if isinstance(grid, LineTree):
            return grid.lines[local]
        lines = network_mod.EdgeLines(grid.xy, grid.offsets).take(local)
        return parallel.build_geometries("line", lines.xy, lines.counts)

    def _geos(self) -> tuple[np.ndarray, np.ndarray, shapely.STRtree]:
        """GEOS's lines, lengths and tree of the streets (or of those :meth:`around` some places), built on first use."""
        with self.geos.lock:
            if self.geos.built is None:
                edges = self.grid.edge_ids if self.geos.edges is None else self.geos.edges
                built = self._build_lines(edges)
                if len(edges) == self._n_edges:
                    geoms, geom_len = built, shapely.length(built)
                else:  # the others are missing
                    geoms, geom_len = np.full(self._n_edges, None, dtype=object), np.zeros(self._n_edges)
                    geoms[edges], geom_len[edges] = built, shapely.length(built)
                # small nodes make nearest-neighbour searches prune better (measured 1.3x)
                self.geos.built = geoms, geom_len, shapely.STRtree(geoms, node_capacity=4)
            return self.geos.built

    @property
    def geoms(self) -> np.ndarray:
        """The edges' metric lines (``None`` for edges not indexed); all are built on first use."""
        return self._geos()[0]

    @property
    def geom_len(self) -> np.ndarray:
        """The edges' lengths in the metric CRS (0 for edges not indexed)."""
        return self._geos()[1]

    @property
    def tree(self) -> shapely.STRtree:
        """GEOS's tree of :attr:`geoms`."""
        return self._geos()[2]

    @classmethod
    def near(
        cls, net: network_mod.Network, geoms: np.ndarray, *, reach_m: float = 30.0, max_share: float = 0.25, edge_bounds: np.ndarray | None = None
    ) -> EdgeIndex | None:
        """An index of the streets and barriers near a few WGS-84 geometries, or ``None`` when they are spread over much of the network.

        It holds every street and barrier within :attr:`complete_within_m` of
        each geometry (by their boxes on a grid of that size), which is more
        than any walk searched from them: the barrier search, ``reach_m`` and
        entrances. A nearest street farther than that raises :class:`NotCovered`
        (:meth:`nearest_edges`): the whole network's index answers then. What
        it finds is what that index finds, ties included (:func:`nearest_items`).
        Indexing the whole network takes ~1–2 s at 1M nodes; a planner's three new
        sites need the streets around them only.

        Parameters
        ----------
        net
            The network.
        geoms
            The places (WGS-84) that will be snapped or given access points.
        reach_m
            The reach of their access points (:meth:`access_points`).
        max_share
            Above this share of the network's streets, ``None``.
        edge_bounds
            The boxes of the network's edges (:meth:`EdgeLines.bounds <accessibility.network.graph.EdgeLines.bounds>`), when known.
        """
        search_m = float(net.info.get("barrier_search_m", BARRIER_SEARCH_M))
        within = 1.5 * max(search_m, reach_m, 100.0)
        bounds = shapely.bounds(np.asarray(geoms, dtype=object))
        bounds = bounds[np.isfinite(bounds).all(axis=1)]
        if not len(bounds):
            return None
        near_boxes = network_mod.BoxGrid(bounds, metres_to_degrees(within + entrances_mod.ENTRANCE_M, bounds))
        edges = np.flatnonzero(near_boxes.meets(net.edge_coords().bounds() if edge_bounds is None else edge_bounds))
        if not len(edges) or len(edges) > max_share * net.n_edges:
            return None
        barrier_rows = None
        if net.barriers is not None and len(net.barriers):
            barrier_rows = np.flatnonzero(near_boxes.meets(shapely.bounds(net.barriers.geometry.to_numpy())))
        return cls(net, edges=edges, barrier_rows=barrier_rows, complete_within_m=within)

    def fraction(self, edge: np.ndarray, points: np.ndarray) -> np.ndarray:
        """Position (0-1 from ``u``) along ``edge`` of the metric ``points``' closest points on it."""
        return self.fraction_xy(edge, shapely.get_x(points), shapely.get_y(points))

    def fraction_xy(self, edge: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """:meth:`fraction` of metric coordinates."""
        # on the grid's coordinates: shapely's line_locate_point over the line's length, to the bit (segmentgrid)
        return self.grid.locate(edge, x, y)

    def snap_points(self, lon: np.ndarray, lat: np.ndarray, *, xy: tuple[np.ndarray, np.ndarray] | None = None) -> Snapped:
        """Snap WGS-84 points to their nearest edge.

        Where several edges are equally near (a point on a junction) one of
        them is chosen; the trip cost is the same.

        Parameters
        ----------
        lon, lat
            The points (WGS-84).
        xy
            The same points already projected (:meth:`Projection.project_xy <accessibility.network.snapping.Projection.project_xy>`
            of ``lon``, ``lat``), to skip projecting them again.

        Returns
        -------
        Snapped
            One row per point: nearest edge, position along it (0-1) and the
            straight distance to it in metres.
        """
        x, y = self.project_xy(lon, lat) if xy is None else xy
        return self.snap_xy(np.asarray(x, np.float64), np.asarray(y, np.float64))

    def _around_barriers(self, x: np.ndarray, y: np.ndarray, pts: np.ndarray | None, nearest: Snapped) -> Snapped:
        """Points whose walk to their nearest street crosses a barrier join the nearest street they can reach without crossing.

        Candidates are searched in growing rings (30 m, 100 m, then the
        snapping limit: :data:`_RINGS_M`), the nearest :data:`_CANDIDATES` streets of each ring,
        so the few points behind a wall or a canal do not each test every
        street within the limit. Where those streets all lie across a barrier,
        the nearest is kept and the point is flagged (:data:`ACROSS`) for
        the run to report. The walks are GEOS's (``pts``: the points' shapely points)
        or, on the compiled grid (``pts`` ``None``), the same computed there (:mod:`.barriergrid`).
        """
        edge, t, dist = nearest.edge.copy(), nearest.t.copy(), nearest.snap_dist_m.copy()
        blocked = self._blocked(x, y, pts, nearest)
        # a point with no street within the limit has none to search (a lake's middle): it keeps its nearest
        todo = searched = blocked[dist[blocked] <= self.barrier_search_m]
        for radius in sorted({min(r, self.barrier_search_m) for r in _RINGS_M}):
            if not len(todo):
                break
            pi, ei, di = self.grid.within(x[todo], y[todo], radius)
            # the nearest few streets of each point are tested, not every street within the limit
            # by distance, then by edge: the same ranks whatever the index (:meth:`near`)
            order = np.lexsort((ei, di, pi))
            pi, ei = pi[order], ei[order]
            rank = np.arange(len(pi)) - np.searchsorted(pi, pi)
            point = todo[pi]
            # the nearest first: most points reach one of them, and only the others test the rest
            for lo, hi in _BATCHES:
                pick = (rank >= lo) & (rank < hi) & np.isin(point, todo)
                if not pick.any():
                    break
                rows, e, d, at = self._first_reachable(x, y, pts, point[pick], ei[pick])
                edge[rows], dist[rows], t[rows] = e, d, at
                todo = np.setdiff1d(todo, rows)
        status = np.zeros(len(x), dtype=np.int8)
        status[blocked] = AROUND
        status[np.setdiff1d(blocked, searched)] = ACROSS
        status[todo] = ACROSS
        return Snapped(edge=edge, t=t, snap_dist_m=dist, barrier=status)

    def _blocked(self, x: np.ndarray, y: np.ndarray, pts: np.ndarray | None, nearest: Snapped) -> np.ndarray:
        """The points (positions, sorted) whose straight walk to their nearest street crosses a barrier."""
        barriers = self.barriers
        assert barriers is not None
        if pts is None:
            from . import barriergrid  # numba: with the compiled grid

            grid = cast("SegmentGrid", self.grid)
            return np.flatnonzero(barriergrid.blocked(grid, barriers.grid, nearest.edge, nearest.t, nearest.snap_dist_m, x, y))
        # only a point nearer a barrier than its street can cross one on the way: building the
        # links of those few, not of a million residents, keeps this under a tenth of the snapping
        near = barriers.near(pts, nearest.snap_dist_m)
        on_street = shapely.line_interpolate_point(self.lines_of(nearest.edge[near]), nearest.t[near], normalized=True)
        return near[barriers.crossing(shapely.shortest_line(pts[near], on_street))]

    def _first_reachable(self, x: np.ndarray, y: np.ndarray, pts: np.ndarray | None, point: np.ndarray, edge: np.ndarray) -> tuple[np.ndarray, ...]:
        """Of candidate (point, street) pairs, grouped by point, each point's nearest street reachable without crossing a barrier.

        Returns the points that have one, that street, the walk to it and its position along it.
        """
        assert self.barriers is not None
        if pts is None:
            from . import barriergrid  # numba: with the compiled grid

            d, at = barriergrid.links(cast("SegmentGrid", self.grid), self.barriers.grid, x[point], y[point], edge)
        else:
            links = shapely.shortest_line(pts[point], self.lines_of(edge))
            d = np.where(self.barriers.crossing(links), np.inf, shapely.length(links))
        order = np.lexsort((d, point))
        first = order[np.r_[True, point[order][1:] != point[order][:-1]]] if len(order) else order
        found = first[np.isfinite(d[first])]
        at_found = at[found] if pts is None else self.fraction(edge[found], shapely.get_point(links[found], 1))
        return point[found], edge[found], d[found], at_found

    def access_points(self, geoms: np.ndarray, *, reach_m: float = 30.0, entrances: np.ndarray | None = None) -> tuple[np.ndarray, Snapped]:
        """Access points of WGS-84 geometries (points, lines, polygons).

        A point gets one access point on its nearest edge (the nearest it can
        reach without crossing a barrier, as residents). A line or polygon is
        entered at its tagged entrances and where streets cross its outline
        when it has entrances, else along every stretch of street within
        ``reach_m`` (:mod:`~accessibility.network.entrances`).

        Parameters
        ----------
        geoms
            The geometries (WGS-84), e.g. facilities.
        reach_m
            Lines and polygons without entrances join every edge within this many metres.
        entrances
            Entrance points (WGS-84): gates and ``entrance=*`` nodes.

        Returns
        -------
        owner, snapped
            ``owner[i]`` is the geometry the ``i``-th access point belongs to;
            access points are sorted by owner, edge and position.
        """
        metric = self.project(np.asarray(geoms, dtype=object))
        if len(metric) == 0:
            return self.no_access_points()
        extended = shapely.get_type_id(metric) != shapely.GeometryType.POINT
        parts, status = [], []
        point_rows = np.flatnonzero(~extended)
        if len(point_rows):
            s = self.snap_metric(metric[point_rows])
            parts.append((point_rows, s.edge, s.t, s.snap_dist_m))
            status.append(s.barrier if s.barrier is not None else np.zeros(len(s), np.int8))
        area_rows = np.flatnonzero(extended)
        if len(area_rows):
            gates = self.project(np.asarray(entrances, dtype=object)) if entrances is not None and len(entrances) else None
            areas = metric[area_rows]
            # GEOS's lines of the streets near the areas only, unless all are built (their overlays need them)
            index = self if self.geos.built is not None and self.geos.edges is None else self.around(shapely.bounds(areas), 2 * reach_m + 10.0)
            owner, edge, t, dist = entrances_mod.area_access(index, areas, gates, reach_m=reach_m)
            parts.append((area_rows[owner], edge, t, dist))
            status.append(np.zeros(len(owner), np.int8))
        owner, edge, t, dist = (np.concatenate(c) for c in zip(*parts, strict=True))
        barrier = np.concatenate(status)
        # one access point per place: sorted, and repeats (a stretch's end at a street's closest point) kept once
        order = np.lexsort((dist, t, edge, owner))
        owner, edge, t, dist, barrier = owner[order], edge[order], t[order], dist[order], barrier[order]
        first = np.r_[True, (owner[1:] != owner[:-1]) | (edge[1:] != edge[:-1]) | (np.abs(t[1:] - t[:-1]) > 1e-9)]
        snapped = Snapped(edge=edge[first], t=t[first], snap_dist_m=dist[first], barrier=barrier[first] if self.barriers is not None else None)
        return owner[first], snapped

    @staticmethod
    def no_access_points() -> tuple[np.ndarray, Snapped]:
        """What :meth:`access_points` gives for no geometry."""
        return np.array([], np.int64), Snapped.empty()

    def snap_metric(self, pts: np.ndarray) -> Snapped:
        """:meth:`snap_points` of shapely points already in the metric CRS."""
        return self.snap_xy(shapely.get_x(pts), shapely.get_y(pts), pts)  # an empty point (NaN): -1 at an infinite distance

    def snap_xy(self, x: np.ndarray, y: np.ndarray, pts: np.ndarray | None = None) -> Snapped:
        """:meth:`snap_points` of metric coordinates (and their shapely points, if made already)."""
        if len(x) == 0:
            return Snapped.empty()
        edge, dist, t = self.grid.nearest(x, y)
        self._check_covered(dist)
        nearest = Snapped(edge=edge, t=t, snap_dist_m=dist)
        if self.barriers is None:
            return nearest
        if not isinstance(self.grid, LineTree):  # the compiled search (barriergrid): no shapely points
            return self._around_barriers(x, y, None, nearest)
        # in slices: each point's search is its own, and the slice's points and the candidates' links
        # are freed before the next (a million residents' shapely points are never held at once)
        parts = []
        for lo in range(0, len(x), _BARRIER_SLICE):
            part = slice(lo, lo + _BARRIER_SLICE)
            px, py = x[part], y[part]
            parts.append(self._around_barriers(px, py, shapely.points(px, py) if pts is None else pts[part], nearest.take(part)))
        return parts[0] if len(parts) == 1 else Snapped.concat(parts)

    def nearest_edges(self, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per metric geometry: its nearest edge (of equally near ones, the lowest numbered) and the distance to it.

        Raises
        ------
        NotCovered
            An index of a few places' streets (:meth:`near`) holds no street near enough to be sure.
        """
        if (shapely.get_type_id(geoms) == shapely.GeometryType.POINT).all():
            edge, dist, _ = self.grid.nearest(shapely.get_x(geoms), shapely.get_y(geoms))
            self._check_covered(dist)
            return edge, dist
        edge, dist = _nearest(self.tree, geoms)
        far = np.flatnonzero(~(dist <= self.complete_within_m))
        if len(far) and self.geos.edges is not None:
            # beyond the streets around the places (:meth:`around`): a point of each place and its nearest
            # street on the grid bound its distance to the streets, and the streets within that bound hold the nearest
            xy, which = shapely.get_coordinates(geoms[far], return_index=True)
            first = np.searchsorted(which, np.arange(len(far)))
            has = first < len(which)
            bound = np.full(len(far), np.inf)
            if has.any():
                bound[has] = self.grid.nearest(xy[first[has], 0], xy[first[has], 1])[1]
            self._check_covered(bound, self._grid_within_m)
            wider = self.around(shapely.bounds(geoms[far]), bound)
            edge[far], dist[far] = _nearest(wider.tree, geoms[far])
            return edge, dist
        self._check_covered(dist)
        return edge, dist

    def _check_covered(self, dist: np.ndarray, within_m: float | None = None) -> None:
        within_m = self._grid_within_m if within_m is None else within_m
        if not (dist <= within_m).all():
            raise NotCovered(f"a place lies farther than {within_m:g} m from the streets indexed around it")

def metres_to_degrees(metres: float, boxes: np.ndarray) -> tuple[float, float]:
    """At least ``metres`` in degrees of longitude and latitude anywhere in ``boxes`` (WGS-84 rows).

    A metre is taken as 1/100,000 degree of latitude and ``1/(100,000 cos lat)`` of
    longitude at the latitude farthest from the equator (plus one degree): a tenth
    more than on the ellipsoid, for a projection's scale and convergence.
    """
    lat_far = min(float(np.nanmax(np.abs(boxes[:, [1, 3]]))) + 1.0, 89.0) if len(boxes) else 0.0
    return metres / (100_000.0 * np.cos(np.radians(lat_far))), metres / 100_000.0


def _nearest(tree: shapely.STRtree, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest tree item and distance for every point, in the points' order.

    Points are queried in Hilbert-curve order: consecutive queries then walk
    the same branches of the tree, which made 200k queries 3x faster here.
    """
    order = np.argsort(gpd.GeoSeries(pts).hilbert_distance(), kind="stable")

    def query(chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return nearest_items(tree, chunk)

    # contiguous Hilbert chunks, one per core (shapely releases the GIL in the queries)
    pi, ti, dist = parallel.query_chunks(query, pts[order], min_chunk=20_000)
    item = np.full(len(pts), -1, dtype=np.int64)  # no item (an empty tree): -1 at an infinite distance
    out = np.full(len(pts), np.inf)
    item[order[pi]] = ti
    out[order[pi]] = dist
    return item, out


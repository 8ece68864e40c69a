"""Where people enter an area: its tagged entrances, or every stretch of street along it.

A park, a school, a hospital or a campus is entered at its gates. When the
area has tagged entrances (``entrance=*`` or gate nodes within
:data:`ENTRANCE_M` of its outline), it is entered there and where a street
or path crosses its outline, and nowhere else: a walled campus beside an
avenue is not entered from the avenue's nearest point. Without entrances it
is entered along every stretch of street within ``reach_m`` of its outline:
at both ends of each stretch, at most :data:`SPACING_M` apart between them,
and at each street's closest point; not at one point per street: a 150 m
pitch beside a street is entered from either end at its near corner, not
sent to its middle (up to ~75 m less each way, measured in the tests).

Used by :meth:`accessibility.network.snapping.EdgeIndex.access_points`.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import shapely

from ..core import parallel


class EdgeIndex(Protocol):
    """What this module uses of the street index (:class:`~accessibility.network.snapping.EdgeIndex`, which uses this module, so it is not imported)."""

    complete_within_m: float

    @property
    def tree(self) -> shapely.STRtree: ...

    @property
    def geoms(self) -> np.ndarray: ...

    @property
    def geom_len(self) -> np.ndarray: ...

    def fraction(self, edge: np.ndarray, points: np.ndarray) -> np.ndarray: ...

    def fraction_xy(self, edge: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray: ...

    def lines_of(self, edges: np.ndarray) -> np.ndarray: ...

    def nearest_edges(self, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def snap_metric(self, pts: np.ndarray) -> Any: ...

__all__ = ["ENTRANCE_M", "SPACING_M", "STRETCH_MIN_M", "area_access"]

#: an entrance node this near an area's outline is one of its entrances
ENTRANCE_M = 5.0
#: access points along a street beside an area without entrances are at most this far apart. The
#: ends of each stretch carry the trips arriving along the street: the walk to an area is at most
#: as long as the way along the street (distance is 1-Lipschitz), so entering at the first point
#: within reach is never worse than walking on; the points between serve those who live beside the
#: area. Each access point adds two graph nodes: 25 m spacing made 29 per area on Hangzhou and the
#: 1M-node run's Dijkstra 1.7x slower, 100 m about 5 per area.
SPACING_M = 100.0
#: stretches shorter than this get their closest point only: entering at an end of a stretch saves at
#: most half its length plus the closest walk minus the reach, under ~20 m below this length, while
#: each access point adds two graph nodes (a stretch point on every street near an area made the
#: access points of Hangzhou's areas 2.25x as many as closest points alone)
STRETCH_MIN_M = 80.0


def area_access(
    index: EdgeIndex, areas: np.ndarray, entrances: np.ndarray | None, *, reach_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Access points of metric lines and polygons.

    Parameters
    ----------
    index
        The street index (its metric CRS is the areas').
    areas
        Metric lines or polygons.
    entrances
        Metric entrance points (gates, ``entrance=*`` nodes), or ``None``.
    reach_m
        Streets within this distance of an area without entrances give it access points.

    Returns
    -------
    owner, edge, t, dist
        Per access point: the area (position in ``areas``), the edge and the
        position along it, and the straight walk between the area and the street.
    """
    n = len(areas)
    with_entrances = np.zeros(n, dtype=bool)
    parts: list[tuple[np.ndarray, ...]] = []
    if entrances is not None and len(entrances):
        outline = shapely.boundary(areas)
        ai, gi = shapely.STRtree(entrances).query(np.where(shapely.is_empty(outline), areas, outline), predicate="dwithin", distance=ENTRANCE_M)
        with_entrances[ai] = True
        if len(ai):
            snapped = index.snap_metric(entrances[gi])
            parts.append((ai, snapped.edge, snapped.t, snapped.snap_dist_m))
            parts.append(_crossings(index, areas, np.flatnonzero(with_entrances)))
    rest = np.flatnonzero(~with_entrances)
    if len(rest) and reach_m > 0:
        ai, ei, dist = _pairs_within(index, areas[rest], reach_m)
        within = (ai, ei, _closest(index, areas, rest[ai], ei), dist)
        parts.append(_nearest(index, areas, rest, within=within, reach_m=reach_m))
        parts.append(_stretches(index, areas, rest, within, reach_m))
    elif len(rest):
        parts.append(_nearest(index, areas, rest))
    owner, edge, t, dist = (np.concatenate(c) for c in zip(*parts, strict=True))
    return owner.astype(np.int64), edge.astype(np.int64), t, dist


def _nearest(index: EdgeIndex, areas: np.ndarray, rows: np.ndarray, *, within: tuple | None = None, reach_m: float = 0.0) -> tuple[np.ndarray, ...]:
    """Each area's nearest street at its point closest to the area.

    ``within``: the (area, edge) pairs within ``reach_m`` (areas as positions in
    ``rows``), their :func:`_closest` rows and distances. An area's nearest street, when
    nearer than the reach, is among them: it is taken there as the tree's
    nearest query finds it (the least GEOS distance, then the lowest edge),
    and only the areas farther from every street are queried (~1 s of a
    1M-node run's polygons were queried twice).
    """
    if within is None:
        ei, _ = index.nearest_edges(areas[rows])
        return _closest(index, areas, rows, ei)
    ai, ei, closest, dist = within
    order = np.lexsort((ei, dist, ai))
    first = order[np.r_[True, ai[order][1:] != ai[order][:-1]]] if len(order) else order
    # sure where well inside the reach (the pairs' test and the distance may round apart at the reach itself)
    # and inside the index's sure distance (a partial index's nearest query raises beyond it)
    first = first[(dist[first] < reach_m - 1e-6) & (dist[first] <= index.complete_within_m)]
    pick = np.full(len(rows), -1, np.int64)
    pick[ai[first]] = first
    far = np.flatnonzero(pick < 0)
    edge, t, walk = np.empty(len(rows), np.int64), np.empty(len(rows)), np.empty(len(rows))
    near = pick >= 0
    edge[near], t[near], walk[near] = closest[1][pick[near]], closest[2][pick[near]], closest[3][pick[near]]
    if len(far):
        _, edge[far], t[far], walk[far] = _nearest(index, areas, rows[far])
    return rows, edge, t, walk


def _pairs_within(index: EdgeIndex, areas: np.ndarray, reach_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (area, edge) pairs at most ``reach_m`` apart, in the tree's order, and their GEOS distance.

    The tree's candidates by the areas' boxes grown by the reach, measured on all cores: the
    pairs its ``dwithin`` query finds (a prepared test of the same segment distances, tested
    equal), whose distances :func:`_nearest` needs anyway (0.34 s of query and 0.13 s of
    distances on the 1M-node benchmark's 25k areas, now 0.14 s for both).
    """
    tree = index.tree  # built once, before the threads query it
    grown = _grown_bounds(areas, reach_m)
    ai, ei = parallel.query_chunks(tree.query, shapely.box(grown[:, 0], grown[:, 1], grown[:, 2], grown[:, 3]), min_chunk=5_000)
    dist = np.concatenate(parallel.map_chunks(shapely.distance, index.geoms[ei], areas[ai], min_chunk=20_000)) if len(ai) else np.zeros(0)
    keep = dist <= reach_m
    return ai[keep], ei[keep], dist[keep]


def _closest(index: EdgeIndex, areas: np.ndarray, owner: np.ndarray, edge: np.ndarray) -> tuple[np.ndarray, ...]:
    # shortest_line(edge, area) starts on the edge at its closest point
    # a far area's nearest may be none of index.geoms; on all cores (shapely releases the GIL)
    lines = np.concatenate(parallel.map_chunks(shapely.shortest_line, index.lines_of(edge), areas[owner], min_chunk=20_000)) if len(edge) else np.zeros(0, dtype=object)
    if len(lines) and (shapely.get_num_coordinates(lines) == 2).all():  # each line's start as coordinates: no point objects (they hold the GIL)
        start = shapely.get_coordinates(lines)[::2]
        t = index.fraction_xy(edge, start[:, 0], start[:, 1])
    else:
        t = index.fraction(edge, shapely.get_point(lines, 0))
    return owner, edge, t, np.asarray(shapely.length(lines), np.float64)


def _crossings(index: EdgeIndex, areas: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """Where streets and paths cross the outlines of areas ``rows``: access points with no walk."""
    outline = shapely.boundary(areas[rows])
    oi, ei = index.tree.query(outline, predicate="intersects")
    hits, which = shapely.get_parts(shapely.intersection(index.geoms[ei], outline[oi]), return_index=True)
    pts = shapely.get_point(hits, 0)  # a street running along the outline: where it meets it first
    pts = np.where(shapely.get_type_id(hits) == shapely.GeometryType.POINT, hits, pts)
    keep = ~shapely.is_empty(pts) & ~shapely.is_missing(pts)
    edge = ei[which][keep]
    return rows[oi[which][keep]], edge, index.fraction(edge, pts[keep]), np.zeros(int(keep.sum()))


def _stretches(index: EdgeIndex, areas: np.ndarray, rows: np.ndarray, within: tuple, reach_m: float) -> tuple[np.ndarray, ...]:
    """Each street's closest point to an area within ``reach_m``; for streets outside it with a stretch of at least :data:`STRETCH_MIN_M` within reach, its ends and points at most :data:`SPACING_M` apart between.

    A street touching the area (a path through a park) is entered where it touches: its closest point.
    ``within``: the (area, edge) pairs within ``reach_m`` (areas as positions in ``rows``), their :func:`_closest` rows and distances.
    """
    ai, ei, closest, _ = within
    owner = rows[ai]
    # a stretch of STRETCH_MIN_M needs an edge at least as long: shorter ones (most city blocks' pieces) are not clipped
    outside = np.flatnonzero((closest[3] > 0) & (index.geom_len[ei] >= STRETCH_MIN_M))
    # nor those with less than that inside the area's box grown by the reach, which holds its buffer (its
    # vertices lie within the reach of the area's): ~45% of the 1M-node benchmark's, whose overlays found nothing
    outside = outside[_length_in_boxes(index.geoms[ei[outside]], _grown_bounds(areas[owner[outside]], reach_m)) >= STRETCH_MIN_M - _BOX_MARGIN_M]
    # each area with such a street buffered once (few segments per quarter circle: the reach's edge need not be round)
    near, pair_area = np.unique(ai[outside], return_inverse=True)
    # on all cores: the overlays are most of the cost (shapely releases the GIL)
    grown = np.concatenate(parallel.map_chunks(lambda part: shapely.buffer(part, reach_m, quad_segs=4), areas[rows[near]], min_chunk=2_000))
    inside = parallel.map_chunks(shapely.intersection, index.geoms[ei[outside]], grown[pair_area], min_chunk=5_000)
    clipped, which = shapely.get_parts(np.concatenate(inside), return_index=True)
    which = outside[which]
    clipped_len = shapely.length(clipped)
    count = np.where(clipped_len >= STRETCH_MIN_M, np.ceil(clipped_len / SPACING_M).astype(np.int64) + 1, 0)
    piece = np.repeat(np.arange(len(clipped)), count)
    step = np.arange(len(piece)) - np.repeat(np.cumsum(count) - count, count)
    frac = step / np.maximum(np.repeat(count, count) - 1, 1)
    pts = shapely.line_interpolate_point(clipped[piece], frac, normalized=True)
    edge = ei[which][piece]
    own = owner[which][piece]
    along = (own, edge, index.fraction(edge, pts), np.asarray(shapely.distance(pts, areas[own]), np.float64))
    return tuple(np.concatenate([a, b]) for a, b in zip(closest, along, strict=True))


_BOX_MARGIN_M = 1e-6  # rounding room for the box tests, which only spare work that cannot find anything


def _grown_bounds(areas: np.ndarray, reach_m: float) -> np.ndarray:
    """The areas' ``(minx, miny, maxx, maxy)`` grown by ``reach_m`` and some rounding room: whatever lies within the reach of an area lies inside."""
    grow = reach_m * (1 + 1e-9) + _BOX_MARGIN_M
    return shapely.bounds(areas) + np.array([-grow, -grow, grow, grow])


def _length_in_boxes(lines: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Per line, the length of its part inside its box ``(minx, miny, maxx, maxy)`` (each segment clipped as Liang and Barsky do).

    shapely's ``clip_by_rect`` takes one rectangle per call; this is one pass over the lines' segments.
    """
    xy, which = shapely.get_coordinates(lines, return_index=True)
    seg = np.flatnonzero(which[1:] == which[:-1])  # a segment starts at each point but a line's last
    a, d, box = xy[seg], xy[seg + 1] - xy[seg], boxes[which[seg]]
    t0, t1 = np.zeros(len(seg)), np.ones(len(seg))
    out = np.zeros(len(seg), dtype=bool)
    for p, q in ((-d[:, 0], a[:, 0] - box[:, 0]), (d[:, 0], box[:, 2] - a[:, 0]), (-d[:, 1], a[:, 1] - box[:, 1]), (d[:, 1], box[:, 3] - a[:, 1])):
        with np.errstate(divide="ignore", invalid="ignore"):
            r = q / p
        t0 = np.where(p < 0, np.maximum(t0, r), t0)  # entering through this side
        t1 = np.where(p > 0, np.minimum(t1, r), t1)  # leaving through it
        out |= (p == 0) & (q < 0)  # parallel to the side, beyond it
    inside = np.where(out, 0.0, np.clip(t1 - t0, 0.0, None)) * np.hypot(d[:, 0], d[:, 1])
    return np.bincount(which[seg], weights=inside, minlength=len(lines))

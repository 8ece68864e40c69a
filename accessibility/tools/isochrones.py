"""Isochrones planners can trust: a location is inside a band when its own trip is within it.

A location is drawn inside the ``c`` band when the run's own point query
(:mod:`accessibility.tools.query`) answers it with a trip within ``c``, to within one grid
cell: it joins its nearest street (:meth:`~accessibility.network.snapping.EdgeIndex.snap_points`,
which may refuse a link across a wall, water or rail), the graph there
(:func:`~accessibility.network.distances.point_neighbours`, private compounds included), and
its trip is :func:`~accessibility.network.distances.costs_at_points` of the facilities'
search: the rule that joins residents and facilities. Locations are the cells of a grid
:data:`GRID_M` metres apart over the reached streets (:mod:`accessibility.tools.isocells`), each
costed by that rule at its centre; a band is the union of its cells, clipped to
``street_width_m`` from the streets reached within it (a run passes at most its snapping limit
``max_snap_m``). Whether a location is inside is never read from the nodes' costs, so the areas
follow any change to how points join the network.

Why: the bands used to be the reached streets widened by 50 m, while a resident joins the
*nearest* street, which across a wall or a canal may be one the band never reaches. On the
Hangzhou extract only 72-92% of the locations inside the parks' and sports grounds' 5, 10 and
15-minute bands were within them by the point query (give or take one cell's walk, 15 m), the
others a median 40 m and up to 2 km beyond. Drawn from the locations' own trips, 99.2-99.9% are,
for all three ways of combining (``tests/test_isochrone_agreement.py`` asserts at least 99%); the
rest lie within half a cell of a line where the nearest street changes. The areas stay unions of streets'
surroundings, never hulls: a river or railway without a crossing inside the cutoff, a block
without paths, the middle of a ring of reached streets stay out.

``dissolved``: one area per cutoff, the reach of the nearest facility (one multi-source
Dijkstra). ``per_facility``: each facility's own area (Dijkstra rows from the facilities, in
chunks to bound memory; every cell next to a node a facility reaches is costed from that
facility alone). ``catchments``: non-overlapping areas, each location to its nearest facility
(the point query's ``<service>_facility``).

People are counted from their own network trip (the run's snapping and cost model);
point-in-polygon counts are reported beside them. Cutoffs are nested: ``cumulative``
areas and ``rings`` between consecutive cutoffs. ``street_km`` measures the reached streets:
a point at fraction ``t`` of a piece from node ``a`` (at ``t0``) to node ``b`` (at ``t1``) of a
line costing ``Ca`` walked towards ``a`` and ``Cb`` towards ``b`` is reached within ``c`` when
``min(d[a] + (t - t0) Ca, d[b] + (t1 - t) Cb) <= c`` (each term only where that direction may be
walked). Metres and seconds inside; minutes only in :func:`isochrones_from_run`.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph

from .. import errors
from ..network import distances, snapping
from ..run.read import as_result
from ..run.result import RunResult
from . import isocells, isostreets

__all__ = ["BANDS", "DEFAULT_CUTOFFS_MIN", "HOW", "isochrones", "isochrones_from_run", "run_dir_isochrones", "write_isochrones"]

log = logging.getLogger(__name__)

HOW = ("dissolved", "per_facility", "catchments")
BANDS = ("cumulative", "rings", "both")
DEFAULT_CUTOFFS_MIN = (5.0, 10.0, 15.0)
DEFAULT_STREET_WIDTH_M = 50.0
#: side of the grid cells whose centres decide where a band is drawn (metres); a location's
#: trip differs from its cell centre's by about this much walking at most, except across a
#: wall of unreached streets, where the band's edge may be half a cell off
GRID_M = 15.0

_QUAD_SEGS = 3  # arc segments per quarter circle of the street buffer: at most 1.7 m short at 50 m
_SIMPLIFY_M = 0.5  # street lines are simplified this much before buffering
CHUNK_CELLS = 1 << 23  # per-facility search: Dijkstra rows x nodes held at once (64 MB of float64)
_SLIVER_M2 = 1.0  # polygon parts smaller than this (overlay noise) are dropped
_SLIVER_DEG2 = 1e-10  # the same in square degrees (about 1 m² at 30°N)
_GRID_DEG = 1e-9  # rings are snap-rounded to this grid (about 0.1 mm)
_MAX_SNAP_M = 300.0  # a run's snapping limit when its manifest does not say (RunOptions' default)


@dataclass(frozen=True)
class _Demand:
    xy: np.ndarray  # metric points
    pop: np.ndarray
    older: np.ndarray
    snapped: snapping.Snapped
    left: np.ndarray  # neighbouring graph nodes along the point's edge, and the cost to reach them
    right: np.ndarray
    to_left: np.ndarray
    to_right: np.ndarray
    snap_cost: np.ndarray

    @property
    def neighbours(self) -> tuple[np.ndarray, ...]:
        """As :func:`distances.point_neighbours` returns them."""
        return self.left, self.to_left, self.right, self.to_right, self.snap_cost


def _demand(graph: distances.AccessGraph, index: snapping.EdgeIndex, frame: pd.DataFrame) -> _Demand:
    """Demand points snapped as the run snaps them, with their neighbouring graph nodes."""
    for col in ("lon", "lat", "pop"):
        if col not in frame.columns:
            raise errors.InputError(f"demand points need columns lon, lat, pop (and older); got {list(frame.columns)}")
    lon, lat = frame["lon"].to_numpy(np.float64), frame["lat"].to_numpy(np.float64)
    if {"edge", "t", "snap_dist_m"} <= set(frame.columns):  # snapped before on this network
        snapped = snapping.Snapped(frame["edge"].to_numpy(np.int64), frame["t"].to_numpy(float), frame["snap_dist_m"].to_numpy(float))
    else:
        snapped = index.snap_points(lon, lat)
    # the run's own cost model: neighbouring nodes along the edge (access points included)
    left, to_left, right, to_right, snap_cost = distances.point_neighbours(graph, snapped)
    x, y = index.project_xy(lon, lat)
    pop = frame["pop"].to_numpy(np.float64)
    older = frame["older"].to_numpy(np.float64) if "older" in frame.columns else np.full(len(frame), np.nan)
    return _Demand(np.column_stack([x, y]), pop, older, snapped, left, right, to_left, to_right, snap_cost)


def _band_sums(group: np.ndarray, cost: np.ndarray, weights: np.ndarray, cutoffs: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of weights per (group, band) of trip costs; shape (n_groups, n_bands)."""
    band = np.searchsorted(cutoffs, cost, side="left")  # cutoffs[band-1] < cost <= cutoffs[band]
    ok = band < len(cutoffs)
    nb = len(cutoffs)
    return np.bincount(group[ok] * nb + band[ok], weights=weights[ok], minlength=n_groups * nb).reshape(n_groups, nb)


def isochrones(
    graph: distances.AccessGraph,
    facility_mask: np.ndarray | None,
    cutoffs: Sequence[float] | np.ndarray,
    *,
    how: str = "dissolved",
    bands: str = "both",
    street_width_m: float = DEFAULT_STREET_WIDTH_M,
    index: snapping.EdgeIndex | None = None,
    demand: pd.DataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Isochrone polygons of a set of facilities, with the population inside.

    Parameters
    ----------
    graph
        Access graph (:func:`~accessibility.distances.build_access_graph`).
    facility_mask
        Boolean mask over facility rows (``None``: all facilities of the graph).
    cutoffs
        Costs in the graph's unit: metres for ``weight="length"`` (walking),
        seconds for ``"time"``. Sorted; each is a nested band.
    how
        ``"dissolved"``, ``"per_facility"`` or ``"catchments"`` (see the module notes).
    bands
        ``"cumulative"`` (reach within each cutoff), ``"rings"`` (between the
        previous cutoff and this one) or ``"both"`` (column ``kind``).
    street_width_m
        Farthest a location drawn may be from the street it joins (and from a
        reached street); a run passes at most its snapping limit ``max_snap_m``.
    index
        The network's :class:`~accessibility.snapping.EdgeIndex` (built if omitted).
    demand
        Demand points: columns ``lon``, ``lat``, ``pop`` and optionally ``older``, and
        ``edge``, ``t``, ``snap_dist_m`` if already snapped to this network.
    facilities
        The facilities, one row per facility row of the graph: their WGS-84
        geometry draws the walk from a facility to its street, and their
        ``facility_id`` column (if any) fills the output's.

    Returns
    -------
    GeoDataFrame
        WGS-84 (Multi)Polygons, one row per (facility or service, kind, cutoff):
        ``how``, ``kind``, ``facility_row``, ``facility_id``, ``cutoff_m`` and
        ``from_m`` (``_s`` for time graphs), ``pop``, ``older_pop`` (residents whose
        own trip is within the band), ``pop_in_polygon``, ``older_in_polygon``,
        ``street_km`` and ``area_km2``.
    """
    t_start = time.perf_counter()
    cut = _check(how, bands, cutoffs, street_width_m)
    n_fac = int(graph.ap_facility.max()) + 1 if len(graph.ap_facility) else 0
    mask = np.ones(n_fac, bool) if facility_mask is None else np.asarray(facility_mask, bool)
    if len(mask) < n_fac:
        raise errors.InputError(f"facility_mask has {len(mask)} entries; the graph has facilities up to row {n_fac - 1}")
    use_ap = mask[graph.ap_facility] if len(graph.ap_facility) else np.zeros(0, bool)
    if not use_ap.any():
        raise errors.EmptyLayerError("no selected facility has an access point on the network; nothing to draw")
    index = index if index is not None else snapping.EdgeIndex(graph.net)
    facility_geoms = facilities.geometry.to_numpy() if facilities is not None else None
    facility_ids = facilities["facility_id"].to_numpy() if facilities is not None and "facility_id" in facilities else None
    pieces = isostreets.pieces(graph, index, mask, facility_geoms)
    dem = _demand(graph, index, demand) if demand is not None else None
    rows, ivals, people, cells, cell_of = _search(graph, index, pieces, dem, (mask, use_ap), cut, how=how, street_width_m=street_width_m)
    t_search = time.perf_counter()
    nb = len(cut)
    streets, street_m = _polygons(pieces, ivals, len(rows), nb, street_width_m)
    cum = _cell_polygons(cells, cell_of, len(rows), nb, per_group=how == "per_facility")
    # a location is drawn where its own trip is within the band; clipped to the reached streets'
    # width, which such a location always is within (its trip goes through its street point)
    cum = isostreets.threaded(shapely.intersection, cum.ravel(), streets.ravel()).reshape(cum.shape)
    t_geom = time.perf_counter()
    out = _output(cum, street_m, people, dem, index.crs, rows=rows, cut=cut, bands=bands, how=how, unit=graph.weight)
    ids = np.r_[np.asarray(facility_ids if facility_ids is not None else np.arange(n_fac), dtype=object), None]
    fac_row = out["facility_row"].to_numpy()
    out.insert(3, "facility_id", ids[np.where(fac_row >= 0, fac_row, len(ids) - 1)])
    log.info(
        "isochrones %s: %d groups x %d cutoffs; search %.2f s, polygons %.2f s, total %.2f s (%d locations on a %g m grid)",
        how, len(rows), nb, t_search - t_start, t_geom - t_search, time.perf_counter() - t_start, len(cells), GRID_M,
    )
    return out


def _search(graph, index, pieces, dem, selected, cut, *, how, street_width_m):
    """Searches from the facilities, and every location's own trip.

    Returns the facility row of each group (-1: dissolved), the reached street intervals,
    the people per (group, band), the grid's cells and (group, cell, band) of the cells
    inside some band.
    """
    mask, use_ap = selected
    rows = np.unique(graph.ap_facility[use_ap])  # facility row of each group
    compact = np.full(max(len(mask), 1), -1, dtype=np.int64)
    compact[rows] = np.arange(len(rows))
    nb, cmax = len(cut), float(cut[-1])
    # the reach of the nearest facility: its streets bound the grid of locations
    res = distances.nearest_facilities(graph, mask, limit=cmax)
    s = np.flatnonzero((res.cost[pieces.a] <= cmax) | (res.cost[pieces.b] <= cmax))
    ga = gb = np.zeros(len(s), np.int64)
    if how == "catchments":
        ga, gb = compact[np.maximum(res.facility[pieces.a[s]], 0)], compact[np.maximum(res.facility[pieces.b[s]], 0)]
    ivals = isostreets.band_intervals(pieces, s, res.cost[pieces.a[s]], res.cost[pieces.b[s]], ga, gb, cut)
    cells = isocells.locate(graph, index, _reached_lines(pieces, ivals), width_m=street_width_m, size_m=GRID_M)
    # every location's own trip, exactly as a point query answers it
    cost, nearest = distances.costs_at_points(graph, res, cells.snapped, neighbours=cells.neighbours)
    band = np.searchsorted(cut, cost, side="left")  # cutoffs[band-1] < cost <= cutoffs[band]
    inside = np.flatnonzero(band < nb)
    if how == "per_facility":
        ivals, pop_band, older_band, cell_of = _per_facility(graph, use_ap, compact, cut, pieces, dem, (cells, inside), CHUNK_CELLS)
        return rows, ivals, (pop_band, older_band), cells, cell_of
    rows = np.array([-1]) if how == "dissolved" else rows
    pop_band = older_band = np.full((len(rows), nb), np.nan)
    if dem is not None:
        trip, near = distances.costs_at_points(graph, res, dem.snapped, neighbours=dem.neighbours)
        grp = np.zeros(len(trip), np.int64) if how == "dissolved" else compact[np.maximum(near, 0)]
        pop_band, older_band = (_band_sums(grp, trip, w, cut, len(rows)) for w in (dem.pop, dem.older))
    grp = np.zeros(len(inside), np.int64) if how == "dissolved" else compact[np.maximum(nearest[inside], 0)]
    return rows, ivals, (pop_band, older_band), cells, (grp, inside, band[inside])


def _check(how: str, bands: str, cutoffs: Sequence[float] | np.ndarray, street_width_m: float) -> np.ndarray:
    """The sorted cutoffs, once the options are checked."""
    if how not in HOW:
        raise errors.InputError(f"how must be one of {HOW}, got {how!r}")
    if bands not in BANDS:
        raise errors.InputError(f"bands must be one of {BANDS}, got {bands!r}")
    cut = np.unique(np.asarray(cutoffs, dtype=np.float64))
    if len(cut) == 0 or not np.all(np.isfinite(cut)) or cut[0] <= 0:
        raise errors.InputError(f"cutoffs must be positive finite numbers, got {list(cutoffs)}")
    if not street_width_m > 0:
        raise errors.InputError(f"street_width_m must be positive, got {street_width_m}")
    return cut


def _reached_lines(pieces: isostreets.Pieces, ivals: tuple[np.ndarray, ...]) -> np.ndarray:
    """Every reached street part (any group, any band) as metric lines."""
    _, line, lo, hi = isostreets.merge(np.zeros(len(ivals[2]), np.int64), ivals[2], ivals[3], ivals[4])
    return isostreets.substrings(pieces.lines, line, lo, hi)


def _output(cum, street_m, bands_pop, dem, crs, *, rows, cut, bands, how, unit) -> gpd.GeoDataFrame:
    """Rows per (group, kind, cutoff): cumulative areas and/or rings, in WGS-84, with their people."""
    n_groups, nb = cum.shape
    cum = isostreets.polygonal(cum.ravel(), _SLIVER_M2).reshape(n_groups, nb)
    area_km2 = np.nan_to_num(shapely.area(cum) / 1e6)
    pip = np.full((2, n_groups, nb), np.nan)
    if dem is not None:  # residents inside each polygon (its disjoint parts are quicker to query)
        parts, owner = shapely.get_parts(cum.ravel(), return_index=True)
        gi, pi = shapely.STRtree(shapely.points(dem.xy)).query(parts, predicate="contains")
        for j, w in enumerate((dem.pop, dem.older)):
            pip[j] = np.bincount(owner[gi], weights=w[pi], minlength=cum.size).reshape(n_groups, nb)
    wgs = gpd.GeoSeries(cum.ravel(), crs=crs).to_crs("EPSG:4326").to_numpy()
    bad = ~shapely.is_valid(wgs) & ~shapely.is_missing(wgs)
    wgs[bad] = isostreets.polygonal(shapely.make_valid(wgs[bad]))  # a safety net, rarely needed
    wgs = wgs.reshape(n_groups, nb)
    table = {"rows": np.repeat(rows, nb), "cut": cut, "unit": "m" if unit == "length" else "s", "how": how}
    frames = []
    if bands in ("cumulative", "both"):
        pops = [np.cumsum(b, axis=1) for b in bands_pop]
        frames.append(_table("cumulative", wgs, np.zeros(nb), pops, pip, np.cumsum(street_m, axis=1), area_km2, **table))
    if bands in ("rings", "both"):
        # rings are cut after reprojection, so they are valid in WGS-84; cumulative areas are
        # nested, so a ring's area and people inside are differences of the cumulative ones
        prev = np.concatenate([np.full((n_groups, 1), None, dtype=object), wgs[:, :-1]], axis=1)
        # snap-rounded: nested areas share stretches of boundary (the street width's edge), which an exact
        # difference may leave as zero-width spikes that cross once reprojected
        ring = isostreets.threaded(shapely.difference, wgs.ravel(), prev.ravel(), grid_size=_GRID_DEG).reshape(n_groups, nb)
        ring = np.where(shapely.is_missing(prev), wgs, isostreets.polygonal(ring.ravel(), _SLIVER_DEG2).reshape(n_groups, nb))
        pip, area_km2 = np.diff(pip, axis=-1, prepend=0.0), np.diff(area_km2, axis=-1, prepend=0.0)
        frames.append(_table("ring", ring, np.r_[0.0, cut[:-1]], bands_pop, pip, street_m, area_km2, **table))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")


def _polygons(pieces: isostreets.Pieces, ivals: tuple[np.ndarray, ...], n_groups: int, nb: int, street_width_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The reached streets widened by ``street_width_m``, cumulative (n_groups x nb, metric), and their metres per band."""
    group, band, line, lo, hi = ivals
    key, line, lo, hi = isostreets.merge(group * nb + band, line, lo, hi)
    lines = isostreets.substrings(pieces.lines, line, lo, hi)
    street_m = np.bincount(key, weights=shapely.length(lines), minlength=n_groups * nb).reshape(n_groups, nb)
    buffers = isostreets.threaded(shapely.buffer, shapely.simplify(lines, _SIMPLIFY_M), street_width_m, quad_segs=_QUAD_SEGS)
    cum = isostreets.grouped(buffers, key, n_groups * nb).reshape(n_groups, nb)
    for i in range(1, nb):  # a handful of cutoffs; nested by construction: each adds its band to the previous area
        prev, cur = cum[:, i - 1], cum[:, i]
        both = isostreets.threaded(shapely.union, prev, cur)  # missing when either is
        cum[:, i] = np.where(shapely.is_missing(cur), prev, np.where(shapely.is_missing(prev), cur, both))
    return cum, street_m


def _cell_polygons(cells: isocells.Cells, cell_of: tuple[np.ndarray, ...], n_groups: int, nb: int, *, per_group: bool) -> np.ndarray:
    """Cumulative polygons (n_groups x nb, metric) of the cells within each band of each group.

    ``cell_of`` is (group, cell, band) of every cell inside some band. Groups that
    may overlap (facilities' own areas) are drawn one by one.
    """
    group, cell, band = cell_of
    if not per_group:
        return isocells.cumulative_polygons(cells.col[cell], cells.row[cell], group, band, n_groups, nb, cells.size_m)
    out = np.full((n_groups, nb), None, dtype=object)
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(n_groups + 1))
    for g in np.flatnonzero(np.diff(bounds)):  # one grid per facility: their areas overlap
        k = order[bounds[g] : bounds[g + 1]]
        c = cell[k]
        out[g] = isocells.cumulative_polygons(cells.col[c], cells.row[c], np.zeros(len(k), np.int64), band[k], 1, nb, cells.size_m)[0]
    return out


def _per_facility(graph, use_ap, compact, cut, pieces, dem, located, chunk_cells):
    """One Dijkstra row per access point, reduced to one row per facility, chunk by chunk.

    ``located`` is the grid's cells and those within the largest cutoff of any facility;
    returns the street intervals, the people per band and (group, cell, band) of the
    cells each facility reaches.
    """
    cells, inside = located
    n, nb, cmax = graph.n_nodes, len(cut), float(cut[-1])
    ptr, items = isostreets.incidence(np.r_[pieces.a, pieces.b], np.tile(np.arange(len(pieces.a)), 2), n)
    cptr, citems = isostreets.incidence(np.r_[cells.neighbours[0][inside], cells.neighbours[2][inside]], np.tile(inside, 2), n)
    aps = np.flatnonzero(use_ap)
    aps = aps[np.argsort(graph.ap_facility[aps], kind="stable")]
    grp_of_ap = compact[graph.ap_facility[aps]]
    first_ap = np.flatnonzero(np.r_[True, grp_of_ap[1:] != grp_of_ap[:-1]])
    n_groups = int(grp_of_ap[-1]) + 1
    # chunks of whole facilities of about chunk_cells // n access points, to bound memory
    chunk_of_fac = first_ap // max(1, chunk_cells // n)
    bounds = np.r_[np.flatnonzero(np.r_[True, chunk_of_fac[1:] != chunk_of_fac[:-1]]), len(first_ap)]
    pop_band = older_band = np.full((n_groups, nb), np.nan if dem is None else 0.0)
    if dem is not None:
        pptr, pitems = isostreets.incidence(np.r_[dem.left, dem.right], np.tile(np.arange(len(dem.left)), 2), n)
    out, reached = [], []
    for g0, g1 in itertools.pairwise(bounds):  # loop over chunks of facilities: bounded memory
        a0 = first_ap[g0]
        a1 = first_ap[g1] if g1 < len(first_ap) else len(aps)
        dist = csgraph.dijkstra(graph.reverse_csr, directed=True, indices=graph.stub_node[aps[a0:a1]], limit=cmax)
        r, node = np.nonzero(dist <= cmax)
        if a1 - a0 > g1 - g0:  # facilities with several access points (parks): one row per facility
            r, cost = grp_of_ap[a0 + r] - g0, dist[r, node]
            dist = np.full((g1 - g0, n), np.inf)
            np.minimum.at(dist, (r, node), cost)
        rr, s = isostreets.expand(r, node, ptr, items, len(pieces.a))
        grp = g0 + rr
        own = (pieces.facility[s] < 0) | (compact[np.maximum(pieces.facility[s], 0)] == grp)  # no walks into others
        rr, s, grp = rr[own], s[own], grp[own]
        out.append(isostreets.band_intervals(pieces, s, dist[rr, pieces.a[s]], dist[rr, pieces.b[s]], grp, grp, cut))
        reached.append(_facility_cells(graph, dist, g0, isostreets.expand(r, node, cptr, citems, len(cells)), cells, cut))
        if dem is not None:
            rq, q = isostreets.expand(r, node, pptr, pitems, len(dem.left))
            cost = dem.snap_cost[q] + np.minimum(dem.to_left[q] + dist[rq, dem.left[q]], dem.to_right[q] + dist[rq, dem.right[q]])
            pop_band = pop_band + _band_sums(g0 + rq, cost, dem.pop[q], cut, n_groups)
            older_band = older_band + _band_sums(g0 + rq, cost, dem.older[q], cut, n_groups)
    ivals = tuple(np.concatenate([o[i] for o in out]) for i in range(5))
    return ivals, pop_band, older_band, tuple(np.concatenate([c[i] for c in reached]) for i in range(3))


def _facility_cells(graph, dist, g0, pairs, cells, cut):
    """(group, cell, band) of the cells next to the nodes each facility of a chunk reaches, costed as a point query."""
    rq, q = pairs
    order = np.argsort(rq, kind="stable")
    rq, q = rq[order], q[order]
    bounds = np.searchsorted(rq, np.arange(len(dist) + 1))
    no_facility = np.full(graph.n_nodes, -1, dtype=np.int64)
    cost = np.empty(len(q))
    for i in np.flatnonzero(np.diff(bounds)):  # one facility at a time, through the public point rule
        k = slice(bounds[i], bounds[i + 1])
        snapped, joined = cells.take(q[k])
        cost[k], _ = distances.costs_at_points(graph, distances.NearestResult(cost=dist[i], facility=no_facility), snapped, neighbours=joined)
    band = np.searchsorted(cut, cost, side="left")
    ok = band < len(cut)
    return g0 + rq[ok], q[ok], band[ok]


def _table(kind, geoms, lower, pops, pip, street_m, area_km2, *, rows, cut, unit, how) -> pd.DataFrame:
    """One output row per (group, cutoff); the (groups x cutoffs) arrays are flattened."""
    reps = len(rows) // len(cut)
    cols = {"how": how, "kind": kind, "facility_row": rows, f"cutoff_{unit}": np.tile(cut, reps), f"from_{unit}": np.tile(lower, reps)}
    cols.update(pop=pops[0], older_pop=pops[1], pop_in_polygon=pip[0], older_in_polygon=pip[1], street_km=street_m / 1000.0)
    cols.update(area_km2=area_km2, geometry=geoms)
    return pd.DataFrame({k: v.ravel() if isinstance(v, np.ndarray) else v for k, v in cols.items()})


@dataclass
class _RunInputs:
    graph: distances.AccessGraph
    index: snapping.EdgeIndex
    facilities: gpd.GeoDataFrame
    services: list[str]
    demand: pd.DataFrame | None
    walk_speed_m_s: float
    result: RunResult


def _load(run: RunResult | str | Path) -> _RunInputs:
    result = as_result(run)
    walk = result.modes["walk"]
    d = result.demand
    demand = pd.DataFrame({"lon": d.lon, "lat": d.lat, "pop": d.pop, "older": d.older})
    # snapped once, for every service and way of combining: where the run joined them, when it is at hand
    known = walk.residents
    snapped = known if known is not None and len(known) == len(demand) else walk.index.snap_points(demand["lon"].to_numpy(np.float64), demand["lat"].to_numpy(np.float64))
    demand = demand.assign(edge=snapped.edge, t=snapped.t, snap_dist_m=snapped.snap_dist_m)
    return _RunInputs(walk.graphs["length"], walk.index, result.facilities, result.services, demand, walk.speed_m_s, result)


def _from_inputs(inp: _RunInputs, service, cutoffs_min, cutoffs_m, how, bands, street_width_m, walk_speed_m_s) -> gpd.GeoDataFrame:
    if service not in inp.services:
        raise errors.InputError(f"unknown service {service!r}; this run has {sorted(inp.services)}")
    speed = float(walk_speed_m_s or inp.walk_speed_m_s)
    if not speed > 0:
        raise errors.InputError(f"walk_speed_m_s must be positive, got {walk_speed_m_s}")
    if cutoffs_min is not None and cutoffs_m is not None:
        raise errors.InputError("give cutoffs_min (walking time) or cutoffs_m (walking distance), not both")
    timed = cutoffs_m is None
    given = cutoffs_m if not timed else (DEFAULT_CUTOFFS_MIN if cutoffs_min is None else cutoffs_min)
    metres = np.asarray(given, np.float64) * (60.0 * speed if timed else 1.0)
    fac = inp.facilities
    mask = (fac["status"].to_numpy() == "used") & (fac["service"].to_numpy() == service)
    if not mask.any():
        raise errors.EmptyLayerError(f"service {service!r} has no facility on the network in this run; no isochrones to draw")
    # no location farther from every street than the run's snapping limit is drawn
    width_m = min(float(street_width_m), float(inp.result.manifest.get("options", {}).get("max_snap_m", _MAX_SNAP_M)))
    frame = isochrones(
        inp.graph, mask, metres, how=how, bands=bands, street_width_m=width_m, index=inp.index, demand=inp.demand, facilities=fac,
    )
    frame.insert(0, "service", service)
    if timed:
        at = frame.columns.get_loc("from_m") + 1
        frame.insert(at, "cutoff_min", frame["cutoff_m"] / speed / 60.0)
        frame.insert(at + 1, "from_min", frame["from_m"] / speed / 60.0)
    frame["walk_speed_m_s"] = speed
    frame["street_width_m"] = width_m
    return frame


def isochrones_from_run(
    result_or_run_dir: RunResult | str | Path,
    *,
    service: str,
    cutoffs_min: Sequence[float] | None = None,
    cutoffs_m: Sequence[float] | None = None,
    how: str = "dissolved",
    bands: str = "both",
    street_width_m: float = DEFAULT_STREET_WIDTH_M,
    walk_speed_m_s: float | None = None,
) -> gpd.GeoDataFrame:
    """Walking isochrones of one service of a run (a :class:`RunResult` or a run folder).

    Parameters
    ----------
    result_or_run_dir
        What :func:`accessibility.run` returned, or the folder it wrote.
    service
        Service id, e.g. ``"elderly_care"``.
    cutoffs_min, cutoffs_m
        Walking times in minutes (default 5, 10, 15) or distances in metres
        (e.g. the 300/500/1000 m life-circle tiers); not both.
    how
        ``"dissolved"``, ``"per_facility"`` or ``"catchments"``.
    bands
        ``"cumulative"``, ``"rings"`` or ``"both"``.
    street_width_m
        Farthest a location drawn may be from the street it joins (at most the
        run's snapping limit ``max_snap_m``, which is used when smaller).
    walk_speed_m_s
        Walking speed turning minutes into metres (default the walking recipe's, 1.0 m/s).

    Returns
    -------
    GeoDataFrame
        See :func:`isochrones`; adds ``service``, ``cutoff_min``/``from_min`` for
        time cutoffs, ``walk_speed_m_s`` and ``street_width_m`` (the width drawn). Population comes
        from the run's demand points (``demand_points.parquet`` for a folder).
    """
    return _from_inputs(_load(result_or_run_dir), service, cutoffs_min, cutoffs_m, how, bands, street_width_m, walk_speed_m_s)


def write_isochrones(layers: Mapping[str, gpd.GeoDataFrame], out_dir: str | Path) -> list[Path]:
    """Write layers into ``out_dir/isochrones.gpkg`` (keeping its other layers) and one GeoJSON each.

    Every file is written to a temporary name and moved into place; in a run
    folder they are recorded in its manifest.
    """
    from ..run import folder as runfolder
    from ..run import write as outputs

    out_dir = Path(out_dir)
    run = runfolder.open_run(out_dir) if runfolder.is_run_folder(out_dir) else None
    safe = {  # text columns as strings, for GDAL
        name: f.astype({c: "string" for c in f.columns if c != f.geometry.name and f[c].dtype == object}) for name, f in layers.items()
    }
    with runfolder.writer(out_dir, run=run, command="isochrones") as up:
        with up.file("isochrones.gpkg") as tmp:
            if run is not None and run.has("isochrones.gpkg"):
                shutil.copyfile(run.file("isochrones.gpkg"), tmp)  # keep the layers of other services
            outputs.write_gpkg_layers(tmp, safe)
        for name, frame in safe.items():
            with up.file(f"isochrones_{name}.geojson") as tmp:
                # the layer is named after the output, not the temporary file (reruns give identical files)
                frame.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer=f"isochrones_{name}")
    return [out_dir / "isochrones.gpkg"] + [out_dir / f"isochrones_{name}.geojson" for name in safe]


def run_dir_isochrones(
    run: RunResult | str | Path,
    *,
    services: Sequence[str] | None = None,
    hows: Sequence[str] = HOW,
    cutoffs_min: Sequence[float] | None = None,
    cutoffs_m: Sequence[float] | None = None,
    bands: str = "both",
    street_width_m: float = DEFAULT_STREET_WIDTH_M,
    walk_speed_m_s: float | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Isochrones of a run written into its folder (``accessibility isochrones``).

    One layer ``<service>_<how>`` per service and way of combining; services
    default to every service with facilities on the network. ``run`` is a run
    folder, or a run in memory that was written to one. Returns the layers.
    """
    inp = _load(run)
    if inp.result.folder is None:
        raise errors.InputError("this run was not written to a folder (run it with out=...); isochrones_from_run() returns them without writing")
    fac = inp.facilities
    with_fac = set(fac.loc[fac["status"] == "used", "service"])
    chosen = list(services) if services else [s for s in inp.services if s in with_fac]
    if not chosen:
        raise errors.EmptyLayerError(f"{inp.result.folder}: no service has a facility on the network; no isochrones to draw")
    with isocells.reuse():  # every cell is snapped once for all the layers
        layers = {
            f"{s}_{h}": _from_inputs(inp, s, cutoffs_min, cutoffs_m, h, bands, street_width_m, walk_speed_m_s)
            for s in chosen
            for h in hows
        }
    write_isochrones(layers, inp.result.folder)
    return layers

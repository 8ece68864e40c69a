"""Street pieces of the isochrones: the reached parts of edges, as intervals and lines.

This module holds the low-level geometry behind :mod:`accessibility.isochrones`:
cutting the network's edges at the access points into pieces (plus the walks from
facilities to their streets), finding which part of each piece is first reached in
each cutoff band, merging those intervals, turning them into line substrings, and
the grouped shapely reductions built on them. The reached streets give each band's
street kilometres, the area the grid of locations covers (:mod:`accessibility.tools.isocells`)
and the street width a band is clipped to.

Notes
-----
It is separate so that :mod:`accessibility.isochrones` keeps the stage itself
(validation, searches, population, output tables, run folders) under the
project's module size, while these vectorised array and geometry helpers,
which know nothing of services, demand or output tables, can be read and
tested on their own. Metres and graph cost units throughout; no side effects
at import.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from ..network import distances, snapping

__all__ = ["Pieces", "band_intervals", "expand", "grouped", "incidence", "merge", "pieces", "polygonal", "substrings", "threaded"]

_EPS_T = 1e-9  # reached pieces shorter than this fraction of their line are dropped
_THREADS = max(1, min(4, os.cpu_count() or 1))  # shapely work is split across this many threads


@dataclass(frozen=True)
class Pieces:
    """Street pieces between consecutive graph nodes, plus the walks from facilities to their streets."""

    lines: np.ndarray  # metric LineStrings: the network's edges, then facility walks
    line: np.ndarray  # per piece: its line
    t0: np.ndarray  # fractions of the line where the piece starts (node a) and ends (node b)
    t1: np.ndarray
    a: np.ndarray
    b: np.ndarray
    cost: np.ndarray  # cost of the whole line walked towards b (forward), graph units
    cost_back: np.ndarray  # the same walked towards a
    to_a: np.ndarray  # may be walked towards a (the edge's backward direction)
    to_b: np.ndarray
    facility: np.ndarray  # facility row of a walk to the street, -1 for streets


def incidence(node: np.ndarray, item: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR-style lists of the items touching each node.

    Returns
    -------
    ptr, items
        The items touching node ``i`` are ``items[ptr[i]:ptr[i + 1]]``.
    """
    order = np.argsort(node, kind="stable")
    ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(node, minlength=n_nodes), out=ptr[1:])
    return ptr, item[order]


def expand(row: np.ndarray, node: np.ndarray, ptr: np.ndarray, items: np.ndarray, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, node) pairs to the distinct (row, item) pairs of the items touching those nodes."""
    count = ptr[node + 1] - ptr[node]
    total = int(count.sum())
    if total == 0:
        return np.array([], np.int64), np.array([], np.int64)
    first = np.cumsum(count) - count
    pos = np.arange(total) - np.repeat(first - ptr[node], count)
    key = np.unique(np.repeat(row.astype(np.int64), count) * n_items + items[pos])
    return key // n_items, key % n_items


def _cost_back(graph: distances.AccessGraph) -> np.ndarray:
    """Each base edge's cost walked backward (v to u): a walker's own where the graph has one."""
    back = getattr(graph, "edge_cost_back", None)
    return np.asarray(graph.edge_cost if back is None else back)


def pieces(graph: distances.AccessGraph, index: snapping.EdgeIndex, stub_facilities: np.ndarray, facility_geoms: np.ndarray | None) -> Pieces:
    """Cut the edges at the access points (as :func:`distances.build_access_graph` does) and add facility walks.

    ``stub_facilities`` is a mask over facility rows whose walk to the street is
    drawn (with ``facility_geoms``, their WGS-84 geometries); pieces of zero cost
    or length are dropped.
    """
    edges = graph.net.edges
    u, v = edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64)
    fw, bw = edges["forward"].to_numpy(bool), edges["backward"].to_numpy(bool)
    e_s, t_s, split = graph.ap_edge, graph.ap_t, graph.ap_split_node
    k = len(e_s)
    first = np.r_[True, e_s[1:] != e_s[:-1]] if k else np.zeros(0, bool)
    last = np.r_[e_s[:-1] != e_s[1:], True] if k else np.zeros(0, bool)
    prev_node = np.where(first, u[e_s], np.r_[0, split[:-1]][:k])
    prev_t = np.where(first, 0.0, np.r_[0.0, t_s[:-1]][:k])
    whole = np.ones(len(edges), dtype=bool)
    whole[e_s] = False
    ue = np.flatnonzero(whole)
    line = np.concatenate([ue, e_s, e_s[last]])
    parts = {
        "line": line,
        "t0": np.concatenate([np.zeros(len(ue)), prev_t, t_s[last]]),
        "t1": np.concatenate([np.ones(len(ue)), t_s, np.ones(int(last.sum()))]),
        "a": np.concatenate([u[ue], prev_node, split[last]]),
        "b": np.concatenate([v[ue], split, v[e_s[last]]]),
        "cost": graph.edge_cost[line],
        # per-direction costs (a walker's, uphill and downhill) where the graph has them
        "cost_back": _cost_back(graph)[line],
        "to_a": bw[line],
        "to_b": fw[line],
        "facility": np.full(len(line), -1, dtype=np.int64),
    }
    lines = index.geoms
    if facility_geoms is not None and k:
        # walk from the facility (t=0, its stub node) to its access point (t=1, the split node)
        caller = np.empty(k, dtype=np.int64)
        caller[graph.stub_node - graph.n_base - k] = np.arange(k)
        fac_row = graph.ap_facility[caller]
        stub = split + k
        stub_cost = graph.ap_stub_cost
        ap_point = shapely.line_interpolate_point(index.geoms[e_s], t_s, normalized=True)
        walks = shapely.shortest_line(index.project(np.asarray(facility_geoms, dtype=object)[fac_row]), ap_point)
        keep = np.flatnonzero(stub_facilities[fac_row] & (stub_cost > 0) & (shapely.length(walks) > 0))
        m = len(keep)
        both_ways = np.ones(m, bool)
        extra = {"line": len(lines) + np.arange(m), "t0": np.zeros(m), "t1": np.ones(m), "a": stub[keep], "b": split[keep],
                 "cost": stub_cost[keep], "cost_back": stub_cost[keep], "to_a": both_ways, "to_b": both_ways, "facility": fac_row[keep]}
        parts = {key: np.concatenate([val, extra[key]]) for key, val in parts.items()}
        lines = np.concatenate([lines, walks[keep]])
    ok = (parts["cost"] > 0) & (parts["cost_back"] > 0) & (parts["t1"] > parts["t0"])
    return Pieces(lines=lines, **{key: val[ok] for key, val in parts.items()})


def band_intervals(p: Pieces, s: np.ndarray, da: np.ndarray, db: np.ndarray, ga: np.ndarray, gb: np.ndarray, cutoffs: np.ndarray) -> tuple[np.ndarray, ...]:
    """Parts of pieces ``s`` first reached in each band (previous cutoff, cutoff].

    ``da``/``db`` are the costs at the pieces' ends, ``ga``/``gb`` the group the
    part reached through each end belongs to. Returns group, band, line, start, end.
    """
    t0, t1, line = p.t0[s], p.t1[s], p.line[s]
    ca, cb = p.cost_back[s], p.cost[s]  # a part reached through a is walked towards a, through b towards b
    ok_a, ok_b = p.to_a[s] & np.isfinite(da), p.to_b[s] & np.isfinite(db)
    with np.errstate(invalid="ignore"):
        # equal-cost point: before it the trip through a is cheaper, after it through b
        ts = np.where(ok_a & ok_b, (db - da + t0 * ca + t1 * cb) / (ca + cb), np.where(ok_a, t1, t0))
        ts = np.clip(ts, t0, t1)
        out = []
        prev = -np.inf
        for band, c in enumerate(cutoffs):  # a handful of cutoffs, each a vectorised pass
            a_lo = np.clip(t0 + (prev - da) / ca, t0, ts)
            a_hi = np.minimum(ts, t0 + (c - da) / ca)
            b_lo = np.maximum(ts, t1 - (c - db) / cb)
            b_hi = np.clip(t1 - (prev - db) / cb, ts, t1)
            ma = ok_a & (a_hi - a_lo > _EPS_T)
            mb = ok_b & (b_hi - b_lo > _EPS_T)
            for m, g, lo, hi in ((ma, ga, a_lo, a_hi), (mb, gb, b_lo, b_hi)):
                out.append((g[m], np.full(int(m.sum()), band), line[m], lo[m], hi[m]))
            prev = c
    return tuple(np.concatenate([o[i] for o in out]) for i in range(5))


def merge(key: np.ndarray, line: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge overlapping or touching intervals of the same (key, line).

    Returns
    -------
    key, line, lo, hi
        The merged intervals, sorted by key, line and start.
    """
    if len(key) == 0:
        return key, line, lo, hi
    order = np.lexsort((lo, line, key))
    key, line, lo, hi = key[order], line[order], lo[order], hi[order]
    new = np.r_[True, (key[1:] != key[:-1]) | (line[1:] != line[:-1])]
    rank = np.cumsum(new) - 1.0
    reach = np.maximum.accumulate(rank * 2.0 + hi)  # running max of hi, restarting per (key, line)
    start = new | (rank * 2.0 + lo > np.r_[-np.inf, reach[:-1]] + 1e-12)
    first = np.flatnonzero(start)
    return key[first], line[first], lo[first], np.maximum.reduceat(hi, first)


def substrings(lines: np.ndarray, line: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Vectorised ``substring``: the part of ``lines[line]`` between fractions ``lo`` and ``hi``."""
    xy, owner = shapely.get_coordinates(lines, return_index=True)
    seg = np.hypot(*np.diff(xy, axis=0).T)
    seg[owner[1:] != owner[:-1]] = 0.0
    along = np.r_[0.0, np.cumsum(seg)]
    start_vertex = np.searchsorted(owner, np.arange(len(lines)))
    along -= along[start_vertex][owner]
    total = along[np.r_[start_vertex[1:], len(xy)] - 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        vkey = owner * 2.0 + np.where(total[owner] > 0, along / total[owner], 0.0)
    first = np.searchsorted(vkey, line * 2.0 + lo, side="right")  # inner vertices: lo < fraction < hi
    n_in = np.maximum(np.searchsorted(vkey, line * 2.0 + hi, side="left") - first, 0)
    ends = shapely.get_coordinates(shapely.line_interpolate_point(lines[np.r_[line, line]], np.r_[lo, hi], normalized=True))
    m = len(line)
    count = n_in + 2
    off = np.cumsum(count) - count
    coords = np.empty((int(count.sum()), 2))
    coords[off] = ends[:m]
    coords[off + count - 1] = ends[m:]
    rep = np.repeat(np.arange(m), n_in)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n_in) - n_in, n_in)
    coords[off[rep] + 1 + k] = xy[first[rep] + k]
    return shapely.linestrings(coords, indices=np.repeat(np.arange(m), count))


def threaded(fn: Callable[..., np.ndarray], *arrays: Any, **kwargs: object) -> np.ndarray:
    """Element-wise shapely ``fn`` with the first axis split across threads (shapely releases the GIL)."""
    n = len(arrays[0])
    if _THREADS == 1 or n < 2 * _THREADS:
        return fn(*arrays, **kwargs)
    bounds = np.linspace(0, n, _THREADS + 1).astype(int)
    with ThreadPoolExecutor(_THREADS) as pool:
        parts = pool.map(
            lambda i: fn(*(a[bounds[i] : bounds[i + 1]] if isinstance(a, np.ndarray) else a for a in arrays), **kwargs),
            range(_THREADS),
        )
        return np.concatenate(list(parts))


def grouped(geoms: np.ndarray, key: np.ndarray, n_keys: int, reducer: Callable[..., np.ndarray] = shapely.union_all, **kwargs: object) -> np.ndarray:
    """``reducer`` (union_all, coverage_union_all) of the geometries of each key, in GEOS.

    shapely has no grouped union, so groups of similar size are padded into a
    2-D array and reduced along its rows: no Python loop over facilities, and
    the padding at most doubles the array (about 30 size classes at most).
    """
    out = np.full(n_keys, None, dtype=object)
    counts = np.bincount(key, minlength=n_keys)
    order = np.argsort(key, kind="stable")
    start = np.cumsum(counts) - counts
    size_class = np.floor(np.log2(np.maximum(counts, 1))).astype(int)
    for c in np.unique(size_class[counts > 0]):
        ks = np.flatnonzero((size_class == c) & (counts > 0))
        n = counts[ks]
        block = np.full((len(ks), int(n.max())), None, dtype=object)
        row = np.repeat(np.arange(len(ks)), n)
        col = np.arange(len(row)) - np.repeat(np.cumsum(n) - n, n)
        block[row, col] = geoms[order[np.repeat(start[ks], n) + col]]
        out[ks] = threaded(reducer, block, axis=1, **kwargs)
    return out


def polygonal(geoms: np.ndarray, min_area: float = 0.0) -> np.ndarray:
    """Keep the polygonal parts as MultiPolygons (None when empty): overlays may leave lines or slivers."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    parts, sub = shapely.get_parts(parts, return_index=True)  # collections may hold multi-polygons
    idx = idx[sub]
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & (shapely.area(parts) > min_area)
    out = np.full(len(geoms), None, dtype=object)
    if keep.any():
        return shapely.multipolygons(parts[keep], indices=idx[keep], out=out)
    return out

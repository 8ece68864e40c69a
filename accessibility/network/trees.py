"""Shortest-path trees of one facility set, independent of every other set's facilities.

The access graph (:func:`~accessibility.network.distances.build_access_graph`)
splits every edge at every access point of every service. A search on it would
depend, to the last bit, on where the *other* services' facilities are: a path
along a split edge sums its pieces, and the pieces move when another list
changes. So a set is searched on a graph that holds only the streets, whole
and layered (:mod:`~accessibility.network.private`), plus one *stub* node per
access point joined to its edge's two ends at the cost of walking there
(``stub + t * forward`` from ``u``, ``stub + (1 - t) * backward`` from ``v``).
No arc enters a stub, so a search from one set's stubs never reaches another
set's: its tree (:class:`Tree`) depends only on the streets, their costs and
that set's own access points, and an earlier run's tree can be reused when
those are the same (:mod:`accessibility.run.reuse`).

:func:`spread` then gives the cost at every node of the access graph, for the
code that joins points to it: a street node's from the tree, an inserted
access point's as a point on its edge (the cheaper end, or a stub of the set
on the same edge), a stub's as the walk to its access point.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from . import graph as network_mod
from . import private

__all__ = ["FEW_SOURCES", "Sides", "StubGraph", "Tree", "at_points", "grow", "merge", "sides", "spread", "stub_graph"]

#: a search from at most this many access points runs on the streets with their own stubs' rows only (:meth:`StubGraph.search_matrix`)
FEW_SOURCES = 64


@dataclass
class StubGraph:
    """The streets whole and layered, and one stub node per access point (in sorted order: by edge, then position).

    Its matrix is the streets' (:meth:`streets_csr`, the same for every list of
    facilities, so a rerun can bring it from the cache: :attr:`streets`) with the
    stubs' rows below, built on the first search.
    """

    n_street: int  # street nodes (each its trip-start role)
    layers: private.Layers  # roles of the street nodes on private ways
    n_stubs: int
    make_streets: Callable[[], sp.csr_matrix] | None = field(default=None, repr=False)
    stub_rows: Callable[[np.ndarray | None], sp.csr_matrix] | None = field(default=None, repr=False)  # of every stub (None), or of some
    streets: sp.csr_matrix | None = field(default=None, repr=False)  # given (from the cache) or built
    _csr: sp.csr_matrix | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def first_stub(self) -> int:
        return int(self.layers.n_nodes)

    def streets_csr(self) -> sp.csr_matrix:
        """The streets' reversed matrix, layered (``first_stub`` square)."""
        with self._lock:
            return self._streets()

    def give_streets(self, matrix: sp.csr_matrix) -> None:
        """The streets' matrix from elsewhere (an earlier run's, :mod:`accessibility.run.reuse`), unless it is built already."""
        with self._lock:
            if self.streets is None:
                self.streets = matrix

    def _streets(self) -> sp.csr_matrix:
        if self.streets is None:
            assert self.make_streets is not None
            self.streets = self.make_streets()
        self.make_streets = None
        return self.streets

    def search_matrix(self, sources: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        """The matrix a search from ``sources`` runs on, and their rows in it.

        A part of at most :data:`FEW_SOURCES` (a planner's new sites) is searched on the streets with its
        own stubs' rows only: the same arcs from them, without building the rows of every stub (~0.1 s at
        a million nodes); more are searched on :attr:`csr`. The choice depends on the sources alone, so
        a rerun searches a part as a fresh run does.
        """
        n = self.first_stub
        if len(sources) > FEW_SOURCES or self.stub_rows is None:
            return self.csr, n + sources
        with self._lock:
            streets = self._streets()
        return _below(streets, self.stub_rows(sources)), n + np.arange(len(sources))

    def build(self) -> None:
        """Build :attr:`csr` now (on a background thread, before the first search asks for it)."""
        _ = self.csr

    @property
    def csr(self) -> sp.csr_matrix:
        """Reversed (a trip's arc a -> b is b -> a), for searches from the stubs; built on first use."""
        with self._lock:
            if self._csr is None:
                assert self.stub_rows is not None
                self._csr = _below(self._streets(), self.stub_rows(None))
            return self._csr


def _below(streets: sp.csr_matrix, rows: sp.csr_matrix) -> sp.csr_matrix:
    """The streets' matrix with stubs' rows below, square. No arc of the streets touches a stub: these are
    the very arrays one call of ``csr_from_arcs`` on all the arcs gives."""
    n = streets.shape[0] + rows.shape[0]
    return sp.csr_matrix(
        (np.concatenate([streets.data, rows.data]), np.concatenate([streets.indices, rows.indices]),
         np.concatenate([streets.indptr, streets.indptr[-1] + rows.indptr[1:]])),
        shape=(n, n),
    )


def stub_graph(
    ends: tuple[np.ndarray, np.ndarray], ways: tuple[np.ndarray, np.ndarray, np.ndarray], costs: tuple[np.ndarray, np.ndarray],
    aps: tuple[np.ndarray, np.ndarray, np.ndarray], n: int,
) -> StubGraph:
    """The search graph of :mod:`this module <accessibility.network.trees>`.

    Parameters
    ----------
    ends
        Per edge: ``u``, ``v``.
    ways
        Per edge: forward allowed, backward allowed, private way.
    costs
        Per edge: cost walked forward (u -> v) and backward.
    aps
        Per access point, sorted by edge then position: edge, position ``t`` (0 at ``u``), stub cost.
    n
        Street nodes.
    """
    u, v = ends
    fw, bw, priv = ways
    cost_f, cost_b = costs
    e, t, stub_cost = aps
    def street_layers() -> private.Layers:
        return private.layered(np.concatenate([u[fw], v[bw]]), np.concatenate([v[fw], u[bw]]), np.concatenate([priv[fw], priv[bw]]), n)

    walked_private = priv & (fw | bw)  # the nodes of private ways walked either way: the roles, without laying the arcs (millions)
    layers = private.roles_of(np.unique(np.concatenate([u[walked_private], v[walked_private]])), n)
    k = len(e)

    def make_streets() -> sp.csr_matrix:
        a_src, a_dst, a_cost = street_layers().arcs(np.concatenate([cost_f[fw], cost_b[bw]]))
        return network_mod.csr_from_arcs(a_dst, a_src, a_cost, layers.n_nodes)

    def stub_rows(select: np.ndarray | None) -> sp.csr_matrix:
        """The rows of every stub, or of the stubs ``select`` (in that order)."""
        es, ts, cs = (e, t, stub_cost) if select is None else (e[select], t[select], stub_cost[select])
        m = len(es)
        # a trip reaches an access point from its edge's u walking forward, from v backward; a
        # walk of no extent (the point at the node) is allowed whatever the one-way rules. A facility on a
        # private way is reached at the end of a trip (through its compound): from the ends' end roles
        role = np.where(priv[es], layers.end[u[es]], layers.public[u[es]]), np.where(priv[es], layers.end[v[es]], layers.public[v[es]])
        to_u_side, to_v_side = ts * cost_f[es], (1.0 - ts) * cost_b[es]
        from_u = fw[es] | (ts <= 0)
        from_v = bw[es] | (1.0 - ts <= 0)
        stub = np.arange(m)
        rows = network_mod.csr_from_arcs(
            np.concatenate([stub[from_u], stub[from_v]]), np.concatenate([role[0][from_u], role[1][from_v]]),
            np.concatenate([cs[from_u] + to_u_side[from_u], cs[from_v] + to_v_side[from_v]]), max(m, layers.n_nodes),
        )
        return rows[:m]

    return StubGraph(n_street=n, layers=layers, n_stubs=k, make_streets=make_streets, stub_rows=stub_rows)


@dataclass(frozen=True)
class Tree:
    """One set's search: per node of the stub graph before its stubs, the cost to the set and which of its sources (``-1``: none)."""

    cost: np.ndarray
    source: np.ndarray  # index into the set's sources, in the order they were given


def grow(graph: StubGraph, sources: np.ndarray, *, limit: float = np.inf) -> Tree:
    """One multi-source Dijkstra from the stubs of ``sources`` (access points, sorted order)."""
    n = graph.first_stub
    if len(sources) == 0:
        return Tree(cost=np.full(n, np.inf), source=np.full(n, -1, dtype=np.int64))
    matrix, rows = graph.search_matrix(sources)
    if len(sources) <= FEW_SOURCES:
        # a planner's few sites: scipy's search takes ~0.25 s at a million nodes, less than loading the
        # compiled one (numba's import and cache, ~0.4 s); chosen by the sources alone, as the matrix is
        dist, _, src = csgraph.dijkstra(matrix, directed=True, indices=rows, min_only=True, return_predecessors=True, limit=limit)
        local = np.full(matrix.shape[0] - n, -1, dtype=np.int64)
        local[rows - n] = np.arange(len(sources))
        found = np.where(src[:n] >= n, local[np.maximum(src[:n] - n, 0)], -1)
        return Tree(cost=dist[:n], source=found)
    from . import heapsearch  # numba: imported by the searches that use it

    # off the GIL, so the run's background work goes on meanwhile (scipy's Dijkstra holds it: see heapsearch)
    dist, found = heapsearch.multi_source(matrix, rows, limit=limit)
    return Tree(cost=dist[:n].copy(), source=found[:n].copy())  # copies: the stubs' part is not kept with the tree


def merge(parts: Sequence[Tree], part_sources: Sequence[np.ndarray], sources: np.ndarray) -> Tree:
    """The tree of a set searched in parts: per node the cheapest part's cost and source (the first part's where two tie).

    ``part_sources`` are each part's sources (:func:`grow`'s, a subset of the set's
    ``sources``); the merged tree's sources index ``sources``. A multi-source search's
    cost at a node is the least, over its sources, of the sum along the path from each
    (float addition is monotonic, so Dijkstra finds that least exactly): the parts'
    least is the same number, to the last bit. Only which source is named where two
    reach a node at exactly the same cost may differ from one search of all, and is
    fixed by the parts' order.
    """
    at = np.full(int(sources.max(initial=-1)) + 1, -1, dtype=np.int64)
    at[sources] = np.arange(len(sources))  # a stub's place among the set's sources

    def named(local: np.ndarray, own: np.ndarray) -> np.ndarray:
        return np.where(local >= 0, at[own][np.maximum(local, 0)], -1) if len(own) else np.full(len(local), -1, dtype=np.int64)

    cost, src = parts[0].cost.copy(), named(parts[0].source, part_sources[0])
    for tree, own in zip(parts[1:], part_sources[1:], strict=True):
        better = tree.cost < cost
        cost[better] = tree.cost[better]
        src[better] = named(tree.source[better], own)
    return Tree(cost=cost, source=src)


@dataclass(frozen=True)
class Sides:
    """Per access point of an access graph, what a set's cost there is made of whatever the set (:func:`sides`).

    Computed once per graph and shared by every set's :func:`spread`: the gathers from
    the million-edge arrays are most of a spread's work.
    """

    e: np.ndarray  # the access point's edge, and its position on it
    t: np.ndarray
    stub_cost: np.ndarray
    fw: np.ndarray  # the edge's one-way rules, costs and private flag
    bw: np.ndarray
    cf: np.ndarray
    cb: np.ndarray
    priv: np.ndarray
    to_u: np.ndarray  # the walk along the edge to u and to v (inf where one-way rules forbid)
    to_v: np.ndarray
    roles: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]  # (u, v) as a trip's start, and at its end
    end_differs: np.ndarray  # the access points whose ends' end roles are not their start roles (next to a node on a private way)


def sides(
    base: private.Layers, ends: tuple[np.ndarray, np.ndarray], ways: tuple[np.ndarray, np.ndarray, np.ndarray], costs: tuple[np.ndarray, np.ndarray],
    aps: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> Sides:
    """:class:`Sides` of the access points ``aps`` (edge, position, walk to the facility; sorted order), ``base`` the stub graph's roles."""
    e, t, stub_cost = aps
    u, v = ends[0][e], ends[1][e]
    fw, bw, priv = (w[e] for w in ways)
    cf, cb = costs[0][e], costs[1][e]
    # walking to u is walking the edge backward; a walk of no extent is allowed whatever the one-way rules
    to_u = np.where(bw | (t <= 0), t * cb, np.inf)
    to_v = np.where(fw | (1 - t <= 0), (1 - t) * cf, np.inf)
    at_end = (np.where(priv, base.end[u], base.public[u]), np.where(priv, base.end[v], base.public[v]))
    differs = np.flatnonzero((at_end[0] != u) | (at_end[1] != v))
    return Sides(e, t, stub_cost, fw, bw, cf, cb, priv, to_u, to_v, ((u, v), at_end), differs)


def spread(tree: Tree, graph: StubGraph, split: private.Layers, sources: np.ndarray, at: Sides, *, limit: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """A set's cost (and source) at every node of the access graph, whose edges are split at every access point.

    ``split`` are the access graph's roles (street nodes, then one split node and one
    stub per access point in sorted order, then the copies of nodes on private ways);
    ``at`` are its access points' :func:`sides`; the others are as for :func:`grow`. An
    inserted access point costs what a point on its edge does: the cheaper of walking
    to either end and on, or along the edge to a stub of the set on it.
    """
    n, k = graph.n_street, len(at.e)
    base = graph.layers
    cost = np.full(split.n_nodes, np.inf)
    src = np.full(split.n_nodes, -1, dtype=np.int64)
    cost[:n], src[:n] = tree.cost[:n], tree.source[:n]  # each street node's trip-start role
    roles = split.on_private[split.on_private < n]  # and the public and end roles of those on private ways
    for ids, base_ids in ((split.public[roles], base.public[roles]), (split.end[roles], base.end[roles])):
        cost[ids], src[ids] = tree.cost[base_ids], tree.source[base_ids]

    start, end = _split_nodes(tree, sources, at)
    q = n + np.arange(k)
    cost[q], src[q] = start
    copies = split.end[q] != q  # the inserted points on private ways have their public and end roles
    for ids in (split.public[q][copies], split.end[q][copies]):
        cost[ids], src[ids] = end[0][copies], end[1][copies]
    # a stub costs the walk to its access point, then the trip from there (a stub of the set: nothing)
    stub = n + k + np.arange(k)
    cost[stub], src[stub] = at.stub_cost + start[0], start[1]
    cost[stub[sources]], src[stub[sources]] = 0.0, np.arange(len(sources))
    if np.isfinite(limit):
        far = cost > limit
        cost[far], src[far] = np.inf, -1
    return cost, src


def _split_nodes(tree: Tree, sources: np.ndarray, at: Sides) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(cost, source) of every access point as a trip's start and as a point reached at its end (its private roles)."""
    along = _along(at, _own_stubs(sources, at.e, at.t, at.stub_cost))
    (u, v), (u_end, v_end) = at.roles
    out = _cheapest(tree, at.to_u, at.to_v, u, v, along)
    # reached at a trip's end, a point differs only next to a node on a private way (its end role): the others are copied
    d = at.end_differs
    end = (out[0].copy(), out[1].copy())
    end[0][d], end[1][d] = _cheapest(tree, at.to_u[d], at.to_v[d], u_end[d], v_end[d], (along[0][d], along[1][d]))
    # a point on a public street has one role: its start is its end
    start = (np.where(at.priv, out[0], end[0]), np.where(at.priv, out[1], end[1]))
    return start, end


def _cheapest(
    tree: Tree, to_u: np.ndarray, to_v: np.ndarray, ru: np.ndarray, rv: np.ndarray, along: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Per access point, the cheapest of: walking to ``ru`` and on, to ``rv`` and on, or ``along`` its edge to a stub of the set."""
    best_cost, best_src = to_u + tree.cost[ru], tree.source[ru]
    for c, s in ((to_v + tree.cost[rv], tree.source[rv]), along):
        better = c < best_cost
        best_cost, best_src = np.where(better, c, best_cost), np.where(better, s, best_src)
    return best_cost, np.where(np.isfinite(best_cost), best_src, -1)


def at_points(tree: Tree, sources: np.ndarray, aps: tuple[np.ndarray, np.ndarray, np.ndarray], points: Sides) -> tuple[np.ndarray, np.ndarray]:
    """A set's trip cost (and source) from points where trips start: residents, hexagons' centres.

    ``points`` are the points' :func:`sides` (``stub_cost``: the walk from the point to
    its street), ``aps`` every access point's edge, position and stub cost (sorted
    order), ``sources`` the set's, as for :func:`grow`. A trip is the walk to the street,
    then the cheaper of walking to either end of the edge and on, or along the edge to
    a stub of the set on it: what joining the point to the access graph and spreading
    the tree there gives, from the set's tree and its own access points alone, so it
    depends on no other set's facilities. A point on a private way starts inside its
    compound (its ends' trip-start roles), one on a public street in the public layer.
    """
    (u, v), (u_public, v_public) = points.roles
    ru, rv = np.where(points.priv, u, u_public), np.where(points.priv, v, v_public)
    along = _along(points, _own_stubs(sources, *aps))
    cost, src = _cheapest(tree, points.to_u, points.to_v, ru, rv, along)
    return points.stub_cost + cost, src


def _own_stubs(sources: np.ndarray, e: np.ndarray, t: np.ndarray, stub_cost: np.ndarray) -> tuple[np.ndarray, ...]:
    """The set's stubs for :func:`_along`: edge, position, stub cost and place among ``sources``, in sorted order (grouped by edge)."""
    own = np.sort(sources)
    local = np.empty(len(e), dtype=np.int64)
    local[sources] = np.arange(len(sources))
    return e[own], t[own], stub_cost[own], local[own]


def _along(points: Sides, stubs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per point: the cheapest walk along its edge to one of ``stubs`` on it (edge, position, stub cost, source; by edge), and which source."""
    se, st, s_cost, s_local = stubs
    k = len(points.e)
    best, which = np.full(k, np.inf), np.full(k, -1, dtype=np.int64)
    if len(se) == 0 or k == 0:
        return best, which
    # only the points on an edge holding a stub of the set (few, for most sets) are searched for theirs
    on_edge = np.zeros(max(int(se[-1]), int(points.e.max())) + 1, dtype=bool)
    on_edge[se] = True
    near = np.flatnonzero(on_edge[points.e])
    pe, pt, fw, bw, cf, cb = (a[near] for a in (points.e, points.t, points.fw, points.bw, points.cf, points.cb))
    lo, hi = np.searchsorted(se, pe, side="left"), np.searchsorted(se, pe, side="right")
    counts = hi - lo
    point = np.repeat(np.arange(len(near)), counts)
    if len(point) == 0:
        return best, which
    other = lo[point] + np.arange(len(point)) - np.repeat(np.cumsum(counts) - counts, counts)
    dt = st[other] - pt[point]
    ahead = dt >= 0  # the stub lies towards v: walk forward
    walk = np.where(ahead, dt * cf[point], -dt * cb[point])
    zero = dt == 0  # two access points at one spot: the same place
    ok = np.where(ahead, fw[point], bw[point]) | zero
    val = np.where(ok, s_cost[other] + walk, np.inf)
    # the pairs come grouped by point: the least of each group and the first pair reaching it
    # (as a stable sort by value would pick), in linear passes instead of a sort of every pair
    has = np.flatnonzero(counts)
    starts = np.cumsum(counts)[has] - counts[has]
    least = np.minimum.reduceat(val, starts)
    at = np.where(val == np.repeat(least, counts[has]), np.arange(len(val)), len(val))
    first = np.minimum.reduceat(at, starts)
    best[near[has]], which[near[has]] = least, s_local[other[first]]
    return best, which

"""Network distance and time from every node and resident to the nearest facility.

Facilities join the network at access points on edges (see
:mod:`~accessibility.network.snapping`). In the *access graph* every access
point splits its edge at a new node, and a *stub* node hangs off it at the
facility's straight-line walking distance: the graph the tools search per
facility (isochrones, matrices, catchments), and the nodes residents and other
points are joined to (:func:`point_neighbours`).

A facility set (a service, or a tier subset) is searched by exactly one call of
``scipy.sparse.csgraph.dijkstra(indices=stubs, min_only=True)`` on the
*reversed* streets plus that set's own stubs (:mod:`~accessibility.network.trees`),
which gives, for every node, the cost of the trip node → nearest facility and
which facility that is; :func:`nearest_facilities` spreads it to the access
graph's nodes. A set's tree thus never depends on another set's facilities,
and a rerun reuses it when its streets and access points are the same. No
per-node or per-facility Python loop is involved.

Costs are metres for constant-speed modes (walk, bike), so one pass serves
every goal whatever its walking speed (time = distance / speed), and seconds
for time-weighted modes (drive).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph

from ..core import columns
from . import graph as network_mod
from . import private, snapping, trees

__all__ = [
    "AccessGraph", "NearestResult", "build_access_graph", "costs_at_points", "costs_from_tree", "facility_rows", "grow_tree",
    "nearest_facilities", "node_lonlat", "node_table", "point_facility_costs", "point_neighbours", "point_sides", "set_sources",
]  # fmt: skip

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Arcs:
    src: np.ndarray
    dst: np.ndarray
    cost: np.ndarray
    private: np.ndarray


@dataclass
class AccessGraph:
    """A network with facility access points inserted as nodes.

    Nodes ``0 .. n_base-1`` are the network's; then come one split node per
    access point, then one stub node per access point; then, when the
    network has private ways, the public-layer and end-layer copies of the
    nodes on them (:mod:`~accessibility.network.private`). A node's own id is
    its trip-start role: its cost is that of a trip starting there.

    The CSR matrix (:attr:`reverse_csr`) is built the first time a search
    asks for it: a run whose searches all come from the cache
    (:mod:`accessibility.run.reuse`) never builds it.
    """

    net: network_mod.Network
    weight: str
    n_base: int
    edge_cost: np.ndarray  # cost of each base edge, full length, walked forward (u -> v)
    ap_key: np.ndarray  # sorted 2 * rank(edge) + t, to find a point's neighbours on its edge
    ap_edge: np.ndarray
    ap_t: np.ndarray
    ap_split_node: np.ndarray
    ap_stub_cost: np.ndarray  # cost of the walk facility <-> street, sorted order like ap_edge
    stub_node: np.ndarray  # per access point, in the caller's order
    ap_facility: np.ndarray  # per access point: the facility (row) it belongs to
    snap_speed_m_s: float
    layers: private.Layers  # the copies of nodes on private ways (trip start / public / trip end)
    edge_private: np.ndarray  # per base edge: a private way
    edge_cost_back: np.ndarray | None = None  # walked backward (v -> u); None: as forward
    stubs: trees.StubGraph | None = field(default=None, repr=False)  # what a set's search runs on (:mod:`~accessibility.network.trees`)
    make_csr: Callable[[], sp.csr_matrix] | None = field(default=None, repr=False)
    _csr: sp.csr_matrix | None = field(default=None, repr=False)
    _digest: str | None = field(default=None, repr=False)
    _sides: trees.Sides | None = field(default=None, repr=False)
    _sources: dict[bytes, np.ndarray] = field(default_factory=dict, repr=False)  # set_sources by mask: asked for by the search, its spread and its cache key
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.edge_cost_back is None:
            self.edge_cost_back = self.edge_cost

    @property
    def reverse_csr(self) -> sp.csr_matrix:
        """The graph reversed (an arc a -> b of the streets is b -> a), as a CSR matrix for searches from the facilities."""
        with self._lock:  # the hexagons are laid out on another thread: build once
            if self._csr is None:
                assert self.make_csr is not None
                self._csr, self.make_csr = self.make_csr(), None
            return self._csr

    def digest(self) -> str:
        """sha256 of what a set's search runs on besides its own access points: streets, one-way and private rules, costs.

        A set's tree (:func:`grow_tree`) is a function of this and of the set's access
        points (:func:`set_sources`); the searches' cache (:mod:`accessibility.run.reuse`)
        is keyed by both.
        """
        if self._digest is not None:
            return self._digest
        edges = self.net.edge_table
        h = hashlib.sha256(f"{self.weight}|{self.n_base}|{len(edges)}".encode())
        for a in (
            edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64), edges["forward"].to_numpy(bool), edges["backward"].to_numpy(bool),
            self.edge_private, self.edge_cost, self.edge_cost_back,
        ):
            h.update(np.ascontiguousarray(a).data)  # the array's buffer: no copy (hashlib releases the GIL)
        self._digest = h.hexdigest()
        return self._digest

    def edge_arrays(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """Per base edge: ``(u, v)``, ``(forward, backward, private)``, ``(cost forward, cost backward)``."""
        edges = self.net.edge_table
        assert self.edge_cost_back is not None
        return (
            (edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64)),
            (edges["forward"].to_numpy(bool), edges["backward"].to_numpy(bool), self.edge_private),
            (self.edge_cost, self.edge_cost_back),
        )

    def sides(self) -> trees.Sides:
        """The access points' :func:`~accessibility.network.trees.sides`, computed once: every set's spread reads them."""
        if self._sides is None:
            assert self.stubs is not None
            self._sides = trees.sides(self.stubs.layers, *self.edge_arrays(), (self.ap_edge, self.ap_t, self.ap_stub_cost))
        return self._sides

    def role_nodes(self, nodes: np.ndarray, edge: np.ndarray, role: str) -> np.ndarray:
        """The graph nodes standing for street ``nodes`` reached along ``edge`` at a trip's ``"start"`` or ``"end"``.

        A point on a private way starts in the trip's first layer (it may walk out through
        its compound) and ends in the last; a point on a public street is in the public layer.
        """
        on_private = self.edge_private[edge]
        if role == "start":
            return np.where(on_private, nodes, self.layers.public[nodes])
        if role == "end":
            return np.where(on_private, self.layers.end[nodes], self.layers.public[nodes])
        raise ValueError(f"role must be 'start' or 'end', got {role!r}")

    def set_sources(self, facility_mask: np.ndarray | None) -> np.ndarray:
        """:func:`set_sources`, kept per mask (read-only): the search of a set, its spread and its cache key all ask for them."""
        key = b"all" if facility_mask is None else np.asarray(facility_mask, bool).tobytes()
        found = self._sources.get(key)
        if found is None:
            use = np.ones(len(self.stub_node), dtype=bool) if facility_mask is None else np.asarray(facility_mask, bool)[self.ap_facility]
            found = self.stub_node[use] - self.n_base - len(self.ap_edge)
            found.flags.writeable = False  # shared by every caller
            if len(self._sources) >= 64:  # a tool asking for many sets: bounded
                self._sources.clear()
            self._sources[key] = found
        return found

    @property
    def n_nodes(self) -> int:
        return int(self.layers.n_nodes)


def build_access_graph(
    net: network_mod.Network,
    facility: np.ndarray,
    snapped: snapping.Snapped,
    *,
    weight: str | None = None,
    snap_speed_m_s: float = 1.0,
    costs: tuple[np.ndarray, np.ndarray] | None = None,
) -> AccessGraph:
    """Insert access points into the network and build the reversed CSR graph.

    Parameters
    ----------
    net
        Street network.
    facility
        For each access point, the id (row number) of its facility.
    snapped
        Access points (edge, position, walk distance to the facility).
    weight
        ``"length"`` or ``"time"``; default the mode's.
    snap_speed_m_s
        Speed of the walk between a facility and its street, for time weights.
    costs
        Per-direction edge costs ``(forward u→v, backward v→u)`` (a walker's,
        :func:`~accessibility.network.walkers.walker_costs`; ``weight`` then only
        names them); default both ``net.edge_weight(weight)``. A piece of an edge
        split at access points costs its share of the length of its direction's cost.

    Returns
    -------
    AccessGraph
        The network with every access point inserted as a split node on its
        edge plus a stub node for the walk to its facility, as a reversed CSR
        matrix ready for :func:`nearest_facilities`.
    """
    weight = weight or net.mode.weight
    n = net.n_nodes
    if costs is None:
        edge_cost = edge_back = net.edge_weight(weight)
    else:
        edge_cost, edge_back = (np.asarray(c, np.float64) for c in costs)
        if edge_cost.shape != (net.n_edges,) or edge_back.shape != (net.n_edges,):
            raise ValueError(f"costs must be two arrays of one cost per edge ({net.n_edges}), got shapes {edge_cost.shape} and {edge_back.shape}")
    edges = net.edge_table
    u_all = edges["u"].to_numpy(np.int64)
    v_all = edges["v"].to_numpy(np.int64)
    fw_all = edges["forward"].to_numpy(bool)
    bw_all = edges["backward"].to_numpy(bool)

    k = len(snapped)
    order = np.lexsort((snapped.t, snapped.edge))
    e_s, t_s = snapped.edge[order], snapped.t[order]
    split = n + np.arange(k)  # split node of the i-th access point in sorted order
    stub_sorted = n + k + np.arange(k)

    stub_cost = snapped.snap_dist_m[order] / (snap_speed_m_s if weight == "time" else 1.0)
    edge_private = network_mod.edge_private(net)
    ends, ways, costs_fb = (u_all, v_all), (fw_all, bw_all, edge_private), (edge_cost, edge_back)
    # the roles only, from the private ways' pieces: the arcs (millions) are laid if a tool asks for this graph's matrix
    layers = private.roles_of(_split_private_nodes(ends, ways, e_s, t_s, n), n + 2 * k)

    def make_csr() -> sp.csr_matrix:
        arcs = _split_arcs(ends, ways, costs_fb, e_s, t_s, n)
        full = private.layered(arcs.src, arcs.dst, arcs.private, n + 2 * k)
        src, dst, cost = full.arcs(arcs.cost)
        # the walk from the street to a facility, at the end of a trip (a facility on a
        # compound's way is reached through the compound). No arc leaves a stub: every
        # search on this graph is of trips *to* facilities, and through such an arc a trip
        # that arrived at one facility (end layer) would leave it as a new trip (start
        # layer) and cut through its compound. A trip starting at a facility starts at
        # its access point (:func:`nearest_facilities` gives stubs that cost).
        src = np.concatenate([src, layers.end[split]])
        dst = np.concatenate([dst, stub_sorted])
        cost = np.concatenate([cost, stub_cost])
        # Reversed graph: an arc a -> b of the street network becomes b -> a, so a
        # search from the facilities yields each node's cost *to* a facility.
        return network_mod.csr_from_arcs(dst, src, cost, layers.n_nodes)

    stub_node = np.empty(k, dtype=np.int64)
    stub_node[order] = stub_sorted
    stubs = trees.stub_graph(ends, ways, costs_fb, (e_s, t_s, stub_cost), n)
    return AccessGraph(
        net=net,
        weight=weight,
        n_base=n,
        edge_cost=edge_cost,
        ap_key=np.searchsorted(np.unique(e_s), e_s) * 2.0 + t_s,
        ap_edge=e_s,
        ap_t=t_s,
        ap_split_node=split,
        ap_stub_cost=stub_cost,
        stub_node=stub_node,
        ap_facility=np.asarray(facility, dtype=np.int64),
        snap_speed_m_s=snap_speed_m_s,
        layers=layers,
        edge_private=edge_private,
        edge_cost_back=edge_back,
        stubs=stubs,
        make_csr=make_csr,
    )


def _split_private_nodes(ends: tuple[np.ndarray, np.ndarray], ways: tuple[np.ndarray, np.ndarray, np.ndarray], e_s: np.ndarray, t_s: np.ndarray, n: int) -> np.ndarray:
    """The nodes on an arc of a private way in :func:`_split_arcs`' graph (sorted), found from the private edges alone.

    An untouched private edge joins its ends when it can be walked either way; an
    edge split at access points joins each piece's ends when the piece can be walked
    either way or has no extent (:func:`_split_arcs`' rules, on the few private edges).
    """
    u_all, v_all = ends
    fw_all, bw_all, edge_private = ways
    touched = np.zeros(len(u_all), dtype=bool)
    touched[e_s] = True
    whole = np.flatnonzero(edge_private & ~touched & (fw_all | bw_all))
    parts = [u_all[whole], v_all[whole]]
    rows = np.flatnonzero(edge_private[e_s])  # each edge's access points are consecutive: whole groups
    if len(rows):
        piece_from, piece_to, piece_edge, share = _pieces(ends, e_s[rows], t_s[rows], n + rows)
        walked = fw_all[piece_edge] | bw_all[piece_edge] | (share <= 0)
        parts += [piece_from[walked], piece_to[walked]]
    return np.unique(np.concatenate(parts))


def _pieces(ends: tuple[np.ndarray, np.ndarray], e: np.ndarray, t: np.ndarray, split: np.ndarray) -> tuple[np.ndarray, ...]:
    """The pieces of edges split at access points (sorted by edge, then ``t``; whole groups per edge), ``u -> p1 -> ... -> pk -> v``.

    Returns each piece's from and to node, its edge and its share of the edge's length.
    """
    u_all, v_all = ends
    first = np.ones(len(e), dtype=bool)
    first[1:] = e[1:] != e[:-1]
    last = np.ones(len(e), dtype=bool)
    last[:-1] = e[:-1] != e[1:]
    prev_node = np.where(first, u_all[e], np.r_[0, split[:-1]])
    prev_t = np.where(first, 0.0, np.r_[0.0, t[:-1]])
    return (
        np.concatenate([prev_node, split[last]]), np.concatenate([split, v_all[e[last]]]), np.concatenate([e, e[last]]),
        np.clip(np.concatenate([t - prev_t, 1.0 - t[last]]), 0.0, 1.0),
    )


def _split_arcs(
    ends: tuple[np.ndarray, np.ndarray], ways: tuple[np.ndarray, np.ndarray, np.ndarray], costs: tuple[np.ndarray, np.ndarray],
    e_s: np.ndarray, t_s: np.ndarray, n: int,
) -> _Arcs:
    """The arcs of the streets with every edge split at its access points (sorted by edge, then ``t``; split node ``n + i``)."""
    u_all, v_all = ends
    fw_all, bw_all, edge_private = ways
    edge_cost, edge_back = costs
    sub_from, sub_to, sub_edge, sub_share = _pieces(ends, e_s, t_s, n + np.arange(len(e_s)))
    sub_cost = sub_share * edge_cost[sub_edge]
    sub_back = sub_share * edge_back[sub_edge]

    untouched = np.ones(len(u_all), dtype=bool)
    untouched[e_s] = False
    a_from = np.concatenate([u_all[untouched], sub_from])
    a_to = np.concatenate([v_all[untouched], sub_to])
    a_cost = np.concatenate([edge_cost[untouched], sub_cost])
    a_back = np.concatenate([edge_back[untouched], sub_back])
    # a piece of no extent (access point at a node, or two at one spot) joins places that are
    # the same place: it can be crossed both ways whatever the one-way rules. By position, not
    # cost: a one-way edge that costs nothing (a zero-length OSM edge) stays one-way, split or
    # not, as in the stub graph (trees), point_neighbours and the networkx oracle
    zero = sub_share <= 0
    a_fw = np.concatenate([fw_all[untouched], fw_all[sub_edge] | zero])
    a_bw = np.concatenate([bw_all[untouched], bw_all[sub_edge] | zero])
    a_private = np.concatenate([edge_private[untouched], edge_private[sub_edge]])
    return _Arcs(
        np.concatenate([a_from[a_fw], a_to[a_bw]]),
        np.concatenate([a_to[a_fw], a_from[a_bw]]),
        np.concatenate([a_cost[a_fw], a_back[a_bw]]),
        np.concatenate([a_private[a_fw], a_private[a_bw]]),
    )


@dataclass(frozen=True)
class NearestResult:
    """Cost from every node of an :class:`AccessGraph` to the nearest facility of a set."""

    cost: np.ndarray  # per node (inf when unreachable)
    facility: np.ndarray  # per node: facility row, -1 when unreachable or no facility


def set_sources(graph: AccessGraph, facility_mask: np.ndarray | None = None) -> np.ndarray:
    """The access points of the facilities selected by ``facility_mask`` (``None``: all), as indices in sorted order, in the caller's order."""
    return graph.set_sources(facility_mask)


def grow_tree(graph: AccessGraph, facility_mask: np.ndarray | None = None, *, limit: float = np.inf) -> trees.Tree:
    """The search of one facility set (:mod:`~accessibility.network.trees`): depends only on the streets and the set's own access points."""
    assert graph.stubs is not None
    return trees.grow(graph.stubs, set_sources(graph, facility_mask), limit=limit)


def nearest_facilities(
    graph: AccessGraph, facility_mask: np.ndarray | None = None, *, limit: float = np.inf, tree: trees.Tree | None = None
) -> NearestResult:
    """One multi-source Dijkstra from the facilities selected by ``facility_mask``.

    Parameters
    ----------
    graph
        Output of :func:`build_access_graph`.
    facility_mask
        Boolean mask over facility rows (``None``: all facilities).
    limit
        Stop searching beyond this cost (metres or seconds); farther nodes get ``inf``.
    tree
        The set's search (:func:`grow_tree`) when it is known (from the cache); searched when omitted.

    Returns
    -------
    NearestResult
        Per node of ``graph``: the cost to the nearest selected facility and
        that facility's row (``inf`` and ``-1`` when none is reachable).
    """
    assert graph.stubs is not None
    sources = set_sources(graph, facility_mask)
    tree = tree if tree is not None else trees.grow(graph.stubs, sources, limit=limit)
    cost, src = trees.spread(tree, graph.stubs, graph.layers, sources, graph.sides(), limit=limit)
    return NearestResult(cost=cost, facility=facility_rows(graph, facility_mask, src))


def point_sides(graph: AccessGraph, snapped: snapping.Snapped) -> trees.Sides:
    """Where snapped points join ``graph``'s streets, for :func:`costs_from_tree` (once per graph: every set reads them)."""
    assert graph.stubs is not None
    snap = snapped.snap_dist_m / (graph.snap_speed_m_s if graph.weight == "time" else 1.0)
    return trees.sides(graph.stubs.layers, *graph.edge_arrays(), (snapped.edge, snapped.t, snap))


def costs_from_tree(graph: AccessGraph, tree: trees.Tree, facility_mask: np.ndarray | None, points: trees.Sides) -> tuple[np.ndarray, np.ndarray]:
    """Trip cost and place among the set's sources (:func:`facility_rows`) from points where trips start (:func:`point_sides`), from a set's tree alone."""
    return trees.at_points(tree, set_sources(graph, facility_mask), (graph.ap_edge, graph.ap_t, graph.ap_stub_cost), points)


def facility_rows(graph: AccessGraph, facility_mask: np.ndarray | None, source: np.ndarray) -> np.ndarray:
    """The facility row of each place among a set's sources (:func:`set_sources`; ``-1``: none)."""
    rows = graph.ap_facility if facility_mask is None else graph.ap_facility[np.asarray(facility_mask, bool)[graph.ap_facility]]
    return np.where(source >= 0, np.append(rows, -1)[source], -1)


def costs_at_points(
    graph: AccessGraph, result: NearestResult, snapped: snapping.Snapped, *, neighbours: tuple[np.ndarray, ...] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Trip cost from snapped points (residents, query points) to the nearest facility.

    The trip is the straight walk to the street plus the cheaper of going
    along the edge to either neighbouring node (respecting one-way rules),
    where a neighbour may be an inserted access point on the same edge.
    Pass ``neighbours=point_neighbours(graph, snapped)`` when costing the
    same points for several services, to compute that part once.

    Parameters
    ----------
    graph
        The access graph the ``result`` was computed on.
    result
        Output of :func:`nearest_facilities`.
    snapped
        The points, snapped to the network's edges
        (:meth:`~accessibility.network.snapping.EdgeIndex.snap_points`).
    neighbours
        Output of :func:`point_neighbours` for these points (computed when omitted).

    Returns
    -------
    cost, facility
        Per point; ``inf`` and ``-1`` when no facility is reachable.
    """
    left, to_left, right, to_right, snap = neighbours if neighbours is not None else point_neighbours(graph, snapped)
    via_left = to_left + result.cost[left]
    via_right = to_right + result.cost[right]
    go_left = via_left <= via_right
    along = np.where(go_left, via_left, via_right)
    cost = snap + along
    facility = np.where(np.isfinite(along), np.where(go_left, result.facility[left], result.facility[right]), -1)
    return cost, facility


def node_table(graph: AccessGraph, results: dict[str, NearestResult], facility_ids: np.ndarray) -> pd.DataFrame:
    """pandana ``nearest_pois``-shaped table: one row per street node, per set cost and facility id.

    Parameters
    ----------
    graph
        The access graph the results were computed on.
    results
        Per facility set (usually a service id), the output of :func:`nearest_facilities`.
    facility_ids
        Facility id per facility row (the ``facility_id`` column of the facilities).

    Returns
    -------
    pandas.DataFrame
        ``osmid``, ``lon``, ``lat`` and per set ``<set>_dist_m`` (or ``<set>_time_s``
        for time weights) and ``<set>_facility`` (``None`` where none is reached),
        for the street nodes only (not the inserted access points).
    """
    net = graph.net
    data = {"osmid": net.nodes["osmid"].to_numpy(), "lon": net.nodes["lon"].to_numpy(), "lat": net.nodes["lat"].to_numpy()}
    unit = "dist_m" if graph.weight == "length" else "time_s"
    # the ids with None appended: row -1 (no facility reached, or none at all) reads None
    ids = np.append(np.asarray(facility_ids, dtype=object), np.array([None], dtype=object))
    for key, res in results.items():
        data[columns.name(unit, key)] = res.cost[: graph.n_base]
        fac = res.facility[: graph.n_base]
        data[columns.name("facility", key)] = ids[np.where((fac >= 0) & (fac < len(ids) - 1), fac, -1)]
    return pd.DataFrame(data)


def _edge_key(graph: AccessGraph, e: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Search key of positions (edge, t) in ``graph.ap_key``.

    Edges are replaced by their dense rank among edges holding access points
    (edges without any get a key that matches nothing), which keeps the
    key's float precision to ~1e-10 of an edge even on huge networks.
    """
    ap = graph.ap_edge  # sorted, as ap_key is: its distinct edges without a sort
    edges_with_ap = ap[np.r_[True, ap[1:] != ap[:-1]]] if len(ap) else ap
    rank = np.searchsorted(edges_with_ap, e)
    found = (rank < len(edges_with_ap)) & (edges_with_ap[np.minimum(rank, max(len(edges_with_ap) - 1, 0))] == e) if len(edges_with_ap) else np.zeros(len(e), bool)
    # positions on edges without access points sort just before the next ranked edge;
    # their neighbours are then checked by edge id below and fall back to u/v
    return np.where(found, rank * 2.0 + t, rank * 2.0 - 0.5)


def point_neighbours(graph: AccessGraph, snapped: snapping.Snapped, *, role: str = "start") -> tuple[np.ndarray, ...]:
    """Where a snapped point joins the graph.

    Neighbours may be access points inserted on the same edge.

    Parameters
    ----------
    graph
        Output of :func:`build_access_graph`.
    snapped
        The points, snapped to the network's edges.
    role
        ``"start"``: the points are where trips start (residents, origins);
        ``"end"``: where they end (destinations); ``"street"``: the street
        nodes themselves, before the roles of private ways
        (:mod:`~accessibility.network.private`) are applied.

    Returns
    -------
    left, to_left, right, to_right, snap
        Per point: the neighbouring node towards ``u`` and the cost to reach it
        along the edge, the same towards ``v`` (``inf`` where one-way rules
        forbid), and the cost of the walk from the point to the street.
    """
    e, t = snapped.edge, snapped.t
    edges = graph.net.edge_table
    u = edges["u"].to_numpy(np.int64)[e]
    v = edges["v"].to_numpy(np.int64)[e]
    fw = edges["forward"].to_numpy(bool)[e]
    bw = edges["backward"].to_numpy(bool)[e]
    m = len(graph.ap_key)
    k = np.searchsorted(graph.ap_key, _edge_key(graph, e, t), side="right")
    if m:
        kl, kr = np.clip(k - 1, 0, m - 1), np.clip(k, 0, m - 1)
        has_left = (k - 1 >= 0) & (graph.ap_edge[kl] == e)
        has_right = (k < m) & (graph.ap_edge[kr] == e)
        left = np.where(has_left, graph.ap_split_node[kl], u)
        t_left = np.where(has_left, graph.ap_t[kl], 0.0)
        right = np.where(has_right, graph.ap_split_node[kr], v)
        t_right = np.where(has_right, graph.ap_t[kr], 1.0)
    else:
        left, t_left, right, t_right = u, np.zeros(len(e)), v, np.ones(len(e))
    assert graph.edge_cost_back is not None
    d_left = np.maximum(t - t_left, 0.0)
    d_right = np.maximum(t_right - t, 0.0)
    # moving zero distance is allowed whatever the one-way rules; toward u is walking the edge backward
    to_left = np.where(bw | (d_left <= 0), d_left * graph.edge_cost_back[e], np.inf)
    to_right = np.where(fw | (d_right <= 0), d_right * graph.edge_cost[e], np.inf)
    snap = snapped.snap_dist_m / (graph.snap_speed_m_s if graph.weight == "time" else 1.0)
    if role != "street":
        left, right = graph.role_nodes(left, e, role), graph.role_nodes(right, e, role)
    return left, to_left, right, to_right, snap


def point_facility_costs(
    graph: AccessGraph,
    snapped: snapping.Snapped,
    facility_rows: np.ndarray,
    *,
    limit: float,
    chunk: int = 256,
) -> pd.DataFrame:
    """Sparse trip costs from points to *each* facility within ``limit``.

    The cost matrix behind catchment methods (2SFCA) and site selection:
    one limited Dijkstra per facility access point, in chunks of ``chunk``
    sources so memory stays bounded; only reached (node, facility) pairs are
    kept and joined to the points next to those nodes, all in numpy.

    Parameters
    ----------
    graph
        Access graph whose facilities include ``facility_rows``.
    snapped
        The points (e.g. residents), snapped to the same network.
    facility_rows
        Facility rows (as in ``graph.ap_facility``) to compute costs for.
    limit
        Largest cost kept (metres or seconds, the graph's unit).

    Returns
    -------
    DataFrame
        Columns ``point``, ``facility``, ``cost``: one row per pair within ``limit``.
    """
    left, to_left, right, to_right, snap = point_neighbours(graph, snapped)
    n = graph.n_nodes
    # node -> points touching it (as left or right neighbour), as a CSR-like index
    touch_node = np.concatenate([left, right])
    touch_point = np.concatenate([np.arange(len(left)), np.arange(len(right))])
    touch_cost = np.concatenate([to_left, to_right]) + np.concatenate([snap, snap])
    ok = np.isfinite(touch_cost) & (touch_cost <= limit)
    touch_node, touch_point, touch_cost = touch_node[ok], touch_point[ok], touch_cost[ok]
    order = np.argsort(touch_node, kind="stable")
    touch_node, touch_point, touch_cost = touch_node[order], touch_point[order], touch_cost[order]
    starts = np.searchsorted(touch_node, np.arange(n + 1))

    wanted = np.isin(graph.ap_facility, np.asarray(facility_rows, np.int64))
    stubs = graph.stub_node[wanted]
    stub_fac = graph.ap_facility[wanted]
    # Spatial chunks: a limited search from a group of nearby sources can only
    # reach nodes within `limit` (as the crow flies) of them, so each chunk runs
    # on the subgraph inside its sources' bounding box grown by that distance.
    # This keeps the work per chunk local instead of O(chunk x all nodes).
    lon, lat = node_lonlat(graph)
    reach_deg = _reach_degrees(graph, limit, float(np.nanmedian(lat)) if len(lat) else 0.0)
    cell = np.floor(np.column_stack([lon[stubs], lat[stubs]]) / max(reach_deg[1] * 2, 1e-9)).astype(np.int64)
    order = np.lexsort((cell[:, 1], cell[:, 0]))
    stubs, stub_fac = stubs[order], stub_fac[order]
    frames = []
    for lo in range(0, len(stubs), chunk):
        src = stubs[lo : lo + chunk]
        sx, sy = lon[src], lat[src]
        inside = (
            (lon >= sx.min() - reach_deg[0]) & (lon <= sx.max() + reach_deg[0]) & (lat >= sy.min() - reach_deg[1]) & (lat <= sy.max() + reach_deg[1])
        )
        inside[src] = True
        sub_nodes = np.flatnonzero(inside)
        sub = graph.reverse_csr[sub_nodes][:, sub_nodes]
        local = np.searchsorted(sub_nodes, src)
        dist = csgraph.dijkstra(sub, directed=True, indices=local, limit=limit)
        rows, cols = np.nonzero(np.isfinite(dist))
        if len(rows) == 0:
            continue
        node_cost = dist[rows, cols]
        nodes = sub_nodes[cols]
        counts = starts[nodes + 1] - starts[nodes]
        rep = np.repeat(np.arange(len(nodes)), counts)
        if len(rep) == 0:
            continue
        offs = np.arange(len(rep)) - np.repeat(np.cumsum(counts) - counts, counts)
        idx = starts[nodes][rep] + offs
        cost = node_cost[rep] + touch_cost[idx]
        keep = cost <= limit
        frames.append(pd.DataFrame({"point": touch_point[idx][keep], "facility": stub_fac[lo : lo + chunk][rows][rep][keep], "cost": cost[keep]}))
    if not frames:
        return pd.DataFrame({"point": np.array([], np.int64), "facility": np.array([], np.int64), "cost": np.array([], float)})
    pairs = pd.concat(frames, ignore_index=True)
    return pairs.groupby(["point", "facility"], as_index=False, sort=True)["cost"].min()


def node_lonlat(graph: AccessGraph) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 position of every node of an access graph (split and stub nodes at their access point)."""
    net = graph.net
    pts = shapely.line_interpolate_point(net.edge_geometry(graph.ap_edge), graph.ap_t, normalized=True)
    ax, ay = shapely.get_x(pts), shapely.get_y(pts)
    # nodes n..n+k-1 are split nodes and n+k..n+2k-1 their stubs, both in
    # sorted access-point order; a stub sits where its access point joins the street
    lon = np.concatenate([net.nodes["lon"].to_numpy(np.float64), ax, ax])
    lat = np.concatenate([net.nodes["lat"].to_numpy(np.float64), ay, ay])
    # the copies of nodes on private ways sit where their node does
    copies = graph.layers.copies
    return np.concatenate([lon, lon[copies]]), np.concatenate([lat, lat[copies]])


def _reach_degrees(graph: AccessGraph, limit: float, lat0: float) -> tuple[float, float]:
    """Largest straight-line reach of a search limited to ``limit``, in degrees (lon, lat), with margin."""
    if graph.weight != "length":  # seconds, or a walker's flat-equivalent metres (a descent covers more metres than its cost)
        assert graph.edge_cost_back is not None
        cheapest = np.minimum(graph.edge_cost, graph.edge_cost_back)
        speed = np.max(graph.net.edge_table["length_m"].to_numpy() / np.maximum(cheapest, 1e-12)) if len(cheapest) else 0.0
        metres = limit * max(float(speed), graph.snap_speed_m_s if graph.weight == "time" else 1.0)
    else:
        metres = limit
    metres = metres * 1.02 + 1.0  # great-circle vs degree box, rounding
    dlat = metres / 111_000.0
    dlon = metres / (111_000.0 * max(np.cos(np.radians(min(abs(lat0) + dlat, 89.0))), 1e-6))
    return dlon, dlat

#!/usr/bin/env python
"""Benchmark of the core: tiled ~1M-node walking network, snapping, distances.

Run (from the repository root, venv active)::

    python benchmarks/bench_core.py                      # ~1M nodes, 5 services
    python benchmarks/bench_core.py --nodes 200000 --services 3
    python benchmarks/bench_core.py --osm beijing        # tile Beijing Haidian instead

What it does (see benchmarks/README.md for a recorded run):

1. Reads a real OSM extract with ``network.graph_from_file`` (Hangzhou West
   Lake by default: ~2.1k nodes after simplification) and tiles it in an
   N x N grid of copies offset by the extract's extent, linking neighbouring
   copies through a few nearest facing border node pairs (cKDTree). The tiled
   network is built with ``network.graph_from_arrays``; its edges then get the
   real (shifted) OSM geometries (``--straight-geometry`` keeps the straight
   lines of ``graph_from_arrays``).
2. Places F random facilities per service (F from ``--facilities MIN,MAX``,
   spread geometrically over the services), snaps them with
   ``EdgeIndex.access_points`` and times ``build_access_graph``, the
   ``nearest_facilities`` calls and bare ``scipy.sparse.csgraph.dijkstra``
   with the same number of sources on the plain network CSR.
3. End to end: ``EdgeIndex`` construction, snapping ``--points`` demand
   points, ``costs_at_points`` per service; peak RSS (``ru_maxrss``).
4. On the real, untiled network: networkx ``multi_source_dijkstra_path_length``
   vs ours (costs equal within 1e-6, time ratio).

Every timing is the best of ``--repeat`` runs (default 3). Progress goes to
stderr, the results table to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import scipy
import shapely
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from accessibility import network
from accessibility.network import distances, snapping

DATA = Path(os.environ.get("ACCESSIBILITY_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
EXTRACTS = {
    "hangzhou": DATA / "hangzhou_westlake_osm2015" / "hangzhou_china.osm.pbf",
    "beijing": DATA / "beijing_haidian_osm2017" / "map.osm.bz2",
}

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQ = 111_320.0


# --------------------------------------------------------------------------- helpers
def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    """Current resident set size (MB)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """Peak resident set size so far (MB); ru_maxrss is in KiB on Linux."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def loadavg() -> str:
    """1, 5 and 15 minute load averages: other processes on the 2 cores skew wall times."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


@dataclass(frozen=True)
class Timing:
    """Best wall time of some runs, and the smallest process CPU time among them.

    The machine may be shared: CPU time is much less sensitive than wall time to
    other processes competing for the 2 cores.
    """

    wall: float
    cpu: float

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.cpu + other.cpu)


def best_of(fn, repeat: int):
    """Best wall (and CPU) time of ``repeat`` calls, and the last call's result."""
    wall, cpu, out = np.inf, np.inf, None
    for _ in range(repeat):
        out = None
        gc.collect()
        c, t = time.process_time(), time.perf_counter()
        out = fn()
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return Timing(wall, cpu), out


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def section(self, title: str) -> None:
        self.rows.append(("#", title, "", ""))

    def add(self, what: str, value: str, note: str = "", cpu: str = "") -> None:
        self.rows.append((what, value, cpu, note))
        log(f"{what}: {value} {cpu} {note}")

    def time(self, what: str, t: Timing, note: str = "") -> None:
        self.add(what, f"{t.wall:.3f} s", note, cpu=f"{t.cpu:.3f} s")

    def render(self) -> str:
        body = [r for r in self.rows if r[0] != "#"]
        w = [max(len(r[i]) for r in [*body, ("step", "wall / value", "cpu", "")]) for i in range(3)]
        lines = [f"  {'step':<{w[0]}}  {'wall / value':>{w[1]}}  {'cpu':>{w[2]}}  note"]
        for a, b, c, d in self.rows:
            if a == "#":
                lines += ["", b, "-" * len(b)]
            else:
                lines.append(f"  {a:<{w[0]}}  {b:>{w[1]}}  {c:>{w[2]}}  {d}".rstrip())
        return "\n".join(lines)


# --------------------------------------------------------------------------- 1. tiling
def _border_pairs(xy: np.ndarray, axis: int, extent_m: float, links: int, border_frac: float) -> tuple[np.ndarray, np.ndarray]:
    """Node pairs (a in copy c, b in the copy after c along ``axis``) to link.

    The facing borders are the nodes within ``border_frac`` of the extent from
    the high side of copy c and from the low side of the next copy (shifted by
    the extent). Each of ``links`` bands along the border contributes its
    closest pair (cKDTree nearest neighbour).
    """
    c = xy[:, axis]
    lo, hi = c.min(), c.max()
    band_w = border_frac * (hi - lo)
    a_idx = np.flatnonzero(c >= hi - band_w)
    b_idx = np.flatnonzero(c <= lo + band_w)
    b_xy = xy[b_idx].copy()
    b_xy[:, axis] += extent_m
    dist, nn = cKDTree(b_xy).query(xy[a_idx])
    along = xy[a_idx, 1 - axis]
    edges = np.linspace(along.min(), along.max() + 1e-9, links + 1)
    band = np.clip(np.searchsorted(edges, along, side="right") - 1, 0, links - 1)
    # closest pair per band: sort by (band, dist), keep the first of each band
    order = np.lexsort((dist, band))
    first = np.r_[True, band[order][1:] != band[order][:-1]]
    pick = order[first]
    return a_idx[pick], b_idx[nn[pick]]


def tile_network(base: network.Network, k: int, *, links: int = 4, border_frac: float = 0.05, real_geometry: bool = True):
    """A k x k grid of copies of ``base`` joined at facing borders. Returns (net, facts)."""
    n, m = base.n_nodes, len(base.edges)
    lon, lat = base.nodes["lon"].to_numpy(), base.nodes["lat"].to_numpy()
    lon0, lat0, lon1, lat1 = base.bounds()
    dlon, dlat = lon1 - lon0, lat1 - lat0
    # local equirectangular metres, only to find nearest border pairs
    kx = _M_PER_DEG_LON_EQ * np.cos(np.radians(0.5 * (lat0 + lat1)))
    xy = np.column_stack([(lon - lon0) * kx, (lat - lat0) * _M_PER_DEG_LAT])
    ext = (dlon * kx, dlat * _M_PER_DEG_LAT)

    copies = k * k
    ci, cj = np.divmod(np.arange(copies), k)  # copy c = ci * k + cj: column ci (east), row cj (north)
    node_off = np.arange(copies, dtype=np.int64) * n
    t_lon = (lon[None, :] + (ci * dlon)[:, None]).ravel()
    t_lat = (lat[None, :] + (cj * dlat)[:, None]).ravel()
    bu, bv = base.edges["u"].to_numpy(np.int64), base.edges["v"].to_numpy(np.int64)
    t_u = (bu[None, :] + node_off[:, None]).ravel()
    t_v = (bv[None, :] + node_off[:, None]).ravel()
    t_len = np.tile(base.edges["length_m"].to_numpy(np.float64), copies)
    t_fw = np.tile(base.edges["forward"].to_numpy(bool), copies)
    t_bw = np.tile(base.edges["backward"].to_numpy(bool), copies)

    lu, lv = [], []
    for axis in (0, 1):
        a, b = _border_pairs(xy, axis, ext[axis], links, border_frac)
        if axis == 0:  # east neighbour: (ci, cj) -> (ci + 1, cj)
            ca = (ci * k + cj)[ci < k - 1]
            cb = ca + k
        else:  # north neighbour: (ci, cj) -> (ci, cj + 1)
            ca = (ci * k + cj)[cj < k - 1]
            cb = ca + 1
        lu.append((a[None, :] + (ca * n)[:, None]).ravel())
        lv.append((b[None, :] + (cb * n)[:, None]).ravel())
    lu, lv = np.concatenate(lu), np.concatenate(lv)
    l_len = network.haversine_m(t_lon[lu], t_lat[lu], t_lon[lv], t_lat[lv])

    u = np.concatenate([t_u, lu])
    v = np.concatenate([t_v, lv])
    length = np.concatenate([t_len, l_len])
    fw = np.concatenate([t_fw, np.ones(len(lu), bool)])
    bw = np.concatenate([t_bw, np.ones(len(lu), bool)])
    del t_u, t_v, t_len, t_fw, t_bw
    net = network.graph_from_arrays(t_lon, t_lat, u, v, length, forward=fw, backward=bw, mode=base.mode)
    # private ways (walked only at a trip's start or end) stay private in every copy: the layered graph is benchmarked
    net.edges["private"] = np.concatenate([np.tile(network.edge_private(base), copies), np.zeros(len(lu), bool)])
    if real_geometry:
        coords, idx = shapely.get_coordinates(base.edges.geometry.to_numpy(), return_index=True)
        shift = np.column_stack([ci * dlon, cj * dlat])
        all_coords = (coords[None, :, :] + shift[:, None, :]).reshape(-1, 2)
        all_idx = (idx[None, :] + (np.arange(copies, dtype=np.int64) * m)[:, None]).ravel()
        tiled = shapely.linestrings(all_coords, indices=all_idx)
        del all_coords, all_idx
        geoms = np.concatenate([tiled, net.edges.geometry.to_numpy()[copies * m :]])
        net.edges = net.edges.set_geometry(gpd.GeoSeries(geoms, index=net.edges.index, crs="EPSG:4326"))
    src, dst, w = net.directed_arrays(np.ones(len(net.edges)))
    n_comp, _ = csgraph.connected_components(network.csr_from_arcs(src, dst, w, net.n_nodes), directed=False)
    facts = {
        "copies": copies,
        "grid": f"{k} x {k}",
        "offset_km": (ext[0] / 1000, ext[1] / 1000),
        "links": len(lu),
        "links_per_border": links,
        "link_len_m": (float(l_len.min()), float(np.median(l_len)), float(l_len.max())),
        "components": int(n_comp),
    }
    return net, facts


# --------------------------------------------------------------------------- scenario
def service_counts(n_services: int, fmin: int, fmax: int) -> list[int]:
    if n_services == 1:
        return [fmax]
    return [round(float(x)) for x in np.geomspace(fmin, fmax, n_services)]


def random_points(rng, bounds, n):
    lon0, lat0, lon1, lat1 = bounds
    return rng.uniform(lon0, lon1, n), rng.uniform(lat0, lat1, n)


def place_facilities(rng, net, index, counts):
    """Random point facilities per service; returns (service of each facility, owner, snapped)."""
    service = np.repeat(np.arange(len(counts)), counts)
    lon, lat = random_points(rng, net.bounds(), len(service))
    owner, snapped = index.access_points(shapely.points(lon, lat))
    return service, owner, snapped


# --------------------------------------------------------------------------- 4. networkx check
def networkx_check(net, counts, repeat, rng, table: Table, n_points: int = 20_000) -> None:
    import networkx as nx

    index = snapping.EdgeIndex(net)
    service, owner, snapped = place_facilities(rng, net, index, counts)
    S = len(counts)
    masks = [service == s for s in range(S)]

    t_build, graph = best_of(lambda: distances.build_access_graph(net, owner, snapped, weight="length"), repeat)
    t_ours, results = best_of(lambda: [distances.nearest_facilities(graph, m) for m in masks], repeat)

    # Independent networkx model: the plain street graph (both directions of a
    # walkable edge, cheapest of parallel edges) plus, per access point, a
    # virtual source node with arcs to the edge's ends at snap + along-edge cost.
    u = net.edges["u"].to_numpy(np.int64)
    v = net.edges["v"].to_numpy(np.int64)
    L = net.edge_weight("length")
    fw = net.edges["forward"].to_numpy(bool)
    bw = net.edges["backward"].to_numpy(bool)
    ap_fac = np.asarray(owner)
    e, t, d = snapped.edge, snapped.t, snapped.snap_dist_m

    def build_nx():
        G = nx.DiGraph()
        G.add_nodes_from(range(net.n_nodes))
        src, dst, w = net.directed_arrays(L)
        # reversed arcs (x -> y becomes y -> x): a search from the facilities
        # gives node -> facility costs, as ours does
        for a, b, c in zip(dst.tolist(), src.tolist(), w.tolist(), strict=True):
            if b in G._succ[a]:
                G._succ[a][b]["weight"] = min(G._succ[a][b]["weight"], c)
            else:
                G.add_edge(a, b, weight=c)
        for i in range(len(e)):
            ap = ("ap", i)
            # the trip node -> facility along edge e: u -> point needs forward, v -> point needs backward
            if fw[e[i]]:
                G.add_edge(ap, int(u[e[i]]), weight=float(d[i] + t[i] * L[e[i]]))
            if bw[e[i]]:
                G.add_edge(ap, int(v[e[i]]), weight=float(d[i] + (1 - t[i]) * L[e[i]]))
        return G

    t_nxbuild, G = best_of(build_nx, 1)
    ap_ids = np.arange(len(e))

    def run_nx():
        return [nx.multi_source_dijkstra_path_length(G, [("ap", int(i)) for i in ap_ids[masks[s][ap_fac]]], weight="weight") for s in range(S)]

    t_nx, nx_res = best_of(run_nx, repeat)
    max_diff, mismatched_reach = 0.0, 0
    for s in range(S):
        ours = results[s].cost[: net.n_nodes]
        ref = np.full(net.n_nodes, np.inf)
        for node, c in nx_res[s].items():
            if not isinstance(node, tuple):
                ref[node] = c
        fin = np.isfinite(ref) & np.isfinite(ours)
        mismatched_reach += int((np.isfinite(ref) != np.isfinite(ours)).sum())
        if fin.any():
            max_diff = max(max_diff, float(np.abs(ours[fin] - ref[fin]).max()))

    # demand points: snap + cheaper way along the point's edge (to an end node,
    # or directly to an access point of the service on the same edge)
    plon, plat = random_points(rng, net.bounds(), n_points)
    ps = index.snap_points(plon, plat)
    max_pdiff = 0.0
    for s in range(S):
        cost, _ = distances.costs_at_points(graph, results[s], ps)
        D = np.full(net.n_nodes, np.inf)
        for node, c in nx_res[s].items():
            if not isinstance(node, tuple):
                D[node] = c
        pe, pt = ps.edge, ps.t
        via_u = np.where(bw[pe], pt * L[pe] + D[u[pe]], np.inf)
        via_v = np.where(fw[pe], (1 - pt) * L[pe] + D[v[pe]], np.inf)
        ref = ps.snap_dist_m + np.minimum(via_u, via_v)
        sel = masks[s][ap_fac]
        for i in np.flatnonzero(sel):
            on = np.flatnonzero(pe == e[i])
            if len(on) == 0:
                continue
            tt = pt[on]
            ok = np.where(tt <= t[i], fw[e[i]], bw[e[i]])
            direct = np.where(ok, ps.snap_dist_m[on] + np.abs(t[i] - tt) * L[e[i]] + d[i], np.inf)
            ref[on] = np.minimum(ref[on], direct)
        fin = np.isfinite(ref) & np.isfinite(cost)
        mismatched_reach += int((np.isfinite(ref) != np.isfinite(cost)).sum())
        if fin.any():
            max_pdiff = max(max_pdiff, float(np.abs(cost[fin] - ref[fin]).max()))

    ok = max(max_diff, max_pdiff) <= 1e-6 and mismatched_reach == 0
    table.add("network", f"{net.n_nodes:,} nodes", f"{len(net.edges):,} edges; facilities/service {counts}, {len(e)} access points")
    table.time("networkx graph build (DiGraph)", t_nxbuild, "not in the ratio")
    table.time(f"networkx multi_source_dijkstra x{S}", t_nx)
    table.time(f"ours nearest_facilities x{S}", t_ours, f"networkx / ours = {t_nx.wall / t_ours.wall:.1f}x")
    table.time("ours build_access_graph + nearest", t_build + t_ours, f"networkx / ours = {t_nx.wall / (t_build + t_ours).wall:.1f}x")
    table.add("max |cost diff| at nodes", f"{max_diff:.2e} m", f"{S} services")
    table.add(f"max |cost diff| at {n_points:,} points", f"{max_pdiff:.2e} m", "costs_at_points vs networkx node costs")
    table.add("reachability mismatches", str(mismatched_reach))
    table.add("correct (<= 1e-6)", "yes" if ok else "NO")


# --------------------------------------------------------------------------- main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nodes", type=int, default=1_000_000, help="target node count of the tiled network (default 1,000,000)")
    p.add_argument("--services", type=int, default=5, help="number of services (default 5)")
    p.add_argument("--facilities", default="200,2000", help="MIN,MAX facilities per service, spread geometrically (default 200,2000)")
    p.add_argument("--points", type=int, default=1_000_000, help="demand points to snap and cost (default 1,000,000)")
    p.add_argument("--osm", default="hangzhou", help="extract to tile: 'hangzhou', 'beijing' or a path to an OSM file")
    p.add_argument("--repeat", type=int, default=3, help="repetitions per timing; the best is reported (default 3)")
    p.add_argument("--links", type=int, default=4, help="links between each pair of neighbouring copies (default 4)")
    p.add_argument("--straight-geometry", action="store_true", help="keep graph_from_arrays' straight edge geometries")
    p.add_argument("--skip-networkx", action="store_true", help="skip the networkx comparison (part 4)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    path = EXTRACTS.get(args.osm, Path(args.osm))
    if not path.is_file():
        p.error(f"OSM extract not found: {path}")
    fmin, fmax = (int(x) for x in args.facilities.split(","))
    counts = service_counts(args.services, fmin, fmax)
    rng = np.random.default_rng(args.seed)
    R = args.repeat
    table = Table()
    t_start = time.perf_counter()
    load0 = loadavg()

    # ---------------------------------------------------------------- 1
    table.section("1. Network")
    t, base = best_of(lambda: network.graph_from_file(path), 1)
    table.add("extract", path.name, f"{base.n_nodes:,} nodes, {len(base.edges):,} edges after simplification")
    table.time("graph_from_file", t)
    k = max(1, round(float(np.sqrt(args.nodes / base.n_nodes))))
    t_tile, (net, facts) = best_of(lambda: tile_network(base, k, links=args.links, real_geometry=not args.straight_geometry), 1)
    ox_km, oy_km = facts["offset_km"]
    table.add("tiling", f"{facts['grid']}", f"{facts['copies']} copies offset by {ox_km:.1f} km x {oy_km:.1f} km")
    table.add(
        "links between copies",
        f"{facts['links']:,}",
        f"{facts['links_per_border']} per border; length min/median/max "
        + "/".join(f"{x:.0f}" for x in facts["link_len_m"])
        + " m",
    )
    table.add("tiled network", f"{net.n_nodes:,} nodes", f"{len(net.edges):,} edges, {facts['components']} component(s)")
    table.time("tile + graph_from_arrays + geometry", t_tile, "straight geometries" if args.straight_geometry else "real OSM geometries")
    table.add("RSS after network", f"{rss_mb():,.0f} MB")
    base = None  # free memory

    # ---------------------------------------------------------------- 3a (needed by 2)
    table.section("3a. Snapping (EdgeIndex, shapely STRtree; needed before part 2)")
    t_index, index = best_of(lambda: snapping.EdgeIndex(net), R)
    table.time("EdgeIndex(net)", t_index, f"{len(net.edges):,} edges")
    t_fac, (service, owner, snapped) = best_of(lambda: place_facilities(np.random.default_rng(args.seed + 1), net, index, counts), R)
    table.time("access_points (facilities)", t_fac, f"{len(owner):,} facilities; includes making the random points")
    plon, plat = random_points(rng, net.bounds(), args.points)
    t_snap, demand = best_of(lambda: index.snap_points(plon, plat), R)
    table.time(f"snap_points ({args.points:,} points)", t_snap, f"uniform random, unsorted; median snap {np.median(demand.snap_dist_m):.0f} m")
    table.add("RSS after snapping", f"{rss_mb():,.0f} MB", f"peak so far {peak_mb():,.0f} MB")

    # ---------------------------------------------------------------- 2
    S = len(counts)
    masks = [service == s for s in range(S)]
    table.section(f"2. Distance stage vs bare scipy ({S} services, facilities per service {counts})")
    t_build, graph = best_of(lambda: distances.build_access_graph(net, owner, snapped, weight="length"), R)
    table.time("build_access_graph", t_build, f"{graph.n_nodes:,} nodes, {graph.reverse_csr.nnz:,} arcs")
    per = [best_of(lambda m=m: distances.nearest_facilities(graph, m), R)[0].wall for m in masks]
    t_near, results = best_of(lambda: [distances.nearest_facilities(graph, m) for m in masks], R)
    table.time(f"nearest_facilities x{S}", t_near, "per service " + ", ".join(f"{x:.2f}" for x in per) + " s")

    t_csr, csr = best_of(lambda: network.csr_from_arcs(*net.directed_arrays(net.edge_weight("length")), net.n_nodes), R)
    table.time("plain network CSR (csr_from_arcs)", t_csr, f"{csr.nnz:,} arcs; not part of the stage")
    n_src = [int(m[owner].sum()) for m in masks]
    sources = [np.random.default_rng(args.seed + 2 + s).choice(net.n_nodes, size=n_src[s], replace=False) for s in range(S)]
    t_bare, _ = best_of(lambda: [csgraph.dijkstra(csr, directed=True, indices=src, min_only=True) for src in sources], R)
    table.time(f"bare scipy dijkstra x{S} (min_only)", t_bare, "sources per service " + ", ".join(map(str, n_src)))
    t_bare_p, _ = best_of(
        lambda: [csgraph.dijkstra(csr, directed=True, indices=src, min_only=True, return_predecessors=True) for src in sources], R
    )
    table.time(f"bare scipy dijkstra x{S} (+predecessors)", t_bare_p, "what nearest_facilities asks scipy for")
    stubs = [graph.stub_node[m[graph.ap_facility]] for m in masks]
    t_layered, _ = best_of(
        lambda: [csgraph.dijkstra(graph.reverse_csr, directed=True, indices=src, min_only=True, return_predecessors=True) for src in stubs], R
    )
    table.time(
        f"bare scipy dijkstra x{S} on the searched graph", t_layered,
        f"the access graph's own CSR: {len(graph.layers.on_private):,} nodes on private ways copied twice",
    )
    r = t_near.wall / t_layered.wall
    table.add("ratio nearest / bare on the searched graph", f"{r:.2f}x", "target <= 1.5x: " + ("met" if r <= 1.5 else "NOT met"))
    for label, num in (("nearest / bare", t_near), ("(build + nearest) / bare", t_build + t_near)):
        r = num.wall / t_bare.wall
        table.add(f"ratio {label}", f"{r:.2f}x", f"cpu {num.cpu / t_bare.cpu:.2f}x; target <= 1.5x: " + ("met" if r <= 1.5 else "NOT met"))
    csr = None

    # ---------------------------------------------------------------- 3b
    table.section(f"3b. End to end ({args.points:,} demand points, {S} services)")
    t_cost, _ = best_of(lambda: [distances.costs_at_points(graph, r, demand) for r in results], R)
    table.time(f"costs_at_points x{S}", t_cost)
    results = graph = None
    gc.collect()

    def stage():
        g = distances.build_access_graph(net, owner, snapped, weight="length")
        out = []
        for m in masks:
            r = distances.nearest_facilities(g, m)
            out.append(distances.costs_at_points(g, r, demand))
        return out

    t_stage, out = best_of(stage, R)
    reached = np.mean([np.isfinite(c).mean() for c, _ in out])
    table.time(
        "distance stage total",
        t_stage,
        f"build + {S} x (nearest + costs_at_points); target < 5 s: " + ("met" if t_stage.wall < 5 else "NOT met"),
    )
    table.add("  share of points reaching a facility", f"{reached:.3f}")
    table.time("snapping + distance stage", t_index + t_fac + t_snap + t_stage, "EdgeIndex + access_points + snap_points + stage")
    table.add("peak RSS (ru_maxrss)", f"{peak_mb():,.0f} MB", f"current {rss_mb():,.0f} MB")
    out = demand = index = net = None
    gc.collect()

    # ---------------------------------------------------------------- 4
    if not args.skip_networkx:
        table.section(f"4. networkx vs ours on the real (untiled) {path.name}")
        base = network.graph_from_file(path)
        small = service_counts(S, max(1, fmin // 20), max(2, fmax // 20))  # 1/20 of the tiled run's counts
        networkx_check(base, small, R, np.random.default_rng(args.seed + 3), table)

    table.add("total benchmark wall time", f"{time.perf_counter() - t_start:.1f} s", f"load average at start {load0}, at end {loadavg()}")

    print(f"bench_core.py  {dt.datetime.now().astimezone().date().isoformat()}  {platform.node()}  "
          f"{os.cpu_count()} cores  python {platform.python_version()}  numpy {np.__version__}  "
          f"scipy {scipy.__version__}  shapely {shapely.__version__}")
    print("command: python benchmarks/bench_core.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"timings: best of {R} (wall); cpu = smallest process CPU time of those runs\n")
    print(table.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())

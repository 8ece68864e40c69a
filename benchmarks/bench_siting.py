"""Benchmark: site suggestions (10 sites among 5,000 candidates) on a ~100k-node network.

Issue target: "suggestions for 10 sites among 5,000 candidates on a 100k-node
network in seconds". The network is the real Hangzhou walking network tiled
into a k x k grid (see bench_core.tile_network). Prints a table.

    python benchmarks/bench_siting.py [--tiles 7] [--candidates 5000] [--k 10] [--points 200000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import tile_network

from accessibility import network
from accessibility.network import distances, snapping
from accessibility.tools import siting

HANGZHOU = Path(__file__).resolve().parents[2] / "shared" / "data" / "hangzhou_westlake_osm2015" / "hangzhou_china.osm.pbf"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiles", type=int, default=7, help="k for a k x k tiling (7 -> ~105k nodes)")
    ap.add_argument("--candidates", type=int, default=5000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--points", type=int, default=200_000, help="demand points")
    ap.add_argument("--existing", type=int, default=100, help="existing facilities")
    ap.add_argument("--radius-m", type=float, default=1000.0)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    rows = []

    def timed(label, fn):
        t = time.perf_counter()
        out = fn()
        rows.append((label, time.perf_counter() - t))
        return out

    base = network.graph_from_file(HANGZHOU, mode="walk")
    net, _ = timed("tile network", lambda: tile_network(base, args.tiles))
    index = timed("edge index", lambda: snapping.EdgeIndex(net))
    lon0, lat0, lon1, lat1 = net.bounds()
    plon, plat = rng.uniform(lon0, lon1, args.points), rng.uniform(lat0, lat1, args.points)
    weights = rng.uniform(0, 50, args.points)
    p_snap = timed("snap demand points", lambda: index.snap_points(plon, plat))
    # existing facilities -> who is already covered
    ex = shapely.points(rng.uniform(lon0, lon1, args.existing), rng.uniform(lat0, lat1, args.existing))
    owner, snapped = index.access_points(ex)
    g_ex = distances.build_access_graph(net, owner, snapped)
    res = distances.nearest_facilities(g_ex)
    cost, _ = distances.costs_at_points(g_ex, res, p_snap)
    covered = cost <= args.radius_m
    # candidates: street nodes, random sample
    pick = rng.choice(net.n_nodes, size=min(args.candidates, net.n_nodes), replace=False)
    clon, clat = net.nodes["lon"].to_numpy()[pick], net.nodes["lat"].to_numpy()[pick]
    c_snap = index.snap_points(clon, clat)

    def cost_pairs():
        g = distances.build_access_graph(net, np.arange(len(clon)), c_snap)
        return distances.point_facility_costs(g, p_snap, np.arange(len(clon)), limit=args.radius_m)

    pairs = timed("candidate x point costs (<= radius)", cost_pairs)
    model = timed(
        "build coverage matrix",
        lambda: siting.MaxCoverage.from_pairs(
            pairs["point"].to_numpy(), pairs["facility"].to_numpy(), pairs["cost"].to_numpy(),
            n_points=args.points, n_candidates=len(clon), weights=weights, service_radius=args.radius_m, covered=covered,
        ),
    )
    result = timed(f"lazy greedy, k={args.k}", lambda: model.solve(args.k))
    total = sum(t for label, t in rows if label != "tile network")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"network: {net.n_nodes:,} nodes, {len(net.edges):,} edges; {args.points:,} demand points; "
          f"{len(clon):,} candidates; {len(pairs):,} (point, candidate) pairs within {args.radius_m:g} m")
    print(f"{'stage':<40} {'seconds':>8}")
    for label, t in rows:
        print(f"{label:<40} {t:8.2f}")
    print(f"{'total (excluding tiling)':<40} {total:8.2f}")
    print(f"peak RSS: {peak:,.0f} MB")
    print(f"coverage {result.covered_before / result.total:.1%} -> {result.covered_after / result.total:.1%}; "
          f"gains {np.round(result.gains).astype(int).tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: isochrones of 1,000 facilities x 3 cutoffs on a ~100,000-node walking network.

The network is the Hangzhou extract (../shared/data/hangzhou_westlake_osm2015) tiled into a
grid of copies joined by footbridges at the tile edges; facilities sit at random points
of random streets, and demand points are scattered around the streets.

    python benchmarks/bench_isochrones.py [--tiles 7] [--facilities 1000] [--demand 200000]
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely

from accessibility import network
from accessibility.network import distances, snapping
from accessibility.tools import isochrones

OSM = Path(__file__).resolve().parents[2] / "shared" / "data" / "hangzhou_westlake_osm2015" / "hangzhou_china.osm.pbf"


def tiled_network(tiles: int) -> network.Network:
    """``tiles x tiles`` copies of the Hangzhou walking network, neighbours joined at their edges."""
    base = network.graph_from_file(OSM, mode="walk")
    lon0, lat0, lon1, lat1 = base.bounds()
    dlon, dlat = (lon1 - lon0) * 1.02, (lat1 - lat0) * 1.02
    n, m = base.n_nodes, len(base.edges)
    bl, bt = base.nodes["lon"].to_numpy(), base.nodes["lat"].to_numpy()
    ij = [(i, j) for i in range(tiles) for j in range(tiles)]
    lon = np.concatenate([bl + i * dlon for i, j in ij])
    lat = np.concatenate([bt + j * dlat for i, j in ij])
    u = np.concatenate([base.edges["u"].to_numpy() + k * n for k in range(len(ij))])
    v = np.concatenate([base.edges["v"].to_numpy() + k * n for k in range(len(ij))])
    geoms = np.concatenate(
        [shapely.transform(base.edges.geometry.to_numpy(), lambda xy, i=i, j=j: xy + np.array([i * dlon, j * dlat])) for i, j in ij]
    )
    east, west, north, south = (int(np.argmax(bl)), int(np.argmin(bl)), int(np.argmax(bt)), int(np.argmin(bt)))
    ju, jv = [], []
    for k, (i, j) in enumerate(ij):  # a few dozen tiles: joins between neighbouring tiles
        if i + 1 < tiles:
            ju.append(k * n + east), jv.append((k + tiles) * n + west)
        if j + 1 < tiles:
            ju.append(k * n + north), jv.append((k + 1) * n + south)
    u, v = np.r_[u, ju], np.r_[v, jv]
    length = np.r_[np.tile(base.edges["length_m"].to_numpy(), len(ij)), network.haversine_m(lon[ju], lat[ju], lon[jv], lat[jv])]
    net = network.graph_from_arrays(lon, lat, u, v, length)
    # keep the streets' shapes (graph_from_arrays draws straight lines); joins stay straight
    net.edges = net.edges.set_geometry(np.r_[geoms, net.edges.geometry.to_numpy()[len(geoms) :]], crs="EPSG:4326")
    assert len(net.edges) == m * len(ij) + len(ju)
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=7)
    parser.add_argument("--facilities", type=int, default=1000)
    parser.add_argument("--demand", type=int, default=200_000)
    parser.add_argument("--cutoffs-m", type=float, nargs="+", default=[300.0, 600.0, 900.0])
    parser.add_argument("--street-width-m", type=float, default=50.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rng = np.random.default_rng(42)

    t = time.perf_counter()
    net = tiled_network(args.tiles)
    index = snapping.EdgeIndex(net)
    t_net = time.perf_counter() - t
    edges = rng.integers(0, len(net.edges), args.facilities)
    snapped = snapping.Snapped(edges, rng.uniform(0, 1, args.facilities), rng.uniform(0, 80, args.facilities))
    t = time.perf_counter()
    graph = distances.build_access_graph(net, np.arange(args.facilities), snapped, weight="length")
    t_graph = time.perf_counter() - t
    # demand: points up to 60 m beside random street points
    de = rng.integers(0, len(net.edges), args.demand)
    pts = shapely.line_interpolate_point(index.geoms[de], rng.uniform(0, 1, args.demand), normalized=True)
    xy = shapely.get_coordinates(pts) + rng.normal(0, 30, (args.demand, 2))
    lon, lat = pyproj.Transformer.from_crs(index.crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    pop = rng.gamma(2.0, 20.0, args.demand)
    snapped_demand = index.snap_points(lon, lat)  # once, as a run does
    demand = pd.DataFrame({"lon": lon, "lat": lat, "pop": pop, "older": pop * 0.187, "edge": snapped_demand.edge,
                           "t": snapped_demand.t, "snap_dist_m": snapped_demand.snap_dist_m})

    print(f"network: {net.n_nodes:,} nodes, {len(net.edges):,} edges, {net.edges['length_m'].sum() / 1000:,.0f} km "
          f"({args.tiles}x{args.tiles} tiles of Hangzhou), built in {t_net:.1f} s; access graph {t_graph:.2f} s")
    print(f"facilities: {args.facilities:,}; demand points: {args.demand:,}; cutoffs: {args.cutoffs_m} m; "
          f"street width {args.street_width_m:g} m\n")
    print(f"{'how':<14}{'polygons':>10}{'search s':>10}{'polygons s':>12}{'total s':>9}{'CPU s':>8}{'reached pop':>14}")
    timings = {}

    class Grab(logging.Handler):
        def emit(self, record):
            timings["args"] = record.args

    grab = Grab(level=logging.INFO)
    log = logging.getLogger("accessibility.tools.isochrones")
    log.addHandler(grab)
    log.setLevel(logging.INFO)
    log.propagate = False
    for how in isochrones.HOW:
        t, cpu = time.perf_counter(), time.process_time()
        frame = isochrones.isochrones(
            graph, None, args.cutoffs_m, how=how, bands="both", street_width_m=args.street_width_m, index=index, demand=demand
        )
        total, cpu = time.perf_counter() - t, time.process_time() - cpu
        a = timings["args"]
        cum = frame[(frame["kind"] == "cumulative") & (frame["cutoff_m"] == max(args.cutoffs_m))]
        print(f"{how:<14}{len(frame):>10,}{a[3]:>10.2f}{a[4]:>12.2f}{total:>9.2f}{cpu:>8.1f}{cum['pop'].sum():>14,.0f}")
    print("\nsearch: Dijkstra, pieces and people; polygons: every cell costed by the point rule, polygonised and clipped;")
    print("total adds reprojection, point-in-polygon and rings. CPU counts every thread; the wall time depends on load.")
    print("reached pop: people within the largest cutoff (per_facility: summed over facilities, so counted once per facility).")


if __name__ == "__main__":
    main()

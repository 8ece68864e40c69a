#!/usr/bin/env python
"""A province on one machine: ``batch`` over ~90 areas of one large file, this version against a previous one, in one run.

The synthetic province is a tiled copy of the Hangzhou extract
(``bench_peers.tiled_file``, ``--tiles`` x ``--tiles`` copies) cut into a grid
of ``--rows`` x ``--cols`` rectangular areas, with the WorldPop-style raster
of ``bench_peers.population_raster``. Each case runs ``batch.run_batch`` in
its own process on a LocalCluster of worker processes, with a fresh network
cache and batch folder, and prints the total time, the time per area (the
tasks' own ``seconds``) and the areas done. The previous version (``--base``,
a git revision checked out in a temporary worktree) runs with 2 workers; this
version with 1 and 2 workers, for the scaling estimate.

Run from the repository root (``pip install -e ".[bench]"``)::

    python benchmarks/bench_batch.py --base HEAD~1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_peers  # noqa: E402 - the tiled file and the raster are made by its helpers

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from accessibility.run import batch
areas, osm, raster, out, cache, workers = sys.argv[2:8]
t = time.perf_counter()
res = batch.run_batch(areas, osm, out, population=raster, options=batch.BatchOptions(workers=int(workers), cache=cache))
total = time.perf_counter() - t
st = res.status
seconds = [float(s) for s in st["seconds"].dropna()]
print("RESULT " + json.dumps({"total_s": total, "areas": len(st), "done": int((st["status"] == "done").sum()), "failed": res.failed,
                              "per_area_mean_s": sum(seconds) / max(len(seconds), 1), "per_area_max_s": max(seconds, default=0.0)}))
"""


def areas_file(osm: Path, rows: int, cols: int, out: Path) -> Path:
    """A grid of ``rows`` x ``cols`` rectangles over the file's declared bounds, as GeoJSON (WGS-84)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from accessibility.readers import extract
    from accessibility.readers import osm as osm_reader

    bounds = extract.osm_bounds(osm)
    if bounds is None:  # no header box: the streets' extent
        ways = osm_reader.read_highways(osm)
        bounds = shapely.box(np.nanmin(ways.lon), np.nanmin(ways.lat), np.nanmax(ways.lon), np.nanmax(ways.lat))
    x0, y0, x1, y1 = bounds.bounds
    xs, ys = np.linspace(x0, x1, cols + 1), np.linspace(y0, y1, rows + 1)
    boxes = [shapely.box(xs[c], ys[r], xs[c + 1], ys[r + 1]) for r in range(rows) for c in range(cols)]
    names = [f"area_{r:02d}_{c:02d}" for r in range(rows) for c in range(cols)]
    gpd.GeoDataFrame({"name": names}, geometry=boxes, crs="EPSG:4326").to_file(out, driver="GeoJSON")
    return out


def run_case(src: Path, areas: Path, osm: Path, raster: Path, workers: int, tmp: Path, label: str) -> dict:
    out, cache = tmp / f"batch_{label}", tmp / f"cache_{label}"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(src), str(areas), str(osm), str(raster), str(out), str(cache), str(workers)],
                          capture_output=True, text=True, env=env, check=False)
    for line in done.stdout.splitlines()[::-1]:
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise SystemExit(f"{label}: the batch failed:\n{done.stderr[-3000:]}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="git revision to compare the working tree with")
    p.add_argument("--tiles", type=int, default=12, help="copies per side of the tiled file (default 12: ~300k walking nodes)")
    p.add_argument("--rows", type=int, default=9)
    p.add_argument("--cols", type=int, default=10)
    p.add_argument("--workdir", default=os.environ.get("ACCESSIBILITY_BENCH_DIR", "/tmp/accessibility-bench"))
    args = p.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    osm = bench_peers.tiled_file(workdir, args.tiles)
    raster = bench_peers.population_raster(workdir, osm)
    print(f"# {osm.name} ({osm.stat().st_size / 1e6:.0f} MB) in {args.rows} x {args.cols} areas; CPU check {bench_peers.cpu_check():.2f} s", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        areas = areas_file(osm, args.rows, args.cols, tmp / "areas.geojson")
        base_src = tmp / "base_src"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(base_src), args.base], check=True, capture_output=True)
        try:
            for label, src, workers in (("base", base_src, 2), ("new", ROOT, 2), ("new", ROOT, 1)):
                t = time.perf_counter()
                r = run_case(src, areas, osm, raster, workers, tmp, f"{label}_{workers}")
                rows.append((label, workers, r))
                print(f"{label:5s} {workers} workers  {r['total_s']:8.1f} s total  {r['per_area_mean_s']:6.2f} s per area (max {r['per_area_max_s']:.1f})"
                      f"  {r['done']}/{r['areas']} done  [{time.perf_counter() - t:.0f} s]", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_src)], check=False, capture_output=True)
    base, new2, new1 = (r for _, _, r in rows)
    print(f"\nthis version: {base['total_s'] / new2['total_s']:.2f}x the previous one's speed on 2 workers; "
          f"2 workers take {new2['total_s'] / new1['total_s']:.0%} of 1 worker's time")
    print(json.dumps({"base_2": base, "new_2": new2, "new_1": new1}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

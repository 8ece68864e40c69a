#!/usr/bin/env python
"""End to end on the ~1M-node benchmark network: a git revision and the working tree, in one run.

A change that touches the run is measured against the version before it on
the same machine, in the same hour, interleaved (old, new, old, new...), each
run in its own process: cold (nothing cached), warm (network and features
cached), rerun (warm, with a planner's list of three new elderly-care
sites: the planner's loop, where an earlier run's residents are reused) and edit (warm,
with one goal's threshold edited: every search can come from the earlier run), with the building estimate and with the WorldPop-style raster of
``bench_peers.py``, and cold writing the run folder as the command line does
(``cold_folder_raster``: its time and peak include the outputs). It prints the best and median time and peak memory per case
and version, and checks that both versions give the same goal shares.

Run from the repository root (``pip install -e ".[bench]"``; the tiled file
and raster are made by ``bench_peers.py``'s helpers in ``--workdir``)::

    python benchmarks/compare_e2e.py --base 7794e26 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_peers  # noqa: E402 - the tiled files and the raster are made by its helpers

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
osm, cache, raster, sites, goals, out = sys.argv[2], sys.argv[3], sys.argv[4] or None, sys.argv[5] or None, sys.argv[6] or None, sys.argv[7] or None
try:  # 0.2 and later
    from accessibility.run import pipeline
    from accessibility.run.inputs import RunOptions
    from accessibility.readers.facility_files import FacilityInput
    kw = {"options": RunOptions(cache=False if cache == "off" else cache), "population": raster}
    if sites:
        kw["facilities"] = [FacilityInput(sites, service="elderly_care")]
    if goals:
        kw["goals"] = goals
    if out:
        kw["out"] = out
except ImportError:  # 0.1
    from accessibility import pipeline
    kw = {"cache_dir": False if cache == "off" else cache, "population_raster": raster}
t = time.perf_counter()
res = pipeline.run(osm, **kw)
total = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps({"total_s": total, "peak_mb": peak, "stages": res.manifest["timings_s"], "shares": {g.id: g.share for g in res.goals}}))
"""


def run_once(src: Path, osm: Path, cache: str, raster: Path | None, sites: Path | None = None, goals: Path | None = None, out: Path | None = None) -> dict:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    args = [sys.executable, "-c", CHILD, str(src), str(osm), cache, str(raster or ""), str(sites or ""), str(goals or ""), str(out or "")]
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    for line in done.stdout.splitlines()[::-1]:
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise SystemExit(f"{src}: the run failed:\n{done.stderr[-2000:]}")


def three_sites(workdir: Path, raster: Path) -> Path:
    """A planner's list of three elderly-care sites near the middle of the benchmark area (the ``rerun`` cases add it)."""
    import rasterio

    with rasterio.open(raster) as r:
        b = r.bounds
    lon, lat = (b.left + b.right) / 2, (b.bottom + b.top) / 2
    out = workdir / "three_sites.csv"
    rows = [f"新增养老站{i},{lon + d:.6f},{lat - d:.6f}" for i, d in enumerate((0.0, 0.01, -0.01), start=1)]
    out.write_text("name,lon,lat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return out


def edited_goals(workdir: Path) -> Path:
    """The shipped goals with the 10-minute fitness circle moved to 12 minutes: a planner's edit of one goal (the ``edit`` cases)."""
    text = (ROOT / "layers" / "goals.toml").read_text(encoding="utf-8")
    at = text.index('id = "fitness_10min"\n')
    end = text.index("max_time_min = 10\n", at)
    out = workdir / "goals_edited.toml"
    out.write_text(text[:end] + "max_time_min = 12\n" + text[end + len("max_time_min = 10\n"):], encoding="utf-8")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="git revision to compare the working tree with")
    p.add_argument("--new", help="git revision to measure instead of the working tree (lets you keep editing meanwhile)")
    p.add_argument("--repeat", type=int, default=3, help="runs per case and version (default 3)")
    p.add_argument("--nodes", type=int, default=1_000_000, help="walking nodes of the tiled network (default 1,000,000)")
    p.add_argument("--workdir", default=os.environ.get("ACCESSIBILITY_BENCH_DIR", "/tmp/accessibility-bench"))
    p.add_argument("--cases", default="cold,warm,cold_raster,warm_raster", help="also: rerun, rerun_raster (warm, with three new elderly-care sites), edit, edit_raster (warm, one goal edited), cold_folder_raster (cold, writing the run folder as the command line does)")
    args = p.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    base_nodes = bench_peers.run_case("parse", bench_peers.HANGZHOU)["nodes"]
    k = max(1, round((args.nodes / base_nodes) ** 0.5))
    osm = bench_peers.tiled_file(workdir, k)
    raster = bench_peers.population_raster(workdir, osm)
    sites = three_sites(workdir, raster)
    goals = edited_goals(workdir)
    print(f"# {osm.name} ({osm.stat().st_size / 1e6:.0f} MB), raster {raster.name}; CPU check {bench_peers.cpu_check():.2f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        old_src, new_src = tmp / "base_src", tmp / "new_src"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old_src), args.base], check=True, capture_output=True)
        if args.new:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(new_src), args.new], check=True, capture_output=True)
        try:
            versions = {"base": old_src, "new": new_src if args.new else ROOT}
            caches = {v: tmp / f"cache_{v}" for v in versions}
            cases = [c for c in args.cases.split(",") if c]
            results: dict[tuple[str, str], list[dict]] = {}
            for v, src in versions.items():  # fill each version's own cache once (its code digest keys it)
                if all(c.startswith("cold") for c in cases):
                    # one run unrecorded: numba compiles the version's kernels into its worktree on first use
                    run_once(src, osm, "off", raster)
                    continue
                run_once(src, osm, str(caches[v]), None)
                run_once(src, osm, str(caches[v]), raster)
            for i in range(args.repeat):
                for case in cases:
                    for v in (("base", "new") if i % 2 == 0 else ("new", "base")):
                        cache = "off" if case.startswith("cold") else str(caches[v])
                        folder = tmp / f"folder_{v}" if "folder" in case else None
                        r = run_once(
                            versions[v], osm, cache, raster if case.endswith("raster") else None,
                            sites if case.startswith("rerun") else None, goals if case.startswith("edit") else None, folder,
                        )
                        if folder is not None:
                            shutil.rmtree(folder, ignore_errors=True)
                        results.setdefault((case, v), []).append(r)
                        print(f"{case:<12} {v:<4} {r['total_s']:6.2f} s  {r['peak_mb']:6,.0f} MB", flush=True)
        finally:
            for src in (old_src, new_src):
                if src.exists():
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(src)], check=False, capture_output=True)
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n# CPU check at the end {bench_peers.cpu_check():.2f} s\n")
    print(f"{'case':<12} {'version':<8} {'best s':>7} {'median s':>9} {'peak MB':>8}")
    same = True
    for case in cases:
        for v in ("base", "new"):
            rs = results[(case, v)]
            ts = [r["total_s"] for r in rs]
            print(f"{case:<12} {v:<8} {min(ts):7.2f} {statistics.median(ts):9.2f} {max(r['peak_mb'] for r in rs):8,.0f}")
        stages = {s for v in ("base", "new") for r in results[(case, v)] for s in r["stages"]}
        for s in sorted(stages):  # median seconds per stage, to find where a change costs time
            m = {v: statistics.median(r["stages"].get(s, 0.0) for r in results[(case, v)]) for v in ("base", "new")}
            if max(m.values()) >= 0.2:
                print(f"    {s:<28} {m['base']:6.2f} {m['new']:6.2f} ({m['new'] - m['base']:+.2f})")
        a, b = results[(case, "base")][0]["shares"], results[(case, "new")][0]["shares"]
        same &= all(a[g] == b[g] for g in a)
    print("\ngoal shares identical in both versions" if same else "\nGOAL SHARES DIFFER between the versions")
    return 0 if same else 1


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main()
    print(f"# {time.perf_counter() - t0:.0f} s")
    sys.exit(code)

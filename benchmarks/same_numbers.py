#!/usr/bin/env python
"""Same inputs, same numbers: compare the outputs of two versions of the package on the shared Hangzhou data.

A refactoring must not change a number. This script runs a git revision (``--base``,
checked out into a temporary worktree) and the working tree side by side, each in
its own process through the command line (stable across versions), on

* ``plain``: the Hangzhou extract with the estimated population;
* ``own_data``: the same with a planners' facility list in GCJ-02 and the DataV
  districts of Hangzhou (GCJ-02),

and compares ``goals.json`` (every number, by goal), ``hexes.parquet``, the node
table ``nodes_walk.parquet`` and the answers of ``accessibility query`` for 60
fixed points, to a relative tolerance of 1e-9. It exits with 1 and lists every
difference when there is one; columns or keys present in only one version are
listed but are not differences.

Run from the repository root::

    python benchmarks/same_numbers.py --base 4f2c1e0      # a commit before the change
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ACCESSIBILITY_SHARED_DATA", ROOT.parent / "shared" / "data"))
RTOL = 1e-9
BBOX = (120.105, 30.235, 120.180, 30.290)  # inside the Hangzhou extract


def _inputs(folder: Path) -> dict[str, Path]:
    """The planners' list and the query points, the same for both versions (fixed seed)."""
    rng = np.random.default_rng(20261203)
    w, s, e, n = BBOX
    homes = pd.DataFrame(
        {
            "编号": [f"H{i}" for i in range(40)],
            "机构名称": [f"测试养老院{i}" for i in range(40)],
            "经度": np.round(rng.uniform(w, e, 40) + 0.0046, 6),  # about where GCJ-02 puts Hangzhou
            "纬度": np.round(rng.uniform(s, n, 40) - 0.0025, 6),
            "床位": rng.integers(20, 200, 40),
        }
    )
    points = pd.DataFrame({"id": range(60), "lon": np.round(rng.uniform(w, e, 60), 6), "lat": np.round(rng.uniform(s, n, 60), 6)})
    paths = {"homes": folder / "homes.csv", "points": folder / "points.csv"}
    homes.to_csv(paths["homes"], index=False, encoding="utf-8")
    points.to_csv(paths["points"], index=False)
    return paths


def _scenarios(inputs: dict[str, Path]) -> dict[str, list[str]]:
    osm = SHARED / "hangzhou_westlake_osm2015" / "hangzhou_china.osm.pbf"
    districts = SHARED / "zhejiang_admin_boundaries_datav" / "330100_full.json"
    base = ["run", "--osm", str(osm), "--no-briefing", "--no-cache"]
    return {
        "plain": base,
        "own_data": [*base, "--facilities", str(inputs["homes"]), "--service", "elderly_care", "--facilities-crs", "gcj02",
                     "--districts", str(districts), "--districts-crs", "gcj02"],
    }


def _cli(src: Path, argv: list[str]) -> None:
    code = "import sys; sys.path.insert(0, sys.argv[1]); from accessibility.cli import main; sys.exit(main(sys.argv[2:]))"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", code, str(src), "-q", *argv], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{src}: accessibility {' '.join(argv)} failed:\n{done.stderr}")


def run_version(src: Path, out: Path, inputs: dict[str, Path]) -> None:
    """Run every scenario with the package in ``src``; outputs go to ``out/<scenario>``."""
    for name, argv in _scenarios(inputs).items():
        run_dir = out / name
        _cli(src, [*argv, "--out", str(run_dir)])
        _cli(src, ["query", str(run_dir), "--points", str(inputs["points"]), "--out", str(out / f"{name}_query.csv")])


def _close(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-9)
    return a == b


def compare_json(a: object, b: object, where: str, diffs: list[str], extra: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                extra.append(f"{where}.{k}: only in {'base' if k in a else 'new'}")
                continue
            compare_json(a[k], b[k], f"{where}.{k}", diffs, extra)
    elif isinstance(a, list) and isinstance(b, list) and not (a and isinstance(a[0], str)):
        if len(a) != len(b):
            diffs.append(f"{where}: {len(a)} vs {len(b)} items")
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            key = x.get("id", x.get("district_id", i)) if isinstance(x, dict) else i
            compare_json(x, y, f"{where}[{key}]", diffs, extra)
    elif not _close(a, b):
        diffs.append(f"{where}: {a!r} vs {b!r}")


def _text(col: pd.Series) -> np.ndarray:
    return col.astype(object).where(col.notna(), "<missing>").astype(str).to_numpy()


def compare_frames(a: pd.DataFrame, b: pd.DataFrame, where: str, diffs: list[str], extra: list[str]) -> None:
    if len(a) != len(b):
        diffs.append(f"{where}: {len(a)} vs {len(b)} rows")
        return
    for col in sorted(set(a.columns) ^ set(b.columns)):
        extra.append(f"{where}.{col}: only in {'base' if col in a.columns else 'new'}")
    for col in [c for c in a.columns if c in b.columns]:
        x, y = a[col], b[col]
        if col == "geometry":
            same = np.array([p == q for p, q in zip(x.to_numpy(), y.to_numpy(), strict=True)])
        elif pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            xv, yv = x.to_numpy(np.float64), y.to_numpy(np.float64)
            same = np.isclose(xv, yv, rtol=RTOL, atol=1e-9, equal_nan=True) | (np.isinf(xv) & (xv == yv))
        else:
            same = _text(x) == _text(y)
        if not same.all():
            i = int(np.flatnonzero(~same)[0])
            diffs.append(f"{where}.{col}: {int((~same).sum())} rows differ (first row {i}: {x.iloc[i]!r} vs {y.iloc[i]!r})")


def _plain_warnings(goal: dict) -> dict:
    """Warnings as their messages (versions before 0.2 wrote strings, later ones structured records)."""
    return {**goal, "warnings": [w["message"] if isinstance(w, dict) else w for w in goal.get("warnings", [])]}


def compare(base: Path, new: Path, inputs: dict[str, Path]) -> tuple[list[str], list[str]]:
    diffs: list[str] = []
    extra: list[str] = []
    for name in _scenarios(inputs):
        ga = [_plain_warnings(g) for g in json.loads((base / name / "goals.json").read_text(encoding="utf-8"))["goals"]]
        gb = [_plain_warnings(g) for g in json.loads((new / name / "goals.json").read_text(encoding="utf-8"))["goals"]]
        compare_json({g["id"]: g for g in ga}, {g["id"]: g for g in gb}, f"{name}/goals", diffs, extra)
        for file in ("hexes.parquet", "nodes_walk.parquet"):
            compare_frames(pd.read_parquet(base / name / file), pd.read_parquet(new / name / file), f"{name}/{file}", diffs, extra)
        qa, qb = (pd.read_csv(d / f"{name}_query.csv", encoding="utf-8-sig") for d in (base, new))
        compare_frames(qa, qb, f"{name}/query", diffs, extra)
    return diffs, extra


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare the working tree with")
    parser.add_argument("--keep", metavar="DIR", help="keep the outputs in DIR")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(args.keep or tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        worktree = Path(tmp_name) / "base_src"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree), args.base], check=True, capture_output=True)
        try:
            inputs = _inputs(tmp)
            run_version(worktree, tmp / "base", inputs)
            run_version(ROOT, tmp / "new", inputs)
            diffs, extra = compare(tmp / "base", tmp / "new", inputs)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False, capture_output=True)
    for line in extra:
        print(f"  (not compared) {line}")
    if diffs:
        print(f"{len(diffs)} differences between {args.base} and the working tree:")
        for line in diffs:
            print(f"  {line}")
        return 1
    print(f"same numbers: goals.json, hexes.parquet, nodes_walk.parquet and query answers of {args.base} and the working tree agree (rtol {RTOL:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write a run folder: GeoPackage, GeoParquet, goal verdicts (JSON, Markdown), manifest.

Every file is written to a temporary name in the same folder and moved into
place with :func:`os.replace`, so a crash never leaves a half-written file
that looks complete.

Run folder contents
-------------------
``results.gpkg``
    layers ``hexes``, ``facilities``, ``facilities_rejected``, ``study_area``
    (and ``main_urban_area``); opens in QGIS.
``hexes.parquet``, ``facilities.parquet``
    the same as GeoParquet.
``goals.json``, ``goals.md``
    verdicts per goal.
``network_nodes.parquet``, ``network_edges.parquet``, ``access_points.parquet``
    the walking network and facility access points, for point queries.
``nodes_walk.parquet``
    per street node, distance to and id of the nearest facility per service.
``demand_points.parquet``
    per demand point (raster pixel or estimated building): lon, lat, pop,
    older, h3 and per-service walking distance and nearest facility.
``manifest.json``
    inputs with checksums, parameters, package versions, stage timings.

With planners' own data (see :mod:`accessibility.userdata`, :mod:`accessibility.zones`):

``rejects_<service>.csv``
    every row of a facility file that was not used, or used with a change:
    file, row number, reason, action and the row's original columns
    (UTF-8 with BOM, so Excel shows the Chinese).
``merges.csv``
    OSM facilities merged with (or replaced by) a user's facility.
``rejects_zones.csv``
    census rows that matched no zone, unusable counts, zones without a count.
``results.gpkg`` layer ``districts``
    per district: population and, per goal, eligible/covered population and share.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import logging
import math
import os
import platform
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__, textsafe
from .cache import file_sha256

if TYPE_CHECKING:
    from .pipeline import RunResult

__all__ = ["write_run", "write_manifest", "write_json", "goals_markdown", "atomic_path", "RUN_FILES"]

log = logging.getLogger(__name__)

RUN_FILES = (
    "results.gpkg",
    "hexes.parquet",
    "facilities.parquet",
    "goals.json",
    "goals.md",
    "network_nodes.parquet",
    "network_edges.parquet",
    "access_points.parquet",
    "nodes_walk.parquet",
    "demand_points.parquet",
    "manifest.json",
)

_PACKAGES = ("numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio", "pyarrow", "osmium", "h3", "h3ronpy", "rasterio", "openpyxl", "rapidfuzz")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + "".join(path.suffixes), dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return None if not math.isfinite(obj) else float(obj)
    if isinstance(obj, (Path,)):
        return str(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj)}")


def _clean(obj):
    """Replace NaN/inf by None so the JSON is standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def write_json(path: str | Path, data) -> None:
    """Write ``data`` as UTF-8 JSON, atomically, with NaN/inf as null."""
    _write_text(path, json.dumps(_clean(data), ensure_ascii=False, indent=2, default=_json_default) + "\n")


def _gpkg_safe(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.copy()
    for col in frame.columns:
        if col != frame.geometry.name and frame[col].dtype == object:
            frame[col] = frame[col].astype("string")
    return frame


def write_run(result: RunResult, out: str | Path, *, inputs: dict) -> Path:
    """Write every output of a run into ``out`` (created if needed)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    hexes = result.hexes
    fac = result.facilities
    used = fac[fac["status"] == "used"]
    rejected = fac[fac["status"] != "used"]
    layers = {
        "hexes": hexes,
        "facilities": used,
        "facilities_rejected": rejected,
        "study_area": gpd.GeoDataFrame({"name": ["study_area"]}, geometry=[result.study_area], crs="EPSG:4326"),
    }
    if result.districts is not None:
        layers["districts"] = result.districts
    if result.main_urban_area is not None:
        layers["main_urban_area"] = gpd.GeoDataFrame({"name": ["main_urban_area"]}, geometry=[result.main_urban_area], crs="EPSG:4326")
    with atomic_path(out / "results.gpkg") as tmp:
        for name, frame in layers.items():
            _gpkg_safe(frame).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    with atomic_path(out / "hexes.parquet") as tmp:
        hexes.to_parquet(tmp)
    with atomic_path(out / "facilities.parquet") as tmp:
        fac.to_parquet(tmp)

    walk = result.modes["walk"]
    with atomic_path(out / "network_nodes.parquet") as tmp:
        walk.net.nodes.to_parquet(tmp)
    with atomic_path(out / "network_edges.parquet") as tmp:
        walk.net.edges.to_parquet(tmp)
    ap = pd.DataFrame(
        {
            "facility_row": walk.access.facility,
            "facility_id": fac["facility_id"].to_numpy()[walk.access.facility],
            "edge": walk.access.snapped.edge,
            "t": walk.access.snapped.t,
            "snap_dist_m": walk.access.snapped.snap_dist_m,
        }
    )
    with atomic_path(out / "access_points.parquet") as tmp:
        ap.to_parquet(tmp)
    with atomic_path(out / "nodes_walk.parquet") as tmp:
        result.node_table("walk").to_parquet(tmp)
    with atomic_path(out / "demand_points.parquet") as tmp:
        result.point_costs.to_parquet(tmp)

    for name, table in result.tables.items():
        with atomic_path(out / name) as tmp:
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
    goals = [g.to_dict() for g in result.goals]
    for g in goals:
        if g["id"] in result.by_district:
            g["by_district"] = result.by_district[g["id"]]
    summary = {
        "population_source": result.demand.source,
        "older_population_source": result.demand.older_source,
        "population_is_estimate": result.demand.is_estimate,
        "notes": result.notes,
        "goals": goals,
    }
    if result.imports:
        summary["facility_imports"] = result.imports
    write_json(out / "goals.json", summary)
    _write_text(out / "goals.md", goals_markdown(result))
    result.manifest["inputs"] = {
        k: _input_record(v) for k, v in inputs.items() if v not in (None, [], ())
    }
    result.manifest["mode_recipes"] = {m: str(s.net.mode.source) for m, s in result.modes.items()}
    write_manifest(result, out)
    log.info("wrote run folder %s", out)
    return out


def _input_record(value):
    if isinstance(value, (list, tuple)):
        return [_input_record(v) for v in value]
    p = Path(value)
    return {"path": str(p.resolve()), "bytes": p.stat().st_size, "sha256": file_sha256(p)} if p.is_file() else {"path": str(value)}


def write_manifest(result: RunResult, out: str | Path) -> None:
    """Write ``manifest.json`` (called again at the end of a run with final timings)."""
    versions = {"accessibility": __version__, "python": platform.python_version()}
    for pkg in _PACKAGES:
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = None
    manifest = dict(result.manifest)
    manifest["versions"] = versions
    manifest["files"] = list(RUN_FILES) + list(result.tables)
    write_json(Path(out) / "manifest.json", manifest)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def goals_markdown(result: RunResult) -> str:
    """Human-readable verdicts (English, with the Chinese goal names)."""
    md = textsafe.md_escape
    d = result.demand
    lines = ["# Goal verdicts", ""]
    if d.is_estimate:
        lines += [f"> **Population is an estimate** ({md(d.source)}); treat shares as indicative.", ""]
    lines += [
        f"- Population: {d.total:,.0f} ({md(d.source)}); older population: {d.total_older:,.0f} ({md(d.older_source)})",
        f"- Facilities used: {int((result.facilities['status'] == 'used').sum())} of {len(result.facilities)}",
        *(
            f"- Facility file {md(Path(i['path']).name)} ({md(i['service'])}, {md(i['crs'])}): {i['used']} of {i['rows']} rows used, "
            f"{i['rejected']} rejected, {i['fixed']} fixed, {i['values_left_empty']} with a value left empty ({md(i['rejects_file'])})"
            for i in result.imports
        ),
        "",
        "| goal | threshold | population | covered | share | target | verdict |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for g in result.goals:
        t = g.targets[0] if g.targets else None
        verdict = "n/a" if g.passed is None else ("PASS" if g.passed else "FAIL")
        lines.append(
            f"| {md(g.name_en)} {md(g.name_zh)} ({md(g.id)}) | {md(g.threshold)} | {g.population} | {g.covered_pop:,.0f} of {g.eligible_pop:,.0f} "
            f"| {_pct(g.share)} | {_pct(t['share']) if t else '-'} | {verdict} |"
        )
    for g in result.goals:
        lines += ["", f"## {md(g.name_en)} {md(g.name_zh)} ({md(g.id)})", ""]
        lines.append(f"- Covered: {g.covered_pop:,.0f} of {g.eligible_pop:,.0f} {g.population} residents ({_pct(g.share)}); uncovered {g.uncovered_pop:,.0f}")
        speed = f" at {g.speed_m_s:g} m/s" if g.speed_m_s else ""
        lines.append(f"- Threshold: {g.threshold} by {g.mode}{speed}; services ({g.combine}): {md(', '.join(g.services))}")
        for s, share in g.per_service_share.items():
            lines.append(f"  - {md(s)}: {_pct(share)}")
        for t in g.targets:
            met = "n/a" if t["met"] is None else ("met" if t["met"] else "not met")
            lines.append(f"- Target {_pct(t['share'])} — {md(t['label'])}: {met}")
        if g.straight_line:
            lines.append(f"- Straight-line (for comparison): {_pct(g.straight_line['share'])} covered")
        if g.density_rule:
            rules = "; ".join(f"{r['max_dist_m']:g} m where density > {r['min_density_per_km2']:g}/km²" for r in g.density_rule)
            lines.append(f"- Density rule: {rules}")
        if g.worst_hexes:
            lines += ["", "Worst hexagons (most uncovered people):", "", "| h3 | uncovered | eligible | share |", "|---|---:|---:|---:|"]
            lines += [f"| {h['h3']} | {h['uncovered_pop']:,.0f} | {h['eligible_pop']:,.0f} | {_pct(h['share'])} |" for h in g.worst_hexes]
        if g.id in result.by_district:
            lines += ["", "By district:", "", "| district | covered | eligible | uncovered | share |", "|---|---:|---:|---:|---:|"]
            rows = result.by_district[g.id]
            lines += [
                f"| {md(r['district_name'])} | {r['covered_pop']:,.0f} | {r['eligible_pop']:,.0f} | {r['uncovered_pop']:,.0f} | {_pct(r['share'])} |"
                for r in rows
                if r["eligible_pop"] > 0
            ]
            empty = sum(r["eligible_pop"] <= 0 for r in rows)
            if empty:
                lines.append(f"\n{empty} districts without eligible residents in the area are left out of this table (they are in goals.json).")
        for w in g.warnings:
            lines.append(f"- **Warning:** {md(w)}")
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {md(n)}" for n in result.notes]
    lines += ["", "Map data © OpenStreetMap contributors (ODbL).", ""]
    return "\n".join(lines)

"""Write a run folder: GeoPackage, GeoParquet, goal verdicts (JSON, Markdown), manifest.

A run is written into a partial folder beside the target and swapped into
place whole (:mod:`accessibility.runfolder`), so a crash never leaves a
folder mixing two runs; ``manifest.json`` lists every file with its sha256.

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

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from ..core import meta
from ..core import fileio
from . import folder as runfolder
from ..core import textsafe
from ..core.fileio import atomic_path, write_json

if TYPE_CHECKING:
    from .pipeline import RunResult

__all__ = ["write_run", "write_files", "run_manifest", "write_json", "goals_markdown", "atomic_path", "RUN_FILES"]

log = logging.getLogger(__name__)

#: files every run folder holds (besides ``manifest.json`` and the tables of planners' data)
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
)

#: GeoPackages record when each table changed; a fixed date keeps reruns byte-identical
#: (the run's real timings and date are in manifest.json)
_GPKG_DATE = "2000-01-01T00:00:00.000Z"


def _gpkg_safe(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.copy()
    for col in frame.columns:
        if col != frame.geometry.name and frame[col].dtype == object:
            frame[col] = frame[col].astype("string")
    return frame


def write_gpkg_layers(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Write GeoDataFrames as the layers of one new GeoPackage ``path`` (text columns as strings, fixed dates)."""
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_DATE})
    try:
        for name, frame in layers.items():
            _gpkg_safe(frame).to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def write_files(result: RunResult, folder: str | Path, *, inputs: dict) -> None:
    """Write every file of a run except the manifest into ``folder`` (the partial folder of a run)."""
    out = Path(folder)
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
    write_gpkg_layers(out / "results.gpkg", layers)
    hexes.to_parquet(out / "hexes.parquet")
    fac.to_parquet(out / "facilities.parquet")

    walk = result.modes["walk"]
    walk.net.nodes.to_parquet(out / "network_nodes.parquet")
    walk.net.edges.to_parquet(out / "network_edges.parquet")
    ap = pd.DataFrame(
        {
            "facility_row": walk.access.facility,
            "facility_id": fac["facility_id"].to_numpy()[walk.access.facility],
            "edge": walk.access.snapped.edge,
            "t": walk.access.snapped.t,
            "snap_dist_m": walk.access.snapped.snap_dist_m,
        }
    )
    ap.to_parquet(out / "access_points.parquet")
    result.node_table("walk").to_parquet(out / "nodes_walk.parquet")
    result.point_costs.to_parquet(out / "demand_points.parquet")

    for name, table in result.tables.items():
        fileio.spreadsheet_safe(table).to_csv(out / runfolder.check_name(name), index=False, encoding="utf-8-sig")
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
    fileio.write_text(out / "goals.md", goals_markdown(result))
    result.manifest["inputs"] = {k: _input_record(v) for k, v in inputs.items() if v not in (None, [], ())}
    result.manifest["mode_recipes"] = {m: str(s.net.mode.source) for m, s in result.modes.items()}


def run_manifest(result: RunResult) -> dict:
    """The manifest of a run (the file list is added when the folder is committed)."""
    return {**result.manifest, "versions": meta.versions()}


def write_run(result: RunResult, out: str | Path | runfolder.RunTarget, *, inputs: dict) -> Path:
    """Write a whole run folder: into a partial folder beside ``out``, then swapped into place.

    Parameters
    ----------
    result
        The run.
    out
        Run folder (created, or replacing an earlier run), or a :class:`~accessibility.runfolder.RunTarget`
        from :func:`~accessibility.runfolder.prepare`.
    inputs
        Input files to record with their sha256 in the manifest.
    """
    target = out if isinstance(out, runfolder.RunTarget) else runfolder.prepare(out)
    with target:
        write_files(result, target.tmp, inputs=inputs)
        return target.commit(run_manifest(result))


def _input_record(value):
    if isinstance(value, (list, tuple)):
        return [_input_record(v) for v in value]
    p = Path(value)
    return {"path": str(p.resolve()), "bytes": p.stat().st_size, "sha256": fileio.sha256_file(p)} if p.is_file() else {"path": str(value)}


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

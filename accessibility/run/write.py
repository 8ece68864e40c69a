"""Write a run folder from a :class:`~accessibility.run.result.RunResult` (read back by :mod:`accessibility.run.read`).

A run is written into a partial folder beside the target and swapped into
place whole (:mod:`accessibility.run.folder`, which also names every file), so
a crash never leaves a folder mixing two runs; ``manifest.json`` lists every
file with its sha256.

Run folder contents
-------------------
``results.gpkg``
    layers ``hexes``, ``facilities_points``, ``facilities_areas``,
    ``facilities_rejected_points``, ``facilities_rejected_areas`` (and
    ``facilities_lines``... where facilities are lines), ``study_area`` (and
    ``main_urban_area``, ``districts``), one geometry type each; opens in QGIS
    styled as the briefing map (:mod:`accessibility.run.gpkgstyle`).
``results.xlsx``
    the workbook: verdicts, notes, districts, worst hexagons, facilities,
    rejects (:mod:`accessibility.run.workbook`); ``suggest`` and ``provision``
    add their sheets.
``hexes.parquet``, ``facilities.parquet``
    the same as GeoParquet.
``goals.json``, ``goals.md``
    verdicts per goal, with their warnings, and the run's notes (structured records).
``network_<mode>_nodes.parquet``, ``network_<mode>_edges.parquet``, ``access_points_<mode>.parquet``
    every travel mode's network and facility access points, for queries,
    isochrones, provision and siting.
``nodes_walk.parquet``
    per street node, distance to and id of the nearest facility per service.
``demand_points.parquet``
    per demand point (raster pixel or estimated building): lon, lat, pop,
    older, h3, every trip cost and nearest facility (walking columns
    ``<set>_dist_m``; other modes ``<set>_dist_m@bike``...) and per goal
    whether it covers the point (``<goal>_covered``).
``manifest.json``
    inputs with checksums, options, goals and mode recipes by value, speeds,
    package versions, stage timings, and every file with its sha256.

Every Parquet file is GeoParquet (WGS-84 ``geometry``: nodes and demand
points at their lon/lat, access points where they join their edge; see
:mod:`accessibility.run.geoparquet`).

With planners' own data (see :mod:`accessibility.readers.facility_files`, :mod:`accessibility.readers.zones`):

``rejects_<service>.csv``
    every row of a facility file that was not used, or used with a change:
    file, row number, reason, action and the row's original columns
    (UTF-8 with BOM, so Excel shows the Chinese).
``merges.csv``
    OSM facilities merged with (or replaced by) a user's facility.
``rejects_zones.csv``
    census rows that matched no zone, unusable counts, zones without a count.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import errors
from ..core import fileio, meta, textsafe
from ..core.fileio import atomic_path, write_json
from ..core.notes import Note
from ..readers import sources
from . import folder as runfolder
from . import geoparquet, gpkgstyle, workbook
from .result import RunResult

__all__ = ["RUN_FILES", "atomic_path", "facility_layers", "goals_markdown", "run_manifest", "write_files", "write_gpkg_layers", "write_json", "write_run"]

log = logging.getLogger(__name__)

#: files every run folder holds (besides ``manifest.json``, the networks of other modes and the tables of planners' data)
RUN_FILES = (
    runfolder.RESULTS_GPKG,
    runfolder.RESULTS_XLSX,
    runfolder.HEXES,
    runfolder.FACILITIES,
    runfolder.GOALS_JSON,
    runfolder.GOALS_MD,
    runfolder.network_nodes("walk"),
    runfolder.network_edges("walk"),
    runfolder.barriers("walk"),
    runfolder.access_points("walk"),
    runfolder.node_table("walk"),
    runfolder.DEMAND,
    runfolder.DENSITY_OUTLIERS,
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


#: geometry families: shapely's dimension of a geometry -> layer suffix, and the type an empty layer of it declares
_FAMILIES = {0: ("points", "Point"), 1: ("lines", "MultiLineString"), 2: ("areas", "MultiPolygon")}
_KIND_OF_TYPE = {"Point": 0, "MultiPoint": 0, "LineString": 1, "MultiLineString": 1, "Polygon": 2, "MultiPolygon": 2}


def _geometry_family(frame: gpd.GeoDataFrame, name: str, path: Path) -> int | None:
    """The one geometry family of a layer (0 points, 1 lines, 2 areas; ``None`` when it has no geometry), else an error naming the types."""
    types = {str(t) for t in frame.geometry.geom_type.dropna().unique()}
    kinds = {_KIND_OF_TYPE.get(t, -1) for t in types}
    if len(kinds) > 1 or -1 in kinds:
        raise errors.InputError(
            f"{path.name}: layer {name!r} would mix geometry types {sorted(types)}; QGIS and GIS tools expect one per layer "
            "(check the input file the layer comes from, e.g. a districts file with points among its polygons)"
        )
    return next(iter(kinds), None)


def write_gpkg_layers(
    path: Path, layers: dict[str, gpd.GeoDataFrame], *, styles: dict[str, gpkgstyle.Style] | None = None, empty_types: dict[str, str] | None = None
) -> None:
    """Write GeoDataFrames as the layers of one GeoPackage ``path`` (text columns as strings, fixed dates), with their QGIS styles.

    Every layer holds one geometry type (Polygon and MultiPolygon mixed are
    written as MultiPolygon; points mixed with polygons are refused). An empty
    layer declares its type from ``empty_types`` (by layer name). Layers
    without a style in ``styles`` get the one :func:`~accessibility.run.gpkgstyle.style_for`
    recognises (isochrones, suggested sites), if any; the styles are written
    into the ``layer_styles`` table QGIS reads.
    """
    import pyogrio

    chosen: dict[str, gpkgstyle.Style] = {}
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_DATE})
    try:
        for name, frame in layers.items():
            kind = _geometry_family(frame, name, Path(path))
            declared = (empty_types or {}).get(name) if kind is None else None
            _gpkg_safe(frame).to_file(path, layer=name, driver="GPKG", engine="pyogrio", **({"geometry_type": declared} if declared else {}))
            style = (styles or {}).get(name) or gpkgstyle.style_for(name, frame)
            if style is not None:
                chosen[name] = style
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    gpkgstyle.write_styles(path, chosen)


def facility_layers(fac: gpd.GeoDataFrame, prefix: str) -> dict[str, gpd.GeoDataFrame]:
    """``fac`` split by geometry into ``<prefix>_points`` and ``<prefix>_areas`` (always) and ``<prefix>_lines`` (when any).

    A facility without a geometry goes with the points. Geometry collections
    keep their parts of the highest dimension (a multipolygon for an area).
    """
    geoms = fac.geometry.to_numpy()
    dims = shapely.get_dimensions(geoms)
    dims = np.where(dims < 0, 0, dims)
    mixed = np.flatnonzero(shapely.get_type_id(geoms) == shapely.GeometryType.GEOMETRYCOLLECTION)
    if len(mixed):  # rare (a few relations): one geometry at a time
        geoms = geoms.copy()
        for i in mixed.tolist():
            parts = shapely.get_parts(geoms[i])
            top = parts[shapely.get_dimensions(parts) == dims[i]]
            geoms[i] = (shapely.multipoints, shapely.multilinestrings, shapely.multipolygons)[dims[i]](top)
        fac = fac.set_geometry(geoms, crs=fac.crs)
    out = {}
    for dim, (suffix, _) in _FAMILIES.items():
        part = fac[dims == dim]
        if len(part) or dim != 1:
            out[f"{prefix}_{suffix}"] = part
    return out


def _results_layers(result: RunResult) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, gpkgstyle.Style], dict[str, str]]:
    """The layers of ``results.gpkg``, their styles and the geometry type each declares when empty."""
    fac = result.facilities
    used = (fac["status"] == "used").to_numpy()
    layers: dict[str, gpd.GeoDataFrame] = {"hexes": result.hexes, **facility_layers(fac[used], "facilities"), **facility_layers(fac[~used], "facilities_rejected")}
    layers["study_area"] = gpd.GeoDataFrame({"name": ["study_area"]}, geometry=[result.study_area], crs="EPSG:4326")
    if result.districts is not None:
        layers["districts"] = result.districts
    if result.main_urban_area is not None:
        layers["main_urban_area"] = gpd.GeoDataFrame({"name": ["main_urban_area"]}, geometry=[result.main_urban_area], crs="EPSG:4326")
    first = result.goals[0].to_dict() if result.goals else None
    services, present = result.services, [str(s) for s in fac["service"].unique()]
    styles = {
        "hexes": gpkgstyle.hexes_style(first, list(result.hexes.columns)),
        "study_area": gpkgstyle.boundary_style("#424242", dashed=True),
        "main_urban_area": gpkgstyle.boundary_style("#6a3d9a"),
    }
    if result.districts is not None:
        styles["districts"] = gpkgstyle.districts_style(list(result.districts.columns))
    empty_types = {}
    for name in layers:
        if name.startswith("facilities"):
            geometry = name.rsplit("_", 1)[1]
            styles[name] = gpkgstyle.facilities_style(geometry, services, present, rejected=name.startswith("facilities_rejected"))
            empty_types[name] = next(t for s, t in _FAMILIES.values() if s == geometry)
    return layers, styles, empty_types


def write_files(result: RunResult, folder: str | Path, *, inputs: dict) -> None:
    """Write every file of a run except the manifest into ``folder`` (the partial folder of a run)."""
    out = Path(folder)
    f = runfolder
    fac = result.facilities
    layers, styles, empty_types = _results_layers(result)
    write_gpkg_layers(out / f.RESULTS_GPKG, layers, styles=styles, empty_types=empty_types)
    result.hexes.to_parquet(out / f.HEXES)
    fac.to_parquet(out / f.FACILITIES)
    for mode, state in result.modes.items():
        geoparquet.write_points(state.net.nodes, out / f.network_nodes(mode))
        state.net.edges.to_parquet(out / f.network_edges(mode))
        if state.net.barriers is not None:
            state.net.barriers.to_parquet(out / f.barriers(mode))
        a = state.access
        table = pd.DataFrame(
            {"facility_row": a.facility, "facility_id": fac["facility_id"].to_numpy()[a.facility], "edge": a.snapped.edge, "t": a.snapped.t,
             "snap_dist_m": a.snapped.snap_dist_m}
        )
        geoparquet.write(geoparquet.access_points_table(table, state.net, a.snapped), out / f.access_points(mode))
    geoparquet.write_points(result.node_table("walk"), out / f.node_table("walk"))
    geoparquet.write_points(result.point_costs, out / f.DEMAND)
    for name, table in result.tables.items():
        fileio.spreadsheet_safe(table).to_csv(out / f.check_name(name), index=False, encoding="utf-8-sig")
    write_json(out / f.GOALS_JSON, goals_document(result))
    fileio.write_text(out / f.GOALS_MD, goals_markdown(result))
    workbook.write_workbook({p.name: p for p in sorted(out.iterdir()) if p.is_file()}, out / f.RESULTS_XLSX)
    result.manifest["inputs"] = {
        k: _input_record(v, _WHAT.get(k, k.replace("_", " "))) for k, v in inputs.items() if sources.is_frame(v) or v not in (None, [], ())
    }


def goals_document(result: RunResult) -> dict:
    """What ``goals.json`` holds: the population facts, the notes (records), the verdicts and the facility imports."""
    goals = [g.to_dict() for g in result.goals]
    for g in goals:
        if g["id"] in result.by_district:
            g["by_district"] = result.by_district[g["id"]]
    doc = {
        "population_source": result.demand.source,
        "older_population_source": result.demand.older_source,
        "population_is_estimate": result.demand.is_estimate,
        "population_quality": result.demand.quality,
        "notes": result.notes.to_list(),
        "goals": goals,
    }
    if result.imports:
        doc["facility_imports"] = result.imports
    if result.manifest.get("completeness"):
        doc["completeness"] = result.manifest["completeness"]
    if result.manifest.get("coverage"):
        doc["coverage"] = result.manifest["coverage"]
    return doc


def run_manifest(result: RunResult) -> dict:
    """The manifest of a run (the file list is added when the folder is committed)."""
    return {**result.manifest, "versions": meta.versions()}


def write_run(result: RunResult, out: str | Path | runfolder.RunTarget, *, inputs: dict | None = None) -> Path:
    """Write a whole run folder: into a partial folder beside ``out``, then swapped into place.

    Parameters
    ----------
    result
        The run.
    out
        Run folder (created, or replacing an earlier run), or a :class:`~accessibility.run.folder.RunTarget`
        from :func:`~accessibility.run.folder.prepare`.
    inputs
        Input files to record with their sha256 in the manifest.

    Returns
    -------
    Path
        The run folder.
    """
    target = out if isinstance(out, runfolder.RunTarget) else runfolder.prepare(out)
    with target:
        write_files(result, target.tmp, inputs=inputs or {})
        result.folder = target.commit(run_manifest(result))
        return result.folder


#: an input's name in messages, where it is not its key with spaces (as the readers name it)
_WHAT = {"facility_files": "facilities", "census": "census table"}


def _input_record(value, what: str = "input"):
    if isinstance(value, (list, tuple)):
        return [_input_record(v, what) for v in value]
    if sources.is_frame(value):
        return sources.record(value, what)
    p = Path(value)
    return {"path": str(p.resolve()), "bytes": p.stat().st_size, "sha256": fileio.sha256_file(p)} if p.is_file() else {"path": str(value)}


_VERDICT = {"pass": "PASS", "fail": "FAIL", "incomplete_data": "INCOMPLETE DATA", "undefined": "n/a"}


_SCOPE = {"complete": "", "partial": "partial data ({:.0%})", "outside": "outside the data"}


def _coverage_lines(cover: dict | None) -> list[str]:
    """A warning line where the data covers too little of the study area or the main urban area to pass or fail a goal."""
    md = textsafe.md_escape
    lines = []
    for key in ("study_area", "main_urban_area"):
        c = (cover or {}).get(key)
        if c is None or c["scope"] == "complete" or (key == "study_area" and not cover.get("study_area_given") and c["people_share"] is None):  # type: ignore[union-attr]
            continue
        lines += [f"> **INCOMPLETE DATA:** {md(c['message']['en'])}: no goal on it is passed or failed.", ""]
    return lines


def _district_lines(rows: list[dict]) -> list[str]:
    """The per-district table of one goal; districts the data covers in part or not at all say so."""
    md = textsafe.md_escape
    lines = ["", "By district:", "", "| district | covered | eligible | uncovered | share | data |", "|---|---:|---:|---:|---:|---|"]
    lines += [
        f"| {md(r['district_name'])} | {r['covered_pop']:,.0f} | {r['eligible_pop']:,.0f} | {r['uncovered_pop']:,.0f} | {_pct(r['share'])} "
        f"| {_SCOPE[r.get('scope', 'complete')].format(r.get('data_coverage') or 0.0)} |"
        for r in rows
        if r["eligible_pop"] > 0
    ]
    outside = [md(r["district_name"]) for r in rows if r["eligible_pop"] <= 0 and r.get("scope") == "outside"]
    empty = sum(r["eligible_pop"] <= 0 and r.get("scope") != "outside" for r in rows)
    if outside:
        lines.append(f"\nOutside the data (no verdict): {', '.join(outside)}.")
    if empty:
        lines.append(f"\n{empty} districts without eligible residents in the area are left out of this table (they are in goals.json).")
    return lines


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def goals_markdown(result: RunResult) -> str:
    """Human-readable verdicts (English, with the Chinese goal names)."""
    md = textsafe.md_escape
    d = result.demand
    lines = ["# Goal verdicts", ""]
    if d.is_estimate:
        lines += [f"> **Population is an estimate** ({md(d.source)}); treat shares as indicative.", ""]
    lines += _coverage_lines(result.manifest.get("coverage"))
    lines += [
        f"- Population: {d.total:,.0f} ({md(d.source)}); older population: {d.total_older:,.0f} ({md(d.older_source)})",
        f"- Facilities used: {int((result.facilities['status'] == 'used').sum())} of {len(result.facilities)}",
        *(
            f"- Facility file {md(Path(i['path']).name)} ({md(i['service'])}, {md(i['crs'])}): {i['used']} of {i['rows']} rows used, "
            f"{i['rejected']} rejected, {i['fixed']} fixed, {i['values_left_empty']} with a value left empty ({md(i['rejects_file'])})"
            for i in result.imports
        ),
        "",
        "| goal | threshold | population | covered | share | target | verdict | main caveat |",
        "|---|---|---|---:|---:|---|---|---|",
    ]
    for g in result.goals:
        t = g.targets[0] if g.targets else None
        caveat = g.main_caveat()
        lines.append(
            f"| {md(g.name_en)} {md(g.name_zh)} ({md(g.id)}) | {md(g.threshold)} | {g.population} | {g.covered_pop:,.0f} of {g.eligible_pop:,.0f} "
            f"| {_pct(g.share)} | {_pct(t['share']) if t else '-'} | {_VERDICT[g.status]} | {md(caveat.caveat('en')) if caveat else ''} |"
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
            lines += _district_lines(result.by_district[g.id])
        for w in g.warnings:
            lines.append(f"- **Warning:** {md(Note.from_dict(w).message if isinstance(w, dict) else w)}")
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {'**Warning:** ' if n.severity == 'warning' else ''}{md(n.message)}" for n in result.notes]
    lines += ["", "Map data © OpenStreetMap contributors (ODbL).", ""]
    return "\n".join(lines)

"""Read a run folder back into the :class:`~accessibility.run.result.RunResult` that wrote it.

Every tool that works on a finished run (query, isochrones, provision,
siting, map, report, batch) takes either an in-memory result or a folder and
goes through :func:`as_result`, so they all read the same files the same way,
after :func:`accessibility.run.folder.open_run` has checked the folder against
its manifest (a mixed, damaged or older-format folder is refused).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import shapely

from .. import config, errors
from ..core.notes import Note, Notes
from ..network.graph import Network
from ..network.snapping import Snapped
from ..stages.facilities import FacilityAccess
from ..stages.goals import GoalResult
from ..stages.population import Demand
from . import folder, geoparquet
from .result import ModeState, RunResult, facility_parts, walkers_of

__all__ = ["as_result", "read_run"]

log = logging.getLogger(__name__)


def as_result(run: RunResult | str | Path | folder.RunFolder) -> RunResult:
    """``run`` itself when it is a :class:`~accessibility.run.result.RunResult`, else the run read from its folder."""
    return run if isinstance(run, RunResult) else read_run(run)


def read_run(run_dir: str | Path | folder.RunFolder) -> RunResult:
    """Read a run folder written by ``accessibility run`` (or :func:`accessibility.run.write.write_run`).

    Parameters
    ----------
    run_dir
        The folder, or a :class:`~accessibility.run.folder.RunFolder` already opened.

    Returns
    -------
    RunResult
        Equal to the result that was written (the spatial indexes, access
        graphs and shortest-path trees are rebuilt when a tool asks for them).

    Raises
    ------
    RunDirectoryError
        If the folder is not a complete run of this format, or a file does not match its manifest.
    """
    rf = run_dir if isinstance(run_dir, folder.RunFolder) else folder.open_run(run_dir)
    manifest = rf.manifest
    doc = rf.read_json(folder.GOALS_JSON)
    try:
        goals = [GoalResult.from_dict(g) for g in doc["goals"]]
        by_district = {g["id"]: g["by_district"] for g in doc["goals"] if "by_district" in g}
        notes = Notes(Note.from_dict(n) for n in doc.get("notes", []))
        goal_specs = tuple(config.goal_from_dict(g) for g in manifest.get("goals", []))
        recipes = {m: config.recipe_from_dict(r) for m, r in manifest["mode_recipes"].items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.RunDirectoryError(f"{rf.path}: goals.json or manifest.json does not hold what this version writes ({exc!r}); run `accessibility run` again") from None
    facilities = rf.read_table(folder.FACILITIES, geo=True)
    points = _attributes(rf, folder.DEMAND)
    pop_facts = manifest.get("population", {})
    demand = Demand(
        points["lon"].to_numpy(np.float64), points["lat"].to_numpy(np.float64), points["pop"].to_numpy(np.float64), points["older"].to_numpy(np.float64),
        source=str(doc.get("population_source", pop_facts.get("source", ""))), older_source=str(doc.get("older_population_source", pop_facts.get("older_source", ""))),
        is_estimate=bool(doc.get("population_is_estimate", pop_facts.get("is_estimate", False))),
        source_id=points["osm_source_id"].to_numpy(np.int64) if "osm_source_id" in points else None, quality=str(pop_facts.get("quality", "given")),
    )
    modes = {m: _mode(rf, m, recipe, manifest.get("modes", {}).get(m, {})) for m, recipe in recipes.items()}
    parts = facility_parts(facilities["source"])
    for state in modes.values():  # searched in the run's parts, as the run searched them
        state.parts = parts
    for m, state in modes.items():  # the walker profiles of the goals, kept with them by value
        state.walkers = walkers_of(goal_specs, m)
    study, mua, districts = _areas(rf)
    tables = {name: pd.read_csv(rf.file(name), encoding="utf-8-sig") for name in rf.names(r"rejects_[a-z][a-z0-9_]*\.csv|merges\.csv|calibration_districts\.csv|density_outliers\.csv")}
    return RunResult(
        goals=goals, hexes=rf.read_table(folder.HEXES, geo=True), facilities=facilities, demand=demand, study_area=study, main_urban_area=mua,
        modes=modes, point_costs=points, manifest=manifest, notes=notes, districts=districts, by_district=by_district, tables=tables,
        imports=list(doc.get("facility_imports", [])), goal_specs=goal_specs, folder=rf.path,
    )


def _attributes(rf: folder.RunFolder, name: str) -> pd.DataFrame:
    """A recorded table without the geometry it carries as GeoParquet (points repeating its lon/lat columns)."""
    path = rf.file(name)
    try:
        geo = set(geoparquet.geometry_columns(path))
        names = pq.read_schema(path).names
    except (OSError, ValueError) as exc:
        raise errors.RunDirectoryError(f"{path}: cannot be read ({exc}); run `accessibility run` again") from None
    return rf.read_table(name, columns=[c for c in names if c not in geo and not c.startswith("__index_level_")]) if geo else rf.read_table(name)


def _mode(rf: folder.RunFolder, mode: str, recipe: config.ModeRecipe, info: dict) -> ModeState:
    nodes = _attributes(rf, folder.network_nodes(mode))
    edges = rf.read_table(folder.network_edges(mode), geo=True)
    ap = rf.read_table(folder.access_points(mode), columns=["facility_row", "edge", "t", "snap_dist_m"])
    snapped = Snapped(ap["edge"].to_numpy(np.int64), ap["t"].to_numpy(np.float64), ap["snap_dist_m"].to_numpy(np.float64))
    access = FacilityAccess(facility=ap["facility_row"].to_numpy(np.int64), snapped=snapped)
    lines = rf.read_table(folder.barriers(mode), geo=True) if rf.names(re.escape(folder.barriers(mode))) else None
    return ModeState(net=Network(nodes=nodes, edges=edges, mode=recipe, info=json.loads(json.dumps(info)), barriers=lines), access=access)


def _areas(rf: folder.RunFolder) -> tuple[shapely.Geometry, shapely.Geometry | None, gpd.GeoDataFrame | None]:
    gpkg = rf.file(folder.RESULTS_GPKG)
    names = {str(row[0]) for row in pyogrio.list_layers(gpkg)}

    def union(layer: str) -> shapely.Geometry | None:
        if layer not in names:
            return None
        frame = gpd.read_file(gpkg, layer=layer, engine="pyogrio")
        if frame.empty:
            return None
        if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
            frame = frame.to_crs("EPSG:4326")
        return shapely.union_all(frame.geometry.to_numpy())

    study = union("study_area")
    if study is None:
        raise errors.RunDirectoryError(f"{gpkg}: the study_area layer is missing; run `accessibility run` again")
    districts = gpd.read_file(gpkg, layer="districts", engine="pyogrio").to_crs("EPSG:4326") if "districts" in names else None
    return study, union("main_urban_area"), districts

"""Batch runs: every area of a boundary file (e.g. all districts of a province) as tasks on Dask.

``accessibility batch --areas districts.json --osm zhejiang.osm.pbf --out runs/zj``

Each area is one independent task (:func:`run_area`):

1. its polygon is written to ``<out>/areas/<area>/area.geojson`` (WGS-84);
2. the OSM file is cut to the area's bounding box grown by ``buffer_m``
   (whole ways and multipolygons, as :func:`accessibility.readers.extract.extract_bbox`), so
   facilities and streets just over the boundary still count while the task
   reads only its own part of a province file. The batch reads the file once
   to select every area's objects (:func:`accessibility.readers.extract.select_boxes`);
   each task then writes its cut in one binary pass;
3. :func:`accessibility.pipeline.run` runs with the area as its ``boundary``:
   residents are counted only inside the area itself, facilities anywhere in
   the cut-out. With a buffer larger than the goals' thresholds (default
   2 km against 1 km / 15 minutes) the verdicts equal a run on the whole file
   with that boundary, unless the cut removes the only street connecting a
   part of the area (then that part would be dropped as detached anyway).

Tasks run on Dask distributed: a :class:`~distributed.LocalCluster` by
default, an existing cluster when a scheduler address is given (its workers
must see the same paths). A failing area is retried (``retries``) and then
reported with its error, without losing the other areas. An area whose run
folder is complete (``run/manifest.json`` is written last) and whose task
parameters are unchanged is skipped on a rerun, so an interrupted batch
resumes where it stopped.

Outputs in ``out``: ``batch_results.csv`` / ``.parquet`` (area, goal,
eligible, covered, share, passed), ``batch_status.csv`` (per area: status,
attempts, error, seconds), ``batch_report.md`` and ``batch_areas.gpkg``
(layer ``areas``: the polygons with ``share_<goal>`` and ``passed_<goal>``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import errors
from ..core import fileio, parallel, textsafe
from ..core.specs import number, option
from ..readers import areas, extract, osm
from . import folder as runfolder
from .inputs import AreaInput, GoalsInput, PopulationInput, RunOptions

__all__ = ["RESULT_COLUMNS", "BatchOptions", "BatchResult", "read_areas", "run_area", "run_batch"]

log = logging.getLogger(__name__)

RESULT_COLUMNS = ["area", "goal", "eligible", "covered", "share", "passed", "status", "data_coverage", "caveat"]
_NAME_FIELDS = ("name", "NAME", "Name", "名称", "district", "area", "county", "adcode")
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0
CLIP_IDS = "clip_ids.npz"  # in an area's folder: the node, way and relation ids of its extract, selected by the batch


@dataclass
class BatchResult:
    """What a batch produced (also written to its folder)."""

    table: pd.DataFrame  # RESULT_COLUMNS, one row per finished area and goal
    status: pd.DataFrame  # area, status (done/reused/failed), attempts, seconds, error, folder
    areas: gpd.GeoDataFrame  # polygons with per-goal shares
    out: Path
    files: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        return self.status.loc[self.status["status"] == "failed", "area"].tolist()


# --------------------------------------------------------------------------- areas


def _slug(text: str) -> str:
    s = re.sub(r"[^\w\-]+", "_", str(text), flags=re.UNICODE).strip("_")
    return s[:60] or "area"


def read_areas(path: str | Path, *, name_field: str | None = None, crs: str | None = None) -> gpd.GeoDataFrame:
    """Areas of a polygon file in WGS-84 with a unique ``area`` name and ``folder``.

    Parameters
    ----------
    path
        Polygon file (GeoJSON, GeoPackage, Shapefile, zip).
    name_field
        Attribute naming each area; default the first of ``name``, ``NAME``,
        ``名称``, ``district``... present, else ``area_<n>``.
    crs
        Declared CRS (``"gcj02"`` for DataV/AMap boundaries); default the file's.
    """
    frame, notes = areas.polygons_from_file(path, crs=crs, what="areas")
    for n in notes:
        log.info("%s", n)
    if name_field is not None and name_field not in frame.columns:
        raise errors.InputError(f"{path}: no attribute {name_field!r}; attributes are {[c for c in frame.columns if c != frame.geometry.name]}")
    field_ = name_field or next((c for c in _NAME_FIELDS if c in frame.columns), None)
    names = [str(v) for v in frame[field_]] if field_ else [f"area_{i + 1}" for i in range(len(frame))]
    seen: dict[str, int] = {}
    unique = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        unique.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return gpd.GeoDataFrame(
        {"area": unique, "folder": [f"{i:03d}_{_slug(n)}" for i, n in enumerate(unique)]},
        geometry=frame.geometry.to_numpy(),
        crs="EPSG:4326",
    )


def buffered_bbox(geom: shapely.Geometry, buffer_m: float) -> tuple[float, float, float, float]:
    """The area's lon/lat bounds grown by at least ``buffer_m`` metres on every side."""
    x0, y0, x1, y1 = geom.bounds
    dlat = buffer_m / _M_PER_DEG_LAT
    lat_far = min(max(abs(y0), abs(y1)) + dlat, 89.0)
    dlon = buffer_m / (_M_PER_DEG_LON * math.cos(math.radians(lat_far)))
    return (x0 - dlon, y0 - dlat, x1 + dlon, y1 + dlat)


# --------------------------------------------------------------------------- one area


def _task_digest(task: dict) -> str:
    keep = {k: v for k, v in task.items() if k not in ("folder", "cache_dir", "clip_ids")}
    return hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()


def _goal_rows(area: str, run_dir: Path) -> list[dict]:
    data = runfolder.open_run(run_dir).read_json("goals.json")
    return [
        {"area": area, "goal": g["id"], "eligible": g["eligible_pop"], "covered": g["covered_pop"], "share": g["share"], "passed": g["passed"],
         "status": g.get("status"), "data_coverage": g.get("data_coverage"), "caveat": (g.get("main_caveat") or {}).get("en")}
        for g in data["goals"]
    ]


def is_complete(folder: str | Path, task: dict | None = None) -> bool:
    """An area folder whose run finished (manifest written last) with the same task parameters."""
    folder = Path(folder)
    if not (folder / "task.json").is_file():
        return False
    try:
        runfolder.open_run(folder / "run")
    except errors.RunDirectoryError:
        return False
    if task is None:
        return True
    try:
        return json.loads((folder / "task.json").read_text(encoding="utf-8")).get("digest") == _task_digest(task)
    except (OSError, ValueError):
        return False


def run_area(task: dict) -> dict:
    """Run one area (a Dask task; also callable directly). Returns its goal rows and facts.

    ``task`` keys: ``area``, ``folder``, ``geometry_wkt`` (WGS-84), ``osm``,
    ``buffer_m``, ``clip``, ``cache_dir``, ``run`` (the population raster and
    goals of every area: ``population``, ``older``, ``goals``, ``layers_dir``, ``only``).
    Raises whatever the run raises (Dask retries it, then reports it).
    """
    from ..core.fileio import atomic_path
    from . import pipeline

    folder = Path(task["folder"])
    area = task["area"]
    if is_complete(folder, task):
        return {"area": area, "status": "reused", "rows": _goal_rows(area, folder / "run"), "seconds": 0.0}
    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "task.json").unlink(missing_ok=True)
    attempts_file = folder / "attempts.txt"
    attempts = int(attempts_file.read_text() or 0) + 1 if attempts_file.is_file() else 1
    attempts_file.write_text(str(attempts))
    geom = shapely.from_wkt(task["geometry_wkt"])
    area_file = folder / "area.geojson"
    with atomic_path(area_file) as tmp:
        gpd.GeoDataFrame({"area": [area]}, geometry=[geom], crs="EPSG:4326").to_file(tmp, driver="GeoJSON", engine="pyogrio")
    osm_path = Path(task["osm"])
    facts: dict = {}
    if task.get("clip", True):
        bbox = buffered_bbox(geom, float(task.get("buffer_m", 2000.0)))
        clipped = folder / "osm_clip.osm.pbf"
        facts["clip_bbox"] = bbox
        if task.get("clip_ids"):  # the batch selected every area's objects in one read of the file: one pass to write them
            with np.load(task["clip_ids"]) as ids:
                facts["clip"] = extract.extract_selection(osm_path, (ids["node"], ids["way"], ids["relation"]), bbox, clipped)
            facts["clip"]["selected_by_batch"] = True
        else:
            facts["clip"] = extract.extract_bbox(osm_path, bbox, clipped)
        if facts["clip"]["ways"] == 0:
            x0, y0, x1, y1 = geom.bounds
            raise errors.NoOverlapError(
                f"area {area!r} (lon {x0:.3f}-{x1:.3f}, lat {y0:.3f}-{y1:.3f}) does not overlap the OSM data in {osm_path.name}, "
                "even with its buffer; check the areas file and its coordinate system (--areas-crs)"
            )
        osm_path = clipped
    spec = task.get("run") or {}
    result = pipeline.run(
        osm_path,
        population=PopulationInput(raster=spec.get("population"), older=tuple(spec.get("older") or ())),
        areas=AreaInput(boundary=area_file),
        goals=GoalsInput(goals=spec.get("goals"), layers_dir=spec.get("layers_dir"), only=tuple(spec.get("only") or ())),
        options=RunOptions(cache=task.get("cache_dir")),
        out=folder / "run",
    )
    rows = [
        {"area": area, "goal": g.id, "eligible": g.eligible_pop, "covered": g.covered_pop, "share": g.share, "passed": g.passed,
         "status": g.status, "data_coverage": g.data_coverage, "caveat": (c.caveat("en") if (c := g.main_caveat()) else None)}
        for g in result.goals
    ]
    seconds = round(time.perf_counter() - t0, 3)
    with atomic_path(folder / "task.json") as tmp:  # the area's completion marker, with run/manifest.json
        tmp.write_text(json.dumps({"area": area, "digest": _task_digest(task), "seconds": seconds, "attempts": attempts, **facts}, ensure_ascii=False, default=str, indent=1), encoding="utf-8")
    return {"area": area, "status": "done", "rows": rows, "seconds": seconds}


# --------------------------------------------------------------------------- the batch


def _client(scheduler: str | None, n_workers: int | None, processes: bool):
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    import os

    n = n_workers or max(1, min(os.cpu_count() or 1, 4))
    # the workers share the cores: each area's run gets its share of threads (accessibility.parallel)
    threads = {parallel.THREADS_ENV: str(max(1, parallel.thread_count() // n))}
    # workers' own logs are silenced: a failing area is reported by the batch itself
    cluster = LocalCluster(
        n_workers=n, threads_per_worker=1, processes=processes, dashboard_address=":0", silence_logs=logging.CRITICAL,
        **({"env": threads} if processes else {}),
    )
    return Client(cluster), cluster


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs its areas (the command line's ``accessibility batch`` options).

    Attributes
    ----------
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); default a
        LocalCluster on this machine.
    workers, processes
        LocalCluster size (default: cores, at most 4) and whether workers are processes (default) or threads.
    name_field, areas_crs
        See :func:`read_areas`.
    buffer_m
        The OSM data is cut to each area's bounding box grown by this much.
    clip
        ``False``: every area runs on the whole file (slower; for checks).
    retries
        Extra attempts of a failing area before it is reported as failed.
    only
        Run only these area names.
    cache
        Network cache (see :mod:`accessibility.network.cache`), shared by the workers.
    """

    scheduler: str | None = option("--scheduler", "running Dask scheduler (tcp://host:8786); default a local cluster", metavar="ADDRESS")
    workers: int | None = option("--workers", "local cluster: worker processes (default: cores, at most 4)", metavar="N",
                                 parse=number(1, 256, "worker processes", integer=True))
    processes: bool = True
    name_field: str | None = option("--name-field", "attribute naming each area (default: name/NAME/名称...)", metavar="NAME")
    areas_crs: str | None = option("--areas-crs", "declared CRS of the areas file, e.g. gcj02 for DataV/AMap boundaries", metavar="CRS")
    buffer_m: float = option("--buffer-m", "cut the OSM data to each area's box grown by this (default 2000 m)", default=2000.0, metavar="M",
                             parse=number(0, 100_000, "metres"))
    clip: bool = True
    retries: int = option("--retries", "extra attempts of a failing area (default 2)", default=2, metavar="N", parse=number(0, 100, "attempts", integer=True))
    only: tuple[str, ...] = option("--area", "run only this area (repeatable)", metavar="NAME", repeat=True)
    cache: str | Path | bool | None = None


def run_batch(
    areas_file: str | Path,
    osm_path: str | Path,
    out: str | Path,
    *,
    population: PopulationInput | str | Path | None = None,
    goals: GoalsInput | str | Path | Sequence[str] | None = None,
    options: BatchOptions | None = None,
    progress: Callable[[dict], None] | None = None,
    client: Any = None,
) -> BatchResult:
    """Run every area of ``areas_file`` as a Dask task and combine the results.

    Parameters
    ----------
    areas_file
        Polygon file of the areas (districts, counties...).
    osm_path
        OSM extract covering them (e.g. the province).
    out
        Batch folder: ``areas/<area>/`` run folders and the combined outputs.
    population
        A population raster (or :class:`~accessibility.run.inputs.PopulationInput` with
        rasters) covering every area; default the estimate.
    goals
        The goals of every area (as for :func:`~accessibility.run.pipeline.run`).
    options
        :class:`BatchOptions`.
    progress
        Called with each finished area's record.
    client
        An existing ``distributed.Client`` to use instead.

    Returns
    -------
    BatchResult
    """
    opts = options or BatchOptions()
    pop, goal_spec = PopulationInput.of(population), GoalsInput.of(goals)
    if pop.zones is not None:
        raise errors.InputError("a batch takes a population raster (or the estimate) for every area, not census zones; run each area with its zones")
    if goal_spec.goals is not None and not isinstance(goal_spec.goals, (str, Path)):
        raise errors.InputError("a batch takes its goals as a goals TOML file (or goal ids), so every worker reads the same")
    scheduler, n_workers, processes, name_field, areas_crs = opts.scheduler, opts.workers, opts.processes, opts.name_field, opts.areas_crs
    buffer_m, clip, retries, only, cache_dir = opts.buffer_m, opts.clip, opts.retries, opts.only, opts.cache

    def resolved(p: str | Path | None) -> str | None:
        return str(Path(p).resolve()) if p is not None else None

    run_spec = {
        "population": resolved(pop.raster), "older": [resolved(p) for p in pop.older], "goals": resolved(goal_spec.goals),
        "layers_dir": resolved(goal_spec.layers_dir), "only": list(goal_spec.only),
    }
    from distributed import as_completed

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise errors.RunDirectoryError(f"batch folder {out} is a file; give a folder name (it is created)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise errors.RunDirectoryError(f"batch folder {out}: cannot be created ({exc.strerror}); choose a folder you can write to") from None
    osm_path = osm.check_osm_path(osm_path).resolve()
    frame = read_areas(areas_file, name_field=name_field, crs=areas_crs)
    if only:
        unknown = sorted(set(only) - set(frame["area"]))
        if unknown:
            raise errors.InputError(f"unknown area(s) {unknown}; areas are {frame['area'].tolist()}")
        frame = frame[frame["area"].isin(only)].reset_index(drop=True)
    tasks = [
        {
            "area": row.area,
            "folder": str((out / "areas" / row.folder).resolve()),
            "geometry_wkt": shapely.to_wkt(row.geometry, rounding_precision=-1),
            "osm": str(osm_path),
            "osm_sha256": _sha(osm_path),
            "buffer_m": float(buffer_m),
            "clip": bool(clip),
            "cache_dir": str(Path(cache_dir).resolve()) if isinstance(cache_dir, (str, Path)) else cache_dir,
            "run": run_spec,
        }
        for row in frame.itertuples()
    ]
    records: dict[str, dict] = {}
    todo = []
    for task in tasks:
        if is_complete(task["folder"], task):
            rec = {"area": task["area"], "status": "reused", "rows": _goal_rows(task["area"], Path(task["folder"]) / "run"), "seconds": 0.0}
            records[task["area"]] = rec
            if progress:
                progress(rec)
        else:
            todo.append(task)
    log.info("batch: %d areas, %d already complete, %d to run", len(tasks), len(tasks) - len(todo), len(todo))
    if clip and len(todo) > 1:
        _select_once(osm_path, todo)
    if todo:
        own = client is None
        cluster = None
        if own:
            client, cluster = _client(scheduler, n_workers, processes)
        try:
            token = uuid.uuid4().hex[:8]
            futures = {client.submit(run_area, t, retries=retries, pure=False, key=f"area-{i}-{token}"): t for i, t in enumerate(todo)}
            for fut in as_completed(list(futures)):
                task = futures[fut]
                if fut.status == "finished":
                    rec = fut.result()
                else:
                    error = fut.exception()
                    rec = {
                        "area": task["area"],
                        "status": "failed",
                        "rows": [],
                        "seconds": None,
                        "error": f"{type(error).__name__}: {error}",
                    }
                    err_file = Path(task["folder"]) / "error.txt"
                    err_file.parent.mkdir(parents=True, exist_ok=True)
                    tb = fut.traceback()
                    err_file.write_text(rec["error"] + "\n\n" + "".join(traceback.format_tb(tb)) if tb is not None else rec["error"] + "\n", encoding="utf-8")
                attempts_file = Path(task["folder"]) / "attempts.txt"
                rec["attempts"] = int(attempts_file.read_text() or 0) if attempts_file.is_file() else None
                records[task["area"]] = rec
                if progress:
                    progress(rec)
                fut.release()
        finally:
            if own:
                client.close()
                if cluster is not None:
                    cluster.close()
    return _combine(frame, tasks, records, out)


def _select_once(osm_path: Path, todo: list[dict]) -> None:
    """Select every area's nodes, ways and relations from one read of the OSM file, saved in its folder for its task.

    Cutting a province file for each area read the whole file three times per
    area; now it is read once here and each task writes its extract in one
    binary pass (:func:`~accessibility.readers.extract.extract_selection`).
    A file that must first be sorted or repaired is cut by each area as before.
    """
    t0 = time.perf_counter()
    boxes = [buffered_bbox(shapely.from_wkt(t["geometry_wkt"]), float(t["buffer_m"])) for t in todo]
    chosen = extract.select_boxes(osm_path, boxes)
    if chosen is None:
        return
    for task, (node, way, relation) in zip(todo, chosen, strict=True):
        folder = Path(task["folder"])
        folder.mkdir(parents=True, exist_ok=True)
        with fileio.atomic_path(folder / CLIP_IDS) as tmp, tmp.open("wb") as f:
            np.savez(f, node=node, way=way, relation=relation)
        task["clip_ids"] = str(folder / CLIP_IDS)
    log.info("batch: %d areas' objects selected in one read of %s in %.1f s", len(todo), osm_path.name, time.perf_counter() - t0)


def _sha(path: Path) -> str:
    from ..network.cache import file_sha256

    return file_sha256(path)


def _combine(frame: gpd.GeoDataFrame, tasks: list[dict], records: dict[str, dict], out: Path) -> BatchResult:
    from ..core.fileio import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    rows = [r for t in tasks for r in records.get(t["area"], {}).get("rows", [])]
    table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    table["passed"] = table["passed"].astype("boolean")
    for c in ("eligible", "covered", "share", "data_coverage"):
        table[c] = pd.to_numeric(table[c]).astype(np.float64)
    status = pd.DataFrame(
        [
            {
                "area": t["area"],
                "status": records.get(t["area"], {}).get("status", "not run"),
                "attempts": records.get(t["area"], {}).get("attempts"),
                "seconds": records.get(t["area"], {}).get("seconds"),
                "error": records.get(t["area"], {}).get("error", ""),
                "folder": t["folder"],
            }
            for t in tasks
        ]
    )
    layer = frame[["area", "geometry"]].merge(status[["area", "status", "error"]], on="area", how="left")
    if len(table):
        wide_share = table.pivot(index="area", columns="goal", values="share").add_prefix("share_")
        wide_pass = table.pivot(index="area", columns="goal", values="passed").add_prefix("passed_")
        wide_status = table.pivot(index="area", columns="goal", values="status").add_prefix("status_")
        layer = layer.merge(wide_share.join(wide_pass).join(wide_status), left_on="area", right_index=True, how="left")
    layer = gpd.GeoDataFrame(layer, geometry="geometry", crs="EPSG:4326")
    files = [out / "batch_results.csv", out / "batch_results.parquet", out / "batch_status.csv", out / "batch_report.md", out / "batch_areas.gpkg"]
    with atomic_path(files[0]) as tmp:
        fileio.spreadsheet_safe(table).to_csv(tmp, index=False, encoding="utf-8")
    with atomic_path(files[1]) as tmp:
        table.to_parquet(tmp, index=False)
    with atomic_path(files[2]) as tmp:
        fileio.spreadsheet_safe(status).to_csv(tmp, index=False, encoding="utf-8")
    with atomic_path(files[3]) as tmp:
        tmp.write_text(_report(table, status), encoding="utf-8")
    gpkg_layer = layer.copy()
    for c in gpkg_layer.columns:
        if c != "geometry" and gpkg_layer[c].dtype == object:
            gpkg_layer[c] = gpkg_layer[c].astype("string")
        elif c.startswith("passed_"):
            gpkg_layer[c] = gpkg_layer[c].astype("boolean")
    with atomic_path(files[4]) as tmp:
        gpkg_layer.to_file(tmp, layer="areas", driver="GPKG", engine="pyogrio")
    return BatchResult(table=table, status=status, areas=layer, out=out, files=files)


def _pct(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def _report(table: pd.DataFrame, status: pd.DataFrame) -> str:
    n = len(status)
    counts = status["status"].value_counts().to_dict()
    lines = [
        "# Batch report",
        "",
        (
            f"- Areas: {n}; finished now: {counts.get('done', 0)}; reused from an earlier run: {counts.get('reused', 0)}; "
            f"failed: {counts.get('failed', 0)}"
        ),
        "",
    ]
    if len(table):
        goals = list(dict.fromkeys(table["goal"]))
        lines += ["| area | " + " | ".join(f"`{g}`" for g in goals) + " |", "|---|" + "---:|" * len(goals)]
        for area, grp in table.groupby("area", sort=False):
            by = grp.set_index("goal")
            cells = []
            for g in goals:
                if g not in by.index:
                    cells.append("-")
                    continue
                share, passed = by.at[g, "share"], by.at[g, "passed"]
                verdict = by.at[g, "status"] if "status" in by.columns else None
                if verdict == "incomplete_data":
                    cov = by.at[g, "data_coverage"]
                    mark = f" INCOMPLETE DATA (data covers {_pct(cov)})"
                else:
                    mark = "" if passed is pd.NA or passed is None else (" PASS" if bool(passed) else " FAIL")
                cells.append(_pct(share) + mark)
            lines.append(f"| {textsafe.md_escape(area)} | " + " | ".join(cells) + " |")
        lines += ["", "Shares of the eligible population covered (the goal's population group, inside the area).", ""]
    failed = status[status["status"] == "failed"]
    if len(failed):
        lines += ["## Failed areas", ""]
        for r in failed.itertuples():
            lines.append(f"- **{textsafe.md_escape(r.area)}** (after {r.attempts or '?'} attempts): {textsafe.md_escape(r.error)}  (details: `{Path(r.folder) / 'error.txt'}`)")
        lines.append("")
    lines += ["Per-area run folders: `areas/<area>/run/`. Map data © OpenStreetMap contributors (ODbL).", ""]
    return "\n".join(lines)

"""A finished run, read back for the briefing outputs (map, PNG, report).

:class:`RunData` holds what :mod:`accessibility.maps` and
:mod:`accessibility.report` need, read from a run folder written by
:func:`accessibility.outputs.write_run` or taken from an in-memory
:class:`~accessibility.pipeline.RunResult` (no re-reading).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..core import columns
from .. import errors
from . import folder as runfolder

if TYPE_CHECKING:
    from .pipeline import RunResult

__all__ = ["RunData", "load_run"]

log = logging.getLogger(__name__)


def _json_safe(obj: Any) -> Any:
    """NaN/inf to None and numpy scalars to Python ones (what goals.json holds)."""
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


@dataclass
class RunData:
    """The parts of a run the briefing outputs use.

    Attributes
    ----------
    run_dir
        The run folder (outputs are written here by default).
    hexes
        H3 hexagons with per-service minutes and per-goal columns.
    facilities
        Every facility with its ``status`` (``used`` or the reason it is not).
    goals
        Goal verdicts as in ``goals.json`` (list of dicts, ``by_district`` when given).
    meta
        The rest of ``goals.json``: population sources, estimate flag, notes.
    manifest
        ``manifest.json``.
    study_area, main_urban_area
        WGS-84 polygons (the main urban area is ``None`` when not given).
    districts
        District polygons (``district_name``) when the run had districts.
    """

    run_dir: Path
    hexes: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    goals: list[dict]
    meta: dict
    manifest: dict
    study_area: shapely.Geometry | None
    main_urban_area: shapely.Geometry | None = None
    districts: gpd.GeoDataFrame | None = None
    folder: runfolder.RunFolder | None = field(default=None, repr=False)
    _demand: pd.DataFrame | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_folder(cls, run_dir: str | Path | runfolder.RunFolder) -> RunData:
        """Read a run folder written by ``accessibility run`` (checked against its manifest)."""
        rf = run_dir if isinstance(run_dir, runfolder.RunFolder) else runfolder.open_run(run_dir)
        hexes = rf.read_table("hexes.parquet", geo=True)
        fac = rf.read_table("facilities.parquet", geo=True)
        goals_doc = rf.read_json("goals.json")
        study = mua = None
        districts = None
        gpkg = rf.file("results.gpkg") if rf.has("results.gpkg") else None
        names = {str(row[0]) for row in pyogrio.list_layers(gpkg)} if gpkg is not None else set()
        if gpkg is None:
            log.warning("%s: results.gpkg is missing; the map has no study-area outline", rf.path)
        if "study_area" in names:
            study = _union(gpd.read_file(gpkg, layer="study_area", engine="pyogrio"))
        if "main_urban_area" in names:
            mua = _union(gpd.read_file(gpkg, layer="main_urban_area", engine="pyogrio"))
        if "districts" in names:
            districts = gpd.read_file(gpkg, layer="districts", engine="pyogrio").to_crs("EPSG:4326")
        goals = list(goals_doc.get("goals", []))
        meta = {k: v for k, v in goals_doc.items() if k != "goals"}
        return cls(rf.path, hexes, fac, goals, meta, rf.manifest, study, mua, districts, folder=rf)

    @classmethod
    def from_result(cls, result: RunResult, run_dir: str | Path) -> RunData:
        """Use an in-memory :class:`~accessibility.pipeline.RunResult` (outputs go to ``run_dir``)."""
        by_district = getattr(result, "by_district", None) or {}
        goals = []
        for g in result.goals:
            d = _json_safe(g.to_dict())
            if g.id in by_district:
                d["by_district"] = _json_safe(by_district[g.id])
            goals.append(d)
        meta = {
            "population_source": result.demand.source,
            "older_population_source": result.demand.older_source,
            "population_is_estimate": result.demand.is_estimate,
            "notes": list(result.notes),
        }
        districts = getattr(result, "districts", None)
        folder = None
        if runfolder.is_run_folder(run_dir):  # files added after the run (suggestions, isochrones) are shown too
            try:
                folder = runfolder.open_run(run_dir)
            except errors.RunDirectoryError as exc:
                log.warning("%s", exc)
        return cls(
            Path(run_dir),
            result.hexes,
            result.facilities,
            goals,
            meta,
            _json_safe(dict(result.manifest)),
            result.study_area,
            result.main_urban_area,
            districts,
            folder=folder,
            _demand=result.point_costs,
        )

    # ------------------------------------------------------------------ accessors
    @property
    def services(self) -> list[str]:
        """Service ids of the run (those with a minutes column in the hexes)."""
        listed = list(self.manifest.get("services") or [])
        if not listed:
            suffix = columns.name("mean_time_min", "")
            listed = [c[: -len(suffix)] for c in self.hexes.columns if c.endswith(suffix)]
        return [s for s in listed if columns.name("mean_time_min", s) in self.hexes.columns]

    def goal(self, goal_id: str) -> dict:
        for g in self.goals:
            if g["id"] == goal_id:
                return g
        raise KeyError(f"no goal {goal_id!r} in this run; goals are {[g['id'] for g in self.goals]}")

    def demand_points(self) -> pd.DataFrame:
        """Per resident point: pop, older and per-service ``<service>_dist_m`` (read once)."""
        if self._demand is None:
            if self.folder is None:
                raise errors.RunDirectoryError(f"{self.run_dir}: not a complete run folder; run `accessibility run` first")
            self._demand = self.folder.read_table("demand_points.parquet")
        return self._demand

    @property
    def max_snap_m(self) -> float:
        return float((self.manifest.get("options") or {}).get("max_snap_m", 300.0))

    @property
    def walk_speed_m_s(self) -> float:
        """Speed behind the hexes' minutes (distance / time of their columns; 1.0 m/s if unknown)."""
        for s in self.services:
            d = self.hexes[columns.name("dist_m", s)].to_numpy(np.float64) if columns.name("dist_m", s) in self.hexes else None
            t = self.hexes[columns.name("mean_time_min", s)].to_numpy(np.float64)
            if d is None:
                continue
            ok = np.isfinite(d) & np.isfinite(t) & (t > 0)
            if ok.any():
                return round(float(np.median(d[ok] / (t[ok] * 60.0))), 3)
        return 1.0

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the study area, else of the hexagons."""
        if self.study_area is not None and not shapely.is_empty(self.study_area):
            return tuple(float(v) for v in shapely.bounds(self.study_area))  # type: ignore[return-value]
        return tuple(float(v) for v in self.hexes.total_bounds)  # type: ignore[return-value]


def _union(frame: gpd.GeoDataFrame) -> shapely.Geometry | None:
    if frame.empty:
        return None
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    return shapely.union_all(frame.geometry.to_numpy())


def load_run(run_dir: str | Path, *, result: RunResult | None = None) -> RunData:
    """Read ``run_dir`` (or use ``result`` when given) as :class:`RunData`."""
    return RunData.from_result(result, run_dir) if result is not None else RunData.from_folder(run_dir)

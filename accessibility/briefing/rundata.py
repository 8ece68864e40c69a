"""The briefing's view of a finished run: what the map, its picture and the report show.

:class:`RunData` is made from a :class:`~accessibility.run.result.RunResult`,
in memory or read from its folder by :func:`accessibility.run.read.read_run`
(the one reader of run folders): goals as the plain records of ``goals.json``,
notes and warnings with their text in each language, and the files added to
the folder after the run (suggestions, isochrones).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from ..core import columns
from ..core.notes import Note
from ..run import folder as runfolder
from ..run.read import read_run
from ..run.result import RunResult
from ..run.write import goals_document

__all__ = ["RunData", "load_run", "note_text"]

log = logging.getLogger(__name__)


def note_text(note: Note | dict | str, lang: str) -> str:
    """The text of a note (a record of ``goals.json``, a :class:`~accessibility.core.notes.Note` or a plain message) in ``lang``."""
    if isinstance(note, str):
        return Note(note).text(lang)
    return (note if isinstance(note, Note) else Note.from_dict(note)).text(lang)


@dataclass
class RunData:
    """The parts of a run the briefing outputs use.

    Attributes
    ----------
    run_dir
        Where the briefing files go by default (the run folder).
    hexes, facilities
        As in the run.
    goals
        Goal verdicts as in ``goals.json`` (records, ``by_district`` when given).
    meta
        The rest of ``goals.json``: population sources, estimate flag, notes.
    manifest
        ``manifest.json``.
    study_area, main_urban_area
        WGS-84 polygons (the main urban area is ``None`` when not given).
    districts
        District polygons (``district_name``) when the run had districts.
    folder
        The run folder (files added after the run: suggestions, isochrones), if any.
    service_ids
        Service ids of the run.
    walk_speed_m_s
        The run's walking speed (its recipe's), which turned the hexes' distances into minutes.
    points
        Per resident point: pop, older and per-service ``<service>_dist_m`` (``demand_points.parquet``).
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
    service_ids: list[str] = field(default_factory=list)
    walk_speed_m_s: float = 1.0
    points: pd.DataFrame | None = field(default=None, repr=False)

    @classmethod
    def from_result(cls, result: RunResult, run_dir: str | Path | None = None) -> RunData:
        """The view of ``result``; briefing files go to ``run_dir`` (default: the run's folder)."""
        doc = goals_document(result)
        goals = doc.pop("goals")
        target = Path(run_dir) if run_dir is not None else result.folder
        if target is None:
            raise ValueError("the run was not written to a folder: give run_dir, where the briefing files go")
        rf = None
        if result.folder is not None and target.resolve() == Path(result.folder).resolve():
            rf = runfolder.open_run(result.folder)
        elif runfolder.is_run_folder(target):
            try:
                rf = runfolder.open_run(target)
            except Exception as exc:  # noqa: BLE001 - a folder that is not this run's is only a place to write
                log.warning("%s", exc)
        return cls(target, result.hexes, result.facilities, goals, doc, dict(result.manifest), result.study_area, result.main_urban_area,
                   result.districts, folder=rf, service_ids=result.services, walk_speed_m_s=result.speed_m_s("walk"), points=result.point_costs)

    @property
    def services(self) -> list[str]:
        """Service ids of the run (those with a minutes column in the hexes)."""
        return [s for s in self.service_ids if columns.name("mean_time_min", s) in self.hexes.columns]

    def goal(self, goal_id: str) -> dict:
        """The record of ``goal_id`` as in ``goals.json``."""
        for g in self.goals:
            if g["id"] == goal_id:
                return g
        raise KeyError(f"no goal {goal_id!r} in this run; goals are {[g['id'] for g in self.goals]}")

    def notes(self, lang: str) -> list[str]:
        """The run's notes in ``lang`` (warnings first)."""
        records = sorted(self.meta.get("notes", []), key=lambda n: n.get("severity") != "warning" if isinstance(n, dict) else True)
        return [note_text(n, lang) for n in records]

    def demand_points(self) -> pd.DataFrame:
        """Per resident point: pop, older and per-service ``<service>_dist_m``."""
        if self.points is None:
            from .. import errors

            raise errors.RunDirectoryError(f"{self.run_dir}: the run's demand points are not at hand; read the run with accessibility.run.read.read_run")
        return self.points

    @property
    def max_snap_m(self) -> float:
        return float((self.manifest.get("options") or {}).get("max_snap_m", 300.0))

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the study area, else of the hexagons."""
        geom = self.study_area if self.study_area is not None and not shapely.is_empty(self.study_area) else None
        b = shapely.bounds(geom) if geom is not None else self.hexes.total_bounds
        return float(b[0]), float(b[1]), float(b[2]), float(b[3])

    def info(self) -> dict[str, Any]:
        """Population facts (the meta of ``goals.json``)."""
        return {k: v for k, v in self.meta.items() if k != "notes"}


def load_run(run: RunResult | str | Path, *, result: RunResult | None = None) -> RunData:
    """The briefing view of a run: ``run`` (a result, or a folder read with :func:`~accessibility.run.read.read_run`).

    ``result`` (an in-memory run) with a folder ``run`` writes the briefing there
    without reading the folder.
    """
    if result is not None:
        return RunData.from_result(result, run if not isinstance(run, RunResult) else None)
    if isinstance(run, RunResult):
        return RunData.from_result(run)
    return RunData.from_result(read_run(run))

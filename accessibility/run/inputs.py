"""What a run is given: frozen, validated specs, one per kind of input.

:func:`~accessibility.run.pipeline.run` takes an OSM file and these specs; the
command line builds them from options generated from their fields
(:mod:`accessibility.core.specs`).

* :class:`PopulationInput` -- a raster (with older-age rasters), census zones,
  or (neither) an estimate from buildings or streets;
* :class:`AreaInput` -- the study area, the main urban area and districts;
* :class:`GoalsInput` -- which goals, from which files;
* :class:`~accessibility.readers.facility_files.FacilityInput` -- planners' facility lists;
* :class:`RunOptions` -- hexagon resolution, snapping, older share, estimate assumptions, cache.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import config, errors
from ..core.specs import number, option
from ..readers import sources
from ..readers.facility_files import FacilityInput
from ..readers.zones import DistrictInput, ZoneInput
from ..stages import goals as goals_mod
from ..stages import hexes, population
from ..stages.calibration import CensusInput

log = logging.getLogger(__name__)

__all__ = ["AreaInput", "CensusInput", "DistrictInput", "FacilityInput", "GoalsInput", "PopulationInput", "RunOptions", "ZoneInput"]


@dataclass(frozen=True)
class PopulationInput:
    """Where the residents come from: a raster, census zones, or (neither) an estimate.

    Attributes
    ----------
    raster
        Total-population GeoTIFF (WorldPop style, any CRS): one demand point per populated pixel.
    older
        Older-age GeoTIFFs, summed (else the run's older share of the total).
    zones
        Census zones with counts (:class:`~accessibility.readers.zones.ZoneInput`), instead of rasters.
    census
        Census counts per district (:class:`~accessibility.stages.calibration.CensusInput`): the
        residents of each district are scaled to its count (needs districts in the areas).
    """

    raster: str | Path | None = option("--population", "total-population GeoTIFF (WorldPop style, any CRS)", metavar="RASTER")
    older: tuple[str | Path, ...] = option("--older-population", "older-age GeoTIFF; repeat to sum age/sex bands", metavar="RASTER", repeat=True)
    zones: ZoneInput | None = None
    census: CensusInput | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "older", tuple(self.older))
        if self.census is not None and not isinstance(self.census, CensusInput):  # a file or a DataFrame
            object.__setattr__(self, "census", CensusInput(self.census))
        if self.zones is not None and (self.raster is not None or self.older):
            raise errors.InputError("give the population either as zones (--zones) or as rasters (--population/--older-population), not both")
        if self.zones is not None and self.census is not None:
            raise errors.InputError("zones already carry census counts: give --zones or --district-population, not both")

    @property
    def kind(self) -> str:
        """``"raster"``, ``"zones"`` or ``"estimate"``."""
        if self.zones is not None:
            return "zones"
        return "raster" if self.raster is not None or self.older else "estimate"

    @property
    def needs_buildings(self) -> bool:
        """Whether the run must read OSM buildings (an estimate, zones spread over buildings, or only older rasters)."""
        return self.raster is None and (self.zones is None or self.zones.spread == "buildings")

    @classmethod
    def of(cls, value: PopulationInput | str | Path | None) -> PopulationInput:
        """A spec from a spec, a raster path, or ``None`` (an estimate)."""
        if isinstance(value, PopulationInput):
            return value
        return cls() if value is None else cls(raster=value)


@dataclass(frozen=True)
class AreaInput:
    """The areas a run reports on.

    Attributes
    ----------
    boundary
        Study-area polygons (any vector format and CRS, or a GeoDataFrame or
        shapely polygon in WGS-84). Default: the convex hull of the street network.
    main_urban_area
        Main urban area (主城区) polygons, for goals with ``area = "main_urban_area"``.
    crs
        Declared coordinate system of ``boundary`` and ``main_urban_area``
        (``gcj02`` for DataV/AMap files, which claim WGS-84); default the files'.
    districts
        Districts for per-district results (a file or a
        :class:`~accessibility.readers.zones.DistrictInput`).
    """

    boundary: sources.Source | None = option("--boundary", "study-area polygons (GeoJSON/GPKG/SHP, any CRS); default: the network's hull", metavar="FILE")
    main_urban_area: sources.Source | None = option("--main-urban-area", "main urban area (主城区) polygons for the elderly-care goal", metavar="FILE")
    crs: str | None = option("--boundary-crs", "declared CRS of --boundary and --main-urban-area (gcj02 for DataV/AMap files)", metavar="CRS")
    districts: DistrictInput | None = None

    def __post_init__(self) -> None:
        if self.districts is not None and not isinstance(self.districts, DistrictInput):  # a file or a GeoDataFrame
            object.__setattr__(self, "districts", DistrictInput(self.districts))

    @classmethod
    def of(cls, value: AreaInput | sources.Source | None) -> AreaInput:
        """A spec from a spec, a boundary (file, GeoDataFrame or polygon), or ``None`` (the network's hull)."""
        if isinstance(value, AreaInput):
            return value
        return cls() if value is None else cls(boundary=value)


@dataclass(frozen=True)
class GoalsInput:
    """Which goals a run checks.

    Attributes
    ----------
    goals
        A goals TOML, or the goals themselves (:class:`~accessibility.config.Goal`);
        default the shipped ``layers/goals.toml``.
    layers_dir
        Folder of service TOMLs (default: the shipped ``layers/``).
    only
        Check only these goal ids.
    provisions
        With goals given by value: the goals file whose ``[[provision]]`` tables go with
        them (a scenario of a run given ``--goals FILE`` keeps that file's indicators).
    """

    goals: str | Path | tuple[config.Goal, ...] | None = option("--goals", "goals TOML (default: layers/goals.toml)", metavar="FILE")
    layers_dir: str | Path | None = option("--layers", "folder of service TOMLs (default: layers/)", metavar="DIR")
    only: tuple[str, ...] = option("--goal", "evaluate only this goal id (repeatable)", metavar="ID", repeat=True)
    provisions: str | Path | None = None

    @property
    def provisions_file(self) -> Path | None:
        """The goals file of the run's provision indicators: ``goals`` when it is a file, else ``provisions``; ``None``: the shipped ones."""
        if isinstance(self.goals, (str, Path)):
            return Path(self.goals)
        return Path(self.provisions) if self.provisions is not None else None

    def __post_init__(self) -> None:
        if self.goals is not None and not isinstance(self.goals, (str, Path)):
            object.__setattr__(self, "goals", tuple(self.goals))
        object.__setattr__(self, "only", tuple(self.only or ()))

    @classmethod
    def of(cls, value: GoalsInput | str | Path | Sequence[config.Goal] | Sequence[str] | None) -> GoalsInput:
        """A spec from a spec, a goals file, goals, goal ids (of the default goals), or ``None`` (every default goal)."""
        if isinstance(value, GoalsInput):
            return value
        if value is None or isinstance(value, (str, Path)):
            return cls(goals=value)
        items: list[Any] = list(value)  # goal ids or goals, told apart below
        if items and all(isinstance(v, str) for v in items):
            return cls(only=tuple(items))
        return cls(goals=tuple(items))

    def load(self) -> tuple[dict[str, config.ServiceLayer], tuple[config.Goal, ...]]:
        """The services and the goals to check (validated against each other)."""
        services = config.load_services(self.layers_dir)
        if self.goals is None or isinstance(self.goals, (str, Path)):
            goals = config.load_goals(self.goals, services=services)
        else:
            goals = tuple(self.goals)
            for g in goals:
                unknown = [s for s in g.services if s not in services]
                if unknown:
                    raise errors.ConfigError(f"goal '{g.id}' names unknown service(s) {unknown}; known: {sorted(services)}")
        if self.only:
            unknown = sorted(set(self.only) - {g.id for g in goals})
            if unknown:
                raise errors.ConfigError(f"unknown goal id(s) {unknown}; goals are {[g.id for g in goals]}")
            goals = tuple(g for g in goals if g.id in self.only)
        return services, goals

    def provision_walkers(self, services: dict[str, config.ServiceLayer]) -> dict[str, config.Walker]:
        """The walkers of the goals file's provision indicators whose time catchments they measure (none for goals given as objects).

        A run given a DEM computes slopes for them too, so that ``accessibility provision``
        can measure those catchments with them.
        """
        path = self.provisions_file
        if path is None and self.goals is not None:  # goals of the caller's own, no file: no provisions of theirs
            return {}
        if path is not None and not isinstance(self.goals, (str, Path)) and not path.is_file():
            # a scenario whose run's goals file has moved: its goals are by value; provision says what is missing
            log.info("goals file %s of the provision indicators is gone: no slopes for their walkers", path)
            return {}
        return {p.walker.id: p.walker for p in config.load_provisions(path, services=services) if p.walker_weight is not None and p.walker is not None}


@dataclass(frozen=True)
class RunOptions:
    """Options of a run (all recorded in the manifest).

    Attributes
    ----------
    resolution
        H3 resolution of the reporting hexagons (see :mod:`~accessibility.stages.hexes`).
    max_snap_m
        Facilities farther than this from every street are reported, not used.
    reach_m
        Polygon facilities get an access point on every street within this distance.
    older_share
        Older people as a share of the total when no older-age raster is given.
    estimate
        Assumptions of the population estimate when no raster is given.
    complete_share
        Least share of an area (of its people, where a raster or zones place
        them) the data must cover for a goal on it to pass or fail
        (:mod:`~accessibility.stages.coverage`); below it, INCOMPLETE DATA.
    cache
        Cache of parsed networks and OSM features (:mod:`~accessibility.network.cache`), and of
        what a rerun reuses: the residents' positions, the hexagons and the facilities' access points (:mod:`~accessibility.run.reuse`):
        ``None`` the default folder (``$ACCESSIBILITY_CACHE`` or ``networks/cache/``),
        a folder, or ``False`` to parse the OSM file and place the residents every time.
    elevation
        A DEM GeoTIFF (ground heights in metres, any CRS): walking time goals whose walker
        profile feels slopes (``walker`` in goals.toml) slow down uphill
        (:mod:`~accessibility.run.walking`). Without it they walk on the flat.
    """

    resolution: int = option("--resolution", "H3 resolution of the hexagons (default 9, ~0.1 km²)", default=hexes.DEFAULT_RESOLUTION,
                             metavar="RES", parse=number(0, 15, "an H3 resolution", integer=True))
    max_snap_m: float = option("--max-snap-m", "facilities farther from any street are reported, not used (default 300)", default=300.0,
                               metavar="M", parse=number(0, 10_000, "metres", lo_open=True))
    reach_m: float = option("--reach-m", "polygon facilities get an access point on every street this close (default 30)", default=30.0,
                            metavar="M", parse=number(0, 1000, "metres"))
    older_share: float | None = option("--older-share", "older people as a share of the total when no older raster (default 0.187, Zhejiang 2020 60+)",
                                       metavar="SHARE", parse=number(0, 1, "a fraction, e.g. 0.187 for 18.7%"))
    complete_share: float = option(
        "--complete-share", "least share of an area (of its people, where a raster or zones place them) the data must cover for a pass or fail (default 0.95)",
        default=goals_mod.COMPLETE_SHARE, metavar="SHARE", parse=number(0, 1, "a fraction, e.g. 0.95 for 95%", lo_open=True),
    )
    estimate: population.EstimateAssumptions = field(default_factory=population.EstimateAssumptions)
    cache: str | Path | bool | None = None
    elevation: Path | None = option(
        "--elevation", "DEM GeoTIFF (ground heights in metres, any CRS): slopes slow the walkers of time goals that feel them (walker in goals.toml)",
        metavar="DEM",
    )

    def __post_init__(self) -> None:
        if isinstance(self.resolution, bool) or not isinstance(self.resolution, (int, np.integer)) or not 0 <= self.resolution <= 15:
            raise errors.InputError(f"resolution is an H3 resolution, a whole number from 0 to 15 (9 is ~0.1 km² hexagons); got {self.resolution!r}")
        for name, value, lo, hi in (("max_snap_m", self.max_snap_m, 0.0, 10_000.0), ("reach_m", self.reach_m, 0.0, 1_000.0)):
            if not isinstance(value, (int, float, np.number)) or isinstance(value, bool) or not math.isfinite(value) or not lo <= value <= hi or (name == "max_snap_m" and value == 0):
                raise errors.InputError(f"{name} is a distance in metres, more than {lo:g} and at most {hi:g}; got {value!r}")
        if self.older_share is not None:
            population.check_older_share(self.older_share)
        c = self.complete_share
        if isinstance(c, bool) or not isinstance(c, (int, float, np.number)) or not 0.0 < c <= 1.0:
            raise errors.InputError(f"complete_share is the least share of an area the data must cover for a verdict, in (0, 1] (e.g. 0.95); got {c!r}")
        if self.cache is True:
            object.__setattr__(self, "cache", None)
        if self.elevation is not None:
            object.__setattr__(self, "elevation", Path(self.elevation))

    def estimate_assumptions(self) -> population.EstimateAssumptions:
        """The estimate's assumptions, with :attr:`older_share` when given."""
        if self.older_share is None:
            return self.estimate
        return population.EstimateAssumptions(**{**self.estimate.__dict__, "older_share": self.older_share})

    def record(self) -> dict[str, Any]:
        """The options as the manifest records them."""
        from dataclasses import asdict

        out = asdict(self)
        out["cache"] = None if self.cache is None else str(self.cache)
        out["elevation"] = None if self.elevation is None else str(self.elevation)
        return out

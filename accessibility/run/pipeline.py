"""The run: network -> facilities -> population -> snapping -> distances -> hexes -> goals -> run folder.

:func:`run` is the one entry point used by the command line, the demo, batch
runs and the Python API. It reads as the list of its steps
(:mod:`accessibility.run.steps`); this module adds what surrounds them: the
input specs, the stage clock and progress, the background threads, and the
run folder written as one unit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any, Self

from .. import config, errors
from ..core import parallel
from ..core.notes import Notes
from ..network import cache as network_cache
from ..network import cachesize, online
from ..readers import osm, sources
from ..readers.facility_files import FacilityInput
from ..readers.zones import DistrictInput, ZoneInput
from ..stages import districts as districts_stage
from . import folder, reuse, specs, steps, walking, write
from .inputs import AreaInput, GoalsInput, PopulationInput, RunOptions
from .result import ModeState, RunResult, walkers_of

__all__ = ["STAGES", "ModeState", "RunOptions", "RunResult", "run"]

log = logging.getLogger(__name__)

#: the stages of a run, in order (progress is reported as ``progress(stage, i, len(STAGES))``)
STAGES = ("network", "facilities", "population", "snapping", "distances", "hexes", "goals", "outputs")

Progress = Callable[[str, int, int], None]


def run(
    osm_path: str | Path | None = None,
    *,
    network: Any = None,
    population: PopulationInput | str | Path | None = None,
    facilities: Sequence[FacilityInput] = (),
    areas: AreaInput | str | Path | None = None,
    goals: GoalsInput | str | Path | Sequence[config.Goal] | Sequence[str] | None = None,
    options: RunOptions | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
    **deprecated: Any,
) -> RunResult:
    """Check every policy goal on an OSM extract.

    >>> result = run("hangzhou.osm.pbf", population="pop.tif", goals=["park_10min"], out="runs/hz")  # doctest: +SKIP

    Parameters
    ----------
    osm_path
        OSM extract (.osm.pbf, .osm, .osm.bz2, .osm.gz); read offline. It gives the
        streets, the OSM facilities and the buildings of the estimate; with
        ``network`` only the facilities and buildings (it may be left out then:
        facilities from planners' lists, people from a raster or zones).
    network
        The streets, instead of the OSM file's: a road line layer (a file, a
        GeoDataFrame or a :class:`~accessibility.readers.roads.RoadLayerInput`
        naming its CRS and columns), an osmnx/networkx graph, or a
        :class:`~accessibility.network.graph.Network` (one mode); or a
        :class:`~accessibility.network.online.Place` (``Place("西湖区, 杭州市")``):
        its streets, facilities, buildings and boundary downloaded through
        osmnx (needs ``accessibility[online]`` and the internet), instead of files.
    population
        A :class:`~accessibility.run.inputs.PopulationInput` (a raster with
        older-age rasters, or census zones), or a raster file. Default: an
        estimate from buildings or streets, labelled as such everywhere.
    facilities
        Planners' facility lists (:class:`~accessibility.readers.facility_files.FacilityInput`),
        each for one service, complementing or replacing its OSM facilities.
    areas
        An :class:`~accessibility.run.inputs.AreaInput` (boundary, main urban
        area, districts, their declared CRS), or a boundary file. Default: the
        convex hull of the street network.
    goals
        A :class:`~accessibility.run.inputs.GoalsInput`, a goals TOML, goals
        (:class:`~accessibility.config.Goal`), or goal ids of the default goals.
    options
        :class:`~accessibility.run.inputs.RunOptions` (resolution, snapping, older share, estimate, cache).
    out
        Run folder to write; it is checked before the analysis starts and
        swapped into place whole at the end (:mod:`accessibility.run.folder`).
    progress
        Called as ``progress(stage, i, n)`` at the start of each stage.
    **deprecated
        The keywords of versions before 0.2 (``population_raster``, ``boundary``,
        ``only_goals``, ``cache_dir``...), with a DeprecationWarning.

    Returns
    -------
    RunResult
    """
    pop, areas_in, goals_in, options = _specs(population, areas, goals, options, deprecated)
    facility_specs = [f if isinstance(f, FacilityInput) else FacilityInput(**f) for f in [*facilities, *deprecated.pop("facility_files", ())]]
    if deprecated:
        raise TypeError(f"run() got unexpected keyword arguments {sorted(deprecated)}")
    services, goal_list = goals_in.load()
    provision_walkers = goals_in.provision_walkers(services)  # checked before any work, as the goals are
    place = network.query if isinstance(network, online.Place) else None
    if place is not None and osm_path is not None:
        raise errors.InputError("--place downloads the streets and the facilities: give it without --osm and --network")
    if osm_path is None and network is None and place is None:
        raise errors.InputError("give the streets: an OSM extract (--osm), a road layer (--network) or a place to download (--place)")
    osm_path = osm.check_osm_path(osm_path) if osm_path is not None else None
    with _Run(progress, out, cache=options.cache) as r:
        notes = Notes()
        r.stage("network")
        sources = steps.read_sources(osm_path, goal_list, services, pop, options, writer=r.cache_writer, background=r.background, notes=notes, network=network)
        # millions of tag dicts live until the population stage: keep the cyclic garbage
        # collector from walking them again at every full collection (~0.6 s of a province run)
        r.freeze_heap()
        # slopes, when a walker of a goal (or of a provision catchment) feels them
        sources.nets["walk"] = walking.add_elevation(sources.nets["walk"], goal_list, options, notes, provision_walkers=provision_walkers)
        areas_given = areas_in  # as given (recorded): a place's boundary is downloaded again by a rerun
        if sources.place_boundary is not None and areas_in.boundary is None:  # the place downloaded is the study area
            areas_in = dataclasses.replace(areas_in, boundary=sources.place_boundary)
        area = steps.read_areas(areas_in, pop, sources.nets["walk"], notes)
        extent = steps.start_extent(osm_path, sources, pop, area, r.background)
        r.stage("facilities")
        fac = steps.gather_facilities(sources.osm_facilities, services, facility_specs, area.study, notes, area.datum_checks)
        r.stage("population")
        demand = steps.locate_residents(sources, pop, area, options, notes)
        sources.release_features()
        # where the residents join the streets and the hexagons depend on no facility: an earlier run's, when the same
        key = reuse.residents_key(sources.key, demand, area.study, resolution=options.resolution, max_snap_m=options.max_snap_m)
        stored = reuse.load(options.cache, key, list(sources.nets))
        # the hexagons need no street: laid out behind the streets' index, while the residents are joined
        cells = steps.start_hex_cells(demand, area.study, options, background=r.background) if stored is None else None
        r.stage("snapping")
        modes, facility_frame, snaps = steps.snap(sources, fac.frame, demand, area, options, notes, residents=stored.snapped if stored else None, writer=r.cache_writer, background=r.background)
        for m, state in modes.items():
            state.walkers = walkers_of(goal_list, m)
            state.memory = reuse.RememberedSearches(options.cache, writer=r.cache_writer)  # an earlier run's trees, on the same graphs
        r.stage("distances")
        layout = steps.lay_out_hexagons(modes, demand, area.study, options, background=r.background, stored=stored.layout if stored else None, cells=cells)
        costs = steps.trip_costs(modes, facility_frame, demand, snaps, goal_list, list(services), background=r.background, layout=layout, residents_key=key)
        r.stage("hexes")
        hex_frame, hex_of_point = steps.hexagons(costs, modes, demand, list(services))
        reused = (
            {"cache": "hit", "entry": str(stored.folder)} if stored is not None
            else reuse.store(options.cache, key, reuse.Residents(snaps.snapped, layout.result()), writer=r.cache_writer)
        )
        implausible = steps.check_density(hex_frame, hex_of_point, demand, area, notes)
        r.stage("goals")
        checks = steps.judge_completeness(facility_frame[facility_frame["status"] == "used"], demand, area, services, goal_list, notes)
        cover = steps.judge_coverage(extent, area, demand, notes, threshold=options.complete_share)
        v = steps.verdicts(goal_list, costs, modes, demand, hex_frame, hex_of_point, area, services, steps.DataChecks(checks, cover))
        table = steps.point_table(demand, hex_of_point, hex_frame["h3"].to_numpy(), costs, facility_frame["facility_id"].to_numpy(), v.covered)
        result = RunResult(
            goals=v.results, hexes=v.hex_frame, facilities=facility_frame, demand=demand, study_area=area.study, main_urban_area=area.main_urban,
            modes=modes, point_costs=table, manifest={}, notes=notes, by_district=v.by_district, tables={**area.tables, **fac.tables},
            imports=fac.imports, goal_specs=goal_list,
            districts=(
                districts_stage.district_layer(area.districts, v.by_district, demand, v.district_of_point, cover.districts)
                if area.districts is not None and v.district_of_point is not None
                else None
            ),
        )
        result.manifest = _manifest(result, osm_path, services, costs.facility_counts, area, pop, options)
        result.manifest[specs.SPECS_KEY] = specs.record(population=pop, areas=areas_given, goals=goals_in, facilities=facility_specs, options=options, network=network)
        result.manifest["place"] = place
        result.manifest["residents_cache"] = reused  # updated in place by the cache writer, which the run waits for
        result.manifest["derived_cache"] = sources.derived  # the walls-and-gates rules, entrances and OSM facilities (:mod:`.derived`)
        result.manifest["access_cache"] = sources.reused  # per mode: facilities whose access points were reused, and searched
        result.manifest["search_cache"] = {m: state.memory.status for m, state in modes.items() if isinstance(state.memory, reuse.RememberedSearches)}
        result.manifest["completeness"] = [c.to_dict() for c in checks]
        result.manifest["coverage"] = cover.to_dict()
        result.manifest["population"].update(quality=demand.quality, implausible_hexes=implausible)
        r.finish(result, inputs=_inputs(osm_path, network, pop, areas_in, goals_in, facility_specs))
    return result


# --------------------------------------------------------------------------- specs


_LEGACY = {  # keyword of 0.1 -> (spec, field)
    "population_raster": ("population", "raster"), "older_rasters": ("population", "older"), "zone_input": ("population", "zones"),
    "boundary": ("areas", "boundary"), "main_urban_area": ("areas", "main_urban_area"), "boundary_crs": ("areas", "crs"),
    "districts": ("areas", "districts"), "goals_file": ("goals", "goals"), "layers_dir": ("goals", "layers_dir"), "only_goals": ("goals", "only"),
    "cache_dir": ("options", "cache"),
}


def _specs(population: Any, areas: Any, goals: Any, options: RunOptions | None, legacy: dict[str, Any]) -> tuple[PopulationInput, AreaInput, GoalsInput, RunOptions]:
    """The input specs, with the keywords of 0.1 folded in (and a DeprecationWarning)."""
    pop, area, goal, opts = PopulationInput.of(population), AreaInput.of(areas), GoalsInput.of(goals), options or RunOptions()
    old = {k: legacy.pop(k) for k in list(legacy) if k in _LEGACY}
    if "facility_files" in legacy:
        old["facility_files"] = legacy["facility_files"]
    if old:
        warnings.warn(
            f"run(): the keywords {sorted(old)} are deprecated; use population=PopulationInput(...), areas=AreaInput(...), "
            "goals=GoalsInput(...) or a list of goal ids, facilities=[...] and options=RunOptions(cache=...)",
            DeprecationWarning, stacklevel=3,
        )
    changes: dict[str, dict[str, Any]] = {"population": {}, "areas": {}, "goals": {}, "options": {}}
    for key, value in old.items():
        if key in _LEGACY and value is not None:
            spec, name = _LEGACY[key]
            if key == "districts" and not isinstance(value, DistrictInput):
                value = DistrictInput(value)
            changes[spec][name] = tuple(value) if name in ("older", "only") else value
    import dataclasses

    if changes["population"]:
        pop = dataclasses.replace(pop, **changes["population"])
    if changes["areas"]:
        area = dataclasses.replace(area, **changes["areas"])
    if changes["goals"]:
        goal = dataclasses.replace(goal, **changes["goals"])
    if changes["options"]:
        opts = dataclasses.replace(opts, **changes["options"])
    return pop, area, goal, opts


def _inputs(osm_path: Path | None, network: Any, pop: PopulationInput, area: AreaInput, goal: GoalsInput, facility_specs: list[FacilityInput]) -> dict[str, Any]:
    """The input files of the run, for the manifest (recorded with their sha256)."""
    z: ZoneInput | None = pop.zones
    return {
        "osm": osm_path, "network": _network_source(network), "population": pop.raster, "older": list(pop.older), "boundary": area.boundary, "main_urban_area": area.main_urban_area,
        "facility_files": [f.path if sources.is_frame(f.path) else str(f.path) for f in facility_specs], "zones": z.path if z else None, "zones_table": z.table if z else None,
        "districts": area.districts.path if area.districts is not None else None,
        "census": pop.census.path if pop.census is not None else None,
        "goals": goal.goals if isinstance(goal.goals, (str, Path)) else None,
        # goals by value (a scenario's): the goals file of their provision indicators, where it still is
        "provisions": goal.provisions if not isinstance(goal.goals, (str, Path)) and goal.provisions is not None and Path(goal.provisions).is_file() else None,
    }


def _network_source(network: Any) -> Any:
    """The road layer's file or frame, for the manifest's inputs (graphs and networks are described in ``modes``)."""
    from ..readers.roads import RoadLayerInput

    if isinstance(network, RoadLayerInput):
        return network.path
    return network if isinstance(network, (str, Path)) or sources.is_frame(network) else None


def _manifest(result: RunResult, osm_path: Path | None, services: dict, facility_counts: dict[str, int], area: steps.Areas, pop: PopulationInput, options: RunOptions) -> dict:
    d, fac = result.demand, result.facilities
    manifest: dict[str, Any] = {
        "osm": None if osm_path is None else str(osm_path),
        "streets": result.modes["walk"].net.info.get("source", "osm"),
        "options": options.record(),
        "modes": {m: s.net.info for m, s in result.modes.items()},
        "mode_recipes": {m: config.recipe_to_dict(s.recipe) for m, s in result.modes.items()},
        "speeds_m_s": {m: s.speed_m_s for m, s in result.modes.items()},
        "facilities": {"total": len(fac), "used": int((fac["status"] == "used").sum()), "by_set": facility_counts},
        "population": {
            "source": d.source, "older_source": d.older_source, "is_estimate": d.is_estimate, "total": d.total, "older_total": d.total_older,
            "demand_points": len(d), "hex_total": float(result.hexes["pop"].sum()),
        },
        "services": list(services),
        "goals": [asdict(g) for g in result.goal_specs],
        "facility_imports": result.imports,
    }
    if area.zones is not None and pop.zones is not None:
        manifest["zones"] = {"zones": len(area.zones), "total": float(area.zones["pop"].sum()), "demand_total": d.total, "spread": pop.zones.spread}
    if area.districts is not None:
        manifest["districts"] = {"districts": len(area.districts), "names": area.districts["district_name"].tolist()}
    return manifest


# --------------------------------------------------------------------------- what surrounds the steps


class _Run:
    """The stage clock and progress, the background threads, the frozen heap and the run folder of one run."""

    def __init__(self, progress: Progress | None, out: str | Path | None, *, cache: str | Path | bool | None = False) -> None:
        self.progress = progress
        self.out = out
        self.cache = cache
        self.started = time.time()
        self.cache_limit = cachesize.max_bytes() if cache is not False else None  # a bad $ACCESSIBILITY_CACHE_MAX_GB stops the run before any work
        self.timings: dict[str, float] = {}
        self._name = ""
        self._t = 0.0
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Self:
        s = self._stack
        # new cache entries are written by a background thread while the run goes on; the
        # run waits for them before it writes its outputs, returns or raises
        self.cache_writer = s.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="accessibility-cache"))
        self.background = s.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="accessibility-background"))
        self.freeze_heap = s.enter_context(_frozen_heap())
        self.cache_used = s.enter_context(cachesize.tracking())  # entries this run reads or writes: never pruned by it
        # the run folder is checked before the analysis, written beside its place and swapped in at the end
        self.target = s.enter_context(folder.prepare(self.out)) if self.out is not None else None
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def stage(self, name: str) -> None:
        """Start stage ``name`` (the previous one ends: its time includes freeing what it left)."""
        self._finish()
        self._name, self._t = name, time.perf_counter()
        if self.progress:
            self.progress(name, STAGES.index(name) + 1, len(STAGES))

    def _finish(self) -> None:
        if self._name:
            parallel.release_free_memory()
            self.timings[self._name] = round(time.perf_counter() - self._t, 4)
            log.info("stage %s: %.2f s", self._name, self.timings[self._name])
            self._name = ""

    def finish(self, result: RunResult, *, inputs: dict[str, Any]) -> None:
        """Wait for the cache, write the run folder (if any) and record the timings."""
        for state in result.modes.values():
            if isinstance(state.memory, reuse.RememberedSearches):
                state.memory.stop_storing()  # the outputs' searches (the node table's) read the cache; later ones are not stored
        self.cache_writer.shutdown(wait=True)  # the manifest records whether the cache entries were stored
        result.manifest["cache_size"] = self._prune_cache()
        if self.target is not None:
            self.stage("outputs")
            for state in result.modes.values():  # the run folder needs no streets' index: ~650 MB less while it is written
                state.release_index()
            parallel.release_free_memory()  # handed back before the writing starts (freeing it is the outputs' time, not the goals')
            write.write_files(result, self.target.tmp, inputs=inputs)
        self._finish()
        result.manifest["timings_s"] = dict(self.timings)
        if self.target is not None:
            result.folder = self.target.commit(write.run_manifest(result))


    def _prune_cache(self) -> dict[str, Any] | None:
        """Bring the cache folder under its size (:mod:`~accessibility.network.cachesize`), keeping what this run used."""
        if self.cache is False or self.cache_limit is None:
            return None
        directory = network_cache.NetworkCache(None if self.cache is None or self.cache is True else self.cache).directory
        limit = self.cache_limit
        removed = cachesize.prune(directory, limit_bytes=limit, keep_since=self.started, keep=self.cache_used)
        return {"limit_gb": limit / 1e9, "removed_entries": len(removed), "removed_mb": round(sum(e.size_bytes for e in removed) / 1e6, 1)}


@contextlib.contextmanager
def _frozen_heap() -> Iterator[Callable[[], None]]:
    """Yields ``freeze()``: moves the objects alive then out of the cyclic collector's reach until the block ends.

    A process that froze objects itself (``gc.freeze`` before forking
    workers) is left as it is.
    """
    ours = gc.get_freeze_count() == 0
    try:
        yield gc.freeze if ours else (lambda: None)
    finally:
        if ours:
            gc.unfreeze()

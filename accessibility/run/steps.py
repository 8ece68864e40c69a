"""The steps of a run, each a function with a small typed input and output.

:func:`accessibility.run.pipeline.run` calls them in order::

    read_sources -> read_areas -> gather_facilities -> locate_residents
        -> snap -> trip_costs -> hexagons -> verdicts

Long-running work that releases the GIL runs beside scipy's Dijkstra (which
holds it): the edge indexes are built while facilities and residents are read,
and the hexagons are prepared while the trip costs are computed.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import config, errors
from ..core import columns, parallel
from ..core.notes import Note, Notes
from ..network import barriers, ondemand, online, snapping, streets
from ..network import cache as network_cache
from ..network.graph import Network
from ..readers import facility_files as userdata
from ..readers import osm
from ..readers.sources import label as source_label
from ..stages import districts as districts_stage
from ..stages import facilities as facilities_mod
from ..stages import goals as goals_mod
from ..stages import hexes as hexes_mod
from ..stages import merging, population
from . import derived, folder, reuse
from .costs import Costs, Snaps, lay_out_hexagons, start_hex_cells, trip_costs
from .inputs import PopulationInput, RunOptions
from .result import CostKey, ModeState, facility_parts, goal_weight
from .studyarea import Areas, DatumCheck, check_datums, read_areas

__all__ = [
    "Areas",
    "Costs",
    "DataChecks",
    "DataCoverage",
    "Facilities",
    "Snaps",
    "Sources",
    "Verdicts",
    "check_density",
    "gather_facilities",
    "hexagons",
    "judge_coverage",
    "lay_out_hexagons",
    "locate_residents",
    "read_areas",
    "read_sources",
    "snap",
    "start_extent",
    "start_hex_cells",
    "trip_costs",
    "verdicts",
]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- network and features


@dataclass
class Sources:
    """The street networks of every mode, the OSM features read, and their edge indexes (built when needed).

    The features are loaded when a stage first asks for them (:attr:`features`): a
    rerun whose walls-and-gates rules, entrances and OSM facilities come from the
    cache (:mod:`.derived`) and whose residents come from a raster never loads them.
    """

    nets: dict[str, Network]
    indexes: dict[str, ondemand.EdgeIndexOnDemand]
    osm_facilities: gpd.GeoDataFrame  # the services' facilities found in the OSM features (facilities_from_features)
    load_features: Callable[[], osm.FeatureTable] | None = field(default=None, repr=False)  # how to get them when asked for
    place_boundary: gpd.GeoDataFrame | None = None  # the boundary of a place downloaded through osmnx (run --place)
    entrances: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))  # gates and entrance nodes, where areas are entered
    key: str | None = None  # digest of what the networks and features are made from (an OSM file with the cache on; :mod:`.reuse`)
    reused: dict[str, dict] = field(default_factory=dict)  # per mode: the facilities' access points reused from the cache (:func:`snap`)
    derived: dict[str, Any] = field(default_factory=lambda: {"cache": "off"})  # the manifest's derived_cache: what came from :mod:`.derived`
    _features: osm.FeatureTable | None = field(default=None, repr=False)

    @property
    def features(self) -> osm.FeatureTable:
        """The OSM features (services, barriers, buildings when needed), loaded on first use."""
        if self._features is None:
            if self.load_features is None:
                raise RuntimeError("the run's OSM features were released after the population stage")
            self._features = self.load_features()
        return self._features

    def release_features(self) -> None:
        """Let the features go (a province's building footprints: ~0.5 GB not needed after the population stage)."""
        self._features, self.load_features = None, None


def read_sources(
    osm_path: Path | None, goal_list: Sequence[config.Goal], services: dict[str, config.ServiceLayer], pop: PopulationInput, options: RunOptions,
    *, writer: Executor, background: Executor, notes: Notes, network: Any = None,
) -> Sources:
    """Networks of every mode the goals use, and the OSM features of the services (and buildings when needed), in one pass or from the cache.

    ``network`` (a road line layer, a networkx graph or a :class:`Network`;
    :func:`~accessibility.network.streets.networks_from`) gives the streets instead of the OSM file, which
    then gives only the features (none without an OSM file). A
    :class:`~accessibility.network.online.Place` downloads the streets, the
    features and the place's boundary through osmnx. What the run derives from the
    features comes from the cache when an earlier run on the same sources stored it
    (:mod:`.derived`); the features are then loaded only if a later stage asks.
    """
    modes = list(dict.fromkeys(["walk", *(g.mode for g in goal_list)]))
    rule_keys = facilities_mod.rule_keys(services)
    need_buildings = pop.needs_buildings
    keys = tuple(dict.fromkeys(rule_keys + (("building", "landuse") if need_buildings else ()) + barriers.BARRIER_KEYS))
    # buildings read only for the estimate are footprints (area and centre), not polygons
    plain = ("building",) if need_buildings and "building" not in rule_keys else ()
    features: osm.FeatureTable | None = None
    boundary = None
    prepared = derived.FromFeatures(services)  # what the features alone give, derived beside the networks' build
    key = reuse.sources_key(osm_path, [config.load_mode(m) for m in modes], keys, plain) if network is None and osm_path is not None and options.cache is not False else None
    derived_key = derived.derived_key(key, services)
    known = derived.load(options.cache, derived_key)
    if isinstance(network, online.Place):
        got = online.place_sources(network.query, modes=modes, feature_keys=keys)
        nets, features, boundary = got.nets, got.features, got.boundary
    elif network is None:
        assert osm_path is not None  # the pipeline asks for one of them
        nets, features = network_cache.load_or_read(
            osm_path, modes, None if known is not None else keys, footprint_keys=plain, cache_dir=options.cache, writer=writer, then=prepared.derive,
        )
    else:
        nets = streets.networks_from(network, modes)
        features = (
            network_cache.load_or_read(osm_path, (), keys, footprint_keys=plain, cache_dir=options.cache, writer=writer, then=prepared.derive)[1]
            if osm_path is not None else osm.empty_features()
        )
    for net in nets.values():
        if net.info.get("cache") != "hit" and net.lines is not None:
            # a new network's edge index will be built (below): its streets projected meanwhile
            net.lines.project_later(net.metric_crs, background.submit, snapping.Projection(net.metric_crs).metric_xy)
    if known is not None and not known.outcome.fits(nets["walk"]):  # not the streets it was decided for: decide again
        assert osm_path is not None  # an entry is keyed by the OSM file's content
        log.warning("derived cache entry %s does not fit the walking network; testing the features again", known.folder)
        known = None
        features = network_cache.load_or_read_features(osm_path, keys, footprint_keys=plain, cache_dir=options.cache)
    # what the OSM reader repaired or left out (out-of-range nodes, unsorted or JOSM files), or the road layer's reader
    code = "osm.repaired" if network is None else "network.lines"
    notes.extend(dict.fromkeys([n for net in nets.values() for n in net.info.get("notes", [])]), code=code)
    if known is not None:
        kept = known
        status: dict[str, Any] = {"cache": "hit", "entry": str(known.folder)}
    else:
        assert features is not None  # feature keys given: the features are read or loaded
        # walled compounds' ways are private, locked gates cut, and walls, water and rail kept for snapping
        rules, entrances, osm_facilities = prepared.of(features)
        kept = derived.Derived(barriers.barrier_outcome(nets["walk"], features.frame, rules=rules), entrances, osm_facilities, tuple(features.notes))
        # a copy is written in the background: the run's stages add columns to their own frame
        status = derived.store(options.cache, derived_key, dataclasses.replace(kept, facilities=kept.facilities.copy()), writer=writer)
    notes.extend(dict.fromkeys(kept.notes), code="osm.repaired")
    nets["walk"] = barriers.with_outcome(nets["walk"], kept.outcome)
    nets["walk"].info["barrier_search_m"] = options.max_snap_m
    # the edge indexes (projected street geometries in an STRtree) are built while the facilities
    # and the population are read (projecting releases the GIL), unless the networks come from the
    # cache: a rerun's residents and most facilities are joined to the streets already (:func:`snap`)
    indexes = {m: ondemand.EdgeIndexOnDemand(net, background) for m, net in nets.items()}
    for m, net in nets.items():
        if net.info.get("cache") != "hit":
            indexes[m].start()
    for m, net in nets.items():
        i = net.info
        if i.get("nodes_dropped"):
            notes.add(
                f"{m} network: kept the largest connected part; dropped {i['nodes_dropped']} nodes, "
                f"{i['km_dropped']:.1f} km ({i['share_length_dropped']:.1%} of street length) in {i['components'] - 1} detached pieces",
                code="network.pieces_dropped", mode=m,
            )
    later = None if features is not None or osm_path is None else functools.partial(network_cache.load_or_read_features, osm_path, keys, footprint_keys=plain, cache_dir=options.cache)
    return Sources(nets, indexes, kept.facilities, later, boundary, kept.entrances, key, derived=status, _features=features)


# --------------------------------------------------------------------------- facilities


@dataclass
class Facilities:
    """The facilities of every service (OSM and planners'), with the import summaries and their tables."""

    frame: gpd.GeoDataFrame
    imports: list[dict]
    tables: dict[str, pd.DataFrame]


def gather_facilities(
    osm_facilities: gpd.GeoDataFrame, services: dict[str, config.ServiceLayer], files: Sequence[userdata.FacilityInput], study: shapely.Geometry,
    notes: Notes, datum_checks: list[DatumCheck],
) -> Facilities:
    """OSM facilities of every service, merged with (or replaced by) each planners' file."""
    fac = osm_facilities
    imports: list[dict] = []
    merges: list[pd.DataFrame] = []
    tables: dict[str, pd.DataFrame] = {}
    for spec in files:
        got = userdata.read_facilities(spec, area=study, services=services)
        datum_checks.append(DatumCheck(got.facilities.geometry.to_numpy(), spec.crs, "facilities", "设施", spec.path, "--facilities-crs"))
        fac, merged = merging.merge_layers(fac, got.facilities, service=spec.service, mode=spec.mode, max_dist_m=spec.merge_dist_m)
        merges.append(merged)
        name = f"rejects_{spec.service}.csv"
        tables[name] = pd.concat([tables[name], got.rejects], ignore_index=True) if name in tables else got.rejects
        s = dict(got.summary, mode=spec.mode, merged=int((merged["action"] == "merged").sum()), replaced_osm=int((merged["action"] == "replaced").sum()))
        s["rejects_file"] = name
        imports.append(s)
        file = source_label(spec.path, "facilities").name
        notes.extend(got.warnings)  # structured, with Chinese text (names that are not of the service...)
        notes.extend((n if file in n else f"{file}: {n}" for n in got.notes), code="input.facilities", file=file, service=spec.service)
        notes.add(
            f"{spec.service}: {file} ({s['crs']}, {spec.mode}): {s['rows']} rows, {s['used']} used, {s['rejected']} rejected, "
            f"{s['fixed']} fixed, {s['values_left_empty']} with a value left empty ({name}); "
            + (f"{s['replaced_osm']} OSM facilities replaced" if spec.mode == "replace" else f"{s['merged']} merged with OSM facilities")
            + " (merges.csv)",
            code="input.facilities.summary", file=file, service=spec.service,
        )
    if files:
        tables["merges.csv"] = pd.concat(merges, ignore_index=True) if merges else pd.DataFrame(columns=list(merging.MERGE_COLUMNS))
    return Facilities(fac, imports, tables)


# --------------------------------------------------------------------------- population


def locate_residents(sources: Sources, pop: PopulationInput, area: Areas, options: RunOptions, notes: Notes) -> population.Demand:
    """The residents: census zones, population rasters, or an estimate from buildings (else streets)."""
    walk = sources.nets["walk"]  # the features are loaded only by the branches that read them
    if pop.zones is not None:
        assert area.zones is not None
        demand = population.demand_from_zones(
            area.zones, area.study, spread=pop.zones.spread, features=sources.features, cell_m=pop.zones.cell_m,
            older_share=options.older_share, source=source_label(pop.zones.path if pop.zones.table is None else pop.zones.table, "zones").name,
        )
    elif pop.kind == "raster":
        demand = population.demand_from_rasters(area.study, population=pop.raster, older=list(pop.older), older_share=options.older_share)
        if pop.raster is None:  # older rasters only: the total is estimated
            est = population.demand_from_buildings(sources.features, area.study, options.estimate) or population.demand_from_streets(walk, area.study, options.estimate)
            est.older = np.zeros_like(est.older)
            demand = population.Demand.concat([est, demand], source=est.source, older_source=demand.older_source, is_estimate=True)
    else:
        assumptions = options.estimate_assumptions()
        demand = population.demand_from_buildings(sources.features, area.study, assumptions) or population.demand_from_streets(walk, area.study, assumptions)
    notes.extend(demand.flags)  # the coded notes (street fallback, compounds, sites) first: a repeated message is kept once
    notes.extend(demand.notes, code="population")
    if pop.census is not None:
        demand = _calibrate(demand, pop, area, options, notes)
    return demand


def _calibrate(demand: population.Demand, pop: PopulationInput, area: Areas, options: RunOptions, notes: Notes) -> population.Demand:
    """Scale each district's residents to its census count (``--district-population``)."""
    from ..stages import calibration

    if area.districts is None:
        raise errors.InputError("--district-population scales the residents of each district: give the districts too (--districts FILE)")
    assert pop.census is not None
    district = districts_stage.district_of_points(area.districts, demand.lon, demand.lat)
    shares = None
    if not pop.older and options.older_share is None:  # older people from a share: the district's own, where known
        shares = calibration.older_shares_for(area.districts["district_id"])["older_share"].to_numpy(np.float64)
    cal = calibration.calibrate_demand(demand, district, area.districts, pop.census, study_area=area.study, older_shares=shares)
    notes.extend(cal.notes, code="population.calibration")
    area.tables[folder.CALIBRATION] = cal.factors
    if len(cal.rejects):
        area.tables[folder.REJECTS_CENSUS] = cal.rejects
    return cal.demand


def judge_completeness(
    fac: gpd.GeoDataFrame, demand: population.Demand, area: Areas, services: dict[str, config.ServiceLayer], goal_list: Sequence[config.Goal], notes: Notes,
) -> list:
    """Per service the goals use: are there about as many facilities as the standards imply for the population?"""
    from ..stages import completeness

    used = sorted({s for g in goal_list for s in g.services})
    found = completeness.counts_by_tier(fac, area=area.study)
    checks, warnings = completeness.check_completeness(
        services, found, demand.total, older_population=demand.total_older, only=used,
    )
    notes.extend(warnings)
    return checks


# --------------------------------------------------------------------------- data coverage


def start_extent(osm_path: Path | None, sources: Sources, pop: PopulationInput, area: Areas, background: Executor) -> Future:
    """The extent of the data (streets, OSM bounds, population footprint), measured in the background.

    The street mask is built in the background (numpy and scipy, which release the GIL); it is traced
    into polygons when the extent is used (:func:`judge_coverage`), in the calling thread: rasterio's
    tracing silences a warning with :func:`warnings.catch_warnings`, which is not thread-safe.
    """
    from ..readers import extract

    bounds = extract.osm_bounds(osm_path) if osm_path is not None else None  # facilities from OSM stop there too
    zone_footprint = shapely.union_all(area.zones.geometry.to_numpy()) if area.zones is not None else None
    return background.submit(_extent, sources.nets["walk"], bounds, pop.raster if pop.zones is None else None, zone_footprint)


def _extent(walk: Network, bounds: shapely.Geometry | None, raster: str | Path | None, zone_footprint: shapely.Geometry | None) -> Any:
    from ..readers import rasters
    from ..stages import coverage

    footprint = rasters.raster_footprint(raster) if raster is not None else zone_footprint
    return coverage.street_mask(walk), bounds, footprint


@dataclass
class DataCoverage:
    """How much of the study area, the main urban area and each district the data covers (:mod:`~accessibility.stages.coverage`)."""

    study: Any  # coverage.AreaCoverage
    main_urban: Any | None
    districts: pd.DataFrame | None
    study_given: bool  # a boundary file, not the network's hull
    threshold: float = goals_mod.COMPLETE_SHARE  # the least share for a pass or fail

    def for_goal(self, goal: config.Goal) -> tuple[Any, bool]:
        """The cover of the goal's area, and whether it decides the verdict.

        A given area decides; the network's hull decides only on the share of
        the people, where a raster or zones place them independently of OSM
        (the hull is drawn around the streets, so its lakes and ragged edge
        are no missing data).
        """
        if goal.area == "main_urban_area" and self.main_urban is not None:
            return self.main_urban, True
        return self.study, self.study_given or self.study.people_share is not None

    def to_dict(self) -> dict[str, Any]:
        """For goals.json and the manifest."""
        from ..stages import coverage

        def one(c: Any) -> dict[str, Any]:
            return {
                "name": c.name, "area_km2": round(c.area_km2, 3), "covered_km2": round(c.covered_km2, 3), "share": round(c.share, 4),
                "people_share": None if c.people_share is None else round(c.people_share, 4), "limited_by": list(c.limited_by),
                "scope": coverage.scope(c.decisive_share, self.threshold), "message": dict(zip(("en", "zh"), c.message(), strict=True)),
            }

        out: dict[str, Any] = {"threshold": self.threshold, "study_area": one(self.study), "study_area_given": self.study_given}
        if self.main_urban is not None:
            out["main_urban_area"] = one(self.main_urban)
        if self.districts is not None:
            d = self.districts
            out["districts"] = [
                {"district_id": str(r.district_id), "district_name": str(r.district_name), "share": round(float(r.share), 4),
                 "people_share": None if np.isnan(r.people_share) else round(float(r.people_share), 4), "scope": r.scope,
                 "limited_by": [x for x in str(r.limited_by).split(",") if x]}
                for r in d.itertuples()
            ]
        return out


def judge_coverage(extent: Future, area: Areas, demand: population.Demand, notes: Notes, *, threshold: float = goals_mod.COMPLETE_SHARE) -> DataCoverage:
    """The data's cover of each area a verdict is given on; a note for every area the data covers only in part."""
    from ..stages import coverage

    mask, bounds, footprint = extent.result()
    ext = coverage.data_extent(mask, osm_bounds=bounds, population=footprint)
    people = None if demand.is_estimate else (demand.lon, demand.lat, demand.pop)
    study = coverage.area_coverage(ext, area.study, people=people)
    mua = coverage.area_coverage(ext, area.main_urban, name="the main urban area", name_zh="主城区", people=people) if area.main_urban is not None else None
    table = None
    if area.districts is not None:
        table = coverage.district_coverage(ext, area.districts, people=people, threshold=threshold)
        decisive = table["people_share"].where(table["people_share"].notna(), table["share"])
        table["scope"] = [coverage.scope(float(v), threshold) for v in decisive]
        table["data_coverage"] = decisive.to_numpy(np.float64)
        partial = table[table["scope"] != "complete"]
        if len(partial):
            shown = ", ".join(f"{r.district_name} {r.data_coverage:.0%}" for r in partial.head(8).itertuples())
            more = f" and {len(partial) - 8} more" if len(partial) > 8 else ""
            notes.add(
                f"the data covers only part of {len(partial)} of {len(table)} districts ({shown}{more}): their rows describe the covered part only",
                code="data.partial_districts", severity="warning",
                zh=f"数据仅覆盖{len(table)}个行政区中{len(partial)}个的部分区域（{shown}{more}）：这些行只描述已覆盖部分",
            )
    cover = DataCoverage(study, mua, table, area.study_given, threshold)
    for c in (study, mua):
        if c is not None and not c.is_complete(threshold):
            en, zh = c.message()
            decides = c is mua or cover.study_given or c.people_share is not None
            tail = ("" if decides else "; the study area is the network's convex hull and the population comes from OSM, so nobody is missing",
                    "" if decides else "；研究区域为路网凸包，人口来自OSM数据，因此没有遗漏人口")
            notes.add(en + tail[0], code="data.partial" if decides else "data.hull", severity="warning" if decides else "info", zh=zh + tail[1])
    return cover


# --------------------------------------------------------------------------- snapping


def snap(
    sources: Sources, fac: gpd.GeoDataFrame, demand: population.Demand, area: Areas, options: RunOptions, notes: Notes,
    *, residents: dict[str, snapping.Snapped] | None = None, writer: Executor | None = None, background: Executor | None = None,
) -> tuple[dict[str, ModeState], gpd.GeoDataFrame, Snaps]:
    """Facilities' access points and residents' positions on every mode's network.

    ``residents``: their positions as stored by an earlier run (:mod:`.reuse`). The access points of
    facilities an earlier run placed (same geometry, streets and options) come from the cache, and
    this run's are stored on ``writer`` when the cache had none; ``sources.reused`` records what was reused.
    ``background``: where the searches' matrices are built while the residents are joined (a run
    that joins them; a rerun's come from the cache, or are not needed).
    """
    states: dict[str, ModeState] = {}
    for m, net in sources.nets.items():
        # residents to join: the whole network's index; else the streets around a rerun's few new places may do
        on_demand = sources.indexes.pop(m)
        index = on_demand.whole() if residents is None else on_demand
        if m == "walk":
            check_datums(area.datum_checks, index, notes)
        known = reuse.RememberedAccess(index, options.cache, reuse.access_key(sources.key, m, max_snap_m=options.max_snap_m, reach_m=options.reach_m))
        snapped_fac, access = facilities_mod.facility_access(
            fac, known, max_snap_m=options.max_snap_m, reach_m=options.reach_m, entrances=sources.entrances
        )
        if writer is not None:
            known.store(writer)
        # which streets index placed the facilities not in the cache: the whole network's, the streets around them, none
        known.status["edge_index"] = on_demand.used
        sources.reused[m] = known.status  # the cache writer updates it in place
        if m == "walk":
            fac = snapped_fac
        state = ModeState(net=net, access=access, _index=index)
        for w in state.weights:
            graph = state.graphs[w]  # built now, inside the snapping stage's time
            if residents is None and background is not None and graph.stubs is not None:
                background.submit(graph.stubs.build)  # the searches' matrix (~1 s at 1M nodes), off their path
        states[m] = state
    # the areas' overlays (buffers, clipped streets, their GEOS lines) are freed: handed back before the residents are joined
    parallel.release_free_memory()
    parts = facility_parts(fac["source"])  # each list's part of a set is searched apart: a planner's changed list alone
    for state in states.values():
        state.parts = parts
    n_far_fac = int((fac["status"] != "used").sum())
    if n_far_fac:
        notes.add(
            f"{n_far_fac} facilities lie more than {options.max_snap_m:g} m from any street and were not used "
            "(layer facilities_rejected in results.gpkg)",
            code="facilities.far",
        )
    # residents in metric coordinates, once per CRS (for snapping and straight-line distances)
    if residents is None:
        points = {m: s.index.project_xy(demand.lon, demand.lat) for m, s in states.items()}
        snapped = {m: s.index.snap_points(demand.lon, demand.lat, xy=points[m]) for m, s in states.items()}
    else:
        points, snapped = {}, residents
    for m, state in states.items():
        state.residents = snapped[m]  # for the tools that join the residents again (isochrones' people)
    _barrier_notes(snapped["walk"], states["walk"], demand, notes)
    far = snapped["walk"].snap_dist_m > options.max_snap_m
    if far.any():
        people_far = float(demand.pop[far].sum())
        notes.add(
            f"{people_far:,.0f} residents ({people_far / max(demand.total, 1e-9):.2%}) live more than "
            f"{options.max_snap_m:g} m from any mapped street; their walk to the street is counted, but the map may be missing paths there",
            code="population.far_from_streets", severity="warning",
        )
    return states, fac, Snaps(snapped, points)


def _barrier_notes(residents: snapping.Snapped, walk: ModeState, demand: population.Demand, notes: Notes) -> None:
    """What walls, water and rail did to where residents and facilities join the streets, for the notes and the network quality report."""
    quality = walk.net.info.setdefault("quality", {})
    for what, snapped, pop in (("residents", residents, demand.pop), ("facility_access_points", walk.access.snapped, None)):
        status = snapped.barrier if snapped.barrier is not None else np.zeros(len(snapped), np.int8)
        for code, label in ((snapping.AROUND, "around_barrier"), (snapping.ACROSS, "across_barrier")):
            hit = status == code
            quality[f"{what}_{label}"] = int(hit.sum())
            if pop is not None:
                quality[f"people_{label}"] = round(float(pop[hit].sum()), 1)
    if quality.get("residents_around_barrier"):
        notes.add(
            f"{quality['people_around_barrier']:,.0f} residents live nearer a street across a wall, water or a railway than one they can walk to; "
            "they join the nearest street reachable without crossing (network quality in manifest.json)",
            code="network.barrier_snap",
            zh=f"{quality['people_around_barrier']:,.0f} 名居民离墙、水体或铁路对面的道路更近；按不跨越障碍可到达的最近道路接入路网（路网质量见 manifest.json）",
        )
    if quality.get("residents_across_barrier"):
        notes.add(
            f"{quality['people_across_barrier']:,.0f} residents can reach a street only across a wall, water or a railway within the snapping limit; "
            "they join the nearest street anyway, so their trips may be too short: check for missing paths or gates there",
            code="network.across_barrier", severity="warning",
            zh=f"{quality['people_across_barrier']:,.0f} 名居民在接入距离内只能跨越墙、水体或铁路到达道路；仍按最近道路接入，出行距离可能偏短，请检查该处是否缺少道路或出入口",
        )


# --------------------------------------------------------------------------- hexagons


def hexagons(costs: Costs, states: dict[str, ModeState], demand: population.Demand, services: Sequence[str]) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The hexagons (population, per-service walking distance and minutes) and each resident's hexagon."""
    layout = costs.layout.result()
    walk = states["walk"]
    costs_m = {s: costs.cost[CostKey("walk", s)] for s in services}
    assert layout.centre_sides is not None  # laid out or joined to this run's graph (:func:`lay_out_hexagons`)
    centres = costs.residents_key and f"centres/{costs.residents_key}"  # the hexagons without residents, by content
    centre_m = {s: walk.point_costs(s, costs.set_masks[s], layout.centre_sides, points_key=centres)[0] for s in services}
    frame = hexes_mod.hex_costs(layout, demand.pop, costs_m, centre_m, speed_m_s=walk.speed_m_s)
    return frame, layout.pos


def check_density(hex_frame: gpd.GeoDataFrame, hex_of_point: np.ndarray, demand: population.Demand, area: Areas, notes: Notes) -> int:
    """List the densest hexagons with the OSM features behind their people; warn of those denser than people live."""
    from ..stages import plausibility

    found = plausibility.density_outliers(hex_frame, hex_of_point, demand.pop, demand.source_id)
    notes.extend(found.notes)
    area.tables[folder.DENSITY_OUTLIERS] = found.table
    return len(found.implausible)


# --------------------------------------------------------------------------- goals


@dataclass
class DataChecks:
    """What the data can support: each service's completeness (:func:`judge_completeness`) and the areas' cover (:func:`judge_coverage`)."""

    completeness: Sequence = ()
    cover: DataCoverage | None = None


@dataclass
class Verdicts:
    """Every goal's verdict, its coverage of each resident, per-district rows and per-hexagon columns."""

    results: list[goals_mod.GoalResult]
    covered: dict[str, np.ndarray]
    by_district: dict[str, list[dict]]
    district_of_point: np.ndarray | None
    hex_frame: gpd.GeoDataFrame


def verdicts(
    goal_list: Sequence[config.Goal], costs: Costs, states: dict[str, ModeState], demand: population.Demand, hex_frame: gpd.GeoDataFrame,
    hex_of_point: np.ndarray, area: Areas, services: dict[str, config.ServiceLayer], checks: DataChecks | None = None,
) -> Verdicts:
    """Evaluate every goal per resident; sum per goal, district and hexagon."""
    names = {sid: (s.name_en, s.name_zh) for sid, s in services.items()}
    checks = checks or DataChecks()
    cover = checks.cover
    incomplete = {c.service: c.note() for c in checks.completeness if c.incomplete}
    hex_labels = hex_frame["h3"].to_numpy()
    density = hex_frame["density_per_km2"].to_numpy()[hex_of_point]
    in_mua = shapely.contains_xy(area.main_urban, demand.lon, demand.lat) if area.main_urban is not None else np.ones(len(demand), bool)
    district_of_point = districts_stage.district_of_points(area.districts, demand.lon, demand.lat) if area.districts is not None else None
    results, covered_by_goal, by_district, hex_cols = [], {}, {}, []
    hex_index = pd.Index(hex_labels)  # once for every goal: 360k labels at 1M nodes
    for g in goal_list:
        state = states[g.mode]
        speed = g.speed_m_s or state.speed_m_s
        _, unit, cost_unit = goal_weight(g, state.recipe)  # a walker's costs, seconds, or metres
        goal_costs = {key: costs.cost[CostKey(g.mode, key, unit)] for key, _, _ in goals_mod.required_sets(g)}
        straight = {key: costs.straight[key].result()[0] for key, _, _ in goals_mod.required_sets(g)} if g.straight_line else None
        weights = demand.older if g.population == "older" else demand.pop
        in_area = in_mua if g.area == "main_urban_area" else np.ones(len(demand), bool)
        caveats = Notes()
        if g.area == "main_urban_area" and area.main_urban is None:
            caveats.add("main urban area: not given, the whole study area is used", code="area.main_urban_missing", goal=g.id)
        if demand.quality == "street_fallback":
            caveats.add(next((f for f in demand.flags if f.code == "population.street_fallback"), None)
                        or Note(f"population is a rough ESTIMATE from street length ({demand.source})", code="population.street_fallback", severity="warning"))
        elif demand.is_estimate:
            caveats.add(f"population is an ESTIMATE ({demand.source})", code="population.estimate", severity="warning", goal=g.id)
        for s in g.services:
            if incomplete.get(s) is not None:
                caveats.add(incomplete[s])
        points = goals_mod.GoalPoints(goal_costs, weights, in_area, hex_of_point, hex_labels, density, straight)
        res, covered = goals_mod.evaluate_goal(
            g, points, speed_m_s=speed, cost_unit=cost_unit, facility_counts=costs.facility_counts, is_estimate=demand.is_estimate, notes=caveats,
            names=names,
        )
        if cover is not None:
            _judge_cover(res, *cover.for_goal(g), threshold=cover.threshold)
        results.append(res)
        covered_by_goal[g.id] = covered
        eligible = np.where(in_area, weights, 0.0)
        if district_of_point is not None:
            by_district[g.id] = districts_stage.goal_by_district(district_of_point, area.districts, eligible, covered)
            if cover is not None and cover.districts is not None:
                for row, share, scope in zip(by_district[g.id], cover.districts["data_coverage"], cover.districts["scope"], strict=False):
                    row.update(data_coverage=round(float(share), 4), scope=scope)
        hex_cols.append(goals_mod.hex_goal_columns(g.id, hex_index, hex_of_point, eligible, covered))
    if hex_cols:
        extra = pd.concat(hex_cols, axis=1)
        hex_frame = gpd.GeoDataFrame(pd.concat([hex_frame.reset_index(drop=True), extra.reset_index(drop=True)], axis=1), geometry="geometry", crs="EPSG:4326")
    return Verdicts(results, covered_by_goal, by_district, district_of_point, hex_frame)


def _judge_cover(res: goals_mod.GoalResult, cover: Any, decides: bool, *, threshold: float) -> None:
    """No pass or fail on an area the data covers only in part (:func:`~accessibility.stages.goals.withhold`)."""
    if decides:
        goals_mod.withhold(res, cover.decisive_share, threshold=threshold, what=cover.name, detail=cover.message())


def point_table(demand: population.Demand, hex_of_point: np.ndarray, hex_labels: np.ndarray, costs: Costs, fac_ids: np.ndarray, covered: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per resident: position, people, hexagon, every trip cost and nearest facility, and every goal's coverage."""
    table: dict[str, Any] = {"lon": demand.lon, "lat": demand.lat, "pop": demand.pop, "older": demand.older, "h3": id_column(hex_of_point, hex_labels)}
    if demand.source_id is not None:  # the OSM building behind each estimated point: way id, relation id negated, 0 none
        table["osm_source_id"] = np.asarray(demand.source_id, np.int64)
    facility_ids = pd.Index(fac_ids, dtype=object)  # one index (and one test of its uniqueness) for every column
    for key in sorted(costs.cost, key=lambda k: (k.mode != "walk", k.mode, k.unit != "dist_m")):
        table[key.column] = costs.cost[key]
        table[key.facility_column] = id_column(costs.nearest[key], facility_ids)
    for goal_id, mask in covered.items():
        table[columns.name("covered", goal_id)] = mask
    # the columns as they are, not copied (a column set on a frame is copied: ~110 MB of trip costs at a
    # million residents, at the run's peak); nothing writes into them (pandas 3 copies on write anyway)
    return pd.DataFrame(table, copy=False)


def id_column(codes: np.ndarray, ids: np.ndarray | pd.Index) -> pd.Categorical | np.ndarray:
    """Per-point ids (``codes`` index ``ids``; -1 = none) as a categorical: a million residents
    share a few thousand facility or hex ids, and strings per row cost ~1 s and ~100 MB."""
    index = ids if isinstance(ids, pd.Index) and ids.dtype == object else pd.Index(ids, dtype=object)
    if index.is_unique:
        return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=index)
    values = index.to_numpy()
    return np.where(codes >= 0, values[np.maximum(codes, 0)], None)

"""The orchestrator: network → facilities → snapping → distances → population/hexes → goals.

:func:`run` is the one entry point used by the CLI, the demo and the Python API.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..readers import areas
from ..core import columns
from .. import config
from ..network import distances
from .. import errors
from ..stages import facilities
from ..stages import goals
from ..stages import hexes
from ..stages import merging
from ..readers import osm
from . import outputs
from ..core import parallel
from ..stages import population
from . import folder as runfolder
from ..network import snapping
from ..readers import facility_files as userdata
from ..readers import zones
from ..stages import districts as districts_stage
from ..network import graph as network_mod

__all__ = ["RunOptions", "RunResult", "ModeState", "run"]

log = logging.getLogger(__name__)

STAGES = ("network", "facilities", "population", "snapping", "distances", "hexes", "goals", "outputs")


@dataclass(frozen=True)
class RunOptions:
    """Options of a run (all recorded in the manifest).

    Attributes
    ----------
    resolution
        H3 resolution of the reporting hexagons (see :mod:`~accessibility.hexes`).
    max_snap_m
        Facilities farther than this from every street are reported, not used.
    reach_m
        Polygon facilities get an access point on every street within this distance.
    older_share
        Older people as a share of the total when no older-age raster is given.
    estimate
        Assumptions of the population estimate when no raster is given.
    """

    resolution: int = hexes.DEFAULT_RESOLUTION
    max_snap_m: float = 300.0
    reach_m: float = 30.0
    older_share: float | None = None
    estimate: population.EstimateAssumptions = field(default_factory=population.EstimateAssumptions)

    def __post_init__(self) -> None:
        if isinstance(self.resolution, bool) or not isinstance(self.resolution, (int, np.integer)) or not 0 <= self.resolution <= 15:
            raise errors.InputError(f"resolution is an H3 resolution, a whole number from 0 to 15 (9 is ~0.1 km² hexagons); got {self.resolution!r}")
        for name, value, lo, hi in (("max_snap_m", self.max_snap_m, 0.0, 10_000.0), ("reach_m", self.reach_m, 0.0, 1_000.0)):
            if not isinstance(value, (int, float, np.number)) or not math.isfinite(value) or not lo <= value <= hi or (name == "max_snap_m" and value == 0):
                raise errors.InputError(f"{name} is a distance in metres, more than {lo:g} and at most {hi:g}; got {value!r}")
        if self.older_share is not None and (not math.isfinite(self.older_share) or not 0 <= self.older_share <= 1):
            raise errors.InputError(f"older_share is a fraction between 0 and 1 (0.187 for 18.7%), got {self.older_share!r}")


@dataclass
class ModeState:
    """Everything computed for one travel mode."""

    net: network_mod.Network
    index: snapping.EdgeIndex
    access: facilities.FacilityAccess
    graphs: dict[str, distances.AccessGraph]  # by weight ("length", "time")
    results: dict[tuple[str, str], distances.NearestResult] = field(default_factory=dict)  # (weight, set key)


@dataclass
class RunResult:
    """What a run produced (also written to the run folder by :func:`~accessibility.outputs.write_run`)."""

    goals: list[goals.GoalResult]
    hexes: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    demand: population.Demand
    study_area: shapely.Geometry
    main_urban_area: shapely.Geometry | None
    modes: dict[str, ModeState]
    point_costs: pd.DataFrame
    manifest: dict
    notes: list[str]
    districts: gpd.GeoDataFrame | None = None  # district polygons with per-goal columns
    by_district: dict[str, list[dict]] = field(default_factory=dict)  # goal id -> rows per district
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # extra CSVs of the run folder (rejects, merges)
    imports: list[dict] = field(default_factory=list)  # summaries of the user facility files

    def goal(self, goal_id: str) -> goals.GoalResult:
        for g in self.goals:
            if g.id == goal_id:
                return g
        raise KeyError(f"no goal '{goal_id}' in this run; goals are {[g.id for g in self.goals]}")

    def node_table(self, mode: str = "walk") -> pd.DataFrame:
        """pandana ``nearest_pois``-shaped table: per street node, distance and facility per set."""
        state = self.modes[mode]
        g = state.graphs["length"]
        res = {key: r for (w, key), r in state.results.items() if w == "length"}
        return distances.node_table(g, res, self.facilities["facility_id"].to_numpy())


class _Stages:
    def __init__(self, progress: Callable[[str, int, int], None] | None):
        self.progress = progress
        self.timings: dict[str, float] = {}
        self._t = 0.0
        self._name = ""

    def start(self, name: str) -> None:
        self._finish()
        self._name, self._t = name, time.perf_counter()
        if self.progress:
            self.progress(name, STAGES.index(name) + 1, len(STAGES))

    def _finish(self) -> None:
        if self._name:
            parallel.release_free_memory()  # part of the stage's time: it frees what the stage left
            self.timings[self._name] = round(time.perf_counter() - self._t, 4)
            log.info("stage %s: %.2f s", self._name, self.timings[self._name])
            self._name = ""

    def done(self) -> dict[str, float]:
        self._finish()
        return self.timings


def _load_goals(goal_spec, services) -> tuple[config.Goal, ...]:
    if goal_spec is None or isinstance(goal_spec, (str, Path)):
        return config.load_goals(goal_spec, services=services)
    goal_list = tuple(goal_spec)
    for g in goal_list:
        unknown = [s for s in g.services if s not in services]
        if unknown:
            raise errors.ConfigError(f"goal '{g.id}' names unknown service(s) {unknown}; known: {sorted(services)}")
    return goal_list


def run(
    osm_path: str | Path,
    *,
    population_raster: str | Path | None = None,
    older_rasters: Sequence[str | Path] = (),
    boundary: str | Path | None = None,
    main_urban_area: str | Path | None = None,
    boundary_crs: str | None = None,
    facility_files: Sequence[userdata.FacilityInput] = (),
    zone_input: zones.ZoneInput | None = None,
    districts: str | Path | zones.DistrictInput | None = None,
    goals_file: str | Path | Sequence[config.Goal] | None = None,
    layers_dir: str | Path | None = None,
    only_goals: Sequence[str] | None = None,
    options: RunOptions | None = None,
    out: str | Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    cache_dir: str | Path | None | bool = None,
) -> RunResult:
    """Check every policy goal on an OSM extract.

    Parameters
    ----------
    osm_path
        OSM extract (.osm.pbf, .osm, .osm.bz2, .osm.gz); read offline.
    population_raster
        Total-population GeoTIFF (WorldPop style, any CRS). Without it the
        population is estimated from buildings or streets (labelled as such).
    older_rasters
        Older-age GeoTIFFs, summed (else ``options.older_share`` of the total).
    boundary
        Study-area polygon file (any vector format and CRS). Default: the
        convex hull of the street network.
    main_urban_area
        Polygon file of the main urban area (主城区) for goals with
        ``area = "main_urban_area"``. Default: the study area.
    boundary_crs
        Declared CRS of ``boundary`` and ``main_urban_area`` (e.g.
        ``"gcj02"`` for DataV/AMap files, which claim WGS-84). Default: the files'.
    facility_files
        Planners' facility lists (:class:`~accessibility.userdata.FacilityInput`),
        each for one service, replacing or complementing its OSM facilities.
        Rejected rows go to ``rejects_<service>.csv``, merges to ``merges.csv``.
    zone_input
        Population zones with counts (:class:`~accessibility.zones.ZoneInput`),
        instead of rasters or the estimate.
    districts
        Polygon file (or :class:`~accessibility.zones.DistrictInput`) for
        per-district results of every goal.
    goals_file
        Goals TOML or a sequence of :class:`~accessibility.config.Goal`.
    layers_dir
        Folder of service TOMLs (default: shipped ``layers/``).
    only_goals
        Evaluate only these goal ids.
    options
        :class:`RunOptions`.
    out
        Run folder to write (see :func:`~accessibility.outputs.write_run`).
    progress
        Called as ``progress(stage, i, n)`` at the start of each stage.
    cache_dir
        Cache of parsed networks and OSM features (:mod:`~accessibility.cache`):
        ``None`` the default (``$ACCESSIBILITY_CACHE`` or ``networks/cache/``),
        ``False`` parse the OSM file every time.
    """
    # new cache entries are written by a background thread while the run goes on; the
    # run waits for them before it writes its outputs, returns or raises
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="accessibility-cache") as cache_writer,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="accessibility-background") as background,
        _frozen_heap() as freeze_heap,
        # the run folder is checked before the analysis, written beside its place and swapped in at the end
        (runfolder.prepare(out) if out is not None else contextlib.nullcontext()) as target,
    ):
        options = options or RunOptions()
        facility_files = [f if isinstance(f, userdata.FacilityInput) else userdata.FacilityInput(**f) for f in facility_files]
        stages = _Stages(progress)
        notes: list[str] = []
        services = config.load_services(layers_dir)
        goal_list = _load_goals(goals_file, services)
        if only_goals:
            unknown = sorted(set(only_goals) - {g.id for g in goal_list})
            if unknown:
                raise errors.ConfigError(f"unknown goal id(s) {unknown}; goals are {[g.id for g in goal_list]}")
            goal_list = tuple(g for g in goal_list if g.id in only_goals)
        osm_path = osm.check_osm_path(osm_path)

        # ---------------------------------------------------------------- network
        stages.start("network")
        modes = list(dict.fromkeys(["walk", *(g.mode for g in goal_list)]))
        from ..network import cache as network_cache

        # buildings are read only for the population estimate (no raster, or zones spread over buildings)
        need_estimate = population_raster is None and (zone_input is None or zone_input.spread == "buildings")
        rule_keys = facilities.rule_keys(services)
        keys = rule_keys + (("building", "landuse") if need_estimate else ())
        # one pass over the file for the streets and the features when neither is cached
        # buildings read only for the estimate are footprints (area and centre), not polygons
        plain = ("building",) if need_estimate and "building" not in rule_keys else ()
        nets, features = network_cache.load_or_read(osm_path, modes, keys, footprint_keys=plain, cache_dir=cache_dir, writer=cache_writer)
        # what the OSM reader repaired or left out (out-of-range nodes, unsorted or JOSM files)
        notes += list(dict.fromkeys([n for net in nets.values() for n in net.info.get("notes", [])] + list(features.notes)))
        # millions of tag dicts live until the population stage: keep the cyclic garbage
        # collector from walking them again at every full collection (~0.6 s of a province run)
        freeze_heap()
        # the edge indexes (projected street geometries in an STRtree) are built while the
        # facilities and the population are read: projecting releases the GIL
        index_futures = {m: background.submit(snapping.EdgeIndex, net) for m, net in nets.items()}
        walk = nets["walk"]
        for m, net in nets.items():
            i = net.info
            if i.get("nodes_dropped"):
                notes.append(
                    f"{m} network: kept the largest connected part; dropped {i['nodes_dropped']} nodes, "
                    f"{i['km_dropped']:.1f} km ({i['share_length_dropped']:.1%} of street length) in {i['components'] - 1} detached pieces"
                )
        # inputs whose declared coordinate system is checked against the streets once they are indexed
        datum_checks: list[_DatumCheck] = []
        if boundary is not None:
            study_area, n_ = areas.area_from_file(boundary, what="boundary", crs=boundary_crs)
            notes += n_
            datum_checks.append(_DatumCheck(np.array([study_area]), boundary_crs, "boundary", "边界", boundary, "--boundary-crs"))
            areas.check_overlap(study_area, walk.bounds(), what="boundary", path=boundary)
        else:
            study_area = areas.default_study_area(walk.nodes["lon"].to_numpy(), walk.nodes["lat"].to_numpy())
            notes.append("study area: convex hull of the street network (no --boundary given)")
        if main_urban_area is not None:
            mua, n_ = areas.area_from_file(main_urban_area, what="main urban area", crs=boundary_crs)
            notes += n_
            datum_checks.append(_DatumCheck(np.array([mua]), boundary_crs, "main urban area", "主城区", main_urban_area, "--boundary-crs"))
            areas.check_overlap(mua, walk.bounds(), what="main urban area", path=main_urban_area)
        else:
            mua = None
        tables: dict[str, pd.DataFrame] = {}
        district_frame = None
        if districts is not None:
            d_in = districts if isinstance(districts, zones.DistrictInput) else zones.DistrictInput(districts)
            district_frame, n_ = zones.districts_from_file(d_in.path, crs=d_in.crs, name_col=d_in.name_col, code_col=d_in.code_col, encoding=d_in.encoding)
            notes += n_
            areas.check_overlap(shapely.union_all(district_frame.geometry.to_numpy()), walk.bounds(), what="districts", path=d_in.path)
            datum_checks.append(_DatumCheck(district_frame.geometry.to_numpy(), d_in.crs, "districts", "行政区", d_in.path, "--districts-crs"))
        zone_frame = None
        if zone_input is not None:
            if population_raster is not None or older_rasters:
                raise errors.InputError("give the population either as zones (--zones) or as rasters (--population/--older-population), not both")
            zone_frame, zone_rejects, n_ = zones.zones_from_file(
                zone_input.path, crs=zone_input.crs, pop_col=zone_input.pop_col, older_col=zone_input.older_col,
                older_share_col=zone_input.older_share_col, code_col=zone_input.code_col, name_col=zone_input.name_col,
                table=zone_input.table, table_key=zone_input.table_key, encoding=zone_input.encoding,
            )
            notes += n_
            tables["rejects_zones.csv"] = zone_rejects
            areas.check_overlap(shapely.union_all(zone_frame.geometry.to_numpy()), walk.bounds(), what="zones", path=zone_input.path)
            datum_checks.append(_DatumCheck(zone_frame.geometry.to_numpy(), zone_input.crs, "zones", "人口分区", zone_input.path, "--zones-crs"))

        # ------------------------------------------------------------- facilities
        stages.start("facilities")
        fac = facilities.facilities_from_features(features, services)
        fac, imports = _user_facilities(fac, facility_files, services, study_area, tables, notes, datum_checks)

        # ------------------------------------------------------------- population
        stages.start("population")
        if zone_frame is not None:
            demand = population.demand_from_zones(
                zone_frame, study_area, spread=zone_input.spread, features=features, cell_m=zone_input.cell_m,
                older_share=options.older_share, source=Path(zone_input.table or zone_input.path).name,
            )
        else:
            demand = _demand(features, walk, study_area, population_raster, older_rasters, options)
        notes += demand.notes
        del features  # a province's building footprints: ~0.5 GB not needed after this stage

        # --------------------------------------------------------------- snapping
        stages.start("snapping")
        states: dict[str, ModeState] = {}
        for m, net in nets.items():
            index = index_futures.pop(m).result()
            if m == "walk":
                notes += _check_datums(datum_checks, index)
            snapped_fac, access = facilities.facility_access(fac, index, max_snap_m=options.max_snap_m, reach_m=options.reach_m)
            if m == "walk":
                fac = snapped_fac
            weights = ["length"] + (["time"] if net.mode.weight == "time" else [])
            graphs = {w: distances.build_access_graph(net, access.facility, access.snapped, weight=w) for w in weights}
            states[m] = ModeState(net=net, index=index, access=access, graphs=graphs)
        n_far_fac = int((fac["status"] != "used").sum())
        if n_far_fac:
            notes.append(
                f"{n_far_fac} facilities lie more than {options.max_snap_m:g} m from any street and were not used "
                "(layer facilities_rejected in results.gpkg)"
            )
        # residents in metric coordinates, once per CRS (for snapping and straight-line distances)
        demand_points = {m: s.index.points(demand.lon, demand.lat) for m, s in states.items()}
        demand_snaps = {m: s.index.snap_points(demand.lon, demand.lat, points=demand_points[m]) for m, s in states.items()}
        far = demand_snaps["walk"].snap_dist_m > options.max_snap_m
        if far.any():
            people_far = float(demand.pop[far].sum())
            notes.append(
                f"{people_far:,.0f} residents ({people_far / max(demand.total, 1e-9):.2%}) live more than "
                f"{options.max_snap_m:g} m from any mapped street; "
                "their walk to the street is counted, but the map may be missing paths there"
            )

        # -------------------------------------------------------------- distances
        stages.start("distances")
        used = fac["status"].to_numpy() == "used"
        point_costs: dict[str, np.ndarray] = {}
        facility_counts: dict[str, int] = {}
        all_sets = {}
        for g in goal_list:
            for key, service, tiers in goals.required_sets(g):
                all_sets[(g.mode, key)] = (service, tiers)
        for s in services:  # every service gets distances, for the hex map and queries
            all_sets.setdefault(("walk", s), (s, None))
        set_masks: dict[str, np.ndarray] = {}  # usable facilities of each set, reused by the goals
        for (m, key), (service, tiers) in all_sets.items():
            mask = used & (fac["service"].to_numpy() == service)
            if tiers:
                mask &= fac["tier"].isin(tiers).to_numpy()
            set_masks[key] = mask
            facility_counts[key] = int(mask.sum())
        # scipy's Dijkstra holds the GIL and one core: the hexagons and the straight-line
        # distances (shapely and h3, which release it) are prepared on the other meanwhile
        walk_state = states["walk"]
        layout_future = background.submit(
            hexes.hex_layout, demand.lon, demand.lat, demand.pop, demand.older, study_area,
            resolution=options.resolution, index=walk_state.index, graph=walk_state.graphs["length"],
        )
        straight_futures = {
            key: background.submit(
                states[g.mode].index.nearest_geometry_distance, fac.geometry.to_numpy()[set_masks[key]], demand.lon, demand.lat, points=demand_points[g.mode]
            )
            for g in goal_list if g.straight_line for key, _, _ in goals.required_sets(g)
        }
        del demand_points  # a million shapely points: freed once those searches are done
        fac_ids = fac["facility_id"].to_numpy()
        # where each resident joins each graph does not depend on the service: once per graph
        neighbours = {(m, w): distances.point_neighbours(g, demand_snaps[m]) for m, st in states.items() for w, g in st.graphs.items()}
        for (m, key), (service, tiers) in all_sets.items():
            mask = set_masks[key]
            state = states[m]
            for w, graph in state.graphs.items():
                res = distances.nearest_facilities(graph, mask)
                state.results[(w, key)] = res
                cost, nearest = distances.costs_at_points(graph, res, demand_snaps[m], neighbours=neighbours[(m, w)])
                unit = "dist_m" if w == "length" else "time_s"
                point_costs[f"{m}:{columns.name(unit, key)}"] = cost
                point_costs[f"{m}:{columns.name('facility', key)}"] = _id_column(nearest, fac_ids)

        del neighbours
        # ------------------------------------------------------------------ hexes
        stages.start("hexes")
        layout = layout_future.result()
        costs_m = {s: point_costs[f"walk:{columns.name('dist_m', s)}"] for s in services}
        results_m = {s: walk_state.results[("length", s)] for s in services}
        hex_frame = hexes.hex_costs(layout, demand.pop, costs_m, results_m, graph=walk_state.graphs["length"], speed_m_s=walk_state.net.mode.speed_m_s)
        hex_of_point = layout.pos
        del layout, costs_m, results_m
        hex_labels = hex_frame["h3"].to_numpy()
        density = hex_frame["density_per_km2"].to_numpy()[hex_of_point]

        # ------------------------------------------------------------------ goals
        stages.start("goals")
        results = []
        in_mua = shapely.contains_xy(mua, demand.lon, demand.lat) if mua is not None else np.ones(len(demand), bool)
        district_of_point = districts_stage.district_of_points(district_frame, demand.lon, demand.lat) if district_frame is not None else None
        by_district: dict[str, list[dict]] = {}
        hex_goal_cols = []
        for g in goal_list:
            state = states[g.mode]
            speed = g.speed_m_s or state.net.mode.speed_m_s
            time_weighted = state.net.mode.weight == "time" and g.max_time_s is not None
            unit, cost_unit = ("time_s", "time") if time_weighted else ("dist_m", "length")
            costs = {key: point_costs[f"{g.mode}:{columns.name(unit, key)}"] for key, _, _ in goals.required_sets(g)}
            straight = None
            if g.straight_line:
                straight = {key: straight_futures[key].result()[0] for key, _, _ in goals.required_sets(g)}
            weights = demand.older if g.population == "older" else demand.pop
            in_area = in_mua if g.area == "main_urban_area" else np.ones(len(demand), bool)
            area_note = ["main urban area: not given, the whole study area is used"] if g.area == "main_urban_area" and mua is None else []
            res, covered = goals.evaluate_goal(
                g,
                costs=costs,
                weights=weights,
                in_area=in_area,
                hex_of_point=hex_of_point,
                hex_labels=hex_labels,
                speed_m_s=speed,
                cost_unit=cost_unit,
                density_per_km2=density,
                straight_m=straight,
                facility_counts=facility_counts,
                is_estimate=demand.is_estimate,
                notes=area_note + ([f"population is an ESTIMATE ({demand.source})"] if demand.is_estimate else []),
            )
            results.append(res)
            if district_of_point is not None:
                by_district[g.id] = districts_stage.goal_by_district(district_of_point, district_frame, np.where(in_area, weights, 0.0), covered)
            hex_goal_cols.append(goals.hex_goal_columns(g.id, pd.Index(hex_labels), hex_of_point, np.where(in_area, weights, 0.0), covered))
            for key, val in costs.items():
                point_costs.setdefault(f"goal:{g.id}:{key}", val)
        if hex_goal_cols:
            extra = pd.concat(hex_goal_cols, axis=1)
            hex_frame = pd.concat([hex_frame.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)
            hex_frame = gpd.GeoDataFrame(hex_frame, geometry="geometry", crs="EPSG:4326")

        point_table = pd.DataFrame({"lon": demand.lon, "lat": demand.lat, "pop": demand.pop, "older": demand.older, "h3": _id_column(hex_of_point, hex_labels)})
        for k, v in point_costs.items():
            if k.startswith("walk:"):
                point_table[k.split(":", 1)[1]] = v
        manifest = {
            "osm": str(osm_path),
            "options": asdict(options),
            "modes": {m: s.net.info for m, s in states.items()},
            "facilities": {"total": len(fac), "used": int(used.sum()), "by_set": facility_counts},
            "population": {
                "source": demand.source,
                "older_source": demand.older_source,
                "is_estimate": demand.is_estimate,
                "total": demand.total,
                "older_total": demand.total_older,
                "demand_points": len(demand),
                "hex_total": float(hex_frame["pop"].sum()),
            },
            "services": list(services),
            "goals": [asdict(g) for g in goal_list],
            "facility_imports": imports,
        }
        if zone_frame is not None:
            manifest["zones"] = {"zones": len(zone_frame), "total": float(zone_frame["pop"].sum()), "demand_total": demand.total, "spread": zone_input.spread}
        if district_frame is not None:
            manifest["districts"] = {"districts": len(district_frame), "names": district_frame["district_name"].tolist()}
        result = RunResult(
            goals=results,
            hexes=hex_frame,
            facilities=fac,
            demand=demand,
            study_area=study_area,
            main_urban_area=mua,
            modes=states,
            point_costs=point_table,
            manifest=manifest,
            notes=notes,
            districts=districts_stage.district_layer(district_frame, by_district, demand, district_of_point) if district_frame is not None else None,
            by_district=by_district,
            tables=tables,
            imports=imports,
        )
        cache_writer.shutdown(wait=True)  # the manifest records whether the cache entries were stored
        if target is not None:
            stages.start("outputs")
            outputs.write_files(result, target.tmp, inputs={"osm": osm_path, "population": population_raster, "older": list(older_rasters), "boundary": boundary, "main_urban_area": main_urban_area, "facility_files": [str(f.path) for f in facility_files], "zones": zone_input.path if zone_input else None, "zones_table": zone_input.table if zone_input else None, "districts": districts.path if isinstance(districts, zones.DistrictInput) else districts, "goals": goals_file if isinstance(goals_file, (str, Path)) else None})
        manifest["timings_s"] = stages.done()
        if target is not None:
            target.commit(outputs.run_manifest(result))
        return result


@contextlib.contextmanager
def _frozen_heap():
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


def _id_column(codes: np.ndarray, ids: np.ndarray) -> pd.Categorical | np.ndarray:
    """Per-point ids (``codes`` index ``ids``; -1 = none) as a categorical: a million residents
    share a few thousand facility or hex ids, and strings per row cost ~1 s and ~100 MB."""
    if pd.Index(ids).is_unique:
        return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=pd.Index(ids, dtype=object))
    return np.where(codes >= 0, ids[np.maximum(codes, 0)], None)


@dataclass(frozen=True)
class _DatumCheck:
    """An input whose declared coordinate system is checked against the street network (:mod:`~accessibility.datum`)."""

    geoms: np.ndarray  # WGS-84, as converted from ``declared``
    declared: str | None  # None: the file's own CRS, taken as WGS-84 longitude/latitude
    what: str
    what_zh: str
    path: str | Path
    option: str


def _check_datums(checks: Sequence[_DatumCheck], index: snapping.EdgeIndex) -> list[str]:
    """Notes (and warnings) for inputs that fit the streets far better in another Chinese coordinate system."""
    from ..stages import datum

    found = []
    for c in checks:
        geoms = c.geoms[~shapely.is_empty(c.geoms)] if len(c.geoms) else c.geoms
        if not len(geoms):
            continue
        kw = dict(declared=c.declared or "wgs84", streets=index, what=c.what, what_zh=c.what_zh, source=Path(c.path).name, option=c.option)
        if (shapely.get_type_id(geoms) == shapely.GeometryType.POINT).all():
            f = datum.suspect_datum(shapely.get_x(geoms), shapely.get_y(geoms), **kw)
        else:
            f = datum.suspect_datum_of_polygons(geoms, **kw)
        if f is not None:
            warnings.warn(f.message, errors.DataQualityWarning, stacklevel=3)
            found.append(f.message)
    return found


def _user_facilities(fac, facility_files, services, study_area, tables, notes, datum_checks) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """Import each facility file, merge it into ``fac`` and record rejects, merges and a summary."""
    imports: list[dict] = []
    merges: list[pd.DataFrame] = []
    for spec in facility_files:
        got = userdata.read_facilities(spec.path, **spec.options(), area=study_area, services=services)
        datum_checks.append(_DatumCheck(got.facilities.geometry.to_numpy(), spec.crs, "facilities", "设施", spec.path, "--facilities-crs"))
        fac, merged = merging.merge_layers(fac, got.facilities, service=spec.service, mode=spec.mode, max_dist_m=spec.merge_dist_m)
        merges.append(merged)
        name = f"rejects_{spec.service}.csv"
        tables[name] = pd.concat([tables[name], got.rejects], ignore_index=True) if name in tables else got.rejects
        s = dict(got.summary, mode=spec.mode, merged=int((merged["action"] == "merged").sum()), replaced_osm=int((merged["action"] == "replaced").sum()))
        s["rejects_file"] = name
        imports.append(s)
        notes.extend(n if Path(spec.path).name in n else f"{Path(spec.path).name}: {n}" for n in got.notes)
        notes.append(
            f"{spec.service}: {Path(spec.path).name} ({s['crs']}, {spec.mode}): {s['rows']} rows, {s['used']} used, {s['rejected']} rejected, "
            f"{s['fixed']} fixed, {s['values_left_empty']} with a value left empty ({name}); "
            + (f"{s['replaced_osm']} OSM facilities replaced" if spec.mode == "replace" else f"{s['merged']} merged with OSM facilities")
            + " (merges.csv)"
        )
    if facility_files:
        tables["merges.csv"] = pd.concat(merges, ignore_index=True) if merges else pd.DataFrame(columns=list(merging.MERGE_COLUMNS))
    return fac, imports


def _demand(features, walk, study_area, population_raster, older_rasters, options) -> population.Demand:
    if population_raster is not None or older_rasters:
        share = options.older_share
        d = population.demand_from_rasters(study_area, population=population_raster, older=list(older_rasters), older_share=share)
        if population_raster is None:  # older raster only: estimate the total
            est = population.demand_from_buildings(features, study_area, options.estimate) or population.demand_from_streets(
                walk, study_area, options.estimate
            )
            est.older = np.zeros_like(est.older)
            d = population.Demand.concat([est, d], source=est.source, older_source=d.older_source, is_estimate=True)
        return d
    est = options.estimate
    if options.older_share is not None:
        est = population.EstimateAssumptions(**{**asdict(est), "older_share": options.older_share})
    d = population.demand_from_buildings(features, study_area, est)
    if d is None:
        d = population.demand_from_streets(walk, study_area, est)
    return d

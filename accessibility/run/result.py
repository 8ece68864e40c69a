"""What a run produced, as one typed object: made by the pipeline, or read back from a run folder.

:class:`RunResult` is the contract between the pipeline and everything that works
on a finished run (query, isochrones, provision, siting, map, report, batch): it
holds the goals *by value*, each travel mode's recipe (by value), network and
facility access points, the facilities, the residents with their trip costs
(:class:`CostKey` names every cost column), the hexagons, the verdicts and the
notes. :func:`accessibility.run.write.write_run` writes it into a folder and
:func:`accessibility.run.read.read_run` reads it back equal.

What can be recomputed from the stored parts (spatial indexes, access graphs,
shortest-path trees) is built the first time a tool asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import config
from ..core import columns
from ..core.notes import Notes
from ..network import distances, ondemand, snapping, trees
from ..network import walkers as walkers_mod
from ..network.graph import Network
from ..stages import goals as goals_mod
from ..stages import population
from ..stages.facilities import FacilityAccess

__all__ = ["UNITS", "CostKey", "ModeState", "RunResult", "facility_parts", "goal_weight", "walker_unit", "walkers_of"]

#: cost units of the point table: metres along the network, or seconds on a time-weighted network;
#: besides them, ``walk_<walker>_m``: a walker's flat-equivalent metres at its speed (:func:`walker_unit`)
UNITS = ("dist_m", "time_s")
_WALKER_UNIT = re.compile(r"walk_(?P<walker>[a-z][a-z0-9]*)_m")
_COLUMN = re.compile(r"^(?P<target>.+)_(?P<unit>dist_m|time_s|walk_[a-z][a-z0-9]*_m)(?:@(?P<mode>[a-z][a-z0-9_]*))?$")


def walker_unit(walker_id: str) -> str:
    """The cost unit of a walker's trips: ``walk_older_m`` (flat-equivalent metres at the walker's speed)."""
    return f"walk_{walker_id}_m"


def walkers_of(goals: tuple[config.Goal, ...] | list[config.Goal], mode: str) -> dict[str, config.Walker]:
    """The walker profiles of the goals of ``mode``, by id."""
    return {g.walker.id: g.walker for g in goals if g.mode == mode and g.walker is not None}


def goal_weight(goal: config.Goal, recipe: config.ModeRecipe) -> tuple[str, str, str]:
    """Which costs decide a goal: ``(graph weight, CostKey unit, cost unit of the threshold)``.

    A walking time goal with a walker: its walker's costs (``"walker:older"``,
    ``"walk_older_m"``, metres); a time goal on a time-weighted mode: seconds;
    else network metres.
    """
    if goal.walker_weight is not None and goal.walker is not None:
        return goal.walker_weight, walker_unit(goal.walker.id), "length"
    if recipe.weight == "time" and goal.max_time_s is not None:
        return "time", "time_s", "time"
    return "length", "dist_m", "length"


@dataclass(frozen=True, order=True)
class CostKey:
    """Which trip cost a column of the point table holds.

    Attributes
    ----------
    mode
        Travel mode (``"walk"``, ``"bike"``, ``"drive"``).
    target
        Facility set: a service id, or ``"service[tier+tier]"`` for some tiers.
    unit
        ``"dist_m"`` (network metres), ``"time_s"`` (seconds, time-weighted modes) or
        ``"walk_<walker>_m"`` (a walker's flat-equivalent metres, :func:`walker_unit`).
    """

    mode: str
    target: str
    unit: str = "dist_m"

    def __post_init__(self) -> None:
        if self.unit not in UNITS and not _WALKER_UNIT.fullmatch(self.unit):
            raise ValueError(f"unit must be one of {UNITS} or 'walk_<walker>_m', got {self.unit!r}")

    @property
    def weight(self) -> str:
        """The graph weight of the cost: ``"length"``, ``"time"`` or ``"walker:<id>"``."""
        m = _WALKER_UNIT.fullmatch(self.unit)
        if m:
            return f"walker:{m.group('walker')}"
        return "length" if self.unit == "dist_m" else "time"

    @property
    def column(self) -> str:
        """The point-table column: ``park_dist_m`` for walking, ``park_walk_older_m`` for a walker, ``park_time_s@drive`` for other modes."""
        name = f"{self.target}_{self.unit}" if _WALKER_UNIT.fullmatch(self.unit) else columns.name(self.unit, self.target)
        return name if self.mode == "walk" else f"{name}@{self.mode}"

    @property
    def facility_column(self) -> str:
        """The column of the nearest facility's id (``park_facility``; ``park_walk_older_facility`` for a walker)."""
        name = f"{self.target}_{self.unit.removesuffix('_m')}_facility" if _WALKER_UNIT.fullmatch(self.unit) else columns.name("facility", self.target)
        return name if self.mode == "walk" else f"{name}@{self.mode}"

    @classmethod
    def from_column(cls, name: str) -> CostKey | None:
        """The key of a cost column, or ``None`` for other columns."""
        m = _COLUMN.match(name)
        return cls(m.group("mode") or "walk", m.group("target"), m.group("unit")) if m else None


def facility_parts(source: pd.Series | np.ndarray) -> np.ndarray:
    """Per facility row, the list it came from (its ``source``: ``osm``, ``user:<file>``), numbered in order of appearance.

    A set is searched in one part per list (:meth:`ModeState.nearest`), so a planner's
    changed list or new sites are searched apart from the OSM facilities, which an
    earlier run's search gives back.
    """
    return np.asarray(pd.factorize(pd.Series(np.asarray(source, dtype=object)).astype(str))[0], dtype=np.int64)


class SearchMemory(Protocol):
    """Facility sets' searches of earlier runs, found by the streets searched and the set's access points."""

    def recall(self, graph: distances.AccessGraph, mask: np.ndarray) -> trees.Tree | None: ...

    def remember(self, graph: distances.AccessGraph, mask: np.ndarray, tree: trees.Tree) -> None: ...

    def recall_points(self, graph: distances.AccessGraph, parts: Sequence[np.ndarray], points_key: str) -> tuple[np.ndarray, np.ndarray] | None: ...

    def remember_points(self, graph: distances.AccessGraph, parts: Sequence[np.ndarray], points_key: str, cost: np.ndarray, source: np.ndarray) -> None: ...


class _Graphs(dict):
    """Access graphs by weight, built the first time each is asked for."""

    def __init__(self, build: Callable[[str], distances.AccessGraph], built: dict[str, distances.AccessGraph] | None = None) -> None:
        super().__init__(built or {})
        self._build = build

    def __missing__(self, weight: str) -> distances.AccessGraph:
        self[weight] = graph = self._build(weight)
        return graph


@dataclass
class ModeState:
    """One travel mode of a run: its network (with the recipe by value) and the facilities' access points.

    The edge index, the access graphs (by weight: ``"length"``, ``"time"``, and
    ``"walker:<id>"`` for the walker profiles of its goals, ``walkers``) and the
    shortest-path trees of each facility set (:meth:`tree`) are filled by the
    pipeline, and built on first use for a run read from a folder. The cost at
    every node of a graph (:meth:`nearest`, ``results``) is spread from a tree only
    when a tool asks for it: the run costs its residents from the trees.
    """

    net: Network
    access: FacilityAccess
    walkers: dict[str, config.Walker] = field(default_factory=dict)
    _index: snapping.EdgeIndex | ondemand.EdgeIndexOnDemand | None = field(default=None, repr=False)
    graphs: dict[str, distances.AccessGraph] = field(default_factory=dict, repr=False)
    results: dict[tuple[str, str], distances.NearestResult] = field(default_factory=dict, repr=False)  # (weight, set key): cost at every node
    set_trees: dict[tuple[str, str], trees.Tree] = field(default_factory=dict, repr=False)  # (weight, set key): each set's search
    memory: SearchMemory | None = field(default=None, repr=False)  # searches of earlier runs (:class:`~accessibility.run.reuse.RememberedSearches`)
    _by_mask: dict[tuple[str, bytes], trees.Tree] = field(default_factory=dict, repr=False)  # two sets of the same facilities: one search
    #: where the run's residents (``RunResult.demand``, in order) join this mode's streets; ``None`` for a run read from a folder
    residents: snapping.Snapped | None = field(default=None, repr=False)
    #: per facility row, the list it came from (:func:`facility_parts`): each list's part of a set is searched apart (:meth:`nearest`)
    parts: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.graphs, _Graphs):
            self.graphs = _Graphs(self._build_graph, self.graphs)

    def _build_graph(self, weight: str) -> distances.AccessGraph:
        return distances.build_access_graph(self.net, self.access.facility, self.access.snapped, weight=weight, costs=self.costs(weight))

    def costs(self, weight: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Per-direction edge costs of a walker weight (``"walker:older"``); ``None`` for ``"length"`` and ``"time"``."""
        if not weight.startswith("walker:"):
            return None
        wid = weight.removeprefix("walker:")
        if wid not in self.walkers:
            raise KeyError(f"no walker '{wid}' in the {self.net.mode.id} mode of this run; its walkers are {sorted(self.walkers)}")
        return walkers_mod.walker_costs(self.net, self.walkers[wid])

    @property
    def recipe(self) -> config.ModeRecipe:
        """The mode's recipe (by value)."""
        return self.net.mode

    @property
    def speed_m_s(self) -> float:
        """The mode's speed, which turns its distances into times."""
        return float(self.net.mode.speed_m_s)

    @property
    def weights(self) -> tuple[str, ...]:
        """The graph weights a run uses: ``length``, and ``time`` for time-weighted modes."""
        return ("length", "time") if self.net.mode.weight == "time" else ("length",)

    @property
    def index(self) -> snapping.EdgeIndex:
        """The spatial index of the mode's streets (built on first use)."""
        if self._index is None:
            self._index = snapping.EdgeIndex(self.net)
        elif isinstance(self._index, ondemand.EdgeIndexOnDemand):
            self._index = self._index.whole()
        return self._index

    @property
    def projection(self) -> snapping.Projection:
        """The mode's metric CRS, to measure straight lines in (no index built for it, nor held)."""
        return snapping.Projection(self.net.metric_crs)

    def nearest(self, key: str, mask: np.ndarray, *, weight: str = "length", keep: bool = True) -> distances.NearestResult:
        """Cost at every node of the access graph to the nearest facility of set ``key`` (``mask`` over the facility rows), kept unless ``keep=False``."""
        res = self.results.get((weight, key))
        if res is None:
            res = distances.nearest_facilities(self.graphs[weight], mask, tree=self.tree(key, mask, weight=weight))
            if keep:
                self.results[(weight, key)] = res
        return res

    def release_index(self) -> None:
        """Let the streets' index go (~650 MB at 1M nodes): a run's stages after the hexagons need none; a tool asking for :attr:`index` builds it again."""
        self._index = None

    def tree(self, key: str, mask: np.ndarray, *, weight: str = "length") -> trees.Tree:
        """The search from the facilities of set ``key`` (``mask`` over the facility rows), kept; from ``memory`` when it has it."""
        got = self.set_trees.get((weight, key))
        if got is None and (same := self._by_mask.get((weight, np.asarray(mask, bool).tobytes()))) is not None:
            # a tier subset holding every facility of its service (a small area): the same search
            got = self.set_trees[(weight, key)] = same
        if got is None:
            got = self.set_trees[(weight, key)] = self._tree(self.graphs[weight], mask)
            self._by_mask[(weight, np.asarray(mask, bool).tobytes())] = got
        return got

    def point_costs(
        self, key: str, mask: np.ndarray, points: trees.Sides, *, weight: str = "length", points_key: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Trip cost and nearest facility row of set ``key`` from points where trips start (:func:`~accessibility.network.distances.point_sides`).

        ``points_key`` names the points (the run's residents or hexagon centres, by content):
        ``memory`` then gives the costs an earlier run found from the same searches, which
        are all they depend on besides the points (:func:`~accessibility.network.trees.at_points`).
        """
        graph = self.graphs[weight]
        parts = self._parts(mask)
        memory = self.memory if points_key is not None else None
        got = memory.recall_points(graph, parts, points_key) if memory is not None and points_key is not None else None
        if got is None:
            got = distances.costs_from_tree(graph, self.tree(key, mask, weight=weight), mask, points)
            if memory is not None and points_key is not None:
                memory.remember_points(graph, parts, points_key, *got)
        return got[0], distances.facility_rows(graph, mask, got[1])

    def _parts(self, mask: np.ndarray) -> list[np.ndarray]:
        """The set's facilities by the list they came from (:attr:`parts`): each is searched apart."""
        mask = np.asarray(mask, bool)
        if self.parts is not None and len(lists := np.unique(self.parts[mask])) > 1:
            return [mask & (self.parts == p) for p in lists]
        return [mask]

    def _tree(self, graph: distances.AccessGraph, mask: np.ndarray) -> trees.Tree:
        """A set's search: one per list its facilities came from (:attr:`parts`), merged (:func:`~accessibility.network.trees.merge`).

        A planner who adds sites or edits a list searches again only that list's part of
        each set (a few sources: a fraction of a search of all); the OSM part is read back
        from ``memory``. Every run splits its sets so, with a cache or without, so a rerun
        equals a fresh run to the last bit.
        """
        parts = self._parts(mask)
        grown = [self._grown(graph, p) for p in parts]
        if len(grown) == 1:
            return grown[0]
        return trees.merge(grown, [graph.set_sources(p) for p in parts], graph.set_sources(mask))

    def _grown(self, graph: distances.AccessGraph, mask: np.ndarray) -> trees.Tree:
        """The search from the facilities of ``mask``: from ``memory`` when it has it, else grown (and remembered)."""
        tree = self.memory.recall(graph, mask) if self.memory is not None else None
        if tree is None:
            tree = distances.grow_tree(graph, mask)
            if self.memory is not None:
                self.memory.remember(graph, mask, tree)
        return tree


@dataclass
class RunResult:
    """What a run produced (written to and read from a run folder by :mod:`accessibility.run.write` / :mod:`~accessibility.run.read`).

    Attributes
    ----------
    goals
        The verdicts, one per goal.
    goal_specs
        The goals as evaluated (by value).
    hexes
        H3 hexagons with population, per-service minutes and per-goal coverage.
    facilities
        Every facility with its ``status`` (``used`` or why not).
    demand
        The residents (demand points) with their source.
    point_costs
        Per demand point: lon, lat, pop, older, h3, the trip cost and nearest
        facility per :class:`CostKey`, and each goal's coverage (``<goal>_covered``).
    study_area, main_urban_area
        WGS-84 polygons (the main urban area may be ``None``).
    modes
        :class:`ModeState` per travel mode.
    manifest
        Inputs, options, network facts, timings.
    notes
        Structured notes and warnings (:class:`~accessibility.core.notes.Notes`).
    districts, by_district
        District polygons with per-goal columns, and per goal its rows per district.
    tables
        Extra tables of the run folder (rejects, merges), by file name.
    imports
        Summaries of the planners' facility files.
    folder
        The run folder, once written or when read from one.
    """

    goals: list[goals_mod.GoalResult]
    hexes: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    demand: population.Demand
    study_area: shapely.Geometry
    main_urban_area: shapely.Geometry | None
    modes: dict[str, ModeState]
    point_costs: pd.DataFrame
    manifest: dict
    notes: Notes
    districts: gpd.GeoDataFrame | None = None
    by_district: dict[str, list[dict]] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    imports: list[dict] = field(default_factory=list)
    goal_specs: tuple[config.Goal, ...] = ()
    folder: Path | None = None

    def goal(self, goal_id: str) -> goals_mod.GoalResult:
        """The verdict on ``goal_id``."""
        for g in self.goals:
            if g.id == goal_id:
                return g
        raise KeyError(f"no goal '{goal_id}' in this run; goals are {[g.id for g in self.goals]}")

    def goal_spec(self, goal_id: str) -> config.Goal:
        """The goal ``goal_id`` as evaluated (thresholds, services, speed...)."""
        for g in self.goal_specs:
            if g.id == goal_id:
                return g
        from .. import errors

        raise errors.ConfigError(f"goal '{goal_id}' was not evaluated in this run; its goals are {[g.id for g in self.goal_specs]}")

    @property
    def services(self) -> list[str]:
        """Service ids of the run."""
        return list(self.manifest.get("services") or dict.fromkeys(self.facilities["service"]))

    def speed_m_s(self, mode: str = "walk") -> float:
        """The speed of ``mode`` (its recipe's): the one rule that turns the run's distances into minutes."""
        return self.modes[mode].speed_m_s

    def goal_speed_m_s(self, goal: config.Goal) -> float:
        """The speed of a goal: its own ``walk_speed_m_s`` (e.g. 0.8 m/s for older people), else its mode's."""
        return float(goal.speed_m_s or self.speed_m_s(goal.mode))

    def facility_mask(self, service: str, tiers: tuple[str, ...] | None = None) -> np.ndarray:
        """Usable facilities (rows of :attr:`facilities`) of a service, optionally of some tiers."""
        fac = self.facilities
        mask = (fac["status"].to_numpy() == "used") & (fac["service"].to_numpy() == service)
        if tiers:
            mask &= fac["tier"].isin(tiers).to_numpy()
        return mask

    def cost(self, key: CostKey) -> np.ndarray:
        """Trip cost of every demand point for ``key`` (metres or seconds; ``inf`` where unreachable)."""
        if key.column not in self.point_costs:
            known = [c for c in self.point_costs.columns if CostKey.from_column(c)]
            raise KeyError(f"the run has no cost {key.column!r}; it has {known}")
        return self.point_costs[key.column].to_numpy(np.float64)

    def node_table(self, mode: str = "walk") -> pd.DataFrame:
        """pandana ``nearest_pois``-shaped table: per street node, distance to and id of the nearest facility per service."""
        state = self.modes[mode]
        sets = list(self.services)
        for g in self.goal_specs:
            if g.mode == mode:
                sets += [k for k, _, _ in goals_mod.required_sets(g) if k not in sets]
        res = {}
        for key in sets:
            service, tiers = goals_mod.parse_set_key(key)
            res[key] = state.nearest(key, self.facility_mask(service, tiers), keep=False)  # ~26 MB a set at 1M nodes: not held after the table
        return distances.node_table(state.graphs["length"], res, self.facilities["facility_id"].to_numpy())

    def covered(self, goal_id: str) -> np.ndarray:
        """Per demand point, whether the goal covers it (as evaluated)."""
        return self.point_costs[columns.name("covered", goal_id)].to_numpy(bool)

    def describe(self) -> dict[str, Any]:
        """Population facts of the run (what ``goals.json`` says about the population)."""
        d = self.demand
        return {
            "population_source": d.source,
            "older_population_source": d.older_source,
            "population_is_estimate": d.is_estimate,
            "population_quality": d.quality,
            "population_total": d.total,
            "older_population_total": d.total_older,
        }

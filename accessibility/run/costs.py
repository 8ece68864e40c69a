"""The distances step of a run: every resident's trip cost to the nearest facility of each set, per travel mode and weight.

One multi-source Dijkstra per (mode, facility set, weight): the network
metres (and seconds on time-weighted modes) of every set, and, for each
walking time goal with a walker profile, its sets on that walker's costs
(flat-equivalent metres at the walker's speed, :mod:`~accessibility.network.walkers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from .. import config
from ..network import distances, snapping, trees
from ..stages import goals as goals_mod
from ..stages import hexes as hexes_mod
from ..stages import population
from .inputs import RunOptions
from .result import CostKey, ModeState, goal_weight

__all__ = ["Costs", "Snaps", "facility_sets", "lay_out_hexagons", "trip_costs", "walker_sets"]


@dataclass
class Snaps:
    """Where the residents join each mode's streets, and their metric coordinates (freed once used; absent when the positions came from the cache)."""

    snapped: dict[str, snapping.Snapped]
    points: dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass
class Costs:
    """Trip cost and nearest facility of every resident per :class:`~accessibility.run.result.CostKey`, and usable facilities per set."""

    cost: dict[CostKey, np.ndarray]
    nearest: dict[CostKey, np.ndarray]  # facility row, -1 where none
    set_masks: dict[str, np.ndarray]
    facility_counts: dict[str, int]
    layout: Future[hexes_mod.HexLayout]
    straight: dict[str, Future[tuple[np.ndarray, np.ndarray]]]
    residents_key: str | None = None  # the residents and hexagons by content (:func:`~accessibility.run.reuse.residents_key`)


def facility_sets(goal_list: Sequence[config.Goal], services: Sequence[str]) -> dict[tuple[str, str], tuple[str, tuple[str, ...] | None]]:
    """(mode, set key) -> (service, tiers): every facility set the goals use, and every service on foot (for maps and queries)."""
    sets: dict[tuple[str, str], tuple[str, tuple[str, ...] | None]] = {}
    for g in goal_list:
        for key, service, tiers in goals_mod.required_sets(g):
            sets[(g.mode, key)] = (service, tiers)
    for s in services:
        sets.setdefault(("walk", s), (s, None))
    return sets


def walker_sets(goal_list: Sequence[config.Goal], states: dict[str, ModeState]) -> list[tuple[str, str, str, str]]:
    """The searches on walkers' costs: ``(mode, set key, weight, unit)`` for the sets of every walking time goal with a walker.

    Only the sets of those goals, not every set for every walker.
    """
    out: dict[tuple[str, str, str, str], None] = {}
    for g in goal_list:
        weight, unit, _ = goal_weight(g, states[g.mode].recipe)
        if weight.startswith("walker:"):
            out.update(dict.fromkeys((g.mode, key, weight, unit) for key, _, _ in goals_mod.required_sets(g)))
    return list(out)


def start_hex_cells(demand: population.Demand, study: shapely.Geometry, options: RunOptions, *, background: Executor) -> Future[hexes_mod.HexCells]:
    """The hexagons and their people laid out now, their polygons and areas in the background (they need no street).

    Called while ``background`` builds the streets' index, which the run would wait for
    (~0.7 s at 1M nodes); the polygons and areas (~1.2 s of CPU) then go beside the facilities'
    joins. (All of it in the background, h3ronpy's areas held the GIL ~0.9 s there, and the
    joins took ~1 s longer.)
    """
    cells = hexes_mod.hex_cells(demand.lon, demand.lat, demand.pop, demand.older, study, resolution=options.resolution)
    return background.submit(cells.with_polygons)


def lay_out_hexagons(
    states: dict[str, ModeState], demand: population.Demand, study: shapely.Geometry, options: RunOptions, *, background: Executor,
    stored: hexes_mod.HexLayout | None = None, cells: Future[hexes_mod.HexCells] | None = None,
) -> Future[hexes_mod.HexLayout]:
    """The hexagons, laid out in the background while the trip costs are computed.

    ``stored``: an earlier run's layout, joined to this run's graph; ``cells``: this run's
    hexagons started earlier (:func:`start_hex_cells`, on the same one-thread ``background``,
    so they are done before this task runs), whose empty centres are then snapped and
    joined to the streets. (Snapped on this thread instead, the centres took 2.9 s of the
    1M-node run's critical path; in the background they wait ~1.5 s for the searches.)
    """
    walk = states["walk"]
    if stored is not None:
        return background.submit(stored.joined, walk.graphs["length"])
    if cells is not None:

        def join() -> hexes_mod.HexLayout:
            laid = cells.result()
            return laid.joined(walk.index.snap_points(laid.centre_lon, laid.centre_lat), walk.graphs["length"])

        return background.submit(join)
    return background.submit(
        hexes_mod.hex_layout, demand.lon, demand.lat, demand.pop, demand.older, study,
        resolution=options.resolution, index=walk.index, graph=walk.graphs["length"],
    )


def trip_costs(
    states: dict[str, ModeState], fac: gpd.GeoDataFrame, demand: population.Demand, snaps: Snaps, goal_list: Sequence[config.Goal],
    services: Sequence[str], *, background: Executor, layout: Future[hexes_mod.HexLayout], residents_key: str | None = None,
) -> Costs:
    """One multi-source Dijkstra per (mode, facility set, weight), while ``layout`` (:func:`lay_out_hexagons`) is prepared.

    ``residents_key`` (:func:`~accessibility.run.reuse.residents_key`): the residents' costs of a set an
    earlier run found from the same searches come from the cache.
    """
    used = fac["status"].to_numpy() == "used"
    sets = facility_sets(goal_list, services)
    set_masks: dict[str, np.ndarray] = {}  # usable facilities of each set, reused by the goals
    for (_, key), (service, tiers) in sets.items():
        mask = used & (fac["service"].to_numpy() == service)
        if tiers:
            mask &= fac["tier"].isin(tiers).to_numpy()
        set_masks[key] = mask
    # scipy's Dijkstra holds the GIL and one core: the hexagons and the straight-line
    # distances (shapely and h3, which release it) are prepared on the other meanwhile
    straight = {
        key: background.submit(
            states[g.mode].projection.nearest_geometry_distance, fac.geometry.to_numpy()[set_masks[key]], demand.lon, demand.lat, xy=snaps.points.get(g.mode)
        )
        for g in goal_list if g.straight_line for key, _, _ in goals_mod.required_sets(g)
    }
    snaps.points.clear()  # a million residents' coordinates: freed once those distances are measured
    # (mode, set key, weight, unit) of every search: each set on the mode's weights, and the walkers' sets
    searches = [(m, key, w, "dist_m" if w == "length" else "time_s") for m, key in sets for w in states[m].weights]
    searches += walker_sets(goal_list, states)
    # where each resident joins each graph does not depend on the service: once per graph
    joined: dict[tuple[str, str], trees.Sides] = {}
    cost: dict[CostKey, np.ndarray] = {}
    nearest: dict[CostKey, np.ndarray] = {}
    last = {(m, w): i for i, (m, _, w, _) in enumerate(searches)}  # each graph's last search
    for i, (m, key, w, unit) in enumerate(searches):
        state = states[m]
        if (m, w) not in joined:
            joined[(m, w)] = distances.point_sides(state.graphs[w], snaps.snapped[m])
        k = CostKey(m, key, unit)
        cost[k], nearest[k] = state.point_costs(key, set_masks[key], joined[(m, w)], weight=w, points_key=residents_key and f"residents/{residents_key}")
        if last[(m, w)] == i:  # no later search joins the residents to this graph: freed before the next (~50 MB at 1M residents)
            del joined[(m, w)]
    return Costs(cost, nearest, set_masks, {k: int(v.sum()) for k, v in set_masks.items()}, layout, straight, residents_key)

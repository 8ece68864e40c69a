"""Where to build next: choose new sites that cover the most uncovered residents.

The problem is the maximal covering location problem (MCLP): pick ``k`` sites
among candidates to maximise the population newly brought within a goal's
threshold, keeping every existing facility. The shape follows spopt:
``MaxCoverage.from_cost_matrix(...)`` then ``.solve(...)``.

* ``method="greedy"``: lazy greedy (CELF; Leskovec et al. 2007). Coverage is
  submodular, so the greedy value is at least (1 - 1/e) ≈ 63% of the optimum,
  and in practice within a few percent; lazy evaluation re-scores only the
  candidate on top of the heap.
* ``method="exact"``: spopt's MCLP solved by CBC (open source, via PuLP), for
  small instances; the gap between greedy and exact is reported.
* ``capacity``: each new site serves at most this many people (nearest
  first), the capacity-aware variant.
"""

from __future__ import annotations

import heapq
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import errors
from ..network import distances, slope
from ..run.read import as_result
from ..run.result import CostKey, RunResult, goal_weight
from ..stages import goals as goals_mod
from ..stages import plausibility
from . import sitefiles
from .matrix import PointFile

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["MaxCoverage", "SitingResult"]

log = logging.getLogger(__name__)


@dataclass
class SitingResult:
    """Chosen sites in order, with what each adds."""

    sites: np.ndarray  # candidate indices, in the order chosen
    gains: np.ndarray  # newly covered people of each site (marginal gain)
    covered_before: float
    covered_after: float
    total: float
    method: str
    exact_objective: float | None = None
    greedy_objective: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def curve(self) -> pd.DataFrame:
        """Coverage against the number of new sites (k = 0 .. len(sites))."""
        covered = self.covered_before + np.concatenate([[0.0], np.cumsum(self.gains)])
        return pd.DataFrame({"k": np.arange(len(covered)), "covered": covered, "share": covered / self.total if self.total > 0 else np.nan})

    @property
    def gap(self) -> float | None:
        """Relative gap of the greedy objective to the exact optimum (0 = optimal)."""
        if self.exact_objective is None or self.greedy_objective is None or self.exact_objective <= 0:
            return None
        return float((self.exact_objective - self.greedy_objective) / self.exact_objective)


class MaxCoverage:
    """Maximal covering with existing facilities fixed.

    Build with :meth:`from_cost_matrix` or :meth:`from_pairs`; then :meth:`solve`.

    Parameters
    ----------
    reach
        Sparse boolean matrix, demand points x candidates: candidate covers point.
    weights
        People at each demand point.
    covered
        Points already covered by existing facilities (they count for nothing new).
    distance
        Optional sparse matrix of the same shape with trip costs, for the
        capacity-aware variant (nearest first).
    """

    def __init__(self, reach: sp.csc_matrix, weights: np.ndarray, covered: np.ndarray | None = None, distance: sp.csc_matrix | None = None):
        self.reach = sp.csc_matrix(reach, dtype=bool)
        self.weights = np.asarray(weights, np.float64)
        n_points, self.n_candidates = self.reach.shape
        if len(self.weights) != n_points:
            raise errors.InputError(f"weights has {len(self.weights)} values for {n_points} demand points")
        self.covered = np.zeros(n_points, bool) if covered is None else np.asarray(covered, bool)
        self.distance = None if distance is None else sp.csc_matrix(distance)

    @classmethod
    def from_cost_matrix(cls, cost_matrix: np.ndarray, weights: np.ndarray, service_radius: float | np.ndarray, *, covered: np.ndarray | None = None) -> MaxCoverage:
        """From a dense demand x candidate cost matrix (spopt's signature).

        ``service_radius`` may be one value or one per demand point.
        """
        cost = np.asarray(cost_matrix, np.float64)
        radius = np.broadcast_to(np.asarray(service_radius, np.float64), (cost.shape[0],))[:, None]
        within = cost <= radius
        return cls(sp.csc_matrix(within), weights, covered, sp.csc_matrix(np.where(within, cost + 1e-9, 0.0)))

    @classmethod
    def from_pairs(
        cls, point: np.ndarray, candidate: np.ndarray, cost: np.ndarray, *, n_points: int, n_candidates: int, weights: np.ndarray, service_radius: float | np.ndarray, covered: np.ndarray | None = None
    ) -> MaxCoverage:
        """From a sparse (point, candidate, cost) table, e.g. :func:`~accessibility.distances.point_facility_costs`."""
        radius = np.broadcast_to(np.asarray(service_radius, np.float64), (n_points,))
        ok = cost <= radius[point]
        shape = (n_points, n_candidates)
        reach = sp.csc_matrix((np.ones(ok.sum(), bool), (point[ok], candidate[ok])), shape=shape)
        dist = sp.csc_matrix((cost[ok] + 1e-9, (point[ok], candidate[ok])), shape=shape)
        return cls(reach, weights, covered, dist)

    # ------------------------------------------------------------------ solving

    def _gain(self, c: int, remaining: np.ndarray, capacity: float | None) -> float:
        rows = self.reach.indices[self.reach.indptr[c] : self.reach.indptr[c + 1]]
        g = float(remaining[rows].sum())
        return min(g, capacity) if capacity is not None else g

    def _take(self, c: int, remaining: np.ndarray, capacity: float | None) -> float:
        lo, hi = self.reach.indptr[c], self.reach.indptr[c + 1]
        rows = self.reach.indices[lo:hi]
        if capacity is None:
            g = float(remaining[rows].sum())
            remaining[rows] = 0.0
            return g
        # nearest residents first, until the site is full
        d = np.asarray(self.distance[:, c].toarray()).ravel()[rows] if self.distance is not None else np.zeros(len(rows))
        order = rows[np.argsort(d, kind="stable")]
        need = remaining[order]
        before = np.concatenate([[0.0], np.cumsum(need)[:-1]])
        take = np.clip(capacity - before, 0.0, need)
        remaining[order] -= take
        return float(take.sum())

    def _greedy(self, k: int | None, target: float | None, capacity: float | None) -> tuple[list[int], list[float]]:
        remaining = np.where(self.covered, 0.0, self.weights)
        total = float(self.weights.sum())
        covered_now = float(self.weights[self.covered].sum())
        heap = [(-self._gain(c, remaining, capacity), c) for c in range(self.n_candidates)]
        heapq.heapify(heap)
        chosen: list[int] = []
        gains: list[float] = []
        while heap and (k is None or len(chosen) < k):
            if target is not None and total > 0 and covered_now / total >= target - 1e-12:
                break
            _neg, c = heapq.heappop(heap)
            fresh = self._gain(c, remaining, capacity)
            if heap and fresh < -heap[0][0] - 1e-9:  # stale bound: re-score lazily
                heapq.heappush(heap, (-fresh, c))
                continue
            if fresh <= 0:
                break
            g = self._take(c, remaining, capacity)
            chosen.append(c)
            gains.append(g)
            covered_now += g
        return chosen, gains

    def _exact(self, k: int) -> tuple[list[int], float]:
        try:
            import pulp
            from spopt.locate import MCLP
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise errors.AccessibilityError("exact siting needs spopt and pulp: pip install spopt pulp") from exc
        open_ = ~self.covered
        # Only points not yet covered and reachable by some candidate matter.
        useful = open_ & (np.asarray(self.reach.sum(axis=1)).ravel() > 0)
        idx = np.flatnonzero(useful)
        if len(idx) == 0 or k == 0:
            return [], 0.0
        if len(idx) * self.n_candidates > 5_000_000:
            raise errors.InputError(
                f"exact siting on {len(idx)} demand points x {self.n_candidates} candidates is too large; use method='greedy' "
                "(its gap is reported on small instances)"
            )
        reach = self.reach[idx].toarray()
        cost = np.where(reach, 0.0, 1.0)
        with warnings.catch_warnings():
            # spopt builds its model with PuLP's older API, which PuLP 3.3+ flags as
            # deprecated; the model is still correct, and the warning is not ours to fix.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"spopt(\.|$)|pulp(\.|$)")
            warnings.filterwarnings("ignore", message=r".*LpVariable.*deprecated.*", category=DeprecationWarning)
            model = MCLP.from_cost_matrix(
                cost, self.weights[idx], service_radius=0.5, p_facilities=int(min(k, self.n_candidates)), name="accessibility-mclp"
            )
            model = model.solve(pulp.PULP_CBC_CMD(msg=False))
        chosen = [int(j) for j in np.flatnonzero([v.value() > 0.5 for v in model.fac_vars])]
        value = float(self.weights[idx][reach[:, chosen].any(axis=1)].sum()) if chosen else 0.0
        return chosen, value

    def solve(self, k: int | None = None, *, target_share: float | None = None, method: str = "greedy", capacity: float | None = None) -> SitingResult:
        """Choose new sites.

        Parameters
        ----------
        k
            Number of new sites; ``None`` with ``target_share`` gives the fewest
            sites (greedy) that reach the target share.
        target_share
            Stop when this share of the population is covered.
        method
            ``"greedy"`` (lazy greedy), ``"exact"`` (spopt MCLP + CBC) or
            ``"both"`` (greedy sites, exact optimum for the reported gap).
        capacity
            People each new site can serve (nearest first); greedy only.
        """
        if k is None and target_share is None:
            raise errors.InputError("give k (number of new sites) or target_share (e.g. 0.95)")
        if k is not None and k < 0:
            raise errors.InputError(f"k must be >= 0, got {k}")
        if method not in ("greedy", "exact", "both"):
            raise errors.InputError(f"method must be 'greedy', 'exact' or 'both', got {method!r}")
        if capacity is not None and method != "greedy":
            raise errors.InputError("the capacity-aware variant is solved greedily; use method='greedy'")
        total = float(self.weights.sum())
        before = float(self.weights[self.covered].sum())
        notes = []
        if method in ("greedy", "both"):
            chosen, gains = self._greedy(k, target_share, capacity)
            greedy_value = float(sum(gains))
            exact_value = None
            if method == "both":
                _, exact_value = self._exact(len(chosen) if k is None else k)
            if k is not None and len(chosen) < k:
                notes.append(f"only {len(chosen)} of the {k} sites add anyone: the rest of the people are out of reach of every candidate")
            if target_share is not None and total > 0 and (before + greedy_value) / total < target_share - 1e-12:
                notes.append(f"target share {target_share:.0%} not reachable with these candidates{'' if k is None else f' and k={k}'}")
            return SitingResult(
                np.array(chosen, dtype=np.int64), np.array(gains), before, before + greedy_value, total, method, exact_value, greedy_value, notes
            )
        if k is None:
            raise errors.InputError("method='exact' needs k")
        chosen, value = self._exact(k)
        # order the exact set by marginal gain so the curve is meaningful
        remaining = np.where(self.covered, 0.0, self.weights)
        order, gains = [], []
        pool = list(chosen)
        while pool:
            best = max(pool, key=lambda c: self._gain(c, remaining, None))
            gains.append(self._take(best, remaining, None))
            order.append(best)
            pool.remove(best)
        return SitingResult(np.array(order, dtype=np.int64), np.array(gains), before, before + value, total, method, value, None, notes)


# --------------------------------------------------------------------------- from a run folder


@dataclass
class Suggestions:
    """Site suggestions for one goal of a run."""

    goal: str
    service: str
    sites: gpd.GeoDataFrame  # rank, goal, service, lon, lat (+ lon_gcj02...), street, candidate, candidate_name, marginal_gain, covered_after, share_after, snap_dist_m
    curve: pd.DataFrame
    result: SitingResult
    summary: dict


def node_candidates(net, *, spacing_m: float, near: tuple[np.ndarray, np.ndarray] | None = None, reach_m: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Street nodes as candidate sites, at most one per ``spacing_m`` grid cell (metric CRS).

    With ``near`` (lon, lat of uncovered residents) and ``reach_m``, only nodes
    within ``reach_m`` (straight line) of one of them are kept: the others
    cannot bring anyone new within the goal's threshold.
    """
    import pyproj
    from scipy.spatial import cKDTree

    to_m = pyproj.Transformer.from_crs("EPSG:4326", net.metric_crs, always_xy=True)
    lon, lat = net.nodes["lon"].to_numpy(), net.nodes["lat"].to_numpy()
    x, y = to_m.transform(lon, lat)
    keep = np.ones(len(x), dtype=bool)
    if near is not None and reach_m is not None and len(near[0]):
        nx_, ny_ = to_m.transform(*near)
        d, _ = cKDTree(np.column_stack([nx_, ny_])).query(np.column_stack([x, y]), distance_upper_bound=reach_m)
        keep = np.isfinite(d)
    cell = np.floor(np.column_stack([x, y]) / spacing_m).astype(np.int64)
    idx = np.flatnonzero(keep)
    _, first = np.unique(cell[idx], axis=0, return_index=True)
    chosen = np.sort(idx[first])
    return lon[chosen], lat[chosen]


def suggest_from_run(
    run: RunResult | str | Path,
    goal: str,
    *,
    k: int | None = None,
    target_share: float | None = None,
    service: str | None = None,
    candidates: tuple[np.ndarray, np.ndarray] | str | Path | PointFile | None = None,
    spacing_m: float = 200.0,
    method: str = "greedy",
    capacity: float | None = None,
) -> Suggestions:
    """Suggest new sites for a goal of a finished run, keeping existing facilities.

    Residents count as covered exactly as the goal's verdict counted them (the
    run's per-resident coverage, on the goal's own travel mode, threshold,
    speed and density rules); a new site covers the residents within the
    goal's threshold of it on the same network.

    Parameters
    ----------
    run
        A run, or the folder ``accessibility run`` wrote.
    goal
        Goal id (e.g. ``"elderly_care_1km"``).
    k, target_share
        Number of sites, or the share of the goal's population to reach.
    service
        For goals with several services: the service to site (a resident
        counts as newly covered only if the goal's other services already reach them).
    candidates
        (lon, lat) of candidate sites (WGS-84), or a file of them read as
        facility lists are (any encoding; its coordinate system declared with
        a :class:`~accessibility.tools.matrix.PointFile`); default street
        nodes at most one per ``spacing_m`` cell.
    spacing_m
        Spacing of the street-node candidates.
    method, capacity
        See :meth:`MaxCoverage.solve`.

    Returns
    -------
    Suggestions
        The sites carry the names of the streets next to them (``street``),
        the candidates' names from a file (``candidate_name``) and, where the
        run's inputs or the candidates were declared in GCJ-02 or BD-09, their
        coordinates in that system (``lon_gcj02``/``lat_gcj02``, ``lon_bd09``/``lat_bd09``).
    """
    import geopandas as gpd
    import shapely

    result = as_result(run)
    g = result.goal_spec(goal)
    if service is None:
        if len(g.services) > 1:
            raise errors.InputError(f"goal '{goal}' combines {list(g.services)}; choose one with service=... (--service)")
        service = g.services[0]
    if service not in g.services:
        raise errors.InputError(f"service '{service}' is not part of goal '{goal}' ({list(g.services)})")
    state = result.modes[g.mode]
    pts = result.point_costs
    n = len(pts)
    w = pts["older" if g.population == "older" else "pop"].to_numpy(np.float64)
    lon, lat = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    if g.area == "main_urban_area" and result.main_urban_area is not None:
        w = np.where(shapely.contains_xy(result.main_urban_area, lon, lat), w, 0.0)
    speed = result.goal_speed_m_s(g)
    density = None
    if g.density_rules:
        hexes = result.hexes.set_index("h3")["density_per_km2"]
        density = hexes.reindex(pts["h3"].astype(str)).to_numpy()
    weight, unit, cost_unit = goal_weight(g, state.recipe)  # a walker's costs, seconds or metres: the goal's own
    costs = {key: result.cost(CostKey(g.mode, key, unit)) for key, _, _ in goals_mod.required_sets(g)}
    threshold = goals_mod.goal_threshold(g, speed, density, n, cost_unit=cost_unit)
    reach = goals_mod.service_reach(g, costs, threshold)
    covered = result.covered(goal)  # the verdict's own decision
    others = [reach[s] for s in g.services if s != service]
    eligible = np.logical_and.reduce(others) if g.combine == "all" and others else np.ones(n, bool)
    weights = np.where(eligible, w, 0.0)
    # hexagons denser than people live (a mis-tagged outline) count at the plausible maximum: they do not steer the sites
    capped = plausibility.siting_weights(result.hexes, pts["h3"])
    uncovered = ~covered & (weights > 0)
    limit = float(threshold.max()) if n else 0.0
    # straight-line reach of a candidate: the threshold in metres (a time at the mode's fastest speed)
    # (a walker's flat-equivalent metres: downhill covers up to 1 / MIN_TIME_FACTOR metres per metre of cost)
    reach_m = limit if weight == "length" else limit / slope.MIN_TIME_FACTOR if cost_unit == "length" else limit * max([state.speed_m_s, *(v / 3.6 for _, v in state.recipe.speeds_kmh)])
    from_file: sitefiles.Candidates | None = None
    if isinstance(candidates, (str, Path, PointFile)):
        from_file = sitefiles.read_candidates(candidates, service=service, area=result.study_area)
        c_lon, c_lat, c_names = from_file.lon, from_file.lat, from_file.names
        source = str(candidates.path if isinstance(candidates, PointFile) else candidates)
    elif candidates is None:
        c_lon, c_lat = node_candidates(state.net, spacing_m=spacing_m, near=(lon[uncovered], lat[uncovered]), reach_m=reach_m)
        c_names = np.full(len(c_lon), "", dtype=object)
        source = f"street nodes, one per {spacing_m:g} m cell near uncovered residents"
    else:
        c_lon, c_lat = (np.asarray(a, np.float64) for a in candidates)
        c_names = np.full(len(c_lon), "", dtype=object)
        source = "user"
    if len(c_lon) == 0:
        raise errors.InputError("no candidate site can reach an uncovered resident; everyone is covered or the candidates are too far")
    index = state.index
    c_snap = index.snap_points(c_lon, c_lat)
    c_graph = distances.build_access_graph(state.net, np.arange(len(c_lon)), c_snap, weight=weight, costs=state.costs(weight))
    p_snap = index.snap_points(lon, lat)
    pairs = distances.point_facility_costs(c_graph, p_snap, np.arange(len(c_lon)), limit=limit)
    radius = threshold
    model = MaxCoverage.from_pairs(
        pairs["point"].to_numpy(), pairs["facility"].to_numpy(), pairs["cost"].to_numpy(),
        n_points=len(pts), n_candidates=len(c_lon), weights=weights * capped.factor, service_radius=radius, covered=covered,
    )
    solved = model.solve(k, target_share=target_share, method=method, capacity=capacity)
    # shares are of the goal's whole eligible population (as in goals.json), gains in its people (not the capped weights)
    total = float(w.sum())
    before, gains = (solved.covered_before, solved.gains) if capped.note is None else _people_gains(pairs, radius, covered, weights, solved.sites)
    covered_after = before + np.cumsum(gains)
    sites = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(solved.sites) + 1),
            "goal": goal,
            "service": service,
            "lon": c_lon[solved.sites],
            "lat": c_lat[solved.sites],
            "street": sitefiles.street_names(index, c_lon[solved.sites], c_lat[solved.sites]),
            "candidate": solved.sites,
            "candidate_name": c_names[solved.sites],
            "marginal_gain": gains,
            "covered_after": covered_after,
            "share_after": covered_after / total if total > 0 else np.nan,
            "snap_dist_m": c_snap.snap_dist_m[solved.sites],
        },
        geometry=gpd.points_from_xy(c_lon[solved.sites], c_lat[solved.sites]),
        crs="EPSG:4326",
    )
    systems = sitefiles.planner_crs(result.manifest, declared=[from_file.crs] if from_file is not None else [])
    sites = sitefiles.with_planner_coordinates(sites, systems)
    curve = solved.curve.assign(share=lambda d: d["covered"] / total if total > 0 else np.nan)
    summary = {
        "goal": goal,
        "service": service,
        "method": method,
        "candidates": len(c_lon),
        "candidate_source": source,
        "candidate_notes": [*from_file.notes, *from_file.skipped] if from_file is not None else [],
        "coordinate_systems": ["wgs84", *systems],
        "k": None if k is None else int(k),
        "target_share": target_share,
        "capacity": capacity,
        "population": g.population,
        "eligible_pop": total,
        "covered_before": before,
        "covered_after": float(covered_after[-1]) if len(covered_after) else before,
        "share_before": before / total if total > 0 else None,
        "share_after": (float(covered_after[-1]) if len(covered_after) else before) / total if total > 0 else None,
        "greedy_objective": solved.greedy_objective,
        "exact_objective": solved.exact_objective,
        "gap": solved.gap,
        "notes": solved.notes,
        # the goal's own caveats: sites chosen on estimated or partial data carry them
        "caveats": [n.to_dict() for n in [*result.goal(goal).warnings, *([capped.note] if capped.note else [])] if n.severity == "warning"],
    }
    return Suggestions(goal=goal, service=service, sites=sites, curve=curve, result=solved, summary=summary)


def _people_gains(pairs: pd.DataFrame, radius: np.ndarray, covered: np.ndarray, people: np.ndarray, sites: np.ndarray) -> tuple[float, np.ndarray]:
    """People covered before, and newly covered by each site in turn (when the sites were chosen on capped weights)."""
    limit = np.broadcast_to(np.asarray(radius, np.float64), (len(people),))
    within = pairs[pairs["cost"].to_numpy() <= limit[pairs["point"].to_numpy()]]
    by_site = dict(tuple(within.groupby("facility")["point"]))
    done = np.asarray(covered, bool).copy()
    gains = np.zeros(len(sites))
    for i, site in enumerate(np.asarray(sites).tolist()):  # one step per chosen site (tens), not per resident
        pts = by_site.get(site)
        if pts is not None:
            new = pts.to_numpy()[~done[pts.to_numpy()]]
            gains[i] = float(people[new].sum())
            done[new] = True
    return float(people[np.asarray(covered, bool)].sum()), gains


def write_suggestions(s: Suggestions, run: RunResult | str | Path) -> list[Path]:
    """Write ``suggestions_<goal>.gpkg/.csv/.json`` into the run folder (atomically, recorded in its manifest).

    An earlier suggestion for the goal is kept: these files are then numbered
    (``suggestions_<goal>-2.csv``...). What a planner reads is rounded
    (coordinates 6 decimals, people whole, metres whole; see
    :mod:`~accessibility.tools.sitefiles`); the returned paths are the .gpkg,
    .csv and .json, in that order.
    """
    from ..core import fileio
    from ..run import folder as runfolder
    from ..run import write

    target = run.folder if isinstance(run, RunResult) else Path(run)
    if target is None:
        raise errors.InputError("this run was not written to a folder (run it with out=...); there is nowhere to write")
    number = sitefiles.next_number(Path(target), s.goal)
    names = [runfolder.suggestions(s.goal, ext, number) for ext in (".gpkg", ".csv", ".json")]
    if number > 1:
        log.info("earlier suggestions for %s are kept; these are written as %s", s.goal, names[1])
    table = sitefiles.planner_table(s.sites, float(s.summary["covered_before"]))
    with runfolder.update(target, command="suggest") as up:
        with up.file(names[0]) as tmp:
            write.write_gpkg_layers(tmp, {"sites": table})
        with up.file(names[1]) as tmp:
            fileio.spreadsheet_safe(table.drop(columns="geometry")).to_csv(tmp, index=False, encoding="utf-8-sig")
        up.write_json(names[2], {**sitefiles.planner_summary(s.summary, s.curve), "files": names})
    written = [up.folder / n for n in names]
    from ..run.workbook import refresh_workbook  # results.xlsx gains the suggestions sheet

    refresh_workbook(target, command="suggest")
    return written

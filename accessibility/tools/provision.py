"""Capacity-aware provision: two-step floating catchments (2SFCA, E2SFCA) on network distance.

Coverage alone misleads: a care home 500 m away with 30 beds for 3,000 older
people "covers" them all. The two-step floating catchment method (Luo & Wang
2003) divides each facility's capacity by the population in its catchment,
then sums, for every resident, the ratios of the facilities within reach.
The enhanced form (E2SFCA, Luo & Qi 2009) weights both steps by a stepped
distance decay (1.00 / 0.68 / 0.22 over thirds of the catchment by default).

Costs are the same network trips as the goals (walk to the street + network),
from :func:`accessibility.distances.point_facility_costs`. A time catchment
with a walker (``walker = "older"`` in its ``[[provision]]`` table) is measured
on that walker's costs (its speed, slopes, steps, waits at crossings;
:mod:`~accessibility.network.walkers`), as walking time goals are. Results
agree with PySAL ``access`` on the same cost table (tested).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import config, errors
from ..core import fileio
from ..network import distances, walkers
from ..run import folder as runfolder
from ..run import geoparquet, plannercrs, walking, workbook
from ..run.read import as_result
from ..run.result import ModeState, RunResult

__all__ = ["CLASSES", "ProvisionResult", "provision_from_run", "run_goals_file", "step_weights", "two_step_fca"]

log = logging.getLogger(__name__)

#: per-resident classes, in the order used for shares and maps
CLASSES = ("adequate", "over_subscribed", "not_covered")


def step_weights(cost: np.ndarray, catchment: float, steps: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Stepped decay: weight of the first step whose limit (fraction of ``catchment``) is >= the cost.

    Beyond the last step the weight is 0, as in PySAL ``access.weights.step_fn``.
    """
    limits = np.array([a for a, _ in steps], dtype=np.float64) * catchment
    values = np.append(np.array([b for _, b in steps], dtype=np.float64), 0.0)
    return values[np.searchsorted(limits, np.asarray(cost, np.float64), side="left")]


def two_step_fca(
    point: np.ndarray,
    facility: np.ndarray,
    cost: np.ndarray,
    *,
    demand: np.ndarray,
    supply: np.ndarray,
    max_cost: float,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two-step floating catchment access from a sparse cost table.

    Parameters
    ----------
    point, facility, cost
        One row per (demand point, facility) pair, e.g. from
        :func:`~accessibility.distances.point_facility_costs`.
    demand
        People at each demand point.
    supply
        Capacity of each facility (beds, places, m²).
    max_cost
        Catchment size; pairs beyond it are ignored.
    weight
        Distance-decay weight of each pair (E2SFCA); ``None`` for plain 2SFCA.

    Returns
    -------
    access, ratio
        Per demand point, supply per person within reach; per facility,
        supply per weighted person in its catchment (``nan`` when nobody is in it).
    """
    keep = np.asarray(cost) <= max_cost
    p, f = np.asarray(point)[keep], np.asarray(facility)[keep]
    w = np.ones(len(p)) if weight is None else np.asarray(weight, np.float64)[keep]
    catchment_demand = np.bincount(f, weights=w * demand[p], minlength=len(supply))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(catchment_demand > 0, supply / catchment_demand, np.nan)
    contrib = w * np.nan_to_num(ratio[f], nan=0.0)
    access = np.bincount(p, weights=contrib, minlength=len(demand))
    return access, ratio


@dataclass
class ProvisionResult:
    """Provision ratio of one indicator over a run's residents."""

    provision: config.Provision
    points: pd.DataFrame  # per demand point: people, access_2sfca, access_e2sfca, class, h3
    facilities: pd.DataFrame  # per facility: supply, ratio_2sfca, ratio_e2sfca
    hexes: pd.DataFrame  # per hex: population, mean access, class shares
    summary: dict = field(default_factory=dict)


def _classify(access_per: np.ndarray, covered: np.ndarray, target: float) -> np.ndarray:
    out = np.full(len(access_per), CLASSES[2], dtype=object)
    out[covered & (access_per >= target)] = CLASSES[0]
    out[covered & (access_per < target)] = CLASSES[1]
    return out


def provision_from_run(run: RunResult | str | Path, provision: str | config.Provision, *, goals_file: str | Path | None = None) -> ProvisionResult:
    """Compute a provision indicator (2SFCA and E2SFCA) of a finished run.

    Parameters
    ----------
    run
        A run, or the folder ``accessibility run`` wrote.
    provision
        Indicator id from the goals TOML (e.g. ``"elderly_beds_per_10k"``) or a
        :class:`~accessibility.config.Provision`.
    goals_file
        Goals TOML holding ``[[provision]]`` tables (default: the run's own goals
        file, :func:`run_goals_file`, else the shipped one).

    Returns
    -------
    ProvisionResult
    """
    result = as_result(run)
    if isinstance(provision, str):
        known = {p.id: p for p in config.load_provisions(goals_file if goals_file is not None else run_goals_file(result))}
        if provision not in known:
            raise errors.ConfigError(f"unknown provision indicator '{provision}'; known: {sorted(known)}")
        provision = known[provision]
    walk = result.modes["walk"]
    graph, fac, index, pts = _catchment_graph(walk, provision), result.facilities, walk.index, result.point_costs
    run_dir = result.folder or "this run"
    demand = pts["older" if provision.population == "older" else "pop"].to_numpy(np.float64)

    rows = np.flatnonzero((fac["service"].to_numpy() == provision.service) & (fac["status"].to_numpy() == "used"))
    if provision.supply not in fac.columns:
        raise errors.EmptyLayerError(
            f"{run_dir}: facilities have no '{provision.supply}' column, so '{provision.id}' cannot be measured; "
            f"import the planners' facility list with a {provision.supply} column (see README, 'Planners' own data')"
        )
    supply_all = pd.to_numeric(fac[provision.supply], errors="coerce").to_numpy(np.float64)
    known = rows[np.isfinite(supply_all[rows])]
    missing = len(rows) - len(known)
    notes = []
    if missing:
        notes.append(f"{missing} of {len(rows)} {provision.service} facilities have no '{provision.supply}' value and are left out")
    if len(known) == 0:
        raise errors.EmptyLayerError(
            f"{run_dir}: no usable {provision.service} facility has a '{provision.supply}' value; '{provision.id}' needs capacities"
        )
    speed = provision.speed_m_s or walk.speed_m_s
    catchment = provision.catchment_m(speed)
    profile = provision.walker if provision.walker_weight is not None else None
    # where the walker's catchment is timed on the flat: structured for the report, a sentence for the notes
    flat, uncovered = walking.slope_gaps(walk.net, profile) if profile is not None else (False, None)
    if profile is not None and (caveat := walking.slope_caveat(walk.net, profile)):
        notes.append(caveat)
    snapped = index.snap_points(pts["lon"].to_numpy(), pts["lat"].to_numpy())
    pairs = distances.point_facility_costs(graph, snapped, known, limit=catchment)
    p, f, c = pairs["point"].to_numpy(), pairs["facility"].to_numpy(), pairs["cost"].to_numpy()
    supply = np.where(np.isfinite(supply_all), supply_all, 0.0)
    a2, r2 = two_step_fca(p, f, c, demand=demand, supply=supply, max_cost=catchment)
    we = step_weights(c, catchment, provision.decay_steps)
    ae, re = two_step_fca(p, f, c, demand=demand, supply=supply, max_cost=catchment, weight=we)
    covered = np.zeros(len(pts), dtype=bool)
    covered[p] = True
    per = provision.per
    table = pd.DataFrame(
        {"h3": pts["h3"].to_numpy(), "people": demand, "access_2sfca": a2 * per, "access_e2sfca": ae * per, "covered": covered}
    )
    table["class"] = _classify(table["access_2sfca"].to_numpy(), covered, provision.target)
    at = shapely.point_on_surface(fac.geometry.to_numpy()[known])  # where a planner finds it: a point of a park, not its centroid
    fac_table = pd.DataFrame(
        {
            "facility_id": fac["facility_id"].to_numpy()[known],
            "name": fac["name"].to_numpy()[known] if "name" in fac.columns else None,
            "lon": np.round(shapely.get_x(at), 6),
            "lat": np.round(shapely.get_y(at), 6),
            "supply": supply[known],
            "ratio_2sfca": r2[known] * per,
            "ratio_e2sfca": re[known] * per,
        }
    )
    # the coordinates of the web maps the run's inputs were declared in (GCJ-02, BD-09), beside WGS-84
    fac_table = plannercrs.with_planner_coordinates(fac_table, plannercrs.planner_crs(result.manifest))
    hexes = _hex_table(table)
    by_district = _district_table(result.districts, pts, table, fac, known, supply)
    total_demand = float(demand.sum())
    summary = {
        "id": provision.id,
        "name_en": provision.name_en,
        "name_zh": provision.name_zh,
        "service": provision.service,
        "supply_column": provision.supply,
        "population": provision.population,
        "per": per,
        "target": provision.target,
        "target_label": provision.target_label,
        "target_label_zh": provision.target_label_zh,
        "catchment_m": catchment,
        "catchment_min": provision.max_time_s / 60.0 if provision.max_time_s is not None else None,
        # the walker whose flat-equivalent metres measure a time catchment (None: the network's metres)
        "walker": dataclasses.asdict(profile) if profile is not None else None,
        "walker_flat": flat,  # the walker feels slopes, the run has none: timed on the flat (a note says so)
        "walker_share_without_elevation": uncovered,
        "facilities_with_supply": len(known),
        "facilities_without_supply": int(missing),
        "total_supply": float(supply[known].sum()),
        "total_population": total_demand,
        "overall_ratio": float(supply[known].sum() / total_demand * per) if total_demand > 0 else None,
        "mean_access_2sfca": _wmean(table["access_2sfca"], demand),
        "mean_access_e2sfca": _wmean(table["access_e2sfca"], demand),
        "class_share": {k: (float(demand[table["class"].to_numpy() == k].sum() / total_demand) if total_demand > 0 else None) for k in CLASSES},
        "notes": notes,
        # the run's caveats that also hold for these ratios (an estimated population, partial data, missing facilities)
        "caveats": [n.to_dict() for n in result.notes.warnings() if n.context.get("service") in (None, provision.service)],
        "by_district": by_district,
    }
    return ProvisionResult(provision=provision, points=table, facilities=fac_table, hexes=hexes, summary=summary)


def run_goals_file(run: RunResult | str | Path) -> Path | None:
    """The goals file the run was given (``--goals``), whose provision indicators are the run's; ``None`` when it used the shipped goals.

    Raises
    ------
    InputFileNotFoundError
        The run was given a goals file that is no longer where it was.
    """
    inputs = as_result(run).manifest.get("inputs") or {}
    rec = inputs.get("goals") or inputs.get("provisions")  # a scenario's goals are by value: the file of its run's indicators
    if not isinstance(rec, dict) or not rec.get("path") or rec.get("in_memory"):
        return None
    path = Path(str(rec["path"]))
    if not path.is_file():
        raise errors.InputFileNotFoundError(
            f"{path}, the goals file of the run, is no longer there: its [[provision]] tables are the run's indicators; "
            "put it back, or give the goals file with --goals FILE"
        )
    return path


def _catchment_graph(walk: ModeState, provision: config.Provision) -> distances.AccessGraph:
    """The access graph whose costs measure the catchment: the walker's for a time catchment with a walker, else network metres."""
    weight = provision.walker_weight
    if weight is None or provision.walker is None:
        return walk.graphs["length"]
    own = walk.walkers.get(provision.walker.id)
    if own is None or own == provision.walker:  # the run's own profile (or one it did not use): built once and kept
        walk.walkers.setdefault(provision.walker.id, provision.walker)
        return walk.graphs[weight]
    # the goals file now says something else of this walker than the run's goals did: its own costs, not kept
    return distances.build_access_graph(
        walk.net, walk.access.facility, walk.access.snapped, weight=weight, costs=walkers.walker_costs(walk.net, provision.walker)
    )


def _district_table(districts: gpd.GeoDataFrame | None, pts: pd.DataFrame, table: pd.DataFrame, fac: gpd.GeoDataFrame, known: np.ndarray, supply: np.ndarray) -> list[dict]:
    """Per district (when the run had districts): people, mean access, class shares, supply located there."""
    from ..stages import districts as districts_stage

    if districts is None or districts.empty or "district_id" not in districts.columns:
        return []
    d_pt = districts_stage.district_of_points(districts, pts["lon"].to_numpy(), pts["lat"].to_numpy())
    cent = fac.geometry.to_numpy()[known]
    rp = shapely.point_on_surface(cent)
    d_fac = districts_stage.district_of_points(districts, shapely.get_x(rp), shapely.get_y(rp))
    k = len(districts)
    pos = np.where(d_pt >= 0, d_pt, k)
    people = np.bincount(pos, weights=table["people"].to_numpy(), minlength=k + 1)
    a2 = np.bincount(pos, weights=table["people"].to_numpy() * table["access_2sfca"].to_numpy(), minlength=k + 1)
    ae = np.bincount(pos, weights=table["people"].to_numpy() * table["access_e2sfca"].to_numpy(), minlength=k + 1)
    sup = np.bincount(np.where(d_fac >= 0, d_fac, k), weights=supply[known], minlength=k + 1)
    cls = {c: np.bincount(pos, weights=np.where(table["class"].to_numpy() == c, table["people"].to_numpy(), 0.0), minlength=k + 1) for c in CLASSES}
    ids = [*districts["district_id"], "outside"]
    names = [*districts.get("district_name", districts["district_id"]), "(outside the districts)"]
    rows = []
    for i in range(k + 1):
        if i == k and people[k] <= 0 and sup[k] <= 0:
            continue
        p = people[i]
        rows.append(
            {
                "district_id": ids[i],
                "district_name": names[i],
                "people": float(p),
                "supply_located": float(sup[i]),
                "mean_access_2sfca": float(a2[i] / p) if p > 0 else None,
                "mean_access_e2sfca": float(ae[i] / p) if p > 0 else None,
                "class_share": {c: (float(cls[c][i] / p) if p > 0 else None) for c in CLASSES},
            }
        )
    return rows


def _wmean(values: pd.Series, weights: np.ndarray) -> float | None:
    total = float(weights.sum())
    return float((values.to_numpy() * weights).sum() / total) if total > 0 else None


def _hex_table(table: pd.DataFrame) -> pd.DataFrame:
    t = table.assign(w2=table["access_2sfca"] * table["people"], we=table["access_e2sfca"] * table["people"])
    for k in CLASSES:
        t[k] = np.where(t["class"] == k, t["people"], 0.0)
    agg = t.groupby("h3")[["people", "w2", "we", *CLASSES]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "people": agg["people"],
                "access_2sfca": np.where(agg["people"] > 0, agg["w2"] / agg["people"], np.nan),
                "access_e2sfca": np.where(agg["people"] > 0, agg["we"] / agg["people"], np.nan),
            },
            index=agg.index,
        )
        for k in CLASSES:
            out[f"{k}_share"] = np.where(agg["people"] > 0, agg[k] / agg["people"], np.nan)
    out["class"] = np.array(CLASSES, dtype=object)[np.argmax(agg[list(CLASSES)].to_numpy(), axis=1)]
    return out.reset_index()


def write_provision(result: ProvisionResult, run: RunResult | str | Path) -> list[Path]:
    """Write ``provision_<id>.json``, ``_hexes.parquet`` (GeoParquet: the hexagons) and ``_facilities.csv`` into the run folder
    (recorded in its manifest), and refresh the run's workbook (``results.xlsx``)."""
    names = runfolder.provision_files(result.provision.id)
    with runfolder.update(_folder_of(run), command="provision") as up:
        up.write_json(names[0], result.summary)
        with up.file(names[1]) as tmp:
            geoparquet.write(geoparquet.hexagon_table(result.hexes), tmp)
        with up.file(names[2]) as tmp:
            fileio.spreadsheet_safe(result.facilities).to_csv(tmp, index=False, encoding="utf-8-sig")
    workbook.refresh_workbook(up.folder, command="provision")
    return [up.folder / n for n in names]


def _folder_of(run: RunResult | str | Path) -> Path:
    if isinstance(run, RunResult):
        if run.folder is None:
            raise errors.InputError("this run was not written to a folder (run it with out=...); there is nowhere to write")
        return run.folder
    return Path(run)

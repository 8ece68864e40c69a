"""Goal verdicts per district: which district each resident lives in, and the per-district tables and layer.

Districts come from :func:`accessibility.readers.zones.districts_from_file`,
which refuses overlapping districts (and cuts digitising slivers), so every
resident belongs to one district at most; people outside every district get
their own row, so the rows add up to the goal's total.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core import columns
from ..readers import zones
from . import population

__all__ = ["OUTSIDE", "district_layer", "district_of_points", "goal_by_district"]

OUTSIDE = zones.OUTSIDE


def district_of_points(districts: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Row of the district containing each point, -1 outside all.

    Districts overlapping by more than a sliver raise
    :class:`~accessibility.errors.InputError` (one of them would silently get
    no people); a point in a sliver or on a shared border goes to the lower row.
    """
    labels = zones.frame_labels(districts, "district", "district_id", "district_name", None)
    geoms, _ = zones.disjoint(districts.geometry.to_numpy(), labels, what="districts", file="", fix=zones.DISTRICTS_FIX)
    pts = shapely.points(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
    pi, di = shapely.STRtree(geoms).query(pts, predicate="intersects")
    out = np.full(len(pts), -1, dtype=np.int64)
    shared = np.bincount(pi, minlength=len(pts))[pi] > 1  # points on a shared border: the lowest row wins
    out[pi[~shared]] = di[~shared]
    order = np.lexsort((di[shared], pi[shared]))
    pi_s, first = np.unique(pi[shared][order], return_index=True)
    out[pi_s] = di[shared][order][first]
    return out


def goal_by_district(district: np.ndarray, districts: gpd.GeoDataFrame, weights: np.ndarray, covered: np.ndarray) -> list[dict]:
    """Eligible, covered, uncovered population and share of one goal per district.

    ``weights`` are the goal's people per demand point (zero outside its area).
    A last row ``(outside the districts)`` holds people outside every
    district, when there are any, so the rows add up to the goal's total.
    """
    k = len(districts)
    pos = np.where(district >= 0, district, k)
    eligible = np.bincount(pos, weights=weights, minlength=k + 1)
    cov = np.bincount(pos, weights=np.where(covered, weights, 0.0), minlength=k + 1)
    ids = [*districts["district_id"], OUTSIDE[0]]
    names = [*districts["district_name"], OUTSIDE[1]]
    rows = []
    for i in range(k + 1):
        if i == k and eligible[k] <= 0:
            continue
        rows.append(
            {
                "district_id": ids[i],
                "district_name": names[i],
                "eligible_pop": float(eligible[i]),
                "covered_pop": float(cov[i]),
                "uncovered_pop": float(eligible[i] - cov[i]),
                "share": float(cov[i] / eligible[i]) if eligible[i] > 0 else None,
            }
        )
    return rows


def district_layer(
    districts: gpd.GeoDataFrame, by_goal: dict[str, list[dict]], demand: population.Demand, district: np.ndarray, cover: pd.DataFrame | None = None
) -> gpd.GeoDataFrame:
    """District polygons with population and, per goal, eligible/covered population and share.

    ``cover`` (:func:`accessibility.stages.coverage.district_coverage` with
    ``data_coverage`` and ``scope``) adds the share of each district the data
    covers and whether its numbers describe all of it (``complete``), part of
    it (``partial``) or none (``outside``).
    """
    k = len(districts)
    pos = np.where(district >= 0, district, k)
    out = districts.copy()
    out["pop"] = np.bincount(pos, weights=demand.pop, minlength=k + 1)[:k]
    out["older_pop"] = np.bincount(pos, weights=demand.older, minlength=k + 1)[:k]
    if cover is not None:
        out["data_coverage"] = cover["data_coverage"].to_numpy(np.float64)
        out["data_scope"] = cover["scope"].to_numpy(object)
    for goal_id, rows in by_goal.items():
        table = pd.DataFrame(rows)
        table = table[table["district_id"] != OUTSIDE[0]].set_index("district_id").reindex(out["district_id"])
        for kind, col in (("eligible_pop", "eligible_pop"), ("covered_pop", "covered_pop"), ("share", "share")):
            out[columns.name(kind, goal_id)] = table[col].astype(float).to_numpy()
    return out

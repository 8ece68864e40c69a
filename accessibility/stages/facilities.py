"""Facility layers: OSM features matched to services, and their access to the network.

Each service (``layers/<service>.toml``) lists OSM tag rules. A feature
matching several services appears once per service. Polygon facilities keep
their polygon: they are reached along their boundary (see
:mod:`~accessibility.snapping`). Facilities farther than ``max_snap_m`` from
any street are not used, and are listed with the reason instead of being
silently snapped across a river or a campus wall.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import config
from ..network import snapping
from ..readers import footprints, osm

__all__ = ["FACILITY_COLUMNS", "FacilityAccess", "facilities_from_features", "facility_access", "layer_from_osm"]

log = logging.getLogger(__name__)

FACILITY_COLUMNS = (
    "facility_id",
    "service",
    "tier",
    "name",
    "source",
    "osm_type",
    "osm_id",
    "area_m2",
    "snap_dist_m",
    "access_points",
    "status",
)


def rule_keys(services: Mapping[str, config.ServiceLayer]) -> tuple[str, ...]:
    """Every OSM key any rule of any service needs, to filter the file read."""
    keys: list[str] = []
    for layer in services.values():
        for rule in layer.rules:
            keys.extend(rule.keys)
    return tuple(dict.fromkeys(keys))


def facilities_from_features(features: osm.FeatureTable, services: Mapping[str, config.ServiceLayer], *, source: str = "osm") -> gpd.GeoDataFrame:
    """Match OSM features against the service rules.

    Returns a GeoDataFrame (WGS-84) with one row per (feature, service) match
    and the columns of :data:`FACILITY_COLUMNS` (snapping columns empty).
    """
    frame = features.frame
    # Most features (buildings read for the population estimate) carry none of
    # the rule keys: skip them with one set test instead of every rule.
    keys = frozenset(rule_keys(services))
    # features with the same tags share one dict (readers.opl.tag_dicts): each distinct tag set is
    # tested once, and the features of the sets that match are gathered with one sort
    tag_sets, code = osm.distinct_tags(frame["tags"].tolist())
    # rules read only these keys: features agreeing on them match alike, so each
    # distinct combination is matched once (a province repeats a few thousand)
    read_keys = tuple(sorted({k for layer in services.values() for r in layer.rules for k, _ in (*r.tags, *r.not_tags)}))
    matched: dict[tuple, list[tuple[str, str]]] = {}
    set_hits: dict[int, list[tuple[str, str]]] = {}
    for c, tags in enumerate(tag_sets):
        if keys.isdisjoint(tags):
            continue
        signature = tuple(tags.get(k) for k in read_keys)
        hits = matched.get(signature)
        if hits is None:
            hits = matched[signature] = [(sid, tier) for sid, layer in services.items() if (tier := layer.match(tags)) is not None]
        if hits:
            set_hits[c] = hits
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(tag_sets) + 1))
    # in feature order, then the services' order for a feature matching several (as before)
    service_rank = {sid: k for k, sid in enumerate(services)}
    rows = sorted(
        ((int(i), sid, tier) for c, hits in set_hits.items() for i in order[bounds[c] : bounds[c + 1]] for sid, tier in hits),
        key=lambda r: (r[0], service_rank[r[1]]),
    )
    if not rows:
        return _empty_facilities()
    idx = np.array([r[0] for r in rows])
    sub = frame.iloc[idx].reset_index(drop=True)
    names = [t.get("name:zh") or t.get("name") or t.get("name:en") or "" for t in sub["tags"]]
    out = gpd.GeoDataFrame(
        {
            "facility_id": [f"osm:{k}/{i}:{s}" for k, i, s in zip(sub["osm_type"], sub["osm_id"], (r[1] for r in rows), strict=True)],
            "service": [r[1] for r in rows],
            "tier": [r[2] for r in rows],
            "name": names,
            "source": source,
            "osm_type": sub["osm_type"].to_numpy(),
            "osm_id": sub["osm_id"].to_numpy(),
            "area_m2": np.nan,
            "snap_dist_m": np.nan,
            "access_points": 0,
            "status": "",
        },
        geometry=sub["geometry"].to_numpy(),
        crs="EPSG:4326",
    )
    polygonal = shapely.get_type_id(out.geometry.to_numpy()) >= shapely.GeometryType.POLYGON
    if polygonal.any():
        out.loc[polygonal, "area_m2"] = footprints.polygon_area_m2(out.geometry.to_numpy()[polygonal])
    return out.drop_duplicates("facility_id").reset_index(drop=True)


def _empty_facilities() -> gpd.GeoDataFrame:
    cols = {c: pd.Series(dtype=object if c in ("facility_id", "service", "tier", "name", "source", "osm_type", "status") else float) for c in FACILITY_COLUMNS}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs="EPSG:4326"))


def layer_from_osm(path: str | Path, services: Mapping[str, config.ServiceLayer] | None = None) -> gpd.GeoDataFrame:
    """Read every service's facilities from an OSM file.

    Parameters
    ----------
    path
        OSM extract (.osm.pbf, .osm, .osm.bz2, ...).
    services
        Service layers (default: the shipped ``layers/``).
    """
    services = services if services is not None else config.load_services()
    features = osm.read_features(path, rule_keys(services))
    facilities = facilities_from_features(features, services)
    log.info("facilities: %s", facilities["service"].value_counts().to_dict())
    return facilities


@dataclass(frozen=True)
class FacilityAccess:
    """Access points of the usable facilities.

    ``facility[i]`` is the row (in the facilities table) of access point ``i``.
    """

    facility: np.ndarray
    snapped: snapping.Snapped


class AccessFinder(Protocol):
    """What :func:`facility_access` uses of an edge index (:class:`~accessibility.network.snapping.EdgeIndex`, or one that remembers)."""

    def access_points(self, geoms: np.ndarray, *, reach_m: float = ..., entrances: np.ndarray | None = ...) -> tuple[np.ndarray, snapping.Snapped]: ...


def facility_access(
    facilities: gpd.GeoDataFrame,
    index: AccessFinder,
    *,
    max_snap_m: float = 300.0,
    reach_m: float = 30.0,
    entrances: np.ndarray | None = None,
) -> tuple[gpd.GeoDataFrame, FacilityAccess]:
    """Snap facilities to the network and mark those too far from it.

    Sets ``snap_dist_m``, ``access_points`` and ``status`` (``"used"`` or
    ``"too_far_from_network"``) on a copy of ``facilities``. Areas with
    ``entrances`` (WGS-84 gate points) near their outline are entered there
    (:mod:`~accessibility.network.entrances`).
    """
    facilities = facilities.copy()
    owner, snapped = index.access_points(facilities.geometry.to_numpy(), reach_m=reach_m, entrances=entrances)
    nearest = np.full(len(facilities), np.inf)
    np.minimum.at(nearest, owner, snapped.snap_dist_m)
    keep_ap = snapped.snap_dist_m <= max_snap_m
    counts = np.bincount(owner[keep_ap], minlength=len(facilities))
    facilities["snap_dist_m"] = nearest
    facilities["access_points"] = counts
    facilities["status"] = np.where(nearest <= max_snap_m, "used", "too_far_from_network")
    far = facilities["status"] != "used"
    if far.any():
        log.warning(
            "%d facilities are more than %g m from the street network and are not used (listed in facilities_rejected)",
            int(far.sum()),
            max_snap_m,
        )
    access = FacilityAccess(
        facility=owner[keep_ap],
        snapped=snapping.Snapped(
            snapped.edge[keep_ap], snapped.t[keep_ap], snapped.snap_dist_m[keep_ap], barrier=None if snapped.barrier is None else snapped.barrier[keep_ap]
        ),
    )
    return facilities, access

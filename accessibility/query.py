"""Point queries against a finished run: "how far is this community from the nearest care home?"

The run folder holds the walking network and the facilities' access points,
so a query snaps its points exactly as the run snapped residents and runs the
same multi-source search; answers agree with the run's own numbers.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import columns, config, distances, errors, runfolder, snapping
from . import network as network_mod

__all__ = ["load_run_network", "query_points", "query_csv", "find_lon_lat_columns"]

log = logging.getLogger(__name__)

#: points farther than this from every street are not answered (wrong place or swapped lon/lat)
OUTSIDE_M = 5000.0

_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度")
_LAT_NAMES = ("lat", "latitude", "y", "纬度")


def load_run_network(run_dir: str | Path | runfolder.RunFolder) -> tuple[distances.AccessGraph, gpd.GeoDataFrame, snapping.EdgeIndex, dict]:
    """Rebuild a run's walking network, access graph and facilities from its folder."""
    rf = run_dir if isinstance(run_dir, runfolder.RunFolder) else runfolder.open_run(run_dir)
    manifest = rf.manifest
    nodes = rf.read_table("network_nodes.parquet")
    edges = rf.read_table("network_edges.parquet", geo=True)
    recipe_path = manifest.get("mode_recipes", {}).get("walk")
    recipe = config.load_mode(recipe_path) if recipe_path and Path(recipe_path).is_file() else config.load_mode("walk")
    net = network_mod.Network(nodes=nodes, edges=edges, mode=recipe, info=manifest.get("modes", {}).get("walk", {}))
    fac = rf.read_table("facilities.parquet", geo=True)
    ap = rf.read_table("access_points.parquet")
    snapped = snapping.Snapped(ap["edge"].to_numpy(np.int64), ap["t"].to_numpy(float), ap["snap_dist_m"].to_numpy(float))
    graph = distances.build_access_graph(net, ap["facility_row"].to_numpy(np.int64), snapped, weight="length")
    return graph, fac, snapping.EdgeIndex(net), manifest


def query_points(
    run_dir: str | Path,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    services: list[str] | None = None,
    walk_speed_m_s: float | None = None,
) -> pd.DataFrame:
    """Walking distance, time and nearest facility from WGS-84 points, per service.

    Parameters
    ----------
    run_dir
        Folder written by ``accessibility run``.
    lon, lat
        WGS-84 coordinates.
    services
        Services to report (default: every service of the run).
    walk_speed_m_s
        Speed for the times (default: the walking recipe's, 1.0 m/s).

    Returns
    -------
    DataFrame
        ``snap_dist_m`` and, per service, ``<service>_dist_m``,
        ``<service>_time_min`` and ``<service>_facility``.
    """
    graph, fac, index, manifest = load_run_network(run_dir)
    speed = walk_speed_m_s or graph.net.mode.speed_m_s
    run_services = manifest.get("services") or list(dict.fromkeys(fac["service"]))
    services = services or run_services
    unknown = [s for s in services if s not in run_services]
    if unknown:
        raise errors.InputError(f"unknown service(s) {unknown}; this run has {sorted(run_services)}")
    lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    snapped = index.snap_points(lon, lat)
    out = pd.DataFrame({"snap_dist_m": snapped.snap_dist_m})
    used = fac["status"].to_numpy() == "used"
    ids = fac["facility_id"].to_numpy()
    nb = distances.point_neighbours(graph, snapped)
    for s in services:
        res = distances.nearest_facilities(graph, used & (fac["service"].to_numpy() == s))
        cost, nearest = distances.costs_at_points(graph, res, snapped, neighbours=nb)
        cost = np.where(np.isfinite(cost), cost, np.nan)  # unreachable: empty, not "inf"
        out[columns.name("dist_m", s)] = cost
        out[columns.name("time_min", s)] = cost / speed / 60.0
        out[columns.name("facility", s)] = np.where(nearest >= 0, ids[np.maximum(nearest, 0)], None)
    return out


def find_lon_lat_columns(frame: pd.DataFrame, *, lon_col: str | None = None, lat_col: str | None = None, source: str = "points") -> tuple[str, str]:
    """Find longitude/latitude columns by common names (lon/lng/x/经度, lat/y/纬度)."""
    lower = {str(c).strip().lower(): c for c in frame.columns}

    def pick(given, names, what):
        if given is not None:
            if given not in frame.columns:
                raise errors.InputError(f"{source}: no column '{given}'; columns are {list(frame.columns)}")
            return given
        for n in names:
            if n in lower:
                return lower[n]
        raise errors.InputError(
            f"{source}: cannot find the {what} column (looked for {', '.join(names)}); columns are {list(frame.columns)}. "
            f"Name it with --{what[:3]}-col"
        )

    return pick(lon_col, _LON_NAMES, "longitude"), pick(lat_col, _LAT_NAMES, "latitude")


def query_csv(
    run_dir: str | Path,
    points_csv: str | Path,
    out_csv: str | Path,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    services: list[str] | None = None,
    max_snap_m: float | None = None,
) -> pd.DataFrame:
    """Answer a CSV of WGS-84 points; keep its columns and add the per-service answers.

    Rows whose coordinates are missing or invalid stay in the output with an
    empty answer and the reason in ``query_status``; points farther than
    ``max_snap_m`` from a street are answered and flagged.
    """
    from .fileio import atomic_path

    points_csv = Path(points_csv)
    if not points_csv.is_file():
        raise errors.InputFileNotFoundError(f"points file not found: {points_csv}")
    try:
        frame = pd.read_csv(points_csv, encoding="utf-8-sig")
    except UnicodeDecodeError:
        frame = pd.read_csv(points_csv, encoding="gbk")
    lon_c, lat_c = find_lon_lat_columns(frame, lon_col=lon_col, lat_col=lat_col, source=str(points_csv))
    lon = pd.to_numeric(frame[lon_c], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(frame[lat_c], errors="coerce").to_numpy(float)
    status = np.full(len(frame), "ok", dtype=object)
    bad_num = ~(np.isfinite(lon) & np.isfinite(lat))
    status[bad_num] = "invalid coordinates (missing or not a number)"
    bad_range = ~bad_num & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    status[bad_range] = "coordinates out of range (lon -180..180, lat -90..90); are lon and lat swapped?"
    good = status == "ok"
    answers = query_points(run_dir, lon[good], lat[good], services=services)
    if max_snap_m is None:
        max_snap_m = float(runfolder.open_run(run_dir).manifest["options"]["max_snap_m"])
    snap = answers["snap_dist_m"].to_numpy()
    far = snap > max_snap_m
    outside = snap > OUTSIDE_M
    st = status[good]
    st[far] = [f"far from the street network ({d:.0f} m); answer includes that walk" for d in snap[far]]
    st[outside] = [
        f"outside the run's area ({d / 1000:.1f} km from the nearest street); check the coordinates and the lon/lat order"
        for d in snap[outside]
    ]
    status[good] = st
    answers.loc[outside, [c for c in answers.columns if c != "snap_dist_m"]] = None
    good_idx = np.flatnonzero(good)
    result = frame.copy()
    for col in answers.columns:
        numeric = pd.api.types.is_float_dtype(answers[col])
        values = np.full(len(frame), np.nan if numeric else None, dtype=float if numeric else object)
        values[good_idx] = answers[col].to_numpy()
        result[col] = values
    result["query_status"] = status
    if (~good).any():
        log.warning("%s: %d rows could not be answered (see query_status)", points_csv, int((~good).sum()))
    with atomic_path(out_csv) as tmp:
        result.to_csv(tmp, index=False, encoding="utf-8-sig")
    return result

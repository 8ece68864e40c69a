"""Suggested sites as a planner takes them back: named, placed on a street, in the planner's coordinates.

* Candidate sites are read as facility lists are
  (:func:`~accessibility.readers.facility_files.read_facilities`): CSV/TXT in
  any encoding (UTF-8, GBK, UTF-16), XLSX, GIS layers; coordinates in GCJ-02
  or BD-09 converted when declared; every row not used is named with its reason.
* Every site carries the names of the streets next to it (the walking
  network's ``name``) and, for candidates from a file, its name there.
* Where the planner works in GCJ-02 or BD-09 (declared for the run's facility
  lists, boundary, districts or zones, or for the candidates), the files carry
  ``lon_gcj02``/``lat_gcj02`` or ``lon_bd09``/``lat_bd09`` beside WGS-84.
* The files round what a planner reads: coordinates to 6 decimals (~0.1 m),
  people to whole people (the gains rounded so they add up to the rounded
  totals), metres to whole metres, shares to 4 decimals.
* An earlier suggestion file is never written over: a later suggestion for
  the same goal is numbered (``suggestions_<goal>-2.csv``, ``-3``...).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import config, errors
from ..network import snapping
from ..readers import areas, facility_files
from ..run import folder as runfolder
from ..run.plannercrs import planner_crs, with_planner_coordinates
from .matrix import PointFile

__all__ = ["Candidates", "next_number", "planner_crs", "planner_table", "read_candidates", "street_names", "with_planner_coordinates"]

log = logging.getLogger(__name__)

#: planners' coordinate systems that get their own columns: kind -> column suffix
#: streets this close to a site are named (nearest first, at most two names)
STREET_WITHIN_M = 30.0
#: else the nearest named street up to this far
STREET_MAX_M = 200.0
_CLI_FLAGS = {"--facilities-lon-col": "--lon-col", "--facilities-lat-col": "--lat-col", "--facilities-crs": "--candidates-crs",
              "--facilities-sheet": "--candidates-sheet", "--facilities-name-col": "--candidates-name-col"}


@dataclass
class Candidates:
    """Candidate sites read from a file: WGS-84 positions, names, and what the reader noted."""

    lon: np.ndarray
    lat: np.ndarray
    names: np.ndarray
    crs: str
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "row N: reason" of rows not used


def read_candidates(
    source: str | Path | PointFile, *, service: str, area: shapely.Geometry | None = None, services: Mapping[str, config.ServiceLayer] | None = None
) -> Candidates:
    """Read candidate sites as a facility list of ``service`` is read (any encoding, declared CRS, rows checked).

    Parameters
    ----------
    source
        The file, or a :class:`~accessibility.tools.matrix.PointFile` (its CRS, columns, sheet, encoding).
    service
        The service the sites are for (the reader's rules of that service).
    area
        Study area (WGS-84): candidates more than 1 km outside it are not used.
    services
        Service layers (default: the shipped ``layers/``).

    Returns
    -------
    Candidates

    Raises
    ------
    InputError
        A file that cannot be read, has no lon/lat columns, or no usable row;
        the message names the file, the row and the option to fix it.
    """
    spec = source if isinstance(source, PointFile) else PointFile(source)
    fi = facility_files.FacilityInput(
        spec.path, service=service, crs=spec.crs, lon_col=spec.lon_col, lat_col=spec.lat_col, id_col=spec.id_col, name_col=spec.name_col,
        sheet=spec.sheet, encoding=spec.encoding, strict_names=False,
    )
    layers = dict(services if services is not None else config.load_services())
    if service in layers:  # the name check judges facility names; a candidate plot's name (地块A) is not one
        layers[service] = dataclasses.replace(layers[service], keywords=(), exclude_keywords=())
    try:
        got = facility_files.read_facilities(fi, area=area, services=layers)
    except errors.AccessibilityError as exc:
        raise type(exc)(_candidate_flags(str(exc).replace("facility file", "candidates file"))) from None
    fac = got.facilities
    geoms = fac.geometry.to_numpy()
    pts = np.where(shapely.get_type_id(geoms) == shapely.GeometryType.POINT, geoms, shapely.point_on_surface(geoms))
    notes = [n for n in got.notes if not n.startswith(("tiers from", "every row tier"))]
    rejected = got.rejects[got.rejects["action"] == "rejected"] if len(got.rejects) else got.rejects
    skipped = [f"row {r}: {why}" for r, why in zip(rejected.get("source_row", []), rejected.get("reason", []), strict=True)]
    return Candidates(shapely.get_x(pts), shapely.get_y(pts), fac["name"].fillna("").astype(str).to_numpy(dtype=object), areas.parse_crs(spec.crs).kind, notes, skipped)


def _candidate_flags(message: str) -> str:
    for old, new in _CLI_FLAGS.items():
        message = message.replace(old, new)
    return message


def street_names(index: snapping.EdgeIndex, lon: np.ndarray, lat: np.ndarray, *, within_m: float = STREET_WITHIN_M, max_m: float = STREET_MAX_M) -> np.ndarray:
    """Names of the streets next to each point: the named streets within ``within_m`` (nearest first, at most two, ' / '), else the nearest named one within ``max_m``."""
    n = len(lon)
    out = np.full(n, "", dtype=object)
    names = index.net.edges["name"].fillna("").astype(str).str.strip().to_numpy(dtype=object) if "name" in index.net.edges else np.full(len(index.geoms), "", dtype=object)
    named = names != ""
    if n == 0 or not named.any():
        return out
    pts = index.points(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
    pi, ei = index.tree.query(pts, predicate="dwithin", distance=max_m)
    keep = named[ei]
    pi, ei = pi[keep], ei[keep]
    near = pd.DataFrame({"p": pi, "name": names[ei], "d": shapely.distance(pts[pi], index.geoms[ei])}).sort_values(["p", "d"], kind="stable")
    near = near.drop_duplicates(["p", "name"])
    rank = near.groupby("p").cumcount().to_numpy()
    take = (rank == 0) | ((rank == 1) & (near["d"].to_numpy() <= within_m))
    joined = near[take].groupby("p")["name"].agg(" / ".join)
    out[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return out


def planner_table(sites: gpd.GeoDataFrame, covered_before: float) -> gpd.GeoDataFrame:
    """The sites as written: coordinates to 6 decimals, people whole (gains adding up to the rounded totals), metres whole, shares to 4 decimals."""
    out = sites.copy()
    for c in [c for c in out.columns if c.startswith(("lon", "lat"))]:
        out[c] = out[c].astype(np.float64).round(6)
    after = np.rint(out["covered_after"].to_numpy(np.float64))
    out["marginal_gain"] = np.diff(np.r_[np.rint(covered_before), after]).astype(np.int64)
    out["covered_after"] = after.astype(np.int64)
    out["share_after"] = out["share_after"].astype(np.float64).round(4)
    out["snap_dist_m"] = np.rint(out["snap_dist_m"].to_numpy(np.float64)).astype(np.int64)
    return out.set_geometry(gpd.points_from_xy(out["lon"], out["lat"], crs="EPSG:4326"))  # the points where the table says


def planner_summary(summary: Mapping[str, Any], curve: pd.DataFrame) -> dict[str, Any]:
    """The summary as written: people whole (as in the table), shares as computed."""
    out = dict(summary)
    for key in ("eligible_pop", "covered_before", "covered_after"):
        if out.get(key) is not None:
            out[key] = int(np.rint(out[key]))
    c = curve.copy()
    c["covered"] = np.rint(c["covered"].to_numpy(np.float64)).astype(np.int64)
    out["curve"] = c.to_dict(orient="records")
    return out


def next_number(run_dir: Path, goal: str, exts: Iterable[str] = (".gpkg", ".csv", ".json")) -> int:
    """The first number whose suggestion files for ``goal`` do not exist yet (1: no number)."""
    recorded = set(runfolder.open_run(run_dir).files if runfolder.is_run_folder(run_dir) else {})
    n = 1
    while any((run_dir / runfolder.suggestions(goal, e, n)).exists() or runfolder.suggestions(goal, e, n) in recorded for e in exts):
        n += 1
    return n

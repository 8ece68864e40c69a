"""Merging planners' facility layers with the OSM facilities of the same service.

A user layer (from :func:`accessibility.userdata.layer_from_file`) is added to
the facility table built from OSM (:mod:`accessibility.facilities`) by
:func:`merge_layers`, one service at a time, in one of two modes:

* ``"complement"`` (default): the user's facilities are added, and a user
  facility that is the same as an OSM one replaces it. Same means within
  ``max_dist_m`` (100 m) with a similar name (rapidfuzz WRatio >=
  ``min_similarity`` on names normalised by :func:`normalise_name`, with the
  same numerals: 第一医院 is not 第三医院), or within ``unnamed_max_dist_m``
  (30 m) when either has no name. Pairs are matched one to one, most similar
  and closest first; the user row keeps the OSM id in
  ``osm_ref``/``osm_type``/``osm_id``.
* ``"replace"``: all the service's OSM facilities are dropped and the user
  layer stands in for them.

Every OSM facility merged or replaced is listed in a merges table (columns
:data:`MERGE_COLUMNS`), written by the pipeline as ``merges.csv``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz, process

from .. import errors
from ..coords import geodesy

__all__ = ["MERGE_COLUMNS", "merge_layers", "normalise_name"]

MERGE_COLUMNS = ("service", "action", "user_facility_id", "user_name", "osm_facility_id", "osm_name", "distance_m", "name_similarity")
_SUFFIXES = re.compile(r"(股份有限公司|有限责任公司|有限公司|分公司|公司|办事处|co\.?ltd|ltd|inc)$")
_NUMERALS = re.compile(r"[0-9一二三四五六七八九十百零〇两]+")


def normalise_name(names: Sequence[str] | pd.Series) -> np.ndarray:
    """Names for duplicate matching: NFKC, lower case, no spaces or punctuation, no company suffixes.

    >>> normalise_name(["杭州 西湖区（翠苑）敬老院有限公司"]).tolist()
    ['杭州西湖区翠苑敬老院']
    """
    s = pd.Series(list(names), dtype="string").fillna("").str.normalize("NFKC").str.lower()
    s = s.str.replace(r"[\W_]+", "", regex=True)
    return s.str.replace(_SUFFIXES, "", regex=True).fillna("").to_numpy(dtype=object)


def merge_layers(
    existing: gpd.GeoDataFrame,
    user: gpd.GeoDataFrame,
    *,
    service: str,
    mode: str = "complement",
    max_dist_m: float = 100.0,
    min_similarity: float = 80.0,
    unnamed_max_dist_m: float = 30.0,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Add a user layer to the facility table of one service.

    Parameters
    ----------
    existing
        Facility table (OSM and earlier user layers).
    user
        From :func:`~accessibility.userdata.layer_from_file`.
    service
        The service the user layer is for.
    mode
        ``"replace"``: the service's OSM facilities are dropped (each listed
        as ``replaced``). ``"complement"``: a user facility within
        ``max_dist_m`` of an OSM facility with a similar name (rapidfuzz
        WRatio >= ``min_similarity`` on normalised names, same numerals:
        第一医院 is not 第三医院), or within ``unnamed_max_dist_m`` when
        either has no name, is the same facility: the user row is kept and
        the OSM one dropped, its id kept in ``osm_ref``/``osm_type``/``osm_id``.
        Pairs are matched one to one, most similar and closest first.

    Returns
    -------
    facilities, merges
        The new table, and one row per merged or replaced OSM facility
        (columns :data:`MERGE_COLUMNS`).
    """
    osm_mask = (existing["service"].to_numpy() == service) & existing["source"].astype(str).str.startswith("osm").to_numpy()
    osm = existing[osm_mask]
    user = user.copy()
    merges = pd.DataFrame(columns=list(MERGE_COLUMNS))
    drop = np.zeros(len(existing), bool)
    if mode == "replace":
        drop = osm_mask
        merges = pd.DataFrame(
            {"service": service, "action": "replaced", "user_facility_id": "", "user_name": "", "osm_facility_id": osm["facility_id"].to_numpy(),
             "osm_name": osm["name"].to_numpy(), "distance_m": np.nan, "name_similarity": np.nan}
        )
    elif mode == "complement" and len(osm) and len(user):
        c = shapely.get_coordinates(shapely.centroid(shapely.union_all(user.geometry.to_numpy())))[0]
        utm = geodesy.utm_crs_for(c[0], c[1])
        u_m, o_m = user.geometry.to_crs(utm).to_numpy(), osm.geometry.to_crs(utm).to_numpy()
        ui, oi = shapely.STRtree(o_m).query(u_m, predicate="dwithin", distance=max_dist_m)
        if len(ui):
            dist = shapely.distance(u_m[ui], o_m[oi])
            un, on = normalise_name(user["name"].astype(str)), normalise_name(osm["name"].astype(str))
            sim = process.cpdist(list(un[ui]), list(on[oi]), scorer=fuzz.WRatio, workers=1).astype(float)
            num_u = np.array([" ".join(_NUMERALS.findall(s)) for s in un[ui]], dtype=object)
            num_o = np.array([" ".join(_NUMERALS.findall(s)) for s in on[oi]], dtype=object)
            named = (un[ui] != "") & (on[oi] != "")
            same = np.where(named, (sim >= min_similarity) & ((num_u == num_o) | (num_u == "") | (num_o == "")), dist <= unnamed_max_dist_m)
            order = np.lexsort((dist, -np.where(named, sim, 0.0)))
            taken_u, taken_o, picked = set(), set(), []
            for k in order[same[order]]:  # greedy one-to-one over the few candidate pairs
                if ui[k] not in taken_u and oi[k] not in taken_o:
                    taken_u.add(ui[k])
                    taken_o.add(oi[k])
                    picked.append(k)
            if picked:
                p = np.array(picked)
                u_rows, o_rows = ui[p], oi[p]
                o_ids = osm["facility_id"].to_numpy()[o_rows]
                user.iloc[u_rows, user.columns.get_loc("osm_ref")] = o_ids
                user.iloc[u_rows, user.columns.get_loc("osm_type")] = osm["osm_type"].to_numpy()[o_rows]
                user["osm_id"] = user["osm_id"].astype("Int64")
                user.iloc[u_rows, user.columns.get_loc("osm_id")] = pd.array(osm["osm_id"].to_numpy()[o_rows], dtype="Int64")
                no_name = user["name"].to_numpy()[u_rows] == ""
                user.iloc[u_rows[no_name], user.columns.get_loc("name")] = osm["name"].to_numpy()[o_rows][no_name]
                drop[np.flatnonzero(osm_mask)[o_rows]] = True
                merges = pd.DataFrame(
                    {"service": service, "action": "merged", "user_facility_id": user["facility_id"].to_numpy()[u_rows],
                     "user_name": user["name"].to_numpy()[u_rows], "osm_facility_id": o_ids, "osm_name": osm["name"].to_numpy()[o_rows],
                     "distance_m": np.round(dist[p], 1), "name_similarity": np.where(named[p], np.round(sim[p], 1), np.nan)}
                )
    keep = existing[~drop]
    frames = [f for f in (keep, user) if len(f)] or [keep]
    out = pd.concat(frames, ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")
    out["osm_id"] = pd.array(out["osm_id"], dtype="Int64")
    for col in ("osm_ref", "import_note", "osm_type", "name", "tier", "source"):
        if col in out:
            out[col] = out[col].astype(object).where(out[col].notna(), "")
    clash = out["facility_id"].duplicated()
    if clash.any():
        raise errors.InputError(
            f"facility id {out['facility_id'][clash].iloc[0]!r} occurs twice: two facility files with the same name give the "
            "same ids; rename one file"
        )
    return out, merges.reset_index(drop=True)

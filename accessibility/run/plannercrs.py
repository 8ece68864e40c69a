"""The coordinate systems a planner works in, and outputs that carry them.

Planners in China work in the coordinates of the web maps they use: GCJ-02
(AMap/Gaode, Tencent) or BD-09 (Baidu). When a run's inputs were declared in
one of them (a facility list, the boundary, districts, zones) -- or a command
is told so (``--candidates-crs``, ``--points-crs``) -- what they take back
(suggested sites, query answers, provision per facility) carries
``lon_gcj02``/``lat_gcj02`` or ``lon_bd09``/``lat_bd09`` beside WGS-84.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from .. import errors
from ..coords import chinacoords
from ..readers import areas

__all__ = ["PLANNER_SYSTEMS", "planner_crs", "with_planner_coordinates"]

FrameT = TypeVar("FrameT", bound=pd.DataFrame)

#: the Chinese web-map systems outputs are given in, besides WGS-84
PLANNER_SYSTEMS = ("gcj02", "bd09")


def planner_crs(manifest: Mapping[str, Any], *, declared: Iterable[str] = ()) -> list[str]:
    """The Chinese web-map systems (``gcj02``, ``bd09``) the planner works in: declared for the run's inputs or given."""
    labels = [str(d) for d in declared]
    labels += [str(i.get("crs", "")) for i in manifest.get("facility_imports") or []]
    specs = manifest.get("specs") or {}
    area = specs.get("areas") or {}
    labels += [str(area.get("crs") or ""), str((area.get("districts") or {}).get("crs") or ""), str(((specs.get("population") or {}).get("zones") or {}).get("crs") or "")]
    network = specs.get("network")
    if isinstance(network, Mapping):  # a road layer in GCJ-02 (a networkx graph is recorded otherwise)
        labels.append(str(network.get("crs") or ""))
    kinds = []
    for label in labels:
        try:
            kind = areas.parse_crs(label).kind if label else ""
        except errors.InputError:
            continue
        if kind in PLANNER_SYSTEMS and kind not in kinds:
            kinds.append(kind)
    return sorted(kinds, key=PLANNER_SYSTEMS.index)


def with_planner_coordinates(sites: FrameT, systems: Iterable[str]) -> FrameT:
    """``sites`` with ``lon_<system>``/``lat_<system>`` beside WGS-84 ``lon``/``lat`` for each planner's system (6 decimals, ~0.1 m)."""
    out = sites.copy()
    lon, lat = out["lon"].to_numpy(np.float64), out["lat"].to_numpy(np.float64)
    at = out.columns.get_loc("lat") + 1
    for kind in systems:
        x, y = chinacoords.wgs84_to_gcj02(lon, lat) if kind == "gcj02" else chinacoords.wgs84_to_bd09(lon, lat)
        out.insert(at, f"lat_{kind}", np.round(np.asarray(y, np.float64), 6))
        out.insert(at, f"lon_{kind}", np.round(np.asarray(x, np.float64), 6))
        at += 2
    return out

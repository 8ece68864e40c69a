"""The study area and the areas a run reports on: the boundary, the main urban area, districts and population zones.

Each is read in its declared coordinate system, checked to overlap the
streets, and kept with what is needed to check that declaration against the
streets once they are indexed (:func:`check_datums`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core.notes import Notes
from ..network import ondemand, snapping
from ..network.graph import Network
from ..readers import areas, zones
from ..readers.sources import label as source_label
from .inputs import AreaInput, PopulationInput

__all__ = ["Areas", "DatumCheck", "check_datums", "read_areas"]


@dataclass(frozen=True)
class DatumCheck:
    """An input whose declared coordinate system is checked against the street network (:mod:`~accessibility.stages.datum`)."""

    geoms: np.ndarray  # WGS-84, as converted from ``declared``
    declared: str | None  # None: the file's own CRS, taken as WGS-84 longitude/latitude
    what: str
    what_zh: str
    path: Any  # a file, or the data itself (readers.sources)
    option: str


@dataclass
class Areas:
    """The study area, the main urban area, districts and population zones, with the inputs whose datum is checked."""

    study: shapely.Geometry
    main_urban: shapely.Geometry | None
    districts: gpd.GeoDataFrame | None
    zones: gpd.GeoDataFrame | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    datum_checks: list[DatumCheck] = field(default_factory=list)
    study_given: bool = False  # the study area is a boundary file, not the network's hull


def read_areas(spec: AreaInput, pop: PopulationInput, walk: Network, notes: Notes) -> Areas:
    """Read the boundary, main urban area, districts and zones (each checked to overlap the streets)."""
    checks: list[DatumCheck] = []
    if spec.boundary is not None:
        study, n_ = areas.area_from_file(spec.boundary, what="boundary", crs=spec.crs)
        notes.extend(n_, code="input.boundary")
        areas.check_overlap(study, walk.bounds(), what="boundary", path=spec.boundary)
        checks.append(DatumCheck(np.array([study]), spec.crs, "boundary", "边界", spec.boundary, "--boundary-crs"))
    else:
        study = areas.default_study_area(walk.nodes["lon"].to_numpy(), walk.nodes["lat"].to_numpy())
        notes.add("study area: convex hull of the street network (no --boundary given)", code="area.default")
    mua = None
    if spec.main_urban_area is not None:
        mua, n_ = areas.area_from_file(spec.main_urban_area, what="main urban area", crs=spec.crs)
        notes.extend(n_, code="input.main_urban_area")
        areas.check_overlap(mua, walk.bounds(), what="main urban area", path=spec.main_urban_area)
        checks.append(DatumCheck(np.array([mua]), spec.crs, "main urban area", "主城区", spec.main_urban_area, "--boundary-crs"))
    district_frame = None
    if spec.districts is not None:
        d = spec.districts
        district_frame, n_ = zones.districts_from_file(d.path, crs=d.crs, name_col=d.name_col, code_col=d.code_col, encoding=d.encoding)
        notes.extend(n_, code="input.districts")
        areas.check_overlap(shapely.union_all(district_frame.geometry.to_numpy()), walk.bounds(), what="districts", path=d.path)
        checks.append(DatumCheck(district_frame.geometry.to_numpy(), d.crs, "districts", "行政区", d.path, "--districts-crs"))
    zone_frame = None
    tables: dict[str, pd.DataFrame] = {}
    if pop.zones is not None:
        z = pop.zones
        zone_frame, zone_rejects, n_ = zones.zones_from_file(z)
        notes.extend(n_, code="input.zones")
        tables["rejects_zones.csv"] = zone_rejects
        areas.check_overlap(shapely.union_all(zone_frame.geometry.to_numpy()), walk.bounds(), what="zones", path=z.path)
        checks.append(DatumCheck(zone_frame.geometry.to_numpy(), z.crs, "zones", "人口分区", z.path, "--zones-crs"))
    return Areas(study, mua, district_frame, zone_frame, tables, checks, study_given=spec.boundary is not None)


def check_datums(checks: Sequence[DatumCheck], index: snapping.EdgeIndex | ondemand.EdgeIndexOnDemand, notes: Notes) -> None:
    """Warn of inputs that fit the streets far better in another Chinese coordinate system."""
    if not checks:
        return
    from ..stages import datum  # imported only when there is something to check

    for c in checks:
        geoms = c.geoms[~shapely.is_empty(c.geoms)] if len(c.geoms) else c.geoms
        if not len(geoms):
            continue
        kw: dict[str, Any] = {"declared": c.declared or "wgs84", "streets": index, "what": c.what, "what_zh": c.what_zh, "source": source_label(c.path, c.what).name, "option": c.option}
        if (shapely.get_type_id(geoms) == shapely.GeometryType.POINT).all():
            f = datum.suspect_datum(shapely.get_x(geoms), shapely.get_y(geoms), **kw)
        else:
            f = datum.suspect_datum_of_polygons(geoms, **kw)
        if f is not None:
            notes.warn(f.message, code="datum.mismatch", zh=f.message_zh, stacklevel=4, file=source_label(c.path, c.what).name, likely=f.likely)

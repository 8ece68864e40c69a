"""Study areas and main urban areas from boundary files (any vector format, any CRS)."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from . import errors

__all__ = ["area_from_file", "default_study_area"]

log = logging.getLogger(__name__)


def area_from_file(path: str | Path, *, what: str = "boundary") -> tuple[shapely.Geometry, list[str]]:
    """Read a polygon layer and dissolve it into one WGS-84 (multi)polygon.

    Layers in another CRS are reprojected (and the fact noted); a layer with
    no CRS is refused, because guessing would misplace it.

    Returns
    -------
    geometry, notes
    """
    path = Path(path)
    if not path.exists():
        raise errors.InputFileNotFoundError(f"{what} file not found: {path}")
    try:
        frame = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise errors.InputError(f"{path}: cannot read the {what} ({exc}); pass a GeoJSON, GeoPackage or Shapefile") from exc
    notes: list[str] = []
    if frame.empty:
        raise errors.InputError(f"{path}: the {what} layer has no features")
    if frame.crs is None:
        raise errors.InputError(
            f"{path}: the {what} has no coordinate reference system; add one (e.g. a .prj file, or "
            "ogr2ogr -a_srs EPSG:4326) so it is not misplaced"
        )
    if not frame.crs.equals("EPSG:4326") and frame.crs.to_epsg() != 4326:
        notes.append(f"{what} {path.name} reprojected from {frame.crs.to_string()} to WGS-84")
        frame = frame.to_crs("EPSG:4326")
    geoms = frame.geometry.to_numpy()
    polygonal = shapely.get_type_id(geoms) >= shapely.GeometryType.POLYGON
    if not polygonal.any():
        raise errors.InputError(f"{path}: the {what} holds no polygon; a boundary must be a polygon layer")
    if (~polygonal).any():
        notes.append(f"{what} {path.name}: {int((~polygonal).sum())} non-polygon features ignored")
    area = shapely.union_all(shapely.make_valid(geoms[polygonal]))
    return area, notes


def default_study_area(lon: np.ndarray, lat: np.ndarray) -> shapely.Geometry:
    """The convex hull of the street network's nodes: the area the data covers."""
    return shapely.convex_hull(shapely.multipoints(np.column_stack([lon, lat])))


def check_overlap(area: shapely.Geometry, network_bounds: tuple[float, float, float, float], *, what: str, path: str | Path | None) -> None:
    """Refuse a boundary that does not touch the network (wrong file or CRS)."""
    if not shapely.intersects(area, shapely.box(*network_bounds)):
        minx, miny, maxx, maxy = area.bounds
        raise errors.NoOverlapError(
            f"{path or what}: the {what} (lon {minx:.3f}-{maxx:.3f}, lat {miny:.3f}-{maxy:.3f}) does not overlap the "
            f"street network (lon {network_bounds[0]:.3f}-{network_bounds[2]:.3f}, lat {network_bounds[1]:.3f}-{network_bounds[3]:.3f}); "
            "check the file and its coordinate system"
        )

"""Every Parquet table of a run folder as GeoParquet: the same columns plus a WGS-84 ``geometry``.

``geopandas.read_parquet``, QGIS (GDAL's Parquet driver) and DuckDB spatial
open a GeoParquet file as a layer; a plain table with ``lon``/``lat``
columns needs a join or a recipe first. The tables keep every column they had
(readers that use ``pandas.read_parquet`` see one more column, the geometry as
WKB; :mod:`accessibility.run.read` leaves it out).

Geometries:

- street nodes, the node table and the demand points: the point at ``lon``/``lat``;
- access points: where the facility joins its edge, the edge's line at ``t``
  (measured in the network's metric CRS, as the snapping measured it);
- tables per H3 hexagon (provision): the hexagon.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import h3ronpy
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyproj
import shapely

from ..core import parallel
from ..network.graph import Network
from ..network.snapping import Snapped
from ..stages import hexes as hexes_mod

__all__ = ["CRS", "access_points_table", "geometry_columns", "hexagon_table", "point_table", "snapped_points", "write", "write_points"]

#: every geometry of a run folder is WGS-84 longitude/latitude
CRS = "EPSG:4326"


def point_table(frame: pd.DataFrame, *, lon: str = "lon", lat: str = "lat") -> gpd.GeoDataFrame:
    """``frame`` with a point ``geometry`` at its ``lon``/``lat`` columns (kept)."""
    x, y = frame[lon].to_numpy(np.float64), frame[lat].to_numpy(np.float64)
    # shapely releases the GIL while it builds points: one chunk per core (a million residents take ~0.6 s on one)
    geoms = np.concatenate(parallel.map_chunks(shapely.points, x, y)) if len(x) else shapely.points(x, y)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)


def snapped_points(net: Network, snapped: Snapped) -> np.ndarray:
    """WGS-84 points where ``snapped`` joins the edges of ``net``.

    ``t`` is a fraction of the edge's length in the network's metric CRS (see
    :class:`~accessibility.network.snapping.Snapped`), so the point is taken
    there too: a fraction of a line in degrees would stretch its east-west parts.
    Only the edges used are projected.
    """
    edge = np.asarray(snapped.edge, np.int64)
    if len(edge) == 0:
        return np.array([], dtype=object)
    crs = net.metric_crs
    forward = pyproj.Transformer.from_crs(CRS, crs, always_xy=True)
    back = pyproj.Transformer.from_crs(crs, CRS, always_xy=True)
    lines = shapely.transform(net.edge_geometry(edge), lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1])))
    at = shapely.line_interpolate_point(lines, np.clip(np.asarray(snapped.t, np.float64), 0.0, 1.0), normalized=True)
    return shapely.transform(at, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))


def access_points_table(table: pd.DataFrame, net: Network, snapped: Snapped) -> gpd.GeoDataFrame:
    """The access-point ``table`` (one row per row of ``snapped``) with each point on its edge as ``geometry``."""
    return gpd.GeoDataFrame(table, geometry=snapped_points(net, snapped), crs=CRS)


def hexagon_table(frame: pd.DataFrame, *, column: str = "h3") -> gpd.GeoDataFrame:
    """``frame`` with the polygon of its H3 cell (hexadecimal id in ``column``) as ``geometry``."""
    ids = frame[column].astype(str).to_numpy(dtype=object)
    cells = np.asarray(h3ronpy.cells_parse(ids).to_numpy(), np.uint64) if len(ids) else np.zeros(0, np.uint64)
    return gpd.GeoDataFrame(frame, geometry=hexes_mod.hexagons(cells).geometry.to_numpy(), crs=CRS)


def write_points(frame: pd.DataFrame, path: str | Path, *, lon: str = "lon", lat: str = "lat") -> None:
    """Write ``frame`` as GeoParquet with a point ``geometry`` at its ``lon``/``lat`` columns (kept).

    The same file :func:`write` writes for :func:`point_table` (GeoParquet 1.0.0, WKB points,
    WGS-84), about ten times faster: a point's WKB is 21 fixed bytes (byte order, type 1, x, y),
    so the column is laid out with numpy instead of building a million shapely points and
    encoding each (2.7 s against 0.3 s for a province's residents).
    """
    x = frame[lon].to_numpy(np.float64)
    y = frame[lat].to_numpy(np.float64)
    n = len(x)
    wkb = np.empty((n, 21), np.uint8)
    wkb[:, 0] = 1  # little-endian
    wkb[:, 1:5] = np.frombuffer(np.array(1, "<u4").tobytes(), np.uint8)  # wkbPoint
    wkb[:, 5:13] = x.astype("<f8").view(np.uint8).reshape(n, 8)
    wkb[:, 13:21] = y.astype("<f8").view(np.uint8).reshape(n, 8)
    offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int32) * 21).tobytes())
    geometry = pa.Array.from_buffers(pa.binary(), n, [None, offsets, pa.py_buffer(wkb.tobytes())])
    table = pa.Table.from_pandas(frame, preserve_index=False).append_column("geometry", geometry)
    finite = np.isfinite(x) & np.isfinite(y)
    bbox = [float(x[finite].min()), float(y[finite].min()), float(x[finite].max()), float(y[finite].max())] if finite.any() else []
    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"], "crs": pyproj.CRS(CRS).to_json_dict(), **({"bbox": bbox} if bbox else {})}},
    }
    pq.write_table(table.replace_schema_metadata({**(table.schema.metadata or {}), b"geo": json.dumps(geo).encode()}), path)


def write(frame: gpd.GeoDataFrame, path: str | Path) -> None:
    """Write ``frame`` as GeoParquet (geopandas' writer: GeoParquet 1.0 metadata, WKB geometry)."""
    frame.to_parquet(path)


def geometry_columns(path: str | Path) -> list[str]:
    """The geometry columns a Parquet file declares in its GeoParquet ``geo`` metadata (none for a plain table)."""
    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(b"geo")
    return list(json.loads(raw).get("columns", {})) if raw else []

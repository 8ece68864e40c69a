"""Inputs held in memory: every argument that takes a file also takes a (Geo)DataFrame.

A notebook user has the boundary, the districts or a facility list as a
GeoDataFrame already; writing it to a file only to have it read back loses
nothing but time and invites encoding mistakes. The readers accept, wherever
they accept a path:

* a :class:`geopandas.GeoDataFrame` or :class:`~geopandas.GeoSeries` (its CRS
  is the "file's" CRS; a declared ``crs=`` overrides it as for files);
* a :class:`pandas.DataFrame` (tables: facility lists, census counts, points);
* a shapely geometry (a boundary), taken as WGS-84 lon/lat.

The frame goes through the same validation as a file and yields the same
rejects; messages name it by :func:`label` (``<boundary GeoDataFrame, 3
rows>``) where they would name a file, and the manifest records its content
digest (:func:`record`) where it records a file's sha256.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["Source", "as_frame", "is_frame", "label", "record"]

#: what a reader takes: a file, or the data itself
Source: TypeAlias = str | os.PathLike[str] | pd.DataFrame | gpd.GeoSeries | shapely.Geometry


def is_frame(source: Any) -> bool:
    """Whether ``source`` is data in memory rather than a file name."""
    return isinstance(source, (pd.DataFrame, pd.Series, shapely.Geometry))


def _kind(source: Any) -> str:
    if isinstance(source, shapely.Geometry):
        return source.geom_type
    return type(source).__name__


def label(source: Any, what: str = "input") -> Path:
    """A name for messages: the file, or ``<boundary GeoDataFrame, 3 rows>`` for data in memory.

    It is returned as a :class:`~pathlib.Path` (with no suffix and no folder)
    so that code written for files names either in the same way.
    """
    if not is_frame(source):
        return Path(source)
    n = 1 if isinstance(source, shapely.Geometry) else len(source)
    return Path(f"<{what} {_kind(source)}, {n} {'row' if n == 1 else 'rows'}>")


def as_frame(source: Any, what: str = "input") -> pd.DataFrame:
    """A copy of in-memory data as the readers see a file: row numbers 1.. as the index ``source_row``.

    Parameters
    ----------
    source
        A DataFrame, GeoDataFrame, GeoSeries or shapely geometry (WGS-84).
    what
        What the data is, for messages.

    Returns
    -------
    pandas.DataFrame
        A GeoDataFrame when the data has geometries.
    """
    if isinstance(source, shapely.Geometry):
        frame: pd.DataFrame = gpd.GeoDataFrame(geometry=[source], crs="EPSG:4326")
    elif isinstance(source, gpd.GeoSeries):
        frame = gpd.GeoDataFrame(geometry=source.reset_index(drop=True), crs=source.crs)
    elif isinstance(source, pd.Series):
        raise TypeError(f"{what}: a pandas Series is not a table; pass a DataFrame (or a GeoSeries of geometries)")
    else:
        frame = source.copy()
        if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name not in frame.columns:
            frame = pd.DataFrame(frame)  # a GeoDataFrame whose geometry column was dropped is a table
    frame.columns = [str(c) for c in frame.columns]
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="source_row")
    return frame


def digest(source: Any) -> str:
    """sha256 of the data's content (values, geometries as WKB, CRS), stable across processes."""
    frame = as_frame(source)
    h = hashlib.sha256()
    h.update(",".join(frame.columns).encode())
    geo = isinstance(frame, gpd.GeoDataFrame)
    if geo:
        h.update(str(frame.crs.to_wkt() if frame.crs is not None else "").encode())
        wkb = shapely.to_wkb(frame.geometry.to_numpy(), output_dimension=3, include_srid=False, flavor="iso")
        h.update(b"".join(w or b"" for w in wkb.tolist()))
        frame = pd.DataFrame(frame.drop(columns=[frame.geometry.name]))
    if len(frame.columns):
        try:
            values = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        except TypeError:  # unhashable cells (lists, dicts): hash their text
            values = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
        h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


def record(source: Any, what: str = "input") -> dict[str, Any]:
    """How the manifest records in-memory data: its label, row count and content digest."""
    n = 1 if isinstance(source, shapely.Geometry) else len(source)
    return {"path": str(label(source, what)), "rows": n, "sha256": digest(source), "in_memory": True}

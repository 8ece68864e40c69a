"""A place's streets, facilities, buildings and boundary, downloaded through osmnx (``run --place``).

The only part of the package that uses the internet, and only when asked: it
needs ``pip install 'accessibility[online]'`` (osmnx) and a connection to
Nominatim and Overpass. osmnx geocodes the place to its boundary polygon and
downloads, within it, each mode's street graph (turned into a
:class:`~accessibility.network.graph.Network` by
:func:`~accessibility.network.nxgraph.graph_from_networkx`) and the features
carrying the services' tag keys (turned into the
:class:`~accessibility.readers.osm.FeatureTable` an OSM file gives). The
boundary is the run's study area unless another is given.

For a repeatable analysis, download an extract once (e.g. from Geofabrik or
BBBike) and run on the file: Overpass answers change as OpenStreetMap is edited.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import config, errors
from ..readers import osm
from . import nxgraph
from .graph import Network

__all__ = ["Place", "PlaceData", "features_from_osmnx", "place_sources"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Place:
    """A place to download instead of reading files (``run --place``): a name osmnx geocodes."""

    query: str


@dataclass(frozen=True)
class PlaceData:
    """What :func:`place_sources` downloaded: the networks, the features and the place's boundary (WGS-84)."""

    nets: dict[str, Network]
    features: osm.FeatureTable
    boundary: gpd.GeoDataFrame


def _osmnx() -> Any:
    try:
        import osmnx as ox
    except ImportError as exc:
        raise errors.AccessibilityError("--place downloads through osmnx: pip install 'accessibility[online]' (or run on an OSM file with --osm)") from exc
    return ox


def place_sources(query: str, *, modes: Sequence[str | config.ModeRecipe], feature_keys: Sequence[str]) -> PlaceData:
    """Download a place's boundary, each mode's streets and the features with ``feature_keys``.

    Parameters
    ----------
    query
        A place osmnx geocodes to a polygon, e.g. ``"西湖区, 杭州市"``.
    modes
        Mode ids or recipes.
    feature_keys
        Tag keys of the features (the services' rule keys, and ``building``/``landuse`` for the estimate).

    Returns
    -------
    PlaceData

    Raises
    ------
    AccessibilityError
        Without osmnx, or when the download fails (the message says what osmnx reported).
    """
    ox = _osmnx()
    try:
        boundary = ox.geocode_to_gdf(query)
        polygon = boundary.to_crs("EPSG:4326").geometry.union_all()
        nets = {}
        for m in modes:
            recipe = m if isinstance(m, config.ModeRecipe) else config.load_mode(m)
            network_type = recipe.id if recipe.id in ("walk", "bike", "drive") else "all"
            graph = ox.graph_from_polygon(polygon, network_type=network_type, simplify=True)
            nets[recipe.id] = nxgraph.graph_from_networkx(graph, mode=recipe)
            nets[recipe.id].info["source"] = f"osmnx graph_from_place({query!r}, network_type={network_type!r})"
        frame = ox.features_from_polygon(polygon, tags=dict.fromkeys(feature_keys, True)) if feature_keys else None
    except (ValueError, TypeError, OSError, RuntimeError) as exc:  # osmnx's geocoding and Overpass errors, connection errors
        raise errors.AccessibilityError(f"--place {query!r}: the download through osmnx failed ({type(exc).__name__}: {exc}); check the name and the connection, or run on an OSM file (--osm)") from exc
    features = features_from_osmnx(frame) if frame is not None else osm.empty_features()
    log.info("place %r: %d features, networks %s", query, len(features), {m: n.n_nodes for m, n in nets.items()})
    return PlaceData(nets, features, gpd.GeoDataFrame({"name": [query]}, geometry=[polygon], crs="EPSG:4326"))


def features_from_osmnx(frame: gpd.GeoDataFrame) -> osm.FeatureTable:
    """osmnx's features (index ``element``/``id``, one column per tag key) as the feature table of an OSM file.

    Parameters
    ----------
    frame
        What ``osmnx.features_from_*`` returns.

    Returns
    -------
    FeatureTable
        ``osm_type``, ``osm_id``, ``tags`` (a dict of the row's non-empty tags), WGS-84 ``geometry``.
    """
    if frame is None or len(frame) == 0:
        return osm.empty_features()
    frame = frame.to_crs("EPSG:4326") if frame.crs is not None and not frame.crs.equals("EPSG:4326") else frame
    index = frame.index.to_frame(index=False)
    kinds = index.iloc[:, 0].astype(str).to_numpy(dtype=object) if index.shape[1] > 1 else np.full(len(frame), "way", dtype=object)
    ids = pd.to_numeric(index.iloc[:, -1], errors="coerce").fillna(-1).astype(np.int64).to_numpy()
    keys = [c for c in frame.columns if c != frame.geometry.name and not str(c).startswith("nodes")]
    values = frame[keys].astype(object).where(frame[keys].notna(), None).to_numpy()
    # one dict per feature, as the OSM reader gives (a Python pass is unavoidable: the stages read tags as dicts)
    tags = [{str(k): str(v) for k, v in zip(keys, row, strict=True) if v is not None and v != ""} for row in values]
    out = pd.DataFrame({"osm_type": kinds, "osm_id": ids, "tags": tags, "geometry": frame.geometry.to_numpy()})
    return osm.FeatureTable(frame=out, notes=(f"{len(out)} features downloaded through osmnx",))

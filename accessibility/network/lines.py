"""Street networks from road line layers (Shapefile, GeoPackage, GeoJSON, a GeoDataFrame).

:func:`graph_from_lines` reads the layer into the way table the OSM reader
produces (:func:`accessibility.readers.roads.read_roads`) and builds the
network with :func:`~accessibility.network.graph.graph_from_ways`, so the
simplification to junctions, the mode recipe (which classes a mode uses, its
speeds, one-way rules) and the largest-component rule are those of OSM files.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyproj

from .. import config, errors
from ..readers import osm, roads
from ..readers.roads import RoadLayerInput
from . import graph

__all__ = ["RoadLayerInput", "graph_from_lines", "graphs_from_lines"]

log = logging.getLogger(__name__)


def _spec(source: str | Path | gpd.GeoDataFrame | RoadLayerInput, crs: str | int | pyproj.CRS | None, options: dict[str, Any]) -> RoadLayerInput:
    """The reading spec: the one given, with ``crs`` and ``options`` on top, or a new one."""
    if crs is not None:
        options = {**options, "crs": crs}
    fields = {f.name for f in dataclasses.fields(RoadLayerInput)} - {"path"}
    unknown = sorted(set(options) - fields)
    if unknown:
        raise errors.InputError(f"graph_from_lines: unknown option(s) {unknown}; the options are {sorted(fields)}")
    if isinstance(source, RoadLayerInput):
        return dataclasses.replace(source, **options) if options else source
    return RoadLayerInput(path=source, **options)


def graph_from_lines(
    source: str | Path | gpd.GeoDataFrame | RoadLayerInput,
    *,
    crs: str | int | pyproj.CRS | None = None,
    mode: str | config.ModeRecipe = "walk",
    largest_component: bool = True,
    **options: Any,
) -> graph.Network:
    """Build a mode's street network from a road line layer.

    Parameters
    ----------
    source
        The layer: a file (any format pyogrio reads, or a zip of one), a
        GeoDataFrame, or a :class:`~accessibility.readers.roads.RoadLayerInput`.
    crs
        Declared coordinate system (``"gcj02"``, ``"bd09"``, ``"wgs84"``,
        ``"cgcs2000"``, ``"EPSG:4547"``, an EPSG number or a pyproj CRS); default: the file's own.
    mode
        ``"walk"`` (default), ``"bike"``, ``"drive"``, a recipe path or a
        :class:`~accessibility.config.ModeRecipe`.
    largest_component
        Keep only the largest connected part (default), as for OSM files.
    **options
        Fields of :class:`~accessibility.readers.roads.RoadLayerInput`:
        ``class_column``, ``class_map``, ``unmapped_class``,
        ``oneway_column``, ``speed_column``, ``bridge_column``,
        ``tunnel_column``, ``layer_column``, ``name_column``, ``encoding``,
        ``layer``, ``node_crossings``.

    Returns
    -------
    Network
        ``info["source"]`` is ``"lines"``, ``info["path"]`` the layer,
        ``info["notes"]`` what was left out or assumed, and
        ``info["road_layer"]`` the reading facts (columns used, rows left out,
        crossings noded).

    Raises
    ------
    InputError
        For a layer that cannot be read as roads (see
        :func:`~accessibility.readers.roads.read_roads`), or with no road the
        mode may use.

    Examples
    --------
    >>> net = graph_from_lines("roads.shp", crs="EPSG:4547", class_column="道路等级", mode="drive")  # doctest: +SKIP
    """
    spec = _spec(source, crs, options)
    ways, facts = roads.read_roads_report(spec)
    return _build(ways, facts, mode=mode, largest_component=largest_component)


def graphs_from_lines(
    source: str | Path | gpd.GeoDataFrame | RoadLayerInput, *, modes: Sequence[str | config.ModeRecipe], largest_component: bool = True
) -> dict[str, graph.Network]:
    """:func:`graph_from_lines` for several modes, reading the layer once.

    Returns
    -------
    dict
        Mode id -> network.
    """
    ways, facts = roads.read_roads_report(_spec(source, None, {}))
    recipes = [m if isinstance(m, config.ModeRecipe) else config.load_mode(m) for m in modes]
    return {r.id: _build(ways, facts, mode=r, largest_component=largest_component) for r in recipes}


def _build(ways: osm.WayTable, facts: dict[str, Any], *, mode: str | config.ModeRecipe, largest_component: bool) -> graph.Network:
    try:
        net = graph.graph_from_ways(ways, mode=mode, largest_component=largest_component)
    except errors.OSMDataError as exc:
        classes = sorted({t.get("highway", "") for t in ways.tags})
        raise errors.InputError(
            f"{exc}. The road layer's classes map to highway values {classes[:15]}; "
            "map the layer's classes to ones the mode uses with class_map= (--network-class-map), or pick another mode"
        ) from exc
    net.info.update(source="lines", path=str(ways.source), road_layer=facts, notes=list(ways.notes))
    return net

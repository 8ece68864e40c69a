"""Street networks: graphs from OSM (:mod:`.graph`), snapping to edges (:mod:`.snapping`),
shortest paths to facilities (:mod:`.distances`) on a graph layered for private ways
(:mod:`.private`), walls, water and rail that a walk to the street cannot cross (:mod:`.barriers`),
entrances of areas (:mod:`.entrances`), the cache of parsed networks (:mod:`.cache`)
and networkx/osmnx graphs in and out (:mod:`.nxgraph`).

The graph API is re-exported here (``accessibility.network.graph_from_file``), with
networks from road line layers (:mod:`.lines`: ``graph_from_lines``).
"""

from __future__ import annotations

from .graph import (
    Network,
    csr_from_arcs,
    demo_osm_path,
    edge_private,
    graph_from_arrays,
    graph_from_file,
    graph_from_pbf,
    graph_from_ways,
    haversine_m,
    keep_largest_component,
    utm_crs_for,
)
from .lines import RoadLayerInput, graph_from_lines
from .nxgraph import graph_from_networkx, graph_from_place, to_networkx
from .online import Place

__all__ = [
    "Network",
    "Place",
    "RoadLayerInput",
    "csr_from_arcs",
    "demo_osm_path",
    "edge_private",
    "graph_from_arrays",
    "graph_from_file",
    "graph_from_lines",
    "graph_from_networkx",
    "graph_from_pbf",
    "graph_from_place",
    "graph_from_ways",
    "haversine_m",
    "keep_largest_component",
    "to_networkx",
    "utm_crs_for",
]

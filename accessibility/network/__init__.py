"""Street networks: graphs from OSM (:mod:`.graph`), snapping to edges (:mod:`.snapping`),
shortest paths to facilities (:mod:`.distances`) and the cache of parsed networks (:mod:`.cache`).

The graph API is re-exported here (``accessibility.network.graph_from_file``).
"""

from __future__ import annotations

from .graph import (
    Network,
    csr_from_arcs,
    demo_osm_path,
    graph_from_arrays,
    graph_from_file,
    graph_from_pbf,
    graph_from_place,
    graph_from_ways,
    haversine_m,
    keep_largest_component,
    utm_crs_for,
)

__all__ = [
    "Network",
    "csr_from_arcs",
    "demo_osm_path",
    "graph_from_arrays",
    "graph_from_file",
    "graph_from_pbf",
    "graph_from_place",
    "graph_from_ways",
    "haversine_m",
    "keep_largest_component",
    "utm_crs_for",
]

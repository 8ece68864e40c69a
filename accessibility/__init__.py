"""accessibility: can every resident reach the public services policy promises?

Network analysis of China's 15-minute public service circle, elderly care within
1 km, the 10-minute fitness circle and park access, from OpenStreetMap extracts,
facility lists and population rasters.

The pipeline runs one way, one module per stage::

    network -> facilities -> snapping -> distances -> population / hexes -> goals -> outputs

and :func:`run` (in :mod:`accessibility.pipeline`) orchestrates it.
"""

from __future__ import annotations

import importlib.metadata as _metadata

try:
    __version__ = _metadata.version("accessibility")
except _metadata.PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

from . import errors
from .config import load_goals, load_mode, load_services
from .facilities import layer_from_osm
from .network import graph_from_file, graph_from_pbf
from .pipeline import RunOptions, RunResult, run
from .query import query_csv, query_points

__all__ = [
    "__version__",
    "errors",
    "run",
    "RunOptions",
    "RunResult",
    "graph_from_file",
    "graph_from_pbf",
    "layer_from_osm",
    "load_goals",
    "load_mode",
    "load_services",
    "query_points",
    "query_csv",
]

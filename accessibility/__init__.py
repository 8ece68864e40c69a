"""accessibility: can every resident reach the public services policy promises?

Network analysis of China's 15-minute public service circle, elderly care within
1 km, the 10-minute fitness circle and park access, from OpenStreetMap extracts,
facility lists and population rasters.

The package's folders are its layers, each importing only the ones below it::

    cli         the command line
    briefing    maps, pictures and reports of a finished run
    tools       work on a finished run: query, isochrones, provision, siting
    run         the staged pipeline, its result, the run folder, batch runs
    stages      facilities, merging, population, hexagons, goals, districts, datum check
    network     street graphs, snapping, shortest paths, the cache
    readers     OSM files, planners' tables and polygons, rasters
    config      services, goals and travel modes from TOML
    coords      China's coordinate systems (GCJ-02, BD-09), geodesy
    core        columns, files, text safety, threads, notes, versions
    errors      the exception hierarchy

:func:`run` (:mod:`accessibility.run.pipeline`) runs the whole chain.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from . import errors
from .config import load_goals, load_mode, load_services
from .core.meta import version as _version
from .network import graph_from_file, graph_from_pbf
from .run.pipeline import RunOptions, RunResult, run
from .stages.facilities import layer_from_osm
from .tools.query import query_csv, query_points

__version__ = _version()

__all__ = [
    "RunOptions",
    "RunResult",
    "__version__",
    "errors",
    "graph_from_file",
    "graph_from_pbf",
    "layer_from_osm",
    "load_goals",
    "load_mode",
    "load_services",
    "query_csv",
    "query_points",
    "run",
]

#: modules of the flat layout before 0.2, and where they live now (``accessibility.snapping`` still works, with a warning)
_MOVED = {
    "columns": "core.columns", "fileio": "core.fileio", "textsafe": "core.textsafe", "parallel": "core.parallel",
    "chinacoords": "coords.chinacoords", "marsformula": "coords.marsformula", "mainland": "coords.mainland",
    "osm": "readers.osm", "opl": "readers.opl", "footprints": "readers.footprints", "extract": "readers.extract",
    "areas": "readers.areas", "userdata": "readers.facility_files", "zones": "readers.zones",
    "snapping": "network.snapping", "distances": "network.distances", "cache": "network.cache",
    "facilities": "stages.facilities", "merging": "stages.merging", "population": "stages.population", "hexes": "stages.hexes",
    "goals": "stages.goals", "datum": "stages.datum",
    "pipeline": "run.pipeline", "outputs": "run.write", "runfolder": "run.folder", "rundata": "briefing.rundata", "batch": "run.batch",
    "query": "tools.query", "isochrones": "tools.isochrones", "isostreets": "tools.isostreets", "provision": "tools.provision", "siting": "tools.siting",
    "maps": "briefing.maps", "mapimage": "briefing.mapimage", "mapthemes": "briefing.mapthemes", "report": "briefing.report", "i18n": "briefing.i18n",
}


def __getattr__(name: str) -> Any:
    """``accessibility.<old module>`` of the flat layout: the module at its new place, with a DeprecationWarning."""
    new = _MOVED.get(name)
    if new is None:
        raise AttributeError(f"module 'accessibility' has no attribute {name!r}")
    warnings.warn(f"accessibility.{name} moved to accessibility.{new}; import it from there", DeprecationWarning, stacklevel=2)
    return importlib.import_module(f".{new}", __name__)

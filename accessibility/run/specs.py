"""A run's input specs, recorded in its manifest so the run can be made again with a change.

``manifest["inputs"]`` records the input *files* (with their sha256);
``manifest["specs"]`` (:func:`record`) records how each was read: the
facility lists' service, coordinate system, columns and sheets, the declared
coordinate system of the boundary and districts, the population zones'
columns, the run options. :func:`load` turns them back into the keyword
arguments of :func:`accessibility.run.pipeline.run`, checking first that every
input file is still where the run found it and unchanged, so a scenario run
(``accessibility suggest --apply``) differs from its run only by what it adds.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import config, errors
from ..core import fileio
from ..readers.facility_files import FacilityInput
from ..readers.zones import DistrictInput, ZoneInput
from ..stages.calibration import CensusInput
from ..stages.population import EstimateAssumptions
from .inputs import AreaInput, GoalsInput, PopulationInput, RunOptions

__all__ = ["SPECS_KEY", "load", "record"]

#: the manifest key of the recorded specs
SPECS_KEY = "specs"
_IN_MEMORY = "in_memory"
#: nested specs, rebuilt by field name
_NESTED: dict[str, type] = {"zones": ZoneInput, "census": CensusInput, "districts": DistrictInput, "estimate": EstimateAssumptions}


def record(
    *, population: PopulationInput, areas: AreaInput, goals: GoalsInput, facilities: Sequence[FacilityInput], options: RunOptions, network: Any = None
) -> dict[str, Any]:
    """The specs of a run as the manifest records them (files as absolute paths; data held in memory marked as such)."""
    return {
        "network": _value(network),
        "population": _value(population),
        "areas": _value(areas),
        # the goals are kept by value (manifest "goals"); the file of their provision indicators by name
        "goals": {"layers_dir": _value(goals.layers_dir), "provisions": _value(goals.provisions_file)},
        "facilities": [_value(f) for f in facilities],
        "options": _value(options),
    }


def _value(v: Any) -> Any:
    """A spec field as JSON: dataclasses field by field, paths absolute, data in memory only named."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: _value(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, (str, os.PathLike)):
        return str(Path(v).expanduser().absolute()) if isinstance(v, os.PathLike) or _looks_like_path(v) else v
    if isinstance(v, Mapping):
        return {str(k): _value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_value(x) for x in v]
    if v is None or isinstance(v, (bool, int, float)):
        return v
    if hasattr(v, "to_wkt") and hasattr(v, "to_string"):  # a pyproj CRS: as the text that declares it again
        return str(v.to_string())
    return {_IN_MEMORY: type(v).__name__}


def _looks_like_path(text: str) -> bool:
    return Path(text).expanduser().exists()


def load(manifest: Mapping[str, Any], *, run_dir: str | Path) -> dict[str, Any]:
    """The keyword arguments of :func:`~accessibility.run.pipeline.run` that made a run, from its manifest.

    Parameters
    ----------
    manifest
        The run's ``manifest.json``.
    run_dir
        The run folder (for messages).

    Returns
    -------
    dict
        ``osm_path``, ``population``, ``areas``, ``goals`` (the goals as
        evaluated, by value), ``facilities`` and ``options``.

    Raises
    ------
    RunDirectoryError
        When the run did not record its specs (an earlier version wrote it),
        or was given data held in memory rather than files.
    InputFileNotFoundError
        When an input file is no longer where the run read it.
    InputError
        When an input file changed since the run (its sha256 differs).
    """
    specs = manifest.get(SPECS_KEY)
    if not isinstance(specs, Mapping):
        raise errors.RunDirectoryError(
            f"{run_dir}: the run does not record how its inputs were read (written by an earlier version); "
            f"run `accessibility run ... --out {run_dir}` again, then try again"
        )
    _check_files(manifest, run_dir)
    try:
        pop = _spec(PopulationInput, specs["population"], run_dir)
        areas = _spec(AreaInput, specs["areas"], run_dir)
        facilities = [_spec(FacilityInput, f, run_dir) for f in specs.get("facilities", [])]
        options = _spec(RunOptions, specs["options"], run_dir)
        goal_specs = tuple(config.goal_from_dict(g) for g in manifest.get("goals", []))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, errors.AccessibilityError):
            raise
        raise errors.RunDirectoryError(f"{run_dir}: manifest.json does not hold the specs this version reads ({exc!r}); run `accessibility run` again") from None
    osm = (manifest.get("inputs", {}).get("osm") or {}).get("path") or manifest.get("osm")
    goal_rec = specs.get("goals") or {}
    goals = GoalsInput(goals=goal_specs, layers_dir=goal_rec.get("layers_dir"), provisions=goal_rec.get("provisions"))
    out = {"osm_path": Path(str(osm)) if osm else None, "population": pop, "areas": areas, "goals": goals, "facilities": facilities, "options": options}
    if manifest.get("place"):  # downloaded through osmnx (run --place): downloaded again
        from ..network import online

        out["network"] = online.Place(str(manifest["place"]))
        return out
    network = _network(specs.get("network"), run_dir)
    if network is not None:  # only then: pipeline.run takes network= since road layers came in
        out["network"] = network
    return out


def _network(data: Any, run_dir: str | Path) -> Any:
    """The run's streets when they came from a road layer (a file, or a RoadLayerInput), else None (the OSM file's)."""
    if data is None or isinstance(data, str):
        return data
    if isinstance(data, Mapping) and "path" in data and isinstance(data["path"], str):
        from ..readers import roads

        return _spec(roads.RoadLayerInput, data, run_dir)
    raise errors.RunDirectoryError(
        f"{run_dir}: the run's streets were given in memory (a graph or a GeoDataFrame), not as a file, so they cannot be read again; "
        "save them to a file, run with that file, and try again"
    )


def _spec(cls: type, data: Mapping[str, Any], run_dir: str | Path) -> Any:
    """A spec from its record (nested specs rebuilt; fields this version does not know are an error)."""
    kwargs: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in names:
            raise errors.RunDirectoryError(f"{run_dir}: the run records {cls.__name__}.{key}, which this version does not know; run `accessibility run` again")
        if isinstance(value, Mapping) and _IN_MEMORY in value:
            raise errors.RunDirectoryError(
                f"{run_dir}: the run's {cls.__name__}.{key} was given as data in memory ({value[_IN_MEMORY]}), not as a file, so it cannot be read again; "
                "save it to a file, run with that file, and try again"
            )
        if key in _NESTED and isinstance(value, Mapping):
            value = _spec(_NESTED[key], value, run_dir)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    if cls is RunOptions and kwargs.get("cache") == "False":  # RunOptions.record() writes a disabled cache as text
        kwargs["cache"] = False
    return cls(**kwargs)


def _check_files(manifest: Mapping[str, Any], run_dir: str | Path) -> None:
    """Every input file the run read is still there, unchanged (the goals file aside: the goals are taken by value, its provision tables read when asked for)."""
    for what, rec in (manifest.get("inputs") or {}).items():
        if what in ("goals", "provisions"):
            continue
        for r in rec if isinstance(rec, list) else [rec]:
            if not isinstance(r, Mapping) or r.get("in_memory") or "sha256" not in r:
                continue
            path = Path(str(r["path"]))
            if not path.is_file():
                raise errors.InputFileNotFoundError(
                    f"{path} ({what.replace('_', ' ')} of the run {run_dir}) is no longer there; put it back where it was, "
                    "or run `accessibility run` again with its new place"
                )
            if path.stat().st_size != r.get("bytes") or fileio.sha256_file(path) != r["sha256"]:
                raise errors.InputError(
                    f"{path} ({what.replace('_', ' ')} of the run {run_dir}) changed since the run; a scenario on it would mix that change in. "
                    "Run `accessibility run` again with it first"
                )

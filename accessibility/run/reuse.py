"""What a rerun takes from the cache: where the residents join the streets, and the hexagon layout.

A planner who changes a facility list, adds suggested sites (``suggest
--apply``) or edits a goal runs again on the same streets and the same
residents. Where each resident joins each mode's streets (the barrier-aware
search of :meth:`~accessibility.network.snapping.EdgeIndex.snap_points`) and
the hexagons with their population and snapped centres
(:func:`~accessibility.stages.hexes.hex_layout`) do not depend on any facility,
so they are stored once and loaded by every later run that has the same:

* OSM file content, mode recipes and feature keys read (the networks and the
  walls, water and rail that bar a snap),
* residents (the bytes of their coordinates, people and older people),
* study area (its WKB), hexagon resolution and snapping limit,
* package version and source code (every module, so an edited package never
  serves stale positions).

The key is a digest of all of these: an entry can never be stale, only
missing. Only runs on an OSM file with the cache on are keyed (a road layer,
a graph or a downloaded place has no file content to key them by). Entries
are folders of ``.npz`` arrays and one GeoParquet file, written atomically in
the background like the network cache's (:func:`~accessibility.network.cache.write_folder`);
an entry that fails to load is recomputed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from .. import config
from ..core import meta as package_meta
from ..network import cache as network_cache
from ..network import snapping
from ..stages import hexes as hexes_mod
from ..stages import population

__all__ = ["FORMAT", "Residents", "load", "residents_key", "sources_key", "store"]

log = logging.getLogger(__name__)

#: bumped when the entry's layout changes
FORMAT = 1
_DONE = "meta.json"
_SNAPPED = ("edge", "t", "snap_dist_m", "barrier")


@dataclass(frozen=True)
class Residents:
    """Where the residents join each mode's streets, and the hexagon layout (its centres not yet joined to a graph)."""

    snapped: dict[str, snapping.Snapped]
    layout: hexes_mod.HexLayout
    folder: Path | None = None  # the cache entry they were loaded from


@functools.cache
def _package_digest() -> str:
    """Digest of every module of the package: positions computed by other code are never reused."""
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parents[1]
    for path in sorted(pkg.rglob("*.py")):
        h.update(path.relative_to(pkg).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def sources_key(osm_path: Path, recipes: Sequence[config.ModeRecipe], feature_keys: Sequence[str], footprint_keys: Sequence[str]) -> str:
    """Digest of what a run's networks and OSM features are made from (file content, recipes, keys read)."""
    sha = network_cache.file_sha256(osm_path)  # memoised: the network cache hashed the file already
    parts = {
        "networks": [network_cache.key_parts(sha, r, largest_component=True) for r in recipes],
        "feature_keys": sorted(set(feature_keys)), "footprint_keys": sorted(set(footprint_keys)),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def residents_key(sources: str | None, demand: population.Demand, study: shapely.Geometry, *, resolution: int, max_snap_m: float) -> str | None:
    """The cache key of a run's resident positions and hexagons; ``None`` when its sources have no key."""
    if sources is None:
        return None
    h = hashlib.sha256()
    for a in (demand.lon, demand.lat, demand.pop, demand.older):
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    h.update(shapely.to_wkb(study))
    parts = {"sources": sources, "residents": h.hexdigest(), "resolution": int(resolution), "max_snap_m": float(max_snap_m),
             "format": FORMAT, "package_version": package_meta.version(), "code": _package_digest()}
    return "residents-" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _folder(cache_dir: str | Path | bool | None, key: str) -> Path | None:
    if cache_dir is False:
        return None
    cache = network_cache.NetworkCache(None if cache_dir is None or cache_dir is True else cache_dir)
    return cache.entry(key.removeprefix("residents-")).with_name(key)


def load(cache_dir: str | Path | bool | None, key: str | None, modes: Sequence[str]) -> Residents | None:
    """The stored positions and hexagons of ``key`` for ``modes``, or ``None`` (no cache, no key, no entry, or a damaged one)."""
    folder = _folder(cache_dir, key) if key is not None else None
    if folder is None or not (folder / _DONE).is_file():
        return None
    t = time.perf_counter()
    try:
        with np.load(folder / "snapped.npz") as z:
            snapped = {m: _snapped(z, f"{m}_") for m in modes}
        with np.load(folder / "layout.npz") as z:
            pos, empty, centres = z["pos"], z["empty"], _snapped(z, "centre_")
        frame = gpd.read_parquet(folder / "hexes.parquet")
    except Exception as exc:  # noqa: BLE001 - a damaged or partial entry is recomputed, never fatal
        log.warning("residents cache entry %s cannot be read (%s); computing the positions again", folder, exc)
        shutil.rmtree(folder, ignore_errors=True)
        return None
    log.info("residents' positions and hexagons: loaded from cache %s in %.2f s", folder, time.perf_counter() - t)
    return Residents(snapped, hexes_mod.HexLayout(frame=frame, pos=pos, empty=empty, centre_snap=centres, centre_neighbours=()), folder)


def _snapped(z: np.lib.npyio.NpzFile, prefix: str) -> snapping.Snapped:
    barrier = z[f"{prefix}barrier"] if f"{prefix}barrier" in z.files else None
    return snapping.Snapped(edge=z[f"{prefix}edge"], t=z[f"{prefix}t"], snap_dist_m=z[f"{prefix}snap_dist_m"], barrier=barrier)


def _arrays(s: snapping.Snapped, prefix: str) -> dict[str, np.ndarray]:
    return {f"{prefix}{name}": getattr(s, name) for name in _SNAPPED if getattr(s, name) is not None}


def store(cache_dir: str | Path | bool | None, key: str | None, residents: Residents, *, writer: Executor) -> dict[str, str]:
    """Store ``residents`` under ``key`` on ``writer`` (a background thread).

    Returns what the manifest records, updated by the writer: ``{"cache": "storing"}``,
    then ``"stored"`` (with ``"entry"``) or ``"not written: <why>"``; ``"off"`` without a cache or a key.
    """
    folder = _folder(cache_dir, key) if key is not None else None
    if folder is None:
        return {"cache": "off"}
    status = {"cache": "storing"}
    layout = residents.layout

    def write(part: Path) -> None:
        part.mkdir(parents=True)
        snapped: dict[str, Any] = {k: v for m, s in residents.snapped.items() for k, v in _arrays(s, f"{m}_").items()}
        np.savez(part / "snapped.npz", **snapped)
        grid: dict[str, Any] = {"pos": layout.pos, "empty": layout.empty, **_arrays(layout.centre_snap, "centre_")}
        np.savez(part / "layout.npz", **grid)
        layout.frame.to_parquet(part / "hexes.parquet")
        (part / _DONE).write_text(json.dumps({"key": key, "created": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n", encoding="utf-8")

    def guarded() -> None:
        try:
            network_cache.write_folder(folder, write, done=_DONE)
            status.update(cache="stored", entry=str(folder))
        except Exception as exc:  # noqa: BLE001 - a failed cache write must not fail the analysis
            log.warning("cannot write the residents cache in %s (%s); the next run computes the positions again", folder, exc)
            status["cache"] = f"not written: {exc}"

    writer.submit(guarded)
    return status


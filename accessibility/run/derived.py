"""What a run derives from the OSM features, kept so that a rerun need not load them.

The features of a province (its buildings, walls, water, amenities: millions of
tag dicts and shapes) are read for three things only, once the streets are
built: the walls-and-gates rules of the walking network
(:func:`~accessibility.network.barriers.barrier_outcome`), the entrances of
areas, and the OSM facilities of the services
(:func:`~accessibility.stages.facilities.facilities_from_features`). What of
them needs no street is derived while the streets are built (:class:`FromFeatures`). A rerun
on the same file, recipes, feature keys and service rules gets the same three,
so they are stored once (``derived-<key>/``) and a rerun with a population
raster never loads the features (~1.5 s of a 1M-node rerun). A run that needs
them anyway (census zones spread over buildings, the building estimate) loads
them when it asks (:class:`~accessibility.run.steps.Sources`).

The key adds to the sources' key (:func:`~accessibility.run.reuse.sources_key`:
file content, recipes, feature keys) the service rules in order, and the package's
code and the libraries' versions (:func:`~accessibility.run.reuse.residents_key`'s):
an entry can be missing, never stale. An entry that does not fit the streets it is
applied to, or cannot be read, is computed again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from .. import config
from ..network import barriers, cachesize
from ..readers import osm
from ..stages import facilities as facilities_mod
from . import reuse

__all__ = ["Derived", "FromFeatures", "derived_key", "load", "store"]

log = logging.getLogger(__name__)

_FACTS = "facts.json"


@dataclass(frozen=True)
class Derived:
    """The walking network's barrier rules, the entrances, the OSM facilities and the reader's notes, from one file's features."""

    outcome: barriers.BarrierOutcome
    entrances: np.ndarray  # WGS-84 points: passable gates and entrance nodes
    facilities: gpd.GeoDataFrame  # facilities_from_features of the run's services
    notes: tuple[str, ...]  # what the OSM reader repaired or left out in the features
    folder: Path | None = None  # the cache entry they were loaded from


def derived_key(sources: str | None, services: dict[str, config.ServiceLayer]) -> str | None:
    """The cache key of what a run derives from its features; ``None`` when its sources have no key."""
    if sources is None:
        return None
    rules = [[sid, [dataclasses.asdict(r) for r in layer.rules]] for sid, layer in services.items()]
    parts = {"sources": sources, "rules": rules, **reuse.computed_by()}
    return "derived-" + hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def load(cache_dir: str | Path | bool | None, key: str | None) -> Derived | None:
    """The stored entry of ``key``, or ``None`` (no cache, no key, no entry, or a damaged one)."""
    folder = reuse.entry_folder(cache_dir, key)
    if folder is None or not (folder / reuse.DONE).is_file():
        return None
    try:
        facts = json.loads((folder / _FACTS).read_text(encoding="utf-8"))
        with np.load(folder / "barriers.npz") as z:
            private = z["private"]
            kept_edges = z["kept_edges"] if "kept_edges" in z.files else None
            kept_nodes = z["kept_nodes"] if "kept_nodes" in z.files else None
            entrances = _from_wkb(reuse.unpack_bytes(z["entrance_wkb"], z["entrance_offsets"]))
        lines = gpd.read_parquet(folder / "barrier_lines.parquet")
        facilities = _read_facilities(folder / "facilities.parquet")
    except Exception as exc:  # noqa: BLE001 - a damaged or partial entry is recomputed, never fatal
        log.warning("derived cache entry %s cannot be read (%s); loading the OSM features again", folder, exc)
        shutil.rmtree(folder, ignore_errors=True)
        return None
    cachesize.mark_used(folder)
    outcome = barriers.BarrierOutcome(private=private, kept_edges=kept_edges, kept_nodes=kept_nodes, lines=lines, quality=facts["quality"])
    return Derived(outcome, entrances, facilities, tuple(facts["notes"]), folder)


def store(cache_dir: str | Path | bool | None, key: str | None, derived: Derived, *, writer: Executor) -> dict[str, Any]:
    """Store ``derived`` under ``key`` on ``writer``; returns the status the manifest records (as :func:`~accessibility.run.reuse.store`)."""
    folder = reuse.entry_folder(cache_dir, key)
    if folder is None:
        return {"cache": "off"}
    o = derived.outcome

    def write(part: Path) -> None:
        wkb = shapely.to_wkb(np.asarray(derived.entrances, dtype=object)).tolist() if len(derived.entrances) else []
        arrays: dict[str, Any] = {"private": o.private, **dict(zip(("entrance_wkb", "entrance_offsets"), reuse.pack_bytes(wkb), strict=True))}
        if o.kept_edges is not None:
            arrays["kept_edges"] = o.kept_edges
        if o.kept_nodes is not None:
            arrays["kept_nodes"] = o.kept_nodes
        np.savez(part / "barriers.npz", **arrays)
        o.lines.to_parquet(part / "barrier_lines.parquet")
        _write_facilities(derived.facilities, part / "facilities.parquet")
        (part / _FACTS).write_text(json.dumps({"quality": o.quality, "notes": list(derived.notes)}, ensure_ascii=False) + "\n", encoding="utf-8")

    status: dict[str, Any] = {}
    reuse.submit_entry(folder, key, write, status, writer)
    return status


def _from_wkb(wkbs: list[bytes]) -> np.ndarray:
    return shapely.from_wkb(np.array(wkbs, dtype=object)) if wkbs else np.array([], dtype=object)


def _write_facilities(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Columns as they are (text as text, numbers as numbers), the geometry as WKB; read back by :func:`_read_facilities` to an equal frame."""
    cols = {}
    for c in frame.columns:
        if c == frame.geometry.name:
            continue
        values = frame[c].to_numpy()
        cols[c] = pa.array(values.tolist()) if values.dtype == object else pa.array(values)
    cols["__wkb"] = pa.array(shapely.to_wkb(frame.geometry.to_numpy()).tolist() if len(frame) else [], type=pa.binary())
    pq.write_table(pa.table(cols), path)


def _read_facilities(path: Path) -> gpd.GeoDataFrame:
    t = pq.read_table(path)
    data = {}
    for name in t.column_names:
        if name == "__wkb":
            continue
        col = t.column(name)
        # text as Python lists, as facilities_from_features builds the frame: the same dtypes; a column of
        # Python objects with nothing in it (no rows, or only None) as objects again
        if pa.types.is_null(col.type):
            data[name] = np.array(col.to_pylist(), dtype=object)
        else:
            data[name] = col.to_pylist() if pa.types.is_string(col.type) else col.to_numpy()
    wkb = t.column("__wkb").to_numpy(zero_copy_only=False)
    return gpd.GeoDataFrame(data, geometry=shapely.from_wkb(wkb) if len(wkb) else gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


class FromFeatures:
    """The barrier rules' reading of the features, their entrances and the services' facilities: what the features alone give.

    :meth:`derive` is handed to the reader, which calls it on the thread that assembles the
    features while the networks are built (~0.6 s of a 1M-node run off its path); :meth:`of`
    gives what was derived from a table, deriving it now when it was not (features loaded again).
    """

    def __init__(self, services: dict[str, config.ServiceLayer]) -> None:
        self.services = services
        self.table: osm.FeatureTable | None = None
        self.found: tuple[barriers.FeatureRules, np.ndarray, gpd.GeoDataFrame] | None = None

    def derive(self, table: osm.FeatureTable) -> None:
        """Read the rules, entrances and facilities of ``table`` (any thread: the reader calls it on its own)."""
        rules = barriers.feature_rules(table.frame)
        self.found = (rules, barriers.entrance_points(table.frame, rules=rules), facilities_mod.facilities_from_features(table, self.services))
        self.table = table

    def of(self, table: osm.FeatureTable) -> tuple[barriers.FeatureRules, np.ndarray, gpd.GeoDataFrame]:
        """The rules, entrances and facilities of ``table``: derived by the reader, or now."""
        if self.table is not table or self.found is None:
            self.derive(table)
        assert self.found is not None  # derived just now, if not before
        return self.found

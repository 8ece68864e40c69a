"""What a rerun takes from the cache: where the residents join the streets, the hexagon layout, and the facilities' access points.

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
  serves stale positions), and the versions of the libraries that computed
  them (GEOS, PROJ, numpy, scipy, H3).

The key is a digest of all of these: an entry can never be stale, only
missing. A facility's access points depend only on its own geometry, the
streets, the barriers, the entrances and the options: :class:`RememberedAccess`
looks them up by the geometry's WKB (``access-<key>/``, one per mode) and
searches only the facilities an earlier run did not place. Only runs on an
OSM file with the cache on are keyed (a road layer, a graph or a downloaded
place has no file content to key them by). Entries
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
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely

from .. import config
from ..core import meta as package_meta
from ..network import cache as network_cache
from ..network import cachesize, distances, ondemand, snapping, trees
from ..stages import hexes as hexes_mod
from ..stages import population

__all__ = [
    "DONE", "FORMAT", "RememberedAccess", "RememberedSearches", "Residents", "access_key", "computed_by", "entry_folder", "load", "pack_bytes", "residents_key",
    "sources_key", "store", "submit_entry", "unpack_bytes",
]

log = logging.getLogger(__name__)

#: bumped when the entry's layout changes
FORMAT = 1
DONE = "meta.json"
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


@functools.cache
def computed_by() -> dict[str, str]:
    """The package and the libraries whose results an entry holds: an upgrade of GEOS (nearest streets, ties),
    PROJ (projections), numpy, scipy or H3 computes them afresh instead of serving the old ones."""
    import h3ronpy
    import pyproj
    import scipy

    return {
        "package_version": package_meta.version(), "code": _package_digest(), "format": str(FORMAT),
        "geos": shapely.geos_version_string, "shapely": shapely.__version__, "proj": pyproj.proj_version_str,
        "pyproj": pyproj.__version__, "numpy": np.__version__, "scipy": scipy.__version__, "h3ronpy": getattr(h3ronpy, "__version__", "?"),
    }


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
    parts = {"sources": sources, "residents": h.hexdigest(), "resolution": int(resolution), "max_snap_m": float(max_snap_m), **computed_by()}
    return "residents-" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def entry_folder(cache_dir: str | Path | bool | None, key: str | None) -> Path | None:
    """The folder of entry ``key`` (``residents-<hex>``, ``access-<hex>``) in the cache; ``None`` without a cache or a key."""
    if key is None or cache_dir is False:
        return None
    cache = network_cache.NetworkCache(None if cache_dir is None or cache_dir is True else cache_dir)
    return cache.entry(key.split("-", 1)[1]).with_name(key)


def load(cache_dir: str | Path | bool | None, key: str | None, modes: Sequence[str]) -> Residents | None:
    """The stored positions and hexagons of ``key`` for ``modes``, or ``None`` (no cache, no key, no entry, or a damaged one)."""
    folder = entry_folder(cache_dir, key)
    if folder is None or not (folder / DONE).is_file():
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
    cachesize.mark_used(folder)
    log.info("residents' positions and hexagons: loaded from cache %s in %.2f s", folder, time.perf_counter() - t)
    return Residents(snapped, hexes_mod.HexLayout(frame=frame, pos=pos, empty=empty, centre_snap=centres, centre_sides=None), folder)


def pack_bytes(items: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Byte strings (geometries' WKB) as one ``uint8`` array and the offsets of each, for an ``.npz`` (no pickle)."""
    return np.frombuffer(b"".join(items), dtype=np.uint8), np.r_[0, np.cumsum([len(w) for w in items])].astype(np.int64)


def unpack_bytes(blob: np.ndarray, offsets: np.ndarray) -> list[bytes]:
    """The byte strings :func:`pack_bytes` packed, in order."""
    raw = blob.tobytes()
    return [raw[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]


def _snapped(z: np.lib.npyio.NpzFile, prefix: str) -> snapping.Snapped:
    barrier = z[f"{prefix}barrier"] if f"{prefix}barrier" in z.files else None
    return snapping.Snapped(edge=z[f"{prefix}edge"], t=z[f"{prefix}t"], snap_dist_m=z[f"{prefix}snap_dist_m"], barrier=barrier)


def _arrays(s: snapping.Snapped, prefix: str) -> dict[str, np.ndarray]:
    return {f"{prefix}{name}": getattr(s, name) for name in _SNAPPED if getattr(s, name) is not None}


def store(cache_dir: str | Path | bool | None, key: str | None, residents: Residents, *, writer: Executor) -> dict[str, Any]:
    """Store ``residents`` under ``key`` on ``writer`` (a background thread).

    Returns what the manifest records, updated by the writer: ``{"cache": "storing"}``,
    then ``"stored"`` (with ``"entry"``) or ``"not written: <why>"``; ``"off"`` without a cache or a key.
    """
    folder = entry_folder(cache_dir, key)
    if folder is None:
        return {"cache": "off"}
    layout = residents.layout

    def write(part: Path) -> None:
        snapped: dict[str, Any] = {k: v for m, s in residents.snapped.items() for k, v in _arrays(s, f"{m}_").items()}
        np.savez(part / "snapped.npz", **snapped)
        grid: dict[str, Any] = {"pos": layout.pos, "empty": layout.empty, **_arrays(layout.centre_snap, "centre_")}
        np.savez(part / "layout.npz", **grid)
        layout.frame.to_parquet(part / "hexes.parquet")

    status: dict[str, Any] = {}
    submit_entry(folder, key, write, status, writer)
    return status


def submit_entry(folder: Path, key: str | None, write: Callable[[Path], None], status: dict[str, Any], writer: Executor) -> None:
    """Write an entry on ``writer``: ``write(part)`` fills the new folder, then ``meta.json`` marks it whole and it is renamed into place.

    ``status["cache"]`` says ``"storing"``, then ``"stored"`` (with ``"entry"``) or ``"not written: <why>"``;
    a failed write is logged, never raised (the cache is optional).
    """

    def fill(part: Path) -> None:
        part.mkdir(parents=True)
        write(part)
        (part / DONE).write_text(json.dumps({"key": key, "created": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n", encoding="utf-8")

    def guarded() -> None:
        try:
            network_cache.write_folder(folder, fill, done=DONE)
            status.update(cache="stored", entry=str(folder))
        except Exception as exc:  # noqa: BLE001 - a failed cache write must not fail the analysis
            log.warning("cannot write the cache entry %s (%s); the next run computes it again", folder, exc)
            status["cache"] = f"not written: {exc}"

    status["cache"] = "storing"
    writer.submit(guarded)


# --------------------------------------------------------------------------- facilities' access points


def access_key(sources: str | None, mode: str, *, max_snap_m: float, reach_m: float) -> str | None:
    """The cache key of the access points of facilities on one mode's streets; ``None`` when the sources have no key."""
    if sources is None:
        return None
    parts = {"sources": sources, "mode": mode, "max_snap_m": float(max_snap_m), "reach_m": float(reach_m), **computed_by()}
    return "access-" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class RememberedAccess:
    """An edge index whose :meth:`access_points` takes each facility's from an earlier run when its geometry is the same.

    A facility's access points depend only on its own geometry, the streets,
    the barriers, the entrances and the options (all in the key): so they are
    looked up by the geometry's WKB, and only new geometries (a planner's new
    sites) are searched. The result is the array :meth:`EdgeIndex.access_points
    <accessibility.network.snapping.EdgeIndex.access_points>` gives: sorted by
    owner, each owner's points in its own order.
    """

    def __init__(self, index: snapping.EdgeIndex | ondemand.EdgeIndexOnDemand, cache_dir: str | Path | bool | None, key: str | None) -> None:
        self.index, self.key = index, key
        self.folder = entry_folder(cache_dir, key)
        self.status: dict[str, Any] = {"cache": "off"} if self.folder is None else {"cache": "miss"}
        self._known: dict[bytes, int] = {}
        self._rows: tuple[Any, ...] = ()
        self._pending: tuple[np.ndarray, np.ndarray, snapping.Snapped] | None = None
        if self.folder is not None and (self.folder / DONE).is_file():
            self._load()

    def _load(self) -> None:
        assert self.folder is not None
        try:
            with np.load(self.folder / "access.npz") as z:
                wkbs, rows = unpack_bytes(z["wkb"], z["wkb_offsets"]), z["row_offsets"]
                self._rows = (rows, z["edge"], z["t"], z["snap_dist_m"], z["barrier"] if "barrier" in z.files else None)
        except Exception as exc:  # noqa: BLE001 - a damaged entry is recomputed, never fatal
            log.warning("access cache entry %s cannot be read (%s); searching every facility's access points again", self.folder, exc)
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        # one dict entry per facility geometry (a few thousand), not per node
        self._known = {w: i for i, w in enumerate(wkbs)}
        cachesize.mark_used(self.folder)
        self.status = {"cache": "hit", "entry": str(self.folder)}

    def access_points(self, geoms: np.ndarray, *, reach_m: float = 30.0, entrances: np.ndarray | None = None) -> tuple[np.ndarray, snapping.Snapped]:
        """As :meth:`EdgeIndex.access_points <accessibility.network.snapping.EdgeIndex.access_points>`, searching only geometries not seen before."""
        geoms = np.asarray(geoms, dtype=object)
        if self.folder is None:  # no cache: nothing to look up, nothing to store
            self.status.update(reused=0, searched=len(geoms))
            return self.index.access_points(geoms, reach_m=reach_m, entrances=entrances)
        wkb = shapely.to_wkb(geoms) if len(geoms) else np.array([], dtype=object)
        at = np.array([self._known.get(w, -1) for w in wkb.tolist()], dtype=np.int64)
        miss = np.flatnonzero(at < 0)
        self.status.update(reused=int(len(geoms) - len(miss)), searched=len(miss))
        if len(miss) == len(geoms):
            owner, snapped = self.index.access_points(geoms, reach_m=reach_m, entrances=entrances)
        else:
            owner, snapped = self._merge(at, miss, *self.index.access_points(geoms[miss], reach_m=reach_m, entrances=entrances))
        if self.status["cache"] == "miss":
            self._pending = (wkb, owner, snapped)  # for :meth:`store`
        return owner, snapped

    def _merge(self, at: np.ndarray, miss: np.ndarray, owner_m: np.ndarray, found: snapping.Snapped) -> tuple[np.ndarray, snapping.Snapped]:
        rows, edge, t, dist, barrier = self._rows
        hit = np.flatnonzero(at >= 0)
        start, count = rows[at[hit]], rows[at[hit] + 1] - rows[at[hit]]
        take = np.repeat(start - np.cumsum(count) + count, count) + np.arange(int(count.sum()))  # the rows of every hit, in order
        owner = np.concatenate([np.repeat(hit, count), miss[owner_m]])
        order = np.argsort(owner, kind="stable")  # each owner's rows stay in their own order
        with_barrier = barrier is not None or found.barrier is not None
        b = np.concatenate([barrier[take] if barrier is not None else np.zeros(len(take), np.int8),
                            found.barrier if found.barrier is not None else np.zeros(len(found), np.int8)]) if with_barrier else None
        merged = snapping.Snapped(
            edge=np.concatenate([edge[take], found.edge])[order], t=np.concatenate([t[take], found.t])[order],
            snap_dist_m=np.concatenate([dist[take], found.snap_dist_m])[order], barrier=None if b is None else b[order],
        )
        return owner[order], merged

    def store(self, writer: Executor) -> None:
        """Store this run's access points (when the cache had none) on ``writer``; the status says whether they were."""
        if self._pending is None or self.folder is None:
            return
        wkb, owner, snapped = self._pending
        if any(w is None for w in wkb.tolist()):  # a missing geometry has no WKB to be found by
            return
        first = np.unique(wkb, return_index=True)[1] if len(wkb) else np.zeros(0, np.int64)  # one entry per distinct geometry
        first.sort()
        counts = np.bincount(owner, minlength=len(wkb))  # owners are sorted: each one's rows are contiguous
        keep = np.repeat(np.isin(np.arange(len(wkb)), first), counts)
        blob, blob_offsets = pack_bytes([wkb[i] for i in first.tolist()])
        arrays: dict[str, Any] = {
            "wkb": blob, "wkb_offsets": blob_offsets,
            "row_offsets": np.r_[0, np.cumsum(counts[first])].astype(np.int64),
            "edge": snapped.edge[keep], "t": snapped.t[keep], "snap_dist_m": snapped.snap_dist_m[keep],
        }
        if snapped.barrier is not None:
            arrays["barrier"] = snapped.barrier[keep]
        submit_entry(self.folder, self.key, lambda part: np.savez(part / "access.npz", **arrays), self.status, writer)



# --------------------------------------------------------------------------- searches


class RememberedSearches:
    """Each facility set's search from an earlier run, found by the streets searched and the set's own access points.

    A set is searched on the streets plus its own access points only
    (:mod:`~accessibility.network.trees`), so its tree depends on the streets, their
    one-way and private rules and costs (:meth:`AccessGraph.digest
    <accessibility.network.distances.AccessGraph.digest>`) and on where the set's
    facilities join them, and on nothing else. A rerun that changes one service's
    list searches that service's sets again and reads every other set's tree back;
    one that edits a goal reads them all (``search-<key>/cost.npy``, ``source.npy``), and the
    search graph's matrix is then never built. The streets' part of that matrix
    is the same for every list of facilities: a rerun that must search loads it
    (``streets-<key>/``) and adds only the stubs' rows.
    """

    def __init__(self, cache_dir: str | Path | bool | None, *, writer: Executor) -> None:
        self.cache_dir = cache_dir
        self.writer: Executor | None = writer  # None once the run's cache writer has stopped: read, no longer stored
        self.status: dict[str, Any] = {"cache": "off"} if cache_dir is False else {"cache": "on", "reused": 0, "searched": 0, "entries": []}
        self._streets_done: set[int] = set()  # graphs whose streets' matrix was loaded or stored
        self._folders: dict[tuple[int, bytes], Path | None] = {}  # a set's entry, asked for by recall and again by remember

    def _folder(self, graph: distances.AccessGraph, mask: np.ndarray) -> Path | None:
        if self.cache_dir is False:
            return None
        memo = (id(graph), np.asarray(mask, bool).tobytes())
        if memo not in self._folders:
            self._folders[memo] = self._entry_of(graph, mask)
        return self._folders[memo]

    def _entry_of(self, graph: distances.AccessGraph, mask: np.ndarray) -> Path | None:
        src = distances.set_sources(graph, mask)
        h = hashlib.sha256()
        for a in (graph.ap_edge[src], graph.ap_t[src], graph.ap_stub_cost[src]):  # where the set's stubs join the streets, and at what cost
            h.update(np.ascontiguousarray(a).tobytes())
        parts = {"streets": graph.digest(), "sources": h.hexdigest(), "n": len(src), **computed_by()}
        return entry_folder(self.cache_dir, "search-" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest())

    def recall(self, graph: distances.AccessGraph, mask: np.ndarray) -> trees.Tree | None:
        """The tree an earlier run grew on these streets from these access points, or ``None`` (the streets' matrix is then loaded, when stored)."""
        if len(distances.set_sources(graph, mask)) == 0:  # no facility: nothing to search, nothing to load or keep
            return None
        folder = self._folder(graph, mask)
        if folder is None:
            return None
        assert graph.stubs is not None
        if not (folder / DONE).is_file():
            self._load_streets(graph)
            return None
        try:
            tree = _read_tree(folder, graph.stubs.first_stub)
        except Exception as exc:  # noqa: BLE001 - a damaged entry is searched again, never fatal
            log.warning("search cache entry %s cannot be read (%s); searching again", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        cachesize.mark_used(folder)
        self.status["reused"] += 1
        return tree

    def stop_storing(self) -> None:
        """The run's cache writer stops: later searches (the outputs', tools') still read the cache, and are not stored."""
        self.writer = None

    def remember(self, graph: distances.AccessGraph, mask: np.ndarray, tree: trees.Tree) -> None:
        """Store a tree just grown, on the writer thread (not the empty tree of a set without facilities: grown in no time)."""
        folder = self._folder(graph, mask) if len(distances.set_sources(graph, mask)) else None
        if folder is None or self.writer is None:
            return
        self.status["searched"] += 1
        arrays = _cost_arrays(tree.cost, tree.source)
        entry: dict[str, Any] = {}
        self.status["entries"].append(entry)
        submit_entry(folder, folder.name, lambda part: _save_arrays(part, arrays), entry, self.writer)
        self._store_streets(graph)

    def recall_points(self, graph: distances.AccessGraph, parts: Sequence[np.ndarray], points_key: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A set's costs at points (its place among the set's sources) an earlier run found from the same searches (``parts``, in order)."""
        folder = self._points_folder(graph, parts, points_key)
        if folder is None or not (folder / DONE).is_file():
            return None
        for search in (self._folder(graph, p) for p in parts):
            if search is not None and (search / DONE).is_file():
                cachesize.mark_used(search)  # the searches the costs came from stay with them (pruning)
        try:
            got = _read_costs(folder)
        except Exception as exc:  # noqa: BLE001 - a damaged entry is computed again, never fatal
            log.warning("points cache entry %s cannot be read (%s); costing them again", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        cachesize.mark_used(folder)
        self.status["points_reused"] = self.status.get("points_reused", 0) + 1
        return got

    def remember_points(self, graph: distances.AccessGraph, parts: Sequence[np.ndarray], points_key: str, cost: np.ndarray, source: np.ndarray) -> None:
        """Store a set's costs at points just found, on the writer thread."""
        folder = self._points_folder(graph, parts, points_key)
        if folder is None or self.writer is None or (folder / DONE).is_file():
            return
        arrays = _cost_arrays(cost, source)
        submit_entry(folder, folder.name, lambda part: _save_arrays(part, arrays), {}, self.writer)

    def _points_folder(self, graph: distances.AccessGraph, parts: Sequence[np.ndarray], points_key: str) -> Path | None:
        # a set's costs at points depend on its searches (each part's, in order: ties go to the first) and on the points
        searches = [self._folder(graph, p) for p in parts]
        if any(f is None for f in searches):
            return None
        key = {"searches": [f.name for f in searches if f is not None], "points": points_key, **computed_by()}
        return entry_folder(self.cache_dir, "points-" + hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest())

    def _streets_folder(self, graph: distances.AccessGraph) -> Path | None:
        parts = {"streets": graph.digest(), "matrix": True, **computed_by()}
        return entry_folder(self.cache_dir, "streets-" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest())

    def _load_streets(self, graph: distances.AccessGraph) -> None:
        """The streets' matrix of an earlier run (the same for every list of facilities), before a search builds it."""
        assert graph.stubs is not None
        folder = self._streets_folder(graph)
        if graph.stubs.streets is not None or folder is None or not (folder / DONE).is_file() or id(graph) in self._streets_done:
            return
        try:
            z = _load_arrays(folder, ("data", "indices", "indptr"))
            n = graph.stubs.first_stub
            m = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=(n, n))
        except Exception as exc:  # noqa: BLE001 - a damaged entry is built again, never fatal
            log.warning("streets cache entry %s cannot be read (%s); building the matrix again", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
            return
        cachesize.mark_used(folder)
        graph.stubs.give_streets(m)
        self._streets_done.add(id(graph))  # loaded: not stored again
        self.status["streets"] = "hit"

    def _store_streets(self, graph: distances.AccessGraph) -> None:
        assert graph.stubs is not None
        folder = self._streets_folder(graph)
        if folder is None or self.writer is None or id(graph) in self._streets_done or graph.stubs.streets is None or (folder / DONE).is_file():
            return
        self._streets_done.add(id(graph))
        m = graph.stubs.streets
        status: dict[str, Any] = {}
        self.status.setdefault("streets_entries", []).append(status)
        submit_entry(folder, folder.name, lambda part: _save_arrays(part, {"data": m.data, "indices": m.indices, "indptr": m.indptr}), status, self.writer)


def _save_arrays(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    """Each array as ``<name>.npy``: read back without a zip's checksum pass (a search's ~16 MB, a rerun reads several)."""
    for name, a in arrays.items():
        np.save(folder / f"{name}.npy", a, allow_pickle=False)


def _load_arrays(folder: Path, names: Sequence[str]) -> dict[str, np.ndarray]:
    return {name: np.load(folder / f"{name}.npy", allow_pickle=False) for name in names}


def _cost_arrays(cost: np.ndarray, source: np.ndarray) -> dict[str, np.ndarray]:
    """A search's or a set's costs at points, and the sources named, as stored (the sources as int32 when they fit)."""
    small = source.max(initial=-1) < np.iinfo(np.int32).max
    return {"cost": cost, "source": source.astype(np.int32) if small else source}


def _read_costs(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """What :func:`_cost_arrays` stored in ``folder``: the costs and the sources (int64)."""
    z = _load_arrays(folder, ("cost", "source"))
    return z["cost"], z["source"].astype(np.int64)


def _read_tree(folder: Path, n_nodes: int) -> trees.Tree:
    cost, source = _read_costs(folder)
    tree = trees.Tree(cost=cost, source=source)
    if len(tree.cost) != n_nodes or len(tree.source) != n_nodes:
        raise ValueError(f"{len(tree.cost)} nodes stored, the streets have {n_nodes}")
    return tree

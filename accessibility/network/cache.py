"""A cache of parsed street networks (and OSM features), so a province is parsed once, not per run or goal.

A cached network is keyed by what it was built from:

* the OSM file's **content** (sha256, not its name or date),
* the mode recipe's **content** (every field of ``networks/<mode>.toml``),
* ``largest_component``,
* the package version, a cache format number and a digest of the modules
  that build networks (``osm.py``, ``network.py``, this file), so an edited
  reader never serves a stale graph.

Each entry is a folder of flat arrays, not a pickle: ``nodes.parquet``
(osmid, lon, lat), ``edges.parquet`` (u, v, length_m, forward, backward,
highway, name, osm_way_id, speed_m_s), ``edge_coords.npy`` with
``edge_offsets.npy`` (every edge's geometry as one coordinate array),
``edge_bounds.npy`` (every edge's box, for a rerun's index around a few
places), ``barriers.parquet`` (roads a pedestrian may not use) and
``meta.json`` (the key's parts and the network's build facts). Loading a
million-node network takes about a second (README, "Province scale").

Entries are written to a temporary folder beside their final place and
renamed into it, so a crash or a concurrent run never leaves a half-written
entry that looks complete; an entry that fails to load is rebuilt.

:func:`load_or_read_features` caches :func:`accessibility.readers.osm.read_features`
the same way (``features-<key>/``: ``features.parquet``, ``footprints.parquet``
and ``tags.json``, keyed by the file's content, the tag keys read and the
footprint keys).

Where the cache lives (:func:`default_cache_dir`): ``$ACCESSIBILITY_CACHE``
if set, else ``networks/cache/`` in a source checkout (git-ignored), else
``$XDG_CACHE_HOME/accessibility/networks`` (``~/.cache/...``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from .. import config, errors
from ..core import meta as package_meta
from ..core import parallel
from ..readers import footprints, osm
from . import cachesize
from . import graph as network_mod

__all__ = ["CACHE_ENV", "NetworkCache", "default_cache_dir", "file_sha256", "load_or_build", "load_or_build_many", "load_or_read", "load_or_read_features", "network_key", "write_folder"]

log = logging.getLogger(__name__)

#: Environment variable naming the cache folder.
CACHE_ENV = "ACCESSIBILITY_CACHE"
#: Bumped when the on-disk layout changes.
FORMAT_VERSION = 4  # 2: feature tags in one tags.json; 3: plain building footprints as numbers; 4: distinct tag sets

_EDGE_COLUMNS = ("u", "v", "length_m", "forward", "backward", "highway", "name", "osm_way_id", "speed_m_s", "private", "sidewalk")
_sha_memo: dict[tuple[str, int, int], str] = {}


def default_cache_dir() -> Path:
    """``$ACCESSIBILITY_CACHE``, else ``networks/cache`` in a checkout, else the user cache folder."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "networks").is_dir():
        return checkout / "networks" / "cache"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "accessibility" / "networks"


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (memoised per path, size and modification time within a process)."""
    path = Path(path)
    st = path.stat()
    memo_key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if memo_key in _sha_memo:
        return _sha_memo[memo_key]
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    _sha_memo[memo_key] = digest = h.hexdigest()
    return digest


#: the layers whose code decides what a cache entry holds: every module of them is in the digest
_CODE_PACKAGES = ("core", "coords", "config", "readers", "network")


def _code_digest() -> str:
    """Digest of every module of the layers that read OSM files and build networks.

    Computed from the files themselves, so moving or adding code in those layers
    invalidates the entries they made (a hand-kept list of names would not).
    """
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parents[1]
    for sub in _CODE_PACKAGES:
        for path in sorted((pkg / sub).rglob("*.py")):
            h.update(path.relative_to(pkg).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _recipe_dict(recipe: config.ModeRecipe) -> dict:
    d = dataclasses.asdict(recipe)
    d.pop("source", None)
    return d


def key_parts(osm_sha256: str, recipe: config.ModeRecipe, largest_component: bool) -> dict:
    """Everything a cached network depends on."""
    return {
        "osm_sha256": osm_sha256,
        "recipe": _recipe_dict(recipe),
        "largest_component": bool(largest_component),
        "package_version": package_meta.version(),
        "format": FORMAT_VERSION,
        "code": _code_digest(),
    }


def network_key(osm_path: str | Path, mode: str | config.ModeRecipe = "walk", *, largest_component: bool = True) -> str:
    """The cache key (hex) of a network: file content, recipe content, options, versions."""
    recipe = mode if isinstance(mode, config.ModeRecipe) else config.load_mode(mode)
    parts = key_parts(file_sha256(osm_path), recipe, largest_component)
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


# --------------------------------------------------------------------------- storage


def _write_entry(net: network_mod.Network, folder: Path, meta: dict) -> None:
    folder.mkdir(parents=True)
    nodes = net.nodes
    pq.write_table(
        pa.table({"osmid": nodes["osmid"].to_numpy(np.int64), "lon": nodes["lon"].to_numpy(np.float64), "lat": nodes["lat"].to_numpy(np.float64)}),
        folder / "nodes.parquet",
    )
    e = net.edge_table
    cols = {}
    for c in _EDGE_COLUMNS:
        values = e[c].to_numpy()
        cols[c] = pa.array(values.astype(str) if values.dtype == object else values) if c in ("highway", "name") else pa.array(values)
    pq.write_table(pa.table(cols), folder / "edges.parquet")
    lines = net.edge_coords()
    np.save(folder / "edge_coords.npy", lines.xy)
    np.save(folder / "edge_offsets.npy", lines.offsets)
    np.save(folder / "edge_bounds.npy", lines.bounds())  # a rerun's index around a few places finds their streets by these boxes
    if net.barriers is not None:
        net.barriers.to_parquet(folder / "barriers.parquet")
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")


def _read_entry(folder: Path, recipe: config.ModeRecipe) -> network_mod.Network:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    nt = pq.read_table(folder / "nodes.parquet")
    nodes = pd.DataFrame({c: nt.column(c).to_numpy() for c in ("osmid", "lon", "lat")})
    et = pq.read_table(folder / "edges.parquet")
    coords = np.load(folder / "edge_coords.npy")
    offsets = np.load(folder / "edge_offsets.npy")
    n_edges = et.num_rows
    if len(offsets) != n_edges + 1 or offsets[-1] != len(coords):
        raise ValueError("edge geometry arrays do not match the edge table")
    data = {}
    for c in _EDGE_COLUMNS:
        col = et.column(c)
        # text as pandas' Arrow-backed strings straight from Arrow (the dtype a parsed network's
        # columns get), not through 1.5M Python str objects: ~0.6 s of a 1M-node load
        data[c] = col.to_pandas().array if pa.types.is_string(col.type) or pa.types.is_large_string(col.type) else col.to_numpy(zero_copy_only=False)
    # the lines are built when a stage asks for them (Network.edges): a rerun needs their coordinates only
    edges = pd.DataFrame(data)
    barriers = gpd.read_parquet(folder / "barriers.parquet") if (folder / "barriers.parquet").is_file() else None
    lines = network_mod.EdgeLines(coords, offsets)
    if (folder / "edge_bounds.npy").is_file():
        lines.with_bounds(np.load(folder / "edge_bounds.npy"))
    return network_mod.Network(nodes=nodes, edges=edges, mode=recipe, info=dict(meta["info"]), barriers=barriers, lines=lines)


class NetworkCache:
    """A folder of cached networks (see the module docstring)."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory is not None else default_cache_dir()

    def entry(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def load(self, key: str, recipe: config.ModeRecipe) -> network_mod.Network | None:
        folder = self.entry(key)
        if not (folder / "meta.json").is_file():
            return None
        try:
            net = _read_entry(folder, recipe)
        except Exception as exc:  # noqa: BLE001 - a damaged entry is rebuilt, never fatal
            log.warning("network cache entry %s cannot be read (%s); rebuilding it", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        cachesize.mark_used(folder)
        return net

    def store(self, key: str, net: network_mod.Network, parts: dict) -> Path:
        """Write an entry atomically (temporary folder, then rename); returns its folder."""
        folder = self.entry(key)
        meta = {"key": key, "parts": parts, "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "info": net.info}
        write_folder(folder, lambda part: _write_entry(net, part, meta), done="meta.json")
        return folder


def write_folder(folder: Path, write: Callable[[Path], None], *, done: str) -> None:
    """``write(part)`` fills a new folder beside ``folder``, which is then renamed into place.

    A crash or a concurrent run never leaves a half-written entry that looks
    complete; if another writer finished first (its ``done`` file exists),
    its entry is kept.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = cachesize.temporary_beside(folder)
    try:
        write(tmp / "entry")
        try:
            os.rename(tmp / "entry", folder)  # noqa: PTH104 - atomic rename
        except OSError:
            if not (folder / done).is_file():  # not a concurrent writer's finished entry
                shutil.rmtree(folder, ignore_errors=True)
                os.rename(tmp / "entry", folder)  # noqa: PTH104 - atomic rename
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cachesize.note_used(folder)  # this run's entry (or a concurrent writer's, as good): kept when the cache is pruned


def load_or_build(
    osm_path: str | Path,
    mode: str | config.ModeRecipe = "walk",
    *,
    cache_dir: str | Path | bool | None = None,
    largest_component: bool = True,
) -> network_mod.Network:
    """The network of one mode: from the cache when the same file and recipe were parsed before.

    >>> net = load_or_build("hangzhou.osm.pbf", "walk", cache_dir="networks/cache")  # doctest: +SKIP

    Parameters
    ----------
    osm_path
        The OSM extract.
    mode
        Mode id or recipe.
    cache_dir, largest_component
        As in :func:`load_or_build_many`.

    Returns
    -------
    Network
        ``info["cache"]`` says ``"hit"``, ``"stored"`` or ``"off"``.
    """
    recipe = mode if isinstance(mode, config.ModeRecipe) else config.load_mode(mode)
    try:
        return load_or_build_many(osm_path, [recipe], cache_dir=cache_dir, largest_component=largest_component)[recipe.id]
    except KeyError as exc:  # pragma: no cover - defensive
        raise errors.AccessibilityError(f"network for mode {recipe.id} was not built") from exc


def load_or_build_many(
    osm_path: str | Path,
    modes: Iterable[str | config.ModeRecipe],
    *,
    cache_dir: str | Path | bool | None = None,
    largest_component: bool = True,
) -> dict[str, network_mod.Network]:
    """Networks of several modes from one OSM file, parsing the file at most once.

    Parameters
    ----------
    osm_path
        The OSM extract.
    modes
        Mode ids or recipes.
    cache_dir
        Cache folder; ``None`` the default (:func:`default_cache_dir`);
        ``False`` no cache (always parse).
    largest_component
        As in :func:`~accessibility.network.graph_from_ways`.

    Returns
    -------
    dict
        By mode as given (a recipe object: by its id). Each network's ``info["cache"]`` says ``"hit"``,
        ``"stored"`` or ``"off"``.
    """
    nets, _ = load_or_read(osm_path, modes, None, cache_dir=cache_dir, largest_component=largest_component)
    return nets


def load_or_read(
    osm_path: str | Path,
    modes: Iterable[str | config.ModeRecipe],
    feature_keys: Iterable[str] | None,
    *,
    footprint_keys: tuple[str, ...] = (),
    cache_dir: str | Path | bool | None = None,
    largest_component: bool = True,
    writer: Executor | None = None,
    then: Callable[[osm.FeatureTable], None] | None = None,
) -> tuple[dict[str, network_mod.Network], osm.FeatureTable | None]:
    """Networks of several modes and the OSM features with ``feature_keys``, each from the cache or the file.

    What is missing from the cache is read in one pass over the file
    (:func:`accessibility.readers.osm.read_osm`: node locations decoded once for the
    streets and the features), then stored.

    Parameters
    ----------
    osm_path
        The OSM extract.
    modes
        Mode ids or recipes.
    feature_keys
        Tag keys of the features (see :func:`load_or_read_features`); ``None``: no features.
    footprint_keys
        Keys of features wanted only as building footprints (see
        :func:`accessibility.readers.osm.read_features`).
    cache_dir
        As in :func:`load_or_build_many`.
    largest_component
        As in :func:`~accessibility.network.graph_from_ways`.
    writer
        Where new entries are written: an executor (e.g. a one-thread pool) to
        store them in the background while the caller goes on; its owner waits
        for it (``shutdown(wait=True)``) before relying on the entries.
        Default: written before returning.
    then
        Called with the features once they are assembled or loaded, before this returns:
        on the thread that assembles them while the networks are built, when they are
        read from the file (what the caller derives from the features alone is derived
        beside the networks' build).

    Returns
    -------
    networks, features
        Networks by mode as given; ``features`` is ``None`` when no keys were asked for.
    """
    osm_path = osm.check_osm_path(osm_path)
    modes = list(modes)
    recipes = [m if isinstance(m, config.ModeRecipe) else config.load_mode(m) for m in modes]
    out: dict[str, network_mod.Network] = {}
    cache = None if cache_dir is False else NetworkCache(None if cache_dir is None or cache_dir is True else cache_dir)
    todo: list[tuple[config.ModeRecipe, str | None, dict | None]] = []
    sha = file_sha256(osm_path) if cache is not None else None
    for recipe in recipes:
        if cache is None:
            todo.append((recipe, None, None))
            continue
        assert sha is not None  # hashed whenever there is a cache
        parts = key_parts(sha, recipe, largest_component)
        key = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
        t = time.perf_counter()
        net = cache.load(key, recipe)
        if net is None:
            todo.append((recipe, key, parts))
            continue
        net.info.update(source=str(osm_path), cache="hit", cache_entry=str(cache.entry(key)))
        log.info("network %s: loaded from cache %s in %.2f s", recipe.id, cache.entry(key), time.perf_counter() - t)
        out[recipe.id] = net
    keys = None if feature_keys is None else tuple(dict.fromkeys(feature_keys))
    features = None
    feature_entry = None
    pending: Future[osm.FeatureTable] | None = None  # the features, assembled beside the networks' build
    if keys is not None:
        feature_entry = _feature_entry(cache, sha, keys, footprint_keys) if cache is not None and sha is not None else None
        features = _load_features(feature_entry, osm_path) if feature_entry is not None else None
    need_features = keys is not None and features is None
    if todo or need_features:
        ways, build_features = osm.read_osm_deferred(osm_path, keys if need_features and keys is not None else (), highways=bool(todo), footprint_keys=footprint_keys)
        # features as footprints are compact: built first, their raw coordinates are freed before
        # the networks are built; other features (polygons) are built beside the networks, below
        features_first = need_features and bool(footprint_keys)
        if features_first:
            features = build_features()
            parallel.release_free_memory()
        # the features (the services' places, walls, water) are assembled on another core while the networks
        # are built, which hold one (~2.5 s at 1M nodes; the run's peak memory comes later and is unchanged)

        def assemble() -> osm.FeatureTable:
            table = build_features()
            if then is not None:
                then(table)
            return table

        with ThreadPoolExecutor(1, thread_name_prefix="accessibility-features") as side:
            pending = side.submit(assemble) if need_features and not features_first else None
            for recipe, entry_key, entry_parts in todo:
                assert ways is not None  # highways=bool(todo): the streets were read
                net = network_mod.graph_from_ways(ways, mode=recipe, largest_component=largest_component)
                if cache is None:
                    net.info["cache"] = "off"
                else:
                    _submit(writer, _store_network, cache, entry_key, net, entry_parts)
                out[recipe.id] = net
            del ways  # the networks are built: free the street ways
            parallel.release_free_memory()
            if pending is not None:
                features = pending.result()
        if need_features and feature_entry is not None:
            _submit(writer, _store_features, features, feature_entry, osm_path, cache)
    if then is not None and features is not None and pending is None:  # loaded, or built first
        then(features)
    return {(m if isinstance(m, str) else r.id): out[r.id] for m, r in zip(modes, recipes, strict=True)}, features


def _feature_key(osm_sha256: str, keys: tuple[str, ...], footprint_keys: tuple[str, ...]) -> tuple[str, dict]:
    parts = {"osm_sha256": osm_sha256, "feature_keys": sorted(set(keys)), "footprint_keys": sorted(set(footprint_keys)), "package_version": package_meta.version(), "format": FORMAT_VERSION, "code": _code_digest()}
    return "features-" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest(), parts


def _submit(writer: Executor | None, fn, *args) -> None:
    """Run a cache write now, or on ``writer``; a failure is logged, never raised (the cache is optional)."""

    def guarded() -> None:
        try:
            fn(*args)
        except Exception:  # a failed cache write must not fail the analysis
            log.exception("writing the cache failed; the next run will read the OSM file again")

    if writer is None:
        guarded()
    else:
        writer.submit(guarded)


def _store_network(cache: NetworkCache, key: str, net: network_mod.Network, parts: dict) -> None:
    net.info["cache"] = "storing"
    try:
        folder = cache.store(key, net, parts)
        net.info.update(cache="stored", cache_entry=str(folder))
    except OSError as exc:  # a read-only or full disk must not fail the analysis
        log.warning("cannot write the network cache in %s (%s); continuing without it", cache.directory, exc)
        net.info["cache"] = f"not written: {exc}"


def load_or_read_features(
    osm_path: str | Path, keys: Iterable[str], *, footprint_keys: tuple[str, ...] = (), cache_dir: str | Path | bool | None = None
) -> osm.FeatureTable:
    """:func:`accessibility.readers.osm.read_features`, cached like networks (same file content and keys: loaded).

    Reading every building of a province is the slowest step of a cold run;
    the cached table (``features.parquet``: osm_type, osm_id, WKB geometry;
    ``footprints.parquet``: osm_id, lon, lat, area_m2 of the plain building
    footprints; ``tags.json``: the distinct tag sets as one JSON array, which
    rows point to by their ``tag_set`` column) loads faster.

    Parameters
    ----------
    osm_path
        The OSM extract.
    keys
        Tag keys of the wanted features (e.g. ``amenity``, ``leisure``, ``building``).
    footprint_keys
        Keys of features wanted only as building footprints (see
        :func:`accessibility.readers.osm.read_features`).
    cache_dir
        As in :func:`load_or_build_many`.

    Returns
    -------
    FeatureTable
        As :func:`accessibility.readers.osm.read_features` returns it.
    """
    _, features = load_or_read(osm_path, (), keys, footprint_keys=footprint_keys, cache_dir=cache_dir)
    assert features is not None  # keys given: the features are read or loaded
    return features


@dataclasses.dataclass(frozen=True)
class _FeatureEntry:
    folder: Path
    key: str
    parts: dict


def _feature_entry(cache: NetworkCache, osm_sha256: str, keys: tuple[str, ...], footprint_keys: tuple[str, ...]) -> _FeatureEntry:
    key, parts = _feature_key(osm_sha256, keys, footprint_keys)
    return _FeatureEntry(folder=cache.entry(key[len("features-") :]).with_name(key), key=key, parts=parts)


def _load_features(entry: _FeatureEntry, osm_path: Path) -> osm.FeatureTable | None:
    """The cached features, or ``None`` (missing; a damaged entry is removed)."""
    folder = entry.folder
    target = folder / "features.parquet"
    if not target.is_file():
        return None
    try:
        t = pq.read_table(target)
        fp = pq.read_table(folder / "footprints.parquet")
        # one JSON document for all rows: ~5x faster than a json call per row
        distinct = json.loads((folder / "tags.json").read_text(encoding="utf-8"))
        # rows with the same tags share one dict, as when read from the file
        tags = list(map(distinct.__getitem__, np.concatenate([t.column("tag_set").to_numpy(), fp.column("tag_set").to_numpy()]).tolist()))
        frame = pd.DataFrame(
            {
                "osm_type": t.column("osm_type").to_numpy(zero_copy_only=False),
                "osm_id": t.column("osm_id").to_numpy(),
                "tags": tags[: t.num_rows],
                "geometry": shapely.from_wkb(t.column("wkb").to_numpy(zero_copy_only=False)) if t.num_rows else np.array([], dtype=object),
            }
        )
        plain = footprints.Footprints(
            osm_id=fp.column("osm_id").to_numpy(), tags=tags[t.num_rows :], lon=fp.column("lon").to_numpy(), lat=fp.column("lat").to_numpy(), area_m2=fp.column("area_m2").to_numpy()
        )
        # what the reader repaired or left out when the entry was made
        notes = tuple(json.loads((folder / "meta.json").read_text(encoding="utf-8")).get("notes", ()))
    except Exception as exc:  # noqa: BLE001 - a damaged entry is re-read
        log.warning("feature cache entry %s cannot be read (%s); reading the OSM file again", folder, exc)
        shutil.rmtree(folder, ignore_errors=True)
        return None
    cachesize.mark_used(folder)
    log.info("features of %s: loaded from cache %s", osm_path, folder)
    return osm.FeatureTable(frame=frame, footprints=plain, notes=notes)


def _store_features(table: osm.FeatureTable, entry: _FeatureEntry, osm_path: Path, cache: NetworkCache) -> None:
    """Write the entry into a temporary folder, then rename it into place; a write failure only warns."""
    f = table.frame
    plain = table.footprints
    distinct, tag_set = osm.distinct_tags(f["tags"].tolist() + plain.tags)

    def write(part: Path) -> None:
        part.mkdir()
        pq.write_table(
            pa.table(
                {
                    "osm_type": pa.array(f["osm_type"].to_numpy().astype(str)) if len(f) else pa.array([], pa.string()),
                    "osm_id": pa.array(f["osm_id"].to_numpy(np.int64)),
                    "wkb": pa.array(shapely.to_wkb(f["geometry"].to_numpy()) if len(f) else [], pa.binary()),
                    "tag_set": pa.array(tag_set[: len(f)].astype(np.int32)),
                }
            ),
            part / "features.parquet",
        )
        pq.write_table(
            pa.table({"tag_set": pa.array(tag_set[len(f) :].astype(np.int32)), "osm_id": pa.array(plain.osm_id, pa.int64()), "lon": pa.array(plain.lon, pa.float64()), "lat": pa.array(plain.lat, pa.float64()), "area_m2": pa.array(plain.area_m2, pa.float64())}),
            part / "footprints.parquet",
        )
        (part / "tags.json").write_text(json.dumps(distinct, ensure_ascii=False), encoding="utf-8")
        meta = {"key": entry.key, "parts": entry.parts, "source": str(osm_path), "rows": len(f), "footprints": len(plain), "notes": list(table.notes)}
        (part / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    try:
        write_folder(entry.folder, write, done="features.parquet")
    except OSError as exc:
        log.warning("cannot write the feature cache in %s (%s); continuing without it", cache.directory, exc)

"""The cache folder kept under a size: entries used longest ago are removed first.

Every run may add entries (:mod:`~accessibility.network.cache`,
:mod:`accessibility.run.reuse`): a network and its features per OSM file, what a
run derives from the features (per file and service rules), the
residents' positions per population, and, in the planner's loop, one search
per facility set and list (~13 MB each at a million walking nodes). Left alone
the folder only grows. After each run the folder is brought under its limit,
``$ACCESSIBILITY_CACHE_MAX_GB`` (default :data:`DEFAULT_MAX_GB`), by removing
the entries read or written longest ago; an entry's folder's modification
time is when it was last used (:func:`mark_used` on every read). Entries the
run itself used are never removed, so a run always finds what it has just
stored; a limit smaller than one run's own entries is logged, not enforced.

Only folders shaped like entries are ever touched: ``<2 hex>/<kind->64 hex>``
holding the file that marks an entry complete (``meta.json``), so a cache
folder pointed at a folder holding other data loses none of it. A removed
entry is renamed out of its place first (atomic), then deleted: a concurrent
run that was about to read it finds no entry and computes it again, as it
does for a damaged one. Temporary folders older than an hour (a writer killed
mid-write) are removed too.

What a run used is known twice over: the entries it read or wrote are
recorded in the process (:func:`tracking`, kept whatever their file times),
and entries used since the run started (by their times) are kept too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import errors

__all__ = ["DEFAULT_MAX_GB", "MAX_GB_ENV", "CacheEntry", "entries", "mark_used", "max_bytes", "prune", "temporary_beside", "tracking"]

log = logging.getLogger(__name__)

#: Environment variable: the size the cache folder is kept under, in GB (10^9 bytes).
MAX_GB_ENV = "ACCESSIBILITY_CACHE_MAX_GB"
#: The default limit: a province's network and features (~1-2 GB), its residents and a few hundred searches.
DEFAULT_MAX_GB = 20.0
#: Temporary folders (``.<name>.<random>.tmp``) older than this are a writer's leftovers.
STALE_TMP_S = 3600.0

_KINDS = ("residents", "access", "search", "points", "streets", "features", "derived")
_GROUP = re.compile(r"[0-9a-f]{2}")
_NAME = re.compile(r"(?:(?P<kind>" + "|".join(_KINDS) + r")-)?(?P<key>[0-9a-f]{64})")
#: the file every complete entry holds (:func:`~accessibility.network.cache.write_folder`'s ``done``)
DONE = "meta.json"
#: the temporary folders of :func:`temporary_beside`: ".<the entry's name, first 20 characters>.<mkdtemp's random part>.tmp"
_TMP = re.compile(r"\.(?:(?:" + "|".join(_KINDS) + r")-[0-9a-f]*|[0-9a-f]{20})\.[a-z0-9_]+\.tmp")

_lock = threading.Lock()
_tracked: list[set[Path]] = []  # one set per run in progress in this process


@dataclass(frozen=True)
class CacheEntry:
    """One entry of the cache folder."""

    path: Path
    kind: str  # "network", "features", "derived", "residents", "access", "search", "points" or "streets"
    size_bytes: int
    last_used: float  # seconds since the epoch (the folder's modification time)


@contextlib.contextmanager
def tracking() -> Iterator[set[Path]]:
    """Collect the entries read or written in this process while the block runs (a run): pruning keeps them."""
    used: set[Path] = set()
    with _lock:
        _tracked.append(used)
    try:
        yield used
    finally:
        with _lock:
            _tracked.remove(used)


def note_used(folder: Path) -> None:
    """Record ``folder`` for the runs in progress (:func:`tracking`) without touching it (an entry just written)."""
    path = Path(folder).resolve()
    with _lock:
        for used in _tracked:
            used.add(path)


def temporary_beside(folder: Path) -> Path:
    """A new temporary folder beside the entry ``folder``, where it is written or removed (a name pruning recognises, :data:`_TMP`)."""
    return Path(tempfile.mkdtemp(prefix=f".{folder.name[:20]}.", suffix=".tmp", dir=folder.parent))


def mark_used(folder: Path) -> None:
    """Record that the entry ``folder`` was just read: for the runs in progress, and by its modification time, so pruning keeps it longest."""
    note_used(folder)
    with contextlib.suppress(OSError):  # a read-only cache is still a cache
        os.utime(folder)


def max_bytes() -> float:
    """The limit from ``$ACCESSIBILITY_CACHE_MAX_GB`` (default :data:`DEFAULT_MAX_GB`), in bytes.

    Raises
    ------
    ConfigError
        The variable is not a number >= 0.
    """
    raw = os.environ.get(MAX_GB_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_GB * 1e9
    try:
        gb = float(raw)
    except ValueError:
        gb = -1.0
    if not gb >= 0:
        raise errors.ConfigError(f"${MAX_GB_ENV}={raw!r} is not a size in GB; set it to a number such as 20 (0 keeps only what each run uses), or unset it")
    return gb * 1e9


def entries(directory: str | Path) -> list[CacheEntry]:
    """The complete entries of the cache folder (``<2 hex>/<kind->64 hex>`` holding :data:`DONE`), oldest use first.

    Folders of any other shape are not entries: never listed, never removed.
    """
    out = []
    for group in _subdirs(Path(directory)):
        if not _GROUP.fullmatch(group.name):
            continue
        for folder in _subdirs(group):
            m = _NAME.fullmatch(folder.name)  # a temporary folder (.name.tmp) or anything else does not match
            if m is None or not m["key"].startswith(group.name) or not (folder / DONE).is_file():
                continue
            with contextlib.suppress(OSError):  # removed meanwhile by a concurrent run
                out.append(CacheEntry(folder, m["kind"] or "network", _size(folder), folder.stat().st_mtime))
    return sorted(out, key=lambda e: (e.last_used, str(e.path)))


def prune(directory: str | Path, *, limit_bytes: float, keep_since: float | None = None, keep: set[Path] | frozenset[Path] = frozenset()) -> list[CacheEntry]:
    """Remove the entries used longest ago until the folder holds at most ``limit_bytes``.

    Parameters
    ----------
    directory
        The cache folder (nothing happens when it does not exist).
    limit_bytes
        The size to stay under.
    keep_since
        Entries used at or after this time (seconds since the epoch: the run's
        start) are kept whatever the size.
    keep
        Entries kept whatever the size and their times (absolute paths: those a
        run read or wrote, :func:`tracking`).

    Returns
    -------
    list[CacheEntry]
        The entries removed, oldest first.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    _remove_stale_tmp(directory)
    found = entries(directory)
    total = sum(e.size_bytes for e in found)
    removed = []
    for e in found:
        if total <= limit_bytes:
            break
        if (keep_since is not None and e.last_used >= keep_since) or e.path.resolve() in keep:
            continue
        if _remove(e.path):
            total -= e.size_bytes
            removed.append(e)
    if removed:
        log.info("cache %s: removed %d entries used longest ago (%.1f MB) to stay under %.1f GB", directory, len(removed), sum(e.size_bytes for e in removed) / 1e6, limit_bytes / 1e9)
    if total > limit_bytes:
        log.warning(
            "cache %s holds %.1f GB, above its limit of %.1f GB, in entries this run used; raise $%s or give the run --no-cache",
            directory, total / 1e9, limit_bytes / 1e9, MAX_GB_ENV,
        )
    return removed


def _subdirs(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as it:
            return [Path(d.path) for d in it if d.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _size(folder: Path) -> int:
    total = 0
    with os.scandir(folder) as it:
        for d in it:
            if d.is_dir(follow_symlinks=False):
                total += _size(Path(d.path))
            else:
                total += d.stat(follow_symlinks=False).st_size
    return total


def _remove(folder: Path) -> bool:
    """Rename the entry out of its place (atomic: no reader sees half of it), then delete it; False when it was gone."""
    try:
        gone = temporary_beside(folder)
        try:
            os.rename(folder, gone / "entry")  # noqa: PTH104 - atomic rename
        finally:
            shutil.rmtree(gone, ignore_errors=True)
    except OSError:  # a concurrent run removed it first
        return False
    return True


def _remove_stale_tmp(directory: Path) -> None:
    now = time.time()
    for group in _subdirs(directory):
        if not _GROUP.fullmatch(group.name):
            continue
        for folder in _subdirs(group):
            if _TMP.fullmatch(folder.name) is None:
                continue
            with contextlib.suppress(OSError):
                if now - folder.stat().st_mtime > STALE_TMP_S:
                    shutil.rmtree(folder, ignore_errors=True)

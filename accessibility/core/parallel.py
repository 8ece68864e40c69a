"""Share vectorised work between the machine's cores with threads.

shapely 2 releases the GIL inside its vectorised operations (STRtree
nearest-neighbour queries, geometry construction, validity checks), so
contiguous chunks of one array can run on all cores in threads, without
copying data to other processes. On the 2-core reference machine this halves
snapping 1M points (6.3 s -> 3.2 s for the tree queries).

``ACCESSIBILITY_THREADS`` caps the number of threads (e.g. ``1`` for Dask
workers that already fill every core).
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import shapely

__all__ = ["build_geometries", "chunk_bounds", "map_chunks", "over_chunks", "put_rows", "query_chunks", "release_free_memory", "take_rows", "thread_count"]

THREADS_ENV = "ACCESSIBILITY_THREADS"


def thread_count() -> int:
    """Threads to use: the cores this process may run on, capped by ``$ACCESSIBILITY_THREADS``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    cap = os.environ.get(THREADS_ENV, "").strip()
    if cap:
        try:
            cores = min(cores, max(1, int(cap)))
        except ValueError:
            raise ValueError(f"${THREADS_ENV} must be a whole number of threads, got {cap!r}") from None
    return max(1, cores)


def map_chunks(fn: Callable[..., Any], *arrays: Sequence[Any] | np.ndarray, min_chunk: int = 20_000) -> list[Any]:
    """Call ``fn`` on contiguous chunks of ``arrays`` (all the same length), one per thread.

    ``fn`` must release the GIL to gain anything (shapely and numpy vectorised
    calls do).

    Parameters
    ----------
    fn
        Called as ``fn(*chunks)`` with the same slice of every array.
    *arrays
        Sliceable sequences of equal length.
    min_chunk
        Fewest items per chunk: a short input is not split.

    Returns
    -------
    list
        The results in chunk order; with one thread or a short input, ``[fn(*arrays)]``.
    """
    return over_chunks(lambda lo, hi: fn(*(a[lo:hi] for a in arrays)), len(arrays[0]), min_chunk=min_chunk)


def over_chunks(fn: Callable[[int, int], Any], n: int, *, min_chunk: int = 20_000) -> list[Any]:
    """Call ``fn(lo, hi)`` on contiguous ranges of ``0..n`` (:func:`chunk_bounds`), one per thread; the results in order."""
    bounds = chunk_bounds(n, min_chunk=min_chunk)
    if len(bounds) <= 2:
        return [fn(0, n)]
    with ThreadPoolExecutor(max_workers=len(bounds) - 1, thread_name_prefix="accessibility") as pool:
        return list(pool.map(lambda b: fn(*b), itertools.pairwise(bounds)))


def chunk_bounds(n: int, *, min_chunk: int = 20_000) -> list[int]:
    """Where :func:`over_chunks` cuts ``0..n``: one range per thread, none shorter than ``min_chunk`` (one range for a short input)."""
    k = min(thread_count(), max(1, n // min_chunk))
    return np.linspace(0, n, k + 1).astype(np.int64).tolist()


def query_chunks(query: Callable[..., Any], geoms: np.ndarray, *per_item: np.ndarray, min_chunk: int = 20_000) -> tuple[np.ndarray, ...]:
    """``query(chunk, *per_item_chunks)`` over contiguous chunks of ``geoms``, one per thread, the results concatenated.

    ``query`` returns arrays (a tuple, or a 2-row array as ``STRtree.query`` gives)
    whose first indexes the chunk; it is made to index ``geoms``. ``per_item``
    arrays (e.g. a distance per geometry) are cut alike.
    """

    def run(part: np.ndarray, position: np.ndarray, *more: np.ndarray) -> tuple[np.ndarray, ...]:
        first, *rest = query(part, *more)
        return (position[first], *rest)

    found = map_chunks(run, geoms, np.arange(len(geoms)), *per_item, min_chunk=min_chunk)
    return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))


def take_rows(a: np.ndarray, rows: np.ndarray, *, min_chunk: int = 1_000_000) -> np.ndarray:
    """``a[rows]`` (integer positions or a boolean mask), gathered in contiguous chunks, one per thread.

    numpy's fancy indexing releases the GIL: 7M coordinate rows of the 1M-node
    benchmark's streets are gathered in half the time on two cores.
    """
    rows = np.asarray(rows)
    bounds = chunk_bounds(len(rows), min_chunk=min_chunk)
    # where each chunk's rows go: a mask's after the rows the chunks before it keep
    starts = np.r_[0, np.cumsum([np.count_nonzero(rows[lo:hi]) for lo, hi in itertools.pairwise(bounds)])] if rows.dtype == bool else np.asarray(bounds)
    out = np.empty((int(starts[-1]), *a.shape[1:]), a.dtype)

    def part(lo: int, hi: int) -> None:
        at = bounds.index(lo)
        out[starts[at] : starts[at + 1]] = a[lo:hi][rows[lo:hi]] if rows.dtype == bool else a[rows[lo:hi]]

    over_chunks(part, len(rows), min_chunk=min_chunk)
    return out


def put_rows(out: np.ndarray, rows: np.ndarray, values: np.ndarray, *, min_chunk: int = 1_000_000) -> None:
    """``out[rows] = values`` (integer positions, each once), in contiguous chunks of ``rows``, one per thread (numpy's scatter releases the GIL)."""

    def part(lo: int, hi: int) -> None:
        out[rows[lo:hi]] = values[lo:hi]

    over_chunks(part, len(rows), min_chunk=min_chunk)


def build_geometries(kind: str, xy: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Lines (``kind="line"``) or one-ring polygons (``"polygon"``) from consecutive coordinates.

    Geometry ``i`` takes the next ``counts[i]`` rows of ``xy``; chunks of
    geometries are built in threads.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if kind not in ("line", "polygon"):
        raise ValueError(f"kind must be 'line' or 'polygon', got {kind!r}")
    if len(counts) == 0:
        return np.array([], dtype=object)
    end = np.cumsum(counts)

    def build(chunk_counts: np.ndarray, chunk_first: np.ndarray) -> np.ndarray:
        lo = int(end[chunk_first[0]] - chunk_counts[0])
        part = xy[lo : lo + int(chunk_counts.sum())]
        index = np.repeat(np.arange(len(chunk_counts)), chunk_counts)
        if kind == "line":
            return shapely.linestrings(part, indices=index)
        return shapely.polygons(shapely.linearrings(part, indices=index))

    return np.concatenate(map_chunks(build, counts, np.arange(len(counts))))


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """glibc with ``malloc_trim`` declared, loaded once; None where there is no glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


def release_free_memory() -> None:
    """Hand memory freed by finished stages back to the operating system (glibc only).

    glibc keeps freed blocks in per-thread arenas (the worker threads above get
    their own); after reading a province's buildings that held ~2.4 GB of
    resident memory nobody used. ``malloc_trim`` returns it, so the next stage
    starts from what is really live. A no-op where glibc is not the allocator.
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)

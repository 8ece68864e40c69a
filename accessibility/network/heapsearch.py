"""A multi-source Dijkstra on a CSR matrix that runs off the GIL (numba).

Why not :func:`scipy.sparse.csgraph.dijkstra`, which the rest of the package
uses: it holds the GIL for the whole search. A run's searches (one per facility
set, ~0.4 s each on the 1.3M-node search graph of the 1M-node benchmark) then
stall the work the run does meanwhile on its background thread (the empty
hexagons' centres joined to the streets, ~3 s of shapely calls that take the
GIL between their vectorised parts), which finished only after the last search.
scipy also keeps its frontier in a Fibonacci heap; the search below keeps it in a
4-ary heap with lazy deletion, ~1.2x faster on these graphs as a binary heap, and
a 4-ary one 1.3x faster again (0.30 -> 0.23 s for one set at 1M nodes). Together: the
distances and hexagons stages of the benchmark's cold run fall from ~6.1 s to ~4.5 s.
(Two searches at once on two cores were measured too: 0.2 s more gained for
~140 MB more memory at the run's peak, so the searches run one by one.)

The costs are scipy's to the last bit: each is the least, over the paths from
any source, of the costs added along the path in order, which any exact
Dijkstra finds (float addition is monotonic). Where two sources reach a node
at exactly the same cost, the one named may differ from scipy's; it is
deterministic (the first to reach the node in this search's order).
``tests/test_heapsearch.py`` checks both against scipy and networkx.

The kernel is compiled on first use and cached on disk by numba (``cache=True``):
a fresh install compiles it once (~1.5 s).
"""

from __future__ import annotations

import numpy as np

from ..core.compiled import compiled

__all__ = ["multi_source"]

UNREACHED = -1


_ARITY = 4  # children per heap node: a 4-ary heap is ~1.3x as fast as a binary one here (half the levels, its children in one cache line)


@compiled
def _push(keys: np.ndarray, vals: np.ndarray, size: int, key: float, val: int) -> None:  # pragma: no cover - compiled
    """Add ``val`` at ``key`` to a heap of ``size`` items (sift up; :func:`_pop` sifts down, its mirror)."""
    i = size
    while i > 0:
        parent = (i - 1) // _ARITY
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        vals[i] = vals[parent]
        i = parent
    keys[i] = key
    vals[i] = val


@compiled
def _pop(keys: np.ndarray, vals: np.ndarray, size: int) -> None:  # pragma: no cover - compiled
    """Remove the top of a heap of ``size`` items (the caller read it first)."""
    last_key, last_val = keys[size - 1], vals[size - 1]
    size -= 1
    i = 0
    while True:
        first = _ARITY * i + 1
        if first >= size:
            break
        child, least = first, keys[first]  # the least of the children (the first of equal ones)
        for c in range(first + 1, min(first + _ARITY, size)):
            if keys[c] < least:
                child, least = c, keys[c]
        if least >= last_key:
            break
        keys[i] = least
        vals[i] = vals[child]
        i = child
    keys[i] = last_key
    vals[i] = last_val


@compiled
def _search(indptr, indices, data, rows, limit):  # pragma: no cover - compiled; see multi_source
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    source = np.full(n, UNREACHED, np.int64)
    # an entry per source and per arc at most (stale ones stay until popped); pages never touched take no memory
    cap = len(rows) + len(indices) + 1
    keys = np.empty(cap, np.float64)
    vals = np.empty(cap, np.int64)
    size = 0
    for k in range(len(rows)):
        r = rows[k]
        if dist[r] > 0.0:
            dist[r] = 0.0
            source[r] = k
            _push(keys, vals, size, 0.0, r)
            size += 1
    while size > 0:
        d, u = keys[0], vals[0]
        _pop(keys, vals, size)
        size -= 1
        if d > dist[u]:  # a stale entry: the node was reached cheaper since it was pushed
            continue
        s = source[u]
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            nd = d + data[j]
            if nd < dist[v] and nd <= limit:
                dist[v] = nd
                source[v] = s
                _push(keys, vals, size, nd, v)
                size += 1
    return dist, source


def multi_source(matrix, rows: np.ndarray, *, limit: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Least cost from any of ``rows`` to every node of ``matrix`` (directed, CSR), and which row reached it.

    Parameters
    ----------
    matrix
        A ``scipy.sparse.csr_matrix`` (arcs row -> column, non-negative costs); explicit zeros are arcs.
    rows
        The sources (node indices).
    limit
        Nodes farther than this are left unreached.

    Returns
    -------
    cost, source
        Per node: the cost (``inf`` when unreached) and the position in ``rows`` of the
        source that reached it (``-1`` when unreached).
    """
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    if len(rows) and (rows.min() < 0 or rows.max() >= matrix.shape[0]):
        raise ValueError("a source is not a node of the matrix")
    return _search(matrix.indptr, matrix.indices, np.asarray(matrix.data, np.float64), rows, float(limit))

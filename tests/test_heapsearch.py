"""The compiled multi-source search (accessibility.network.heapsearch) against scipy's and networkx's Dijkstra."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.sparse import csgraph

from accessibility.core import compiled
from accessibility.network import heapsearch


@st.composite
def graphs(draw):
    """A random directed graph as CSR (costs with exact zeros and ties), and distinct sources."""
    n = draw(st.integers(1, 40))
    m = draw(st.integers(0, 4 * n))
    tail = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    head = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    # a few distinct costs, so that equal sums (ties between sources) are common
    cost = np.array(draw(st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.3, 1.0, 2.5, 7.0]), min_size=m, max_size=m)), dtype=np.float64)
    keep = np.unique(tail * n + head, return_index=True)[1]  # one arc per pair (csr_matrix would sum repeats)
    matrix = sp.csr_matrix((cost[keep], (tail[keep], head[keep])), shape=(n, n))
    sources = np.array(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)), dtype=np.int64)
    return matrix, sources


@settings(max_examples=300, deadline=None)
@given(graphs(), st.sampled_from([np.inf, 0.0, 0.25, 1.0, 3.0]))
def test_costs_are_scipys_and_the_named_source_reaches_at_that_cost(drawn, limit):
    matrix, sources = drawn
    cost, source = heapsearch.multi_source(matrix, sources, limit=limit)
    expected = csgraph.dijkstra(matrix, directed=True, indices=sources, min_only=True, limit=limit)
    np.testing.assert_array_equal(cost, expected)  # to the last bit
    reached = np.isfinite(cost)
    assert ((source >= 0) == reached).all()
    assert (source[sources] == np.arange(len(sources))).all()  # a source is reached by itself, at no cost
    # the named source reaches the node at exactly that cost by a search of its own
    own = csgraph.dijkstra(matrix, directed=True, indices=sources[source[reached]], limit=limit)
    np.testing.assert_array_equal(own[np.arange(int(reached.sum())), np.flatnonzero(reached)], cost[reached])


def test_a_hand_computed_graph_and_networkx():
    # 0 -> 1 (2), 0 -> 2 (5), 1 -> 2 (1), 2 -> 3 (1), 4 -> 3 (0.5); sources 0 and 4
    arcs = [(0, 1, 2.0), (0, 2, 5.0), (1, 2, 1.0), (2, 3, 1.0), (4, 3, 0.5)]
    t, h, w = (np.array(c) for c in zip(*arcs, strict=True))
    matrix = sp.csr_matrix((w.astype(float), (t.astype(int), h.astype(int))), shape=(6, 6))
    cost, source = heapsearch.multi_source(matrix, np.array([0, 4]))
    np.testing.assert_array_equal(cost, [0.0, 2.0, 3.0, 0.5, 0.0, np.inf])
    np.testing.assert_array_equal(source, [0, 0, 0, 1, 1, -1])
    g = nx.DiGraph()
    g.add_weighted_edges_from(arcs)
    oracle = nx.multi_source_dijkstra_path_length(g, {0, 4})
    assert {k: cost[k] for k in oracle} == oracle


def test_limit_leaves_farther_nodes_unreached():
    matrix = sp.csr_matrix((np.array([1.0, 1.0]), (np.array([0, 1]), np.array([1, 2]))), shape=(3, 3))
    cost, source = heapsearch.multi_source(matrix, np.array([0]), limit=1.0)
    np.testing.assert_array_equal(cost, [0.0, 1.0, np.inf])
    np.testing.assert_array_equal(source, [0, 0, -1])


def test_no_source_and_a_source_outside_the_graph():
    matrix = sp.csr_matrix((2, 2))
    cost, source = heapsearch.multi_source(matrix, np.array([], dtype=np.int64))
    assert np.isinf(cost).all() and (source == -1).all()
    with pytest.raises(ValueError, match="not a node"):
        heapsearch.multi_source(matrix, np.array([2]))


def test_compiled_without_a_cache_where_numba_has_no_place_to_write_one(monkeypatch):
    """A read-only install without a home: numba cannot cache (a RuntimeError at decoration); the kernel is compiled in each process instead."""
    import numba

    real = numba.njit

    def njit(**options):
        if options.get("cache"):
            raise RuntimeError("cannot cache function 'f': no locator available for file 'heapsearch.py'")
        return real(**options)

    monkeypatch.setattr(numba, "njit", njit)

    def twice(x):
        return 2 * x

    assert compiled.compiled(twice)(21) == 42


@settings(max_examples=200, deadline=None)
@given(ops=st.lists(st.one_of(st.integers(0, 20).map(float), st.none()), max_size=120))
@example(ops=[0.0, 5.0, 1.0, 5.0, 5.0, 3.0])  # a sift-up to a node that is not the new entry's parent breaks the order here
def test_heap_pops_in_order(ops):
    """The search's heap gives back what was pushed, least first (pushes and pops interleaved, ties included): a broken heap would still find every cost, only slower, so it is checked on its own."""
    keys, vals = np.empty(len(ops) + 1), np.empty(len(ops) + 1, np.int64)
    size, held, popped = 0, [], []
    for step, key in enumerate(ops):
        if key is None:  # a pop, when there is something to pop
            if size:
                popped.append(keys[0])
                assert keys[0] == min(held)
                held.remove(keys[0])
                heapsearch._pop(keys, vals, size)
                size -= 1
        else:
            heapsearch._push(keys, vals, size, key, step)
            held.append(key)
            size += 1
        parents = (np.arange(1, size) - 1) // heapsearch._ARITY
        assert (keys[parents] <= keys[1:size]).all()  # each entry after its parent
    while size:
        assert keys[0] == min(held)
        held.remove(keys[0])
        heapsearch._pop(keys, vals, size)
        size -= 1
    assert not held

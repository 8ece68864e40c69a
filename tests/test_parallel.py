"""The chunked helpers of :mod:`accessibility.core.parallel` give numpy's own results, and consecutive haversine steps equal the pairwise function to the bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility.coords.geodesy import haversine_m, path_steps_m
from accessibility.core import parallel

sizes = st.integers(min_value=0, max_value=400)


@settings(max_examples=60, deadline=None)
@given(n=sizes, seed=st.integers(0, 2**32 - 1), min_chunk=st.integers(1, 50))
def test_take_rows_equals_numpy(n, seed, min_chunk):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 2))
    mask = rng.random(n) < 0.4
    rows = rng.integers(0, max(n, 1), size=rng.integers(0, 300)) if n else np.zeros(0, np.int64)
    np.testing.assert_array_equal(parallel.take_rows(a, mask, min_chunk=min_chunk), a[mask])
    np.testing.assert_array_equal(parallel.take_rows(a, rows, min_chunk=min_chunk), a[rows])


@settings(max_examples=60, deadline=None)
@given(n=sizes, seed=st.integers(0, 2**32 - 1), min_chunk=st.integers(1, 50))
def test_put_rows_equals_numpy(n, seed, min_chunk):
    rng = np.random.default_rng(seed)
    rows = rng.permutation(n)[: rng.integers(0, n + 1)]
    values = rng.integers(-1000, 1000, size=len(rows))
    expected, got = np.full(n, -7), np.full(n, -7)
    expected[rows] = values
    parallel.put_rows(got, rows, values, min_chunk=min_chunk)
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1))
def test_path_steps_equal_pairwise_haversine(n, seed):
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-180, 180, n), rng.uniform(-90, 90, n)
    lon[rng.random(n) < 0.2] = 120.1  # repeated points: zero-length steps
    steps = path_steps_m(lon, lat)
    assert steps.shape == (n - 1,)
    np.testing.assert_array_equal(steps, haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]))
    picked = rng.integers(0, max(n - 1, 1), size=min(n - 1, 20)) if n > 1 else np.zeros(0, np.int64)
    np.testing.assert_array_equal(steps[picked], haversine_m(lon[picked], lat[picked], lon[picked + 1], lat[picked + 1]))

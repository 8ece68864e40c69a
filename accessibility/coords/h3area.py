"""H3 cells' areas on compiled arrays: H3's own measure, off the GIL.

h3ronpy measures cells holding the GIL, ~2.4 µs each on one core: 0.9 s for the
360k hexagons of the 1M-node benchmark, which stalled the run's other thread for
as long. This is the same measure (h3o's ``CellIndex::area_rads2``: the cell as a
fan of spherical triangles from its centre, each triangle's area from its sides
by l'Huilier's theorem, each side a haversine distance with a fused multiply-add),
on the cells' boundary and centre coordinates, on all cores. It equals h3ronpy's to
the last bit on the Hangzhou cells tested and within ~1e-11 (relative) elsewhere:
h3o's coordinates may round otherwise than those it writes out
(``tests/test_hexes.py`` compares them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ..core import parallel
from ..core.compiled import compiled

__all__ = ["EARTH_RADIUS_KM", "fan_areas_km2"]

#: the sphere H3 measures on (h3o's ``EARTH_RADIUS_KM``, the authalic radius of WGS-84)
EARTH_RADIUS_KM = 6371.007180918475


def _fma_typing(typingctx, a, b, c):  # noqa: ARG001 - numba's intrinsic signature
    def codegen(context, builder, signature, args):  # noqa: ARG001 - numba's codegen signature
        double = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [double], ir.FunctionType(double, [double, double, double]))
        return builder.call(fn, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


#: ``a * b + c`` rounded once (Rust's ``f64::mul_add``, which h3o's distance uses), in compiled code
_fma = cast("Callable[[float, float, float], float]", intrinsic(_fma_typing))


@compiled(ieee=True)
def _distance_rads(lat1: float, lng1: float, lat2: float, lng2: float) -> float:  # pragma: no cover - compiled
    sin_lat = math.sin((lat2 - lat1) * 0.5)
    sin_lng = math.sin((lng2 - lng1) * 0.5)
    a = _fma(sin_lat, sin_lat, math.cos(lat1) * math.cos(lat2) * sin_lng * sin_lng)
    return 2.0 * math.atan2(math.sqrt(a), math.sqrt(1.0 - a))


@compiled(ieee=True)
def _triangle_rads2(a: float, b: float, c: float) -> float:  # pragma: no cover - compiled
    s = (a + b + c) * 0.5
    a = (s - a) * 0.5
    b = (s - b) * 0.5
    c = (s - c) * 0.5
    s *= 0.5
    return 4.0 * math.atan(math.sqrt(math.tan(s) * math.tan(a) * math.tan(b) * math.tan(c)))


@compiled(ieee=True)
def _fan_areas(lat: np.ndarray, lng: np.ndarray, start: np.ndarray, count: np.ndarray, clat: np.ndarray, clng: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    for k in range(len(start)):
        n = count[k]
        total = -0.0  # Rust's sum of floats starts at -0.0
        for i in range(n):
            p, q = start[k] + i, start[k] + (i + 1) % n
            total += _triangle_rads2(
                _distance_rads(lat[p], lng[p], lat[q], lng[q]), _distance_rads(lat[q], lng[q], clat[k], clng[k]), _distance_rads(clat[k], clng[k], lat[p], lng[p])
            )
        out[k] = total * EARTH_RADIUS_KM * EARTH_RADIUS_KM


def fan_areas_km2(boundary_lon: np.ndarray, boundary_lat: np.ndarray, offsets: np.ndarray, centre_lon: np.ndarray, centre_lat: np.ndarray) -> np.ndarray:
    """Areas (km²) of cells from their boundaries and centres (degrees), H3's measure.

    Parameters
    ----------
    boundary_lon, boundary_lat
        Every cell's boundary vertices in order, cell after cell, without the ring's closing vertex.
    offsets
        Cell ``i`` owns vertices ``offsets[i]:offsets[i + 1]``.
    centre_lon, centre_lat
        The cells' centres (H3's).
    """
    offsets = np.asarray(offsets, np.int64)
    out = np.empty(len(offsets) - 1)
    lat, lng, clat, clng = np.radians(boundary_lat), np.radians(boundary_lon), np.radians(centre_lat), np.radians(centre_lon)
    start, count = offsets[:-1], np.diff(offsets)
    # ~1.5 us a cell (27 trigonometric calls): chunks of cells on all cores
    parallel.over_chunks(lambda lo, hi: _fan_areas(lat, lng, start[lo:hi], count[lo:hi], clat[lo:hi], clng[lo:hi], out[lo:hi]), len(out), min_chunk=50_000)
    return out

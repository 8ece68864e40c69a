"""The map's data block: hexagons and values as compact base64 varint streams, and JSON safe inside a page.

Hexagon geometry and values travel as LEB128 varints of zigzag-coded deltas
(vertices at 1e-5° ≈ 1 m), decoded by ``assets/briefing_map.js``; a city of
100,000 hexagons stays a few MB. Written by hand because the format is the
contract with that script (no library encodes this shape), and vectorised.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import shapely

from ..coords import chinacoords
from . import mapthemes

__all__ = ["HEX_SCALE", "b64", "encode_hexagons", "field", "leb128", "script_json", "to_crs", "zigzag"]

HEX_SCALE = 100_000  # hexagon vertices: 1e-5 degree (~1 m)


def leb128(values: np.ndarray) -> bytes:
    """Unsigned LEB128 varints of non-negative integers (vectorised)."""
    u = np.asarray(values, dtype=np.uint64)
    if len(u) == 0:
        return b""
    nbytes = np.ones(len(u), np.int64)
    for shift in range(7, 64, 7):
        nbytes += u >= np.uint64(1 << shift)
    ends = np.cumsum(nbytes)
    starts = ends - nbytes
    out = np.zeros(int(ends[-1]), np.uint8)
    for j in range(int(nbytes.max())):
        sel = nbytes > j
        byte = ((u[sel] >> np.uint64(7 * j)) & np.uint64(127)).astype(np.uint8)
        byte[nbytes[sel] > j + 1] |= 128
        out[starts[sel] + j] = byte
    return out.tobytes()

def zigzag(values: np.ndarray) -> np.ndarray:
    """Signed integers to unsigned (0, -1, 1, -2 ... -> 0, 1, 2, 3 ...)."""
    v = np.asarray(values, dtype=np.int64)
    return np.where(v >= 0, 2 * v, -2 * v - 1).astype(np.uint64)

def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")

def to_crs(xy: np.ndarray, crs: str) -> np.ndarray:
    if crs == "wgs84" or len(xy) == 0:
        return xy
    lon, lat = chinacoords.wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])

def encode_hexagons(geoms: np.ndarray, crs: str = "wgs84", scale: int = HEX_SCALE) -> dict[str, Any]:
    """Hexagon outlines as one varint stream (decoded by ``briefing_map.js``).

    Per hexagon: vertex count ``k``; the first vertex as a delta from the
    previous hexagon's first vertex; the other ``k - 1`` vertices as offsets
    from the first, themselves delta-coded against the previous hexagon's
    offsets when it has as many vertices (neighbouring H3 cells have nearly
    the same shape, so these are mostly 0). All zigzag-coded.
    """
    rings = mapthemes.hexagon_rings(geoms)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(ring_of, minlength=len(rings)) - 1  # drop the closing vertex
    first = np.cumsum(counts + 1) - (counts + 1)
    keep = np.ones(len(coords), bool)
    keep[first + counts] = False
    xy = to_crs(coords[keep], crs)
    q = np.rint(xy * scale).astype(np.int64)
    k = counts.astype(np.int64)
    n = len(k)
    start = np.cumsum(k) - k
    anchors = q[start]
    d_anchor = np.diff(anchors, axis=0, prepend=np.zeros((1, 2), np.int64))
    rep = np.repeat(np.arange(n), k)
    offs = q - anchors[rep]
    same = np.r_[False, k[1:] == k[:-1]] if n else np.zeros(0, bool)
    same_v = same[rep]
    prev_k = np.r_[0, k[:-1]] if n else np.zeros(0, np.int64)
    prev_idx = np.arange(len(q)) - prev_k[rep]
    delta = offs.copy()
    delta[same_v] = offs[same_v] - offs[prev_idx[same_v]]
    local = np.arange(len(q)) - start[rep]
    delta[local == 0] = d_anchor
    ntok = 2 * k + 1
    tstart = np.cumsum(ntok) - ntok
    tokens = np.zeros(int(ntok.sum()), np.uint64)
    tokens[tstart] = k.astype(np.uint64)
    pos = tstart[rep] + 1 + 2 * local
    tokens[pos] = zigzag(delta[:, 0])
    tokens[pos + 1] = zigzag(delta[:, 1])
    return {"n": int(n), "scale": scale, "vertices": len(q), "geomCount": len(tokens), "geom": b64(leb128(tokens))}

def field(values: np.ndarray, *, scale: float = 1.0, missing: bool = False) -> dict[str, Any]:
    v = np.asarray(values, np.int64)
    u = np.where(v < 0, 0, v + 1) if missing else np.maximum(v, 0)
    return {"b64": b64(leb128(u)), "scale": scale, "missing": missing}

def script_json(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element whatever the strings hold."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(a, b)
    return text

"""Noding road lines: vertices on a 1e-7 degree grid, and extra vertices where lines cross.

A road layer's lines meet where they share a vertex, as OSM ways meet at
shared nodes. "Share" means the same WGS-84 coordinates once rounded to
:data:`GRID_DEG` (1e-7 degrees, OSM's own fixed precision: 1.1 cm north-south,
under 1.1 cm east-west), so two layers' vertices that were equal in the file
stay equal after any reprojection (a transform is deterministic) and the
WGS-84 values written to an OSM file are the ones the graph measures.
:func:`cross_nodes` adds the points where lines cross or touch (a line ending
on another's middle) as vertices of both, except for bridges, tunnels and
lines on different ``layer`` values.

Hand-written because no maintained library nodes lines selectively:
``shapely.node``/``unary_union`` split every line at every crossing (bridges
too) and lose which row each piece came from; momepy and osmnx need a graph
to exist already. The work is vectorised (STRtree query, pairwise
``intersection``, ``line_locate_point``, one ``lexsort``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["GRID_DEG", "LineParts", "cross_nodes", "node_ids", "parts_on_grid"]

#: vertices are rounded to this many degrees (OSM's precision, ~1 cm)
GRID_DEG = 1e-7
_SCALE = 1e7  # 1 / GRID_DEG, exact
_LON_SHIFT, _LAT_SHIFT = 1_800_000_000, 900_000_000  # grid values made non-negative for the node key


@dataclass(frozen=True)
class LineParts:
    """Single lines on the grid: part ``i`` owns ``q[offsets[i]:offsets[i + 1]]``.

    Attributes
    ----------
    part_row
        Position (0-based) of the layer row each part comes from.
    offsets
        Start of each part's vertices, plus the end.
    q
        ``(n, 2)`` int64 grid coordinates: longitude and latitude in units of :data:`GRID_DEG`.
    """

    part_row: np.ndarray
    offsets: np.ndarray
    q: np.ndarray

    def __len__(self) -> int:
        return len(self.part_row)

    @property
    def vertex_part(self) -> np.ndarray:
        """The part of every vertex."""
        return np.repeat(np.arange(len(self)), np.diff(self.offsets))

    def lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        """Vertex longitudes and latitudes in degrees (division, so they equal OSM's parsed values)."""
        return self.q[:, 0] / _SCALE, self.q[:, 1] / _SCALE

    def lines(self) -> np.ndarray:
        """The parts as shapely LineStrings in degrees."""
        return shapely.linestrings(np.column_stack(self.lonlat()), indices=self.vertex_part)


def _on_grid(xy: np.ndarray) -> np.ndarray:
    return np.round(xy * _SCALE).astype(np.int64)


def _clean(part_row: np.ndarray, vertex_part: np.ndarray, q: np.ndarray) -> LineParts:
    """Drop repeated consecutive vertices of a part, then parts left with fewer than two (no length)."""
    repeat = np.zeros(len(q), dtype=bool)
    repeat[1:] = (q[1:] == q[:-1]).all(axis=1) & (vertex_part[1:] == vertex_part[:-1])
    q, vertex_part = q[~repeat], vertex_part[~repeat]
    counts = np.bincount(vertex_part, minlength=len(part_row))
    keep = counts >= 2
    return LineParts(part_row[keep], np.r_[0, np.cumsum(counts[keep])].astype(np.int64), q[keep[vertex_part]])


def parts_on_grid(geoms: np.ndarray, rows: np.ndarray) -> LineParts:
    """Split (Multi)LineStrings into single lines with vertices on the grid.

    Parameters
    ----------
    geoms
        Line geometries in WGS-84 degrees (no missing or empty ones).
    rows
        The row position of each geometry.

    Returns
    -------
    LineParts
        Parts with fewer than two distinct grid vertices (no length) are left out;
        the caller counts the rows without any part.
    """
    parts, at = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    xy, vertex_part = shapely.get_coordinates(parts, return_index=True)
    return _clean(np.asarray(rows, np.int64)[at], vertex_part, _on_grid(xy))


def node_ids(q: np.ndarray) -> np.ndarray:
    """One positive id per distinct grid point (1, 2, ... in longitude, then latitude order)."""
    _, inverse = np.unique(_key(q), return_inverse=True)
    return inverse.astype(np.int64).ravel() + 1


def _along(parts: LineParts) -> np.ndarray:
    """Distance of every vertex from its part's start, in degrees (as ``line_locate_point`` measures)."""
    lon, lat = parts.lonlat()
    step = np.hypot(np.diff(lon, prepend=lon[:1]), np.diff(lat, prepend=lat[:1]))
    step[parts.offsets[:-1]] = 0.0
    total = np.cumsum(step)
    return total - np.repeat(total[parts.offsets[:-1]], np.diff(parts.offsets))


def cross_nodes(parts: LineParts, *, level: np.ndarray, separate: np.ndarray) -> tuple[LineParts, int, int]:
    """Add a vertex to both lines wherever two lines cross or touch between their vertices.

    Parameters
    ----------
    parts
        The lines (:func:`parts_on_grid`).
    level
        Per layer row, its ``layer`` value (0 when not given): lines on
        different levels are not noded.
    separate
        Per layer row, True for bridges and tunnels: never noded at crossings
        (their shared vertices still join them, as in OSM).

    Returns
    -------
    parts, noded, apart
        The noded lines; how many new junction points were added; how many
        crossings were left apart (a bridge, tunnel or different level).
    """
    if len(parts) < 2:
        return parts, 0, 0
    lines = parts.lines()
    a, b = shapely.STRtree(lines).query(lines, predicate="intersects")
    a, b = a[a < b], b[a < b]
    ra, rb = parts.part_row[a], parts.part_row[b]
    joinable = ~separate[ra] & ~separate[rb] & (level[ra] == level[rb])
    apart = int(shapely.crosses(lines[a[~joinable]], lines[b[~joinable]]).sum())
    a, b = a[joinable], b[joinable]
    xy, pair = shapely.get_coordinates(shapely.intersection(lines[a], lines[b]), return_index=True)
    if not len(xy):
        return parts, 0, apart
    q_new = _on_grid(xy)
    # every intersection point goes into both lines, at its distance along each
    ins_part = np.concatenate([a[pair], b[pair]])
    ins_q = np.concatenate([q_new, q_new])
    points = shapely.points(ins_q / _SCALE)
    ins_along = shapely.line_locate_point(lines[ins_part], points)
    old_keys = np.unique(_key(parts.q))
    noded = int(np.count_nonzero(~np.isin(np.unique(_key(q_new)), old_keys)))
    vertex_part = np.concatenate([parts.vertex_part, ins_part])
    along = np.concatenate([_along(parts), ins_along])
    q = np.concatenate([parts.q, ins_q])
    inserted = np.r_[np.zeros(len(parts.q), bool), np.ones(len(ins_q), bool)]
    order = np.lexsort((inserted, along, vertex_part))
    # a point on a vertex sorts next to it and is dropped as a repeat by _clean
    return _clean(parts.part_row, vertex_part[order], q[order]), noded, apart


def _key(q: np.ndarray) -> np.ndarray:
    """One int64 per grid point (longitude shifted to 0..3.6e9 times 2**31, plus latitude shifted to 0..1.8e9 < 2**31)."""
    return (q[:, 0] + _LON_SHIFT) * np.int64(2**31) + (q[:, 1] + _LAT_SHIFT)

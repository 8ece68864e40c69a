"""The highway ways of an OSM file as flat arrays (:class:`WayTable`), as the readers build them for the street graphs.

:mod:`accessibility.readers.osm` reads a file's ways (compiled or through
libosmium) as parsed arrays; here they become the table
:func:`~accessibility.network.graph.graph_from_ways` builds graphs from: ways
cut at their nodes without a location (an extract cut at its edge), pieces of
fewer than two nodes left out, as libosmium's loop reader does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import errors
from ..core import parallel
from . import opl

__all__ = ["ParsedWays", "WayTable", "way_table", "ways_subset"]

log = logging.getLogger(__name__)

#: the parsed ways (:func:`accessibility.readers.opl.parse_ways`, or the compiled reader's): ids, tag dicts, node counts, node refs, lon, lat
ParsedWays = tuple[np.ndarray, list[dict[str, str]], np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class WayTable:
    """All ``highway=*`` ways of a file as flat arrays.

    ``refs``, ``lon`` and ``lat`` hold every way's node references in order;
    way ``i`` owns ``refs[offsets[i]:offsets[i+1]]``.
    """

    way_id: np.ndarray
    tags: list[dict[str, str]]
    offsets: np.ndarray
    refs: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    missing_nodes: int
    source: Path
    #: what the reader repaired or left out, for the user (e.g. nodes with impossible coordinates)
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.way_id)


def way_table(path: Path, parsed: ParsedWays, keep: np.ndarray, notes: tuple[str, ...] = ()) -> WayTable:
    """The table of the parsed ways where ``keep``: split at nodes without (valid) location, pieces of < 2 nodes dropped, as the loop reader does.

    When every reference has a location (the usual file), the kept ways of two nodes or
    more are the table: gathered once, without the split's passes over their references
    (5M at 1M nodes).
    """
    whole = keep & (np.asarray(parsed[2], np.int64) >= 2)
    if whole.any() and opl.valid_location(parsed[4], parsed[5]).all():  # NaN (no location) is not valid either
        return _whole_ways(path, *ways_subset(parsed, whole), notes)
    way_ids, tags, counts, refs, lon, lat = ways_subset(parsed, keep)
    return _way_pieces(path, way_ids, tags, np.asarray(counts, np.int64), refs, lon, lat, opl.valid_location(lon, lat), notes)


def _whole_ways(path: Path, way_ids, tags, counts: np.ndarray, refs, lon, lat, notes: tuple[str, ...]) -> WayTable:
    """:func:`_way_pieces` of a file whose nodes all have a location (the usual file): each way is one piece, kept when it has two nodes.

    The same table, without the general case's passes over every reference (5M at 1M nodes); the kept ways' references gathered on all cores.
    """
    way_id, tags, counts, refs, lon, lat = ways_subset((way_ids, tags, counts, refs, lon, lat), counts >= 2)
    return WayTable(
        way_id=np.asarray(way_id, dtype=np.int64), tags=list(tags), offsets=np.r_[0, np.cumsum(counts)].astype(np.int64),
        refs=np.ascontiguousarray(refs, dtype=np.int64), lon=np.ascontiguousarray(lon, dtype=np.float64), lat=np.ascontiguousarray(lat, dtype=np.float64),
        missing_nodes=0, source=path, notes=tuple(notes),
    )


def _way_pieces(path: Path, way_ids, tags, counts: np.ndarray, refs, lon, lat, valid: np.ndarray, notes: tuple[str, ...]) -> WayTable:
    """:func:`way_table` in general: the ways cut at their nodes without a location."""
    missing = int((~valid).sum())
    way_of = np.repeat(np.arange(len(way_ids)), counts)
    first = np.ones(len(refs), dtype=bool)
    first[1:] = way_of[1:] != way_of[:-1]
    prev_invalid = np.zeros(len(refs), dtype=bool)
    prev_invalid[1:] = ~valid[:-1]
    starts = (first | prev_invalid)[valid]
    piece = np.cumsum(starts) - 1
    size = np.bincount(piece, minlength=int(piece[-1]) + 1 if len(piece) else 0)
    keep_piece = size >= 2
    keep = keep_piece[piece]
    pos = np.flatnonzero(valid)[keep]
    piece_way = way_of[np.flatnonzero(valid)[starts]][keep_piece]
    if len(piece_way) == 0:
        if len(way_ids) == 0:
            raise errors.OSMDataError(
                f"{path}: no highway ways (no way tagged highway=*), so no road network "
                f"(check that it is a complete extract, not a points-only export: `osmium fileinfo -e {path}` counts its objects)"
            )
        raise errors.OSMDataError(
            f"{path}: no highway ways with node locations: none of its {len(way_ids)} highway ways (e.g. way {int(way_ids[0])}) has two nodes with a location; "
            f"{missing} of their {len(refs)} node references have no location (nodes not in the file"
            f"{', or left out for impossible coordinates: see the log' if any('left out' in n for n in notes) else ''}). "
            "Check that it is a complete extract, "
            f"not a points-only export or a clip of the ways only (`osmium fileinfo -e {path}` counts its objects)"
        )
    if missing:
        log.info("%s: %d way node references have no location (extract cut at its edge, or nodes after the ways: `osmium sort`); skipped", path, missing)
    offsets = np.zeros(len(piece_way) + 1, dtype=np.int64)
    np.cumsum(size[keep_piece], out=offsets[1:])
    return WayTable(
        way_id=np.asarray(way_ids, dtype=np.int64)[piece_way],
        tags=[tags[i] for i in piece_way.tolist()],
        offsets=offsets,
        refs=np.ascontiguousarray(refs[pos], dtype=np.int64),
        lon=np.ascontiguousarray(lon[pos], dtype=np.float64),
        lat=np.ascontiguousarray(lat[pos], dtype=np.float64),
        missing_nodes=missing,
        source=path,
        notes=tuple(notes),
    )


def ways_subset(parsed: ParsedWays, keep: np.ndarray) -> ParsedWays:
    """The parsed OPL ways (:func:`accessibility.readers.opl.parse_ways`'s tuple) of the ways where ``keep``."""
    if keep.all():  # every way (the usual file's streets): the arrays as they are
        return parsed
    way_id, tags, counts, refs, lon, lat = parsed
    take = np.repeat(keep, counts)
    refs, lon, lat = (parallel.take_rows(a, take) for a in (refs, lon, lat))  # on all cores
    return way_id[keep], [tags[i] for i in np.flatnonzero(keep).tolist()], counts[keep], refs, lon, lat

"""Cut an OSM file to a lon/lat box (the batch stage's per-area inputs).

Every pass over the file runs in libosmium (:mod:`accessibility.readers.osm` writes
OPL text, pyarrow parses it); the selection of nodes, ways and relations is
vectorised numpy, like ``osmium extract --strategy smart``.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from . import opl, osm

__all__ = ["extract_bbox", "extract_selection", "osm_bounds", "osm_timestamp", "select_boxes"]

log = logging.getLogger(__name__)


def extract_bbox(path: str | Path, bbox: tuple[float, float, float, float], out: str | Path) -> dict:
    """Cut an OSM file to a lon/lat box, keeping whole ways and multipolygons (like ``osmium extract -s smart``).

    Kept: every way with a node inside ``bbox`` (with all its nodes), tagged
    nodes inside, relations with a kept member, and for multipolygon
    relations all their member ways, so parks and campuses stay closed.
    All passes over the file run in libosmium; the selection is vectorised.

    Parameters
    ----------
    path
        The OSM file.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` in WGS-84.
    out
        The ``.osm.pbf`` to write (atomically: a temporary name, then renamed).

    Returns
    -------
    dict
        Counts of kept nodes, ways and relations. The extract declares the
        box (within the source file's own bounds) in its header, so a run on
        it knows where its data stops (:mod:`accessibility.stages.coverage`).
    """
    path = osm.check_osm_path(path)
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="accessibility-extract-") as tmp_name:
        tmp = Path(tmp_name)
        source = path
        try:
            try:
                selected = _select(path, bbox, tmp)
                problem = opl.sorted_copy_reason(selected[3], selected[4])
            except opl.InvalidLocationError as exc:
                problem = str(exc)
            if problem is not None:
                # ways before their nodes, negative ids or impossible coordinates: cut a sorted, repaired copy
                log.info("%s: %s; extracting from a sorted copy of it", path, problem)
                copy = opl.sorted_copy(path, tmp, source=path)
                for note in copy.notes(path):
                    log.warning("%s", note)
                source = copy.path
                selected = _select(source, bbox, tmp)
            _write(source, selected[:3], _declared(path, bbox), out)
        except (RuntimeError, osmium.InvalidLocationError) as exc:  # libosmium's reader: a damaged file
            raise osm.unreadable(path, exc) from exc
    node_set, way_set, rel_set = selected[:3]
    return {"nodes": len(node_set), "ways": len(way_set), "relations": len(rel_set)}


def select_boxes(path: str | Path, bboxes: list[tuple[float, float, float, float]]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
    """What :func:`extract_bbox` keeps for each of many boxes, reading the file once.

    A batch over a province's areas selects every area's nodes, ways and
    relations from one read of the province file (three libosmium passes and
    the parse), instead of one read per area; each area then only writes its
    extract (:func:`extract_selection`), one binary pass.

    Returns
    -------
    list or None
        Per box, the node, way and relation ids to keep; ``None`` when the file
        must first be sorted or repaired (:func:`extract_bbox` then cuts each box
        from its own repaired copy).
    """
    path = osm.check_osm_path(path)
    with tempfile.TemporaryDirectory(prefix="accessibility-extract-") as tmp_name:
        try:
            parsed = _read(path, Path(tmp_name))
        except opl.InvalidLocationError:
            return None
        except (RuntimeError, osmium.InvalidLocationError) as exc:
            raise osm.unreadable(path, exc) from exc
    if opl.sorted_copy_reason(parsed.refs, parsed.lon) is not None:
        return None
    return [_box(parsed, bbox) for bbox in bboxes]


def extract_selection(path: str | Path, ids: tuple[np.ndarray, np.ndarray, np.ndarray], bbox: tuple[float, float, float, float], out: str | Path) -> dict:
    """Write the extract of ``path`` that keeps ``ids`` (node, way and relation ids from :func:`select_boxes` for ``bbox``).

    The same file as :func:`extract_bbox` of ``bbox`` writes, in one binary pass.
    """
    path = osm.check_osm_path(path)
    try:
        _write(path, ids, _declared(path, bbox), Path(out))
    except (RuntimeError, osmium.InvalidLocationError) as exc:
        raise osm.unreadable(path, exc) from exc
    return {"nodes": len(ids[0]), "ways": len(ids[1]), "relations": len(ids[2])}


def _write(source: Path, ids: tuple[np.ndarray, ...], bounds: tuple[float, float, float, float], out: Path) -> None:
    """Copy the objects of ``source`` with the given node, way and relation ids to ``out`` (atomically: a temporary name, then renamed)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f".{out.name}.part.osm.pbf")
    if part.exists():
        part.unlink()
    filters = []
    for kept, kind in zip(ids, (osmium.osm.NODE, osmium.osm.WAY, osmium.osm.RELATION), strict=True):
        f = osmium.filter.IdFilter(kept.tolist())
        f.enable_for(kind)
        filters.append(f)
    opl.write(source, part, osmium.osm.ALL, *filters, format="pbf", bounds=bounds)
    os.replace(part, out)  # noqa: PTH105 - atomic rename: the finished extract appears whole or not at all


def _declared(path: Path, bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The box an extract declares: the cut, within the source file's own bounds (what data it can hold)."""
    own = osm_bounds(path)
    if own is None:
        return bbox
    x0, y0, x1, y1 = own.bounds
    box = (max(bbox[0], x0), max(bbox[1], y0), min(bbox[2], x1), min(bbox[3], y1))
    return box if box[0] < box[2] and box[1] < box[3] else bbox


@dataclass(frozen=True)
class _Parsed:
    """What the selection of any box needs from a file: its ways' nodes and their locations, its tagged nodes and its relations."""

    way_id: np.ndarray
    counts: np.ndarray
    refs: np.ndarray
    lon: np.ndarray  # per way node, NaN: no location
    lat: np.ndarray
    node_id: np.ndarray  # tagged nodes
    node_x: np.ndarray
    node_y: np.ndarray
    rel_id: np.ndarray
    multi: np.ndarray  # per relation: a multipolygon (area) relation
    rel_of: np.ndarray  # per member: its relation's position
    mtype: np.ndarray
    mref: np.ndarray


def _read(path: Path, tmp: Path) -> _Parsed:
    """The three libosmium passes over the file (ways with locations, tagged nodes, relations), parsed."""
    for name in ("ways.opl", "nodes.opl", "rels.opl"):
        (tmp / name).unlink(missing_ok=True)
    opl.write(path, tmp / "ways.opl", osmium.osm.NODE | osmium.osm.WAY, osmium.filter.EntityFilter(osmium.osm.WAY), locations=True)
    opl.write(path, tmp / "nodes.opl", osmium.osm.NODE, osmium.filter.EmptyTagFilter())
    opl.write(path, tmp / "rels.opl", osmium.osm.RELATION)
    way_id, _, counts, refs, lon, lat = opl.parse_ways(tmp / "ways.opl", with_tags=False)
    none_i, none_f = np.zeros(0, np.int64), np.zeros(0)
    node_id, node_x, node_y = none_i, none_f, none_f
    nodes = opl.read_columns(tmp / "nodes.opl", ["n", "t", "x", "y"])
    if nodes is not None:
        node_id = pc.cast(pc.utf8_slice_codeunits(nodes.column("n"), 1), pa.int64()).to_numpy()
        node_x, node_y = opl.coordinate(nodes.column("x")), opl.coordinate(nodes.column("y"))
    rel_id, multi, rel_of, mtype, mref = none_i, np.zeros(0, bool), none_i, np.zeros(0, dtype="<U1"), none_i
    rels = opl.read_columns(tmp / "rels.opl", ["r", "t", "m"])
    if rels is not None:
        rel_id = pc.cast(pc.utf8_slice_codeunits(rels.column("r"), 1), pa.int64()).to_numpy()
        multi = pc.match_substring_regex(rels.column("t"), opl.AREA_RELATION).to_numpy(zero_copy_only=False)
        rel_of, mtype, mref = opl.members(rels.column("m"))
    return _Parsed(way_id, counts, refs, lon, lat, node_id, node_x, node_y, rel_id, multi, rel_of, mtype, mref)


def _box(p: _Parsed, bbox: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The node, way and relation ids :func:`extract_bbox` keeps for ``bbox``."""
    x0, y0, x1, y1 = bbox
    inside = (p.lon >= x0) & (p.lon <= x1) & (p.lat >= y0) & (p.lat <= y1)
    way_of = np.repeat(np.arange(len(p.way_id)), p.counts)
    keep_way = np.zeros(len(p.way_id), dtype=bool)
    keep_way[way_of[inside]] = True
    node_in = (p.node_x >= x0) & (p.node_x <= x1) & (p.node_y >= y0) & (p.node_y <= y1)
    node_set = np.unique(np.concatenate([p.refs[keep_way[way_of]], p.node_id[node_in]]))
    way_set = p.way_id[keep_way]
    rel_set = np.zeros(0, np.int64)
    if len(p.rel_id):
        hit = ((p.mtype == "n") & np.isin(p.mref, node_set)) | ((p.mtype == "w") & np.isin(p.mref, way_set))
        keep_rel = np.zeros(len(p.rel_id), dtype=bool)
        keep_rel[p.rel_of[hit]] = True
        rel_set = p.rel_id[keep_rel]
        node_set = np.union1d(node_set, p.mref[(p.mtype == "n") & keep_rel[p.rel_of]])
        # complete multipolygons: all member ways of a kept multipolygon, with their nodes
        extra = p.mref[(p.mtype == "w") & keep_rel[p.rel_of] & p.multi[p.rel_of]]
        more = np.isin(p.way_id, extra) & ~keep_way
        if more.any():
            keep_way |= more
            way_set = p.way_id[keep_way]
            node_set = np.union1d(node_set, p.refs[more[way_of]])
    return node_set.astype(np.int64), way_set, rel_set


def _select(path: Path, bbox: tuple[float, float, float, float], tmp: Path) -> tuple[np.ndarray, ...]:
    """The node, way and relation ids to keep, and the parsed ways' node refs and longitudes (NaN: no location)."""
    parsed = _read(path, tmp)
    return (*_box(parsed, bbox), parsed.refs, parsed.lon)


def osm_bounds(path: str | Path) -> shapely.Polygon | None:
    """The bounding box an OSM file declares in its header, without reading its data.

    Parameters
    ----------
    path
        ``.osm.pbf`` (header ``bbox``), ``.osm``/``.osm.bz2``/``.osm.gz`` (``<bounds>``).

    Returns
    -------
    shapely.Polygon or None
        The box (WGS-84); ``None`` when the file declares none, declares an
        invalid or empty one, or cannot be opened (its reader reports that).
    """
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            box = reader.header().box()
        finally:
            reader.close()
    except (RuntimeError, OSError, ValueError) as exc:  # pyosmium raises RuntimeError for unreadable or damaged files
        log.debug("no OSM header bounds for %s: %s", path, exc)
        return None
    x0, y0, x1, y1 = (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat) if box.valid() else (0.0, 0.0, 0.0, 0.0)
    ok = x1 > x0 and y1 > y0 and all(map(math.isfinite, (x0, y0, x1, y1)))
    return shapely.box(max(x0, -180.0), max(y0, -90.0), min(x1, 180.0), min(y1, 90.0)) if ok else None


def osm_timestamp(path: str | Path) -> str | None:
    """The time an OSM file's header says its data is from (replication or writing timestamp), without reading its data.

    Parameters
    ----------
    path
        ``.osm.pbf`` / ``.osm`` / ``.osm.bz2`` / ``.osm.gz``.

    Returns
    -------
    str or None
        The header's ``osmosis_replication_timestamp`` else ``timestamp``
        (ISO 8601, e.g. ``2017-03-01T21:42:02Z``); ``None`` when it declares
        neither or cannot be opened.
    """
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            header = reader.header()
            stamp = header.get("osmosis_replication_timestamp") or header.get("timestamp")
        finally:
            reader.close()
    except (RuntimeError, OSError, ValueError) as exc:
        log.debug("no OSM header timestamp for %s: %s", path, exc)
        return None
    return str(stamp) if stamp else None

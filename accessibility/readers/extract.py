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
from pathlib import Path

import numpy as np
import osmium
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from . import opl, osm

__all__ = ["extract_bbox", "osm_bounds", "osm_timestamp"]

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
            node_set, way_set, rel_set = selected[:3]
            out.parent.mkdir(parents=True, exist_ok=True)
            part = out.with_name(f".{out.name}.part.osm.pbf")
            if part.exists():
                part.unlink()
            filters = []
            for ids, kind in ((node_set, osmium.osm.NODE), (way_set, osmium.osm.WAY), (rel_set, osmium.osm.RELATION)):
                f = osmium.filter.IdFilter(ids.tolist())
                f.enable_for(kind)
                filters.append(f)
            opl.write(source, part, osmium.osm.ALL, *filters, format="pbf", bounds=_declared(path, bbox))
        except (RuntimeError, osmium.InvalidLocationError) as exc:  # libosmium's reader: a damaged file
            raise osm.unreadable(path, exc) from exc
        os.replace(part, out)  # noqa: PTH105 - atomic rename: the finished extract appears whole or not at all
    return {"nodes": len(node_set), "ways": len(way_set), "relations": len(rel_set)}


def _declared(path: Path, bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The box an extract declares: the cut, within the source file's own bounds (what data it can hold)."""
    own = osm_bounds(path)
    if own is None:
        return bbox
    x0, y0, x1, y1 = own.bounds
    box = (max(bbox[0], x0), max(bbox[1], y0), min(bbox[2], x1), min(bbox[3], y1))
    return box if box[0] < box[2] and box[1] < box[3] else bbox


def _select(path: Path, bbox: tuple[float, float, float, float], tmp: Path) -> tuple[np.ndarray, ...]:
    """The node, way and relation ids to keep, and the parsed ways' node refs and longitudes (NaN: no location)."""
    x0, y0, x1, y1 = bbox
    for name in ("ways.opl", "nodes.opl", "rels.opl"):
        (tmp / name).unlink(missing_ok=True)
    opl.write(path, tmp / "ways.opl", osmium.osm.NODE | osmium.osm.WAY, osmium.filter.EntityFilter(osmium.osm.WAY), locations=True)
    opl.write(path, tmp / "nodes.opl", osmium.osm.NODE, osmium.filter.EmptyTagFilter())
    opl.write(path, tmp / "rels.opl", osmium.osm.RELATION)
    way_id, _, counts, refs, lon, lat = opl.parse_ways(tmp / "ways.opl", with_tags=False)
    inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    way_of = np.repeat(np.arange(len(way_id)), counts)
    keep_way = np.zeros(len(way_id), dtype=bool)
    keep_way[way_of[inside]] = True
    node_ids = [refs[keep_way[way_of]]]
    nodes = opl.read_columns(tmp / "nodes.opl", ["n", "t", "x", "y"])
    if nodes is not None:
        nid = pc.cast(pc.utf8_slice_codeunits(nodes.column("n"), 1), pa.int64()).to_numpy()
        nx, ny = opl.coordinate(nodes.column("x")), opl.coordinate(nodes.column("y"))
        node_ids.append(nid[(nx >= x0) & (nx <= x1) & (ny >= y0) & (ny <= y1)])
    node_set = np.unique(np.concatenate(node_ids))
    way_set = way_id[keep_way]
    rel_set = np.zeros(0, np.int64)
    rels = opl.read_columns(tmp / "rels.opl", ["r", "t", "m"])
    if rels is not None:
        rid = pc.cast(pc.utf8_slice_codeunits(rels.column("r"), 1), pa.int64()).to_numpy()
        multi = pc.match_substring_regex(rels.column("t"), opl.AREA_RELATION).to_numpy(zero_copy_only=False)
        rel_of, mtype, mref = opl.members(rels.column("m"))
        hit = ((mtype == "n") & np.isin(mref, node_set)) | ((mtype == "w") & np.isin(mref, way_set))
        keep_rel = np.zeros(len(rid), dtype=bool)
        keep_rel[rel_of[hit]] = True
        rel_set = rid[keep_rel]
        node_set = np.union1d(node_set, mref[(mtype == "n") & keep_rel[rel_of]])
        # complete multipolygons: all member ways of a kept multipolygon, with their nodes
        extra = mref[(mtype == "w") & keep_rel[rel_of] & multi[rel_of]]
        more = np.isin(way_id, extra) & ~keep_way
        if more.any():
            keep_way |= more
            way_set = way_id[keep_way]
            node_set = np.union1d(node_set, refs[more[way_of]])
    return node_set.astype(np.int64), way_set, rel_set, refs, lon


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

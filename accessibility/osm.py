"""Read OpenStreetMap files (.osm.pbf, .osm, .osm.bz2, .osm.gz) with pyosmium.

pyosmium (libosmium) reads every OSM file format offline, resolves node
locations and assembles multipolygons in C++; this module only copies what
the later stages need into flat numpy arrays.

Street ways (:func:`read_highways`) never pass through Python one node at a
time: libosmium writes the highway ways, with node locations on their
references, as OPL text into a temporary file, and pyarrow turns that text
into arrays in bulk. The time grows linearly with the file (measured in
README, "Province scale"); :func:`read_highways_loop` is the per-node
reference it is tested against. :func:`extract_bbox` cuts a file to a box the
same way (used by batch runs, one cut-out per area).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

from . import errors

__all__ = ["WayTable", "FeatureTable", "read_highways", "read_highways_loop", "read_features", "extract_bbox", "check_osm_path", "OSM_SUFFIXES"]

log = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".osm.xml", ".xml")


def check_osm_path(path: str | Path) -> Path:
    """Validate an OSM file path; raise an error that says what is wrong."""
    path = Path(path)
    if not path.exists():
        raise errors.InputFileNotFoundError(
            f"OSM file not found: {path}. Pass an existing .osm.pbf/.osm/.osm.bz2 file "
            "(e.g. a Geofabrik extract), or run `accessibility demo` for the embedded example."
        )
    if not path.is_file():
        raise errors.OSMDataError(f"{path} is a folder, not an OSM file")
    name = path.name.lower()
    if not name.endswith(OSM_SUFFIXES):
        raise errors.OSMDataError(
            f"{path}: unrecognised OSM file type; rename it to end in one of {', '.join(OSM_SUFFIXES)}"
        )
    if path.stat().st_size == 0:
        raise errors.OSMDataError(f"{path} is empty; download the extract again")
    return path


def _file(path: Path) -> osmium.io.File:
    name = path.name.lower()
    # libosmium guesses the format from the suffix; ".xml" needs to be spelt out.
    if name.endswith(".xml"):
        return osmium.io.File(str(path), "osm")
    return osmium.io.File(str(path))


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

    def __len__(self) -> int:
        return len(self.way_id)


def read_highways(path: str | Path) -> WayTable:
    """Read every way tagged ``highway`` with its node locations.

    libosmium does all the per-node work in C++: it caches node locations,
    keeps the highway ways and writes them, with the locations on their node
    references, as OPL text (one line per way) into a temporary file. That
    text is then parsed in bulk (``numpy.fromstring`` over all node fields),
    so the only Python loop left is one cheap string split per way and the
    time grows linearly with the file (see README, "Province scale").

    The result equals :func:`read_highways_loop` (the per-node pyosmium
    reference reader), including ways split where a node has no location.

    Parameters
    ----------
    path
        An OSM file in any format libosmium reads.

    Raises
    ------
    OSMDataError
        If the file cannot be parsed or holds no highway.
    """
    path = check_osm_path(path)
    with tempfile.TemporaryDirectory(prefix="accessibility-osm-") as tmp:
        opl = Path(tmp) / "highways.opl"
        try:
            _write_highways_opl(path, opl)
        except RuntimeError as exc:
            raise errors.OSMDataError(f"{path}: cannot read the OSM file ({exc}); is it truncated or not OSM data?") from exc
        way_ids, tags, counts, refs, lon, lat = _parse_highways_opl(opl)
    return _way_table(path, way_ids, tags, counts, refs, lon, lat)


def _write_highways_opl(path: Path, opl: Path) -> None:
    """libosmium only: node locations -> highway ways with locations -> OPL file."""
    locations = osmium.NodeLocationsForWays(osmium.index.create_map("flex_mem"))
    locations.ignore_errors()  # a node cut off at the extract's edge stays without location
    writer = osmium.SimpleWriter(osmium.io.File(str(opl), "opl,add_metadata=false,locations_on_ways=true"))
    try:
        osmium.apply(
            osmium.io.Reader(_file(path), osmium.osm.NODE | osmium.osm.WAY),
            locations,
            osmium.filter.EntityFilter(osmium.osm.WAY),
            osmium.filter.KeyFilter("highway"),
            writer,
        )
    finally:
        writer.close()


_OPL_ESCAPE = re.compile(r"%([0-9a-fA-F]+)%")
_BLOCK_BYTES = 16 << 20
_NO_QUOTES = dict(quote_char=False, escape_char=False, double_quote=False, newlines_in_values=False)


def _opl_unescape(text: str) -> str:
    return _OPL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "%" in text else text


def _opl_tags(field: str) -> dict[str, str]:
    """``k=v,k=v`` (OPL-escaped: ``%<hex code point>%``) -> dict."""
    out: dict[str, str] = {}
    if not field:
        return out
    for kv in field.split(","):
        k, _, v = kv.partition("=")
        out[_opl_unescape(k)] = _opl_unescape(v)
    return out


def _string_buffer(arr: pa.Array) -> pa.Buffer:
    """The concatenated bytes of a (non-null) string array, without copying."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    return arr.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


def _parse_highways_opl(opl: Path, *, with_tags: bool = True):
    """Parse the OPL lines ``w<id> T<tags> N<node>,<node>,...`` block by block with pyarrow.

    A node is ``n<ref>x<lon>y<lat>`` (``n<ref>xy`` without location). The node
    fields of a block are rewritten in C++ (pyarrow.compute) into CSV rows
    ``ref,lon,lat`` and read by pyarrow's CSV parser, whose float parsing is
    exact (lon/lat equal osmium's ``Location.lon``/``lat``). Only the tags
    become Python objects, one dict per way (memoised per distinct tag set).
    """
    way_ids: list[np.ndarray] = []
    tags: list[dict[str, str]] = []
    counts: list[np.ndarray] = []
    refs: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    tag_cache: dict[str, dict[str, str]] = {}
    node_types = {"r": pa.int64(), "x": pa.float64(), "y": pa.float64()}
    if opl.stat().st_size == 0:  # no highway at all
        z = np.zeros(0, np.int64)
        return z, tags, z, z, np.zeros(0), np.zeros(0)
    reader = pacsv.open_csv(
        opl,
        read_options=pacsv.ReadOptions(column_names=["w", "t", "n"], block_size=_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(delimiter=" ", **_NO_QUOTES),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in "wtn"}, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    for batch in reader:
        if batch.num_rows == 0:
            continue
        way_ids.append(pc.cast(pc.utf8_slice_codeunits(batch.column("w"), 1), pa.int64()).to_numpy())
        for tfield in batch.column("t").to_pylist() if with_tags else ():
            t = tag_cache.get(tfield)
            if t is None:
                t = _opl_tags(tfield[1:])
                if len(tag_cache) < 200_000:
                    tag_cache[tfield] = t
            tags.append(dict(t))
        nodes = pc.utf8_slice_codeunits(batch.column("n"), 1)  # drop the "N"
        has = pc.greater(pc.utf8_length(nodes), 0)
        counts.append(pc.if_else(has, pc.add(pc.count_substring(nodes, ","), 1), 0).to_numpy().astype(np.int64))
        rows = pc.utf8_slice_codeunits(pc.filter(nodes, has), 1)  # drop the first "n"
        if len(rows) == 0:
            continue
        for old, new in ((",n", "\n"), ("x", ","), ("y", ",")):
            rows = pc.replace_substring(rows, old, new)
        rows = pc.binary_join_element_wise(rows, pa.scalar("", pa.string()), "\n")
        table = pacsv.read_csv(
            pa.BufferReader(_string_buffer(rows)),
            read_options=pacsv.ReadOptions(column_names=list(node_types), block_size=_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(**_NO_QUOTES),
            convert_options=pacsv.ConvertOptions(column_types=node_types),
        )
        refs.append(table.column("r").to_numpy())
        # an empty coordinate is null -> NaN
        lons.append(table.column("x").to_numpy(zero_copy_only=False))
        lats.append(table.column("y").to_numpy(zero_copy_only=False))

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)

    way_id, count = cat(way_ids, np.int64), cat(counts, np.int64)
    ref, lon, lat = cat(refs, np.int64), cat(lons, np.float64), cat(lats, np.float64)
    if len(ref) != int(count.sum()) or (with_tags and len(way_id) != len(tags)):
        raise errors.OSMDataError(f"{opl}: internal error, {len(ref)} way nodes parsed but {int(count.sum())} listed")
    return way_id, tags, count, ref, lon, lat


def _way_table(path: Path, way_ids, tags, counts, refs, lon, lat) -> WayTable:
    """Split ways at nodes without location (pieces of < 2 nodes dropped), as the loop reader does."""
    valid = ~(np.isnan(lon) | np.isnan(lat))
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
        raise errors.OSMDataError(
            f"{path}: no highway ways with node locations found; the file holds no road network "
            "(check that it is a complete extract, not a points-only export)"
        )
    if missing:
        log.info("%s: %d way node references have no location (extract cut at its edge); skipped", path, missing)
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
    )


def read_highways_loop(path: str | Path) -> WayTable:
    """Reference reader: the same table as :func:`read_highways`, one Python step per way node.

    Kept for tests and benchmarks (it is what :func:`read_highways` must
    equal); about 10x slower on large files.

    Parameters
    ----------
    path
        An OSM file in any format libosmium reads.

    Raises
    ------
    OSMDataError
        If the file cannot be parsed or holds no highway.
    """
    path = check_osm_path(path)
    way_ids: list[int] = []
    tags: list[dict[str, str]] = []
    counts: list[int] = []
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    missing = 0
    try:
        fp = (
            osmium.FileProcessor(_file(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in fp:
            way_tags = None
            n_before = len(refs)
            # A node without a location (cut off at the extract's edge) splits the
            # way into pieces, so no straight line is drawn across the gap.
            for node in [*way.nodes, None]:
                loc = node.location if node is not None else None
                if loc is not None and loc.valid():
                    refs.append(node.ref)
                    lons.append(loc.lon)
                    lats.append(loc.lat)
                    continue
                missing += node is not None
                n = len(refs) - n_before
                if n >= 2:
                    way_tags = way_tags or dict(way.tags)
                    way_ids.append(way.id)
                    tags.append(way_tags)
                    counts.append(n)
                else:
                    del refs[n_before:], lons[n_before:], lats[n_before:]
                n_before = len(refs)
    except RuntimeError as exc:
        raise errors.OSMDataError(f"{path}: cannot read the OSM file ({exc}); is it truncated or not OSM data?") from exc
    if not way_ids:
        raise errors.OSMDataError(
            f"{path}: no highway ways with node locations found; the file holds no road network "
            "(check that it is a complete extract, not a points-only export)"
        )
    if missing:
        log.info("%s: %d way node references have no location (extract cut at its edge); skipped", path, missing)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return WayTable(
        way_id=np.asarray(way_ids, dtype=np.int64),
        tags=tags,
        offsets=offsets,
        refs=np.asarray(refs, dtype=np.int64),
        lon=np.asarray(lons, dtype=np.float64),
        lat=np.asarray(lats, dtype=np.float64),
        missing_nodes=missing,
        source=path,
    )


def _opl_pass(path: Path, opl: Path, entities, *handlers, locations: bool = False) -> None:
    """One libosmium pass writing the objects that pass ``handlers`` as OPL (no Python per object)."""
    writer = osmium.SimpleWriter(osmium.io.File(str(opl), "opl,add_metadata=false" + (",locations_on_ways=true" if locations else "")))
    chain = list(handlers)
    if locations:
        loc = osmium.NodeLocationsForWays(osmium.index.create_map("flex_mem"))
        loc.ignore_errors()
        chain.insert(0, loc)
    try:
        osmium.apply(osmium.io.Reader(_file(path), entities), *chain, writer)
    finally:
        writer.close()


def _read_opl_columns(opl: Path, names: list[str]) -> pa.Table | None:
    if opl.stat().st_size == 0:
        return None
    return pacsv.read_csv(
        opl,
        read_options=pacsv.ReadOptions(column_names=names, block_size=_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(delimiter=" ", **_NO_QUOTES),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names}, strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def _coordinate(col) -> np.ndarray:
    text = pc.utf8_slice_codeunits(col, 1)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)


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
        Counts of kept nodes, ways and relations.
    """
    path = check_osm_path(path)
    out = Path(out)
    x0, y0, x1, y1 = bbox
    with tempfile.TemporaryDirectory(prefix="accessibility-extract-") as tmp:
        tmp = Path(tmp)
        try:
            _opl_pass(path, tmp / "ways.opl", osmium.osm.NODE | osmium.osm.WAY, osmium.filter.EntityFilter(osmium.osm.WAY), locations=True)
            _opl_pass(path, tmp / "nodes.opl", osmium.osm.NODE, osmium.filter.EmptyTagFilter())
            _opl_pass(path, tmp / "rels.opl", osmium.osm.RELATION)
        except RuntimeError as exc:
            raise errors.OSMDataError(f"{path}: cannot read the OSM file ({exc}); is it truncated or not OSM data?") from exc
        way_id, _, counts, refs, lon, lat = _parse_highways_opl(tmp / "ways.opl", with_tags=False)
        inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
        way_of = np.repeat(np.arange(len(way_id)), counts)
        keep_way = np.zeros(len(way_id), dtype=bool)
        keep_way[way_of[inside]] = True
        node_ids = [refs[keep_way[way_of]]]
        nodes = _read_opl_columns(tmp / "nodes.opl", ["n", "t", "x", "y"])
        if nodes is not None:
            nid = pc.cast(pc.utf8_slice_codeunits(nodes.column("n"), 1), pa.int64()).to_numpy()
            nx, ny = _coordinate(nodes.column("x")), _coordinate(nodes.column("y"))
            node_ids.append(nid[(nx >= x0) & (nx <= x1) & (ny >= y0) & (ny <= y1)])
        node_set = np.unique(np.concatenate(node_ids))
        way_set = way_id[keep_way]
        rel_set = np.zeros(0, np.int64)
        rels = _read_opl_columns(tmp / "rels.opl", ["r", "t", "m"])
        if rels is not None:
            rid = pc.cast(pc.utf8_slice_codeunits(rels.column("r"), 1), pa.int64()).to_numpy()
            multi = pc.match_substring_regex(rels.column("t"), r"(^T|,)type=(multipolygon|boundary)(,|$)").to_numpy(zero_copy_only=False)
            members = pc.split_pattern(pc.utf8_slice_codeunits(rels.column("m"), 1), ",")
            n_mem = pc.list_value_length(members).to_numpy(zero_copy_only=False)
            flat = pc.list_flatten(members)
            mtype = pc.utf8_slice_codeunits(flat, 0, 1).to_numpy(zero_copy_only=False)
            mref_text = pc.utf8_slice_codeunits(pc.list_element(pc.split_pattern(flat, "@", max_splits=1), 0), 1)
            mref = pc.cast(pc.if_else(pc.equal(mref_text, ""), pa.scalar(None, pa.string()), mref_text), pa.int64()).to_numpy(zero_copy_only=False)
            rel_of = np.repeat(np.arange(len(rid)), np.nan_to_num(n_mem).astype(np.int64))
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
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(f".{out.name}.part.osm.pbf")
        if part.exists():
            part.unlink()
        filters = []
        for ids, kind in ((node_set, osmium.osm.NODE), (way_set, osmium.osm.WAY), (rel_set, osmium.osm.RELATION)):
            f = osmium.filter.IdFilter(ids.tolist())
            f.enable_for(kind)
            filters.append(f)
        writer = osmium.SimpleWriter(str(part))
        try:
            osmium.apply(osmium.io.Reader(_file(path)), *filters, writer)
        finally:
            writer.close()
        os.replace(part, out)
    return {"nodes": int(len(node_set)), "ways": int(len(way_set)), "relations": int(len(rel_set))}


@dataclass(frozen=True)
class FeatureTable:
    """OSM features (nodes, ways, areas) carrying any of the requested keys."""

    frame: pd.DataFrame  # osm_type, osm_id, tags, geometry (shapely, WGS-84)

    def __len__(self) -> int:
        return len(self.frame)


def read_features(path: str | Path, keys: tuple[str, ...] | list[str]) -> FeatureTable:
    """Read points, lines and (multi)polygons having any of ``keys``.

    Closed ways and multipolygon relations are assembled into polygons by
    libosmium's area assembler; open ways become lines; nodes points.
    """
    path = check_osm_path(path)
    keys = tuple(dict.fromkeys(keys))
    wkb = osmium.geom.WKBFactory()
    rows_type: list[str] = []
    rows_id: list[int] = []
    rows_tags: list[dict[str, str]] = []
    rows_wkb: list[bytes] = []
    failed = 0
    try:
        fp = osmium.FileProcessor(_file(path)).with_areas(osmium.filter.KeyFilter(*keys)).with_filter(
            osmium.filter.KeyFilter(*keys)
        )
        for obj in fp:
            try:
                if obj.is_node():
                    geom = wkb.create_point(obj)
                    kind = "node"
                elif obj.is_way():
                    if obj.is_closed() and len(obj.nodes) >= 4 and obj.tags.get("area") != "no":
                        continue  # returned again as an area below
                    geom = wkb.create_linestring(obj)
                    kind = "way"
                elif obj.is_area():
                    geom = wkb.create_multipolygon(obj)
                    kind = "way" if obj.from_way() else "relation"
                else:
                    continue
            except RuntimeError:
                failed += 1
                continue
            rows_type.append(kind)
            rows_id.append(obj.orig_id() if obj.is_area() else obj.id)
            rows_tags.append(dict(obj.tags))
            rows_wkb.append(bytes.fromhex(geom) if isinstance(geom, str) else geom)
    except RuntimeError as exc:
        raise errors.OSMDataError(f"{path}: cannot read the OSM file ({exc})") from exc
    if failed:
        log.info("%s: %d features with broken geometry skipped", path, failed)
    geoms = shapely.from_wkb(np.asarray(rows_wkb, dtype=object)) if rows_wkb else np.array([], dtype=object)
    frame = pd.DataFrame(
        {"osm_type": rows_type, "osm_id": np.asarray(rows_id, dtype=np.int64), "tags": rows_tags, "geometry": geoms}
    )
    return FeatureTable(frame=frame)

"""Read OpenStreetMap files (.osm.pbf, .osm, .osm.bz2, .osm.gz) with pyosmium.

pyosmium (libosmium) reads every OSM file format offline and resolves node
locations in C++; this module only copies what the later stages need into
flat numpy arrays, and never handles one node or one object at a time in
Python: a province has tens of millions of nodes and millions of buildings.

libosmium writes the wanted objects, ways with the locations on their node
references, as OPL text into a temporary file; pyarrow turns that text into
arrays in bulk (on all cores) and shapely builds points, lines and polygons
from coordinate arrays. :func:`read_osm` reads the streets
(:func:`read_highways`) and the tagged features (:func:`read_features`:
facilities, buildings) in one pass over the nodes. Only multipolygon
relations go through libosmium's area assembler, from a small file of their
member ways. The time grows linearly with the file (README, "Province
scale"); :mod:`accessibility.osmref` holds the per-object reference readers
the tests compare these with, and :mod:`accessibility.extract` cuts files
to a box the same way.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

from . import errors, parallel
from . import footprints as footprints_mod

__all__ = ["WayTable", "FeatureTable", "read_highways", "read_features", "read_osm", "read_osm_deferred", "check_osm_path", "OSM_SUFFIXES"]

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


def osm_file(path: Path) -> osmium.io.File:
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

    :func:`read_osm` without features: libosmium does all the per-node work
    in C++ and writes the highway ways, with the locations on their node
    references, as OPL text; pyarrow parses it in bulk (see
    :func:`parse_ways_opl`), so the only Python step left is one tag dict per
    way and the time grows linearly with the file (README, "Province scale").

    The result equals :func:`accessibility.osmref.read_highways_loop` (the per-node pyosmium
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
    table, _ = read_osm(path, (), highways=True)
    return table


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


def _tag_dicts(fields: list[str], cache: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """OPL tag fields (``T`` + ``k=v,...``) -> one fresh dict each, decoding each distinct field once."""
    out = []
    for field in fields:
        t = cache.get(field)
        if t is None:
            t = _opl_tags(field[1:])
            if len(cache) < 200_000:  # most buildings share a handful of tag sets
                cache[field] = t
        out.append(dict(t))
    return out


def _string_buffer(arr: pa.Array) -> pa.Buffer:
    """The concatenated bytes of a (non-null) string array, without copying."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    return arr.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


def parse_ways_opl(opl: Path | pa.NativeFile, *, with_tags: bool = True):
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
    source = pa.OSFile(str(opl)) if isinstance(opl, (str, Path)) else opl  # a stream is read from where it stands
    if source.size() == source.tell():  # no highway at all
        z = np.zeros(0, np.int64)
        return z, tags, z, z, np.zeros(0), np.zeros(0)
    reader = pacsv.open_csv(
        source,
        read_options=pacsv.ReadOptions(column_names=["w", "t", "n"], block_size=_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(delimiter=" ", **_NO_QUOTES),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in "wtn"}, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )

    def node_fields(column: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Counts per way and ref/lon/lat of a block's node fields (pyarrow only: runs off the GIL)."""
        nodes = pc.utf8_slice_codeunits(column, 1)  # drop the "N"
        has = pc.greater(pc.utf8_length(nodes), 0)
        count = pc.if_else(has, pc.add(pc.count_substring(nodes, ","), 1), 0).to_numpy().astype(np.int64)
        rows = pc.utf8_slice_codeunits(pc.filter(nodes, has), 1)  # drop the first "n"
        if len(rows) == 0:
            return count, np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        for old, new in ((",n", "\n"), ("x", ","), ("y", ",")):
            rows = pc.replace_substring(rows, old, new)
        rows = pc.binary_join_element_wise(rows, pa.scalar("", pa.string()), "\n")
        table = pacsv.read_csv(
            pa.BufferReader(_string_buffer(rows)),
            read_options=pacsv.ReadOptions(column_names=list(node_types), block_size=_BLOCK_BYTES, use_threads=False),
            parse_options=pacsv.ParseOptions(**_NO_QUOTES),
            convert_options=pacsv.ConvertOptions(column_types=node_types),
        )
        # an empty coordinate is null -> NaN
        return count, table.column("r").to_numpy(), table.column("x").to_numpy(zero_copy_only=False), table.column("y").to_numpy(zero_copy_only=False)

    # the node fields of the blocks are converted on worker threads while this one decodes the tags
    workers = parallel.thread_count()
    pending: deque = deque()

    def collect() -> None:
        count, ref, lon, lat = pending.popleft().result()
        counts.append(count)
        refs.append(ref)
        lons.append(lon)
        lats.append(lat)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="accessibility-opl") as pool:
        for batch in reader:
            if batch.num_rows == 0:
                continue
            pending.append(pool.submit(node_fields, batch.column("n")))
            way_ids.append(pc.cast(pc.utf8_slice_codeunits(batch.column("w"), 1), pa.int64()).to_numpy())
            if with_tags:
                tags += _tag_dicts(batch.column("t").to_pylist(), tag_cache)
            while len(pending) > 2 * workers:  # a few 16 MB blocks of text in flight, not the whole file
                collect()
        while pending:
            collect()

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


def write_opl(path: Path, opl: Path, entities, *handlers, locations=False) -> None:
    """One libosmium pass writing the objects that pass ``handlers`` as OPL (no Python per object).

    ``locations``: ``True`` (or a location index from
    ``osmium.index.create_map``, kept by the caller for later look-ups) writes
    ways with their nodes' locations.
    """
    writer = osmium.SimpleWriter(osmium.io.File(str(opl), "opl,add_metadata=false" + (",locations_on_ways=true" if locations is not False else "")))
    chain = list(handlers)
    if locations is not False:
        loc = osmium.NodeLocationsForWays(osmium.index.create_map("flex_mem") if locations is True else locations)
        loc.ignore_errors()  # a node cut off at the extract's edge stays without location
        chain.insert(0, loc)
    try:
        osmium.apply(osmium.io.Reader(osm_file(path), entities), *chain, writer)
    finally:
        writer.close()


def read_opl_columns(opl: Path, names: list[str]) -> pa.Table | None:
    if opl.stat().st_size == 0:
        return None
    return pacsv.read_csv(
        opl,
        read_options=pacsv.ReadOptions(column_names=names, block_size=_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(delimiter=" ", **_NO_QUOTES),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names}, strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def opl_members(field) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split relations' OPL member fields (``M<type><ref>@<role>,...``).

    Returns, for every member, its relation's row, its type (``"n"``,
    ``"w"``, ``"r"``) and its ref; an empty field gives one member of type
    ``""`` whose ref is NaN (refs are then floats).
    """
    members = pc.split_pattern(pc.utf8_slice_codeunits(field, 1), ",")
    per_relation = pc.list_value_length(members).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(members)
    member_type = pc.utf8_slice_codeunits(flat, 0, 1).to_numpy(zero_copy_only=False)
    ref_text = pc.utf8_slice_codeunits(pc.list_element(pc.split_pattern(flat, "@", max_splits=1), 0), 1)
    member_ref = pc.cast(pc.if_else(pc.equal(ref_text, ""), pa.scalar(None, pa.string()), ref_text), pa.int64()).to_numpy(zero_copy_only=False)
    owner = np.repeat(np.arange(len(per_relation)), np.nan_to_num(per_relation).astype(np.int64))
    return owner, member_type, member_ref


def opl_coordinate(col) -> np.ndarray:
    text = pc.utf8_slice_codeunits(col, 1)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class FeatureTable:
    """OSM features (nodes, ways, areas) carrying any of the requested keys.

    ``frame`` holds them with shapely geometries; closed ways read only as
    building footprints (see ``footprint_keys`` of :func:`read_osm`) are in
    ``footprints`` instead, as area and centre.
    """

    frame: pd.DataFrame  # osm_type, osm_id, tags, geometry (shapely, WGS-84)
    footprints: footprints_mod.Footprints = field(default_factory=footprints_mod.Footprints)

    def __len__(self) -> int:
        return len(self.frame) + len(self.footprints)


_NO_LOCATION = re.compile(r"xy(?=,|$)")
AREA_RELATION = r"(^T|,)type=(multipolygon|boundary)(,|$)"  # OPL tags of relations libosmium assembles


def read_features(path: str | Path, keys: tuple[str, ...] | list[str], *, footprint_keys: tuple[str, ...] = ()) -> FeatureTable:
    """Read points, lines and (multi)polygons having any of ``keys``.

    Nodes become points, open ways lines, closed ways polygons (the rule of
    libosmium's area assembler: closed, at least 4 nodes, not ``area=no``)
    and ``type=multipolygon``/``boundary`` relations multipolygons.

    A province has millions of buildings, so no pass calls Python per object:
    libosmium writes the tagged nodes and relations, and the tagged ways with
    their node locations, as OPL text; pyarrow parses it and shapely builds
    the points, lines and polygons from coordinate arrays. Only the few
    relations go through libosmium's area assembler (from a small OPL file of
    their member ways). Ring geometry is not judged by libosmium here: an
    invalid ring (self-touching, bow-tie) is repaired with
    ``shapely.make_valid`` and kept, where :func:`accessibility.osmref.read_features_loop` drops it;
    ways with a node missing from the extract are skipped and counted.

    Parameters
    ----------
    path
        An OSM file in any format libosmium reads.
    keys
        Tag keys; a feature is kept when it has any of them.
    footprint_keys
        Keys (e.g. ``("building",)``) whose closed ways are wanted only as
        footprints: a closed way whose keys among ``keys`` are all footprint
        keys goes to ``FeatureTable.footprints`` (area and centre, see
        :mod:`accessibility.footprints`) instead of becoming a polygon.

    Raises
    ------
    OSMDataError
        If the file cannot be parsed.
    """
    _, features = read_osm(path, keys, highways=False, footprint_keys=footprint_keys)
    return features


def read_osm(path: str | Path, keys: tuple[str, ...] | list[str], *, highways: bool = True, footprint_keys: tuple[str, ...] = ()) -> tuple[WayTable | None, FeatureTable]:
    """Read the street ways and the features with any of ``keys`` in one pass over the nodes.

    :func:`read_highways` and :func:`read_features` in one: node locations,
    the file's largest cost, are decoded once, the ways carrying ``highway``
    or a feature key are written as one OPL file and parsed once, then split.

    Parameters
    ----------
    path
        An OSM file in any format libosmium reads.
    keys
        Feature tag keys (see :func:`read_features`); may be empty.
    highways
        Also return the ``highway=*`` ways (see :func:`read_highways`).
    footprint_keys
        See :func:`read_features`.

    Returns
    -------
    ways, features
        ``ways`` is ``None`` when ``highways`` is false.

    Raises
    ------
    OSMDataError
        If the file cannot be parsed, or ``highways`` is asked for and it holds none.
    """
    ways, build_features = read_osm_deferred(path, keys, highways=highways, footprint_keys=footprint_keys)
    return ways, build_features()


def read_osm_deferred(
    path: str | Path, keys: tuple[str, ...] | list[str], *, highways: bool = True, footprint_keys: tuple[str, ...] = ()
) -> tuple[WayTable | None, Callable[[], FeatureTable]]:
    """:func:`read_osm`, with the features assembled only when the returned function is called.

    Until then only their raw coordinate arrays are held, so a caller can
    build the street networks first and keep the peak memory of a cold run
    low (the footprints of a province's buildings take ~1 GB).
    """
    path = check_osm_path(path)
    keys = tuple(dict.fromkeys(keys))
    way_keys = (("highway",) if highways else ()) + tuple(k for k in keys if not (highways and k == "highway"))
    if not way_keys:
        return None, lambda: FeatureTable(frame=_feature_frame([], []))
    tag_cache: dict[str, dict[str, str]] = {}
    nodes = areas = None
    with tempfile.TemporaryDirectory(prefix="accessibility-osm-") as tmp:
        tmp = Path(tmp)
        index = osmium.index.create_map("flex_mem")
        try:
            # one pass over the file: tagged nodes, keyed ways (with their node locations) and
            # tagged relations, written in that order (the file's own) as one OPL file
            if keys:
                tagged = osmium.filter.KeyFilter(*keys)
                tagged.enable_for(osmium.osm.NODE | osmium.osm.RELATION)
                entities, select = osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION, [tagged]
            else:
                entities, select = osmium.osm.NODE | osmium.osm.WAY, [osmium.filter.EntityFilter(osmium.osm.WAY)]
            keyed_way = osmium.filter.KeyFilter(*way_keys)
            keyed_way.enable_for(osmium.osm.WAY)
            write_opl(path, tmp / "tagged.opl", entities, *select, keyed_way, locations=index)
            node_text, way_lines, relation_text = _opl_sections(tmp / "tagged.opl")
            if keys:
                nodes, relations = _tagged_nodes_and_relations(node_text, relation_text, tag_cache)
                areas = _relation_areas(path, relations, index, tmp)
            del index, node_text, relation_text  # every node location of the file: freed before the ways are parsed
            with way_lines:
                parsed = parse_ways_opl(way_lines)
        except RuntimeError as exc:
            raise errors.OSMDataError(f"{path}: cannot read the OSM file ({exc}); is it truncated or not OSM data?") from exc
    street_table = None
    if highways:
        is_street = np.fromiter(("highway" in t for t in parsed[1]), dtype=bool, count=len(parsed[1]))
        street_table = _way_table(path, *(_ways_subset(parsed, is_street) if keys else parsed))
    if not keys:
        return street_table, lambda: FeatureTable(frame=_feature_frame([], []))
    key_set = set(keys)
    has_key = np.fromiter((not key_set.isdisjoint(t) for t in parsed[1]), dtype=bool, count=len(parsed[1]))
    if not has_key.all():
        parsed = _ways_subset(parsed, has_key)
    # ways whose only wanted keys are footprint keys (plain buildings): footprints, not polygons
    other_keys = key_set - set(footprint_keys)
    footprint_only = np.fromiter((other_keys.isdisjoint(t) for t in parsed[1]), dtype=bool, count=len(parsed[1])) if footprint_keys else None
    pending = [(*parsed, footprint_only)]
    del parsed

    def build() -> FeatureTable:
        # the raw way arrays are dropped as soon as the footprints exist
        ways = _way_features(*pending.pop())
        skipped = ways.pop("skipped") + areas.pop("skipped")
        if skipped:
            log.info("%s: %d features with missing nodes or broken geometry skipped", path, skipped)
        if ways["repaired"]:
            log.info("%s: %d polygons with invalid rings repaired (shapely.make_valid)", path, ways["repaired"])
        plain = ways.pop("footprints")
        parts = [nodes, ways, areas]
        return FeatureTable(frame=_feature_frame([p["kind"] for p in parts], parts), footprints=plain)

    return street_table, build


def _ways_subset(parsed: tuple, keep: np.ndarray) -> tuple:
    """The parsed OPL ways (``parse_ways_opl``'s tuple) of the ways where ``keep``."""
    way_id, tags, counts, refs, lon, lat = parsed
    take = np.repeat(keep, counts)
    return way_id[keep], [tags[i] for i in np.flatnonzero(keep).tolist()], counts[keep], refs[take], lon[take], lat[take]


def _feature_frame(kinds: list[str], parts: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "osm_type": np.repeat(np.asarray(kinds, dtype=object), [len(p["id"]) for p in parts]),
            "osm_id": np.concatenate([p["id"] for p in parts]).astype(np.int64) if parts else np.zeros(0, np.int64),
            "tags": [t for p in parts for t in p["tags"]],
            "geometry": np.concatenate([p["geometry"] for p in parts]) if parts else np.array([], dtype=object),
        }
    )


def _opl_sections(opl: Path) -> tuple[bytes, pa.NativeFile, bytes]:
    """Split an OPL file into its node lines, a stream of its way lines, and its relation lines.

    libosmium writes objects in the order it reads them, and OSM files hold
    all nodes, then all ways, then all relations (OPL escapes newlines, so a
    section starts at the first line beginning with its letter). The file is
    read once in large blocks; the node and relation lines (a few percent of
    it) are returned as bytes and the file is cut after its last way, so the
    way lines stream to the parser without a copy of the whole text. A file
    out of that order (some hand-edited .osm exports) is split line by line.
    """
    bounds = _section_starts(opl)
    if bounds is None:
        lines = opl.read_bytes().splitlines(keepends=True)
        node_text, way_text, relation_text = (b"".join(line for line in lines if line[:1] == letter) for letter in (b"n", b"w", b"r"))
        del lines
        opl.write_bytes(way_text)
        ways, relations = 0, len(way_text)
        del way_text
    else:
        ways, relations = bounds
        with open(opl, "rb") as f:
            node_text = f.read(ways)
            f.seek(relations)
            relation_text = f.read()
        os.truncate(opl, relations)
    stream = pa.OSFile(str(opl))
    stream.seek(ways)
    return node_text, stream, relation_text


def _section_starts(opl: Path, block: int = 64 << 20) -> tuple[int, int] | None:
    """Offsets of the first way and the first relation line, or ``None`` if the lines are out of order."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    with open(opl, "rb") as f:
        offset, before = 0, b"\n"
        while chunk := f.read(block):
            text = before + chunk  # text[0] is the byte before the chunk: a hit at i starts a line at offset + i
            for letter in b"nwr":
                hit = text.find(bytes((10, letter)))
                if hit >= 0:
                    first.setdefault(letter, offset + hit)
                    last[letter] = offset + text.rfind(bytes((10, letter)))
            offset += len(chunk)
            before = chunk[-1:]
    n, w, r = b"nwr"
    relations = first.get(r, offset)
    ways = first.get(w, relations)
    if last.get(n, -1) > ways or last.get(w, -1) > relations:
        return None
    return ways, relations


def _tagged_nodes_and_relations(node_text: bytes, relation_text: bytes, tag_cache: dict) -> tuple[dict, pa.Array]:
    """Nodes (``n<id> T<tags> x<lon> y<lat>``) as points; relation lines returned as they are."""
    nodes = {"kind": "node", "id": np.zeros(0, np.int64), "tags": [], "geometry": np.array([], dtype=object)}
    line = _opl_lines(node_text)
    if len(line):
        parts = pc.split_pattern(line, " ")
        node_id = pc.cast(pc.utf8_slice_codeunits(pc.list_element(parts, 0), 1), pa.int64()).to_numpy()
        lon, lat = opl_coordinate(pc.list_element(parts, 2)), opl_coordinate(pc.list_element(parts, 3))
        ok = ~(np.isnan(lon) | np.isnan(lat))
        tags = _tag_dicts(pc.list_element(parts, 1).to_pylist(), tag_cache)
        nodes.update(id=node_id[ok], tags=[t for t, k in zip(tags, ok.tolist()) if k], geometry=shapely.points(lon[ok], lat[ok]))
    return nodes, _opl_lines(relation_text)


def _opl_lines(text: bytes) -> pa.Array:
    """The lines of OPL text as one string array (OPL escapes tabs, so a line is one field)."""
    if not text:
        return pa.array([], pa.string())
    return pacsv.read_csv(
        pa.BufferReader(text),
        read_options=pacsv.ReadOptions(column_names=["line"], block_size=_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(delimiter="\t", **_NO_QUOTES),
        convert_options=pacsv.ConvertOptions(column_types={"line": pa.string()}, strings_can_be_null=False, quoted_strings_can_be_null=False),
    ).column("line").combine_chunks()


def _way_features(way_id, tags, counts, refs, lon, lat, footprint_only=None) -> dict:
    """Lines and polygons from the parsed OPL ways, built by shapely from coordinate arrays.

    Closed ways where ``footprint_only`` become :class:`~accessibility.footprints.Footprints` rows.
    """
    n = len(way_id)
    way_of = np.repeat(np.arange(n), counts)
    missing = np.bincount(way_of, weights=np.isnan(lon) | np.isnan(lat), minlength=n) > 0
    ok = ~missing & (counts >= 2)
    ends = np.cumsum(counts)
    first_ref = refs[np.minimum(ends - counts, max(len(refs) - 1, 0))] if len(refs) else np.zeros(n, np.int64)
    last_ref = refs[np.maximum(ends - 1, 0)] if len(refs) else np.zeros(n, np.int64)
    del refs
    not_area = np.fromiter((t.get("area") == "no" for t in tags), dtype=bool, count=n)
    polygon = ok & (counts >= 4) & (first_ref == last_ref) & ~not_area
    plain = polygon & footprint_only if footprint_only is not None else np.zeros(n, dtype=bool)
    if plain.any():
        take = plain[way_of]
        area_m2, centre_lon, centre_lat = footprints_mod.ring_stats(lon[take], lat[take], counts[plain])
        at = np.flatnonzero(plain)
        plain_table = footprints_mod.Footprints(osm_id=way_id[at], tags=[tags[i] for i in at.tolist()], lon=centre_lon, lat=centre_lat, area_m2=area_m2)
        polygon &= ~plain
        ok &= ~plain
    else:
        plain_table = footprints_mod.Footprints()
    line = ok & ~polygon
    geometry = np.empty(n, dtype=object)
    for kind, sel in (("line", line), ("polygon", polygon)):
        take = sel[way_of]
        geometry[sel] = parallel.build_geometries(kind, np.column_stack([lon[take], lat[take]]), counts[sel])
    del lon, lat, way_of
    valid = np.ones(n, dtype=bool)
    checked = np.flatnonzero(ok)
    if len(checked):
        valid[checked] = np.concatenate(parallel.map_chunks(shapely.is_valid, geometry[checked]))
    # a line needs two distinct points (libosmium drops repeated ones and then rejects it)
    ok &= valid | ~line
    # libosmium's assembler rejects invalid rings; a repaired footprint is kept instead
    bad = np.flatnonzero(polygon & ~valid)
    if len(bad):
        fixed = shapely.make_valid(geometry[bad], method="structure", keep_collapsed=False)
        geometry[bad] = fixed
        ok[bad[shapely.is_empty(fixed)]] = False
    keep = np.flatnonzero(ok)
    return {
        "kind": "way",
        "id": way_id[keep],
        "tags": [tags[i] for i in keep.tolist()],
        "geometry": geometry[keep],
        "skipped": int(n - len(keep) - len(plain_table)),
        "repaired": int(len(bad)),
        "footprints": plain_table,
    }


def _relation_areas(path: Path, relations: pa.Array, index, tmp: Path) -> dict:
    """Multipolygon relations, assembled by libosmium from a small OPL file of their member ways.

    The member ways get their node locations from ``index`` (filled by the
    ways pass), so this pass reads ways only, not the file's nodes.
    """
    out = {"kind": "relation", "id": np.zeros(0, np.int64), "tags": [], "geometry": np.array([], dtype=object), "skipped": 0}
    if len(relations) == 0:
        return out
    relations = pc.filter(relations, pc.match_substring_regex(pc.list_element(pc.split_pattern(relations, " "), 1), AREA_RELATION))
    if len(relations) == 0:
        return out
    _, member_type, member_ref = opl_members(pc.list_element(pc.split_pattern(relations, " "), 2))
    small = tmp / "relations.opl"
    wanted = osmium.filter.IdFilter(np.unique(member_ref[member_type == "w"]).astype(np.int64).tolist())
    wanted.enable_for(osmium.osm.WAY)
    locations = osmium.NodeLocationsForWays(index)
    locations.ignore_errors()
    writer = osmium.SimpleWriter(osmium.io.File(str(small), "opl,add_metadata=false,locations_on_ways=true"))
    try:
        osmium.apply(osmium.io.Reader(osm_file(path), osmium.osm.WAY), wanted, locations, writer)
    finally:
        writer.close()
    # libosmium writes a node without location as "n<id>xy" but cannot read that back: drop the
    # empty "xy" in the node lists (the last field); relations follow the ways, as libosmium expects
    lines = [head + " N" + _NO_LOCATION.sub("", nodes) for head, _, nodes in (w.rpartition(" N") for w in small.read_text(encoding="utf-8").splitlines())]
    small.write_text("".join(s + "\n" for s in lines + relations.to_pylist()), encoding="utf-8")
    wkb = osmium.geom.WKBFactory()
    ids, tags, geoms = [], [], []
    manager = osmium.area.AreaManager()
    osmium.apply(osmium.io.Reader(osmium.io.File(str(small), "opl"), osmium.osm.RELATION), manager.first_pass_handler())
    assembled = osmium.BufferIterator()
    osmium.apply(osmium.io.Reader(osmium.io.File(str(small), "opl"), osmium.osm.WAY), manager.second_pass_to_buffer(assembled))
    for obj in assembled:
        if obj.from_way():  # a closed member way: read as a way feature already, if it has a key
            continue
        try:
            geom = wkb.create_multipolygon(obj)
        except RuntimeError:
            out["skipped"] += 1
            continue
        ids.append(obj.orig_id())
        tags.append(dict(obj.tags))
        geoms.append(bytes.fromhex(geom) if isinstance(geom, str) else geom)
    out["skipped"] = len(relations) - len(ids)  # failed or incomplete (a member outside the extract)
    out.update(id=np.asarray(ids, dtype=np.int64), tags=tags, geometry=shapely.from_wkb(np.asarray(geoms, dtype=object)) if geoms else np.array([], dtype=object))
    return out

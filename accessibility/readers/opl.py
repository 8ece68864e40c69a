"""libosmium's OPL text format, written by libosmium and read in bulk by pyarrow.

OPL ("object per line") is how this package moves OSM objects out of
libosmium without a Python call per object: one pass of libosmium writes the
wanted objects (ways with their node locations) as text, and pyarrow parses
the text into arrays on all cores. :mod:`accessibility.readers.osm` and
:mod:`accessibility.readers.extract` build on these helpers. :func:`sorted_copy`
rewrites a file libosmium would read wrongly (ways before their nodes,
negative ids, impossible coordinates) so that it reads like a clean extract.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import shutil
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .. import errors
from ..core import parallel

__all__ = [
    "AREA_RELATION",
    "NO_LOCATION",
    "InvalidLocationError",
    "OutOfOrderError",
    "SortedCopy",
    "coordinate",
    "lines",
    "members",
    "osm_file",
    "parse_ways",
    "read_columns",
    "section_starts",
    "sections",
    "sorted_copy",
    "sorted_copy_reason",
    "tag_dicts",
    "valid_location",
    "write",
]  # fmt: skip

log = logging.getLogger(__name__)


def osm_file(path: Path) -> osmium.io.File:
    """The libosmium file object of an OSM file path."""
    name = path.name.lower()
    # libosmium guesses the format from the suffix; ".xml" needs to be spelt out.
    if name.endswith(".xml"):
        return osmium.io.File(str(path), "osm")
    return osmium.io.File(str(path))


_OPL_ESCAPE = re.compile(r"%([0-9a-fA-F]+)%")
_BLOCK_BYTES = 16 << 20
_NO_QUOTES = {"quote_char": False, "escape_char": False, "double_quote": False, "newlines_in_values": False}


def _text_columns(names: list[str], delimiter: str) -> dict:
    """pyarrow CSV options reading OPL text as unquoted, non-null string columns ``names``."""
    return {
        "read_options": pacsv.ReadOptions(column_names=names, block_size=_BLOCK_BYTES),
        "parse_options": pacsv.ParseOptions(delimiter=delimiter, **_NO_QUOTES),
        "convert_options": pacsv.ConvertOptions(column_types={c: pa.string() for c in names}, strings_can_be_null=False, quoted_strings_can_be_null=False),
    }


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


def tag_dicts(fields: pa.Array | pa.ChunkedArray, cache: dict, *, decode: Callable[[Any], dict[str, str]] | None = None) -> list[dict[str, str]]:
    """OPL tag fields (``T`` + ``k=v,...``) -> one dict per row.

    Rows with the same field share one dict (a province's million buildings
    carry a few thousand distinct tag sets): pyarrow finds the distinct
    fields, each is decoded once (``cache`` carries them across blocks), and
    the rows only point to them. Treat the dicts as read-only. ``decode``:
    how one distinct field becomes a dict, for fields in another encoding
    (:mod:`accessibility.readers.pbf`'s tag blobs).
    """
    if isinstance(fields, pa.ChunkedArray):
        fields = fields.combine_chunks()
    if len(fields) == 0:
        return []
    decode = decode or (lambda field: _opl_tags(field[1:]))
    encoded = pc.dictionary_encode(fields)
    distinct = []
    for field in encoded.dictionary.to_pylist():
        t = cache.get(field)
        if t is None:
            t = decode(field)
            if len(cache) < 200_000:
                cache[field] = t
        distinct.append(t)
    return list(map(distinct.__getitem__, encoded.indices.to_numpy(zero_copy_only=False).tolist()))


#: characters libosmium writes into OPL as they are (it escapes space, comma, "=", "@", "%" and more)
_OPL_PLAIN_KEY = re.compile(r"[A-Za-z0-9_:.\-]+")


def _key_test(keys: tuple[str, ...]) -> Callable[[pa.Array], pa.Array]:
    """A vectorised test of OPL tag fields: has the row any of ``keys``?"""
    keys = tuple(dict.fromkeys(keys))
    if not keys:
        return lambda fields: pa.array(np.zeros(len(fields), dtype=bool))
    if all(_OPL_PLAIN_KEY.fullmatch(k) for k in keys):
        # a key starts the field ("T") or follows a comma, and ends at "=" (escaped in keys and values)
        pattern = "(^T|,)(" + "|".join(re.escape(k) for k in keys) + ")="
        return lambda fields: pc.match_substring_regex(fields, pattern)
    wanted = frozenset(keys)
    cache: dict[str, dict[str, str]] = {}
    return lambda fields: pa.array([not wanted.isdisjoint(t) for t in tag_dicts(fields, cache)], pa.bool_())


def _string_buffer(arr: pa.Array) -> pa.Buffer:
    """The concatenated bytes of a (non-null) string array, without copying."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    return arr.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


def parse_ways(
    opl: Path | pa.NativeFile,
    *,
    with_tags: bool = True,
    keys: tuple[str, ...] | None = None,
    each_block: Callable[[pa.RecordBatch], None] | None = None,
):
    """Parse the OPL lines ``w<id> T<tags> N<node>,<node>,...`` block by block with pyarrow.

    A node is ``n<ref>x<lon>y<lat>`` (``n<ref>xy`` without location). The node
    fields of a block are rewritten in C++ (pyarrow.compute) into CSV rows
    ``ref,lon,lat`` and read by pyarrow's CSV parser, whose float parsing is
    exact (lon/lat equal osmium's ``Location.lon``/``lat``). Only the tags
    become Python objects, one dict per distinct tag set (:func:`tag_dicts`).
    ``opl`` is a path, or a stream read from where it stands (:func:`sections`).

    ``keys``: parse only the ways having any of these tag keys (None: all).
    ``each_block``: called with every block of lines (string columns ``w``,
    ``t``, ``n``) before that filter, e.g. to keep some lines as they are.
    """
    if isinstance(opl, (str, Path)):
        with pa.OSFile(str(opl)) as stream:
            return parse_ways(stream, with_tags=with_tags, keys=keys, each_block=each_block)
    keep = _key_test(keys) if keys is not None else None
    source = opl
    way_ids: list[np.ndarray] = []
    tags: list[dict[str, str]] = []
    counts: list[np.ndarray] = []
    refs: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    tag_cache: dict[str, dict[str, str]] = {}
    node_types = {"r": pa.int64(), "x": pa.float64(), "y": pa.float64()}
    if source.size() == source.tell():  # no highway at all
        z = np.zeros(0, np.int64)
        return z, tags, z, z, np.zeros(0), np.zeros(0)

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

    def batches():
        try:
            reader = pacsv.open_csv(source, **_text_columns(["w", "t", "n"], " "))
            for batch in reader:
                if batch.num_rows and not pc.all(pc.starts_with(batch.column("w"), "w")).as_py():
                    raise OutOfOrderError(f"{opl}: a line that is no way among the way lines")
                yield batch
        except pa.ArrowInvalid as exc:  # a node line has four fields
            raise OutOfOrderError(f"{opl}: a line that is no way among the way lines ({exc})") from exc

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="accessibility-opl") as pool:
        for batch in batches():
            if each_block is not None:
                each_block(batch)
            if keep is not None:
                batch = batch.filter(keep(batch.column("t")))
            if batch.num_rows == 0:
                continue
            pending.append(pool.submit(node_fields, batch.column("n")))
            way_ids.append(pc.cast(pc.utf8_slice_codeunits(batch.column("w"), 1), pa.int64()).to_numpy())
            if with_tags:
                tags += tag_dicts(batch.column("t"), tag_cache)
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


class InvalidLocationError(errors.OSMDataError):
    """A way node of the file has a location outside lon -180..180 / lat -90..90 (libosmium refuses to write it)."""


#: pyosmium writers that failed: kept alive on purpose, see :func:`write`
_FAILED_WRITERS: list = []


def _close(writer: osmium.SimpleWriter) -> Exception | None:
    """Close a pyosmium writer; on failure keep it from ever being destroyed and return the error.

    pyosmium's ``SimpleWriter`` closes itself again in its C++ destructor. Once
    libosmium's writer has failed (a location it cannot format, a full disk),
    that second close throws from a destructor, and C++ then ends the whole
    process (``terminate called after throwing an instance of
    'osmium::io_error'``). A failed writer therefore gets an extra reference
    that is never released, so its destructor never runs (a few MB leaked
    once per failure, instead of an abort).
    """
    try:
        writer.close()
    except Exception as exc:  # noqa: BLE001 - any failure: the writer must not be destroyed
        _FAILED_WRITERS.append(writer)
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(writer))
        return exc
    return None


def write(
    path: Path, opl: Path, entities, *handlers, locations: bool = False, format: str = "opl",  # noqa: A002 - public keyword, libosmium's name for the output format
    bounds: tuple[float, float, float, float] | None = None,
) -> None:
    """One libosmium pass writing the objects that pass ``handlers`` as OPL (no Python per object).

    ``locations``: write ways with their nodes' locations. ``format``: another
    libosmium output format instead (e.g. ``"pbf"``, with metadata).
    ``bounds``: ``(min_lon, min_lat, max_lon, max_lat)`` declared in the header (an extract's box).

    Raises
    ------
    InvalidLocationError
        If a way node has a location libosmium cannot write (out of range);
        :func:`sorted_copy` writes a copy without such nodes.
    AccessibilityError
        If the OPL file cannot be written (e.g. the disk is full).

    Errors of the reader (a damaged file) are raised as libosmium gives them.
    The process never aborts: a failed writer is kept alive (:func:`_close`).
    """
    spec = "opl,add_metadata=false" if format == "opl" else format
    header = osmium.io.Header()
    if bounds is not None:
        header.add_box(osmium.osm.Box(osmium.osm.Location(bounds[0], bounds[1]), osmium.osm.Location(bounds[2], bounds[3])))
    writer = osmium.SimpleWriter(osmium.io.File(str(opl), spec + (",locations_on_ways=true" if locations else "")), header=header)
    chain = list(handlers)
    if locations:
        loc = osmium.NodeLocationsForWays(osmium.index.create_map("flex_mem"))
        loc.ignore_errors()  # a node cut off at the extract's edge stays without location
        chain.insert(0, loc)
    try:
        osmium.apply(osmium.io.Reader(osm_file(path), entities), *chain, writer)
    except BaseException as exc:
        failed = _close(writer)
        if failed is None:  # the reader failed, the writer is fine: the caller reports it
            raise
        raise _writer_error(path, opl, exc) from exc
    failed = _close(writer)
    if failed is not None:
        raise _writer_error(path, opl, failed) from failed


def _writer_error(path: Path, opl: Path, exc: BaseException) -> errors.AccessibilityError:
    if isinstance(exc, osmium.InvalidLocationError):
        return InvalidLocationError(
            f"{path}: a way uses a node whose location is outside lon -180..180 / lat -90..90 ({exc})"
        )
    return errors.AccessibilityError(
        f"writing the temporary file {opl} failed while reading {path} ({type(exc).__name__}: {exc}); "
        f"check the free space in {opl.parent} (temporary files go to the folder in TMPDIR)"
    )


def valid_location(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Where lon/lat is a location libosmium calls valid (-180..180, -90..90); NaN is not."""
    return (np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0)


def read_columns(opl: Path, names: list[str]) -> pa.Table | None:
    if opl.stat().st_size == 0:
        return None
    return pacsv.read_csv(opl, **_text_columns(names, " "))


def members(field) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def coordinate(col) -> np.ndarray:
    text = pc.utf8_slice_codeunits(col, 1)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)


NO_LOCATION = re.compile(r"xy(?=,|$)")  # a node reference without location, in a way's node list
AREA_RELATION = r"(^T|,)type=(multipolygon|boundary)(,|$)"  # OPL tags of relations libosmium assembles


class OutOfOrderError(errors.OSMDataError):
    """OPL lines are not in file order (all nodes, then ways, then relations); split them line by line."""


def sections(opl: Path, *, by_line: bool = False) -> tuple[bytes, pa.NativeFile, bytes]:
    """Split an OPL file into its node lines, a stream of its way lines, and its relation lines.

    libosmium writes objects in the order it reads them, and OSM files hold
    all nodes, then all ways, then all relations (OPL escapes newlines, so a
    section starts at the first line beginning with its letter). Only the
    head and the tail of the file are read to find where the ways begin and
    end; the node and relation lines (a few percent of the file) are returned
    as bytes, and the file is cut after its last way, so the way lines stream
    to the parser (:func:`parse_ways`) without a copy of the whole text.

    Lines out of that order (some hand-edited .osm exports) raise
    :class:`OutOfOrderError` here or in :func:`parse_ways`; ``by_line=True``
    then sorts the lines of a freshly written file by their letter instead
    (but ways written before their nodes have no locations: the readers use
    :func:`sorted_copy` of the OSM file instead).
    """
    if by_line:
        text = opl.read_bytes().splitlines(keepends=True)
        node_text, way_text, relation_text = (b"".join(line for line in text if line[:1] == letter) for letter in (b"n", b"w", b"r"))
        del text
        opl.write_bytes(way_text)
        ways, relations = 0, len(way_text)
        del way_text
    else:
        ways, relations = section_starts(opl)
        with opl.open("rb") as f:
            node_text = f.read(ways)
            f.seek(relations)
            relation_text = f.read()
        for section, letter in ((node_text, b"n"), (relation_text, b"r")):
            if section.count(b"\n") != (b"\n" + section).count(b"\n" + letter):
                raise OutOfOrderError(f"{opl}: a line not starting with {letter.decode()!r} among the {letter.decode()!r} lines")
        os.truncate(opl, relations)
    stream = pa.OSFile(str(opl))
    stream.seek(ways)
    return node_text, stream, relation_text


def section_starts(opl: Path, *, block: int = 1 << 20) -> tuple[int, int]:
    """Offsets of the first way line and of the first relation line, assuming file order.

    The first line that is no node starts the ways; the line after the last
    line that is no relation starts the relations. Reads the file's head and
    tail only, ``block`` bytes at a time.
    """
    size = opl.stat().st_size
    with opl.open("rb") as f:
        ways = _line_start(f, size, b"wr", start=0, block=block)
        last = _line_start(f, size, b"nw", start=size, block=block, backwards=True)
        relations = 0 if last < 0 else _line_start(f, size, b"r", start=last, block=block)
    ways = size if ways < 0 else ways
    relations = size if relations < 0 else relations
    return min(ways, relations), relations


def _line_start(f, size: int, letters: bytes, *, start: int, block: int, backwards: bool = False) -> int:
    """Offset of the first line at or after ``start`` (or the last one before it) beginning with any of ``letters``; -1 if none."""
    patterns = [b"\n" + bytes((c,)) for c in letters]
    lo, hi = (start, min(start + block, size)) if not backwards else (max(start - block, 0), start)
    while lo < hi:
        # text[0] is the byte before the block (a newline before the file): a hit at i starts a line at lo + i
        f.seek(max(lo - 1, 0))
        text = (b"" if lo else b"\n") + f.read(hi - lo + (1 if lo else 0))
        hits = [h for h in ((text.rfind(p) if backwards else text.find(p)) for p in patterns) if h >= 0]
        if hits:
            return lo + (max(hits) if backwards else min(hits))
        lo, hi = (hi, min(hi + block, size)) if not backwards else (max(lo - block, 0), lo)
    return -1


def lines(text: bytes) -> pa.Array:
    """The lines of OPL text as one string array (OPL escapes tabs, so a line is one field)."""
    if not text:
        return pa.array([], pa.string())
    return pacsv.read_csv(pa.BufferReader(text), **_text_columns(["line"], "\t")).column("line").combine_chunks()



def sorted_copy_reason(refs: np.ndarray, lon: np.ndarray) -> str | None:
    """Why parsed ways (node refs and longitudes, NaN: no location) call for a sorted copy of the file, or None.

    libosmium puts locations on ways only from nodes read before them whose
    ids are positive: when ways use negative ids (JOSM's new objects), or
    more than a tenth of their node references have no location (ways before
    the nodes, in a hand-edited file?), the file is read again from
    :func:`sorted_copy`. An extract cut at its edge misses a few locations
    and is read as it is (a badly cut one is read twice, to the same result).
    """
    missing = np.isnan(lon)
    n_missing = int(np.count_nonzero(missing))
    if n_missing == 0:
        return None
    if np.any(refs[missing] < 0):
        return "ways use nodes with negative ids (new objects of a JOSM file), which libosmium does not locate"
    if n_missing > 0.1 * len(refs):
        return f"{n_missing} of its {len(refs)} way node references have no location (ways before their nodes, in an unsorted file?)"
    return None


@dataclass(frozen=True)
class SortedCopy:
    """An OSM file rewritten as OPL by :func:`sorted_copy`, and what was changed."""

    path: Path
    #: nodes left out for a location outside lon -180..180 / lat -90..90
    dropped_id: np.ndarray
    dropped_lon: np.ndarray
    dropped_lat: np.ndarray
    #: objects with negative ids (new objects of JOSM files); id ``-k`` is ``top + k`` in the copy
    negative: int
    top: int

    def original_ids(self, ids: np.ndarray) -> np.ndarray:
        """Ids of the copy (nodes, ways or relations) mapped back to the file's: ``top + k`` -> ``-k``."""
        ids = np.asarray(ids, dtype=np.int64)
        return np.where(ids > self.top, self.top - ids, ids) if self.negative else ids

    def notes(self, source: Path) -> list[str]:
        """What a user should know about the repair, naming ``source``, the nodes and the fix."""
        out = []
        if len(self.dropped_id):
            shown = ", ".join(f"node {i} at lon {x:g}, lat {y:g}" for i, x, y in zip(self.dropped_id[:5].tolist(), self.dropped_lon[:5].tolist(), self.dropped_lat[:5].tolist(), strict=True))
            more = f" and {len(self.dropped_id) - 5} more" if len(self.dropped_id) > 5 else ""
            out.append(
                f"{source}: {len(self.dropped_id)} node(s) with a location outside lon -180..180 / lat -90..90 were left out "
                f"({shown}{more}); the streets and features through them are cut there. Correct these coordinates in the file (e.g. in JOSM)"
            )
        if self.negative:
            out.append(f"{source}: read {self.negative} object(s) with negative ids (new, unsaved objects of a JOSM file)")
        return out


_COLUMNS = {"n": ["n", "t", "x", "y"], "w": ["w", "t", "m"], "r": ["r", "t", "m"]}
#: one reference of a way's node list (``n<id>``) or a relation's member list (``<type><id>@<role>``)
_REFERENCE = r"^(?P<kind>[nwr])(?P<id>-?[0-9]+)(?P<tail>(?:@.*)?)$"


def _opl_blocks(path: Path, kind: str):
    """The record batches of an OPL file of one object type written without metadata, as string columns."""
    if path.stat().st_size == 0:
        return
    yield from pacsv.open_csv(path, **_text_columns(_COLUMNS[kind], " "))


def _ids(column: pa.Array) -> np.ndarray:
    """The ids of OPL id fields (``n12``, ``w-3``)."""
    return pc.cast(pc.utf8_slice_codeunits(column, 1), pa.int64()).to_numpy()


def _references(field: pa.Array) -> tuple[pa.ListArray, pa.StructArray, np.ndarray]:
    """Split ``N``/``M`` reference lists: the lists, each reference's parts (kind, id, tail) and ids (0 for none)."""
    items = pc.split_pattern(pc.utf8_slice_codeunits(field, 1), ",")
    parts = pc.extract_regex(pc.list_flatten(items), _REFERENCE)  # null for the "" of an empty list
    return items, parts, pc.cast(pc.fill_null(pc.struct_field(parts, "id"), "0"), pa.int64()).to_numpy()


def _renumbered(field: pa.Array, top: int) -> pa.Array:
    """``N``/``M`` reference lists with every negative id ``-k`` written as ``top + k``."""
    items, parts, ids = _references(field)
    text = pa.array(np.where(ids < 0, top - ids, ids)).cast(pa.string())
    joined = pc.binary_join_element_wise(pc.struct_field(parts, "kind"), text, pc.struct_field(parts, "tail"), "")
    flat = pc.if_else(pc.is_valid(parts), joined, pa.scalar("", pa.string()))
    lists = pa.ListArray.from_arrays(items.offsets, flat)
    return pc.binary_join_element_wise(pc.utf8_slice_codeunits(field, 0, 1), pc.binary_join(lists, ","), "")


def _write_lines(out, columns: list[pa.Array]) -> None:
    """Write rows of string columns as space-separated lines."""
    line = pc.binary_join_element_wise(*columns, pa.scalar(" ", pa.string()))
    out.write(_string_buffer(pc.binary_join_element_wise(line, pa.scalar("", pa.string()), "\n")))


def sorted_copy(path: Path, tmp: Path, *, source: Path | None = None) -> SortedCopy:
    """Rewrite an OSM file as an OPL file that libosmium reads like a clean extract.

    Three libosmium passes write the nodes, the ways and the relations of
    ``path`` as OPL; they are joined in the order libosmium needs to put node
    locations on ways (all nodes, then ways, then relations), as ``osmium
    sort`` would. On the way, nodes whose location is outside lon -180..180 /
    lat -90..90 are left out (their ways are then cut there, as at an
    extract's edge), and negative ids (JOSM's new objects, which libosmium's
    location index and id filters do not take) are renumbered above every
    positive id and reference of the file: ``-k`` becomes ``top + k``
    (:meth:`SortedCopy.original_ids` maps them back). Everything is done on
    whole blocks of text with pyarrow and numpy.

    Parameters
    ----------
    path
        The OSM file.
    tmp
        A folder for the copy and its parts.
    source
        The name used in error messages (default ``path``).

    Raises
    ------
    OSMDataError
        If negative ids are too large to renumber in 64 bits.
    """
    source = source or path
    parts = {kind: tmp / f"sorted-{kind}.opl" for kind in _COLUMNS}
    for kind, entity in (("n", osmium.osm.NODE), ("w", osmium.osm.WAY), ("r", osmium.osm.RELATION)):
        parts[kind].unlink(missing_ok=True)
        write(path, parts[kind], entity)
    # pass 1 over the text: the largest positive id or reference, the smallest negative one, the nodes to leave out
    top = low = negative = 0
    dropped: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for kind in _COLUMNS:
        for block in _opl_blocks(parts[kind], kind):
            ids = _ids(block.column(kind))
            negative += int(np.count_nonzero(ids < 0))
            if kind == "n":
                x, y = coordinate(block.column("x")), coordinate(block.column("y"))
                bad = ~valid_location(x, y) & ~(np.isnan(x) & np.isnan(y))
                if bad.any():
                    dropped.append((ids[bad], x[bad], y[bad]))
            else:
                ids = np.concatenate([ids, _references(block.column("m"))[2]])
            if len(ids):
                top, low = max(top, int(ids.max())), min(low, int(ids.min()))
    if low < 0 and -low > np.iinfo(np.int64).max - top:
        raise errors.OSMDataError(
            f"{source}: negative ids down to {low} cannot be renumbered for reading; "
            f"renumber the file first: `osmium renumber {source} -o renumbered.osm.pbf`"
        )
    drop_ids = np.concatenate([d[0] for d in dropped]) if dropped else np.zeros(0, np.int64)
    out_path = tmp / "sorted.opl"
    with out_path.open("wb") as out:
        for kind in _COLUMNS:
            if low == 0 and not (kind == "n" and len(drop_ids)):
                with parts[kind].open("rb") as f:
                    shutil.copyfileobj(f, out)
                continue
            for block in _opl_blocks(parts[kind], kind):
                if kind == "n" and len(drop_ids):
                    block = block.filter(pa.array(~np.isin(_ids(block.column("n")), drop_ids)))
                columns = block.columns
                if low < 0 and block.num_rows:
                    ids = _ids(columns[0])
                    columns[0] = pc.binary_join_element_wise(kind, pa.array(np.where(ids < 0, top - ids, ids)).cast(pa.string()), "")
                    if kind != "n":
                        columns[2] = _renumbered(columns[2], top)
                if block.num_rows:
                    _write_lines(out, columns)
    for part in parts.values():
        part.unlink()
    return SortedCopy(
        path=out_path,
        dropped_id=drop_ids,
        dropped_lon=np.concatenate([d[1] for d in dropped]) if dropped else np.zeros(0),
        dropped_lat=np.concatenate([d[2] for d in dropped]) if dropped else np.zeros(0),
        negative=negative,
        top=top,
    )

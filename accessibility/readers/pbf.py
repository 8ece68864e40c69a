"""Read a sorted .osm.pbf file straight into arrays, on all cores (the readers' fast path).

:func:`one_pass` gives what :func:`accessibility.readers.osm` otherwise gets
from one libosmium pass writing OPL text and pyarrow parsing it back: the
keyed ways with their node locations, the tagged nodes, and the area
relations with their member ways' lines. The file's blocks are inflated
(``zlib``) and decoded (:func:`accessibility.readers.pbfdecode.decode_block`,
compiled) on worker threads, without the GIL; tags become Python dicts once
per distinct tag set. On the 1M-node benchmark this takes ~1.5 s where the
libosmium pass and the text took ~5.4 s.

It reads only what it can read exactly as libosmium does: a PBF file with
zlib or raw blocks, without history, all nodes (increasing, positive ids,
valid locations) before all ways before all relations. Anything else (and a
damaged file) gives None, and the caller reads the file with libosmium,
which reads every file, repairs what it can and names what it cannot. The
results are equal to libosmium's to the last bit (``tests/test_pbf.py``).
"""

from __future__ import annotations

import logging
import os
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core import parallel
from . import opl
from . import pbfdecode as dec

__all__ = ["PassResult", "one_pass"]

log = logging.getLogger(__name__)

#: header features this reader understands (others, e.g. "HistoricalInformation", go to libosmium)
_FEATURES = {"OsmSchema-V0.6", "DenseNodes"}
_AREA_TYPES = frozenset({"multipolygon", "boundary"})  # relations libosmium assembles (opl.AREA_RELATION)
_OPL_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:.-")


class _Unsupported(Exception):  # noqa: N818 - internal signal, never leaves this module
    """The file is not one this reader reads exactly as libosmium would: libosmium reads it."""


@dataclass
class PassResult:
    """What :func:`one_pass` read (the shapes ``accessibility.readers.osm._one_pass`` returns)."""

    ways: tuple  #: keyed ways: ids, tag dicts, node counts, node refs, lon, lat (NaN: no location)
    nodes: dict | None = None  #: tagged nodes: kind, id, tags, lonlat (their coordinates), invalid (0)
    relations: pa.Array | None = None  #: area relations' OPL lines
    member_lines: list[str] = field(default_factory=list)  #: their member ways' OPL lines (nodes without location: ``n<ref>``)


def _message(data: bytes | memoryview) -> dict[int, int | memoryview]:
    """The fields of a small protobuf message (last value of each field number)."""
    view = memoryview(data)
    out: dict[int, int | memoryview] = {}
    i = 0
    while i < len(view):
        key, i = _varint(view, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            out[number], i = _varint(view, i)
        elif wire == 2:
            size, i = _varint(view, i)
            if i + size > len(view):
                raise _Unsupported("a message overruns its block")
            out[number], i = view[i : i + size], i + size
        else:
            raise _Unsupported(f"wire type {wire} in a file block header")
    return out


def _varint(view: memoryview, i: int) -> tuple[int, int]:
    value = shift = 0
    while i < len(view):
        b = view[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7
    raise _Unsupported("a number runs past its block")


def _strings(data: memoryview, number: int) -> list[str]:
    """The values of a repeated string field ``number`` of a message."""
    out, i = [], 0
    while i < len(data):
        key, i = _varint(data, i)
        if key & 7 == 2:
            size, i = _varint(data, i)
            if key >> 3 == number:
                out.append(bytes(data[i : i + size]).decode("utf-8", "replace"))
            i += size
        elif key & 7 == 0:
            _, i = _varint(data, i)
        else:
            raise _Unsupported("unexpected field in the file header")
    return out


def _blobs(path: Path) -> list[tuple[int, int]]:
    """The (offset, size) of each data blob of the file, after checking its header block."""
    blobs = []
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        while (head := f.read(4)) :
            if len(head) < 4:
                raise _Unsupported("the file ends inside a block")
            header = _message(f.read(int.from_bytes(head, "big")))
            kind, length, offset = header.get(1), header.get(3), f.tell()
            if not isinstance(kind, memoryview) or not isinstance(length, int) or offset + length > size:
                raise _Unsupported("a damaged block header")
            if bytes(kind) == b"OSMHeader":
                unknown = set(_strings(_inflate(f.read(length)), 4)) - _FEATURES
                if unknown:
                    raise _Unsupported(f"required features {sorted(unknown)}")
            elif bytes(kind) == b"OSMData":
                blobs.append((offset, length))
                f.seek(length, os.SEEK_CUR)
            else:
                f.seek(length, os.SEEK_CUR)
    return blobs


def _inflate(blob: bytes) -> memoryview:
    """A blob's block, inflated (zlib releases the GIL) or as stored."""
    fields = _message(blob)
    raw, packed, size = fields.get(1), fields.get(3), fields.get(2)
    if isinstance(raw, memoryview):
        return raw
    if not isinstance(packed, memoryview) or not isinstance(size, int):
        raise _Unsupported("a block compressed other than with zlib")
    try:
        data = zlib.decompress(packed, bufsize=max(size, 1))
    except zlib.error as exc:
        raise _Unsupported(f"a damaged block ({exc})") from exc
    if len(data) != size:
        raise _Unsupported("a block of another size than its header says")
    return memoryview(data)


@dataclass
class _Block:
    """One decoded data block: its kinds (a bit each), nodes, and the objects wanted from it."""

    kinds: int
    node_id: np.ndarray
    node_lat: np.ndarray
    node_lon: np.ndarray
    parts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Want:
    """What to keep: ways with any of ``way_keys`` or listed in ``members``; nodes and relations with any of ``keys``."""

    keys: pa.Array
    way_keys: pa.Array
    members: np.ndarray  # sorted way ids
    relations: bool


def _blob_array(data: np.ndarray, offsets: np.ndarray) -> pa.Array:
    return pa.Array.from_buffers(pa.large_binary(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _has_key(strings: pa.Array, keys: pa.Array, tag_bounds: np.ndarray, tag_keys: np.ndarray) -> np.ndarray:
    """Per object (its tags: ``tag_keys[tag_bounds[r]:tag_bounds[r + 1]]``): has it a tag whose key is one of ``keys``?"""
    n = len(tag_bounds) - 1
    if len(keys) == 0 or tag_bounds[-1] == tag_bounds[0]:
        return np.zeros(n, bool)
    wanted = pc.is_in(strings, value_set=keys).to_numpy(zero_copy_only=False)
    owner = np.repeat(np.arange(n), np.diff(tag_bounds))
    return np.bincount(owner[wanted[tag_keys[tag_bounds[0] : tag_bounds[-1]]]], minlength=n) > 0


def _decode(fd: int, offset: int, size: int, want: _Want) -> _Block:
    """Read, inflate and decode one block, and keep what ``want`` asks for (runs on a worker thread)."""
    buf = np.frombuffer(_inflate(os.pread(fd, size, offset)), np.uint8)
    cnt, bounds, cols = dec.decode_block(buf)
    if cnt[dec.STATUS] != dec.OK:
        raise _Unsupported("a damaged block" if cnt[dec.STATUS] == dec.BAD_BLOCK else "a node location outside lon -180..180 / lat -90..90")
    nodes, tags, ways, refs, relations, members = (int(c) for c in cnt[dec.COUNTS])
    data, offsets = dec.gather_strings(buf, bounds)
    strings = pa.Array.from_buffers(pa.binary(), len(bounds), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    node_id = cols[dec.NODE_ID, :nodes].copy()
    if nodes and (node_id[0] <= 0 or not (np.diff(node_id) > 0).all()):
        raise _Unsupported("node ids not increasing and positive")
    # valid locations (checked by the decoder) fit 32 bits: half the memory for the file's every node
    lat, lon = cols[dec.NODE_LAT, :nodes].astype(np.int32), cols[dec.NODE_LON, :nodes].astype(np.int32)
    block = _Block(int(cnt[dec.KINDS]), node_id, lat, lon)
    # the tags of nodes, then ways, then relations follow each other in the tag rows
    node_tags = np.concatenate([[0], cols[dec.NODE_TAG_END, :nodes]])
    way_tags = np.concatenate([node_tags[-1:], cols[dec.WAY_TAG_END, :ways]])
    relation_tags = np.concatenate([way_tags[-1:], cols[dec.REL_TAG_END, :relations]])
    tag_keys, tag_values = cols[dec.TAG_KEY, :tags], cols[dec.TAG_VALUE, :tags]

    def blobs(tag_bounds: np.ndarray, rows: np.ndarray) -> pa.Array:
        return _blob_array(*dec.tag_blobs(buf, bounds, tag_bounds, tag_keys, tag_values, rows))

    if nodes and len(want.keys):
        rows = np.flatnonzero(_has_key(strings, want.keys, node_tags, tag_keys))
        block.parts["nodes"] = (node_id[rows], lat[rows].astype(np.int64), lon[rows].astype(np.int64), blobs(node_tags, rows))
    if ways:
        way_id = cols[dec.WAY_ID, :ways].copy()
        keyed = _has_key(strings, want.way_keys, way_tags, tag_keys)
        member = np.zeros(ways, bool)
        if len(want.members):
            at = np.minimum(np.searchsorted(want.members, way_id), len(want.members) - 1)
            member = want.members[at] == way_id
        rows = np.flatnonzero(keyed | member)
        counts = np.diff(cols[dec.WAY_REF_END, :ways], prepend=0)
        way_refs = cols[dec.WAY_REF, :refs][np.repeat(keyed | member, counts)]
        block.parts["ways"] = (way_id[rows], keyed[rows], member[rows], counts[rows], way_refs, blobs(way_tags, rows), rows)
        block.parts["way_range"] = (way_id.min(), way_id.max())
    if relations and want.relations:
        rows = np.flatnonzero(_has_key(strings, want.keys, relation_tags, tag_keys))
        roles = strings.take(pa.array(cols[dec.MEMBER_ROLE, :members])) if members else pa.array([], pa.binary())
        member_end = cols[dec.REL_MEMBER_END, :relations].copy()
        ref, kind = cols[dec.MEMBER_ID, :members].copy(), cols[dec.MEMBER_TYPE, :members].copy()
        block.parts["relations"] = (cols[dec.REL_ID, :relations].copy(), rows, member_end, roles, ref, kind, blobs(relation_tags, rows))
    return block


def _blob_tags(blob: bytes) -> dict[str, str]:
    """Decode one :func:`~accessibility.readers.pbfdecode.tag_blobs` blob."""
    out: dict[str, str] = {}
    i = 0
    try:
        while i < len(blob):
            size = int.from_bytes(blob[i : i + 4], "little")
            key = blob[i + 4 : i + 4 + size].decode()
            i += 4 + size
            size = int.from_bytes(blob[i : i + 4], "little")
            out[key] = blob[i + 4 : i + 4 + size].decode()
            i += 4 + size
    except UnicodeDecodeError as exc:
        raise _Unsupported(f"a tag that is not UTF-8 ({exc})") from exc
    return out


def _tag_dicts(blobs: pa.Array, cache: dict[bytes, dict[str, str]]) -> list[dict[str, str]]:
    """One dict per row; rows with the same tags share one dict (decoded once; treat as read-only)."""
    return opl.tag_dicts(blobs, cache, decode=_blob_tags)


def _decoded_blocks(path: Path, blobs: list[tuple[int, int]], want: _Want) -> Iterator[_Block]:
    """The blocks, decoded on worker threads, in file order (a few in flight)."""
    workers = parallel.thread_count()
    fd = os.open(path, os.O_RDONLY)
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="accessibility-pbf") as pool:
            pending: deque = deque()
            todo = iter(blobs)
            for offset, size in todo:
                pending.append(pool.submit(_decode, fd, offset, size, want))
                if len(pending) >= 4 * workers:
                    break
            while pending:
                block = pending.popleft().result()
                for offset, size in todo:
                    pending.append(pool.submit(_decode, fd, offset, size, want))
                    break
                yield block
    finally:
        os.close(fd)


def _opl_escape(text: str) -> str:
    """OPL's escaping (``%<hex code point>%``) of every character but letters, digits and ``_:.-``."""
    return "".join(c if c in _OPL_PLAIN else f"%{ord(c):x}%" for c in text)


def _opl_tags(tags: dict[str, str]) -> str:
    return "T" + ",".join(f"{_opl_escape(k)}={_opl_escape(v)}" for k, v in tags.items())


def _area_relations(blocks: list[_Block], cache: dict) -> tuple[pa.Array, np.ndarray]:
    """The keyed area relations' OPL lines (``r<id> T<tags> M<type><ref>@<role>,...``) and their member ways' ids."""
    lines: list[str] = []
    member_ways: list[np.ndarray] = []
    for block in blocks:
        if "relations" not in block.parts:
            continue
        rel_id, rows, member_end, roles, ref, kind, tag_blobs = block.parts["relations"]
        starts = np.concatenate([[0], member_end[:-1]])
        role_text = [_opl_escape(r.decode("utf-8", "replace")) for r in roles.to_pylist()]
        for row, tags in zip(rows.tolist(), _tag_dicts(tag_blobs, cache), strict=True):
            if tags.get("type") not in _AREA_TYPES:
                continue
            span = range(int(starts[row]), int(member_end[row]))
            members = ",".join(f"{'nwr'[kind[m]] if 0 <= kind[m] <= 2 else '?'}{ref[m]}@{role_text[m]}" for m in span)
            lines.append(f"r{rel_id[row]} {_opl_tags(tags)} M{members}")
            member_ways.append(ref[span.start : span.stop][kind[span.start : span.stop] == 1])
    ids = np.unique(np.concatenate(member_ways)) if member_ways else np.zeros(0, np.int64)
    return pa.array(lines, pa.string()), ids


def _degrees(units: np.ndarray) -> np.ndarray:
    """1e-7 degree integers -> degrees; the division is exact to the last bit, as parsing libosmium's decimal text is."""
    return units / 1e7


def _member_lines(ids: np.ndarray, tags: list[dict[str, str]], counts: np.ndarray, refs: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> list[str]:
    """OPL lines of member ways, ``w<id> T<tags> N n<ref>x<lon>y<lat>,...`` (``n<ref>`` without location), built in bulk."""
    if len(ids) == 0:
        return []
    located = ~np.isnan(lon)
    # back to 1e-7 degree integers (exact: the degrees are those integers divided by 1e7, correctly rounded)
    lon, lat = (np.rint(np.where(located, v, 0) * 1e7).astype(np.int64) for v in (lon, lat))

    def decimal(units: np.ndarray) -> pa.Array:
        whole = pc.cast(pa.array(np.abs(units) // 10_000_000), pa.string())
        frac = pc.utf8_lpad(pc.cast(pa.array(np.abs(units) % 10_000_000), pa.string()), 7, "0")
        sign = pa.array(np.where(units < 0, "-", ""), pa.string())
        return pc.binary_join_element_wise(sign, whole, ".", frac, "")

    location = pc.binary_join_element_wise("x", decimal(lon), "y", decimal(lat), "")
    location = pc.if_else(pa.array(located), location, "")
    node = pc.binary_join_element_wise("n", pc.cast(pa.array(refs), pa.string()), location, "")
    per_way = pa.ListArray.from_arrays(pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)), node)
    joined = pc.binary_join(per_way, ",").to_pylist()
    return [f"w{w} {_opl_tags(t)} N{n}" for w, t, n in zip(ids.tolist(), tags, joined, strict=True)]


def one_pass(path: Path, keys: tuple[str, ...], way_keys: tuple[str, ...]) -> PassResult | None:
    """The keyed ways, tagged nodes and area relations of a sorted PBF file; None where libosmium must read it.

    ``way_keys``: the keys of the ways to keep; ``keys``: those of the nodes and
    relations (empty: ways only, no nodes nor relations read).
    """
    try:
        return _one_pass(path, keys, way_keys)
    except _Unsupported as exc:
        log.debug("%s: read by libosmium (%s)", path, exc)
        return None


def _key_array(keys: tuple[str, ...]) -> pa.Array:
    return pa.array([k.encode() for k in keys], pa.binary())


def _one_pass(path: Path, keys: tuple[str, ...], way_keys: tuple[str, ...]) -> PassResult:
    blobs = _blobs(path)
    cache: dict[bytes, dict[str, str]] = {}
    want = _Want(_key_array(keys), _key_array(way_keys), np.zeros(0, np.int64), relations=bool(keys))
    # the relations come last: decode them first (backwards) to know which ways their areas need
    tail = _relation_tail(path, blobs, want) if keys else []
    tail_lines, tail_members = _area_relations(tail, cache)
    read = _read_blocks(path, blobs[: len(blobs) - len(tail)], _Want(want.keys, want.way_keys, tail_members, relations=bool(keys)))
    lines, members = _area_relations(read.relations, cache)  # in file order: these come before the tail's
    relations, member_ids = pa.concat_arrays([lines, tail_lines]), np.union1d(members, tail_members)
    ways, tagged = read.ways, read.tagged
    member = ways[2]
    if read.relations:  # relations among the ways (files with mixed blocks): their members were not known in the pass
        member = np.isin(ways[0], member_ids)
        if len(missing := np.setdiff1d(member_ids, ways[0][member])):
            ways = _with_members(path, blobs, read, missing)
            member = np.isin(ways[0], member_ids)
    way_id, keyed, _, counts, refs, tag_blobs, _ = ways
    lon, lat = _locations(read, refs)
    del read
    take = np.repeat(keyed, counts)
    gathered = (parallel.take_rows(a, take) for a in (refs, lon, lat))  # 5M references at 1M nodes: on all cores
    result = PassResult(ways=(way_id[keyed], _tag_dicts(tag_blobs.filter(pa.array(keyed)), cache), counts[keyed], *gathered))
    if keys:
        t_id, t_lat, t_lon, t_blobs = tagged
        result.nodes = {"kind": "node", "id": t_id, "tags": _tag_dicts(t_blobs, cache), "lonlat": (_degrees(t_lon), _degrees(t_lat)), "invalid": 0}
        result.relations = relations
        take = np.repeat(member, counts)
        tags = _tag_dicts(tag_blobs.filter(pa.array(member)), cache)
        result.member_lines = _member_lines(way_id[member], tags, counts[member], refs[take], lon[take], lat[take])
    return result


def _locations(read: _Read, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of the nodes ``refs`` (NaN: not in the file), on all cores."""
    lon, lat = np.empty(len(refs)), np.empty(len(refs))
    if len(refs):  # each thread fills its own slice of the outputs
        parallel.map_chunks(lambda *part: dec.locate(read.node_id, read.node_lon, read.node_lat, *part), refs, lon, lat, min_chunk=100_000)
    return lon, lat


def _relation_tail(path: Path, blobs: list[tuple[int, int]], want: _Want) -> list[_Block]:
    """The blocks at the end of the file that hold relations only, in file order.

    Decoded from the end, a few at a time on all cores; a block after the first that is
    not relations only is decoded for nothing, and what it raises is never asked for.
    """
    tail: list[_Block] = []
    batch = 2 * parallel.thread_count()
    backwards = blobs[::-1]
    fd = os.open(path, os.O_RDONLY)
    try:
        with ThreadPoolExecutor(max_workers=parallel.thread_count(), thread_name_prefix="accessibility-pbf") as pool:
            for lo in range(0, len(backwards), batch):
                for pending in [pool.submit(_decode, fd, offset, size, want) for offset, size in backwards[lo : lo + batch]]:
                    block = pending.result()
                    if block.kinds != 1 << dec.RELATION:
                        return tail[::-1]
                    tail.append(block)
    finally:
        os.close(fd)
    return tail[::-1]


@dataclass
class _Read:
    """The node and way blocks, read: every node, the tagged nodes, the wanted ways, the relations among them."""

    node_id: np.ndarray
    node_lat: np.ndarray
    node_lon: np.ndarray
    tagged: list  # ids, lat, lon, tag blobs
    ways: list  # ids, keyed, member, node counts, refs, tag blobs, file position (block << 32 | row)
    relations: list[_Block]
    way_range: np.ndarray  # per block: least and greatest way id (0, -1 without ways)


def _read_blocks(path: Path, blobs: list[tuple[int, int]], want: _Want) -> _Read:
    """Decode the blocks before the relations' tail in file order, checking that order."""
    parts: dict[str, list] = {"nodes": [], "ways": []}
    every = _NodeArrays(capacity=path.stat().st_size // 4)
    relations: list[_Block] = []
    way_range = np.tile(np.array([0, -1], np.int64), (len(blobs), 1))
    last = 0
    for index, block in enumerate(_decoded_blocks(path, blobs, want)):
        if block.kinds == 0:
            continue
        first_kind, last_kind = (block.kinds & -block.kinds).bit_length() - 1, block.kinds.bit_length() - 1
        if first_kind < last:
            raise _Unsupported("objects not in file order (all nodes, then ways, then relations)")
        last = max(last, last_kind)
        every.append(block)
        if "nodes" in block.parts:
            parts["nodes"].append(block.parts["nodes"])
        if "ways" in block.parts:
            *columns, rows = block.parts["ways"]
            parts["ways"].append((*columns, (index << 32) | rows))
            way_range[index] = block.parts["way_range"]
        if "relations" in block.parts:
            relations.append(block)
    ways = _columns(parts["ways"], [np.int64, bool, bool, np.int64, np.int64], last=np.int64)
    node_id, node_lat, node_lon = every.arrays()
    return _Read(node_id, node_lat, node_lon, _columns(parts["nodes"], [np.int64] * 3), ways, relations, way_range)


class _NodeArrays:
    """Every node's id and location, appended block by block as the blocks arrive.

    The arrays are allocated for ``capacity`` nodes up front (pages never written
    take no memory) and doubled when full, so the file's nodes are copied once,
    while the worker threads decode, instead of concatenated at the end.
    """

    def __init__(self, capacity: int) -> None:
        capacity = max(capacity, 1024)
        self.id, self.lat, self.lon = np.empty(capacity, np.int64), np.empty(capacity, np.int32), np.empty(capacity, np.int32)
        self.size = 0

    def append(self, block: _Block) -> None:
        n = len(block.node_id)
        if n == 0:
            return
        if self.size and block.node_id[0] <= self.id[self.size - 1]:
            raise _Unsupported("node ids not increasing")
        if self.size + n > len(self.id):
            grown = max(2 * len(self.id), self.size + n)
            self.id, self.lat, self.lon = (np.concatenate([a[: self.size], np.empty(grown - self.size, a.dtype)]) for a in (self.id, self.lat, self.lon))
        end = self.size + n
        self.id[self.size : end], self.lat[self.size : end], self.lon[self.size : end] = block.node_id, block.node_lat, block.node_lon
        self.size = end

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.id[: self.size], self.lat[: self.size], self.lon[: self.size]


def _with_members(path: Path, blobs: list[tuple[int, int]], read: _Read, missing: np.ndarray) -> list:
    """``read.ways`` with the member ways in ``missing``, decoded again from the blocks whose way ids may hold them; in file order."""
    lo, hi = read.way_range[:, 0], read.way_range[:, 1]
    first = np.searchsorted(missing, lo)
    hit = np.flatnonzero((first < len(missing)) & (missing[np.minimum(first, len(missing) - 1)] <= hi))
    want = _Want(_key_array(()), _key_array(()), missing, relations=False)
    extra = []
    for index, block in zip(hit.tolist(), _decoded_blocks(path, [blobs[i] for i in hit.tolist()], want), strict=True):
        if "ways" in block.parts:
            *columns, rows = block.parts["ways"]
            extra.append((*columns, (index << 32) | rows))
    ways = [np.concatenate([a, *[e[i] for e in extra]]) if i != 5 else pa.concat_arrays([a, *[e[i] for e in extra]]) for i, a in enumerate(read.ways)]
    order = np.argsort(ways[6], kind="stable")
    counts = ways[3]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    new_counts = counts[order]
    new_starts = np.concatenate([[0], np.cumsum(new_counts)[:-1]]).astype(np.int64)
    take = np.repeat(starts[order] - new_starts, new_counts) + np.arange(int(new_counts.sum()))
    return [ways[0][order], ways[1][order], ways[2][order], new_counts, ways[4][take], ways[5].take(pa.array(order)), ways[6][order]]


def _cat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype)


def _columns(rows: list[tuple], dtypes: list[type], last: type | None = None) -> list:
    """The blocks' tuples of arrays, column by column: ``dtypes``, then the tag blobs (Arrow), then ``last`` if given."""
    blobs = pa.concat_arrays([r[len(dtypes)] for r in rows]) if rows else pa.array([], pa.large_binary())
    out = [_cat([r[i] for r in rows], d) for i, d in enumerate(dtypes)] + [blobs]
    if last is not None:
        out.append(_cat([r[len(dtypes) + 1] for r in rows], last))
    return out

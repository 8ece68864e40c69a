"""A small OSM PBF writer for the tests: blocks laid out as a test wants them.

libosmium writes one kind of object per block; other writers (the Hangzhou
extract's) mix nodes, ways and relations in one block, use plain ``Node``
messages, raw blocks, or a granularity and offsets other than the defaults.
This writer can do each, so that :mod:`accessibility.readers.pbf` is compared
with libosmium on every layout (``tests/test_pbf.py``). It follows the OSM
wiki's "PBF Format" (osmformat.proto, fileformat.proto).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64: ten bytes, two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def number(num: int, value: int) -> bytes:
    return key(num, 0) + varint(value)


def blob(num: int, data: bytes) -> bytes:
    return key(num, 2) + varint(len(data)) + data


def packed(num: int, values, *, signed: bool = False, delta: bool = False) -> bytes:
    out, last = bytearray(), 0
    for v in values:
        x = v - last if delta else v
        last = v
        out += varint(zigzag(x) if signed else x)
    return blob(num, bytes(out)) if values else b""


@dataclass
class Strings:
    """A block's string table (index 0 is the empty string, as the format asks)."""

    index: dict[str, int] = field(default_factory=lambda: {"": 0})

    def __call__(self, text: str) -> int:
        return self.index.setdefault(text, len(self.index))

    def encoded(self) -> bytes:
        return b"".join(blob(1, s.encode()) for s in self.index)


def _scaled(units: int, offset: int, granularity: int) -> int:
    """The stored value for a coordinate of ``units`` (1e-7 degree)."""
    return (units * 100 - offset) // granularity


def group(kind: str, items, s: Strings, *, granularity: int, lat_offset: int, lon_offset: int) -> bytes:
    """One ``PrimitiveGroup``. ``kind``: "dense" or "nodes" (items ``(id, lon, lat, tags)``, 1e-7 degree),
    "ways" (``(id, tags, refs)``) or "relations" (``(id, tags, [(type, ref, role)])``, type "n"/"w"/"r")."""
    if kind == "dense":
        keys_vals: list[int] = []
        if any(n[3] for n in items):  # then every node's pairs, each list ended by a 0
            for n in items:
                keys_vals += [x for k, v in n[3].items() for x in (s(k), s(v))] + [0]
        body = (
            packed(1, [n[0] for n in items], signed=True, delta=True)
            + packed(8, [_scaled(n[2], lat_offset, granularity) for n in items], signed=True, delta=True)
            + packed(9, [_scaled(n[1], lon_offset, granularity) for n in items], signed=True, delta=True)
            + packed(10, keys_vals)
        )
        return blob(2, body)
    out = b""
    for item in items:
        if kind == "nodes":
            ident, lon, lat, tags = item
            body = number(1, zigzag(ident)) + packed(2, [s(k) for k in tags]) + packed(3, [s(v) for v in tags.values()])
            body += number(8, zigzag(_scaled(lat, lat_offset, granularity))) + number(9, zigzag(_scaled(lon, lon_offset, granularity)))
            out += blob(1, body)
        elif kind == "ways":
            ident, tags, refs = item
            body = number(1, ident) + packed(2, [s(k) for k in tags]) + packed(3, [s(v) for v in tags.values()]) + packed(8, refs, signed=True, delta=True)
            out += blob(3, body)
        else:
            ident, tags, members = item
            body = number(1, ident) + packed(2, [s(k) for k in tags]) + packed(3, [s(v) for v in tags.values()])
            body += packed(8, [s(m[2]) for m in members]) + packed(9, [m[1] for m in members], signed=True, delta=True)
            body += packed(10, ["nwr".index(m[0]) for m in members])
            out += blob(4, body)
    return out


def write_pbf(
    path: Path, blocks, *, compress: bool = True, granularity: int = 100, lat_offset: int = 0, lon_offset: int = 0,
    features: tuple[str, ...] = ("OsmSchema-V0.6", "DenseNodes"), lz4_field: bool = False,
) -> Path:
    """Write ``blocks`` (each a list of ``(kind, items)`` groups, see :func:`group`) as an .osm.pbf file.

    ``lz4_field``: the data blocks' bytes stored as they are in the ``lz4_data`` field (not really
    compressed: a file whose compression a reader does not know).
    """

    def file_block(kind: str, data: bytes) -> bytes:
        payload = blob(3, zlib.compress(data)) + number(2, len(data)) if compress else blob(1, data)
        if lz4_field and kind == "OSMData":
            payload = number(2, len(data)) + blob(6, data)
        header = blob(1, kind.encode()) + number(3, len(payload))
        return len(header).to_bytes(4, "big") + header + payload

    out = file_block("OSMHeader", b"".join(blob(4, f.encode()) for f in features) + blob(16, b"tests/pbfwrite.py"))
    for groups in blocks:
        s = Strings()
        body = b"".join(blob(2, group(kind, items, s, granularity=granularity, lat_offset=lat_offset, lon_offset=lon_offset)) for kind, items in groups)
        head = blob(1, s.encoded())
        tail = (number(17, granularity) if granularity != 100 else b"") + (number(19, lat_offset) if lat_offset else b"") + (number(20, lon_offset) if lon_offset else b"")
        out += file_block("OSMData", head + body + tail)
    path.write_bytes(out)
    return path

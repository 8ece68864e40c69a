"""Compiled decoding of OSM PBF data blocks (protobuf) into flat arrays, off the GIL (numba).

Why by hand: libosmium (pyosmium) holds the GIL while it reads, and hands
objects to Python one at a time; the package had it write every way with its
node locations as OPL text (534 MB for the 1M-node benchmark) and parsed that
text back with pyarrow: ~5.4 s of a cold run, on one core. The PBF format is
small (a ``PrimitiveBlock``: a string table, then groups of dense nodes, ways
or relations, their numbers packed as protobuf varints) and no maintained
Python library decodes it to arrays without a Python object per element
(``protobuf`` builds messages; pyrosm's decoder is not maintained for
Python 3.11). :mod:`accessibility.readers.pbf` reads the file's blocks,
inflates them with ``zlib`` (which releases the GIL) and calls
:func:`decode_block` here on two threads.

The format is the OSM wiki's "PBF Format" (``osmformat.proto``). Every
index is checked against the block's end: a damaged block gives a status
other than ``OK`` (the caller then lets libosmium read the file and report
it), never a crash. Coordinates are libosmium's: nanodegrees
``offset + granularity * value`` divided by 100 with C++'s truncation, as
integers in units of 1e-7 degree.
"""

from __future__ import annotations

import numpy as np

from ..core.compiled import compiled

__all__ = ["BAD_BLOCK", "BAD_LOCATION", "NODE", "OK", "RELATION", "WAY", "decode_block", "gather_strings", "locate", "tag_blobs"]  # fmt: skip

OK, BAD_BLOCK, BAD_LOCATION = 0, 1, 2
NODE, WAY, RELATION = 0, 1, 2
_LON_LIMIT, _LAT_LIMIT = 1_800_000_000, 900_000_000  # 180 and 90 degrees in units of 1e-7

# counters of decode_block, in its `cnt` array
_N, _T, _W, _WR, _R, _RM, _STATUS, _KINDS, _LAST = range(9)
_COUNTERS = 9
COUNTS, STATUS, KINDS = slice(0, 6), _STATUS, _KINDS
# the rows of decode_block's `cols`
NODE_ID, NODE_LAT, NODE_LON, NODE_TAG_END = 0, 1, 2, 3
WAY_ID, WAY_TAG_END, WAY_REF_END, WAY_REF = 4, 5, 6, 7
REL_ID, REL_TAG_END, REL_MEMBER_END, MEMBER_ROLE, MEMBER_ID, MEMBER_TYPE = 8, 9, 10, 11, 12, 13
TAG_KEY, TAG_VALUE = 14, 15
_ROWS = 16


@compiled
def _varint(buf, i, end):  # pragma: no cover - compiled
    """(value, next index) of the varint at ``buf[i]``; next index -1 past ``end``."""
    result = np.uint64(0)
    shift = np.uint64(0)
    while i < end:
        b = np.uint64(buf[i])
        i += 1
        if shift < np.uint64(64):
            result |= (b & np.uint64(0x7F)) << shift
        if b < np.uint64(0x80):
            return result, i
        shift += np.uint64(7)
    return result, -1


@compiled
def _zigzag(n):  # pragma: no cover - compiled
    return np.int64(n >> np.uint64(1)) ^ -np.int64(n & np.uint64(1))


@compiled
def _key(buf, i, end):  # pragma: no cover - compiled
    """(field number, wire type, next index) of the field key at ``buf[i]``; next index -1 past ``end``."""
    key, i = _varint(buf, i, end)
    return np.int64(key >> np.uint64(3)), np.int64(key & np.uint64(7)), i


@compiled
def _length(buf, i, end):  # pragma: no cover - compiled
    """(start, stop) of the length-delimited field whose length is at ``buf[i]``; (-1, -1) if it overruns ``end``."""
    n, i = _varint(buf, i, end)
    if i < 0 or n > np.uint64(end - i):
        return -1, -1
    return i, i + np.int64(n)


@compiled
def _skip(buf, i, end, wire):  # pragma: no cover - compiled
    """Index after a field's value of protobuf wire type ``wire`` (-1: damaged)."""
    if wire == 0:
        _, i = _varint(buf, i, end)
        return i
    if wire == 2:
        _, stop = _length(buf, i, end)
        return stop
    step = 8 if wire == 1 else 4 if wire == 5 else -1
    if step < 0 or i + step > end:
        return -1
    return i + step


@compiled
def _packed(buf, start, stop, out, p, signed, delta):  # pragma: no cover - compiled
    """Decode the packed varints in ``buf[start:stop]`` into ``out[p:]``; return the next ``p`` (-1: damaged)."""
    acc = np.int64(0)
    i = start
    while i < stop:
        v, i = _varint(buf, i, stop)
        if i < 0:
            return -1
        x = _zigzag(v) if signed else np.int64(v)
        if delta:
            acc += x
            x = acc
        out[p] = x
        p += 1
    return p


@compiled
def _coordinate(value, granularity, offset):  # pragma: no cover - compiled
    """libosmium's conversion: nanodegrees, divided by 100 towards zero (C++ integer division)."""
    nano = offset + granularity * value
    q = abs(nano) // 100
    return q if nano >= 0 else -q


@compiled
def _tags(buf, keys, vals, cols, t):  # pragma: no cover - compiled
    """An object's packed ``keys`` and ``vals`` ((start, stop) each) into the tag rows from ``t``; next ``t`` (-1: damaged)."""
    nk = _packed(buf, keys[0], keys[1], cols[TAG_KEY], t, False, False)
    nv = _packed(buf, vals[0], vals[1], cols[TAG_VALUE], t, False, False)
    if nk < 0 or nk != nv:
        return -1
    return nk


@compiled
def _dense(buf, i, end, geo, cols, cnt, ranges, values):  # pragma: no cover - compiled
    """One ``DenseNodes`` message (packed ids, lat, lon, keys_vals: fields 1, 8, 9, 10): appended to the node rows."""
    if not _fields(buf, i, end, ranges, values):
        return False
    first = cnt[_N]
    p = _packed(buf, ranges[1, 0], ranges[1, 1], cols[NODE_ID], first, True, True)
    if p < 0 or _packed(buf, ranges[8, 0], ranges[8, 1], cols[NODE_LAT], first, True, True) != p:
        return False
    if _packed(buf, ranges[9, 0], ranges[9, 1], cols[NODE_LON], first, True, True) != p:
        return False
    for j in range(first, p):
        cols[NODE_LAT, j] = _coordinate(cols[NODE_LAT, j], geo[0], geo[1])
        cols[NODE_LON, j] = _coordinate(cols[NODE_LON, j], geo[0], geo[2])
    # keys_vals: each node's key and value string ids, ended by a 0 (absent: no node of the group has a tag)
    t = cnt[_T]
    i, stop = ranges[10, 0], ranges[10, 1]
    for j in range(first, p):
        while i < stop:
            k, i = _varint(buf, i, stop)
            if i < 0:
                return False
            if k == 0:
                break
            v, i = _varint(buf, i, stop)
            if i < 0:
                return False
            cols[TAG_KEY, t] = np.int64(k)
            cols[TAG_VALUE, t] = np.int64(v)
            t += 1
        cols[NODE_TAG_END, j] = t
    if i < stop:
        return False
    cnt[_N], cnt[_T] = p, t
    return True


@compiled
def _fields(buf, i, end, ranges, values):  # pragma: no cover - compiled
    """A message's fields 1..10: the (start, stop) of each length-delimited one in ``ranges``, each varint in ``values``; ok."""
    ranges[:] = -1
    values[:] = 0
    while i < end:
        field, wire, i = _key(buf, i, end)
        if i < 0:
            return False
        if wire == 0 and 1 <= field <= 10:
            v, i = _varint(buf, i, end)
            values[field] = v
        elif wire == 2 and 1 <= field <= 10:
            start, stop = _length(buf, i, end)
            ranges[field, 0] = start
            ranges[field, 1] = stop
            i = stop
        else:
            i = _skip(buf, i, end, wire)
        if i < 0:
            return False
    return True


@compiled
def _node(buf, i, end, geo, cols, cnt, ranges, values):  # pragma: no cover - compiled
    """One plain ``Node`` message (id and lat/lon are zigzag varints, fields 1, 8, 9; tags fields 2, 3)."""
    if not _fields(buf, i, end, ranges, values):
        return False
    ident, lat, lon = _zigzag(values[1]), _zigzag(values[8]), _zigzag(values[9])
    j = cnt[_N]
    t = _tags(buf, ranges[2], ranges[3], cols, cnt[_T])
    if t < 0:
        return False
    cols[NODE_ID, j] = ident
    cols[NODE_LAT, j] = _coordinate(lat, geo[0], geo[1])
    cols[NODE_LON, j] = _coordinate(lon, geo[0], geo[2])
    cols[NODE_TAG_END, j] = t
    cnt[_N], cnt[_T] = j + 1, t
    return True


@compiled
def _way(buf, i, end, cols, cnt, ranges, values):  # pragma: no cover - compiled
    """One ``Way``: id, tags (fields 2, 3) and delta-coded node refs (field 8)."""
    if not _fields(buf, i, end, ranges, values):
        return False
    ident = values[1]
    t = _tags(buf, ranges[2], ranges[3], cols, cnt[_T])
    r = _packed(buf, ranges[8, 0], ranges[8, 1], cols[WAY_REF], cnt[_WR], True, True)
    if t < 0 or r < 0:
        return False
    j = cnt[_W]
    cols[WAY_ID, j] = np.int64(ident)
    cols[WAY_TAG_END, j] = t
    cols[WAY_REF_END, j] = r
    cnt[_W], cnt[_T], cnt[_WR] = j + 1, t, r
    return True


@compiled
def _relation(buf, i, end, cols, cnt, ranges, values):  # pragma: no cover - compiled
    """One ``Relation``: id, tags, and its members' roles (field 8), delta-coded ids (9) and types (10)."""
    if not _fields(buf, i, end, ranges, values):
        return False
    ident = values[1]
    t = _tags(buf, ranges[2], ranges[3], cols, cnt[_T])
    m = cnt[_RM]
    roles = _packed(buf, ranges[8, 0], ranges[8, 1], cols[MEMBER_ROLE], m, False, False)
    ids = _packed(buf, ranges[9, 0], ranges[9, 1], cols[MEMBER_ID], m, True, True)
    types = _packed(buf, ranges[10, 0], ranges[10, 1], cols[MEMBER_TYPE], m, False, False)
    if t < 0 or roles < 0 or roles != ids or ids != types:
        return False
    j = cnt[_R]
    cols[REL_ID, j] = np.int64(ident)
    cols[REL_TAG_END, j] = t
    cols[REL_MEMBER_END, j] = ids
    cnt[_R], cnt[_T], cnt[_RM] = j + 1, t, ids
    return True


@compiled
def _group(buf, i, end, geo, cols, cnt, ranges, values):  # pragma: no cover - compiled
    """One ``PrimitiveGroup``; the kinds it holds are or-ed into ``cnt[_KINDS]``, out-of-order kinds make it damaged."""
    while i < end:
        field, wire, i = _key(buf, i, end)
        if i < 0:
            return False
        if wire != 2:
            i = _skip(buf, i, end, wire)
            if i < 0:
                return False
            continue
        start, stop = _length(buf, i, end)
        if start < 0:
            return False
        kind = NODE if field <= 2 else WAY if field == 3 else RELATION if field == 4 else -1
        if kind >= 0:
            if kind < cnt[_LAST]:
                return False  # e.g. a node after a way: not in file order
            cnt[_LAST] = kind
            cnt[_KINDS] |= 1 << kind
        ok = True
        if field == 1:
            ok = _node(buf, start, stop, geo, cols, cnt, ranges, values)
        elif field == 2:
            ok = _dense(buf, start, stop, geo, cols, cnt, ranges, values)
        elif field == 3:
            ok = _way(buf, start, stop, cols, cnt, ranges, values)
        elif field == 4:
            ok = _relation(buf, start, stop, cols, cnt, ranges, values)
        if not ok:  # (changesets, field 5, are not needed)
            return False
        i = stop
    return True


@compiled
def _block_header(buf, geo, table):  # pragma: no cover - compiled
    """A ``PrimitiveBlock``'s string table range and granularity and offsets (fields 1, 17, 19, 20) into ``table``, ``geo``; ok."""
    i, end = 0, len(buf)
    while i < end:
        field, wire, i = _key(buf, i, end)
        if i < 0:
            return False
        if wire == 0 and (field == 17 or field == 19 or field == 20):  # noqa: PLR1714
            v, i = _varint(buf, i, end)
            geo[0 if field == 17 else 1 if field == 19 else 2] = np.int64(v)
        elif wire == 2 and field == 1:
            start, stop = _length(buf, i, end)
            table[0] = start
            table[1] = stop
            i = stop
        else:
            i = _skip(buf, i, end, wire)
        if i < 0:
            return False
    return True


@compiled
def _string_table(buf, start, stop, bounds):  # pragma: no cover - compiled
    """The (start, stop) of each string (field 1) of a ``StringTable`` into ``bounds``; their number (-1: damaged)."""
    n = 0
    i = start
    while i < stop:
        field, wire, i = _key(buf, i, stop)
        if i < 0:
            return -1
        if field == 1 and wire == 2:
            a, b = _length(buf, i, stop)
            bounds[n, 0] = a
            bounds[n, 1] = b
            i = b
            n += 1
        else:
            i = _skip(buf, i, stop, wire)
        if i < 0:
            return -1
    return n


@compiled
def _check(cols, cnt, count):  # pragma: no cover - compiled
    """The block's status: string ids outside the table make it damaged; impossible locations are reported."""
    for row, size in ((TAG_KEY, cnt[_T]), (TAG_VALUE, cnt[_T]), (MEMBER_ROLE, cnt[_RM])):
        for j in range(size):
            if cols[row, j] < 0 or cols[row, j] >= count:
                return BAD_BLOCK
    for j in range(cnt[_N]):
        if abs(cols[NODE_LAT, j]) > _LAT_LIMIT or abs(cols[NODE_LON, j]) > _LON_LIMIT:
            return BAD_LOCATION
    return OK


@compiled
def decode_block(buf):  # pragma: no cover - compiled
    """Decode one inflated ``PrimitiveBlock``.

    Returns ``(cnt, strings, cols)``: ``cnt`` the counts of nodes, tags, ways,
    way refs, relations and members (``cnt[COUNTS]``), the status (``cnt[STATUS]``: ``OK``,
    ``BAD_BLOCK``, ``BAD_LOCATION``) and the kinds found (``cnt[KINDS]``, a bit per
    ``NODE``, ``WAY``, ``RELATION``); ``strings`` the (start, stop) of
    each string of the table in ``buf``; ``cols`` one row per column (``NODE_ID`` ...):
    node ids, locations (1e-7 degree) and the end of each node's tags; way ids, tag ends
    and ref ends, and the refs; relation ids, tag ends and member ends, and the members'
    role (a string id), id and type; the tags' key and value string ids (nodes', ways'
    and relations' in one sequence: a block holds objects of one kind in practice).
    """
    n = len(buf) + 1  # every element takes a byte at least: no row can overflow
    geo = np.array([100, 0, 0], np.int64)  # granularity, lat offset, lon offset (the format's defaults)
    table = np.full(2, -1, np.int64)
    cnt = np.zeros(_COUNTERS, np.int64)
    strings = np.empty((n, 2), np.int64)
    cols = np.empty((_ROWS, n), np.int64)  # pages never written take no memory
    ranges = np.full((11, 2), -1, np.int64)  # a message's fields 1..10 (see _fields)
    values = np.zeros(11, np.uint64)
    ok = _block_header(buf, geo, table)
    count = _string_table(buf, table[0], table[1], strings) if ok and table[0] >= 0 else 0
    if not ok or count < 0:
        cnt[_STATUS] = BAD_BLOCK
        return cnt, strings[:0], cols
    i, end = 0, len(buf)
    while i < end:
        field, wire, i = _key(buf, i, end)
        if i < 0:
            cnt[_STATUS] = BAD_BLOCK
            break
        if field == 2 and wire == 2:
            start, stop = _length(buf, i, end)
            if start < 0 or not _group(buf, start, stop, geo, cols, cnt, ranges, values):
                cnt[_STATUS] = BAD_BLOCK
                break
            i = stop
        else:
            i = _skip(buf, i, end, wire)
            if i < 0:
                cnt[_STATUS] = BAD_BLOCK
                break
    if cnt[_STATUS] == OK:
        cnt[_STATUS] = _check(cols, cnt, count)
    return cnt, strings[:count], cols


@compiled
def locate(ids, lon, lat, refs, out_lon, out_lat):  # pragma: no cover - compiled
    """Longitude and latitude in degrees (NaN: not there) of the nodes ``refs`` into ``out_lon/out_lat``, found in the increasing ``ids``.

    ``lon``/``lat`` are 1e-7 degree integers; ``x / 1e7`` is the double nearest the
    decimal ``x`` * 1e-7, the value pyarrow parses from libosmium's text.

    Each search gallops from where the reference before it was found (a way's nodes
    are mostly near each other in the file), then halves: the binary search's position,
    in ~60% of its time on the 1M-node benchmark's 7M references.
    """
    n = len(ids)
    p = 0
    for j in range(len(refs)):
        r = refs[j]
        if n == 0:
            out_lon[j] = np.nan
            out_lat[j] = np.nan
            continue
        if ids[p] < r:  # the first id >= r is after p: steps of 1, 2, 4... to the right
            lo, hi, step = p + 1, p + 1, 1
            while hi < n and ids[hi] < r:
                lo = hi + 1
                step *= 2
                hi = p + step
            hi = min(hi, n)
        else:  # at p or before it: steps to the left
            lo, hi, step = p - 1, p, 1
            while lo >= 0 and ids[lo] >= r:
                hi = lo
                step *= 2
                lo = p - step
            lo = 0 if lo < 0 else lo + 1
        while lo < hi:  # the first id >= r in [lo, hi]
            mid = (lo + hi) >> 1
            if ids[mid] < r:
                lo = mid + 1
            else:
                hi = mid
        if lo < n and ids[lo] == r:
            out_lon[j] = lon[lo] / 1e7
            out_lat[j] = lat[lo] / 1e7
        else:
            out_lon[j] = np.nan
            out_lat[j] = np.nan
        p = min(lo, n - 1)


@compiled
def gather_strings(buf, bounds):  # pragma: no cover - compiled
    """The strings at ``bounds`` as one byte array and int32 offsets (an Arrow binary array's buffers)."""
    offsets = np.zeros(len(bounds) + 1, np.int32)
    for j in range(len(bounds)):
        offsets[j + 1] = offsets[j] + (bounds[j, 1] - bounds[j, 0])
    data = np.empty(offsets[-1], np.uint8)
    for j in range(len(bounds)):
        p = offsets[j]
        for q in range(bounds[j, 0], bounds[j, 1]):  # loops, not slices: numba compiles them far faster
            data[p] = buf[q]
            p += 1
    return data, offsets


@compiled
def tag_blobs(buf, bounds, tag_bounds, keys, vals, rows):  # pragma: no cover - compiled
    """Each row's tags as one byte string (key length, key, value length, value; lengths 4 bytes little-endian).

    Object ``r``'s tags are ``keys/vals[tag_bounds[r]:tag_bounds[r + 1]]`` (string ids).
    Two objects have the same blob exactly when they have the same tags in the same
    order, so the blobs can be deduplicated in bulk before Python decodes them.
    Returns the bytes and int64 offsets (an Arrow large binary array's buffers).
    """
    offsets = np.zeros(len(rows) + 1, np.int64)
    for j in range(len(rows)):
        r = rows[j]
        size = 0
        for t in range(tag_bounds[r], tag_bounds[r + 1]):
            size += 8 + (bounds[keys[t], 1] - bounds[keys[t], 0]) + (bounds[vals[t], 1] - bounds[vals[t], 0])
        offsets[j + 1] = offsets[j] + size
    data = np.empty(offsets[-1], np.uint8)
    for j in range(len(rows)):
        r = rows[j]
        p = offsets[j]
        for t in range(tag_bounds[r], tag_bounds[r + 1]):
            for s in (keys[t], vals[t]):
                a, b = bounds[s, 0], bounds[s, 1]
                length = b - a
                for q in range(4):
                    data[p + q] = (length >> (8 * q)) & 0xFF
                p += 4
                for q in range(a, b):  # loops, not slices: numba compiles them far faster
                    data[p] = buf[q]
                    p += 1
    return data, offsets

"""Read OpenStreetMap files (.osm.pbf, .osm, .osm.bz2, .osm.gz) with pyosmium.

pyosmium (libosmium) reads every OSM file format offline and resolves node
locations in C++; this module only copies what the later stages need into
flat numpy arrays, and never handles one node or one object at a time in
Python: a province has tens of millions of nodes and millions of buildings.

A PBF file of :data:`COMPILED_MIN_BYTES` or more is read by the package's
compiled reader (:mod:`accessibility.readers.pbf`: its blocks decoded on
every core, off the GIL, to the same arrays to the last bit); any other file,
and one that reader leaves (unsorted, history, damaged...), is read as
follows. libosmium writes the wanted objects, ways with the locations on their node
references, as OPL text into a temporary file; pyarrow turns that text into
arrays in bulk (on all cores; :mod:`accessibility.readers.opl`) and shapely builds
points, lines and polygons from coordinate arrays (plain buildings become
areas and centres instead: :mod:`accessibility.readers.footprints`). :func:`read_osm`
reads the streets (:func:`read_highways`) and the tagged features (:func:`read_features`:
facilities, buildings) in one pass over the file. Only multipolygon
relations go through libosmium's area assembler, from a small file of their
member ways. The time grows linearly with the file (README, "Province
scale"); `tests/osmref.py` holds the per-object reference readers
the tests compare these with, and :mod:`accessibility.readers.extract` cuts files
to a box the same way.

Bad input never ends in a traceback: a file libosmium cannot read raises
:class:`~accessibility.errors.OSMDataError` naming it and the fix
(:func:`unreadable`), and a file libosmium reads wrongly (ways before their
nodes, JOSM's negative ids, nodes with impossible coordinates) is read again
from a sorted, repaired copy (:func:`accessibility.readers.opl.sorted_copy`), with
notes (``WayTable.notes``, ``FeatureTable.notes``) saying what was changed.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import osmium
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from .. import errors
from ..core import parallel
from . import footprints as footprints_mod
from . import opl
from .tagsets import TagSets, distinct_tags
from .waytable import ParsedWays, WayTable, way_table, ways_subset

__all__ = [
    "OSM_SUFFIXES",
    "FeatureTable",
    "TagSets",
    "WayTable",
    "check_osm_path",
    "distinct_tags",
    "empty_features",
    "read_features",
    "read_highways",
    "read_osm",
    "read_osm_deferred",
    "unreadable",
]  # fmt: skip

log = logging.getLogger(__name__)


OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".osm.xml", ".xml")


def check_osm_path(path: str | Path) -> Path:
    """Validate an OSM file path; raise an error that says what is wrong.

    Parameters
    ----------
    path
        The OSM file as given.

    Returns
    -------
    Path
        The path, when it is an existing file with an OSM suffix.

    Raises
    ------
    InputFileNotFoundError
        When the file does not exist.
    OSMDataError
        When it is a folder, has no OSM file suffix, or is empty.
    """
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
        raise errors.OSMDataError(f"{path} is empty (0 bytes); download the extract again")
    return path


#: what the first bytes of a file say it holds, and the name it should have
_SIGNATURES = ((b"BZh", "bzip2-compressed data", ".osm.bz2"), (b"\x1f\x8b", "gzip-compressed data", ".osm.gz"))


def _content_hint(path: Path) -> str:
    """A sentence on what a file libosmium cannot read seems to hold, from its first bytes ("" if nothing stands out)."""
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except OSError:
        return ""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    name = path.name.lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:300]:
        return (
            "It is an HTML web page, not OSM data: a failed or blocked download saves the server's error page "
            "under the file's name. Download the extract again (check the link, or open the file in a browser to read the error)."
        )
    if text.startswith((b"{", b"[")):
        return "It looks like JSON (GeoJSON or an Overpass API answer), not OSM XML or PBF; export the data as .osm or .osm.pbf."
    found = [(kind, suffix) for magic, kind, suffix in _SIGNATURES if head.startswith(magic)]
    if b"OSMHeader" in head[4:24]:
        found.append(("PBF data", ".osm.pbf"))
    elif text.startswith((b"<?xml", b"<osm")):
        found.append(("OSM XML text", ".osm"))
    for kind, suffix in found:
        if not name.endswith(suffix) and not (suffix == ".osm" and name.endswith((".osm.xml", ".xml"))):
            return f"It holds {kind} but its name ends in {path.suffix!r}: rename it to end in {suffix!r}."
    return ""


def unreadable(path: Path, exc: BaseException) -> errors.OSMDataError:
    """The error for an OSM file libosmium cannot read: what failed, what the file seems to be, and the fix."""
    message = str(exc)
    bad = re.search(r"wrong format for coordinate: '([^']*)'", message)
    if bad:
        return errors.OSMDataError(
            f"{path}: a node has the coordinate {bad.group(1)!r}, which is no longitude/latitude (-180..180 / -90..90); "
            f'correct or delete that node (search the file for lon="{bad.group(1)}" or lat="{bad.group(1)}")'
        )
    hint = _content_hint(path) or (
        "The file may be truncated (an interrupted download), damaged or not OSM data: download it again."
    )
    return errors.OSMDataError(f"{path}: cannot read the OSM file ({message}). {hint} Check a file with `osmium fileinfo -e {path}`.")


def read_highways(path: str | Path) -> WayTable:
    """Read every way tagged ``highway`` with its node locations.

    :func:`read_osm` without features: libosmium does all the per-node work
    in C++ and writes the highway ways, with the locations on their node
    references, as OPL text; pyarrow parses it in bulk (see
    :func:`accessibility.readers.opl.parse_ways`), so the only Python step left is
    one tag dict per distinct tag set, and the time grows linearly with the
    file (README, "Province scale").

    The result equals ``osmref.read_highways_loop`` (tests/osmref.py) (the per-node pyosmium
    reference reader), including ways split where a node has no location.

    Parameters
    ----------
    path
        An OSM file in any format libosmium reads.

    Returns
    -------
    WayTable
        The highway ways: ids, tags, node references and their locations.

    Raises
    ------
    OSMDataError
        If the file cannot be parsed or holds no highway.
    """
    table, _ = read_osm(path, (), highways=True)
    assert table is not None  # highways=True: the ways are always read
    return table


@dataclass(frozen=True)
class FeatureTable:
    """OSM features (nodes, ways, areas) carrying any of the requested keys.

    ``frame`` holds them with shapely geometries; closed ways read only as
    building footprints (see ``footprint_keys`` of :func:`read_osm`) are in
    ``footprints`` instead, as area and centre.
    """

    frame: pd.DataFrame  # osm_type, osm_id, tags, geometry (shapely, WGS-84)
    footprints: footprints_mod.Footprints = field(default_factory=footprints_mod.Footprints)
    #: what the reader repaired or left out, for the user
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.frame) + len(self.footprints)


def empty_features() -> FeatureTable:
    """No OSM features: a run whose streets come from a road layer and that is given no OSM file."""
    return FeatureTable(frame=_feature_frame([], []))


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
    ``shapely.make_valid`` and kept, where ``osmref.read_features_loop`` (tests/osmref.py) drops it;
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
        :mod:`accessibility.readers.footprints`) instead of becoming a polygon.

    Returns
    -------
    FeatureTable
        ``frame`` (points, lines and polygons with their tags) and
        ``footprints`` (the plain building footprints), with the reader's notes.

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
    choose the order that keeps the peak memory of a cold run low: building
    polygons of a province take ~1 GB (build the street networks first),
    footprints without polygons (``footprint_keys``) far less than their raw
    coordinates (assemble the features first).

    Parameters
    ----------
    path, keys, highways, footprint_keys
        As in :func:`read_osm`.

    Returns
    -------
    ways, build_features
        ``ways`` as :func:`read_osm` returns them, and a function without
        arguments that assembles and returns the :class:`FeatureTable`.
    """
    path = check_osm_path(path)
    keys = tuple(dict.fromkeys(keys))
    way_keys = (("highway",) if highways else ()) + tuple(k for k in keys if not (highways and k == "highway"))
    if not way_keys:
        return None, lambda: FeatureTable(frame=_feature_frame([], []))
    try:
        nodes, areas, parsed, notes = _read(path, keys, way_keys)
    except (RuntimeError, osmium.InvalidLocationError) as exc:  # libosmium's reader: a damaged file
        raise unreadable(path, exc) from exc
    # the ways' tags are a few shared dicts (opl.tag_dicts): each test below runs once per tag set
    way_tags = TagSets.of(parsed[1])

    def per_way(test: Callable[[dict[str, str]], bool]) -> np.ndarray:
        return way_tags.each(test, bool)

    street_table = None
    if highways:
        is_street = per_way(lambda t: "highway" in t)
        street_table = way_table(path, parsed, is_street, notes=tuple(notes))
    if not keys:
        return street_table, lambda: FeatureTable(frame=_feature_frame([], []), notes=tuple(notes))
    # with feature keys, the pass reads the tagged nodes and the relation areas
    assert nodes is not None
    assert areas is not None
    if invalid := nodes.pop("invalid"):
        notes.append(f"{path}: {invalid} tagged node(s) with a location outside lon -180..180 / lat -90..90 left out; correct them in the file")
        log.warning("%s", notes[-1])
    key_set = set(keys)
    has_key = per_way(lambda t: not key_set.isdisjoint(t))
    # ways whose only wanted keys are footprint keys (plain buildings): footprints, not polygons
    other_keys = key_set - set(footprint_keys)
    footprint_only = per_way(other_keys.isdisjoint)[has_key] if footprint_keys else None
    not_area = per_way(lambda t: t.get("area") == "no")[has_key]
    if not has_key.all():
        parsed = ways_subset(parsed, has_key)
    pending = [(*parsed, not_area, footprint_only)]
    del parsed

    def build() -> FeatureTable:
        # the raw way arrays are dropped as soon as the footprints exist
        ways = _way_features(*pending.pop())
        # the tagged nodes' points made here, beside the networks' build (shapely holds the GIL while it makes them)
        nodes["geometry"] = shapely.points(*nodes.pop("lonlat"))
        skipped = ways.pop("skipped") + areas.pop("skipped")
        if skipped:
            log.info("%s: %d features with missing nodes or broken geometry skipped", path, skipped)
        if ways["repaired"]:
            log.info("%s: %d polygons with invalid rings repaired (shapely.make_valid)", path, ways["repaired"])
        plain = ways.pop("footprints")
        parts = [nodes, ways, areas]
        return FeatureTable(frame=_feature_frame([p["kind"] for p in parts], parts), footprints=plain, notes=tuple(notes))

    return street_table, build


def _read(path: Path, keys: tuple[str, ...], way_keys: tuple[str, ...]) -> tuple[dict | None, dict | None, ParsedWays, list[str]]:
    """:func:`_one_pass`, again from a sorted, repaired copy when the file needs one (:func:`accessibility.readers.opl.sorted_copy_reason`).

    Returns the pass's results and notes on what the copy changed.
    """
    located_before = None  # way node refs with a positive id and a location, in the file as it is
    unsorted = False
    try:
        nodes, areas, parsed = _fast_pass(path, keys, way_keys) or _one_pass(path, keys, way_keys)
        problem = opl.sorted_copy_reason(parsed[3], parsed[4])
        located_before = int(np.count_nonzero(~np.isnan(parsed[4]) & (parsed[3] >= 0)))
    except opl.OutOfOrderError as exc:
        problem, unsorted = f"objects are not in file order, all nodes, then ways, then relations ({exc})", True
    except opl.InvalidLocationError as exc:
        problem = str(exc)
    if problem is None:
        return nodes, areas, parsed, []
    log.info("%s: %s; reading a sorted copy of it", path, problem)
    with tempfile.TemporaryDirectory(prefix="accessibility-osm-") as tmp:
        copy = opl.sorted_copy(path, Path(tmp), source=path)
        try:
            nodes, areas, parsed = _one_pass(copy.path, keys, way_keys)
        except pa.ArrowException as exc:  # e.g. a renumbered reference beyond 64 bits
            raise errors.OSMDataError(f"{path}: cannot read the sorted copy of the file ({exc}); sort and renumber it first: `osmium sort` and `osmium renumber`") from exc
    way_id, tags, counts, refs, lon, lat = parsed
    refs = copy.original_ids(refs)
    parsed = (copy.original_ids(way_id), tags, counts, refs, lon, lat)
    for part in (nodes, areas):
        if part is not None:
            part["id"] = copy.original_ids(part["id"])
    notes = copy.notes(path)
    if unsorted or (located_before is not None and int(np.count_nonzero(~np.isnan(lon) & (refs >= 0))) > located_before):
        notes.append(
            f"{path}: its objects are not in file order (all nodes, then ways, then relations), so it was read twice; "
            f"sort it once to read it faster: `osmium sort {path} -o sorted.osm.pbf`"
        )
    for note in notes:
        log.warning("%s", note)
    return nodes, areas, parsed, notes


#: PBF files from this size on are read by the compiled reader; below it, loading the
#: compiled code (~0.3 s per process) costs more than libosmium's pass (~0.05 s per MB)
COMPILED_MIN_BYTES = 8 << 20


def _fast_pass(path: Path, keys: tuple[str, ...], way_keys: tuple[str, ...]) -> tuple[dict | None, dict | None, ParsedWays] | None:
    """:func:`_one_pass`'s results read by :mod:`accessibility.readers.pbf` (compiled, on all cores), or None for a file it leaves to libosmium."""
    if not path.name.lower().endswith(".pbf") or path.stat().st_size < COMPILED_MIN_BYTES:
        return None
    from . import pbf  # loads numba: only where a PBF file is read

    result = pbf.one_pass(path, keys, way_keys)
    if result is None:
        return None
    areas = None
    if keys:
        assert result.relations is not None
        with tempfile.TemporaryDirectory(prefix="accessibility-osm-") as tmp:
            areas = _relation_areas(result.relations, result.member_lines, Path(tmp))
    return result.nodes, areas, result.ways


def _one_pass(path: Path, keys: tuple[str, ...], way_keys: tuple[str, ...]) -> tuple[dict | None, dict | None, ParsedWays]:
    """One libosmium pass: the tagged nodes, relation areas and parsed keyed ways (see :func:`read_osm_deferred`).

    With feature keys, every way is written (pyosmium's filters cannot keep
    "keyed or untagged" ways): multipolygon members are often untagged, and
    taking their lines from this pass spares a second read of the file. The
    parser keeps only the keyed ways.
    """
    tag_cache: dict[str, dict[str, str]] = {}
    nodes = areas = None
    select: list[osmium.filter.KeyFilter | osmium.filter.EntityFilter]
    with tempfile.TemporaryDirectory(prefix="accessibility-osm-") as tmp_name:
        tmp = Path(tmp_name)
        # written in the order read (the file's: nodes, ways, relations) as one OPL file
        if keys:  # tagged nodes, every way (with its node locations) and tagged relations; the parser keeps the keyed ways
            tagged = osmium.filter.KeyFilter(*keys)
            tagged.enable_for(osmium.osm.NODE | osmium.osm.RELATION)
            entities, select, parse_keys = osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION, [tagged], way_keys
        else:  # streets only: libosmium keeps the keyed ways itself
            keyed_way = osmium.filter.KeyFilter(*way_keys)
            keyed_way.enable_for(osmium.osm.WAY)
            entities, select, parse_keys = osmium.osm.NODE | osmium.osm.WAY, [osmium.filter.EntityFilter(osmium.osm.WAY), keyed_way], None
        opl.write(path, tmp / "tagged.opl", entities, *select, locations=True)
        node_text, way_lines, relation_text = opl.sections(tmp / "tagged.opl")
        with way_lines:
            member_lines: list[str] = []
            copy = None
            if keys:
                nodes, relations = _tagged_nodes_and_relations(node_text, relation_text, tag_cache)
                relations, member_ids = _area_relations(relations)
                if len(member_ids):
                    wanted = pa.array(np.char.add("w", member_ids.astype(str)))

                    def copy(block: pa.RecordBatch) -> None:
                        hit = pc.is_in(block.column("w"), value_set=wanted)
                        if pc.any(hit).as_py():
                            member_lines.extend(pc.binary_join_element_wise(*(block.column(c).filter(hit) for c in "wtn"), " ").to_pylist())

            del node_text, relation_text
            parsed = opl.parse_ways(way_lines, keys=parse_keys, each_block=copy)
        if keys:
            areas = _relation_areas(relations, member_lines, tmp)
    return nodes, areas, parsed


def _feature_frame(kinds: list[str], parts: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "osm_type": np.repeat(np.asarray(kinds, dtype=object), [len(p["id"]) for p in parts]),
            "osm_id": np.concatenate([p["id"] for p in parts]).astype(np.int64) if parts else np.zeros(0, np.int64),
            "tags": [t for p in parts for t in p["tags"]],
            "geometry": np.concatenate([p["geometry"] for p in parts]) if parts else np.array([], dtype=object),
        }
    )


def _tagged_nodes_and_relations(node_text: bytes, relation_text: bytes, tag_cache: dict) -> tuple[dict, pa.Array]:
    """Nodes (``n<id> T<tags> x<lon> y<lat>``) with their coordinates (``lonlat``: made points when the features are built); relation lines returned as they are."""
    nodes = {"kind": "node", "id": np.zeros(0, np.int64), "tags": [], "lonlat": (np.zeros(0), np.zeros(0)), "invalid": 0}
    line = opl.lines(node_text)
    if len(line):
        parts = pc.split_pattern(line, " ")
        node_id = pc.cast(pc.utf8_slice_codeunits(pc.list_element(parts, 0), 1), pa.int64()).to_numpy()
        lon, lat = opl.coordinate(pc.list_element(parts, 2)), opl.coordinate(pc.list_element(parts, 3))
        ok = opl.valid_location(lon, lat)
        nodes["invalid"] = int(np.count_nonzero(~ok & ~np.isnan(lon)))  # an impossible location, not just none
        tags = opl.tag_dicts(pc.list_element(parts, 1), tag_cache)
        nodes.update(id=node_id[ok], tags=[t for t, k in zip(tags, ok.tolist(), strict=True) if k], lonlat=(lon[ok], lat[ok]))
    return nodes, opl.lines(relation_text)


def _way_features(way_id, tags, counts, refs, lon, lat, not_area, footprint_only) -> dict:
    """Lines and polygons from the parsed OPL ways, built by shapely from coordinate arrays.

    Ways where ``not_area`` (``area=no``) stay lines even when closed; closed
    ways where ``footprint_only`` become :class:`~accessibility.readers.footprints.Footprints` rows.
    """
    n = len(way_id)
    way_of = np.repeat(np.arange(n), counts)
    missing = np.bincount(way_of, weights=np.isnan(lon) | np.isnan(lat), minlength=n) > 0
    ok = ~missing & (counts >= 2)
    ends = np.cumsum(counts)
    first_ref = refs[np.minimum(ends - counts, max(len(refs) - 1, 0))] if len(refs) else np.zeros(n, np.int64)
    last_ref = refs[np.maximum(ends - 1, 0)] if len(refs) else np.zeros(n, np.int64)
    del refs
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
        "repaired": len(bad),
        "footprints": plain_table,
    }


def _area_relations(relations: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The relation lines libosmium assembles into areas, and their member ways' ids."""
    if len(relations):
        relations = pc.filter(relations, pc.match_substring_regex(pc.list_element(pc.split_pattern(relations, " "), 1), opl.AREA_RELATION))
    if len(relations) == 0:
        return relations, np.zeros(0, np.int64)
    _, member_type, member_ref = opl.members(pc.list_element(pc.split_pattern(relations, " "), 2))
    return relations, np.unique(member_ref[member_type == "w"]).astype(np.int64)


def _relation_areas(relations: pa.Array, member_lines: list[str], tmp: Path) -> dict:
    """Multipolygon relations, assembled by libosmium from a small OPL file of their member ways.

    ``relations`` are the area relations' lines (:func:`_area_relations`),
    ``member_lines`` their member ways' lines with node locations.
    """
    out: dict[str, Any] = {"kind": "relation", "id": np.zeros(0, np.int64), "tags": [], "geometry": np.array([], dtype=object), "skipped": 0}
    if len(relations) == 0:
        return out
    small = tmp / "relations.opl"
    # libosmium writes a node without location as "n<id>xy" but cannot read that back: drop the
    # empty "xy" in the node lists (the last field); relations follow the ways, as libosmium expects
    lines = [head + " N" + opl.NO_LOCATION.sub("", nodes) for head, _, nodes in (w.rpartition(" N") for w in member_lines)]
    small.write_text("".join(s + "\n" for s in lines + relations.to_pylist()), encoding="utf-8")
    wkb = osmium.geom.WKBFactory()
    ids, tags, geoms = [], [], []
    manager = osmium.area.AreaManager()
    osmium.apply(osmium.io.Reader(osmium.io.File(str(small), "opl"), osmium.osm.RELATION), manager.first_pass_handler())
    assembled = osmium.BufferIterator()
    osmium.apply(osmium.io.Reader(osmium.io.File(str(small), "opl"), osmium.osm.WAY), manager.second_pass_to_buffer(assembled))
    # the area manager's buffer holds areas only (pyosmium types its iterator as any OSM object)
    for obj in cast("Iterable[osmium.osm.Area]", assembled):
        if obj.from_way():  # a closed member way: read as a way feature already, if it has a key
            continue
        try:
            geom = wkb.create_multipolygon(obj)
        except (RuntimeError, osmium.InvalidLocationError):
            out["skipped"] += 1
            continue
        ids.append(obj.orig_id())
        tags.append(dict(obj.tags))
        geoms.append(bytes.fromhex(geom) if isinstance(geom, str) else geom)
    out["skipped"] = len(relations) - len(ids)  # failed or incomplete (a member outside the extract)
    out.update(id=np.asarray(ids, dtype=np.int64), tags=tags, geometry=shapely.from_wkb(np.asarray(geoms, dtype=object)) if geoms else np.array([], dtype=object))
    return out

"""Reference OSM readers: one pyosmium object (and node) at a time.

:func:`accessibility.readers.osm.read_highways` and :func:`accessibility.readers.osm.read_features`
never call Python per object; these readers do the same job the plain way
(libosmium's area assembler builds every polygon) and are kept as the
reference the tests compare the bulk readers with, and for the benchmarks.
They are about 10x slower on large files. They read files as libosmium
does, without the fast readers' repairs (:func:`accessibility.readers.opl.sorted_copy`):
ways before their nodes and negative node ids stay without locations.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import shapely

from accessibility import errors
from accessibility.readers.opl import osm_file
from accessibility.readers.osm import FeatureTable, WayTable, check_osm_path, unreadable

__all__ = ["read_features_loop", "read_highways_loop"]

log = logging.getLogger(__name__)


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
            osmium.FileProcessor(osm_file(path), osmium.osm.NODE | osmium.osm.WAY)
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
    except (RuntimeError, osmium.InvalidLocationError) as exc:
        raise unreadable(path, exc) from exc
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


def read_features_loop(path: str | Path, keys: tuple[str, ...] | list[str]) -> FeatureTable:
    """Reference reader: the features of :func:`read_features`, one pyosmium object at a time.

    libosmium's area assembler builds every polygon and each feature passes
    through Python (~35 µs each); kept for tests, which check that
    :func:`read_features` returns the same features and geometries.
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
        fp = osmium.FileProcessor(osm_file(path)).with_areas(osmium.filter.KeyFilter(*keys)).with_filter(
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
            except (RuntimeError, osmium.InvalidLocationError):
                failed += 1
                continue
            rows_type.append(kind)
            rows_id.append(obj.orig_id() if obj.is_area() else obj.id)
            rows_tags.append(dict(obj.tags))
            rows_wkb.append(bytes.fromhex(geom) if isinstance(geom, str) else geom)
    except (RuntimeError, osmium.InvalidLocationError) as exc:
        raise unreadable(path, exc) from exc
    if failed:
        log.info("%s: %d features with broken geometry skipped", path, failed)
    geoms = shapely.from_wkb(np.asarray(rows_wkb, dtype=object)) if rows_wkb else np.array([], dtype=object)
    frame = pd.DataFrame(
        {"osm_type": rows_type, "osm_id": np.asarray(rows_id, dtype=np.int64), "tags": rows_tags, "geometry": geoms}
    )
    return FeatureTable(frame=frame)
